//! Keys: parsing (PEM, DER, Multikey), export, generation.

use std::fmt;
use std::sync::Arc;

use crate::der::{self, Reader};
use crate::provider::{CryptoProvider, SignImpl, VerifyImpl};
use crate::Error;

/// The kind of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyKind {
    /// RSA, used with PKCS#1 v1.5 (`rsa-sha256`, `rsa-v1_5-sha256`; also RSA-PSS when a
    /// signature's `alg` asks for it).
    Rsa,
    /// RSA meant for RSA-PSS (`rsa-pss-sha512`): an `id-RSASSA-PSS` key, or an RSA key marked
    /// with [`PublicKey::into_rsa_pss`] / [`PrivateKey::into_rsa_pss`].
    RsaPss,
    /// ECDSA on P-256 (`ecdsa-p256-sha256`).
    EcdsaP256,
    /// Ed25519 (`ed25519`, `hs2019`).
    Ed25519,
    /// A shared secret for HMAC-SHA256 (`hmac-sha256`).
    HmacSha256,
}

impl KeyKind {
    /// The algorithm this kind of key signs with when nothing else is said
    /// (`hs2019`, or RFC 9421 without `alg`).
    pub fn default_algorithm(self) -> Algorithm {
        match self {
            KeyKind::Rsa => Algorithm::RsaV1_5Sha256,
            KeyKind::RsaPss => Algorithm::RsaPssSha512,
            KeyKind::EcdsaP256 => Algorithm::EcdsaP256Sha256,
            KeyKind::Ed25519 => Algorithm::Ed25519,
            KeyKind::HmacSha256 => Algorithm::HmacSha256,
        }
    }

    /// Whether a key of this kind can be used with `alg`.
    pub fn supports(self, alg: Algorithm) -> bool {
        matches!(
            (self, alg),
            (
                KeyKind::Rsa | KeyKind::RsaPss,
                Algorithm::RsaV1_5Sha256 | Algorithm::RsaPssSha512
            ) | (KeyKind::EcdsaP256, Algorithm::EcdsaP256Sha256)
                | (KeyKind::Ed25519, Algorithm::Ed25519)
                | (KeyKind::HmacSha256, Algorithm::HmacSha256)
        )
    }
}

/// A signature algorithm (the crypto, independent of the HTTP signature scheme).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (cavage `rsa-sha256`, RFC 9421 `rsa-v1_5-sha256`).
    RsaV1_5Sha256,
    /// RSASSA-PSS with SHA-512, 64-byte salt (RFC 9421 `rsa-pss-sha512`).
    RsaPssSha512,
    /// ECDSA P-256 with SHA-256, signature as raw `r || s` (RFC 9421 `ecdsa-p256-sha256`).
    EcdsaP256Sha256,
    /// Ed25519 (RFC 9421 `ed25519`).
    Ed25519,
    /// HMAC-SHA256 (RFC 9421 `hmac-sha256`).
    HmacSha256,
}

impl Algorithm {
    /// The RFC 9421 registry name.
    pub fn rfc9421_name(self) -> &'static str {
        match self {
            Algorithm::RsaV1_5Sha256 => "rsa-v1_5-sha256",
            Algorithm::RsaPssSha512 => "rsa-pss-sha512",
            Algorithm::EcdsaP256Sha256 => "ecdsa-p256-sha256",
            Algorithm::Ed25519 => "ed25519",
            Algorithm::HmacSha256 => "hmac-sha256",
        }
    }

    /// Looks up an RFC 9421 registry name.
    pub fn from_rfc9421_name(name: &str) -> Option<Self> {
        Some(match name {
            "rsa-v1_5-sha256" => Algorithm::RsaV1_5Sha256,
            "rsa-pss-sha512" => Algorithm::RsaPssSha512,
            "ecdsa-p256-sha256" => Algorithm::EcdsaP256Sha256,
            "ed25519" => Algorithm::Ed25519,
            "hmac-sha256" => Algorithm::HmacSha256,
            _ => return None,
        })
    }
}

/// Provider-independent public key material (canonical forms).
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum PublicMaterial {
    /// Big-endian modulus and exponent (no leading zeros) and the PKCS#1 RSAPublicKey DER.
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
        pkcs1: Vec<u8>,
    },
    /// Uncompressed SEC1 point (65 bytes).
    P256(Vec<u8>),
    Ed25519([u8; 32]),
    Hmac(Vec<u8>),
}

/// Provider-independent private key material.
pub(crate) enum PrivateMaterial {
    /// PKCS#1 RSAPrivateKey DER, and the modulus length in bits.
    Rsa {
        pkcs1: Vec<u8>,
        bits: usize,
    },
    P256 {
        scalar: Vec<u8>,
        point: Vec<u8>,
    },
    Ed25519 {
        seed: [u8; 32],
    },
    Hmac(Vec<u8>),
}

/// A parsed public key (or HMAC shared secret) bound to a [`CryptoProvider`].
///
/// A plain value: cheap to clone (reference counted), `Send + Sync`, meant to be parsed once and
/// cached by the caller. It keeps the provider's parsed form so verification does not re-parse.
#[derive(Clone)]
pub struct PublicKey {
    kind: KeyKind,
    material: Arc<PublicMaterial>,
    verifier: Arc<dyn VerifyImpl>,
    provider: &'static CryptoProvider,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("kind", &self.kind)
            .field("provider", &self.provider.name())
            .finish_non_exhaustive()
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.material == other.material
    }
}
impl Eq for PublicKey {}

fn invalid(what: &str) -> Error {
    Error::InvalidKey(what.to_owned())
}

fn rsa_public_from_pkcs1(pkcs1: &[u8]) -> Result<PublicMaterial, Error> {
    let mut outer = Reader::new(pkcs1);
    let mut r = Reader::new(
        outer
            .read(der::TAG_SEQUENCE)
            .ok_or_else(|| invalid("bad RSAPublicKey"))?,
    );
    let n = r.read_uint().ok_or_else(|| invalid("bad RSA modulus"))?;
    let e = r.read_uint().ok_or_else(|| invalid("bad RSA exponent"))?;
    if !r.is_empty() || !outer.is_empty() {
        return Err(invalid("trailing data in RSAPublicKey"));
    }
    let bits = n.len() * 8 - n.first().map_or(8, |b| b.leading_zeros() as usize);
    if !(1024..=8192).contains(&bits) {
        return Err(Error::InvalidKey(format!(
            "RSA modulus of {bits} bits (1024–8192 accepted)"
        )));
    }
    Ok(PublicMaterial::Rsa {
        n: n.to_vec(),
        e: e.to_vec(),
        pkcs1: der::seq(&[&der::uint(n), &der::uint(e)]),
    })
}

fn material_from_spki(spki: &[u8]) -> Result<(KeyKind, PublicMaterial), Error> {
    let (alg, key) = der::parse_spki(spki).ok_or_else(|| invalid("not a SubjectPublicKeyInfo"))?;
    match alg.oid {
        der::OID_RSA_ENCRYPTION => Ok((KeyKind::Rsa, rsa_public_from_pkcs1(key)?)),
        der::OID_RSASSA_PSS => Ok((KeyKind::RsaPss, rsa_public_from_pkcs1(key)?)),
        der::OID_ED25519 => {
            let k: [u8; 32] = key
                .try_into()
                .map_err(|_| invalid("Ed25519 key is not 32 bytes"))?;
            Ok((KeyKind::Ed25519, PublicMaterial::Ed25519(k)))
        }
        der::OID_EC_PUBLIC_KEY => {
            match alg.params {
                Some((der::TAG_OID, der::OID_P256)) => {}
                _ => return Err(invalid("only the P-256 curve is supported")),
            }
            if key.len() != 65 || key[0] != 4 {
                return Err(invalid("P-256 key is not an uncompressed point"));
            }
            Ok((KeyKind::EcdsaP256, PublicMaterial::P256(key.to_vec())))
        }
        _ => Err(invalid("unknown public key algorithm")),
    }
}

impl PublicKey {
    fn build(
        kind: KeyKind,
        material: PublicMaterial,
        provider: &'static CryptoProvider,
    ) -> Result<Self, Error> {
        let verifier = provider.imp.verifier(&material)?;
        Ok(PublicKey {
            kind,
            material: Arc::new(material),
            verifier,
            provider,
        })
    }

    /// Parses a PEM public key with the default provider: `PUBLIC KEY` (SPKI: RSA, RSA-PSS,
    /// Ed25519, P-256; what actors publish as `publicKeyPem`) or `RSA PUBLIC KEY` (PKCS#1).
    /// Tolerates CRLF, indentation, a missing final newline and text around the block.
    pub fn from_pem(pem: &str) -> Result<Self, Error> {
        Self::from_pem_with(pem, CryptoProvider::get_default())
    }

    /// [`from_pem`](Self::from_pem) with an explicit provider.
    pub fn from_pem_with(pem: &str, provider: &'static CryptoProvider) -> Result<Self, Error> {
        let block = der::pem_decode(pem).ok_or_else(|| invalid("not a PEM block"))?;
        match block.label.as_str() {
            "PUBLIC KEY" => Self::from_spki_der_with(&block.der, provider),
            "RSA PUBLIC KEY" => {
                Self::build(KeyKind::Rsa, rsa_public_from_pkcs1(&block.der)?, provider)
            }
            other => Err(Error::InvalidKey(format!("unexpected PEM label {other:?}"))),
        }
    }

    /// Parses a DER SubjectPublicKeyInfo with the default provider.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, Error> {
        Self::from_spki_der_with(der, CryptoProvider::get_default())
    }

    /// [`from_spki_der`](Self::from_spki_der) with an explicit provider.
    pub fn from_spki_der_with(
        der: &[u8],
        provider: &'static CryptoProvider,
    ) -> Result<Self, Error> {
        let (kind, material) = material_from_spki(der)?;
        Self::build(kind, material, provider)
    }

    /// Parses a Multikey `publicKeyMultibase` value (FEP-521a): base58btc (`z` prefix) of the
    /// multicodec `0xed 0x01` followed by a 32-byte Ed25519 key. Default provider.
    pub fn from_multibase(value: &str) -> Result<Self, Error> {
        Self::from_multibase_with(value, CryptoProvider::get_default())
    }

    /// [`from_multibase`](Self::from_multibase) with an explicit provider.
    pub fn from_multibase_with(
        value: &str,
        provider: &'static CryptoProvider,
    ) -> Result<Self, Error> {
        let rest = value
            .trim()
            .strip_prefix('z')
            .ok_or_else(|| invalid("multibase value is not base58btc ('z')"))?;
        let bytes = der::base58_decode(rest).ok_or_else(|| invalid("bad base58btc"))?;
        match bytes.as_slice() {
            [0xed, 0x01, key @ ..] => {
                let k: [u8; 32] = key
                    .try_into()
                    .map_err(|_| invalid("Ed25519 multikey is not 32 bytes"))?;
                Self::build(KeyKind::Ed25519, PublicMaterial::Ed25519(k), provider)
            }
            [0x80, 0x24, ..] => Err(invalid("RSA multikeys are not supported")),
            _ => Err(invalid("unsupported multicodec in multikey")),
        }
    }

    /// A raw 32-byte Ed25519 public key, default provider.
    pub fn from_ed25519_bytes(key: [u8; 32]) -> Result<Self, Error> {
        Self::build(
            KeyKind::Ed25519,
            PublicMaterial::Ed25519(key),
            CryptoProvider::get_default(),
        )
    }

    /// An HMAC-SHA256 shared secret used for verification, default provider.
    pub fn hmac_sha256(secret: &[u8]) -> Result<Self, Error> {
        Self::hmac_sha256_with(secret, CryptoProvider::get_default())
    }

    /// [`hmac_sha256`](Self::hmac_sha256) with an explicit provider.
    pub fn hmac_sha256_with(
        secret: &[u8],
        provider: &'static CryptoProvider,
    ) -> Result<Self, Error> {
        if secret.is_empty() {
            return Err(invalid("empty HMAC secret"));
        }
        Self::build(
            KeyKind::HmacSha256,
            PublicMaterial::Hmac(secret.to_vec()),
            provider,
        )
    }

    /// Marks an RSA key as an RSA-PSS key, so that RFC 9421 signatures without `alg` are checked
    /// as `rsa-pss-sha512`. Other kinds are returned unchanged.
    pub fn into_rsa_pss(mut self) -> Self {
        if self.kind == KeyKind::Rsa {
            self.kind = KeyKind::RsaPss;
        }
        self
    }

    /// The same key, parsed by another provider.
    pub fn with_provider(&self, provider: &'static CryptoProvider) -> Result<Self, Error> {
        Ok(PublicKey {
            kind: self.kind,
            material: self.material.clone(),
            verifier: provider.imp.verifier(&self.material)?,
            provider,
        })
    }

    /// The key's kind.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// The provider that parsed this key and verifies with it.
    pub fn provider(&self) -> &'static CryptoProvider {
        self.provider
    }

    /// The RSA modulus length in bits, for RSA keys.
    pub fn rsa_bits(&self) -> Option<usize> {
        match &*self.material {
            PublicMaterial::Rsa { n, .. } => {
                Some(n.len() * 8 - n.first().map_or(8, |b| b.leading_zeros() as usize))
            }
            _ => None,
        }
    }

    /// DER SubjectPublicKeyInfo. HMAC secrets have none.
    pub fn to_spki_der(&self) -> Result<Vec<u8>, Error> {
        Ok(match &*self.material {
            PublicMaterial::Rsa { pkcs1, .. } => {
                let oid = if self.kind == KeyKind::RsaPss {
                    der::OID_RSASSA_PSS
                } else {
                    der::OID_RSA_ENCRYPTION
                };
                let params = der::tlv(der::TAG_NULL, &[]);
                let alg = if self.kind == KeyKind::RsaPss {
                    der::alg_id(oid, None)
                } else {
                    der::alg_id(oid, Some(&params))
                };
                der::spki(&alg, pkcs1)
            }
            PublicMaterial::P256(point) => {
                let curve = der::tlv(der::TAG_OID, der::OID_P256);
                der::spki(&der::alg_id(der::OID_EC_PUBLIC_KEY, Some(&curve)), point)
            }
            PublicMaterial::Ed25519(k) => der::spki(&der::alg_id(der::OID_ED25519, None), k),
            PublicMaterial::Hmac(_) => return Err(invalid("an HMAC secret has no public form")),
        })
    }

    /// PEM `PUBLIC KEY` (SPKI), as actors publish in `publicKeyPem`.
    pub fn to_pem(&self) -> Result<String, Error> {
        Ok(der::pem_encode("PUBLIC KEY", &self.to_spki_der()?))
    }

    /// Multikey `publicKeyMultibase` (FEP-521a) for Ed25519 keys.
    pub fn to_multibase(&self) -> Option<String> {
        match &*self.material {
            PublicMaterial::Ed25519(k) => {
                let mut bytes = vec![0xed, 0x01];
                bytes.extend_from_slice(k);
                Some(format!("z{}", der::base58_encode(&bytes)))
            }
            _ => None,
        }
    }

    /// Verifies `signature` over `message` with `alg` (low level; the HTTP-level entry points are
    /// [`verify`](crate::verify) and [`verify_request`](crate::verify_request)).
    pub fn verify_raw(
        &self,
        alg: Algorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        if !self.kind.supports(alg) {
            return Err(Error::KeyTypeMismatch {
                key: self.kind,
                algorithm: alg.rfc9421_name().to_owned(),
            });
        }
        self.verifier.verify(alg, message, signature)
    }
}

/// A private signing key (or HMAC shared secret) bound to a [`CryptoProvider`].
#[derive(Clone)]
pub struct PrivateKey {
    kind: KeyKind,
    material: Arc<PrivateMaterial>,
    signer: Arc<dyn SignImpl>,
    public: PublicKey,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("kind", &self.kind)
            .field("provider", &self.public.provider.name())
            .finish_non_exhaustive()
    }
}

fn rsa_private_parts(pkcs1: &[u8]) -> Result<(PublicMaterial, usize), Error> {
    let mut outer = Reader::new(pkcs1);
    let mut r = Reader::new(
        outer
            .read(der::TAG_SEQUENCE)
            .ok_or_else(|| invalid("bad RSAPrivateKey"))?,
    );
    let _version = r
        .read(der::TAG_INTEGER)
        .ok_or_else(|| invalid("bad RSAPrivateKey version"))?;
    let n = r.read_uint().ok_or_else(|| invalid("bad RSA modulus"))?;
    let e = r.read_uint().ok_or_else(|| invalid("bad RSA exponent"))?;
    let public = rsa_public_from_pkcs1(&der::seq(&[&der::uint(n), &der::uint(e)]))?;
    let bits = n.len() * 8 - n.first().map_or(8, |b| b.leading_zeros() as usize);
    Ok((public, bits))
}

fn sec1_parts(sec1: &[u8]) -> Result<(Vec<u8>, Option<Vec<u8>>), Error> {
    let mut outer = Reader::new(sec1);
    let mut r = Reader::new(
        outer
            .read(der::TAG_SEQUENCE)
            .ok_or_else(|| invalid("bad ECPrivateKey"))?,
    );
    if r.read(der::TAG_INTEGER) != Some(&[1][..]) {
        return Err(invalid("bad ECPrivateKey version"));
    }
    let scalar = r
        .read(der::TAG_OCTET_STRING)
        .ok_or_else(|| invalid("bad EC private scalar"))?;
    let mut point = None;
    while let Some((tag, content)) = r.read_any() {
        match tag {
            0xA0 if Reader::new(content).read(der::TAG_OID) != Some(der::OID_P256) => {
                return Err(invalid("only the P-256 curve is supported"));
            }
            0xA1 => {
                let bits = Reader::new(content)
                    .read(der::TAG_BIT_STRING)
                    .ok_or_else(|| invalid("bad EC public key"))?;
                match bits.split_first() {
                    Some((0, p)) => point = Some(p.to_vec()),
                    _ => return Err(invalid("bad EC public key")),
                }
            }
            _ => {}
        }
    }
    if scalar.len() != 32 {
        return Err(invalid("P-256 private scalar is not 32 bytes"));
    }
    Ok((scalar.to_vec(), point))
}

impl PrivateKey {
    fn build(
        kind: KeyKind,
        material: PrivateMaterial,
        public: PublicMaterial,
        provider: &'static CryptoProvider,
    ) -> Result<Self, Error> {
        let signer = provider.imp.signer(&material)?;
        let public = PublicKey::build(kind, public, provider)?;
        Ok(PrivateKey {
            kind,
            material: Arc::new(material),
            signer,
            public,
        })
    }

    fn from_rsa_pkcs1(
        kind: KeyKind,
        pkcs1: &[u8],
        provider: &'static CryptoProvider,
    ) -> Result<Self, Error> {
        let (public, bits) = rsa_private_parts(pkcs1)?;
        Self::build(
            kind,
            PrivateMaterial::Rsa {
                pkcs1: pkcs1.to_vec(),
                bits,
            },
            public,
            provider,
        )
    }

    fn from_ed25519_seed(seed: [u8; 32], provider: &'static CryptoProvider) -> Result<Self, Error> {
        let public = provider.imp.ed25519_public(&seed)?;
        Self::build(
            KeyKind::Ed25519,
            PrivateMaterial::Ed25519 { seed },
            PublicMaterial::Ed25519(public),
            provider,
        )
    }

    fn from_p256(
        scalar: Vec<u8>,
        point: Option<Vec<u8>>,
        provider: &'static CryptoProvider,
    ) -> Result<Self, Error> {
        let point = point.ok_or_else(|| invalid("P-256 private key without its public point"))?;
        if point.len() != 65 || point[0] != 4 {
            return Err(invalid("P-256 public key is not an uncompressed point"));
        }
        Self::build(
            KeyKind::EcdsaP256,
            PrivateMaterial::P256 {
                scalar,
                point: point.clone(),
            },
            PublicMaterial::P256(point),
            provider,
        )
    }

    /// Parses a PEM private key with the default provider: `PRIVATE KEY` (PKCS#8: RSA, RSA-PSS,
    /// Ed25519, P-256), `RSA PRIVATE KEY` (PKCS#1) or `EC PRIVATE KEY` (SEC1, P-256).
    pub fn from_pem(pem: &str) -> Result<Self, Error> {
        Self::from_pem_with(pem, CryptoProvider::get_default())
    }

    /// [`from_pem`](Self::from_pem) with an explicit provider.
    pub fn from_pem_with(pem: &str, provider: &'static CryptoProvider) -> Result<Self, Error> {
        let block = der::pem_decode(pem).ok_or_else(|| invalid("not a PEM block"))?;
        match block.label.as_str() {
            "PRIVATE KEY" => Self::from_pkcs8_der_with(&block.der, provider),
            "RSA PRIVATE KEY" => Self::from_rsa_pkcs1(KeyKind::Rsa, &block.der, provider),
            "EC PRIVATE KEY" => {
                let (scalar, point) = sec1_parts(&block.der)?;
                Self::from_p256(scalar, point, provider)
            }
            "ENCRYPTED PRIVATE KEY" => Err(invalid("encrypted private keys are not supported")),
            other => Err(Error::InvalidKey(format!("unexpected PEM label {other:?}"))),
        }
    }

    /// Parses a DER PKCS#8 private key with the default provider.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, Error> {
        Self::from_pkcs8_der_with(der, CryptoProvider::get_default())
    }

    /// [`from_pkcs8_der`](Self::from_pkcs8_der) with an explicit provider.
    pub fn from_pkcs8_der_with(
        der: &[u8],
        provider: &'static CryptoProvider,
    ) -> Result<Self, Error> {
        let (alg, key) =
            der::parse_pkcs8(der).ok_or_else(|| invalid("not a PKCS#8 private key"))?;
        match alg.oid {
            der::OID_RSA_ENCRYPTION => Self::from_rsa_pkcs1(KeyKind::Rsa, key, provider),
            der::OID_RSASSA_PSS => Self::from_rsa_pkcs1(KeyKind::RsaPss, key, provider),
            der::OID_ED25519 => {
                let seed = Reader::new(key)
                    .read(der::TAG_OCTET_STRING)
                    .ok_or_else(|| invalid("bad Ed25519 private key"))?;
                let seed: [u8; 32] = seed
                    .try_into()
                    .map_err(|_| invalid("Ed25519 seed is not 32 bytes"))?;
                Self::from_ed25519_seed(seed, provider)
            }
            der::OID_EC_PUBLIC_KEY => {
                match alg.params {
                    Some((der::TAG_OID, der::OID_P256)) => {}
                    _ => return Err(invalid("only the P-256 curve is supported")),
                }
                let (scalar, point) = sec1_parts(key)?;
                Self::from_p256(scalar, point, provider)
            }
            _ => Err(invalid("unknown private key algorithm")),
        }
    }

    /// An HMAC-SHA256 shared secret used for signing, default provider.
    pub fn hmac_sha256(secret: &[u8]) -> Result<Self, Error> {
        Self::hmac_sha256_with(secret, CryptoProvider::get_default())
    }

    /// [`hmac_sha256`](Self::hmac_sha256) with an explicit provider.
    pub fn hmac_sha256_with(
        secret: &[u8],
        provider: &'static CryptoProvider,
    ) -> Result<Self, Error> {
        if secret.is_empty() {
            return Err(invalid("empty HMAC secret"));
        }
        Self::build(
            KeyKind::HmacSha256,
            PrivateMaterial::Hmac(secret.to_vec()),
            PublicMaterial::Hmac(secret.to_vec()),
            provider,
        )
    }

    /// Generates an Ed25519 key with the default provider's RNG.
    pub fn generate_ed25519() -> Result<Self, Error> {
        Self::generate_ed25519_with(CryptoProvider::get_default())
    }

    /// [`generate_ed25519`](Self::generate_ed25519) with an explicit provider.
    pub fn generate_ed25519_with(provider: &'static CryptoProvider) -> Result<Self, Error> {
        let seed = provider.imp.generate_ed25519_seed()?;
        Self::from_ed25519_seed(seed, provider)
    }

    /// Generates an RSA key of `bits` bits (2048 is what the fediverse uses) with the pure-Rust
    /// `rsa` crate (ring cannot generate RSA keys), and hands it to the default provider. Slow
    /// (tens of milliseconds in release builds, seconds in debug builds): do it at account
    /// creation, never on a request path.
    pub fn generate_rsa(bits: usize) -> Result<Self, Error> {
        Self::generate_rsa_with(bits, CryptoProvider::get_default())
    }

    /// [`generate_rsa`](Self::generate_rsa) with an explicit provider.
    pub fn generate_rsa_with(
        bits: usize,
        provider: &'static CryptoProvider,
    ) -> Result<Self, Error> {
        use rsa::pkcs1::EncodeRsaPrivateKey;
        if !(2048..=4096).contains(&bits) {
            return Err(Error::InvalidKey(format!(
                "refusing to generate a {bits}-bit RSA key (2048–4096)"
            )));
        }
        let mut rng = rand::thread_rng();
        let key = rsa::RsaPrivateKey::new(&mut rng, bits)
            .map_err(|e| Error::InvalidKey(format!("RSA keygen: {e}")))?;
        let der = key
            .to_pkcs1_der()
            .map_err(|e| Error::InvalidKey(format!("RSA keygen: {e}")))?;
        Self::from_rsa_pkcs1(KeyKind::Rsa, der.as_bytes(), provider)
    }

    /// Marks an RSA key as an RSA-PSS key (signs `rsa-pss-sha512` by default).
    pub fn into_rsa_pss(mut self) -> Self {
        if self.kind == KeyKind::Rsa {
            self.kind = KeyKind::RsaPss;
            self.public = self.public.into_rsa_pss();
        }
        self
    }

    /// The same key, loaded into another provider.
    pub fn with_provider(&self, provider: &'static CryptoProvider) -> Result<Self, Error> {
        Ok(PrivateKey {
            kind: self.kind,
            material: self.material.clone(),
            signer: provider.imp.signer(&self.material)?,
            public: self.public.with_provider(provider)?,
        })
    }

    /// The key's kind.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// The matching public key (for HMAC: the same secret, for verification).
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The provider this key signs with.
    pub fn provider(&self) -> &'static CryptoProvider {
        self.public.provider
    }

    /// DER PKCS#8 (v1). HMAC secrets have none.
    pub fn to_pkcs8_der(&self) -> Result<Vec<u8>, Error> {
        Ok(match &*self.material {
            PrivateMaterial::Rsa { pkcs1, .. } => {
                let alg = if self.kind == KeyKind::RsaPss {
                    der::alg_id(der::OID_RSASSA_PSS, None)
                } else {
                    der::alg_id(der::OID_RSA_ENCRYPTION, Some(&der::tlv(der::TAG_NULL, &[])))
                };
                der::pkcs8(&alg, pkcs1)
            }
            PrivateMaterial::Ed25519 { seed } => der::pkcs8(
                &der::alg_id(der::OID_ED25519, None),
                &der::tlv(der::TAG_OCTET_STRING, seed),
            ),
            PrivateMaterial::P256 { scalar, point } => {
                let sec1 = der::seq(&[
                    &der::tlv(der::TAG_INTEGER, &[1]),
                    &der::tlv(der::TAG_OCTET_STRING, scalar),
                    &der::tlv(0xA1, &der::bit_string(point)),
                ]);
                let curve = der::tlv(der::TAG_OID, der::OID_P256);
                der::pkcs8(&der::alg_id(der::OID_EC_PUBLIC_KEY, Some(&curve)), &sec1)
            }
            PrivateMaterial::Hmac(_) => return Err(invalid("an HMAC secret has no PKCS#8 form")),
        })
    }

    /// PEM `PRIVATE KEY` (PKCS#8).
    pub fn to_pem(&self) -> Result<String, Error> {
        Ok(der::pem_encode("PRIVATE KEY", &self.to_pkcs8_der()?))
    }

    /// Signs `message` with `alg` (low level; the HTTP-level entry points are
    /// [`sign_request`](crate::sign_request) and [`sign_response`](crate::sign_response)).
    pub fn sign_raw(&self, alg: Algorithm, message: &[u8]) -> Result<Vec<u8>, Error> {
        if !self.kind.supports(alg) {
            return Err(Error::KeyTypeMismatch {
                key: self.kind,
                algorithm: alg.rfc9421_name().to_owned(),
            });
        }
        self.signer.sign(alg, message)
    }
}
