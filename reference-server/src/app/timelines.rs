//! Timelines: fan-out of a status into the collections that list it, the streams that show
//! it, and reading a page of statuses for a viewer.

use std::collections::{BTreeSet, HashSet};

use fedi_storage::{CollectionItem, CollectionStoreExt, Page, PageRequest};

use super::model::{
    coll, domain_block_key, domain_candidates, ns, pair, FollowRecord, MuteRecord,
    NotificationType, Status, StatusVisibility,
};
use super::statuses::{needs_follow, visible_with};
use super::{App, Event, List};
use crate::error::Error;

impl App {
    /// Puts a new status into the timelines it belongs to (fan-out on write) and notifies
    /// mentioned local accounts.
    pub(crate) async fn distribute(&self, s: &Status) -> Result<(), Error> {
        let store = self.store();
        let item = CollectionItem::new(s.id, s.id.to_string());
        let author = self.account(s.account_id).await?;
        store
            .insert(&coll::statuses_of(s.account_id), &item)
            .await?;
        if let Some(p) = s.in_reply_to_id {
            store.insert(&coll::replies(p), &item).await?;
        }
        let is_reblog = s.reblog_of_id.is_some();
        if s.visibility == StatusVisibility::Public && !is_reblog {
            store.insert(coll::FEDERATED, &item).await?;
            let (tl, stream) = if author.is_local() {
                (coll::LOCAL, "public:local")
            } else {
                (coll::REMOTE, "public:remote")
            };
            store.insert(tl, &item).await?;
            self.emit(Event::Update {
                stream: "public".into(),
                status_id: s.id,
            });
            self.emit(Event::Update {
                stream: stream.into(),
                status_id: s.id,
            });
            for t in &s.tags {
                store.insert(&coll::tag(t), &item).await?;
                self.emit(Event::Update {
                    stream: format!("hashtag:{}", t.to_lowercase()),
                    status_id: s.id,
                });
            }
        }
        // Home timelines: the author (if local), local followers (not for direct), and
        // mentioned local accounts.
        let mut homes: BTreeSet<u64> = BTreeSet::new();
        if author.is_local() {
            homes.insert(author.id);
        }
        if s.visibility != StatusVisibility::Direct {
            for f in store.all_members(&coll::followers(author.id), 1000).await? {
                if let Ok(fid) = f.member.parse::<u64>() {
                    homes.insert(fid);
                }
            }
        }
        for m in &s.mentions {
            homes.insert(*m);
        }
        // Lists holding the author: their owners' home timelines skip it when one of them is
        // exclusive, and their timelines get it (after the home filters).
        let lists = self.lists_with(author.id).await?;
        let mut eligible: BTreeSet<u64> = BTreeSet::new();
        for h in homes {
            let Ok(acc) = self.account(h).await else {
                continue;
            };
            if !acc.is_local() {
                continue;
            }
            if h != author.id
                && (self.blocks(h, author.id).await? || self.mutes(h, author.id).await?)
            {
                continue;
            }
            // A reply to someone the reader does not follow stays out of their home.
            if !is_reblog && h != author.id && !s.mentions.contains(&h) {
                if let Some(pa) = s.in_reply_to_account_id {
                    if pa != author.id && pa != h && !self.is_following(h, pa).await? {
                        continue;
                    }
                }
            }
            eligible.insert(h);
            if h != author.id && lists.iter().any(|l| l.account_id == h && l.exclusive) {
                continue;
            }
            store.insert(&coll::home(h), &item).await?;
            self.emit(Event::Update {
                stream: format!("user:{h}"),
                status_id: s.id,
            });
        }
        self.fan_out_to_lists(s, &lists, &eligible).await?;
        self.add_to_conversations(s).await?;
        if !is_reblog {
            for m in &s.mentions {
                self.notify(*m, NotificationType::Mention, s.account_id, Some(s.id))
                    .await?;
            }
        }
        Ok(())
    }

    /// The streams that may have shown a status (without `hashtag:local`, which the
    /// streaming API derives from `hashtag:{tag}`): the author's home stream (if local),
    /// local followers' home streams (unless direct), mentioned local accounts' home streams,
    /// the `direct` streams of a direct status's local participants, the streams of the lists
    /// holding the author of another,
    /// and for public statuses other than boosts the public streams and its hashtags', as
    /// Mastodon publishes `status.update` and `delete`; and whether the author is local.
    pub(crate) async fn streams_of(&self, s: &Status) -> Result<(Vec<String>, bool), Error> {
        let author_local = self
            .account(s.account_id)
            .await
            .map(|a| a.is_local())
            .unwrap_or(false);
        let mut streams = Vec::new();
        if author_local {
            streams.push(format!("user:{}", s.account_id));
        }
        if s.visibility != StatusVisibility::Direct {
            for f in self
                .store()
                .all_members(&coll::followers(s.account_id), 1000)
                .await?
            {
                if let Ok(acc) = self.account(f.member.parse().unwrap_or_default()).await {
                    if acc.is_local() {
                        streams.push(format!("user:{}", acc.id));
                    }
                }
            }
        }
        for m in &s.mentions {
            if self.account(*m).await.is_ok_and(|a| a.is_local()) {
                streams.push(format!("user:{m}"));
            }
        }
        if s.visibility == StatusVisibility::Direct {
            // The `direct` streams of its local participants.
            let participants: Vec<String> = streams
                .iter()
                .filter_map(|u| u.strip_prefix("user:"))
                .map(|a| format!("direct:{a}"))
                .collect();
            streams.extend(participants);
        } else {
            // The lists that may hold it.
            for l in self.lists_with(s.account_id).await? {
                streams.push(format!("list:{}", l.id));
            }
        }
        if s.visibility == StatusVisibility::Public && s.reblog_of_id.is_none() {
            streams.push("public".into());
            streams.push(
                if author_local {
                    "public:local"
                } else {
                    "public:remote"
                }
                .into(),
            );
            for t in &s.tags {
                streams.push(format!("hashtag:{}", t.to_lowercase()));
            }
        }
        streams.sort();
        streams.dedup();
        Ok((streams, author_local))
    }

    /// A page of a collection of statuses, keeping those `viewer` may see (and, for a viewer,
    /// not from accounts it blocks or mutes). Returns the statuses and the raw page (for
    /// `Link` headers).
    ///
    /// The statuses are read in one store call, and what deciding needs about their authors
    /// (blocks both ways, mutes, follows for followers-only statuses) in one call each, so a
    /// page costs the same few calls whatever its length.
    pub async fn statuses_page(
        &self,
        list: &List,
        req: &PageRequest,
        viewer: Option<u64>,
    ) -> Result<(Vec<Status>, Page), Error> {
        let page = self.page(list, req).await?;
        let ids: Vec<u64> = page
            .items
            .iter()
            .filter_map(|i| i.member.parse().ok())
            .collect();
        // Domain rules, from memory: a suspended domain's posts are hidden everywhere, a
        // silenced domain's from the public timelines (its followers still see them).
        let rules = self.domain_rules();
        let public = matches!(
            list,
            List::FederatedTimeline | List::RemoteTimeline | List::Tag(_)
        );
        let statuses: Vec<Status> = self
            .statuses_by_id(&ids)
            .await?
            .into_iter()
            .flatten()
            .filter(|s| {
                let host = activitypub_core::policy::host_of(&s.uri);
                let silenced = public && rules.silenced.contains(&host);
                !(rules.suspended.contains(&host) || silenced)
            })
            .collect();
        let Some(v) = viewer else {
            let out = statuses
                .into_iter()
                .filter(|s| visible_with(s, None, false, false))
                .collect();
            return Ok((out, page));
        };
        // Authors other than the viewer, each asked about once.
        let authors: Vec<u64> = statuses
            .iter()
            .map(|s| s.account_id)
            .filter(|a| *a != v)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let followed: Vec<u64> = statuses
            .iter()
            .filter(|s| needs_follow(s, v))
            .map(|s| s.account_id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut block_keys: Vec<String> = authors.iter().map(|a| pair(v, *a)).collect();
        block_keys.extend(authors.iter().map(|a| pair(*a, v)));
        // The viewer's blocks of the remote statuses' domains (by their IRIs' hosts and
        // parent domains), in the same call: `(key index, author)`.
        let mut domain_keys: Vec<(usize, u64)> = Vec::new();
        let mut asked: HashSet<String> = HashSet::new();
        for s in statuses.iter().filter(|s| !s.local && s.account_id != v) {
            for d in domain_candidates(&super::host_of(&s.uri)) {
                let key = domain_block_key(v, &d);
                if asked.insert(format!("{}:{key}", s.account_id)) {
                    domain_keys.push((block_keys.len(), s.account_id));
                    block_keys.push(key);
                }
            }
        }
        let mute_keys: Vec<String> = authors.iter().map(|a| pair(v, *a)).collect();
        let follow_keys: Vec<String> = followed.iter().map(|a| pair(v, *a)).collect();
        let now = self.now_ms();
        let (blocks, mutes, follows) = tokio::try_join!(
            self.exist_many(ns::BLOCKS, &block_keys),
            async {
                // A mute applies until it expires (applied here, when read).
                Ok::<_, Error>(
                    self.get_many::<MuteRecord>(ns::MUTES, &mute_keys)
                        .await?
                        .into_iter()
                        .map(|m| m.is_some_and(|m| m.is_active(now)))
                        .collect::<Vec<bool>>(),
                )
            },
            self.get_many::<FollowRecord>(ns::FOLLOWS, &follow_keys),
        )?;
        let n = authors.len();
        let mut hidden: HashSet<u64> = HashSet::new();
        let mut blocked_by: HashSet<u64> = HashSet::new();
        for (i, a) in authors.iter().enumerate() {
            if blocks[i] || mutes[i] {
                hidden.insert(*a);
            }
            if blocks[n + i] {
                blocked_by.insert(*a);
            }
        }
        for (i, a) in &domain_keys {
            if blocks.get(*i).copied().unwrap_or(false) {
                hidden.insert(*a);
            }
        }
        let following: HashSet<u64> = followed
            .iter()
            .zip(follows)
            .filter(|(_, f)| f.as_ref().is_some_and(|f| f.accepted))
            .map(|(a, _)| *a)
            .collect();
        let out = statuses
            .into_iter()
            .filter(|s| {
                let a = s.account_id;
                !hidden.contains(&a)
                    && visible_with(s, viewer, blocked_by.contains(&a), following.contains(&a))
            })
            .collect();
        Ok((out, page))
    }
}
