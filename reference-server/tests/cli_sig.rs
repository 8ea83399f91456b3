//! `woolly sig`: the built binary, driven as a user drives it.
//!
//! Keys are generated at test time (by `woolly sig keygen`); request files are written to a
//! scratch folder under Cargo's target directory.

#![allow(clippy::unwrap_used)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const WOOLLY: &str = env!("CARGO_BIN_EXE_woolly");
const KEY_ID: &str = "https://alice.example/users/alice#main-key";
/// 2023-11-14T22:13:20Z.
const AT: &str = "1700000000";
const BODY: &str = r#"{"type":"Follow"}"#;
/// SHA-256 of `BODY`, base64 (computed independently: `printf '…' | openssl dgst -sha256 -binary | base64`).
const BODY_SHA256: &str = "GYwYnH3BiO6aICFt0ThC5bUIJ4byvqdpWtR8m5fNkww=";

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `woolly ARGS`, bounded to 120 s (the child is killed by its PID after that).
fn woolly(args: &[&str]) -> Output {
    let mut child = Command::new(WOOLLY)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the woolly binary starts");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        out.read_to_end(&mut s).map(|_| s)
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        err.read_to_end(&mut s).map(|_| s)
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("woolly {args:?} did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        code: status.code().expect("exited, not killed by a signal"),
        stdout: String::from_utf8(out_reader.join().unwrap().unwrap()).unwrap(),
        stderr: String::from_utf8(err_reader.join().unwrap().unwrap()).unwrap(),
    }
}

/// A fresh scratch folder for one test.
fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli_sig")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, contents: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.to_str().unwrap().to_owned()
}

/// Splits `keygen` output into (private PEM, public PEM).
fn split_pems(out: &str) -> (String, String) {
    let end = "-----END PRIVATE KEY-----\n";
    let at = out.find(end).expect("a private key comes first") + end.len();
    let (private, public) = out.split_at(at);
    assert!(
        private.starts_with("-----BEGIN PRIVATE KEY-----\n"),
        "{out}"
    );
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----\n"), "{out}");
    assert!(public.ends_with("-----END PUBLIC KEY-----\n"), "{out}");
    (private.to_owned(), public.to_owned())
}

fn keygen(kind: &str) -> (String, String) {
    let out = woolly(&["sig", "keygen", "--type", kind]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    split_pems(&out.stdout)
}

/// One RSA-2048 pair per test run (generation is slow in debug builds).
fn rsa_pair() -> &'static (String, String) {
    static PAIR: OnceLock<(String, String)> = OnceLock::new();
    PAIR.get_or_init(|| keygen("rsa"))
}

fn ed25519_pair() -> &'static (String, String) {
    static PAIR: OnceLock<(String, String)> = OnceLock::new();
    PAIR.get_or_init(|| keygen("ed25519"))
}

fn post_request(eol: &str) -> String {
    [
        "POST /users/bob/inbox HTTP/1.1",
        "Host: bob.example",
        "Content-Type: application/activity+json",
        &format!("Content-Length: {}", BODY.len()),
        "",
        BODY,
    ]
    .join(eol)
}

fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
    let head = message.split("\n\n").next().unwrap();
    head.lines()
        .filter_map(|l| l.split_once(": "))
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim_end_matches('\r'))
}

/// Signs `request` with the CLI; returns the signed request text.
fn sign(dir: &Path, request: &str, private_pem: &str, extra: &[&str]) -> String {
    let req = write(dir, "request.http", request.as_bytes());
    let key = write(dir, "private.pem", private_pem.as_bytes());
    let mut args = vec![
        "sig",
        "sign",
        "--request",
        &req,
        "--key",
        &key,
        "--key-id",
        KEY_ID,
        "--at",
        AT,
    ];
    args.extend_from_slice(extra);
    let out = woolly(&args);
    assert_eq!(out.code, 0, "sign failed: {}", out.stderr);
    out.stdout
}

fn verify(dir: &Path, request: &str, public_pem: &str, extra: &[&str]) -> Output {
    let req = write(dir, "signed.http", request.as_bytes());
    let key = write(dir, "public.pem", public_pem.as_bytes());
    let mut args = vec!["sig", "verify", "--request", &req, "--key", &key];
    args.extend_from_slice(extra);
    woolly(&args)
}

fn valid_line(scheme: &str) -> String {
    format!("{{\"valid\":true,\"scheme\":\"{scheme}\",\"key_id\":\"{KEY_ID}\"}}\n")
}

#[test]
fn keygen_prints_matching_pem_pairs() {
    for (kind, pair) in [("rsa", rsa_pair()), ("ed25519", ed25519_pair())] {
        let (private, public) = pair;
        let key = http_sig::PrivateKey::from_pem(private).unwrap();
        assert_eq!(&key.public_key().to_pem().unwrap(), public, "{kind}");
        let parsed = http_sig::PublicKey::from_pem(public).unwrap();
        match kind {
            "rsa" => assert_eq!(parsed.rsa_bits(), Some(2048)),
            _ => assert_eq!(parsed.kind(), http_sig::KeyKind::Ed25519),
        }
    }
    // Two runs give two different keys.
    assert_ne!(keygen("ed25519").0, ed25519_pair().0);
}

#[test]
fn cavage_rsa_sign_adds_mastodon_headers_and_verifies() {
    let dir = scratch("cavage_rsa");
    let (private, public) = rsa_pair();
    let signed = sign(&dir, &post_request("\n"), private, &[]);

    // The request line and the original headers come back unchanged, in order, then the added
    // headers; the body is unchanged.
    assert!(signed.starts_with(
        "POST /users/bob/inbox HTTP/1.1\nHost: bob.example\n\
         Content-Type: application/activity+json\nContent-Length: 17\n"
    ));
    assert!(signed.ends_with(&format!("\n\n{BODY}")), "{signed}");
    assert_eq!(
        header(&signed, "date"),
        Some("Tue, 14 Nov 2023 22:13:20 GMT")
    );
    assert_eq!(
        header(&signed, "digest"),
        Some(&*format!("SHA-256={BODY_SHA256}"))
    );
    let signature = header(&signed, "signature").unwrap();
    assert!(
        signature.starts_with(&format!(
            "keyId=\"{KEY_ID}\",algorithm=\"rsa-sha256\",\
             headers=\"(request-target) host date digest content-type\",signature=\""
        )),
        "{signature}"
    );

    let out = verify(&dir, &signed, public, &["--at", "1700000030"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(out.stdout, valid_line("cavage"));

    // The private key file works as the verification key too.
    let out = verify(&dir, &signed, private, &["--at", "1700000030"]);
    assert_eq!(out.stdout, valid_line("cavage"));
}

#[test]
fn rfc9421_ed25519_sign_adds_mastodon_profile_and_verifies() {
    let dir = scratch("rfc9421_ed25519");
    let (private, public) = ed25519_pair();
    let signed = sign(&dir, &post_request("\n"), private, &["--scheme", "rfc9421"]);
    assert_eq!(
        header(&signed, "date"),
        Some("Tue, 14 Nov 2023 22:13:20 GMT")
    );
    assert_eq!(
        header(&signed, "content-digest"),
        Some(&*format!("sha-256=:{BODY_SHA256}:"))
    );
    assert_eq!(
        header(&signed, "signature-input"),
        Some(&*format!(
            "sig1=(\"@method\" \"@target-uri\" \"content-digest\");created=1700000000;keyid=\"{KEY_ID}\""
        ))
    );
    let signature = header(&signed, "signature").unwrap();
    assert!(signature.starts_with("sig1=:") && signature.ends_with(':'));
    // Ed25519 signatures are 64 bytes: 88 base64 characters.
    assert_eq!(signature.len(), "sig1=::".len() + 88);

    let out = verify(&dir, &signed, public, &["--at", "1700000030"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(out.stdout, valid_line("rfc9421"));
}

#[test]
fn cavage_ed25519_signs_as_hs2019() {
    let dir = scratch("cavage_ed25519");
    let (private, public) = ed25519_pair();
    let signed = sign(&dir, &post_request("\n"), private, &[]);
    assert!(header(&signed, "signature")
        .unwrap()
        .contains(",algorithm=\"hs2019\","));
    let out = verify(&dir, &signed, public, &["--at", AT]);
    assert_eq!((out.code, out.stdout), (0, valid_line("cavage")));
}

#[test]
fn tampered_requests_are_invalid() {
    let dir = scratch("tampered");
    let (private, public) = rsa_pair();
    for scheme in ["cavage", "rfc9421"] {
        let signed = sign(&dir, &post_request("\n"), private, &["--scheme", scheme]);
        let cases = [
            // One byte of the body.
            (
                signed.replace("\"Follow\"", "\"Fallow\""),
                "does not match the body",
            ),
            // The covered path.
            (
                signed.replace("/users/bob/inbox", "/users/eve/inbox"),
                "verification failed",
            ),
            // The method.
            (signed.replacen("POST ", "PUT ", 1), "verification failed"),
        ];
        for (tampered, why) in cases {
            let out = verify(&dir, &tampered, public, &["--at", AT]);
            assert_eq!(out.code, 1, "{scheme}: {}", out.stdout);
            assert!(
                out.stdout.starts_with("{\"valid\":false,\"error\":\""),
                "{}",
                out.stdout
            );
            assert!(
                out.stdout.contains(why),
                "{scheme}: {} (want {why})",
                out.stdout
            );
            assert_eq!(out.stdout.lines().count(), 1);
        }
    }
    // The covered Host header (cavage covers it explicitly).
    let signed = sign(&dir, &post_request("\n"), private, &[]);
    let out = verify(
        &dir,
        &signed.replace("Host: bob.example", "Host: eve.example"),
        public,
        &["--at", AT],
    );
    assert_eq!(out.code, 1, "{}", out.stdout);
}

#[test]
fn wrong_key_and_wrong_time_are_invalid() {
    let dir = scratch("wrong_key_time");
    let (private, _) = rsa_pair();
    let signed = sign(&dir, &post_request("\n"), private, &[]);
    let (_, other_public) = ed25519_pair();
    let out = verify(&dir, &signed, other_public, &["--at", AT]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stdout.starts_with("{\"valid\":false,"));

    let public = &rsa_pair().1;
    // Two hours later: outside the one-hour window.
    let out = verify(&dir, &signed, public, &["--at", "1700007200"]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("expired"), "{}", out.stdout);
    // Two hours earlier: from the future.
    let out = verify(&dir, &signed, public, &["--at", "1699992800"]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("future"), "{}", out.stdout);
}

#[test]
fn unsigned_request_is_invalid() {
    let dir = scratch("unsigned");
    let out = verify(&dir, &post_request("\n"), &rsa_pair().1, &["--at", AT]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stdout,
        "{\"valid\":false,\"error\":\"no HTTP signature found\"}\n"
    );
}

#[test]
fn crlf_files_keep_crlf_and_verify() {
    let dir = scratch("crlf");
    let (private, public) = ed25519_pair();
    let signed = sign(
        &dir,
        &post_request("\r\n"),
        private,
        &["--scheme", "rfc9421"],
    );
    assert!(signed.starts_with("POST /users/bob/inbox HTTP/1.1\r\nHost: bob.example\r\n"));
    assert!(signed.ends_with(&format!("\r\n\r\n{BODY}")));
    assert!(!signed.replace("\r\n", "").contains('\n'));
    let out = verify(&dir, &signed, public, &["--at", AT]);
    assert_eq!((out.code, out.stdout), (0, valid_line("rfc9421")));
    // The same signed request with LF line endings is the same request.
    let out = verify(&dir, &signed.replace("\r\n", "\n"), public, &["--at", AT]);
    assert_eq!((out.code, out.stdout), (0, valid_line("rfc9421")));
}

#[test]
fn absolute_form_and_uri_scheme() {
    let dir = scratch("absolute_form");
    let (private, public) = ed25519_pair();
    let absolute = format!(
        "POST https://bob.example/users/bob/inbox HTTP/1.1\nContent-Type: application/activity+json\n\n{BODY}"
    );
    let signed = sign(&dir, &absolute, private, &["--scheme", "rfc9421"]);
    assert!(signed.starts_with("POST https://bob.example/users/bob/inbox HTTP/1.1\n"));
    // The Host header is added from the absolute URI.
    assert_eq!(header(&signed, "host"), Some("bob.example"));
    let out = verify(&dir, &signed, public, &["--at", AT]);
    assert_eq!((out.code, out.stdout), (0, valid_line("rfc9421")));
    // The origin form of the same request verifies too: @target-uri is https:// + Host.
    let origin = signed.replacen("https://bob.example/users/bob/inbox", "/users/bob/inbox", 1);
    let out = verify(&dir, &origin, public, &["--at", AT]);
    assert_eq!((out.code, out.stdout), (0, valid_line("rfc9421")));

    // Signed for http://: verifies only with --scheme http (the target URI is covered).
    let signed = sign(
        &dir,
        &post_request("\n"),
        private,
        &["--scheme", "rfc9421", "--uri-scheme", "http"],
    );
    let out = verify(&dir, &signed, public, &["--at", AT, "--scheme", "http"]);
    assert_eq!((out.code, out.stdout), (0, valid_line("rfc9421")));
    let out = verify(&dir, &signed, public, &["--at", AT]);
    assert_eq!(out.code, 1, "{}", out.stdout);
}

#[test]
fn unusable_input_exits_2() {
    let dir = scratch("unusable");
    let (private, public) = ed25519_pair();
    let good = sign(&dir, &post_request("\n"), private, &[]);
    let good_req = write(&dir, "good.http", good.as_bytes());
    let key = write(&dir, "key.pem", public.as_bytes());
    let missing = dir.join("missing.http").to_str().unwrap().to_owned();

    // Unreadable request file.
    let out = woolly(&["sig", "verify", "--request", &missing, "--key", &key]);
    assert_eq!(out.code, 2);
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr.contains("cannot read the request file"),
        "{}",
        out.stderr
    );

    // Unparsable requests.
    for (name, bad) in [
        ("garbage.http", "this is not an HTTP request\n\n".to_owned()),
        ("empty.http", String::new()),
        (
            "nohost.http",
            format!("POST /inbox HTTP/1.1\nContent-Type: text/plain\n\n{BODY}"),
        ),
        (
            "badheader.http",
            "GET / HTTP/1.1\nHost: a.example\nno colon here\n\n".to_owned(),
        ),
        (
            "short.http",
            "POST / HTTP/1.1\nHost: a.example\nContent-Length: 99\n\nabc".to_owned(),
        ),
    ] {
        let req = write(&dir, name, bad.as_bytes());
        let out = woolly(&["sig", "verify", "--request", &req, "--key", &key]);
        assert_eq!(out.code, 2, "{name}: {}", out.stdout);
        assert!(out.stdout.is_empty(), "{name}");
        assert!(
            out.stderr.starts_with("woolly sig verify: "),
            "{name}: {}",
            out.stderr
        );
    }

    // Unreadable and unparsable keys.
    let out = woolly(&["sig", "verify", "--request", &good_req, "--key", &missing]);
    assert_eq!(out.code, 2);
    let junk = write(
        &dir,
        "junk.pem",
        b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
    );
    let out = woolly(&["sig", "verify", "--request", &good_req, "--key", &junk]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("cannot use the key"), "{}", out.stderr);

    // sign: a public key cannot sign.
    let out = woolly(&[
        "sig",
        "sign",
        "--request",
        &good_req,
        "--key",
        &key,
        "--key-id",
        KEY_ID,
    ]);
    assert_eq!(out.code, 2);
    assert!(out.stdout.is_empty());

    // The good request with the good key still verifies (the failures above were the input).
    let out = woolly(&[
        "sig",
        "verify",
        "--request",
        &good_req,
        "--key",
        &key,
        "--at",
        AT,
    ]);
    assert_eq!(out.code, 0, "{}", out.stdout);
}

#[test]
fn signing_replaces_stale_date_and_signatures() {
    let dir = scratch("resign");
    let (private, public) = ed25519_pair();
    let first = sign(&dir, &post_request("\n"), private, &["--scheme", "rfc9421"]);
    // Sign the signed request again, an hour later, with the other scheme.
    let req = write(&dir, "again.http", first.as_bytes());
    let key = write(&dir, "again.pem", private.as_bytes());
    let out = woolly(&[
        "sig",
        "sign",
        "--request",
        &req,
        "--key",
        &key,
        "--key-id",
        KEY_ID,
        "--at",
        "1700003600",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let second = out.stdout;
    assert_eq!(second.matches("\nDate: ").count(), 1);
    assert_eq!(
        header(&second, "date"),
        Some("Tue, 14 Nov 2023 23:13:20 GMT")
    );
    assert!(header(&second, "signature-input").is_none(), "{second}");
    assert!(header(&second, "signature").unwrap().starts_with("keyId="));
    let out = verify(&dir, &second, public, &["--at", "1700003600"]);
    assert_eq!((out.code, out.stdout), (0, valid_line("cavage")));
}

/// A draft-cavage request signed without a query, then sent with one: the query is not in the
/// signed `(request-target)`. Strict (the default) refuses it; `--policy mastodon` accepts it,
/// as Mastodon does.
#[test]
fn query_left_out_of_the_signature_strict_refuses_mastodon_accepts() {
    let dir = scratch("query_left_out");
    let (private, public) = rsa_pair();
    let signed = sign(&dir, &post_request("\n"), private, &[]);
    assert!(header(&signed, "signature")
        .unwrap()
        .contains("headers=\"(request-target) "));
    let with_query = signed.replacen(
        "POST /users/bob/inbox HTTP/1.1\n",
        "POST /users/bob/inbox?page=2 HTTP/1.1\n",
        1,
    );
    assert_ne!(with_query, signed);

    for extra in [&["--at", AT][..], &["--at", AT, "--policy", "strict"][..]] {
        let out = verify(&dir, &with_query, public, extra);
        assert_eq!(out.code, 1, "{extra:?}: {}", out.stdout);
        assert!(
            out.stdout.starts_with("{\"valid\":false,")
                && out.stdout.contains("verification failed"),
            "{extra:?}: {}",
            out.stdout
        );
    }
    let out = verify(
        &dir,
        &with_query,
        public,
        &["--at", AT, "--policy", "mastodon"],
    );
    assert_eq!((out.code, out.stdout), (0, valid_line("cavage")));

    // Both policies accept the request as signed, and neither accepts another path.
    for policy in ["strict", "mastodon"] {
        let out = verify(&dir, &signed, public, &["--at", AT, "--policy", policy]);
        assert_eq!(
            (out.code, out.stdout),
            (0, valid_line("cavage")),
            "{policy}"
        );
        let other_path = with_query.replacen("/users/bob/inbox?", "/users/eve/inbox?", 1);
        let out = verify(&dir, &other_path, public, &["--at", AT, "--policy", policy]);
        assert_eq!(out.code, 1, "{policy}: {}", out.stdout);
    }

    // RFC 9421 covers the whole target URI: an added query fails under either policy.
    let signed = sign(&dir, &post_request("\n"), private, &["--scheme", "rfc9421"]);
    let with_query = signed.replacen(
        "POST /users/bob/inbox HTTP/1.1\n",
        "POST /users/bob/inbox?page=2 HTTP/1.1\n",
        1,
    );
    for policy in ["strict", "mastodon"] {
        let out = verify(&dir, &with_query, public, &["--at", AT, "--policy", policy]);
        assert_eq!(out.code, 1, "{policy}: {}", out.stdout);
    }

    // An unknown policy is a usage error.
    let out = verify(&dir, &signed, public, &["--policy", "lenient"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
}

/// A body the signature does not cover, on a method other than POST, without a digest: the
/// strict policy wants a digest of every body; Mastodon asks for one only through the
/// signature (a POST must cover `digest`), so `--policy mastodon` accepts it.
#[test]
fn body_without_digest_outside_post_strict_refuses_mastodon_accepts() {
    let dir = scratch("put_without_digest");
    let (private, public) = rsa_pair();
    let empty = "PUT /users/bob/note HTTP/1.1\nHost: bob.example\nContent-Length: 0\n\n";
    let signed = sign(&dir, empty, private, &[]);
    assert!(header(&signed, "digest").is_none(), "{signed}");
    let with_body = format!(
        "{}{BODY}",
        signed.replacen(
            "Content-Length: 0\n",
            &format!("Content-Length: {}\n", BODY.len()),
            1
        )
    );
    let out = verify(&dir, &with_body, public, &["--at", AT]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stdout.contains("no Digest or Content-Digest header"),
        "{}",
        out.stdout
    );
    let out = verify(
        &dir,
        &with_body,
        public,
        &["--at", AT, "--policy", "mastodon"],
    );
    assert_eq!((out.code, out.stdout), (0, valid_line("cavage")));

    // A POST must still cover a digest under either policy.
    let post = with_body.replacen("PUT ", "POST ", 1);
    let out = verify(&dir, &post, public, &["--at", AT, "--policy", "mastodon"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
}

#[test]
fn verify_help_names_the_policies() {
    let out = woolly(&["sig", "verify", "--help"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("--policy <POLICY>"), "{}", out.stdout);
    assert!(out.stdout.contains("[default: strict]"), "{}", out.stdout);
    assert!(out.stdout.contains("mastodon"), "{}", out.stdout);
    // The default is not described as Mastodon's policy.
    assert!(
        !out.stdout.contains("with Mastodon's policy"),
        "{}",
        out.stdout
    );
}
