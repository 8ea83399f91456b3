//! A seeded data directory reads back through the reference server's own code: the follows,
//! the home timeline (newest first, only followed authors), the counts.
#![allow(clippy::unwrap_used)]

use fedi_storage::PageRequest;
use reference_server::app::List;
use reference_server::{App, Config};
use woolly_loadgen::seed::{seed, SeedOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeded_records_read_back_through_the_app() {
    let dir = tempfile::tempdir().unwrap();
    let base = "http://127.0.0.2:8080";
    let mut o = SeedOptions::new(dir.path(), base, 95, 5);
    o.batch = 20;
    let r = seed(&o).await.unwrap();
    assert_eq!((r.statuses, r.follows), (95, 5));

    let config = Config {
        data_dir: dir.path().to_owned(),
        base_url: base.into(),
        ..Config::default()
    };
    // sled frees the directory's lock when its last handle is dropped, and the seeding app's
    // last tasks may drop theirs a moment after `seed` returned (seen under load), so opening
    // again is retried for a bounded time.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let store = loop {
        match reference_server::cli::serve::open_store(&config) {
            Ok(store) => break store,
            Err(e) if std::time::Instant::now() < deadline && e.to_string().contains("lock") => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(e) => panic!("cannot open the seeded store: {e}"),
        }
    };
    let app: App = reference_server::cli::serve::open_app(&config, &store)
        .await
        .unwrap();
    let me = app.account_by_acct("bench").await.unwrap().unwrap();
    assert_eq!(me.id, r.account_id);
    assert_eq!(me.actor, format!("{base}/users/bench"));
    assert_eq!(app.account_counts(me.id).await.unwrap(), (0, 0, 5));

    let home = List::Home(me.id);
    let (page, raw) = app
        .statuses_page(&home, &PageRequest::newest(40), Some(me.id))
        .await
        .unwrap();
    assert_eq!(page.len(), 40);
    assert!(page.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    for s in &page {
        assert!(app.is_following(me.id, s.account_id).await.unwrap());
        assert_eq!(app.status_by_uri(&s.uri).await.unwrap().unwrap().id, s.id);
    }
    // The newest is the last one written (number 94, by author 94 % 5 = 4).
    assert!(
        page[0].content.contains("Seeded status 94:"),
        "{}",
        page[0].content
    );
    let author = app.account(page[0].account_id).await.unwrap();
    assert_eq!(author.acct(), "author4@peer4.bench.example");
    assert_eq!(app.account_counts(author.id).await.unwrap(), (19, 1, 0));
    // The next pages reach the oldest.
    let (older, _) = app
        .statuses_page(
            &home,
            &PageRequest::newest(80).max_id(raw.next_max_id().unwrap()),
            Some(me.id),
        )
        .await
        .unwrap();
    assert_eq!(older.len(), 55);
    assert!(older.last().unwrap().content.contains("Seeded status 0:"));
}

/// With `rich`, every status on a home page shows a poll (the local account's vote on even
/// statuses), a custom emoji of its author's server and a preview card, as the client API
/// renders them; `home` with `api` times that answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rich_statuses_show_poll_emoji_and_card() {
    let dir = tempfile::tempdir().unwrap();
    let base = "http://127.0.0.2:8080";
    let mut o = SeedOptions::new(dir.path(), base, 60, 5);
    o.batch = 25;
    o.rich = true;
    seed(&o).await.unwrap();
    // The seeding app's store handle may outlive `seed` by a moment (see above).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let r = loop {
        match woolly_loadgen::home::home_in_process(
            dir.path().to_owned(),
            base,
            "bench",
            40,
            1,
            2,
            // The API run with 20 filters of 10 keywords each (issue #18's figure).
            Some(20),
        )
        .await
        {
            Ok(r) => break r,
            Err(e) if std::time::Instant::now() < deadline && e.to_string().contains("lock") => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(e) => panic!("cannot read the seeded store: {e}"),
        }
    };
    assert_eq!((r.page_len, r.collection_len), (40, 60));
    assert_eq!(r.api_latencies.unwrap().len(), 2);
    // Batch loading: a page of 40 costs the store calls a page of 20 does.
    let calls: Vec<(usize, u64)> = r
        .api_store_calls
        .iter()
        .map(|(n, c, _)| (*n, c.calls))
        .collect();
    assert_eq!(calls.len(), 2);
    assert_eq!((calls[0].0, calls[1].0), (20, 40));
    assert_eq!(calls[0].1, calls[1].1, "{:?}", r.api_store_calls);

    let config = Config {
        data_dir: dir.path().to_owned(),
        base_url: base.into(),
        ..Config::default()
    };
    let store = reference_server::cli::serve::open_store(&config).unwrap();
    let app: App = reference_server::cli::serve::open_app(&config, &store)
        .await
        .unwrap();
    let me = app.account_by_acct("bench").await.unwrap().unwrap();
    let token = reference_server::api::create_token(&app, me.id, "read")
        .await
        .unwrap();
    let request = http::Request::builder()
        .uri(format!("{base}/api/v1/timelines/home?limit=2"))
        .header("authorization", format!("Bearer {token}"))
        .body(bytes::Bytes::new())
        .unwrap();
    let response = reference_server::api::handle(&app, &request).await.unwrap();
    assert_eq!(response.status(), 200);
    let page: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
    // The newest is status 59 (author 4, odd: not voted), then 58 (voted for option 58 % 3).
    let s = &page[0];
    let link = "https://news59.bench.example/articles/59";
    assert!(s["content"]
        .as_str()
        .unwrap()
        .contains(":bench_19: <a href=\"https://news59"));
    assert_eq!(
        s["emojis"],
        serde_json::json!([{
            "shortcode": "bench_19",
            "url": "https://peer4.bench.example/system/custom_emojis/bench_19.png",
            "static_url": "https://peer4.bench.example/system/custom_emojis/bench_19.png",
            "visible_in_picker": false
        }])
    );
    assert_eq!(s["card"]["url"], link);
    assert_eq!(s["card"]["type"], "link");
    assert_eq!(
        s["card"]["image"],
        format!("{base}/media/cache/preview_cards/59.jpg")
    );
    let titles: Vec<&str> = s["poll"]["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Yes", "No", "It depends"]);
    // 59 % 7, 59 % 5, 59 % 3 as its server counted them.
    assert_eq!(s["poll"]["votes_count"], 3 + 4 + 2);
    assert_eq!(s["poll"]["voted"], false);
    let s = &page[1];
    assert_eq!(s["poll"]["voted"], true);
    assert_eq!(s["poll"]["own_votes"], serde_json::json!([58 % 3]));
    // 58 % 7 + 58 % 5 + 58 % 3, plus the local account's vote.
    assert_eq!(s["poll"]["votes_count"], 2 + 3 + 1 + 1);
}
