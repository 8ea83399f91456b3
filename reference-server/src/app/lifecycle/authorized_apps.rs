//! The applications holding tokens for an account, and their revocation (Mastodon's
//! `/oauth/authorized_applications`: its list and its "Revoke" button, which comes as a page
//! with the web interface of #20; `woolly account apps` now).
//!
//! An application is listed once however many tokens it holds: its scopes are those of its
//! tokens together, its `created_at` the first token's. Tokens made by `woolly token create`
//! belong to no registered application: they are listed as the application `woolly` with id
//! `0`, as `GET /api/v1/apps/verify_credentials` names them. Woolly does not record when a
//! token was last used (that would cost every API request a write), so `last_used_at` is
//! always `None`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::super::App;
use crate::api::oauth::{Grant, OAuthApp, Token, NS_APPS, NS_CODES, NS_TOKENS};
use crate::error::Error;

/// An application holding tokens for an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthorizedApp {
    /// The application's id (`0` for `woolly token create`'s tokens).
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its website, if it gave one.
    pub website: Option<String>,
    /// The scopes its tokens grant together, in the order of the client API's list of
    /// scopes (`read`, `write`, `follow`, `push`, then the sub-scopes).
    pub scopes: Vec<String>,
    /// When its first token for the account was issued (ms).
    pub created_at: u64,
    /// When a token was last used (ms): not recorded, always `None`.
    pub last_used_at: Option<u64>,
    /// How many tokens it holds for the account.
    pub tokens: usize,
}

/// The name of the tokens `woolly token create` made.
const CLI_APP: &str = "woolly";

impl App {
    /// The tokens of account `account_id` (with their keys in `oauth.tokens`): a scan of the
    /// token namespace.
    async fn tokens_of(&self, account_id: u64) -> Result<Vec<(Vec<u8>, Token)>, Error> {
        self.scan_records(NS_TOKENS, b"", |t: &Token| t.account_id == Some(account_id))
            .await
    }

    /// The applications holding tokens for local account `account_id`, by name (`404` for an
    /// unknown or remote account).
    pub async fn authorized_apps(&self, account_id: u64) -> Result<Vec<AuthorizedApp>, Error> {
        self.live_local_account(account_id).await?;
        let mut by_client: BTreeMap<Option<String>, AuthorizedApp> = BTreeMap::new();
        for (_, t) in self.tokens_of(account_id).await? {
            let entry = by_client
                .entry(t.client_id.clone())
                .or_insert_with(|| AuthorizedApp {
                    id: "0".into(),
                    name: CLI_APP.into(),
                    website: None,
                    scopes: Vec::new(),
                    created_at: t.created_at,
                    last_used_at: None,
                    tokens: 0,
                });
            entry.tokens += 1;
            entry.created_at = entry.created_at.min(t.created_at);
            for s in t.scopes.split_whitespace() {
                if !entry.scopes.iter().any(|x| x == s) {
                    entry.scopes.push(s.to_owned());
                }
            }
        }
        let mut out = Vec::with_capacity(by_client.len());
        for (client, mut entry) in by_client {
            // A fixed order: the tokens are read in the order of their digests.
            entry.scopes.sort_by_key(|s| {
                let mut known = crate::api::oauth::SCOPES
                    .iter()
                    .chain(crate::api::oauth::ADMIN_SCOPES);
                known.position(|k| k == s).unwrap_or(usize::MAX)
            });
            if let Some(c) = client {
                match self.get::<OAuthApp>(NS_APPS, &c).await? {
                    Some(a) => {
                        entry.id = a.id.to_string();
                        entry.name = a.name;
                        entry.website = a.website;
                    }
                    // The application is gone but its tokens stay valid: listed by its
                    // client id, so that they can still be revoked.
                    None => {
                        entry.id = c.clone();
                        entry.name = format!("(deleted application {c})");
                    }
                }
            }
            out.push(entry);
        }
        out.sort_by(|a, b| a.name.cmp(&b.name).then(a.created_at.cmp(&b.created_at)));
        Ok(out)
    }

    /// Revokes application `app_id` (an [`AuthorizedApp::id`]) for local account
    /// `account_id`: every token it holds for the account and every authorization code not
    /// yet exchanged. `404` when it holds none. Returns how many tokens were revoked.
    pub async fn revoke_authorized_app(
        &self,
        account_id: u64,
        app_id: &str,
    ) -> Result<usize, Error> {
        let apps = self.authorized_apps(account_id).await?;
        if !apps.iter().any(|a| a.id == app_id) {
            return Err(Error::NotFound(format!("application {app_id}")));
        }
        // The client id of that application (`None` for the command line's tokens).
        let mut client: Option<String> = None;
        if app_id != "0" {
            for (_, t) in self.tokens_of(account_id).await? {
                let Some(c) = &t.client_id else { continue };
                let id = match self.get::<OAuthApp>(NS_APPS, c).await? {
                    Some(a) => a.id.to_string(),
                    None => c.clone(),
                };
                if id == app_id {
                    client = Some(c.clone());
                    break;
                }
            }
        }
        let n = self
            .revoke_tokens_where(account_id, |t| t.client_id == client, None)
            .await?;
        if let Some(c) = &client {
            self.revoke_codes_of(account_id, Some(c)).await?;
        }
        Ok(n)
    }

    /// Revokes every token of account `account_id` but the one whose SHA-256 (hex) is
    /// `keep`, and its unused authorization codes. Returns how many tokens were revoked.
    pub(crate) async fn revoke_tokens_of(
        &self,
        account_id: u64,
        keep: Option<&str>,
    ) -> Result<usize, Error> {
        let n = self.revoke_tokens_where(account_id, |_| true, keep).await?;
        self.revoke_codes_of(account_id, None).await?;
        Ok(n)
    }

    async fn revoke_tokens_where(
        &self,
        account_id: u64,
        which: impl Fn(&Token) -> bool,
        keep: Option<&str>,
    ) -> Result<usize, Error> {
        let mut n = 0;
        let mut batch = fedi_storage::WriteBatch::new();
        for (k, t) in self.tokens_of(account_id).await? {
            if !which(&t) || keep.is_some_and(|d| d.as_bytes() == k.as_slice()) {
                continue;
            }
            batch = batch.kv_delete(NS_TOKENS, k);
            n += 1;
        }
        if n > 0 {
            self.store().apply(&batch).await?;
        }
        Ok(n)
    }

    /// Deletes the unused authorization codes of account `account_id` (of client `client`
    /// only, when given).
    async fn revoke_codes_of(&self, account_id: u64, client: Option<&str>) -> Result<(), Error> {
        let codes = self
            .scan_records(NS_CODES, b"", |g: &Grant| {
                g.account_id == account_id && client.is_none_or(|c| c == g.client_id)
            })
            .await?;
        let mut batch = fedi_storage::WriteBatch::new();
        for (k, _) in codes {
            batch = batch.kv_delete(NS_CODES, k);
        }
        if !batch.is_empty() {
            self.store().apply(&batch).await?;
        }
        Ok(())
    }
}
