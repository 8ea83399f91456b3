//! Mastodon's `Rule`, `Report`, and the admin API's `Admin::Report` (its accounts are
//! [`AdminAccount`]s).

use serde::Serialize;
use serde_json::Value;

use super::{to_json, Account, AdminAccount, Status};
use crate::app::activitypub::rfc3339;
use crate::app::moderation::{Report as ReportRecord, Rule as RuleRecord};
use crate::app::{App, Loaded};
use crate::error::Error;

/// Mastodon's `Rule`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Rule {
    /// Id.
    pub id: String,
    /// The rule.
    pub text: String,
    /// A longer explanation (empty if none).
    pub hint: String,
}

impl Rule {
    /// The entity of a rule.
    pub(crate) fn new(r: &RuleRecord) -> Self {
        Rule {
            id: r.id.to_string(),
            text: r.text.clone(),
            hint: r.hint.clone(),
        }
    }
}

/// Mastodon's `Report` (what the reporter sees).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Report {
    /// Id.
    pub id: String,
    /// Resolved.
    pub action_taken: bool,
    /// When it was resolved.
    pub action_taken_at: Option<String>,
    /// `spam`, `legal`, `violation`, `other`.
    pub category: &'static str,
    /// The comment.
    pub comment: String,
    /// A `Flag` was sent to the target's server.
    pub forwarded: bool,
    /// Created.
    pub created_at: String,
    /// The reported statuses.
    pub status_ids: Vec<String>,
    /// The rules broken (`null` unless `violation`).
    pub rule_ids: Option<Vec<String>>,
    /// The reported account.
    pub target_account: Account,
}

impl Report {
    /// The entity of `r`, its target account from `l`; `None` if that is gone.
    pub(crate) fn from_loaded(app: &App, r: &ReportRecord, l: &Loaded) -> Option<Self> {
        let target = l.account(r.target_account_id)?;
        Some(Report {
            id: r.id.to_string(),
            action_taken: r.resolved(),
            action_taken_at: r.action_taken_at.map(rfc3339),
            category: r.category.as_str(),
            comment: r.comment.clone(),
            forwarded: r.forwarded,
            created_at: rfc3339(r.created_at),
            status_ids: r.status_ids.iter().map(u64::to_string).collect(),
            rule_ids: (!r.rule_ids.is_empty())
                .then(|| r.rule_ids.iter().map(u64::to_string).collect()),
            target_account: Account::from_loaded(app, target, l),
        })
    }
}

/// Mastodon's `Admin::Report`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct AdminReport {
    /// Id.
    pub id: String,
    /// Resolved.
    pub action_taken: bool,
    /// When it was resolved.
    pub action_taken_at: Option<String>,
    /// Category.
    pub category: &'static str,
    /// Comment.
    pub comment: String,
    /// Forwarded.
    pub forwarded: bool,
    /// Created.
    pub created_at: String,
    /// Last changed.
    pub updated_at: String,
    /// Who filed it.
    pub account: AdminAccount,
    /// Who it is about.
    pub target_account: AdminAccount,
    /// The staff account handling it.
    pub assigned_account: Option<AdminAccount>,
    /// Who resolved it.
    pub action_taken_by_account: Option<AdminAccount>,
    /// The reported statuses (those still there).
    pub statuses: Vec<Status>,
    /// The rules broken (those still there).
    pub rules: Vec<Rule>,
}

impl AdminReport {
    /// The entity of `r` from `l` and the instance's `rules`; `None` if its reporter or
    /// target is gone.
    pub(crate) fn from_loaded(
        app: &App,
        r: &ReportRecord,
        l: &Loaded,
        rules: &[RuleRecord],
    ) -> Option<Self> {
        let admin = |id: u64| l.account(id).map(|a| AdminAccount::from_loaded(app, a, l));
        Some(AdminReport {
            id: r.id.to_string(),
            action_taken: r.resolved(),
            action_taken_at: r.action_taken_at.map(rfc3339),
            category: r.category.as_str(),
            comment: r.comment.clone(),
            forwarded: r.forwarded,
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
            account: admin(r.account_id)?,
            target_account: admin(r.target_account_id)?,
            assigned_account: r.assigned_account_id.and_then(admin),
            action_taken_by_account: r.action_taken_by_account_id.and_then(admin),
            statuses: r
                .status_ids
                .iter()
                .filter_map(|id| Status::from_loaded(app, l.status(*id)?, l))
                .collect(),
            rules: r
                .rule_ids
                .iter()
                .filter_map(|id| rules.iter().find(|x| x.id == *id))
                .map(Rule::new)
                .collect(),
        })
    }
}

/// Everything the `Admin::Report`s of `reports` need, read together (as `viewer` sees
/// the statuses): their accounts, statuses and the instance's rules.
async fn load_reports(
    app: &App,
    viewer: u64,
    reports: &[ReportRecord],
) -> Result<(Loaded, Vec<RuleRecord>), Error> {
    let mut accounts = Vec::new();
    let mut statuses = Vec::new();
    for r in reports {
        accounts.push(r.account_id);
        accounts.push(r.target_account_id);
        accounts.extend(r.assigned_account_id);
        accounts.extend(r.action_taken_by_account_id);
        statuses.extend(&r.status_ids);
    }
    let l = app
        .load_notifications_with(viewer, &[], &accounts, &statuses)
        .await?;
    let rules = if reports.iter().any(|r| !r.rule_ids.is_empty()) {
        app.rules().await?
    } else {
        Vec::new()
    };
    Ok((l, rules))
}

/// `Admin::Report` entities of `reports` (those whose accounts are gone left out).
pub(crate) async fn admin_reports(
    app: &App,
    viewer: u64,
    reports: &[ReportRecord],
) -> Result<Value, Error> {
    let (l, rules) = load_reports(app, viewer, reports).await?;
    let out: Vec<AdminReport> = reports
        .iter()
        .filter_map(|r| AdminReport::from_loaded(app, r, &l, &rules))
        .collect();
    to_json(&out)
}

/// One `Admin::Report` (`None` if its accounts are gone).
pub(crate) async fn admin_report(
    app: &App,
    viewer: u64,
    r: &ReportRecord,
) -> Result<Option<Value>, Error> {
    let (l, rules) = load_reports(app, viewer, std::slice::from_ref(r)).await?;
    AdminReport::from_loaded(app, r, &l, &rules)
        .map(|e| to_json(&e))
        .transpose()
}

/// The reporter's `Report` of `r`.
pub(crate) async fn report(app: &App, r: &ReportRecord) -> Result<Value, Error> {
    let target = app.account(r.target_account_id).await?;
    let l = app.load_accounts(std::slice::from_ref(&target)).await?;
    let e = Report::from_loaded(app, r, &l)
        .ok_or_else(|| Error::NotFound(format!("account {}", r.target_account_id)))?;
    to_json(&e)
}
