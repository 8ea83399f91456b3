//! draft-cavage-http-signatures-12 Appendix C test vectors (public spec values).
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use http_sig::{
    parse_request, sign_request, verify, verify_request, PrivateKey, PublicKey, Scheme,
    SignOptions, VerifyPolicy,
};

const DATE: &str = "Sun, 05 Jan 2014 21:31:40 GMT";
const DATE_UNIX: u64 = 1_388_957_500;
const BODY: &[u8] = br#"{"hello": "world"}"#;

const SIG_C1: &str = "SjWJWbWN7i0wzBvtPl8rbASWz5xQW6mcJmn+ibttBqtifLN7Sazz6m79cNfwwb8DMJ5cou1s7uEGKKCs+FLEEaDV5lp7q25WqS+lavg7T8hc0GppauB6hbgEKTwblDHYGEtbGmtdHgVCk9SuS13F0hZ8FD0k/5OxEPXe5WozsbM=";
const SIG_C2: &str = "qdx+H7PHHDZgy4y/Ahn9Tny9V3GP6YgBPyUXMmoxWtLbHpUnXS2mg2+SbrQDMCJypxBLSPQR2aAjn7ndmw2iicw3HMbe8VfEdKFYRqzic+efkb3nndiv/x1xSHDJWeSWkx3ButlYSuBskLu6kd9Fswtemr3lgdDEmn04swr2Os0=";
const SIG_C3: &str = "vSdrb+dS3EceC9bcwHSo4MlyKS59iFIrhgYkz8+oVLEEzmYZZvRs8rgOp+63LEM3v+MFHB32NfpB2bEKBIvB1q52LaEUHFv120V01IL+TAD48XaERZFukWgHoBTLMhYS2Gb51gWxpeIq8knRmPnYePbF5MOkR0Zkly4zKH7s1dE=";

/// The Appendix C request, with one extra header.
fn c_request(extra: Option<(&str, &str)>) -> http::request::Parts {
    let mut h = vec![
        ("host", "example.com"),
        ("date", DATE),
        ("content-type", "application/json"),
        (
            "digest",
            "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
        ),
        ("content-length", "18"),
    ];
    if let Some(e) = extra {
        h.push(e);
    }
    request("POST", "/foo?param=value&pet=dog", &h)
}

fn keys(p: &'static http_sig::CryptoProvider) -> (PrivateKey, PublicKey) {
    (
        PrivateKey::from_pem_with(CAVAGE_PRIVATE, p).unwrap(),
        PublicKey::from_pem_with(CAVAGE_PUBLIC, p).unwrap(),
    )
}

fn options(components: &[&str]) -> SignOptions {
    let mut o = SignOptions::cavage("Test");
    o.components = Some(components.iter().map(|s| s.to_string()).collect());
    o.digest = None;
    o
}

#[test]
fn c1_default_test() {
    for_each_provider(|p| {
        let (sk, pk) = keys(p);
        for header in ["signature", "authorization"] {
            let value = format!(r#"keyId="Test",algorithm="rsa-sha256",signature="{SIG_C1}""#);
            let value = if header == "authorization" {
                format!("Signature {value}")
            } else {
                value
            };
            let parts = c_request(Some((header, &value)));
            let sigs = parse_request(&parts).unwrap();
            assert_eq!(sigs.len(), 1);
            let s = &sigs[0];
            assert_eq!(s.scheme, Scheme::Cavage);
            assert_eq!(s.key_id, "Test");
            assert_eq!(s.algorithm.as_deref(), Some("rsa-sha256"));
            // No `headers` parameter: the default is `date`.
            assert_eq!(
                String::from_utf8(s.signature_base.clone()).unwrap(),
                "date: Sun, 05 Jan 2014 21:31:40 GMT"
            );
            let v = verify(s, &pk, &VerifyPolicy::permissive(), at(DATE_UNIX)).unwrap();
            assert_eq!(v.key_id, "Test");
            // Mastodon's policy refuses a POST that does not cover the digest.
            let err = verify(s, &pk, &VerifyPolicy::default(), at(DATE_UNIX)).unwrap_err();
            assert!(err.is_not_covered(), "{err}");
        }
        // Signing reproduces the vector byte for byte (RSA PKCS#1 v1.5 is deterministic).
        let mut parts = c_request(None);
        sign_request(&mut parts, BODY, &sk, &options(&["date"]), at(DATE_UNIX)).unwrap();
        assert_eq!(
            parts.headers["signature"],
            format!(r#"keyId="Test",algorithm="rsa-sha256",headers="date",signature="{SIG_C1}""#)
                .as_str()
        );
    });
}

#[test]
fn c2_basic_test() {
    for_each_provider(|p| {
        let (sk, pk) = keys(p);
        let value = format!(
            r#"keyId="Test",algorithm="rsa-sha256",headers="(request-target) host date",signature="{SIG_C2}""#
        );
        let parts = c_request(Some(("authorization", &format!("Signature {value}"))));
        let s = parse_request(&parts).unwrap().remove(0);
        assert_eq!(
            String::from_utf8(s.signature_base.clone()).unwrap(),
            "(request-target): post /foo?param=value&pet=dog\nhost: example.com\ndate: Sun, 05 Jan 2014 21:31:40 GMT"
        );
        verify(&s, &pk, &VerifyPolicy::permissive(), at(DATE_UNIX)).unwrap();

        let mut parts = c_request(None);
        sign_request(
            &mut parts,
            BODY,
            &sk,
            &options(&["(request-target)", "host", "date"]),
            at(DATE_UNIX),
        )
        .unwrap();
        assert_eq!(parts.headers["signature"], value.as_str());
    });
}

#[test]
fn c3_all_headers_test_is_inconsistent_in_the_draft() {
    for_each_provider(|p| {
        let (sk, pk) = keys(p);
        // As printed in draft-12: the headers list includes (created) and (expires) but the
        // printed signature was computed without them (the draft-10 list). Honouring `headers`
        // therefore rejects it.
        let printed = format!(
            r#"keyId="Test",algorithm="rsa-sha256",created=1402170695, expires=1402170699,headers="(request-target) (created) (expires) host date content-type digest content-length",signature="{SIG_C3}""#
        );
        let parts = c_request(Some(("signature", &printed)));
        let s = parse_request(&parts).unwrap().remove(0);
        assert_eq!(s.created, Some(1_402_170_695));
        assert_eq!(s.expires, Some(1_402_170_699));
        assert_eq!(
            String::from_utf8(s.signature_base.clone()).unwrap(),
            "(request-target): post /foo?param=value&pet=dog\n(created): 1402170695\n(expires): 1402170699\nhost: example.com\ndate: Sun, 05 Jan 2014 21:31:40 GMT\ncontent-type: application/json\ndigest: SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=\ncontent-length: 18"
        );
        assert!(verify(&s, &pk, &VerifyPolicy::permissive(), at(DATE_UNIX))
            .unwrap_err()
            .is_bad_signature());

        // Over the signing string as printed (without the pseudo-headers) it verifies.
        let list = "(request-target) host date content-type digest content-length";
        let value =
            format!(r#"keyId="Test",algorithm="rsa-sha256",headers="{list}",signature="{SIG_C3}""#);
        let parts = c_request(Some(("signature", &value)));
        let s = parse_request(&parts).unwrap().remove(0);
        assert_eq!(
            String::from_utf8(s.signature_base.clone()).unwrap(),
            "(request-target): post /foo?param=value&pet=dog\nhost: example.com\ndate: Sun, 05 Jan 2014 21:31:40 GMT\ncontent-type: application/json\ndigest: SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=\ncontent-length: 18"
        );
        // The one-call path also checks the Digest header against the body.
        let parts_ref = &parts;
        let v = verify_request(
            parts_ref,
            BODY,
            &VerifyPolicy::default(),
            at(DATE_UNIX + 60),
            |id| (id == "Test").then(|| pk.clone()),
        )
        .unwrap();
        assert_eq!(v.scheme, Scheme::Cavage);
        assert_eq!(v.signed_at, Some(DATE_UNIX as i64));

        let comps: Vec<&str> = list.split(' ').collect();
        let mut parts = c_request(None);
        sign_request(&mut parts, BODY, &sk, &options(&comps), at(DATE_UNIX)).unwrap();
        assert_eq!(parts.headers["signature"], value.as_str());
    });
}
