//! Reports: filed by local accounts (`POST /api/v1/reports`) or received from other servers
//! as `Flag`s ([`super::flag`]), notified to staff (`admin.report`), handled by staff
//! (assign, resolve, reopen) through the admin API and `woolly admin reports`.
//!
//! A report is a record in `reports`; its id is listed in three collections per state
//! (open or resolved), so that every filter of the admin list pages straight from the store:
//! all reports (`reports:{state}`), the reports an account filed (`reports_by:{account}:{state}`) and the reports on
//! an account (`reports_on:{account}:{state}`). Resolving or reopening moves the id between the `open` and
//! `resolved` collections in one batch.

use activitypub_core::engine::Recipients;
use fedi_storage::{Page, PageRequest, WriteBatch};
use serde::{Deserialize, Serialize};

use crate::app::activitypub::oid;
use crate::app::{App, Status};
use crate::error::Error;

/// Report id → [`Report`].
pub(super) const REPORTS: &str = "reports";

/// `{reporter}:{target}:{Flag id}` → report id: the `Flag`s already filed.
const BY_FLAG: &str = "reports.by_flag";

/// The longest comment of a local report (Mastodon's limit).
pub const MAX_COMMENT: usize = 1000;
/// The longest comment kept from a remote `Flag` (Mastodon keeps 5000 characters).
pub const MAX_REMOTE_COMMENT: usize = 5000;

fn state(resolved: bool) -> &'static str {
    if resolved {
        "resolved"
    } else {
        "open"
    }
}
/// Every report in a state (ids keyed by id).
fn open_all(resolved: bool) -> String {
    format!("reports:{}", state(resolved))
}
/// The reports an account filed, in a state.
fn open_by(account: u64, resolved: bool) -> String {
    format!("reports_by:{account}:{}", state(resolved))
}
/// The reports on an account, in a state.
fn open_on(account: u64, resolved: bool) -> String {
    format!("reports_on:{account}:{}", state(resolved))
}

/// Mastodon's report categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportCategory {
    /// Spam.
    Spam,
    /// Illegal content.
    Legal,
    /// Breaks one or more of the instance's rules (`rule_ids`).
    Violation,
    /// Anything else.
    Other,
}

impl ReportCategory {
    /// Mastodon's name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportCategory::Spam => "spam",
            ReportCategory::Legal => "legal",
            ReportCategory::Violation => "violation",
            ReportCategory::Other => "other",
        }
    }
    /// Mastodon's name parsed.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "spam" => ReportCategory::Spam,
            "legal" => ReportCategory::Legal,
            "violation" => ReportCategory::Violation,
            "other" => ReportCategory::Other,
            _ => return None,
        })
    }
}

/// A report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Id.
    pub id: u64,
    /// Who filed it: a local account, or the remote actor that sent the `Flag`.
    pub account_id: u64,
    /// The reported account.
    pub target_account_id: u64,
    /// The reported statuses (the target's).
    #[serde(default)]
    pub status_ids: Vec<u64>,
    /// The rules broken (category `violation`).
    #[serde(default)]
    pub rule_ids: Vec<u64>,
    /// The reporter's comment.
    #[serde(default)]
    pub comment: String,
    /// Category.
    pub category: ReportCategory,
    /// A `Flag` was sent to the target's server.
    #[serde(default)]
    pub forwarded: bool,
    /// The `Flag`'s id (received, or sent when forwarded).
    #[serde(default)]
    pub uri: Option<String>,
    /// The staff account handling it.
    #[serde(default)]
    pub assigned_account_id: Option<u64>,
    /// When it was resolved (ms); `None` while open.
    #[serde(default)]
    pub action_taken_at: Option<u64>,
    /// Who resolved it.
    #[serde(default)]
    pub action_taken_by_account_id: Option<u64>,
    /// Created (ms).
    pub created_at: u64,
    /// Last changed (ms).
    pub updated_at: u64,
}

impl Report {
    /// Whether it was resolved.
    pub fn resolved(&self) -> bool {
        self.action_taken_at.is_some()
    }
}

/// What a local account reports (`POST /api/v1/reports`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewReport {
    /// The reported account.
    pub target_account_id: u64,
    /// Statuses of that account.
    pub status_ids: Vec<u64>,
    /// Comment (at most [`MAX_COMMENT`] characters).
    pub comment: String,
    /// `spam`, `legal`, `violation` or `other` (`other` when absent; `violation` whenever
    /// `rule_ids` are given, as Mastodon does).
    pub category: Option<String>,
    /// Rules broken.
    pub rule_ids: Vec<u64>,
    /// Send a `Flag` to the target's server (remote targets).
    pub forward: bool,
    /// The domains to forward to (the target's and those of accounts its reported statuses
    /// reply to); `None`: the target's.
    pub forward_to_domains: Option<Vec<String>>,
}

/// Which reports the admin list shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReportFilter {
    /// Resolved ones instead of open ones.
    pub resolved: bool,
    /// Filed by this account.
    pub account_id: Option<u64>,
    /// About this account.
    pub target_account_id: Option<u64>,
}

fn unprocessable(what: &str) -> Error {
    Error::Unprocessable(format!("Validation failed: {what}"))
}

impl App {
    /// A report (`404` if there is none).
    pub async fn report(&self, id: u64) -> Result<Report, Error> {
        self.get(REPORTS, &id.to_string())
            .await?
            .ok_or_else(|| Error::NotFound(format!("report {id}")))
    }

    /// Several reports by id in one store call (missing ones left out).
    pub async fn reports_by_id(&self, ids: &[u64]) -> Result<Vec<Report>, Error> {
        let keys: Vec<String> = ids.iter().map(u64::to_string).collect();
        Ok(self
            .get_many::<Report>(REPORTS, &keys)
            .await?
            .into_iter()
            .flatten()
            .collect())
    }

    /// Files a report by local account `reporter`, with Mastodon's rules: the target must
    /// exist and not be gone (`404`), the statuses must exist and be the target's (`404`),
    /// the comment at most [`MAX_COMMENT`] characters, the category one of Mastodon's, and a
    /// `violation` must cite existing rules (`422`). Staff are notified (unless an earlier
    /// report on the same account is still open); with `forward`, a `Flag` from the instance
    /// actor goes to the remote target's server (and the servers of the accounts the
    /// reported statuses reply to, among `forward_to_domains`).
    pub async fn create_report(&self, reporter: u64, new: NewReport) -> Result<Report, Error> {
        let target = self
            .account(new.target_account_id)
            .await
            .map_err(|_| Error::NotFound("Record not found".into()))?;
        if target.deleted {
            return Err(Error::NotFound("Record not found".into()));
        }
        let mut status_ids = new.status_ids.clone();
        status_ids.sort_unstable();
        status_ids.dedup();
        let keys: Vec<String> = status_ids.iter().map(u64::to_string).collect();
        let statuses: Vec<Option<Status>> = self
            .get_many(crate::app::model::ns::STATUSES, &keys)
            .await?;
        let mut reported = Vec::with_capacity(statuses.len());
        for s in statuses {
            match s {
                Some(s) if s.account_id == target.id => reported.push(s),
                _ => return Err(Error::NotFound("Record not found".into())),
            }
        }
        if new.comment.chars().count() > MAX_COMMENT {
            return Err(unprocessable(&format!(
                "Comment is too long (maximum is {MAX_COMMENT} characters)"
            )));
        }
        let category = if !new.rule_ids.is_empty() {
            ReportCategory::Violation
        } else {
            match new
                .category
                .as_deref()
                .map(str::trim)
                .filter(|c| !c.is_empty())
            {
                None => ReportCategory::Other,
                Some(c) => ReportCategory::parse(c)
                    .ok_or_else(|| unprocessable("Category is not included in the list"))?,
            }
        };
        let mut rule_ids = new.rule_ids.clone();
        rule_ids.sort_unstable();
        rule_ids.dedup();
        if category == ReportCategory::Violation {
            let found = self.rules_by_id(&rule_ids).await?;
            if rule_ids.is_empty() || found.len() != rule_ids.len() {
                return Err(unprocessable("Rule ids does not reference valid rules"));
            }
        }
        let forward = new.forward && !target.is_local();
        let domains: Vec<String> = match &new.forward_to_domains {
            Some(d) if !d.is_empty() => d
                .iter()
                .map(|d| d.trim().to_lowercase())
                .filter(|d| !d.is_empty())
                .collect(),
            _ => target.domain.iter().map(|d| d.to_lowercase()).collect(),
        };
        let to_origin = forward
            && target
                .domain
                .as_ref()
                .is_some_and(|d| domains.contains(&d.to_lowercase()));
        let now = self.now_ms();
        let id = self.inner.ids.next(now);
        let report = Report {
            id,
            account_id: reporter,
            target_account_id: target.id,
            status_ids: reported.iter().map(|s| s.id).collect(),
            rule_ids: if category == ReportCategory::Violation {
                rule_ids
            } else {
                Vec::new()
            },
            comment: new.comment.clone(),
            category,
            forwarded: to_origin,
            uri: forward.then(|| self.flag_uri()),
            assigned_account_id: None,
            action_taken_at: None,
            action_taken_by_account_id: None,
            created_at: now,
            updated_at: now,
        };
        let siblings = self.has_open_reports_on(target.id).await?;
        self.store_new_reports(std::slice::from_ref(&report))
            .await?;
        if !siblings {
            self.notify_staff(&report).await?;
        }
        if forward {
            self.forward_report(&report, &target, &reported, &domains, to_origin)
                .await?;
        }
        Ok(report)
    }

    /// Whether an account has an open report on it.
    pub(super) async fn has_open_reports_on(&self, target: u64) -> Result<bool, Error> {
        Ok(self.store().count(&open_on(target, false)).await? > 0)
    }

    /// Writes new (open) reports and their list entries in one batch.
    pub(super) async fn store_new_reports(&self, reports: &[Report]) -> Result<(), Error> {
        let mut batch = WriteBatch::new();
        for r in reports {
            let key = r.id.to_string();
            batch = batch
                .kv_put(REPORTS, key.clone(), serde_json::to_vec(r)?)
                .insert(open_all(false), r.id, key.clone())
                .insert(open_by(r.account_id, false), r.id, key.clone())
                .insert(open_on(r.target_account_id, false), r.id, key.clone());
            if let Some(uri) = &r.uri {
                batch = batch.kv_put(
                    BY_FLAG,
                    format!("{}:{}:{uri}", r.account_id, r.target_account_id),
                    key.into_bytes(),
                );
            }
        }
        self.store().apply(&batch).await?;
        Ok(())
    }

    /// Whether `reporter`'s `Flag` `uri` was already filed against `target`.
    pub(super) async fn flag_already_filed(
        &self,
        uri: &str,
        reporter: u64,
        target: u64,
    ) -> Result<bool, Error> {
        Ok(self
            .get_str(BY_FLAG, &format!("{reporter}:{target}:{uri}"))
            .await?
            .is_some())
    }

    /// A fresh id for a `Flag` (Mastodon's: a UUID under the instance's root).
    fn flag_uri(&self) -> String {
        use rand::RngCore;
        let mut b = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut b);
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
        format!(
            "{}/{}-{}-{}-{}-{}",
            self.base(),
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    }

    /// Sends the report's `Flag` from the instance actor, as Mastodon does: to the target's
    /// inbox when its domain is among `domains`, and to the inboxes of the remote accounts
    /// the reported statuses reply to whose domains are among them.
    async fn forward_report(
        &self,
        report: &Report,
        target: &crate::app::Account,
        statuses: &[Status],
        domains: &[String],
        to_origin: bool,
    ) -> Result<(), Error> {
        let Some(uri) = &report.uri else {
            return Ok(());
        };
        let mut objects = vec![oid(&target.actor)?];
        for s in statuses {
            objects.push(oid(&s.uri)?);
        }
        let actor = self.engine().config().instance_actor.clone();
        let mut flag =
            activitypub_core::builder::flag(&oid(uri)?, &actor, &report.comment, &objects);
        flag.base.to = Some(activitypub_core::OneOrMany::One(target.actor.clone()));
        let mut audience = Recipients::new();
        let mut skip = Vec::new();
        if to_origin {
            if let Some(inbox) = target.inbox.clone().or(target.shared_inbox.clone()) {
                audience = audience.inbox(inbox);
            }
            skip.extend(target.inbox.clone());
            skip.extend(target.shared_inbox.clone());
        }
        let replied: Vec<u64> = statuses
            .iter()
            .filter_map(|s| s.in_reply_to_account_id)
            .filter(|a| *a != target.id)
            .collect();
        for a in self.accounts_by_id(&replied).await?.into_iter().flatten() {
            let in_domains = a
                .domain
                .as_ref()
                .is_some_and(|d| domains.contains(&d.to_lowercase()));
            if !in_domains {
                continue;
            }
            if let Some(inbox) = a.inbox.clone() {
                if !skip.contains(&inbox) {
                    skip.push(inbox.clone());
                    audience = audience.inbox(inbox);
                }
            }
        }
        if audience.inboxes.is_empty() {
            return Ok(());
        }
        let body = serde_json::to_vec(&flag)?;
        let report = self.engine().deliver(&body, &actor, &audience).await?;
        for (who, why) in report.unresolved {
            tracing::info!(%who, %why, "report not forwarded");
        }
        Ok(())
    }

    /// A page of reports for the admin API, newest first, with the raw page (for `Link`).
    /// With both `account_id` and `target_account_id`, the target's list is paged and the
    /// reporter filtered out of it (the page may then be shorter than asked).
    pub async fn admin_reports(
        &self,
        filter: ReportFilter,
        req: &PageRequest,
    ) -> Result<(Vec<Report>, Page), Error> {
        let list = match (filter.target_account_id, filter.account_id) {
            (Some(t), _) => open_on(t, filter.resolved),
            (None, Some(a)) => open_by(a, filter.resolved),
            (None, None) => open_all(filter.resolved),
        };
        let page = self.store().page(&list, req).await?;
        let ids: Vec<u64> = page
            .items
            .iter()
            .filter_map(|i| i.member.parse().ok())
            .collect();
        let reports = self
            .reports_by_id(&ids)
            .await?
            .into_iter()
            .filter(|r| filter.account_id.is_none_or(|a| r.account_id == a))
            .collect();
        Ok((reports, page))
    }

    /// Assigns a report to staff account `staff` (`None`: unassigns it).
    pub async fn assign_report(&self, id: u64, staff: Option<u64>) -> Result<Report, Error> {
        let _guard = lock_reports().await;
        let mut r = self.report(id).await?;
        r.assigned_account_id = staff;
        r.updated_at = self.now_ms();
        self.put(REPORTS, &id.to_string(), &r).await?;
        Ok(r)
    }

    /// Changes a report's category and rules (`PUT /api/v1/admin/reports/:id`): `category`
    /// one of Mastodon's (`422` otherwise); a `violation` must cite existing rules (`422`),
    /// another category cites none.
    pub async fn update_report(
        &self,
        id: u64,
        category: Option<&str>,
        rule_ids: Option<Vec<u64>>,
    ) -> Result<Report, Error> {
        let _guard = lock_reports().await;
        let mut r = self.report(id).await?;
        if let Some(c) = category.map(str::trim).filter(|c| !c.is_empty()) {
            r.category = ReportCategory::parse(c)
                .ok_or_else(|| unprocessable("Category is not included in the list"))?;
        }
        if let Some(mut ids) = rule_ids {
            ids.sort_unstable();
            ids.dedup();
            r.rule_ids = ids;
        }
        if r.category == ReportCategory::Violation {
            let found = self.rules_by_id(&r.rule_ids).await?;
            if r.rule_ids.is_empty() || found.len() != r.rule_ids.len() {
                return Err(unprocessable("Rule ids does not reference valid rules"));
            }
        } else {
            r.rule_ids.clear();
        }
        r.updated_at = self.now_ms();
        self.put(REPORTS, &id.to_string(), &r).await?;
        Ok(r)
    }

    /// Resolves (`resolved`) or reopens a report, moving it between the open and resolved
    /// lists; doing it again changes nothing.
    pub async fn set_report_resolved(
        &self,
        id: u64,
        by: Option<u64>,
        resolved: bool,
    ) -> Result<Report, Error> {
        let _guard = lock_reports().await;
        let mut r = self.report(id).await?;
        if r.resolved() == resolved {
            return Ok(r);
        }
        let now = self.now_ms();
        r.updated_at = now;
        if resolved {
            r.action_taken_at = Some(now);
            r.action_taken_by_account_id = by;
        } else {
            r.action_taken_at = None;
            r.action_taken_by_account_id = None;
        }
        let key = id.to_string();
        let mut batch = WriteBatch::new().kv_put(REPORTS, key.clone(), serde_json::to_vec(&r)?);
        for (from, to) in [
            (open_all(!resolved), open_all(resolved)),
            (
                open_by(r.account_id, !resolved),
                open_by(r.account_id, resolved),
            ),
            (
                open_on(r.target_account_id, !resolved),
                open_on(r.target_account_id, resolved),
            ),
        ] {
            batch = batch.remove(from, key.clone()).insert(to, id, key.clone());
        }
        self.store().apply(&batch).await?;
        Ok(r)
    }
}

/// Serializes changes of existing reports (read, change, write) within this process.
async fn lock_reports() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}
