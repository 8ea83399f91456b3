//! Local actors' key pairs and the cache of remote public keys.

use std::sync::Arc;

use fedi_storage::{KeyStoreExt, LocalKeyPair, RemoteKey, Timestamp};
use http_sig::{PrivateKey, PublicKey};

use super::{lock, Engine, FetchBudget};
use crate::builder::PersonBuilder;
use crate::{Actor, Error, ObjectId};

/// The kind of key pair to create for a local actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyAlgorithm {
    /// RSA-2048 (what every fediverse server can verify; signs `rsa-sha256`).
    Rsa2048,
    /// Ed25519 (smaller and faster, but not every server accepts it).
    Ed25519,
}

pub(crate) struct SigningKey {
    pub(crate) key_id: String,
    pub(crate) key: PrivateKey,
}

#[derive(Clone)]
pub(crate) struct CachedKey {
    pub(crate) key: PublicKey,
    pub(crate) owner: String,
    pub(crate) fetched_at: Timestamp,
}

impl Engine {
    /// Creates and stores a key pair for a local actor (key id `{actor}#main-key`), unless
    /// it has one; returns the actor's key pair. RSA-2048 generation takes a moment (tens to
    /// hundreds of milliseconds): it runs on a blocking thread.
    pub async fn create_local_actor(
        &self,
        actor: &ObjectId<Actor>,
        algorithm: KeyAlgorithm,
    ) -> Result<LocalKeyPair, Error> {
        if let Some(k) = self.local_key(actor).await? {
            return Ok(k);
        }
        let key = tokio::task::spawn_blocking(move || match algorithm {
            KeyAlgorithm::Rsa2048 => PrivateKey::generate_rsa(2048),
            KeyAlgorithm::Ed25519 => PrivateKey::generate_ed25519(),
        })
        .await
        .map_err(|e| Error::Config(format!("key generation task failed: {e}")))??;
        let pair = LocalKeyPair::new(
            format!("{}#main-key", actor.as_str()),
            actor.as_str(),
            match algorithm {
                KeyAlgorithm::Rsa2048 => "rsa-sha256",
                KeyAlgorithm::Ed25519 => "ed25519",
            },
            key.to_pkcs8_der()?,
            key.public_key().to_pem()?,
            self.now(),
        );
        self.inner.store.put_local_key(&pair).await?;
        Ok(pair)
    }

    /// The key pair of a local actor, if it has one.
    pub async fn local_key(&self, actor: &ObjectId<Actor>) -> Result<Option<LocalKeyPair>, Error> {
        Ok(self
            .inner
            .store
            .local_keys_of(actor.as_str())
            .await?
            .into_iter()
            .next())
    }

    /// The PEM public key of a local actor (to publish in its `publicKey`).
    pub async fn local_public_key_pem(
        &self,
        actor: &ObjectId<Actor>,
    ) -> Result<Option<String>, Error> {
        Ok(self.local_key(actor).await?.map(|k| k.public_key_pem))
    }

    /// A [`PersonBuilder`] for a local actor, with the public key stored for it by
    /// [`create_local_actor`](Self::create_local_actor) and Mastodon's URL layout under its
    /// id; add a name, a bio … and `build()` the document to serve at the actor's id (as
    /// `application/activity+json`). [`Error::Config`] if the actor has no key pair.
    pub async fn local_person(
        &self,
        actor: &ObjectId<Actor>,
        username: &str,
    ) -> Result<PersonBuilder, Error> {
        let pem = self.local_public_key_pem(actor).await?.ok_or_else(|| {
            Error::Config(format!("local actor {} has no key pair", actor.as_str()))
        })?;
        PersonBuilder::new(actor, username, &pem)
    }

    /// The instance actor's document, as Mastodon serves its own: an `Application` at
    /// [`EngineConfig::instance_actor`](super::EngineConfig::instance_actor) whose
    /// `preferredUsername` is the host, with its inbox and outbox under its id, the shared
    /// inbox at `/inbox`, and its public key. Serve it (as `application/activity+json`) so
    /// that servers in authorized-fetch mode can check the engine's signed fetches.
    pub async fn instance_actor_document(&self) -> Result<Actor, Error> {
        let config = &self.inner.config;
        let host = config.base_url.host_str().unwrap_or("");
        let mut actor = self
            .local_person(&config.instance_actor, host)
            .await?
            .build();
        actor.base.kind = Some(crate::Kind::Application.into());
        actor.manually_approves_followers = Some(true);
        actor.featured = None;
        actor.featured_tags = None;
        actor.discoverable = None;
        actor.indexable = None;
        actor.memorial = None;
        Ok(actor)
    }

    /// The parsed signing key of a local actor (parsed once, then cached in memory).
    pub(crate) async fn signing_key(&self, actor: &str) -> Result<Arc<SigningKey>, Error> {
        if let Some(k) = lock(&self.inner.signing_keys).get(actor) {
            return Ok(k.clone());
        }
        let pair = self
            .inner
            .store
            .local_keys_of(actor)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| Error::Config(format!("local actor {actor} has no key pair")))?;
        let key = Arc::new(SigningKey {
            key_id: pair.key_id,
            key: PrivateKey::from_pkcs8_der(&pair.private_key_pkcs8)?,
        });
        lock(&self.inner.signing_keys).insert(actor.to_owned(), key.clone());
        Ok(key)
    }

    /// The public key with this key id and its owner: from the in-memory cache of parsed
    /// keys, else from the store's key cache (if younger than
    /// [`EngineConfig::actor_refresh_age`](super::EngineConfig::actor_refresh_age)), else
    /// fetched (the key document, or the actor that publishes it). With `refresh`, the caches
    /// are skipped and the key is fetched again (key rotation).
    pub async fn public_key(
        &self,
        key_id: &str,
        refresh: bool,
        budget: &mut FetchBudget,
    ) -> Result<(PublicKey, String), Error> {
        let now = self.now();
        let max_age = self.inner.config.actor_refresh_age;
        if !refresh {
            if let Some(c) = lock(&self.inner.key_cache).get(key_id) {
                if c.fetched_at >= now.saturating_sub(max_age) {
                    return Ok((c.key.clone(), c.owner.clone()));
                }
            }
            if let Some(stored) = self
                .inner
                .store
                .fresh_remote_key(key_id, now, max_age)
                .await?
            {
                if let Ok(key) = parse_stored(&stored) {
                    self.cache_key(key_id, &key, &stored.owner, stored.fetched_at);
                    return Ok((key, stored.owner));
                }
            }
        }
        self.fetch_key(key_id, budget).await
    }

    pub(crate) fn cache_key(&self, key_id: &str, key: &PublicKey, owner: &str, at: Timestamp) {
        let mut cache = lock(&self.inner.key_cache);
        if cache.len() > 50_000 {
            cache.clear();
        }
        cache.insert(
            key_id.to_owned(),
            CachedKey {
                key: key.clone(),
                owner: owner.to_owned(),
                fetched_at: at,
            },
        );
    }

    /// Forgets every cached key of `owner` (memory and store).
    pub async fn invalidate_keys_of(&self, owner: &str) -> Result<(), Error> {
        lock(&self.inner.key_cache).retain(|_, c| c.owner != owner);
        self.inner.store.invalidate_remote_keys_of(owner).await?;
        Ok(())
    }

    /// Stores the keys an actor document publishes (`publicKey`, and FEP-521a
    /// `assertionMethod` Multikeys), dropping the ones it no longer publishes.
    pub(crate) async fn store_actor_keys(
        &self,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<(), Error> {
        let Some(owner) = actor.id.as_ref().map(|i| i.as_str().to_owned()) else {
            return Ok(());
        };
        self.invalidate_keys_of(&owner).await?;
        for r in actor.public_key.iter().flat_map(|k| k.iter()) {
            let Some(k) = r.object() else { continue };
            let (Some(id), Some(pem)) = (&k.id, &k.public_key_pem) else {
                continue;
            };
            if k.owner.as_ref().is_some_and(|o| o.as_str() != owner) {
                continue;
            }
            let Ok(parsed) = PublicKey::from_pem(pem) else {
                continue;
            };
            let mut rk = RemoteKey::new(id.as_str(), &owner, pem.as_str(), now);
            if let Ok(der) = parsed.to_spki_der() {
                rk = rk.with_parsed(der);
            }
            self.inner.store.put_remote_key(&rk).await?;
            self.cache_key(id.as_str(), &parsed, &owner, now);
        }
        for r in actor.assertion_method.iter().flat_map(|k| k.iter()) {
            let Some(k) = r.object() else { continue };
            let (Some(id), Some(mb)) = (&k.id, &k.public_key_multibase) else {
                continue;
            };
            if k.controller.as_ref().is_some_and(|o| o.as_str() != owner) {
                continue;
            }
            let Ok(parsed) = PublicKey::from_multibase(mb) else {
                continue;
            };
            let pem = match parsed.to_pem() {
                Ok(p) => p,
                Err(_) => continue,
            };
            let mut rk = RemoteKey::new(id.as_str(), &owner, pem, now);
            if let Ok(der) = parsed.to_spki_der() {
                rk = rk.with_parsed(der);
            }
            self.inner.store.put_remote_key(&rk).await?;
            self.cache_key(id.as_str(), &parsed, &owner, now);
        }
        Ok(())
    }
}

fn parse_stored(k: &RemoteKey) -> Result<PublicKey, Error> {
    if let Some(der) = &k.parsed {
        if let Ok(p) = PublicKey::from_spki_der(der) {
            return Ok(p);
        }
    }
    Ok(PublicKey::from_pem(&k.public_key_pem)?)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use fedi_storage::memory::MemoryStore;

    use super::KeyAlgorithm;
    use crate::engine::transport::memory::MemoryNetwork;
    use crate::engine::{Engine, EngineConfig};
    use crate::{Actor, Kind, ObjectId};

    async fn engine() -> Engine {
        let mut config = EngineConfig::new("http://keys.test").expect("config");
        config.instance_key = KeyAlgorithm::Ed25519;
        Engine::builder(config)
            .store(Arc::new(MemoryStore::new()))
            .transport(Arc::new(MemoryNetwork::with_seed(3)))
            .build()
            .await
            .expect("engine")
    }

    #[tokio::test]
    async fn local_person_publishes_the_stored_key() {
        let e = engine().await;
        let me: ObjectId<Actor> = ObjectId::parse("http://keys.test/blog").expect("id");
        let pair = e
            .create_local_actor(&me, KeyAlgorithm::Ed25519)
            .await
            .expect("key pair");
        let person = e
            .local_person(&me, "blog")
            .await
            .expect("a person")
            .name("The blog")
            .build();
        let json = serde_json::to_value(&person).expect("json");
        assert_eq!(json["id"], "http://keys.test/blog");
        assert_eq!(json["type"], "Person");
        assert_eq!(json["preferredUsername"], "blog");
        assert_eq!(json["name"], "The blog");
        assert_eq!(json["inbox"], "http://keys.test/blog/inbox");
        assert_eq!(json["followers"], "http://keys.test/blog/followers");
        assert_eq!(json["endpoints"]["sharedInbox"], "http://keys.test/inbox");
        let key = person.main_key().expect("publicKey");
        assert_eq!(
            key.public_key_pem.as_deref(),
            Some(pair.public_key_pem.as_str())
        );
        // The published key id is the one the engine signs with.
        assert_eq!(
            key.id.as_ref().map(|k| k.as_str()),
            Some(pair.key_id.as_str())
        );
        assert_eq!(key.owner.as_ref().map(|o| o.as_str()), Some(me.as_str()));
    }

    #[tokio::test]
    async fn local_person_of_an_actor_without_keys_is_a_config_error() {
        let e = engine().await;
        let nobody: ObjectId<Actor> = ObjectId::parse("http://keys.test/nobody").expect("id");
        let err = e
            .local_person(&nobody, "nobody")
            .await
            .expect_err("no key pair");
        assert!(matches!(err, crate::Error::Config(_)), "{err:?}");
        assert_eq!(
            err.to_string(),
            "configuration: local actor http://keys.test/nobody has no key pair"
        );
    }

    #[tokio::test]
    async fn the_instance_actor_document_is_an_application_named_after_the_host() {
        let e = engine().await;
        let doc = e.instance_actor_document().await.expect("instance actor");
        assert!(doc.base.is(&Kind::Application));
        assert_eq!(doc.preferred_username.as_deref(), Some("keys.test"));
        assert_eq!(doc.manually_approves_followers, Some(true));
        assert!(doc.featured.is_none());
        let pem = e
            .local_public_key_pem(&e.config().instance_actor)
            .await
            .expect("store");
        let key = doc.main_key().expect("publicKey");
        assert_eq!(key.public_key_pem, pem);
    }
}
