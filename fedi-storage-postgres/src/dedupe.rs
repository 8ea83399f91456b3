//! Dedupe: a row per seen id with its expiry. Check-and-set is one `INSERT … ON CONFLICT DO
//! UPDATE … WHERE expired`: the primary key decides, so of any number of concurrent callers,
//! in any number of processes, exactly one wins; nothing is read first.

use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use fedi_storage::{DedupeStore, Result, Timestamp};

use crate::codec::{limit, name, ts};
use crate::error::R;
use crate::store::{execute, query, retrying, PostgresStore};

// A row comes back when the id was new or its record had expired (and is taken over).
const CHECK_AND_SET: &str = "INSERT INTO fedi_seen AS s (id, expires_at) VALUES ($1, $2)
    ON CONFLICT (id) DO UPDATE SET expires_at = EXCLUDED.expires_at
    WHERE s.expires_at <= $3
    RETURNING 1";

const PURGE: &str = "WITH expired AS (
        SELECT id FROM fedi_seen WHERE expires_at <= $1
        ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED
    )
    DELETE FROM fedi_seen s USING expired WHERE s.id = expired.id";

pub(crate) async fn check_and_set<C: GenericClient>(
    c: &C,
    id: &str,
    now: Timestamp,
    ttl: Duration,
) -> R<bool> {
    let id = name("dedupe id", id)?;
    let expires = ts(now.saturating_add(ttl));
    let rows = query(c, CHECK_AND_SET, &[&id, &expires, &ts(now)]).await?;
    Ok(!rows.is_empty())
}

#[async_trait]
impl DedupeStore for PostgresStore {
    async fn check_and_set(&self, id: &str, now: Timestamp, ttl: Duration) -> Result<bool> {
        Ok(retrying!(
            async { check_and_set(&self.client().await?, id, now, ttl).await }.await
        )?)
    }

    async fn seen(&self, id: &str, now: Timestamp) -> Result<bool> {
        let id = name("dedupe id", id)?;
        let rows = query(
            &self.client().await?,
            "SELECT 1 FROM fedi_seen WHERE id = $1 AND expires_at > $2",
            &[&id, &ts(now)],
        )
        .await?;
        Ok(!rows.is_empty())
    }

    async fn purge_expired(&self, now: Timestamp, max: usize) -> Result<usize> {
        if max == 0 {
            return Ok(0);
        }
        let n = execute(&self.client().await?, PURGE, &[&ts(now), &limit(max)]).await?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }
}
