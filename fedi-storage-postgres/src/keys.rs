//! Local key pairs and the remote key cache: a row per key id, indexed by owner.

use async_trait::async_trait;
use fedi_storage::{KeyStore, LocalKeyPair, RemoteKey, Result};
use tokio_postgres::Row;

use crate::codec::{free_text, from_ts, name, ts};
use crate::store::{execute, query, retrying, PostgresStore};

const PUT_LOCAL: &str = "INSERT INTO fedi_local_keys
        (key_id, owner, algorithm, private_key, public_key_pem, created_at)
    VALUES ($1, $2, $3, $4, $5, $6)
    ON CONFLICT (key_id) DO UPDATE SET owner = EXCLUDED.owner,
        algorithm = EXCLUDED.algorithm, private_key = EXCLUDED.private_key,
        public_key_pem = EXCLUDED.public_key_pem, created_at = EXCLUDED.created_at";
const LOCAL_COLUMNS: &str =
    "SELECT key_id, owner, algorithm, private_key, public_key_pem, created_at FROM fedi_local_keys";
const PUT_REMOTE: &str = "INSERT INTO fedi_remote_keys
        (key_id, owner, public_key_pem, parsed, fetched_at)
    VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (key_id) DO UPDATE SET owner = EXCLUDED.owner,
        public_key_pem = EXCLUDED.public_key_pem, parsed = EXCLUDED.parsed,
        fetched_at = EXCLUDED.fetched_at";
const GET_REMOTE: &str = "SELECT key_id, owner, public_key_pem, parsed, fetched_at
    FROM fedi_remote_keys WHERE key_id = $1";

fn local(r: &Row) -> LocalKeyPair {
    LocalKeyPair::new(
        r.get::<_, String>(0),
        r.get::<_, String>(1),
        r.get::<_, String>(2),
        r.get(3),
        r.get::<_, String>(4),
        from_ts(r.get(5)),
    )
}

#[async_trait]
impl KeyStore for PostgresStore {
    async fn put_local_key(&self, key: &LocalKeyPair) -> Result<()> {
        let id = name("key id", &key.key_id)?;
        let owner = name("owner", &key.owner)?;
        let (alg, pem) = (free_text(&key.algorithm), free_text(&key.public_key_pem));
        let created = ts(key.created_at);
        retrying!(
            async {
                let c = self.client().await?;
                let params: [&(dyn tokio_postgres::types::ToSql + Sync); 6] =
                    [&id, &owner, &alg, &key.private_key_pkcs8, &pem, &created];
                execute(&c, PUT_LOCAL, &params).await
            }
            .await
        )?;
        Ok(())
    }

    async fn local_key(&self, key_id: &str) -> Result<Option<LocalKeyPair>> {
        let id = name("key id", key_id)?;
        let sql = format!("{LOCAL_COLUMNS} WHERE key_id = $1");
        let rows = query(&self.client().await?, &sql, &[&id]).await?;
        Ok(rows.first().map(local))
    }

    async fn local_keys_of(&self, owner: &str) -> Result<Vec<LocalKeyPair>> {
        let owner = name("owner", owner)?;
        let sql = format!("{LOCAL_COLUMNS} WHERE owner = $1 ORDER BY key_id");
        let rows = query(&self.client().await?, &sql, &[&owner]).await?;
        Ok(rows.iter().map(local).collect())
    }

    async fn put_remote_key(&self, key: &RemoteKey) -> Result<()> {
        let id = name("key id", &key.key_id)?;
        let owner = name("owner", &key.owner)?;
        let pem = free_text(&key.public_key_pem);
        let fetched = ts(key.fetched_at);
        retrying!(
            async {
                let c = self.client().await?;
                execute(&c, PUT_REMOTE, &[&id, &owner, &pem, &key.parsed, &fetched]).await
            }
            .await
        )?;
        Ok(())
    }

    async fn remote_key(&self, key_id: &str) -> Result<Option<RemoteKey>> {
        let id = name("key id", key_id)?;
        let rows = query(&self.client().await?, GET_REMOTE, &[&id]).await?;
        Ok(rows.first().map(|r| {
            let k = RemoteKey::new(
                r.get::<_, String>(0),
                r.get::<_, String>(1),
                r.get::<_, String>(2),
                from_ts(r.get(4)),
            );
            match r.get::<_, Option<Vec<u8>>>(3) {
                Some(p) => k.with_parsed(p),
                None => k,
            }
        }))
    }

    async fn invalidate_remote_key(&self, key_id: &str) -> Result<bool> {
        let id = name("key id", key_id)?;
        let n = execute(
            &self.client().await?,
            "DELETE FROM fedi_remote_keys WHERE key_id = $1",
            &[&id],
        )
        .await?;
        Ok(n > 0)
    }

    async fn invalidate_remote_keys_of(&self, owner: &str) -> Result<usize> {
        let owner = name("owner", owner)?;
        let n = execute(
            &self.client().await?,
            "DELETE FROM fedi_remote_keys WHERE owner = $1",
            &[&owner],
        )
        .await?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }
}
