//! Crypto providers: every hash, signature and verification in this crate goes through one.
//!
//! A [`CryptoProvider`] is a small `'static` value (in the style of rustls). The `ring` provider
//! is the default; the `aws-lc-rs` provider is compiled in with the `aws-lc-rs` cargo feature.
//! No type of either crate appears in this crate's public API.
//!
//! Keys remember the provider that parsed them ([`PublicKey::from_pem_with`](crate::PublicKey::from_pem_with)
//! etc.), and keep that provider's parsed form so that verification does not re-parse.

use std::fmt;
use std::sync::Arc;

use crate::key::{Algorithm, PrivateMaterial, PublicMaterial};
use crate::Error;

#[cfg(feature = "aws-lc-rs")]
mod aws_lc;
mod legacy_rsa;
#[cfg(feature = "ring")]
mod ring_impl;

#[cfg(not(any(feature = "ring", feature = "aws-lc-rs")))]
compile_error!("http-sig needs at least one crypto provider: enable feature `ring` or `aws-lc-rs`");

/// A cryptography backend. Obtain one with [`CryptoProvider::get_default`],
/// [`CryptoProvider::ring`], [`CryptoProvider::aws_lc_rs`] or [`CryptoProvider::all`].
pub struct CryptoProvider {
    name: &'static str,
    pub(crate) imp: &'static dyn ProviderImpl,
}

impl fmt::Debug for CryptoProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CryptoProvider")
            .field("name", &self.name)
            .finish()
    }
}

impl PartialEq for CryptoProvider {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}
impl Eq for CryptoProvider {}

#[cfg(feature = "ring")]
static RING: CryptoProvider = CryptoProvider {
    name: "ring",
    imp: &ring_impl::Ring,
};
#[cfg(feature = "aws-lc-rs")]
static AWS_LC: CryptoProvider = CryptoProvider {
    name: "aws-lc-rs",
    imp: &aws_lc::AwsLc,
};

static ALL: &[&CryptoProvider] = &[
    #[cfg(feature = "ring")]
    &RING,
    #[cfg(feature = "aws-lc-rs")]
    &AWS_LC,
];

impl CryptoProvider {
    /// The provider's name: `"ring"` or `"aws-lc-rs"`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The default provider: `ring` when compiled in, otherwise `aws-lc-rs`.
    pub fn get_default() -> &'static CryptoProvider {
        ALL[0]
    }

    /// Every provider compiled into this build, default first. Test suites iterate over this
    /// so that one `cargo test --features aws-lc-rs` run covers both providers.
    pub fn all() -> &'static [&'static CryptoProvider] {
        ALL
    }

    /// The `ring` provider.
    #[cfg(feature = "ring")]
    pub fn ring() -> &'static CryptoProvider {
        &RING
    }

    /// The `aws-lc-rs` provider.
    #[cfg(feature = "aws-lc-rs")]
    pub fn aws_lc_rs() -> &'static CryptoProvider {
        &AWS_LC
    }

    /// SHA-256 of `data`.
    pub fn sha256(&self, data: &[u8]) -> [u8; 32] {
        self.imp.sha256(data)
    }

    /// SHA-512 of `data`.
    pub fn sha512(&self, data: &[u8]) -> [u8; 64] {
        self.imp.sha512(data)
    }
}

/// What a provider implements. Private: the public face is [`CryptoProvider`].
pub(crate) trait ProviderImpl: Send + Sync + 'static {
    fn sha256(&self, data: &[u8]) -> [u8; 32];
    fn sha512(&self, data: &[u8]) -> [u8; 64];
    /// Builds the provider's parsed form of a public key (or HMAC secret).
    fn verifier(&self, material: &PublicMaterial) -> Result<Arc<dyn VerifyImpl>, Error>;
    /// Builds the provider's signing key.
    fn signer(&self, material: &PrivateMaterial) -> Result<Arc<dyn SignImpl>, Error>;
    /// A fresh Ed25519 seed (32 bytes) from the provider's RNG.
    fn generate_ed25519_seed(&self) -> Result<[u8; 32], Error>;
    /// The Ed25519 public key for a seed.
    fn ed25519_public(&self, seed: &[u8; 32]) -> Result<[u8; 32], Error>;
}

/// A provider's parsed verification key.
pub(crate) trait VerifyImpl: Send + Sync {
    /// `Ok(())` when `signature` is valid over `message` with `alg`.
    fn verify(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> Result<(), Error>;
}

/// A provider's signing key.
pub(crate) trait SignImpl: Send + Sync {
    fn sign(&self, alg: Algorithm, message: &[u8]) -> Result<Vec<u8>, Error>;
}

pub(crate) use legacy_rsa::LegacyRsaSigner;
