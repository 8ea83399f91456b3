//! Which tokens an account may hold and use: admin scopes only for staff roles
//! ([`scopes_for`], at issuance), and tokens blocked while the account's login is disabled or
//! it is suspended ([`sync_login`], after each moderation action), so that the request path
//! reads nothing more than the token.

use super::oauth::{Token, NS_TOKENS};
use crate::app::App;
use crate::error::Error;

/// The scopes a token of local account `account_id` gets of `requested`: admin scopes only
/// when its role allows them (they are left out otherwise: a user without a staff role is
/// never given one).
pub(crate) async fn scopes_for(
    app: &App,
    account_id: u64,
    requested: &str,
) -> Result<String, Error> {
    if !crate::app::roles::has_admin_scope(requested) {
        return Ok(requested.to_owned());
    }
    if app.account(account_id).await?.role.may_hold_admin_scopes() {
        return Ok(requested.to_owned());
    }
    let kept: Vec<&str> = requested
        .split_whitespace()
        .filter(|s| !s.starts_with("admin:"))
        .collect();
    Ok(if kept.is_empty() {
        "read".to_owned()
    } else {
        kept.join(" ")
    })
}

/// Blocks or unblocks the tokens of local account `account_id` to match its state: blocked
/// while its login is disabled, it is suspended or its data is deleted. Reads every token
/// (admin actions are rare; the request path reads no more than the token itself).
pub(crate) async fn sync_login(app: &App, account: &crate::app::Account) -> Result<(), Error> {
    if !account.is_local() {
        return Ok(());
    }
    let blocked = account.moderation.disabled || account.is_suspended() || account.deleted;
    let tokens = app
        .scan_records::<Token>(NS_TOKENS, b"", |t| {
            t.account_id == Some(account.id) && t.blocked != blocked
        })
        .await?;
    for (k, mut t) in tokens {
        t.blocked = blocked;
        app.store()
            .kv_put(NS_TOKENS, &k, &serde_json::to_vec(&t)?)
            .await?;
    }
    Ok(())
}
