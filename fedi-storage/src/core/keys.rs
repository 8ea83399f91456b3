//! Keys in the engine: local key pairs and cached remote keys, each with a by-owner index, and
//! the steps of [`KeyStore`](crate::KeyStore).

use super::codec::*;
use super::{utf8, Core, Engine, Tx};
use crate::error::Result;
use crate::keys::{LocalKeyPair, RemoteKey};
use crate::time::Timestamp;

fn enc_local_key(k: &LocalKeyPair) -> Vec<u8> {
    Enc::new(K_LOCAL_KEY)
        .str(&k.key_id)
        .str(&k.owner)
        .str(&k.algorithm)
        .bytes(&k.private_key_pkcs8)
        .str(&k.public_key_pem)
        .u64(k.created_at.as_unix_millis())
        .finish()
}

pub(super) fn dec_local_key(key: &[u8], buf: &[u8]) -> Result<LocalKeyPair> {
    let mut d = Dec::expect(key, buf, K_LOCAL_KEY)?;
    let k = LocalKeyPair {
        key_id: d.string()?,
        owner: d.string()?,
        algorithm: d.string()?,
        private_key_pkcs8: d.bytes()?,
        public_key_pem: d.string()?,
        created_at: Timestamp::from_unix_millis(d.u64()?),
    };
    d.finish()?;
    Ok(k)
}

fn enc_remote_key(k: &RemoteKey) -> Vec<u8> {
    Enc::new(K_REMOTE_KEY)
        .str(&k.key_id)
        .str(&k.owner)
        .str(&k.public_key_pem)
        .opt_bytes(k.parsed.as_deref())
        .u64(k.fetched_at.as_unix_millis())
        .finish()
}

pub(super) fn dec_remote_key(key: &[u8], buf: &[u8]) -> Result<RemoteKey> {
    let mut d = Dec::expect(key, buf, K_REMOTE_KEY)?;
    let k = RemoteKey {
        key_id: d.string()?,
        owner: d.string()?,
        public_key_pem: d.string()?,
        parsed: d.opt_bytes()?,
        fetched_at: Timestamp::from_unix_millis(d.u64()?),
    };
    d.finish()?;
    Ok(k)
}

impl<E: Engine> Core<E> {
    /// Writes a key record (local or remote) and its by-owner index entry, dropping the
    /// index entry of the record it replaces. `old_owner` reads the owner out of the stored
    /// record; an unreadable old record leaves no index entry to drop.
    fn put_owned_key(
        &self,
        tags: (u8, u8),
        key_id: &str,
        owner: &str,
        value: Vec<u8>,
        old_owner: impl Fn(&[u8], &[u8]) -> Option<String>,
    ) -> Result<()> {
        let (tag, owner_tag) = tags;
        self.write(|tx| {
            let key = Key::new(tag).name(key_id)?.build();
            if let Some(old) = tx.get(&key)? {
                if let Some(old_owner) = old_owner(&key, &old) {
                    tx.del(
                        Key::new(owner_tag)
                            .name(&old_owner)?
                            .bytes(key_id.as_bytes())
                            .build(),
                    );
                }
            }
            tx.put(key, value);
            tx.put(
                Key::new(owner_tag)
                    .name(owner)?
                    .bytes(key_id.as_bytes())
                    .build(),
                Vec::new(),
            );
            Ok(())
        })
    }

    pub(crate) fn put_local_key(&self, k: &LocalKeyPair) -> Result<()> {
        self.put_owned_key(
            (T_LOCAL_KEY, T_LOCAL_KEY_OWNER),
            &k.key_id,
            &k.owner,
            enc_local_key(k),
            |key, old| dec_local_key(key, old).ok().map(|old| old.owner),
        )
    }

    pub(crate) fn local_key(&self, key_id: &str) -> Result<Option<LocalKeyPair>> {
        let key = Key::new(T_LOCAL_KEY).name(key_id)?.build();
        self.engine
            .get(&key)?
            .map(|v| dec_local_key(&key, &v))
            .transpose()
    }

    pub(crate) fn local_keys_of(&self, owner: &str) -> Result<Vec<LocalKeyPair>> {
        let prefix = Key::new(T_LOCAL_KEY_OWNER).name(owner)?.build();
        let ids = self.collect(&prefix, prefix_end(&prefix).as_deref(), false, usize::MAX)?;
        let mut out = Vec::with_capacity(ids.len());
        for (k, _) in ids {
            let id = utf8(&k, &k[prefix.len()..])?;
            if let Some(key) = self.local_key(&id)? {
                out.push(key);
            }
        }
        Ok(out)
    }

    pub(crate) fn put_remote_key(&self, k: &RemoteKey) -> Result<()> {
        self.put_owned_key(
            (T_REMOTE_KEY, T_REMOTE_KEY_OWNER),
            &k.key_id,
            &k.owner,
            enc_remote_key(k),
            |key, old| dec_remote_key(key, old).ok().map(|old| old.owner),
        )
    }

    pub(crate) fn remote_key(&self, key_id: &str) -> Result<Option<RemoteKey>> {
        let key = Key::new(T_REMOTE_KEY).name(key_id)?.build();
        self.engine
            .get(&key)?
            .map(|v| dec_remote_key(&key, &v))
            .transpose()
    }

    fn tx_drop_remote_key(tx: &mut Tx<'_, E>, key_id: &str) -> Result<bool> {
        let key = Key::new(T_REMOTE_KEY).name(key_id)?.build();
        match tx.get(&key)? {
            None => Ok(false),
            Some(v) => {
                if let Ok(old) = dec_remote_key(&key, &v) {
                    tx.del(
                        Key::new(T_REMOTE_KEY_OWNER)
                            .name(&old.owner)?
                            .bytes(old.key_id.as_bytes())
                            .build(),
                    );
                }
                tx.del(key);
                Ok(true)
            }
        }
    }

    pub(crate) fn invalidate_remote_key(&self, key_id: &str) -> Result<bool> {
        self.write(|tx| Self::tx_drop_remote_key(tx, key_id))
    }

    pub(crate) fn invalidate_remote_keys_of(&self, owner: &str) -> Result<usize> {
        let prefix = Key::new(T_REMOTE_KEY_OWNER).name(owner)?.build();
        self.write(|tx| {
            let ids = self.collect(&prefix, prefix_end(&prefix).as_deref(), false, usize::MAX)?;
            let mut n = 0;
            for (k, _) in ids {
                let id = utf8(&k, &k[prefix.len()..])?;
                if Self::tx_drop_remote_key(tx, &id)? {
                    n += 1;
                }
                tx.del(k);
            }
            Ok(n)
        })
    }
}
