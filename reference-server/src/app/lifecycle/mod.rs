//! An account's life as its owner manages it (issue #19): changing the password, the
//! applications holding tokens for it, and deleting it.
//!
//! - [`password`]: [`App::change_password`](crate::app::App::change_password) (the owner,
//!   with the current password, behind the sign-in throttle) and
//!   [`App::reset_password`](crate::app::App::reset_password) (the operator), both with
//!   Mastodon's password rules (the sign-up's [`password_error`](super::signup::password_error))
//!   and, on request, every other token of the account revoked.
//! - [`authorized_apps`]: the applications holding tokens for an account (Mastodon's
//!   `/oauth/authorized_applications` page, which comes with the web interface of #20) and
//!   their revocation (all of an application's tokens and codes for that account).
//! - [`deletion`]: deletion by the owner (with the password) or by the operator: the account
//!   is marked deleted at once (its actor, statuses and WebFinger answer `410`, its tokens
//!   stop working) and a durable job of the moderation queue
//!   ([`App::run_moderation_jobs`](crate::app::App::run_moderation_jobs)) sends the `Delete`
//!   of the actor to every known instance and removes its data, as the 30-day deletion of a
//!   suspended account does (one deletion, [`moderation::accounts`](super::moderation::accounts)).
//!
//! Tokens and applications are the client API's records (`api/oauth.rs`: the namespaces
//! `oauth.tokens`, `oauth.apps`, `oauth.codes`); this module reads and deletes them there.
//! There is no index of an account's tokens: listing or revoking them scans the token
//! namespace, as `api::token_access::sync_login` does (these actions are rare; the request
//! path still reads only the token).

pub mod authorized_apps;
pub mod deletion;
pub mod password;

pub use authorized_apps::AuthorizedApp;
pub use password::Revoke;
