//! What a page of client-API entities needs, read together.
//!
//! A page of 40 statuses names some 60 records (the statuses, the statuses they boost, their
//! authors, the accounts they mention) and needs some 200 counts and flags. Read one at a
//! time, that is some 750 store calls; on a backend behind a network each is a round trip.
//! [`App::load_statuses`] (and [`App::load_accounts`], [`App::load_notifications`]) instead
//! collect every id first, read each distinct record once with the store's multi-reads
//! (`kv_get_many`, `count_many`, `newest_many`, `key_of_many`), and return a [`Loaded`] from
//! which the API layer builds its entities without further reads: a page costs the same
//! dozen calls whatever its length.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::cards::PreviewCard;
use super::filter_match::{CompiledFilters, FilterMatch};
use super::filters::{Filter, FilterContext};
use super::model::{
    bookmark_key, coll, filters_key, ns, pair, thread_mute_key, Account, MediaAttachment,
    Notification, Status, StatusApplication,
};
use super::polls::PollTally;
use super::{App, CustomEmoji};
use crate::error::Error;

/// An account's counts, as the client API shows them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AccountCounts {
    /// Statuses and boosts.
    pub statuses: u64,
    /// Accepted followers.
    pub followers: u64,
    /// Accounts it follows.
    pub following: u64,
    /// When its newest status was posted (ms), if any.
    pub last_status_at: Option<u64>,
}

/// A status's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatusCounts {
    /// Replies.
    pub replies: u64,
    /// Boosts.
    pub reblogs: u64,
    /// Favourites.
    pub favourites: u64,
}

/// What the viewer did with a status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ViewerFlags {
    /// The viewer favourited it.
    pub favourited: bool,
    /// The viewer boosted it.
    pub reblogged: bool,
    /// For the viewer's own statuses: whether it is pinned (`None` for others').
    pub pinned: Option<bool>,
    /// The viewer bookmarked it.
    pub bookmarked: bool,
    /// The viewer muted its conversation.
    pub muted: bool,
}

/// The records, counts and flags a page of entities is built from (see the module
/// documentation). Records that could not be found are simply absent.
#[derive(Debug, Default)]
pub struct Loaded {
    viewer: Option<u64>,
    accounts: HashMap<u64, Account>,
    account_counts: HashMap<u64, AccountCounts>,
    follow_requests: HashMap<u64, u64>,
    statuses: HashMap<u64, Status>,
    status_counts: HashMap<u64, StatusCounts>,
    flags: HashMap<u64, ViewerFlags>,
    applications: HashMap<u64, StatusApplication>,
    media: HashMap<u64, MediaAttachment>,
    polls: HashMap<u64, PollTally>,
    own_votes: HashMap<u64, Vec<usize>>,
    cards: HashMap<String, PreviewCard>,
    emojis: HashMap<String, CustomEmoji>,
    reports: HashMap<u64, super::moderation::Report>,
    /// The viewer's active filters, read and compiled once for the page.
    filters: Option<CompiledFilters>,
    /// The context the page is read in (`None`: a status on its own, every context).
    context: Option<FilterContext>,
}

impl Loaded {
    /// Who the page is for (`None`: anonymous).
    pub fn viewer(&self) -> Option<u64> {
        self.viewer
    }
    /// A loaded account.
    pub fn account(&self, id: u64) -> Option<&Account> {
        self.accounts.get(&id)
    }
    /// A report a loaded notification is about (`admin.report`).
    pub fn report(&self, id: u64) -> Option<&super::moderation::Report> {
        self.reports.get(&id)
    }
    /// A loaded account's counts (zero if they were not loaded).
    pub fn account_counts(&self, id: u64) -> AccountCounts {
        self.account_counts.get(&id).copied().unwrap_or_default()
    }
    /// Pending follow requests to an account (loaded by [`App::load_credential_account`]).
    pub fn follow_requests(&self, id: u64) -> u64 {
        self.follow_requests.get(&id).copied().unwrap_or(0)
    }
    /// A loaded status (one of the page's, or one they boost).
    pub fn status(&self, id: u64) -> Option<&Status> {
        self.statuses.get(&id)
    }
    /// A loaded status's counts (zero if they were not loaded).
    pub fn status_counts(&self, id: u64) -> StatusCounts {
        self.status_counts.get(&id).copied().unwrap_or_default()
    }
    /// What the viewer did with a status (`None` without a viewer).
    pub fn flags(&self, id: u64) -> Option<ViewerFlags> {
        self.viewer
            .map(|_| self.flags.get(&id).copied().unwrap_or_default())
    }
    /// The application a status was posted with, if recorded.
    pub fn application(&self, id: u64) -> Option<&StatusApplication> {
        self.applications.get(&id)
    }
    /// A media attachment of a loaded status.
    pub fn media(&self, id: u64) -> Option<&MediaAttachment> {
        self.media.get(&id)
    }
    /// The counts of a loaded status's poll.
    pub fn poll_tally(&self, status_id: u64) -> Option<&PollTally> {
        self.polls.get(&status_id)
    }
    /// The options the viewer chose in a loaded status's poll (`None`: no vote).
    pub fn own_votes(&self, status_id: u64) -> Option<&[usize]> {
        self.own_votes.get(&status_id).map(Vec::as_slice)
    }
    /// The preview card of a loaded status (by its `card_url`).
    pub fn card(&self, url: &str) -> Option<&PreviewCard> {
        self.cards.get(url)
    }
    /// A custom emoji a loaded status or account shows, by record key.
    pub fn emoji(&self, key: &str) -> Option<&CustomEmoji> {
        self.emojis.get(key)
    }
    /// Reads the page in filter context `context` (the timeline it is: `home`, `public` …);
    /// without one, filters of every context are reported and none hides.
    pub fn set_filter_context(&mut self, context: Option<FilterContext>) {
        self.context = context;
    }
    /// The filter context the page is read in.
    pub fn filter_context(&self) -> Option<FilterContext> {
        self.context
    }
    /// The viewer's filters that match `proper` (a status, or what boost `outer` boosts) in
    /// the page's context.
    pub fn filter_matches(&self, outer: &Status, proper: &Status) -> Vec<FilterMatch<'_>> {
        match &self.filters {
            Some(f) if !f.is_empty() => f.matches(
                outer,
                proper,
                |id| self.media.get(&id)?.description.as_deref(),
                self.context,
            ),
            _ => Vec::new(),
        }
    }
}

/// What to load: records given by the caller, ids still to read, and which of them are shown
/// as full entities (with counts) rather than named (mentions).
#[derive(Default)]
struct Plan {
    statuses: Vec<u64>,
    shown_accounts: BTreeSet<u64>,
    named_accounts: BTreeSet<u64>,
    requests_of: Option<u64>,
}

/// The counts [`App::counts_of`] read, in the order asked.
#[derive(Default)]
struct Counts {
    accounts: Vec<AccountCounts>,
    statuses: Vec<StatusCounts>,
    requests: Option<u64>,
}

impl App {
    /// Everything the entities of `statuses` need as `viewer` sees them: the statuses they
    /// boost, every author and mentioned account, counts, the viewer's favourites, boosts and
    /// pins, and applications.
    pub async fn load_statuses(
        &self,
        statuses: &[Status],
        viewer: Option<u64>,
    ) -> Result<Loaded, Error> {
        let mut l = Loaded {
            viewer,
            ..Loaded::default()
        };
        let mut plan = Plan::default();
        for s in statuses {
            plan.statuses.push(s.id);
            l.statuses.insert(s.id, s.clone());
        }
        self.load(&mut l, plan).await?;
        Ok(l)
    }

    /// Everything the entities of `accounts` need: their counts.
    pub async fn load_accounts(&self, accounts: &[Account]) -> Result<Loaded, Error> {
        let mut l = Loaded::default();
        let mut plan = Plan::default();
        for a in accounts {
            plan.shown_accounts.insert(a.id);
            l.accounts.insert(a.id, a.clone());
        }
        self.load(&mut l, plan).await?;
        Ok(l)
    }

    /// What the credential account of `account` needs: its counts and its pending follow
    /// requests.
    pub async fn load_credential_account(&self, account: &Account) -> Result<Loaded, Error> {
        let mut l = Loaded::default();
        l.accounts.insert(account.id, account.clone());
        let plan = Plan {
            shown_accounts: BTreeSet::from([account.id]),
            requests_of: Some(account.id),
            ..Plan::default()
        };
        self.load(&mut l, plan).await?;
        Ok(l)
    }

    /// Everything the entities of `owner`'s `notifications` need: who each is from, the status
    /// it is about (as `owner` sees it) and what that status needs.
    pub async fn load_notifications(
        &self,
        owner: u64,
        notifications: &[Notification],
    ) -> Result<Loaded, Error> {
        let mut l = Loaded {
            viewer: Some(owner),
            context: Some(FilterContext::Notifications),
            ..Loaded::default()
        };
        let mut plan = Plan {
            statuses: notifications.iter().filter_map(|n| n.status_id).collect(),
            shown_accounts: notifications.iter().map(|n| n.from_account_id).collect(),
            ..Plan::default()
        };
        self.load_reports_into(&mut l, &mut plan, notifications)
            .await?;
        self.load(&mut l, plan).await?;
        Ok(l)
    }

    /// Everything the entities of `owner`'s `conversations` need: their last statuses (as
    /// `owner` sees them) and what those need, and their participants' accounts (the owner's
    /// own when a conversation has no other participant).
    pub async fn load_conversations(
        &self,
        owner: u64,
        conversations: &[super::conversations::Conversation],
    ) -> Result<Loaded, Error> {
        let mut l = Loaded {
            viewer: Some(owner),
            ..Loaded::default()
        };
        let mut plan = Plan {
            statuses: conversations.iter().map(|c| c.last_status_id).collect(),
            ..Plan::default()
        };
        for c in conversations {
            plan.shown_accounts.extend(&c.participants);
            if c.participants.is_empty() {
                plan.shown_accounts.insert(owner);
            }
        }
        self.load(&mut l, plan).await?;
        Ok(l)
    }

    /// What notification groups and requests need: everything `notifications` need (as
    /// [`App::load_notifications`]), and besides them the accounts `accounts` (groups'
    /// sample accounts, requests' senders) and the statuses `statuses` (requests' last
    /// statuses), as `owner` sees them.
    pub async fn load_notifications_with(
        &self,
        owner: u64,
        notifications: &[Notification],
        accounts: &[u64],
        statuses: &[u64],
    ) -> Result<Loaded, Error> {
        let mut l = Loaded {
            viewer: Some(owner),
            context: Some(FilterContext::Notifications),
            ..Loaded::default()
        };
        let mut plan = Plan {
            statuses: notifications
                .iter()
                .filter_map(|n| n.status_id)
                .chain(statuses.iter().copied())
                .collect(),
            shown_accounts: notifications
                .iter()
                .map(|n| n.from_account_id)
                .chain(accounts.iter().copied())
                .collect(),
            ..Plan::default()
        };
        self.load_reports_into(&mut l, &mut plan, notifications)
            .await?;
        self.load(&mut l, plan).await?;
        Ok(l)
    }

    /// The reports of `admin.report` notifications (one store call, only when there are
    /// some), whose target accounts are shown too.
    async fn load_reports_into(
        &self,
        l: &mut Loaded,
        plan: &mut Plan,
        notifications: &[Notification],
    ) -> Result<(), Error> {
        let ids: Vec<u64> = notifications.iter().filter_map(|n| n.report_id).collect();
        if ids.is_empty() {
            return Ok(());
        }
        for r in self.reports_by_id(&ids).await? {
            plan.shown_accounts.insert(r.target_account_id);
            l.reports.insert(r.id, r);
        }
        Ok(())
    }

    async fn load(&self, l: &mut Loaded, mut plan: Plan) -> Result<(), Error> {
        // The page's statuses, then the ones they boost: records not given yet, read at once.
        self.load_statuses_into(l, &plan.statuses).await?;
        let boosted: Vec<u64> = plan
            .statuses
            .iter()
            .filter_map(|id| l.statuses.get(id)?.reblog_of_id)
            .collect();
        self.load_statuses_into(l, &boosted).await?;
        // The statuses they quote (one call, only when some quote one).
        let quoted: Vec<u64> = plan
            .statuses
            .iter()
            .chain(&boosted)
            .filter_map(|id| l.statuses.get(id)?.quote.as_ref()?.status_id)
            .collect();
        self.load_statuses_into(l, &quoted).await?;
        let shown_statuses: Vec<u64> = plan
            .statuses
            .iter()
            .chain(&boosted)
            .chain(&quoted)
            .filter(|id| l.statuses.contains_key(id))
            .copied()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        for id in &shown_statuses {
            if let Some(s) = l.statuses.get(id) {
                plan.shown_accounts.insert(s.account_id);
                plan.named_accounts.extend(&s.mentions);
            }
        }
        // Their preview cards (one call, only when some has one), whose attributed authors
        // are shown too.
        let card_urls: Vec<String> = shown_statuses
            .iter()
            .filter_map(|id| l.statuses.get(id)?.card_url.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        for card in self
            .cards_by_url(&card_urls)
            .await?
            .into_iter()
            .zip(&card_urls)
        {
            if let (Some(c), url) = card {
                plan.shown_accounts.extend(c.author_account_id);
                l.cards.insert(url.clone(), c);
            }
        }
        // Every account the entities show or name, read at once.
        let missing: Vec<u64> = plan
            .shown_accounts
            .iter()
            .chain(&plan.named_accounts)
            .filter(|id| !l.accounts.contains_key(id))
            .copied()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        for a in self.accounts_by_id(&missing).await?.into_iter().flatten() {
            l.accounts.insert(a.id, a);
        }
        // The accounts moved ones moved to (an entity's `moved`): one more call, only when
        // some shown account has moved.
        let moved: BTreeSet<u64> = plan
            .shown_accounts
            .iter()
            .filter_map(|id| l.accounts.get(id)?.migration.moved_to)
            .collect();
        let moved_missing: Vec<u64> = moved
            .iter()
            .filter(|id| !l.accounts.contains_key(id))
            .copied()
            .collect();
        if !moved_missing.is_empty() {
            for a in self
                .accounts_by_id(&moved_missing)
                .await?
                .into_iter()
                .flatten()
            {
                l.accounts.insert(a.id, a);
            }
        }
        plan.shown_accounts.extend(moved);
        let shown_accounts: Vec<u64> = plan
            .shown_accounts
            .iter()
            .filter(|id| l.accounts.contains_key(id))
            .copied()
            .collect();
        // Then counts, last statuses, the viewer's flags and pins, and applications: each
        // one call, all at once.
        let media_ids: Vec<u64> = shown_statuses
            .iter()
            .filter_map(|id| l.statuses.get(id))
            .flat_map(|s| s.media_ids.iter().copied())
            .collect();
        // Polls: their counts and the viewer's votes, one call each (none without polls).
        let with_polls: Vec<&Status> = shown_statuses
            .iter()
            .filter_map(|id| l.statuses.get(id))
            .filter(|s| s.poll.is_some())
            .collect();
        let poll_ids: Vec<u64> = with_polls.iter().map(|s| s.id).collect();
        // The custom emoji the statuses and accounts show: one call, only when there are any.
        let emoji_keys: Vec<String> = shown_statuses
            .iter()
            .filter_map(|id| l.statuses.get(id))
            .flat_map(|s| s.emojis.iter())
            .chain(
                shown_accounts
                    .iter()
                    .filter_map(|id| l.accounts.get(id))
                    .flat_map(|a| a.emojis.iter()),
            )
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let (counts, last, (flags, filters), applications, media, polls, own_votes, emojis) = tokio::try_join!(
            self.counts_of(&shown_accounts, &shown_statuses, plan.requests_of),
            self.last_statuses_of(&shown_accounts),
            self.flags_of(l, &shown_statuses),
            self.applications_of(&shown_statuses),
            self.media_by_id(&media_ids),
            self.poll_tallies(&with_polls),
            async {
                match l.viewer {
                    Some(v) if !poll_ids.is_empty() => self.own_poll_votes(&poll_ids, v).await,
                    _ => Ok(HashMap::new()),
                }
            },
            self.emojis_by_key(&emoji_keys),
        )?;
        // The viewer's filters, read with its marks, compiled once for the page.
        if let (Some(v), false) = (l.viewer, filters.is_empty()) {
            l.filters = Some(CompiledFilters::new(v, filters, self.now_ms()));
        }
        l.polls = polls;
        l.own_votes = own_votes;
        l.media = media.into_iter().flatten().map(|m| (m.id, m)).collect();
        l.emojis = emojis.into_iter().flatten().map(|e| (e.key(), e)).collect();
        for ((id, mut c), last) in shown_accounts.iter().zip(counts.accounts).zip(last) {
            c.last_status_at = last;
            l.account_counts.insert(*id, c);
        }
        l.status_counts = shown_statuses
            .iter()
            .copied()
            .zip(counts.statuses)
            .collect();
        if let (Some(a), Some(n)) = (plan.requests_of, counts.requests) {
            l.follow_requests.insert(a, n);
        }
        l.flags = flags;
        l.applications = shown_statuses
            .iter()
            .zip(applications)
            .filter_map(|(id, a)| Some((*id, a?)))
            .collect();
        Ok(())
    }

    /// Reads the statuses of `ids` that `l` does not hold yet.
    async fn load_statuses_into(&self, l: &mut Loaded, ids: &[u64]) -> Result<(), Error> {
        let missing: Vec<u64> = ids
            .iter()
            .filter(|id| !l.statuses.contains_key(id))
            .copied()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        for s in self.statuses_by_id(&missing).await?.into_iter().flatten() {
            l.statuses.insert(s.id, s);
        }
        Ok(())
    }

    /// The counts of accounts and statuses (and the follow requests of `requests_of`), in one
    /// store call.
    async fn counts_of(
        &self,
        accounts: &[u64],
        statuses: &[u64],
        requests_of: Option<u64>,
    ) -> Result<Counts, Error> {
        let mut names: Vec<String> = Vec::with_capacity(3 * (accounts.len() + statuses.len()) + 1);
        for a in accounts {
            names.push(coll::statuses_of(*a));
            names.push(coll::followers(*a));
            names.push(coll::following(*a));
        }
        for s in statuses {
            names.push(coll::replies(*s));
            names.push(coll::reblogged_by(*s));
            names.push(coll::favourited_by(*s));
        }
        if let Some(a) = requests_of {
            names.push(coll::requests(a));
        }
        if names.is_empty() {
            return Ok(Counts::default());
        }
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let counts = self.store().count_many(&refs).await?;
        let mut it = counts.into_iter();
        let mut next = || it.next().unwrap_or(0);
        let account_counts = accounts
            .iter()
            .map(|_| AccountCounts {
                statuses: next(),
                followers: next(),
                following: next(),
                last_status_at: None,
            })
            .collect();
        let status_counts = statuses
            .iter()
            .map(|_| StatusCounts {
                replies: next(),
                reblogs: next(),
                favourites: next(),
            })
            .collect();
        let requests = requests_of.map(|_| next());
        Ok(Counts {
            accounts: account_counts,
            statuses: status_counts,
            requests,
        })
    }

    /// When each account last posted (ms), in one store call.
    async fn last_statuses_of(&self, accounts: &[u64]) -> Result<Vec<Option<u64>>, Error> {
        if accounts.is_empty() {
            return Ok(Vec::new());
        }
        let names: Vec<String> = accounts.iter().map(|a| coll::statuses_of(*a)).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        Ok(self
            .store()
            .newest_many(&refs)
            .await?
            .into_iter()
            .map(|item| item.map(|i| super::model::id_time(i.key)))
            .collect())
    }

    /// The viewer's favourites, boosts, bookmarks, muted conversations and (of its own
    /// statuses) pins among `statuses`, and (when there are statuses) the viewer's filters:
    /// one store call each, made at once.
    async fn flags_of(
        &self,
        l: &Loaded,
        statuses: &[u64],
    ) -> Result<(HashMap<u64, ViewerFlags>, Vec<Filter>), Error> {
        let Some(me) = l.viewer else {
            return Ok((HashMap::new(), Vec::new()));
        };
        let keys: Vec<String> = statuses.iter().map(|s| pair(me, *s)).collect();
        let own: Vec<u64> = statuses
            .iter()
            .filter(|id| l.statuses.get(id).is_some_and(|s| s.account_id == me))
            .copied()
            .collect();
        let pinned_list = coll::pinned(me);
        let members: Vec<String> = own.iter().map(u64::to_string).collect();
        let pairs: Vec<(&str, &str)> = members
            .iter()
            .map(|m| (pinned_list.as_str(), m.as_str()))
            .collect();
        // Bookmarks and muted conversations share a namespace: one call for both.
        let mut marks: Vec<String> = statuses.iter().map(|s| bookmark_key(me, *s)).collect();
        marks.extend(statuses.iter().map(|id| match l.statuses.get(id) {
            Some(s) => thread_mute_key(me, s),
            None => String::new(),
        }));
        // The viewer's filters are one record of the same namespace: read in the same call.
        if !statuses.is_empty() {
            marks.push(filters_key(me));
        }
        let (favourites, reblogs, marked, pins) = tokio::try_join!(
            self.exist_many(ns::FAVOURITES, &keys),
            self.exist_many(ns::REBLOGS, &keys),
            async {
                if marks.is_empty() {
                    return Ok(Vec::new());
                }
                let raw: Vec<&[u8]> = marks.iter().map(|k| k.as_bytes()).collect();
                Ok::<_, Error>(self.store().kv_get_many(ns::VIEWER_MARKS, &raw).await?)
            },
            async {
                if pairs.is_empty() {
                    return Ok(Vec::new());
                }
                Ok::<_, Error>(self.store().key_of_many(&pairs).await?)
            },
        )?;
        let pinned: HashSet<u64> = own
            .iter()
            .zip(pins)
            .filter(|(_, k)| k.is_some())
            .map(|(id, _)| *id)
            .collect();
        let n = statuses.len();
        let filters: Vec<Filter> = marked
            .get(2 * n)
            .and_then(Option::as_ref)
            .and_then(|v| {
                serde_json::from_slice(v)
                    .map_err(|e| tracing::warn!(account = me, error = %e, "filters skipped"))
                    .ok()
            })
            .unwrap_or_default();
        let marked: Vec<bool> = marked.iter().map(Option::is_some).collect();
        let flags = statuses
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let own = l.statuses.get(id).is_some_and(|s| s.account_id == me);
                let flags = ViewerFlags {
                    favourited: favourites.get(i).copied().unwrap_or(false),
                    reblogged: reblogs.get(i).copied().unwrap_or(false),
                    pinned: own.then(|| pinned.contains(id)),
                    bookmarked: marked.get(i).copied().unwrap_or(false),
                    muted: marked.get(n + i).copied().unwrap_or(false),
                };
                (*id, flags)
            })
            .collect();
        Ok((flags, filters))
    }

    /// The applications of `statuses`, in one store call.
    async fn applications_of(
        &self,
        statuses: &[u64],
    ) -> Result<Vec<Option<StatusApplication>>, Error> {
        let keys: Vec<String> = statuses.iter().map(u64::to_string).collect();
        self.get_many(ns::STATUS_APPS, &keys).await
    }
}
