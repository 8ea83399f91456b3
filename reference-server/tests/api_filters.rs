//! Filters (v2) in process: Mastodon's JSON shapes, errors, and filters applied when
//! timelines, threads, account pages, notifications and streams are read (`filtered` with
//! `keyword_matches` / `status_matches`; `hide` leaves the status out), expiry by the clock.
//! v1 filters are in `api_filters_v1.rs`.
#![allow(clippy::unwrap_used)]

use crate::api_support as support;

use std::sync::Arc;
use std::time::Duration;

use fedi_storage::{ManualClock, Timestamp};
use http::{Method, StatusCode};
use http_body_util::BodyExt;
use reference_server::api::streaming::{self, Stream};
use reference_server::{App, Config};
use serde_json::{json, Value};
use support::*;

const START_MS: u64 = 1_893_456_000_000;

async fn clocked() -> (App, ManualClock) {
    let clock = ManualClock::new(Timestamp::from_unix_millis(START_MS));
    let config = Config {
        base_url: BASE.into(),
        ..Config::default()
    };
    let app = App::with_clock(
        config,
        Arc::new(fedi_storage::memory::MemoryStore::new()),
        Arc::new(activitypub_core::engine::transport::memory::MemoryNetwork::with_seed(7)),
        Some(Arc::new(clock.clone())),
    )
    .await
    .unwrap();
    (app, clock)
}

async fn create(app: &App, token: &str, body: Value) -> Value {
    let a = json(app, Method::POST, "/api/v2/filters", Some(token), body).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    a.body
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

async fn follow(app: &App, token: &str, target: u64) {
    let a = call(
        app,
        Method::POST,
        &format!("/api/v1/accounts/{target}/follow"),
        Some(token),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
}

/// The statuses of a timeline answer, by content.
fn contents(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let s = if s["reblog"].is_null() {
                s
            } else {
                &s["reblog"]
            };
            s["content"].as_str().unwrap().to_owned()
        })
        .collect()
}

fn find<'a>(list: &'a Value, status_id: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == status_id)
        .unwrap_or_else(|| panic!("{status_id} not in {list}"))
}

#[tokio::test]
async fn v2_filters_have_mastodons_shapes_and_crud() {
    let (app, clock) = clocked().await;
    let (_, ta) = user(&app, "alice").await;
    let (_, tb) = user(&app, "bob").await;
    let f = create(
        &app,
        &ta,
        json!({
            "title": "Drinks",
            "context": ["home", "public"],
            "filter_action": "hide",
            "expires_in": 3600,
            "keywords_attributes": [
                {"keyword": "coffee", "whole_word": false},
                {"keyword": "tea"}
            ]
        }),
    )
    .await;
    let fid = id(&f);
    let k = f["keywords"].as_array().unwrap();
    let (k0, k1) = (id(&k[0]), id(&k[1]));
    assert_eq!(
        f,
        json!({
            "id": fid,
            "title": "Drinks",
            "context": ["home", "public"],
            "expires_at": "2030-01-01T01:00:00Z",
            "filter_action": "hide",
            "keywords": [
                {"id": k0, "keyword": "coffee", "whole_word": false},
                {"id": k1, "keyword": "tea", "whole_word": true}
            ],
            "statuses": []
        })
    );
    // A form body, as Rails reads `keywords_attributes[][…]`.
    let a = form(
        &app,
        Method::POST,
        "/api/v2/filters",
        Some(&ta),
        &[
            ("title", "Spoilers"),
            ("context[]", "thread"),
            ("context[]", "notifications"),
            ("keywords_attributes[][keyword]", "finale"),
            ("keywords_attributes[][whole_word]", "false"),
            ("keywords_attributes[][keyword]", "season 2"),
        ],
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body["filter_action"], "warn");
    assert_eq!(a.body["expires_at"], Value::Null);
    assert_eq!(a.body["context"], json!(["thread", "notifications"]));
    let kws: Vec<(Value, Value)> = a.body["keywords"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["keyword"].clone(), k["whole_word"].clone()))
        .collect();
    assert_eq!(
        kws,
        [
            (json!("finale"), json!(false)),
            (json!("season 2"), json!(true))
        ]
    );
    let spoilers = id(&a.body);

    // Listed oldest first, shown, updated with nested keyword changes.
    let list = get(&app, "/api/v2/filters", Some(&ta)).await;
    assert_eq!(ids(&list.body), [fid.clone(), spoilers.clone()]);
    assert_eq!(
        get(&app, &format!("/api/v2/filters/{fid}"), Some(&ta))
            .await
            .body,
        f
    );
    let a = json(
        &app,
        Method::PUT,
        &format!("/api/v2/filters/{fid}"),
        Some(&ta),
        json!({
            "title": "Hot drinks",
            "filter_action": "blur",
            "expires_in": null,
            "keywords_attributes": [
                {"id": k0, "_destroy": true},
                {"id": k1, "whole_word": false, "keyword": "green tea"},
                {"keyword": "cocoa"}
            ]
        }),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let k2 = id(&a.body["keywords"][1]);
    assert_eq!(
        a.body,
        json!({
            "id": fid,
            "title": "Hot drinks",
            "context": ["home", "public"],
            "expires_at": null,
            "filter_action": "blur",
            "keywords": [
                {"id": k1, "keyword": "green tea", "whole_word": false},
                {"id": k2, "keyword": "cocoa", "whole_word": true}
            ],
            "statuses": []
        })
    );
    // The destroyed keyword is gone from its own endpoint too.
    let gone = get(&app, &format!("/api/v2/filter_keywords/{k0}"), Some(&ta)).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);

    // Keywords on their own.
    let a = json(
        &app,
        Method::POST,
        &format!("/api/v2/filters/{fid}/keywords"),
        Some(&ta),
        json!({"keyword": "chai", "whole_word": false}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let k3 = id(&a.body);
    assert_eq!(
        a.body,
        json!({"id": k3, "keyword": "chai", "whole_word": false})
    );
    let a = get(&app, &format!("/api/v2/filters/{fid}/keywords"), Some(&ta)).await;
    assert_eq!(ids(&a.body), [k1.clone(), k2.clone(), k3.clone()]);
    let a = json(
        &app,
        Method::PUT,
        &format!("/api/v2/filter_keywords/{k3}"),
        Some(&ta),
        json!({"keyword": "masala chai", "whole_word": true}),
    )
    .await;
    assert_eq!(
        a.body,
        json!({"id": k3, "keyword": "masala chai", "whole_word": true})
    );
    assert_eq!(
        get(&app, &format!("/api/v2/filter_keywords/{k3}"), Some(&ta))
            .await
            .body,
        a.body
    );
    // Mastodon's own path for one keyword answers the same.
    assert_eq!(
        get(&app, &format!("/api/v2/filters/keywords/{k3}"), Some(&ta))
            .await
            .body,
        a.body
    );
    let a = call(
        &app,
        Method::DELETE,
        &format!("/api/v2/filters/keywords/{k3}"),
        Some(&ta),
    )
    .await;
    assert_eq!((a.status, a.body.clone()), (StatusCode::OK, json!({})));

    // Statuses.
    let s = post(&app, &tb, json!({"status": "a post"})).await;
    let a = json(
        &app,
        Method::POST,
        &format!("/api/v2/filters/{fid}/statuses"),
        Some(&ta),
        json!({"status_id": s["id"]}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let fs = id(&a.body);
    assert_eq!(a.body, json!({"id": fs, "status_id": s["id"]}));
    let again = json(
        &app,
        Method::POST,
        &format!("/api/v2/filters/{fid}/statuses"),
        Some(&ta),
        json!({"status_id": s["id"]}),
    )
    .await;
    assert_eq!(
        (again.status, again.error()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "Validation failed: Status has already been taken"
        )
    );
    let a = get(&app, &format!("/api/v2/filters/{fid}/statuses"), Some(&ta)).await;
    assert_eq!(a.body, json!([{"id": fs, "status_id": s["id"]}]));
    assert_eq!(
        get(&app, &format!("/api/v2/filter_statuses/{fs}"), Some(&ta))
            .await
            .body,
        json!({"id": fs, "status_id": s["id"]})
    );
    assert_eq!(
        get(&app, &format!("/api/v2/filters/statuses/{fs}"), Some(&ta))
            .await
            .body,
        json!({"id": fs, "status_id": s["id"]})
    );
    let unknown = json(
        &app,
        Method::POST,
        &format!("/api/v2/filters/{fid}/statuses"),
        Some(&ta),
        json!({"status_id": "999"}),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    // Someone else's filter, keyword and status are not found, read or written.
    for path in [
        format!("/api/v2/filters/{fid}"),
        format!("/api/v2/filters/{fid}/keywords"),
        format!("/api/v2/filters/{fid}/statuses"),
        format!("/api/v2/filter_keywords/{k1}"),
        format!("/api/v2/filter_statuses/{fs}"),
        format!("/api/v1/filters/{k1}"),
    ] {
        let a = get(&app, &path, Some(&tb)).await;
        assert_eq!(
            (a.status, a.error()),
            (StatusCode::NOT_FOUND, "Record not found"),
            "{path}"
        );
        let a = call(&app, Method::DELETE, &path, Some(&tb)).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}");
    }
    let a = json(
        &app,
        Method::PUT,
        &format!("/api/v2/filters/{fid}"),
        Some(&tb),
        json!({"title": "mine now"}),
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(get(&app, "/api/v2/filters", Some(&tb))
        .await
        .body
        .as_array()
        .unwrap()
        .is_empty());
    // Unknown and malformed ids.
    for path in [
        "/api/v2/filters/12345",
        "/api/v2/filters/nope",
        "/api/v2/filter_keywords/1",
    ] {
        assert_eq!(
            get(&app, path, Some(&ta)).await.status,
            StatusCode::NOT_FOUND
        );
    }

    // Validation, as Mastodon words it.
    for (body, message) in [
        (
            json!({"title": "", "context": ["home"]}),
            "Validation failed: Title can't be blank",
        ),
        (
            json!({"title": "x"}),
            "Validation failed: Context can't be blank, Context None or invalid context supplied",
        ),
        (
            json!({"title": "x", "context": ["home", "elsewhere"]}),
            "Validation failed: Context None or invalid context supplied",
        ),
        (
            json!({"title": "x", "context": ["home"], "filter_action": "explode"}),
            "Validation failed: Action is not included in the list",
        ),
        (
            json!({"title": "x", "context": ["home"], "keywords_attributes": [{"keyword": " "}]}),
            "Validation failed: Keywords keyword can't be blank",
        ),
    ] {
        let a = json(
            &app,
            Method::POST,
            "/api/v2/filters",
            Some(&ta),
            body.clone(),
        )
        .await;
        assert_eq!(
            (a.status, a.error()),
            (StatusCode::UNPROCESSABLE_ENTITY, message),
            "{body}"
        );
    }
    let a = json(
        &app,
        Method::POST,
        &format!("/api/v2/filters/{fid}/keywords"),
        Some(&ta),
        json!({"keyword": ""}),
    )
    .await;
    assert_eq!(a.error(), "Validation failed: Keyword can't be blank");
    // Nothing was written by the refused requests.
    assert_eq!(
        get(&app, "/api/v2/filters", Some(&ta))
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Scopes: reading needs read:filters, writing write:filters; no token is 401.
    let (_, read_only) = user_with(&app, "carol", false, "read").await;
    let a = json(
        &app,
        Method::POST,
        "/api/v2/filters",
        Some(&read_only),
        json!({"title": "x", "context": ["home"]}),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text);
    assert_eq!(
        get(&app, "/api/v2/filters", Some(&read_only)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        get(&app, "/api/v2/filters", None).await.status,
        StatusCode::UNAUTHORIZED
    );

    // An expired filter is still listed, with its expiry.
    let a = create(
        &app,
        &ta,
        json!({"title": "brief", "context": ["home"], "expires_in": 60}),
    )
    .await;
    clock.advance(Duration::from_secs(120));
    let listed = get(&app, &format!("/api/v2/filters/{}", id(&a)), Some(&ta)).await;
    assert_eq!(listed.body["expires_at"], "2030-01-01T00:01:00Z");

    // Deleting answers `{}` and takes keywords and statuses with it.
    let a = call(
        &app,
        Method::DELETE,
        &format!("/api/v2/filters/{fid}"),
        Some(&ta),
    )
    .await;
    assert_eq!((a.status, a.body.clone()), (StatusCode::OK, json!({})));
    for path in [
        format!("/api/v2/filters/{fid}"),
        format!("/api/v2/filter_keywords/{k1}"),
        format!("/api/v2/filter_statuses/{fs}"),
    ] {
        assert_eq!(
            get(&app, &path, Some(&ta)).await.status,
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn keyword_and_status_filters_warn_and_hide_where_timelines_are_read() {
    let (app, clock) = clocked().await;
    let (alice, ta) = user(&app, "alice").await;
    let (bob, tb) = user(&app, "bob").await;
    follow(&app, &ta, bob.id).await;
    let warn = create(
        &app,
        &ta,
        json!({
            "title": "Caffeine",
            "context": ["home", "public", "notifications", "account", "thread"],
            "filter_action": "warn",
            "keywords_attributes": [{"keyword": "COFFEE", "whole_word": true}]
        }),
    )
    .await;
    let hide = create(
        &app,
        &ta,
        json!({
            "title": "No tea",
            "context": ["home", "public", "notifications"],
            "filter_action": "hide",
            "keywords_attributes": [{"keyword": "tea", "whole_word": true}]
        }),
    )
    .await;
    let coffee = post(&app, &tb, json!({"status": "Fresh coffee!"})).await;
    let tea = post(&app, &tb, json!({"status": "green tea time"})).await;
    let steam = post(&app, &tb, json!({"status": "full steam ahead"})).await;
    let cw = post(
        &app,
        &tb,
        json!({"status": "nothing here", "spoiler_text": "about tea"}),
    )
    .await;
    let poll = post(
        &app,
        &tb,
        json!({"status": "vote", "poll": {"options": ["coffee", "water"], "expires_in": 3600}}),
    )
    .await;
    // Alice's own posts are never filtered.
    let own = post(&app, &ta, json!({"status": "my tea and coffee"})).await;

    let expected_warn = json!([{
        "filter": {
            "id": warn["id"],
            "title": "Caffeine",
            "context": ["home", "public", "notifications", "account", "thread"],
            "expires_at": null,
            "filter_action": "warn"
        },
        "keyword_matches": ["COFFEE"],
        "status_matches": null
    }]);
    for path in [
        "/api/v1/timelines/home".to_owned(),
        "/api/v1/timelines/public".to_owned(),
        format!("/api/v1/accounts/{}/statuses", bob.id),
    ] {
        let a = get(&app, &path, Some(&ta)).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        let shown = ids(&a.body);
        // `hide` leaves statuses out (not on account pages, where that filter does not apply).
        let hidden = !path.contains("/accounts/");
        assert_eq!(shown.contains(&id(&tea)), !hidden, "{path}");
        assert_eq!(shown.contains(&id(&cw)), !hidden, "{path}");
        assert!(shown.contains(&id(&steam)), "{path}: whole words only");
        assert_eq!(
            find(&a.body, &id(&coffee))["filtered"],
            expected_warn,
            "{path}"
        );
        assert_eq!(
            find(&a.body, &id(&poll))["filtered"],
            expected_warn,
            "{path}"
        );
        assert_eq!(find(&a.body, &id(&steam))["filtered"], json!([]), "{path}");
        if !path.contains("/accounts/") {
            assert_eq!(find(&a.body, &id(&own))["filtered"], json!([]), "{path}");
        }
    }
    // Without a viewer nothing is filtered.
    let anon = get(&app, "/api/v1/timelines/public", None).await;
    assert_eq!(ids(&anon.body).len(), 6);
    assert!(contents(&anon.body).iter().any(|c| c.contains("green tea")));

    // A status on its own reports every matching filter and hides nothing.
    let a = get(&app, &format!("/api/v1/statuses/{}", id(&tea)), Some(&ta)).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["filtered"][0]["filter"]["filter_action"], "hide");
    assert_eq!(a.body["filtered"][0]["keyword_matches"], json!(["tea"]));

    // A status filter, matching the status and the boosts of it.
    let fs = json(
        &app,
        Method::POST,
        &format!("/api/v2/filters/{}/statuses", id(&warn)),
        Some(&ta),
        json!({"status_id": steam["id"]}),
    )
    .await;
    assert_eq!(fs.status, StatusCode::OK, "{}", fs.text);
    let (carol, tc) = user(&app, "carol").await;
    follow(&app, &ta, carol.id).await;
    let boost = call(
        &app,
        Method::POST,
        &format!("/api/v1/statuses/{}/reblog", id(&steam)),
        Some(&tc),
    )
    .await;
    assert_eq!(boost.status, StatusCode::OK, "{}", boost.text);
    let home = get(&app, "/api/v1/timelines/home", Some(&ta)).await;
    let expected_status = json!([{
        "filter": expected_warn[0]["filter"],
        "keyword_matches": null,
        "status_matches": [steam["id"]]
    }]);
    assert_eq!(find(&home.body, &id(&steam))["filtered"], expected_status);
    let b = find(&home.body, &id(&boost.body));
    assert_eq!(b["filtered"], expected_status);
    assert_eq!(b["reblog"]["filtered"], expected_status);

    // Threads: the hide filter is not in the `thread` context, the warn filter is.
    let reply = post(
        &app,
        &tb,
        json!({"status": "more tea and coffee", "in_reply_to_id": coffee["id"]}),
    )
    .await;
    let a = get(
        &app,
        &format!("/api/v1/statuses/{}/context", id(&coffee)),
        Some(&ta),
    )
    .await;
    assert_eq!(ids(&a.body["descendants"]), [id(&reply)]);
    assert_eq!(
        a.body["descendants"][0]["filtered"][0]["keyword_matches"],
        json!(["COFFEE"])
    );
    let home = get(&app, "/api/v1/timelines/home", Some(&ta)).await;
    assert!(!ids(&home.body).contains(&id(&reply)), "hidden at home");

    // Notifications: a mention hidden by a filter is left out, a warned one carries it.
    post(&app, &tb, json!({"status": "@alice tea?"})).await;
    let m = post(&app, &tb, json!({"status": "@alice coffee?"})).await;
    let n = get(&app, "/api/v1/notifications", Some(&ta)).await;
    let statuses: Vec<&Value> = n
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["type"] == "mention")
        .map(|n| &n["status"])
        .collect();
    assert_eq!(statuses.len(), 1, "{}", n.text);
    assert_eq!(statuses[0]["id"], m["id"]);
    assert_eq!(statuses[0]["filtered"], expected_warn);

    // Once expired, a filter stops applying.
    let a = json(
        &app,
        Method::PUT,
        &format!("/api/v2/filters/{}", id(&hide)),
        Some(&ta),
        json!({"expires_in": 60}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert!(!ids(&get(&app, "/api/v1/timelines/home", Some(&ta)).await.body).contains(&id(&tea)));
    clock.advance(Duration::from_secs(61));
    let home = get(&app, "/api/v1/timelines/home", Some(&ta)).await;
    assert_eq!(find(&home.body, &id(&tea))["filtered"], json!([]));
    let _ = alice;
}

/// Reads the next SSE event within two seconds.
async fn next_event(body: &mut reference_server::http::Body) -> (String, Value) {
    let mut buf = String::new();
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(2), body.frame())
            .await
            .expect("an event within 2 s")
            .expect("the stream is open")
            .unwrap();
        if let Ok(data) = frame.into_data() {
            buf.push_str(std::str::from_utf8(&data).unwrap());
        }
        while let Some(end) = buf.find("\n\n") {
            let chunk: String = buf.drain(..end + 2).collect();
            let lines: Vec<&str> = chunk.lines().filter(|l| !l.starts_with(':')).collect();
            if let [event, data, ..] = lines.as_slice() {
                let event = event.strip_prefix("event: ").unwrap().to_owned();
                let data = data.strip_prefix("data: ").unwrap();
                return (event, serde_json::from_str(data).unwrap());
            }
        }
    }
}

#[tokio::test]
async fn streams_leave_out_hidden_statuses_and_carry_warnings() {
    let app = instance().await;
    let (alice, ta) = user(&app, "alice").await;
    let (bob, tb) = user(&app, "bob").await;
    follow(&app, &ta, bob.id).await;
    create(
        &app,
        &ta,
        json!({"title": "w", "context": ["home", "public", "notifications"],
               "keywords_attributes": [{"keyword": "coffee"}]}),
    )
    .await;
    create(
        &app,
        &ta,
        json!({"title": "h", "context": ["home", "public", "notifications"], "filter_action": "hide",
               "keywords_attributes": [{"keyword": "tea"}]}),
    )
    .await;
    let mut home = streaming::sse_response(
        app.clone(),
        Some(alice.id),
        vec![Stream::parse("user", None).unwrap()],
    )
    .into_body();
    let mut public = streaming::sse_response(
        app.clone(),
        Some(alice.id),
        vec![Stream::parse("public", None).unwrap()],
    )
    .into_body();
    post(&app, &tb, json!({"status": "@alice tea"})).await;
    let coffee = post(&app, &tb, json!({"status": "@alice coffee"})).await;
    // The tea post and its notification never reach alice's streams.
    let (event, payload) = next_event(&mut home).await;
    assert_eq!(event, "update");
    assert_eq!(payload["id"], coffee["id"]);
    assert_eq!(payload["filtered"][0]["filter"]["title"], "w");
    assert_eq!(payload["filtered"][0]["keyword_matches"], json!(["coffee"]));
    let (event, payload) = next_event(&mut home).await;
    assert_eq!(event, "notification");
    assert_eq!(payload["status"]["id"], coffee["id"]);
    assert_eq!(payload["status"]["filtered"][0]["filter"]["title"], "w");
    let (event, payload) = next_event(&mut public).await;
    assert_eq!(event, "update");
    assert_eq!(payload["id"], coffee["id"]);
    assert_eq!(payload["filtered"][0]["filter"]["filter_action"], "warn");
}
