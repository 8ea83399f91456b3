//! A minimal DER reader/writer and PEM codec, just enough for the key formats the fediverse uses
//! (SPKI, PKCS#8, PKCS#1, SEC1). Everything here is bounds-checked and never panics.

use base64::Engine as _;

/// OID content bytes.
pub(crate) const OID_RSA_ENCRYPTION: &[u8] =
    &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];
pub(crate) const OID_RSASSA_PSS: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0A];
pub(crate) const OID_EC_PUBLIC_KEY: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];
pub(crate) const OID_P256: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
pub(crate) const OID_ED25519: &[u8] = &[0x2B, 0x65, 0x70];

pub(crate) const TAG_INTEGER: u8 = 0x02;
pub(crate) const TAG_BIT_STRING: u8 = 0x03;
pub(crate) const TAG_OCTET_STRING: u8 = 0x04;
pub(crate) const TAG_NULL: u8 = 0x05;
pub(crate) const TAG_OID: u8 = 0x06;
pub(crate) const TAG_SEQUENCE: u8 = 0x30;

/// A cursor over DER bytes.
#[derive(Clone, Copy)]
pub(crate) struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Reader { data }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Reads one TLV, returning its tag and contents.
    pub(crate) fn read_any(&mut self) -> Option<(u8, &'a [u8])> {
        let (&tag, rest) = self.data.split_first()?;
        let (&first, mut rest) = rest.split_first()?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let n = usize::from(first & 0x7F);
            if n == 0 || n > 4 || rest.len() < n {
                return None;
            }
            let mut len = 0usize;
            for &b in &rest[..n] {
                len = (len << 8) | usize::from(b);
            }
            rest = &rest[n..];
            len
        };
        if rest.len() < len {
            return None;
        }
        let (content, after) = rest.split_at(len);
        self.data = after;
        Some((tag, content))
    }

    /// Reads one TLV with the expected tag.
    pub(crate) fn read(&mut self, tag: u8) -> Option<&'a [u8]> {
        match self.read_any()? {
            (t, c) if t == tag => Some(c),
            _ => None,
        }
    }

    /// Reads an unsigned INTEGER, stripping a leading zero byte.
    pub(crate) fn read_uint(&mut self) -> Option<&'a [u8]> {
        let c = self.read(TAG_INTEGER)?;
        match c {
            [] => None,
            [0, rest @ ..] if !rest.is_empty() => Some(rest),
            _ => Some(c),
        }
    }
}

/// Encodes one TLV.
pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// Encodes an unsigned big-endian integer as a DER INTEGER.
pub(crate) fn uint(bytes: &[u8]) -> Vec<u8> {
    let start = bytes.iter().take_while(|&&b| b == 0).count();
    let trimmed = &bytes[start..];
    let mut content = Vec::with_capacity(trimmed.len() + 1);
    if trimmed.first().is_none_or(|&b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend_from_slice(trimmed);
    tlv(TAG_INTEGER, &content)
}

pub(crate) fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(TAG_SEQUENCE, &parts.concat())
}

pub(crate) fn bit_string(content: &[u8]) -> Vec<u8> {
    let mut c = Vec::with_capacity(content.len() + 1);
    c.push(0);
    c.extend_from_slice(content);
    tlv(TAG_BIT_STRING, &c)
}

/// An AlgorithmIdentifier SEQUENCE.
pub(crate) fn alg_id(oid: &[u8], params: Option<&[u8]>) -> Vec<u8> {
    let o = tlv(TAG_OID, oid);
    match params {
        Some(p) => seq(&[&o, p]),
        None => seq(&[&o]),
    }
}

/// A parsed AlgorithmIdentifier: OID and the raw parameter TLV (if any).
pub(crate) struct AlgId<'a> {
    pub(crate) oid: &'a [u8],
    pub(crate) params: Option<(u8, &'a [u8])>,
}

pub(crate) fn read_alg_id<'a>(r: &mut Reader<'a>) -> Option<AlgId<'a>> {
    let mut inner = Reader::new(r.read(TAG_SEQUENCE)?);
    let oid = inner.read(TAG_OID)?;
    let params = if inner.is_empty() {
        None
    } else {
        Some(inner.read_any()?)
    };
    Some(AlgId { oid, params })
}

/// SubjectPublicKeyInfo → (algorithm, key bits).
pub(crate) fn parse_spki(der: &[u8]) -> Option<(AlgId<'_>, &[u8])> {
    let mut outer = Reader::new(der);
    let mut r = Reader::new(outer.read(TAG_SEQUENCE)?);
    let alg = read_alg_id(&mut r)?;
    let bits = r.read(TAG_BIT_STRING)?;
    let (&unused, key) = bits.split_first()?;
    if unused != 0 {
        return None;
    }
    Some((alg, key))
}

/// PKCS#8 PrivateKeyInfo / OneAsymmetricKey → (algorithm, private key octets).
pub(crate) fn parse_pkcs8(der: &[u8]) -> Option<(AlgId<'_>, &[u8])> {
    let mut outer = Reader::new(der);
    let mut r = Reader::new(outer.read(TAG_SEQUENCE)?);
    let version = r.read(TAG_INTEGER)?;
    if version != [0] && version != [1] {
        return None;
    }
    let alg = read_alg_id(&mut r)?;
    let key = r.read(TAG_OCTET_STRING)?;
    Some((alg, key))
}

pub(crate) fn spki(alg: &[u8], key: &[u8]) -> Vec<u8> {
    seq(&[alg, &bit_string(key)])
}

pub(crate) fn pkcs8(alg: &[u8], key: &[u8]) -> Vec<u8> {
    seq(&[&tlv(TAG_INTEGER, &[0]), alg, &tlv(TAG_OCTET_STRING, key)])
}

/// A decoded PEM block.
pub(crate) struct Pem {
    pub(crate) label: String,
    pub(crate) der: Vec<u8>,
}

/// Decodes the first PEM block in `text`, tolerating CRLF, missing final newline, indentation,
/// and whitespace inside the base64 body. Headers (`Proc-Type:` lines) are rejected.
pub(crate) fn pem_decode(text: &str) -> Option<Pem> {
    let begin = text.find("-----BEGIN ")?;
    let after_begin = &text[begin + 11..];
    let label_end = after_begin.find("-----")?;
    let label = after_begin[..label_end].trim().to_owned();
    let body_and_rest = &after_begin[label_end + 5..];
    let end_marker = format!("-----END {label}-----");
    let end = body_and_rest.find(&end_marker)?;
    let body: String = body_and_rest[..end]
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    if body.contains(':') {
        return None;
    }
    let der = base64::engine::general_purpose::STANDARD
        .decode(body.as_bytes())
        .ok()?;
    Some(Pem { label, der })
}

/// Encodes DER as PEM with 64-column lines and a trailing newline.
pub(crate) fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 64);
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        // base64 output is ASCII
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

const B58: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// base58btc decode (bitcoin alphabet).
pub(crate) fn base58_decode(s: &str) -> Option<Vec<u8>> {
    if s.len() > 512 {
        return None;
    }
    let mut out: Vec<u8> = Vec::with_capacity(s.len());
    for c in s.bytes() {
        let mut carry = u32::try_from(B58.iter().position(|&a| a == c)?).ok()?;
        for b in out.iter_mut().rev() {
            carry += u32::from(*b) * 58;
            *b = (carry & 0xFF) as u8;
            carry >>= 8;
        }
        while carry > 0 {
            out.insert(0, (carry & 0xFF) as u8);
            carry >>= 8;
        }
    }
    let zeros = s.bytes().take_while(|&c| c == b'1').count();
    let mut res = vec![0u8; zeros];
    res.extend(out.into_iter().skip_while(|&b| b == 0));
    Some(res)
}

/// base58btc encode (bitcoin alphabet).
pub(crate) fn base58_encode(data: &[u8]) -> String {
    let mut digits: Vec<u8> = Vec::with_capacity(data.len() * 2);
    for &byte in data {
        let mut carry = u32::from(byte);
        for d in digits.iter_mut().rev() {
            carry += u32::from(*d) << 8;
            *d = (carry % 58) as u8;
            carry /= 58;
        }
        while carry > 0 {
            digits.insert(0, (carry % 58) as u8);
            carry /= 58;
        }
    }
    let zeros = data.iter().take_while(|&&b| b == 0).count();
    let mut s = String::with_capacity(zeros + digits.len());
    for _ in 0..zeros {
        s.push('1');
    }
    for d in digits {
        s.push(char::from(B58[usize::from(d)]));
    }
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn base58_round_trip() {
        for data in [&b""[..], b"\0\0abc", b"hello world", &[0xFF; 34]] {
            assert_eq!(base58_decode(&base58_encode(data)).unwrap(), data);
        }
        // "hello world" in base58btc is a well-known value.
        assert_eq!(base58_encode(b"hello world"), "StV1DL6CwTryKyV");
        assert!(base58_decode("0OIl").is_none());
    }

    #[test]
    fn der_length_forms() {
        let long = vec![7u8; 300];
        let enc = tlv(TAG_OCTET_STRING, &long);
        assert_eq!(&enc[..4], &[0x04, 0x82, 0x01, 0x2C]);
        let mut r = Reader::new(&enc);
        assert_eq!(r.read(TAG_OCTET_STRING).unwrap(), &long[..]);
        assert!(Reader::new(&[0x04, 0x85, 1, 1, 1, 1, 1])
            .read_any()
            .is_none());
        assert!(Reader::new(&[0x04, 0x05, 1]).read_any().is_none());
        assert_eq!(uint(&[0x80]), vec![0x02, 0x02, 0x00, 0x80]);
    }
}
