//! `woolly sig`: HTTP Signatures from the command line.
//!
//! - `woolly sig verify --request FILE --key PEMFILE [--at UNIX_SECONDS] [--scheme http|https]
//!   [--policy strict|mastodon]` checks a raw HTTP/1.1 request and prints a one-line JSON
//!   verdict: `{"valid":true,"scheme":"cavage","key_id":"…"}` or `{"valid":false,"error":"…"}`.
//!   Exit status: 0 valid, 1 invalid, 2 unusable input (unreadable file, unparsable request or
//!   key). The default policy, `strict`, is Woolly's ([`VerifyPolicy::default`]): Mastodon's
//!   checks, but a draft-cavage `(request-target)` must include the query string and every
//!   body needs a matching digest; `mastodon` gives Mastodon's verdicts, accepting a
//!   `(request-target)` signed without the query and a body without a digest on a method
//!   other than POST (Mastodon checks a digest only when the signature covers one, and a POST
//!   must cover one).
//! - `woolly sig sign --request FILE --key PEMFILE --key-id URL [--scheme cavage|rfc9421]
//!   [--at UNIX_SECONDS]` prints the request with `Date`, the body digest and the signature
//!   headers added (Mastodon's profiles).
//! - `woolly sig keygen [--type rsa|ed25519]` prints a PEM key pair: the private key (PKCS#8),
//!   then the public key (SPKI, what actors publish as `publicKeyPem`).
//!
//! A request file holds a raw HTTP/1.1 request: the request line, the header lines, an empty
//! line and the body, with CRLF or LF line endings. The request line is in origin form
//! (`POST /inbox HTTP/1.1`; the target URI is then `https://` + the `Host` header, or `http://`
//! with `--scheme http`) or in absolute form (`POST https://host/inbox HTTP/1.1`). When a
//! `Content-Length` header is present, the body is cut to that length (so a trailing newline
//! added by an editor does not count).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::{Subcommand, ValueEnum};
use http_sig::{PrivateKey, PublicKey, SignOptions, VerifyPolicy};

/// `woolly sig` subcommands.
#[derive(Debug, Subcommand)]
pub enum SigCommand {
    /// Verify the HTTP signature (draft-cavage or RFC 9421) of a raw HTTP/1.1 request.
    /// The default policy (strict) makes Mastodon's checks and is stricter in two points: a
    /// draft-cavage (request-target) must include the query string, and every body needs a
    /// matching digest; `--policy mastodon` gives Mastodon's verdicts. Prints a one-line JSON
    /// verdict; exits 0 when valid, 1 when invalid, 2 on unusable input.
    Verify {
        /// The raw HTTP/1.1 request (request line, headers, empty line, body).
        #[arg(long, value_name = "FILE")]
        request: PathBuf,
        /// The signer's public key (SPKI or PKCS#1 PEM; a private key PEM works too).
        #[arg(long, value_name = "PEMFILE")]
        key: PathBuf,
        /// The verifier's clock, in UNIX seconds (default: now), to check recorded requests.
        #[arg(long, value_name = "UNIX_SECONDS")]
        at: Option<u64>,
        /// The URI scheme of an origin-form request line (`POST /inbox HTTP/1.1`).
        #[arg(long, value_enum, default_value_t = UriScheme::Https)]
        scheme: UriScheme,
        /// Which verdicts to give.
        #[arg(long, value_enum, default_value_t = Policy::Strict)]
        policy: Policy,
    },
    /// Sign a raw HTTP/1.1 request the way Mastodon does; prints the request with `Date`, the
    /// body digest (`Digest` or `Content-Digest`) and the signature headers added. An existing
    /// `Date` is replaced by the signing time and existing signature headers are dropped.
    Sign {
        /// The raw HTTP/1.1 request (request line, headers, empty line, body).
        #[arg(long, value_name = "FILE")]
        request: PathBuf,
        /// The signer's private key (PKCS#8 or PKCS#1 PEM).
        #[arg(long, value_name = "PEMFILE")]
        key: PathBuf,
        /// The key id to send: the URL of the actor's key (`https://example.com/users/alice#main-key`).
        #[arg(long, value_name = "URL")]
        key_id: String,
        /// The signature scheme.
        #[arg(long, value_enum, default_value_t = SigScheme::Cavage)]
        scheme: SigScheme,
        /// The signing time, in UNIX seconds (default: now).
        #[arg(long, value_name = "UNIX_SECONDS")]
        at: Option<u64>,
        /// The URI scheme of an origin-form request line (`POST /inbox HTTP/1.1`).
        #[arg(long, value_enum, default_value_t = UriScheme::Https)]
        uri_scheme: UriScheme,
    },
    /// Generate a key pair; prints the private key (PKCS#8 PEM), then the public key (SPKI PEM).
    Keygen {
        /// The key type: RSA-2048 (what Mastodon uses) or Ed25519.
        #[arg(long = "type", value_enum, default_value_t = KeyType::Rsa)]
        key_type: KeyType,
    },
}

/// The URI scheme to assume for an origin-form request line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UriScheme {
    /// `https://` (the fediverse default).
    Https,
    /// `http://`.
    Http,
}

impl UriScheme {
    fn as_str(self) -> &'static str {
        match self {
            UriScheme::Https => "https",
            UriScheme::Http => "http",
        }
    }
}

/// The verification policy of `woolly sig verify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Policy {
    /// Woolly's default policy: Mastodon's checks, and also a draft-cavage
    /// `(request-target)` must include the query string (otherwise a query could be added to
    /// a signed request) and every body needs a matching `Digest` or `Content-Digest`.
    Strict,
    /// Mastodon's verdicts: also accepts a draft-cavage `(request-target)` signed without the
    /// query string, and a body without a digest when the method is not POST, as Mastodon
    /// does.
    Mastodon,
}

impl Policy {
    /// The `http-sig` policy. The default policy already makes Mastodon's checks (covered
    /// components, time window). `mastodon` changes the two settings where it is stricter:
    /// it accepts a cavage `(request-target)` without the query, and it does not require a
    /// digest of a body the signature does not cover (Mastodon asks for one only through the
    /// signature: a POST must cover `digest`, which then must match).
    fn verify_policy(self) -> VerifyPolicy {
        let mut policy = VerifyPolicy::default();
        if self == Policy::Mastodon {
            policy.accept_cavage_without_query = true;
            policy.require_body_digest = false;
        }
        policy
    }
}

/// The HTTP signature scheme to sign with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SigScheme {
    /// draft-cavage-http-signatures-12 (`Signature`), as Mastodon sends it.
    Cavage,
    /// RFC 9421 (`Signature-Input` + `Signature`), Mastodon 4.5's profile.
    Rfc9421,
}

/// The type of key to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeyType {
    /// RSA-2048.
    Rsa,
    /// Ed25519.
    Ed25519,
}

/// Exit status: valid signature / success.
const EXIT_OK: i32 = 0;
/// Exit status: the signature is invalid.
const EXIT_INVALID: i32 = 1;
/// Exit status: unusable input.
const EXIT_INPUT: i32 = 2;

/// Runs a `woolly sig` subcommand; returns the exit code.
pub fn run(cmd: SigCommand) -> i32 {
    match cmd {
        SigCommand::Verify {
            request,
            key,
            at,
            scheme,
            policy,
        } => verify(&request, &key, at, scheme, policy),
        SigCommand::Sign {
            request,
            key,
            key_id,
            scheme,
            at,
            uri_scheme,
        } => sign(&request, &key, &key_id, scheme, at, uri_scheme),
        SigCommand::Keygen { key_type } => keygen(key_type),
    }
}

fn clock(at: Option<u64>) -> SystemTime {
    at.map_or_else(SystemTime::now, |s| UNIX_EPOCH + Duration::from_secs(s))
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read the {what} file {}: {e}", path.display()))
}

fn read_text(path: &Path, what: &str) -> Result<String, String> {
    String::from_utf8(read(path, what)?)
        .map_err(|_| format!("the {what} file {} is not UTF-8 text", path.display()))
}

fn input_error(cmd: &str, message: &str) -> i32 {
    eprintln!("woolly sig {cmd}: {message}");
    EXIT_INPUT
}

/// A public key from a PEM file: a public key, or the public half of a private key.
fn load_public_key(path: &Path) -> Result<PublicKey, String> {
    let pem = read_text(path, "key")?;
    match PublicKey::from_pem(&pem) {
        Ok(key) => Ok(key),
        Err(public_err) => match PrivateKey::from_pem(&pem) {
            Ok(key) => Ok(key.public_key().clone()),
            Err(_) => Err(format!(
                "cannot use the key in {}: {public_err}",
                path.display()
            )),
        },
    }
}

fn verify(request: &Path, key: &Path, at: Option<u64>, scheme: UriScheme, policy: Policy) -> i32 {
    let (request, _) = match read(request, "request").and_then(|b| raw::parse(&b, scheme.as_str()))
    {
        Ok(parsed) => parsed,
        Err(e) => return input_error("verify", &e),
    };
    let key = match load_public_key(key) {
        Ok(key) => key,
        Err(e) => return input_error("verify", &e),
    };
    let (parts, body) = request.into_parts();
    let verdict = http_sig::verify_request(
        &parts,
        &body,
        &policy.verify_policy(),
        clock(at),
        |_key_id| Some(key.clone()),
    );
    let (line, code) = match verdict {
        Ok(v) => (
            serde_json::json!({"valid": true, "scheme": v.scheme.as_str(), "key_id": v.key_id}),
            EXIT_OK,
        ),
        Err(e) => (
            serde_json::json!({"valid": false, "error": e.to_string()}),
            EXIT_INVALID,
        ),
    };
    println!("{line}");
    code
}

fn sign(
    request: &Path,
    key: &Path,
    key_id: &str,
    scheme: SigScheme,
    at: Option<u64>,
    uri_scheme: UriScheme,
) -> i32 {
    let (request, layout) =
        match read(request, "request").and_then(|b| raw::parse(&b, uri_scheme.as_str())) {
            Ok(parsed) => parsed,
            Err(e) => return input_error("sign", &e),
        };
    let key = match read_text(key, "key").and_then(|pem| {
        PrivateKey::from_pem(&pem)
            .map_err(|e| format!("cannot use the key in {}: {e}", key.display()))
    }) {
        Ok(key) => key,
        Err(e) => return input_error("sign", &e),
    };
    let options = match scheme {
        SigScheme::Cavage => SignOptions::cavage(key_id),
        SigScheme::Rfc9421 => SignOptions::rfc9421(key_id),
    };
    let (mut parts, body) = request.into_parts();
    // A fresh signature: the signing time becomes the Date, old signatures go.
    for name in ["date", "signature", "signature-input"] {
        parts.headers.remove(name);
    }
    if let Err(e) = http_sig::sign_request(&mut parts, &body, &key, &options, clock(at)) {
        return input_error("sign", &e.to_string());
    }
    let signed = http::Request::from_parts(parts, body);
    let out = raw::print(&layout, &signed);
    let mut stdout = std::io::stdout().lock();
    if stdout
        .write_all(&out)
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return EXIT_INPUT;
    }
    EXIT_OK
}

fn keygen(key_type: KeyType) -> i32 {
    let key = match key_type {
        KeyType::Rsa => PrivateKey::generate_rsa(2048),
        KeyType::Ed25519 => PrivateKey::generate_ed25519(),
    };
    let pems = key.and_then(|k| Ok((k.to_pem()?, k.public_key().to_pem()?)));
    match pems {
        Ok((private, public)) => {
            print!("{private}");
            if !private.ends_with('\n') {
                println!();
            }
            print!("{public}");
            if !public.ends_with('\n') {
                println!();
            }
            EXIT_OK
        }
        Err(e) => {
            eprintln!("woolly sig keygen: {e}");
            EXIT_INPUT
        }
    }
}

/// Raw HTTP/1.1 request files: parsing and printing.
mod raw {
    use bytes::Bytes;
    use http::{HeaderName, HeaderValue, Method, Request, Uri};

    /// What is needed to print a request back the way it came.
    #[derive(Debug)]
    pub struct Layout {
        /// The request target exactly as written on the request line.
        pub target: String,
        /// The HTTP version token of the request line (`HTTP/1.1`).
        pub version: String,
        /// Header names in order of first appearance, spelled as in the file.
        pub names: Vec<String>,
        /// `"\r\n"` or `"\n"`: the line ending the file used.
        pub eol: &'static str,
    }

    /// Parses a raw request; `scheme` builds the target URI of an origin-form request line.
    /// The request's URI is always absolute.
    pub fn parse(input: &[u8], scheme: &str) -> Result<(Request<Bytes>, Layout), String> {
        let (head, body, eol) = split_head(input)?;
        let head = std::str::from_utf8(head)
            .map_err(|_| "the request head is not valid UTF-8".to_owned())?;
        let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
        let request_line = lines.next().unwrap_or_default();
        let mut parts = request_line.split(' ').filter(|p| !p.is_empty());
        let (Some(method), Some(target), Some(version), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(format!("malformed request line: {request_line:?}"));
        };
        if !version.starts_with("HTTP/") {
            return Err(format!("malformed request line: {request_line:?}"));
        }
        let method = Method::from_bytes(method.as_bytes())
            .map_err(|_| format!("invalid method: {method:?}"))?;

        // Header lines, with obsolete line folding joined by one space.
        let mut fields: Vec<(String, String)> = Vec::new();
        for line in lines {
            if line.starts_with(' ') || line.starts_with('\t') {
                let Some(last) = fields.last_mut() else {
                    return Err("a header block starts with a continuation line".to_owned());
                };
                last.1.push(' ');
                last.1.push_str(line.trim());
                continue;
            }
            let Some((name, value)) = line.split_once(':') else {
                return Err(format!("malformed header line: {line:?}"));
            };
            if name.is_empty() || name.trim() != name {
                return Err(format!("malformed header name: {name:?}"));
            }
            fields.push((name.to_owned(), value.trim().to_owned()));
        }

        let mut builder = Request::builder().method(method);
        let mut names: Vec<String> = Vec::new();
        let mut host = None;
        let mut content_length = None;
        for (name, value) in &fields {
            let header = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("invalid header name: {name:?}"))?;
            let value_h = HeaderValue::from_str(value)
                .map_err(|_| format!("invalid value of header {name}: {value:?}"))?;
            if header == http::header::HOST && host.is_none() {
                host = Some(value.clone());
            }
            if header == http::header::CONTENT_LENGTH {
                let n: usize = value
                    .parse()
                    .map_err(|_| format!("invalid Content-Length: {value:?}"))?;
                content_length = Some(n);
            }
            if header == http::header::TRANSFER_ENCODING {
                return Err("Transfer-Encoding is not supported; give the body as is".to_owned());
            }
            if !names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                names.push(name.clone());
            }
            builder = builder.header(header, value_h);
        }

        let uri: Uri = if target.starts_with('/') {
            let Some(host) = host else {
                return Err("an origin-form request line needs a Host header".to_owned());
            };
            format!("{scheme}://{host}{target}")
                .parse()
                .map_err(|_| format!("cannot build a target URI from {scheme}://{host}{target}"))?
        } else {
            let uri: Uri = target
                .parse()
                .map_err(|_| format!("invalid request target: {target:?}"))?;
            if uri.scheme().is_none() || uri.authority().is_none() {
                return Err(format!(
                    "the request target must be in origin form (/path) or absolute form \
                     (https://host/path): {target:?}"
                ));
            }
            if host.is_none() {
                if let Some(authority) = uri.authority() {
                    let value = HeaderValue::from_str(authority.as_str())
                        .map_err(|_| format!("invalid authority: {authority}"))?;
                    builder = builder.header(http::header::HOST, value);
                }
            }
            uri
        };

        let body = match content_length {
            Some(n) if n > body.len() => {
                return Err(format!(
                    "Content-Length says {n} bytes but the body has {}",
                    body.len()
                ))
            }
            Some(n) => &body[..n],
            None => body,
        };
        let request = builder
            .uri(uri)
            .body(Bytes::copy_from_slice(body))
            .map_err(|e| format!("invalid request: {e}"))?;
        let layout = Layout {
            target: target.to_owned(),
            version: version.to_owned(),
            names,
            eol,
        };
        Ok((request, layout))
    }

    /// Splits head and body at the first empty line (CRLF or LF line endings).
    fn split_head(input: &[u8]) -> Result<(&[u8], &[u8], &'static str), String> {
        let mut i = 0;
        while i < input.len() {
            if input[i] == b'\n' {
                let crlf = i > 0 && input[i - 1] == b'\r';
                let rest = &input[i + 1..];
                let line_start = i + 1;
                let blank = if rest.starts_with(b"\r\n") {
                    Some(2)
                } else if rest.starts_with(b"\n") {
                    Some(1)
                } else {
                    None
                };
                if let Some(len) = blank {
                    let head_end = if crlf { i - 1 } else { i };
                    let eol = if crlf { "\r\n" } else { "\n" };
                    return Ok((&input[..head_end], &input[line_start + len..], eol));
                }
            }
            i += 1;
        }
        // No blank line: a request without a body whose file ends after the headers.
        if input.is_empty() {
            return Err("the request file is empty".to_owned());
        }
        let crlf = input.windows(2).any(|w| w == b"\r\n");
        let head = input
            .strip_suffix(b"\r\n")
            .or_else(|| input.strip_suffix(b"\n"));
        Ok((head.unwrap_or(input), &[], if crlf { "\r\n" } else { "\n" }))
    }

    /// Prints a request as a raw HTTP/1.1 message: the original request line, the original
    /// header names (in their order and spelling), then the headers added, and the body.
    pub fn print(raw: &Layout, request: &Request<Bytes>) -> Vec<u8> {
        let eol = raw.eol;
        let mut out = Vec::with_capacity(request.body().len() + 1024);
        out.extend_from_slice(
            format!("{} {} {}{eol}", request.method(), raw.target, raw.version).as_bytes(),
        );
        let headers = request.headers();
        let write = |name: &str, out: &mut Vec<u8>| {
            for value in headers.get_all(name) {
                out.extend_from_slice(name.as_bytes());
                out.extend_from_slice(b": ");
                out.extend_from_slice(value.as_bytes());
                out.extend_from_slice(eol.as_bytes());
            }
        };
        for name in &raw.names {
            write(name, &mut out);
        }
        for name in headers.keys() {
            if !raw
                .names
                .iter()
                .any(|n| n.eq_ignore_ascii_case(name.as_str()))
            {
                write(&title_case(name.as_str()), &mut out);
            }
        }
        out.extend_from_slice(eol.as_bytes());
        out.extend_from_slice(request.body());
        out
    }

    /// `content-digest` → `Content-Digest`.
    fn title_case(name: &str) -> String {
        let mut out = String::with_capacity(name.len());
        let mut upper = true;
        for c in name.chars() {
            out.push(if upper { c.to_ascii_uppercase() } else { c });
            upper = c == '-';
        }
        out
    }
}
