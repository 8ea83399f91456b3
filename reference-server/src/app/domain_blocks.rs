//! User-level domain blocks (Mastodon's `AccountDomainBlock`): a local account hides a whole
//! domain's accounts from its timelines and notifications, and its follows with that domain
//! end both ways, as Mastodon's `AfterBlockDomainFromAccountService` ends them: its own
//! follows of the domain's accounts are undone (`Undo` of the `Follow`), and their follows
//! and follow requests of it are rejected (`Reject`); its notifications from the domain are
//! dismissed.
//!
//! A block is a record `{account}:domain:{domain}` in the blocks namespace, read with the
//! page's account blocks in one call (`App::statuses_page`), and a member of the account's
//! `domain_blocks_of` collection, keyed by id, for the paged list. The instance's own domain
//! blocks are in [`super::instance_domains`].

use fedi_storage::{CollectionStoreExt, Page, PageRequest, WriteBatch};

use super::model::{
    coll, domain_block_key, domain_candidates, ns, Account, Notification, Reaction,
};
use super::App;
use crate::error::Error;

/// A domain as blocks name it: trimmed, lowercased, without a scheme or path.
fn normalize(domain: &str) -> String {
    let d = domain.trim().to_lowercase();
    let d = d
        .strip_prefix("https://")
        .or_else(|| d.strip_prefix("http://"))
        .unwrap_or(&d);
    d.split('/').next().unwrap_or_default().to_owned()
}

/// Whether `account` is on `domain` (or a subdomain of it).
fn on_domain(account: &Account, domain: &str) -> bool {
    account
        .domain
        .as_deref()
        .is_some_and(|d| domain_candidates(d).iter().any(|c| c == domain))
}

impl App {
    /// `account` blocks `domain`: a record, then the follows with the domain end (see the
    /// module documentation). Blocking a domain again changes nothing.
    pub async fn block_domain_for(&self, account: u64, domain: &str) -> Result<(), Error> {
        let d = normalize(domain);
        if d.is_empty() {
            return Err(Error::Unprocessable(
                "Validation failed: Domain can't be blank".into(),
            ));
        }
        let key = domain_block_key(account, &d);
        if self.get::<Reaction>(ns::BLOCKS, &key).await?.is_none() {
            let now = self.now_ms();
            let batch = WriteBatch::new()
                .kv_put(
                    ns::BLOCKS,
                    key,
                    serde_json::to_vec(&Reaction {
                        uri: None,
                        created_at: now,
                    })?,
                )
                .insert(
                    coll::domain_blocks(account),
                    self.inner.ids.next(now),
                    d.clone(),
                );
            self.store().apply(&batch).await?;
        }
        let store = self.store();
        let following = store.all_members(&coll::following(account), 1000).await?;
        for f in following {
            let Ok(id) = f.member.parse::<u64>() else {
                continue;
            };
            if self.account(id).await.is_ok_and(|a| on_domain(&a, &d)) {
                self.unfollow(account, id).await?;
            }
        }
        let mut theirs = store.all_members(&coll::followers(account), 1000).await?;
        theirs.extend(store.all_members(&coll::requests(account), 1000).await?);
        for f in theirs {
            let Ok(id) = f.member.parse::<u64>() else {
                continue;
            };
            if self.account(id).await.is_ok_and(|a| on_domain(&a, &d)) {
                self.reject_follow(account, id).await?;
            }
        }
        self.clear_notifications_from(account, &d).await
    }

    /// Dismisses `account`'s notifications from accounts on `domain` (Mastodon's
    /// `clear_notifications!` after a domain block), read in chunks with their senders.
    async fn clear_notifications_from(&self, account: u64, domain: &str) -> Result<(), Error> {
        let items = self
            .store()
            .all_members(&coll::notifications(account), 500)
            .await?;
        let mut doomed = Vec::new();
        for chunk in items.chunks(500) {
            let keys: Vec<String> = chunk.iter().map(|i| i.member.clone()).collect();
            let found: Vec<Notification> = self
                .get_many::<Notification>(ns::NOTIFICATIONS, &keys)
                .await?
                .into_iter()
                .flatten()
                .collect();
            let senders: Vec<u64> = found.iter().map(|n| n.from_account_id).collect();
            let accounts = self.accounts_by_id(&senders).await?;
            for (n, a) in found.iter().zip(accounts) {
                if a.is_some_and(|a| on_domain(&a, domain)) {
                    doomed.push(n.id);
                }
            }
        }
        for id in doomed {
            match self.dismiss_notification(account, id).await {
                Ok(()) | Err(Error::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// `account` unblocks `domain` (nothing if it did not block it).
    pub async fn unblock_domain_for(&self, account: u64, domain: &str) -> Result<(), Error> {
        let d = normalize(domain);
        let batch = WriteBatch::new()
            .kv_delete(ns::BLOCKS, domain_block_key(account, &d))
            .remove(coll::domain_blocks(account), d);
        self.store().apply(&batch).await?;
        Ok(())
    }

    /// A page of the domains `account` blocks, newest block first.
    pub async fn domain_blocks_page(
        &self,
        account: u64,
        req: &PageRequest,
    ) -> Result<(Vec<String>, Page), Error> {
        let page = self
            .store()
            .page(&coll::domain_blocks(account), req)
            .await?;
        let domains = page.items.iter().map(|i| i.member.clone()).collect();
        Ok((domains, page))
    }

    /// Whether `account` blocks the domain of `other` (a remote account).
    pub async fn blocks_domain_of(&self, account: u64, other: &Account) -> Result<bool, Error> {
        let Some(d) = other.domain.as_deref() else {
            return Ok(false);
        };
        let keys: Vec<String> = domain_candidates(d)
            .iter()
            .map(|c| domain_block_key(account, c))
            .collect();
        Ok(self
            .exist_many(ns::BLOCKS, &keys)
            .await?
            .into_iter()
            .any(|b| b))
    }
}
