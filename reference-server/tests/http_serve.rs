//! End to end: the real `woolly serve` binary on 127.0.0.2 with a temporary data directory.
//! WebFinger over TCP, `woolly account create` through the running server's admin endpoint,
//! the admin endpoint's authentication, a 413 before the body is read, SIGTERM by PID and a
//! clean exit, then the admin commands on the store directly.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const WOOLLY: &str = env!("CARGO_BIN_EXE_woolly");

/// Kills the server if the test panics before stopping it.
struct Server(Option<Child>);

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(c) = self.0.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.2:0").unwrap();
    l.local_addr().unwrap().port()
}

fn woolly(args: &[&str], data: &Path, base: &str) -> (bool, String, String) {
    let out = Command::new(WOOLLY)
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env_remove("RUST_LOG")
        .env("WOOLLY_BASE_URL", base)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// One raw HTTP/1.1 exchange (`Connection: close`); returns the whole response text.
fn raw(addr: &str, request: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn serve_admin_and_graceful_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let port = free_port();
    let addr = format!("127.0.0.2:{port}");
    let base = format!("http://{addr}");
    let mut child = Command::new(WOOLLY)
        .args(["serve", "--bind", &addr, "--base-url", &base])
        .arg("--data-dir")
        .arg(&data)
        .args(["--allow-private-address", "127.0.0.0/8"])
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let server = Server(Some(child));
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let log2 = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let mut l = log2.lock().unwrap();
            l.push_str(&line);
            l.push('\n');
        }
    });

    // Bounded wait for the listening line.
    let deadline = Instant::now() + Duration::from_secs(60);
    let listening = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            !left.is_zero(),
            "no listening line; log:\n{}",
            log.lock().unwrap()
        );
        match rx.recv_timeout(left) {
            Ok(line) if line.contains("listening") => break line,
            Ok(_) => continue,
            Err(e) => panic!("no listening line ({e}); log:\n{}", log.lock().unwrap()),
        }
    };
    assert!(
        listening.starts_with(&format!(
            "woolly listening on http://{addr} (base URL {base}"
        )),
        "{listening}"
    );

    // The admin secret is private to the owner.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.join("admin.token"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // An account, created through the running server (the store is locked by it).
    let (ok, out, err) = woolly(&["account", "create", "alice", "--locked"], &data, &base);
    assert!(ok, "stdout: {out}\nstderr: {err}");
    assert_eq!(
        out.trim(),
        format!("created alice@{addr} ({base}/users/alice)")
    );
    assert!(log.lock().unwrap().contains("create_account"));
    let (ok, out, _) = woolly(&["domain-block", "add", "Spam.Example"], &data, &base);
    assert!(ok);
    assert_eq!(out.trim(), "blocked spam.example");

    // WebFinger over the wire.
    let res = raw(
        &addr,
        &format!(
            "GET /.well-known/webfinger?resource=acct:alice@{addr} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        ),
    );
    assert!(res.starts_with("HTTP/1.1 200 OK\r\n"), "{res}");
    assert!(res.contains("content-type: application/jrd+json; charset=utf-8\r\n"));
    assert!(res.contains(&format!(r#""subject":"acct:alice@{addr}""#)));
    assert!(res.contains(&format!(r#""href":"{base}/users/alice""#)));

    // `woolly lookup` through the server: WebFinger, then a signed fetch (of itself here).
    let (ok, out, err) = woolly(&["lookup", &format!("@alice@{addr}")], &data, &base);
    assert!(ok, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["id"], format!("{base}/users/alice"));
    assert!(
        out.contains("\n  \"preferredUsername\": \"alice\""),
        "{out}"
    );

    // A client-API token, usable at once.
    let (ok, token, err) = woolly(
        &["token", "create", "alice", "--scopes", "read write follow"],
        &data,
        &base,
    );
    assert!(ok, "{err}");
    let token = token.trim();
    assert!(!token.is_empty() && !token.contains(' '));
    let res = raw(
        &addr,
        &format!(
            "GET /api/v1/accounts/verify_credentials HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
        ),
    );
    assert!(res.starts_with("HTTP/1.1 200 OK\r\n"), "{res}");
    assert!(res.contains(r#""username":"alice""#), "{res}");

    // The streaming API's WebSocket upgrade passes through the HTTP layer (RFC 6455's
    // example key and accept value).
    let mut ws = TcpStream::connect(&addr).unwrap();
    ws.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    ws.write_all(
        format!(
            "GET /api/v1/streaming?stream=public&access_token={token} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        .as_bytes(),
    )
    .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 4096 {
        if ws.read(&mut byte).unwrap() == 0 {
            break;
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).to_lowercase();
    assert!(
        head.starts_with("http/1.1 101 switching protocols\r\n"),
        "{head}"
    );
    assert!(
        head.contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo=\r\n"),
        "{head}"
    );
    drop(ws);

    // An oversized inbox POST is refused before its body is read.
    let res = raw(
        &addr,
        &format!(
            "POST /inbox HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/activity+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{{",
            2 << 20
        ),
    );
    assert!(res.starts_with("HTTP/1.1 413 "), "{res}");

    // The admin endpoint wants the secret.
    let admin = std::fs::read_to_string(data.join("admin.addr")).unwrap();
    let admin = admin.trim();
    let res = raw(
        admin,
        &format!("GET /_admin/health HTTP/1.1\r\nHost: {admin}\r\nAuthorization: Bearer wrong\r\nConnection: close\r\n\r\n"),
    );
    assert!(res.starts_with("HTTP/1.1 401 "), "{res}");
    // And is not on the public listener.
    let res = raw(
        &addr,
        &format!("GET /_admin/health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    );
    assert!(res.starts_with("HTTP/1.1 404 "), "{res}");

    // SIGTERM by PID: a clean exit, bounded.
    let status = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut server = server;
    let child = server.0.as_mut().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let exit = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "woolly did not stop within 30 s");
        std::thread::sleep(Duration::from_millis(50));
    };
    server.0 = None;
    assert_eq!(exit.code(), Some(0), "log:\n{}", log.lock().unwrap());
    assert!(!data.join("admin.token").exists());

    // Stopped: the admin commands open the store directly, and see what was written.
    let (ok, out, err) = woolly(&["account", "list"], &data, &base);
    assert!(ok, "{err}");
    assert_eq!(
        out.trim(),
        format!("alice@{addr}\t{base}/users/alice\tlocked")
    );
    let (ok, out, _) = woolly(&["domain-block", "list"], &data, &base);
    assert!(ok);
    assert_eq!(out.trim(), "spam.example");
    let (ok, out, _) = woolly(&["domain-block", "remove", "spam.example"], &data, &base);
    assert!(ok);
    assert_eq!(out.trim(), "unblocked spam.example");
    let (ok, _, err) = woolly(&["account", "create", "alice"], &data, &base);
    assert!(!ok);
    assert!(err.contains("taken"), "{err}");
    // Another base URL on this data directory is refused (actor IRIs come from it).
    let (ok, _, err) = woolly(&["account", "list"], &data, "https://other.example");
    assert!(!ok);
    assert!(err.contains("belongs to"), "{err}");
}
