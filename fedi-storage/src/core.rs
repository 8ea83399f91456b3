//! The logic shared by the bundled backends, written once over a small ordered key-value
//! engine with atomic batches. Writes are serialized by one writer lock (held only for the
//! in-memory part of a write, never across a flush), so read-modify-write steps are atomic;
//! reads take no lock.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use crate::batches::{BatchOp, BatchOutcome, WriteBatch};
use crate::codec::*;
use crate::collections::{CollectionItem, Order, Page, PageRequest};
use crate::documents::{Document, DocumentMeta, Origin, Tombstone};
use crate::error::{Error, Result};
use crate::keys::{LocalKeyPair, RemoteKey};
use crate::queues::{DeadLetter, Job, Lease, LeaseRequest, NewJob, RetryOutcome};
use crate::time::Timestamp;

/// A visitor of (key, value) pairs; returns whether to go on.
pub(crate) type Visit<'a> = dyn FnMut(&[u8], &[u8]) -> Result<bool> + 'a;

/// An ordered byte key-value engine.
pub(crate) trait Engine: Send + Sync + 'static {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>>;
    /// Visits keys in `[lo, hi)` (no upper bound if `hi` is `None`), ascending or descending,
    /// until `visit` returns `false`. `visit` must not call back into the engine.
    fn range(
        &self,
        lo: &[u8],
        hi: Option<&[u8]>,
        reverse: bool,
        visit: &mut Visit<'_>,
    ) -> Result<()>;
    /// Applies all writes atomically (`None` deletes).
    fn apply(&self, writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>) -> Result<()>;
}

/// Pending writes with read-your-writes.
struct Tx<'e, E: Engine> {
    engine: &'e E,
    /// The pending writes of an enclosing transaction, read under `writes` (see
    /// [`Core::apply_many`]: each batch is a layer over the batches before it).
    base: Option<&'e BTreeMap<Vec<u8>, Option<Vec<u8>>>>,
    writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl<'e, E: Engine> Tx<'e, E> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        if let Some(v) = self.writes.get(key) {
            return Ok(v.clone());
        }
        match self.base.and_then(|b| b.get(key)) {
            Some(v) => Ok(v.clone()),
            None => self.engine.get(key),
        }
    }
    fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.writes.insert(key, Some(value));
    }
    fn del(&mut self, key: Vec<u8>) {
        self.writes.insert(key, None);
    }
    fn get_u64(&self, key: &[u8]) -> Result<Option<u64>> {
        self.get(key)?.map(|v| dec_u64(key, &v)).transpose()
    }
    fn add_counter(&mut self, key: Vec<u8>, delta: i64) -> Result<()> {
        let cur = self.get_u64(&key)?.unwrap_or(0);
        let new = if delta >= 0 {
            cur.saturating_add(delta.unsigned_abs())
        } else {
            cur.saturating_sub(delta.unsigned_abs())
        };
        if new == 0 {
            self.del(key);
        } else {
            self.put(key, enc_u64(new));
        }
        Ok(())
    }
}

pub(crate) struct Core<E: Engine> {
    pub(crate) engine: E,
    writer: Mutex<()>,
}

// ---- record codecs -------------------------------------------------------------------------

enum DocRecord {
    Doc(Document),
    Tomb(Tombstone),
}

fn enc_doc(d: &Document) -> Vec<u8> {
    Enc::new(K_DOC)
        .u8(match d.meta.origin {
            Origin::Local => 0,
            Origin::Remote => 1,
        })
        .opt_u64(d.meta.fetched_at.map(Timestamp::as_unix_millis))
        .u64(d.meta.stored_at.as_unix_millis())
        .raw(&d.meta.content_hash)
        .bytes(&d.body)
        .finish()
}

fn enc_tomb(t: &Tombstone) -> Vec<u8> {
    Enc::new(K_TOMB)
        .u64(t.deleted_at.as_unix_millis())
        .opt_str(t.former_type.as_deref())
        .finish()
}

fn dec_doc(key: &[u8], buf: &[u8]) -> Result<DocRecord> {
    let (kind, mut d) = Dec::open(key, buf)?;
    match kind {
        K_DOC => {
            let origin = match d.u8()? {
                0 => Origin::Local,
                1 => Origin::Remote,
                o => return Err(Error::corrupt(key, format!("unknown origin {o}"))),
            };
            let fetched_at = d.opt_u64()?.map(Timestamp::from_unix_millis);
            let stored_at = Timestamp::from_unix_millis(d.u64()?);
            let content_hash = d.raw::<32>()?;
            let body = d.bytes()?;
            d.finish()?;
            Ok(DocRecord::Doc(Document {
                body,
                meta: DocumentMeta {
                    origin,
                    fetched_at,
                    stored_at,
                    content_hash,
                },
            }))
        }
        K_TOMB => {
            let deleted_at = Timestamp::from_unix_millis(d.u64()?);
            let former_type = d.opt_string()?;
            d.finish()?;
            Ok(DocRecord::Tomb(Tombstone {
                deleted_at,
                former_type,
            }))
        }
        k => Err(Error::corrupt(
            key,
            format!("record kind {k} is not a document"),
        )),
    }
}

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

fn dec_local_key(key: &[u8], buf: &[u8]) -> Result<LocalKeyPair> {
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

fn dec_remote_key(key: &[u8], buf: &[u8]) -> Result<RemoteKey> {
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

/// A job as stored.
struct JobRecord {
    lane: String,
    payload: Vec<u8>,
    attempts: u32,
    max_attempts: u32,
    /// The key of its entry in the due index.
    due_at: u64,
    leased: bool,
    last_error: Option<String>,
}

fn enc_job(j: &JobRecord) -> Vec<u8> {
    Enc::new(K_JOB)
        .str(&j.lane)
        .bytes(&j.payload)
        .u32(j.attempts)
        .u32(j.max_attempts)
        .u64(j.due_at)
        .u8(u8::from(j.leased))
        .opt_str(j.last_error.as_deref())
        .finish()
}

fn dec_job(key: &[u8], buf: &[u8]) -> Result<JobRecord> {
    let mut d = Dec::expect(key, buf, K_JOB)?;
    let j = JobRecord {
        lane: d.string()?,
        payload: d.bytes()?,
        attempts: d.u32()?,
        max_attempts: d.u32()?,
        due_at: d.u64()?,
        leased: d.u8()? != 0,
        last_error: d.opt_string()?,
    };
    d.finish()?;
    Ok(j)
}

fn enc_dead(x: &DeadLetter) -> Vec<u8> {
    Enc::new(K_DEAD)
        .u64(x.id)
        .str(&x.lane)
        .bytes(&x.payload)
        .u32(x.attempts)
        .str(&x.last_error)
        .u64(x.dead_at.as_unix_millis())
        .finish()
}

fn dec_dead(key: &[u8], buf: &[u8]) -> Result<DeadLetter> {
    let mut d = Dec::expect(key, buf, K_DEAD)?;
    let x = DeadLetter {
        id: d.u64()?,
        lane: d.string()?,
        payload: d.bytes()?,
        attempts: d.u32()?,
        last_error: d.string()?,
        dead_at: Timestamp::from_unix_millis(d.u64()?),
    };
    d.finish()?;
    Ok(x)
}

// ---- keys ----------------------------------------------------------------------------------

fn doc_key(iri: &str) -> Result<Vec<u8>> {
    if iri.is_empty() {
        return Err(Error::InvalidArgument("IRI must not be empty".into()));
    }
    Ok(Key::new(T_DOC).bytes(iri.as_bytes()).build())
}
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
fn job_key(q: &str, id: u64) -> Result<Vec<u8>> {
    Ok(Key::new(T_JOB).name(q)?.u64(id).build())
}
fn due_key(q: &str, at: u64, id: u64) -> Result<Vec<u8>> {
    Ok(Key::new(T_JOB_DUE).name(q)?.u64(at).u64(id).build())
}
fn lane_key(q: &str, lane: &str) -> Result<Vec<u8>> {
    Ok(Key::new(T_LANE).name(q)?.bytes(lane.as_bytes()).build())
}
fn dead_key(q: &str, id: u64) -> Result<Vec<u8>> {
    Ok(Key::new(T_DEAD).name(q)?.u64(id).build())
}
fn seen_key(id: &str) -> Result<Vec<u8>> {
    if id.is_empty() {
        return Err(Error::InvalidArgument("ids must not be empty".into()));
    }
    Ok(Key::new(T_SEEN).bytes(id.as_bytes()).build())
}
fn seen_expiry_key(at: u64, id: &str) -> Vec<u8> {
    Key::new(T_SEEN_EXPIRY).u64(at).bytes(id.as_bytes()).build()
}
fn kv_key(ns: &str, key: &[u8]) -> Result<Vec<u8>> {
    Ok(Key::new(T_KV).name(ns)?.bytes(key).build())
}

fn utf8(key: &[u8], b: &[u8]) -> Result<String> {
    String::from_utf8(b.to_vec()).map_err(|_| Error::corrupt(key, "member is not UTF-8"))
}

// ---- the core ------------------------------------------------------------------------------

impl<E: Engine> Core<E> {
    pub(crate) fn new(engine: E) -> Self {
        Core {
            engine,
            writer: Mutex::new(()),
        }
    }

    /// Runs `f` under the writer lock and applies its writes atomically.
    fn write<T>(&self, f: impl FnOnce(&mut Tx<'_, E>) -> Result<T>) -> Result<T> {
        // A poisoned lock only means another writer panicked; its writes were not applied.
        let _guard = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let mut tx = Tx {
            engine: &self.engine,
            base: None,
            writes: BTreeMap::new(),
        };
        let out = f(&mut tx)?;
        if !tx.writes.is_empty() {
            self.engine.apply(tx.writes)?;
        }
        Ok(out)
    }

    /// Collects up to `limit` (key, value) pairs of a range.
    fn collect(
        &self,
        lo: &[u8],
        hi: Option<&[u8]>,
        reverse: bool,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut out = Vec::with_capacity(limit.min(1024));
        if limit == 0 {
            return Ok(out);
        }
        self.engine.range(lo, hi, reverse, &mut |k, v| {
            out.push((k.to_vec(), v.to_vec()));
            Ok(out.len() < limit)
        })?;
        Ok(out)
    }

    // ---- documents

    pub(crate) fn get_document(&self, iri: &str) -> Result<Option<Document>> {
        let key = doc_key(iri)?;
        match self.engine.get(&key)? {
            None => Ok(None),
            Some(v) => match dec_doc(&key, &v)? {
                DocRecord::Doc(d) => Ok(Some(d)),
                DocRecord::Tomb(_) => Ok(None),
            },
        }
    }

    pub(crate) fn tombstone(&self, iri: &str) -> Result<Option<Tombstone>> {
        let key = doc_key(iri)?;
        match self.engine.get(&key)? {
            None => Ok(None),
            Some(v) => match dec_doc(&key, &v)? {
                DocRecord::Doc(_) => Ok(None),
                DocRecord::Tomb(t) => Ok(Some(t)),
            },
        }
    }

    fn tx_put_document(tx: &mut Tx<'_, E>, iri: &str, doc: &Document) -> Result<()> {
        let key = doc_key(iri)?;
        if let Some(v) = tx.get(&key)? {
            // A corrupt record may be overwritten (that repairs it); a tombstone may not.
            if let Ok(DocRecord::Tomb(_)) = dec_doc(&key, &v) {
                return Err(Error::Tombstoned { iri: iri.into() });
            }
        }
        tx.put(key, enc_doc(doc));
        Ok(())
    }

    fn tx_delete_document(tx: &mut Tx<'_, E>, iri: &str, t: &Tombstone) -> Result<bool> {
        let key = doc_key(iri)?;
        let existed = match tx.get(&key)? {
            None => false,
            Some(v) => match dec_doc(&key, &v) {
                Ok(DocRecord::Tomb(_)) => return Ok(false),
                Ok(DocRecord::Doc(_)) => true,
                Err(_) => true,
            },
        };
        tx.put(key, enc_tomb(t));
        Ok(existed)
    }

    pub(crate) fn put_document(&self, iri: &str, doc: &Document) -> Result<()> {
        self.write(|tx| Self::tx_put_document(tx, iri, doc))
    }

    pub(crate) fn delete_document(&self, iri: &str, t: &Tombstone) -> Result<bool> {
        self.write(|tx| Self::tx_delete_document(tx, iri, t))
    }

    // ---- collections

    fn tx_insert(tx: &mut Tx<'_, E>, c: &str, item: &CollectionItem) -> Result<bool> {
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

    fn tx_remove(tx: &mut Tx<'_, E>, c: &str, member: &str) -> Result<bool> {
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

    // ---- keys

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

    // ---- queues

    fn tx_enqueue(tx: &mut Tx<'_, E>, q: &str, job: &NewJob) -> Result<u64> {
        let seq_key = Key::new(T_JOB_SEQ).name(q)?.build();
        let id = tx.get_u64(&seq_key)?.unwrap_or(0) + 1;
        tx.put(seq_key, enc_u64(id));
        let due = job.not_before.as_unix_millis();
        let rec = JobRecord {
            lane: job.lane.clone(),
            payload: job.payload.clone(),
            attempts: 0,
            max_attempts: job.max_attempts.max(1),
            due_at: due,
            leased: false,
            last_error: None,
        };
        tx.put(job_key(q, id)?, enc_job(&rec));
        tx.put(due_key(q, due, id)?, Vec::new());
        tx.add_counter(lane_key(q, &job.lane)?, 1)?;
        Ok(id)
    }

    pub(crate) fn enqueue(&self, q: &str, job: &NewJob) -> Result<u64> {
        self.write(|tx| Self::tx_enqueue(tx, q, job))
    }

    /// Removes a job and its index entries; `dead` turns it into a dead letter.
    fn tx_finish_job(
        tx: &mut Tx<'_, E>,
        q: &str,
        id: u64,
        rec: &JobRecord,
        dead: Option<(&str, Timestamp)>,
    ) -> Result<()> {
        tx.del(job_key(q, id)?);
        tx.del(due_key(q, rec.due_at, id)?);
        tx.add_counter(lane_key(q, &rec.lane)?, -1)?;
        if let Some((error, now)) = dead {
            let x = DeadLetter {
                id,
                lane: rec.lane.clone(),
                payload: rec.payload.clone(),
                attempts: rec.attempts,
                last_error: error.to_string(),
                dead_at: now,
            };
            tx.put(dead_key(q, id)?, enc_dead(&x));
            tx.add_counter(Key::new(T_DEAD_COUNT).name(q)?.build(), 1)?;
        }
        Ok(())
    }

    /// Leases due jobs; also reports whether anything was written (expired last attempts
    /// are dead-lettered even when no job is returned).
    pub(crate) fn lease(&self, q: &str, req: &LeaseRequest) -> Result<(Vec<Job>, bool)> {
        if req.limit == 0 {
            return Ok((Vec::new(), false));
        }
        let prefix = Key::new(T_JOB_DUE).name(q)?.build();
        let now = req.now.as_unix_millis();
        let hi = Key::new(T_JOB_DUE)
            .name(q)?
            .u64(now.saturating_add(1))
            .build();
        let until = req.now.saturating_add(req.duration);
        self.write(|tx| {
            let mut out = Vec::new();
            let mut cursor = prefix.clone();
            let chunk = (req.limit * 2).clamp(16, 1024);
            'scan: loop {
                let entries = self.collect(&cursor, Some(&hi), false, chunk)?;
                let exhausted = entries.len() < chunk;
                for (k, _) in &entries {
                    let id = key_u64(k, prefix.len() + 8)?;
                    let jk = job_key(q, id)?;
                    let rec = match tx.get(&jk)? {
                        Some(v) => dec_job(&jk, &v),
                        None => {
                            tracing::warn!(
                                queue = q,
                                job = id,
                                "due-index entry without a job; dropped"
                            );
                            tx.del(k.clone());
                            continue;
                        }
                    };
                    let mut rec = match rec {
                        Ok(r) => r,
                        Err(e) => {
                            tracing::error!(queue = q, job = id, error = %e, "corrupt job skipped");
                            continue;
                        }
                    };
                    if req.lane.as_deref().is_some_and(|l| l != rec.lane) {
                        continue;
                    }
                    if rec.leased && rec.attempts >= rec.max_attempts {
                        Self::tx_finish_job(tx, q, id, &rec, Some(("lease expired", req.now)))?;
                        continue;
                    }
                    tx.del(k.clone());
                    rec.attempts = rec.attempts.saturating_add(1);
                    rec.leased = true;
                    rec.due_at = until.as_unix_millis();
                    tx.put(due_key(q, rec.due_at, id)?, Vec::new());
                    tx.put(jk, enc_job(&rec));
                    out.push(Job {
                        id,
                        lease: Lease {
                            job: id,
                            token: rec.attempts,
                            until,
                        },
                        lane: rec.lane,
                        payload: rec.payload,
                        attempts: rec.attempts,
                        max_attempts: rec.max_attempts,
                        last_error: rec.last_error,
                    });
                    if out.len() >= req.limit {
                        break 'scan;
                    }
                }
                match entries.last() {
                    Some((k, _)) if !exhausted => {
                        cursor = k.clone();
                        cursor.push(0);
                    }
                    _ => break,
                }
            }
            Ok((out, !tx.writes.is_empty()))
        })
    }

    fn tx_held(tx: &Tx<'_, E>, q: &str, lease: &Lease) -> Result<(Vec<u8>, JobRecord)> {
        let jk = job_key(q, lease.job)?;
        let rec = match tx.get(&jk)? {
            None => return Err(Error::LeaseLost { job: lease.job }),
            Some(v) => dec_job(&jk, &v)?,
        };
        if !rec.leased || rec.attempts != lease.token {
            return Err(Error::LeaseLost { job: lease.job });
        }
        Ok((jk, rec))
    }

    pub(crate) fn ack(&self, q: &str, lease: &Lease) -> Result<()> {
        self.write(|tx| {
            let (_, rec) = Self::tx_held(tx, q, lease)?;
            Self::tx_finish_job(tx, q, lease.job, &rec, None)
        })
    }

    pub(crate) fn ack_many(&self, q: &str, leases: &[Lease]) -> Result<Vec<bool>> {
        self.write(|tx| {
            let mut out = Vec::with_capacity(leases.len());
            for lease in leases {
                match Self::tx_held(tx, q, lease) {
                    Ok((_, rec)) => {
                        Self::tx_finish_job(tx, q, lease.job, &rec, None)?;
                        out.push(true);
                    }
                    Err(e) if e.is_lease_lost() => out.push(false),
                    Err(e) => return Err(e),
                }
            }
            Ok(out)
        })
    }

    pub(crate) fn retry(
        &self,
        q: &str,
        lease: &Lease,
        error: &str,
        not_before: Timestamp,
        now: Timestamp,
    ) -> Result<RetryOutcome> {
        self.write(|tx| {
            let (jk, mut rec) = Self::tx_held(tx, q, lease)?;
            if rec.attempts >= rec.max_attempts {
                Self::tx_finish_job(tx, q, lease.job, &rec, Some((error, now)))?;
                return Ok(RetryOutcome::DeadLettered);
            }
            tx.del(due_key(q, rec.due_at, lease.job)?);
            rec.due_at = not_before.as_unix_millis();
            rec.leased = false;
            rec.last_error = Some(error.to_string());
            tx.put(due_key(q, rec.due_at, lease.job)?, Vec::new());
            tx.put(jk, enc_job(&rec));
            Ok(RetryOutcome::Rescheduled(not_before))
        })
    }

    pub(crate) fn bury(&self, q: &str, lease: &Lease, error: &str, now: Timestamp) -> Result<()> {
        self.write(|tx| {
            let (_, rec) = Self::tx_held(tx, q, lease)?;
            Self::tx_finish_job(tx, q, lease.job, &rec, Some((error, now)))
        })
    }

    pub(crate) fn lane_counts(&self, q: &str) -> Result<Vec<(String, u64)>> {
        let prefix = Key::new(T_LANE).name(q)?.build();
        self.collect(&prefix, prefix_end(&prefix).as_deref(), false, usize::MAX)?
            .into_iter()
            .map(|(k, v)| Ok((utf8(&k, &k[prefix.len()..])?, dec_u64(&k, &v)?)))
            .collect()
    }

    pub(crate) fn dead_letters(
        &self,
        q: &str,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<DeadLetter>> {
        let prefix = Key::new(T_DEAD).name(q)?.build();
        let lo = match after {
            Some(u64::MAX) => return Ok(Vec::new()),
            Some(a) => dead_key(q, a + 1)?,
            None => prefix.clone(),
        };
        self.collect(&lo, prefix_end(&prefix).as_deref(), false, limit)?
            .into_iter()
            .map(|(k, v)| dec_dead(&k, &v))
            .collect()
    }

    pub(crate) fn count_dead(&self, q: &str) -> Result<u64> {
        let k = Key::new(T_DEAD_COUNT).name(q)?.build();
        Ok(self
            .engine
            .get(&k)?
            .map(|v| dec_u64(&k, &v))
            .transpose()?
            .unwrap_or(0))
    }

    pub(crate) fn take_dead_letter(
        &self,
        q: &str,
        id: u64,
        requeue_at: Option<Timestamp>,
    ) -> Result<Option<u64>> {
        self.write(|tx| {
            let k = dead_key(q, id)?;
            let Some(v) = tx.get(&k)? else {
                return Err(Error::NotFound {
                    what: format!("dead letter {id} in queue {q:?}"),
                });
            };
            let x = dec_dead(&k, &v);
            tx.del(k);
            tx.add_counter(Key::new(T_DEAD_COUNT).name(q)?.build(), -1)?;
            match (requeue_at, x) {
                (Some(at), Ok(x)) => {
                    Self::tx_enqueue(tx, q, &NewJob::new(x.lane, x.payload, at)).map(Some)
                }
                (Some(_), Err(e)) => Err(e),
                (None, _) => Ok(None),
            }
        })
    }

    // ---- dedupe

    fn tx_check_and_set(
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

    // ---- key-value

    pub(crate) fn kv_get(&self, ns: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.engine.get(&kv_key(ns, key)?)
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

    // ---- batches

    pub(crate) fn apply(&self, batch: &WriteBatch) -> Result<BatchOutcome> {
        self.write(|tx| Self::tx_apply(tx, batch))
    }

    /// Evaluates the batches in order under one writer lock, each in its own layer over the
    /// pending writes of the batches before it (so it sees their effects, and a failing batch
    /// drops only its own layer), and applies the layers of the batches that succeeded as one
    /// atomic engine write.
    pub(crate) fn apply_many(&self, batches: &[WriteBatch]) -> Result<Vec<Result<BatchOutcome>>> {
        self.write(|tx| {
            let mut out = Vec::with_capacity(batches.len());
            for batch in batches {
                let mut layer = Tx {
                    engine: tx.engine,
                    base: Some(&tx.writes),
                    writes: BTreeMap::new(),
                };
                let r = Self::tx_apply(&mut layer, batch);
                let writes = layer.writes;
                if r.is_ok() {
                    tx.writes.extend(writes);
                }
                out.push(r);
            }
            Ok(out)
        })
    }

    fn tx_apply(tx: &mut Tx<'_, E>, batch: &WriteBatch) -> Result<BatchOutcome> {
        if let Some((id, now, ttl)) = &batch.guard {
            if !Self::tx_check_and_set(tx, id, *now, *ttl)? {
                tx.writes.clear();
                return Ok(BatchOutcome {
                    applied: false,
                    job_ids: Vec::new(),
                });
            }
        }
        let mut job_ids = Vec::new();
        for op in &batch.ops {
            match op {
                BatchOp::PutDocument { iri, document } => Self::tx_put_document(tx, iri, document)?,
                BatchOp::DeleteDocument { iri, tombstone } => {
                    Self::tx_delete_document(tx, iri, tombstone)?;
                }
                BatchOp::Insert { collection, item } => {
                    Self::tx_insert(tx, collection, item)?;
                }
                BatchOp::Remove { collection, member } => {
                    Self::tx_remove(tx, collection, member)?;
                }
                BatchOp::KvPut {
                    namespace,
                    key,
                    value,
                } => tx.put(kv_key(namespace, key)?, value.clone()),
                BatchOp::KvDelete { namespace, key } => tx.del(kv_key(namespace, key)?),
                BatchOp::Enqueue { queue, job } => job_ids.push(Self::tx_enqueue(tx, queue, job)?),
            }
        }
        Ok(BatchOutcome {
            applied: true,
            job_ids,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Decoding arbitrary bytes never panics: it gives a record or a Corrupt error.
        #[test]
        fn decoding_garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200), kind in 0u8..9) {
            let mut framed = vec![MAGIC, kind, VERSION];
            framed.extend_from_slice(&bytes);
            for v in [&bytes[..], &framed[..]] {
                for r in [
                    dec_doc(b"k", v).err(),
                    dec_job(b"k", v).err(),
                    dec_dead(b"k", v).err(),
                    dec_local_key(b"k", v).err(),
                    dec_remote_key(b"k", v).err(),
                    dec_u64(b"k", v).err(),
                ].into_iter().flatten() {
                    prop_assert!(r.is_corrupt());
                }
            }
        }

        /// Documents survive encoding, and every proper prefix of an encoding is Corrupt.
        #[test]
        fn documents_round_trip_and_truncations_are_corrupt(
            body in "[a-z ]{0,40}",
            fetched in proptest::option::of(any::<u64>()),
            stored in any::<u64>(),
            remote in any::<bool>(),
        ) {
            let json = serde_json::json!({ "content": body });
            let origin = if remote { Origin::Remote } else { Origin::Local };
            let mut doc = Document::from_json(&json, origin, Timestamp::from_unix_millis(stored)).unwrap();
            doc.meta.fetched_at = fetched.map(Timestamp::from_unix_millis);
            let enc = enc_doc(&doc);
            match dec_doc(b"k", &enc).unwrap() {
                DocRecord::Doc(d) => prop_assert_eq!(d, doc),
                DocRecord::Tomb(_) => prop_assert!(false, "decoded as a tombstone"),
            }
            for cut in 0..enc.len() {
                prop_assert!(dec_doc(b"k", &enc[..cut]).err().is_some_and(|e| e.is_corrupt()));
            }
        }
    }
}
