//! Body digests: `Digest` (RFC 3230) and `Content-Digest` (RFC 9530).

use base64::Engine as _;
use http::HeaderMap;

use crate::{CryptoProvider, Error};

/// A digest algorithm for `Digest` / `Content-Digest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DigestAlgorithm {
    /// SHA-256 (`SHA-256` in `Digest`, `sha-256` in `Content-Digest`).
    Sha256,
    /// SHA-512 (`SHA-512` in `Digest`, `sha-512` in `Content-Digest`).
    Sha512,
}

impl DigestAlgorithm {
    fn from_name(name: &str) -> Option<Self> {
        if name.eq_ignore_ascii_case("sha-256") {
            Some(DigestAlgorithm::Sha256)
        } else if name.eq_ignore_ascii_case("sha-512") {
            Some(DigestAlgorithm::Sha512)
        } else {
            None
        }
    }

    fn hash(self, provider: &CryptoProvider, body: &[u8]) -> Vec<u8> {
        match self {
            DigestAlgorithm::Sha256 => provider.sha256(body).to_vec(),
            DigestAlgorithm::Sha512 => provider.sha512(body).to_vec(),
        }
    }
}

/// Which header a successful digest check used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DigestHeader {
    /// `Digest` (RFC 3230), what draft-cavage signers send.
    Digest,
    /// `Content-Digest` (RFC 9530), what RFC 9421 signers send.
    ContentDigest,
}

/// The outcome of a successful [`verify_body_digest`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DigestCheck {
    /// The headers that were present and matched (one or both).
    pub checked: Vec<DigestHeader>,
}

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The value of a `Digest` header for `body`, e.g. `SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=`.
pub fn digest_value(provider: &CryptoProvider, alg: DigestAlgorithm, body: &[u8]) -> String {
    let name = match alg {
        DigestAlgorithm::Sha256 => "SHA-256",
        DigestAlgorithm::Sha512 => "SHA-512",
    };
    format!("{name}={}", B64.encode(alg.hash(provider, body)))
}

/// The value of a `Content-Digest` header for `body`, e.g. `sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:`.
pub fn content_digest_value(
    provider: &CryptoProvider,
    alg: DigestAlgorithm,
    body: &[u8],
) -> String {
    let name = match alg {
        DigestAlgorithm::Sha256 => "sha-256",
        DigestAlgorithm::Sha512 => "sha-512",
    };
    format!("{name}=:{}:", B64.encode(alg.hash(provider, body)))
}

/// Checks a `Digest` header value (RFC 3230: comma-separated `algorithm=base64` pairs; algorithm
/// names case-insensitive) against `body`. Every SHA-256 / SHA-512 entry must match; other
/// algorithms are ignored. Returns the algorithms checked.
pub fn verify_digest_value(
    provider: &CryptoProvider,
    value: &str,
    body: &[u8],
) -> Result<Vec<DigestAlgorithm>, Error> {
    let mut checked = Vec::new();
    let mut seen_any = false;
    for entry in value.split(',') {
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        let (name, b64) = entry
            .split_once('=')
            .ok_or_else(|| Error::malformed("Digest", "entry without '='"))?;
        seen_any = true;
        let Some(alg) = DigestAlgorithm::from_name(name.trim()) else {
            continue;
        };
        let expected = B64
            .decode(b64.trim())
            .map_err(|_| Error::malformed("Digest", "bad base64"))?;
        if expected != alg.hash(provider, body) {
            return Err(Error::DigestMismatch("Digest"));
        }
        checked.push(alg);
    }
    if checked.is_empty() {
        return Err(if seen_any {
            Error::UnsupportedAlgorithm(format!("Digest: {value}"))
        } else {
            Error::malformed("Digest", "empty")
        });
    }
    Ok(checked)
}

/// Checks a `Content-Digest` value (RFC 9530: a structured dictionary of byte sequences) against
/// `body`. Every `sha-256` / `sha-512` member must match; other algorithms are ignored.
pub fn verify_content_digest_value(
    provider: &CryptoProvider,
    value: &str,
    body: &[u8],
) -> Result<Vec<DigestAlgorithm>, Error> {
    let dict = sfv::Parser::parse_dictionary(value.as_bytes())
        .map_err(|e| Error::malformed("Content-Digest", e))?;
    let mut checked = Vec::new();
    for (name, member) in &dict {
        let Some(alg) = DigestAlgorithm::from_name(name) else {
            continue;
        };
        let expected = match member {
            sfv::ListEntry::Item(sfv::Item {
                bare_item: sfv::BareItem::ByteSeq(b),
                ..
            }) => b,
            _ => {
                return Err(Error::malformed(
                    "Content-Digest",
                    format!("{name} is not a byte sequence"),
                ))
            }
        };
        if *expected != alg.hash(provider, body) {
            return Err(Error::DigestMismatch("Content-Digest"));
        }
        checked.push(alg);
    }
    if checked.is_empty() {
        return Err(if dict.is_empty() {
            Error::malformed("Content-Digest", "empty")
        } else {
            Error::UnsupportedAlgorithm(format!("Content-Digest: {value}"))
        });
    }
    Ok(checked)
}

pub(crate) fn joined(headers: &HeaderMap, name: &str) -> Result<Option<String>, Error> {
    let mut out: Option<String> = None;
    for v in headers.get_all(name) {
        let s = v.to_str().map_err(|_| Error::MalformedHeader {
            header: header_static(name),
            reason: "not ASCII".into(),
        })?;
        match &mut out {
            Some(o) => {
                o.push_str(", ");
                o.push_str(s);
            }
            None => out = Some(s.to_owned()),
        }
    }
    Ok(out)
}

fn header_static(name: &str) -> &'static str {
    match name {
        "digest" => "Digest",
        "content-digest" => "Content-Digest",
        "signature" => "Signature",
        "signature-input" => "Signature-Input",
        "authorization" => "Authorization",
        _ => "header",
    }
}

/// Checks the `Digest` and/or `Content-Digest` headers in `headers` against `body`. Every header
/// present must match. Fails with [`Error::DigestMissing`] when neither is present.
pub fn verify_body_digest(
    provider: &CryptoProvider,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<DigestCheck, Error> {
    let mut checked = Vec::new();
    if let Some(v) = joined(headers, "content-digest")? {
        verify_content_digest_value(provider, &v, body)?;
        checked.push(DigestHeader::ContentDigest);
    }
    if let Some(v) = joined(headers, "digest")? {
        verify_digest_value(provider, &v, body)?;
        checked.push(DigestHeader::Digest);
    }
    if checked.is_empty() {
        return Err(Error::DigestMissing);
    }
    Ok(DigestCheck { checked })
}
