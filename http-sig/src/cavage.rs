//! draft-cavage-http-signatures-12.

use base64::Engine as _;

use crate::message::Msg;
use crate::types::{Component, ParsedSignature, Scheme};
use crate::Error;

pub(crate) const H: &str = "Signature";

/// Lenient base64: padding optional, surrounding whitespace ignored.
pub(crate) const B64_LENIENT: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

/// The raw parameters of a cavage `Signature` header.
#[derive(Default)]
pub(crate) struct Params<'a> {
    key_id: Option<&'a str>,
    algorithm: Option<&'a str>,
    headers: Option<&'a str>,
    signature: Option<&'a str>,
    created: Option<&'a str>,
    expires: Option<&'a str>,
}

/// Parses `keyId="…",algorithm="…",headers="…",signature="…"` (also `created=`/`expires=`),
/// tolerating whitespace around separators and unknown parameters.
pub(crate) fn parse_params(value: &str) -> Result<Params<'_>, Error> {
    let mut p = Params::default();
    let bytes = value.as_bytes();
    let mut i = 0;
    let n = bytes.len();
    loop {
        while i < n && (bytes[i] == b',' || bytes[i].is_ascii_whitespace()) {
            i += 1;
        }
        if i >= n {
            break;
        }
        let ks = i;
        while i < n && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'-' || bytes[i] == b'_') {
            i += 1;
        }
        let key = &value[ks..i];
        if key.is_empty() {
            return Err(Error::malformed(H, format!("unexpected character at {i}")));
        }
        while i < n && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= n || bytes[i] != b'=' {
            return Err(Error::malformed(
                H,
                format!("parameter {key} without a value"),
            ));
        }
        i += 1;
        while i < n && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let val = if i < n && bytes[i] == b'"' {
            i += 1;
            let vs = i;
            while i < n && bytes[i] != b'"' {
                if bytes[i] == b'\\' {
                    return Err(Error::malformed(
                        H,
                        "escapes in quoted values are not supported",
                    ));
                }
                i += 1;
            }
            if i >= n {
                return Err(Error::malformed(H, "unterminated quoted value"));
            }
            let v = &value[vs..i];
            i += 1;
            v
        } else {
            let vs = i;
            while i < n && bytes[i] != b',' {
                i += 1;
            }
            value[vs..i].trim_end()
        };
        let slot = match key.to_ascii_lowercase().as_str() {
            "keyid" => &mut p.key_id,
            "algorithm" => &mut p.algorithm,
            "headers" => &mut p.headers,
            "signature" => &mut p.signature,
            "created" => &mut p.created,
            "expires" => &mut p.expires,
            _ => continue,
        };
        if slot.is_some() {
            return Err(Error::malformed(H, format!("duplicate parameter {key}")));
        }
        *slot = Some(val);
        while i < n && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i < n && bytes[i] != b',' {
            return Err(Error::malformed(H, format!("expected ',' after {key}")));
        }
    }
    Ok(p)
}

fn parse_time(v: Option<&str>, what: &str) -> Result<Option<i64>, Error> {
    let Some(v) = v else { return Ok(None) };
    let int = v.split_once('.').map_or(v, |(a, _)| a);
    int.parse::<i64>()
        .map(Some)
        .map_err(|_| Error::malformed(H, format!("bad {what} value")))
}

/// Finds the cavage signature header value: `Signature`, else `Authorization: Signature …`.
pub(crate) fn header_value<'a>(msg: &Msg<'a>) -> Result<Option<&'a str>, Error> {
    if let Some(v) = msg.headers.get("signature") {
        return v
            .to_str()
            .map(Some)
            .map_err(|_| Error::malformed(H, "not ASCII"));
    }
    for v in msg.headers.get_all(http::header::AUTHORIZATION) {
        let s = v
            .to_str()
            .map_err(|_| Error::malformed("Authorization", "not ASCII"))?;
        if let Some(rest) = strip_signature_scheme(s) {
            return Ok(Some(rest));
        }
    }
    Ok(None)
}

/// `Signature keyId=…` → `keyId=…` (scheme name case-insensitive).
pub(crate) fn strip_signature_scheme(value: &str) -> Option<&str> {
    let s = value.trim_start();
    let (scheme, rest) = s.split_once(' ')?;
    scheme.eq_ignore_ascii_case("signature").then_some(rest)
}

pub(crate) fn parse(msg: &Msg<'_>, value: &str) -> Result<ParsedSignature, Error> {
    let p = parse_params(value)?;
    let key_id = p
        .key_id
        .ok_or_else(|| Error::malformed(H, "missing keyId"))?;
    let sig_b64 = p
        .signature
        .ok_or_else(|| Error::malformed(H, "missing signature"))?;
    let signature = B64_LENIENT
        .decode(sig_b64.trim().as_bytes())
        .map_err(|_| Error::malformed(H, "signature is not base64"))?;
    let created = parse_time(p.created, "created")?;
    let expires = parse_time(p.expires, "expires")?;
    let names: Vec<String> = match p.headers {
        Some(h) => h
            .split_ascii_whitespace()
            .map(|s| s.to_ascii_lowercase())
            .collect(),
        // Mastodon's reading of the draft: `(created)` for hs2019 (or no algorithm), `date` for the
        // legacy algorithms (which is also what the Appendix C "Default Test" shows).
        None => match p.algorithm.map(str::to_ascii_lowercase).as_deref() {
            None | Some("hs2019") => vec!["(created)".to_owned()],
            Some(_) => vec!["date".to_owned()],
        },
    };
    let legacy =
        names.iter().any(|n| n == "(request-target)") && msg.query().ok().flatten().is_some();
    let legacy_base = if legacy {
        Some(build_base(msg, names.clone(), p.created, p.expires, true)?.0)
    } else {
        None
    };
    let (base, components, date) = build_base(msg, names, p.created, p.expires, false)?;
    Ok(ParsedSignature {
        scheme: Scheme::Cavage,
        label: None,
        key_id: key_id.to_owned(),
        algorithm: p.algorithm.map(str::to_owned),
        components,
        created,
        expires,
        date,
        nonce: None,
        tag: None,
        method: msg.method.cloned(),
        signature_base: base,
        legacy_signature_base: legacy_base,
        signature,
    })
}

type Base = (Vec<u8>, Vec<Component>, Option<i64>);

/// The signing string for `names`, with the components and the covered `Date` time.
pub(crate) fn build_base(
    msg: &Msg<'_>,
    names: Vec<String>,
    created: Option<&str>,
    expires: Option<&str>,
    omit_query: bool,
) -> Result<Base, Error> {
    if names.is_empty() {
        return Err(Error::malformed(H, "empty headers list"));
    }
    let mut base = Vec::with_capacity(256);
    let mut date = None;
    let mut components = Vec::with_capacity(names.len());
    for (idx, name) in names.into_iter().enumerate() {
        if idx > 0 {
            base.push(b'\n');
        }
        base.extend_from_slice(name.as_bytes());
        base.extend_from_slice(b": ");
        match name.as_str() {
            "(request-target)" => {
                let method = msg
                    .method
                    .ok_or_else(|| Error::MissingComponent(name.clone()))?;
                base.extend_from_slice(method.as_str().to_ascii_lowercase().as_bytes());
                base.push(b' ');
                let target = msg.request_target()?;
                let target = if omit_query {
                    target.split('?').next().unwrap_or_default().to_owned()
                } else {
                    target
                };
                base.extend_from_slice(target.as_bytes());
            }
            "(created)" => {
                let c = created.ok_or_else(|| Error::MissingComponent(name.clone()))?;
                base.extend_from_slice(c.as_bytes());
            }
            "(expires)" => {
                let e = expires.ok_or_else(|| Error::MissingComponent(name.clone()))?;
                base.extend_from_slice(e.as_bytes());
            }
            _ if name.starts_with('(') => {
                return Err(Error::malformed(H, format!("unknown pseudo-header {name}")))
            }
            _ => {
                let v = match msg.header_joined(&name) {
                    Some(v) => v,
                    None if name == "host" && msg.uri.and_then(|u| u.authority()).is_some() => {
                        msg.authority()?.into_bytes()
                    }
                    None => return Err(Error::MissingComponent(name.clone())),
                };
                if v.contains(&b'\n') {
                    return Err(Error::malformed(H, "header value with a newline"));
                }
                if name == "date" {
                    let s = std::str::from_utf8(&v)
                        .map_err(|_| Error::malformed("Date", "not ASCII"))?;
                    let t = httpdate::parse_http_date(s)
                        .map_err(|_| Error::malformed("Date", "not an HTTP date"))?;
                    date = Some(crate::message::unix_seconds(t));
                }
                base.extend_from_slice(&v);
            }
        }
        components.push(Component {
            identifier: name.clone(),
            name,
        });
    }
    Ok((base, components, date))
}

/// Builds the cavage header value after signing.
pub(crate) fn header(
    key_id: &str,
    algorithm: &str,
    created: Option<i64>,
    expires: Option<i64>,
    names: &[String],
    signature: &[u8],
) -> Result<String, Error> {
    if key_id.contains('"') || key_id.contains('\n') {
        return Err(Error::Sign("keyId contains a quote or newline".into()));
    }
    let mut out = format!("keyId=\"{key_id}\",algorithm=\"{algorithm}\"");
    if let Some(c) = created {
        out.push_str(&format!(",created={c}"));
    }
    if let Some(e) = expires {
        out.push_str(&format!(",expires={e}"));
    }
    out.push_str(",headers=\"");
    out.push_str(&names.join(" "));
    out.push_str("\",signature=\"");
    out.push_str(&base64::engine::general_purpose::STANDARD.encode(signature));
    out.push('"');
    Ok(out)
}
