//! One test per fixture: what is extracted (subject, actor, aliases, links), a lossless round
//! trip, and a full client lookup answered with the fixture.
#![allow(clippy::unwrap_used)]

use http::Response;
use serde_json::Value;
use webfinger::client::{parse_descriptor, parse_host_meta, ClientOptions, Lookup, Step};
use webfinger::{Account, Jrd, Resource};

#[derive(Default)]
struct Expect {
    subject: &'static str,
    actor: &'static str,
    aliases: &'static [&'static str],
    profile: Option<&'static str>,
    subscribe: Option<&'static str>,
    avatar: Option<&'static str>,
    links: usize,
}

fn ok(body: &[u8]) -> Response<Vec<u8>> {
    Response::builder()
        .status(200)
        .header("content-type", "application/jrd+json; charset=utf-8")
        .body(body.to_vec())
        .unwrap()
}

fn check_extracted(jrd: &Jrd, e: &Expect) {
    assert_eq!(jrd.subject.as_deref(), Some(e.subject));
    assert_eq!(jrd.actor_url().unwrap().as_str(), e.actor);
    assert_eq!(jrd.aliases, e.aliases);
    assert_eq!(jrd.profile_page().as_ref().map(url::Url::as_str), e.profile);
    assert_eq!(jrd.subscribe_template(), e.subscribe);
    assert_eq!(jrd.avatar().as_ref().map(url::Url::as_str), e.avatar);
    assert_eq!(jrd.links.len(), e.links);
}

/// parse → serialize → parse keeps the JSON value, and the typed value.
fn check_lossless(body: &[u8]) -> Jrd {
    let original: Value = serde_json::from_slice(body).unwrap();
    let jrd = Jrd::from_slice(body).unwrap();
    let written = jrd.to_vec();
    let again: Value = serde_json::from_slice(&written).unwrap();
    assert_eq!(again, original);
    assert_eq!(Jrd::from_slice(&written).unwrap(), jrd);
    jrd
}

/// A lookup of the subject, answered with the fixture, finishes at once.
fn check_lookup(body: &[u8], e: &Expect, options: ClientOptions) {
    let resource: Resource = e.subject.parse().unwrap();
    let mut lookup = Lookup::new(resource.clone(), options).unwrap();
    let req = lookup.next_request().unwrap();
    assert_eq!(
        req.headers()["accept"],
        "application/jrd+json, application/json"
    );
    match lookup.feed(&ok(body)).unwrap() {
        Step::Done(found) => {
            assert_eq!(Resource::Acct(found.account.clone()), resource);
            assert_eq!(found.actor.as_str(), e.actor);
            assert_eq!(found.hops, 0);
        }
        other => panic!("expected done, got {other:?}"),
    }
    assert!(lookup.next_request().is_none());
}

fn check_json(body: &[u8], e: Expect) {
    let jrd = check_lossless(body);
    check_extracted(&jrd, &e);
    check_lookup(body, &e, ClientOptions::default());
}

macro_rules! fixture {
    ($path:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/",
            $path
        ))
    };
}

#[test]
fn mastodon_account() {
    check_json(
        fixture!("webfinger/mastodon/account.json"),
        Expect {
            subject: "acct:rosa@maple.example",
            actor: "https://maple.example/users/rosa",
            aliases: &[
                "https://maple.example/@rosa",
                "https://maple.example/users/rosa",
            ],
            profile: Some("https://maple.example/@rosa"),
            subscribe: Some("https://maple.example/authorize_interaction?uri={uri}"),
            avatar: Some(
                "https://files.maple.example/accounts/avatars/109/347/000/original/5c1e2ab7.png",
            ),
            links: 4,
        },
    );
}

#[test]
fn mastodon_instance_actor() {
    check_json(
        fixture!("webfinger/mastodon/instance-actor.json"),
        Expect {
            subject: "acct:maple.example@maple.example",
            actor: "https://maple.example/actor",
            aliases: &["https://maple.example/actor"],
            profile: Some("https://maple.example/about/more?instance_actor=true"),
            subscribe: Some("https://maple.example/authorize_interaction?uri={uri}"),
            links: 3,
            ..Expect::default()
        },
    );
}

/// Mastodon with `WEB_DOMAIN`: asked at social.birch.example about rosa@social.birch.example,
/// it answers for rosa@birch.example; the lookup confirms with birch.example.
#[test]
fn mastodon_web_domain() {
    let body = fixture!("webfinger/mastodon/web-domain.json");
    let e = Expect {
        subject: "acct:rosa@birch.example",
        actor: "https://social.birch.example/users/rosa",
        aliases: &[
            "https://social.birch.example/@rosa",
            "https://social.birch.example/users/rosa",
        ],
        profile: Some("https://social.birch.example/@rosa"),
        subscribe: Some("https://social.birch.example/authorize_interaction?uri={uri}"),
        links: 3,
        ..Expect::default()
    };
    let jrd = check_lossless(body);
    check_extracted(&jrd, &e);
    check_lookup(body, &e, ClientOptions::default());

    let mut lookup = Lookup::new(
        "@rosa@social.birch.example".parse().unwrap(),
        ClientOptions::default(),
    )
    .unwrap();
    assert_eq!(
        lookup.next_request().unwrap().uri(),
        "https://social.birch.example/.well-known/webfinger?resource=acct%3Arosa%40social.birch.example"
    );
    let Step::Request(confirm) = lookup.feed(&ok(body)).unwrap() else {
        panic!("expected a confirming request");
    };
    assert_eq!(
        confirm.uri(),
        "https://birch.example/.well-known/webfinger?resource=acct%3Arosa%40birch.example"
    );
    let Step::Done(found) = lookup.feed(&ok(body)).unwrap() else {
        panic!("expected done");
    };
    assert_eq!(found.account, Account::parse("rosa@birch.example").unwrap());
    assert_eq!(
        found.actor.as_str(),
        "https://social.birch.example/users/rosa"
    );
    assert_eq!(found.hops, 1);
}

#[test]
fn gotosocial_account() {
    check_json(
        fixture!("webfinger/gotosocial/account.json"),
        Expect {
            subject: "acct:kit@gts.example",
            actor: "https://gts.example/users/kit",
            aliases: &["https://gts.example/users/kit", "https://gts.example/@kit"],
            profile: Some("https://gts.example/@kit"),
            links: 2,
            ..Expect::default()
        },
    );
}

#[test]
fn gotosocial_loopback_port() {
    let body = fixture!("webfinger/gotosocial/loopback-port.json");
    let e = Expect {
        subject: "acct:kit@127.0.0.2:8080",
        actor: "http://127.0.0.2:8080/users/kit",
        aliases: &[
            "http://127.0.0.2:8080/users/kit",
            "http://127.0.0.2:8080/@kit",
        ],
        profile: Some("http://127.0.0.2:8080/@kit"),
        links: 2,
        ..Expect::default()
    };
    let jrd = check_lossless(body);
    check_extracted(&jrd, &e);
    let options = ClientOptions::default().with_plain_http(true);
    let lookup = Lookup::new(e.subject.parse().unwrap(), options.clone()).unwrap();
    assert_eq!(
        lookup.next_request().unwrap().uri(),
        "http://127.0.0.2:8080/.well-known/webfinger?resource=acct%3Akit%40127.0.0.2%3A8080"
    );
    check_lookup(body, &e, options);
}

#[test]
fn pleroma_account() {
    check_json(
        fixture!("webfinger/pleroma/account.json"),
        Expect {
            subject: "acct:lain@pleroma.example",
            actor: "https://pleroma.example/users/lain",
            aliases: &["https://pleroma.example/users/lain"],
            profile: Some("https://pleroma.example/users/lain"),
            subscribe: Some("https://pleroma.example/ostatus_subscribe?acct={uri}"),
            links: 4,
            ..Expect::default()
        },
    );
}

#[test]
fn akkoma_ld_json_only() {
    check_json(
        fixture!("webfinger/akkoma/ld-json-only.json"),
        Expect {
            subject: "acct:floof@akko.example",
            actor: "https://akko.example/users/floof",
            aliases: &["https://akko.example/users/floof"],
            profile: Some("https://akko.example/users/floof"),
            subscribe: Some("https://akko.example/ostatus_subscribe?acct={uri}"),
            links: 3,
            ..Expect::default()
        },
    );
}

const MISSKEY: Expect = Expect {
    subject: "acct:aiko@misskey.example",
    actor: "https://misskey.example/users/9h3kq2x0ab",
    aliases: &[],
    profile: Some("https://misskey.example/@aiko"),
    subscribe: Some("https://misskey.example/authorize-follow?acct={uri}"),
    avatar: None,
    links: 3,
};

#[test]
fn misskey_account() {
    check_json(fixture!("webfinger/misskey/account.json"), MISSKEY);
}

/// Misskey answers XRD to clients that prefer XML; the same facts come out.
#[test]
fn misskey_account_xml() {
    let body = fixture!("webfinger/misskey/account.xml");
    let jrd = parse_descriptor(body).unwrap();
    check_extracted(&jrd, &MISSKEY);
    assert_eq!(
        jrd,
        parse_descriptor(fixture!("webfinger/misskey/account.json")).unwrap()
    );
    assert_eq!(
        webfinger::xrd::parse_xrd(webfinger::xrd::to_xrd(&jrd).as_bytes()).unwrap(),
        jrd
    );
    check_lookup(body, &MISSKEY, ClientOptions::default());
}

#[test]
fn lemmy_person() {
    let body = fixture!("webfinger/lemmy/person.json");
    check_json(
        body,
        Expect {
            subject: "acct:ferris@lemmy.example",
            actor: "https://lemmy.example/u/ferris",
            profile: Some("https://lemmy.example/u/ferris"),
            subscribe: Some("https://lemmy.example/activitypub/externalInteraction?uri={uri}"),
            links: 3,
            ..Expect::default()
        },
    );
    let jrd = Jrd::from_slice(body).unwrap();
    // `"template": null` and friends are kept, not turned into typed values.
    assert_eq!(jrd.links[0].template, None);
    assert_eq!(jrd.links[0].extra.get("template"), Some(&Value::Null));
    assert_eq!(jrd.links[2].href, None);
    assert_eq!(
        jrd.links[1]
            .properties
            .get("https://www.w3.org/ns/activitystreams#type"),
        Some(&Some("Person".to_owned()))
    );
}

#[test]
fn lemmy_person_and_group() {
    let body = fixture!("webfinger/lemmy/person-and-group.json");
    check_json(
        body,
        Expect {
            subject: "acct:rust@lemmy.example",
            actor: "https://lemmy.example/u/rust",
            profile: Some("https://lemmy.example/u/rust"),
            subscribe: Some("https://lemmy.example/activitypub/externalInteraction?uri={uri}"),
            links: 5,
            ..Expect::default()
        },
    );
    let jrd = Jrd::from_slice(body).unwrap();
    assert_eq!(
        jrd.actor_url_for_type("Group").unwrap().as_str(),
        "https://lemmy.example/c/rust"
    );
    assert_eq!(
        jrd.actor_url_for_type("Person").unwrap().as_str(),
        "https://lemmy.example/u/rust"
    );
    assert_eq!(jrd.actor_url_for_type("Service"), None);
}

#[test]
fn peertube_account() {
    check_json(
        fixture!("webfinger/peertube/account.json"),
        Expect {
            subject: "acct:chocobozzz@tube.example",
            actor: "https://tube.example/accounts/chocobozzz",
            aliases: &["https://tube.example/accounts/chocobozzz"],
            profile: Some("https://tube.example/a/chocobozzz"),
            subscribe: Some("https://tube.example/remote-interaction?uri={uri}"),
            links: 3,
            ..Expect::default()
        },
    );
}

#[test]
fn peertube_channel() {
    check_json(
        fixture!("webfinger/peertube/channel.json"),
        Expect {
            subject: "acct:cooking_channel@tube.example",
            actor: "https://tube.example/video-channels/cooking_channel",
            aliases: &["https://tube.example/video-channels/cooking_channel"],
            profile: Some("https://tube.example/c/cooking_channel"),
            subscribe: Some("https://tube.example/remote-interaction?uri={uri}"),
            links: 3,
            ..Expect::default()
        },
    );
}

#[test]
fn pixelfed_account_escaped_slashes() {
    check_json(
        fixture!("webfinger/pixelfed/account.json"),
        Expect {
            subject: "acct:lens@pixel.example",
            actor: "https://pixel.example/users/lens",
            aliases: &[
                "https://pixel.example/lens",
                "https://pixel.example/users/lens",
            ],
            profile: Some("https://pixel.example/lens"),
            avatar: Some("https://pixel.example/storage/avatars/000/000/000/042/avatar.jpg?v=3"),
            links: 4,
            ..Expect::default()
        },
    );
}

#[test]
fn friendica_account() {
    let body = fixture!("webfinger/friendica/account.json");
    check_json(
        body,
        Expect {
            subject: "acct:mira@friendica.example",
            actor: "https://friendica.example/profile/mira",
            aliases: &[
                "https://friendica.example/~mira",
                "https://friendica.example/profile/mira",
            ],
            profile: Some("https://friendica.example/profile/mira"),
            subscribe: Some("https://friendica.example/contact/follow?url={uri}"),
            avatar: Some("https://friendica.example/photo/profile/mira.jpg?ts=1700000000"),
            links: 13,
        },
    );
    let jrd = Jrd::from_slice(body).unwrap();
    assert_eq!(jrd.properties.len(), 5);
    assert_eq!(
        jrd.properties.get("http://xmlns.com/foaf/0.1/name"),
        Some(&Some("Mira Example".to_owned()))
    );
    assert_eq!(
        jrd.properties
            .get("http://purl.org/macgirvin/dfrn/1.0/last-seen"),
        Some(&None)
    );
}

#[test]
fn wordpress_author() {
    check_json(
        fixture!("webfinger/wordpress/author.json"),
        Expect {
            subject: "acct:ada@blog.example",
            actor: "https://blog.example/author/ada/",
            aliases: &[
                "acct:ada@blog.example",
                "https://blog.example/author/ada/",
                "https://blog.example/@ada",
            ],
            profile: Some("https://blog.example/author/ada/"),
            subscribe: Some("https://blog.example/wp-json/activitypub/1.0/interactions?uri={uri}"),
            // The `&#038;` HTML entities are WordPress's; they stay as sent.
            avatar: Some("https://secure.gravatar.example/avatar/0f1e2d3c?s=96&#038;d=mm&#038;r=g"),
            links: 4,
        },
    );
}

#[test]
fn wordpress_blog_actor() {
    check_json(
        fixture!("webfinger/wordpress/blog-actor.json"),
        Expect {
            subject: "acct:blog.example@blog.example",
            actor: "https://blog.example/?author=0",
            aliases: &[
                "https://blog.example/?author=0",
                "https://blog.example/@blog.example",
            ],
            profile: Some("https://blog.example/"),
            links: 2,
            ..Expect::default()
        },
    );
}

/// Threads answers for threads.net; its actor lives on www.threads.net. The subject's
/// domain is the one asked, so no confirmation hop is needed.
#[test]
fn threads_account() {
    check_json(
        fixture!("webfinger/threads/account.json"),
        Expect {
            subject: "acct:harbor@threads.net",
            actor: "https://www.threads.net/ap/users/17841400000000042/",
            profile: Some("https://www.threads.net/@harbor"),
            links: 2,
            ..Expect::default()
        },
    );
}

fn host_meta_template(body: &[u8]) -> String {
    let res = Response::builder()
        .status(200)
        .header("content-type", "application/xrd+xml; charset=utf-8")
        .body(body.to_vec())
        .unwrap();
    parse_host_meta(&res, &ClientOptions::default()).unwrap()
}

#[test]
fn host_meta_mastodon() {
    let body = fixture!("host-meta/mastodon/host-meta.xml");
    let template = host_meta_template(body);
    assert_eq!(
        template,
        "https://maple.example/.well-known/webfinger?resource={uri}"
    );
    let req = webfinger::client::lrdd_request(
        &template,
        &"@rosa@maple.example".parse().unwrap(),
        &ClientOptions::default(),
    )
    .unwrap();
    assert_eq!(
        req.uri(),
        "https://maple.example/.well-known/webfinger?resource=acct%3Arosa%40maple.example"
    );
    // Our own host-meta answer for the same server is byte-for-byte the same document.
    let ours = webfinger::server::host_meta_response(&"https://maple.example/".parse().unwrap());
    assert_eq!(ours.body(), body);
}

#[test]
fn host_meta_mastodon_typed() {
    assert_eq!(
        host_meta_template(fixture!("host-meta/mastodon/host-meta-typed.xml")),
        "https://social.birch.example/.well-known/webfinger?resource={uri}"
    );
}

#[test]
fn host_meta_mastodon_json() {
    let body = fixture!("host-meta/mastodon/host-meta.json");
    check_lossless(body);
    assert_eq!(
        host_meta_template(body),
        "https://maple.example/.well-known/webfinger?resource={uri}"
    );
    let ours =
        webfinger::server::host_meta_json_response(&"https://maple.example".parse().unwrap());
    assert_eq!(
        format!("{}\n", String::from_utf8_lossy(ours.body())).as_bytes(),
        body
    );
}

#[test]
fn host_meta_pleroma() {
    assert_eq!(
        host_meta_template(fixture!("host-meta/pleroma/host-meta.xml")),
        "https://pleroma.example/.well-known/webfinger?resource={uri}"
    );
}

#[test]
fn host_meta_misskey() {
    assert_eq!(
        host_meta_template(fixture!("host-meta/misskey/host-meta.xml")),
        "https://misskey.example/.well-known/webfinger?resource={uri}"
    );
}
