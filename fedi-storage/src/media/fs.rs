//! The filesystem media backend: one file per key under a root directory.
//!
//! An object with key `a/b/c.png` is the file `ROOT/a/b/c.png` (directories are created as
//! needed), so a web server can serve the root directly ([`FsMediaStore::with_base_url`]).
//! A put writes a temporary file named `.tmp-…` in the target's own directory, fsyncs it,
//! renames it over the target (atomic within one file system) and fsyncs the directory: a
//! reader, a crash or a failed upload never sees a partial file under a key. Names starting
//! with `.` are never keys ([`MediaKey`]), so temporary files are invisible to
//! [`get`](MediaStore::get) and [`list`](MediaStore::list); one left by a crash stays until
//! [`FsMediaStore::remove_temp_files`] removes it.
//!
//! One limit of a file system: a key cannot be both an object and a directory of others, so
//! while `a` is stored, a put of `a/b` fails with [`Error::InvalidKey`] (and the other way
//! round); `get`, `head` and `delete` of such a key find nothing.
//!
//! The ETag is the SHA-256 of the content, computed while writing and, on a read, from the
//! whole file (read through one open handle, so size, bytes and ETag always describe one
//! version even while a put replaces the file).
//!
//! Hashing a whole file on every read is costly, so the store keeps a bounded in-memory cache
//! of ETags ([`FsMediaStore::with_etag_cache`], [`DEFAULT_ETAG_CACHE`] keys by default): per
//! key, the ETag and the metadata of the open handle it was computed from (`fstat` of the
//! handle the bytes are read from: device, inode, size, and modification and change times in
//! nanoseconds). A read whose handle shows other metadata hashes the file again. A put renames
//! a new file (a new inode) over the key and a delete removes it, and both drop the key's
//! entry, so this store never answers an ETag of a version it replaced. What the cache cannot
//! tell apart is a file changed behind the store's back (or by a read racing a put) into one
//! with the same device, inode, size and both times: the same inode number reused for a new
//! file, or a rewrite in place, within one tick of the kernel's file clock (a few
//! milliseconds on file systems without fine-grained timestamps). Only another writer under
//! the root could cause it, and only within that tick. Without Unix metadata there is no cache.

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::{
    check_prefix, ByteRange, ByteStream, MediaEntry, MediaInfo, MediaKey, MediaObject, MediaStore,
};
use crate::error::{Error, Result};

/// A [`MediaStore`] keeping each object as a file under a root directory. Cheap to clone
/// (clones share the root).
#[derive(Clone, Debug)]
pub struct FsMediaStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    root: PathBuf,
    base_url: Option<String>,
    etags: Arc<EtagCache>,
}

/// How many ETags a store keeps in memory by default (about 150 bytes each).
pub const DEFAULT_ETAG_CACHE: usize = 4096;

/// What identifies one version of a file: device, inode, size, and modification and change
/// times in nanoseconds, from `fstat` of an open handle.
type Version = (u64, u64, u64, i128, i128);

/// A bounded map from keys to the version of their file last read and its ETag. When full, an
/// arbitrary entry makes room (every entry is as cheap to recompute as any other: one hash of
/// its file).
#[derive(Debug)]
struct EtagCache {
    capacity: usize,
    map: Mutex<HashMap<String, (Version, Arc<str>)>>,
}

impl EtagCache {
    fn new(capacity: usize) -> Self {
        EtagCache {
            capacity,
            map: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Version, Arc<str>)>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The ETag of `key` if its file was last read at this very `version`.
    fn get(&self, key: &str, version: &Version) -> Option<Arc<str>> {
        match self.lock().get(key) {
            Some((v, etag)) if v == version => Some(etag.clone()),
            _ => None,
        }
    }

    fn insert(&self, key: &str, version: Version, etag: Arc<str>) {
        if self.capacity == 0 {
            return;
        }
        let mut map = self.lock();
        if map.len() >= self.capacity && !map.contains_key(key) {
            if let Some(old) = map.keys().next().cloned() {
                map.remove(&old);
            }
        }
        map.insert(key.to_owned(), (version, etag));
    }

    /// Forgets `key` (this store replaced or deleted its file).
    fn forget(&self, key: &str) {
        self.lock().remove(key);
    }

    fn len(&self) -> usize {
        self.lock().len()
    }
}

/// The version of the open file `meta` describes; `None` where there is no Unix metadata.
#[cfg(unix)]
fn version_of(meta: &std::fs::Metadata) -> Option<Version> {
    use std::os::unix::fs::MetadataExt;
    let nanos = |secs: i64, nsec: i64| i128::from(secs) * 1_000_000_000 + i128::from(nsec);
    Some((
        meta.dev(),
        meta.ino(),
        meta.size(),
        nanos(meta.mtime(), meta.mtime_nsec()),
        nanos(meta.ctime(), meta.ctime_nsec()),
    ))
}

#[cfg(not(unix))]
fn version_of(_meta: &std::fs::Metadata) -> Option<Version> {
    None
}

/// The ETag of `key`'s open `file` (whose metadata is `meta`): from the cache, else hashed.
fn etag_of(
    key: &str,
    file: &mut std::fs::File,
    meta: &std::fs::Metadata,
    cache: &EtagCache,
) -> Result<String> {
    let version = version_of(meta);
    if let Some(etag) = version.as_ref().and_then(|v| cache.get(key, v)) {
        return Ok(etag.to_string());
    }
    let etag = hash_file(file)?;
    if let Some(version) = version {
        cache.insert(key, version, Arc::from(etag.as_str()));
    }
    Ok(etag)
}

/// Numbers temporary files, so concurrent puts in one process never share one.
static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// The name prefix of temporary files (a name no key can have).
const TMP_PREFIX: &str = ".tmp-";

impl FsMediaStore {
    /// Opens (creating it if needed) a store rooted at `root`. [`url_for`](MediaStore::url_for)
    /// returns `None`: the server serves the files itself.
    pub async fn open(root: impl AsRef<Path>) -> Result<Self> {
        let root = root.as_ref().to_path_buf();
        tokio::fs::create_dir_all(&root)
            .await
            .map_err(|e| Error::Open(format!("cannot create {}: {e}", root.display())))?;
        let meta = tokio::fs::metadata(&root)
            .await
            .map_err(|e| Error::Open(format!("cannot read {}: {e}", root.display())))?;
        if !meta.is_dir() {
            return Err(Error::Open(format!(
                "{} is not a directory",
                root.display()
            )));
        }
        Ok(FsMediaStore {
            inner: Arc::new(Inner {
                root,
                base_url: None,
                etags: Arc::new(EtagCache::new(DEFAULT_ETAG_CACHE)),
            }),
        })
    }

    /// The same store, with [`url_for`](MediaStore::url_for) answering `BASE/KEY` (for a root
    /// directory that a web server serves at `base_url`; a trailing `/` is dropped).
    pub fn with_base_url(self, base_url: impl Into<String>) -> Self {
        let base = base_url.into().trim_end_matches('/').to_owned();
        FsMediaStore {
            inner: Arc::new(Inner {
                root: self.inner.root.clone(),
                base_url: Some(base),
                etags: self.inner.etags.clone(),
            }),
        }
    }

    /// The same store, keeping at most `capacity` ETags in memory (0: none, every read hashes
    /// its file). The cache starts empty.
    pub fn with_etag_cache(self, capacity: usize) -> Self {
        FsMediaStore {
            inner: Arc::new(Inner {
                root: self.inner.root.clone(),
                base_url: self.inner.base_url.clone(),
                etags: Arc::new(EtagCache::new(capacity)),
            }),
        }
    }

    /// How many ETags the store keeps in memory now (never more than its capacity).
    pub fn cached_etags(&self) -> usize {
        self.inner.etags.len()
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// Removes the temporary files left under the root (by a crash or a killed process)
    /// and returns how many it removed. Call it only when no put is running, on this store
    /// or another process's at the same root: it would make such a put fail.
    pub async fn remove_temp_files(&self) -> Result<usize> {
        let root = self.inner.root.clone();
        blocking(move || {
            let mut removed = 0;
            let mut dirs = vec![root];
            while let Some(dir) = dirs.pop() {
                for entry in std::fs::read_dir(&dir).map_err(backend)? {
                    let entry = entry.map_err(backend)?;
                    let kind = entry.file_type().map_err(backend)?;
                    let name = entry.file_name();
                    if kind.is_dir() {
                        dirs.push(entry.path());
                    } else if kind.is_file() && name.to_string_lossy().starts_with(TMP_PREFIX) {
                        std::fs::remove_file(entry.path()).map_err(backend)?;
                        removed += 1;
                    }
                }
            }
            Ok(removed)
        })
        .await
    }

    fn path_of(&self, key: &MediaKey) -> PathBuf {
        let mut path = self.inner.root.clone();
        path.extend(key.segments());
        path
    }
}

fn backend(e: std::io::Error) -> Error {
    Error::Backend(e.to_string())
}

/// An error creating a key's directories or renaming its file into place: a file where a
/// directory is needed, or a directory where the file goes, is a key conflicting with
/// another ([`Error::InvalidKey`]); anything else is the backend's.
fn conflict_or_backend(key: &MediaKey, e: std::io::Error) -> Error {
    match e.kind() {
        ErrorKind::NotADirectory
        | ErrorKind::AlreadyExists
        | ErrorKind::IsADirectory
        | ErrorKind::DirectoryNotEmpty => Error::InvalidKey {
            key: key.as_str().chars().take(100).collect(),
            reason: format!(
                "it conflicts with another object (a key cannot be both a file and a \
                 directory of the filesystem backend): {e}"
            ),
        },
        _ => backend(e),
    }
}

/// Whether an error opening a key's file means "there is no such object" (no file, or a
/// file where the key needs a directory).
fn is_absent(e: &std::io::Error) -> bool {
    matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory)
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Backend(format!("blocking task failed: {e}")))?
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

/// Removes a temporary file when dropped unless disarmed: an error, a failed upload or a
/// put future dropped midway leaves nothing behind.
struct TmpGuard(Option<PathBuf>);

impl Drop for TmpGuard {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Writes `body` to the new file `tmp` (at most `limit` bytes) and fsyncs it.
async fn write_tmp(tmp: &Path, body: &mut ByteStream<'_>, limit: u64) -> Result<MediaInfo> {
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(tmp)
        .await
        .map_err(backend)?;
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| Error::Upload(e.to_string()))?;
        size = size.saturating_add(chunk.len() as u64);
        if size > limit {
            return Err(Error::TooLarge { limit });
        }
        hasher.update(&chunk);
        file.write_all(&chunk).await.map_err(backend)?;
    }
    file.flush().await.map_err(backend)?;
    file.sync_all().await.map_err(backend)?;
    Ok(MediaInfo::new(size, hex(&hasher.finalize())))
}

/// Makes a rename in `dir` durable. Only on Unix, where a directory can be opened and synced.
async fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        let dir = dir.to_path_buf();
        blocking(move || {
            std::fs::File::open(&dir)
                .and_then(|d| d.sync_all())
                .map_err(backend)
        })
        .await?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Reads the object at `path`: the ETag from the whole file, the bytes of `range`.
fn read_object(
    key: &str,
    path: &Path,
    range: Option<ByteRange>,
    cache: &EtagCache,
) -> Result<Option<MediaObject>> {
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if is_absent(&e) => return Ok(None),
        Err(e) => return Err(backend(e)),
    };
    let meta = file.metadata().map_err(backend)?;
    if !meta.is_file() {
        return Ok(None);
    }
    let size = meta.len();
    let span = match range {
        None => (0, size),
        Some(range) => range.resolve(size)?,
    };
    let etag = etag_of(key, &mut file, &meta, cache)?;
    file.seek(SeekFrom::Start(span.0)).map_err(backend)?;
    let len = usize::try_from(span.1 - span.0)
        .map_err(|_| Error::Backend("range too large for memory".into()))?;
    let mut bytes = vec![0u8; len];
    file.read_exact(&mut bytes).map_err(backend)?;
    Ok(Some(MediaObject::new(Bytes::from(bytes), span, size, etag)))
}

/// The SHA-256 hex of a whole file, read from its start.
fn hash_file(file: &mut std::fs::File) -> Result<String> {
    file.seek(SeekFrom::Start(0)).map_err(backend)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf).map_err(backend)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

fn head_object(key: &str, path: &Path, cache: &EtagCache) -> Result<Option<MediaInfo>> {
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if is_absent(&e) => return Ok(None),
        Err(e) => return Err(backend(e)),
    };
    let meta = file.metadata().map_err(backend)?;
    if !meta.is_file() {
        return Ok(None);
    }
    let etag = etag_of(key, &mut file, &meta, cache)?;
    Ok(Some(MediaInfo::new(meta.len(), etag)))
}

/// What a listing looks for, and what it found so far.
struct Scan<'a> {
    prefix: &'a str,
    after: Option<&'a str>,
    limit: usize,
    found: Vec<MediaEntry>,
}

impl Scan<'_> {
    /// Whether the subtree whose keys all start with `sub` (a directory's key and `/`) may
    /// hold a key wanted: one with the prefix, after `after`.
    fn may_hold(&self, sub: &str) -> bool {
        let prefix_ok = sub.starts_with(self.prefix) || self.prefix.starts_with(sub);
        // Every key below is `sub` and more; if `after` is past `sub` without starting with
        // it, every one of them is before `after`.
        let after_ok = self
            .after
            .is_none_or(|after| after < sub || after.starts_with(sub));
        prefix_ok && after_ok
    }

    /// Whether the key is wanted.
    fn wants(&self, key: &str) -> bool {
        key.starts_with(self.prefix) && self.after.is_none_or(|after| key > after)
    }
}

/// Walks `dir` (whose key is `dir_key`, `""` for the root) in key order, entering only the
/// subdirectories that may hold a wanted key, until `scan.limit` objects are found.
///
/// Key order is string order of whole keys. Within one directory it is the order of the
/// entries' names with `/` appended to directories' (every key below a directory `a` starts
/// with `a/`), so a depth-first walk over the entries sorted that way meets keys in order.
fn walk(dir: &Path, dir_key: &str, scan: &mut Scan<'_>) -> Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if is_absent(&e) => return Ok(()),
        Err(e) => return Err(backend(e)),
    };
    let mut sorted = Vec::new();
    for entry in entries {
        let entry = entry.map_err(backend)?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let key = if dir_key.is_empty() {
            name.to_owned()
        } else {
            format!("{dir_key}/{name}")
        };
        // Skips temporary files and anything else no key names.
        let Ok(key) = MediaKey::new(key) else {
            continue;
        };
        // Not following symbolic links: only what this store wrote is listed.
        let kind = entry.file_type().map_err(backend)?;
        if kind.is_dir() {
            sorted.push((format!("{name}/"), key, entry));
        } else if kind.is_file() {
            sorted.push((name.to_owned(), key, entry));
        }
    }
    sorted.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for (sort_name, key, entry) in sorted {
        if scan.found.len() >= scan.limit {
            break;
        }
        if sort_name.ends_with('/') {
            if scan.may_hold(&format!("{key}/")) {
                walk(&entry.path(), key.as_str(), scan)?;
            }
        } else if scan.wants(key.as_str()) {
            let size = match entry.metadata() {
                Ok(meta) => meta.len(),
                Err(e) if is_absent(&e) => continue, // deleted meanwhile
                Err(e) => return Err(backend(e)),
            };
            scan.found.push(MediaEntry::new(key, size));
        }
    }
    Ok(())
}

#[async_trait]
impl MediaStore for FsMediaStore {
    async fn put(&self, key: &MediaKey, mut body: ByteStream<'_>, limit: u64) -> Result<MediaInfo> {
        let target = self.path_of(key);
        let dir = target.parent().unwrap_or(&self.inner.root).to_path_buf();
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| conflict_or_backend(key, e))?;
        let tmp = dir.join(format!(
            "{TMP_PREFIX}{}-{}",
            std::process::id(),
            TMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let mut guard = TmpGuard(Some(tmp.clone()));
        let info = write_tmp(&tmp, &mut body, limit).await?;
        tokio::fs::rename(&tmp, &target)
            .await
            .map_err(|e| conflict_or_backend(key, e))?;
        guard.0 = None;
        self.inner.etags.forget(key.as_str());
        sync_dir(&dir).await?;
        Ok(info)
    }

    async fn get(&self, key: &MediaKey, range: Option<ByteRange>) -> Result<Option<MediaObject>> {
        let path = self.path_of(key);
        let cache = self.inner.etags.clone();
        let key = key.as_str().to_owned();
        blocking(move || read_object(&key, &path, range, &cache)).await
    }

    async fn head(&self, key: &MediaKey) -> Result<Option<MediaInfo>> {
        let path = self.path_of(key);
        let cache = self.inner.etags.clone();
        let key = key.as_str().to_owned();
        blocking(move || head_object(&key, &path, &cache)).await
    }

    async fn delete(&self, key: &MediaKey) -> Result<bool> {
        let path = self.path_of(key);
        match tokio::fs::symlink_metadata(&path).await {
            Ok(meta) if meta.is_file() => {}
            Ok(_) => return Ok(false),
            Err(e) if is_absent(&e) => return Ok(false),
            Err(e) => return Err(backend(e)),
        }
        let removed = tokio::fs::remove_file(&path).await;
        self.inner.etags.forget(key.as_str());
        match removed {
            Ok(()) => {}
            Err(e) if is_absent(&e) => return Ok(false),
            Err(e) => return Err(backend(e)),
        }
        if let Some(dir) = path.parent() {
            sync_dir(dir).await?;
        }
        Ok(true)
    }

    async fn list(
        &self,
        prefix: &str,
        after: Option<&MediaKey>,
        limit: usize,
    ) -> Result<Vec<MediaEntry>> {
        check_prefix(prefix)?;
        if limit == 0 {
            return Ok(Vec::new());
        }
        // Walks only the deepest directory the prefix names in full.
        let dir_key = prefix.rfind('/').map_or("", |i| &prefix[..i]).to_owned();
        if !dir_key.is_empty() && MediaKey::new(dir_key.as_str()).is_err() {
            return Ok(Vec::new()); // no key starts with it
        }
        let dir = if dir_key.is_empty() {
            self.inner.root.clone()
        } else {
            self.path_of(&MediaKey(dir_key.clone()))
        };
        let prefix = prefix.to_owned();
        let after = after.map(|k| k.as_str().to_owned());
        blocking(move || {
            let mut scan = Scan {
                prefix: &prefix,
                after: after.as_deref(),
                limit,
                found: Vec::new(),
            };
            walk(&dir, &dir_key, &mut scan)?;
            Ok(scan.found)
        })
        .await
    }

    fn url_for(&self, key: &MediaKey) -> Option<String> {
        self.inner
            .base_url
            .as_ref()
            .map(|base| format!("{base}/{key}"))
    }
}
