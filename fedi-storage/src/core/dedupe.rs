//! Dedupe in the engine: an expiry per seen id and an index by expiry for purging, and the
//! steps of [`DedupeStore`](crate::DedupeStore).

use std::time::Duration;

use super::codec::*;
use super::{Core, Engine, Tx};
use crate::error::{Error, Result};
use crate::time::Timestamp;

fn seen_key(id: &str) -> Result<Vec<u8>> {
    if id.is_empty() {
        return Err(Error::InvalidArgument("ids must not be empty".into()));
    }
    Ok(Key::new(T_SEEN).bytes(id.as_bytes()).build())
}
fn seen_expiry_key(at: u64, id: &str) -> Vec<u8> {
    Key::new(T_SEEN_EXPIRY).u64(at).bytes(id.as_bytes()).build()
}

impl<E: Engine> Core<E> {
    pub(super) fn tx_check_and_set(
        tx: &mut Tx<'_, E>,
        id: &str,
        now: Timestamp,
        ttl: Duration,
    ) -> Result<bool> {
        let key = seen_key(id)?;
        if let Some(v) = tx.get(&key)? {
            match dec_u64(&key, &v) {
                Ok(exp) if exp > now.as_unix_millis() => return Ok(false),
                Ok(exp) => tx.del(seen_expiry_key(exp, id)),
                Err(_) => {}
            }
        }
        let exp = now.saturating_add(ttl).as_unix_millis();
        tx.put(key, enc_u64(exp));
        tx.put(seen_expiry_key(exp, id), Vec::new());
        Ok(true)
    }

    pub(crate) fn check_and_set(&self, id: &str, now: Timestamp, ttl: Duration) -> Result<bool> {
        self.write(|tx| Self::tx_check_and_set(tx, id, now, ttl))
    }

    pub(crate) fn seen(&self, id: &str, now: Timestamp) -> Result<bool> {
        let key = seen_key(id)?;
        match self.engine.get(&key)? {
            None => Ok(false),
            Some(v) => Ok(dec_u64(&key, &v)? > now.as_unix_millis()),
        }
    }

    pub(crate) fn purge_expired(&self, now: Timestamp, limit: usize) -> Result<usize> {
        let lo = [T_SEEN_EXPIRY];
        let hi = Key::new(T_SEEN_EXPIRY)
            .u64(now.as_unix_millis().saturating_add(1))
            .build();
        self.write(|tx| {
            let entries = self.collect(&lo, Some(&hi), false, limit)?;
            for (k, _) in &entries {
                let exp = key_u64(k, 1)?;
                let id = &k[9..];
                let sk = Key::new(T_SEEN).bytes(id).build();
                // Only forget the id if its record still points at this expiry.
                if let Some(v) = tx.get(&sk)? {
                    if dec_u64(&sk, &v).map(|e| e == exp).unwrap_or(true) {
                        tx.del(sk);
                    }
                }
                tx.del(k.clone());
            }
            Ok(entries.len())
        })
    }
}
