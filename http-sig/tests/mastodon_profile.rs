//! What goes on the wire when signing with the Mastodon profiles: exact header values.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use http_sig::{sign_request, verify_request, PrivateKey, Scheme, SignOptions, VerifyPolicy};

const KEY_ID: &str = "https://social.example/users/alice#main-key";
const NOW: u64 = 1_700_000_000; // Tue, 14 Nov 2023 22:13:20 GMT
const BODY: &[u8] = br#"{"hello": "world"}"#;

#[test]
fn cavage_post_headers_exactly_as_mastodon_sends_them() {
    for_each_provider(|p| {
        // RSA PKCS#1 v1.5 is deterministic, so the whole Signature header is known.
        let sk = PrivateKey::from_pem_with(RFC_RSA_PRIVATE, p).unwrap();
        let mut parts = request(
            "POST",
            "https://remote.example/inbox",
            &[("content-type", "application/activity+json")],
        );
        sign_request(&mut parts, BODY, &sk, &SignOptions::cavage(KEY_ID), at(NOW)).unwrap();
        assert_eq!(parts.headers["host"], "remote.example");
        assert_eq!(parts.headers["date"], "Tue, 14 Nov 2023 22:13:20 GMT");
        assert_eq!(
            parts.headers["digest"],
            "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="
        );
        let sig = parts.headers["signature"].to_str().unwrap();
        assert!(sig.starts_with(&format!(
            r#"keyId="{KEY_ID}",algorithm="rsa-sha256",headers="(request-target) host date digest content-type",signature=""#
        )));
        let v = verify_request(&parts, BODY, &VerifyPolicy::default(), at(NOW + 10), |_| {
            Some(sk.public_key().clone())
        })
        .unwrap();
        assert_eq!((v.scheme, v.key_id.as_str()), (Scheme::Cavage, KEY_ID));
        // The signing string Mastodon computes for this request …
        let expected_base = "(request-target): post /inbox\nhost: remote.example\ndate: Tue, 14 Nov 2023 22:13:20 GMT\ndigest: SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=\ncontent-type: application/activity+json";
        let s = http_sig::parse_request(&parts).unwrap().remove(0);
        assert_eq!(String::from_utf8(s.signature_base).unwrap(), expected_base);
        // … and an independent RSA implementation (the pure-Rust `rsa` crate) accepts the
        // signature over it.
        use rsa::pkcs1::DecodeRsaPublicKey;
        use sha2::Digest as _;
        let theirs = rsa::RsaPublicKey::from_pkcs1_pem(RFC_RSA_PUBLIC).unwrap();
        let hash = sha2::Sha256::digest(expected_base.as_bytes());
        theirs
            .verify(
                rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
                &hash,
                &s.signature,
            )
            .unwrap();
    });
}

#[test]
fn cavage_get_and_ed25519() {
    for_each_provider(|p| {
        let sk = PrivateKey::from_pem_with(RFC_ED25519_PRIVATE, p).unwrap();
        let mut parts = request(
            "GET",
            "https://remote.example/users/bob?page=1",
            &[("accept", "application/activity+json")],
        );
        sign_request(&mut parts, b"", &sk, &SignOptions::cavage(KEY_ID), at(NOW)).unwrap();
        assert!(parts.headers.get("digest").is_none());
        let sig = parts.headers["signature"].to_str().unwrap();
        assert!(sig.starts_with(&format!(r#"keyId="{KEY_ID}",algorithm="hs2019",headers="(request-target) host date",signature=""#)));
        let s = http_sig::parse_request(&parts).unwrap().remove(0);
        assert_eq!(
            String::from_utf8(s.signature_base).unwrap(),
            "(request-target): get /users/bob?page=1\nhost: remote.example\ndate: Tue, 14 Nov 2023 22:13:20 GMT"
        );
        verify_request(&parts, b"", &VerifyPolicy::default(), at(NOW), |_| {
            Some(sk.public_key().clone())
        })
        .unwrap();
    });
}

#[test]
fn rfc9421_mastodon_4_5_profile() {
    for_each_provider(|p| {
        let sk = PrivateKey::from_pem_with(RFC_ED25519_PRIVATE, p).unwrap();
        let mut parts = request(
            "POST",
            "https://remote.example/inbox",
            &[("content-type", "application/activity+json")],
        );
        sign_request(
            &mut parts,
            BODY,
            &sk,
            &SignOptions::rfc9421(KEY_ID),
            at(NOW),
        )
        .unwrap();
        assert_eq!(
            parts.headers["content-digest"],
            "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
        );
        assert!(parts.headers.get("digest").is_none());
        assert_eq!(
            parts.headers["signature-input"],
            format!(
                r#"sig1=("@method" "@target-uri" "content-digest");created={NOW};keyid="{KEY_ID}""#
            )
            .as_str()
        );
        let s = http_sig::parse_request(&parts).unwrap().remove(0);
        assert_eq!(
            String::from_utf8(s.signature_base).unwrap(),
            format!("\"@method\": POST\n\"@target-uri\": https://remote.example/inbox\n\"content-digest\": sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:\n\"@signature-params\": (\"@method\" \"@target-uri\" \"content-digest\");created={NOW};keyid=\"{KEY_ID}\"")
        );
        // Ed25519 is deterministic: the signature is a fixed value for this key and base.
        let sig = parts.headers["signature"].to_str().unwrap().to_owned();
        let mut again = request(
            "POST",
            "https://remote.example/inbox",
            &[("content-type", "application/activity+json")],
        );
        sign_request(
            &mut again,
            BODY,
            &sk,
            &SignOptions::rfc9421(KEY_ID),
            at(NOW),
        )
        .unwrap();
        assert_eq!(again.headers["signature"], sig.as_str());

        let v = verify_request(&parts, BODY, &VerifyPolicy::default(), at(NOW), |_| {
            Some(sk.public_key().clone())
        })
        .unwrap();
        assert_eq!(v.scheme, Scheme::Rfc9421);
        assert_eq!(v.label.as_deref(), Some("sig1"));

        // GET: no body, no digest.
        let mut parts = request("GET", "https://remote.example/users/bob", &[]);
        sign_request(&mut parts, b"", &sk, &SignOptions::rfc9421(KEY_ID), at(NOW)).unwrap();
        assert_eq!(
            parts.headers["signature-input"],
            format!(r#"sig1=("@method" "@target-uri");created={NOW};keyid="{KEY_ID}""#).as_str()
        );
        verify_request(&parts, b"", &VerifyPolicy::default(), at(NOW), |_| {
            Some(sk.public_key().clone())
        })
        .unwrap();
    });
}

#[test]
fn origin_form_requests_as_servers_receive_them() {
    for_each_provider(|p| {
        // Signed by the sender with an absolute URI, received as `POST /inbox` + Host.
        let sk = PrivateKey::from_pem_with(RFC_ED25519_PRIVATE, p).unwrap();
        for opts in [SignOptions::cavage(KEY_ID), SignOptions::rfc9421(KEY_ID)] {
            let mut sent = request("POST", "https://remote.example/inbox", &[]);
            sign_request(&mut sent, BODY, &sk, &opts, at(NOW)).unwrap();
            let mut received = request("POST", "/inbox", &[]);
            received.headers = sent.headers.clone();
            verify_request(&received, BODY, &VerifyPolicy::default(), at(NOW), |_| {
                Some(sk.public_key().clone())
            })
            .unwrap();
            // Over plain http the RFC 9421 target URI differs and the signature fails.
            if opts.scheme == Scheme::Rfc9421 {
                received.uri = "http://remote.example/inbox".parse().unwrap();
                let err =
                    verify_request(&received, BODY, &VerifyPolicy::default(), at(NOW), |_| {
                        Some(sk.public_key().clone())
                    })
                    .unwrap_err();
                assert!(err.is_bad_signature());
            }
        }
    });
}
