//! Imports with real `woolly serve` processes: `woolly account import` against a running
//! server (through its admin endpoint), the server killed (SIGKILL) or stopped (SIGTERM) in
//! the middle of the job and started again finishes it with no row lost and none counted twice, and the follows
//! become real follows on a second instance; `--wait` without a server runs the job in the
//! command itself.

#![allow(clippy::unwrap_used)]

use crate::common;

use std::time::Duration;

use common::{poll, Woolly};
use serde_json::Value;

/// `POST /settings/imports` over HTTP to a running server: status and JSON body.
fn post_file(w: &Woolly, token: &str, kind: &str, data: &[u8]) -> (u16, Value) {
    let (ct, body) = crate::api_support::media::multipart(
        &[("type", kind), ("mode", "merge")],
        &[("data", "file.csv", data)],
    );
    let r = ureq::post(&format!("{}/settings/imports", w.base))
        .set("authorization", &format!("Bearer {token}"))
        .set("content-type", &ct)
        .timeout(Duration::from_secs(30))
        .send_bytes(&body);
    let resp = match r {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("POST /settings/imports: {e}"),
    };
    let status = resp.status();
    (
        status,
        serde_json::from_str(&resp.into_string().unwrap()).unwrap_or(Value::Null),
    )
}

/// Accounts on the second instance named by the file (half at its start, half at its end).
const REAL: usize = 12;
/// Addresses on hosts where nothing listens (connection refused: failed rows), between them.
const GHOSTS: usize = 1500;

#[test]
fn an_import_killed_mid_job_finishes_after_a_restart() {
    interrupted_import("KILL");
}

/// The same, stopped with SIGTERM: the server stops within its grace period (a chunk still
/// resolving is left for the next start) and the restarted one finishes the import.
#[test]
fn an_import_stopped_mid_job_finishes_after_a_restart() {
    interrupted_import("TERM");
}

fn interrupted_import(signal: &str) {
    let mut b = Woolly::prepare("B", "127.0.0.3");
    let mut names = Vec::new();
    for i in 0..REAL {
        let n = format!("u{i}");
        b.create_account(&n, false);
        names.push(n);
    }
    b.start();
    let mut a = Woolly::prepare("A", "127.0.0.2");
    a.create_account("alice", false);
    let token = a.create_token("alice");
    a.start();

    // Over HTTP: a bad file is refused (415), a good one accepted (202) and run.
    let (status, v) = post_file(&a, &token, "blocks", b"\x00\x01binary");
    assert_eq!(status, 415, "{v}");
    let (status, v) = post_file(&a, &token, "mutes", b"Account address,Hide notifications\n");
    assert_eq!(status, 422, "{v}");
    assert_eq!(v["error"], "the file has no rows");
    let (status, v) = post_file(&a, &token, "domain-blocks", b"spam.example\n");
    assert_eq!(status, 202, "{v}");
    assert_eq!(v["type"], "domain_blocking");

    // A follows file: real accounts, then ghosts on unreachable hosts, then real ones.
    let mut file = String::from("Account address,Show boosts,Notify on new posts,Languages\n");
    for n in &names[..REAL / 2] {
        file.push_str(&format!("{},true,false,\n", b.handle(n)));
    }
    let closed = common::free_port("127.0.0.9");
    for i in 0..GHOSTS {
        file.push_str(&format!("ghost{i}@127.0.0.9:{closed},true,false,\n"));
    }
    for n in &names[REAL / 2..] {
        file.push_str(&format!("{},true,false,\n", b.handle(n)));
    }
    let path = a.data_dir.with_file_name("follows.csv");
    std::fs::write(&path, file).unwrap();
    let out = a.cli(&[
        "account",
        "import",
        "alice",
        "--type",
        "follows",
        path.to_str().unwrap(),
    ]);
    let id = out.stdout.trim().to_owned();
    assert!(id.parse::<u64>().is_ok(), "an id: {:?}", out.stdout);
    let status_path = format!("/settings/imports/{id}");
    let total = (REAL + GHOSTS) as u64;

    // Killed once some rows are done, and not all.
    let api = a.api(&token);
    let at_kill: Value = poll("some rows processed", Duration::from_secs(60), || {
        let v = api.get(&status_path).ok();
        (v["processed_items"].as_u64().unwrap() > 0).then_some(v)
    });
    a.signal(signal);
    let exit = a.wait_exit(Duration::from_secs(10));
    assert!(exit.is_some(), "the server exited after SIG{signal}");
    if signal == "TERM" {
        assert!(exit.unwrap().success(), "a clean exit: {exit:?}");
    }
    let done_before = at_kill["processed_items"].as_u64().unwrap();
    eprintln!(
        "SIG{signal} with {done_before} of {} rows processed",
        REAL + GHOSTS
    );
    assert!(
        done_before < total,
        "the kill came before the end: {at_kill}"
    );
    assert_eq!(at_kill["state"], "in_progress");

    a.start();
    let api = a.api(&token);
    // Every second (the chunk killed runs again once its lease ends, 20 s), so that the
    // token's rate limit (300 requests in 5 minutes) is not reached.
    let mut end = Value::Null;
    for _ in 0..120 {
        end = api.get(&status_path).ok();
        if end["state"] == "finished" {
            break;
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    assert_eq!(end["state"], "finished", "{end}");
    assert_eq!(end["total_items"], total);
    assert_eq!(end["processed_items"], total, "{end}");
    assert_eq!(end["imported_items"], REAL as u64, "{end}");
    assert_eq!(end["failed_items"], GHOSTS as u64, "{end}");
    assert_eq!(end["skipped_items"], 0);
    assert!(end["processed_items"].as_u64().unwrap() > done_before);

    // Every real account on B has alice as its one follower. A `Follow` in delivery when A
    // was killed is delivered again once the engine's delivery lease (120 s) ends: polled
    // once a second for up to 150 s (the anonymous rate limit is not reached).
    let b_api = b.anon();
    let ids: Vec<String> = names
        .iter()
        .map(|n| {
            let acct = b_api.get_q("/api/v1/accounts/lookup", &[("acct", n)]).ok();
            acct["id"].as_str().unwrap().to_owned()
        })
        .collect();
    let deadline = std::time::Instant::now() + Duration::from_secs(150);
    for id in &ids {
        loop {
            let f = b_api.get(&format!("/api/v1/accounts/{id}/followers")).ok();
            match f.as_array().unwrap().as_slice() {
                [] => {}
                [one] => {
                    assert_eq!(one["acct"], a.handle("alice"));
                    break;
                }
                more => panic!("more than one follower: {more:?}"),
            }
            assert!(
                std::time::Instant::now() < deadline,
                "account {id} not followed on B"
            );
            std::thread::sleep(Duration::from_secs(1));
        }
    }

    // `--wait` with the server running: through its admin endpoint, polled to the end.
    let mutes = a.data_dir.with_file_name("mutes.csv");
    std::fs::write(
        &mutes,
        format!(
            "Account address,Hide notifications\n{},false\n",
            b.handle("u0")
        ),
    )
    .unwrap();
    let out = a.cli(&[
        "account",
        "import",
        "alice",
        "--type",
        "mutes",
        mutes.to_str().unwrap(),
        "--wait",
    ]);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines[0].parse::<u64>().is_ok(), "{:?}", out.stdout);
    assert_eq!(lines[1], "finished: 1 imported, 0 failed, 0 skipped of 1");

    // The failures file names the ghosts, in the file's format.
    let failures = api.get(&format!("{status_path}/failures.csv"));
    assert_eq!(failures.status, 200);
    assert_eq!(failures.text.lines().count(), GHOSTS + 1);
    assert!(failures.text.lines().nth(1).unwrap().starts_with("ghost0@"));
}

#[test]
fn wait_without_a_server_runs_the_job_in_the_command() {
    let a = Woolly::prepare("A", "127.0.0.2");
    a.create_account("alice", false);
    a.create_account("bob", false);
    let path = a.data_dir.with_file_name("blocks.csv");
    std::fs::write(
        &path,
        format!("bob\n{}\nnot an address\n", a.handle("alice")),
    )
    .unwrap();
    let out = a.cli(&[
        "account",
        "import",
        "alice",
        "--type",
        "blocks",
        path.to_str().unwrap(),
        "--wait",
    ]);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines[0].parse::<u64>().is_ok(), "{:?}", out.stdout);
    // bob is blocked; alice cannot block herself (failed); the last row is skipped.
    assert_eq!(lines[1], "finished: 1 imported, 1 failed, 1 skipped of 3");

    // A file of the wrong type is refused with the reason, and exits 1.
    std::fs::write(&path, "Account address,Hide notifications\nbob,true\n").unwrap();
    let mut cmd = std::process::Command::new(common::WOOLLY);
    cmd.args([
        "account",
        "import",
        "alice",
        "--type",
        "follows",
        path.to_str().unwrap(),
        "--config",
    ])
    .arg(&a.config);
    let out = common::run_bounded(cmd, Duration::from_secs(60));
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("are not those of a following import"),
        "{}",
        out.stderr
    );
}
