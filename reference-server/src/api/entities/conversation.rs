//! Mastodon's `Conversation`.

use serde::Serialize;

use super::{Account, Status};
use crate::app::{self, App, Loaded};

/// Mastodon's `Conversation`: `id`, `unread`, `accounts` (the other participants; the
/// viewer alone when there are none) and `last_status` (`null` once it cannot be shown).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Conversation {
    /// Id (a string, as Mastodon's).
    pub id: String,
    /// The newest status came from someone else and was not read.
    pub unread: bool,
    /// The participants.
    pub accounts: Vec<Account>,
    /// The newest status.
    pub last_status: Option<Status>,
}

impl Conversation {
    /// The entity of `c` from what [`App::load_conversations`] read.
    pub(crate) fn from_loaded(app: &App, c: &app::Conversation, l: &Loaded) -> Conversation {
        let ids: Vec<u64> = if c.participants.is_empty() {
            vec![c.account_id]
        } else {
            c.participants.clone()
        };
        Conversation {
            id: c.id.to_string(),
            unread: c.unread,
            accounts: ids
                .iter()
                .filter_map(|a| l.account(*a))
                .map(|a| Account::from_loaded(app, a, l))
                .collect(),
            last_status: l
                .status(c.last_status_id)
                .and_then(|s| Status::from_loaded(app, s, l)),
        }
    }
}
