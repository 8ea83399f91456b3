//! An account's lifecycle between real `woolly serve` processes, driven by the command line
//! (`woolly account password|apps|delete`, through the running server's admin endpoint) and
//! the client API over HTTP.
//!
//! alice on A is followed by bob on B, who has her post in his home timeline; carol on C
//! follows nobody on A but A knows her (alice looked her up) and C knows alice. A deletes
//! alice: her actor, her post's URI and her WebFinger answer `410`; B gets the `Delete` of
//! the actor and removes her post from bob's home; C, which no follow links to her, gets it
//! too (Mastodon sends it to every known instance); the name `alice` stays taken on A.

#![allow(clippy::unwrap_used)]

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common;

use common::{cluster, poll, run_bounded, Output, DELIVERY, WOOLLY};
use serde_json::json;

const ME: &str = "/api/v1/accounts/verify_credentials";

/// `woolly ARGS --config FILE` with `input` on its standard input, bounded in time.
fn cli_with_stdin(config: &std::path::Path, args: &[&str], input: &str) -> Output {
    let mut child = Command::new(WOOLLY)
        .args(args)
        .arg("--config")
        .arg(config)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("woolly {args:?} did not finish");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn password_apps_and_deletion_across_instances() {
    let (servers, tokens) = cluster(&[
        ("A", "127.0.0.2", &[("alice", false), ("dora", false)]),
        ("B", "127.0.0.3", &[("bob", false)]),
        ("C", "127.0.0.4", &[("carol", false)]),
    ]);
    let (a, b, c) = (&servers[0], &servers[1], &servers[2]);
    let dora = a.api(&tokens[0][1]);
    let bob = b.api(&tokens[1][0]);
    let carol = c.api(&tokens[2][0]);

    // Password: from standard input, without revocation, then with `--revoke-tokens`.
    let dora_token2 = a.create_token("dora");
    let out = cli_with_stdin(
        &a.config,
        &["account", "password", "dora", "--password-stdin"],
        "a much better password\n",
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.trim(), "password of dora changed");
    assert_eq!(dora.get(ME).status, 200);
    let short = cli_with_stdin(
        &a.config,
        &["account", "password", "dora", "--password-stdin"],
        "short\n",
    );
    assert_eq!(short.code, 1);
    assert!(
        short
            .stderr
            .contains("Password is too short (minimum is 8 characters)"),
        "{}",
        short.stderr
    );
    // Authorized apps: two tokens of the command line's application.
    let apps = a.cli(&["account", "apps", "dora"]);
    let line = apps.stdout.lines().next().unwrap_or_default().to_owned();
    assert!(
        line.starts_with("0\twoolly\t-\tread write follow push\tauthorized "),
        "{}",
        apps.stdout
    );
    assert!(line.ends_with("\tlast used unknown"), "{line}");
    let out = a.cli(&[
        "account",
        "password",
        "dora",
        "--password",
        "another good password",
        "--revoke-tokens",
    ]);
    assert!(out.stdout.contains("2 tokens revoked"), "{}", out.stdout);
    assert_eq!(dora.get(ME).status, 401);
    assert_eq!(a.api(&dora_token2).get(ME).status, 401);
    let none = a.cli(&["account", "apps", "dora"]);
    assert_eq!(none.stdout.trim(), "");
    let dora_token3 = a.create_token("dora");
    let out = a.cli(&["account", "apps", "dora", "--revoke", "0"]);
    assert!(
        out.stdout.contains("revoked application 0"),
        "{}",
        out.stdout
    );
    assert_eq!(a.api(&dora_token3).get(ME).status, 401);
    let mut unknown = Command::new(WOOLLY);
    unknown
        .args(["account", "apps", "dora", "--revoke", "42"])
        .arg("--config")
        .arg(&a.config);
    let out = run_bounded(unknown, Duration::from_secs(60));
    assert_eq!(out.code, 1, "{}", out.stdout);

    // bob follows alice and has her post in his home; carol and alice know each other's
    // instance without any follow.
    let alice = a.api(&tokens[0][0]);
    let target = bob.resolve_account(&a.handle("alice"));
    let alice_on_b = target["id"].as_str().unwrap().to_owned();
    bob.post(&format!("/api/v1/accounts/{alice_on_b}/follow"), json!({}))
        .ok();
    poll("B: bob follows alice", DELIVERY, || {
        (bob.relationship(&alice_on_b)["following"] == true).then_some(())
    });
    let post = alice.post_status("Baa from A", json!({}));
    let uri = post["uri"].as_str().unwrap().to_owned();
    poll("B: alice's post in bob's home", DELIVERY, || {
        bob.home_status(&uri)
    });
    alice.resolve_account(&c.handle("carol"));
    carol.resolve_account(&a.handle("alice"));
    let on_c = c.cli(&["admin", "accounts", "show", &a.handle("alice")]);
    assert!(
        on_c.stdout.contains("\"deleted\": false"),
        "{}",
        on_c.stdout
    );

    // Without --yes nothing happens.
    let mut unconfirmed = Command::new(WOOLLY);
    unconfirmed
        .args(["account", "delete", "alice"])
        .arg("--config")
        .arg(&a.config);
    let out = run_bounded(unconfirmed, Duration::from_secs(60));
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--yes"), "{}", out.stderr);
    assert_eq!(alice.get(ME).status, 200);

    let out = a.cli(&["account", "delete", "alice", "--yes"]);
    assert!(out.stdout.starts_with("deleted alice"), "{}", out.stdout);

    // On A: gone.
    assert_eq!(alice.get(ME).status, 401);
    let actor = bob.fetch_ap(&a.actor("alice"));
    assert_eq!(actor.status, 410, "{}", actor.text);
    let status = bob.fetch_ap(&uri);
    assert_eq!(status.status, 410, "{}", status.text);
    assert_eq!(status.json["type"], "Tombstone", "{}", status.text);
    let wf = a.anon().get_q(
        "/.well-known/webfinger",
        &[("resource", &format!("acct:{}", a.handle("alice")))],
    );
    assert_eq!(wf.status, 410, "{}", wf.text);
    // The name stays taken.
    let mut again = Command::new(WOOLLY);
    again
        .args([
            "account",
            "create",
            "alice",
            "--password",
            "a fresh password",
        ])
        .arg("--config")
        .arg(&a.config);
    let out = run_bounded(again, Duration::from_secs(60));
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stderr.contains("is taken"), "{}", out.stderr);

    // On B: the Delete of the actor removed her and her post from bob's home.
    poll("B: alice's account deleted", DELIVERY, || {
        let out = b.cli(&["admin", "accounts", "show", &a.handle("alice")]);
        out.stdout.contains("\"deleted\": true").then_some(())
    });
    assert!(bob.home_status(&uri).is_none(), "her post left bob's home");
    assert!(bob.resolve_status(&uri).is_none(), "her post is gone on B");
    // On C, which follows nobody on A: the Delete came all the same.
    poll("C: alice's account deleted", DELIVERY, || {
        let out = c.cli(&["admin", "accounts", "show", &a.handle("alice")]);
        out.stdout.contains("\"deleted\": true").then_some(())
    });
}
