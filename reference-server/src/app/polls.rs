//! Polls: made with a status, voted in by local accounts (on local polls, and on remote ones
//! by sending a vote `Note` to the author), remote votes counted once per voter and option,
//! the `Question` other servers read, and the durable jobs that send coalesced result
//! `Update`s and close a poll when it ends (with a `poll` notification to its author and its
//! local voters).
//!
//! A poll lives in its status's record ([`Poll`]); the poll's id is the status's. A local
//! poll's votes are members of store collections, one per option and one of voters, so a
//! voter counts once per option however often a vote arrives, and concurrent votes (the
//! inbox handles several activities at once) never lose one. A remote poll keeps the counts
//! its server last sent.

use std::collections::HashMap;
use std::time::Duration;

use activitypub_core::vocab::Refs;
use activitypub_core::{builder, AnyObject, Kind, Object, OneOrMany, XsdDateTime};
use fedi_storage::{CollectionItem, CollectionStoreExt, LeaseRequest, NewJob, WriteBatch};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::activitypub::{oid, rfc3339};
use super::model::{coll, ns, Account, NotificationType, Status};
use super::App;
use crate::error::Error;

/// At most this many options (Mastodon's default).
pub const MAX_OPTIONS: usize = 4;
/// At least this many options.
pub const MIN_OPTIONS: usize = 2;
/// At most this many characters per option (Mastodon's default).
pub const MAX_OPTION_CHARS: usize = 50;
/// The shortest duration of a poll, in seconds (Mastodon: 5 minutes).
pub const MIN_EXPIRATION_SECS: u64 = 5 * 60;
/// The longest duration of a poll, in seconds (Mastodon: Rails' `1.month`, 30.44 days).
pub const MAX_EXPIRATION_SECS: u64 = 2_629_746;
/// How long after a vote the result `Update(Question)` goes out: the votes that arrive
/// meanwhile go out in the same one.
pub const UPDATE_DELAY: Duration = Duration::from_secs(3);
/// The durable queue of poll jobs.
const QUEUE: &str = "app.polls";
/// Attempts of a poll job before it becomes a dead letter.
const ATTEMPTS: u32 = 8;

/// A poll to make with a new status, as the client API takes it (also kept, as given, with a
/// scheduled status: it ends `expires_in` after the status is posted).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPoll {
    /// The options, in order.
    pub options: Vec<String>,
    /// Seconds until it ends.
    pub expires_in: u64,
    /// Several options may be chosen.
    pub multiple: bool,
    /// Counts are hidden until it ends.
    pub hide_totals: bool,
}

impl NewPoll {
    /// The poll, checked as Mastodon's `PollValidator` does (`422` otherwise), ending
    /// `expires_in` seconds after `now_ms`.
    pub(crate) fn validate(&self, now_ms: u64) -> Result<Poll, Error> {
        let bad = |m: &str| Err(Error::Unprocessable(format!("Validation failed: {m}")));
        let options: Vec<String> = self.options.iter().map(|o| o.trim().to_owned()).collect();
        if options.len() < MIN_OPTIONS {
            return bad("Poll must have at least 2 options");
        }
        if options.len() > MAX_OPTIONS {
            return bad(&format!("Poll can't contain more than {MAX_OPTIONS} items"));
        }
        if options.iter().any(String::is_empty) {
            return bad("Poll contains empty items");
        }
        if options.iter().any(|o| o.chars().count() > MAX_OPTION_CHARS) {
            return bad(&format!(
                "Poll contains an item longer than {MAX_OPTION_CHARS} characters"
            ));
        }
        for (i, o) in options.iter().enumerate() {
            if options[..i].contains(o) {
                return bad("Poll contains duplicate items");
            }
        }
        if self.expires_in < MIN_EXPIRATION_SECS {
            return bad("Poll duration is too short");
        }
        if self.expires_in > MAX_EXPIRATION_SECS {
            return bad("Poll duration is too long");
        }
        Ok(Poll {
            options,
            multiple: self.multiple,
            hide_totals: self.hide_totals,
            expires_at: Some(now_ms.saturating_add(self.expires_in.saturating_mul(1000))),
            counts: Vec::new(),
            voters_count: None,
            closed_at: None,
        })
    }
}

/// A poll's counts: votes per option and voters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollTally {
    /// Votes per option, in order.
    pub options: Vec<u64>,
    /// Accounts that voted.
    pub voters: u64,
}

impl PollTally {
    /// Votes in all.
    pub fn votes(&self) -> u64 {
        self.options.iter().sum()
    }
}

/// A durable poll job.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "job", rename_all = "snake_case")]
enum PollJob {
    /// Send the current counts of a local poll (coalesced).
    Update {
        /// The status.
        status: u64,
    },
    /// The poll has ended: send its final counts (local polls) and notify.
    Close {
        /// The status.
        status: u64,
    },
}

/// The poll of a remote `Question` (`None` for another object, or one without options):
/// `oneOf` (one choice) or `anyOf` (several), each option's `name` and
/// `replies.totalItems`, `endTime`, `closed`, `votersCount`. Mastodon, Pleroma, Akkoma,
/// Misskey and GoToSocial all send this shape; Misskey's `endTime` may be `null`, Pleroma's
/// `closed` has no offset (read as UTC).
pub(crate) fn remote_poll(o: &Object) -> Option<Poll> {
    if !o.is(&Kind::Question) {
        return None;
    }
    let (refs, multiple) = match (&o.one_of, &o.any_of) {
        (Some(r), _) if !r.is_empty() => (r, false),
        (_, Some(r)) => (r, true),
        _ => return None,
    };
    let mut options = Vec::new();
    let mut counts = Vec::new();
    for r in refs.iter() {
        let Some(AnyObject::Object(opt)) = r.object() else {
            continue;
        };
        let Some(name) = opt.name.clone().or_else(|| {
            opt.name_map
                .as_ref()
                .and_then(|m| m.first())
                .map(|(_, v)| v.to_owned())
        }) else {
            continue;
        };
        let total = opt
            .replies
            .as_ref()
            .and_then(|r| r.object())
            .and_then(|c| serde_json::to_value(c).ok())
            .and_then(|v| v.get("totalItems").and_then(Value::as_u64))
            .unwrap_or(0);
        options.push(name);
        counts.push(total);
    }
    if options.is_empty() {
        return None;
    }
    let ms = |t: &XsdDateTime| {
        t.to_datetime()
            .map(|d| (d.unix_timestamp_nanos() / 1_000_000).max(0) as u64)
    };
    let closed_at = o.closed.as_ref().and_then(ms).or_else(|| {
        // `"closed": true` (no time) also closes it.
        (o.extra.get("closed") == Some(&Value::Bool(true))).then_some(0)
    });
    Some(Poll {
        options,
        multiple,
        hide_totals: false,
        expires_at: o.end_time.as_ref().and_then(ms),
        counts,
        voters_count: o.voters_count,
        closed_at,
    })
}

/// Whether `name` is an option of `poll`, and which.
fn option_index(poll: &Poll, name: &str) -> Option<usize> {
    poll.options.iter().position(|o| o == name)
}

impl App {
    /// The counts of the polls of `statuses` (those that have one), by status id: local
    /// polls' in one store call, remote polls' from their records.
    pub async fn poll_tallies(
        &self,
        statuses: &[&Status],
    ) -> Result<HashMap<u64, PollTally>, Error> {
        let mut out = HashMap::new();
        let mut names: Vec<String> = Vec::new();
        let mut local: Vec<(u64, usize)> = Vec::new();
        for s in statuses {
            let Some(p) = &s.poll else { continue };
            if s.local {
                for i in 0..p.options.len() {
                    names.push(coll::poll_option(s.id, i));
                }
                names.push(coll::poll_voters(s.id));
                local.push((s.id, p.options.len()));
            } else {
                let mut options = p.counts.clone();
                options.resize(p.options.len(), 0);
                let voters = p.voters_count.unwrap_or_else(|| options.iter().sum());
                out.insert(s.id, PollTally { options, voters });
            }
        }
        if names.is_empty() {
            return Ok(out);
        }
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut counts = self.store().count_many(&refs).await?.into_iter();
        for (id, n) in local {
            let options: Vec<u64> = (0..n).map(|_| counts.next().unwrap_or(0)).collect();
            let voters = counts.next().unwrap_or(0);
            out.insert(id, PollTally { options, voters });
        }
        Ok(out)
    }

    /// The options `viewer` chose in the polls of `status_ids`, by status id (only those it
    /// voted in), in one store call.
    pub async fn own_poll_votes(
        &self,
        status_ids: &[u64],
        viewer: u64,
    ) -> Result<HashMap<u64, Vec<usize>>, Error> {
        let keys: Vec<String> = status_ids.iter().map(|s| format!("{s}:{viewer}")).collect();
        Ok(status_ids
            .iter()
            .zip(self.get_many::<Vec<usize>>(ns::POLL_VOTES, &keys).await?)
            .filter_map(|(id, v)| Some((*id, v?)))
            .collect())
    }

    /// Local account `account_id` votes for `choices` (option indexes) in the poll of status
    /// `status_id`, with Mastodon's checks: a poll it cannot see is `404`; an ended poll, a
    /// second vote, an unknown option, no option or several in a one-choice poll are `422`.
    /// On a remote poll the vote goes to its author as one `Note` per option.
    pub async fn vote(
        &self,
        account_id: u64,
        status_id: u64,
        choices: &[usize],
    ) -> Result<Status, Error> {
        let mut s = self.status(status_id).await?;
        let not_found = || Error::NotFound(format!("poll {status_id}"));
        let Some(poll) = s.poll.clone() else {
            return Err(not_found());
        };
        if !self.can_view(&s, Some(account_id)).await? {
            return Err(not_found());
        }
        let bad = |m: &str| Err(Error::Unprocessable(format!("Validation failed: {m}")));
        if poll.expired(self.now_ms()) {
            return bad("The poll has already ended");
        }
        if s.account_id == account_id {
            return bad("You cannot vote in your own polls");
        }
        let mut chosen: Vec<usize> = Vec::new();
        for c in choices {
            if *c >= poll.options.len() {
                return bad("The chosen vote option does not exist");
            }
            if !chosen.contains(c) {
                chosen.push(*c);
            }
        }
        if chosen.is_empty() {
            return bad("Choices can't be blank");
        }
        if !poll.multiple && chosen.len() > 1 {
            return bad("You have already voted on this poll");
        }
        let me = account_id.to_string();
        let voters = coll::poll_voters(s.id);
        if self.store().key_of(&voters, &me).await?.is_some() {
            return bad("You have already voted on this poll");
        }
        let key = self.inner.ids.next(self.now_ms());
        let mut batch = WriteBatch::new()
            .kv_put(
                ns::POLL_VOTES,
                format!("{}:{account_id}", s.id),
                serde_json::to_vec(&chosen)?,
            )
            .insert(voters, key, me.clone());
        if s.local {
            for c in &chosen {
                batch = batch.insert(coll::poll_option(s.id, *c), key, me.clone());
            }
            self.store().apply(&batch).await?;
            self.schedule_poll_update(s.id).await?;
            return Ok(s);
        }
        // A remote poll: counted here until its server sends new counts, and sent there.
        let mut p = poll;
        p.counts.resize(p.options.len(), 0);
        for c in &chosen {
            p.counts[*c] += 1;
        }
        p.voters_count = Some(p.voters_count.unwrap_or(0) + 1);
        s.poll = Some(p.clone());
        batch = batch.kv_put(ns::STATUSES, s.id.to_string(), serde_json::to_vec(&s)?);
        self.store().apply(&batch).await?;
        let voter = self.account(account_id).await?;
        let author = self.account(s.account_id).await?;
        for c in &chosen {
            let create = self.vote_document(&voter, &author, &s, key, *c, &p.options[*c])?;
            self.federate(
                &voter,
                &serde_json::to_vec(&create)?,
                activitypub_core::engine::Recipients::new().actor(author.actor.clone()),
            )
            .await?;
        }
        self.schedule_remote_poll_close(&s).await?;
        Ok(s)
    }

    /// The `Create` of a local vote on a remote poll, as Mastodon sends it: a `Note` with the
    /// option as `name`, `inReplyTo` the question, no content, addressed to the author only.
    fn vote_document(
        &self,
        voter: &Account,
        author: &Account,
        s: &Status,
        key: u64,
        choice: usize,
        name: &str,
    ) -> Result<activitypub_core::Activity, Error> {
        let id = format!("{}#votes/{key}/{choice}", voter.actor);
        let note = json!({
            "id": id,
            "type": "Note",
            "name": name,
            "attributedTo": voter.actor,
            "to": [author.actor],
            "inReplyTo": s.uri,
        });
        let note: Object = serde_json::from_value(note)?;
        let mut create = builder::create(&oid(&format!("{id}/activity"))?, note);
        create.base.context = Some(activitypub_core::Context::mastodon());
        Ok(create)
    }

    /// A `Create` whose object may be a vote: a `Note` with a `name` that is an option of
    /// the local poll it replies to. Returns whether it was one (then it is never a status);
    /// it is counted once per voter and option, never from the poll's author, never after the
    /// poll ended, and in a one-choice poll only the voter's first option counts.
    pub(crate) async fn receive_poll_vote(
        &self,
        o: &Object,
        actor: &Account,
    ) -> Result<bool, Error> {
        let Some(name) = o.name.as_deref() else {
            return Ok(false);
        };
        let Some(parent) = o
            .in_reply_to
            .as_ref()
            .and_then(|r| r.iter().next())
            .and_then(|r| r.id())
        else {
            return Ok(false);
        };
        if !self.config().is_local_iri(parent) {
            return Ok(false);
        }
        let Some(s) = self.status_by_uri(parent).await? else {
            return Ok(false);
        };
        let Some(poll) = s.poll.as_ref().filter(|_| s.local) else {
            return Ok(false);
        };
        let Some(choice) = option_index(poll, name) else {
            return Ok(false);
        };
        if poll.expired(self.now_ms()) || actor.id == s.account_id {
            return Ok(true);
        }
        let me = actor.id.to_string();
        let option = coll::poll_option(s.id, choice);
        let voters = coll::poll_voters(s.id);
        let known = self
            .store()
            .key_of_many(&[
                (option.as_str(), me.as_str()),
                (voters.as_str(), me.as_str()),
            ])
            .await?;
        let (in_option, is_voter) = (
            known.first().copied().flatten(),
            known.get(1).copied().flatten(),
        );
        if in_option.is_some() || (!poll.multiple && is_voter.is_some()) {
            return Ok(true);
        }
        let key = self.inner.ids.next(self.now_ms());
        let mut batch = WriteBatch::new().insert(option, key, me.clone());
        if is_voter.is_none() {
            batch = batch.insert(voters, key, me);
        }
        self.store().apply(&batch).await?;
        self.schedule_poll_update(s.id).await?;
        Ok(true)
    }

    /// Queues the closing job of a new local poll, due when it ends.
    pub(crate) async fn schedule_poll_close(&self, s: &Status) -> Result<(), Error> {
        let Some(at) = s.poll.as_ref().and_then(|p| p.expires_at) else {
            return Ok(());
        };
        self.enqueue_poll_job(&PollJob::Close { status: s.id }, at)
            .await
    }

    /// Queues, once, the closing job of a remote poll a local account voted in (for the
    /// `poll` notifications of its local voters).
    async fn schedule_remote_poll_close(&self, s: &Status) -> Result<(), Error> {
        let Some(at) = s.poll.as_ref().and_then(|p| p.expires_at) else {
            return Ok(());
        };
        let key = s.id.to_string();
        if self.get_str(ns::POLL_CLOSE_QUEUED, &key).await?.is_some() {
            return Ok(());
        }
        self.store()
            .kv_put(ns::POLL_CLOSE_QUEUED, key.as_bytes(), b"1")
            .await?;
        self.enqueue_poll_job(&PollJob::Close { status: s.id }, at)
            .await
    }

    /// Queues a result `Update` of a local poll [`UPDATE_DELAY`] from now, unless one is
    /// queued already (its `Update` will carry this vote too).
    async fn schedule_poll_update(&self, status_id: u64) -> Result<(), Error> {
        let key = status_id.to_string();
        if self.get_str(ns::POLL_UPDATE_PENDING, &key).await?.is_some() {
            return Ok(());
        }
        self.store()
            .kv_put(ns::POLL_UPDATE_PENDING, key.as_bytes(), b"1")
            .await?;
        let at = self
            .now_ms()
            .saturating_add(UPDATE_DELAY.as_millis() as u64);
        self.enqueue_poll_job(&PollJob::Update { status: status_id }, at)
            .await
    }

    async fn enqueue_poll_job(&self, job: &PollJob, at_ms: u64) -> Result<(), Error> {
        let job = NewJob::new(
            "polls",
            serde_json::to_vec(job)?,
            fedi_storage::Timestamp::from_unix_millis(at_ms),
        )
        .with_max_attempts(ATTEMPTS);
        self.store().enqueue(QUEUE, &job).await?;
        Ok(())
    }

    /// Runs the poll jobs that are due (at most `limit`): result `Update`s and closings.
    /// Returns how many were leased. A failed job is tried again later (a dead letter after
    /// a few attempts); the jobs are in the store, so a restart loses none.
    pub async fn run_poll_jobs(&self, limit: usize) -> Result<usize, Error> {
        let now = self.now();
        let jobs = self
            .store()
            .lease(
                QUEUE,
                &LeaseRequest::new(now, Duration::from_secs(60), limit),
            )
            .await?;
        let n = jobs.len();
        for job in jobs {
            let result = match serde_json::from_slice::<PollJob>(&job.payload) {
                Ok(PollJob::Update { status }) => self.send_poll_update(status).await,
                Ok(PollJob::Close { status }) => self.close_poll(status).await,
                Err(e) => {
                    tracing::warn!(error = %e, "unreadable poll job dropped");
                    Ok(())
                }
            };
            match result {
                Ok(()) => self.store().ack(QUEUE, &job.lease).await?,
                Err(e) => {
                    tracing::warn!(error = %e, "poll job failed");
                    let at = self
                        .now()
                        .saturating_add(Duration::from_secs(30 * u64::from(job.attempts + 1)));
                    self.store()
                        .retry(QUEUE, &job.lease, &e.to_string(), at, self.now())
                        .await?;
                }
            }
        }
        Ok(n)
    }

    /// Sends the current counts of a local poll as an `Update(Question)` to the status's
    /// audience and the poll's remote voters.
    async fn send_poll_update(&self, status_id: u64) -> Result<(), Error> {
        // Cleared first: a vote from now on queues the next `Update`.
        self.store()
            .kv_delete(ns::POLL_UPDATE_PENDING, status_id.to_string().as_bytes())
            .await?;
        let s = match self.status(status_id).await {
            Ok(s) if s.local && s.poll.is_some() => s,
            Ok(_) => return Ok(()),
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(e),
        };
        self.federate_poll(&s).await
    }

    /// The `Update(Question)` of a local poll with its current counts, to the status's
    /// audience and the poll's remote voters.
    async fn federate_poll(&self, s: &Status) -> Result<(), Error> {
        let author = self.account(s.account_id).await?;
        let mut audience = self.audience_of(s).await?;
        // Remote voters by inbox, shared ones once: thousands of voters on one server are
        // one delivery, and no per-actor lookups.
        let mut inboxes = std::collections::BTreeSet::new();
        for v in self.poll_voter_accounts(s.id).await? {
            if v.is_local() {
                continue;
            }
            match v.shared_inbox.or(v.inbox) {
                Some(i) => {
                    inboxes.insert(i);
                }
                None => audience = audience.actor(v.actor),
            }
        }
        for i in inboxes {
            audience = audience.inbox(i);
        }
        let version = format!("poll/{}", self.now_ms());
        self.federate_note_update(&author, s, &version, audience)
            .await
    }

    /// The accounts that voted in the poll of status `status_id` (here: every voter of a
    /// local poll, the local voters of a remote one).
    async fn poll_voter_accounts(&self, status_id: u64) -> Result<Vec<Account>, Error> {
        let items: Vec<CollectionItem> = self
            .store()
            .all_members(&coll::poll_voters(status_id), 1000)
            .await?;
        let ids: Vec<u64> = items.iter().filter_map(|i| i.member.parse().ok()).collect();
        Ok(self
            .accounts_by_id(&ids)
            .await?
            .into_iter()
            .flatten()
            .collect())
    }

    /// A poll has ended: a local one sends its final counts; the author (if local) and the
    /// local voters get a `poll` notification.
    async fn close_poll(&self, status_id: u64) -> Result<(), Error> {
        let s = match self.status(status_id).await {
            Ok(s) if s.poll.is_some() => s,
            Ok(_) => return Ok(()),
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(e),
        };
        if s.local {
            self.federate_poll(&s).await?;
            self.notify_poll_end(s.account_id, &s).await?;
        }
        for v in self.poll_voter_accounts(s.id).await? {
            if v.is_local() && v.id != s.account_id {
                self.notify_poll_end(v.id, &s).await?;
            }
        }
        Ok(())
    }

    /// The `poll` notification of `account_id` for the poll of `s`, from its author (as on
    /// Mastodon, the author is notified of its own poll too).
    async fn notify_poll_end(&self, account_id: u64, s: &Status) -> Result<(), Error> {
        self.notify_allowing_self(account_id, NotificationType::Poll, s.account_id, Some(s.id))
            .await
    }

    /// Adds a poll's `Question` properties to the `Note` of its status: the type, `oneOf` or
    /// `anyOf` (each option a `Note` with `name` and `replies.totalItems`), `endTime`,
    /// `votersCount` and, once it ended, `closed`.
    pub(crate) async fn add_question(&self, note: &mut Object, s: &Status) -> Result<(), Error> {
        let Some(poll) = &s.poll else {
            return Ok(());
        };
        let tally = self
            .poll_tallies(&[s])
            .await?
            .remove(&s.id)
            .unwrap_or_default();
        let options: Vec<Value> = poll
            .options
            .iter()
            .enumerate()
            .map(|(i, name)| {
                json!({
                    "type": "Note",
                    "name": name,
                    "replies": {
                        "type": "Collection",
                        "totalItems": tally.options.get(i).copied().unwrap_or(0),
                    },
                })
            })
            .collect();
        let refs: Refs = serde_json::from_value(Value::Array(options))?;
        note.kind = Some(OneOrMany::One(Kind::Question));
        if poll.multiple {
            note.any_of = Some(refs);
        } else {
            note.one_of = Some(refs);
        }
        if let Some(at) = poll.expires_at {
            note.end_time = Some(XsdDateTime::new_unchecked(rfc3339(at)));
            if at <= self.now_ms() {
                note.closed = Some(XsdDateTime::new_unchecked(rfc3339(at)));
            }
        }
        note.voters_count = Some(tally.voters);
        Ok(())
    }
}

/// A poll, kept in its status's record. A local poll's votes are counted in the store's
/// collections (one per option, one of voters: a voter counts once per option whatever is
/// sent twice); a remote poll's counts are what its server last sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Poll {
    /// The options' titles, in order.
    pub options: Vec<String>,
    /// Several options may be chosen (`anyOf`), else one (`oneOf`).
    pub multiple: bool,
    /// Counts are hidden until the poll ends.
    #[serde(default)]
    pub hide_totals: bool,
    /// When it ends (ms), if it does.
    pub expires_at: Option<u64>,
    /// Remote polls: the votes per option as last received (empty for local polls).
    #[serde(default)]
    pub counts: Vec<u64>,
    /// Remote polls: `votersCount` as last received.
    #[serde(default)]
    pub voters_count: Option<u64>,
    /// Remote polls: when its server said it closed (ms).
    #[serde(default)]
    pub closed_at: Option<u64>,
}

impl Poll {
    /// Whether it has ended at `now_ms`.
    pub fn expired(&self, now_ms: u64) -> bool {
        self.closed_at.is_some() || self.expires_at.is_some_and(|e| e <= now_ms)
    }
}
