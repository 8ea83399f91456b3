//! Dedupe: an atomic "have I seen this id?" with expiry. The [`DedupeStore`] trait (a
//! [`WriteBatch`](crate::WriteBatch) can carry the same check as its guard).

use std::time::Duration;

use async_trait::async_trait;

use crate::error::Result;
use crate::time::Timestamp;

/// "Have I seen this activity id?", answered and recorded in one atomic step.
#[async_trait]
pub trait DedupeStore: Send + Sync {
    /// Returns `true` if `id` had not been seen (or its record expired) and records it as seen
    /// until `now + ttl`; returns `false` if it was already seen. Of several concurrent calls
    /// with the same id, exactly one gets `true`. Durable on return.
    async fn check_and_set(&self, id: &str, now: Timestamp, ttl: Duration) -> Result<bool>;

    /// Whether `id` has been seen and has not expired at `now` (does not record it).
    async fn seen(&self, id: &str, now: Timestamp) -> Result<bool>;

    /// Forgets up to `limit` records that expired at or before `now`; returns how many.
    /// Durable on return.
    async fn purge_expired(&self, now: Timestamp, limit: usize) -> Result<usize>;
}
