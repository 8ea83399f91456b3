//! A newcomer's first two commands, in either order, with the real `woolly` binary: `woolly
//! account create` and `woolly serve --base-url …` on a fresh data directory and a
//! configuration file that names no base URL.
//!
//! - Account first: the admin command leaves the directory unbound; `serve` binds it to the
//!   base URL it is given, and the account's actor, keys and WebFinger answer are under that
//!   base URL. Once bound, another base URL is refused (by `serve` and by admin commands),
//!   and a command given none uses the bound one.
//! - Serve first: an account made while it runs (admin endpoint) or after it stopped (store
//!   opened directly, no base URL given) is under the served base URL; a restart without
//!   `--base-url` serves the bound one.

#![allow(clippy::unwrap_used)]

use crate::common;

use std::process::Command;
use std::time::Duration;

use common::{run_bounded, Output, Woolly, WOOLLY};
use serde_json::Value;

const CLI: Duration = Duration::from_secs(120);

/// A prepared instance whose configuration file has no `base_url` (what `woolly serve`
/// needs to listen where the test wants, and the data directory).
fn newcomer(label: &str) -> Woolly {
    let w = Woolly::prepare(label, "127.0.0.1");
    let toml = format!(
        "bind = \"{}:{}\"\ndata_dir = \"{}\"\nallow_private_address = [\"127.0.0.0/8\"]\n",
        w.ip,
        w.port,
        w.data_dir.display().to_string().replace('\\', "\\\\")
    );
    std::fs::write(&w.config, toml).unwrap();
    w
}

/// `woolly ARGS --config FILE` with no base URL or domain from the environment, plus `env`.
fn woolly(w: &Woolly, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(WOOLLY);
    cmd.args(args)
        .arg("--config")
        .arg(&w.config)
        .env_remove("WOOLLY_BASE_URL")
        .env_remove("WOOLLY_DOMAIN")
        .env_remove("WOOLLY_CONFIG")
        .env_remove("WOOLLY_DATA_DIR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    run_bounded(cmd, CLI)
}

/// The actor document of `user`, fetched from the running server: its id is under the
/// server's base URL, with its key.
fn assert_actor_served(w: &Woolly, user: &str) {
    let actor = w.actor(user);
    let r = w.anon().fetch_ap(&actor);
    assert_eq!(r.status, 200, "{}", r.text);
    let doc = &r.json;
    assert_eq!(doc["id"], actor.as_str(), "{doc}");
    assert_eq!(doc["inbox"], format!("{actor}/inbox"), "{doc}");
    assert_eq!(doc["followers"], format!("{actor}/followers"), "{doc}");
    assert_eq!(doc["url"], format!("{}/@{user}", w.base), "{doc}");
    assert_eq!(doc["publicKey"]["id"], format!("{actor}#main-key"), "{doc}");
    assert_eq!(doc["publicKey"]["owner"], actor.as_str(), "{doc}");
    assert!(
        doc["publicKey"]["publicKeyPem"]
            .as_str()
            .is_some_and(|p| p.starts_with("-----BEGIN PUBLIC KEY-----")),
        "{doc}"
    );
}

/// WebFinger finds `user@domain` and points at the actor under the base URL.
fn assert_webfinger_finds(w: &Woolly, user: &str) {
    let r = w.anon().get_q(
        "/.well-known/webfinger",
        &[("resource", &format!("acct:{user}@{}", w.domain))],
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["subject"], format!("acct:{user}@{}", w.domain));
    let links = r.json["links"].as_array().unwrap();
    let own = links.iter().find(|l| l["rel"] == "self").unwrap();
    assert_eq!(own["href"], w.actor(user).as_str(), "{}", r.text);
}

#[test]
fn account_create_then_serve_with_a_base_url() {
    let mut w = newcomer("BIND1");
    let out = woolly(
        &w,
        &[
            "account",
            "create",
            "alice",
            "--password",
            "a long password",
        ],
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    // Made under the default base URL, for now; the directory is not bound.
    assert_eq!(
        out.stdout,
        "created alice@localhost:8080 (http://localhost:8080/users/alice)\n"
    );
    let note = out.stderr;
    let out = woolly(&w, &["token", "create", "alice"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let token = out.stdout.trim().to_owned();

    // Serve binds it to the base URL it is given; alice follows.
    w.start_with(&["--base-url", &w.base.clone()]);
    assert!(
        w.log()
            .contains(&format!("(base URL {}, handles @user@{}", w.base, w.domain)),
        "{}",
        w.log_tail()
    );
    assert_actor_served(&w, "alice");
    assert_webfinger_finds(&w, "alice");
    // `account create` said it left the directory unbound.
    assert!(note.contains("is not bound to a base URL yet"), "{note}");
    // The instance actor too, and the token made before still signs alice in.
    let r = w.anon().fetch_ap(&format!("{}/actor", w.base));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["id"], format!("{}/actor", w.base));
    let me: Value = w.api(&token).me();
    assert_eq!(me["acct"], "alice");
    assert_eq!(me["url"], format!("{}/@alice", w.base));
    // Nothing is left under the old base URL.
    let r = w.anon().get_q(
        "/.well-known/webfinger",
        &[("resource", "http://localhost:8080/users/alice")],
    );
    assert_eq!(r.status, 404, "{}", r.text);
    assert!(w.stop(), "exits on SIGTERM");

    // Bound now: another base URL is refused, by serve and by an admin command.
    let out = woolly(&w, &["serve", "--base-url", "http://127.0.0.1:9"], &[]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains(&format!("belongs to {}", w.base)),
        "{}",
        out.stderr
    );
    let out = woolly(
        &w,
        &["account", "list"],
        &[("WOOLLY_BASE_URL", "https://other.example")],
    );
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stderr.contains("belongs to"), "{}", out.stderr);
    // Given none, an admin command uses the bound one (and says nothing about binding).
    let out = woolly(&w, &["account", "list"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        format!("alice@{}\t{}/users/alice\topen\n", w.domain, w.base)
    );
    assert!(!out.stderr.contains("not bound"), "{}", out.stderr);
}

#[test]
fn serve_then_account_create_running_and_stopped() {
    let mut w = newcomer("BIND2");
    w.start_with(&["--base-url", &w.base.clone()]);
    // While it runs: through the admin endpoint.
    let out = woolly(&w, &["account", "create", "alice"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        format!("created alice@{} ({}/users/alice)\n", w.domain, w.base)
    );
    assert_actor_served(&w, "alice");
    assert!(w.stop(), "exits on SIGTERM");

    // Stopped, no base URL given: the store is opened with the one it is bound to.
    let out = woolly(&w, &["account", "create", "bob"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        format!("created bob@{} ({}/users/bob)\n", w.domain, w.base)
    );
    // A restart without --base-url serves the bound base URL.
    w.start();
    assert!(
        w.log().contains(&format!("(base URL {}", w.base)),
        "{}",
        w.log_tail()
    );
    assert_actor_served(&w, "bob");
    assert_webfinger_finds(&w, "bob");
    assert_webfinger_finds(&w, "alice");
    assert!(w.stop(), "exits on SIGTERM");
}

#[test]
fn an_admin_command_given_a_base_url_binds_the_directory() {
    let w = newcomer("BIND3");
    let given = w.base.clone();
    let out = woolly(
        &w,
        &["account", "create", "alice"],
        &[("WOOLLY_BASE_URL", &given)],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        format!("created alice@{} ({given}/users/alice)\n", w.domain)
    );
    assert!(!out.stderr.contains("not bound"), "{}", out.stderr);
    let out = woolly(&w, &["serve", "--base-url", "http://127.0.0.1:9"], &[]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains(&format!("belongs to {given}")),
        "{}",
        out.stderr
    );
}
