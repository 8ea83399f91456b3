//! Mastodon's JSON entities, one module per family: [`account`] (`Account`,
//! `CredentialAccount`), [`status`] (`Status`, `Mention`, `Tag`, `Application`,
//! `StatusEdit`), [`custom_emoji`], [`media_attachment`], [`notification`], [`relationship`].
//!
//! Each entity is a `Serialize` struct built from a [`Loaded`](crate::app::Loaded): the
//! records, counts and flags a whole page needs, read together by the `App`
//! ([`App::load_statuses`], [`App::load_accounts`], [`App::load_notifications`]), so building
//! a page reads the store a fixed number of times whatever its length. The functions here
//! load and build in one step and return the JSON the handlers answer with.

pub(crate) mod account;
pub(crate) mod custom_emoji;
pub(crate) mod media_attachment;
pub(crate) mod notification;
pub(crate) mod relationship;
pub(crate) mod status;

pub(crate) use account::{Account, CredentialAccount};
pub(crate) use custom_emoji::CustomEmoji;
pub(crate) use media_attachment::MediaAttachment;
pub(crate) use notification::Notification;
pub(crate) use relationship::Relationship;
pub(crate) use status::{Status, StatusEdit, Tag};

use serde::Serialize;
use serde_json::Value;

use crate::app::model::Edit;
use crate::app::{self, App};
use crate::error::Error;

/// An always-empty list, for what Woolly keeps none of (custom emojis, roles, filter results,
/// tag history).
pub(crate) type Nothing = [(); 0];

/// The JSON of an entity.
pub(crate) fn to_json<T: Serialize>(entity: &T) -> Result<Value, Error> {
    Ok(serde_json::to_value(entity)?)
}

/// Mastodon's `Account` for `a`.
pub(crate) async fn account_entity(app: &App, a: &app::Account) -> Result<Account, Error> {
    let l = app.load_accounts(std::slice::from_ref(a)).await?;
    Ok(Account::from_loaded(app, a, &l))
}

/// Mastodon's `Account`.
pub(crate) async fn account(app: &App, a: &app::Account) -> Result<Value, Error> {
    to_json(&account_entity(app, a).await?)
}

/// `Account` with `source` and `role` (for the account itself).
pub(crate) async fn credential_account(app: &App, a: &app::Account) -> Result<Value, Error> {
    let l = app.load_credential_account(a).await?;
    to_json(&CredentialAccount::from_loaded(app, a, &l))
}

/// A list of accounts (their counts read together).
pub(crate) async fn accounts(app: &App, list: &[app::Account]) -> Result<Value, Error> {
    let l = app.load_accounts(list).await?;
    let out: Vec<Account> = list
        .iter()
        .map(|a| Account::from_loaded(app, a, &l))
        .collect();
    to_json(&out)
}

/// Mastodon's `Relationship`.
pub(crate) fn relationship(r: &app::Relationship) -> Value {
    // A struct of strings, booleans and `null`s always serializes.
    serde_json::to_value(Relationship::from(r)).unwrap_or(Value::Null)
}

/// Mastodon's `Status` as `viewer` sees it (a reblog wraps the reblogged status). Not found
/// if its author, or what it boosts, is unknown.
pub(crate) async fn status(
    app: &App,
    s: &app::Status,
    viewer: Option<u64>,
) -> Result<Value, Error> {
    let l = app.load_statuses(std::slice::from_ref(s), viewer).await?;
    match Status::from_loaded(app, s, &l) {
        Some(v) => to_json(&v),
        None => Err(Error::NotFound(format!("status {}", s.id))),
    }
}

/// The `Status` entities of a list, as `viewer` sees them, from records read together
/// (skipping those that cannot be shown any more).
pub(crate) async fn status_entities(
    app: &App,
    list: &[app::Status],
    viewer: Option<u64>,
) -> Result<Vec<Status>, Error> {
    let l = app.load_statuses(list, viewer).await?;
    Ok(list
        .iter()
        .filter_map(|s| Status::from_loaded(app, s, &l))
        .collect())
}

/// A list of statuses (skipping those that cannot be shown any more).
pub(crate) async fn statuses(
    app: &App,
    list: &[app::Status],
    viewer: Option<u64>,
) -> Result<Value, Error> {
    to_json(&status_entities(app, list, viewer).await?)
}

/// A `StatusEdit`, its media read from `media`.
pub(crate) fn status_edit(
    app: &App,
    e: &Edit,
    account: &Account,
    media: &[app::MediaAttachment],
) -> Result<Value, Error> {
    to_json(&StatusEdit::new(app, e, account.clone(), media))
}

/// Mastodon's `MediaAttachment`.
pub(crate) fn media_attachment(app: &App, m: &app::MediaAttachment) -> Result<Value, Error> {
    to_json(&MediaAttachment::new(app, m))
}

/// Mastodon's `Notification`; `None` if what it is about is gone.
pub(crate) async fn notification(app: &App, n: &app::Notification) -> Result<Option<Value>, Error> {
    let l = app
        .load_notifications(n.account_id, std::slice::from_ref(n))
        .await?;
    Notification::from_loaded(app, n, &l)
        .map(|v| to_json(&v))
        .transpose()
}

/// `owner`'s notifications (leaving out those whose account or status is gone), from
/// records read together.
pub(crate) async fn notifications(
    app: &App,
    owner: u64,
    list: &[app::Notification],
) -> Result<Value, Error> {
    let l = app.load_notifications(owner, list).await?;
    let out: Vec<Notification> = list
        .iter()
        .filter_map(|n| Notification::from_loaded(app, n, &l))
        .collect();
    to_json(&out)
}

/// Mastodon's `Tag` (no usage history is kept); `following` only for a viewer.
pub(crate) fn tag(app: &App, name: &str, following: Option<bool>) -> Value {
    // A struct of strings, booleans and an empty list always serializes.
    serde_json::to_value(Tag::new(app, name, following)).unwrap_or(Value::Null)
}
