//! Local actors' key pairs and the cache of remote public keys.

use std::collections::HashMap;
use std::sync::Arc;

use fedi_storage::{KeyStoreExt, LocalKeyPair, RemoteKey, Timestamp};
use futures::future::{BoxFuture, FutureExt, Shared};
use http_sig::{PrivateKey, PublicKey};
use tracing::Instrument;

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

/// A public key found for a key id, and whether it was fetched for this lookup (a key from a
/// cache that fails to verify is worth one refetch; a fetched one is not).
pub(crate) struct KeyLookup {
    pub(crate) key: PublicKey,
    pub(crate) owner: String,
    pub(crate) fetched: bool,
}

/// What a shared key fetch ends with: the requests it made, and the key and its owner.
type KeyFetchOutcome = Arc<(usize, Result<(PublicKey, String), Error>)>;

/// A key fetch in flight; every request that needs the key awaits a clone.
type KeyFetch = Shared<BoxFuture<'static, KeyFetchOutcome>>;

/// The key fetches in flight, by key id (single flight: concurrent requests signed with one
/// unknown key share one fetch). An entry lives only while its fetch runs, so a failed fetch
/// is not remembered: the next request after it fetches again.
#[derive(Default)]
pub(crate) struct KeyFetches {
    next: u64,
    running: HashMap<String, (u64, KeyFetch)>,
}

/// What [`Engine::join_key_fetch`] found.
enum Joined {
    /// A fetch to wait for (in flight, or just started).
    Fetch(KeyFetch),
    /// The key, cached by a fetch that ended meanwhile.
    Cached(PublicKey, String),
}

/// Removes a key fetch from [`KeyFetches`] however its task ends (done, panicked, or dropped
/// with the runtime), so that an entry never outlives its fetch.
struct EndKeyFetch {
    engine: Engine,
    key_id: String,
    generation: u64,
}

impl Drop for EndKeyFetch {
    fn drop(&mut self) {
        let mut fetches = lock(&self.engine.inner.key_fetches);
        if fetches
            .running
            .get(&self.key_id)
            .is_some_and(|(g, _)| *g == self.generation)
        {
            fetches.running.remove(&self.key_id);
        }
    }
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
    ///
    /// Concurrent calls for one key id share one fetch (single flight): a burst of requests
    /// from an actor seen for the first time fetches its document once. The shared fetch runs
    /// on its own task, within the budget left to the call that started it; every caller's
    /// `budget` is charged the requests it made. A failed fetch is not remembered: the next
    /// call after it fetches again.
    pub async fn public_key(
        &self,
        key_id: &str,
        refresh: bool,
        budget: &mut FetchBudget,
    ) -> Result<(PublicKey, String), Error> {
        self.lookup_key(key_id, refresh, budget)
            .await
            .map(|k| (k.key, k.owner))
    }

    /// [`public_key`](Self::public_key), saying whether the key was fetched for this call.
    pub(crate) async fn lookup_key(
        &self,
        key_id: &str,
        refresh: bool,
        budget: &mut FetchBudget,
    ) -> Result<KeyLookup, Error> {
        if !refresh {
            if let Some((key, owner)) = self.fresh_cached_key(key_id) {
                return Ok(KeyLookup {
                    key,
                    owner,
                    fetched: false,
                });
            }
            let now = self.now();
            let max_age = self.inner.config.actor_refresh_age;
            if let Some(stored) = self
                .inner
                .store
                .fresh_remote_key(key_id, now, max_age)
                .await?
            {
                if let Ok(key) = parse_stored(&stored) {
                    self.cache_key(key_id, &key, &stored.owner, stored.fetched_at);
                    return Ok(KeyLookup {
                        key,
                        owner: stored.owner,
                        fetched: false,
                    });
                }
            }
        }
        let fetch = match self.join_key_fetch(key_id, refresh, budget.remaining()) {
            Joined::Fetch(fetch) => fetch,
            Joined::Cached(key, owner) => {
                return Ok(KeyLookup {
                    key,
                    owner,
                    fetched: false,
                })
            }
        };
        let outcome = fetch.await;
        let (requests, result) = &*outcome;
        budget.spend(*requests);
        match result {
            Ok((key, owner)) => Ok(KeyLookup {
                key: key.clone(),
                owner: owner.clone(),
                fetched: true,
            }),
            Err(e) => Err(e.duplicate()),
        }
    }

    /// The key from the in-memory cache, if it is younger than the refresh age.
    fn fresh_cached_key(&self, key_id: &str) -> Option<(PublicKey, String)> {
        let now = self.now();
        let max_age = self.inner.config.actor_refresh_age;
        lock(&self.inner.key_cache)
            .get(key_id)
            .filter(|c| c.fetched_at >= now.saturating_sub(max_age))
            .map(|c| (c.key.clone(), c.owner.clone()))
    }

    /// The fetch of `key_id` in flight, else a new one, started on its own task (so that it
    /// ends, and caches the key, even if every caller waiting for it goes away) with
    /// `allowance` requests. Without `refresh`, a key cached since the caller looked (by a
    /// fetch that just ended) is returned instead.
    fn join_key_fetch(&self, key_id: &str, refresh: bool, allowance: usize) -> Joined {
        let mut fetches = lock(&self.inner.key_fetches);
        if let Some((_, running)) = fetches.running.get(key_id) {
            return Joined::Fetch(running.clone());
        }
        if !refresh {
            // A fetch caches its key before it leaves the map: seen here if it just ended.
            if let Some((key, owner)) = self.fresh_cached_key(key_id) {
                return Joined::Cached(key, owner);
            }
        }
        fetches.next += 1;
        let generation = fetches.next;
        let end = EndKeyFetch {
            engine: self.clone(),
            key_id: key_id.to_owned(),
            generation,
        };
        let task = async move {
            let mut budget = FetchBudget::new(allowance);
            let result = end.engine.fetch_key(&end.key_id, &mut budget).await;
            let requests = allowance.saturating_sub(budget.remaining());
            // Leave the map only now: the key (if any) is cached, see above.
            drop(end);
            Arc::new((requests, result))
        };
        let handle = tokio::spawn(task.in_current_span());
        let key = key_id.to_owned();
        let fetch = async move {
            handle.await.unwrap_or_else(|e| {
                Arc::new((
                    0,
                    Err(Error::fetch(
                        super::FetchErrorKind::Malformed,
                        key,
                        format!("the key fetch task failed: {e}"),
                    )),
                ))
            })
        }
        .boxed()
        .shared();
        fetches
            .running
            .insert(key_id.to_owned(), (generation, fetch.clone()));
        Joined::Fetch(fetch)
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
    /// `assertionMethod` Multikeys), dropping the ones it no longer publishes. The in-memory
    /// cache is updated in one step, so a concurrent lookup sees the old keys or the new ones,
    /// never none.
    pub(crate) async fn store_actor_keys(
        &self,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<(), Error> {
        let Some(owner) = actor.id.as_ref().map(|i| i.as_str().to_owned()) else {
            return Ok(());
        };
        let keys = published_keys(actor);
        self.inner.store.invalidate_remote_keys_of(&owner).await?;
        for k in &keys {
            let mut rk = RemoteKey::new(k.id.as_str(), &owner, k.pem.as_str(), now);
            if let Ok(der) = k.key.to_spki_der() {
                rk = rk.with_parsed(der);
            }
            self.inner.store.put_remote_key(&rk).await?;
        }
        let mut cache = lock(&self.inner.key_cache);
        if cache.len() > 50_000 {
            cache.clear();
        }
        cache.retain(|_, c| c.owner != owner);
        for k in keys {
            cache.insert(
                k.id,
                CachedKey {
                    key: k.key,
                    owner: owner.clone(),
                    fetched_at: now,
                },
            );
        }
        Ok(())
    }
}

/// A key an actor document publishes.
pub(crate) struct PublishedKey {
    pub(crate) id: String,
    pub(crate) pem: String,
    pub(crate) key: PublicKey,
}

/// The keys `actor` publishes as its own: `publicKey` entries (PEM) and FEP-521a
/// `assertionMethod` Multikeys whose owner / controller, if given, is the actor. Keys that do
/// not parse are left out.
pub(crate) fn published_keys(actor: &Actor) -> Vec<PublishedKey> {
    let mut out = Vec::new();
    let Some(owner) = actor.id.as_ref().map(|i| i.as_str()) else {
        return out;
    };
    for r in actor.public_key.iter().flat_map(|k| k.iter()) {
        let Some(k) = r.object() else { continue };
        let (Some(id), Some(pem)) = (&k.id, &k.public_key_pem) else {
            continue;
        };
        if k.owner.as_ref().is_some_and(|o| o.as_str() != owner) {
            continue;
        }
        let Ok(key) = PublicKey::from_pem(pem) else {
            continue;
        };
        out.push(PublishedKey {
            id: id.as_str().to_owned(),
            pem: pem.clone(),
            key,
        });
    }
    for r in actor.assertion_method.iter().flat_map(|k| k.iter()) {
        let Some(k) = r.object() else { continue };
        let (Some(id), Some(mb)) = (&k.id, &k.public_key_multibase) else {
            continue;
        };
        if k.controller.as_ref().is_some_and(|o| o.as_str() != owner) {
            continue;
        }
        let Ok(key) = PublicKey::from_multibase(mb) else {
            continue;
        };
        let Ok(pem) = key.to_pem() else { continue };
        out.push(PublishedKey {
            id: id.as_str().to_owned(),
            pem,
            key,
        });
    }
    out
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
