//! Signed fetches: who signed a GET (draft-cavage or RFC 9421), with the key from the
//! engine's cache or fetched.

use std::time::{Duration, UNIX_EPOCH};

use activitypub_core::engine::FetchBudget;
use bytes::Bytes;
use http::{header, Request};

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
    let h = request.headers();
    if !h.contains_key("signature") && !h.contains_key("signature-input") {
        return Signer::Anonymous;
    }
    let (mut parts, ()) = Request::builder()
        .method(request.method().clone())
        .uri(absolute_uri(app, request))
        .body(())
        .map(Request::into_parts)
        .unwrap_or_else(|_| Request::new(()).into_parts());
    parts.headers = request.headers().clone();
    let engine = app.engine();
    let policy = &engine.config().verify_policy;
    let now = UNIX_EPOCH + Duration::from_millis(engine.now().as_unix_millis());
    let sigs = match http_sig::parse_request(&parts) {
        Ok(s) => s,
        Err(e) => return Signer::Invalid(e.to_string()),
    };
    let mut budget = FetchBudget::new(engine.config().fetch_budget);
    let mut last = String::from("no usable signature");
    for sig in sigs {
        if let Err(e) = http_sig::check_policy(&sig, policy, now) {
            last = e.to_string();
            continue;
        }
        let mut verified = None;
        for refresh in [false, true] {
            let (key, owner) = match engine.public_key(&sig.key_id, refresh, &mut budget).await {
                Ok(k) => k,
                Err(e) => {
                    last = format!("key {}: {e}", sig.key_id);
                    break;
                }
            };
            match http_sig::verify(&sig, &key, policy, now) {
                Ok(_) => {
                    verified = Some(owner);
                    break;
                }
                Err(e) => {
                    let again = e.is_key_refetch_worthwhile();
                    last = e.to_string();
                    if !again {
                        break;
                    }
                }
            }
        }
        if let Some(owner) = verified {
            let host = url::Url::parse(&owner)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
                .unwrap_or_default();
            if app.is_domain_blocked(&host).await.unwrap_or(false) {
                return Signer::Invalid(format!("{host} is blocked"));
            }
            return Signer::Actor(owner);
        }
    }
    tracing::debug!(error = %last, "a signed fetch did not verify");
    Signer::Invalid(last)
}

/// The request's URI as the signer saw it: our scheme, the `Host` header (else the base
/// URL's authority), the path and query.
fn absolute_uri(app: &App, request: &Request<Bytes>) -> String {
    if request.uri().scheme().is_some() {
        return request.uri().to_string();
    }
    let base = url::Url::parse(app.base()).ok();
    let scheme = base.as_ref().map_or("https", |b| b.scheme()).to_owned();
    let authority = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| {
            base.as_ref()
                .map(|b| match b.port() {
                    Some(p) => format!("{}:{p}", b.host_str().unwrap_or("")),
                    None => b.host_str().unwrap_or("").to_owned(),
                })
                .unwrap_or_default()
        });
    let pq = request.uri().path_and_query().map_or("/", |p| p.as_str());
    format!("{scheme}://{authority}{pq}")
}
