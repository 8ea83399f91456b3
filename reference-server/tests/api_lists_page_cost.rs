//! What a page of a list timeline, a list's accounts and the conversations costs in store
//! calls (as `api_page_cost.rs` measures home and notifications): the instance runs on a
//! `CountingStore`, and a page costs the same number of calls for 20 entries as for 40.
//!
//! The figures are printed (`cargo test -p reference-server --test integration
//! api_lists_page_cost:: -- --nocapture`).
#![allow(clippy::unwrap_used)]

use crate::api_support as support;

use std::sync::Arc;

use activitypub_core::engine::transport::memory::MemoryNetwork;
use fedi_storage::counting::{CountingStore, StoreCounts};
use fedi_storage::memory::MemoryStore;
use http::StatusCode;
use reference_server::app::{NewStatus, RepliesPolicy, StatusVisibility};
use reference_server::{App, Config};
use serde_json::Value;
use support::*;

/// The most store calls a page may cost (the request's own token and account reads, and the
/// list's ownership check, included).
const MAX_CALLS_PER_PAGE: u64 = 16;

async fn cost(
    app: &App,
    store: &CountingStore<MemoryStore>,
    token: &str,
    path: &str,
) -> (StoreCounts, Value) {
    store.reset();
    let a = get(app, path, Some(token)).await;
    assert_eq!(a.status, StatusCode::OK, "{path}: {}", a.text);
    let counts = store.counts();
    eprintln!(
        "{path}: {} entries, {} store calls ({} reads, {} writes), {} records read",
        a.body.as_array().map_or(0, Vec::len),
        counts.calls,
        counts.reads,
        counts.writes,
        counts.records_read,
    );
    (counts, a.body)
}

fn assert_bounded(what: &str, small: StoreCounts, large: StoreCounts) {
    assert_eq!(
        large.calls, small.calls,
        "{what}: a page of 40 must cost as many store calls as a page of 20 ({small:?} vs {large:?})"
    );
    assert!(
        large.calls <= MAX_CALLS_PER_PAGE,
        "{what}: {} store calls for a page (at most {MAX_CALLS_PER_PAGE})",
        large.calls
    );
    assert_eq!(large.writes, 0, "{what}: reading a page writes nothing");
}

#[tokio::test]
async fn list_and_conversation_pages_cost_the_same_for_20_and_40() {
    let store = Arc::new(CountingStore::new(MemoryStore::new()));
    let config = Config {
        base_url: BASE.into(),
        ..Config::default()
    };
    let app = App::new(config, store.clone(), Arc::new(MemoryNetwork::with_seed(7)))
        .await
        .unwrap();
    let (alice, token) = user(&app, "alice").await;
    let mut people = Vec::new();
    for i in 0..45 {
        let p = app
            .create_account(&format!("p{i}"), None, false)
            .await
            .unwrap();
        app.follow(alice.id, p.id).await.unwrap();
        people.push(p);
    }
    let list = app
        .create_list(alice.id, "everyone", RepliesPolicy::List, false)
        .await
        .unwrap();
    let ids: Vec<u64> = people.iter().map(|p| p.id).collect();
    app.add_to_list(alice.id, list.id, &ids).await.unwrap();
    for p in &people {
        let post = |text: &str, visibility| NewStatus {
            text: text.into(),
            visibility: Some(visibility),
            ..NewStatus::default()
        };
        app.post_status(p.id, post("for the list", StatusVisibility::Public))
            .await
            .unwrap();
        app.post_status(p.id, post("@alice between us", StatusVisibility::Direct))
            .await
            .unwrap();
    }

    let timeline = format!("/api/v1/timelines/list/{}", list.id);
    let (small, page20) = cost(&app, &store, &token, &format!("{timeline}?limit=20")).await;
    let (large, page40) = cost(&app, &store, &token, &format!("{timeline}?limit=40")).await;
    assert_eq!(page20.as_array().unwrap().len(), 20);
    assert_eq!(page40.as_array().unwrap().len(), 40);
    assert_bounded("list timeline", small, large);

    let accounts = format!("/api/v1/lists/{}/accounts", list.id);
    let (small, a20) = cost(&app, &store, &token, &format!("{accounts}?limit=20")).await;
    let (large, a40) = cost(&app, &store, &token, &format!("{accounts}?limit=40")).await;
    assert_eq!(a20.as_array().unwrap().len(), 20);
    assert_eq!(a40.as_array().unwrap().len(), 40);
    assert_bounded("list accounts", small, large);

    let (small, c20) = cost(&app, &store, &token, "/api/v1/conversations?limit=20").await;
    let (large, c40) = cost(&app, &store, &token, "/api/v1/conversations?limit=40").await;
    assert_eq!(c20.as_array().unwrap().len(), 20);
    let c40 = c40.as_array().unwrap();
    assert_eq!(c40.len(), 40);
    assert!(c40
        .iter()
        .all(|c| c["accounts"].as_array().unwrap().len() == 1 && c["last_status"].is_object()));
    assert_bounded("conversations", small, large);
}
