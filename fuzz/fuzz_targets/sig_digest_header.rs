#![no_main]
//! `Digest` (RFC 3230) and `Content-Digest` (RFC 9530) parsing and checking.
//!
//! Input: line 1 is a `Digest` value, line 2 a `Content-Digest` value, the rest is the body.
//! Nothing may panic; a digest we compute for the body always verifies, and a successful
//! check of a fuzzed value names only algorithms we implement.

use http_sig::digest::{
    content_digest_value, digest_value, verify_content_digest_value, verify_digest_value,
};
use http_sig::{CryptoProvider, DigestAlgorithm};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |&b| b == b'\n');
    let digest = parts.next().unwrap_or_default();
    let content_digest = parts.next().unwrap_or_default();
    let body = parts.next().unwrap_or_default();
    let digest = String::from_utf8_lossy(digest);
    let content_digest = String::from_utf8_lossy(content_digest);

    for p in CryptoProvider::all() {
        if let Ok(algs) = verify_digest_value(p, &digest, body) {
            assert!(!algs.is_empty());
        }
        if let Ok(algs) = verify_content_digest_value(p, &content_digest, body) {
            assert!(!algs.is_empty());
        }
        let mut headers = http::HeaderMap::new();
        if let Ok(v) = http::HeaderValue::from_str(&digest) {
            headers.insert("digest", v);
        }
        if let Ok(v) = http::HeaderValue::from_str(&content_digest) {
            headers.insert("content-digest", v);
        }
        let _ = http_sig::verify_body_digest(p, &headers, body);

        // What we produce for this body always verifies against it.
        for alg in [DigestAlgorithm::Sha256, DigestAlgorithm::Sha512] {
            let ours = digest_value(p, alg, body);
            assert_eq!(verify_digest_value(p, &ours, body), Ok(vec![alg]), "{ours}");
            let ours = content_digest_value(p, alg, body);
            assert_eq!(
                verify_content_digest_value(p, &ours, body),
                Ok(vec![alg]),
                "{ours}"
            );
        }
    }
});
