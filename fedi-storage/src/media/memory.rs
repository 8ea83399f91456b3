//! [`MemoryMediaStore`]: media kept in memory, for tests and for instances that keep nothing
//! on disk. It passes the same [`conformance`](super::conformance) suite as the durable
//! backends, so code tested over it behaves the same over them.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use sha2::{Digest, Sha256};

use super::fs::hex;
use super::{check_prefix, ByteRange, ByteStream, MediaEntry, MediaInfo, MediaKey, MediaObject};
use super::{MediaStore, Result};
use crate::error::Error;

/// A stored object: its bytes and their ETag.
#[derive(Clone, Debug)]
struct Stored {
    bytes: Bytes,
    etag: String,
}

/// Media in a map in memory; cheap to clone (clones share the objects).
#[derive(Clone, Debug, Default)]
pub struct MemoryMediaStore {
    objects: Arc<RwLock<BTreeMap<MediaKey, Stored>>>,
    base_url: Option<Arc<str>>,
}

impl MemoryMediaStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The same objects, with [`MediaStore::url_for`] answering `base_url` + `/` + key.
    pub fn with_base_url(&self, base_url: &str) -> Self {
        MemoryMediaStore {
            objects: self.objects.clone(),
            base_url: Some(base_url.trim_end_matches('/').into()),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<MediaKey, Stored>> {
        // A panic while the lock was held cannot leave the map half-changed (every write is
        // one insert or remove), so a poisoned lock is still consistent.
        self.objects.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<MediaKey, Stored>> {
        self.objects.write().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl MediaStore for MemoryMediaStore {
    async fn put(&self, key: &MediaKey, mut body: ByteStream<'_>, limit: u64) -> Result<MediaInfo> {
        let mut buf = BytesMut::new();
        let mut hasher = Sha256::new();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| Error::Upload(e.to_string()))?;
            if buf.len() as u64 + chunk.len() as u64 > limit {
                return Err(Error::TooLarge { limit });
            }
            hasher.update(&chunk);
            buf.extend_from_slice(&chunk);
        }
        let info = MediaInfo::new(buf.len() as u64, hex(&hasher.finalize()));
        let stored = Stored {
            bytes: buf.freeze(),
            etag: info.etag.clone(),
        };
        self.write().insert(key.clone(), stored);
        Ok(info)
    }

    async fn get(&self, key: &MediaKey, range: Option<ByteRange>) -> Result<Option<MediaObject>> {
        let Some(stored) = self.read().get(key).cloned() else {
            return Ok(None);
        };
        let size = stored.bytes.len() as u64;
        let (start, end) = match range {
            Some(r) => r.resolve(size)?,
            None => (0, size),
        };
        // `resolve` keeps both ends within the object, so the casts and the slice are in range.
        let bytes = stored.bytes.slice(start as usize..end as usize);
        Ok(Some(MediaObject::new(
            bytes,
            (start, end),
            size,
            stored.etag,
        )))
    }

    async fn head(&self, key: &MediaKey) -> Result<Option<MediaInfo>> {
        Ok(self
            .read()
            .get(key)
            .map(|s| MediaInfo::new(s.bytes.len() as u64, s.etag.clone())))
    }

    async fn delete(&self, key: &MediaKey) -> Result<bool> {
        Ok(self.write().remove(key).is_some())
    }

    async fn list(
        &self,
        prefix: &str,
        after: Option<&MediaKey>,
        limit: usize,
    ) -> Result<Vec<MediaEntry>> {
        check_prefix(prefix)?;
        let objects = self.read();
        let lower = match after {
            Some(k) => Bound::Excluded(k.clone()),
            None => Bound::Unbounded,
        };
        Ok(objects
            .range((lower, Bound::Unbounded))
            // Keys with a prefix are contiguous in key order.
            .skip_while(|(k, _)| k.as_str() < prefix)
            .take_while(|(k, _)| k.as_str().starts_with(prefix))
            .take(limit)
            .map(|(k, s)| MediaEntry::new(k.clone(), s.bytes.len() as u64))
            .collect())
    }

    fn url_for(&self, key: &MediaKey) -> Option<String> {
        self.base_url.as_ref().map(|base| format!("{base}/{key}"))
    }
}
