//! Inbound policies: a typed, composable filter over received activities, in the spirit of
//! Pleroma's MRF but compiled.
//!
//! A [`Policy`] looks at each received activity and gives a [`Verdict`]: accept it, reject
//! it (with a reason), or accept it after rewriting it in place. A [`PolicySet`] runs
//! policies in order; the first rejection wins. The engine consults the set twice:
//!
//! - [`Policy::admit`], on the request path **before** the signature is checked, with only
//!   the claimed actor and its host: a refused sender is answered `403` and costs no key
//!   fetch (domain blocks, allow-list mode). Policies that need the activity keep the
//!   default, which admits everyone.
//! - [`Policy::filter`], from the durable inbox queue, on the verified and parsed activity
//!   (its object resolved) just before the application's
//!   [`ActivityHandler`](crate::engine::ActivityHandler) sees it. A rejected activity is
//!   acknowledged and dropped (logged at `info`), never retried.
//!
//! Built-in policies ([`domains`], [`content`]): [`BlockDomains`], [`AllowDomains`],
//! [`OnDomains`] (any policy, scoped to some domains), [`StripMedia`], [`MarkSensitive`],
//! [`DropKeywords`], [`ForceUnlisted`] and [`LimitMentions`]. An application adds its own
//! by implementing [`Policy`]. Policies are synchronous and see no I/O: whatever they need
//! (a block list, say) is compiled into them, and the application swaps the whole set
//! ([`Engine::set_policies`](crate::engine::Engine::set_policies)) when its rules change.
//!
//! # Example
//!
//! ```
//! use activitypub_core::engine::InboxActivity;
//! use activitypub_core::policy::{
//!     BlockDomains, DomainSet, ForceUnlisted, LimitMentions, OnDomains, PolicySet, StripMedia,
//! };
//! use activitypub_core::{Activity, AnyObject, Visibility};
//!
//! let blocked = DomainSet::from_iter(["spam.example"]);
//! let silenced = DomainSet::from_iter(["loud.example"]);
//! let policies = PolicySet::new()
//!     .with(BlockDomains::new(blocked))
//!     .with(OnDomains::new(silenced.clone(), ForceUnlisted))
//!     .with(OnDomains::new(silenced, StripMedia))
//!     .with(LimitMentions::new(5));
//!
//! // Refused before the signature is even checked: a subdomain of a blocked domain.
//! assert!(policies.admit("https://eu.spam.example/users/x").is_err());
//! assert!(policies.admit("https://loud.example/users/l").is_ok());
//!
//! // A public post with an image from a silenced domain becomes unlisted, without media.
//! let create: Activity = serde_json::from_value(serde_json::json!({
//!     "id": "https://loud.example/users/l/statuses/1/activity",
//!     "type": "Create",
//!     "actor": "https://loud.example/users/l",
//!     "to": ["https://www.w3.org/ns/activitystreams#Public"],
//!     "object": {
//!         "id": "https://loud.example/users/l/statuses/1",
//!         "type": "Note",
//!         "attributedTo": "https://loud.example/users/l",
//!         "to": ["https://www.w3.org/ns/activitystreams#Public"],
//!         "content": "LOOK",
//!         "attachment": [{"type": "Image", "url": "https://loud.example/1.png"}]
//!     }
//! }))?;
//! let mut received = InboxActivity::new(create, "https://loud.example/users/l");
//! let outcome = policies.filter(&mut received).expect("accepted");
//! assert_eq!(outcome.rewritten_by, ["force_unlisted", "strip_media"]);
//! let Some(AnyObject::Object(note)) = &received.object else { panic!("a note") };
//! assert_eq!(Visibility::of_object(note, None), Visibility::Unlisted);
//! assert!(note.attachment.is_none());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::borrow::Cow;
use std::sync::Arc;

use crate::engine::InboxActivity;
use crate::{AnyObject, Object};

pub mod content;
pub mod domains;

pub use content::{DropKeywords, ForceUnlisted, LimitMentions, MarkSensitive, StripMedia};
pub use domains::{AllowDomains, BlockDomains, DomainSet, OnDomains};

/// What a policy decides about one activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Let it through unchanged.
    Accept,
    /// Let it through: the policy changed it in place.
    Rewritten,
    /// Refuse it, saying why.
    Reject(Cow<'static, str>),
}

impl Verdict {
    /// A rejection with `reason`.
    pub fn reject(reason: impl Into<Cow<'static, str>>) -> Self {
        Verdict::Reject(reason.into())
    }
}

/// Who sent an activity, as policies see it: the actor's IRI and its host (lowercase,
/// without port), computed once per activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sender<'a> {
    /// The actor's IRI (for [`Policy::filter`], the verified signer).
    pub actor: &'a str,
    /// The actor's host, lowercase, without port.
    pub host: &'a str,
}

/// One inbound policy. See the [module docs](self).
pub trait Policy: Send + Sync + 'static {
    /// A short stable name (`block_domains`, `strip_media` …), for logs and outcomes.
    fn name(&self) -> &str;

    /// On the request path, before the signature is checked: whether to take anything from
    /// `sender` at all. Must be cheap (no I/O). The default admits everyone.
    fn admit(&self, sender: Sender<'_>) -> Verdict {
        let _ = sender;
        Verdict::Accept
    }

    /// On the verified activity, before the application handles it: accept, reject, or
    /// rewrite `activity` in place (both [`InboxActivity::activity`] and its resolved
    /// [`InboxActivity::object`]; [`posts_mut`] gives the post objects of both).
    fn filter(&self, activity: &mut InboxActivity, sender: Sender<'_>) -> Verdict;
}

impl<P: Policy + ?Sized> Policy for Arc<P> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn admit(&self, sender: Sender<'_>) -> Verdict {
        (**self).admit(sender)
    }
    fn filter(&self, activity: &mut InboxActivity, sender: Sender<'_>) -> Verdict {
        (**self).filter(activity, sender)
    }
}

/// A refusal by one policy of a [`PolicySet`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The refusing policy's [`name`](Policy::name).
    pub policy: String,
    /// Its reason.
    pub reason: Cow<'static, str>,
}

impl std::fmt::Display for Rejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "refused by policy {}: {}", self.policy, self.reason)
    }
}

/// What a [`PolicySet`] did to an accepted activity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The names of the policies that rewrote it, in order (empty: unchanged).
    pub rewritten_by: Vec<String>,
}

/// Policies run in order; the first rejection wins. Cheap to share (`Arc` it); the engine
/// holds one ([`Engine::set_policies`](crate::engine::Engine::set_policies)).
#[derive(Default)]
pub struct PolicySet {
    policies: Vec<Box<dyn Policy>>,
}

impl std::fmt::Debug for PolicySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.policies.iter().map(|p| p.name()))
            .finish()
    }
}

impl PolicySet {
    /// No policies: everything is accepted.
    pub fn new() -> Self {
        PolicySet::default()
    }

    /// Adds `policy` after the ones already there.
    pub fn with(mut self, policy: impl Policy) -> Self {
        self.push(policy);
        self
    }

    /// Adds `policy` after the ones already there.
    pub fn push(&mut self, policy: impl Policy) {
        self.policies.push(Box::new(policy));
    }

    /// Adds a boxed policy after the ones already there.
    pub fn push_boxed(&mut self, policy: Box<dyn Policy>) {
        self.policies.push(policy);
    }

    /// How many policies there are.
    pub fn len(&self) -> usize {
        self.policies.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }

    /// The policies' names, in order.
    pub fn names(&self) -> Vec<&str> {
        self.policies.iter().map(|p| p.name()).collect()
    }

    /// Runs every policy's [`admit`](Policy::admit) on the claimed `actor` (an IRI).
    pub fn admit(&self, actor: &str) -> Result<(), Rejected> {
        if self.policies.is_empty() {
            return Ok(());
        }
        let host = host_of(actor);
        let sender = Sender { actor, host: &host };
        for p in &self.policies {
            if let Verdict::Reject(reason) = p.admit(sender) {
                return Err(Rejected {
                    policy: p.name().to_owned(),
                    reason,
                });
            }
        }
        Ok(())
    }

    /// Runs every policy's [`filter`](Policy::filter) on `activity` (sent by its
    /// [`signer`](InboxActivity::signer)), in order, stopping at the first rejection.
    pub fn filter(&self, activity: &mut InboxActivity) -> Result<Outcome, Rejected> {
        let mut outcome = Outcome::default();
        if self.policies.is_empty() {
            return Ok(outcome);
        }
        let actor = std::mem::take(&mut activity.signer);
        let host = host_of(&actor);
        let sender = Sender {
            actor: &actor,
            host: &host,
        };
        let mut result = Ok(());
        for p in &self.policies {
            match p.filter(activity, sender) {
                Verdict::Accept => {}
                Verdict::Rewritten => outcome.rewritten_by.push(p.name().to_owned()),
                Verdict::Reject(reason) => {
                    result = Err(Rejected {
                        policy: p.name().to_owned(),
                        reason,
                    });
                    break;
                }
            }
        }
        activity.signer = actor;
        result.map(|()| outcome)
    }
}

/// The host of an IRI, lowercase, without userinfo or port; empty when there is none. No
/// URL parsing: the engine already validated the IRI.
pub fn host_of(iri: &str) -> Cow<'_, str> {
    let rest = iri.split_once("://").map_or(iri, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host_port.starts_with('[') {
        host_port.split_once(']').map_or(host_port, |(h, _)| h)
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    let host = host.trim_end_matches('.');
    if host.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(host.to_ascii_lowercase())
    } else {
        Cow::Borrowed(host)
    }
}

/// The post objects of a received activity, mutably: the resolved
/// [`object`](InboxActivity::object) and the object embedded in the activity, when they are
/// plain objects (a `Note`, `Article` …; not actors, activities or collections). A rewriting
/// policy changes both, so the application sees the same whichever it reads.
pub fn posts_mut(activity: &mut InboxActivity) -> impl Iterator<Item = &mut Object> {
    let resolved = match activity.object.as_mut() {
        Some(AnyObject::Object(o)) => Some(o),
        _ => None,
    };
    let embedded = activity
        .activity
        .object
        .as_mut()
        .and_then(|o| o.first_mut())
        .and_then(|r| match r {
            crate::Reference::Object(b) => match b.as_mut() {
                AnyObject::Object(o) => Some(o),
                _ => None,
            },
            crate::Reference::Id(_) => None,
        });
    resolved.into_iter().chain(embedded)
}

/// The post objects of a received activity (see [`posts_mut`]), read-only: the resolved
/// object, else the embedded one.
pub fn post(activity: &InboxActivity) -> Option<&Object> {
    match activity.object.as_ref() {
        Some(AnyObject::Object(o)) => Some(o),
        _ => match activity.activity.first_object().and_then(|r| r.object()) {
            Some(AnyObject::Object(o)) => Some(o),
            _ => None,
        },
    }
}

/// Whether the activity creates or updates something (`Create`, `Update`): the kinds whose
/// objects content policies look at.
pub fn creates(activity: &InboxActivity) -> bool {
    matches!(activity.kind(), "Create" | "Update")
}

#[cfg(test)]
mod tests;
