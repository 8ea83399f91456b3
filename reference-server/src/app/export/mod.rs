//! Account exports (issue #19), in Mastodon's formats so that Mastodon, GoToSocial and others
//! can import what Woolly exports:
//!
//! - [`csv`](mod@self::csv): the CSV files of Mastodon's `Export` model (follows, followers,
//!   lists, blocks, mutes, domain blocks, bookmarks), written a store page at a time
//!   ([`App::export_csv`]).
//! - [`archive`]: the account archive of Mastodon's `BackupService` (`outbox.json`,
//!   `actor.json`, `likes.json`, `bookmarks.json`, the media files) as one `.zip`, built by a
//!   durable job with progress, at most one a week per account, removed a week after it is
//!   ready ([`App::request_archive`], [`App::run_export_jobs`]).
//!
//! The HTTP side (`api/exports.rs`) serves them at Mastodon's paths (`/settings/exports/…`,
//! `/settings/export`) with a bearer token of scope `read` for now; the web page comes with
//! issue #20 and will call the same functions. `woolly account export` (`cli/export.rs`)
//! calls them on the store directly.

use fedi_storage::{CollectionItem, PageRequest};

use super::model::Account;
use super::App;
use crate::error::Error;

pub mod archive;
pub mod csv;

pub use archive::{Archive, ArchiveState};

/// One of the CSV files of Mastodon's export page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvExport {
    /// Accounts followed: `Account address,Show boosts,Notify on new posts,Languages`.
    Follows,
    /// Followers, in the follows format (Mastodon has no followers file; this one imports
    /// anywhere as a follow list).
    Followers,
    /// `list title,account address` rows, no header.
    Lists,
    /// Blocked accounts, one address a row, no header.
    Blocks,
    /// Muted accounts: `Account address,Hide notifications`.
    Mutes,
    /// Blocked domains, one a row, no header.
    DomainBlocks,
    /// Bookmarked statuses' URIs, one a row, no header.
    Bookmarks,
}

impl CsvExport {
    /// Every CSV export.
    pub const ALL: [CsvExport; 7] = [
        CsvExport::Follows,
        CsvExport::Followers,
        CsvExport::Lists,
        CsvExport::Blocks,
        CsvExport::Mutes,
        CsvExport::DomainBlocks,
        CsvExport::Bookmarks,
    ];

    /// The file name Mastodon serves it under (`/settings/exports/{name}`).
    pub fn file_name(self) -> &'static str {
        match self {
            CsvExport::Follows => "follows.csv",
            CsvExport::Followers => "followers.csv",
            CsvExport::Lists => "lists.csv",
            CsvExport::Blocks => "blocks.csv",
            CsvExport::Mutes => "mutes.csv",
            CsvExport::DomainBlocks => "domain_blocks.csv",
            CsvExport::Bookmarks => "bookmarks.csv",
        }
    }

    /// The export a file name (`follows.csv`) or a command-line name (`follows`,
    /// `domain-blocks`) names.
    pub fn parse(name: &str) -> Option<CsvExport> {
        let stem = name.strip_suffix(".csv").unwrap_or(name).replace('-', "_");
        CsvExport::ALL
            .into_iter()
            .find(|e| e.file_name().strip_suffix(".csv") == Some(stem.as_str()))
    }
}

/// Walks a store collection a page at a time (never more than one page in memory).
pub(crate) struct Pager {
    collection: String,
    page_size: usize,
    oldest_first: bool,
    cursor: Option<u64>,
    done: bool,
}

impl Pager {
    /// Newest first (Mastodon's order for its CSV files).
    pub(crate) fn newest_first(collection: String, page_size: usize) -> Self {
        Pager {
            collection,
            page_size: page_size.max(1),
            oldest_first: false,
            cursor: None,
            done: false,
        }
    }
    /// Oldest first (the outbox of an archive).
    pub(crate) fn oldest_first(collection: String, page_size: usize) -> Self {
        Pager {
            oldest_first: true,
            ..Self::newest_first(collection, page_size)
        }
    }
    /// The next page, or `None` at the end.
    pub(crate) async fn next(&mut self, app: &App) -> Result<Option<Vec<CollectionItem>>, Error> {
        if self.done {
            return Ok(None);
        }
        let req = match (self.oldest_first, self.cursor) {
            (false, None) => PageRequest::newest(self.page_size),
            (false, Some(c)) => PageRequest::newest(self.page_size).max_id(c),
            (true, None) => PageRequest::oldest(self.page_size),
            (true, Some(c)) => PageRequest::oldest(self.page_size).min_id(c),
        };
        let page = app.store().page(&self.collection, &req).await?;
        if page.items.len() < self.page_size {
            self.done = true;
        }
        self.cursor = if self.oldest_first {
            page.prev_min_id()
        } else {
            page.next_max_id()
        };
        if page.items.is_empty() {
            self.done = true;
            return Ok(None);
        }
        Ok(Some(page.items))
    }
}

/// The ids of a page's members (members that are not ids are skipped).
pub(crate) fn ids(items: &[CollectionItem]) -> Vec<u64> {
    items.iter().filter_map(|i| i.member.parse().ok()).collect()
}

impl App {
    /// An account's address as Mastodon's exports write it: `user@domain`, local accounts
    /// with this instance's domain.
    pub fn export_address(&self, a: &Account) -> String {
        match &a.domain {
            Some(d) => format!("{}@{d}", a.username),
            None => format!("{}@{}", a.username, self.config().domain()),
        }
    }

    /// The local account named `username` (not found for an unknown or remote name).
    pub async fn local_account_named(&self, username: &str) -> Result<Account, Error> {
        match self.account_by_acct(username).await? {
            Some(a) if a.is_local() && !a.deleted => Ok(a),
            _ => Err(Error::NotFound(format!("no local account {username}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CsvExport;

    #[test]
    fn file_and_command_line_names() {
        for e in CsvExport::ALL {
            assert_eq!(CsvExport::parse(e.file_name()), Some(e));
        }
        assert_eq!(
            CsvExport::parse("domain-blocks"),
            Some(CsvExport::DomainBlocks)
        );
        assert_eq!(CsvExport::parse("follows"), Some(CsvExport::Follows));
        assert_eq!(CsvExport::parse("archive"), None);
        assert_eq!(CsvExport::parse("../follows.csv"), None);
        assert_eq!(CsvExport::parse(""), None);
    }
}
