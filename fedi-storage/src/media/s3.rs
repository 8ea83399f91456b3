//! The S3-compatible media backend (feature `s3`): one object per key in a bucket, through
//! the [`object_store`] crate's S3 client. Works with AWS S3 and with S3-compatible servers
//! (MinIO, Garage, Ceph, R2, ...) reached at a configured endpoint with path-style addressing.
//!
//! An object with key `a/b.png` is the S3 object `a/b.png` of the bucket, or
//! `PREFIX/a/b.png` with a configured prefix ([`S3Config::prefix`]), so a public bucket can
//! serve it directly ([`S3Config::public_url`]).
//!
//! # Puts
//!
//! S3 makes an object visible only when its upload is complete, whole: a single `PUT`, or a
//! multipart upload once it is completed. The ETag the trait promises (the SHA-256 of the
//! content) is stored as the object's user metadata `x-amz-meta-sha256`, set when the upload
//! starts, so the whole body is read (counted against the limit and hashed) before anything is
//! sent: a body of up to [`PART_SIZE`] bytes is kept in memory and sent in one `PUT`; a longer
//! one is spooled to an anonymous temporary file (in the system's temporary directory; the
//! operating system removes it when it is closed, even after a crash) and sent as a multipart
//! upload of [`PART_SIZE`] parts, one part in memory at a time. A body over the limit or one
//! that fails therefore sends nothing at all. If sending fails, the multipart upload is
//! aborted; if the put future is dropped while sending, the incomplete upload stays in the
//! bucket, invisible, until the bucket's lifecycle rule for incomplete multipart uploads (or
//! an operator) removes it.
//!
//! # Reads
//!
//! [`get`](MediaStore::get) without a range is one `GET`. With a range, a `HEAD` gives the size
//! (so the range is resolved with the trait's rules, [`ByteRange::resolve`]) and a ranged `GET`
//! with `If-Match` on the S3 ETag reads that same version (it is retried if the object was
//! replaced in between). An object without the `sha256` metadata (written by another tool) is
//! read whole to hash it. [`delete`](MediaStore::delete) asks for the object first, because S3
//! answers a delete the same whether or not there was one.
//!
//! Errors: a missing object is `None`/`false`; refused credentials or permissions are
//! [`Error::AccessDenied`]; anything else from S3 or the network is [`Error::Backend`]
//! (`object_store` has already retried what it deems transient).

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{
    Attribute, AttributeValue, Attributes, GetOptions, GetRange, MultipartUpload, ObjectStore,
    ObjectStoreExt, PutMultipartOptions, PutOptions, PutPayload,
};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use super::{
    check_prefix, fs::hex, ByteRange, ByteStream, MediaEntry, MediaInfo, MediaKey, MediaObject,
    MediaStore,
};
use crate::error::{Error, Result};

/// The size of a multipart upload's parts, and the largest body sent in one `PUT` (S3 wants
/// parts of at least 5 MiB, the last one excepted).
pub const PART_SIZE: usize = 8 * 1024 * 1024;

/// The user metadata key holding the SHA-256 of an object (`x-amz-meta-sha256`).
const SHA256_META: &str = "sha256";

/// How often a ranged read starts over when the object is replaced between its `HEAD` and
/// its `GET`.
const RANGE_ATTEMPTS: usize = 5;

/// Where and how to reach the bucket. Build it with [`S3Config::new`] and set the optional
/// fields.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct S3Config {
    /// The S3 endpoint URL, such as `http://127.0.0.1:9000` for a local server; `None` for
    /// AWS S3 in [`region`](Self::region). Requests use path-style addressing
    /// (`ENDPOINT/BUCKET/KEY`), which S3-compatible servers accept without DNS set up.
    pub endpoint: Option<String>,
    /// The bucket's name. It must exist.
    pub bucket: String,
    /// The region (`us-east-1` for most S3-compatible servers).
    pub region: String,
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key (never printed by `Debug`).
    pub secret_access_key: String,
    /// Whether a plain `http://` endpoint is allowed (off: HTTPS only).
    pub allow_http: bool,
    /// The base URL at which the bucket's objects are publicly served, if they are:
    /// [`url_for`](MediaStore::url_for) answers `BASE/OBJECT` (the object's name in the bucket,
    /// prefix included; a trailing `/` of the base is dropped). `None`: the server serves
    /// media itself.
    pub public_url: Option<String>,
    /// A key prefix inside the bucket (`media` stores key `a/b` as `media/a/b`), so that a
    /// bucket can be shared; `None` for the bucket's root. Leading and trailing `/` are
    /// dropped; what is left must be a valid [`MediaKey`].
    pub prefix: Option<String>,
}

impl S3Config {
    /// A configuration with the required fields: no endpoint (AWS S3), HTTPS only, no public
    /// URL, no prefix.
    pub fn new(
        bucket: impl Into<String>,
        region: impl Into<String>,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
    ) -> Self {
        S3Config {
            endpoint: None,
            bucket: bucket.into(),
            region: region.into(),
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            allow_http: false,
            public_url: None,
            prefix: None,
        }
    }
}

impl fmt::Debug for S3Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("allow_http", &self.allow_http)
            .field("public_url", &self.public_url)
            .field("prefix", &self.prefix)
            .finish()
    }
}

/// A [`MediaStore`] keeping each object in an S3 bucket. Cheap to clone (clones share the
/// client).
#[derive(Clone)]
pub struct S3MediaStore {
    store: Arc<dyn ObjectStore>,
    bucket: String,
    /// The validated prefix, without slashes at either end.
    prefix: Option<String>,
    /// The public base URL, without a trailing `/`.
    public_url: Option<String>,
}

impl fmt::Debug for S3MediaStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not the client: its configuration holds the credentials.
        f.debug_struct("S3MediaStore")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("public_url", &self.public_url)
            .finish()
    }
}

impl S3MediaStore {
    /// A store for `config`, without contacting the server (see [`S3MediaStore::open`]).
    /// [`Error::Open`] if the configuration is unusable (a malformed endpoint, an invalid
    /// prefix, an empty bucket name).
    pub fn new(config: S3Config) -> Result<Self> {
        if config.bucket.is_empty() {
            return Err(Error::Open("the S3 bucket name is empty".into()));
        }
        let prefix = match config.prefix.as_deref().map(|p| p.trim_matches('/')) {
            None | Some("") => None,
            Some(p) => {
                MediaKey::new(p).map_err(|e| Error::Open(format!("invalid S3 key prefix: {e}")))?;
                Some(p.to_owned())
            }
        };
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_access_key_id(&config.access_key_id)
            .with_secret_access_key(&config.secret_access_key)
            .with_allow_http(config.allow_http)
            .with_virtual_hosted_style_request(false);
        if let Some(endpoint) = &config.endpoint {
            check_endpoint(endpoint, config.allow_http)?;
            builder = builder.with_endpoint(endpoint);
        }
        let store = builder
            .build()
            .map_err(|e| Error::Open(format!("invalid S3 configuration: {e}")))?;
        Ok(S3MediaStore {
            store: Arc::new(store),
            bucket: config.bucket,
            prefix,
            public_url: config
                .public_url
                .map(|u| u.trim_end_matches('/').to_owned()),
        })
    }

    /// [`S3MediaStore::new`], then one listing request to check that the bucket exists and
    /// the credentials are accepted: [`Error::AccessDenied`] if they are refused,
    /// [`Error::Open`] if there is no such bucket, [`Error::Backend`] if the server cannot
    /// be reached.
    pub async fn open(config: S3Config) -> Result<Self> {
        let store = S3MediaStore::new(config)?;
        let root = store.prefix.as_deref().map(Path::from);
        match store.store.list(root.as_ref()).next().await {
            None | Some(Ok(_)) => Ok(store),
            Some(Err(e))
                if matches!(e, object_store::Error::NotFound { .. })
                    || http_status(&e) == Some(404) =>
            {
                Err(Error::Open(format!(
                    "the S3 bucket {:?} does not exist: {e}",
                    store.bucket
                )))
            }
            Some(Err(e)) => Err(store_error(e)),
        }
    }

    /// The object name in the bucket of a key (or of any string a key may start with).
    fn full(&self, key: &str) -> String {
        match &self.prefix {
            Some(prefix) => format!("{prefix}/{key}"),
            None => key.to_owned(),
        }
    }

    fn path(&self, key: &MediaKey) -> Result<Path> {
        parse_path(&self.full(key.as_str()))
    }

    /// The S3 metadata of the object at `path`, or `None`.
    async fn head_raw(&self, path: &Path) -> Result<Option<object_store::GetResult>> {
        let options = GetOptions {
            head: true,
            ..GetOptions::default()
        };
        match self.store.get_opts(path, options).await {
            Ok(result) => Ok(Some(result)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(store_error(e)),
        }
    }

    /// The ETag recorded in `attributes`, or the SHA-256 of the whole object (read again,
    /// the same version: `If-Match` on `s3_etag`) if it has none.
    async fn etag_of(
        &self,
        path: &Path,
        attributes: &object_store::Attributes,
        s3_etag: Option<&str>,
    ) -> Result<String> {
        if let Some(etag) = recorded_etag(attributes) {
            return Ok(etag);
        }
        let options = GetOptions {
            if_match: s3_etag.map(str::to_owned),
            ..GetOptions::default()
        };
        let mut stream = self
            .store
            .get_opts(path, options)
            .await
            .map_err(store_error)?
            .into_stream();
        let mut hasher = Sha256::new();
        while let Some(chunk) = stream.next().await {
            hasher.update(chunk.map_err(store_error)?);
        }
        Ok(hex(&hasher.finalize()))
    }

    /// Reads the span `range` selects, from one version of the object.
    async fn get_range(&self, path: &Path, range: ByteRange) -> Result<Option<MediaObject>> {
        for _ in 0..RANGE_ATTEMPTS {
            let Some(head) = self.head_raw(path).await? else {
                return Ok(None);
            };
            let size = head.meta.size;
            let span = range.resolve(size)?;
            let options = GetOptions {
                range: Some(GetRange::Bounded(span.0..span.1)),
                if_match: head.meta.e_tag.clone(),
                ..GetOptions::default()
            };
            let result = match self.store.get_opts(path, options).await {
                Ok(result) => result,
                Err(object_store::Error::NotFound { .. }) => return Ok(None),
                // Replaced since the HEAD: start over.
                Err(object_store::Error::Precondition { .. }) => continue,
                Err(e) => return Err(store_error(e)),
            };
            let attributes = result.attributes.clone();
            let bytes = result.bytes().await.map_err(store_error)?;
            if bytes.len() as u64 != span.1 - span.0 {
                return Err(Error::Backend(format!(
                    "S3 returned {} bytes for a range of {}",
                    bytes.len(),
                    span.1 - span.0
                )));
            }
            let etag = self
                .etag_of(path, &attributes, head.meta.e_tag.as_deref())
                .await?;
            return Ok(Some(MediaObject::new(bytes, span, size, etag)));
        }
        Err(Error::Backend(format!(
            "the object at {path} kept changing while it was read"
        )))
    }

    /// Sends a spooled body as a multipart upload; aborts the upload if any step fails.
    async fn put_spooled(
        &self,
        path: &Path,
        mut file: tokio::fs::File,
        attributes: Attributes,
    ) -> Result<()> {
        file.flush().await.map_err(spool_error)?;
        file.seek(std::io::SeekFrom::Start(0))
            .await
            .map_err(spool_error)?;
        let options = PutMultipartOptions {
            attributes,
            ..PutMultipartOptions::default()
        };
        let mut upload = self
            .store
            .put_multipart_opts(path, options)
            .await
            .map_err(store_error)?;
        match send_parts(upload.as_mut(), &mut file).await {
            Ok(()) => Ok(()),
            Err(e) => {
                if let Err(abort) = upload.abort().await {
                    tracing::warn!(%path, error = %abort, "aborting a multipart upload failed");
                }
                Err(e)
            }
        }
    }
}

/// Sends the file from its current position in parts of [`PART_SIZE`], then completes.
async fn send_parts(upload: &mut dyn MultipartUpload, file: &mut tokio::fs::File) -> Result<()> {
    loop {
        let mut part = Vec::with_capacity(PART_SIZE);
        while part.len() < PART_SIZE {
            let read = (&mut *file)
                .take((PART_SIZE - part.len()) as u64)
                .read_to_end(&mut part)
                .await
                .map_err(spool_error)?;
            if read == 0 {
                break;
            }
        }
        if part.is_empty() {
            break;
        }
        let last = part.len() < PART_SIZE;
        upload
            .put_part(PutPayload::from(Bytes::from(part)))
            .await
            .map_err(store_error)?;
        if last {
            break;
        }
    }
    upload.complete().await.map_err(store_error)?;
    Ok(())
}

/// An endpoint must be an `https://` URL with a host (or `http://` if allowed).
fn check_endpoint(endpoint: &str, allow_http: bool) -> Result<()> {
    let url = url::Url::parse(endpoint)
        .map_err(|e| Error::Open(format!("invalid S3 endpoint {endpoint:?}: {e}")))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_http => {}
        "http" => {
            return Err(Error::Open(format!(
                "the S3 endpoint {endpoint:?} is plain HTTP, which is not allowed"
            )))
        }
        other => {
            return Err(Error::Open(format!(
                "the S3 endpoint {endpoint:?} has the scheme {other:?}, not https"
            )))
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::Open(format!(
            "the S3 endpoint {endpoint:?} has no host"
        )));
    }
    Ok(())
}

fn parse_path(name: &str) -> Result<Path> {
    Path::parse(name).map_err(|e| Error::Backend(format!("object name {name:?}: {e}")))
}

/// The SHA-256 recorded as the object's metadata, if it is one.
fn recorded_etag(attributes: &Attributes) -> Option<String> {
    let value = attributes.get(&Attribute::Metadata(SHA256_META.into()))?;
    let value: &str = value.as_ref();
    let valid = value.len() == 64
        && value
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    valid.then(|| value.to_owned())
}

/// The crate's error for an `object_store` one (a missing object is handled by the callers).
fn store_error(e: object_store::Error) -> Error {
    match e {
        object_store::Error::PermissionDenied { .. }
        | object_store::Error::Unauthenticated { .. } => Error::AccessDenied(e.to_string()),
        other => match http_status(&other) {
            Some(401 | 403) => Error::AccessDenied(other.to_string()),
            _ => Error::Backend(other.to_string()),
        },
    }
}

/// The HTTP status of a failed request behind a generic `object_store` error.
///
/// `object_store` gives statuses their own variants for single-object requests, but reports a
/// failed listing (or multipart step) as a generic error whose only trace of the status is
/// its message (the type holding it is private), so it is read from there.
fn http_status(e: &object_store::Error) -> Option<u16> {
    const MARK: &str = "status code: ";
    let message = e.to_string();
    let at = message.find(MARK)? + MARK.len();
    message.get(at..at + 3)?.parse().ok()
}

fn spool_error(e: std::io::Error) -> Error {
    Error::Backend(format!("temporary file of an upload: {e}"))
}

/// A body read whole: in memory, or spooled to a temporary file.
enum Spool {
    Memory(Vec<Bytes>),
    File(tokio::fs::File),
}

/// Reads `body` whole, at most `limit` bytes, hashing it; keeps it in memory up to
/// [`PART_SIZE`] bytes and in an anonymous temporary file beyond.
async fn spool(body: &mut ByteStream<'_>, limit: u64) -> Result<(Spool, MediaInfo)> {
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    let mut spool = Spool::Memory(Vec::new());
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| Error::Upload(e.to_string()))?;
        size = size.saturating_add(chunk.len() as u64);
        if size > limit {
            return Err(Error::TooLarge { limit });
        }
        hasher.update(&chunk);
        match &mut spool {
            Spool::File(file) => file.write_all(&chunk).await.map_err(spool_error)?,
            Spool::Memory(chunks) => {
                chunks.push(chunk);
                if size > PART_SIZE as u64 {
                    let file = tokio::task::spawn_blocking(tempfile::tempfile)
                        .await
                        .map_err(|e| Error::Backend(format!("blocking task failed: {e}")))?
                        .map_err(spool_error)?;
                    let mut file = tokio::fs::File::from_std(file);
                    for chunk in chunks.drain(..) {
                        file.write_all(&chunk).await.map_err(spool_error)?;
                    }
                    spool = Spool::File(file);
                }
            }
        }
    }
    Ok((spool, MediaInfo::new(size, hex(&hasher.finalize()))))
}

#[async_trait]
impl MediaStore for S3MediaStore {
    async fn put(&self, key: &MediaKey, mut body: ByteStream<'_>, limit: u64) -> Result<MediaInfo> {
        let path = self.path(key)?;
        let (spooled, info) = spool(&mut body, limit).await?;
        let mut attributes = Attributes::new();
        attributes.insert(
            Attribute::Metadata(SHA256_META.into()),
            AttributeValue::from(info.etag.clone()),
        );
        match spooled {
            Spool::Memory(chunks) => {
                let options = PutOptions {
                    attributes,
                    ..PutOptions::default()
                };
                self.store
                    .put_opts(&path, chunks.into_iter().collect(), options)
                    .await
                    .map_err(store_error)?;
            }
            Spool::File(file) => self.put_spooled(&path, file, attributes).await?,
        }
        Ok(info)
    }

    async fn get(&self, key: &MediaKey, range: Option<ByteRange>) -> Result<Option<MediaObject>> {
        let path = self.path(key)?;
        if let Some(range) = range {
            return self.get_range(&path, range).await;
        }
        let result = match self.store.get_opts(&path, GetOptions::default()).await {
            Ok(result) => result,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(store_error(e)),
        };
        let size = result.meta.size;
        let attributes = result.attributes.clone();
        let bytes = result.bytes().await.map_err(store_error)?;
        if bytes.len() as u64 != size {
            return Err(Error::Backend(format!(
                "S3 returned {} bytes of an object of {size}",
                bytes.len()
            )));
        }
        let etag = recorded_etag(&attributes).unwrap_or_else(|| hex(&Sha256::digest(&bytes)));
        Ok(Some(MediaObject::new(bytes, (0, size), size, etag)))
    }

    async fn head(&self, key: &MediaKey) -> Result<Option<MediaInfo>> {
        let path = self.path(key)?;
        let Some(head) = self.head_raw(&path).await? else {
            return Ok(None);
        };
        let etag = self
            .etag_of(&path, &head.attributes, head.meta.e_tag.as_deref())
            .await?;
        Ok(Some(MediaInfo::new(head.meta.size, etag)))
    }

    async fn delete(&self, key: &MediaKey) -> Result<bool> {
        let path = self.path(key)?;
        if self.head_raw(&path).await?.is_none() {
            return Ok(false);
        }
        match self.store.delete(&path).await {
            Ok(()) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(store_error(e)),
        }
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
        // Lists below the deepest "directory" the prefix names in full, from just before the
        // prefix (or after `after`), and stops at the first name past the prefix: S3 lists
        // in key order.
        let dir = prefix.rfind('/').map_or("", |i| &prefix[..i]);
        if !dir.is_empty() && MediaKey::new(dir).is_err() {
            return Ok(Vec::new()); // no key starts with it
        }
        let list_root = match (&self.prefix, dir) {
            (None, "") => None,
            (Some(p), "") => Some(parse_path(p)?),
            (_, dir) => Some(parse_path(&self.full(dir))?),
        };
        let wanted = self.full(prefix);
        let after = after.map(|k| self.full(k.as_str()));
        // Every name starting with the prefix is past the prefix less its last character
        // (when that still ends in a segment of at least one character).
        let tail = if dir.is_empty() {
            prefix
        } else {
            &prefix[dir.len() + 1..]
        };
        let mut offset = (tail.len() >= 2)
            .then(|| Path::parse(self.full(&prefix[..prefix.len() - 1])).ok())
            .flatten();
        if let Some(after) = &after {
            if offset.as_ref().is_none_or(|o| after.as_str() > o.as_ref()) {
                offset = Some(parse_path(after)?);
            }
        }
        let mut names = match &offset {
            Some(offset) => self.store.list_with_offset(list_root.as_ref(), offset),
            None => self.store.list(list_root.as_ref()),
        };
        let mut found = Vec::new();
        while let Some(meta) = names.next().await {
            let meta = meta.map_err(store_error)?;
            let name = meta.location.as_ref();
            if !name.starts_with(&wanted) {
                if name > wanted.as_str() {
                    break;
                }
                continue;
            }
            if after.as_deref().is_some_and(|after| name <= after) {
                continue;
            }
            let key = match &self.prefix {
                Some(p) => &name[p.len() + 1..],
                None => name,
            };
            // Skips what no key names (objects written by other tools).
            let Ok(key) = MediaKey::new(key) else {
                continue;
            };
            found.push(MediaEntry::new(key, meta.size));
            if found.len() >= limit {
                break;
            }
        }
        Ok(found)
    }

    fn url_for(&self, key: &MediaKey) -> Option<String> {
        self.public_url
            .as_ref()
            .map(|base| format!("{base}/{}", self.full(key.as_str())))
    }
}
