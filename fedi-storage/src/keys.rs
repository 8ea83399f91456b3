//! Keys: local actors' key pairs and a cache of remote actors' public keys. The [`KeyStore`]
//! trait, its conveniences and its records.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;

use crate::error::Result;
use crate::time::Timestamp;

/// Key pairs of local actors and a cache of remote actors' public keys.
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Stores (or replaces) a local key pair, by key id. Durable on return.
    async fn put_local_key(&self, key: &LocalKeyPair) -> Result<()>;

    /// The local key pair with this key id.
    async fn local_key(&self, key_id: &str) -> Result<Option<LocalKeyPair>>;

    /// Every local key pair of `owner`, ordered by key id.
    async fn local_keys_of(&self, owner: &str) -> Result<Vec<LocalKeyPair>>;

    /// Caches a remote public key (replacing any with the same key id). Durable on return.
    async fn put_remote_key(&self, key: &RemoteKey) -> Result<()>;

    /// The cached remote key with this key id.
    async fn remote_key(&self, key_id: &str) -> Result<Option<RemoteKey>>;

    /// Drops a cached remote key (after a failed verification, to force a refetch). Returns
    /// whether it was cached. Durable on return.
    async fn invalidate_remote_key(&self, key_id: &str) -> Result<bool>;

    /// Drops every cached key of `owner` (actor deleted or updated). Returns how many were
    /// dropped. Durable on return.
    async fn invalidate_remote_keys_of(&self, owner: &str) -> Result<usize>;
}

/// Conveniences on [`KeyStore`].
#[async_trait]
pub trait KeyStoreExt: KeyStore {
    /// The cached remote key if it was fetched no longer than `max_age` before `now`.
    async fn fresh_remote_key(
        &self,
        key_id: &str,
        now: Timestamp,
        max_age: Duration,
    ) -> Result<Option<RemoteKey>> {
        Ok(self
            .remote_key(key_id)
            .await?
            .filter(|k| k.fetched_at >= now.saturating_sub(max_age)))
    }
}
impl<T: KeyStore + ?Sized> KeyStoreExt for T {}

/// A local actor's key pair.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LocalKeyPair {
    /// The key id published in the actor (e.g. `https://example.com/users/alice#main-key`).
    pub key_id: String,
    /// The owning actor's IRI.
    pub owner: String,
    /// The algorithm, e.g. `rsa-sha256` or `ed25519` (free text, for the caller).
    pub algorithm: String,
    /// The private key, PKCS#8 DER.
    pub private_key_pkcs8: Vec<u8>,
    /// The public key, PEM (SPKI).
    pub public_key_pem: String,
    /// When the key pair was created.
    pub created_at: Timestamp,
}

impl LocalKeyPair {
    /// A key pair record.
    pub fn new(
        key_id: impl Into<String>,
        owner: impl Into<String>,
        algorithm: impl Into<String>,
        private_key_pkcs8: Vec<u8>,
        public_key_pem: impl Into<String>,
        created_at: Timestamp,
    ) -> Self {
        LocalKeyPair {
            key_id: key_id.into(),
            owner: owner.into(),
            algorithm: algorithm.into(),
            private_key_pkcs8,
            public_key_pem: public_key_pem.into(),
            created_at,
        }
    }
}

impl fmt::Debug for LocalKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalKeyPair")
            .field("key_id", &self.key_id)
            .field("owner", &self.owner)
            .field("algorithm", &self.algorithm)
            .field("private_key_pkcs8", &"<redacted>")
            .field("public_key_pem", &self.public_key_pem)
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// A remote actor's public key, cached.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RemoteKey {
    /// The key id (`keyId` / `keyid`).
    pub key_id: String,
    /// The owning actor's IRI.
    pub owner: String,
    /// The public key as published, PEM.
    pub public_key_pem: String,
    /// The key in a parsed form chosen by the caller (e.g. SPKI DER), so it need not be
    /// parsed again.
    pub parsed: Option<Vec<u8>>,
    /// When it was fetched.
    pub fetched_at: Timestamp,
}

impl RemoteKey {
    /// A cached remote key.
    pub fn new(
        key_id: impl Into<String>,
        owner: impl Into<String>,
        public_key_pem: impl Into<String>,
        fetched_at: Timestamp,
    ) -> Self {
        RemoteKey {
            key_id: key_id.into(),
            owner: owner.into(),
            public_key_pem: public_key_pem.into(),
            parsed: None,
            fetched_at,
        }
    }
    /// Sets the parsed form (builder style).
    pub fn with_parsed(mut self, parsed: Vec<u8>) -> Self {
        self.parsed = Some(parsed);
        self
    }
}
