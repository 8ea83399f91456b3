//! `woolly admin rules …` and `woolly admin reports …` on a data directory, with the server
//! stopped (the store opened directly) and running (through its admin endpoint): what one
//! mode writes the other reads, and the client API shows it.
#![allow(clippy::unwrap_used)]

use crate::common::{Api, Woolly};

use serde_json::{json, Value};

fn rule_id(out: &str) -> String {
    // "added rule ID: TEXT"
    out.trim()
        .strip_prefix("added rule ")
        .and_then(|r| r.split(':').next())
        .unwrap_or_else(|| panic!("unexpected output: {out}"))
        .to_owned()
}

#[test]
fn rules_and_reports_from_the_command_line() {
    let mut w = Woolly::prepare("A", "127.0.0.2");
    // Stopped: the store is opened directly.
    let kind = rule_id(&w.cli(&["admin", "rules", "add", "Be kind"]).stdout);
    let spam = rule_id(
        &w.cli(&[
            "admin",
            "rules",
            "add",
            "No spam",
            "--hint",
            "Ads count as spam.",
        ])
        .stdout,
    );
    let listed = w.cli(&["admin", "rules", "list"]).stdout;
    assert_eq!(
        listed,
        format!("{kind}\tBe kind\n{spam}\tNo spam\t(Ads count as spam.)\n")
    );
    w.create_account("alice", false);
    w.create_account("bob", false);
    let alice = w.create_token("alice");
    w.start();
    // Running: through the admin endpoint.
    let removed = w.cli(&["admin", "rules", "remove", &kind]).stdout;
    assert_eq!(removed.trim(), format!("removed rule {kind}: Be kind"));
    let anon = Api::new(&w.base, None);
    assert_eq!(
        anon.get("/api/v1/instance/rules").ok(),
        json!([{"id": spam, "text": "No spam", "hint": "Ads count as spam."}])
    );
    let api = Api::new(&w.base, Some(&alice));
    let bob = api.get("/api/v1/accounts/lookup?acct=bob").ok();
    let report = api
        .post(
            "/api/v1/reports",
            json!({"account_id": bob["id"], "rule_ids": [spam], "comment": "ads\teverywhere"}),
        )
        .ok();
    let id = report["id"].as_str().unwrap().to_owned();
    let list = w.cli(&["admin", "reports", "list"]).stdout;
    assert_eq!(
        list,
        format!("{id}\topen\tviolation\talice -> bob\tads everywhere\n")
    );
    let shown: Value =
        serde_json::from_str(&w.cli(&["admin", "reports", "show", &id]).stdout).unwrap();
    assert_eq!(shown["account"], "alice");
    assert_eq!(shown["target_account"], "bob");
    assert_eq!(
        shown["rules"],
        json!([{"id": spam, "text": "No spam", "hint": "Ads count as spam."}])
    );
    assert_eq!(
        w.cli(&["admin", "reports", "resolve", &id]).stdout.trim(),
        format!("resolved report {id}")
    );
    assert!(w.stop());
    // Stopped again: the resolved report is where the running server put it.
    assert_eq!(w.cli(&["admin", "reports", "list"]).stdout, "");
    let resolved = w.cli(&["admin", "reports", "list", "--resolved"]).stdout;
    assert!(
        resolved.starts_with(&format!("{id}\tresolved\t")),
        "{resolved}"
    );
    // Errors: unknown ids exit non-zero with a message.
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_woolly"));
    cmd.args(["admin", "reports", "show", "12345", "--config"])
        .arg(&w.config);
    let out = crate::common::run_bounded(cmd, std::time::Duration::from_secs(60));
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stderr.contains("not found"), "{}", out.stderr);
}
