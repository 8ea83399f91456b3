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
    /// A received activity as the pipeline would hand it over, for tests, benches and
    /// policies run outside the engine: `activity` sent (and signed) by `signer`, at the
    /// shared inbox, its object the embedded first `object` if any.
    pub fn new(activity: Activity, signer: impl Into<String>) -> Self {
        let object = activity.first_object().and_then(|r| r.object()).cloned();
        let signer = signer.into();
        InboxActivity {
            activity,
            object,
            object_error: None,
            raw: Bytes::new(),
            target: InboxTarget::Shared,
            key_id: format!("{signer}#main-key"),
            signer,
            scheme: "cavage".into(),
            received_at: 0,
        }
    }

    /// The activity's type name (`Create`, `Follow` …).
    pub fn kind(&self) -> &str {
        self.activity.type_name().unwrap_or("")
    }

    /// The id of the activity's first `object`, given as an IRI or embedded (for a `Follow`,
    /// the followed actor).
    pub fn object_id(&self) -> Option<&str> {
        self.activity.first_object().and_then(|o| o.id())
    }

    /// The type name of the resolved [`object`](Self::object) (for an `Undo`, the undone
    /// activity's: `Follow`, `Like` …).
    pub fn object_kind(&self) -> Option<&str> {
        self.object.as_ref().and_then(|o| o.object().type_name())
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

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::{InboxActivity, InboxTarget};
    use crate::{builder, Activity, AnyObject, ObjectId};

    fn received(activity: Activity, object: Option<AnyObject>) -> InboxActivity {
        InboxActivity {
            activity,
            object,
            object_error: None,
            raw: Bytes::new(),
            target: InboxTarget::Shared,
            signer: "https://far.example/users/f".into(),
            key_id: "https://far.example/users/f#main-key".into(),
            scheme: "cavage".into(),
            received_at: 0,
        }
    }

    fn id<K>(s: &str) -> ObjectId<K> {
        ObjectId::parse(s).expect("id")
    }

    #[test]
    fn object_id_and_kind_of_a_follow_and_of_its_undo() {
        let f = id("https://far.example/users/f");
        let blog = id("https://blog.example/blog");
        let follow = builder::follow(&id("https://far.example/follows/1"), &f, &blog);
        let a = received(follow.clone(), None);
        assert_eq!(a.kind(), "Follow");
        // The object given as an IRI; not resolved here.
        assert_eq!(a.object_id(), Some("https://blog.example/blog"));
        assert_eq!(a.object_kind(), None);

        let undo = builder::undo(&id("https://far.example/undos/1"), &f, follow.clone());
        let a = received(undo, Some(AnyObject::Activity(follow)));
        assert_eq!(a.kind(), "Undo");
        // The embedded Follow's id, and the resolved object's type.
        assert_eq!(a.object_id(), Some("https://far.example/follows/1"));
        assert_eq!(a.object_kind(), Some("Follow"));
    }

    #[test]
    fn no_object_means_no_object_id_or_kind() {
        let mut a = received(Activity::default(), None);
        assert_eq!(a.object_id(), None);
        assert_eq!(a.object_kind(), None);
        a.object = Some(AnyObject::from_slice(br#"{"id":"https://x.example/1"}"#).expect("json"));
        assert_eq!(a.object_kind(), None, "an object without a type");
    }
}
