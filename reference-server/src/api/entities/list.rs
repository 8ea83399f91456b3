//! Mastodon's `List`.

use serde::Serialize;

use crate::app::UserList;

/// Mastodon's `List`: `id`, `title`, `replies_policy` (`followed`, `list` or `none`) and
/// `exclusive` (Mastodon 4.2).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct List {
    /// Id (a string, as Mastodon's).
    pub id: String,
    /// Title.
    pub title: String,
    /// Which replies it shows.
    pub replies_policy: &'static str,
    /// Its members' posts stay out of the home timeline.
    pub exclusive: bool,
}

impl From<&UserList> for List {
    fn from(l: &UserList) -> Self {
        List {
            id: l.id.to_string(),
            title: l.title.clone(),
            replies_policy: l.replies_policy.as_str(),
            exclusive: l.exclusive,
        }
    }
}
