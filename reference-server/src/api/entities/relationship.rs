//! Mastodon's `Relationship`.

use serde::Serialize;

use crate::app;

/// Mastodon's `Relationship` of the viewer to another account.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Relationship {
    /// The other account's id.
    pub id: String,
    /// The viewer follows it.
    pub following: bool,
    /// The viewer sees its boosts (when following or requested).
    pub showing_reblogs: bool,
    /// The viewer is notified of its statuses (never).
    pub notifying: bool,
    /// The languages the viewer follows it in (all: `null`).
    pub languages: Option<Vec<String>>,
    /// It follows the viewer.
    pub followed_by: bool,
    /// The viewer blocks it.
    pub blocking: bool,
    /// It blocks the viewer.
    pub blocked_by: bool,
    /// The viewer mutes it.
    pub muting: bool,
    /// The viewer mutes its notifications (as `muting`).
    pub muting_notifications: bool,
    /// The viewer's follow request is pending.
    pub requested: bool,
    /// It asked to follow the viewer.
    pub requested_by: bool,
    /// The viewer blocks its domain.
    pub domain_blocking: bool,
    /// Featured on the viewer's profile (never).
    pub endorsed: bool,
    /// The viewer's note on it (none).
    pub note: String,
}

impl From<&app::Relationship> for Relationship {
    fn from(r: &app::Relationship) -> Self {
        Relationship {
            id: r.id.to_string(),
            following: r.following,
            showing_reblogs: r.following || r.requested,
            notifying: false,
            languages: None,
            followed_by: r.followed_by,
            blocking: r.blocking,
            blocked_by: r.blocked_by,
            muting: r.muting,
            muting_notifications: r.muting_notifications,
            requested: r.requested,
            requested_by: r.requested_by,
            domain_blocking: r.domain_blocking,
            endorsed: false,
            note: String::new(),
        }
    }
}
