#![no_main]
//! draft-cavage `Signature` / `Authorization: Signature` parsing and signature-base building.
//!
//! Input (text, one item per line):
//! ```text
//! METHOD /target            the request line (falls back to POST /inbox)
//! keyId="…",headers="…",…   the Signature header value
//! name: value               further headers (Host, Date, Digest, …), one per line
//! ```
//! Nothing may panic; whatever parses must be a cavage signature whose base lists exactly its
//! covered components, and verification with an unrelated key must fail.

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

fn request(input: &str) -> Option<http::request::Parts> {
    let mut lines = input.split('\n');
    let first = lines.next().unwrap_or_default();
    let (method, target) = first.split_once(' ').unwrap_or(("POST", "/inbox"));
    let mut builder = http::Request::builder()
        .method(http::Method::from_bytes(method.as_bytes()).unwrap_or(http::Method::POST))
        .uri(
            target
                .parse::<http::Uri>()
                .unwrap_or_else(|_| http::Uri::from_static("/inbox")),
        );
    let signature = lines.next()?;
    let name = if signature
        .get(..10)
        .is_some_and(|p| p.eq_ignore_ascii_case("signature "))
    {
        "authorization"
    } else {
        "signature"
    };
    builder = builder.header(name, http::HeaderValue::from_str(signature).ok()?);
    for line in lines {
        if let Some((n, v)) = line.split_once(':') {
            if let (Ok(n), Ok(v)) = (
                http::HeaderName::from_bytes(n.trim().as_bytes()),
                http::HeaderValue::from_str(v.trim()),
            ) {
                builder = builder.header(n, v);
            }
        }
    }
    builder.body(()).ok().map(|r| r.into_parts().0)
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let Some(parts) = request(input) else {
        return;
    };
    let Ok(sigs) = http_sig::parse_request(&parts) else {
        return;
    };
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    for sig in &sigs {
        assert_eq!(sig.scheme, Scheme::Cavage);
        assert!(sig.label.is_none());
        // One line of the base per covered component, in order.
        let base = String::from_utf8_lossy(&sig.signature_base);
        let lines: Vec<&str> = base.split('\n').collect();
        assert_eq!(lines.len(), sig.components.len().max(1), "{base:?}");
        for (line, c) in lines.iter().zip(&sig.components) {
            assert!(
                line.starts_with(&format!("{}: ", c.identifier)),
                "{line:?} / {c:?}"
            );
        }
        let _ = http_sig::check_policy(sig, &VerifyPolicy::default(), now);
        assert!(http_sig::verify(sig, key(), &VerifyPolicy::permissive(), now).is_err());
    }
    let _ = http_sig::verify_request(&parts, b"", &VerifyPolicy::default(), now, |_| {
        Some(key().clone())
    });
});
