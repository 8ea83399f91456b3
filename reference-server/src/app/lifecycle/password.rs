//! Password changes: by the owner (who gives the current password) and by the operator.
//!
//! The current-password check goes through the same throttle as sign-ins
//! ([`Limiter::login_per_account`](crate::limits::Limiter::login_per_account), and
//! [`login_per_ip`](crate::limits::Limiter::login_per_ip) when the caller knows the client's
//! address): a failed check counts as a failed sign-in, and while the account name's (or the
//! address's) count is over its limit the check is refused with
//! [`Error::TooManyAttempts`] before the password is even looked at.

use std::net::IpAddr;

use super::super::accounts::hash_password;
use super::super::model::ns;
use super::super::signup::password_error;
use super::super::App;
use crate::error::Error;

/// Which of an account's tokens a password change revokes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Revoke {
    /// None (the default: Mastodon keeps other sessions unless asked).
    #[default]
    None,
    /// Every token of the account.
    All,
    /// Every token but the one with this SHA-256 (hex) digest: the caller's own session.
    AllBut(String),
}

impl App {
    /// Changes local account `account_id`'s password, as its owner does: `current` must be
    /// its password (`403 Current password is invalid` otherwise, counted by the sign-in
    /// throttle; `429` while over it), `new` must meet Mastodon's rules (`422` with the
    /// sign-up's message otherwise), and the tokens `revoke` names are revoked. `from` is
    /// the client's address when known (a web page), for the per-address throttle. Returns
    /// how many tokens were revoked.
    pub async fn change_password(
        &self,
        account_id: u64,
        current: &str,
        new: &str,
        revoke: Revoke,
        from: Option<IpAddr>,
    ) -> Result<usize, Error> {
        let account = self.live_local_account(account_id).await?;
        self.check_current_password(&account, current, from).await?;
        self.store_new_password(account_id, new, &revoke).await
    }

    /// Sets local account `account_id`'s password as the operator does (`woolly account
    /// password`): no current password, the same rules and revocation. Returns how many
    /// tokens were revoked.
    pub async fn reset_password(
        &self,
        account_id: u64,
        new: &str,
        revoke: Revoke,
    ) -> Result<usize, Error> {
        self.live_local_account(account_id).await?;
        self.store_new_password(account_id, new, &revoke).await
    }

    /// A local account that is not deleted (`404` otherwise; `403` once deleted).
    pub(crate) async fn live_local_account(
        &self,
        account_id: u64,
    ) -> Result<super::super::Account, Error> {
        let a = self.account(account_id).await?;
        if !a.is_local() {
            return Err(Error::NotFound(format!("account {account_id}")));
        }
        if a.deleted {
            return Err(Error::Forbidden("This account is deleted".into()));
        }
        Ok(a)
    }

    /// Checks `password` against a local account's, behind the sign-in throttle: `Ok` when
    /// it matches; `403 Current password is invalid` (counted) or `429` otherwise.
    pub(crate) async fn check_current_password(
        &self,
        account: &super::super::Account,
        password: &str,
        from: Option<IpAddr>,
    ) -> Result<(), Error> {
        let limits = self.limits();
        let name = limits.key_of(&account.username.to_lowercase());
        let on = limits.enabled();
        let now = self.now_ms();
        if on {
            let mut standings = Vec::new();
            if limits.login_per_account.is_on() {
                standings.push(limits.login_per_account.peek(name, now));
            }
            if let Some(ip) = from.filter(|_| limits.login_per_ip.is_on()) {
                standings.push(limits.login_per_ip.peek(ip, now));
            }
            if let Some(s) = standings.iter().find(|s| s.count >= s.limit) {
                return Err(Error::TooManyAttempts {
                    retry_after_ms: s.reset_ms.saturating_sub(now),
                });
            }
        }
        if self.check_password(account.id, password).await? {
            return Ok(());
        }
        if on {
            if limits.login_per_account.is_on() {
                limits.login_per_account.hit(name, now);
            }
            if let Some(ip) = from.filter(|_| limits.login_per_ip.is_on()) {
                limits.login_per_ip.hit(ip, now);
            }
        }
        Err(Error::Forbidden("Current password is invalid".into()))
    }

    async fn store_new_password(
        &self,
        account_id: u64,
        new: &str,
        revoke: &Revoke,
    ) -> Result<usize, Error> {
        if let Some(e) = password_error(new) {
            return Err(Error::Unprocessable(format!(
                "Validation failed: {} {}",
                e.attribute(),
                e.description
            )));
        }
        let hash = hash_password(new)?;
        self.store()
            .kv_put(
                ns::PASSWORDS,
                account_id.to_string().as_bytes(),
                hash.as_bytes(),
            )
            .await?;
        match revoke {
            Revoke::None => Ok(0),
            Revoke::All => self.revoke_tokens_of(account_id, None).await,
            Revoke::AllBut(keep) => self.revoke_tokens_of(account_id, Some(keep.as_str())).await,
        }
    }
}
