//! Mastodon's `Notification`.

use serde::Serialize;

use super::{Account, Status};
use crate::app::activitypub::rfc3339;
use crate::app::model;
use crate::app::{App, Loaded};

/// Mastodon's `Notification`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Notification {
    /// Id.
    pub id: String,
    /// `mention`, `follow`, `favourite` …
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Created (RFC 3339).
    pub created_at: String,
    /// The group it belongs to (`ungrouped-{id}`: itself).
    pub group_key: String,
    /// `true` for a notification the policy filtered (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filtered: Option<bool>,
    /// Who did it.
    pub account: Account,
    /// The status concerned, if any (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// The report, for `admin.report` (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<super::report::Report>,
}

impl Notification {
    /// The entity of `n` from what `l` holds (loaded by
    /// [`App::load_notifications`](crate::app::App::load_notifications)); `None` if who it
    /// is from, or the status it is about, is gone.
    pub(crate) fn from_loaded(app: &App, n: &model::Notification, l: &Loaded) -> Option<Self> {
        let from = l.account(n.from_account_id).filter(|a| !a.is_suspended())?;
        let status = match n.status_id {
            Some(sid) => Some(Status::from_loaded(app, l.status(sid)?, l)?),
            None => None,
        };
        let report = match n.report_id {
            Some(rid) => Some(super::report::Report::from_loaded(app, l.report(rid)?, l)?),
            None => None,
        };
        Some(Notification {
            id: n.id.to_string(),
            kind: n.kind.as_str(),
            created_at: rfc3339(n.created_at),
            group_key: n
                .group_key
                .clone()
                .unwrap_or_else(|| format!("ungrouped-{}", n.id)),
            filtered: n.filtered.then_some(true),
            account: Account::from_loaded(app, from, l),
            status,
            report,
        })
    }
}
