//! A real client: `clients/test_mastodon_py.py` drives Mastodon.py (PyPI, pinned in
//! `clients/requirements.txt`) against two `woolly serve` instances on loopback. The script
//! does the authorization-code flow through the sign-in form, posts, replies, favourites,
//! boosts, follows a user on the second instance, reads timelines and notifications,
//! searches and resolves, uploads an image with a description and a focal point, posts it
//! and filters with `only_media`, sets an avatar, manages a list (with the remote user's
//! post in its timeline) and reads and hides a conversation started from the other
//! instance, edits and deletes, and receives a live
//! streaming `update`; it
//! checks the entities' fields and exits non-zero on any mismatch.
//!
//! Needs a Python with those packages: `WOOLLY_PYTHON` (set by `cargo xtask test`), else the
//! virtual environment `target/py-venv` that `cargo xtask test` makes (by hand:
//! `python3 -m venv target/py-venv && target/py-venv/bin/python -m pip install -r clients/requirements.txt`).

#![allow(clippy::unwrap_used)]

use crate::common;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use common::{cluster, password_of, run_bounded, workspace_root};

fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("WOOLLY_PYTHON") {
        return PathBuf::from(p);
    }
    let p = workspace_root().join("target/py-venv/bin/python");
    assert!(
        p.is_file(),
        "Mastodon.py is not installed ({} missing): run `cargo xtask test`, or once \
         `python3 -m venv target/py-venv && target/py-venv/bin/python -m pip install -r \
         clients/requirements.txt`, then re-run this test",
        p.display()
    );
    p
}

#[test]
fn mastodon_py_signs_in_and_toots() {
    let python = python();
    let (servers, tokens) = cluster(&[
        ("A", "127.0.0.2", &[("alice", false)]),
        ("B", "127.0.0.3", &[("bob", false)]),
    ]);
    // A is open to sign-ups (the script's `sign_up`): restarted with `registrations`.
    let mut servers = servers;
    servers[0].stop();
    let mut toml = std::fs::read_to_string(&servers[0].config).unwrap();
    toml.push_str("registrations = \"open\"\n");
    std::fs::write(&servers[0].config, toml).unwrap();
    servers[0].start();
    let (a, b) = (&servers[0], &servers[1]);
    // A custom emoji for the script's `check_custom_emojis`.
    let sheep = a.config.parent().unwrap().join("woolly_sheep.png");
    std::fs::write(&sheep, common::media::png(16, 16, 1)).unwrap();
    a.cli(&["emoji", "add", "woolly_sheep", sheep.to_str().unwrap()]);
    // An owner with an admin token, and an account to moderate, for `admin_accounts`.
    a.cli(&["account", "create", "olive", "--role", "owner"]);
    a.cli(&["account", "create", "mallory"]);
    let admin_token = a
        .cli(&[
            "token",
            "create",
            "olive",
            "--scopes",
            "read write admin:read admin:write",
        ])
        .stdout
        .trim()
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_owned();
    let mut cmd = Command::new(python);
    cmd.arg(workspace_root().join("clients/test_mastodon_py.py"))
        .args(["--a", &a.base, "--user", "alice", "--password"])
        .arg(password_of("alice"))
        .args(["--b", &b.base, "--b-token", &tokens[1][0]])
        .args(["--admin-token", &admin_token])
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1");
    let out = run_bounded(cmd, Duration::from_secs(240));
    assert_eq!(
        out.code,
        0,
        "the Mastodon.py script failed ({}):\n{}\n{}\n--- A log ---\n{}\n--- B log ---\n{}",
        out.code,
        out.stdout,
        out.stderr,
        a.log_tail(),
        b.log_tail()
    );
    assert!(out.stdout.contains("OK: Mastodon.py"), "{}", out.stdout);
    eprintln!("{}", out.stdout);
}
