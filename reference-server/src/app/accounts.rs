//! Accounts and their credentials: local sign-up, passwords, profiles, and the remote
//! accounts the instance learns about (stored from their actor documents).

use activitypub_core::builder;
use activitypub_core::engine::{KeyAlgorithm, Recipients};
use activitypub_core::{Actor, AnyObject, Kind, ObjectId};
use fedi_storage::{CollectionStoreExt, WriteBatch};

use super::activitypub::oid;
use super::host_of;
use super::media::ProfileSlot;
use super::model::{coll, ns, Account};
use super::moderation::Moderation;
use super::render;
use super::roles::Role;
use super::App;
use crate::error::Error;

fn valid_username(u: &str) -> bool {
    !u.is_empty() && u.len() <= 30 && u.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The lock serializing the writes of one remote actor's account record (striped: 64 locks,
/// chosen by a hash of the actor's IRI). Within one process; several nodes on one database
/// would need the store's own guard.
fn actor_lock(iri: &str) -> &'static tokio::sync::Mutex<()> {
    use std::hash::{Hash, Hasher};
    static LOCKS: std::sync::OnceLock<Vec<tokio::sync::Mutex<()>>> = std::sync::OnceLock::new();
    let locks = LOCKS.get_or_init(|| (0..64).map(|_| tokio::sync::Mutex::new(())).collect());
    let mut h = std::collections::hash_map::DefaultHasher::new();
    iri.hash(&mut h);
    &locks[(h.finish() % locks.len() as u64) as usize]
}

impl App {
    /// The account with this id.
    pub async fn account(&self, id: u64) -> Result<Account, Error> {
        self.get(ns::ACCOUNTS, &id.to_string())
            .await?
            .ok_or_else(|| Error::NotFound(format!("account {id}")))
    }

    /// Several accounts by id in one store call, in the order asked (`None` for an unknown
    /// one).
    pub async fn accounts_by_id(&self, ids: &[u64]) -> Result<Vec<Option<Account>>, Error> {
        let keys: Vec<String> = ids.iter().map(u64::to_string).collect();
        self.get_many(ns::ACCOUNTS, &keys).await
    }

    /// A local account by username, or a known remote one by `user@domain`.
    pub async fn account_by_acct(&self, acct: &str) -> Result<Option<Account>, Error> {
        let acct = acct.trim_start_matches('@').to_lowercase();
        let own = format!("@{}", self.config().domain().to_lowercase());
        let key = acct.strip_suffix(&own).unwrap_or(&acct);
        match self.get_str(ns::ACCOUNT_BY_ACCT, key).await? {
            Some(id) => match id.parse::<u64>() {
                Ok(id) => Ok(Some(self.account(id).await?)),
                Err(_) => Ok(None),
            },
            None => Ok(None),
        }
    }

    /// A known account by actor IRI.
    pub async fn account_by_iri(&self, iri: &str) -> Result<Option<Account>, Error> {
        match self.get_str(ns::ACCOUNT_BY_IRI, iri).await? {
            Some(id) => match id.parse::<u64>() {
                Ok(id) => Ok(Some(self.account(id).await?)),
                Err(_) => Ok(None),
            },
            None => Ok(None),
        }
    }

    /// Every local account, oldest first.
    pub async fn local_accounts(&self) -> Result<Vec<Account>, Error> {
        let mut out = Vec::new();
        for item in self
            .store()
            .all_members(coll::LOCAL_ACCOUNTS, 500)
            .await?
            .into_iter()
            .rev()
        {
            if let Ok(id) = item.member.parse() {
                out.push(self.account(id).await?);
            }
        }
        Ok(out)
    }

    /// Creates a local account (with its key pair). Usernames are letters, digits and `_`,
    /// unique regardless of case.
    pub async fn create_account(
        &self,
        username: &str,
        password: Option<&str>,
        locked: bool,
    ) -> Result<Account, Error> {
        let (account, batch) = self.new_local_account(username, password, locked).await?;
        self.store().apply(&batch).await?;
        Ok(account)
    }

    /// A new local account (its key pair made) and the batch that stores it, for a caller
    /// that stores more with it in one write (sign-up).
    pub(crate) async fn new_local_account(
        &self,
        username: &str,
        password: Option<&str>,
        locked: bool,
    ) -> Result<(Account, WriteBatch), Error> {
        if !valid_username(username) {
            return Err(Error::Unprocessable(format!(
                "username {username:?}: letters, digits and _ only, at most 30"
            )));
        }
        if self.account_by_acct(username).await?.is_some() {
            return Err(Error::Unprocessable(format!(
                "username {username:?} is taken"
            )));
        }
        let actor = self.actor_iri(username);
        self.engine()
            .create_local_actor(&oid(&actor)?, KeyAlgorithm::Rsa2048)
            .await?;
        let now = self.now_ms();
        let account = Account {
            id: self.inner.ids.next(now),
            username: username.to_owned(),
            domain: None,
            actor: actor.clone(),
            url: self.profile_url(username),
            inbox: Some(format!("{actor}/inbox")),
            shared_inbox: Some(format!("{}/inbox", self.base())),
            followers_url: Some(format!("{actor}/followers")),
            display_name: String::new(),
            note: String::new(),
            note_source: String::new(),
            locked,
            bot: false,
            fields: Vec::new(),
            avatar: None,
            header: None,
            avatar_file: None,
            header_file: None,
            created_at: now,
            discoverable: true,
            deleted: false,
            emojis: Vec::new(),
            role: Role::default(),
            moderation: Moderation::default(),
            migration: Default::default(),
        };
        let mut batch = self.account_batch(&account)?;
        batch = batch.insert(coll::LOCAL_ACCOUNTS, account.id, account.id.to_string());
        if let Some(p) = password {
            batch = batch.kv_put(ns::PASSWORDS, account.id.to_string(), hash_password(p)?);
        }
        Ok((account, batch))
    }

    fn account_batch(&self, account: &Account) -> Result<WriteBatch, Error> {
        let acct = account.acct().to_lowercase();
        Ok(WriteBatch::new()
            .kv_put(
                ns::ACCOUNTS,
                account.id.to_string(),
                serde_json::to_vec(account)?,
            )
            .kv_put(
                ns::ACCOUNT_BY_IRI,
                account.actor.clone(),
                account.id.to_string(),
            )
            .kv_put(ns::ACCOUNT_BY_ACCT, acct, account.id.to_string()))
    }

    /// Checks a local account's password.
    pub async fn check_password(&self, account_id: u64, password: &str) -> Result<bool, Error> {
        let Some(hash) = self.get_str(ns::PASSWORDS, &account_id.to_string()).await? else {
            return Ok(false);
        };
        Ok(verify_password(&hash, password))
    }

    /// Sets a local account's password.
    pub async fn set_password(&self, account_id: u64, password: &str) -> Result<(), Error> {
        let h = hash_password(password)?;
        self.store()
            .kv_put(
                ns::PASSWORDS,
                account_id.to_string().as_bytes(),
                h.as_bytes(),
            )
            .await?;
        Ok(())
    }

    /// Stores (or refreshes) a remote account from its actor document.
    pub async fn upsert_remote_account(&self, actor: &Actor) -> Result<Account, Error> {
        let iri = actor
            .id
            .as_ref()
            .ok_or_else(|| Error::Unprocessable("actor without id".into()))?
            .as_str()
            .to_owned();
        // Held until the record is written: two tasks meeting one unknown actor at once (an
        // inbox job and a client's lookup) would otherwise each give it an account record.
        let _guard = actor_lock(&iri).lock().await;
        let existing = self.account_by_iri(&iri).await?;
        let host = host_of(&iri);
        let username = actor
            .preferred_username
            .clone()
            .unwrap_or_else(|| iri.rsplit('/').next().unwrap_or("unknown").to_owned());
        let now = self.now_ms();
        let fields: Vec<(String, String)> = actor
            .attachment
            .iter()
            .flat_map(|a| a.iter())
            .filter_map(|r| r.object())
            .filter(|o| o.type_name() == Some("PropertyValue"))
            .filter_map(|o| {
                // Stored as HTML, as local fields are: the name is plain text, the value
                // HTML from another server, sanitized as Mastodon sanitizes it.
                let name = render::escape(o.name.as_deref()?);
                let value = render::sanitize(o.get_json("value")?.as_str()?);
                Some((name, value))
            })
            .collect();
        // Avatar and header in any shape (`Image`, IRI, `Link`, arrays), as remote URLs.
        let avatar = activitypub_core::media::icon(&actor.base).map(|m| m.url.to_string());
        // Custom emoji of the name, bio and fields, kept per domain.
        let emojis = {
            let name = actor.name.clone().unwrap_or_default();
            let summary = actor.summary.clone().unwrap_or_default();
            let mut texts: Vec<&str> = vec![&name, &summary];
            texts.extend(
                fields
                    .iter()
                    .flat_map(|(n, v): &(String, String)| [n.as_str(), v.as_str()]),
            );
            let found = activitypub_core::media::emoji::emojis(&actor.base);
            self.remote_emoji_keys(&host, &found, &texts).await?
        };
        let header = activitypub_core::media::image(&actor.base).map(|m| m.url.to_string());
        // What moderators here did stays; `suspended: true` is what its server says now.
        let mut moderation = existing
            .as_ref()
            .map(|a| a.moderation.clone())
            .unwrap_or_default();
        moderation.origin_suspended = actor.suspended == Some(true);
        // `alsoKnownAs` and `movedTo`; the target's account id only if it is known already
        // (nothing is fetched here: a `Move` resolves it).
        let known_target = match actor.moved_to.as_ref() {
            Some(m) => self.account_by_iri(m.as_str()).await?.map(|a| a.id),
            None => None,
        };
        let before = existing
            .as_ref()
            .map(|a| a.migration.clone())
            .unwrap_or_default();
        let migration = super::migration::Migration::of_remote(actor, &before, known_target);
        let account = Account {
            id: existing
                .as_ref()
                .map_or_else(|| self.inner.ids.next(now), |a| a.id),
            username,
            domain: Some(host),
            actor: iri.clone(),
            url: actor
                .url
                .as_ref()
                .and_then(|u| u.iter().next())
                .and_then(|u| u.id().map(str::to_owned))
                .unwrap_or_else(|| iri.clone()),
            inbox: actor.inbox.as_ref().map(|i| i.as_str().to_owned()),
            shared_inbox: actor.shared_inbox().map(|i| i.as_str().to_owned()),
            followers_url: actor.followers.as_ref().map(|i| i.as_str().to_owned()),
            display_name: actor.name.clone().unwrap_or_default(),
            note: actor
                .summary
                .as_deref()
                .map(render::sanitize)
                .unwrap_or_default(),
            note_source: String::new(),
            locked: actor.manually_approves_followers.unwrap_or(false),
            bot: actor.is(&Kind::Service) || actor.is(&Kind::Application),
            fields,
            avatar: avatar.clone(),
            header: header.clone(),
            // The cached copies stay while the remote URLs do.
            avatar_file: existing
                .as_ref()
                .filter(|a| a.avatar == avatar)
                .and_then(|a| a.avatar_file.clone()),
            header_file: existing
                .as_ref()
                .filter(|a| a.header == header)
                .and_then(|a| a.header_file.clone()),
            created_at: existing.as_ref().map_or(now, |a| a.created_at),
            discoverable: actor.discoverable.unwrap_or(false),
            deleted: false,
            emojis,
            role: Role::User,
            moderation,
            migration,
        };
        // The `featured` collection, to recognise `Add`/`Remove` of pins (as Mastodon keeps
        // `featured_collection_url`).
        let featured = actor.featured.as_ref().map(|f| f.as_str().to_owned());
        let known_featured = self.get_str(ns::FEATURED, &account.id.to_string()).await?;
        let sync = featured.is_some() && featured != known_featured;
        let batch = match featured {
            Some(f) => {
                self.account_batch(&account)?
                    .kv_put(ns::FEATURED, account.id.to_string(), f)
            }
            None => self
                .account_batch(&account)?
                .kv_delete(ns::FEATURED, account.id.to_string()),
        };
        self.store().apply(&batch).await?;
        // A new avatar or header: the old copy goes, the new one is fetched in the background.
        for (slot, before, now) in [
            (
                ProfileSlot::Avatar,
                existing.as_ref().and_then(|a| a.avatar_file.as_ref()),
                &account.avatar_file,
            ),
            (
                ProfileSlot::Header,
                existing.as_ref().and_then(|a| a.header_file.as_ref()),
                &account.header_file,
            ),
        ] {
            if before.is_some() && now.is_none() {
                self.drop_profile_cache(before).await;
            }
            let remote = match slot {
                ProfileSlot::Avatar => &account.avatar,
                ProfileSlot::Header => &account.header,
            };
            if now.is_none() && remote.is_some() {
                self.schedule_profile_cache(account.id, slot);
            }
        }
        if sync {
            // As Mastodon does for a new account or a new collection: read the pins in the
            // background, so that the request that found the account does not wait for them.
            let (app, acct) = (self.clone(), account.clone());
            tokio::spawn(async move {
                // The semaphore is never closed; a closed one would only mean: run now.
                let _turn = app.inner.featured_syncs.acquire().await;
                if let Err(e) = app.sync_featured(&acct).await {
                    tracing::info!(account = %acct.actor, error = %e, "pinned statuses not read");
                }
            });
        }
        Ok(account)
    }

    /// The account of an actor IRI: known, or fetched (signed) and stored.
    pub async fn resolve_actor(&self, iri: &str) -> Result<Account, Error> {
        if let Some(a) = self.account_by_iri(iri).await? {
            return Ok(a);
        }
        let mut budget = self.budget();
        let actor = self.engine().actor(iri, &mut budget).await?;
        self.upsert_remote_account(&actor).await
    }

    /// An account by handle: local by username; remote by `user@domain`, known or resolved
    /// with WebFinger (when `resolve`).
    pub async fn resolve_handle(
        &self,
        handle: &str,
        resolve: bool,
    ) -> Result<Option<Account>, Error> {
        if let Some(a) = self.account_by_acct(handle).await? {
            return Ok(Some(a));
        }
        let h = handle.trim_start_matches('@');
        if !resolve || !h.contains('@') {
            return Ok(None);
        }
        let (_, domain) = h.split_once('@').unwrap_or((h, ""));
        if domain.eq_ignore_ascii_case(self.config().domain()) {
            return Ok(None);
        }
        let iri = self.engine().webfinger(h).await?;
        Ok(Some(self.resolve_actor(&iri).await?))
    }

    /// Updates a local account's profile and federates an `Update` of the actor.
    pub async fn update_profile(
        &self,
        account_id: u64,
        display_name: Option<String>,
        note: Option<String>,
        locked: Option<bool>,
        fields: Option<Vec<(String, String)>>,
    ) -> Result<Account, Error> {
        let mut a = self.account(account_id).await?;
        if !a.is_local() {
            return Err(Error::Forbidden("not a local account".into()));
        }
        if let Some(d) = display_name {
            a.display_name = d.chars().take(30).collect();
        }
        if let Some(n) = note {
            a.note = render::render(&n, |_, _| None, |t| self.tag_url(t));
            a.note_source = n;
        }
        if let Some(l) = locked {
            a.locked = l;
        }
        if let Some(f) = fields {
            a.fields = f
                .into_iter()
                .take(4)
                .map(|(n, v)| {
                    (
                        render::escape(&n),
                        render::render(&v, |_, _| None, |t| self.tag_url(t))
                            .trim_start_matches("<p>")
                            .trim_end_matches("</p>")
                            .to_owned(),
                    )
                })
                .collect();
        }
        let mut texts: Vec<&str> = vec![&a.display_name, &a.note_source];
        texts.extend(a.fields.iter().flat_map(|(n, v)| [n.as_str(), v.as_str()]));
        a.emojis = self.local_emoji_keys_in(&texts).await?;
        self.put(ns::ACCOUNTS, &a.id.to_string(), &a).await?;
        let actor_doc = self.actor_document(&a).await?;
        let me: ObjectId<Actor> = oid(&a.actor)?;
        let update_id = oid(&format!("{}#updates/{}", a.actor, self.now_ms()))?;
        let update = builder::update(&update_id, &me, AnyObject::Actor(actor_doc));
        self.federate(
            &a,
            &serde_json::to_vec(&update)?,
            Recipients::new().followers_of(a.actor.clone()),
        )
        .await?;
        Ok(a)
    }

    /// Counts for an account: statuses, followers, following.
    pub async fn account_counts(&self, account_id: u64) -> Result<(u64, u64, u64), Error> {
        let s = self.store();
        Ok((
            s.count(&coll::statuses_of(account_id)).await?,
            s.count(&coll::followers(account_id)).await?,
            s.count(&coll::following(account_id)).await?,
        ))
    }
}

/// Hashes a password with Argon2id (PHC string).
pub fn hash_password(password: &str) -> Result<String, Error> {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Config(format!("password hashing failed: {e}")))
}

/// Checks a password against a PHC string.
pub fn verify_password(hash: &str, password: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash)
        .map(|h| {
            argon2::Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}
