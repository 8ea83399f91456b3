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
