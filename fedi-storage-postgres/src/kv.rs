//! The key-value space: a row per (namespace, key) in `fedi_kv`; keys are bytea, so prefix
//! scans are bytewise range scans of the primary key.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use fedi_storage::{KvStore, Result};

use crate::codec::{limit, name};
use crate::error::R;
use crate::store::{execute, query, retrying, PostgresStore};

const PUT: &str = "INSERT INTO fedi_kv (namespace, key, value) VALUES ($1, $2, $3)
    ON CONFLICT (namespace, key) DO UPDATE SET value = EXCLUDED.value";
const DELETE: &str = "DELETE FROM fedi_kv WHERE namespace = $1 AND key = $2";
const SCAN: &str = "SELECT key, value FROM fedi_kv
    WHERE namespace = $1 AND key >= $2 AND key < $3 ORDER BY key LIMIT $4";
const SCAN_TO_END: &str = "SELECT key, value FROM fedi_kv
    WHERE namespace = $1 AND key >= $2 ORDER BY key LIMIT $3";
const GET_MANY: &str = "SELECT kv.value
    FROM unnest($2::bytea[]) WITH ORDINALITY AS k(key, ord)
    LEFT JOIN fedi_kv kv ON kv.namespace = $1 AND kv.key = k.key
    ORDER BY k.ord";

pub(crate) async fn put<C: GenericClient>(c: &C, ns: &str, key: &[u8], value: &[u8]) -> R<()> {
    let ns = name("namespace", ns)?;
    execute(c, PUT, &[&ns, &key, &value]).await?;
    Ok(())
}

pub(crate) async fn delete<C: GenericClient>(c: &C, ns: &str, key: &[u8]) -> R<bool> {
    let ns = name("namespace", ns)?;
    Ok(execute(c, DELETE, &[&ns, &key]).await? > 0)
}

/// The smallest byte string greater than every string starting with `prefix` (`None`: no
/// upper bound).
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xFF {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

#[async_trait]
impl KvStore for PostgresStore {
    async fn kv_get(&self, namespace: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let ns = name("namespace", namespace)?;
        let rows = query(
            &self.client().await?,
            "SELECT value FROM fedi_kv WHERE namespace = $1 AND key = $2",
            &[&ns, &key],
        )
        .await?;
        Ok(rows.first().map(|r| r.get(0)))
    }

    async fn kv_put(&self, namespace: &str, key: &[u8], value: &[u8]) -> Result<()> {
        Ok(retrying!(
            async { put(&self.client().await?, namespace, key, value).await }.await
        )?)
    }

    async fn kv_delete(&self, namespace: &str, key: &[u8]) -> Result<bool> {
        Ok(retrying!(
            async { delete(&self.client().await?, namespace, key).await }.await
        )?)
    }

    async fn kv_scan(
        &self,
        namespace: &str,
        prefix: &[u8],
        after: Option<&[u8]>,
        max: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let ns = name("namespace", namespace)?;
        if max == 0 {
            return Ok(Vec::new());
        }
        // The first key scanned: the prefix, or just after `after` if that is later.
        let mut lo = prefix.to_vec();
        if let Some(a) = after {
            let mut next = a.to_vec();
            next.push(0);
            if next > lo {
                lo = next;
            }
        }
        let client = self.client().await?;
        let rows = match prefix_end(prefix) {
            Some(hi) => query(&client, SCAN, &[&ns, &lo, &hi, &limit(max)]).await?,
            None => query(&client, SCAN_TO_END, &[&ns, &lo, &limit(max)]).await?,
        };
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    async fn kv_get_many(&self, namespace: &str, keys: &[&[u8]]) -> Result<Vec<Option<Vec<u8>>>> {
        let ns = name("namespace", namespace)?;
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let rows = query(&self.client().await?, GET_MANY, &[&ns, &keys]).await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }
}
