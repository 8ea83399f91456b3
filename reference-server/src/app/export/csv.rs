//! The CSV files of Mastodon's export page, in its formats (Mastodon's `Export` model):
//!
//! | file | header | rows |
//! | --- | --- | --- |
//! | `follows.csv` | `Account address,Show boosts,Notify on new posts,Languages` | `user@host,true,false,` |
//! | `followers.csv` | the same | the same (Mastodon has no such file) |
//! | `lists.csv` | none | `list title,user@host` |
//! | `blocks.csv` | none | `user@host` |
//! | `mutes.csv` | `Account address,Hide notifications` | `user@host,true` |
//! | `domain_blocks.csv` | none | `example.com` |
//! | `bookmarks.csv` | none | the status's URI |
//!
//! Local accounts are written `user@local_domain`, as Mastodon writes them. Woolly keeps no
//! per-follow boosts, notify or languages settings, so follows are written as Mastodon's
//! defaults (`true`, `false`, empty). Rows come newest first, as Mastodon orders them; the
//! store is read one page at a time ([`Pager`]), each page's records in one multi-read, and
//! every row goes straight to the writer. The `csv` crate quotes fields (a list title with a
//! comma or a quote) as RFC 4180 and Ruby's CSV do; lines end with `\n` as Ruby's.

use std::io::Write;

use super::{ids, CsvExport, Pager};
use crate::app::model::{coll, ns, MuteRecord};
use crate::app::App;
use crate::error::Error;

/// Store records read per page.
const PAGE: usize = 200;

/// The header of the follows file (and of the followers file).
pub const FOLLOWS_HEADER: [&str; 4] = [
    "Account address",
    "Show boosts",
    "Notify on new posts",
    "Languages",
];
/// The header of the mutes file.
pub const MUTES_HEADER: [&str; 2] = ["Account address", "Hide notifications"];

fn csv_error(e: ::csv::Error) -> Error {
    match e.into_kind() {
        ::csv::ErrorKind::Io(e) => Error::Io(e),
        other => Error::Io(std::io::Error::other(format!("{other:?}"))),
    }
}

impl App {
    /// Writes local account `account_id`'s export `what` to `out` as CSV (Mastodon's format,
    /// see the module documentation), reading the store a page at a time; returns `out`.
    pub async fn export_csv<W: Write>(
        &self,
        account_id: u64,
        what: CsvExport,
        out: W,
    ) -> Result<W, Error> {
        let mut w = ::csv::WriterBuilder::new()
            .terminator(::csv::Terminator::Any(b'\n'))
            .flexible(true)
            .from_writer(out);
        match what {
            CsvExport::Follows | CsvExport::Followers => {
                w.write_record(FOLLOWS_HEADER).map_err(csv_error)?;
                let collection = if what == CsvExport::Follows {
                    coll::following(account_id)
                } else {
                    coll::followers(account_id)
                };
                let mut pager = Pager::newest_first(collection, PAGE);
                while let Some(items) = pager.next(self).await? {
                    for a in self
                        .accounts_by_id(&ids(&items))
                        .await?
                        .into_iter()
                        .flatten()
                    {
                        let address = self.export_address(&a);
                        w.write_record([address.as_str(), "true", "false", ""])
                            .map_err(csv_error)?;
                    }
                }
            }
            CsvExport::Lists => {
                for list in self.lists_of(account_id).await? {
                    let mut pager = Pager::newest_first(coll::list_accounts(list.id), PAGE);
                    while let Some(items) = pager.next(self).await? {
                        for a in self
                            .accounts_by_id(&ids(&items))
                            .await?
                            .into_iter()
                            .flatten()
                        {
                            let address = self.export_address(&a);
                            w.write_record([list.title.as_str(), address.as_str()])
                                .map_err(csv_error)?;
                        }
                    }
                }
            }
            CsvExport::Blocks => {
                let mut pager = Pager::newest_first(coll::blocks(account_id), PAGE);
                while let Some(items) = pager.next(self).await? {
                    for a in self
                        .accounts_by_id(&ids(&items))
                        .await?
                        .into_iter()
                        .flatten()
                    {
                        w.write_record([self.export_address(&a)])
                            .map_err(csv_error)?;
                    }
                }
            }
            CsvExport::Mutes => {
                w.write_record(MUTES_HEADER).map_err(csv_error)?;
                let now = self.now_ms();
                let mut pager = Pager::newest_first(coll::mutes(account_id), PAGE);
                while let Some(items) = pager.next(self).await? {
                    let targets = ids(&items);
                    let keys: Vec<String> = targets
                        .iter()
                        .map(|t| crate::app::model::pair(account_id, *t))
                        .collect();
                    let mutes = self.get_many::<MuteRecord>(ns::MUTES, &keys).await?;
                    let accounts = self.accounts_by_id(&targets).await?;
                    for (a, m) in accounts.into_iter().zip(mutes) {
                        let (Some(a), Some(m)) = (a, m) else { continue };
                        if !m.is_active(now) {
                            continue;
                        }
                        let hide = if m.notifications { "true" } else { "false" };
                        w.write_record([self.export_address(&a).as_str(), hide])
                            .map_err(csv_error)?;
                    }
                }
            }
            CsvExport::DomainBlocks => {
                let mut pager = Pager::newest_first(coll::domain_blocks(account_id), PAGE);
                while let Some(items) = pager.next(self).await? {
                    for i in items {
                        w.write_record([i.member]).map_err(csv_error)?;
                    }
                }
            }
            CsvExport::Bookmarks => {
                let mut pager = Pager::newest_first(coll::bookmarks_of(account_id), PAGE);
                while let Some(items) = pager.next(self).await? {
                    let keys: Vec<String> = items.iter().map(|i| i.member.clone()).collect();
                    let statuses = self
                        .get_many::<crate::app::Status>(ns::STATUSES, &keys)
                        .await?;
                    for s in statuses.into_iter().flatten() {
                        w.write_record([s.uri]).map_err(csv_error)?;
                    }
                }
            }
        }
        w.flush()?;
        w.into_inner()
            .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))
    }
}
