//! Digest (RFC 3230) and Content-Digest (RFC 9530).
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use http::HeaderMap;
use http_sig::digest::{
    content_digest_value, digest_value, verify_content_digest_value, verify_digest_value,
    DigestHeader,
};
use http_sig::{verify_body_digest, DigestAlgorithm};

const BODY: &[u8] = br#"{"hello": "world"}"#;
// SHA-256 / SHA-512 of BODY (the values in draft-cavage Appendix C and RFC 9421 Appendix B).
const SHA256: &str = "X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=";
const SHA512: &str =
    "WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==";

#[test]
fn creates_exact_values() {
    for_each_provider(|p| {
        assert_eq!(
            digest_value(p, DigestAlgorithm::Sha256, BODY),
            format!("SHA-256={SHA256}")
        );
        assert_eq!(
            digest_value(p, DigestAlgorithm::Sha512, BODY),
            format!("SHA-512={SHA512}")
        );
        assert_eq!(
            content_digest_value(p, DigestAlgorithm::Sha256, BODY),
            format!("sha-256=:{SHA256}:")
        );
        assert_eq!(
            content_digest_value(p, DigestAlgorithm::Sha512, BODY),
            format!("sha-512=:{SHA512}:")
        );
        assert_eq!(
            digest_value(p, DigestAlgorithm::Sha256, b""),
            "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    });
}

#[test]
fn digest_header_rules() {
    for_each_provider(|p| {
        // Case-insensitive names, several values, unknown algorithms skipped, spaces tolerated.
        for ok in [
            format!("SHA-256={SHA256}"),
            format!("sha-256={SHA256}"),
            format!("MD5=abc, SHA-256={SHA256}"),
            format!("SHA-256={SHA256},SHA-512={SHA512}"),
            format!(" SHA-512 = {SHA512} "),
        ] {
            verify_digest_value(p, &ok, BODY).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        assert_eq!(
            verify_digest_value(p, &format!("SHA-256={SHA256}, SHA-512={SHA512}"), BODY).unwrap(),
            vec![DigestAlgorithm::Sha256, DigestAlgorithm::Sha512]
        );
        // Any listed supported value that mismatches fails, even if another matches.
        let err = verify_digest_value(p, &format!("SHA-256={SHA256}, SHA-512={SHA256}"), BODY)
            .unwrap_err();
        assert!(err.is_digest_mismatch());
        assert!(
            verify_digest_value(p, &format!("SHA-256={SHA256}"), b"other")
                .unwrap_err()
                .is_digest_mismatch()
        );
        assert!(verify_digest_value(p, "MD5=abc", BODY)
            .unwrap_err()
            .is_unsupported_algorithm());
        assert!(verify_digest_value(p, "SHA-256", BODY)
            .unwrap_err()
            .is_malformed());
        assert!(verify_digest_value(p, "SHA-256=***", BODY)
            .unwrap_err()
            .is_malformed());
        assert!(verify_digest_value(p, "", BODY).unwrap_err().is_malformed());
    });
}

#[test]
fn content_digest_rules() {
    for_each_provider(|p| {
        verify_content_digest_value(p, &format!("sha-256=:{SHA256}:"), BODY).unwrap();
        verify_content_digest_value(p, &format!("sha-512=:{SHA512}:, sha-256=:{SHA256}:"), BODY)
            .unwrap();
        verify_content_digest_value(p, &format!("md5=:AAAA:, sha-512=:{SHA512}:"), BODY).unwrap();
        let err = verify_content_digest_value(p, &format!("sha-256=:{SHA256}:"), b"x").unwrap_err();
        assert_eq!(err, http_sig::Error::DigestMismatch("Content-Digest"));
        assert!(verify_content_digest_value(p, "md5=:AAAA:", BODY)
            .unwrap_err()
            .is_unsupported_algorithm());
        assert!(
            verify_content_digest_value(p, &format!("sha-256={SHA256}"), BODY)
                .unwrap_err()
                .is_malformed()
        );
        assert!(
            verify_content_digest_value(p, "sha-256=:not base64!:", BODY)
                .unwrap_err()
                .is_malformed()
        );
    });
}

#[test]
fn body_digest_over_headers() {
    for_each_provider(|p| {
        let mut h = HeaderMap::new();
        assert!(verify_body_digest(p, &h, BODY)
            .unwrap_err()
            .is_digest_missing());
        h.insert("digest", format!("SHA-256={SHA256}").parse().unwrap());
        assert_eq!(
            verify_body_digest(p, &h, BODY).unwrap().checked,
            vec![DigestHeader::Digest]
        );
        h.insert(
            "content-digest",
            format!("sha-512=:{SHA512}:").parse().unwrap(),
        );
        assert_eq!(
            verify_body_digest(p, &h, BODY).unwrap().checked,
            vec![DigestHeader::ContentDigest, DigestHeader::Digest]
        );
        // Both present: both must match.
        h.insert("digest", format!("SHA-256={SHA512}").parse().unwrap());
        assert_eq!(
            verify_body_digest(p, &h, BODY).unwrap_err(),
            http_sig::Error::DigestMismatch("Digest")
        );
        // Repeated Digest field lines are combined.
        let mut h = HeaderMap::new();
        h.append("digest", "MD5=abc".parse().unwrap());
        h.append("digest", format!("SHA-256={SHA256}").parse().unwrap());
        verify_body_digest(p, &h, BODY).unwrap();
    });
}
