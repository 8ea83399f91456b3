//! The rate-limit headers on the wire: a real `woolly serve` with low limits in its
//! configuration file (`[rate_limits]`), read over raw TCP so
//! that the bytes are what a client gets: `X-RateLimit-Limit`, `-Remaining` counting down,
//! `-Reset` in Mastodon's ISO 8601 form, a `Date` to compare it with (Mastodon.py does), and
//! the `429` with Mastodon's body past the limit.

#![allow(clippy::unwrap_used)]

use crate::common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::Woolly;

/// One request over a fresh connection: the status and the lower-cased headers and body.
fn raw(w: &Woolly, path: &str, token: Option<&str>) -> (u16, Vec<(String, String)>, String) {
    let mut s = TcpStream::connect((w.ip.as_str(), w.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {}\r\n{auth}Connection: close\r\n\r\n",
        w.domain
    )
    .unwrap();
    let mut bytes = Vec::new();
    s.read_to_end(&mut bytes).unwrap();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers, body.to_owned())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {name} in {headers:?}"))
}

/// Whether `v` is `YYYY-MM-DDTHH:00:00.000000Z` (the end of an hour's window).
fn is_hour_reset(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 27
        && v.ends_with(":00:00.000000Z")
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && v[..4]
            .bytes()
            .chain(v[11..13].bytes())
            .all(|c| c.is_ascii_digit())
}

#[test]
fn the_headers_and_the_429_on_the_wire() {
    let mut w = Woolly::prepare_with(
        "limits",
        "127.0.0.1",
        common::free_port("127.0.0.1"),
        "[rate_limits]\napi_per_token = \"3/1h\"\napi_per_ip = \"5/1h\"",
    );
    w.create_account("alice", false);
    let token = w.create_token("alice");
    w.start();

    let mut reset = String::new();
    for left in ["2", "1", "0"] {
        let (status, h, body) = raw(&w, "/api/v1/accounts/verify_credentials", Some(&token));
        assert_eq!(status, 200, "{body}");
        assert_eq!(header(&h, "x-ratelimit-limit"), "3");
        assert_eq!(header(&h, "x-ratelimit-remaining"), left);
        reset = header(&h, "x-ratelimit-reset").to_owned();
        assert!(is_hour_reset(&reset), "{reset}");
        assert!(!header(&h, "date").is_empty());
    }
    let (status, h, body) = raw(&w, "/api/v1/timelines/home", Some(&token));
    assert_eq!(status, 429, "{body}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap(),
        serde_json::json!({"error": "Too many requests"})
    );
    assert_eq!(header(&h, "x-ratelimit-limit"), "3");
    assert_eq!(header(&h, "x-ratelimit-remaining"), "0");
    assert_eq!(header(&h, "x-ratelimit-reset"), reset);
    let retry: u64 = header(&h, "retry-after").parse().unwrap();
    assert!((1..=3600).contains(&retry), "{retry}");

    // Without a token, per address (this connection's, 127.0.0.1).
    let (status, h, _) = raw(&w, "/api/v1/instance", None);
    assert_eq!(status, 200);
    assert_eq!(header(&h, "x-ratelimit-limit"), "5");
    assert_eq!(header(&h, "x-ratelimit-remaining"), "4");
    assert!(w.stop(), "stopped on SIGTERM");
}
