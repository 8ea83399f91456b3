//! Mastodon's JSON entities, one module per family: [`account`] (`Account`,
//! `CredentialAccount`), [`status`] (`Status`, `Mention`, `Tag`, `Application`,
//! `StatusEdit`), [`card`] (`PreviewCard`), [`custom_emoji`], [`media_attachment`], [`notification`], [`poll`],
//! [`notification_group`] (grouped notifications, requests, policies), [`relationship`],
//! [`list`], [`conversation`], [`scheduled_status`], [`report`] (`Rule`, `Report`,
//! `Admin::Report`, `Admin::Account`), [`filter`] (`Filter`, `FilterKeyword`, `FilterStatus`,
//! `FilterResult`, v1 `Filter`).
//!
//! Each entity is a `Serialize` struct built from a [`Loaded`](crate::app::Loaded): the
//! records, counts and flags a whole page needs, read together by the `App`
//! ([`App::load_statuses`], [`App::load_accounts`], [`App::load_notifications`]), so building
//! a page reads the store a fixed number of times whatever its length. The functions here
//! load and build in one step and return the JSON the handlers answer with.

pub(crate) mod account;
pub(crate) mod admin_account;
pub(crate) mod card;
pub(crate) mod conversation;
pub(crate) mod custom_emoji;
pub(crate) mod filter;
pub(crate) mod list;
pub(crate) mod media_attachment;
pub(crate) mod notification;
pub(crate) mod notification_group;
pub(crate) mod poll;
pub(crate) mod relationship;
pub(crate) mod report;
pub(crate) mod scheduled_status;
pub(crate) mod status;

pub(crate) use account::{Account, CredentialAccount};
pub(crate) use admin_account::AdminAccount;
pub(crate) use card::PreviewCard;
pub(crate) use conversation::Conversation;
pub(crate) use custom_emoji::CustomEmoji;
pub(crate) use list::List;
pub(crate) use media_attachment::MediaAttachment;
pub(crate) use notification::Notification;
pub(crate) use poll::Poll;
pub(crate) use relationship::Relationship;
pub(crate) use report::Rule;
pub(crate) use status::{Status, StatusEdit, Tag};

use serde::Serialize;
use serde_json::Value;

use crate::app::filters::FilterContext;
use crate::app::model::Edit;
use crate::app::{self, App};
use crate::error::Error;

/// An always-empty list, for what Woolly keeps none of (roles, tag history).
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
pub(crate) async fn accounts(app: &App, list: &[app::Account]) -> Result<Vec<Account>, Error> {
    let l = app.load_accounts(list).await?;
    Ok(list
        .iter()
        .map(|a| Account::from_loaded(app, a, &l))
        .collect())
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
    status_in(app, s, viewer, None).await
}

/// [`status`] read in filter context `context` (streaming): not found when a filter of the
/// viewer hides it there.
pub(crate) async fn status_in(
    app: &App,
    s: &app::Status,
    viewer: Option<u64>,
    context: Option<FilterContext>,
) -> Result<Value, Error> {
    let mut l = app.load_statuses(std::slice::from_ref(s), viewer).await?;
    l.set_filter_context(context);
    match Status::from_loaded(app, s, &l) {
        Some(v) => to_json(&v),
        None => Err(Error::NotFound(format!("status {}", s.id))),
    }
}

/// Mastodon's `Poll` of status `s` as `viewer` sees it (not found if it has none).
pub(crate) async fn poll(app: &App, s: &app::Status, viewer: Option<u64>) -> Result<Value, Error> {
    let l = app.load_statuses(std::slice::from_ref(s), viewer).await?;
    match Poll::from_loaded(s, &l, app.now_ms()) {
        Some(p) => to_json(&p),
        None => Err(Error::NotFound(format!("poll {}", s.id))),
    }
}

/// The `Status` entities of a list as `viewer` sees them, from records read together,
/// skipping those that cannot be shown any more. The handlers serialize the entities
/// straight to the response's bytes, with no `Value` in between.
pub(crate) async fn statuses(
    app: &App,
    list: &[app::Status],
    viewer: Option<u64>,
) -> Result<Vec<Status>, Error> {
    statuses_in(app, list, viewer, None).await
}

/// [`statuses`] of a page read in filter context `context` (home, public …): the statuses a
/// viewer's filter hides there are left out.
pub(crate) async fn statuses_in(
    app: &App,
    list: &[app::Status],
    viewer: Option<u64>,
    context: Option<FilterContext>,
) -> Result<Vec<Status>, Error> {
    let mut l = app.load_statuses(list, viewer).await?;
    l.set_filter_context(context);
    Ok(list
        .iter()
        .filter_map(|s| Status::from_loaded(app, s, &l))
        .collect())
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
) -> Result<Vec<Notification>, Error> {
    let l = app.load_notifications(owner, list).await?;
    Ok(list
        .iter()
        .filter_map(|n| Notification::from_loaded(app, n, &l))
        .collect())
}

/// `ScheduledStatus` entities of `list`, their media read in one store call.
pub(crate) async fn scheduled_statuses(
    app: &App,
    list: &[app::ScheduledStatus],
) -> Result<Vec<scheduled_status::ScheduledStatus>, Error> {
    let ids: Vec<u64> = list
        .iter()
        .flat_map(|s| s.params.media_ids.iter().copied())
        .collect();
    let media: Vec<app::MediaAttachment> =
        app.media_by_id(&ids).await?.into_iter().flatten().collect();
    Ok(list
        .iter()
        .map(|s| scheduled_status::ScheduledStatus::new(app, s, &media))
        .collect())
}

/// Mastodon's `Tag` (no usage history is kept); `following` only for a viewer.
pub(crate) fn tag(app: &App, name: &str, following: Option<bool>) -> Value {
    // A struct of strings, booleans and an empty list always serializes.
    serde_json::to_value(Tag::new(app, name, following)).unwrap_or(Value::Null)
}

/// Mastodon's `List`.
pub(crate) fn list(l: &app::UserList) -> Value {
    // A struct of strings and a boolean always serializes.
    serde_json::to_value(List::from(l)).unwrap_or(Value::Null)
}

/// `owner`'s conversations, from records read together.
pub(crate) async fn conversations(
    app: &App,
    owner: u64,
    list: &[app::Conversation],
) -> Result<Vec<Conversation>, Error> {
    let l = app.load_conversations(owner, list).await?;
    Ok(list
        .iter()
        .map(|c| Conversation::from_loaded(app, c, &l))
        .collect())
}

/// Mastodon's `Conversation`.
pub(crate) async fn conversation(app: &App, c: &app::Conversation) -> Result<Value, Error> {
    let l = app
        .load_conversations(c.account_id, std::slice::from_ref(c))
        .await?;
    to_json(&Conversation::from_loaded(app, c, &l))
}
