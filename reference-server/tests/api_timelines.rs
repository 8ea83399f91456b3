//! Timelines, paging, notifications, the instance, search (with remote resolution over a
//! memory network) and the endpoints Woolly answers as an empty account would.
#![allow(clippy::unwrap_used)]

use crate::api_support as support;

use bytes::Bytes;
use http::{Method, StatusCode};
use serde_json::json;
use support::*;

fn link_param(link: &str, rel: &str, key: &str) -> String {
    let part = link
        .split(", ")
        .find(|p| p.ends_with(&format!("rel=\"{rel}\"")))
        .unwrap_or_else(|| panic!("no {rel} in {link}"));
    let url = &part[1..part.find('>').unwrap()];
    let u = url::Url::parse(url).unwrap();
    u.query_pairs()
        .find(|(k, _)| k == key)
        .unwrap()
        .1
        .into_owned()
}

#[tokio::test]
async fn home_public_tag_timelines_and_paging() {
    let app = instance().await;
    let (alice, ta) = user(&app, "alice").await;
    let (_, tb) = user(&app, "bob").await;
    call(
        &app,
        Method::POST,
        &format!("/api/v1/accounts/{}/follow", alice.id),
        Some(&tb),
    )
    .await;
    let s1 = post(&app, &ta, json!({"status": "one #Woolly"})).await;
    let s2 = post(
        &app,
        &ta,
        json!({"status": "two", "visibility": "unlisted"}),
    )
    .await;
    let s3 = post(&app, &ta, json!({"status": "three #woolly"})).await;
    let id = |s: &serde_json::Value| s["id"].as_str().unwrap().to_owned();

    let home = get(&app, "/api/v1/timelines/home", Some(&tb)).await;
    assert_eq!(ids(&home.body), vec![id(&s3), id(&s2), id(&s1)]);
    let public = get(&app, "/api/v1/timelines/public", None).await;
    assert_eq!(ids(&public.body), vec![id(&s3), id(&s1)]);
    let local = get(&app, "/api/v1/timelines/public?local=true", None).await;
    assert_eq!(ids(&local.body), vec![id(&s3), id(&s1)]);
    let remote = get(&app, "/api/v1/timelines/public?remote=true", None).await;
    assert_eq!(remote.body, json!([]));
    let tag = get(&app, "/api/v1/timelines/tag/WOOLLY", None).await;
    assert_eq!(ids(&tag.body), vec![id(&s3), id(&s1)]);
    let tag_remote = get(&app, "/api/v1/timelines/tag/woolly?remote=true", None).await;
    assert_eq!(tag_remote.body, json!([]));
    let media = get(&app, "/api/v1/timelines/public?only_media=true", None).await;
    assert_eq!(media.body, json!([]));

    // Paging with Link headers, keeping the other parameters.
    let p1 = get(&app, "/api/v1/timelines/home?limit=2", Some(&tb)).await;
    assert_eq!(ids(&p1.body), vec![id(&s3), id(&s2)]);
    let link = p1.header("link").unwrap().to_owned();
    assert!(
        link.starts_with("<https://wool.test/api/v1/timelines/home?limit=2&max_id="),
        "{link}"
    );
    assert_eq!(link_param(&link, "next", "max_id"), id(&s2));
    assert_eq!(link_param(&link, "prev", "min_id"), id(&s3));
    let p2 = get(
        &app,
        &format!("/api/v1/timelines/home?limit=2&max_id={}", id(&s2)),
        Some(&tb),
    )
    .await;
    assert_eq!(ids(&p2.body), vec![id(&s1)]);
    let newer = get(
        &app,
        &format!("/api/v1/timelines/home?min_id={}", id(&s1)),
        Some(&tb),
    )
    .await;
    assert_eq!(ids(&newer.body), vec![id(&s3), id(&s2)]);
    let since = get(
        &app,
        &format!("/api/v1/timelines/home?since_id={}&limit=1", id(&s1)),
        Some(&tb),
    )
    .await;
    assert_eq!(ids(&since.body), vec![id(&s3)]);
    let empty = get(
        &app,
        &format!("/api/v1/timelines/home?max_id={}", id(&s1)),
        Some(&tb),
    )
    .await;
    assert_eq!(empty.body, json!([]));
    assert!(empty.header("link").is_none());
    let bad = get(&app, "/api/v1/timelines/home?max_id=latest", Some(&tb)).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    bad.error();
    assert_eq!(
        get(&app, "/api/v1/timelines/home", None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn notifications_filter_dismiss_and_clear() {
    let app = instance().await;
    let (alice, ta) = user(&app, "alice").await;
    let (bob, tb) = user(&app, "bob").await;
    let s = post(&app, &ta, json!({"status": "hello"})).await;
    let sid = s["id"].as_str().unwrap();
    call(
        &app,
        Method::POST,
        &format!("/api/v1/accounts/{}/follow", alice.id),
        Some(&tb),
    )
    .await;
    call(
        &app,
        Method::POST,
        &format!("/api/v1/statuses/{sid}/favourite"),
        Some(&tb),
    )
    .await;
    post(&app, &tb, json!({"status": "hey @alice"})).await;

    let all = get(&app, "/api/v1/notifications", Some(&ta)).await;
    assert_eq!(all.status, StatusCode::OK);
    let kinds: Vec<&str> = all
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["mention", "favourite", "follow"]);
    let fav = &all.body[1];
    assert_eq!(fav["account"]["id"], bob.id.to_string());
    assert_eq!(fav["status"]["id"], sid);
    assert!(fav["created_at"].as_str().unwrap().ends_with('Z'));
    assert!(all.body[2].get("status").is_none());
    let only = get(
        &app,
        "/api/v1/notifications?types[]=follow&types[]=favourite",
        Some(&ta),
    )
    .await;
    let kinds: Vec<&str> = only
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["favourite", "follow"]);
    let excl = get(
        &app,
        "/api/v1/notifications?exclude_types[]=mention&exclude_types[]=follow",
        Some(&ta),
    )
    .await;
    assert_eq!(excl.body.as_array().unwrap().len(), 1);
    assert_eq!(
        get(&app, "/api/v1/notifications/unread_count", Some(&ta))
            .await
            .body,
        json!({"count": 3})
    );

    let nid = all.body[0]["id"].as_str().unwrap();
    let one = get(&app, &format!("/api/v1/notifications/{nid}"), Some(&ta)).await;
    assert_eq!(one.body["type"], "mention");
    assert_eq!(
        get(&app, &format!("/api/v1/notifications/{nid}"), Some(&tb))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let d = call(
        &app,
        Method::POST,
        &format!("/api/v1/notifications/{nid}/dismiss"),
        Some(&ta),
    )
    .await;
    assert_eq!((d.status, d.body.clone()), (StatusCode::OK, json!({})));
    assert_eq!(
        get(&app, &format!("/api/v1/notifications/{nid}"), Some(&ta))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let c = call(&app, Method::POST, "/api/v1/notifications/clear", Some(&ta)).await;
    assert_eq!(c.status, StatusCode::OK);
    assert_eq!(
        get(&app, "/api/v1/notifications", Some(&ta)).await.body,
        json!([])
    );
    let (_, ro) = user_with(&app, "reader", false, "read:statuses").await;
    assert_eq!(
        get(&app, "/api/v1/notifications", Some(&ro)).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn instance_preferences_and_empty_endpoints() {
    let (app, _) = instance_with(|c| {
        c.max_characters = 1234;
        c.title = "Wool Test".into();
        c.contact_email = "admin@wool.test".into();
    })
    .await;
    let v1 = get(&app, "/api/v1/instance", None).await;
    assert_eq!(v1.status, StatusCode::OK);
    assert_eq!(v1.body["uri"], "wool.test");
    assert_eq!(v1.body["title"], "Wool Test");
    assert_eq!(v1.body["email"], "admin@wool.test");
    let version = v1.body["version"].as_str().unwrap();
    assert!(
        version.starts_with("4.3.0 (compatible; Woolly "),
        "{version}"
    );
    assert_eq!(v1.body["urls"]["streaming_api"], "wss://wool.test");
    assert_eq!(v1.body["configuration"]["statuses"]["max_characters"], 1234);
    assert!(v1.body["contact_account"].is_null());
    let (alice, t) = user(&app, "alice").await;
    let v2 = get(&app, "/api/v2/instance", None).await;
    assert_eq!(v2.body["domain"], "wool.test");
    assert_eq!(v2.body["version"], version);
    assert_eq!(v2.body["api_versions"], json!({"mastodon": 2}));
    assert_eq!(
        v2.body["configuration"]["urls"]["streaming"],
        "wss://wool.test"
    );
    assert_eq!(v2.body["configuration"]["statuses"]["max_characters"], 1234);
    assert_eq!(v2.body["contact"]["email"], "admin@wool.test");
    assert_eq!(v2.body["contact"]["account"]["id"], alice.id.to_string());
    assert_eq!(v2.body["usage"]["users"]["active_month"], 1);
    assert!(
        v2.body["configuration"]["vapid"]["public_key"]
            .as_str()
            .unwrap()
            .len()
            > 80
    );
    assert_eq!(v2.body["registrations"]["enabled"], false);
    assert_eq!(
        get(&app, "/api/v1/custom_emojis", None).await.body,
        json!([])
    );
    let prefs = get(&app, "/api/v1/preferences", Some(&t)).await;
    assert_eq!(prefs.body["posting:default:visibility"], "public");
    assert_eq!(
        get(&app, "/api/v1/preferences", None).await.status,
        StatusCode::UNAUTHORIZED
    );

    for path in [
        "/api/v1/lists",
        "/api/v1/filters",
        "/api/v2/filters",
        "/api/v1/bookmarks",
        "/api/v1/announcements",
        "/api/v1/conversations",
        "/api/v1/followed_tags",
        "/api/v1/trends",
        "/api/v1/trends/tags",
        "/api/v1/scheduled_statuses",
        "/api/v1/domain_blocks",
    ] {
        let a = get(&app, path, Some(&t)).await;
        assert_eq!(
            (a.status, a.body.clone()),
            (StatusCode::OK, json!([])),
            "{path}"
        );
        assert!(a
            .header("content-type")
            .unwrap()
            .starts_with("application/json"));
    }
    assert_eq!(
        get(&app, "/api/v1/markers?timeline[]=home", Some(&t))
            .await
            .body,
        json!({})
    );
    let media = send(&app, http::Request::post("/api/v2/media")
        .header("authorization", format!("Bearer {t}"))
        .header("content-type", "multipart/form-data; boundary=b")
        .body(Bytes::from_static(b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\nPNG\r\n--b--\r\n"))
        .unwrap()).await;
    // Not an image (three bytes that say "PNG"): refused from its bytes.
    assert_eq!(media.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        media.error().contains("not a supported image"),
        "{}",
        media.text
    );
    let nowhere = get(&app, "/api/v1/no/such/thing", Some(&t)).await;
    assert_eq!(nowhere.status, StatusCode::NOT_FOUND);
    nowhere.error();
    assert!(reference_server::api::handle(
        &app,
        &http::Request::get("/users/alice")
            .body(Bytes::new())
            .unwrap()
    )
    .await
    .is_none());
}

const REMOTE_ACTOR: &str = r#"{
  "@context": ["https://www.w3.org/ns/activitystreams"],
  "id": "https://remote.test/users/bob",
  "type": "Person",
  "preferredUsername": "bob",
  "name": "Bob Remote",
  "summary": "<p>remote bio</p>",
  "inbox": "https://remote.test/users/bob/inbox",
  "outbox": "https://remote.test/users/bob/outbox",
  "followers": "https://remote.test/users/bob/followers",
  "url": "https://remote.test/@bob",
  "endpoints": {"sharedInbox": "https://remote.test/inbox"}
}"#;

const REMOTE_NOTE: &str = r##"{
  "@context": ["https://www.w3.org/ns/activitystreams"],
  "id": "https://remote.test/users/bob/statuses/1",
  "type": "Note",
  "attributedTo": "https://remote.test/users/bob",
  "content": "<p>from afar #woolly</p>",
  "published": "2026-01-02T03:04:05Z",
  "url": "https://remote.test/@bob/1",
  "to": ["https://www.w3.org/ns/activitystreams#Public"],
  "cc": ["https://remote.test/users/bob/followers"],
  "tag": [{"type": "Hashtag", "name": "#woolly", "href": "https://remote.test/tags/woolly"}]
}"##;

#[tokio::test]
async fn search_resolves_handles_and_urls() {
    let (app, net) = instance_with(|_| {}).await;
    net.serve("remote.test", |req: http::Request<Bytes>| async move {
        let path = req.uri().path().to_owned();
        let query = req.uri().query().unwrap_or("").to_owned();
        let (ct, body) = match path.as_str() {
            "/.well-known/webfinger" if query.contains("bob%40remote.test") || query.contains("bob@remote.test") => (
                "application/jrd+json",
                r#"{"subject":"acct:bob@remote.test","links":[{"rel":"self","type":"application/activity+json","href":"https://remote.test/users/bob"}]}"#.to_owned(),
            ),
            "/users/bob" => ("application/activity+json", REMOTE_ACTOR.to_owned()),
            "/users/bob/statuses/1" => ("application/activity+json", REMOTE_NOTE.to_owned()),
            _ => {
                let mut r = http::Response::new(Bytes::from_static(b"{}"));
                *r.status_mut() = StatusCode::NOT_FOUND;
                return r;
            }
        };
        http::Response::builder().header("content-type", ct).body(Bytes::from(body)).unwrap()
    });
    let (alice, t) = user(&app, "alice").await;
    let s = post(&app, &t, json!({"status": "local post"})).await;

    // Without resolve, an unknown remote handle finds nothing.
    let none = get(&app, "/api/v2/search?q=bob@remote.test", Some(&t)).await;
    assert_eq!(none.body["accounts"], json!([]));
    // Anonymous searches may not resolve: 401, as on Mastodon, and nothing was fetched.
    let anon = get(&app, "/api/v2/search?q=bob@remote.test&resolve=true", None).await;
    assert_eq!(anon.status, StatusCode::UNAUTHORIZED, "{}", anon.text);
    assert_eq!(
        anon.error(),
        "Search queries that resolve remote resources are not supported without authentication"
    );
    let none = get(&app, "/api/v2/search?q=bob@remote.test", Some(&t)).await;
    assert_eq!(none.body["accounts"], json!([]));
    let r = get(
        &app,
        "/api/v2/search?q=@bob@remote.test&resolve=true",
        Some(&t),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["accounts"][0]["acct"], "bob@remote.test");
    assert_eq!(r.body["accounts"][0]["display_name"], "Bob Remote");
    assert_eq!(r.body["accounts"][0]["url"], "https://remote.test/@bob");
    let bob_id = r.body["accounts"][0]["id"].as_str().unwrap().to_owned();
    // Now known: lookup and follow work.
    let look = get(&app, "/api/v1/accounts/lookup?acct=bob@remote.test", None).await;
    assert_eq!(look.body["id"], bob_id);

    // A status URL, fetched.
    let st = get(&app, "/api/v2/search?q=https%3A%2F%2Fremote.test%2Fusers%2Fbob%2Fstatuses%2F1&resolve=true&type=statuses", Some(&t)).await;
    assert_eq!(st.status, StatusCode::OK, "{}", st.text);
    assert_eq!(
        st.body["statuses"][0]["uri"],
        "https://remote.test/users/bob/statuses/1"
    );
    assert_eq!(st.body["statuses"][0]["account"]["id"], bob_id);
    assert_eq!(st.body["accounts"], json!([]));
    // An actor URL.
    let ac = get(
        &app,
        "/api/v2/search?q=https://remote.test/users/bob&resolve=true",
        Some(&t),
    )
    .await;
    assert_eq!(ac.body["accounts"][0]["id"], bob_id);
    // Our own URLs resolve without fetching.
    let own = get(
        &app,
        &format!(
            "/api/v2/search?q=https://wool.test/@alice/{}",
            s["id"].as_str().unwrap()
        ),
        Some(&t),
    )
    .await;
    assert_eq!(own.body["statuses"][0]["id"], s["id"]);
    let me = get(
        &app,
        "/api/v2/search?q=https://wool.test/@alice&type=accounts",
        Some(&t),
    )
    .await;
    assert_eq!(me.body["accounts"][0]["id"], alice.id.to_string());
    // An unreachable URL finds nothing (not an error).
    let gone = get(
        &app,
        "/api/v2/search?q=https://nowhere.test/x&resolve=true",
        Some(&t),
    )
    .await;
    assert_eq!(
        (gone.status, gone.body["statuses"].clone()),
        (StatusCode::OK, json!([]))
    );
    // Hashtags and local accounts by name.
    let tags = get(&app, "/api/v2/search?q=%23Woolly", Some(&t)).await;
    assert_eq!(tags.body["hashtags"][0]["name"], "woolly");
    assert_eq!(
        tags.body["hashtags"][0]["url"],
        "https://wool.test/tags/woolly"
    );
    let names = get(&app, "/api/v2/search?q=alice&type=accounts", Some(&t)).await;
    assert_eq!(ids(&names.body["accounts"]), vec![alice.id.to_string()]);
    assert_eq!(names.body["hashtags"], json!([]));
    // Bad parameters.
    assert_eq!(
        get(&app, "/api/v2/search", Some(&t)).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        get(&app, "/api/v2/search?q=x&type=people", Some(&t))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    // The resolved remote status is in the remote timeline.
    let remote = get(&app, "/api/v1/timelines/public?remote=true", None).await;
    assert_eq!(
        remote.body[0]["uri"],
        "https://remote.test/users/bob/statuses/1"
    );
}

#[tokio::test]
async fn grouped_notifications_v2_and_policy() {
    let app = instance().await;
    let (alice, ta) = user(&app, "alice").await;
    let (bob, tb) = user(&app, "bob").await;
    let s = post(&app, &ta, json!({"status": "hello"})).await;
    let sid = s["id"].as_str().unwrap();
    call(
        &app,
        Method::POST,
        &format!("/api/v1/accounts/{}/follow", alice.id),
        Some(&tb),
    )
    .await;
    call(
        &app,
        Method::POST,
        &format!("/api/v1/statuses/{sid}/favourite"),
        Some(&tb),
    )
    .await;
    let g = get(&app, "/api/v2/notifications", Some(&ta)).await;
    assert_eq!(g.status, StatusCode::OK, "{}", g.text);
    let groups = g.body["notification_groups"].as_array().unwrap();
    let kinds: Vec<&str> = groups.iter().map(|n| n["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["favourite", "follow"]);
    assert_eq!(groups[0]["status_id"], sid);
    assert_eq!(groups[0]["sample_account_ids"], json!([bob.id.to_string()]));
    assert_eq!(groups[0]["notifications_count"], 1);
    assert!(groups[1]["status_id"].is_null());
    // Accounts and statuses come once each.
    assert_eq!(ids(&g.body["accounts"]), vec![bob.id.to_string()]);
    assert_eq!(ids(&g.body["statuses"]), vec![sid.to_owned()]);
    let only = get(&app, "/api/v2/notifications?types[]=follow", Some(&ta)).await;
    assert_eq!(
        only.body["notification_groups"].as_array().unwrap().len(),
        1
    );
    assert_eq!(only.body["statuses"], json!([]));
    assert_eq!(
        get(&app, "/api/v2/notifications/unread_count", Some(&ta))
            .await
            .body,
        json!({"count": 2})
    );
    let policy = get(&app, "/api/v2/notifications/policy", Some(&ta)).await;
    assert_eq!(policy.body["for_not_following"], "accept");
    assert_eq!(
        get(&app, "/api/v2/notifications", None).await.status,
        StatusCode::UNAUTHORIZED
    );
}
