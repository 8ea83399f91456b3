//! [`QueueStore`] for [`SledStore`]: journaled queues go to their [`Journal`], the others to
//! sled's tree as in every bundled backend.

use async_trait::async_trait;

use super::{Done, Journal};
use crate::error::{Error, Result};
use crate::queues::{DeadLetter, Job, Lease, LeaseRequest, NewJob, QueueStore, RetryOutcome};
use crate::sled::SledStore;
use crate::time::Timestamp;

impl SledStore {
    /// Deletes the segments a durable journal write finished.
    fn finish(&self, journal: &Journal, done: Done) -> Result<()> {
        journal.remove_segments(self.core(), done)
    }
}

#[async_trait]
impl QueueStore for SledStore {
    async fn enqueue(&self, queue: &str, job: &NewJob) -> Result<u64> {
        if let Some(j) = self.journal_of(queue)? {
            return j.enqueue(job).await;
        }
        let r = self.core().enqueue(queue, job)?;
        self.commit().await?;
        Ok(r)
    }

    async fn lease(&self, queue: &str, request: &LeaseRequest) -> Result<Vec<Job>> {
        if let Some(j) = self.journal_of(queue)? {
            let (jobs, wrote, done) = j.lease(self.core(), request)?;
            if wrote {
                self.commit().await?;
            }
            self.finish(&j, done)?;
            return Ok(jobs);
        }
        let (jobs, wrote) = self.core().lease(queue, request)?;
        if wrote {
            self.commit().await?;
        }
        Ok(jobs)
    }

    async fn ack(&self, queue: &str, lease: &Lease) -> Result<()> {
        if self.journal_of(queue)?.is_some() {
            return match self.ack_many(queue, std::slice::from_ref(lease)).await?[..] {
                [true] => Ok(()),
                _ => Err(Error::LeaseLost { job: lease.job }),
            };
        }
        self.core().ack(queue, lease)?;
        self.commit().await
    }

    async fn ack_many(&self, queue: &str, leases: &[Lease]) -> Result<Vec<bool>> {
        if let Some(j) = self.journal_of(queue)? {
            let (r, done) = j.ack_many(self.core(), leases)?;
            if r.iter().any(|acked| *acked) {
                self.commit().await?;
            }
            self.finish(&j, done)?;
            return Ok(r);
        }
        let r = self.core().ack_many(queue, leases)?;
        if r.iter().any(|acked| *acked) {
            self.commit().await?;
        }
        Ok(r)
    }

    async fn retry(
        &self,
        queue: &str,
        lease: &Lease,
        error: &str,
        not_before: Timestamp,
        now: Timestamp,
    ) -> Result<RetryOutcome> {
        if let Some(j) = self.journal_of(queue)? {
            let (r, done) = j.fail(self.core(), lease, error, Some(not_before), now)?;
            self.commit().await?;
            self.finish(&j, done)?;
            return Ok(r);
        }
        let r = self.core().retry(queue, lease, error, not_before, now)?;
        self.commit().await?;
        Ok(r)
    }

    async fn bury(&self, queue: &str, lease: &Lease, error: &str, now: Timestamp) -> Result<()> {
        if let Some(j) = self.journal_of(queue)? {
            let (_, done) = j.fail(self.core(), lease, error, None, now)?;
            self.commit().await?;
            return self.finish(&j, done);
        }
        self.core().bury(queue, lease, error, now)?;
        self.commit().await
    }

    async fn lane_counts(&self, queue: &str) -> Result<Vec<(String, u64)>> {
        let mut counts = self.core().lane_counts(queue)?;
        if let Some(j) = self.journal_of(queue)? {
            let mut merged: std::collections::BTreeMap<String, u64> = counts.into_iter().collect();
            for (lane, n) in j.lane_counts() {
                *merged.entry(lane).or_default() += n;
            }
            counts = merged.into_iter().filter(|(_, n)| *n > 0).collect();
        }
        Ok(counts)
    }

    async fn dead_letters(
        &self,
        queue: &str,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<DeadLetter>> {
        self.core().dead_letters(queue, after, limit)
    }

    async fn count_dead(&self, queue: &str) -> Result<u64> {
        self.core().count_dead(queue)
    }

    /// On a journaled queue a requeued dead letter is appended to the journal (durable), then
    /// removed from the dead letters: a crash between the two leaves it in both, which the
    /// queue's at-least-once delivery allows, never in neither.
    async fn take_dead_letter(
        &self,
        queue: &str,
        id: u64,
        requeue_at: Option<Timestamp>,
    ) -> Result<Option<u64>> {
        if let (Some(j), Some(at)) = (self.journal_of(queue)?, requeue_at) {
            let letter = match id.checked_sub(1) {
                Some(before) => self.core().dead_letters(queue, Some(before), 1)?,
                None => self.core().dead_letters(queue, None, 1)?,
            };
            let Some(letter) = letter.into_iter().find(|d| d.id == id) else {
                return Err(Error::NotFound {
                    what: format!("dead letter {id} in queue {queue:?}"),
                });
            };
            let new_id = j
                .enqueue(&NewJob::new(letter.lane, letter.payload, at))
                .await?;
            self.core().take_dead_letter(queue, id, None)?;
            self.commit().await?;
            return Ok(Some(new_id));
        }
        let r = self.core().take_dead_letter(queue, id, requeue_at)?;
        self.commit().await?;
        Ok(r)
    }
}
