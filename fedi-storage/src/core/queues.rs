//! Queues in the engine: job records, the due index ordered by (time, id), per-lane counts and
//! dead letters, and the steps of [`QueueStore`](crate::QueueStore).

use super::codec::*;
use super::{utf8, Core, Engine, Tx};
use crate::error::{Error, Result};
use crate::queues::{DeadLetter, Job, Lease, LeaseRequest, NewJob, RetryOutcome};
use crate::time::Timestamp;

/// A job handed over from the journal (see [`Core::tx_adopt`]).
pub(crate) struct AdoptedJob {
    pub(crate) lane: String,
    pub(crate) payload: Vec<u8>,
    pub(crate) attempts: u32,
    pub(crate) max_attempts: u32,
    pub(crate) due_at: u64,
    pub(crate) leased: bool,
}

/// A job as stored.
pub(super) struct JobRecord {
    lane: String,
    payload: Vec<u8>,
    attempts: u32,
    max_attempts: u32,
    /// The key of its entry in the due index.
    due_at: u64,
    leased: bool,
    last_error: Option<String>,
}

fn enc_job(j: &JobRecord) -> Vec<u8> {
    Enc::new(K_JOB)
        .str(&j.lane)
        .bytes(&j.payload)
        .u32(j.attempts)
        .u32(j.max_attempts)
        .u64(j.due_at)
        .u8(u8::from(j.leased))
        .opt_str(j.last_error.as_deref())
        .finish()
}

pub(super) fn dec_job(key: &[u8], buf: &[u8]) -> Result<JobRecord> {
    let mut d = Dec::expect(key, buf, K_JOB)?;
    let j = JobRecord {
        lane: d.string()?,
        payload: d.bytes()?,
        attempts: d.u32()?,
        max_attempts: d.u32()?,
        due_at: d.u64()?,
        leased: d.u8()? != 0,
        last_error: d.opt_string()?,
    };
    d.finish()?;
    Ok(j)
}

fn enc_dead(x: &DeadLetter) -> Vec<u8> {
    Enc::new(K_DEAD)
        .u64(x.id)
        .str(&x.lane)
        .bytes(&x.payload)
        .u32(x.attempts)
        .str(&x.last_error)
        .u64(x.dead_at.as_unix_millis())
        .finish()
}

pub(super) fn dec_dead(key: &[u8], buf: &[u8]) -> Result<DeadLetter> {
    let mut d = Dec::expect(key, buf, K_DEAD)?;
    let x = DeadLetter {
        id: d.u64()?,
        lane: d.string()?,
        payload: d.bytes()?,
        attempts: d.u32()?,
        last_error: d.string()?,
        dead_at: Timestamp::from_unix_millis(d.u64()?),
    };
    d.finish()?;
    Ok(x)
}

fn job_key(q: &str, id: u64) -> Result<Vec<u8>> {
    Ok(Key::new(T_JOB).name(q)?.u64(id).build())
}
fn due_key(q: &str, at: u64, id: u64) -> Result<Vec<u8>> {
    Ok(Key::new(T_JOB_DUE).name(q)?.u64(at).u64(id).build())
}
fn lane_key(q: &str, lane: &str) -> Result<Vec<u8>> {
    Ok(Key::new(T_LANE).name(q)?.bytes(lane.as_bytes()).build())
}
fn dead_key(q: &str, id: u64) -> Result<Vec<u8>> {
    Ok(Key::new(T_DEAD).name(q)?.u64(id).build())
}

impl<E: Engine> Core<E> {
    pub(super) fn tx_enqueue(tx: &mut Tx<'_, E>, q: &str, job: &NewJob) -> Result<u64> {
        let seq_key = Key::new(T_JOB_SEQ).name(q)?.build();
        let id = tx.get_u64(&seq_key)?.unwrap_or(0) + 1;
        tx.put(seq_key, enc_u64(id));
        let due = job.not_before.as_unix_millis();
        let rec = JobRecord {
            lane: job.lane.clone(),
            payload: job.payload.clone(),
            attempts: 0,
            max_attempts: job.max_attempts.max(1),
            due_at: due,
            leased: false,
            last_error: None,
        };
        tx.put(job_key(q, id)?, enc_job(&rec));
        tx.put(due_key(q, due, id)?, Vec::new());
        tx.add_counter(lane_key(q, &job.lane)?, 1)?;
        Ok(id)
    }

    pub(crate) fn enqueue(&self, q: &str, job: &NewJob) -> Result<u64> {
        self.write(|tx| Self::tx_enqueue(tx, q, job))
    }

    /// Removes a job and its index entries; `dead` turns it into a dead letter.
    fn tx_finish_job(
        tx: &mut Tx<'_, E>,
        q: &str,
        id: u64,
        rec: &JobRecord,
        dead: Option<(&str, Timestamp)>,
    ) -> Result<()> {
        tx.del(job_key(q, id)?);
        tx.del(due_key(q, rec.due_at, id)?);
        tx.add_counter(lane_key(q, &rec.lane)?, -1)?;
        if let Some((error, now)) = dead {
            let x = DeadLetter {
                id,
                lane: rec.lane.clone(),
                payload: rec.payload.clone(),
                attempts: rec.attempts,
                last_error: error.to_string(),
                dead_at: now,
            };
            tx.put(dead_key(q, id)?, enc_dead(&x));
            tx.add_counter(Key::new(T_DEAD_COUNT).name(q)?.build(), 1)?;
        }
        Ok(())
    }

    /// Leases due jobs; also reports whether anything was written (expired last attempts
    /// are dead-lettered even when no job is returned).
    pub(crate) fn lease(&self, q: &str, req: &LeaseRequest) -> Result<(Vec<Job>, bool)> {
        if req.limit == 0 {
            return Ok((Vec::new(), false));
        }
        self.write(|tx| {
            let out = self.tx_lease(tx, q, req)?;
            Ok((out, !tx.writes.is_empty()))
        })
    }

    /// The lease step: leases up to `req.limit` due jobs within `tx`.
    pub(super) fn tx_lease(
        &self,
        tx: &mut Tx<'_, E>,
        q: &str,
        req: &LeaseRequest,
    ) -> Result<Vec<Job>> {
        if req.limit == 0 {
            return Ok(Vec::new());
        }
        let prefix = Key::new(T_JOB_DUE).name(q)?.build();
        let now = req.now.as_unix_millis();
        let hi = Key::new(T_JOB_DUE)
            .name(q)?
            .u64(now.saturating_add(1))
            .build();
        let until = req.now.saturating_add(req.duration);
        {
            let mut out = Vec::new();
            let mut cursor = prefix.clone();
            let chunk = (req.limit * 2).clamp(16, 1024);
            'scan: loop {
                let entries = self.collect(&cursor, Some(&hi), false, chunk)?;
                let exhausted = entries.len() < chunk;
                for (k, _) in &entries {
                    let id = key_u64(k, prefix.len() + 8)?;
                    let jk = job_key(q, id)?;
                    let rec = match tx.get(&jk)? {
                        Some(v) => dec_job(&jk, &v),
                        None => {
                            tracing::warn!(
                                queue = q,
                                job = id,
                                "due-index entry without a job; dropped"
                            );
                            tx.del(k.clone());
                            continue;
                        }
                    };
                    let mut rec = match rec {
                        Ok(r) => r,
                        Err(e) => {
                            tracing::error!(queue = q, job = id, error = %e, "corrupt job skipped");
                            continue;
                        }
                    };
                    if req.lane.as_deref().is_some_and(|l| l != rec.lane) {
                        continue;
                    }
                    if rec.leased && rec.attempts >= rec.max_attempts {
                        Self::tx_finish_job(tx, q, id, &rec, Some(("lease expired", req.now)))?;
                        continue;
                    }
                    tx.del(k.clone());
                    rec.attempts = rec.attempts.saturating_add(1);
                    rec.leased = true;
                    rec.due_at = until.as_unix_millis();
                    tx.put(due_key(q, rec.due_at, id)?, Vec::new());
                    tx.put(jk, enc_job(&rec));
                    out.push(Job {
                        id,
                        lease: Lease {
                            job: id,
                            token: rec.attempts,
                            until,
                        },
                        lane: rec.lane,
                        payload: rec.payload,
                        attempts: rec.attempts,
                        max_attempts: rec.max_attempts,
                        last_error: rec.last_error,
                    });
                    if out.len() >= req.limit {
                        break 'scan;
                    }
                }
                match entries.last() {
                    Some((k, _)) if !exhausted => {
                        cursor = k.clone();
                        cursor.push(0);
                    }
                    _ => break,
                }
            }
            Ok(out)
        }
    }

    fn tx_held(tx: &Tx<'_, E>, q: &str, lease: &Lease) -> Result<(Vec<u8>, JobRecord)> {
        let jk = job_key(q, lease.job)?;
        let rec = match tx.get(&jk)? {
            None => return Err(Error::LeaseLost { job: lease.job }),
            Some(v) => dec_job(&jk, &v)?,
        };
        if !rec.leased || rec.attempts != lease.token {
            return Err(Error::LeaseLost { job: lease.job });
        }
        Ok((jk, rec))
    }

    pub(super) fn tx_ack(tx: &mut Tx<'_, E>, q: &str, lease: &Lease) -> Result<()> {
        let (_, rec) = Self::tx_held(tx, q, lease)?;
        Self::tx_finish_job(tx, q, lease.job, &rec, None)
    }

    pub(crate) fn ack(&self, q: &str, lease: &Lease) -> Result<()> {
        self.write(|tx| Self::tx_ack(tx, q, lease))
    }

    pub(crate) fn ack_many(&self, q: &str, leases: &[Lease]) -> Result<Vec<bool>> {
        self.write(|tx| {
            let mut out = Vec::with_capacity(leases.len());
            for lease in leases {
                match Self::tx_held(tx, q, lease) {
                    Ok((_, rec)) => {
                        Self::tx_finish_job(tx, q, lease.job, &rec, None)?;
                        out.push(true);
                    }
                    Err(e) if e.is_lease_lost() => out.push(false),
                    Err(e) => return Err(e),
                }
            }
            Ok(out)
        })
    }

    pub(super) fn tx_retry(
        tx: &mut Tx<'_, E>,
        q: &str,
        lease: &Lease,
        error: &str,
        not_before: Timestamp,
        now: Timestamp,
    ) -> Result<RetryOutcome> {
        let (jk, mut rec) = Self::tx_held(tx, q, lease)?;
        if rec.attempts >= rec.max_attempts {
            Self::tx_finish_job(tx, q, lease.job, &rec, Some((error, now)))?;
            return Ok(RetryOutcome::DeadLettered);
        }
        tx.del(due_key(q, rec.due_at, lease.job)?);
        rec.due_at = not_before.as_unix_millis();
        rec.leased = false;
        rec.last_error = Some(error.to_string());
        tx.put(due_key(q, rec.due_at, lease.job)?, Vec::new());
        tx.put(jk, enc_job(&rec));
        Ok(RetryOutcome::Rescheduled(not_before))
    }

    pub(crate) fn retry(
        &self,
        q: &str,
        lease: &Lease,
        error: &str,
        not_before: Timestamp,
        now: Timestamp,
    ) -> Result<RetryOutcome> {
        self.write(|tx| Self::tx_retry(tx, q, lease, error, not_before, now))
    }

    pub(super) fn tx_bury(
        tx: &mut Tx<'_, E>,
        q: &str,
        lease: &Lease,
        error: &str,
        now: Timestamp,
    ) -> Result<()> {
        let (_, rec) = Self::tx_held(tx, q, lease)?;
        Self::tx_finish_job(tx, q, lease.job, &rec, Some((error, now)))
    }

    pub(crate) fn bury(&self, q: &str, lease: &Lease, error: &str, now: Timestamp) -> Result<()> {
        self.write(|tx| Self::tx_bury(tx, q, lease, error, now))
    }

    /// Takes a job that another home (the sled backend's journal) held into this queue's
    /// records under its own id: `leased_until` set, as leased (its attempts counted, due
    /// again when that lease ends); else waiting, due at `rec_due`.
    pub(super) fn tx_adopt(tx: &mut Tx<'_, E>, q: &str, id: u64, job: AdoptedJob) -> Result<()> {
        let rec = JobRecord {
            lane: job.lane,
            payload: job.payload,
            attempts: job.attempts,
            max_attempts: job.max_attempts.max(1),
            due_at: job.due_at,
            leased: job.leased,
            last_error: None,
        };
        tx.put(job_key(q, id)?, enc_job(&rec));
        tx.put(due_key(q, rec.due_at, id)?, Vec::new());
        tx.add_counter(lane_key(q, &rec.lane)?, 1)?;
        Ok(())
    }

    /// The last id the queue's sled records gave (0 if none).
    pub(crate) fn queue_seq(&self, q: &str) -> Result<u64> {
        let k = Key::new(T_JOB_SEQ).name(q)?.build();
        Ok(self
            .engine
            .get(&k)?
            .map(|v| dec_u64(&k, &v))
            .transpose()?
            .unwrap_or(0))
    }

    /// The (due time, id) of up to `limit` entries of the due index at or before `now`,
    /// earliest first (a read: nothing is leased).
    pub(super) fn peek_due(
        &self,
        q: &str,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<(u64, u64)>> {
        let prefix = Key::new(T_JOB_DUE).name(q)?.build();
        let hi = Key::new(T_JOB_DUE)
            .name(q)?
            .u64(now.as_unix_millis().saturating_add(1))
            .build();
        self.collect(&prefix, Some(&hi), false, limit)?
            .into_iter()
            .map(|(k, _)| Ok((key_u64(&k, prefix.len())?, key_u64(&k, prefix.len() + 8)?)))
            .collect()
    }

    pub(crate) fn lane_counts(&self, q: &str) -> Result<Vec<(String, u64)>> {
        let prefix = Key::new(T_LANE).name(q)?.build();
        self.collect(&prefix, prefix_end(&prefix).as_deref(), false, usize::MAX)?
            .into_iter()
            .map(|(k, v)| Ok((utf8(&k, &k[prefix.len()..])?, dec_u64(&k, &v)?)))
            .collect()
    }

    pub(crate) fn dead_letters(
        &self,
        q: &str,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<DeadLetter>> {
        let prefix = Key::new(T_DEAD).name(q)?.build();
        let lo = match after {
            Some(u64::MAX) => return Ok(Vec::new()),
            Some(a) => dead_key(q, a + 1)?,
            None => prefix.clone(),
        };
        self.collect(&lo, prefix_end(&prefix).as_deref(), false, limit)?
            .into_iter()
            .map(|(k, v)| dec_dead(&k, &v))
            .collect()
    }

    pub(crate) fn count_dead(&self, q: &str) -> Result<u64> {
        let k = Key::new(T_DEAD_COUNT).name(q)?.build();
        Ok(self
            .engine
            .get(&k)?
            .map(|v| dec_u64(&k, &v))
            .transpose()?
            .unwrap_or(0))
    }

    pub(crate) fn take_dead_letter(
        &self,
        q: &str,
        id: u64,
        requeue_at: Option<Timestamp>,
    ) -> Result<Option<u64>> {
        self.write(|tx| {
            let k = dead_key(q, id)?;
            let Some(v) = tx.get(&k)? else {
                return Err(Error::NotFound {
                    what: format!("dead letter {id} in queue {q:?}"),
                });
            };
            let x = dec_dead(&k, &v);
            tx.del(k);
            tx.add_counter(Key::new(T_DEAD_COUNT).name(q)?.build(), -1)?;
            match (requeue_at, x) {
                (Some(at), Ok(x)) => {
                    Self::tx_enqueue(tx, q, &NewJob::new(x.lane, x.payload, at)).map(Some)
                }
                (Some(_), Err(e)) => Err(e),
                (None, _) => Ok(None),
            }
        })
    }
}
