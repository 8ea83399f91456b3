//! Signed fetches: who signed a GET. The engine verifies the signature
//! ([`Engine::verify_get`](activitypub_core::engine::Engine::verify_get): parsing, time
//! window, key from its cache or fetched, refetch on rotation); this server adds its own
//! policy: a signer on a blocked domain is refused.

use bytes::Bytes;
use http::Request;

use crate::app::App;

/// What the signature of a GET says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Signer {
    /// No signature.
    Anonymous,
    /// A signature that verified: the key's owner (an actor IRI).
    Actor(String),
    /// A signature that did not verify, or a signer we refuse (blocked domain).
    Invalid(String),
}

impl Signer {
    pub(crate) fn actor(&self) -> Option<&str> {
        match self {
            Signer::Actor(a) => Some(a),
            _ => None,
        }
    }
}

/// Checks the signature of `request` (a GET).
pub(crate) async fn signer(app: &App, request: &Request<Bytes>) -> Signer {
    let signed = match app.engine().verify_get(request).await {
        Ok(Some(signed)) => signed,
        Ok(None) => return Signer::Anonymous,
        Err(activitypub_core::Error::Rejected { reason, .. }) => return Signer::Invalid(reason),
        Err(e) => return Signer::Invalid(e.to_string()),
    };
    let host = url::Url::parse(&signed.actor)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    if app.is_domain_blocked(&host).await.unwrap_or(false) {
        return Signer::Invalid(format!("{host} is blocked"));
    }
    Signer::Actor(signed.actor)
}
