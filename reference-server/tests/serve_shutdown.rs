//! Graceful shutdown of the real `woolly serve` process, and durable queues across a restart.
//!
//! - SIGINT (Ctrl-C) while a client API request is in flight: the server logs that it is
//!   stopping, refuses new connections, still answers that request completely, exits 0 well
//!   within its grace period, and what the request wrote is there after a restart.
//! - A second SIGINT during the grace period exits at once with status 130; the store opens
//!   again with everything the server acknowledged.
//! - Signed deliveries accepted (`202`) but not yet handled when SIGTERM arrives stay queued
//!   in the data directory: after a restart each one is applied, exactly once. The test
//!   serves the remote actor on 127.0.0.1; each delivered Note replies to a parent on that
//!   server which it answers only when the test opens a gate, so the test knows which
//!   activities the inbox runner has started on, and can hold it busy with the first one
//!   while the others arrive.

#![allow(clippy::unwrap_used)]

use crate::common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use common::{poll, Woolly, DELIVERY};
use serde_json::{json, Value};

/// How long a signalled server may take to exit: well under its 10 s grace period, so an exit
/// within it is not the grace period running out.
const EXIT: Duration = Duration::from_secs(8);
/// Bound for the server's reactions to a signal (log line, closed listener).
const REACT: Duration = Duration::from_secs(10);

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// Whether a new TCP connection to the server is refused.
fn refused(w: &Woolly) -> Option<()> {
    TcpStream::connect_timeout(
        &SocketAddr::new(w.ip.parse().unwrap(), w.port),
        Duration::from_secs(2),
    )
    .is_err()
    .then_some(())
}

#[test]
fn sigint_finishes_the_request_in_flight_and_exits_0() {
    let mut w = Woolly::prepare("INT", "127.0.0.2");
    w.create_account("alice", false);
    let token = w.create_token("alice");
    w.start();

    // A status POST whose body arrives in two halves: the first now, the second after the
    // signal.
    let text = "sent while the server stops";
    let body = json!({ "status": text }).to_string();
    let (first, second) = body.as_bytes().split_at(body.len() / 2);
    let mut conn = TcpStream::connect((w.ip.as_str(), w.port)).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        conn,
        "POST /api/v1/statuses HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        w.domain,
        body.len()
    )
    .unwrap();
    conn.write_all(first).unwrap();
    conn.flush().unwrap();
    // Let the server read the head and start on the request (it waits for the body).
    std::thread::sleep(Duration::from_millis(300));

    w.signal("INT");
    let signalled = Instant::now();
    poll("the shutdown log line", REACT, || {
        w.log()
            .lines()
            .find(|l| l.contains("shutting down"))
            .map(str::to_owned)
    });
    assert!(
        w.log()
            .lines()
            .any(|l| l.contains("shutting down") && l.contains("SIGINT")),
        "{}",
        w.log_tail()
    );
    // New connections are refused while the request is still open.
    poll("new connections refused", REACT, || refused(&w));

    // The rest of the body: the request in flight completes, then the connection closes.
    conn.write_all(second).unwrap();
    conn.flush().unwrap();
    let mut out = Vec::new();
    let read = conn.read_to_end(&mut out);
    let answer = String::from_utf8_lossy(&out).into_owned();
    assert!(read.is_ok(), "{read:?}: {answer}");
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    let (_, json_body) = answer.split_once("\r\n\r\n").unwrap();
    let status: Value = serde_json::from_str(json_body).unwrap();
    assert_eq!(common::text_of(status["content"].as_str().unwrap()), text);
    let id = status["id"].as_str().unwrap().to_owned();

    // A clean exit, promptly.
    let exit = w.wait_exit(EXIT);
    let took = signalled.elapsed();
    let exit = exit.unwrap_or_else(|| panic!("no exit within {EXIT:?}:\n{}", w.log_tail()));
    assert_eq!(exit.code(), Some(0), "{}", w.log_tail());
    assert!(took < EXIT, "{took:?}");
    assert!(w.log().contains("stopped"), "{}", w.log_tail());
    assert!(!w.data_dir.join("admin.token").exists());

    // What the request wrote was kept.
    w.start();
    let got = w.api(&token).get(&format!("/api/v1/statuses/{id}"));
    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(common::text_of(got.json["content"].as_str().unwrap()), text);
    assert_eq!(
        w.api(&token).me()["statuses_count"],
        1,
        "one status, not two"
    );
    assert!(w.stop(), "exits on SIGTERM");
}

#[test]
fn a_second_sigint_exits_at_once_with_130_keeping_what_was_acknowledged() {
    let mut w = Woolly::prepare("INT2", "127.0.0.2");
    w.create_account("alice", false);
    let token = w.create_token("alice");
    w.start();
    let kept = w
        .api(&token)
        .post_status("acknowledged before the signals", json!({}));
    let kept = kept["id"].as_str().unwrap().to_owned();

    // A request whose body never completes holds the graceful shutdown for its whole
    // 10 s grace period.
    let mut conn = TcpStream::connect((w.ip.as_str(), w.port)).unwrap();
    write!(
        conn,
        "POST /api/v1/statuses HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"status\":",
        w.domain
    )
    .unwrap();
    conn.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));

    w.signal("INT");
    poll("the shutdown log line", REACT, || {
        w.log().contains("shutting down").then_some(())
    });
    w.signal("INT");
    let signalled = Instant::now();
    // Well inside the grace period the first signal started.
    let soon = Duration::from_secs(4);
    let exit = w.wait_exit(soon);
    let took = signalled.elapsed();
    let exit = exit.unwrap_or_else(|| panic!("no exit within {soon:?}:\n{}", w.log_tail()));
    assert_eq!(exit.code(), Some(130), "{}", w.log_tail());
    assert!(took < soon, "{took:?}");
    assert!(
        w.log()
            .lines()
            .any(|l| l.contains("second signal") && l.contains("SIGINT")),
        "{}",
        w.log_tail()
    );
    drop(conn);

    // The store opens again, with the acknowledged status and nothing of the abandoned one.
    w.start();
    let got = w.api(&token).get(&format!("/api/v1/statuses/{kept}"));
    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(w.api(&token).me()["statuses_count"], 1);
    assert!(w.stop(), "exits on SIGTERM");
}

/// What the test's remote server has seen, and the gate holding reply-parent fetches.
#[derive(Default)]
struct RemoteState {
    open: Mutex<bool>,
    opened: Condvar,
    parents_fetched: Mutex<Vec<u32>>,
}

/// A remote actor, `bob`, served on 127.0.0.1 by the test (HTTP/1.1, a thread per
/// connection, `Connection: close`): his actor document, WebFinger, and the reply parents
/// `/parents/{n}`, each fetch recorded and answered `404` once the gate is open (at most 30 s
/// later).
struct Remote {
    base: String,
    key: http_sig::PrivateKey,
    state: Arc<RemoteState>,
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Remote {
    fn start() -> Remote {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let base = format!("http://{addr}");
        let key = http_sig::PrivateKey::generate_ed25519().unwrap();
        let actor = format!("{base}/users/bob");
        let actor_doc = json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": actor,
            "type": "Person",
            "preferredUsername": "bob",
            "inbox": format!("{actor}/inbox"),
            "outbox": format!("{actor}/outbox"),
            "followers": format!("{actor}/followers"),
            "endpoints": {"sharedInbox": format!("{base}/inbox")},
            "publicKey": {
                "id": format!("{actor}#main-key"),
                "owner": actor,
                "publicKeyPem": key.public_key().to_pem().unwrap()
            }
        })
        .to_string();
        let webfinger = json!({
            "subject": format!("acct:bob@{addr}"),
            "links": [{"rel": "self", "type": "application/activity+json", "href": actor}]
        })
        .to_string();
        let state = Arc::new(RemoteState::default());
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let state = state.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let state = state.clone();
                    let actor_doc = actor_doc.clone();
                    let webfinger = webfinger.clone();
                    std::thread::spawn(move || serve_one(conn, &state, &actor_doc, &webfinger));
                }
            })
        };
        Remote {
            base,
            key,
            state,
            addr,
            stop,
            thread: Some(thread),
        }
    }

    fn actor(&self) -> String {
        format!("{}/users/bob", self.base)
    }

    fn note(&self, n: u32) -> String {
        format!("{}/users/bob/statuses/{n}", self.base)
    }

    fn parents_fetched(&self) -> Vec<u32> {
        let mut v = self
            .state
            .parents_fetched
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        v.sort_unstable();
        v
    }

    fn clear_fetches(&self) {
        self.state
            .parents_fetched
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    fn open_gate(&self) {
        *self.state.open.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.state.opened.notify_all();
    }

    /// `Create(Note)` number `n`: a public reply to `/parents/{n}` mentioning `mention`.
    fn create(&self, n: u32, mention: &str) -> Value {
        let actor = self.actor();
        let note = self.note(n);
        let cc = json!([format!("{actor}/followers"), mention]);
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{note}/activity"),
            "type": "Create",
            "actor": actor,
            "to": [PUBLIC],
            "cc": cc,
            "object": {
                "id": note,
                "type": "Note",
                "attributedTo": actor,
                "content": format!("<p>queued {n}</p>"),
                "inReplyTo": format!("{}/parents/{n}", self.base),
                "to": [PUBLIC],
                "cc": cc,
                "tag": [{"type": "Mention", "href": mention}]
            }
        })
    }

    /// POSTs `activity` to the shared inbox of `w`, signed by bob (draft-cavage, as
    /// Mastodon signs); the status code.
    fn deliver(&self, w: &Woolly, activity: &Value) -> u16 {
        let body = activity.to_string().into_bytes();
        let url = format!("{}/inbox", w.base);
        let (mut parts, ()) = http::Request::post(&url)
            .header("content-type", "application/activity+json")
            .body(())
            .unwrap()
            .into_parts();
        http_sig::sign_request(
            &mut parts,
            &body,
            &self.key,
            &http_sig::SignOptions::cavage(format!("{}#main-key", self.actor())),
            SystemTime::now(),
        )
        .unwrap();
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(30))
            .build();
        let mut req = agent.post(&url);
        for (name, value) in &parts.headers {
            req = req.set(name.as_str(), value.to_str().unwrap());
        }
        match req.send_bytes(&body) {
            Ok(r) => r.status(),
            Err(ureq::Error::Status(code, r)) => {
                panic!(
                    "delivery refused ({code}): {}",
                    r.into_string().unwrap_or_default()
                )
            }
            Err(e) => panic!("delivery failed: {e}"),
        }
    }
}

impl Drop for Remote {
    fn drop(&mut self) {
        self.open_gate();
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(2));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Answers one request on `conn` (see [`Remote`]).
fn serve_one(mut conn: TcpStream, state: &RemoteState, actor_doc: &str, webfinger: &str) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let target = head
        .lines()
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .unwrap_or("");
    let path = target.split('?').next().unwrap_or("");
    let (status, content_type, body) = match path {
        "/users/bob" => ("200 OK", "application/activity+json", actor_doc),
        "/.well-known/webfinger" => ("200 OK", "application/jrd+json", webfinger),
        p if p.starts_with("/parents/") => {
            if let Ok(n) = p["/parents/".len()..].parse::<u32>() {
                state
                    .parents_fetched
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(n);
            }
            let deadline = Instant::now() + Duration::from_secs(30);
            let mut open = state.open.lock().unwrap_or_else(|p| p.into_inner());
            while !*open && Instant::now() < deadline {
                open = state
                    .opened
                    .wait_timeout(open, Duration::from_millis(100))
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
            ("404 Not Found", "application/json", "{}")
        }
        _ => ("404 Not Found", "application/json", "{}"),
    };
    let _ = write!(
        conn,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
}

/// The URIs of the statuses of alice's mention notifications, each as often as it appears.
fn mentioned(api: &common::Api) -> Vec<String> {
    let mut v: Vec<String> = api
        .notifications()
        .iter()
        .filter(|n| n["type"] == "mention")
        .filter_map(|n| n["status"]["uri"].as_str().map(str::to_owned))
        .collect();
    v.sort();
    v
}

#[test]
fn accepted_deliveries_survive_a_restart_and_apply_once() {
    const N: u32 = 12;
    let remote = Remote::start();
    let mut w = Woolly::prepare("Q", "127.0.0.3");
    w.create_account("alice", false);
    let token = w.create_token("alice");
    w.start();
    let alice = w.actor("alice");

    // The first activity: the inbox runner starts on it and waits for its reply parent.
    assert_eq!(remote.deliver(&w, &remote.create(0, &alice)), 202);
    poll("the runner fetching parent 0", DELIVERY, || {
        (remote.parents_fetched() == [0]).then_some(())
    });
    // The others are accepted while the runner is busy with the first.
    for n in 1..N {
        assert_eq!(remote.deliver(&w, &remote.create(n, &alice)), 202, "#{n}");
    }
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        remote.parents_fetched(),
        [0],
        "only the first is being handled"
    );

    // SIGTERM: the server stops taking requests, then lets the runner finish the job in
    // hand (the gate opens once the listener is closed and the engine told to stop).
    w.signal("TERM");
    poll("the shutdown log line", REACT, || {
        w.log().contains("shutting down").then_some(())
    });
    poll("new connections refused", REACT, || refused(&w));
    std::thread::sleep(Duration::from_millis(500));
    remote.open_gate();
    let exit = w
        .wait_exit(EXIT)
        .unwrap_or_else(|| panic!("no exit within {EXIT:?}:\n{}", w.log_tail()));
    assert_eq!(exit.code(), Some(0), "{}", w.log_tail());
    assert!(
        !w.log().contains("did not stop in time"),
        "{}",
        w.log_tail()
    );
    // The runner took nothing more after the shutdown was asked: activities 1.. were never
    // started in this run.
    assert_eq!(remote.parents_fetched(), [0]);
    remote.clear_fetches();

    // Restarted on the same data directory: the queued activities are handled now.
    w.start();
    let api = w.api(&token);
    let mut expected: Vec<String> = (0..N).map(|n| remote.note(n)).collect();
    expected.sort();
    poll("every accepted activity applied", DELIVERY, || {
        (mentioned(&api) == expected).then_some(())
    });
    // Each of 1.. handled in this run, once; 0 (done before the stop) not again.
    let restarted: Vec<u32> = (1..N).collect();
    poll("parents fetched after the restart", DELIVERY, || {
        (remote.parents_fetched() == restarted).then_some(())
    });
    // Nothing applied twice, also a moment later: one status per Note, one mention each.
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(mentioned(&api), expected);
    assert_eq!(remote.parents_fetched(), restarted);
    let bob_id = api.notifications()[0]["account"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let statuses = api
        .get_q(
            &format!("/api/v1/accounts/{bob_id}/statuses"),
            &[("limit", "40")],
        )
        .ok();
    let mut uris = common::uris(statuses.as_array().unwrap());
    uris.sort();
    assert_eq!(uris, expected);
    for s in statuses.as_array().unwrap() {
        let n: u32 = s["uri"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(
            common::text_of(s["content"].as_str().unwrap()),
            format!("queued {n}")
        );
        assert_eq!(s["account"]["acct"], format!("bob@{}", remote.addr));
    }
    assert!(w.stop(), "exits on SIGTERM");
}
