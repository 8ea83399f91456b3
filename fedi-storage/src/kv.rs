//! Key-value: a namespaced key-value space with ordered prefix scans, for an app's own
//! records. The [`KvStore`] trait and its conveniences.

use async_trait::async_trait;

use crate::error::Result;

/// A namespaced key-value space for an app's own records (accounts, credentials, tokens,
/// relationships), with ordered prefix scans.
#[async_trait]
pub trait KvStore: Send + Sync {
    /// The value at `key` in `namespace`.
    async fn kv_get(&self, namespace: &str, key: &[u8]) -> Result<Option<Vec<u8>>>;

    /// Stores `value` at `key`. Durable on return.
    async fn kv_put(&self, namespace: &str, key: &[u8], value: &[u8]) -> Result<()>;

    /// Deletes `key`; returns whether it existed. Durable on return.
    async fn kv_delete(&self, namespace: &str, key: &[u8]) -> Result<bool>;

    /// Up to `limit` records whose key starts with `prefix`, in key order, starting after
    /// `after` (exclusive) if given.
    async fn kv_scan(
        &self,
        namespace: &str,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>>;

    /// The values at several keys of `namespace`, one entry per key in the order asked
    /// (`None` where there is none; a key asked twice is answered twice).
    ///
    /// For a server that renders a page of records (a timeline of 40 statuses names some
    /// 60 accounts and statuses) this is one call instead of one per record: a backend
    /// behind a network (a SQL server) answers it with one query. The default calls
    /// [`KvStore::kv_get`] for each key, so every backend has it; the bundled backends read
    /// every key in one synchronous step.
    async fn kv_get_many(&self, namespace: &str, keys: &[&[u8]]) -> Result<Vec<Option<Vec<u8>>>> {
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            out.push(self.kv_get(namespace, key).await?);
        }
        Ok(out)
    }
}

/// Conveniences on [`KvStore`].
#[async_trait]
pub trait KvStoreExt: KvStore {
    /// Reads a JSON record. A value that does not deserialize gives
    /// [`Error::Corrupt`](crate::Error::Corrupt).
    async fn kv_get_json<T: serde::de::DeserializeOwned>(
        &self,
        namespace: &str,
        key: &[u8],
    ) -> Result<Option<T>> {
        match self.kv_get(namespace, key).await? {
            None => Ok(None),
            Some(v) => serde_json::from_slice(&v).map(Some).map_err(|e| {
                crate::Error::corrupt(
                    key,
                    format!("record in {namespace:?} is not the expected JSON: {e}"),
                )
            }),
        }
    }
    /// Reads several JSON records ([`KvStore::kv_get_many`]), one entry per key in the
    /// order asked. A value that does not deserialize gives
    /// [`Error::Corrupt`](crate::Error::Corrupt).
    async fn kv_get_many_json<T: serde::de::DeserializeOwned>(
        &self,
        namespace: &str,
        keys: &[&[u8]],
    ) -> Result<Vec<Option<T>>> {
        let values = self.kv_get_many(namespace, keys).await?;
        values
            .into_iter()
            .zip(keys)
            .map(|(v, key)| match v {
                None => Ok(None),
                Some(v) => serde_json::from_slice(&v).map(Some).map_err(|e| {
                    crate::Error::corrupt(
                        key,
                        format!("record in {namespace:?} is not the expected JSON: {e}"),
                    )
                }),
            })
            .collect()
    }
    /// Writes a JSON record. Durable on return.
    async fn kv_put_json<T: serde::Serialize + Sync>(
        &self,
        namespace: &str,
        key: &[u8],
        value: &T,
    ) -> Result<()> {
        let bytes = serde_json::to_vec(value)
            .map_err(|e| crate::Error::InvalidArgument(format!("cannot serialize: {e}")))?;
        self.kv_put(namespace, key, &bytes).await
    }
}
impl<T: KvStore + ?Sized> KvStoreExt for T {}
