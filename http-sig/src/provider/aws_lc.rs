//! The `aws-lc-rs` provider.

use std::sync::Arc;

use aws_lc_rs::signature::{self as sig, KeyPair as _};
use aws_lc_rs::{digest, hmac, rand};

use super::{LegacyRsaSigner, ProviderImpl, SignImpl, VerifyImpl};
use crate::key::{Algorithm, PrivateMaterial, PublicMaterial};
use crate::Error;

pub(crate) struct AwsLc;

#[allow(clippy::large_enum_variant)] // one per key, behind an Arc
enum Verifier {
    /// Parsed once for PKCS#1 v1.5 / SHA-256 (the hot path); the DER for RSA-PSS.
    Rsa(sig::ParsedPublicKey, Vec<u8>),
    Ed25519(sig::ParsedPublicKey),
    P256(sig::ParsedPublicKey),
    Hmac(hmac::Key),
}

impl VerifyImpl for Verifier {
    fn verify(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> Result<(), Error> {
        let ok = match (self, alg) {
            (Verifier::Rsa(k, _), Algorithm::RsaV1_5Sha256) => {
                k.verify_sig(message, signature).is_ok()
            }
            (Verifier::Rsa(_, der), Algorithm::RsaPssSha512) => {
                sig::UnparsedPublicKey::new(&sig::RSA_PSS_2048_8192_SHA512, der)
                    .verify(message, signature)
                    .is_ok()
            }
            (Verifier::Ed25519(k), Algorithm::Ed25519) => k.verify_sig(message, signature).is_ok(),
            (Verifier::P256(k), Algorithm::EcdsaP256Sha256) => {
                k.verify_sig(message, signature).is_ok()
            }
            (Verifier::Hmac(k), Algorithm::HmacSha256) => {
                hmac::verify(k, message, signature).is_ok()
            }
            _ => return Err(Error::UnsupportedAlgorithm(alg.rfc9421_name().to_owned())),
        };
        if ok {
            Ok(())
        } else {
            Err(Error::BadSignature)
        }
    }
}

#[allow(clippy::large_enum_variant)] // one per key, behind an Arc
enum Signer {
    Rsa(sig::RsaKeyPair),
    Ed25519(sig::Ed25519KeyPair),
    P256(sig::EcdsaKeyPair),
    Hmac(hmac::Key),
}

impl SignImpl for Signer {
    fn sign(&self, alg: Algorithm, message: &[u8]) -> Result<Vec<u8>, Error> {
        let rng = rand::SystemRandom::new();
        let fail = |_| Error::Sign(format!("{} signing failed", alg.rfc9421_name()));
        match (self, alg) {
            (Signer::Rsa(k), Algorithm::RsaV1_5Sha256 | Algorithm::RsaPssSha512) => {
                let mut out = vec![0u8; k.public_modulus_len()];
                let enc: &'static dyn sig::RsaEncoding = if alg == Algorithm::RsaV1_5Sha256 {
                    &sig::RSA_PKCS1_SHA256
                } else {
                    &sig::RSA_PSS_SHA512
                };
                k.sign(enc, &rng, message, &mut out).map_err(fail)?;
                Ok(out)
            }
            (Signer::Ed25519(k), Algorithm::Ed25519) => Ok(k.sign(message).as_ref().to_vec()),
            (Signer::P256(k), Algorithm::EcdsaP256Sha256) => {
                Ok(k.sign(&rng, message).map_err(fail)?.as_ref().to_vec())
            }
            (Signer::Hmac(k), Algorithm::HmacSha256) => {
                Ok(hmac::sign(k, message).as_ref().to_vec())
            }
            _ => Err(Error::UnsupportedAlgorithm(alg.rfc9421_name().to_owned())),
        }
    }
}

impl ProviderImpl for AwsLc {
    fn sha256(&self, data: &[u8]) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(digest::digest(&digest::SHA256, data).as_ref());
        out
    }

    fn sha512(&self, data: &[u8]) -> [u8; 64] {
        let mut out = [0u8; 64];
        out.copy_from_slice(digest::digest(&digest::SHA512, data).as_ref());
        out
    }

    fn verifier(&self, material: &PublicMaterial) -> Result<Arc<dyn VerifyImpl>, Error> {
        let rejected =
            |e: aws_lc_rs::error::KeyRejected| Error::InvalidKey(format!("aws-lc-rs: {e}"));
        Ok(Arc::new(match material {
            PublicMaterial::Rsa { pkcs1, .. } => Verifier::Rsa(
                sig::ParsedPublicKey::new(
                    &sig::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
                    pkcs1,
                )
                .map_err(rejected)?,
                pkcs1.clone(),
            ),
            PublicMaterial::Ed25519(k) => {
                Verifier::Ed25519(sig::ParsedPublicKey::new(&sig::ED25519, k).map_err(rejected)?)
            }
            PublicMaterial::P256(p) => Verifier::P256(
                sig::ParsedPublicKey::new(&sig::ECDSA_P256_SHA256_FIXED, p).map_err(rejected)?,
            ),
            PublicMaterial::Hmac(s) => Verifier::Hmac(hmac::Key::new(hmac::HMAC_SHA256, s)),
        }))
    }

    fn signer(&self, material: &PrivateMaterial) -> Result<Arc<dyn SignImpl>, Error> {
        let rejected =
            |e: aws_lc_rs::error::KeyRejected| Error::InvalidKey(format!("aws-lc-rs: {e}"));
        Ok(match material {
            PrivateMaterial::Rsa { pkcs1, bits } if *bits < 2048 => {
                Arc::new(LegacyRsaSigner::from_pkcs1(pkcs1)?)
            }
            PrivateMaterial::Rsa { pkcs1, .. } => match sig::RsaKeyPair::from_der(pkcs1) {
                Ok(k) => Arc::new(Signer::Rsa(k)),
                // e.g. unbalanced primes, which the pure-Rust implementation accepts
                Err(_) => Arc::new(LegacyRsaSigner::from_pkcs1(pkcs1)?),
            },
            PrivateMaterial::Ed25519 { seed } => Arc::new(Signer::Ed25519(
                sig::Ed25519KeyPair::from_seed_unchecked(seed).map_err(rejected)?,
            )),
            PrivateMaterial::P256 { scalar, point } => Arc::new(Signer::P256(
                sig::EcdsaKeyPair::from_private_key_and_public_key(
                    &sig::ECDSA_P256_SHA256_FIXED_SIGNING,
                    scalar,
                    point,
                )
                .map_err(rejected)?,
            )),
            PrivateMaterial::Hmac(s) => {
                Arc::new(Signer::Hmac(hmac::Key::new(hmac::HMAC_SHA256, s)))
            }
        })
    }

    fn generate_ed25519_seed(&self) -> Result<[u8; 32], Error> {
        use rand::SecureRandom as _;
        let mut seed = [0u8; 32];
        rand::SystemRandom::new()
            .fill(&mut seed)
            .map_err(|_| Error::Sign("RNG failure".into()))?;
        Ok(seed)
    }

    fn ed25519_public(&self, seed: &[u8; 32]) -> Result<[u8; 32], Error> {
        let kp = sig::Ed25519KeyPair::from_seed_unchecked(seed)
            .map_err(|e| Error::InvalidKey(format!("aws-lc-rs: {e}")))?;
        let mut out = [0u8; 32];
        out.copy_from_slice(kp.public_key().as_ref());
        Ok(out)
    }
}
