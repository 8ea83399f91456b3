//! A local account's aliases (`alsoKnownAs`): the accounts it says it also is, which may
//! move to it. Managed with `woolly account alias …` and by the web interface's settings
//! page (issue #20), which calls [`App::add_alias`] and [`App::remove_alias`]; Mastodon has
//! no client API for them.

use crate::app::model::{ns, Account};
use crate::app::App;
use crate::error::Error;

impl App {
    /// The account a handle names, for aliases and moves: `name` or `@name@this-domain`
    /// (local), `@user@host` (resolved through WebFinger), or an actor IRI (fetched unless
    /// known).
    pub async fn migration_account(&self, handle: &str) -> Result<Account, Error> {
        let h = handle.trim();
        if h.starts_with("https://") || h.starts_with("http://") {
            if let Some(a) = self.account_by_iri(h).await? {
                return Ok(a);
            }
            url::Url::parse(h).map_err(|_| Error::Unprocessable(format!("not a URL: {h}")))?;
            return self.resolve_actor(h).await;
        }
        let h = h.trim_start_matches('@');
        let local = match h.split_once('@') {
            Some((user, domain)) if domain.eq_ignore_ascii_case(self.config().domain()) => user,
            _ => h,
        };
        if local.is_empty() {
            return Err(Error::Unprocessable("an account handle is needed".into()));
        }
        self.resolve_handle(local, true)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no account {handle}")))
    }

    /// A local account's aliases (actor IRIs).
    pub async fn aliases(&self, account_id: u64) -> Result<Vec<String>, Error> {
        let a = self.migrating_account(account_id).await?;
        Ok(a.migration.also_known_as)
    }

    /// Adds the account `handle` names to a local account's aliases and sends an `Update`
    /// of its actor to its followers. Adding an alias already there changes nothing.
    pub async fn add_alias(&self, account_id: u64, handle: &str) -> Result<Vec<String>, Error> {
        let mut a = self.migrating_account(account_id).await?;
        let other = self.migration_account(handle).await?;
        if other.id == a.id {
            return Err(Error::Unprocessable(
                "Validation failed: an account cannot be its own alias".into(),
            ));
        }
        if a.migration.also_known_as.contains(&other.actor) {
            return Ok(a.migration.also_known_as);
        }
        if a.migration.also_known_as.len() >= super::MAX_ALIASES {
            return Err(Error::Unprocessable(format!(
                "Validation failed: at most {} aliases",
                super::MAX_ALIASES
            )));
        }
        a.migration.also_known_as.push(other.actor);
        self.save_aliases(&a).await?;
        Ok(a.migration.also_known_as)
    }

    /// Removes an alias (given as a handle or the actor IRI); an alias not there is not
    /// found.
    pub async fn remove_alias(&self, account_id: u64, handle: &str) -> Result<Vec<String>, Error> {
        let mut a = self.migrating_account(account_id).await?;
        let iri = if a.migration.also_known_as.iter().any(|x| x == handle.trim()) {
            handle.trim().to_owned()
        } else {
            self.migration_account(handle).await?.actor
        };
        let before = a.migration.also_known_as.len();
        a.migration.also_known_as.retain(|x| *x != iri);
        if a.migration.also_known_as.len() == before {
            return Err(Error::NotFound(format!("{handle} is not an alias")));
        }
        self.save_aliases(&a).await?;
        Ok(a.migration.also_known_as)
    }

    async fn save_aliases(&self, a: &Account) -> Result<(), Error> {
        self.put(ns::ACCOUNTS, &a.id.to_string(), a).await?;
        // As for a profile edit: the followers' servers get the new actor.
        self.federate_actor_update(a).await
    }

    /// A local account (not found otherwise).
    pub(crate) async fn migrating_account(&self, account_id: u64) -> Result<Account, Error> {
        let a = self.account(account_id).await?;
        if !a.is_local() || a.deleted {
            return Err(Error::NotFound(format!("account {account_id}")));
        }
        Ok(a)
    }
}
