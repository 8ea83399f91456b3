//! Reading Mastodon's CSV import files (`Form::Import`): the header, or its absence, decides
//! the columns; the whole file is checked before any job starts ([`BadFile`]); a row that
//! cannot be used is kept with the reason it is skipped.
//!
//! The formats, as Mastodon exports them:
//! - follows: `Account address,Show boosts,Notify on new posts,Languages` (a header); a bare
//!   list of addresses is read too (Mastodon's default column for a file without a header);
//! - mutes: `Account address,Hide notifications` (a header);
//! - blocks: one address a line, no header;
//! - lists: `List name,Account address`, no header (a list name may hold commas, quoted);
//! - domain blocks: one domain a line, no header;
//! - bookmarks: one status URI a line, no header.
//!
//! A first row whose first cell is a known header (`Account address`, `List name`, `#domain`,
//! `#uri`) is the header, else the type's default columns apply, as in Mastodon.

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The largest file taken, in bytes: 2 MiB. Mastodon takes 20 MB, but 20,000 rows of
/// addresses (its row limit) fit in about 1.5 MB even with long addresses and languages, so
/// a larger file is over the row limit anyway; the smaller cap keeps a request's body (and
/// the job's stored rows) small.
pub const MAX_BYTES: usize = 2 << 20;
/// The most rows taken (Mastodon's `ROWS_PROCESSING_LIMIT`).
pub const MAX_ROWS: usize = 20_000;

/// Why a file is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BadFile {
    /// Over [`MAX_BYTES`] (413).
    TooLarge,
    /// Binary or not UTF-8 (415).
    NotText,
    /// No rows (422).
    Empty,
    /// A header that is not the chosen type's (422).
    WrongHeader,
    /// Over [`MAX_ROWS`] rows (422).
    TooManyRows,
    /// Not CSV (unbalanced quotes…) (422).
    Malformed,
}

impl BadFile {
    /// The HTTP status for this refusal.
    pub fn status(self) -> http::StatusCode {
        match self {
            BadFile::TooLarge => http::StatusCode::PAYLOAD_TOO_LARGE,
            BadFile::NotText => http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            _ => http::StatusCode::UNPROCESSABLE_ENTITY,
        }
    }
}

fn bad(kind: BadFile, msg: impl Into<String>) -> Error {
    Error::BadImportFile(kind, msg.into())
}

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportType {
    /// Accounts to follow.
    Following,
    /// Accounts to block.
    Blocking,
    /// Accounts to mute.
    Muting,
    /// Domains to block.
    DomainBlocking,
    /// Statuses to bookmark.
    Bookmarks,
    /// Lists and their members.
    Lists,
}

impl ImportType {
    /// Parses Mastodon's name (`following`, `blocking`, `muting`, `domain_blocking`,
    /// `bookmarks`, `lists`) or the command line's (`follows`, `blocks`, `mutes`,
    /// `domain-blocks`).
    pub fn parse(s: &str) -> Option<Self> {
        Some(
            match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
                "following" | "follows" => ImportType::Following,
                "blocking" | "blocks" => ImportType::Blocking,
                "muting" | "mutes" => ImportType::Muting,
                "domain_blocking" | "domain_blocks" => ImportType::DomainBlocking,
                "bookmarks" => ImportType::Bookmarks,
                "lists" => ImportType::Lists,
                _ => return None,
            },
        )
    }
    /// Mastodon's name.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportType::Following => "following",
            ImportType::Blocking => "blocking",
            ImportType::Muting => "muting",
            ImportType::DomainBlocking => "domain_blocking",
            ImportType::Bookmarks => "bookmarks",
            ImportType::Lists => "lists",
        }
    }
    /// The columns read when the file has no header (Mastodon's `default_csv_headers`), which
    /// a header must also hold.
    fn default_headers(self) -> &'static [&'static str] {
        match self {
            ImportType::Following | ImportType::Blocking | ImportType::Muting => {
                &["Account address"]
            }
            ImportType::DomainBlocking => &["#domain"],
            ImportType::Bookmarks => &["#uri"],
            ImportType::Lists => &["List name", "Account address"],
        }
    }
    /// Header columns that only another type's file has: a follows file given as mutes, or
    /// the reverse (Mastodon warns of a "likely mismatched" file; with no confirmation step
    /// here, it is refused).
    fn foreign_headers(self) -> &'static [&'static str] {
        match self {
            ImportType::Following => &["Hide notifications", "List name"],
            ImportType::Muting => &[
                "Show boosts",
                "Notify on new posts",
                "Languages",
                "List name",
            ],
            ImportType::Blocking => &["List name"],
            _ => &[],
        }
    }
}

const KNOWN_FIRST_HEADERS: [&str; 4] = ["Account address", "List name", "#domain", "#uri"];

/// What one usable row asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Item {
    /// An account to follow, block or mute.
    Account {
        /// `user@domain`, or `user` for a local account.
        acct: String,
        /// `Show boosts` (follows; Mastodon's default: yes).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        show_reblogs: Option<bool>,
        /// `Notify on new posts` (follows; default: no).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        notify: Option<bool>,
        /// `Languages` (follows).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        languages: Option<Vec<String>>,
        /// `Hide notifications` (mutes; default: yes).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        hide_notifications: Option<bool>,
    },
    /// A member of a list.
    ListMember {
        /// The list's title.
        list: String,
        /// The member's address.
        acct: String,
    },
    /// A domain to block.
    Domain {
        /// Lower-case.
        domain: String,
    },
    /// A status to bookmark.
    Status {
        /// Its URI (or URL).
        uri: String,
    },
}

impl Item {
    /// The account address, for the rows that name one.
    pub fn acct(&self) -> Option<&str> {
        match self {
            Item::Account { acct, .. } | Item::ListMember { acct, .. } => Some(acct),
            _ => None,
        }
    }
}

/// One data row of a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParsedRow {
    /// Its line in the file (1-based; a quoted cell may span lines: the line it starts on).
    pub line: u64,
    /// What it asks for, or the cells and why it is skipped.
    pub item: Result<Item, Skipped>,
}

/// A row that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// The row as read (cells joined with commas).
    pub raw: String,
    /// Why.
    pub reason: String,
}

/// Reads `bytes` as a file of `kind`; `local_domain` is removed from addresses
/// (`alice@this.host` is the local `alice`). Refuses the whole file with
/// [`Error::BadImportFile`] when it cannot be an import of `kind`.
pub fn parse(kind: ImportType, bytes: &[u8], local_domain: &str) -> Result<Vec<ParsedRow>, Error> {
    if bytes.len() > MAX_BYTES {
        return Err(bad(
            BadFile::TooLarge,
            format!("the file is over the limit of {MAX_BYTES} bytes"),
        ));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes)
        .ok()
        .filter(|t| !t.contains('\0'))
        .ok_or_else(|| bad(BadFile::NotText, "the file is not UTF-8 text"))?;
    if text.trim().is_empty() {
        return Err(bad(BadFile::Empty, "the file is empty"));
    }
    // The `csv` reader takes an unclosed quote to the end of the file; Mastodon's (Ruby's)
    // refuses it, and so does this: quotes come in pairs in well-formed CSV.
    if text.bytes().filter(|b| *b == b'"').count() % 2 == 1 {
        return Err(bad(
            BadFile::Malformed,
            "the file is not CSV: a quote is not closed",
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut records = Vec::new();
    for r in reader.records() {
        let r = r.map_err(|e| bad(BadFile::Malformed, format!("the file is not CSV: {e}")))?;
        if r.iter().all(str::is_empty) {
            continue;
        }
        let line = r.position().map_or(0, |p| p.line());
        records.push((line, r));
        if records.len() > MAX_ROWS + 1 {
            break;
        }
    }
    let first = records.first().and_then(|(_, r)| r.get(0)).unwrap_or("");
    let header: Vec<String> = if KNOWN_FIRST_HEADERS.contains(&first) {
        let (_, h) = records.remove(0);
        h.iter().map(str::to_owned).collect()
    } else {
        kind.default_headers()
            .iter()
            .map(|h| (*h).to_owned())
            .collect()
    };
    let has = |name: &str| header.iter().any(|h| h == name);
    if !kind.default_headers().iter().all(|h| has(h))
        || kind.foreign_headers().iter().any(|h| has(h))
    {
        return Err(bad(
            BadFile::WrongHeader,
            format!(
                "the file's columns ({}) are not those of a {} import",
                header.join(", "),
                kind.as_str()
            ),
        ));
    }
    if records.len() > MAX_ROWS {
        return Err(bad(
            BadFile::TooManyRows,
            format!("the file has more than {MAX_ROWS} rows"),
        ));
    }
    if records.is_empty() {
        return Err(bad(BadFile::Empty, "the file has no rows"));
    }
    let column = |name: &str| header.iter().position(|h| h == name);
    let cols = Columns {
        acct: column("Account address"),
        show_reblogs: column("Show boosts"),
        notify: column("Notify on new posts"),
        languages: column("Languages"),
        hide: column("Hide notifications"),
        list: column("List name"),
        domain: column("#domain"),
        uri: column("#uri"),
    };
    Ok(records
        .into_iter()
        .map(|(line, r)| {
            let cells: Vec<&str> = r.iter().collect();
            ParsedRow {
                line,
                item: cols
                    .item(kind, &cells, local_domain)
                    .map_err(|reason| Skipped {
                        raw: cells.join(","),
                        reason,
                    }),
            }
        })
        .collect())
}

struct Columns {
    acct: Option<usize>,
    show_reblogs: Option<usize>,
    notify: Option<usize>,
    languages: Option<usize>,
    hide: Option<usize>,
    list: Option<usize>,
    domain: Option<usize>,
    uri: Option<usize>,
}

impl Columns {
    fn item(&self, kind: ImportType, cells: &[&str], local: &str) -> Result<Item, String> {
        let cell = |i: Option<usize>| i.and_then(|i| cells.get(i)).copied().unwrap_or("");
        match kind {
            ImportType::Following | ImportType::Blocking | ImportType::Muting => {
                let acct = account_address(cell(self.acct), local)?;
                let follows = kind == ImportType::Following;
                Ok(Item::Account {
                    acct,
                    show_reblogs: boolean(cell(self.show_reblogs)).filter(|_| follows),
                    notify: boolean(cell(self.notify)).filter(|_| follows),
                    languages: Some(
                        cell(self.languages)
                            .split(',')
                            .map(str::trim)
                            .filter(|l| !l.is_empty())
                            .map(str::to_owned)
                            .collect::<Vec<_>>(),
                    )
                    .filter(|l| follows && !l.is_empty()),
                    hide_notifications: boolean(cell(self.hide))
                        .filter(|_| kind == ImportType::Muting),
                })
            }
            ImportType::Lists => {
                let list = cell(self.list);
                if list.is_empty() {
                    return Err("blank list name".into());
                }
                Ok(Item::ListMember {
                    list: list.to_owned(),
                    acct: account_address(cell(self.acct), local)?,
                })
            }
            ImportType::DomainBlocking => {
                let d = cell(self.domain).to_lowercase();
                if !is_domain(&d) {
                    return Err(format!("not a domain: {d:?}"));
                }
                Ok(Item::Domain { domain: d })
            }
            ImportType::Bookmarks => {
                let u = cell(self.uri);
                match url::Url::parse(u) {
                    Ok(url) if matches!(url.scheme(), "https" | "http") && url.host().is_some() => {
                        Ok(Item::Status { uri: u.to_owned() })
                    }
                    _ => Err(format!("not an http(s) URI: {u:?}")),
                }
            }
        }
    }
}

/// Mastodon's boolean cast (`ActiveModel::Type::Boolean`): blank is unset; `false`, `f`, `0`,
/// `off` (any case) are false; anything else is true.
fn boolean(s: &str) -> Option<bool> {
    if s.is_empty() {
        return None;
    }
    Some(!matches!(
        s.to_ascii_lowercase().as_str(),
        "false" | "f" | "0" | "off"
    ))
}

/// An account address without its leading `@`, and without `@local` for a local account;
/// `Err` with the reason when it is not `user` or `user@domain`.
fn account_address(s: &str, local: &str) -> Result<String, String> {
    let a = s.trim().trim_start_matches('@');
    let (user, domain) = match a.split_once('@') {
        Some((u, d)) => (u, Some(d)),
        None => (a, None),
    };
    let user_ok = !user.is_empty()
        && user
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    let domain_ok = domain.is_none_or(|d| is_domain(&d.to_lowercase()));
    if !user_ok || !domain_ok {
        return Err(format!("malformed account address: {s:?}"));
    }
    Ok(match domain {
        Some(d) if d.eq_ignore_ascii_case(local) => user.to_owned(),
        Some(d) => format!("{user}@{}", d.to_lowercase()),
        None => user.to_owned(),
    })
}

/// A host name: dot-separated labels of letters (any script), digits and `-`, not starting or
/// ending with `-`, with a dot (as Mastodon's domain validator), an optional `:port`.
fn is_domain(d: &str) -> bool {
    let (host, port) = match d.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (d, None),
    };
    if port.is_some_and(|p| p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit())) {
        return false;
    }
    host.len() <= 253
        && host.contains('.')
        && host.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn rows(kind: ImportType, text: &str) -> Vec<ParsedRow> {
        parse(kind, text.as_bytes(), "wool.example").unwrap()
    }
    fn kind_of(e: Error) -> BadFile {
        match e {
            Error::BadImportFile(k, _) => k,
            other => panic!("not a bad file: {other}"),
        }
    }

    #[test]
    fn follows_with_a_header_read_every_column() {
        let r = rows(
            ImportType::Following,
            "Account address,Show boosts,Notify on new posts,Languages\n\
             bob@remote.example,false,true,\"en, fr\"\n@carol@Other.Example,true,false,\n",
        );
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].line, 2);
        assert_eq!(
            r[0].item,
            Ok(Item::Account {
                acct: "bob@remote.example".into(),
                show_reblogs: Some(false),
                notify: Some(true),
                languages: Some(vec!["en".into(), "fr".into()]),
                hide_notifications: None,
            })
        );
        assert_eq!(
            r[1].item.as_ref().unwrap().acct(),
            Some("carol@other.example")
        );
    }

    #[test]
    fn a_bare_list_of_addresses_is_a_follows_file() {
        let r = rows(
            ImportType::Following,
            "bob@remote.example\nalice@wool.example\n",
        );
        assert_eq!(r.len(), 2);
        assert_eq!(r[1].item.as_ref().unwrap().acct(), Some("alice"));
    }

    #[test]
    fn bom_crlf_and_blank_lines_are_read() {
        let r = rows(
            ImportType::Muting,
            "\u{feff}Account address,Hide notifications\r\nbob@remote.example,false\r\n\r\ncarol@remote.example,true\r\n",
        );
        assert_eq!(r.len(), 2);
        assert!(matches!(
            &r[0].item,
            Ok(Item::Account {
                hide_notifications: Some(false),
                ..
            })
        ));
    }

    #[test]
    fn list_names_may_hold_commas() {
        let r = rows(
            ImportType::Lists,
            "\"Friends, old and new\",bob@remote.example\nWork,carol@remote.example\n",
        );
        assert_eq!(
            r[0].item,
            Ok(Item::ListMember {
                list: "Friends, old and new".into(),
                acct: "bob@remote.example".into()
            })
        );
    }

    #[test]
    fn bad_rows_are_skipped_with_a_reason() {
        let r = rows(
            ImportType::Blocking,
            "bob@remote.example\nnot an address\nbob@-bad-.example\n@\n",
        );
        assert!(r[0].item.is_ok());
        for row in &r[1..] {
            let s = row.item.as_ref().unwrap_err();
            assert!(s.reason.starts_with("malformed account address"), "{s:?}");
        }
        let d = rows(ImportType::DomainBlocking, "Spam.Example\nnot a domain\n");
        assert_eq!(
            d[0].item,
            Ok(Item::Domain {
                domain: "spam.example".into()
            })
        );
        assert!(d[1].item.is_err());
        let b = rows(
            ImportType::Bookmarks,
            "https://remote.example/users/bob/statuses/1\nftp://x.example/1\n",
        );
        assert!(b[0].item.is_ok());
        assert!(b[1].item.is_err());
    }

    #[test]
    fn bad_files_are_refused_with_their_kind() {
        let local = "wool.example";
        let p = |k, b: &[u8]| kind_of(parse(k, b, local).unwrap_err());
        assert_eq!(p(ImportType::Following, b""), BadFile::Empty);
        assert_eq!(
            p(ImportType::Following, b"\xEF\xBB\xBF\r\n\r\n"),
            BadFile::Empty
        );
        assert_eq!(
            p(ImportType::Following, b"Account address,Show boosts\n"),
            BadFile::Empty
        );
        assert_eq!(
            p(ImportType::Following, b"\x89PNG\r\n\x1a\n\0\0"),
            BadFile::NotText
        );
        assert_eq!(
            p(ImportType::Following, b"caf\xe9@x.example"),
            BadFile::NotText
        );
        assert_eq!(
            p(ImportType::Following, &vec![b'a'; MAX_BYTES + 1]),
            BadFile::TooLarge
        );
        let many = "bob@remote.example\n".repeat(MAX_ROWS + 1);
        assert_eq!(
            p(ImportType::Blocking, many.as_bytes()),
            BadFile::TooManyRows
        );
        assert_eq!(
            rows(
                ImportType::Blocking,
                &"bob@remote.example\n".repeat(MAX_ROWS)
            )
            .len(),
            MAX_ROWS
        );
        // A follows file given as domain blocks, mutes as follows, follows as lists.
        assert_eq!(
            p(
                ImportType::DomainBlocking,
                b"Account address,Show boosts,Notify on new posts,Languages\nbob@r.example,true,false,\n"
            ),
            BadFile::WrongHeader
        );
        assert_eq!(
            p(
                ImportType::Following,
                b"Account address,Hide notifications\nbob@r.example,true\n"
            ),
            BadFile::WrongHeader
        );
        assert_eq!(
            p(ImportType::Lists, b"Account address\nbob@r.example\n"),
            BadFile::WrongHeader
        );
        assert_eq!(
            p(ImportType::Following, b"\"unclosed,x\n"),
            BadFile::Malformed
        );
    }

    #[test]
    fn types_parse_both_spellings() {
        assert_eq!(ImportType::parse("follows"), Some(ImportType::Following));
        assert_eq!(
            ImportType::parse("domain-blocks"),
            Some(ImportType::DomainBlocking)
        );
        assert_eq!(
            ImportType::parse("domain_blocking"),
            Some(ImportType::DomainBlocking)
        );
        assert_eq!(ImportType::parse("statuses"), None);
    }
}
