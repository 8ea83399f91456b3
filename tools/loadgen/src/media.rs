//! Media benchmarks: upload-to-ready time of large images ([`run_uploads`]), and serving a
//! stored file over HTTP beside reading it from disk ([`read_file_loop`]).
//!
//! Uploads go to `POST /api/v2/media` (multipart `file` and `description`), which answers `200`
//! with the processed attachment or `202` while processing; the attachment is then polled
//! with `GET /api/v1/media/:id` (`206` while processing, `200` when ready). A cached file to
//! serve is made with the synchronous `POST /api/v1/media` ([`upload_sync`]); the filesystem
//! media store keeps key `a/b.jpg` as `DATA_DIR/media/a/b.jpg` ([`local_file`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::Full;

use crate::client::{get, Conn, Target};
use crate::error::{Error, Result};
use crate::images::Kind;
use crate::multipart::FormBody;
use crate::stats::Latencies;

/// The fields of a MediaAttachment entity the benchmarks use.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MediaEntity {
    /// The attachment id (a string in Mastodon's API; a number is accepted too).
    pub id: String,
    /// Where the file is served, `null` while processing.
    pub url: Option<String>,
}

impl MediaEntity {
    /// Reads the entity from a JSON answer.
    pub fn parse(body: &[u8]) -> Result<MediaEntity> {
        let v: serde_json::Value = serde_json::from_slice(body)?;
        let id = match v.get("id") {
            Some(serde_json::Value::String(s)) if !s.is_empty() => s.clone(),
            Some(serde_json::Value::Number(n)) => n.to_string(),
            _ => {
                return Err(Error::Unexpected(
                    "the media attachment has no id".to_owned(),
                ))
            }
        };
        let url = v.get("url").and_then(|u| u.as_str()).map(str::to_owned);
        Ok(MediaEntity { id, url })
    }
}

/// The path of a media URL (absolute, or a path already) under `/media/`.
pub fn media_path(url: &str) -> Result<String> {
    let path = if url.starts_with('/') {
        url.split(['?', '#']).next().unwrap_or(url).to_owned()
    } else {
        url::Url::parse(url)
            .map_err(|e| Error::Unexpected(format!("media url {url:?}: {e}")))?
            .path()
            .to_owned()
    };
    if !path.starts_with("/media/") {
        return Err(Error::Unexpected(format!(
            "media url {url:?} is not under /media/"
        )));
    }
    Ok(path)
}

/// Where the filesystem media store keeps the file served at `path` (`/media/KEY`):
/// `DATA_DIR/media/KEY`. Key segments are `[A-Za-z0-9._-]`, not `.` or `..`.
pub fn local_file(data_dir: &Path, path: &str) -> Result<PathBuf> {
    let key = path
        .strip_prefix("/media/")
        .ok_or_else(|| Error::Usage(format!("{path}: not under /media/")))?;
    let mut out = data_dir.join("media");
    for seg in key.split('/') {
        let ok = !seg.is_empty()
            && seg != "."
            && seg != ".."
            && seg
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if !ok {
            return Err(Error::Usage(format!("{path}: not a media key")));
        }
        out.push(seg);
    }
    Ok(out)
}

/// A multipart upload body (`file`, and a `description`) and its `Content-Type`.
pub fn upload_body(file_name: &str, content_type: &str, file: &[u8]) -> Result<(String, Bytes)> {
    let mut form = FormBody::default();
    form.file("file", file_name, content_type, file)?
        .text("description", &format!("woolly-loadgen {file_name}"))?;
    let ct = form.content_type();
    Ok((ct, form.finish()))
}

fn post(
    target: &Target,
    path: &str,
    token: &str,
    content_type: &str,
    body: Bytes,
) -> Result<Request<Full<Bytes>>> {
    Request::post(path)
        .header(http::header::HOST, &target.authority)
        .header(http::header::AUTHORIZATION, format!("Bearer {token}"))
        .header(http::header::CONTENT_TYPE, content_type)
        .body(Full::new(body))
        .map_err(|e| Error::Usage(e.to_string()))
}

fn unexpected(what: &str, status: StatusCode, body: &[u8]) -> Error {
    let text = String::from_utf8_lossy(body);
    Error::Unexpected(format!(
        "{what}: {status}: {}",
        text.chars().take(300).collect::<String>()
    ))
}

/// Uploads a file with the synchronous `POST /api/v1/media` (expects `200`).
pub async fn upload_sync(
    target: &Target,
    token: &str,
    (file_name, content_type): (&str, &str),
    file: &[u8],
) -> Result<MediaEntity> {
    let (ct, body) = upload_body(file_name, content_type, file)?;
    let mut c = Conn::connect(target.addr, Duration::from_secs(5)).await?;
    let req = post(target, "/api/v1/media", token, &ct, body)?;
    let (status, answer) = tokio::time::timeout(Duration::from_secs(120), c.send(req))
        .await
        .map_err(|_| Error::Timeout("POST /api/v1/media".to_owned()))??;
    if status != StatusCode::OK {
        return Err(unexpected("POST /api/v1/media", status, &answer));
    }
    MediaEntity::parse(&answer)
}

/// How the upload benchmark runs.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct UploadOptions {
    /// Uploads in flight at once (one connection each).
    pub concurrency: usize,
    /// Each connection uploads every kind once per round.
    pub rounds: usize,
    /// Pause between polls of `GET /api/v1/media/:id`.
    pub poll: Duration,
    /// Longest time from the start of an upload to ready.
    pub ready_timeout: Duration,
}

impl Default for UploadOptions {
    fn default() -> Self {
        UploadOptions {
            concurrency: 1,
            rounds: 1,
            poll: Duration::from_millis(50),
            ready_timeout: Duration::from_secs(300),
        }
    }
}

/// One upload that reached ready.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadResult {
    /// What was uploaded.
    pub kind: Kind,
    /// The upload's answer (`200` or `202`).
    pub status: u16,
    /// From the start of the request to its answer.
    pub answered: Duration,
    /// From the start of the request to the first `200` for the attachment (or the
    /// upload's own `200`).
    pub ready: Duration,
    /// `GET /api/v1/media/:id` requests made.
    pub polls: u32,
}

/// The order uploads start in: per round, each kind once per connection, staggered so that
/// the first `concurrency` in flight mix the kinds.
pub fn upload_order(kinds: &[Kind], concurrency: usize, rounds: usize) -> Vec<Kind> {
    let mut out = Vec::new();
    for _ in 0..rounds {
        for k in 0..kinds.len() {
            for slot in 0..concurrency {
                out.push(kinds[(k + slot) % kinds.len()]);
            }
        }
    }
    out
}

/// Uploads one file and polls until it is ready, on `conn` (reconnecting when closed).
async fn upload_to_ready(
    target: &Target,
    conn: &mut Option<Conn>,
    token: &str,
    kind: Kind,
    (ct, body): (&str, Bytes),
    o: &UploadOptions,
) -> Result<UploadResult> {
    let t0 = Instant::now();
    let req = post(target, "/api/v2/media", token, ct, body)?;
    let (status, answer) = send(target, conn, req).await?;
    let answered = t0.elapsed();
    let mut r = UploadResult {
        kind,
        status: status.as_u16(),
        answered,
        ready: answered,
        polls: 0,
    };
    match status {
        StatusCode::OK => return Ok(r),
        StatusCode::ACCEPTED => {}
        s => return Err(unexpected("POST /api/v2/media", s, &answer)),
    }
    let path = format!("/api/v1/media/{}", MediaEntity::parse(&answer)?.id);
    let auth = format!("Bearer {token}");
    loop {
        tokio::time::sleep(o.poll).await;
        r.polls += 1;
        let (s, b) = send(
            target,
            conn,
            get(target, &path, &[("authorization", &auth)])?,
        )
        .await?;
        match s {
            StatusCode::OK => {
                r.ready = t0.elapsed();
                return Ok(r);
            }
            StatusCode::PARTIAL_CONTENT => {}
            s => return Err(unexpected(&format!("GET {path}"), s, &b)),
        }
    }
}

async fn send(
    target: &Target,
    conn: &mut Option<Conn>,
    req: Request<Full<Bytes>>,
) -> Result<(StatusCode, Bytes)> {
    if conn.as_ref().is_none_or(|c| !c.is_open()) {
        *conn = Some(Conn::connect(target.addr, Duration::from_secs(5)).await?);
    }
    let c = conn
        .as_mut()
        .ok_or_else(|| Error::Http("no connection".to_owned()))?;
    let r = c.send(req).await;
    if r.is_err() {
        *conn = None;
    }
    r
}

/// Uploads every input in [`upload_order`] over `o.concurrency` connections, each upload
/// bounded by `o.ready_timeout`. Returns the uploads that reached ready and the errors of
/// the others.
pub async fn run_uploads(
    target: &Target,
    token: &str,
    inputs: &BTreeMap<Kind, (String, Bytes)>,
    o: &UploadOptions,
) -> (Vec<UploadResult>, Vec<String>) {
    let kinds: Vec<Kind> = inputs.keys().copied().collect();
    let order = Arc::new(upload_order(&kinds, o.concurrency.max(1), o.rounds));
    let next = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(Mutex::new(Vec::new()));
    let inputs = Arc::new(inputs.clone());
    let mut tasks = Vec::new();
    for _ in 0..o.concurrency.max(1) {
        let (order, next, errors, inputs) =
            (order.clone(), next.clone(), errors.clone(), inputs.clone());
        let (target, token, o) = (target.clone(), token.to_owned(), o.clone());
        tasks.push(tokio::spawn(async move {
            let mut done = Vec::new();
            let mut conn = None;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                let Some(&kind) = order.get(i) else { break };
                let Some((ct, body)) = inputs.get(&kind) else {
                    break;
                };
                let up = upload_to_ready(&target, &mut conn, &token, kind, (ct, body.clone()), &o);
                let err = match tokio::time::timeout(o.ready_timeout, up).await {
                    Ok(Ok(r)) => {
                        done.push(r);
                        continue;
                    }
                    Ok(Err(e)) => format!("{kind}: {e}"),
                    Err(_) => format!("{kind}: not ready within {:?}", o.ready_timeout),
                };
                conn = None;
                errors.lock().unwrap_or_else(|p| p.into_inner()).push(err);
            }
            done
        }));
    }
    let mut results = Vec::new();
    for t in tasks {
        match t.await {
            Ok(r) => results.extend(r),
            Err(e) => errors
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(format!("upload worker failed: {e}")),
        }
    }
    let errors = errors.lock().map(|e| e.clone()).unwrap_or_default();
    (results, errors)
}

/// Ready times (and answer times) of the uploads of one kind.
pub fn latencies_of(results: &[UploadResult], kind: Option<Kind>) -> (Latencies, Latencies) {
    let micros = |d: Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
    let of = results.iter().filter(|r| kind.is_none_or(|k| r.kind == k));
    let ready = of.clone().map(|r| micros(r.ready)).collect();
    let answered = of.map(|r| micros(r.answered)).collect();
    (
        Latencies::from_micros(ready),
        Latencies::from_micros(answered),
    )
}

/// What reading a file from disk in a closed loop measured.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct DiskReport {
    /// Wall time from the first read to the last.
    pub elapsed: Duration,
    /// Every successful read's time.
    pub latencies: Latencies,
    /// Failed or short reads, by reason.
    pub failures: BTreeMap<String, u64>,
}

impl DiskReport {
    /// Reads per second (successful or not).
    pub fn rate(&self) -> f64 {
        let n = self.latencies.len() as u64 + self.failures.values().sum::<u64>();
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            n as f64 / secs
        } else {
            0.0
        }
    }
}

/// Reads `path` whole `reads` times with `concurrency` tasks (`tokio::fs::read`, which runs
/// on the blocking pool), checking each read is `expected_len` bytes.
pub async fn read_file_loop(
    path: &Path,
    concurrency: usize,
    reads: u64,
    expected_len: u64,
) -> DiskReport {
    let next = Arc::new(AtomicU64::new(0));
    let path = Arc::new(path.to_owned());
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (next, path) = (next.clone(), path.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut failures = BTreeMap::<String, u64>::new();
            while next.fetch_add(1, Ordering::Relaxed) < reads {
                let t0 = Instant::now();
                match tokio::fs::read(path.as_ref()).await {
                    Ok(b) if b.len() as u64 == expected_len => {
                        lat.push(u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX));
                    }
                    Ok(b) => {
                        *failures
                            .entry(format!("read {} bytes", b.len()))
                            .or_default() += 1
                    }
                    Err(e) => *failures.entry(e.to_string()).or_default() += 1,
                }
            }
            (lat, failures)
        }));
    }
    let mut report = DiskReport::default();
    let mut all = Vec::new();
    for t in tasks {
        match t.await {
            Ok((l, f)) => {
                all.extend(l);
                for (k, v) in f {
                    *report.failures.entry(k).or_default() += v;
                }
            }
            Err(e) => {
                *report
                    .failures
                    .entry(format!("reader failed: {e}"))
                    .or_default() += 1
            }
        }
    }
    report.elapsed = start.elapsed();
    report.latencies = Latencies::from_micros(all);
    report
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn reads_the_entity() {
        let e = MediaEntity::parse(
            br#"{"id":"1090","type":"image","url":null,"preview_url":"http://h/media/p.png"}"#,
        )
        .unwrap();
        assert_eq!(
            e,
            MediaEntity {
                id: "1090".into(),
                url: None
            }
        );
        let e = MediaEntity::parse(br#"{"id":7,"url":"http://h:1/media/a/b.jpg"}"#).unwrap();
        assert_eq!(e.id, "7");
        assert_eq!(e.url.as_deref(), Some("http://h:1/media/a/b.jpg"));
        assert!(MediaEntity::parse(br#"{"url":"x"}"#).is_err());
        assert!(MediaEntity::parse(br#"{"id":""}"#).is_err());
        assert!(MediaEntity::parse(b"<html>").is_err());
    }

    #[test]
    fn maps_urls_to_paths_and_files() {
        assert_eq!(
            media_path("http://127.0.0.2:8080/media/ab/cd.jpg?v=1").unwrap(),
            "/media/ab/cd.jpg"
        );
        assert_eq!(media_path("/media/x.png#f").unwrap(), "/media/x.png");
        assert!(media_path("http://h/system/x.png").is_err());
        assert!(media_path("not a url").is_err());
        let d = Path::new("data");
        assert_eq!(
            local_file(d, "/media/ab/c-d_1.jpg").unwrap(),
            Path::new("data/media/ab/c-d_1.jpg")
        );
        for bad in [
            "/media/../x",
            "/media/a//b",
            "/media/",
            "/media/a/./b",
            "/x/a.jpg",
            "/media/a b",
        ] {
            assert!(local_file(d, bad).unwrap_err().is_usage(), "{bad}");
        }
    }

    #[test]
    fn orders_uploads_mixing_kinds() {
        let both = [Kind::Jpeg12mp, Kind::Png4k];
        let (j, p) = (Kind::Jpeg12mp, Kind::Png4k);
        assert_eq!(upload_order(&both, 1, 1), vec![j, p]);
        assert_eq!(upload_order(&both, 4, 1), vec![j, p, j, p, p, j, p, j]);
        assert_eq!(upload_order(&[p], 2, 2), vec![p; 4]);
    }

    #[tokio::test]
    async fn reads_a_file_in_a_closed_loop() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("x.bin");
        std::fs::write(&f, vec![7u8; 4096]).unwrap();
        let r = read_file_loop(&f, 4, 50, 4096).await;
        assert_eq!((r.latencies.len(), r.failures.len()), (50, 0));
        assert!(r.rate() > 0.0);
        let r = read_file_loop(&f, 2, 3, 10).await;
        assert_eq!(r.failures.get("read 4096 bytes"), Some(&3));
        let r = read_file_loop(&dir.path().join("missing"), 1, 1, 1).await;
        assert_eq!(r.latencies.len(), 0);
        assert_eq!(r.failures.values().sum::<u64>(), 1);
    }
}
