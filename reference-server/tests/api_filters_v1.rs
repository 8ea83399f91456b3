//! v1 filters (`/api/v1/filters`) for older apps, in process: each is a keyword of a v2
//! filter, as Mastodon maps them (`V1::FilterSerializer`), with Mastodon's JSON and errors.
#![allow(clippy::unwrap_used)]

use crate::api_support as support;

use http::{Method, StatusCode};
use serde_json::{json, Value};
use support::*;

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn v1_filters_map_onto_v2_filters() {
    let app = instance().await;
    let (_, ta) = user(&app, "alice").await;
    let (_, tb) = user(&app, "bob").await;
    let a = form(
        &app,
        Method::POST,
        "/api/v1/filters",
        Some(&ta),
        &[
            ("phrase", "politics"),
            ("context[]", "home"),
            ("context[]", "public"),
            ("irreversible", "true"),
            ("whole_word", "false"),
        ],
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let kid = id(&a.body);
    assert_eq!(
        a.body,
        json!({
            "id": kid,
            "phrase": "politics",
            "context": ["home", "public"],
            "whole_word": false,
            "expires_at": null,
            "irreversible": true
        })
    );
    // It is a v2 filter titled by its phrase, with that keyword.
    let v2 = get(&app, "/api/v2/filters", Some(&ta)).await;
    assert_eq!(v2.body[0]["title"], "politics");
    assert_eq!(v2.body[0]["filter_action"], "hide");
    assert_eq!(v2.body[0]["keywords"][0]["id"], kid.as_str());
    let fid = id(&v2.body[0]);
    // And it hides.
    let s = post(&app, &tb, json!({"status": "Politics today"})).await;
    let public = get(&app, "/api/v1/timelines/public", Some(&ta)).await;
    assert!(!ids(&public.body).contains(&id(&s)));

    let a = json(
        &app,
        Method::PUT,
        &format!("/api/v1/filters/{kid}"),
        Some(&ta),
        json!({"phrase": "elections", "context": ["notifications"], "irreversible": false}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body["phrase"], "elections");
    assert_eq!(a.body["context"], json!(["notifications"]));
    assert_eq!(a.body["irreversible"], false);
    assert_eq!(
        get(&app, &format!("/api/v1/filters/{kid}"), Some(&ta))
            .await
            .body,
        a.body
    );
    // With a second keyword (added through v2), the filter's settings are v2's to change.
    let a = json(
        &app,
        Method::POST,
        &format!("/api/v2/filters/{fid}/keywords"),
        Some(&ta),
        json!({"keyword": "votes"}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    let listed = get(&app, "/api/v1/filters", Some(&ta)).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 2);
    let a = json(
        &app,
        Method::PUT,
        &format!("/api/v1/filters/{kid}"),
        Some(&ta),
        json!({"irreversible": true}),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    let a = json(
        &app,
        Method::PUT,
        &format!("/api/v1/filters/{kid}"),
        Some(&ta),
        json!({"phrase": "ballots"}),
    )
    .await;
    assert_eq!(
        (a.status, &a.body["phrase"]),
        (StatusCode::OK, &json!("ballots"))
    );
    // Bad input and someone else's.
    let a = form(
        &app,
        Method::POST,
        "/api/v1/filters",
        Some(&ta),
        &[("phrase", "x")],
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        call(
            &app,
            Method::DELETE,
            &format!("/api/v1/filters/{kid}"),
            Some(&tb)
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    // Deleting removes the keyword; the last one takes its filter along.
    let a = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/filters/{kid}"),
        Some(&ta),
    )
    .await;
    assert_eq!((a.status, a.body.clone()), (StatusCode::OK, json!({})));
    assert_eq!(
        get(&app, "/api/v1/filters", Some(&ta))
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let last = id(&get(&app, "/api/v1/filters", Some(&ta)).await.body[0]);
    call(
        &app,
        Method::DELETE,
        &format!("/api/v1/filters/{last}"),
        Some(&ta),
    )
    .await;
    assert_eq!(
        get(&app, "/api/v2/filters", Some(&ta)).await.body,
        json!([])
    );
}
