//! Property tests: sign → verify round trips over generated requests, for both schemes and every
//! provider; any change to a covered component or one body byte makes verification fail; and no
//! input makes a parser panic.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::sync::OnceLock;

use common::*;
use http_sig::{
    parse_request, sign_request, verify_request, CryptoProvider, PrivateKey, PublicKey, Scheme,
    SignOptions, VerifyPolicy,
};
use proptest::prelude::*;

const NOW: u64 = 1_700_000_000;
const KEY_ID: &str = "https://a.example/users/alice#main-key";

#[derive(Debug, Clone)]
struct Req {
    method: &'static str,
    path: String,
    query: Option<String>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Req {
    fn uri(&self) -> String {
        match &self.query {
            Some(q) => format!("https://b.example{}?{q}", self.path),
            None => format!("https://b.example{}", self.path),
        }
    }

    fn parts(&self) -> http::request::Parts {
        let mut b = http::Request::builder().method(self.method).uri(self.uri());
        for (k, v) in &self.headers {
            b = b.header(k.as_str(), v.as_str());
        }
        b.body(()).unwrap().into_parts().0
    }
}

fn req_strategy() -> impl Strategy<Value = Req> {
    (
        prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "PATCH"]),
        prop::collection::vec("[a-zA-Z0-9._~-]{1,8}", 0..4),
        prop::option::of(prop::collection::vec(
            ("[a-z]{1,5}", "[a-zA-Z0-9]{0,5}"),
            1..4,
        )),
        prop::collection::vec(("x-[a-z]{1,6}", "[!-~]([ -~]{0,18}[!-~])?"), 0..4),
        prop::collection::vec(any::<u8>(), 0..200),
    )
        .prop_map(|(method, segs, query, headers, body)| Req {
            method,
            path: format!("/{}", segs.join("/")),
            query: query.map(|q| {
                q.into_iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join("&")
            }),
            headers,
            body,
        })
}

/// The scheme's default components plus every extra header.
fn options(scheme: Scheme, r: &Req) -> SignOptions {
    let mut o = match scheme {
        Scheme::Cavage => SignOptions::cavage(KEY_ID),
        _ => SignOptions::rfc9421(KEY_ID),
    };
    let digest = !r.body.is_empty() || r.method == "POST";
    let mut comps: Vec<String> = match scheme {
        Scheme::Cavage => {
            let mut c = vec!["(request-target)".to_owned(), "host".into(), "date".into()];
            if digest {
                c.push("digest".into());
            }
            c
        }
        _ => {
            let mut c = vec!["@method".to_owned(), "@target-uri".into()];
            if digest {
                c.push("content-digest".into());
            }
            c
        }
    };
    let mut names: Vec<String> = r.headers.iter().map(|(k, _)| k.clone()).collect();
    names.dedup();
    names.sort();
    names.dedup();
    comps.extend(names);
    o.components = Some(comps);
    o
}

fn rsa_key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::generate_rsa(2048).unwrap())
}

fn ed_key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::generate_ed25519().unwrap())
}

/// A tampered request must fail on the crypto, the digest, or a now-missing component — not on
/// something unrelated.
fn tamper_detected(res: Result<http_sig::Verified, http_sig::Error>) -> bool {
    match res {
        Ok(_) => false,
        Err(e) => e.is_bad_signature() || e.is_digest_mismatch() || e.is_missing_component(),
    }
}

fn check(
    r: &Req,
    scheme: Scheme,
    signer: &PrivateKey,
    verifier: &PublicKey,
) -> Result<(), TestCaseError> {
    let mut parts = r.parts();
    sign_request(&mut parts, &r.body, signer, &options(scheme, r), at(NOW)).unwrap();
    let policy = VerifyPolicy::default();
    let verify = |p: &http::request::Parts, body: &[u8]| {
        verify_request(p, body, &policy, at(NOW), |id| {
            (id == KEY_ID).then(|| verifier.clone())
        })
    };
    let v = verify(&parts, &r.body)
        .map_err(|e| TestCaseError::fail(format!("valid request rejected: {e}")))?;
    prop_assert_eq!(v.scheme, scheme);

    // One body byte changed.
    if !r.body.is_empty() {
        let mut body = r.body.clone();
        let i = body.len() / 2;
        body[i] ^= 0x01;
        prop_assert!(
            tamper_detected(verify(&parts, &body)),
            "body change accepted"
        );
    }
    // Another method.
    let mut p = parts.clone();
    p.method = if r.method == "PATCH" {
        http::Method::PUT
    } else {
        http::Method::PATCH
    };
    prop_assert!(
        tamper_detected(verify(&p, &r.body)),
        "method change accepted"
    );
    // Another path / query.
    let mut p = parts.clone();
    p.uri = format!(
        "https://b.example{}x{}",
        r.path,
        r.query
            .as_ref()
            .map(|q| format!("?{q}"))
            .unwrap_or_default()
    )
    .parse()
    .unwrap();
    prop_assert!(tamper_detected(verify(&p, &r.body)), "path change accepted");
    let mut p = parts.clone();
    p.uri = format!(
        "{}{}z=1",
        r.uri(),
        if r.query.is_some() { "&" } else { "?" }
    )
    .parse()
    .unwrap();
    prop_assert!(
        tamper_detected(verify(&p, &r.body)),
        "query change accepted"
    );
    // Another host.
    let mut p = parts.clone();
    p.uri = p
        .uri
        .to_string()
        .replace("b.example", "c.example")
        .parse()
        .unwrap();
    p.headers.insert("host", "c.example".parse().unwrap());
    prop_assert!(tamper_detected(verify(&p, &r.body)), "host change accepted");
    // Another Date (cavage covers it; RFC 9421 covers `created` instead).
    if scheme == Scheme::Cavage {
        let mut p = parts.clone();
        p.headers.insert(
            "date",
            httpdate::fmt_http_date(at(NOW + 1)).parse().unwrap(),
        );
        prop_assert!(tamper_detected(verify(&p, &r.body)), "date change accepted");
    }
    // Every covered extra header changed (value) or removed.
    for (name, _) in &r.headers {
        let mut p = parts.clone();
        p.headers.insert(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            "changed-value".parse().unwrap(),
        );
        if r.headers
            .iter()
            .filter(|(k, _)| k == name)
            .all(|(_, v)| v.trim() == "changed-value")
        {
            continue;
        }
        prop_assert!(
            tamper_detected(verify(&p, &r.body)),
            "change of {} accepted",
            name
        );
        let mut p = parts.clone();
        p.headers.remove(name.as_str());
        prop_assert!(
            tamper_detected(verify(&p, &r.body)),
            "removal of {} accepted",
            name
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn ed25519_round_trip_and_tamper(r in req_strategy(), rfc in any::<bool>()) {
        let scheme = if rfc { Scheme::Rfc9421 } else { Scheme::Cavage };
        // Sign with one provider, verify with each (cross-implementation when both are built).
        let pem = ed_key().to_pem().unwrap();
        let public_pem = ed_key().public_key().to_pem().unwrap();
        for signer_p in CryptoProvider::all() {
            let signer = PrivateKey::from_pem_with(&pem, signer_p).unwrap();
            for verifier_p in CryptoProvider::all() {
                let verifier = PublicKey::from_pem_with(&public_pem, verifier_p).unwrap();
                check(&r, scheme, &signer, &verifier)?;
            }
        }
    }
}

proptest! {
    // RSA signing in debug builds is slow: few cases.
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn rsa_round_trip_and_tamper(r in req_strategy(), rfc in any::<bool>()) {
        let scheme = if rfc { Scheme::Rfc9421 } else { Scheme::Cavage };
        let pem = rsa_key().to_pem().unwrap();
        let public_pem = rsa_key().public_key().to_pem().unwrap();
        for p in CryptoProvider::all() {
            let signer = PrivateKey::from_pem_with(&pem, p).unwrap();
            let verifier = PublicKey::from_pem_with(&public_pem, CryptoProvider::all()[CryptoProvider::all().len() - 1]).unwrap();
            check(&r, scheme, &signer, &verifier)?;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parsers_never_panic(
        value in "[ -~]{0,200}",
        structured in r#"[a-z0-9@;:=(),"*. -]{0,120}"#,
    ) {
        let p = CryptoProvider::get_default();
        for (name, v) in [("signature", &value), ("signature", &structured), ("authorization", &format!("Signature {value}"))] {
            let parts = request("POST", "https://b.example/x?y=1", &[("host", "b.example"), ("date", "Tue, 14 Nov 2023 22:13:20 GMT"), (name, v)]);
            if let Ok(sigs) = parse_request(&parts) {
                for s in sigs {
                    let _ = http_sig::verify(&s, ed_key().public_key(), &VerifyPolicy::permissive(), at(NOW));
                }
            }
        }
        for v in [&value, &structured] {
            let parts = request("GET", "https://b.example/?a=1&a=2", &[
                ("signature-input", v),
                ("signature", "sig1=:AAAA:, sig=:AAAA:"),
                ("x", v),
            ]);
            let _ = parse_request(&parts);
            let parts = request("GET", "https://b.example/", &[
                ("signature-input", &format!("sig1=({v});keyid=\"k\"")),
                ("signature", "sig1=:AAAA:"),
            ]);
            let _ = parse_request(&parts);
            let _ = http_sig::digest::verify_digest_value(p, v, b"x");
            let _ = http_sig::digest::verify_content_digest_value(p, v, b"x");
            let _ = PublicKey::from_pem(v);
            let _ = PublicKey::from_pem(&format!("-----BEGIN PUBLIC KEY-----\n{v}\n-----END PUBLIC KEY-----"));
            let _ = PrivateKey::from_pem(&format!("-----BEGIN PRIVATE KEY-----\n{v}\n-----END PRIVATE KEY-----"));
            let _ = PublicKey::from_multibase(v);
        }
    }

    #[test]
    fn der_parsers_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = PublicKey::from_spki_der(&bytes);
        let _ = PrivateKey::from_pkcs8_der(&bytes);
        // Also behind valid-looking outer framing.
        let mut framed = vec![0x30, 0x82, (bytes.len() >> 8) as u8, bytes.len() as u8];
        framed.extend_from_slice(&bytes);
        let _ = PublicKey::from_spki_der(&framed);
        let _ = PrivateKey::from_pkcs8_der(&framed);
    }
}
