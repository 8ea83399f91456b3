//! The admin endpoint's moderation operations (`woolly admin accounts …`): the same actions
//! as the admin accounts API, done as the owner (whoever runs the command line holds the
//! data directory).

use serde_json::{json, Value};

use crate::app::activitypub::rfc3339;
use crate::app::{Account, Action, App, Role, Undo};
use crate::error::Error;

/// An account by `user` (local), `user@domain` or id.
async fn find(app: &App, account: &str) -> Result<Account, Error> {
    if let Ok(id) = account.parse::<u64>() {
        if let Ok(a) = app.account(id).await {
            return Ok(a);
        }
    }
    app.account_by_acct(account)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no account {account:?}")))
}

/// What the command line prints of an account.
fn moderation_json(a: &Account) -> Value {
    let m = &a.moderation;
    json!({
        "id": a.id.to_string(),
        "acct": a.acct(),
        "actor": a.actor,
        "role": if a.is_local() { Some(a.role.as_str()) } else { None },
        "created_at": rfc3339(a.created_at),
        "suspended_at": m.suspended_at.map(rfc3339),
        "silenced_at": m.silenced_at.map(rfc3339),
        "sensitized_at": m.sensitized_at.map(rfc3339),
        "disabled": m.disabled,
        "suspended_by_origin": m.origin_suspended,
        "deleted": a.deleted,
    })
}

/// Lists accounts, newest first, local or remote only, with a status.
pub(super) async fn list(
    app: &App,
    local: Option<bool>,
    status: Option<&str>,
) -> Result<Value, Error> {
    let keep = |a: &Account| {
        let m = &a.moderation;
        match status {
            None => true,
            Some("active") => m.suspended_at.is_none() && !a.deleted,
            Some("disabled") => m.disabled,
            Some("silenced") => m.silenced_at.is_some(),
            Some("suspended") => m.suspended_at.is_some(),
            Some("sensitized") => m.sensitized_at.is_some(),
            Some(_) => false,
        }
    };
    if let Some(s) = status {
        if !matches!(
            s,
            "active" | "disabled" | "silenced" | "suspended" | "sensitized"
        ) {
            return Err(Error::BadRequest(format!(
                "unknown status {s:?}: active, disabled, silenced, suspended or sensitized"
            )));
        }
    }
    let accounts = app
        .admin_accounts(local, None, None, usize::MAX, keep)
        .await?;
    Ok(Value::Array(accounts.iter().map(moderation_json).collect()))
}

/// Shows one account.
pub(super) async fn show(app: &App, account: &str) -> Result<Value, Error> {
    Ok(moderation_json(&find(app, account).await?))
}

/// Acts on an account as the owner.
pub(super) async fn act(app: &App, account: &str, action: &str) -> Result<Value, Error> {
    let a = find(app, account).await?;
    let a = if action == "delete" {
        app.delete_suspended_data(Role::Owner, a.id).await?
    } else if let Some(kind) = Action::parse(action) {
        app.moderate(Role::Owner, a.id, kind).await?
    } else if let Some(undo) = Undo::parse(action) {
        app.unmoderate(Role::Owner, a.id, undo).await?
    } else {
        return Err(Error::BadRequest(format!(
            "unknown action {action:?}: none, sensitive, disable, silence, suspend, \
             unsensitive, enable, unsilence, unsuspend or delete"
        )));
    };
    crate::api::token_access::sync_login(app, &a).await?;
    Ok(moderation_json(&a))
}
