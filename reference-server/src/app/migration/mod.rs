//! Account migration (FEP-7628, as Mastodon does it): aliases, moving out, moving in.
//!
//! - [`aliases`]: a local account's `alsoKnownAs`, the actors it says it also is (the
//!   accounts it may receive a move from).
//! - [`move_out`]: a local account moves to another (`Move` to its followers, `movedTo` on
//!   its actor, no new follows and no posting afterwards, one move per [`COOLDOWN_MS`]).
//! - [`move_in`]: a `Move` from another server (checked against the target's `alsoKnownAs`,
//!   fetched fresh) and what it does to the local followers of the origin, as Mastodon's
//!   `MoveWorker` and `UnfollowFollowWorker` do: follow the target, copy list memberships,
//!   unfollow the origin, carry blocks and mutes over.
//!
//! What is kept is [`Migration`], a part of each [`Account`](super::Account) record: remote
//! actors' `alsoKnownAs` and `movedTo` are read whenever their documents are stored.

use activitypub_core::Actor;
use serde::{Deserialize, Serialize};

pub mod aliases;
pub mod move_in;
pub mod move_out;

/// How long after a move an account cannot move again: 30 days, as Mastodon's
/// `AccountMigration::COOLDOWN_PERIOD`.
pub const COOLDOWN_MS: u64 = 30 * 24 * 3600 * 1000;

/// Most aliases an account keeps (Mastodon limits them to a handful per account too).
pub const MAX_ALIASES: usize = 10;

/// An account's migration state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Migration {
    /// `alsoKnownAs`: actor IRIs this account says it also is.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_known_as: Vec<String>,
    /// `movedTo`: the actor IRI the account moved to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_to_uri: Option<String>,
    /// The account it moved to, once known here (the client entity's `moved`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_to: Option<u64>,
    /// When a local account last moved (ms): the cooldown counts from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_at: Option<u64>,
}

impl Migration {
    /// Nothing recorded (not serialized then).
    pub fn is_clear(&self) -> bool {
        *self == Migration::default()
    }

    /// The migration state a remote actor's document declares; `known_target` is the
    /// account id of its `movedTo` if that actor is known here, `before` the state stored
    /// before (its target id is kept while `movedTo` is the same).
    pub(crate) fn of_remote(actor: &Actor, before: &Migration, known_target: Option<u64>) -> Self {
        let also_known_as = aliases_of(actor);
        let moved_to_uri = actor.moved_to.as_ref().map(|m| m.as_str().to_owned());
        let moved_to = match &moved_to_uri {
            None => None,
            Some(u) if before.moved_to_uri.as_ref() == Some(u) => before.moved_to.or(known_target),
            Some(_) => known_target,
        };
        Migration {
            also_known_as,
            moved_to_uri,
            moved_to,
            moved_at: before.moved_at,
        }
    }
}

/// The `alsoKnownAs` IRIs of an actor document.
pub fn aliases_of(actor: &Actor) -> Vec<String> {
    actor
        .also_known_as
        .iter()
        .flat_map(|a| a.iter())
        .map(|i| i.as_str().to_owned())
        .collect()
}

/// Whether `actor` lists `iri` among its aliases.
pub fn lists_alias(actor: &Actor, iri: &str) -> bool {
    aliases_of(actor).iter().any(|a| a == iri)
}
