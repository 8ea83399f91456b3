//! HTTP Signatures: what an inbox pays per delivery, and how close that is to the hardware.
//!
//! Criterion measures, per compiled-in crypto provider (`ring`; `aws-lc-rs` with
//! `--features aws-lc-rs`):
//! - `verify/*`: a Mastodon-style signed POST (2 KB JSON activity), key already parsed,
//!   including the body digest check — draft-cavage RSA-2048, draft-cavage Ed25519, RFC 9421
//!   RSA-2048, RFC 9421 Ed25519;
//! - `sign/*`: signing the same requests (digest, `Date`, signature header);
//! - `parse/*`: parsing the signature header(s) and building the signature base alone;
//! - `raw/*`: the bare RSA-2048 / Ed25519 verify of the provider, for reference;
//! - `apfr/*`: the verification path of activitypub-federation-rust, done with the crates it
//!   uses (`http-signature-normalization` 0.7 builds the signing string, the pure-Rust `rsa`
//!   crate verifies, `sha2` checks the digest). It re-parses the PEM key on every request; the
//!   `key-preparsed` variant does not.
//!
//! Then, in the same process, a summary measures the rates that the targets compare with its
//! own loop and runs `openssl speed -seconds 3 rsa2048` (the practical single-core limit),
//! and prints the ratios. All rates there are per second of CPU time on one core (the clock
//! `openssl speed` uses, so the comparison holds on a busy machine); set
//! `WOOLLY_BENCH_NO_SUMMARY=1` to skip it.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use criterion::Criterion;
use http_sig::{Algorithm, CryptoProvider, PrivateKey, PublicKey, SignOptions, VerifyPolicy};
use rsa::pkcs8::DecodePublicKey as _;
use sha2::Digest as _;

const KEY_ID: &str = "https://woolly.example/users/alice#main-key";
const INBOX: &str = "https://remote.example/users/bob/inbox";

/// A Mastodon-shaped `Create(Note)` of about 2 KB.
fn activity() -> Vec<u8> {
    let mut content = String::from("<p>");
    while content.len() < 1300 {
        content.push_str(
            "Benchmarking the inbox path of a small fediverse server, one delivery at a time. ",
        );
    }
    content.push_str("</p>");
    let doc = serde_json::json!({
        "@context": ["https://www.w3.org/ns/activitystreams", {"sensitive": "as:sensitive"}],
        "id": "https://woolly.example/users/alice/statuses/110000000000000001/activity",
        "type": "Create",
        "actor": "https://woolly.example/users/alice",
        "published": "2023-11-14T22:13:20Z",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": ["https://woolly.example/users/alice/followers"],
        "object": {
            "id": "https://woolly.example/users/alice/statuses/110000000000000001",
            "type": "Note",
            "url": "https://woolly.example/@alice/110000000000000001",
            "attributedTo": "https://woolly.example/users/alice",
            "content": content,
            "sensitive": false,
            "published": "2023-11-14T22:13:20Z",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": ["https://woolly.example/users/alice/followers"],
            "tag": [],
            "attachment": []
        }
    });
    serde_json::to_vec(&doc).expect("serializes")
}

fn unsigned_post() -> http::request::Parts {
    http::Request::post(INBOX)
        .header("content-type", "application/activity+json")
        .header("user-agent", "Woolly/0.1 (+https://woolly.example/)")
        .body(())
        .expect("valid request")
        .into_parts()
        .0
}

/// One signed request of the benchmark set.
struct Case {
    name: &'static str,
    key: PrivateKey,
    public: PublicKey,
    options: SignOptions,
    signed: http::request::Parts,
}

struct Fixture {
    body: Vec<u8>,
    now: SystemTime,
    cases: Vec<Case>,
    rsa_public_pem: String,
}

fn fixture(provider: &'static CryptoProvider, rsa: &PrivateKey, ed: &PrivateKey) -> Fixture {
    let body = activity();
    let now = SystemTime::now();
    let mut cases = Vec::new();
    for (name, key, options) in [
        ("cavage-rsa2048", rsa, SignOptions::cavage(KEY_ID)),
        ("cavage-ed25519", ed, SignOptions::cavage(KEY_ID)),
        ("rfc9421-rsa2048", rsa, SignOptions::rfc9421(KEY_ID)),
        ("rfc9421-ed25519", ed, SignOptions::rfc9421(KEY_ID)),
    ] {
        let key = key.with_provider(provider).expect("provider takes the key");
        // What a receiver does once per actor: parse the published PEM, then cache it.
        let pem = key.public_key().to_pem().expect("exports");
        let public = PublicKey::from_pem_with(&pem, provider).expect("parses");
        let mut signed = unsigned_post();
        http_sig::sign_request(&mut signed, &body, &key, &options, now).expect("signs");
        cases.push(Case {
            name,
            key,
            public,
            options,
            signed,
        });
    }
    let rsa_public_pem = rsa.public_key().to_pem().expect("exports");
    Fixture {
        body,
        now,
        cases,
        rsa_public_pem,
    }
}

fn verify_full(case: &Case, body: &[u8], now: SystemTime) -> bool {
    http_sig::verify_request(&case.signed, body, &VerifyPolicy::default(), now, |_| {
        Some(case.public.clone())
    })
    .is_ok()
}

fn sign_full(case: &Case, body: &[u8], now: SystemTime) -> http::request::Parts {
    let mut parts = unsigned_post();
    http_sig::sign_request(&mut parts, body, &case.key, &case.options, now).expect("signs");
    parts
}

fn parse_only(case: &Case) -> usize {
    http_sig::parse_request(&case.signed)
        .map(|sigs| sigs[0].signature_base.len())
        .unwrap_or(0)
}

/// activitypub-federation-rust's inbox check, rebuilt from the crates it uses: headers into a
/// `BTreeMap<String, String>`, `http-signature-normalization` builds the signing string (and
/// checks `Date` against the clock), the `rsa` crate verifies PKCS#1 v1.5 / SHA-256, and the
/// `Digest` header is compared with the body's SHA-256.
fn apfr_verify(
    parts: &http::request::Parts,
    body: &[u8],
    public_pem: &str,
    preparsed: Option<&rsa::RsaPublicKey>,
) -> bool {
    let config = http_signature_normalization::Config::new()
        .set_expiration(Duration::from_secs(3600))
        .require_digest();
    let mut headers = BTreeMap::new();
    for (name, value) in &parts.headers {
        if let Ok(v) = value.to_str() {
            headers.insert(name.to_string(), v.to_string());
        }
    }
    let path_and_query = parts.uri.path_and_query().map_or("", |p| p.as_str());
    let Ok(unverified) = config.begin_verify(parts.method.as_str(), path_and_query, headers) else {
        return false;
    };
    let signature_ok = unverified.verify(|signature, signing_string| {
        let parsed;
        let key = match preparsed {
            Some(k) => k,
            None => match rsa::RsaPublicKey::from_public_key_pem(public_pem) {
                Ok(k) => {
                    parsed = k;
                    &parsed
                }
                Err(_) => return false,
            },
        };
        let Ok(sig) = B64.decode(signature) else {
            return false;
        };
        key.verify(
            rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
            &sha2::Sha256::digest(signing_string.as_bytes()),
            &sig,
        )
        .is_ok()
    });
    if !signature_ok {
        return false;
    }
    // The body digest: every `alg=value` part compared with the body's SHA-256.
    let Some(digest) = parts.headers.get("digest").and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let expected = B64.encode(sha2::Sha256::digest(body));
    digest
        .split(',')
        .filter_map(|p| p.split_once('='))
        .all(|(_, v)| v == expected)
}

fn bench_provider(c: &mut Criterion, provider: &'static CryptoProvider, f: &Fixture) {
    let p = provider.name();
    let mut group = c.benchmark_group(format!("sig/{p}"));
    for case in &f.cases {
        assert!(
            verify_full(case, &f.body, f.now),
            "{} must verify",
            case.name
        );
        group.bench_function(format!("verify/{}", case.name), |b| {
            b.iter(|| verify_full(black_box(case), black_box(&f.body), f.now))
        });
    }
    for case in &f.cases {
        group.bench_function(format!("sign/{}", case.name), |b| {
            b.iter(|| sign_full(black_box(case), black_box(&f.body), f.now))
        });
    }
    for case in f.cases.iter().filter(|c| c.name.ends_with("rsa2048")) {
        assert!(parse_only(case) > 0);
        group.bench_function(format!("parse/{}", case.name), |b| {
            b.iter(|| parse_only(black_box(case)))
        });
    }
    for case in f.cases.iter().filter(|c| c.name.starts_with("rfc9421")) {
        let sig = &http_sig::parse_request(&case.signed).expect("parses")[0];
        let alg = http_sig::signature_algorithm(sig, &case.public).expect("algorithm");
        let raw = case.name.trim_start_matches("rfc9421-");
        group.bench_function(format!("raw/verify-{raw}"), |b| {
            b.iter(|| {
                case.public
                    .verify_raw(alg, black_box(&sig.signature_base), &sig.signature)
                    .is_ok()
            })
        });
        group.bench_function(format!("raw/sign-{raw}"), |b| {
            b.iter(|| case.key.sign_raw(alg, black_box(&sig.signature_base)))
        });
    }
    group.finish();
}

fn bench_apfr(c: &mut Criterion, f: &Fixture) {
    let case = &f.cases[0];
    let preparsed = rsa::RsaPublicKey::from_public_key_pem(&f.rsa_public_pem).expect("parses");
    assert!(apfr_verify(&case.signed, &f.body, &f.rsa_public_pem, None));
    assert!(apfr_verify(
        &case.signed,
        &f.body,
        &f.rsa_public_pem,
        Some(&preparsed)
    ));
    let mut group = c.benchmark_group("sig/apfr");
    group.bench_function("verify/cavage-rsa2048", |b| {
        b.iter(|| apfr_verify(black_box(&case.signed), &f.body, &f.rsa_public_pem, None))
    });
    group.bench_function("verify/cavage-rsa2048-key-preparsed", |b| {
        b.iter(|| {
            apfr_verify(
                black_box(&case.signed),
                &f.body,
                &f.rsa_public_pem,
                Some(&preparsed),
            )
        })
    });
    group.finish();
}

// ---------------------------------------------------------------------------------------------
// The summary: rates per CPU-second, side by side with `openssl speed`.

/// This thread's CPU time (`/proc/thread-self/schedstat`, nanoseconds on the CPU); `None`
/// where that file does not exist.
fn thread_cpu_time() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// Operations per second of CPU time (wall time where CPU time is unavailable): the best of
/// three runs of about `secs` seconds each.
fn rate(secs: f64, mut op: impl FnMut()) -> f64 {
    let mut best: f64 = 0.0;
    for _ in 0..3 {
        let (wall0, cpu0) = (Instant::now(), thread_cpu_time());
        let mut n: u64 = 0;
        while wall0.elapsed().as_secs_f64() < secs {
            for _ in 0..16 {
                op();
            }
            n += 16;
        }
        let spent = match (cpu0, thread_cpu_time()) {
            (Some(a), Some(b)) if b > a => (b - a).as_secs_f64(),
            _ => wall0.elapsed().as_secs_f64(),
        };
        best = best.max(n as f64 / spent);
    }
    best
}

/// `openssl speed -seconds 3 rsa2048`, run as a child process (bounded to 90 s, killed by its
/// PID after that): RSA-2048 sign and verify operations per CPU-second on one core.
#[derive(Debug, Clone, Copy)]
struct OpensslRates {
    sign_per_s: f64,
    verify_per_s: f64,
}

fn openssl_speed() -> Result<OpensslRates, String> {
    use std::io::Read as _;
    use std::process::{Command, Stdio};

    let mut child = Command::new("openssl")
        .args(["speed", "-seconds", "3", "rsa2048"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("openssl is not available here ({e})"))?;
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).map(|_| s)
    });
    let deadline = Instant::now() + Duration::from_secs(90);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err("openssl speed did not finish within 90 s".to_owned());
            }
            Err(e) => return Err(format!("waiting for openssl: {e}")),
        }
    };
    let out = reader
        .join()
        .map_err(|_| "reader thread panicked".to_owned())?
        .map_err(|e| format!("reading openssl output: {e}"))?;
    if !status.success() {
        return Err(format!("openssl speed failed: {status}"));
    }
    parse_openssl_speed(&out).ok_or_else(|| format!("cannot read openssl speed output:\n{out}"))
}

/// Reads the summary line `rsa 2048 bits 0.000427s 0.000023s   2341.4  42819.0`
/// (time per sign, time per verify, signs/s, verifies/s).
fn parse_openssl_speed(out: &str) -> Option<OpensslRates> {
    let line = out.lines().find(|l| {
        let mut w = l.split_whitespace();
        w.next() == Some("rsa") && w.next() == Some("2048") && w.next() == Some("bits")
    })?;
    let nums: Vec<f64> = line
        .split_whitespace()
        .skip(3)
        .filter_map(|t| t.trim_end_matches('s').parse().ok())
        .collect();
    match nums.as_slice() {
        [_, _, sign, verify, ..] => Some(OpensslRates {
            sign_per_s: *sign,
            verify_per_s: *verify,
        }),
        _ => None,
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "MISSED"
    }
}

fn summary(fixtures: &[(&'static CryptoProvider, Fixture)]) {
    const SECS: f64 = 1.0;
    println!();
    println!("== http-sig summary: rates per CPU-second on one core, measured in this process ==");
    let openssl = openssl_speed();
    match &openssl {
        Ok(o) => println!(
            "openssl speed rsa2048:             verify {:>9.0}/s ({:.1} µs)   sign {:>7.0}/s ({:.0} µs)",
            o.verify_per_s,
            1e6 / o.verify_per_s,
            o.sign_per_s,
            1e6 / o.sign_per_s
        ),
        Err(e) => println!("openssl speed rsa2048: not measured: {e}"),
    }

    let (_, first) = &fixtures[0];
    let case = &first.cases[0];
    let preparsed = rsa::RsaPublicKey::from_public_key_pem(&first.rsa_public_pem).expect("parses");
    let apfr = rate(SECS, || {
        black_box(apfr_verify(
            &case.signed,
            &first.body,
            &first.rsa_public_pem,
            None,
        ));
    });
    let apfr_pre = rate(SECS, || {
        black_box(apfr_verify(
            &case.signed,
            &first.body,
            &first.rsa_public_pem,
            Some(&preparsed),
        ));
    });
    println!(
        "activitypub-federation-rust path:  verify {apfr:>9.0}/s ({:.0} µs; key pre-parsed: {apfr_pre:.0}/s, {:.0} µs)",
        1e6 / apfr,
        1e6 / apfr_pre
    );

    for (provider, f) in fixtures {
        let p = provider.name();
        let by_name = |n: &str| f.cases.iter().find(|c| c.name == n).expect("case exists");
        let cav = by_name("cavage-rsa2048");
        let verify = rate(SECS, || {
            black_box(verify_full(cav, &f.body, f.now));
        });
        let sign = rate(SECS, || {
            black_box(sign_full(cav, &f.body, f.now));
        });
        let parse_cav = rate(SECS, || {
            black_box(parse_only(cav));
        });
        let rfc = by_name("rfc9421-rsa2048");
        let parse_rfc = rate(SECS, || {
            black_box(parse_only(rfc));
        });
        let sig = &http_sig::parse_request(&cav.signed).expect("parses")[0];
        let raw_verify = rate(SECS, || {
            black_box(
                cav.public
                    .verify_raw(
                        Algorithm::RsaV1_5Sha256,
                        &sig.signature_base,
                        &sig.signature,
                    )
                    .is_ok(),
            );
        });
        let raw_sign = rate(SECS, || {
            black_box(
                cav.key
                    .sign_raw(Algorithm::RsaV1_5Sha256, &sig.signature_base)
                    .is_ok(),
            );
        });
        let extra: Vec<String> = ["cavage-ed25519", "rfc9421-rsa2048", "rfc9421-ed25519"]
            .iter()
            .map(|n| {
                let c = by_name(n);
                let r = rate(SECS / 2.0, || {
                    black_box(verify_full(c, &f.body, f.now));
                });
                format!("{n} {r:.0}/s ({:.1} µs)", 1e6 / r)
            })
            .collect();

        println!("--- provider {p} ---");
        println!(
            "full cavage verify (RSA-2048, 2 KB POST, digest):  {verify:>8.0}/s ({:.1} µs)   raw RSA verify {raw_verify:.0}/s ({:.1} µs)",
            1e6 / verify,
            1e6 / raw_verify
        );
        println!(
            "full cavage sign   (RSA-2048, 2 KB POST, digest):  {sign:>8.0}/s ({:.0} µs)    raw RSA sign {raw_sign:.0}/s ({:.0} µs)",
            1e6 / sign,
            1e6 / raw_sign
        );
        println!("other full verifies: {}", extra.join("; "));
        let (t_cav, t_rfc) = (1e6 / parse_cav, 1e6 / parse_rfc);
        println!(
            "parse + signature base: cavage {t_cav:.2} µs, rfc9421 {t_rfc:.2} µs   (target ≤ 3 µs: {})",
            verdict(t_cav <= 3.0 && t_rfc <= 3.0)
        );
        let (verify_target, sign_target) = match p {
            "aws-lc-rs" => (0.90, 0.90),
            _ => (0.70, 0.45),
        };
        if let Ok(o) = &openssl {
            let rv = verify / o.verify_per_s;
            let rs = sign / o.sign_per_s;
            println!(
                "ratio full cavage verify / openssl verify = {rv:.2}   (target ≥ {verify_target:.2}: {})",
                verdict(rv >= verify_target)
            );
            println!(
                "ratio full cavage sign / openssl sign     = {rs:.2}   (target ≥ {sign_target:.2}: {})",
                verdict(rs >= sign_target)
            );
            println!(
                "ratio raw verify / openssl verify = {:.2}; raw sign / openssl sign = {:.2}",
                raw_verify / o.verify_per_s,
                raw_sign / o.sign_per_s
            );
        }
        let ra = verify / apfr;
        println!(
            "ratio full cavage verify / activitypub-federation-rust path = {ra:.1}x   (target ≥ 8x: {}; vs its path with the key pre-parsed: {:.1}x)",
            verdict(ra >= 8.0),
            verify / apfr_pre
        );
    }
}

fn main() {
    // Keys are generated once (the same keys for every provider).
    let rsa = PrivateKey::generate_rsa(2048).expect("RSA-2048 key generation");
    let ed = PrivateKey::generate_ed25519().expect("Ed25519 key generation");
    let fixtures: Vec<(&'static CryptoProvider, Fixture)> = CryptoProvider::all()
        .iter()
        .map(|p| (*p, fixture(p, &rsa, &ed)))
        .collect();

    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
        .configure_from_args();
    for (p, f) in &fixtures {
        bench_provider(&mut c, p, f);
    }
    bench_apfr(&mut c, &fixtures[0].1);
    c.final_summary();

    let bench_mode = std::env::args().any(|a| a == "--bench");
    if bench_mode && std::env::var_os("WOOLLY_BENCH_NO_SUMMARY").is_none() {
        summary(&fixtures);
    }
}
