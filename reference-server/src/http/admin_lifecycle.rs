//! The admin operations of an account's lifecycle (`woolly account password|apps|delete`),
//! run by the admin endpoint or on the store ([`super::admin::execute`]).

use serde_json::{json, Value};

use super::admin::{local_account, AdminRequest};
use crate::app::activitypub::rfc3339;
use crate::app::lifecycle::Revoke;
use crate::app::App;
use crate::error::Error;

/// Runs one of the lifecycle operations.
pub(super) async fn execute(app: &App, request: AdminRequest) -> Result<Value, Error> {
    match request {
        AdminRequest::SetPassword {
            username,
            password,
            revoke_tokens,
        } => {
            let a = local_account(app, &username).await?;
            let revoke = if revoke_tokens {
                Revoke::All
            } else {
                Revoke::None
            };
            let revoked = app.reset_password(a.id, &password, revoke).await?;
            Ok(json!({ "acct": a.acct(), "revoked_tokens": revoked }))
        }
        AdminRequest::ListAuthorizedApps { username } => {
            let a = local_account(app, &username).await?;
            let apps = app.authorized_apps(a.id).await?;
            Ok(Value::Array(
                apps.iter()
                    .map(|x| {
                        json!({
                            "id": x.id,
                            "name": x.name,
                            "website": x.website,
                            "scopes": x.scopes,
                            "created_at": rfc3339(x.created_at),
                            "last_used_at": x.last_used_at.map(rfc3339),
                            "tokens": x.tokens,
                        })
                    })
                    .collect(),
            ))
        }
        AdminRequest::RevokeAuthorizedApp { username, app_id } => {
            let a = local_account(app, &username).await?;
            let revoked = app.revoke_authorized_app(a.id, &app_id).await?;
            Ok(json!({ "acct": a.acct(), "app_id": app_id, "revoked_tokens": revoked }))
        }
        AdminRequest::DeleteAccount { username } => {
            let a = local_account(app, &username).await?;
            let a = app.delete_account_now(a.id).await?;
            Ok(json!({ "acct": a.acct(), "actor": a.actor, "deleted": a.deleted }))
        }
        _ => Err(Error::BadRequest("not a lifecycle operation".into())),
    }
}
