//! HTTP Signatures for the fediverse: draft-cavage-http-signatures-12 (as Mastodon applies it)
//! and RFC 9421 HTTP Message Signatures, plus `Digest` (RFC 3230) and `Content-Digest`
//! (RFC 9530) body digests.
//!
//! The crate is sans-I/O: it works on [`http::request::Parts`] / [`http::response::Parts`] and
//! body bytes, and never touches a socket or a clock (the time is always passed in).
//!
//! # Verifying in three steps
//!
//! 1. [`parse_request`] finds the message's signatures and builds their signature bases: key id,
//!    algorithm, scheme, covered components, `created`/`expires`, base and signature bytes.
//!    No crypto, no I/O.
//! 2. The caller resolves the key id to a [`PublicKey`] however it likes (a cache, an async
//!    fetch of the actor document). Parse a key once ([`PublicKey::from_pem`]) and cache it.
//! 3. [`verify`] checks the [`VerifyPolicy`] and the signature, and returns [`Verified`]: which
//!    key id verified, with which [`Scheme`]. [`verify_body_digest`] checks the body.
//!
//! [`verify_request`] does all of it in one call when the key is at hand.
//!
//! # Getting started
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use http_sig::{sign_request, verify_request, PrivateKey, Scheme, SignOptions, VerifyPolicy};
//!
//! # fn main() -> Result<(), http_sig::Error> {
//! let key = PrivateKey::generate_ed25519()?;
//! let key_id = "https://example.com/users/alice#main-key";
//! let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
//!
//! // Sign a POST the way Mastodon does (draft-cavage).
//! let body = br#"{"type":"Follow"}"#;
//! let (mut parts, ()) = http::Request::post("https://remote.example/inbox")
//!     .header("content-type", "application/activity+json")
//!     .body(())
//!     .expect("valid request")
//!     .into_parts();
//! sign_request(&mut parts, body, &key, &SignOptions::cavage(key_id), now)?;
//! assert!(parts.headers["signature"].to_str().unwrap()
//!     .contains(r#"headers="(request-target) host date digest content-type""#));
//!
//! // The receiver parses the public key once (e.g. from the actor's publicKeyPem) and caches it.
//! let public = http_sig::PublicKey::from_pem(&key.public_key().to_pem()?)?;
//! let verified = verify_request(&parts, body, &VerifyPolicy::default(), now, |id| {
//!     (id == key_id).then(|| public.clone())
//! })?;
//! assert_eq!(verified.key_id, key_id);
//! assert_eq!(verified.scheme, Scheme::Cavage);
//!
//! // A tampered body fails.
//! let err = verify_request(&parts, b"{}", &VerifyPolicy::default(), now, |_| Some(public.clone()))
//!     .unwrap_err();
//! assert!(err.is_digest_mismatch());
//!
//! // The same with RFC 9421 (Mastodon 4.5 profile), in three explicit steps.
//! let (mut parts, ()) = http::Request::post("https://remote.example/inbox").body(()).unwrap().into_parts();
//! sign_request(&mut parts, body, &key, &SignOptions::rfc9421(key_id), now)?;
//! let sigs = http_sig::parse_request(&parts)?;                       // step 1
//! assert_eq!(sigs[0].key_id, key_id);
//! let key_for_it = public.clone();                                   // step 2: your cache
//! http_sig::verify_body_digest(key_for_it.provider(), &parts.headers, body)?;
//! let verified = http_sig::verify(&sigs[0], &key_for_it, &VerifyPolicy::default(), now)?; // step 3
//! assert_eq!(verified.scheme, Scheme::Rfc9421);
//! # Ok(())
//! # }
//! ```
//!
//! # Crypto providers
//!
//! All hashing, signing and verifying goes through a [`CryptoProvider`]: `ring` (default
//! feature `ring`) or `aws-lc-rs` (feature `aws-lc-rs`). Keys are parsed with the default
//! provider unless a `*_with` constructor names one; a key keeps its provider.
//! [`CryptoProvider::all`] lists the compiled-in providers.

mod api;
mod cavage;
mod der;
pub mod digest;
mod error;
mod key;
mod message;
pub mod provider;
mod rfc9421;
mod types;

pub use api::{
    check_policy, parse_request, parse_response, sign_request, sign_response, signature_algorithm,
    verify, verify_request, verify_response,
};
pub use digest::{verify_body_digest, DigestAlgorithm};
pub use error::Error;
pub use key::{Algorithm, KeyKind, PrivateKey, PublicKey};
pub use provider::CryptoProvider;
pub use types::{Component, ParsedSignature, Scheme, SignOptions, Verified, VerifyPolicy};
