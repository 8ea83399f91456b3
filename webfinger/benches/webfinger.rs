//! Parse/serialize costs of the hot WebFinger paths.
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use webfinger::server::{respond_to_query, AccountDescriptor};
use webfinger::{Account, Jrd, Resource};

const MASTODON: &[u8] = include_bytes!("../tests/fixtures/webfinger/mastodon/account.json");
const FRIENDICA: &[u8] = include_bytes!("../tests/fixtures/webfinger/friendica/account.json");
const HOST_META: &[u8] = include_bytes!("../tests/fixtures/host-meta/mastodon/host-meta.xml");

fn benches(c: &mut Criterion) {
    c.bench_function("jrd_parse_mastodon", |b| {
        b.iter(|| Jrd::from_slice(black_box(MASTODON)).unwrap())
    });
    c.bench_function("jrd_parse_friendica", |b| {
        b.iter(|| Jrd::from_slice(black_box(FRIENDICA)).unwrap())
    });
    // Baseline: the same bytes into an untyped `serde_json::Value`.
    c.bench_function("json_value_parse_friendica", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(FRIENDICA)).unwrap())
    });
    let jrd = Jrd::from_slice(MASTODON).unwrap();
    c.bench_function("jrd_serialize_mastodon", |b| {
        b.iter(|| black_box(&jrd).to_vec())
    });
    c.bench_function("jrd_actor_url", |b| b.iter(|| black_box(&jrd).actor_url()));
    c.bench_function("xrd_parse_host_meta", |b| {
        b.iter(|| webfinger::xrd::parse_xrd(black_box(HOST_META)).unwrap())
    });
    c.bench_function("resource_parse_handle", |b| {
        b.iter(|| Resource::parse(black_box("@alice@example.com")).unwrap())
    });
    let alice = Account::parse("alice@example.com").unwrap();
    let actor: url::Url = "https://example.com/users/alice".parse().unwrap();
    let profile: url::Url = "https://example.com/@alice".parse().unwrap();
    c.bench_function("server_respond", |b| {
        b.iter(|| {
            respond_to_query(
                Some(black_box("resource=acct%3Aalice%40example.com")),
                |r: &Resource| {
                    let a = r.as_account()?;
                    (a == &alice).then(|| {
                        AccountDescriptor::new(alice.clone(), actor.clone())
                            .with_profile_page(profile.clone())
                    })
                },
            )
        })
    });
}

criterion_group!(webfinger_benches, benches);
criterion_main!(webfinger_benches);
