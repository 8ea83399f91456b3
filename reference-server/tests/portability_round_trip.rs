//! The round trip of issue #19: every CSV file exported by one instance, imported into
//! another, gives the same relationships there, and the follows are re-established through
//! real federation. Three instances in process on one in-memory network: alice on
//! `wool.test` follows, lists, blocks, mutes, blocks a domain and bookmarks a post; the
//! accounts she deals with live on `yarn.test`; alice2 on `knit.test` imports what alice
//! exported. The comparison is of the exported files themselves (every address involved
//! is remote to both instances, so the same relationships give the same rows), and of the
//! follower lists on `yarn.test`.

#![allow(clippy::unwrap_used)]

use activitypub_core::engine::transport::memory::MemoryNetwork;
use reference_server::app::export::CsvExport;
use reference_server::app::import::ImportType;
use reference_server::app::{List, NewStatus, RepliesPolicy};
use reference_server::App;

use crate::import_csv::pump;

async fn instance(net: &MemoryNetwork, host: &str) -> App {
    crate::import_csv::instance(net, host).await.0
}

async fn export(app: &App, account: u64, what: CsvExport) -> String {
    let bytes = app.export_csv(account, what, Vec::new()).await.unwrap();
    String::from_utf8(bytes).unwrap()
}

/// A CSV file's header (if `header`) and its rows, the rows sorted: the two instances
/// number their records differently, so rows come in another order.
fn rows(text: &str, header: bool) -> (Option<String>, Vec<String>) {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let head = if header && !lines.is_empty() {
        Some(lines.remove(0))
    } else {
        None
    };
    lines.sort();
    (head, lines)
}

async fn followers(app: &App, of: u64) -> Vec<String> {
    let mut out = Vec::new();
    for m in app.all_members(&List::Followers(of), 100).await.unwrap() {
        out.push(app.account(m.member.parse().unwrap()).await.unwrap().acct());
    }
    out.sort();
    out
}

#[tokio::test]
async fn every_export_imports_into_another_instance_with_the_same_result() {
    let net = MemoryNetwork::new();
    let wool = instance(&net, "wool.test").await;
    let yarn = instance(&net, "yarn.test").await;
    let knit = instance(&net, "knit.test").await;
    let alice = wool.create_account("alice", None, false).await.unwrap();
    let alice2 = knit.create_account("alice2", None, false).await.unwrap();
    let mut on_yarn = Vec::new();
    for name in ["bob", "carol", "dave", "erin"] {
        on_yarn.push(yarn.create_account(name, None, false).await.unwrap());
    }
    let (bob, carol) = (&on_yarn[0], &on_yarn[1]);

    // Alice's relationships on wool.test, made as a user makes them.
    let mut remote = Vec::new();
    for name in ["bob", "carol", "dave", "erin"] {
        let a = wool
            .resolve_handle(&format!("{name}@yarn.test"), true)
            .await
            .unwrap()
            .unwrap();
        remote.push(a.id);
    }
    wool.follow(alice.id, remote[0]).await.unwrap();
    wool.follow(alice.id, remote[1]).await.unwrap();
    pump(&[&wool, &yarn]).await;
    let post = yarn
        .post_status(
            carol.id,
            NewStatus {
                text: "a post worth keeping".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    pump(&[&wool, &yarn]).await;
    let here = wool.status_by_uri(&post.uri).await.unwrap().unwrap();
    wool.bookmark(alice.id, here.id).await.unwrap();
    let list = wool
        .create_list(
            alice.id,
            "Knitting, \"friends\"",
            RepliesPolicy::List,
            false,
        )
        .await
        .unwrap();
    wool.add_to_list(alice.id, list.id, &[remote[1]])
        .await
        .unwrap();
    wool.block(alice.id, remote[2]).await.unwrap();
    wool.mute(alice.id, remote[3], false, None).await.unwrap();
    wool.block_domain_for(alice.id, "spam.example")
        .await
        .unwrap();
    pump(&[&wool, &yarn]).await;

    // Each file exported from wool.test, imported into knit.test (follows first: the list
    // import follows its members, as on Mastodon, and blocks would end follows).
    let files = [
        (CsvExport::Follows, ImportType::Following, true),
        (CsvExport::Lists, ImportType::Lists, false),
        (CsvExport::Mutes, ImportType::Muting, true),
        (CsvExport::Blocks, ImportType::Blocking, false),
        (CsvExport::DomainBlocks, ImportType::DomainBlocking, false),
        (CsvExport::Bookmarks, ImportType::Bookmarks, false),
    ];
    for (what, kind, _) in files {
        let text = export(&wool, alice.id, what).await;
        assert!(!text.is_empty(), "{what:?} exported nothing");
        knit.create_import(alice2.id, kind, false, text.as_bytes(), None)
            .await
            .unwrap();
        pump(&[&knit, &yarn]).await;
    }

    // The same relationships: knit.test's exports hold the same rows as wool.test's.
    for (what, _, header) in files {
        let before = rows(&export(&wool, alice.id, what).await, header);
        let after = rows(&export(&knit, alice2.id, what).await, header);
        assert_eq!(after, before, "{what:?}");
        assert!(!before.1.is_empty(), "{what:?}");
    }
    // The follows are real on yarn.test: the Follow went out and was accepted.
    assert_eq!(
        followers(&yarn, bob.id).await,
        ["alice2@knit.test", "alice@wool.test"]
    );
    assert_eq!(
        followers(&yarn, carol.id).await,
        ["alice2@knit.test", "alice@wool.test"]
    );
    assert!(followers(&yarn, on_yarn[2].id).await.is_empty());
}
