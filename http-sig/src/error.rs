//! The crate's error type.

use crate::key::KeyKind;

/// Everything that can go wrong while parsing, signing or verifying.
///
/// Variants carry enough detail for a log line; callers branch with the `is_*()` predicates.
/// No input, however malformed, makes this crate panic: it returns one of these instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The message carries no signature (no `Signature`, `Signature-Input` or
    /// `Authorization: Signature` header), or no signature with the requested label.
    #[error("no HTTP signature found{}", label_suffix(.0))]
    MissingSignature(Option<String>),
    /// A signature or digest header could not be parsed.
    #[error("malformed {header} header: {reason}")]
    MalformedHeader {
        /// The header's name.
        header: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// The signature or digest names an algorithm this crate does not implement.
    #[error("unsupported algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    /// A component listed as covered is absent from the message (a header that is not there,
    /// `(created)` without a `created` parameter, `@query-param` without a match …).
    #[error("covered component {0} is missing from the message")]
    MissingComponent(String),
    /// The verification policy requires a component that the signature does not cover.
    #[error("required component {0} is not covered by the signature")]
    NotCovered(String),
    /// The signature is older than the policy allows, or past its `expires`.
    #[error("signature expired (signed at {signed_at}, now {now})")]
    Expired {
        /// When it was created / dated (or its expiry), UNIX seconds.
        signed_at: i64,
        /// The verifier's clock, UNIX seconds.
        now: i64,
    },
    /// The signature's creation time is further in the future than the policy allows.
    #[error("signature from the future (signed at {signed_at}, now {now})")]
    FromTheFuture {
        /// When it claims to be created, UNIX seconds.
        signed_at: i64,
        /// The verifier's clock, UNIX seconds.
        now: i64,
    },
    /// A body digest is required (`Digest` or `Content-Digest`) but absent.
    #[error("no Digest or Content-Digest header")]
    DigestMissing,
    /// The `Digest` / `Content-Digest` value does not match the body.
    #[error("{0} does not match the body")]
    DigestMismatch(&'static str),
    /// The signature bytes do not verify against the signature base with this key.
    #[error("signature verification failed")]
    BadSignature,
    /// The key cannot be used with the signature's algorithm (e.g. an Ed25519 key for
    /// `rsa-sha256`).
    #[error("a {key:?} key cannot verify or sign {algorithm}")]
    KeyTypeMismatch {
        /// The key's kind.
        key: KeyKind,
        /// The algorithm asked for.
        algorithm: String,
    },
    /// Key material could not be parsed or is unacceptable (size, curve, encoding).
    #[error("invalid key: {0}")]
    InvalidKey(String),
    /// The key resolver had no key for this key id.
    #[error("no key found for key id {0:?}")]
    KeyNotFound(String),
    /// The message cannot be signed as asked (e.g. no host to cover, invalid header value).
    #[error("cannot sign: {0}")]
    Sign(String),
}

fn label_suffix(label: &Option<String>) -> String {
    label
        .as_ref()
        .map(|l| format!(" with label {l:?}"))
        .unwrap_or_default()
}

impl Error {
    pub(crate) fn malformed(header: &'static str, reason: impl Into<String>) -> Self {
        Error::MalformedHeader {
            header,
            reason: reason.into(),
        }
    }

    /// No signature in the message.
    pub fn is_missing_signature(&self) -> bool {
        matches!(self, Error::MissingSignature(_))
    }
    /// A header could not be parsed.
    pub fn is_malformed(&self) -> bool {
        matches!(self, Error::MalformedHeader { .. })
    }
    /// An unknown or unimplemented algorithm.
    pub fn is_unsupported_algorithm(&self) -> bool {
        matches!(self, Error::UnsupportedAlgorithm(_))
    }
    /// A covered component is absent from the message.
    pub fn is_missing_component(&self) -> bool {
        matches!(self, Error::MissingComponent(_))
    }
    /// The policy requires a component the signature does not cover.
    pub fn is_not_covered(&self) -> bool {
        matches!(self, Error::NotCovered(_))
    }
    /// Too old or past `expires`.
    pub fn is_expired(&self) -> bool {
        matches!(self, Error::Expired { .. })
    }
    /// Created too far in the future.
    pub fn is_from_the_future(&self) -> bool {
        matches!(self, Error::FromTheFuture { .. })
    }
    /// Outside the time window (expired or from the future).
    pub fn is_time_window(&self) -> bool {
        self.is_expired() || self.is_from_the_future()
    }
    /// No digest header where one is required.
    pub fn is_digest_missing(&self) -> bool {
        matches!(self, Error::DigestMissing)
    }
    /// The digest does not match the body.
    pub fn is_digest_mismatch(&self) -> bool {
        matches!(self, Error::DigestMismatch(_))
    }
    /// The cryptographic check failed.
    pub fn is_bad_signature(&self) -> bool {
        matches!(self, Error::BadSignature)
    }
    /// The key does not fit the algorithm.
    pub fn is_key_type_mismatch(&self) -> bool {
        matches!(self, Error::KeyTypeMismatch { .. })
    }
    /// Key material is invalid.
    pub fn is_invalid_key(&self) -> bool {
        matches!(self, Error::InvalidKey(_))
    }
    /// The resolver found no key.
    pub fn is_key_not_found(&self) -> bool {
        matches!(self, Error::KeyNotFound(_))
    }
    /// A caller should retry verification after refetching the signer's key: the signature
    /// did not verify, or no key was found, or the key type did not fit (key rotation).
    pub fn is_key_refetch_worthwhile(&self) -> bool {
        self.is_bad_signature() || self.is_key_not_found() || self.is_key_type_mismatch()
    }
}
