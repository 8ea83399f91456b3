//! Queues: durable job queues with lanes, leases, retries and dead letters. The
//! [`QueueStore`] trait, its conveniences and its records.

use std::time::Duration;

use async_trait::async_trait;

use crate::error::Result;
use crate::time::Timestamp;

/// Durable job queues (deliveries, received activities), with leases, retries and dead
/// letters. Delivery is at least once: a job leased and not acknowledged before its lease ends
/// is leased again.
///
/// Queues are named (`"deliveries"`, `"inbox"`); each job is in one lane (the destination
/// host) for per-lane counts and lane-restricted leases.
#[async_trait]
pub trait QueueStore: Send + Sync {
    /// Enqueues a job; returns its id (ids increase within a queue). Durable on return.
    async fn enqueue(&self, queue: &str, job: &NewJob) -> Result<u64>;

    /// Leases up to `request.limit` jobs that are due (`not_before <= now`, or whose previous
    /// lease ended), earliest due first, and counts an attempt for each. A job whose lease
    /// ended after its last attempt is dead-lettered (error `"lease expired"`) instead of
    /// leased. Durable on return (a crash after it returns does not lose the attempt count).
    async fn lease(&self, queue: &str, request: &LeaseRequest) -> Result<Vec<Job>>;

    /// Acknowledges a job: it is done and removed. Fails with
    /// [`Error::LeaseLost`](crate::Error::LeaseLost) if the lease is no longer held (the job was
    /// leased again after the lease ended, or already acknowledged). Durable on return.
    async fn ack(&self, queue: &str, lease: &Lease) -> Result<()>;

    /// Acknowledges several jobs in one write (and, on a durable backend, one flush). Returns,
    /// per lease, whether it was acknowledged (`false`: the lease was no longer held). Durable
    /// on return. The default calls [`QueueStore::ack`] for each; backends override it to make
    /// it one atomic write.
    async fn ack_many(&self, queue: &str, leases: &[Lease]) -> Result<Vec<bool>> {
        let mut out = Vec::with_capacity(leases.len());
        for lease in leases {
            match self.ack(queue, lease).await {
                Ok(()) => out.push(true),
                Err(e) if e.is_lease_lost() => out.push(false),
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// Reports a failed attempt: the job is due again at `not_before`, or, if that was its
    /// last attempt, becomes a dead letter (stamped `now`). Fails with
    /// [`Error::LeaseLost`](crate::Error::LeaseLost) like [`QueueStore::ack`]. Durable on
    /// return.
    async fn retry(
        &self,
        queue: &str,
        lease: &Lease,
        error: &str,
        not_before: Timestamp,
        now: Timestamp,
    ) -> Result<RetryOutcome>;

    /// Moves a leased job to the dead letters at once (a permanent failure, e.g. `410 Gone`).
    /// Durable on return.
    async fn bury(&self, queue: &str, lease: &Lease, error: &str, now: Timestamp) -> Result<()>;

    /// Pending jobs (due, scheduled or leased) per lane, ordered by lane.
    async fn lane_counts(&self, queue: &str) -> Result<Vec<(String, u64)>>;

    /// Dead letters with id greater than `after`, oldest first, at most `limit`.
    async fn dead_letters(
        &self,
        queue: &str,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<DeadLetter>>;

    /// How many dead letters the queue holds.
    async fn count_dead(&self, queue: &str) -> Result<u64>;

    /// Removes a dead letter; if `requeue_at` is given, enqueues it again as a fresh job due
    /// then, with its attempts reset. Returns the new job id if requeued. Durable on return.
    async fn take_dead_letter(
        &self,
        queue: &str,
        id: u64,
        requeue_at: Option<Timestamp>,
    ) -> Result<Option<u64>>;
}

/// Conveniences on [`QueueStore`].
#[async_trait]
pub trait QueueStoreExt: QueueStore {
    /// Pending jobs in one lane.
    async fn count_lane(&self, queue: &str, lane: &str) -> Result<u64> {
        Ok(self
            .lane_counts(queue)
            .await?
            .into_iter()
            .find(|(l, _)| l == lane)
            .map(|(_, n)| n)
            .unwrap_or(0))
    }
    /// Pending jobs in all lanes.
    async fn count_pending(&self, queue: &str) -> Result<u64> {
        Ok(self.lane_counts(queue).await?.iter().map(|(_, n)| n).sum())
    }
}
impl<T: QueueStore + ?Sized> QueueStoreExt for T {}

/// The default number of attempts before a job is dead-lettered (Mastodon retries a delivery
/// about sixteen times over about three days).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 16;

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewJob {
    /// The lane, usually the destination host; used for per-lane counts and leasing.
    pub lane: String,
    /// The job's data, opaque to the store.
    pub payload: Vec<u8>,
    /// The job is not leased before this time.
    pub not_before: Timestamp,
    /// How many leases the job gets before it is dead-lettered (at least 1).
    pub max_attempts: u32,
}

impl NewJob {
    /// A job on `lane`, due at `not_before`, with [`DEFAULT_MAX_ATTEMPTS`].
    pub fn new(lane: impl Into<String>, payload: Vec<u8>, not_before: Timestamp) -> Self {
        NewJob {
            lane: lane.into(),
            payload,
            not_before,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }
    /// Sets the number of attempts (builder style).
    pub fn with_max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }
}

/// Proof of holding a job: returned by a lease, required to acknowledge or retry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Lease {
    /// The job.
    pub job: u64,
    /// Which lease of that job this is (its attempt number).
    pub token: u32,
    /// When the lease ends; after that the job can be leased again.
    pub until: Timestamp,
}

/// A leased job.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Job {
    /// The job's id, unique within its queue.
    pub id: u64,
    /// Its lane.
    pub lane: String,
    /// Its data.
    pub payload: Vec<u8>,
    /// How many times it has been leased, this lease included (1 on the first attempt).
    pub attempts: u32,
    /// The attempt limit.
    pub max_attempts: u32,
    /// The error recorded by the last retry, if any.
    pub last_error: Option<String>,
    /// The lease.
    pub lease: Lease,
}

impl Lease {
    /// A lease of `job`, its `token`-th, ending at `until` (for backends outside this crate;
    /// callers get leases from [`QueueStore::lease`]).
    pub fn new(job: u64, token: u32, until: Timestamp) -> Self {
        Lease { job, token, until }
    }
}

impl Job {
    /// A leased job (for backends outside this crate; callers get jobs from
    /// [`QueueStore::lease`]). Its id is the lease's job.
    pub fn new(
        lane: impl Into<String>,
        payload: Vec<u8>,
        attempts: u32,
        max_attempts: u32,
        last_error: Option<String>,
        lease: Lease,
    ) -> Self {
        Job {
            id: lease.job,
            lane: lane.into(),
            payload,
            attempts,
            max_attempts,
            last_error,
            lease,
        }
    }

    /// Whether this is the last attempt (a retry will dead-letter it).
    pub fn is_last_attempt(&self) -> bool {
        self.attempts >= self.max_attempts
    }
}

/// What to lease.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LeaseRequest {
    /// The current time: jobs due at or before it are leased.
    pub now: Timestamp,
    /// How long the lease lasts.
    pub duration: Duration,
    /// The most jobs to lease.
    pub limit: usize,
    /// Only jobs of this lane.
    pub lane: Option<String>,
}

impl LeaseRequest {
    /// Up to `limit` due jobs of any lane, leased for `duration`.
    pub fn new(now: Timestamp, duration: Duration, limit: usize) -> Self {
        LeaseRequest {
            now,
            duration,
            limit,
            lane: None,
        }
    }
    /// Restricts the lease to one lane.
    pub fn lane(mut self, lane: impl Into<String>) -> Self {
        self.lane = Some(lane.into());
        self
    }
}

/// What a retry did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryOutcome {
    /// The job will be leased again at this time.
    Rescheduled(Timestamp),
    /// The job had used its last attempt and is now a dead letter.
    DeadLettered,
}

impl DeadLetter {
    /// A dead letter (for backends outside this crate; callers get them from
    /// [`QueueStore::dead_letters`]).
    pub fn new(
        id: u64,
        lane: impl Into<String>,
        payload: Vec<u8>,
        attempts: u32,
        last_error: impl Into<String>,
        dead_at: Timestamp,
    ) -> Self {
        DeadLetter {
            id,
            lane: lane.into(),
            payload,
            attempts,
            last_error: last_error.into(),
            dead_at,
        }
    }
}

/// A job that used up its attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeadLetter {
    /// The job's id.
    pub id: u64,
    /// Its lane.
    pub lane: String,
    /// Its data.
    pub payload: Vec<u8>,
    /// How many attempts it had.
    pub attempts: u32,
    /// The last error.
    pub last_error: String,
    /// When it was dead-lettered.
    pub dead_at: Timestamp,
}
