//! Who signed a request: the signature checks the inbox and signed GETs (authorized fetch)
//! share — the target URI rebuilt as the sender saw it, the policy and time window checked
//! before any key is looked up, the key from the caches or fetched (one fetch shared by
//! concurrent requests), and one refetch when a cached key fails (key rotation).

use http::{header, Method};
use http_sig::{ParsedSignature, Scheme};

use super::{Engine, FetchBudget, Rejection};
use crate::Error;

/// Who signed a request, as [`Engine::verify_get`] found it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignedBy {
    /// The key id of the signature that verified.
    pub key_id: String,
    /// The key's owner: the actor whose document publishes the key.
    pub actor: String,
    /// The scheme of the signature that verified.
    pub scheme: Scheme,
}

/// How the signature checks of a request ended, when they did not fail.
pub(crate) enum Checked {
    /// A signature verified with a key of `owner`.
    Verified {
        verified: http_sig::Verified,
        owner: String,
    },
    /// The signing key's document is gone (`410`); only when the caller asked to stop there.
    KeyGone,
}

fn signature_error(reason: impl Into<String>) -> Error {
    Error::rejected(Rejection::Signature, reason)
}

impl Engine {
    /// Verifies the HTTP signature of a `GET` (or `HEAD`) request for one of this server's
    /// documents, as a server in authorized-fetch mode does before answering it, and says who
    /// signed it: `Ok(None)` if the request carries no signature (the caller decides whether
    /// to answer anonymous requests), `Ok(Some(SignedBy))` if one verified.
    ///
    /// The checks are the inbox's: draft-cavage or RFC 9421 signatures; the target URI
    /// rebuilt from the base URL's scheme and the `Host` header (or the base URL's authority)
    /// when the request's URI is in origin form (`/users/alice`), as the inbox does; the
    /// [`verify_policy`](super::EngineConfig::verify_policy) (covered components, time window)
    /// checked before any key is looked up, so a stale request causes no fetch; the key from
    /// the inbox's caches, else fetched (one fetch shared by concurrent requests for the same
    /// key, see [`public_key`](Self::public_key)); a cached key that fails is fetched again
    /// once (key rotation). Within [`fetch_budget`](super::EngineConfig::fetch_budget)
    /// requests.
    ///
    /// Errors: [`Rejection::Signature`] (401) when no signature verifies (malformed, outside
    /// the time window, wrong key, key unavailable); [`Rejection::BadRequest`] (400) for a
    /// method other than `GET` or `HEAD`. Whether the signer may see the document (blocked
    /// domains, followers-only posts) is the application's decision.
    ///
    /// The body is not read (a `GET` has none); any body type is taken.
    pub async fn verify_get<B>(
        &self,
        request: &http::Request<B>,
    ) -> Result<Option<SignedBy>, Error> {
        if !matches!(*request.method(), Method::GET | Method::HEAD) {
            return Err(Error::rejected(
                Rejection::BadRequest,
                format!("a signed fetch is a GET or HEAD, not {}", request.method()),
            ));
        }
        let (mut parts, ()) = http::Request::new(()).into_parts();
        parts.method = request.method().clone();
        parts.uri = request.uri().clone();
        parts.version = request.version();
        parts.headers = request.headers().clone();
        self.absolute_uri(&mut parts);
        let sigs = match http_sig::parse_request(&parts) {
            Ok(sigs) => sigs,
            Err(e) if e.is_missing_signature() => return Ok(None),
            Err(e) => return Err(signature_error(e.to_string())),
        };
        let mut budget = FetchBudget::new(self.inner.config.fetch_budget);
        let result = self.check_signatures(sigs, &mut budget, false).await;
        match result {
            Ok(Checked::Verified { verified, owner }) => Ok(Some(SignedBy {
                key_id: verified.key_id,
                actor: owner,
                scheme: verified.scheme,
            })),
            // Not asked for: a gone key is an unavailable key here.
            Ok(Checked::KeyGone) => Err(signature_error("the signing key is gone")),
            Err(e) => {
                tracing::debug!(error = %e, uri = %parts.uri, "a signed fetch did not verify");
                Err(e)
            }
        }
    }

    /// Checks `sigs` (parsed from one request) in order until one verifies: the policy and
    /// time window first, then the key (cached, else fetched), then the signature; a cached
    /// key that fails is fetched again once. With `stop_when_gone`, a key whose document is
    /// gone ends the checks with [`Checked::KeyGone`]. Fails with the first reason a
    /// signature was refused ([`Rejection::Signature`]).
    pub(crate) async fn check_signatures(
        &self,
        sigs: Vec<ParsedSignature>,
        budget: &mut FetchBudget,
        stop_when_gone: bool,
    ) -> Result<Checked, Error> {
        let policy = &self.inner.config.verify_policy;
        let now = self.now_system();
        let mut last_err: Option<Error> = None;
        for sig in sigs {
            if let Err(e) = http_sig::check_policy(&sig, policy, now) {
                last_err.get_or_insert(signature_error(e.to_string()));
                continue;
            }
            let found = match self.lookup_key(&sig.key_id, false, budget).await {
                Ok(k) => k,
                Err(e) if e.is_gone() && stop_when_gone => return Ok(Checked::KeyGone),
                Err(e) => {
                    last_err.get_or_insert(signature_error(format!(
                        "key {} unavailable: {e}",
                        sig.key_id
                    )));
                    continue;
                }
            };
            let e = match http_sig::verify(&sig, &found.key, policy, now) {
                Ok(verified) => {
                    return Ok(Checked::Verified {
                        verified,
                        owner: found.owner,
                    })
                }
                Err(e) => e,
            };
            if found.fetched || !e.is_key_refetch_worthwhile() {
                last_err.get_or_insert(signature_error(e.to_string()));
                continue;
            }
            // Key rotation: fetch the key again, once, and check again.
            match self.lookup_key(&sig.key_id, true, budget).await {
                Ok(k) => match http_sig::verify(&sig, &k.key, policy, now) {
                    Ok(verified) => {
                        return Ok(Checked::Verified {
                            verified,
                            owner: k.owner,
                        })
                    }
                    Err(e) => {
                        last_err.get_or_insert(signature_error(e.to_string()));
                    }
                },
                Err(e) if e.is_gone() && stop_when_gone => return Ok(Checked::KeyGone),
                Err(e) => {
                    last_err.get_or_insert(signature_error(e.to_string()));
                }
            }
        }
        Err(last_err.unwrap_or_else(|| signature_error("no usable signature")))
    }

    /// Makes the request URI absolute with this server's scheme and the `Host` header (or
    /// the base URL's authority), so RFC 9421's `@target-uri` and `@scheme` are what the
    /// sender signed.
    pub(crate) fn absolute_uri(&self, parts: &mut http::request::Parts) {
        if parts.uri.scheme().is_some() {
            return;
        }
        let base = &self.inner.config.base_url;
        let authority = parts
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned)
            .unwrap_or_else(|| match base.port() {
                Some(p) => format!("{}:{p}", base.host_str().unwrap_or("")),
                None => base.host_str().unwrap_or("").to_owned(),
            });
        let pq = parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
        if let Ok(uri) = format!("{}://{authority}{pq}", base.scheme()).parse() {
            parts.uri = uri;
        }
    }
}
