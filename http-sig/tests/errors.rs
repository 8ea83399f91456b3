//! Negative cases: every error variant, from the inputs that cause it.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::time::Duration;

use common::*;
use http_sig::{
    check_policy, parse_request, parse_response, sign_request, sign_response, verify,
    verify_request, Algorithm, Error, KeyKind, PrivateKey, PublicKey, SignOptions, VerifyPolicy,
};

const NOW: u64 = 1_700_000_000;
const KEY_ID: &str = "https://a.example/actor#main-key";
const BODY: &[u8] = b"{}";

fn ed() -> PrivateKey {
    PrivateKey::from_pem(RFC_ED25519_PRIVATE).unwrap()
}

fn signed(method: &str, opts: &SignOptions, body: &[u8]) -> http::request::Parts {
    let mut parts = request(method, "https://b.example/inbox", &[]);
    sign_request(&mut parts, body, &ed(), opts, at(NOW)).unwrap();
    parts
}

fn with_header(name: &str, value: &str) -> http::request::Parts {
    request(
        "POST",
        "https://b.example/inbox?x=1",
        &[
            ("host", "b.example"),
            ("date", "Tue, 14 Nov 2023 22:13:20 GMT"),
            (name, value),
        ],
    )
}

fn cavage_parse(value: &str) -> Result<Vec<http_sig::ParsedSignature>, Error> {
    parse_request(&with_header("signature", value))
}

fn rfc_parse(input: &str, sig: &str) -> Result<Vec<http_sig::ParsedSignature>, Error> {
    let mut parts = with_header("signature-input", input);
    parts.headers.insert("signature", sig.parse().unwrap());
    parse_request(&parts)
}

fn ok_verify(
    parts: &http::request::Parts,
    body: &[u8],
    policy: &VerifyPolicy,
    now: u64,
) -> Result<http_sig::Verified, Error> {
    verify_request(parts, body, policy, at(now), |_| {
        Some(ed().public_key().clone())
    })
}

#[test]
fn missing_signature() {
    let parts = request("POST", "https://b.example/inbox", &[("host", "b.example")]);
    assert_eq!(
        parse_request(&parts).unwrap_err(),
        Error::MissingSignature(None)
    );
    assert!(ok_verify(&parts, BODY, &VerifyPolicy::default(), NOW)
        .unwrap_err()
        .is_missing_signature());
    // `Authorization` with another scheme is not a signature.
    let parts = with_header("authorization", "Bearer abc");
    assert!(parse_request(&parts).unwrap_err().is_missing_signature());
    // A label that is not there.
    let parts = signed("POST", &SignOptions::rfc9421(KEY_ID), BODY);
    let mut policy = VerifyPolicy::default();
    policy.label = Some("sig2".into());
    assert_eq!(
        ok_verify(&parts, BODY, &policy, NOW).unwrap_err(),
        Error::MissingSignature(Some("sig2".into()))
    );
    let resp = response(200, &[]);
    assert!(parse_response(&resp, None)
        .unwrap_err()
        .is_missing_signature());
}

#[test]
fn malformed_cavage_headers() {
    let good_sig = "AAAA";
    for bad in [
        format!(r#"algorithm="hs2019",signature="{good_sig}""#), // no keyId
        r#"keyId="k",algorithm="hs2019""#.to_owned(),            // no signature
        r#"keyId="k",signature="***""#.to_owned(),               // not base64
        r#"keyId="k,signature="AAAA""#.to_owned(),               // unterminated
        format!(r#"keyId="k",keyId="j",signature="{good_sig}""#), // duplicate
        format!(r#"keyId="k" signature="{good_sig}""#),          // no comma
        format!(r#"keyId,signature="{good_sig}""#),              // no value
        format!(r#"keyId="k",headers="(bogus)",signature="{good_sig}""#), // unknown pseudo
        format!(r#"keyId="k",headers="  ",signature="{good_sig}""#), // empty list
        format!(r#"keyId="k",created=soon,signature="{good_sig}""#), // bad created
        format!(r#"keyId="k\"x",signature="{good_sig}""#),       // escapes
        "=".to_owned(),
        "\"".to_owned(),
        r#"keyId="k",signature="AAAA",%%"#.to_owned(),
    ] {
        let err = cavage_parse(&bad).expect_err(&bad);
        assert!(err.is_malformed(), "{bad}: {err:?}");
    }
    // An unparsable covered Date.
    let mut parts = with_header("signature", r#"keyId="k",headers="date",signature="AAAA""#);
    parts.headers.insert("date", "yesterday".parse().unwrap());
    assert!(parse_request(&parts).unwrap_err().is_malformed());
}

#[test]
fn malformed_rfc9421_headers() {
    for (input, sig) in [
        ("sig1=(", "sig1=:AAAA:"),                                    // not sf
        (r#"sig1="@method";keyid="k""#, "sig1=:AAAA:"),               // not an inner list
        (r#"sig1=("@method");keyid="k""#, "sig2=:AAAA:"),             // no signature for label
        (r#"sig1=("@method");keyid="k""#, "sig1=AAAA"),               // not a byte sequence
        (r#"sig1=("@Method");keyid="k""#, "sig1=:AAAA:"),             // upper case
        (r#"sig1=(method);keyid="k""#, "sig1=:AAAA:"),                // token, not string
        (r#"sig1=("@method" "@method");keyid="k""#, "sig1=:AAAA:"),   // duplicate
        (r#"sig1=("@method");keyid="k";foo=1"#, "sig1=:AAAA:"),       // unknown parameter
        (r#"sig1=("@method")"#, "sig1=:AAAA:"),                       // no keyid
        (r#"sig1=("@method");keyid=k"#, "sig1=:AAAA:"),               // keyid not a string
        (r#"sig1=("@method");keyid="k";created="1""#, "sig1=:AAAA:"), // created not integer
        (r#"sig1=("@bogus");keyid="k""#, "sig1=:AAAA:"),              // unknown derived
        (r#"sig1=("@query-param");keyid="k""#, "sig1=:AAAA:"),        // no name
        (r#"sig1=("@method";sf);keyid="k""#, "sig1=:AAAA:"),          // sf on derived
        (r#"sig1=("host";name="x");keyid="k""#, "sig1=:AAAA:"),       // name on a field
        (r#"sig1=("host";bs;sf);keyid="k""#, "sig1=:AAAA:"),          // bs + sf
        (r#"sig1=("host";foo);keyid="k""#, "sig1=:AAAA:"),            // unknown component param
        (r#"sig1=("@signature-params");keyid="k""#, "sig1=:AAAA:"),   // reserved
        (r#"sig1=("host";sf);keyid="k""#, "sig1=:AAAA:"), // host is no sf value? it is a token: ok below
    ] {
        match rfc_parse(input, sig) {
            Err(e) => assert!(e.is_malformed(), "{input} / {sig}: {e:?}"),
            Ok(_) => assert_eq!(input, r#"sig1=("host";sf);keyid="k""#, "{input} parsed"),
        }
    }
    // Duplicate query parameter named by @query-param.
    let mut parts = request("GET", "https://b.example/?a=1&a=2", &[]);
    parts.headers.insert(
        "signature-input",
        r#"s=("@query-param";name="a");keyid="k""#.parse().unwrap(),
    );
    parts
        .headers
        .insert("signature", "s=:AAAA:".parse().unwrap());
    assert!(parse_request(&parts).unwrap_err().is_malformed());
    // `key` on a field that is not a dictionary.
    let mut parts = with_header("signature-input", r#"s=("x";key="a");keyid="k""#);
    parts
        .headers
        .insert("signature", "s=:AAAA:".parse().unwrap());
    parts.headers.insert("x", "(((".parse().unwrap());
    assert!(parse_request(&parts).unwrap_err().is_malformed());
}

#[test]
fn unsupported_algorithm() {
    let pk = ed().public_key().clone();
    for alg in ["rsa-sha512", "dsa-sha1", "ecdsa-sha256", "hmac-sha1"] {
        let s = cavage_parse(&format!(
            r#"keyId="k",algorithm="{alg}",headers="date",signature="AAAA""#
        ))
        .unwrap()
        .remove(0);
        assert_eq!(
            verify(&s, &pk, &VerifyPolicy::permissive(), at(NOW)).unwrap_err(),
            Error::UnsupportedAlgorithm(alg.into())
        );
    }
    let s = rfc_parse(r#"s=("date");keyid="k";alg="rsa-sha1""#, "s=:AAAA:")
        .unwrap()
        .remove(0);
    assert!(verify(&s, &pk, &VerifyPolicy::permissive(), at(NOW))
        .unwrap_err()
        .is_unsupported_algorithm());
    // Schemes switched off by policy.
    let parts = signed("POST", &SignOptions::cavage(KEY_ID), BODY);
    let mut policy = VerifyPolicy::default();
    policy.accept_cavage = false;
    assert!(ok_verify(&parts, BODY, &policy, NOW)
        .unwrap_err()
        .is_unsupported_algorithm());
    let parts = signed("POST", &SignOptions::rfc9421(KEY_ID), BODY);
    let mut policy = VerifyPolicy::default();
    policy.accept_rfc9421 = false;
    assert!(ok_verify(&parts, BODY, &policy, NOW)
        .unwrap_err()
        .is_unsupported_algorithm());
    // Trailer components.
    assert!(rfc_parse(r#"s=("x";tr);keyid="k""#, "s=:AAAA:")
        .unwrap_err()
        .is_unsupported_algorithm());
}

#[test]
fn missing_component() {
    for headers in ["digest", "(created)", "(expires)", "x-custom"] {
        let err = cavage_parse(&format!(
            r#"keyId="k",headers="{headers}",signature="AAAA""#
        ))
        .unwrap_err();
        assert_eq!(err, Error::MissingComponent(headers.into()), "{headers}");
    }
    for comp in [
        r#""@status""#,
        r#""@query-param";name="y""#,
        r#""x-custom""#,
        r#""x-custom";bs"#,
        r#""host";key="a""#,
    ] {
        let err = rfc_parse(&format!(r#"s=({comp});keyid="k""#), "s=:AAAA:").unwrap_err();
        assert!(err.is_missing_component(), "{comp}: {err:?}");
    }
    // A response cannot use request-only derived components without `req`.
    let mut resp = response(200, &[]);
    resp.headers.insert(
        "signature-input",
        r#"s=("@method");keyid="k""#.parse().unwrap(),
    );
    resp.headers
        .insert("signature", "s=:AAAA:".parse().unwrap());
    assert!(parse_response(&resp, None)
        .unwrap_err()
        .is_missing_component());
    // Signing a component that is absent.
    let mut opts = SignOptions::cavage(KEY_ID);
    opts.components = Some(vec!["x-absent".into()]);
    let mut parts = request("GET", "https://b.example/", &[]);
    assert!(sign_request(&mut parts, b"", &ed(), &opts, at(NOW))
        .unwrap_err()
        .is_missing_component());
}

#[test]
fn not_covered_by_policy() {
    let cases: [(&str, &[&str], &str); 4] = [
        ("POST", &["(request-target)", "host", "date"], "digest"),
        ("GET", &["(request-target)", "date"], "host"),
        ("GET", &["(request-target)", "host"], "date or (created)"),
        ("GET", &["host", "date"], "(request-target)"),
    ];
    for (method, comps, missing) in cases {
        let mut opts = SignOptions::cavage(KEY_ID);
        opts.components = Some(comps.iter().map(|s| s.to_string()).collect());
        let body: &[u8] = if method == "POST" { BODY } else { b"" };
        let parts = signed(method, &opts, body);
        assert_eq!(
            ok_verify(&parts, body, &VerifyPolicy::default(), NOW).unwrap_err(),
            Error::NotCovered(missing.into())
        );
        // The permissive policy accepts it.
        ok_verify(&parts, body, &VerifyPolicy::permissive(), NOW).unwrap();
    }
    let rfc_cases: [(&str, &[&str], bool, &str); 5] = [
        ("POST", &["@method", "@target-uri"], true, "content-digest"),
        ("GET", &["@method", "@path"], true, "@authority"),
        ("GET", &["@method", "@target-uri"], false, "created"),
        ("GET", &["@target-uri"], true, "@method"),
        ("GET", &["@method", "@authority"], true, "@target-uri"),
    ];
    for (method, comps, created, missing) in rfc_cases {
        let mut opts = SignOptions::rfc9421(KEY_ID);
        opts.components = Some(comps.iter().map(|s| s.to_string()).collect());
        opts.include_created = created;
        let body: &[u8] = if method == "POST" { BODY } else { b"" };
        let parts = signed(method, &opts, body);
        assert_eq!(
            ok_verify(&parts, body, &VerifyPolicy::default(), NOW).unwrap_err(),
            Error::NotCovered(missing.into())
        );
    }
}

#[test]
fn time_window() {
    for opts in [SignOptions::cavage(KEY_ID), SignOptions::rfc9421(KEY_ID)] {
        let parts = signed("POST", &opts, BODY);
        let policy = VerifyPolicy::default();
        // 65 minutes: Mastodon's 5-minute default expiry plus 1 hour of clock skew.
        ok_verify(&parts, BODY, &policy, NOW + 3900).unwrap();
        ok_verify(&parts, BODY, &policy, NOW - 3600).unwrap();
        let err = ok_verify(&parts, BODY, &policy, NOW + 3901).unwrap_err();
        assert_eq!(
            err,
            Error::Expired {
                signed_at: NOW as i64,
                now: NOW as i64 + 3901
            }
        );
        let err = ok_verify(&parts, BODY, &policy, NOW - 3601).unwrap_err();
        assert_eq!(
            err,
            Error::FromTheFuture {
                signed_at: NOW as i64,
                now: NOW as i64 - 3601
            }
        );
        assert!(err.is_time_window());
        // Mastodon's own, wider window.
        ok_verify(
            &parts,
            BODY,
            &VerifyPolicy::mastodon_window(),
            NOW + 12 * 3600,
        )
        .unwrap();
        assert!(ok_verify(
            &parts,
            BODY,
            &VerifyPolicy::mastodon_window(),
            NOW + 12 * 3600 + 1
        )
        .unwrap_err()
        .is_expired());
    }
    // An explicit `expires` (cavage `(expires)` covered; RFC 9421 parameter).
    let mut opts = SignOptions::rfc9421(KEY_ID);
    opts.expires_in = Some(Duration::from_secs(60));
    let parts = signed("POST", &opts, BODY);
    let mut policy = VerifyPolicy::default();
    policy.max_future = Duration::ZERO;
    ok_verify(&parts, BODY, &policy, NOW + 60).unwrap();
    assert_eq!(
        ok_verify(&parts, BODY, &policy, NOW + 61).unwrap_err(),
        Error::Expired {
            signed_at: NOW as i64 + 60,
            now: NOW as i64 + 61
        }
    );
    let mut opts = SignOptions::cavage(KEY_ID);
    opts.expires_in = Some(Duration::from_secs(60));
    opts.components = Some(vec![
        "(request-target)".into(),
        "(created)".into(),
        "(expires)".into(),
        "host".into(),
        "digest".into(),
    ]);
    let parts = signed("POST", &opts, BODY);
    ok_verify(&parts, BODY, &policy, NOW + 60).unwrap();
    assert!(ok_verify(&parts, BODY, &policy, NOW + 61)
        .unwrap_err()
        .is_expired());
    // A far-away `expires` is honoured up to `expires_limit` (12 h) plus the skew.
    let mut opts = SignOptions::rfc9421(KEY_ID);
    opts.expires_in = Some(Duration::from_secs(48 * 3600));
    let parts2 = signed("POST", &opts, BODY);
    let policy2 = VerifyPolicy::default();
    ok_verify(&parts2, BODY, &policy2, NOW + 13 * 3600).unwrap();
    assert_eq!(
        ok_verify(&parts2, BODY, &policy2, NOW + 13 * 3600 + 1).unwrap_err(),
        Error::Expired {
            signed_at: NOW as i64 + 12 * 3600,
            now: NOW as i64 + 13 * 3600 + 1
        }
    );
    // check_policy alone agrees.
    let s = parse_request(&parts).unwrap().remove(0);
    assert!(check_policy(&s, &policy, at(NOW + 61))
        .unwrap_err()
        .is_expired());
}

#[test]
fn digests() {
    for opts in [SignOptions::cavage(KEY_ID), SignOptions::rfc9421(KEY_ID)] {
        let parts = signed("POST", &opts, BODY);
        assert!(ok_verify(&parts, b"{ }", &VerifyPolicy::default(), NOW)
            .unwrap_err()
            .is_digest_mismatch());
        // The digest header removed: the signature no longer has its covered component.
        let mut stripped = parts.clone();
        stripped.headers.remove("digest");
        stripped.headers.remove("content-digest");
        assert!(ok_verify(&stripped, BODY, &VerifyPolicy::default(), NOW)
            .unwrap_err()
            .is_missing_component());
    }
    // A signed POST without any digest but with a body.
    let mut opts = SignOptions::cavage(KEY_ID);
    opts.digest = None;
    opts.components = Some(vec![
        "(request-target)".into(),
        "host".into(),
        "date".into(),
    ]);
    let parts = signed("POST", &opts, BODY);
    let mut policy = VerifyPolicy::default();
    policy.require_digest_on_post = false;
    assert_eq!(
        ok_verify(&parts, BODY, &policy, NOW).unwrap_err(),
        Error::DigestMissing
    );
    policy.require_body_digest = false;
    ok_verify(&parts, BODY, &policy, NOW).unwrap();
}

#[test]
fn bad_signature() {
    for opts in [SignOptions::cavage(KEY_ID), SignOptions::rfc9421(KEY_ID)] {
        let parts = signed("GET", &opts, b"");
        // Another key of the same type.
        let other = PrivateKey::generate_ed25519().unwrap();
        let err = verify_request(&parts, b"", &VerifyPolicy::default(), at(NOW), |_| {
            Some(other.public_key().clone())
        })
        .unwrap_err();
        assert_eq!(err, Error::BadSignature);
        assert!(err.is_key_refetch_worthwhile());
        // A changed covered header.
        let mut changed = parts.clone();
        changed.headers.insert("host", "c.example".parse().unwrap());
        changed.uri = "https://c.example/inbox".parse().unwrap();
        assert!(ok_verify(&changed, b"", &VerifyPolicy::default(), NOW)
            .unwrap_err()
            .is_bad_signature());
    }
}

#[test]
fn key_type_mismatch() {
    let rsa = PublicKey::from_pem(RFC_RSA_PUBLIC).unwrap();
    let parts = signed("GET", &SignOptions::cavage(KEY_ID), b"");
    let s = parse_request(&parts).unwrap().remove(0);
    // hs2019 + RSA key → RSA; fine as an algorithm but wrong key → BadSignature.
    assert!(verify(&s, &rsa, &VerifyPolicy::default(), at(NOW))
        .unwrap_err()
        .is_bad_signature());
    // rsa-sha256 with an Ed25519 key.
    let s = cavage_parse(r#"keyId="k",algorithm="rsa-sha256",headers="date",signature="AAAA""#)
        .unwrap()
        .remove(0);
    let err = verify(&s, ed().public_key(), &VerifyPolicy::permissive(), at(NOW)).unwrap_err();
    assert_eq!(
        err,
        Error::KeyTypeMismatch {
            key: KeyKind::Ed25519,
            algorithm: "rsa-sha256".into()
        }
    );
    let s = rfc_parse(r#"s=("date");keyid="k";alg="ed25519""#, "s=:AAAA:")
        .unwrap()
        .remove(0);
    assert!(verify(&s, &rsa, &VerifyPolicy::permissive(), at(NOW))
        .unwrap_err()
        .is_key_type_mismatch());
    assert!(ed()
        .sign_raw(Algorithm::RsaV1_5Sha256, b"x")
        .unwrap_err()
        .is_key_type_mismatch());
    assert!(rsa
        .verify_raw(Algorithm::HmacSha256, b"x", b"y")
        .unwrap_err()
        .is_key_type_mismatch());
}

#[test]
fn invalid_keys() {
    let p256_spki_on_p384 =
        "-----BEGIN PUBLIC KEY-----\nMHYwEAYHKoZIzj0CAQYFK4EEACIDYgAE\n-----END PUBLIC KEY-----\n";
    for bad in [
        "",
        "not a key",
        "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----",
        "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----",
        "-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----",
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
        "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=\n-----END PUBLIC KEY",
        p256_spki_on_p384,
        // A 512-bit RSA key (too short).
        "-----BEGIN PUBLIC KEY-----\nMFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAMQ8+P8fAsB6m6wbONG4KXxA8pw+gnAm\nC5qGXAnzaNRUFN12OYuMxPjNd3Zz2Qn9jJ4yYtZjIkjUgZVHXBgkBlkCAwEAAQ==\n-----END PUBLIC KEY-----\n",
    ] {
        assert!(PublicKey::from_pem(bad).unwrap_err().is_invalid_key(), "{bad:?}");
    }
    for bad in [
        "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----",
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----",
        "-----BEGIN RSA PRIVATE KEY-----\nMAA=\n-----END RSA PRIVATE KEY-----",
        "-----BEGIN EC PRIVATE KEY-----\nMAA=\n-----END EC PRIVATE KEY-----",
        RFC_ED25519_PUBLIC,
    ] {
        assert!(
            PrivateKey::from_pem(bad).unwrap_err().is_invalid_key(),
            "{bad:?}"
        );
    }
    assert!(PublicKey::from_spki_der(&[0x30, 0x03, 0x02, 0x01])
        .unwrap_err()
        .is_invalid_key());
    assert!(PrivateKey::from_pkcs8_der(&[])
        .unwrap_err()
        .is_invalid_key());
}

#[test]
fn key_not_found() {
    let parts = signed("GET", &SignOptions::cavage(KEY_ID), b"");
    let err = verify_request(&parts, b"", &VerifyPolicy::default(), at(NOW), |_| None).unwrap_err();
    assert_eq!(err, Error::KeyNotFound(KEY_ID.into()));
    assert!(err.is_key_not_found() && err.is_key_refetch_worthwhile());
}

#[test]
fn cannot_sign() {
    let mut resp = response(200, &[]);
    let err = sign_response(
        &mut resp,
        b"",
        None,
        &ed(),
        &SignOptions::cavage(KEY_ID),
        at(NOW),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Sign(_)));
    let mut parts = request("GET", "https://b.example/", &[]);
    let err = sign_request(
        &mut parts,
        b"",
        &ed(),
        &SignOptions::cavage("bad\"id"),
        at(NOW),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Sign(_)));
    let mut opts = SignOptions::rfc9421(KEY_ID);
    opts.label = "Not A Label".into();
    let mut parts = request("GET", "https://b.example/", &[]);
    assert!(matches!(
        sign_request(&mut parts, b"", &ed(), &opts, at(NOW)).unwrap_err(),
        Error::Sign(_)
    ));
    // Mixing schemes in one `Signature` field is refused.
    let mut parts = signed("GET", &SignOptions::cavage(KEY_ID), b"");
    let err = sign_request(
        &mut parts,
        b"",
        &ed(),
        &SignOptions::rfc9421(KEY_ID),
        at(NOW),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Sign(_)));
    let mut parts = signed("GET", &SignOptions::rfc9421(KEY_ID), b"");
    let err = sign_request(
        &mut parts,
        b"",
        &ed(),
        &SignOptions::cavage(KEY_ID),
        at(NOW),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Sign(_)));
    // No host anywhere: nothing to cover.
    let mut parts = request("GET", "/relative", &[]);
    assert!(sign_request(
        &mut parts,
        b"",
        &ed(),
        &SignOptions::cavage(KEY_ID),
        at(NOW)
    )
    .unwrap_err()
    .is_missing_component());
}

#[test]
fn errors_display_one_line() {
    let all = [
        Error::MissingSignature(None),
        Error::MalformedHeader {
            header: "Signature",
            reason: "x".into(),
        },
        Error::UnsupportedAlgorithm("x".into()),
        Error::MissingComponent("x".into()),
        Error::NotCovered("digest".into()),
        Error::Expired {
            signed_at: 1,
            now: 2,
        },
        Error::FromTheFuture {
            signed_at: 2,
            now: 1,
        },
        Error::DigestMissing,
        Error::DigestMismatch("Digest"),
        Error::BadSignature,
        Error::KeyTypeMismatch {
            key: KeyKind::Rsa,
            algorithm: "ed25519".into(),
        },
        Error::InvalidKey("x".into()),
        Error::KeyNotFound("x".into()),
        Error::Sign("x".into()),
    ];
    for e in all {
        let s = e.to_string();
        assert!(!s.is_empty() && !s.contains('\n'), "{s}");
    }
}

#[test]
fn cavage_compatibility_rules() {
    let sk = ed();
    let pk = sk.public_key().clone();
    // Older Mastodon versions left the query out of (request-target): accepted only on request.
    let base =
        "(request-target): get /users/bob\nhost: b.example\ndate: Tue, 14 Nov 2023 22:13:20 GMT";
    let sig = sk.sign_raw(Algorithm::Ed25519, base.as_bytes()).unwrap();
    use base64::Engine as _;
    let value = format!(
        r#"keyId="{KEY_ID}",algorithm="hs2019",headers="(request-target) host date",signature="{}""#,
        base64::engine::general_purpose::STANDARD.encode(&sig)
    );
    let parts = request(
        "GET",
        "https://b.example/users/bob?page=true",
        &[
            ("host", "b.example"),
            ("date", "Tue, 14 Nov 2023 22:13:20 GMT"),
            ("signature", &value),
        ],
    );
    let s = parse_request(&parts).unwrap().remove(0);
    assert_eq!(s.legacy_signature_base.as_deref(), Some(base.as_bytes()));
    assert!(verify(&s, &pk, &VerifyPolicy::default(), at(NOW))
        .unwrap_err()
        .is_bad_signature());
    let mut compat = VerifyPolicy::default();
    compat.accept_cavage_without_query = true;
    verify(&s, &pk, &compat, at(NOW)).unwrap();

    // Without `headers`, hs2019 (or no algorithm) means `(created)`, rsa-sha256 means `date`.
    let s = cavage_parse(r#"keyId="k",created=1700000000,signature="AAAA""#)
        .unwrap()
        .remove(0);
    assert_eq!(s.signature_base, b"(created): 1700000000");
    let s = cavage_parse(r#"keyId="k",algorithm="hs2019",created=1700000000,signature="AAAA""#)
        .unwrap()
        .remove(0);
    assert_eq!(s.signature_base, b"(created): 1700000000");
    let s = cavage_parse(r#"keyId="k",algorithm="rsa-sha256",signature="AAAA""#)
        .unwrap()
        .remove(0);
    assert_eq!(s.signature_base, b"date: Tue, 14 Nov 2023 22:13:20 GMT");
    assert!(cavage_parse(r#"keyId="k",signature="AAAA""#)
        .unwrap_err()
        .is_missing_component());
}
