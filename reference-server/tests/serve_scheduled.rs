//! Scheduled statuses survive a restart of the real `woolly serve`: a status scheduled a few
//! seconds ahead, the server stopped before it is due and started again after, is posted
//! (once) by the restarted server; one scheduled far ahead is still listed. The first run
//! lowers the lead time with `--schedule-min-lead-seconds`, the second keeps the file's.

#![allow(clippy::unwrap_used)]

use crate::common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{poll, Woolly};
use serde_json::json;

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[test]
fn a_scheduled_status_is_posted_after_a_restart() {
    let mut w = Woolly::prepare_with(
        "sched",
        "127.0.0.1",
        common::free_port("127.0.0.1"),
        "schedule_min_lead_seconds = 600",
    );
    w.create_account("alice", false);
    let token = w.create_token("alice");
    // The flag wins over the file's 600 s.
    w.start_with(&["--schedule-min-lead-seconds", "0"]);
    let api = w.api(&token);
    let me = api.me();
    let statuses_path = format!("/api/v1/accounts/{}/statuses", me["id"].as_str().unwrap());

    // Due in 4 s (whole seconds: the API's times have no fraction), and one in a day.
    let due = (now_ms() / 1000 + 4) * 1000;
    let soon = api
        .post(
            "/api/v1/statuses",
            json!({
                "status": "posted after a restart",
                "scheduled_at": reference_server::app::activitypub::rfc3339(due),
            }),
        )
        .ok();
    assert!(soon["params"].is_object(), "a ScheduledStatus: {soon}");
    let later = api
        .post(
            "/api/v1/statuses",
            json!({
                "status": "tomorrow",
                "scheduled_at": reference_server::app::activitypub::rfc3339(due + 86_400_000),
            }),
        )
        .ok();
    assert_eq!(api.get(&statuses_path).ok(), json!([]));
    assert!(w.stop(), "stopped on SIGTERM");
    assert!(
        now_ms() < due,
        "the server was stopped before the status was due"
    );
    assert!(
        !w.log().contains("scheduled statuses posted"),
        "nothing was posted before the restart:\n{}",
        w.log()
    );

    // Stopped past the due time, then started again.
    while now_ms() < due + 1000 {
        std::thread::sleep(Duration::from_millis(100));
    }
    w.start();
    let api = w.api(&token);
    let posted = poll(
        "the scheduled status posted",
        Duration::from_secs(20),
        || {
            let list = api.get(&statuses_path).ok();
            let list = list.as_array().cloned().unwrap_or_default();
            (!list.is_empty()).then_some(list)
        },
    );
    assert_eq!(posted.len(), 1, "{posted:?}");
    assert_eq!(posted[0]["content"], "<p>posted after a restart</p>");
    // Only once, however many runs of the job have passed.
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(api.get(&statuses_path).ok().as_array().unwrap().len(), 1);
    let left = api.get("/api/v1/scheduled_statuses").ok();
    assert_eq!(left, json!([later]));
    w.stop();
}
