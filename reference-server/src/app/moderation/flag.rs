//! `Flag`s from other servers: each local account it names becomes a report filed by the
//! sending actor, with the local statuses it names that are that account's, as Mastodon
//! does (`ActivityPub::Activity::Flag`).
//!
//! Shapes read (fixtures under `tests/fixtures/moderation/`): Mastodon's (`object`: the
//! account then its statuses, as ids; `content`: the comment), Misskey's (the same, sent by
//! its system actor), Pleroma's and Akkoma's (`object` may embed the statuses as objects
//! with an `id`), Mbin's (`content` and `summary`, the post named alone). Local accounts and
//! statuses are found by their ids or by their pages (`/@name`, `/@name/{id}`). A `Flag` that names
//! only statuses is reported against their authors (Mbin's shape; Mastodon drops it). A
//! `Flag` without an `object`, or whose `object` holds no id, is refused with a typed error
//! and leaves nothing behind; one that names nothing local is ignored; a `Flag` already
//! received (same id and account) is not filed twice.

use std::collections::BTreeMap;

use activitypub_core::engine::InboxActivity;
use activitypub_core::Reference;

use super::reports::{Report, ReportCategory, MAX_REMOTE_COMMENT};
use crate::app::{Account, App, Status};
use crate::error::Error;

/// Why a `Flag` was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FlagError {
    /// It has no `object`.
    #[error("Flag without an object")]
    NoObject,
    /// Its `object` names nothing by id.
    #[error("Flag whose object holds no id")]
    NoIds,
    /// Too many objects (more than [`MAX_FLAG_OBJECTS`]).
    #[error("Flag naming more than {MAX_FLAG_OBJECTS} objects")]
    TooManyObjects,
}

impl From<FlagError> for Error {
    fn from(e: FlagError) -> Self {
        Error::Unprocessable(e.to_string())
    }
}

/// The most objects a `Flag` may name (Mastodon's report form takes up to 100 statuses).
pub const MAX_FLAG_OBJECTS: usize = 200;

/// The ids a `Flag`'s `object` names, in order (embedded objects by their `id`).
pub fn flag_object_ids(a: &activitypub_core::Activity) -> Result<Vec<String>, FlagError> {
    let objects = a.object.as_ref().ok_or(FlagError::NoObject)?;
    let refs = objects.as_slice();
    if refs.len() > MAX_FLAG_OBJECTS {
        return Err(FlagError::TooManyObjects);
    }
    let ids: Vec<String> = refs
        .iter()
        .filter_map(|r| match r {
            Reference::Id(id) => Some(id.as_str().to_owned()),
            Reference::Object(o) => o.object().id.as_ref().map(|i| i.as_str().to_owned()),
        })
        .collect();
    if ids.is_empty() {
        return Err(FlagError::NoIds);
    }
    Ok(ids)
}

/// The username of a local profile page URL (`/@name`), as Mastodon reads one in a `Flag`.
fn profile_name(iri: &str) -> Option<String> {
    let url = url::Url::parse(iri).ok()?;
    let mut segs = url.path_segments()?;
    let name = segs.next()?.strip_prefix('@')?;
    (segs.next().is_none() && !name.is_empty() && !name.contains('@')).then(|| name.to_owned())
}

/// The status id of a local status page URL (`/@name/{id}`).
fn status_page_id(iri: &str) -> Option<u64> {
    let url = url::Url::parse(iri).ok()?;
    let segs: Vec<&str> = url.path_segments()?.collect();
    match segs.as_slice() {
        [user, id] if user.starts_with('@') => id.parse().ok(),
        _ => None,
    }
}

impl App {
    /// Applies a `Flag` from `actor` (see the module documentation); returns the reports
    /// filed.
    pub(crate) async fn on_flag(
        &self,
        a: &InboxActivity,
        actor: &Account,
    ) -> Result<Vec<Report>, Error> {
        let ids = flag_object_ids(&a.activity)?;
        let base = &a.activity.base;
        let comment: String = base
            .content
            .clone()
            .or_else(|| base.summary.clone())
            .unwrap_or_default()
            .chars()
            .take(MAX_REMOTE_COMMENT)
            .collect();
        let uri = base.id.as_ref().map(|i| i.as_str().to_owned());
        let mut targets: Vec<u64> = Vec::new();
        let mut statuses: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
        for id in &ids {
            if !self.is_local_iri(id) {
                continue;
            }
            let account = match self.account_by_iri(id).await? {
                Some(a) => Some(a),
                None => match profile_name(id) {
                    Some(name) => self.account_by_acct(&name).await?,
                    None => None,
                },
            };
            if let Some(acc) = account {
                if acc.is_local() && !acc.deleted && !targets.contains(&acc.id) {
                    targets.push(acc.id);
                }
                continue;
            }
            let status: Option<Status> = match self.status_by_uri(id).await? {
                Some(s) => Some(s),
                None => match status_page_id(id) {
                    Some(sid) => self.status(sid).await.ok(),
                    None => None,
                },
            };
            if let Some(s) = status.filter(|s| s.local) {
                let list = statuses.entry(s.account_id).or_default();
                if !list.contains(&s.id) {
                    list.push(s.id);
                }
            }
        }
        if targets.is_empty() {
            targets.extend(statuses.keys().copied());
        }
        let now = self.now_ms();
        let mut reports = Vec::new();
        for target in targets {
            if let Some(u) = &uri {
                if self.flag_already_filed(u, actor.id, target).await? {
                    continue;
                }
            }
            reports.push(Report {
                id: self.inner.ids.next(now),
                account_id: actor.id,
                target_account_id: target,
                status_ids: statuses.remove(&target).unwrap_or_default(),
                rule_ids: Vec::new(),
                comment: comment.clone(),
                category: ReportCategory::Other,
                forwarded: false,
                uri: uri.clone(),
                assigned_account_id: None,
                action_taken_at: None,
                action_taken_by_account_id: None,
                created_at: now,
                updated_at: now,
            });
        }
        let mut notify = Vec::new();
        for r in &reports {
            if !self.has_open_reports_on(r.target_account_id).await? {
                notify.push(r.clone());
            }
        }
        self.store_new_reports(&reports).await?;
        for r in &notify {
            self.notify_staff(r).await?;
        }
        Ok(reports)
    }

    /// Whether `iri` is on this server.
    fn is_local_iri(&self, iri: &str) -> bool {
        self.engine().config().is_local(iri)
    }
}
