//! The `media-upload` and `media-serve` subcommands (see `woolly_loadgen::media`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Args;
use woolly_loadgen::client::{get, Conn, Target};
use woolly_loadgen::images::{self, Kind};
use woolly_loadgen::load::closed_loop_checked;
use woolly_loadgen::media::{self, UploadOptions};
use woolly_loadgen::rss::{Memory, Sampler};
use woolly_loadgen::stats::{fmt_duration, Latencies};
use woolly_loadgen::{Error, Result};

use crate::print_run;

/// Arguments of `media-upload`.
#[derive(Debug, Args)]
pub struct MediaUploadArgs {
    /// The server, `http://HOST:PORT`.
    #[arg(long)]
    target: String,
    /// A bearer token with the `write:media` scope (`woolly token create NAME --scopes write`).
    #[arg(long, allow_hyphen_values = true)]
    token: String,
    /// The server's process id (its memory is sampled).
    #[arg(long)]
    pid: u32,
    /// Uploads in flight at once.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Each connection uploads every kind once per round.
    #[arg(long, default_value_t = 1)]
    rounds: usize,
    /// `jpeg12mp` (4000×3000 photo-like JPEG), `png4k` (3840×2160 PNG) or `both`.
    #[arg(long, default_value = "both")]
    kind: String,
    /// Pause between polls of `GET /api/v1/media/:id`, ms.
    #[arg(long, default_value_t = 50)]
    poll_ms: u64,
    /// Longest wait from the start of an upload until it is ready, seconds.
    #[arg(long, default_value_t = 300)]
    ready_timeout: u64,
    /// Idle time after the last upload before reading the server's memory again, seconds.
    #[arg(long, default_value_t = 10)]
    idle: u64,
    /// Memory sampling interval, ms.
    #[arg(long, default_value_t = 100)]
    sample_ms: u64,
    /// Seed of the generated images.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// Arguments of `media-serve`.
#[derive(Debug, Args)]
pub struct MediaServeArgs {
    /// The server, `http://HOST:PORT`.
    #[arg(long)]
    target: String,
    /// The file's path on the server, `/media/KEY` (or upload one with `--upload-token`).
    #[arg(long)]
    path: Option<String>,
    /// The same file on disk (default: `DATA_DIR/media/KEY` with `--data-dir`).
    #[arg(long)]
    file: Option<PathBuf>,
    /// Upload a photo-like JPEG first (`POST /api/v1/media`) with this bearer token and serve
    /// the attachment's `url`.
    #[arg(long, allow_hyphen_values = true)]
    upload_token: Option<String>,
    /// The server's data directory, to find the file of `/media/KEY`.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Size of the uploaded JPEG, `WIDTHxHEIGHT` (1920x1440 is about 1 MB).
    #[arg(long, default_value = "1920x1440")]
    upload_size: String,
    /// Keep-alive connections, and concurrent reads from disk.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Requests timed, and reads from disk.
    #[arg(long, default_value_t = 10_000)]
    requests: u64,
    /// Untimed requests first.
    #[arg(long, default_value_t = 200)]
    warmup: u64,
}

fn mib(kib: u64) -> String {
    format!(
        "{:.1} MiB ({:.1} MB)",
        kib as f64 / 1024.0,
        kib as f64 * 1.024 / 1000.0
    )
}

fn line(l: &Latencies) -> String {
    let f = |d: Option<Duration>| d.map_or_else(|| "-".to_owned(), fmt_duration);
    format!(
        "p50 {} max {} (n={})",
        f(l.percentile(50.0)),
        f(l.max()),
        l.len()
    )
}

/// `media-upload`.
pub async fn cmd_media_upload(a: MediaUploadArgs) -> Result<bool> {
    let target = Target::parse(&a.target).await?;
    let kinds: Vec<Kind> = match a.kind.as_str() {
        "both" => Kind::ALL.to_vec(),
        k => vec![k.parse()?],
    };
    if a.concurrency == 0 || a.rounds == 0 {
        return Err(Error::Usage(
            "--concurrency and --rounds must be > 0".to_owned(),
        ));
    }
    let mut inputs = BTreeMap::new();
    for k in kinds {
        let t0 = Instant::now();
        let seed = a.seed;
        let file = tokio::task::spawn_blocking(move || k.generate(seed))
            .await
            .map_err(|e| Error::Usage(e.to_string()))??;
        let (w, h) = k.dimensions();
        println!(
            "{k}: {w}×{h} {} of {} bytes ({:.2} MB), made in {}",
            k.content_type(),
            file.len(),
            file.len() as f64 / 1e6,
            fmt_duration(t0.elapsed())
        );
        inputs.insert(
            k,
            media::upload_body(k.file_name(), k.content_type(), &file)?,
        );
    }
    let mut o = UploadOptions::default();
    o.concurrency = a.concurrency;
    o.rounds = a.rounds;
    o.poll = Duration::from_millis(a.poll_ms);
    o.ready_timeout = Duration::from_secs(a.ready_timeout);
    let before = Memory::of_pid(a.pid)?;
    println!("server memory before: {}", before.summary());
    let sampler = Sampler::start(a.pid, Duration::from_millis(a.sample_ms));
    let t0 = Instant::now();
    let (results, errors) = media::run_uploads(&target, &a.token, &inputs, &o).await;
    let wall = t0.elapsed();
    let during = sampler.stop().await;
    let after = Memory::of_pid(a.pid)?;
    println!(
        "{} uploads ({} at once, {} round(s)) ready in {} wall",
        results.len(),
        a.concurrency,
        a.rounds,
        fmt_duration(wall)
    );
    for k in inputs.keys() {
        let (ready, answered) = media::latencies_of(&results, Some(*k));
        let accepted = results
            .iter()
            .filter(|r| r.kind == *k && r.status == 202)
            .count();
        let polls: u32 = results
            .iter()
            .filter(|r| r.kind == *k)
            .map(|r| r.polls)
            .sum();
        println!("{k}: upload to ready {}", line(&ready));
        println!(
            "{k}: upload answered {} ({accepted} answered 202, {polls} polls)",
            line(&answered)
        );
    }
    for e in &errors {
        println!("upload failed: {e}");
    }
    println!(
        "server memory while processing: peak sampled VmRSS {} over {} samples every {} ms; VmHWM {} after the uploads (was {})",
        mib(during.peak_rss_kib.max(after.rss_kib)),
        during.samples,
        a.sample_ms,
        mib(after.hwm_kib),
        mib(before.hwm_kib)
    );
    tokio::time::sleep(Duration::from_secs(a.idle)).await;
    let idle = Memory::of_pid(a.pid)?;
    println!(
        "server memory {} s after the last upload: VmRSS {}",
        a.idle,
        mib(idle.rss_kib)
    );
    Ok(errors.is_empty())
}

fn parse_size(s: &str) -> Result<(u32, u32)> {
    let bad = || Error::Usage(format!("--upload-size {s:?}: expected WIDTHxHEIGHT"));
    let (w, h) = s.split_once('x').ok_or_else(bad)?;
    let (w, h) = (w.parse().map_err(|_| bad())?, h.parse().map_err(|_| bad())?);
    if w == 0 || h == 0 || w > 10_000 || h > 10_000 {
        return Err(bad());
    }
    Ok((w, h))
}

/// `media-serve`.
pub async fn cmd_media_serve(a: MediaServeArgs) -> Result<bool> {
    let target = Target::parse(&a.target).await?;
    let path = match (&a.path, &a.upload_token) {
        (Some(p), _) => media::media_path(p)?,
        (None, Some(token)) => {
            let (w, h) = parse_size(&a.upload_size)?;
            let jpeg = tokio::task::spawn_blocking(move || images::photo_jpeg(w, h, 90, 2))
                .await
                .map_err(|e| Error::Usage(e.to_string()))??;
            let t0 = Instant::now();
            let e = media::upload_sync(&target, token, ("photo.jpg", "image/jpeg"), &jpeg).await?;
            let url = e
                .url
                .ok_or_else(|| Error::Unexpected(format!("attachment {} has no url", e.id)))?;
            println!(
                "uploaded a {w}×{h} JPEG of {} bytes with POST /api/v1/media in {}: attachment {}, {url}",
                jpeg.len(),
                fmt_duration(t0.elapsed()),
                e.id
            );
            media::media_path(&url)?
        }
        (None, None) => {
            return Err(Error::Usage("give --path or --upload-token".to_owned()));
        }
    };
    let file = match (&a.file, &a.data_dir) {
        (Some(f), _) => f.clone(),
        (None, Some(d)) => media::local_file(d, &path)?,
        (None, None) => return Err(Error::Usage("give --file or --data-dir".to_owned())),
    };
    let on_disk = Bytes::from(tokio::fs::read(&file).await?);
    let len = on_disk.len() as u64;
    println!("serving {path}: {} ({len} bytes)", file.display());

    // One checked answer first: the same bytes as the file.
    let mut c = Conn::connect(target.addr, Duration::from_secs(5)).await?;
    let (s, body) = c.send(get(&target, &path, &[])?).await?;
    if s != http::StatusCode::OK || body != on_disk {
        return Err(Error::Unexpected(format!(
            "GET {path}: {s} with {} bytes, not the {len} bytes of {}",
            body.len(),
            file.display()
        )));
    }
    let check = move |s: http::StatusCode, b: &Bytes| {
        (s != http::StatusCode::OK || b.len() as u64 != len)
            .then(|| format!("{s} with {} bytes, expected 200 with {len}", b.len()))
    };
    let (t, p, w) = (target.clone(), Arc::new(path.clone()), a.warmup);
    let warm = closed_loop_checked(
        &target,
        a.concurrency,
        move |i| (i < w).then(|| get(&t, &p, &[]).ok()).flatten(),
        check,
    )
    .await;
    print_run("media warm-up", &warm);
    let (t, p, n) = (target.clone(), Arc::new(path.clone()), a.requests);
    let http = closed_loop_checked(
        &target,
        a.concurrency,
        move |i| (i < n).then(|| get(&t, &p, &[]).ok()).flatten(),
        check,
    )
    .await;
    print_run(
        &format!("GET {path} ({} connections)", a.concurrency),
        &http,
    );
    let _ = media::read_file_loop(&file, a.concurrency, a.warmup, len).await;
    let disk = media::read_file_loop(&file, a.concurrency, a.requests, len).await;
    println!(
        "disk read ({} tasks): {} reads in {} = {:.0} reads/s",
        a.concurrency,
        disk.latencies.len() as u64 + disk.failures.values().sum::<u64>(),
        fmt_duration(disk.elapsed),
        disk.rate()
    );
    println!("disk read: latency {}", disk.latencies.summary());
    for (e, n) in &disk.failures {
        println!("disk read failed {n} times: {e}");
    }
    let ratio = |x: f64, y: f64| if y > 0.0 { x / y } else { 0.0 };
    let p99 = |l: &Latencies| l.percentile(99.0).map_or(0.0, |d| d.as_secs_f64());
    println!(
        "HTTP / disk: rate {:.3}×, p99 {:.2}× ({} vs {})",
        ratio(http.rate(), disk.rate()),
        ratio(p99(&http.latencies), p99(&disk.latencies)),
        http.latencies
            .percentile(99.0)
            .map_or_else(|| "-".to_owned(), fmt_duration),
        disk.latencies
            .percentile(99.0)
            .map_or_else(|| "-".to_owned(), fmt_duration),
    );
    Ok(warm.all_ok() && http.all_ok() && disk.failures.is_empty())
}
