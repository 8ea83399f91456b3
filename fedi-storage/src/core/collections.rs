//! Collections in the engine: an item per member under its sort key, a member-to-key record and
//! a count, and the steps of [`CollectionStore`](crate::CollectionStore).

use super::codec::*;
use super::{utf8, Core, Engine, Tx};
use crate::collections::{CollectionItem, Order, Page, PageRequest};
use crate::error::Result;

fn coll_prefix(c: &str) -> Result<Vec<u8>> {
    Ok(Key::new(T_COLL_ITEM).name(c)?.build())
}
fn item_key(prefix: &[u8], key: u64, member: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(prefix.len() + 8 + member.len());
    k.extend_from_slice(prefix);
    k.extend_from_slice(&key.to_be_bytes());
    k.extend_from_slice(member.as_bytes());
    k
}
fn member_key(c: &str, m: &str) -> Result<Vec<u8>> {
    Ok(Key::new(T_COLL_MEMBER).name(c)?.bytes(m.as_bytes()).build())
}
fn count_key(c: &str) -> Result<Vec<u8>> {
    Ok(Key::new(T_COLL_COUNT).name(c)?.build())
}

impl<E: Engine> Core<E> {
    pub(super) fn tx_insert(tx: &mut Tx<'_, E>, c: &str, item: &CollectionItem) -> Result<bool> {
        let mk = member_key(c, &item.member)?;
        let prefix = coll_prefix(c)?;
        let new = match tx.get_u64(&mk) {
            Ok(Some(old)) if old == item.key => return Ok(false),
            Ok(Some(old)) => {
                tx.del(item_key(&prefix, old, &item.member));
                false
            }
            Ok(None) => true,
            // A corrupt member record: replace it, and count the member as present already.
            Err(_) => false,
        };
        tx.put(item_key(&prefix, item.key, &item.member), Vec::new());
        tx.put(mk, enc_u64(item.key));
        if new {
            tx.add_counter(count_key(c)?, 1)?;
        }
        Ok(new)
    }

    pub(super) fn tx_remove(tx: &mut Tx<'_, E>, c: &str, member: &str) -> Result<bool> {
        let mk = member_key(c, member)?;
        let old = match tx.get(&mk)? {
            None => return Ok(false),
            Some(v) => dec_u64(&mk, &v).ok(),
        };
        if let Some(old) = old {
            tx.del(item_key(&coll_prefix(c)?, old, member));
        }
        tx.del(mk);
        tx.add_counter(count_key(c)?, -1)?;
        Ok(true)
    }

    pub(crate) fn insert(&self, c: &str, item: &CollectionItem) -> Result<bool> {
        self.write(|tx| Self::tx_insert(tx, c, item))
    }

    pub(crate) fn remove(&self, c: &str, member: &str) -> Result<bool> {
        self.write(|tx| Self::tx_remove(tx, c, member))
    }

    pub(crate) fn key_of(&self, c: &str, member: &str) -> Result<Option<u64>> {
        let mk = member_key(c, member)?;
        self.engine.get(&mk)?.map(|v| dec_u64(&mk, &v)).transpose()
    }

    pub(crate) fn count(&self, c: &str) -> Result<u64> {
        let k = count_key(c)?;
        Ok(self
            .engine
            .get(&k)?
            .map(|v| dec_u64(&k, &v))
            .transpose()?
            .unwrap_or(0))
    }

    pub(crate) fn count_many(&self, cs: &[&str]) -> Result<Vec<u64>> {
        cs.iter().map(|c| self.count(c)).collect()
    }

    pub(crate) fn newest_many(&self, cs: &[&str]) -> Result<Vec<Option<CollectionItem>>> {
        cs.iter()
            .map(|c| {
                Ok(self
                    .page(c, &PageRequest::newest(1))?
                    .items
                    .into_iter()
                    .next())
            })
            .collect()
    }

    pub(crate) fn key_of_many(&self, pairs: &[(&str, &str)]) -> Result<Vec<Option<u64>>> {
        pairs.iter().map(|(c, m)| self.key_of(c, m)).collect()
    }

    pub(crate) fn page(&self, c: &str, req: &PageRequest) -> Result<Page> {
        let prefix = coll_prefix(c)?;
        let mut lo = prefix.clone();
        match req.lower_bound() {
            Some(u64::MAX) => return Ok(Page::default()),
            Some(b) => lo.extend_from_slice(&(b + 1).to_be_bytes()),
            None => {}
        }
        let hi = match req.max_id {
            Some(0) => return Ok(Page::default()),
            Some(m) => {
                let mut h = prefix.clone();
                h.extend_from_slice(&m.to_be_bytes());
                Some(h)
            }
            None => prefix_end(&prefix),
        };
        if req.limit == 0 {
            return Ok(Page::default());
        }
        let oldest = req.anchored_at_oldest();
        let mut items = Vec::with_capacity(req.limit.min(1024));
        let plen = prefix.len();
        self.engine
            .range(&lo, hi.as_deref(), !oldest, &mut |k, _| {
                let key = key_u64(k, plen)?;
                let member = utf8(k, &k[plen + 8..])?;
                items.push(CollectionItem { key, member });
                Ok(items.len() < req.limit)
            })?;
        if oldest && req.order == Order::NewestFirst {
            items.reverse();
        }
        Ok(Page { items })
    }
}
