#![no_main]
//! RFC 9421 `Signature-Input` + `Signature` parsing (structured fields, derived components,
//! parameters) and signature-base building, for requests and responses.
//!
//! Input (text, one item per line):
//! ```text
//! METHOD https://host/target?query   the request line (falls back to POST https://example.com/foo)
//! sig1=("@method" …);created=…       the Signature-Input header value
//! sig1=:…:                           the Signature header value
//! name: value                        further headers, one per line
//! ```
//! Nothing may panic; whatever parses must be an RFC 9421 signature whose base ends with its
//! `@signature-params` line, and verification with an unrelated key must fail.

use std::sync::OnceLock;
use std::time::{Duration, UNIX_EPOCH};

use http_sig::{PrivateKey, PublicKey, Scheme, VerifyPolicy};

fn key() -> &'static PublicKey {
    static KEY: OnceLock<PublicKey> = OnceLock::new();
    KEY.get_or_init(|| {
        PrivateKey::generate_ed25519()
            .expect("ring generates Ed25519 keys")
            .public_key()
            .clone()
    })
}

fn headers(lines: std::str::Split<'_, char>) -> Option<http::HeaderMap> {
    let mut map = http::HeaderMap::new();
    let mut lines = lines;
    let input = lines.next()?;
    let signature = lines.next().unwrap_or_default();
    map.append("signature-input", http::HeaderValue::from_str(input).ok()?);
    map.append("signature", http::HeaderValue::from_str(signature).ok()?);
    for line in lines {
        if let Some((n, v)) = line.split_once(':') {
            if let (Ok(n), Ok(v)) = (
                http::HeaderName::from_bytes(n.trim().as_bytes()),
                http::HeaderValue::from_str(v.trim()),
            ) {
                map.append(n, v);
            }
        }
    }
    Some(map)
}

fn check(sigs: &[http_sig::ParsedSignature]) {
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    for sig in sigs {
        if sig.scheme != Scheme::Rfc9421 {
            continue;
        }
        assert!(sig.label.is_some());
        let base = String::from_utf8_lossy(&sig.signature_base);
        let last = base.rsplit('\n').next().unwrap_or_default();
        assert!(last.starts_with("\"@signature-params\": ("), "{base:?}");
        assert_eq!(
            base.split('\n').count(),
            sig.components.len() + 1,
            "{base:?}"
        );
        let _ = http_sig::check_policy(sig, &VerifyPolicy::default(), now);
        assert!(http_sig::verify(sig, key(), &VerifyPolicy::permissive(), now).is_err());
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines = input.split('\n');
    let first = lines.next().unwrap_or_default();
    let (method, target) = first
        .split_once(' ')
        .unwrap_or(("POST", "https://example.com/foo"));
    let method = http::Method::from_bytes(method.as_bytes()).unwrap_or(http::Method::POST);
    let uri = target
        .parse::<http::Uri>()
        .unwrap_or_else(|_| http::Uri::from_static("https://example.com/foo"));
    let Some(map) = headers(lines) else {
        return;
    };

    // As a request.
    let Ok(request) = http::Request::builder().method(method).uri(uri).body(()) else {
        return;
    };
    let (mut req, ()) = request.into_parts();
    req.headers = map.clone();
    if let Ok(sigs) = http_sig::parse_request(&req) {
        check(&sigs);
    }

    // As a response to that request (components marked `;req` come from the request).
    let (mut res, ()) = http::Response::new(()).into_parts();
    res.headers = map;
    if let Ok(sigs) = http_sig::parse_response(&res, Some(&req)) {
        check(&sigs);
    }
    let _ = http_sig::parse_response(&res, None);
});
