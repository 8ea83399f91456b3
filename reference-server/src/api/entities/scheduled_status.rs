//! Mastodon's `ScheduledStatus` (with its `params`).

use serde::Serialize;

use super::MediaAttachment;
use crate::app::activitypub::rfc3339;
use crate::app::{self, App};

/// Mastodon's `ScheduledStatus`: a status to be posted at `scheduled_at`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ScheduledStatus {
    /// Id.
    pub id: String,
    /// When it will be posted (RFC 3339).
    pub scheduled_at: String,
    /// What will be posted.
    pub params: ScheduledParams,
    /// Its media attachments, in order.
    pub media_attachments: Vec<MediaAttachment>,
}

/// The parameters a scheduled status will be posted with, as Mastodon shows them.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ScheduledParams {
    /// The text.
    pub text: String,
    /// Its poll, as Mastodon shows the parameters (`null` without one).
    pub poll: Option<ScheduledPoll>,
    /// Media attachment ids (`null` without media).
    pub media_ids: Option<Vec<String>>,
    /// Sensitive.
    pub sensitive: bool,
    /// Content warning (`null` when empty).
    pub spoiler_text: Option<String>,
    /// Visibility (`null`: the account's default).
    pub visibility: Option<&'static str>,
    /// The parent's id.
    pub in_reply_to_id: Option<String>,
    /// Language.
    pub language: Option<String>,
    /// The OAuth application it was scheduled with.
    pub application_id: Option<u64>,
    /// Always `null` (the time is the entity's own `scheduled_at`).
    pub scheduled_at: (),
    /// The `Idempotency-Key` it was scheduled with.
    pub idempotency: Option<String>,
    /// Whether rate limits applied (never here).
    pub with_rate_limit: bool,
}

/// The poll of a scheduled status's `params`, as Mastodon keeps the request's parameters
/// (`expires_in` a string of seconds).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ScheduledPoll {
    /// The options, in order.
    pub options: Vec<String>,
    /// Seconds from posting until it ends.
    pub expires_in: String,
    /// Several options may be chosen.
    pub multiple: bool,
    /// Counts are hidden until it ends.
    pub hide_totals: bool,
}

impl ScheduledStatus {
    /// The entity of `s`, its media found in `media`.
    pub(crate) fn new(
        app: &App,
        s: &app::ScheduledStatus,
        media: &[app::MediaAttachment],
    ) -> ScheduledStatus {
        let p = &s.params;
        ScheduledStatus {
            id: s.id.to_string(),
            scheduled_at: rfc3339(s.scheduled_at),
            params: ScheduledParams {
                text: p.text.clone(),
                poll: p.poll.as_ref().map(|n| ScheduledPoll {
                    options: n.options.clone(),
                    expires_in: n.expires_in.to_string(),
                    multiple: n.multiple,
                    hide_totals: n.hide_totals,
                }),
                media_ids: (!p.media_ids.is_empty())
                    .then(|| p.media_ids.iter().map(u64::to_string).collect()),
                sensitive: p.sensitive,
                spoiler_text: Some(p.spoiler_text.clone()).filter(|t| !t.is_empty()),
                visibility: p.visibility.map(|v| v.as_str()),
                in_reply_to_id: p.in_reply_to_id.map(|i| i.to_string()),
                language: p.language.clone(),
                application_id: s.application_id,
                scheduled_at: (),
                idempotency: p.idempotency.clone(),
                with_rate_limit: false,
            },
            media_attachments: p
                .media_ids
                .iter()
                .filter_map(|id| media.iter().find(|m| m.id == *id))
                .map(|m| MediaAttachment::new(app, m))
                .collect(),
        }
    }
}
