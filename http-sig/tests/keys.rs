//! Key parsing, export and generation.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use http_sig::{Algorithm, KeyKind, PrivateKey, PublicKey};

const RFC_RSA_PUBLIC_AS_SPKI: &str = "-----BEGIN PUBLIC KEY-----\n\
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAhAKYdtoeoy8zcAcR874L\n\
8cnZxKzAGwd7v36APp7Pv6Q2jdsPBRrwWEBnez6d0UDKDwGbc6nxfEXAy5mbhgaj\n\
zrw3MOEt8uA5txSKobBpKDeBLOsdJKFqMGmXCQvEG7YemcxDTRPxAleIAgYYRjTS\n\
d/QBwVW9OwNFhekro3RtlinV0a75jfZgkne/YiktSvLG34lw2zqXBDTC5NHROUqG\n\
TlML4PlNZS5Ri2U4aCNx2rUPRcKIlE0PuKxI4T+HIaFpv8+rdV6eUgOrB2xeI1dS\n\
FFn/nnv5OoZJEIB+VmuKn3DCUcCZSFlQPSXSfBDiUGhwOw76WuSSsf1D4b/vLoJ1\n\
0wIDAQAB\n\
-----END PUBLIC KEY-----\n\
";

#[test]
fn public_pem_forms_and_tolerance() {
    for_each_provider(|p| {
        let reference = PublicKey::from_pem_with(CAVAGE_PUBLIC, p).unwrap();
        assert_eq!(reference.kind(), KeyKind::Rsa);
        assert_eq!(reference.rsa_bits(), Some(1024));
        let crlf = CAVAGE_PUBLIC.replace('\n', "\r\n");
        let no_final_newline = CAVAGE_PUBLIC.trim_end().to_owned();
        let indented = CAVAGE_PUBLIC
            .lines()
            .map(|l| format!("   {l}  "))
            .collect::<Vec<_>>()
            .join("\n");
        let one_line = CAVAGE_PUBLIC.replace('\n', "");
        let json_escaped_then_unescaped = format!("\n\n{CAVAGE_PUBLIC}\n\n");
        for variant in [
            crlf,
            no_final_newline,
            indented,
            one_line,
            json_escaped_then_unescaped,
        ] {
            assert_eq!(
                PublicKey::from_pem_with(&variant, p).unwrap(),
                reference,
                "{variant:?}"
            );
        }
        // PKCS#1 "RSA PUBLIC KEY".
        let pkcs1 = PublicKey::from_pem_with(RFC_RSA_PUBLIC, p).unwrap();
        assert_eq!((pkcs1.kind(), pkcs1.rsa_bits()), (KeyKind::Rsa, Some(2048)));
        // The same key as SPKI, as converted by `openssl rsa -RSAPublicKey_in -pubout`.
        assert_eq!(pkcs1.to_pem().unwrap(), RFC_RSA_PUBLIC_AS_SPKI);
        // Ed25519 and P-256 SPKI.
        assert_eq!(
            PublicKey::from_pem_with(RFC_ED25519_PUBLIC, p)
                .unwrap()
                .kind(),
            KeyKind::Ed25519
        );
        assert_eq!(
            PublicKey::from_pem_with(RFC_P256_PUBLIC, p).unwrap().kind(),
            KeyKind::EcdsaP256
        );
    });
}

#[test]
fn public_pem_export_is_byte_exact_spki() {
    for_each_provider(|p| {
        for pem in [
            CAVAGE_PUBLIC,
            RFC_PSS_PUBLIC,
            RFC_ED25519_PUBLIC,
            RFC_P256_PUBLIC,
        ] {
            assert_eq!(
                PublicKey::from_pem_with(pem, p).unwrap().to_pem().unwrap(),
                pem
            );
        }
    });
}

#[test]
fn private_keys_parse_export_and_match_their_public_keys() {
    for_each_provider(|p| {
        let cases = [
            (CAVAGE_PRIVATE, CAVAGE_PUBLIC, KeyKind::Rsa),
            (RFC_RSA_PRIVATE, RFC_RSA_PUBLIC, KeyKind::Rsa),
            (RFC_PSS_PRIVATE, RFC_PSS_PUBLIC, KeyKind::RsaPss),
            (RFC_P256_PRIVATE, RFC_P256_PUBLIC, KeyKind::EcdsaP256),
            (RFC_ED25519_PRIVATE, RFC_ED25519_PUBLIC, KeyKind::Ed25519),
        ];
        for (private, public, kind) in cases {
            let sk = PrivateKey::from_pem_with(private, p).unwrap();
            assert_eq!(sk.kind(), kind);
            let pk = PublicKey::from_pem_with(public, p).unwrap();
            let pk = if kind == KeyKind::RsaPss {
                pk.into_rsa_pss()
            } else {
                pk
            };
            assert_eq!(sk.public_key(), &pk);
            // Export to PKCS#8 and back.
            let pem = sk.to_pem().unwrap();
            assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
            let again = PrivateKey::from_pem_with(&pem, p).unwrap();
            assert_eq!(again.public_key(), &pk);
            // Sign with the re-imported key, verify with the original public key.
            let alg = kind.default_algorithm();
            let sig = again.sign_raw(alg, b"hello").unwrap();
            pk.verify_raw(alg, b"hello", &sig).unwrap();
            assert!(pk
                .verify_raw(alg, b"hellO", &sig)
                .unwrap_err()
                .is_bad_signature());
        }
        // The Ed25519 PKCS#8 export is the canonical v1 encoding, identical to the RFC's.
        assert_eq!(
            PrivateKey::from_pem_with(RFC_ED25519_PRIVATE, p)
                .unwrap()
                .to_pem()
                .unwrap(),
            RFC_ED25519_PRIVATE
        );
    });
}

#[test]
fn exported_pkcs8_reads_in_an_independent_implementation() {
    use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
    use rsa::traits::PublicKeyParts;
    let sk = PrivateKey::from_pem(RFC_RSA_PRIVATE).unwrap();
    let theirs = rsa::RsaPrivateKey::from_pkcs8_pem(&sk.to_pem().unwrap()).unwrap();
    let their_pub =
        rsa::RsaPublicKey::from_public_key_pem(&sk.public_key().to_pem().unwrap()).unwrap();
    assert_eq!(theirs.n(), their_pub.n());
    assert_eq!(their_pub.n().bits(), 2048);
}

#[test]
fn multikey_ed25519() {
    for_each_provider(|p| {
        let pk = PublicKey::from_pem_with(RFC_ED25519_PUBLIC, p).unwrap();
        // base58btc of 0xed 0x01 || key, computed independently.
        let mb = "z6Mkh4LmfP1ev9MNPGr7JbEbtD6BD4fsu1duEj83PMCs3xHG";
        assert_eq!(pk.to_multibase().unwrap(), mb);
        assert_eq!(PublicKey::from_multibase_with(mb, p).unwrap(), pk);
        assert!(PublicKey::from_pem_with(RFC_RSA_PUBLIC, p)
            .unwrap()
            .to_multibase()
            .is_none());
        for bad in [
            "",
            "z",
            "m7QFAQ",
            "z6Mkh4LmfP1ev9MNPGr7JbEbtD6BD4fsu1duEj83PMCs3xH0",
            "z6Mkh4LmfP1ev9MNPGr7JbEbtD6BD4fsu1duEj83PMCs3x",
        ] {
            assert!(
                PublicKey::from_multibase_with(bad, p)
                    .unwrap_err()
                    .is_invalid_key(),
                "{bad}"
            );
        }
    });
}

#[test]
fn generated_ed25519_keys_sign_and_export() {
    for_each_provider(|p| {
        let a = PrivateKey::generate_ed25519_with(p).unwrap();
        let b = PrivateKey::generate_ed25519_with(p).unwrap();
        assert_ne!(a.public_key(), b.public_key());
        let sig = a.sign_raw(Algorithm::Ed25519, b"m").unwrap();
        assert_eq!(sig.len(), 64);
        let pk = PublicKey::from_pem_with(&a.public_key().to_pem().unwrap(), p).unwrap();
        pk.verify_raw(Algorithm::Ed25519, b"m", &sig).unwrap();
        assert!(b
            .public_key()
            .verify_raw(Algorithm::Ed25519, b"m", &sig)
            .unwrap_err()
            .is_bad_signature());
    });
}

#[test]
fn generated_rsa_2048_key_is_usable_by_every_provider() {
    // One RSA key for the whole test: generation is slow in debug builds.
    let sk = PrivateKey::generate_rsa(2048).unwrap();
    assert_eq!(sk.public_key().rsa_bits(), Some(2048));
    let pem = sk.to_pem().unwrap();
    let public_pem = sk.public_key().to_pem().unwrap();
    for_each_provider(|p| {
        let sk = PrivateKey::from_pem_with(&pem, p).unwrap();
        let pk = PublicKey::from_pem_with(&public_pem, p).unwrap();
        let sig = sk.sign_raw(Algorithm::RsaV1_5Sha256, b"m").unwrap();
        assert_eq!(sig.len(), 256);
        pk.verify_raw(Algorithm::RsaV1_5Sha256, b"m", &sig).unwrap();
        // PKCS#1 v1.5 is deterministic: every provider produces the same bytes.
        assert_eq!(
            sig,
            PrivateKey::from_pem(&pem)
                .unwrap()
                .sign_raw(Algorithm::RsaV1_5Sha256, b"m")
                .unwrap()
        );
    });
    assert!(PrivateKey::generate_rsa(1024).unwrap_err().is_invalid_key());
}

#[test]
fn keys_move_between_providers() {
    let sk = PrivateKey::from_pem(RFC_ED25519_PRIVATE).unwrap();
    for p in http_sig::CryptoProvider::all() {
        let moved = sk.with_provider(p).unwrap();
        assert_eq!(moved.provider(), *p);
        let sig = moved.sign_raw(Algorithm::Ed25519, b"x").unwrap();
        sk.public_key()
            .verify_raw(Algorithm::Ed25519, b"x", &sig)
            .unwrap();
    }
}

#[test]
fn hmac_keys() {
    for_each_provider(|p| {
        let sk = PrivateKey::hmac_sha256_with(b"secret", p).unwrap();
        let tag = sk.sign_raw(Algorithm::HmacSha256, b"m").unwrap();
        assert_eq!(tag.len(), 32);
        PublicKey::hmac_sha256_with(b"secret", p)
            .unwrap()
            .verify_raw(Algorithm::HmacSha256, b"m", &tag)
            .unwrap();
        let err = PublicKey::hmac_sha256_with(b"other", p)
            .unwrap()
            .verify_raw(Algorithm::HmacSha256, b"m", &tag);
        assert!(err.unwrap_err().is_bad_signature());
        assert!(sk.to_pem().unwrap_err().is_invalid_key());
        assert!(PublicKey::hmac_sha256_with(b"", p)
            .unwrap_err()
            .is_invalid_key());
    });
}
