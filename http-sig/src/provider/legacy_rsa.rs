//! RSA signing for keys that ring / aws-lc-rs refuse to load: shorter than 2048 bits (the
//! draft-cavage test key, very old installations) or with unbalanced primes (the RFC 9421
//! `test-key-rsa`). Uses the pure-Rust `rsa` crate; slow, but off every hot path in practice.

use rsa::pkcs1::DecodeRsaPrivateKey;
use sha2::Digest as _;

use super::SignImpl;
use crate::key::Algorithm;
use crate::Error;

pub(crate) struct LegacyRsaSigner(rsa::RsaPrivateKey);

impl LegacyRsaSigner {
    pub(crate) fn from_pkcs1(der: &[u8]) -> Result<Self, Error> {
        rsa::RsaPrivateKey::from_pkcs1_der(der)
            .map(LegacyRsaSigner)
            .map_err(|e| Error::InvalidKey(format!("RSA private key: {e}")))
    }
}

impl SignImpl for LegacyRsaSigner {
    fn sign(&self, alg: Algorithm, message: &[u8]) -> Result<Vec<u8>, Error> {
        match alg {
            Algorithm::RsaV1_5Sha256 => {
                let hash = sha2::Sha256::digest(message);
                self.0
                    .sign(rsa::Pkcs1v15Sign::new::<sha2::Sha256>(), &hash)
                    .map_err(|e| Error::Sign(format!("RSA: {e}")))
            }
            Algorithm::RsaPssSha512 => {
                let hash = sha2::Sha512::digest(message);
                self.0
                    .sign_with_rng(
                        &mut rand::thread_rng(),
                        rsa::Pss::new_with_salt::<sha2::Sha512>(64),
                        &hash,
                    )
                    .map_err(|e| Error::Sign(format!("RSA-PSS: {e}")))
            }
            other => Err(Error::KeyTypeMismatch {
                key: crate::KeyKind::Rsa,
                algorithm: other.rfc9421_name().to_owned(),
            }),
        }
    }
}
