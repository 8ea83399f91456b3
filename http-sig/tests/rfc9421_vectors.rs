//! RFC 9421 Appendix B.2 test vectors (public spec values).
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use http_sig::{
    parse_request, parse_response, sign_request, sign_response, verify, verify_request,
    verify_response, Algorithm, CryptoProvider, KeyKind, PrivateKey, PublicKey, Scheme,
    SignOptions, VerifyPolicy,
};

const CREATED: u64 = 1_618_884_473;
const REQ_BODY: &[u8] = br#"{"hello": "world"}"#;
const RESP_BODY: &[u8] = br#"{"message": "good dog"}"#;
const REQ_DIGEST: &str =
    "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:";
// The digest the B.2.4 signature base uses (the SHA-512 of the response body; the RFC's printed
// response header carries a different, wrong value — a known erratum).
const RESP_DIGEST: &str =
    "sha-512=:mEWXIS7MaLRuGgxOBdODa3xqM1XdEvxoYhvlCFJ41QJgJc4GTsPp29l5oGX69wWdXymyU0rjJuahq4l5aGgfLQ==:";

fn test_request(extra: &[(&str, &str)]) -> http::request::Parts {
    let mut h = vec![
        ("host", "example.com"),
        ("date", "Tue, 20 Apr 2021 02:07:55 GMT"),
        ("content-type", "application/json"),
        ("content-digest", REQ_DIGEST),
        ("content-length", "18"),
    ];
    h.extend_from_slice(extra);
    request("POST", "/foo?param=Value&Pet=dog", &h)
}

fn test_response(extra: &[(&str, &str)]) -> http::response::Parts {
    let mut h = vec![
        ("date", "Tue, 20 Apr 2021 02:07:56 GMT"),
        ("content-type", "application/json"),
        ("content-digest", RESP_DIGEST),
        ("content-length", "23"),
    ];
    h.extend_from_slice(extra);
    response(200, &h)
}

fn base_of(parts: &http::request::Parts) -> String {
    let sigs = parse_request(parts).unwrap();
    assert_eq!(sigs.len(), 1);
    String::from_utf8(sigs[0].signature_base.clone()).unwrap()
}

fn pss_public(p: &'static CryptoProvider) -> PublicKey {
    PublicKey::from_pem_with(RFC_PSS_PUBLIC, p)
        .unwrap()
        .into_rsa_pss()
}

fn check_pss(p: &'static CryptoProvider, input: &str, sig: &str, base: &str) {
    let parts = test_request(&[("signature-input", input), ("signature", sig)]);
    assert_eq!(base_of(&parts), base);
    let s = parse_request(&parts).unwrap().remove(0);
    let v = verify(&s, &pss_public(p), &VerifyPolicy::permissive(), at(CREATED)).unwrap();
    assert_eq!(v.algorithm, Algorithm::RsaPssSha512);
    assert_eq!(v.scheme, Scheme::Rfc9421);
    assert_eq!(v.key_id, "test-key-rsa-pss");
    // Taken as a PKCS#1 v1.5 key (no `alg` to say otherwise), the same signature fails.
    let plain = PublicKey::from_pem_with(RFC_PSS_PUBLIC, p).unwrap();
    assert_eq!(plain.kind(), KeyKind::Rsa);
    assert!(verify(&s, &plain, &VerifyPolicy::permissive(), at(CREATED))
        .unwrap_err()
        .is_bad_signature());
}

#[test]
fn b21_minimal_rsa_pss() {
    for_each_provider(|p| {
        check_pss(
            p,
            r#"sig-b21=();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd""#,
            "sig-b21=:d2pmTvmbncD3xQm8E9ZV2828BjQWGgiwAaw5bAkgibUopemLJcWDy/lkbbHAve4cRAtx31Iq786U7it++wgGxbtRxf8Udx7zFZsckzXaJMkA7ChG52eSkFxykJeNqsrWH5S+oxNFlD4dzVuwe8DhTSja8xxbR/Z2cOGdCbzR72rgFWhzx2VjBqJzsPLMIQKhO4DGezXehhWwE56YCE+O6c0mKZsfxVrogUvA4HELjVKWmAvtl6UnCh8jYzuVG5WSb/QEVPnP5TmcAnLH1g+s++v6d4s8m0gCw1fV5/SITLq9mhho8K3+7EPYTU8IU1bLhdxO5Nyt8C8ssinQ98Xw9Q==:",
            r#""@signature-params": ();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd""#,
        );
    });
}

#[test]
fn b22_selective_rsa_pss() {
    for_each_provider(|p| {
        check_pss(
            p,
            r#"sig-b22=("@authority" "content-digest" "@query-param";name="Pet");created=1618884473;keyid="test-key-rsa-pss";tag="header-example""#,
            "sig-b22=:LjbtqUbfmvjj5C5kr1Ugj4PmLYvx9wVjZvD9GsTT4F7GrcQEdJzgI9qHxICagShLRiLMlAJjtq6N4CDfKtjvuJyE5qH7KT8UCMkSowOB4+ECxCmT8rtAmj/0PIXxi0A0nxKyB09RNrCQibbUjsLS/2YyFYXEu4TRJQzRw1rLEuEfY17SARYhpTlaqwZVtR8NV7+4UKkjqpcAoFqWFQh62s7Cl+H2fjBSpqfZUJcsIk4N6wiKYd4je2U/lankenQ99PZfB4jY3I5rSV2DSBVkSFsURIjYErOs0tFTQosMTAoxk//0RoKUqiYY8Bh0aaUEb0rQl3/XaVe4bXTugEjHSw==:",
            "\"@authority\": example.com\n\"content-digest\": sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:\n\"@query-param\";name=\"Pet\": dog\n\"@signature-params\": (\"@authority\" \"content-digest\" \"@query-param\";name=\"Pet\");created=1618884473;keyid=\"test-key-rsa-pss\";tag=\"header-example\"",
        );
    });
}

#[test]
fn b23_full_coverage_rsa_pss() {
    for_each_provider(|p| {
        check_pss(
            p,
            r#"sig-b23=("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss""#,
            "sig-b23=:bbN8oArOxYoyylQQUU6QYwrTuaxLwjAC9fbY2F6SVWvh0yBiMIRGOnMYwZ/5MR6fb0Kh1rIRASVxFkeGt683+qRpRRU5p2voTp768ZrCUb38K0fUxN0O0iC59DzYx8DFll5GmydPxSmme9v6ULbMFkl+V5B1TP/yPViV7KsLNmvKiLJH1pFkh/aYA2HXXZzNBXmIkoQoLd7YfW91kE9o/CCoC1xMy7JA1ipwvKvfrs65ldmlu9bpG6A9BmzhuzF8Eim5f8ui9eH8LZH896+QIF61ka39VBrohr9iyMUJpvRX2Zbhl5ZJzSRxpJyoEZAFL2FUo5fTIztsDZKEgM4cUA==:",
            "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n\"@method\": POST\n\"@path\": /foo\n\"@query\": ?param=Value&Pet=dog\n\"@authority\": example.com\n\"content-type\": application/json\n\"content-digest\": sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:\n\"content-length\": 18\n\"@signature-params\": (\"date\" \"@method\" \"@path\" \"@query\" \"@authority\" \"content-type\" \"content-digest\" \"content-length\");created=1618884473;keyid=\"test-key-rsa-pss\"",
        );
        // Mastodon's policy wants `@target-uri` (this vector covers @path/@query/@authority
        // instead); with that rule relaxed it passes the rest of the policy and the digest check.
        let parts = test_request(&[
            ("signature-input", r#"sig-b23=("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss""#),
            ("signature", "sig-b23=:bbN8oArOxYoyylQQUU6QYwrTuaxLwjAC9fbY2F6SVWvh0yBiMIRGOnMYwZ/5MR6fb0Kh1rIRASVxFkeGt683+qRpRRU5p2voTp768ZrCUb38K0fUxN0O0iC59DzYx8DFll5GmydPxSmme9v6ULbMFkl+V5B1TP/yPViV7KsLNmvKiLJH1pFkh/aYA2HXXZzNBXmIkoQoLd7YfW91kE9o/CCoC1xMy7JA1ipwvKvfrs65ldmlu9bpG6A9BmzhuzF8Eim5f8ui9eH8LZH896+QIF61ka39VBrohr9iyMUJpvRX2Zbhl5ZJzSRxpJyoEZAFL2FUo5fTIztsDZKEgM4cUA==:"),
        ]);
        let pk = pss_public(p);
        let err = verify_request(
            &parts,
            REQ_BODY,
            &VerifyPolicy::default(),
            at(CREATED + 5),
            |_| Some(pk.clone()),
        )
        .unwrap_err();
        assert_eq!(err, http_sig::Error::NotCovered("@target-uri".into()));
        let mut policy = VerifyPolicy::default();
        policy.require_target = false;
        let v = verify_request(&parts, REQ_BODY, &policy, at(CREATED + 5), |_| {
            Some(pk.clone())
        })
        .unwrap();
        assert_eq!(v.label.as_deref(), Some("sig-b23"));
    });
}

#[test]
fn b24_response_ecdsa_p256() {
    for_each_provider(|p| {
        let input = r#"sig-b24=("@status" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-ecc-p256""#;
        let sig = "sig-b24=:wNmSUAhwb5LxtOtOpNa6W5xj067m5hFrj0XQ4fvpaCLx0NKocgPquLgyahnzDnDAUy5eCdlYUEkLIj+32oiasw==:";
        let parts = test_response(&[("signature-input", input), ("signature", sig)]);
        let s = parse_response(&parts, None).unwrap().remove(0);
        assert_eq!(
            String::from_utf8(s.signature_base.clone()).unwrap(),
            "\"@status\": 200\n\"content-type\": application/json\n\"content-digest\": sha-512=:mEWXIS7MaLRuGgxOBdODa3xqM1XdEvxoYhvlCFJ41QJgJc4GTsPp29l5oGX69wWdXymyU0rjJuahq4l5aGgfLQ==:\n\"content-length\": 23\n\"@signature-params\": (\"@status\" \"content-type\" \"content-digest\" \"content-length\");created=1618884473;keyid=\"test-key-ecc-p256\""
        );
        assert_eq!(s.signature.len(), 64, "raw r||s, not DER");
        let pk = PublicKey::from_pem_with(RFC_P256_PUBLIC, p).unwrap();
        assert_eq!(pk.kind(), KeyKind::EcdsaP256);
        let v = verify_response(
            &parts,
            None,
            RESP_BODY,
            &VerifyPolicy::default(),
            at(CREATED + 1),
            |_| Some(pk.clone()),
        )
        .unwrap();
        assert_eq!(v.algorithm, Algorithm::EcdsaP256Sha256);

        // ECDSA signing is randomized: sign a response ourselves and verify it.
        let sk = PrivateKey::from_pem_with(RFC_P256_PRIVATE, p).unwrap();
        let mut parts = response(200, &[("content-type", "application/json")]);
        let mut o = SignOptions::rfc9421("test-key-ecc-p256");
        o.label = "sig-b24".into();
        sign_response(&mut parts, RESP_BODY, None, &sk, &o, at(CREATED)).unwrap();
        assert_eq!(
            parts.headers["signature-input"],
            r#"sig-b24=("@status" "content-type" "content-digest");created=1618884473;keyid="test-key-ecc-p256""#
        );
        assert_eq!(
            parts.headers["content-digest"],
            "sha-256=:z0bm/K2/kBiAHdTk/FHlB2NyoHqaTdzCA9k+jeJ0ezA=:"
        );
        let v = verify_response(
            &parts,
            None,
            RESP_BODY,
            &VerifyPolicy::default(),
            at(CREATED),
            |_| Some(pk.clone()),
        )
        .unwrap();
        assert_eq!(v.label.as_deref(), Some("sig-b24"));
    });
}

fn b25_options() -> SignOptions {
    let mut o = SignOptions::rfc9421("test-shared-secret");
    o.label = "sig-b25".into();
    o.components = Some(vec![
        "date".into(),
        "@authority".into(),
        "content-type".into(),
    ]);
    o.digest = None;
    o
}

#[test]
fn b25_hmac_sha256_byte_exact() {
    for_each_provider(|p| {
        let input = r#"sig-b25=("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret""#;
        let sig = "sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:";
        let parts = test_request(&[("signature-input", input), ("signature", sig)]);
        assert_eq!(
            base_of(&parts),
            "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n\"@authority\": example.com\n\"content-type\": application/json\n\"@signature-params\": (\"date\" \"@authority\" \"content-type\");created=1618884473;keyid=\"test-shared-secret\""
        );
        let pk = PublicKey::hmac_sha256_with(&hmac_secret(), p).unwrap();
        let s = parse_request(&parts).unwrap().remove(0);
        verify(&s, &pk, &VerifyPolicy::permissive(), at(CREATED)).unwrap();

        let sk = PrivateKey::hmac_sha256_with(&hmac_secret(), p).unwrap();
        let mut parts = test_request(&[]);
        sign_request(&mut parts, REQ_BODY, &sk, &b25_options(), at(CREATED)).unwrap();
        assert_eq!(parts.headers["signature-input"], input);
        assert_eq!(parts.headers["signature"], sig);
    });
}

const B26_INPUT: &str = r#"sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519""#;
const B26_SIG: &str =
    "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:";

#[test]
fn b26_ed25519_byte_exact() {
    for_each_provider(|p| {
        let parts = test_request(&[("signature-input", B26_INPUT), ("signature", B26_SIG)]);
        assert_eq!(
            base_of(&parts),
            "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n\"@method\": POST\n\"@path\": /foo\n\"@authority\": example.com\n\"content-type\": application/json\n\"content-length\": 18\n\"@signature-params\": (\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" \"content-length\");created=1618884473;keyid=\"test-key-ed25519\""
        );
        let pk = PublicKey::from_pem_with(RFC_ED25519_PUBLIC, p).unwrap();
        let s = parse_request(&parts).unwrap().remove(0);
        assert_eq!(
            verify(&s, &pk, &VerifyPolicy::permissive(), at(CREATED))
                .unwrap()
                .algorithm,
            Algorithm::Ed25519
        );

        let sk = PrivateKey::from_pem_with(RFC_ED25519_PRIVATE, p).unwrap();
        assert_eq!(sk.public_key(), &pk);
        let mut o = SignOptions::rfc9421("test-key-ed25519");
        o.label = "sig-b26".into();
        o.digest = None;
        o.components = Some(
            [
                "date",
                "@method",
                "@path",
                "@authority",
                "content-type",
                "content-length",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        );
        let mut parts = test_request(&[]);
        sign_request(&mut parts, REQ_BODY, &sk, &o, at(CREATED)).unwrap();
        assert_eq!(parts.headers["signature-input"], B26_INPUT);
        assert_eq!(parts.headers["signature"], B26_SIG);
    });
}

#[test]
fn several_labelled_signatures_in_one_message() {
    for_each_provider(|p| {
        let hmac_input = r#"sig-b25=("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret""#;
        let hmac_sig = "sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:";
        // Two field lines each (a dictionary may be split across lines).
        let parts = test_request(&[
            ("signature-input", hmac_input),
            ("signature-input", B26_INPUT),
            ("signature", hmac_sig),
            ("signature", B26_SIG),
        ]);
        let sigs = parse_request(&parts).unwrap();
        let labels: Vec<_> = sigs.iter().map(|s| s.label.clone().unwrap()).collect();
        assert_eq!(labels, ["sig-b25", "sig-b26"]);
        let ed = PublicKey::from_pem_with(RFC_ED25519_PUBLIC, p).unwrap();
        let hmac = PublicKey::hmac_sha256_with(&hmac_secret(), p).unwrap();
        let resolve = |id: &str| match id {
            "test-key-ed25519" => Some(ed.clone()),
            "test-shared-secret" => Some(hmac.clone()),
            _ => None,
        };
        let mut policy = VerifyPolicy::permissive();
        // First acceptable signature wins.
        assert_eq!(
            verify_request(&parts, REQ_BODY, &policy, at(CREATED), resolve)
                .unwrap()
                .key_id,
            "test-shared-secret"
        );
        // A chosen label.
        policy.label = Some("sig-b26".into());
        assert_eq!(
            verify_request(&parts, REQ_BODY, &policy, at(CREATED), resolve)
                .unwrap()
                .key_id,
            "test-key-ed25519"
        );
        policy.label = Some("nope".into());
        let err = verify_request(&parts, REQ_BODY, &policy, at(CREATED), resolve).unwrap_err();
        assert!(err.is_missing_signature());
        // Without a key for the first, the second is used.
        policy.label = None;
        let only_ed = |id: &str| (id == "test-key-ed25519").then(|| ed.clone());
        assert_eq!(
            verify_request(&parts, REQ_BODY, &policy, at(CREATED), only_ed)
                .unwrap()
                .key_id,
            "test-key-ed25519"
        );

        // Adding a signature appends to the existing fields; a used label is refused.
        let sk = PrivateKey::hmac_sha256_with(&hmac_secret(), p).unwrap();
        let mut parts = test_request(&[("signature-input", B26_INPUT), ("signature", B26_SIG)]);
        sign_request(&mut parts, REQ_BODY, &sk, &b25_options(), at(CREATED)).unwrap();
        assert_eq!(parse_request(&parts).unwrap().len(), 2);
        assert!(matches!(
            sign_request(&mut parts, REQ_BODY, &sk, &b25_options(), at(CREATED)),
            Err(http_sig::Error::Sign(_))
        ));
    });
}

#[test]
fn rsa_pss_and_v1_5_signing_round_trip() {
    for_each_provider(|p| {
        // The RFC's PKCS#8 RSA-PSS key (id-RSASSA-PSS) signs rsa-pss-sha512 by default.
        let sk = PrivateKey::from_pem_with(RFC_PSS_PRIVATE, p).unwrap();
        assert_eq!(sk.kind(), KeyKind::RsaPss);
        let mut o = SignOptions::rfc9421("test-key-rsa-pss");
        o.include_alg = true;
        let mut parts = test_request(&[]);
        sign_request(&mut parts, REQ_BODY, &sk, &o, at(CREATED)).unwrap();
        assert!(parts.headers["signature-input"]
            .to_str()
            .unwrap()
            .ends_with(r#";keyid="test-key-rsa-pss";alg="rsa-pss-sha512""#));
        let pk = PublicKey::from_pem_with(RFC_PSS_PUBLIC, p).unwrap(); // plain RSA kind: `alg` decides
        let v = verify_request(
            &parts,
            REQ_BODY,
            &VerifyPolicy::default(),
            at(CREATED),
            |_| Some(pk.clone()),
        )
        .unwrap();
        assert_eq!(v.algorithm, Algorithm::RsaPssSha512);

        // test-key-rsa (PKCS#1) signs rsa-v1_5-sha256.
        let sk = PrivateKey::from_pem_with(RFC_RSA_PRIVATE, p).unwrap();
        let pk = PublicKey::from_pem_with(RFC_RSA_PUBLIC, p).unwrap();
        let mut parts = test_request(&[]);
        sign_request(
            &mut parts,
            REQ_BODY,
            &sk,
            &SignOptions::rfc9421("test-key-rsa"),
            at(CREATED),
        )
        .unwrap();
        let v = verify_request(
            &parts,
            REQ_BODY,
            &VerifyPolicy::default(),
            at(CREATED),
            |_| Some(pk.clone()),
        )
        .unwrap();
        assert_eq!(v.algorithm, Algorithm::RsaV1_5Sha256);
    });
}

#[test]
fn derived_components_byte_exact() {
    // Values from RFC 9421 section 2.2 examples.
    let parts = request(
        "POST",
        "https://www.example.com/path?param=value&foo=bar&baz=batman&qux=",
        &[
            (
                "signature-input",
                r#"s=("@method" "@target-uri" "@authority" "@scheme" "@request-target" "@path" "@query" "@query-param";name="baz" "@query-param";name="qux");keyid="k""#,
            ),
            ("signature", "s=:AAAA:"),
        ],
    );
    assert_eq!(
        base_of(&parts),
        "\"@method\": POST\n\"@target-uri\": https://www.example.com/path?param=value&foo=bar&baz=batman&qux=\n\"@authority\": www.example.com\n\"@scheme\": https\n\"@request-target\": /path?param=value&foo=bar&baz=batman&qux=\n\"@path\": /path\n\"@query\": ?param=value&foo=bar&baz=batman&qux=\n\"@query-param\";name=\"baz\": batman\n\"@query-param\";name=\"qux\": \n\"@signature-params\": (\"@method\" \"@target-uri\" \"@authority\" \"@scheme\" \"@request-target\" \"@path\" \"@query\" \"@query-param\";name=\"baz\" \"@query-param\";name=\"qux\");keyid=\"k\""
    );
    // Query parameters are decoded and re-encoded (RFC 9421 section 2.2.8 example).
    let parts = request(
        "GET",
        "https://example.com/parameters?var=this%20is%20a%20big%0Avalue&bar=with+plus+whitespace&fa%C3%A7ade%22%3A%20=something",
        &[
            ("signature-input", r#"s=("@query-param";name="var" "@query-param";name="bar" "@query-param";name="fa%C3%A7ade%22%3A%20");keyid="k""#),
            ("signature", "s=:AAAA:"),
        ],
    );
    assert_eq!(
        base_of(&parts),
        "\"@query-param\";name=\"var\": this%20is%20a%20big%0Avalue\n\"@query-param\";name=\"bar\": with%20plus%20whitespace\n\"@query-param\";name=\"fa%C3%A7ade%22%3A%20\": something\n\"@signature-params\": (\"@query-param\";name=\"var\" \"@query-param\";name=\"bar\" \"@query-param\";name=\"fa%C3%A7ade%22%3A%20\");keyid=\"k\""
    );
    // An empty query is "?"; origin-form + Host builds an https target URI; default ports drop
    // from @authority.
    let parts = request(
        "GET",
        "/",
        &[
            ("host", "Example.COM:443"),
            (
                "signature-input",
                r#"s=("@query" "@path" "@authority" "@target-uri");keyid="k""#,
            ),
            ("signature", "s=:AAAA:"),
        ],
    );
    assert_eq!(
        base_of(&parts),
        "\"@query\": ?\n\"@path\": /\n\"@authority\": example.com\n\"@target-uri\": https://Example.COM:443/\n\"@signature-params\": (\"@query\" \"@path\" \"@authority\" \"@target-uri\");keyid=\"k\""
    );
}

#[test]
fn field_parameters_sf_key_bs_req() {
    // RFC 9421 section 2.1 examples: sf re-serializes, key picks a dictionary member, bs wraps.
    let parts = request(
        "GET",
        "https://example.com/",
        &[
            ("example-dict", " a=1,    b=2;x=1;y=2,   c=(a   b   c)"),
            ("example-header", "value, with, lots"),
            ("example-header", "of, commas"),
            (
                "signature-input",
                r#"s=("example-dict" "example-dict";sf "example-dict";key="a" "example-dict";key="c" "example-header";bs);keyid="k""#,
            ),
            ("signature", "s=:AAAA:"),
        ],
    );
    assert_eq!(
        base_of(&parts),
        "\"example-dict\": a=1,    b=2;x=1;y=2,   c=(a   b   c)\n\"example-dict\";sf: a=1, b=2;x=1;y=2, c=(a b c)\n\"example-dict\";key=\"a\": 1\n\"example-dict\";key=\"c\": (a b c)\n\"example-header\";bs: :dmFsdWUsIHdpdGgsIGxvdHM=:, :b2YsIGNvbW1hcw==:\n\"@signature-params\": (\"example-dict\" \"example-dict\";sf \"example-dict\";key=\"a\" \"example-dict\";key=\"c\" \"example-header\";bs);keyid=\"k\""
    );

    // `req`: a response signature covering the request's method and target.
    for_each_provider(|p| {
        let req = request("POST", "https://example.com/foo?param=Value&Pet=dog", &[]);
        let sk = PrivateKey::from_pem_with(RFC_ED25519_PRIVATE, p).unwrap();
        let mut o = SignOptions::rfc9421("test-key-ed25519");
        o.components = Some(vec![
            "@status".into(),
            r#""@method";req"#.into(),
            r#""@target-uri";req"#.into(),
        ]);
        let mut resp = response(503, &[]);
        sign_response(&mut resp, b"", Some(&req), &sk, &o, at(CREATED)).unwrap();
        let s = parse_response(&resp, Some(&req)).unwrap().remove(0);
        assert!(String::from_utf8(s.signature_base.clone()).unwrap().starts_with(
            "\"@status\": 503\n\"@method\";req: POST\n\"@target-uri\";req: https://example.com/foo?param=Value&Pet=dog\n"
        ));
        verify(&s, sk.public_key(), &VerifyPolicy::default(), at(CREATED)).unwrap();
        // Against another request, the same response signature fails.
        let other = request("POST", "https://example.com/bar", &[]);
        let s = parse_response(&resp, Some(&other)).unwrap().remove(0);
        assert!(
            verify(&s, sk.public_key(), &VerifyPolicy::default(), at(CREATED))
                .unwrap_err()
                .is_bad_signature()
        );
        // Without the request, `req` components are missing.
        assert!(parse_response(&resp, None)
            .unwrap_err()
            .is_missing_component());
    });
}
