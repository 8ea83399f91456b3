//! Sign-up (`POST /api/v1/accounts`) and the approval of accounts waiting for it
//! (`POST /api/v1/admin/accounts/:id/approve` and `/reject`), as Mastodon answers them; the
//! checks themselves are [`crate::app::signup`]'s.

use serde_json::{json, Map, Value};

use super::params::path_id;
use super::responses::{json_response, ok, ApiError, ApiResult};
use super::{entities, oauth, Ctx};
use crate::app::signup::{FieldError, Signup, SignupForm, SignupRefusal};
use crate::app::{Account, App};
use crate::error::Error;

/// Mastodon's `422` for fields failing their checks (its `ValidationErrorFormatter`):
/// `{"error": "Validation failed: Username is reserved, …", "details": {"username":
/// [{"error": "ERR_RESERVED", "description": "is reserved"}], …}}`.
fn validation_error(errors: &[FieldError]) -> ApiError {
    let message = errors
        .iter()
        .map(|e| format!("{} {}", e.attribute(), e.description))
        .collect::<Vec<_>>()
        .join(", ");
    let mut details = Map::new();
    for e in errors {
        let entry = details
            .entry(e.field.to_owned())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = entry {
            list.push(json!({ "error": e.code, "description": e.description }));
        }
    }
    ApiError {
        status: http::StatusCode::UNPROCESSABLE_ENTITY,
        body: json!({ "error": format!("Validation failed: {message}"), "details": details }),
        www_authenticate: None,
    }
}

/// Mastodon's `403` of an action its policies refuse.
fn not_allowed() -> ApiError {
    ApiError::new(http::StatusCode::FORBIDDEN, "This action is not allowed")
}

/// Whether an `agreement` value accepts (Rails' acceptance: `true`, `"true"`, `"1"`).
fn accepted(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => matches!(s.as_str(), "true" | "1"),
        Some(Value::Number(n)) => n.as_u64() == Some(1),
        _ => false,
    }
}

/// `POST /api/v1/accounts`: signs up with an application token (`write:accounts`); returns a
/// user token for the new account with the application token's scopes. In `approved` mode
/// without a valid invite the account waits for approval and its token answers `403` until
/// then; in `closed` mode only a valid invite signs up.
pub(crate) async fn register(ctx: &Ctx<'_>) -> ApiResult {
    let t = ctx.token("write:accounts")?;
    if t.account_id.is_some() {
        return Err(ApiError::new(
            http::StatusCode::FORBIDDEN,
            "This method requires an application token",
        ));
    }
    let p = &ctx.p;
    let form = SignupForm {
        username: p.str("username").unwrap_or_default(),
        email: p.str("email"),
        password: p.str("password").unwrap_or_default(),
        agreement: accepted(p.get("agreement")),
        locale: p.str("locale"),
        reason: p.str("reason"),
        invite_code: p.str("invite_code"),
    };
    let (account, signup) = match ctx.app.sign_up(&form).await? {
        Ok(done) => done,
        Err(SignupRefusal::Closed) => return Err(not_allowed()),
        Err(SignupRefusal::Invalid(errors)) => return Err(validation_error(&errors)),
    };
    let (token, rec, digest) = oauth::issue_token_with(
        ctx.app,
        t.client_id.clone(),
        Some(account.id),
        &t.scopes,
        !signup.approved,
    )
    .await?;
    if !signup.approved {
        ctx.app.add_signup_token(account.id, digest).await?;
    }
    ok(json!({
        "access_token": token,
        "token_type": "Bearer",
        "scope": rec.scopes,
        "created_at": rec.created_at / 1000,
    }))
}

/// Mastodon's `Admin::Account` of a local account, with what its sign-up record adds
/// (e-mail, locale, the reason given, whether it was approved).
pub(crate) async fn admin_account(
    app: &App,
    a: &Account,
    signup: Option<&Signup>,
) -> Result<Value, Error> {
    let l = app.load_accounts(std::slice::from_ref(a)).await?;
    let mut e = entities::AdminAccount::from_loaded(app, a, &l);
    if let Some(s) = signup {
        e.email = s.email.clone();
        e.locale = s.locale.clone();
        e.invite_request = s.reason.clone();
        e.approved = s.approved;
    }
    entities::to_json(&e)
}

/// Approves an account waiting for approval (its sign-up tokens start working); returns its
/// `Admin::Account`. For `woolly admin accounts approve` and the admin API.
pub async fn approve_account(app: &App, account_id: u64) -> Result<Value, Error> {
    let s = app.approve_signup(account_id).await?;
    settle_pending_tokens(app, &s.token_digests, true).await?;
    let a = app.account(account_id).await?;
    admin_account(app, &a, Some(&s)).await
}

/// Rejects an account waiting for approval: its data and tokens are deleted; returns what
/// was deleted (username, e-mail). For `woolly admin accounts reject` and the admin API.
pub async fn reject_account(app: &App, account_id: u64) -> Result<Value, Error> {
    let (a, s) = app.reject_signup(account_id).await?;
    settle_pending_tokens(app, &s.token_digests, false).await?;
    Ok(json!({ "id": a.id.to_string(), "username": a.username, "email": s.email }))
}

/// Frees (`approved`) or deletes (rejected) the tokens of digests issued at sign-up.
async fn settle_pending_tokens(app: &App, digests: &[String], approved: bool) -> Result<(), Error> {
    for d in digests {
        if approved {
            if let Some(mut t) = app.get::<oauth::Token>(oauth::NS_TOKENS, d).await? {
                t.pending = false;
                app.put(oauth::NS_TOKENS, d, &t).await?;
            }
        } else {
            app.store()
                .kv_delete(oauth::NS_TOKENS, d.as_bytes())
                .await?;
        }
    }
    Ok(())
}

fn admin_error(e: Error) -> ApiError {
    match e {
        Error::Forbidden(_) => not_allowed(),
        e => e.into(),
    }
}

/// `POST /api/v1/admin/accounts/:id/approve` (`admin:write:accounts`): the `Admin::Account`.
pub(crate) async fn approve(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    ctx.staff(
        "admin:write:accounts",
        crate::app::roles::flags::MANAGE_USERS,
    )
    .await?;
    let id = path_id(id)?;
    ok(approve_account(ctx.app, id).await.map_err(admin_error)?)
}

/// `POST /api/v1/admin/accounts/:id/reject` (`admin:write:accounts`): deletes the waiting
/// account; an empty object, as Mastodon's `render_empty`.
pub(crate) async fn reject(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    ctx.staff(
        "admin:write:accounts",
        crate::app::roles::flags::MANAGE_USERS,
    )
    .await?;
    let id = path_id(id)?;
    reject_account(ctx.app, id).await.map_err(admin_error)?;
    Ok(json_response(http::StatusCode::OK, &json!({})))
}
