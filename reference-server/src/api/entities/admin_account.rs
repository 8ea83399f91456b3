//! Mastodon's `Admin::Account`: an account as moderators see it.

use serde::Serialize;

use super::account::{Account, Role};
use crate::app::activitypub::rfc3339;
use crate::app::{model, App, Loaded};

/// Mastodon's `Admin::Account`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct AdminAccount {
    /// The account's id.
    pub id: String,
    /// Its username.
    pub username: String,
    /// Its domain (`null` for local accounts).
    pub domain: Option<String>,
    /// When it was created (or first seen).
    pub created_at: String,
    /// Its e-mail: none is kept.
    pub email: Option<String>,
    /// The last IP it signed in from: none is kept.
    pub ip: Option<String>,
    /// The IPs it signed in from: none are kept.
    pub ips: Vec<serde_json::Value>,
    /// Its locale: none is kept.
    pub locale: Option<String>,
    /// The reason given at sign-up: none.
    pub invite_request: Option<String>,
    /// Its role (`null` for remote accounts).
    pub role: Option<Role>,
    /// Confirmed (local accounts: no e-mail to confirm).
    pub confirmed: bool,
    /// Approved (local accounts).
    pub approved: bool,
    /// Its login is disabled.
    pub disabled: bool,
    /// Silenced (limited).
    pub silenced: bool,
    /// Suspended here.
    pub suspended: bool,
    /// Its media are marked sensitive.
    pub sensitized: bool,
    /// The account as the client API shows it.
    pub account: Account,
}

impl AdminAccount {
    /// The entity of `a`, from `l` (loaded by
    /// [`App::load_accounts`](crate::app::App::load_accounts)).
    pub(crate) fn from_loaded(app: &App, a: &model::Account, l: &Loaded) -> AdminAccount {
        let local = a.is_local();
        AdminAccount {
            id: a.id.to_string(),
            username: a.username.clone(),
            domain: a.domain.clone(),
            created_at: rfc3339(a.created_at),
            email: None,
            ip: None,
            ips: Vec::new(),
            locale: None,
            invite_request: None,
            role: local.then(|| Role::of(a.role)),
            confirmed: local,
            approved: local,
            disabled: a.moderation.disabled,
            silenced: a.moderation.silenced_at.is_some(),
            suspended: a.moderation.suspended_at.is_some(),
            sensitized: a.moderation.sensitized_at.is_some(),
            account: Account::from_loaded(app, a, l),
        }
    }
}
