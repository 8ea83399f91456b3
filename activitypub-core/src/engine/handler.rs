//! The application's side: what the engine hands over once an activity is verified.

use async_trait::async_trait;
use bytes::Bytes;

use super::Engine;
use crate::{Activity, AnyObject, Error};

/// Where a request was delivered: the shared inbox, or one local actor's inbox.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum InboxTarget {
    /// The server's shared inbox.
    Shared,
    /// A local actor's personal inbox (the actor's IRI).
    Actor(String),
}

/// A received activity that passed every check of the inbox pipeline, handed to
/// [`ActivityHandler::handle`] from the durable inbox queue.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct InboxActivity {
    /// The activity, typed.
    pub activity: Activity,
    /// The activity's first `object`, resolved: the embedded object when it is on the
    /// actor's origin; fetched from its own origin when it was embedded from another origin
    /// (or given only as an IRI and fetchable). `None` when there is no object or it could not
    /// be fetched (then [`InboxActivity::object_error`] says why).
    pub object: Option<AnyObject>,
    /// Why the object could not be resolved, if it could not.
    pub object_error: Option<String>,
    /// The exact bytes received (for forwarding and digests).
    pub raw: Bytes,
    /// Which inbox it arrived at.
    pub target: InboxTarget,
    /// The authenticated actor: the owner of the key that signed the request, which the
    /// pipeline checked is the activity's `actor`.
    pub signer: String,
    /// The key id that signed it.
    pub key_id: String,
    /// `cavage` or `rfc9421`.
    pub scheme: String,
    /// When it was received (Unix milliseconds).
    pub received_at: u64,
}

impl InboxActivity {
    /// The activity's type name (`Create`, `Follow` …).
    pub fn kind(&self) -> &str {
        self.activity.type_name().unwrap_or("")
    }
}

/// The application's handler of received activities.
///
/// [`handle`](ActivityHandler::handle) runs from the durable inbox queue, off the request
/// path, with retries: return [`Error::handler`] to have the activity tried again later, or
/// [`Error::handler_permanent`] to drop it (it is kept as a dead letter).
#[async_trait]
pub trait ActivityHandler: Send + Sync + 'static {
    /// Called on the request path before the signature is checked, with the activity's
    /// claimed actor: return `false` to refuse it with `403` (blocked actors and domains), so
    /// blocked senders cost no key fetch. The default allows everyone.
    async fn allow(&self, actor: &str) -> bool {
        let _ = actor;
        true
    }

    /// Handles one verified activity. The engine is passed in so the handler can deliver
    /// (an `Accept` for a `Follow`, say) and fetch.
    async fn handle(&self, engine: &Engine, activity: InboxActivity) -> Result<(), Error>;

    /// Called (from the queue) when a `Delete` of an actor arrived whose key can no longer be
    /// fetched because the actor's server answers `410 Gone`: the actor is gone. The default
    /// does nothing.
    async fn actor_gone(&self, engine: &Engine, actor: &str) -> Result<(), Error> {
        let _ = (engine, actor);
        Ok(())
    }
}

/// A handler that accepts everything and does nothing (for tests and tools).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoopHandler;

#[async_trait]
impl ActivityHandler for NoopHandler {
    async fn handle(&self, _engine: &Engine, _activity: InboxActivity) -> Result<(), Error> {
        Ok(())
    }
}
