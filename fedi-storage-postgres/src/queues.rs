//! Durable job queues for many consumers: jobs are rows of `fedi_jobs`, leased with
//! `SELECT … FOR UPDATE SKIP LOCKED` (concurrent leasers, in any process, never wait on or
//! take each other's jobs), with the lease's end kept in the row (`due_at`), so a job whose
//! holder died is due again when its lease ends, with no process needing to notice.
//!
//! Per-lane limits ([`PostgresConfig::lane_limit`](crate::PostgresConfig::lane_limit)) are
//! counted in the database: the first time a lease call meets a lane, it takes that lane's
//! transaction-scoped advisory lock (`pg_try_advisory_xact_lock`, not waiting: a lane
//! another leaser is leasing right now is skipped) and counts the lane's unexpired leases;
//! it leases at most the limit minus that count. The lock is held until commit, so the
//! count a leaser sees includes every lease committed before it, and the limit holds across
//! every store on the database.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use fedi_storage::{
    DeadLetter, Error, Job, Lease, LeaseRequest, NewJob, QueueStore, Result, RetryOutcome,
    Timestamp, DEFAULT_MAX_ATTEMPTS,
};

use crate::codec::{free_text, from_int, from_ts, int, job_id, limit, name, text, ts, unsigned};
use crate::error::{Fail, R};
use crate::store::{execute, in_tx, not_found, query, retrying, PostgresStore};

const ENQUEUE: &str = "INSERT INTO fedi_jobs (queue, lane, payload, max_attempts, due_at)
    VALUES ($1, $2, $3, $4, $5) RETURNING id";

const DUE: &str = "SELECT id, lane, attempts, max_attempts, leased FROM fedi_jobs
    WHERE queue = $1 AND due_at <= $2 AND ($3::text IS NULL OR lane = $3)
        AND lane <> ALL($4::text[]) AND id <> ALL($5::bigint[])
    ORDER BY due_at, id LIMIT $6
    FOR UPDATE SKIP LOCKED";

const TAKE: &str = "UPDATE fedi_jobs SET attempts = attempts + 1, leased = true, due_at = $2
    WHERE id = ANY($1::bigint[])
    RETURNING id, lane, payload, attempts, max_attempts, last_error";

const EXPIRE: &str = "WITH gone AS (
        DELETE FROM fedi_jobs WHERE id = ANY($1::bigint[])
        RETURNING queue, id, lane, payload, attempts
    )
    INSERT INTO fedi_dead_letters (queue, id, lane, payload, attempts, last_error, dead_at)
    SELECT queue, id, lane, payload, attempts, 'lease expired', $2 FROM gone";

const LANE_LOCK: &str =
    "SELECT pg_try_advisory_xact_lock(hashtextextended($1 || chr(10) || $2, 0))";

const LANE_ACTIVE: &str = "SELECT count(*) FROM fedi_jobs
    WHERE queue = $1 AND lane = $2 AND leased AND due_at > $3";

const ACK: &str = "DELETE FROM fedi_jobs WHERE queue = $1 AND id = $2 AND leased AND attempts = $3";

const ACK_MANY: &str = "DELETE FROM fedi_jobs j
    USING unnest($2::bigint[], $3::int[]) AS l(id, token)
    WHERE j.queue = $1 AND j.id = l.id AND j.attempts = l.token AND j.leased
    RETURNING j.id";

const RESCHEDULE: &str = "UPDATE fedi_jobs SET due_at = $4, leased = false, last_error = $5
    WHERE queue = $1 AND id = $2 AND leased AND attempts = $3 AND attempts < max_attempts";

// Moves a held job to the dead letters; `$6` restricts it to a job on its last attempt
// (a retry) or not (a burial).
const BURY: &str = "WITH gone AS (
        DELETE FROM fedi_jobs
        WHERE queue = $1 AND id = $2 AND leased AND attempts = $3
            AND (NOT $6 OR attempts >= max_attempts)
        RETURNING queue, id, lane, payload, attempts
    )
    INSERT INTO fedi_dead_letters (queue, id, lane, payload, attempts, last_error, dead_at)
    SELECT queue, id, lane, payload, attempts, $4, $5 FROM gone";

const TAKE_DEAD: &str = "WITH gone AS (
        DELETE FROM fedi_dead_letters WHERE queue = $1 AND id = $2
        RETURNING lane, payload
    ), again AS (
        INSERT INTO fedi_jobs (queue, lane, payload, max_attempts, due_at)
        SELECT $1, lane, payload, $4, $3 FROM gone WHERE $3::bigint IS NOT NULL
        RETURNING id
    )
    SELECT (SELECT count(*) FROM gone), (SELECT id FROM again)";

/// The most rounds of one lease call (each leases, dead-letters or skips something).
const MAX_LEASE_ROUNDS: usize = 64;

pub(crate) async fn enqueue<C: GenericClient>(c: &C, q: &str, job: &NewJob) -> R<u64> {
    let q = name("queue", q)?;
    let lane = text("lane", &job.lane)?;
    let rows = query(
        c,
        ENQUEUE,
        &[
            &q,
            &lane,
            &job.payload,
            &int(job.max_attempts.max(1)),
            &ts(job.not_before),
        ],
    )
    .await?;
    let row = rows
        .first()
        .ok_or_else(|| Fail::Store(Error::Backend("INSERT returned no id".into())))?;
    Ok(unsigned(row.get(0)))
}

fn lease_lost(lease: &Lease) -> Fail {
    Fail::Store(Error::LeaseLost { job: lease.job })
}

impl PostgresStore {
    /// Leases as [`QueueStore::lease`] does, with at most `lane_limit` unexpired leases per
    /// lane across the whole database (the configured limit of the queue is not used).
    pub async fn lease_with_lane_limit(
        &self,
        queue: &str,
        req: &LeaseRequest,
        lane_limit: Option<u32>,
    ) -> Result<Vec<Job>> {
        if req.limit == 0 {
            return Ok(Vec::new());
        }
        let q = name("queue", queue)?;
        if let Some(l) = &req.lane {
            text("lane", l)?;
        }
        let now = ts(req.now);
        let until = req.now.saturating_add(req.duration);
        Ok(in_tx!(self, |tx| {
            let mut out: Vec<Job> = Vec::new();
            let mut taken: Vec<i64> = Vec::new();
            let mut full: Vec<String> = Vec::new();
            let mut budget: HashMap<String, u32> = HashMap::new();
            for _ in 0..MAX_LEASE_ROUNDS {
                let want = req.limit - out.len();
                let fetch = if lane_limit.is_some() {
                    want.max(32)
                } else {
                    want
                };
                let rows = query(
                    &tx,
                    DUE,
                    &[&q, &now, &req.lane, &full, &taken, &limit(fetch)],
                )
                .await?;
                let mut chosen: Vec<i64> = Vec::new();
                let mut expired: Vec<i64> = Vec::new();
                for row in &rows {
                    let id: i64 = row.get(0);
                    let lane: String = row.get(1);
                    let (attempts, max): (i32, i32) = (row.get(2), row.get(3));
                    if row.get::<_, bool>(4) && attempts >= max {
                        expired.push(id);
                        continue;
                    }
                    if let Some(cap) = lane_limit {
                        if full.contains(&lane) {
                            continue;
                        }
                        let left = match budget.get_mut(&lane) {
                            Some(b) => b,
                            None => {
                                let b = lane_budget(&tx, q, &lane, now, cap).await?;
                                budget.entry(lane.clone()).or_insert(b)
                            }
                        };
                        if *left == 0 {
                            full.push(lane);
                            continue;
                        }
                        *left -= 1;
                    }
                    chosen.push(id);
                    if out.len() + chosen.len() >= req.limit {
                        break;
                    }
                }
                if !expired.is_empty() {
                    query(&tx, EXPIRE, &[&expired, &now]).await?;
                }
                if !chosen.is_empty() {
                    let leased = query(&tx, TAKE, &[&chosen, &ts(until)]).await?;
                    let mut by_id: HashMap<i64, Job> = leased
                        .iter()
                        .map(|r| {
                            let id: i64 = r.get(0);
                            let attempts = from_int(r.get(3));
                            let lease = Lease::new(unsigned(id), attempts, until);
                            let job = Job::new(
                                r.get::<_, String>(1),
                                r.get(2),
                                attempts,
                                from_int(r.get(4)),
                                r.get(5),
                                lease,
                            );
                            (id, job)
                        })
                        .collect();
                    for id in &chosen {
                        if let Some(job) = by_id.remove(id) {
                            out.push(job);
                        }
                    }
                    taken.extend(chosen);
                }
                if out.len() >= req.limit || rows.len() < fetch {
                    break;
                }
            }
            out
        })?)
    }
}

/// How many more leases `lane` may have now: 0 if another leaser holds the lane's lock,
/// else the limit minus the unexpired leases committed so far.
async fn lane_budget<C: GenericClient>(c: &C, q: &str, lane: &str, now: i64, cap: u32) -> R<u32> {
    let locked: bool = query(c, LANE_LOCK, &[&q, &lane]).await?[0].get(0);
    if !locked {
        return Ok(0);
    }
    let active: i64 = query(c, LANE_ACTIVE, &[&q, &lane, &now]).await?[0].get(0);
    Ok(cap.saturating_sub(u32::try_from(active).unwrap_or(u32::MAX)))
}

#[async_trait]
impl QueueStore for PostgresStore {
    async fn enqueue(&self, queue: &str, job: &NewJob) -> Result<u64> {
        let id = retrying!(async { enqueue(&self.client().await?, queue, job).await }.await)?;
        self.jobs_added([queue]);
        Ok(id)
    }

    async fn lease(&self, queue: &str, request: &LeaseRequest) -> Result<Vec<Job>> {
        self.lease_with_lane_limit(queue, request, self.lane_limit(queue))
            .await
    }

    async fn ack(&self, queue: &str, lease: &Lease) -> Result<()> {
        let q = name("queue", queue)?;
        let n = retrying!(
            async {
                let c = self.client().await?;
                execute(&c, ACK, &[&q, &job_id(lease.job), &int(lease.token)]).await
            }
            .await
        )?;
        if n == 0 {
            return Err(lease_lost(lease).into());
        }
        Ok(())
    }

    async fn ack_many(&self, queue: &str, leases: &[Lease]) -> Result<Vec<bool>> {
        let q = name("queue", queue)?;
        if leases.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = leases.iter().map(|l| job_id(l.job)).collect();
        let tokens: Vec<i32> = leases.iter().map(|l| int(l.token)).collect();
        let rows = retrying!(
            async { query(&self.client().await?, ACK_MANY, &[&q, &ids, &tokens]).await }.await
        )?;
        let mut done: HashSet<i64> = rows.iter().map(|r| r.get(0)).collect();
        Ok(leases.iter().map(|l| done.remove(&job_id(l.job))).collect())
    }

    async fn retry(
        &self,
        queue: &str,
        lease: &Lease,
        error: &str,
        not_before: Timestamp,
        now: Timestamp,
    ) -> Result<RetryOutcome> {
        let q = name("queue", queue)?;
        let error = free_text(error);
        let (id, token) = (job_id(lease.job), int(lease.token));
        let outcome = retrying!(
            async {
                let c = self.client().await?;
                let params: [&(dyn tokio_postgres::types::ToSql + Sync); 5] =
                    [&q, &id, &token, &ts(not_before), &error];
                if execute(&c, RESCHEDULE, &params).await? > 0 {
                    return Ok(RetryOutcome::Rescheduled(not_before));
                }
                let params: [&(dyn tokio_postgres::types::ToSql + Sync); 6] =
                    [&q, &id, &token, &error, &ts(now), &true];
                if execute(&c, BURY, &params).await? > 0 {
                    return Ok(RetryOutcome::DeadLettered);
                }
                Err(lease_lost(lease))
            }
            .await
        )?;
        Ok(outcome)
    }

    async fn bury(&self, queue: &str, lease: &Lease, error: &str, now: Timestamp) -> Result<()> {
        let q = name("queue", queue)?;
        let error = free_text(error);
        let (id, token) = (job_id(lease.job), int(lease.token));
        let n = retrying!(
            async {
                let c = self.client().await?;
                let params: [&(dyn tokio_postgres::types::ToSql + Sync); 6] =
                    [&q, &id, &token, &error, &ts(now), &false];
                execute(&c, BURY, &params).await
            }
            .await
        )?;
        if n == 0 {
            return Err(lease_lost(lease).into());
        }
        Ok(())
    }

    async fn lane_counts(&self, queue: &str) -> Result<Vec<(String, u64)>> {
        let q = name("queue", queue)?;
        let rows = query(
            &self.client().await?,
            "SELECT lane, count(*) FROM fedi_jobs WHERE queue = $1 GROUP BY lane ORDER BY lane",
            &[&q],
        )
        .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), unsigned(r.get(1))))
            .collect())
    }

    async fn dead_letters(
        &self,
        queue: &str,
        after: Option<u64>,
        max: usize,
    ) -> Result<Vec<DeadLetter>> {
        let q = name("queue", queue)?;
        let after = match after {
            None => 0,
            Some(a) => match i64::try_from(a) {
                Ok(a) => a,
                Err(_) => return Ok(Vec::new()),
            },
        };
        if max == 0 {
            return Ok(Vec::new());
        }
        let rows = query(
            &self.client().await?,
            "SELECT id, lane, payload, attempts, last_error, dead_at FROM fedi_dead_letters
             WHERE queue = $1 AND id > $2 ORDER BY id LIMIT $3",
            &[&q, &after, &limit(max)],
        )
        .await?;
        Ok(rows
            .iter()
            .map(|r| {
                DeadLetter::new(
                    unsigned(r.get(0)),
                    r.get::<_, String>(1),
                    r.get(2),
                    from_int(r.get(3)),
                    r.get::<_, String>(4),
                    from_ts(r.get(5)),
                )
            })
            .collect())
    }

    async fn count_dead(&self, queue: &str) -> Result<u64> {
        let q = name("queue", queue)?;
        let rows = query(
            &self.client().await?,
            "SELECT count(*) FROM fedi_dead_letters WHERE queue = $1",
            &[&q],
        )
        .await?;
        Ok(unsigned(rows[0].get(0)))
    }

    async fn take_dead_letter(
        &self,
        queue: &str,
        id: u64,
        requeue_at: Option<Timestamp>,
    ) -> Result<Option<u64>> {
        let q = name("queue", queue)?;
        let at = requeue_at.map(ts);
        let max = int(DEFAULT_MAX_ATTEMPTS);
        let rows = retrying!(
            async {
                let c = self.client().await?;
                query(&c, TAKE_DEAD, &[&q, &job_id(id), &at, &max]).await
            }
            .await
        )?;
        let found: i64 = rows[0].get(0);
        if found == 0 {
            return Err(not_found(format!("dead letter {id} in queue {q:?}")).into());
        }
        let requeued = rows[0].get::<_, Option<i64>>(1).map(unsigned);
        if requeued.is_some() {
            self.jobs_added([queue]);
        }
        Ok(requeued)
    }
}
