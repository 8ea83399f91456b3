//! The key-value space in the engine: one keyspace of namespaced keys, and the steps of
//! [`KvStore`](crate::KvStore).

use super::codec::*;
use super::{Core, Engine};
use crate::error::Result;

pub(super) fn kv_key(ns: &str, key: &[u8]) -> Result<Vec<u8>> {
    Ok(Key::new(T_KV).name(ns)?.bytes(key).build())
}

impl<E: Engine> Core<E> {
    pub(crate) fn kv_get(&self, ns: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.engine.get(&kv_key(ns, key)?)
    }

    pub(crate) fn kv_get_many(&self, ns: &str, keys: &[&[u8]]) -> Result<Vec<Option<Vec<u8>>>> {
        keys.iter().map(|k| self.kv_get(ns, k)).collect()
    }

    pub(crate) fn kv_put(&self, ns: &str, key: &[u8], value: &[u8]) -> Result<()> {
        let k = kv_key(ns, key)?;
        self.write(|tx| {
            tx.put(k, value.to_vec());
            Ok(())
        })
    }

    pub(crate) fn kv_delete(&self, ns: &str, key: &[u8]) -> Result<bool> {
        let k = kv_key(ns, key)?;
        self.write(|tx| {
            let existed = tx.get(&k)?.is_some();
            if existed {
                tx.del(k);
            }
            Ok(existed)
        })
    }

    pub(crate) fn kv_scan(
        &self,
        ns: &str,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let base = kv_key(ns, &[])?;
        let full_prefix = kv_key(ns, prefix)?;
        let mut lo = full_prefix.clone();
        if let Some(a) = after {
            let mut after_key = kv_key(ns, a)?;
            after_key.push(0);
            if after_key > lo {
                lo = after_key;
            }
        }
        let hi = prefix_end(&full_prefix);
        Ok(self
            .collect(&lo, hi.as_deref(), false, limit)?
            .into_iter()
            .map(|(k, v)| (k[base.len()..].to_vec(), v))
            .collect())
    }
}
