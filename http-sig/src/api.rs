//! Entry points: parse (step 1), verify (step 3), the one-call convenience, and signing.

use std::time::SystemTime;

use http::header::{HeaderName, HeaderValue};
use http::HeaderMap;
use sfv::{BareItem, InnerList};

use crate::digest::{self, verify_body_digest};
use crate::key::{Algorithm, KeyKind, PrivateKey, PublicKey};
use crate::message::{unix_seconds, Msg};
use crate::types::{ParsedSignature, Scheme, SignOptions, Verified, VerifyPolicy};
use crate::{cavage, rfc9421, Error};

fn joined(headers: &HeaderMap, name: &str) -> Result<Option<String>, Error> {
    digest::joined(headers, name)
}

fn parse_msg(msg: &Msg<'_>, req: Option<&Msg<'_>>) -> Result<Vec<ParsedSignature>, Error> {
    let mut out = Vec::new();
    if let Some(input) = joined(msg.headers, "signature-input")? {
        let sig = joined(msg.headers, "signature")?;
        out = rfc9421::parse_all(msg, req, &input, sig.as_deref())?;
        // A cavage signature can only ride along in `Authorization` then.
        for v in msg.headers.get_all(http::header::AUTHORIZATION) {
            if let Some(rest) = v.to_str().ok().and_then(cavage::strip_signature_scheme) {
                out.push(cavage::parse(msg, rest)?);
            }
        }
    } else if let Some(v) = cavage::header_value(msg)? {
        out.push(cavage::parse(msg, v)?);
    }
    if out.is_empty() {
        return Err(Error::MissingSignature(None));
    }
    Ok(out)
}

/// Step 1 of verification: finds and parses every signature on a request (RFC 9421 labelled
/// signatures first, then a draft-cavage one) and builds each signature base. No crypto, no I/O.
///
/// If the URI is in origin form (`/inbox`), the target URI is taken to be `https://` + `Host`;
/// to verify a request that arrived over plain HTTP, set an absolute `http://` URI first.
pub fn parse_request(parts: &http::request::Parts) -> Result<Vec<ParsedSignature>, Error> {
    parse_msg(&Msg::request(parts), None)
}

/// Step 1 for a response (RFC 9421 only). `request` supplies components marked `;req`.
pub fn parse_response(
    parts: &http::response::Parts,
    request: Option<&http::request::Parts>,
) -> Result<Vec<ParsedSignature>, Error> {
    let req = request.map(Msg::request);
    parse_msg(&Msg::response(parts), req.as_ref())
}

fn secs(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// Checks a parsed signature against a policy (scheme, covered components, time window) without
/// doing any crypto. [`verify`] calls this first; use it to skip signatures before resolving keys.
pub fn check_policy(
    sig: &ParsedSignature,
    policy: &VerifyPolicy,
    now: SystemTime,
) -> Result<(), Error> {
    let now = unix_seconds(now);
    match sig.scheme {
        Scheme::Cavage if !policy.accept_cavage => {
            return Err(Error::UnsupportedAlgorithm(
                "draft-cavage signatures".into(),
            ))
        }
        Scheme::Rfc9421 if !policy.accept_rfc9421 => {
            return Err(Error::UnsupportedAlgorithm("RFC 9421 signatures".into()))
        }
        _ => {}
    }
    if let (Some(want), Some(label)) = (&policy.label, &sig.label) {
        if want != label {
            return Err(Error::MissingSignature(Some(want.clone())));
        }
    }
    let cavage = sig.scheme == Scheme::Cavage;
    let not_covered = |what: &str| Err(Error::NotCovered(what.to_owned()));
    if let Some(method) = &sig.method {
        if policy.require_digest_on_post && method == http::Method::POST {
            if cavage && !sig.covers("digest") {
                return not_covered("digest");
            }
            if !cavage && !sig.covers("content-digest") {
                return not_covered("content-digest");
            }
        }
        if policy.require_host_on_get && method == http::Method::GET {
            if cavage && !sig.covers("host") {
                return not_covered("host");
            }
            if !cavage
                && !sig.covers("@authority")
                && !sig.covers("@target-uri")
                && !sig.covers("host")
            {
                return not_covered("@authority");
            }
        }
        if policy.require_target {
            if cavage && !sig.covers("(request-target)") && !sig.covers("digest") {
                return not_covered("(request-target)");
            }
            if !cavage {
                for c in ["@method", "@target-uri"] {
                    if !sig.covers(c) {
                        return not_covered(c);
                    }
                }
            }
        }
    }
    let created = if cavage {
        sig.created.filter(|_| sig.covers("(created)"))
    } else {
        sig.created
    };
    let expires = if cavage {
        sig.expires.filter(|_| sig.covers("(expires)"))
    } else {
        sig.expires
    };
    let signed_at = created.or(sig.date);
    if policy.require_date_or_created {
        if cavage && signed_at.is_none() {
            return not_covered("date or (created)");
        }
        if !cavage && created.is_none() {
            return not_covered("created");
        }
    }
    if let Some(t) = signed_at {
        if t.saturating_sub(now) > secs(policy.max_future) {
            return Err(Error::FromTheFuture { signed_at: t, now });
        }
    }
    match (signed_at, expires) {
        (Some(t), None) => {
            if now.saturating_sub(t) > secs(policy.max_age) {
                return Err(Error::Expired { signed_at: t, now });
            }
        }
        (t, Some(e)) => {
            let deadline = match t {
                Some(t) => e.min(t.saturating_add(secs(policy.expires_limit))),
                None => e,
            };
            if now.saturating_sub(deadline) > secs(policy.max_future) {
                return Err(Error::Expired {
                    signed_at: deadline,
                    now,
                });
            }
        }
        (None, None) => {}
    }
    Ok(())
}

/// The algorithm a signature uses with `key`: the declared one, or the key's default.
pub fn signature_algorithm(sig: &ParsedSignature, key: &PublicKey) -> Result<Algorithm, Error> {
    let declared = sig.algorithm.as_deref().map(str::to_ascii_lowercase);
    let alg = match (sig.scheme, declared.as_deref()) {
        (_, None) | (Scheme::Cavage, Some("hs2019")) => key.kind().default_algorithm(),
        (Scheme::Cavage, Some("rsa-sha256")) => Algorithm::RsaV1_5Sha256,
        (Scheme::Cavage, Some("ed25519")) => Algorithm::Ed25519,
        (Scheme::Cavage, Some("hmac-sha256")) => Algorithm::HmacSha256,
        (Scheme::Rfc9421, Some(name)) => Algorithm::from_rfc9421_name(name)
            .ok_or_else(|| Error::UnsupportedAlgorithm(name.to_owned()))?,
        (_, Some(other)) => return Err(Error::UnsupportedAlgorithm(other.to_owned())),
    };
    if !key.kind().supports(alg) {
        return Err(Error::KeyTypeMismatch {
            key: key.kind(),
            algorithm: sig
                .algorithm
                .clone()
                .unwrap_or_else(|| alg.rfc9421_name().into()),
        });
    }
    Ok(alg)
}

/// Step 3 of verification: checks the policy, then the signature with `key`.
///
/// This does not check body digests against the body: call
/// [`verify_body_digest`](crate::verify_body_digest) too, or use [`verify_request`].
pub fn verify(
    sig: &ParsedSignature,
    key: &PublicKey,
    policy: &VerifyPolicy,
    now: SystemTime,
) -> Result<Verified, Error> {
    check_policy(sig, policy, now)?;
    let alg = signature_algorithm(sig, key)?;
    match key.verify_raw(alg, &sig.signature_base, &sig.signature) {
        Err(Error::BadSignature) if policy.accept_cavage_without_query => {
            match &sig.legacy_signature_base {
                Some(legacy) => key.verify_raw(alg, legacy, &sig.signature)?,
                None => return Err(Error::BadSignature),
            }
        }
        other => other?,
    }
    let created = if sig.scheme == Scheme::Cavage {
        sig.created.filter(|_| sig.covers("(created)"))
    } else {
        sig.created
    };
    Ok(Verified {
        key_id: sig.key_id.clone(),
        scheme: sig.scheme,
        label: sig.label.clone(),
        algorithm: alg,
        signed_at: created.or(sig.date),
        components: sig.components.clone(),
    })
}

fn verify_parsed(
    sigs: Vec<ParsedSignature>,
    headers: &HeaderMap,
    body: &[u8],
    policy: &VerifyPolicy,
    now: SystemTime,
    resolve: &mut dyn FnMut(&str) -> Option<PublicKey>,
) -> Result<Verified, Error> {
    let mut first_err: Option<Error> = None;
    let mut digest_done = false;
    let has_digest = headers.contains_key("digest") || headers.contains_key("content-digest");
    for sig in sigs {
        if let (Some(want), Some(label)) = (&policy.label, &sig.label) {
            if want != label {
                continue;
            }
        }
        if policy.label.is_some() && sig.label.is_none() {
            continue;
        }
        let attempt = (|| {
            check_policy(&sig, policy, now)?;
            let key = resolve(&sig.key_id).ok_or_else(|| Error::KeyNotFound(sig.key_id.clone()))?;
            if !digest_done && (has_digest || (policy.require_body_digest && !body.is_empty())) {
                verify_body_digest(key.provider(), headers, body)?;
                digest_done = true;
            }
            verify(&sig, &key, policy, now)
        })();
        match attempt {
            Ok(v) => return Ok(v),
            Err(e) if e.is_digest_mismatch() || e.is_digest_missing() => return Err(e),
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    Err(first_err.unwrap_or_else(|| Error::MissingSignature(policy.label.clone())))
}

/// The common case in one call: parse the request's signatures, pick the first one the policy
/// accepts (or the one labelled `policy.label`), resolve its key with `resolve(key_id)`, check
/// `Digest` / `Content-Digest` against `body`, and verify.
///
/// `resolve` returns `None` when it has no key ([`Error::KeyNotFound`]). Keys that need
/// fetching: use the three steps ([`parse_request`], your async lookup, [`verify`]) instead.
pub fn verify_request<F>(
    parts: &http::request::Parts,
    body: &[u8],
    policy: &VerifyPolicy,
    now: SystemTime,
    mut resolve: F,
) -> Result<Verified, Error>
where
    F: FnMut(&str) -> Option<PublicKey>,
{
    let sigs = parse_request(parts)?;
    verify_parsed(sigs, &parts.headers, body, policy, now, &mut resolve)
}

/// [`verify_request`] for an RFC 9421-signed response.
pub fn verify_response<F>(
    parts: &http::response::Parts,
    request: Option<&http::request::Parts>,
    body: &[u8],
    policy: &VerifyPolicy,
    now: SystemTime,
    mut resolve: F,
) -> Result<Verified, Error>
where
    F: FnMut(&str) -> Option<PublicKey>,
{
    let sigs = parse_response(parts, request)?;
    verify_parsed(sigs, &parts.headers, body, policy, now, &mut resolve)
}

fn header_value(s: &str) -> Result<HeaderValue, Error> {
    HeaderValue::from_str(s).map_err(|_| Error::Sign(format!("invalid header value {s:?}")))
}

fn cavage_algorithm_name(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::RsaV1_5Sha256 => "rsa-sha256",
        _ => "hs2019",
    }
}

fn add_digest(
    headers: &mut HeaderMap,
    key: &PrivateKey,
    options: &SignOptions,
    body: &[u8],
    needed: bool,
) -> Result<bool, Error> {
    let Some(alg) = options.digest.filter(|_| needed) else {
        return Ok(false);
    };
    let p = key.provider();
    match options.scheme {
        Scheme::Cavage => {
            headers.insert(
                HeaderName::from_static("digest"),
                header_value(&digest::digest_value(p, alg, body))?,
            );
        }
        Scheme::Rfc9421 => {
            headers.insert(
                HeaderName::from_static("content-digest"),
                header_value(&digest::content_digest_value(p, alg, body))?,
            );
        }
    }
    Ok(true)
}

fn rfc9421_sign(
    msg: &Msg<'_>,
    req: Option<&Msg<'_>>,
    names: &[String],
    key: &PrivateKey,
    options: &SignOptions,
    alg: Algorithm,
    now: i64,
) -> Result<(String, String), Error> {
    let items = names
        .iter()
        .map(|n| rfc9421::component_item(n))
        .collect::<Result<Vec<_>, _>>()?;
    let mut params = sfv::Parameters::new();
    if options.include_created {
        params.insert("created".into(), BareItem::Integer(now));
    }
    if let Some(d) = options.expires_in {
        params.insert(
            "expires".into(),
            BareItem::Integer(now.saturating_add(secs(d))),
        );
    }
    params.insert("keyid".into(), BareItem::String(options.key_id.clone()));
    if options.include_alg {
        params.insert("alg".into(), BareItem::String(alg.rfc9421_name().into()));
    }
    if let Some(n) = &options.nonce {
        params.insert("nonce".into(), BareItem::String(n.clone()));
    }
    if let Some(t) = &options.tag {
        params.insert("tag".into(), BareItem::String(t.clone()));
    }
    let list = InnerList::with_params(items, params);
    let (base, _, _) = rfc9421::build_base(msg, req, &list).map_err(to_sign_error)?;
    let signature = key.sign_raw(alg, &base)?;
    rfc9421::headers(&options.label, &list, &signature)
}

fn to_sign_error(e: Error) -> Error {
    match e {
        Error::MalformedHeader { reason, .. } => Error::Sign(reason),
        other => other,
    }
}

fn check_label_free(headers: &HeaderMap, label: &str) -> Result<(), Error> {
    if let Some(existing) = joined(headers, "signature-input")? {
        let d = sfv::Parser::parse_dictionary(existing.as_bytes())
            .map_err(|e| Error::malformed("Signature-Input", e))?;
        if d.contains_key(label) {
            return Err(Error::Sign(format!("label {label} is already used")));
        }
    }
    Ok(())
}

/// Signs a request in place: adds `Date` (if absent and `options.add_date`), `Host` (if absent,
/// from the URI), the body digest, and the signature headers (`Signature` for cavage;
/// `Signature-Input` + `Signature` for RFC 9421, appended to any existing signatures).
pub fn sign_request(
    parts: &mut http::request::Parts,
    body: &[u8],
    key: &PrivateKey,
    options: &SignOptions,
    now: SystemTime,
) -> Result<(), Error> {
    let now_s = unix_seconds(now);
    if options.add_date && !parts.headers.contains_key(http::header::DATE) {
        parts.headers.insert(
            http::header::DATE,
            header_value(&httpdate::fmt_http_date(now))?,
        );
    }
    if !parts.headers.contains_key(http::header::HOST) {
        if let Some(a) = parts.uri.authority() {
            parts
                .headers
                .insert(http::header::HOST, header_value(a.as_str())?);
        }
    }
    let needs_digest = !body.is_empty() || parts.method == http::Method::POST;
    let digested = add_digest(&mut parts.headers, key, options, body, needs_digest)?;
    let alg = options
        .algorithm
        .unwrap_or_else(|| key.kind().default_algorithm());
    let has_rfc = parts.headers.contains_key("signature-input");
    let has_sig = parts.headers.contains_key("signature");
    match options.scheme {
        Scheme::Cavage if has_rfc => {
            return Err(Error::Sign(
                "the request carries RFC 9421 signatures; a cavage Signature header would clash"
                    .into(),
            ));
        }
        Scheme::Rfc9421 if has_sig && !has_rfc => {
            return Err(Error::Sign(
                "the request carries a draft-cavage Signature header; RFC 9421 would clash".into(),
            ));
        }
        _ => {}
    }
    match options.scheme {
        Scheme::Cavage => {
            let names = match &options.components {
                Some(c) => c.iter().map(|s| s.to_ascii_lowercase()).collect(),
                None => {
                    let mut n: Vec<String> =
                        vec!["(request-target)".into(), "host".into(), "date".into()];
                    if digested {
                        n.push("digest".into());
                        if parts.headers.contains_key(http::header::CONTENT_TYPE) {
                            n.push("content-type".into());
                        }
                    }
                    n
                }
            };
            let created = (options.include_created || names.iter().any(|n| n == "(created)"))
                .then_some(now_s);
            let expires = options.expires_in.map(|d| now_s.saturating_add(secs(d)));
            let (cs, es) = (
                created.map(|c| c.to_string()),
                expires.map(|e| e.to_string()),
            );
            let msg = Msg::request(parts);
            let (base, _, _) =
                cavage::build_base(&msg, names.clone(), cs.as_deref(), es.as_deref(), false)
                    .map_err(to_sign_error)?;
            let signature = key.sign_raw(alg, &base)?;
            let value = cavage::header(
                &options.key_id,
                cavage_algorithm_name(alg),
                created,
                expires,
                &names,
                &signature,
            )?;
            parts
                .headers
                .insert(HeaderName::from_static("signature"), header_value(&value)?);
        }
        Scheme::Rfc9421 => {
            check_label_free(&parts.headers, &options.label)?;
            let names = match &options.components {
                Some(c) => c.clone(),
                None => {
                    let mut n: Vec<String> = vec!["@method".into(), "@target-uri".into()];
                    if digested {
                        n.push("content-digest".into());
                    }
                    n
                }
            };
            let (si, sig) =
                rfc9421_sign(&Msg::request(parts), None, &names, key, options, alg, now_s)?;
            parts.headers.append(
                HeaderName::from_static("signature-input"),
                header_value(&si)?,
            );
            parts
                .headers
                .append(HeaderName::from_static("signature"), header_value(&sig)?);
        }
    }
    Ok(())
}

/// Signs a response in place (RFC 9421 only): adds `Date` (if absent and `options.add_date`),
/// `Content-Digest` for a non-empty body, and `Signature-Input` + `Signature`. Default
/// components: `@status`, `content-type` when present, `content-digest` when added. `request`
/// supplies components marked `;req`.
pub fn sign_response(
    parts: &mut http::response::Parts,
    body: &[u8],
    request: Option<&http::request::Parts>,
    key: &PrivateKey,
    options: &SignOptions,
    now: SystemTime,
) -> Result<(), Error> {
    if options.scheme != Scheme::Rfc9421 {
        return Err(Error::Sign(
            "draft-cavage does not sign responses; use SignOptions::rfc9421".into(),
        ));
    }
    let now_s = unix_seconds(now);
    if options.add_date && !parts.headers.contains_key(http::header::DATE) {
        parts.headers.insert(
            http::header::DATE,
            header_value(&httpdate::fmt_http_date(now))?,
        );
    }
    check_label_free(&parts.headers, &options.label)?;
    let digested = add_digest(&mut parts.headers, key, options, body, !body.is_empty())?;
    let alg = options
        .algorithm
        .unwrap_or_else(|| key.kind().default_algorithm());
    let names = match &options.components {
        Some(c) => c.clone(),
        None => {
            let mut n: Vec<String> = vec!["@status".into()];
            if parts.headers.contains_key(http::header::CONTENT_TYPE) {
                n.push("content-type".into());
            }
            if digested {
                n.push("content-digest".into());
            }
            n
        }
    };
    let req = request.map(Msg::request);
    let (si, sig) = rfc9421_sign(
        &Msg::response(parts),
        req.as_ref(),
        &names,
        key,
        options,
        alg,
        now_s,
    )?;
    parts.headers.append(
        HeaderName::from_static("signature-input"),
        header_value(&si)?,
    );
    parts
        .headers
        .append(HeaderName::from_static("signature"), header_value(&sig)?);
    Ok(())
}

#[allow(dead_code)]
fn _assert_send_sync() {
    fn is<T: Send + Sync + Clone + 'static>() {}
    is::<PublicKey>();
    is::<PrivateKey>();
    is::<ParsedSignature>();
    let _ = KeyKind::Rsa;
}
