//! The admin operations of moderation (`woolly admin rules …`, `woolly admin reports …`),
//! run by the admin endpoint or on the store ([`super::admin::execute`]).

use serde_json::{json, Value};

use super::admin::AdminRequest;
use crate::app::activitypub::rfc3339;
use crate::app::moderation::{Report, ReportFilter, Rule};
use crate::app::App;
use crate::error::Error;

fn id_of(what: &str, id: &str) -> Result<u64, Error> {
    id.trim()
        .parse()
        .map_err(|_| Error::NotFound(format!("{what} {id:?}")))
}

fn rule_json(r: &Rule) -> Value {
    json!({ "id": r.id.to_string(), "text": r.text, "hint": r.hint })
}

async fn report_json(app: &App, r: &Report) -> Result<Value, Error> {
    let ids = [
        r.account_id,
        r.target_account_id,
        r.assigned_account_id.unwrap_or(0),
        r.action_taken_by_account_id.unwrap_or(0),
    ];
    let accounts = app.accounts_by_id(&ids).await?;
    let acct = |i: usize| accounts[i].as_ref().map(crate::app::Account::acct);
    let statuses: Vec<String> = app
        .statuses_by_id(&r.status_ids)
        .await?
        .into_iter()
        .flatten()
        .map(|s| s.uri)
        .collect();
    let rules: Vec<Value> = app
        .rules_by_id(&r.rule_ids)
        .await?
        .iter()
        .map(rule_json)
        .collect();
    Ok(json!({
        "id": r.id.to_string(),
        "state": if r.resolved() { "resolved" } else { "open" },
        "category": r.category.as_str(),
        "comment": r.comment,
        "account": acct(0),
        "target_account": acct(1),
        "assigned_account": acct(2),
        "action_taken_by_account": acct(3),
        "forwarded": r.forwarded,
        "uri": r.uri,
        "statuses": statuses,
        "rules": rules,
        "created_at": rfc3339(r.created_at),
        "action_taken_at": r.action_taken_at.map(rfc3339),
    }))
}

/// Runs one moderation admin operation; other operations are `400`.
pub(crate) async fn execute(app: &App, request: AdminRequest) -> Result<Value, Error> {
    match request {
        AdminRequest::AddRule { text, hint } => {
            Ok(rule_json(&app.add_rule(&text, hint.as_deref()).await?))
        }
        AdminRequest::RemoveRule { id } => {
            Ok(rule_json(&app.remove_rule(id_of("rule", &id)?).await?))
        }
        AdminRequest::ListRules => Ok(Value::Array(
            app.rules().await?.iter().map(rule_json).collect(),
        )),
        AdminRequest::ListReports { resolved } => {
            let mut out = Vec::new();
            let mut req = fedi_storage::PageRequest::newest(200);
            loop {
                let filter = ReportFilter {
                    resolved,
                    ..ReportFilter::default()
                };
                let (reports, page) = app.admin_reports(filter, &req).await?;
                for r in &reports {
                    out.push(report_json(app, r).await?);
                }
                match page.next_max_id() {
                    Some(n) if page.items.len() == 200 => {
                        req = fedi_storage::PageRequest::newest(200).max_id(n);
                    }
                    _ => break,
                }
            }
            Ok(Value::Array(out))
        }
        AdminRequest::ShowReport { id } => {
            report_json(app, &app.report(id_of("report", &id)?).await?).await
        }
        AdminRequest::ResolveReport { id } => {
            let r = app
                .set_report_resolved(id_of("report", &id)?, None, true)
                .await?;
            report_json(app, &r).await
        }
        other => Err(Error::BadRequest(format!(
            "not a moderation operation: {other:?}"
        ))),
    }
}
