//! Mastodon's `Poll` and its options.

use serde::Serialize;

use super::Nothing;
use crate::app::activitypub::rfc3339;
use crate::app::model;
use crate::app::{Loaded, PollTally};

/// Mastodon's `Poll`: its id is its status's. `voted` and `own_votes` are present only with
/// a viewer.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Poll {
    /// Id (the status's).
    pub id: String,
    /// When it ends (RFC 3339), if it does.
    pub expires_at: Option<String>,
    /// Whether it has ended.
    pub expired: bool,
    /// Several options may be chosen.
    pub multiple: bool,
    /// Votes in all.
    pub votes_count: u64,
    /// Accounts that voted (`null` for a one-choice poll, as on Mastodon's entity docs).
    pub voters_count: Option<u64>,
    /// The options.
    pub options: Vec<PollOption>,
    /// Custom emojis: none.
    pub emojis: Nothing,
    /// Whether the viewer voted (only with a viewer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voted: Option<bool>,
    /// The options the viewer chose (only with a viewer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub own_votes: Option<Vec<usize>>,
}

/// One option of a poll.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PollOption {
    /// Its text.
    pub title: String,
    /// Its votes (`null` while totals are hidden and the poll runs).
    pub votes_count: Option<u64>,
}

impl Poll {
    /// The poll of status `s` (`None` if it has none) at `now_ms`, as `l`'s viewer sees it.
    pub(crate) fn from_loaded(s: &model::Status, l: &Loaded, now_ms: u64) -> Option<Poll> {
        let p = s.poll.as_ref()?;
        let empty = PollTally::default();
        let tally = l.poll_tally(s.id).unwrap_or(&empty);
        let expired = p.expired(now_ms);
        let hidden = p.hide_totals && !expired;
        let own = l.viewer().map(|v| {
            if v == s.account_id {
                // The author of a poll cannot vote in it (and counts as having voted).
                Vec::new()
            } else {
                l.own_votes(s.id).map(<[usize]>::to_vec).unwrap_or_default()
            }
        });
        Some(Poll {
            id: s.id.to_string(),
            expires_at: p.expires_at.map(rfc3339),
            expired,
            multiple: p.multiple,
            votes_count: tally.votes(),
            voters_count: p.multiple.then_some(tally.voters),
            options: p
                .options
                .iter()
                .enumerate()
                .map(|(i, title)| PollOption {
                    title: title.clone(),
                    votes_count: (!hidden).then(|| tally.options.get(i).copied().unwrap_or(0)),
                })
                .collect(),
            emojis: [],
            voted: own
                .as_ref()
                .map(|o| !o.is_empty() || l.viewer() == Some(s.account_id)),
            own_votes: own,
        })
    }
}
