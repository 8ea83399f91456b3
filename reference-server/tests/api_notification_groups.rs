//! Grouped notifications as Mastodon 4.3 serves them (`/api/v2/notifications`): group keys
//! with hour buckets, the 12-hour span, de-duplicated accounts and statuses, paging by groups
//! with `Link`, `grouped_types[]`, `expand_accounts=partial_avatars`, one group, its
//! accounts, dismissing it, the unread count of groups, and the error paths.
#![allow(clippy::unwrap_used)]

use crate::api_support as support;

use std::sync::Arc;
use std::time::Duration;

use activitypub_core::engine::transport::memory::MemoryNetwork;
use fedi_storage::memory::MemoryStore;
use fedi_storage::{KvStoreExt, ManualClock, Timestamp};
use http::{Method, StatusCode};
use reference_server::{App, Config};
use serde_json::{json, Value};
use support::*;

/// 2027-01-15T08:00:00Z: the start of an hour (the clock starts there).
const T0_MS: u64 = 1_800_000_000_000;

async fn clocked() -> (App, ManualClock) {
    let config = Config {
        base_url: BASE.into(),
        ..Config::default()
    };
    let clock = ManualClock::new(Timestamp::from_unix_millis(T0_MS));
    let app = App::with_clock(
        config,
        Arc::new(MemoryStore::new()),
        Arc::new(MemoryNetwork::with_seed(7)),
        Some(Arc::new(clock.clone())),
    )
    .await
    .unwrap();
    (app, clock)
}

async fn ok_post(app: &App, path: &str, token: &str) -> Value {
    let a = call(app, Method::POST, path, Some(token)).await;
    assert_eq!(a.status, StatusCode::OK, "{path}: {}", a.text);
    a.body
}

fn keys_of(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

fn groups(v: &Value) -> &Vec<Value> {
    v["notification_groups"].as_array().unwrap()
}

fn group_keys(v: &Value) -> Vec<String> {
    groups(v)
        .iter()
        .map(|g| g["group_key"].as_str().unwrap().to_owned())
        .collect()
}

/// The `max_id` / `min_id` of a `Link` header's `rel`.
fn link_id(a: &Answer, rel: &str, param: &str) -> Option<String> {
    let link = a.header("link")?;
    let part = link
        .split(", ")
        .find(|p| p.ends_with(&format!("rel=\"{rel}\"")))?;
    let url = part.trim_start_matches('<').split('>').next()?;
    url::Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == param)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test]
async fn favourites_boosts_and_follows_are_grouped_with_each_entity_once() {
    let (app, clock) = clocked().await;
    let (alice, ta) = user(&app, "alice").await;
    let s = post(&app, &ta, json!({"status": "group me"})).await;
    let sid = s["id"].as_str().unwrap().to_owned();
    let mut fans = Vec::new();
    for name in ["bob", "carol", "dave"] {
        let (acc, t) = user(&app, name).await;
        clock.advance(Duration::from_secs(60));
        ok_post(&app, &format!("/api/v1/statuses/{sid}/favourite"), &t).await;
        ok_post(&app, &format!("/api/v1/statuses/{sid}/reblog"), &t).await;
        ok_post(&app, &format!("/api/v1/accounts/{}/follow", alice.id), &t).await;
        fans.push((acc, t));
    }
    clock.advance(Duration::from_secs(60));
    let m = post(&app, &fans[0].1, json!({"status": "@alice hello"})).await;

    let a = get(&app, "/api/v2/notifications", Some(&ta)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let bucket = T0_MS / 1000 / 3600;
    let v1 = get(&app, "/api/v1/notifications", Some(&ta)).await.body;
    let mention_id = v1[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        group_keys(&a.body),
        vec![
            format!("ungrouped-{mention_id}"),
            format!("follow-{bucket}"),
            format!("reblog-{sid}-{bucket}"),
            format!("favourite-{sid}-{bucket}"),
        ]
    );
    // The v1 entity carries the same keys.
    assert_eq!(v1[1]["group_key"], format!("follow-{bucket}"));
    assert_eq!(v1[0]["group_key"], format!("ungrouped-{mention_id}"));

    let fan_ids = |names: &[usize]| -> Vec<String> {
        names.iter().map(|i| fans[*i].0.id.to_string()).collect()
    };
    let g = groups(&a.body);
    let fav = &g[3];
    assert_eq!(
        keys_of(fav),
        [
            "group_key",
            "latest_page_notification_at",
            "most_recent_notification_id",
            "notifications_count",
            "page_max_id",
            "page_min_id",
            "sample_account_ids",
            "status_id",
            "type"
        ]
    );
    assert_eq!(fav["type"], "favourite");
    assert_eq!(fav["notifications_count"], 3);
    assert_eq!(fav["status_id"], sid.as_str());
    assert_eq!(fav["sample_account_ids"], json!(fan_ids(&[2, 1, 0])));
    let fav_ids: Vec<String> = v1
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["type"] == "favourite")
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fav["most_recent_notification_id"], fav_ids[0].as_str());
    assert_eq!(fav["page_max_id"], fav_ids[0].as_str());
    assert_eq!(fav["page_min_id"], fav_ids[2].as_str());
    let newest_fav = v1
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["type"] == "favourite")
        .unwrap();
    assert_eq!(fav["latest_page_notification_at"], newest_fav["created_at"]);
    let follow = &g[1];
    assert_eq!(follow["notifications_count"], 3);
    assert!(follow.get("status_id").is_none(), "{follow}");
    let mention = &g[0];
    assert_eq!(mention["notifications_count"], 1);
    assert_eq!(mention["page_min_id"], mention_id.as_str());
    assert_eq!(mention["page_max_id"], mention_id.as_str());
    assert_eq!(mention["status_id"], m["id"]);
    // Each account and status once.
    assert_eq!(ids_sorted(&a.body["accounts"]), sorted(fan_ids(&[0, 1, 2])));
    assert_eq!(
        ids_sorted(&a.body["statuses"]),
        sorted(vec![sid.clone(), m["id"].as_str().unwrap().to_owned()])
    );
    assert!(a.body.get("partial_accounts").is_none());
    assert!(a.body["statuses"][0]["account"]["id"].is_string());

    // grouped_types[] limits grouping: favourites come one by one.
    let b = get(
        &app,
        "/api/v2/notifications?grouped_types[]=follow&types[]=favourite&types[]=follow",
        Some(&ta),
    )
    .await;
    let kinds: Vec<(&str, u64)> = groups(&b.body)
        .iter()
        .map(|g| {
            (
                g["type"].as_str().unwrap(),
                g["notifications_count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("follow", 3),
            ("favourite", 1),
            ("favourite", 1),
            ("favourite", 1)
        ]
    );
    assert!(group_keys(&b.body)[1].starts_with("ungrouped-"));

    // partial_avatars: the newest sender of each group in full, the others partial.
    let p = get(
        &app,
        "/api/v2/notifications?expand_accounts=partial_avatars&types[]=favourite",
        Some(&ta),
    )
    .await;
    assert_eq!(ids(&p.body["accounts"]), self::ids_of(&[&fans[2].0]));
    let partial = p.body["partial_accounts"].as_array().unwrap();
    assert_eq!(
        ids(&p.body["partial_accounts"]),
        vec![fans[1].0.id.to_string(), fans[0].0.id.to_string()]
    );
    assert_eq!(
        keys_of(&partial[0]),
        [
            "acct",
            "avatar",
            "avatar_static",
            "bot",
            "id",
            "locked",
            "url"
        ]
    );
    assert_eq!(partial[0]["acct"], "carol");
    let bad = get(
        &app,
        "/api/v2/notifications?expand_accounts=everything",
        Some(&ta),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.error().contains("expand_accounts"));

    // The v2 unread count counts groups.
    let count = get(&app, "/api/v2/notifications/unread_count", Some(&ta)).await;
    assert_eq!(count.body, json!({"count": 4}));
    let count = get(
        &app,
        "/api/v2/notifications/unread_count?grouped_types[]=follow",
        Some(&ta),
    )
    .await;
    assert_eq!(count.body, json!({"count": 8}));
    let count = get(
        &app,
        "/api/v2/notifications/unread_count?limit=2",
        Some(&ta),
    )
    .await;
    assert_eq!(count.body, json!({"count": 2}));
    // After the read marker (kept by `app/markers.rs` in the `markers` namespace).
    app.store()
        .kv_put_json(
            "markers",
            format!("{}:notifications", alice.id).as_bytes(),
            &json!({"last_read_id": fav_ids[0].parse::<u64>().unwrap(), "version": 0, "updated_at": 0}),
        )
        .await
        .unwrap();
    let count = get(&app, "/api/v2/notifications/unread_count", Some(&ta)).await;
    assert_eq!(
        count.body,
        json!({"count": 3}),
        "the newest reblog, follow, mention"
    );
}

fn ids_of(list: &[&reference_server::app::Account]) -> Vec<String> {
    list.iter().map(|a| a.id.to_string()).collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn ids_sorted(v: &Value) -> Vec<String> {
    sorted(ids(v))
}

#[tokio::test]
async fn buckets_hold_a_group_for_twelve_hours_at_most() {
    let (app, clock) = clocked().await;
    let (_alice, ta) = user(&app, "alice").await;
    let s = post(&app, &ta, json!({"status": "slow burn"})).await;
    let sid = s["id"].as_str().unwrap().to_owned();
    let mut tokens = Vec::new();
    for name in ["bob", "carol", "dave", "erin"] {
        tokens.push(user(&app, name).await.1);
    }
    let hour = Duration::from_secs(3600);
    let fav = |t: &str| {
        let path = format!("/api/v1/statuses/{sid}/favourite");
        let app = &app;
        let t = t.to_owned();
        async move { ok_post(app, &path, &t).await }
    };
    fav(&tokens[0]).await; // hour 0
    clock.advance(hour * 11);
    fav(&tokens[1]).await; // hour 11: still the first group
    clock.advance(hour * 2);
    fav(&tokens[2]).await; // hour 13: 13 >= 0 + 12, a new group
    clock.advance(hour * 13);
    fav(&tokens[3]).await; // hour 26: 26 >= 13 + 12, a new group again
    let h0 = T0_MS / 1000 / 3600;
    let a = get(&app, "/api/v2/notifications", Some(&ta)).await;
    assert_eq!(
        group_keys(&a.body),
        vec![
            format!("favourite-{sid}-{}", h0 + 26),
            format!("favourite-{sid}-{}", h0 + 13),
            format!("favourite-{sid}-{h0}"),
        ]
    );
    let counts: Vec<u64> = groups(&a.body)
        .iter()
        .map(|g| g["notifications_count"].as_u64().unwrap())
        .collect();
    assert_eq!(counts, [1, 1, 2]);
}

#[tokio::test]
async fn pages_count_groups_and_link_both_ways() {
    let (app, clock) = clocked().await;
    let (alice, ta) = user(&app, "alice").await;
    let s = post(&app, &ta, json!({"status": "paged"})).await;
    let sid = s["id"].as_str().unwrap().to_owned();
    let (_, tb) = user(&app, "bob").await;
    let (_, tc) = user(&app, "carol").await;
    // fav(bob), mention, mention, fav(carol), mention: heads newest first are
    // fav(carol) [the favourite group], m3, m2, m1, fav(bob) [the group again].
    ok_post(&app, &format!("/api/v1/statuses/{sid}/favourite"), &tb).await;
    let mut mentions = Vec::new();
    for k in 0..3 {
        clock.advance(Duration::from_secs(10));
        mentions.push(post(&app, &tb, json!({"status": format!("@alice {k}")})).await);
        if k == 1 {
            clock.advance(Duration::from_secs(10));
            ok_post(&app, &format!("/api/v1/statuses/{sid}/favourite"), &tc).await;
        }
    }
    let v1 = get(&app, "/api/v1/notifications", Some(&ta)).await.body;
    let nid = |i: usize| v1[i]["id"].as_str().unwrap().to_owned();
    // v1, newest first: m3, fav(carol), m2, m1, fav(bob).
    assert_eq!(v1[1]["type"], "favourite");

    let p1 = get(&app, "/api/v2/notifications?limit=2", Some(&ta)).await;
    let bucket = T0_MS / 1000 / 3600;
    let fav_key = format!("favourite-{sid}-{bucket}");
    assert_eq!(
        group_keys(&p1.body),
        vec![format!("ungrouped-{}", nid(0)), fav_key.clone()]
    );
    let fav = &groups(&p1.body)[1];
    assert_eq!(fav["notifications_count"], 2);
    // Within this page, the group's oldest notification is its newest one.
    assert_eq!(fav["page_min_id"], nid(1).as_str());
    assert_eq!(fav["page_max_id"], nid(1).as_str());
    assert_eq!(link_id(&p1, "next", "max_id"), Some(nid(1)));
    assert_eq!(link_id(&p1, "prev", "min_id"), Some(nid(0)));
    assert!(p1.header("link").unwrap().contains("limit=2"));

    let p2 = get(
        &app,
        &format!("/api/v2/notifications?limit=2&max_id={}", nid(1)),
        Some(&ta),
    )
    .await;
    assert_eq!(
        group_keys(&p2.body),
        vec![
            format!("ungrouped-{}", nid(2)),
            format!("ungrouped-{}", nid(3))
        ]
    );
    let p3 = get(
        &app,
        &format!("/api/v2/notifications?limit=2&max_id={}", nid(3)),
        Some(&ta),
    )
    .await;
    // The group again, as far as this page reaches: bob's favourite alone.
    assert_eq!(group_keys(&p3.body), vec![fav_key.clone()]);
    let again = &groups(&p3.body)[0];
    assert_eq!(again["notifications_count"], 1);
    assert_eq!(again["most_recent_notification_id"], nid(4).as_str());
    assert_eq!(again["sample_account_ids"].as_array().unwrap().len(), 1);
    let p4 = get(
        &app,
        &format!("/api/v2/notifications?limit=2&max_id={}", nid(4)),
        Some(&ta),
    )
    .await;
    assert_eq!(p4.body["notification_groups"], json!([]));
    assert!(p4.header("link").is_none());

    // Paging up from the oldest: the groups just after min_id, newest first.
    let up = get(
        &app,
        &format!("/api/v2/notifications?limit=2&min_id={}", nid(4)),
        Some(&ta),
    )
    .await;
    assert_eq!(
        group_keys(&up.body),
        vec![
            format!("ungrouped-{}", nid(2)),
            format!("ungrouped-{}", nid(3))
        ]
    );
    assert_eq!(link_id(&up, "prev", "min_id"), Some(nid(2)));
    let since = get(
        &app,
        &format!("/api/v2/notifications?since_id={}", nid(2)),
        Some(&ta),
    )
    .await;
    assert_eq!(
        group_keys(&since.body),
        vec![format!("ungrouped-{}", nid(0)), fav_key.clone()]
    );
    // The last page reaches down to since_id: the group counts only what is above it.
    assert_eq!(groups(&since.body)[1]["notifications_count"], 2);
    assert_eq!(groups(&since.body)[1]["page_min_id"], nid(1).as_str());

    // account_id and exclude_types filter before grouping.
    let only = get(
        &app,
        &format!(
            "/api/v2/notifications?exclude_types[]=mention&account_id={}",
            alice.id
        ),
        Some(&ta),
    )
    .await;
    assert_eq!(only.body["notification_groups"], json!([]));
    let bad = get(&app, "/api/v2/notifications?max_id=soon", Some(&ta)).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn one_group_its_accounts_and_dismissing_it() {
    let (app, clock) = clocked().await;
    let (alice, ta) = user(&app, "alice").await;
    let (_, tz) = user(&app, "zoe").await;
    let mut followers = Vec::new();
    for name in ["bob", "carol", "dave"] {
        let (acc, t) = user(&app, name).await;
        clock.advance(Duration::from_secs(5));
        ok_post(&app, &format!("/api/v1/accounts/{}/follow", alice.id), &t).await;
        followers.push(acc);
    }
    let key = format!("follow-{}", T0_MS / 1000 / 3600);

    let one = get(&app, &format!("/api/v2/notifications/{key}"), Some(&ta)).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.text);
    let g = &groups(&one.body)[0];
    assert_eq!(
        keys_of(g),
        [
            "group_key",
            "most_recent_notification_id",
            "notifications_count",
            "sample_account_ids",
            "type"
        ]
    );
    assert_eq!(g["notifications_count"], 3);
    assert_eq!(one.body["accounts"].as_array().unwrap().len(), 3);
    assert_eq!(one.body["statuses"], json!([]));

    // Its accounts, newest first, paged.
    let acc = get(
        &app,
        &format!("/api/v2/notifications/{key}/accounts"),
        Some(&ta),
    )
    .await;
    let want: Vec<String> = followers.iter().rev().map(|a| a.id.to_string()).collect();
    assert_eq!(ids(&acc.body), want);
    assert_eq!(acc.body[0]["username"], "dave");
    let first = get(
        &app,
        &format!("/api/v2/notifications/{key}/accounts?limit=2"),
        Some(&ta),
    )
    .await;
    assert_eq!(ids(&first.body), want[..2].to_vec());
    let next = link_id(&first, "next", "max_id").unwrap();
    let rest = get(
        &app,
        &format!("/api/v2/notifications/{key}/accounts?limit=2&max_id={next}"),
        Some(&ta),
    )
    .await;
    assert_eq!(ids(&rest.body), want[2..].to_vec());

    // Someone else's group, and unknown ones.
    for path in [
        format!("/api/v2/notifications/{key}"),
        "/api/v2/notifications/ungrouped-12345".to_owned(),
        "/api/v2/notifications/favourite-1-1".to_owned(),
    ] {
        let a = get(&app, &path, Some(&tz)).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}");
        a.error();
    }
    let none = get(
        &app,
        &format!("/api/v2/notifications/{key}/accounts"),
        Some(&tz),
    )
    .await;
    assert_eq!(none.body, json!([]));

    // Scopes.
    let (_, ro) = user_with(&app, "reader", false, "read:statuses").await;
    assert_eq!(
        get(&app, "/api/v2/notifications", Some(&ro)).await.status,
        StatusCode::FORBIDDEN
    );
    let (_, rn) = user_with(&app, "peek", false, "read:notifications").await;
    assert_eq!(
        call(
            &app,
            Method::POST,
            &format!("/api/v2/notifications/{key}/dismiss"),
            Some(&rn)
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get(&app, &format!("/api/v2/notifications/{key}"), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );

    // Dismissing someone else's group changes nothing; dismissing one's own removes it all.
    let d = call(
        &app,
        Method::POST,
        &format!("/api/v2/notifications/{key}/dismiss"),
        Some(&tz),
    )
    .await;
    assert_eq!((d.status, d.body), (StatusCode::OK, json!({})));
    assert_eq!(
        get(&app, &format!("/api/v2/notifications/{key}"), Some(&ta))
            .await
            .status,
        StatusCode::OK
    );
    // Dismissing one notification (v1) takes it out of its group.
    let v1 = get(&app, "/api/v1/notifications", Some(&ta)).await.body;
    let newest = v1[0]["id"].as_str().unwrap();
    ok_post(
        &app,
        &format!("/api/v1/notifications/{newest}/dismiss"),
        &ta,
    )
    .await;
    let one = get(&app, &format!("/api/v2/notifications/{key}"), Some(&ta)).await;
    assert_eq!(groups(&one.body)[0]["notifications_count"], 2);
    assert_eq!(
        groups(&one.body)[0]["most_recent_notification_id"],
        v1[1]["id"]
    );
    let d = ok_post(&app, &format!("/api/v2/notifications/{key}/dismiss"), &ta).await;
    assert_eq!(d, json!({}));
    assert_eq!(
        get(&app, &format!("/api/v2/notifications/{key}"), Some(&ta))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&app, "/api/v1/notifications", Some(&ta)).await.body,
        json!([])
    );
    // An ungrouped one by its key.
    let (_, tb) = user(&app, "bea").await;
    post(&app, &tb, json!({"status": "@alice hi"})).await;
    let v1 = get(&app, "/api/v1/notifications", Some(&ta)).await.body;
    let ukey = v1[0]["group_key"].as_str().unwrap().to_owned();
    assert!(ukey.starts_with("ungrouped-"));
    let one = get(&app, &format!("/api/v2/notifications/{ukey}"), Some(&ta)).await;
    assert_eq!(groups(&one.body)[0]["type"], "mention");
    assert_eq!(one.body["statuses"].as_array().unwrap().len(), 1);
    ok_post(&app, &format!("/api/v2/notifications/{ukey}/dismiss"), &ta).await;
    assert_eq!(
        get(&app, "/api/v1/notifications", Some(&ta)).await.body,
        json!([])
    );
}

#[tokio::test]
async fn clearing_removes_groups_too() {
    let (app, _clock) = clocked().await;
    let (alice, ta) = user(&app, "alice").await;
    let (_, tb) = user(&app, "bob").await;
    ok_post(&app, &format!("/api/v1/accounts/{}/follow", alice.id), &tb).await;
    let key = get(&app, "/api/v1/notifications", Some(&ta)).await.body[0]["group_key"]
        .as_str()
        .unwrap()
        .to_owned();
    ok_post(&app, "/api/v1/notifications/clear", &ta).await;
    assert_eq!(
        get(&app, &format!("/api/v2/notifications/{key}"), Some(&ta))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&app, "/api/v2/notifications/unread_count", Some(&ta))
            .await
            .body,
        json!({"count": 0})
    );
}
