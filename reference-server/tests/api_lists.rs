//! Lists: CRUD, accounts, the list timeline filled on write with Mastodon's replies
//! policies and exclusive lists, error paths and paging.
#![allow(clippy::unwrap_used)]

use crate::api_support as support;

use http::{Method, StatusCode};
use reference_server::App;
use serde_json::{json, Value};
use support::*;

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

async fn new_list(app: &App, token: &str, body: Value) -> Value {
    let a = json(app, Method::POST, "/api/v1/lists", Some(token), body).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    a.body
}

async fn add(app: &App, token: &str, list: &str, accounts: &[u64]) -> Answer {
    let ids: Vec<String> = accounts.iter().map(u64::to_string).collect();
    json(
        app,
        Method::POST,
        &format!("/api/v1/lists/{list}/accounts"),
        Some(token),
        json!({ "account_ids": ids }),
    )
    .await
}

async fn timeline(app: &App, token: &str, list: &str) -> Vec<String> {
    let a = get(app, &format!("/api/v1/timelines/list/{list}"), Some(token)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    ids(&a.body)
}

#[tokio::test]
async fn lists_are_created_read_updated_and_deleted() {
    let app = instance().await;
    let (_, ta) = user(&app, "alice").await;
    let (_, tb) = user(&app, "bob").await;

    let friends = new_list(&app, &ta, json!({"title": "Friends"})).await;
    assert_eq!(
        friends,
        json!({"id": id(&friends), "title": "Friends", "replies_policy": "list", "exclusive": false})
    );
    // Form parameters too, with the other policies and exclusivity.
    let a = form(
        &app,
        Method::POST,
        "/api/v1/lists",
        Some(&ta),
        &[
            ("title", "Work"),
            ("replies_policy", "followed"),
            ("exclusive", "true"),
        ],
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let work = a.body;
    assert_eq!(
        work,
        json!({"id": id(&work), "title": "Work", "replies_policy": "followed", "exclusive": true})
    );
    let all = get(&app, "/api/v1/lists", Some(&ta)).await;
    assert_eq!(all.body, json!([friends, work]));
    assert_eq!(get(&app, "/api/v1/lists", Some(&tb)).await.body, json!([]));
    let one = get(&app, &format!("/api/v1/lists/{}", id(&friends)), Some(&ta)).await;
    assert_eq!(one.body, friends);

    // Update: only what is given changes.
    let a = json(
        &app,
        Method::PUT,
        &format!("/api/v1/lists/{}", id(&friends)),
        Some(&ta),
        json!({"title": "Pals", "replies_policy": "none"}),
    )
    .await;
    assert_eq!(
        a.body,
        json!({"id": id(&friends), "title": "Pals", "replies_policy": "none", "exclusive": false})
    );
    let a = json(
        &app,
        Method::PUT,
        &format!("/api/v1/lists/{}", id(&friends)),
        Some(&ta),
        json!({"exclusive": true}),
    )
    .await;
    assert_eq!(a.body["title"], "Pals");
    assert_eq!(a.body["exclusive"], true);

    // Bad parameters: 422 with Mastodon's texts, and nothing changes.
    for body in [json!({}), json!({"title": "  "})] {
        let a = json(&app, Method::POST, "/api/v1/lists", Some(&ta), body).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(a.error(), "Validation failed: Title can't be blank");
    }
    let a = json(
        &app,
        Method::POST,
        "/api/v1/lists",
        Some(&ta),
        json!({"title": "x", "replies_policy": "everyone"}),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        a.error(),
        "Validation failed: Replies policy is not included in the list"
    );
    let a = json(
        &app,
        Method::PUT,
        &format!("/api/v1/lists/{}", id(&friends)),
        Some(&ta),
        json!({"title": ""}),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        get(&app, "/api/v1/lists", Some(&ta))
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Someone else's list, an unknown one and a malformed id are all 404.
    let path = format!("/api/v1/lists/{}", id(&friends));
    for (m, p) in [
        (Method::GET, path.clone()),
        (Method::PUT, path.clone()),
        (Method::DELETE, path.clone()),
        (Method::GET, format!("{path}/accounts")),
        (
            Method::GET,
            format!("/api/v1/timelines/list/{}", id(&friends)),
        ),
    ] {
        let a = json(&app, m.clone(), &p, Some(&tb), json!({"title": "mine"})).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{m} {p}");
        assert_eq!(a.error(), "Record not found");
    }
    for p in [
        "/api/v1/lists/12345",
        "/api/v1/lists/nope",
        "/api/v1/timelines/list/1",
    ] {
        let a = get(&app, p, Some(&ta)).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{p}");
    }

    // Scopes: read:lists to read, write:lists to write; no token is 401.
    let (_, reader) = user_with(&app, "reader", false, "read:lists").await;
    let (_, writer) = user_with(&app, "writer", false, "write:lists").await;
    assert_eq!(
        get(&app, "/api/v1/lists", Some(&reader)).await.status,
        StatusCode::OK
    );
    let a = json(
        &app,
        Method::POST,
        "/api/v1/lists",
        Some(&reader),
        json!({"title": "t"}),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(a.error(), "This action is outside the authorized scopes");
    assert_eq!(
        get(&app, "/api/v1/lists", Some(&writer)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get(&app, "/api/v1/lists", None).await.status,
        StatusCode::UNAUTHORIZED
    );

    // Delete answers {} and the list is gone.
    let a = call(&app, Method::DELETE, &path, Some(&ta)).await;
    assert_eq!((a.status, a.body), (StatusCode::OK, json!({})));
    assert_eq!(
        get(&app, &path, Some(&ta)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&app, "/api/v1/lists", Some(&ta)).await.body,
        json!([work])
    );
}

#[tokio::test]
async fn accounts_are_added_removed_and_paged() {
    let app = instance().await;
    let (alice, ta) = user(&app, "alice").await;
    let (_, tb) = user(&app, "bob").await;
    let mut people = Vec::new();
    for name in ["carol", "dave", "erin", "frank"] {
        people.push(user(&app, name).await.0);
    }
    let (carol, dave, erin, frank) = (&people[0], &people[1], &people[2], &people[3]);
    for p in [carol, dave, frank] {
        follow(&app, &ta, p.id).await;
    }
    let list = id(&new_list(&app, &ta, json!({"title": "L"})).await);
    let accounts_path = format!("/api/v1/lists/{list}/accounts");

    let a = add(&app, &ta, &list, &[carol.id, dave.id]).await;
    assert_eq!((a.status, a.body), (StatusCode::OK, json!({})));
    // Not followed: 422, and nothing of the batch is added.
    let a = add(&app, &ta, &list, &[frank.id, erin.id]).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        a.error(),
        "Validation failed: Account must be a followed account"
    );
    // Already there: 422.
    let a = add(&app, &ta, &list, &[carol.id]).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        a.error(),
        "Validation failed: Account has already been taken"
    );
    // Unknown account: 404.
    let a = add(&app, &ta, &list, &[987_654_321]).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    // Someone else's list: 404.
    let a = add(&app, &tb, &list, &[carol.id]).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    // A pending follow request is enough (Mastodon 4.3).
    let (locked, _) = user_with(&app, "locked", true, "read").await;
    follow(&app, &ta, locked.id).await;
    let a = add(&app, &ta, &list, &[locked.id]).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);

    // Paging: by account id, newest first, with Link headers; limit=0 is everything.
    let mut members = [carol.id, dave.id, locked.id];
    members.sort_unstable_by(|a, b| b.cmp(a));
    let all = get(&app, &format!("{accounts_path}?limit=0"), Some(&ta)).await;
    assert_eq!(
        ids(&all.body),
        members.iter().map(u64::to_string).collect::<Vec<_>>()
    );
    assert_eq!(all.header("link"), None);
    let accts: Vec<&str> = all
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["acct"].as_str().unwrap())
        .collect();
    assert!(
        accts.contains(&"carol") && accts.contains(&"locked"),
        "{accts:?}"
    );
    let p1 = get(&app, &format!("{accounts_path}?limit=2"), Some(&ta)).await;
    assert_eq!(
        ids(&p1.body),
        vec![members[0].to_string(), members[1].to_string()]
    );
    let link = p1.header("link").unwrap().to_owned();
    assert!(
        link.contains(&format!(
            "<https://wool.test{accounts_path}?limit=2&max_id={}>; rel=\"next\"",
            members[1]
        )),
        "{link}"
    );
    let p2 = get(
        &app,
        &format!("{accounts_path}?limit=2&max_id={}", members[1]),
        Some(&ta),
    )
    .await;
    assert_eq!(ids(&p2.body), vec![members[2].to_string()]);

    // The lists an account is in.
    let of_carol = get(
        &app,
        &format!("/api/v1/accounts/{}/lists", carol.id),
        Some(&ta),
    )
    .await;
    assert_eq!(ids(&of_carol.body), vec![list.clone()]);
    assert_eq!(of_carol.body[0]["title"], "L");
    let of_carol_by_bob = get(
        &app,
        &format!("/api/v1/accounts/{}/lists", carol.id),
        Some(&tb),
    )
    .await;
    assert_eq!(of_carol_by_bob.body, json!([]));
    assert_eq!(
        get(&app, "/api/v1/accounts/987654321/lists", Some(&ta))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Removing: {} (unknown members ignored); unfollowing takes an account out too.
    let a = json(
        &app,
        Method::DELETE,
        &accounts_path,
        Some(&ta),
        json!({"account_ids": [carol.id.to_string(), erin.id.to_string()]}),
    )
    .await;
    assert_eq!((a.status, a.body), (StatusCode::OK, json!({})));
    assert_eq!(
        get(
            &app,
            &format!("/api/v1/accounts/{}/lists", carol.id),
            Some(&ta)
        )
        .await
        .body,
        json!([])
    );
    call(
        &app,
        Method::POST,
        &format!("/api/v1/accounts/{}/unfollow", dave.id),
        Some(&ta),
    )
    .await;
    let left = get(&app, &format!("{accounts_path}?limit=0"), Some(&ta)).await;
    assert_eq!(ids(&left.body), vec![locked.id.to_string()]);
    let _ = alice;
}

#[tokio::test]
async fn list_timelines_follow_the_replies_policy() {
    let app = instance().await;
    let (alice, ta) = user(&app, "alice").await;
    let (bob, tb) = user(&app, "bob").await;
    let (carol, tc) = user(&app, "carol").await;
    let (dave, td) = user(&app, "dave").await;
    let (erin, te) = user(&app, "erin").await;
    for p in [&bob, &carol, &dave] {
        follow(&app, &ta, p.id).await;
    }
    // Posted before bob joins the lists: merged when he is added.
    let early = post(&app, &tb, json!({"status": "early"})).await;
    let by_list = id(&new_list(&app, &ta, json!({"title": "list"})).await);
    let by_followed = id(&new_list(
        &app,
        &ta,
        json!({"title": "followed", "replies_policy": "followed"}),
    )
    .await);
    let by_none = id(&new_list(
        &app,
        &ta,
        json!({"title": "none", "replies_policy": "none"}),
    )
    .await);
    add(&app, &ta, &by_list, &[bob.id, carol.id]).await;
    add(&app, &ta, &by_followed, &[bob.id]).await;
    add(&app, &ta, &by_none, &[bob.id]).await;
    assert_eq!(timeline(&app, &ta, &by_none).await, vec![id(&early)]);

    let plain = post(&app, &tb, json!({"status": "plain"})).await;
    let to_carol_root = post(&app, &tc, json!({"status": "carol here"})).await;
    let to_dave_root = post(&app, &td, json!({"status": "dave here"})).await;
    let to_erin_root = post(&app, &te, json!({"status": "erin here"})).await;
    let to_alice_root = post(&app, &ta, json!({"status": "alice here"})).await;
    let reply = |to: &Value, text: &str| json!({"status": text, "in_reply_to_id": id(to)});
    let to_carol = post(&app, &tb, reply(&to_carol_root, "@carol yes")).await;
    let to_dave = post(&app, &tb, reply(&to_dave_root, "@dave yes")).await;
    let to_erin = post(&app, &tb, reply(&to_erin_root, "@erin yes")).await;
    let to_alice = post(&app, &tb, reply(&to_alice_root, "@alice yes")).await;
    let to_self = post(&app, &tb, reply(&plain, "and more")).await;
    let direct = post(
        &app,
        &tb,
        json!({"status": "@alice secret", "visibility": "direct"}),
    )
    .await;
    let from_dave = post(&app, &td, json!({"status": "not listed"})).await;

    assert_eq!(
        timeline(&app, &ta, &by_list).await,
        [
            &to_self,
            &to_alice,
            &to_carol,
            &to_carol_root,
            &plain,
            &early
        ]
        .map(id)
        .to_vec()
    );
    // `followed`: replies to any followed account, not to strangers (as home).
    assert_eq!(
        timeline(&app, &ta, &by_followed).await,
        [&to_self, &to_alice, &to_dave, &to_carol, &plain, &early]
            .map(id)
            .to_vec()
    );
    assert_eq!(
        timeline(&app, &ta, &by_none).await,
        [&to_self, &to_alice, &plain, &early].map(id).to_vec()
    );
    let _ = (to_erin, direct, from_dave, erin);

    // Paged like home, with Link headers.
    let p1 = get(
        &app,
        &format!("/api/v1/timelines/list/{by_none}?limit=2"),
        Some(&ta),
    )
    .await;
    assert_eq!(ids(&p1.body), [&to_self, &to_alice].map(id).to_vec());
    let link = p1.header("link").unwrap();
    assert!(
        link.starts_with(&format!(
            "<https://wool.test/api/v1/timelines/list/{by_none}?limit=2&max_id={}>; rel=\"next\"",
            id(&to_alice)
        )),
        "{link}"
    );
    let p2 = get(
        &app,
        &format!(
            "/api/v1/timelines/list/{by_none}?limit=2&max_id={}",
            id(&to_alice)
        ),
        Some(&ta),
    )
    .await;
    assert_eq!(ids(&p2.body), [&plain, &early].map(id).to_vec());
    // The entities are the viewer's: full statuses.
    assert_eq!(p2.body[0]["account"]["acct"], "bob");
    assert_eq!(p2.body[0]["favourited"], false);

    // Removing bob takes his statuses out of the list.
    json(
        &app,
        Method::DELETE,
        &format!("/api/v1/lists/{by_none}/accounts"),
        Some(&ta),
        json!({"account_ids": [bob.id.to_string()]}),
    )
    .await;
    assert_eq!(timeline(&app, &ta, &by_none).await, Vec::<String>::new());
    let _ = alice;
}

#[tokio::test]
async fn exclusive_lists_keep_their_members_out_of_home() {
    let app = instance().await;
    let (_, ta) = user(&app, "alice").await;
    let (bob, tb) = user(&app, "bob").await;
    let (carol, tc) = user(&app, "carol").await;
    follow(&app, &ta, bob.id).await;
    follow(&app, &ta, carol.id).await;
    let only = id(&new_list(&app, &ta, json!({"title": "bob", "exclusive": true})).await);
    let shared = id(&new_list(&app, &ta, json!({"title": "carol"})).await);
    add(&app, &ta, &only, &[bob.id]).await;
    add(&app, &ta, &shared, &[carol.id]).await;
    let from_bob = post(&app, &tb, json!({"status": "exclusive"})).await;
    let from_carol = post(&app, &tc, json!({"status": "shared"})).await;
    let mine = post(&app, &ta, json!({"status": "mine"})).await;
    let home = get(&app, "/api/v1/timelines/home", Some(&ta)).await;
    assert_eq!(ids(&home.body), [&mine, &from_carol].map(id).to_vec());
    assert_eq!(timeline(&app, &ta, &only).await, vec![id(&from_bob)]);
    assert_eq!(timeline(&app, &ta, &shared).await, vec![id(&from_carol)]);
    // No longer exclusive: new posts reach home again.
    json(
        &app,
        Method::PUT,
        &format!("/api/v1/lists/{only}"),
        Some(&ta),
        json!({"exclusive": false}),
    )
    .await;
    let again = post(&app, &tb, json!({"status": "again"})).await;
    let home = get(&app, "/api/v1/timelines/home", Some(&ta)).await;
    assert_eq!(ids(&home.body)[0], id(&again));
}
