//! Processing the durable queues: the inbox queue (the application's handler) and, with
//! [`Engine::process_deliveries`], the delivery queue; [`Engine::run`] drives both.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use fedi_storage::{Job, LeaseRequest};
use tokio::sync::{Notify, Semaphore};

use super::delivery::backoff;
use super::fetch::parse_document;
use super::inbox::InboxJob;
use super::{Engine, FetchBudget, InboxActivity, INBOX_QUEUE};
use crate::{AnyObject, Error, Kind};

/// How often [`Engine::run`] collects expired entries (see [`Engine::collect_expired`]).
const SWEEP_EVERY: Duration = Duration::from_secs(60);
/// Entries removed per step of a collection.
const SWEEP_STEP: usize = 1024;

/// What one pass over a queue did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct QueueRun {
    /// Jobs leased.
    pub leased: usize,
    /// Jobs done (delivered, or handled) and acknowledged.
    pub done: usize,
    /// Jobs rescheduled after a failure.
    pub retried: usize,
    /// Jobs dead-lettered (permanent failure, or out of attempts).
    pub dead: usize,
    /// Jobs whose bookkeeping failed (storage errors); they are leased again later.
    pub errors: usize,
    /// Received activities found to be duplicates by the runner's check (journaled inbox
    /// queue only: see `Engine::receive`) and acknowledged without running the handler.
    pub duplicates: usize,
}

/// Stops [`Engine::run`]: clone it, hand one to `run`, call [`Shutdown::trigger`] on another.
#[derive(Debug, Clone, Default)]
pub struct Shutdown {
    inner: Arc<(AtomicBool, Notify)>,
}

impl Shutdown {
    /// A shutdown switch, not yet triggered.
    pub fn new() -> Self {
        Shutdown::default()
    }
    /// Asks the runner to stop after the jobs in hand.
    pub fn trigger(&self) {
        self.inner.0.store(true, Ordering::SeqCst);
        self.inner.1.notify_waiters();
    }
    /// Whether it was triggered.
    pub fn is_triggered(&self) -> bool {
        self.inner.0.load(Ordering::SeqCst)
    }
    async fn wait(&self) {
        let notified = self.inner.1.notified();
        if self.is_triggered() {
            return;
        }
        notified.await;
    }
}

impl Engine {
    /// Drives both durable queues until `shutdown` is triggered: two loops running side by
    /// side (so slow deliveries never hold up received activities), one handling received
    /// activities and one sending due deliveries, each sleeping when it has nothing to do
    /// (woken at once by new work, and at least every `poll` for jobs that became due). Jobs
    /// in hand when shutdown is asked are finished; everything else stays durably queued.
    pub async fn run(&self, shutdown: Shutdown, poll: Duration) -> Result<(), Error> {
        self.load_host_schemes().await?;
        let batch = self.inner.config.delivery.concurrency.max(1) * 4;
        let inbox_batch = self.inner.config.inbox_queue.concurrency.max(1) * 4;
        let inbox = async {
            let mut last_sweep: Option<std::time::Instant> = None;
            while !shutdown.is_triggered() {
                let busy = match self.process_inbox(inbox_batch).await {
                    Ok(r) => r.leased > 0,
                    Err(e) => {
                        tracing::warn!(error = %e, "inbox queue pass failed");
                        false
                    }
                };
                if !busy && last_sweep.is_none_or(|t| t.elapsed() >= SWEEP_EVERY) {
                    last_sweep = Some(std::time::Instant::now());
                    if let Err(e) = self.collect_expired().await {
                        tracing::warn!(error = %e, "collecting expired dedupe entries failed");
                    }
                }
                if !busy {
                    tokio::select! {
                        _ = self.inner.inbox_work.notified() => {}
                        _ = tokio::time::sleep(poll) => {}
                        _ = shutdown.wait() => {}
                    }
                }
            }
        };
        let deliveries = async {
            while !shutdown.is_triggered() {
                let busy = match self.process_deliveries(batch).await {
                    Ok(r) => r.leased > 0,
                    Err(e) => {
                        tracing::warn!(error = %e, "delivery queue pass failed");
                        false
                    }
                };
                if !busy {
                    tokio::select! {
                        _ = self.inner.delivery_work.notified() => {}
                        _ = tokio::time::sleep(poll) => {}
                        _ = shutdown.wait() => {}
                    }
                }
            }
        };
        tokio::join!(inbox, deliveries);
        Ok(())
    }

    /// Collects what has expired, so the store does not grow with every activity ever
    /// received: dedupe entries past their time to live (`EngineConfig::dedupe_ttl`) and the
    /// inbox queue's dead letters older than `InboxQueueConfig::dead_retention`. Bounded work
    /// per call (at most 16 steps of 1,024 entries each); [`Engine::run`] calls it when the
    /// inbox is idle, at most once a minute. Returns (dedupe entries, dead letters) removed.
    pub async fn collect_expired(&self) -> Result<(usize, usize), Error> {
        let store = &self.inner.store;
        let now = self.now();
        let mut purged = 0;
        for _ in 0..16 {
            let n = store.purge_expired(now, SWEEP_STEP).await?;
            purged += n;
            if n < SWEEP_STEP {
                break;
            }
        }
        let cutoff = now.saturating_sub(self.inner.config.inbox_queue.dead_retention);
        let mut dead = 0;
        'letters: for _ in 0..16 {
            let letters = store.dead_letters(INBOX_QUEUE, None, SWEEP_STEP).await?;
            let full = letters.len() == SWEEP_STEP;
            for letter in letters {
                // Oldest id first, which is roughly oldest first: stop at the first one kept.
                if letter.dead_at > cutoff {
                    break 'letters;
                }
                match store.take_dead_letter(INBOX_QUEUE, letter.id, None).await {
                    Ok(_) => dead += 1,
                    Err(e) if e.is_not_found() => {}
                    Err(e) => return Err(e.into()),
                }
            }
            if !full {
                break;
            }
        }
        Ok((purged, dead))
    }

    /// Handles the received activities that are due: leases up to `limit` from the inbox
    /// queue and runs the handler on each (at most
    /// [`InboxQueueConfig::concurrency`](super::InboxQueueConfig) at once), acknowledging,
    /// rescheduling or dead-lettering each.
    pub async fn process_inbox(&self, limit: usize) -> Result<QueueRun, Error> {
        let cfg = &self.inner.config.inbox_queue;
        let now = self.now();
        let jobs = self
            .inner
            .store
            .lease(INBOX_QUEUE, &LeaseRequest::new(now, cfg.lease, limit))
            .await?;
        let mut run = QueueRun {
            leased: jobs.len(),
            ..QueueRun::default()
        };
        let sem = Arc::new(Semaphore::new(cfg.concurrency.max(1)));
        let mut set = tokio::task::JoinSet::new();
        // Of the jobs of one pass carrying the same dedupe key, only the first runs (the
        // passes themselves run one after the other, so the store's dedupe set covers the
        // rest).
        let mut keys = HashSet::new();
        for job in jobs {
            let decoded = InboxJob::decode(&job.payload);
            let repeated = matches!(&decoded, Ok(j) if j.dedupe.as_ref().is_some_and(|k| !keys.insert(k.clone())));
            let engine = self.clone();
            let sem = sem.clone();
            set.spawn(async move {
                let _p = sem.acquire_owned().await.ok();
                engine.handle_job(job, decoded, repeated).await
            });
        }
        while let Some(r) = set.join_next().await {
            match r {
                Ok(Ok(Handled::Done)) => run.done += 1,
                Ok(Ok(Handled::Duplicate)) => run.duplicates += 1,
                Ok(Ok(Handled::Retried)) => run.retried += 1,
                Ok(Ok(Handled::Dead)) => run.dead += 1,
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "inbox job bookkeeping failed");
                    run.errors += 1;
                }
                Err(e) => {
                    tracing::error!(error = %e, "inbox handler panicked");
                    run.errors += 1;
                }
            }
        }
        Ok(run)
    }

    /// Runs the handler on one job and acknowledges, reschedules or buries it. A job that
    /// carries its dedupe key (a journaled inbox queue) is checked against the store's dedupe
    /// set first, and recorded there once handled or dropped.
    async fn handle_job(
        &self,
        job: Job,
        decoded: Result<InboxJob, Error>,
        repeated: bool,
    ) -> Result<Handled, Error> {
        let store = &self.inner.store;
        let key = decoded.as_ref().ok().and_then(|j| j.dedupe.clone());
        if let Some(key) = &key {
            if repeated || store.seen(key, self.now()).await? {
                store.ack(INBOX_QUEUE, &job.lease).await?;
                return Ok(Handled::Duplicate);
            }
        }
        let result = match decoded {
            Ok(decoded) => self.run_handler(decoded).await,
            Err(e) => Err(e),
        };
        let now = self.now();
        let ttl = self.inner.config.dedupe_ttl;
        match result {
            Ok(()) => {
                if let Some(key) = &key {
                    store.check_and_set(key, now, ttl).await?;
                }
                store.ack(INBOX_QUEUE, &job.lease).await?;
                Ok(Handled::Done)
            }
            Err(e) if e.is_retryable() => {
                let at = now.saturating_add(backoff(job.attempts, self.jitter(10)));
                match store
                    .retry(INBOX_QUEUE, &job.lease, &e.to_string(), at, now)
                    .await?
                {
                    fedi_storage::RetryOutcome::DeadLettered => {
                        if let Some(key) = &key {
                            store.check_and_set(key, now, ttl).await?;
                        }
                        Ok(Handled::Dead)
                    }
                    _ => Ok(Handled::Retried),
                }
            }
            Err(e) => {
                tracing::info!(error = %e, "received activity dropped");
                if let Some(key) = &key {
                    store.check_and_set(key, now, ttl).await?;
                }
                store
                    .bury(INBOX_QUEUE, &job.lease, &e.to_string(), now)
                    .await?;
                Ok(Handled::Dead)
            }
        }
    }

    async fn run_handler(&self, job: InboxJob) -> Result<(), Error> {
        let handler = self.inner.handler.clone();
        if job.actor_gone {
            self.invalidate_keys_of(&job.signer).await?;
            return handler.actor_gone(self, &job.signer).await;
        }
        let document = parse_document(&job.body)
            .map_err(|e| Error::handler_permanent(format!("unreadable activity: {e}")))?;
        let AnyObject::Activity(activity) = document else {
            return Err(Error::handler_permanent("not an activity"));
        };
        // The request path checked the claimed actor with a cheap peek; after full parsing
        // (and JSON-LD normalization, which can rename terms) it must still hold.
        if activity.actor_ids() != [job.signer.as_str()] {
            return Err(Error::handler_permanent(format!(
                "the activity's actor {:?} is not the signer {}",
                activity.actor_ids(),
                job.signer
            )));
        }
        let actor_origin = url::Url::parse(&job.signer)
            .map(|u| u.origin())
            .map_err(|e| Error::handler_permanent(e.to_string()))?;
        let creates = activity.is(&Kind::Create) || activity.is(&Kind::Update);
        let mut object = None;
        let mut object_error = None;
        if let Some(first) = activity.first_object() {
            let mut budget = FetchBudget::new(self.inner.config.fetch_budget);
            match first.object() {
                Some(embedded) => {
                    let same_origin = embedded
                        .id
                        .as_ref()
                        .is_some_and(|i| i.url().origin() == actor_origin);
                    if creates {
                        // One author, the signer; or a list that names the signer beside
                        // actors of its own origin (PeerTube: the account and its channel).
                        let foreign = crate::validate::foreign_authors(
                            &embedded.attributed_to_ids(),
                            &job.signer,
                        );
                        if !same_origin || !foreign.is_empty() {
                            return Err(Error::handler_permanent(
                                "a Create/Update of an object attributed to someone else",
                            ));
                        }
                    }
                    if same_origin || embedded.id.is_none() {
                        object = Some(embedded.clone());
                    } else if let Some(id) = embedded.id.as_ref().map(|i| i.as_str().to_owned()) {
                        // Embedded from another origin: not trusted as sent.
                        (object, object_error) = self.resolve_object(&id, &mut budget).await;
                    }
                }
                None => {
                    if let Some(id) = first.id().map(str::to_owned) {
                        let wanted = activity.is(&Kind::Announce) || creates;
                        if wanted {
                            (object, object_error) = self.resolve_object(&id, &mut budget).await;
                        }
                    }
                }
            }
        }
        let mut received = InboxActivity {
            activity,
            object,
            object_error,
            raw: job.body,
            target: job.target,
            signer: job.signer,
            key_id: job.key_id,
            scheme: job.scheme,
            received_at: job.received_at,
        };
        // The inbound policies: a refused activity is acknowledged and dropped.
        match self.policies().filter(&mut received) {
            Ok(outcome) if !outcome.rewritten_by.is_empty() => {
                tracing::debug!(rewritten_by = ?outcome.rewritten_by, "policies rewrote an activity")
            }
            Ok(_) => {}
            Err(refused) => {
                tracing::info!(
                    actor = %received.signer,
                    policy = %refused.policy,
                    reason = %refused.reason,
                    "a policy refused a received activity"
                );
                return Ok(());
            }
        }
        handler.handle(self, received).await
    }

    /// An object by id: ours from the store, others fetched from their origin.
    async fn resolve_object(
        &self,
        id: &str,
        budget: &mut FetchBudget,
    ) -> (Option<AnyObject>, Option<String>) {
        if self.inner.config.is_local(id) {
            return match self.inner.store.get_document(id).await {
                Ok(Some(doc)) => match doc.deserialize::<AnyObject>() {
                    Ok(o) => (Some(o), None),
                    Err(e) => (None, Some(e.to_string())),
                },
                Ok(None) => (None, Some(format!("{id} is not stored here"))),
                Err(e) => (None, Some(e.to_string())),
            };
        }
        match self.fetch(id, budget).await {
            Ok(f) => (Some(f.document), None),
            Err(e) => (None, Some(e.to_string())),
        }
    }
}

enum Handled {
    Done,
    Duplicate,
    Retried,
    Dead,
}
