//! The server half: exact status, headers and body bytes.
#![allow(clippy::unwrap_used)]

use http::{Request, Response};
use webfinger::server::{
    host_meta_json_response, host_meta_response, respond, respond_for_accounts, respond_to_query,
    AccountDescriptor, Query, QueryError,
};
use webfinger::{Account, Jrd, Resource};

fn alice() -> AccountDescriptor {
    AccountDescriptor::new(
        Account::parse("alice@example.com").unwrap(),
        "https://example.com/users/alice".parse().unwrap(),
    )
    .with_profile_page("https://example.com/@alice".parse().unwrap())
    .with_subscribe_template("https://example.com/authorize_interaction?uri={uri}")
    .with_avatar(
        "https://files.example.com/avatars/alice.png"
            .parse()
            .unwrap(),
        Some("image/png".into()),
    )
}

fn lookup(r: &Resource) -> Option<AccountDescriptor> {
    match r {
        Resource::Acct(a)
            if a.host() == "example.com" && a.user().eq_ignore_ascii_case("alice") =>
        {
            Some(alice())
        }
        Resource::Url(u)
            if u.as_str() == "https://example.com/users/alice"
                || u.as_str() == "https://example.com/@alice" =>
        {
            Some(alice())
        }
        _ => None,
    }
}

fn get(uri: &str) -> Response<Vec<u8>> {
    respond(&Request::get(uri).body(()).unwrap(), lookup)
}

fn headers(res: &Response<Vec<u8>>) -> Vec<(String, String)> {
    res.headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
        .collect()
}

/// A plain-text error answer: its status, headers and body, exactly.
fn assert_plain_error(res: &Response<Vec<u8>>, status: u16, body: &str, uri: &str) {
    assert_eq!(res.status(), status, "{uri}");
    assert_eq!(
        headers(res),
        [
            ("content-type".into(), "text/plain; charset=utf-8".into()),
            ("access-control-allow-origin".into(), "*".into()),
        ],
        "{uri}"
    );
    assert_eq!(res.body(), body.as_bytes(), "{uri}");
}

/// A JRD answer's headers, exactly.
fn assert_jrd_headers(res: &Response<Vec<u8>>, uri: &str) {
    assert_eq!(
        headers(res),
        [
            (
                "content-type".into(),
                "application/jrd+json; charset=utf-8".into()
            ),
            ("access-control-allow-origin".into(), "*".into()),
        ],
        "{uri}"
    );
}

const ALICE_JRD: &str = concat!(
    r#"{"subject":"acct:alice@example.com","#,
    r#""aliases":["https://example.com/@alice","https://example.com/users/alice"],"#,
    r#""links":["#,
    r#"{"rel":"http://webfinger.net/rel/profile-page","type":"text/html","href":"https://example.com/@alice"},"#,
    r#"{"rel":"self","type":"application/activity+json","href":"https://example.com/users/alice"},"#,
    r#"{"rel":"http://ostatus.org/schema/1.0/subscribe","template":"https://example.com/authorize_interaction?uri={uri}"},"#,
    r#"{"rel":"http://webfinger.net/rel/avatar","type":"image/png","href":"https://files.example.com/avatars/alice.png"}"#,
    r#"]}"#
);

#[test]
fn answers_an_account_exact_bytes() {
    for uri in [
        "/.well-known/webfinger?resource=acct%3Aalice%40example.com",
        "/.well-known/webfinger?resource=acct:alice@example.com",
        "/.well-known/webfinger?resource=%40alice%40example.com",
        "/.well-known/webfinger?resource=alice@EXAMPLE.COM",
        "https://example.com/.well-known/webfinger?foo=bar&resource=acct%3AALICE%40example.com",
        "/.well-known/webfinger?resource=https%3A%2F%2Fexample.com%2Fusers%2Falice",
        "/.well-known/webfinger?resource=https://example.com/@alice",
    ] {
        let res = get(uri);
        assert_eq!(res.status(), 200, "{uri}");
        assert_jrd_headers(&res, uri);
        assert_eq!(std::str::from_utf8(res.body()).unwrap(), ALICE_JRD, "{uri}");
    }
}

#[test]
fn filters_links_by_rel() {
    let res = get("/.well-known/webfinger?resource=acct%3Aalice%40example.com&rel=self");
    assert_eq!(
        std::str::from_utf8(res.body()).unwrap(),
        concat!(
            r#"{"subject":"acct:alice@example.com","#,
            r#""aliases":["https://example.com/@alice","https://example.com/users/alice"],"#,
            r#""links":[{"rel":"self","type":"application/activity+json","href":"https://example.com/users/alice"}]}"#
        )
    );
    let res = get(
        "/.well-known/webfinger?rel=http%3A%2F%2Fwebfinger.net%2Frel%2Favatar&resource=acct%3Aalice%40example.com&rel=self",
    );
    let jrd = Jrd::from_slice(res.body()).unwrap();
    let rels: Vec<_> = jrd.links.iter().map(|l| l.rel.as_str()).collect();
    assert_eq!(rels, ["self", "http://webfinger.net/rel/avatar"]);
    // A rel nobody has: subject and aliases, and an empty `links` array.
    let res = get("/.well-known/webfinger?resource=acct%3Aalice%40example.com&rel=nope");
    assert_eq!(
        std::str::from_utf8(res.body()).unwrap(),
        r#"{"subject":"acct:alice@example.com","aliases":["https://example.com/@alice","https://example.com/users/alice"],"links":[]}"#
    );
}

#[test]
fn bad_requests_and_not_found_exact_bytes() {
    let cases = [
        ("/.well-known/webfinger", 400, "missing resource parameter\n"),
        ("/.well-known/webfinger?", 400, "missing resource parameter\n"),
        ("/.well-known/webfinger?rel=self", 400, "missing resource parameter\n"),
        ("/.well-known/webfinger?resource=", 400, "malformed resource parameter\n"),
        ("/.well-known/webfinger?resource=alice", 400, "malformed resource parameter\n"),
        ("/.well-known/webfinger?resource=mailto%3Aa%40example.com", 404, "resource not found\n"),
        ("/.well-known/webfinger?resource=acct%3Aa%40b%2Fc", 400, "malformed resource parameter\n"),
        (
            "/.well-known/webfinger?resource=acct%3Aa%40example.com&resource=acct%3Ab%40example.com",
            400,
            "more than one resource parameter\n",
        ),
        ("/.well-known/webfinger?resource=acct%3Abob%40example.com", 404, "resource not found\n"),
        ("/.well-known/webfinger?resource=acct%3Aalice%40other.example", 404, "resource not found\n"),
    ];
    for (uri, status, body) in cases {
        let res = get(uri);
        assert_plain_error(&res, status, body, uri);
    }
}

#[test]
fn a_rel_filter_that_matches_nothing_answers_an_empty_links_array() {
    for uri in [
        "/.well-known/webfinger?resource=acct%3Aalice%40example.com&rel=nope",
        "/.well-known/webfinger?resource=acct%3Aalice%40example.com&rel=nope&rel=other",
    ] {
        let res = get(uri);
        assert_eq!(res.status(), 200, "{uri}");
        assert_jrd_headers(&res, uri);
        let json: serde_json::Value = serde_json::from_slice(res.body()).unwrap();
        assert_eq!(json["links"], serde_json::json!([]), "{uri}");
    }
    // A JRD of the lookup's own with no links, filtered: `links` is still there, empty.
    let res = respond_to_query(Some("resource=acct:x@example.com&rel=self"), |_| {
        Some(Jrd::new("acct:x@example.com"))
    });
    assert_eq!(
        res.body(),
        br#"{"subject":"acct:x@example.com","links":[]}"#
    );
    // A `links` array kept verbatim (not all objects) is filtered by rel too.
    let res = respond_to_query(Some("resource=acct:x@example.com&rel=self"), |_| {
        Jrd::from_slice(br#"{"subject":"acct:x@example.com","links":[1,{"rel":"self","href":"h"},{"rel":"other"}]}"#).ok()
    });
    assert_eq!(
        res.body(),
        br#"{"subject":"acct:x@example.com","links":[{"rel":"self","href":"h"}]}"#
    );
}

#[test]
fn a_uri_of_another_scheme_is_not_found_without_a_lookup() {
    for uri in [
        "/.well-known/webfinger?resource=mailto%3Aalice%40example.com",
        "/.well-known/webfinger?resource=foo%3A%2F%2Fbar",
        "/.well-known/webfinger?resource=foo://bar",
        "/.well-known/webfinger?resource=did%3Aplc%3Aabc",
        "/.well-known/webfinger?resource=MAILTO:alice@example.com&rel=self",
    ] {
        let res = respond(
            &Request::get(uri).body(()).unwrap(),
            |r: &Resource| -> Option<Jrd> { panic!("no lookup for {uri}, got {r:?}") },
        );
        assert_plain_error(&res, 404, "resource not found\n", uri);
    }
    // Still 400: no resource, no scheme and no host, or not a URI at all.
    for uri in [
        "/.well-known/webfinger?rel=self",
        "/.well-known/webfinger?resource=alice",
        "/.well-known/webfinger?resource=foo%3Aa%20b",
        "/.well-known/webfinger?resource=foo%3A%3Cb%3E",
        "/.well-known/webfinger?resource=http%3A%2F%2F",
    ] {
        let res = get(uri);
        assert_eq!(res.status(), 400, "{uri}");
    }
    assert_eq!(
        Query::parse(Some("resource=mailto%3Aa%40example.com")),
        Err(QueryError::UnknownScheme)
    );
    assert_eq!(QueryError::UnknownScheme.status(), 404);
    assert_eq!(QueryError::InvalidResource.status(), 400);
}

#[test]
fn methods() {
    let head = respond(
        &Request::head("/.well-known/webfinger?resource=acct%3Aalice%40example.com")
            .body(())
            .unwrap(),
        lookup,
    );
    assert_eq!(head.status(), 200);
    assert!(head.body().is_empty());
    assert_eq!(
        head.headers()["content-type"],
        "application/jrd+json; charset=utf-8"
    );

    let post = respond(
        &Request::post("/.well-known/webfinger?resource=acct%3Aalice%40example.com")
            .body(())
            .unwrap(),
        lookup,
    );
    assert_eq!(post.status(), 405);
    assert_eq!(post.headers()["allow"], "GET, HEAD");
}

#[test]
fn lookup_receives_the_parsed_resource() {
    let mut seen = None;
    let res = respond_to_query(
        Some("resource=acct%3Aj%25C3%25BCrgen%40B%C3%BCcher.example"),
        |r| {
            seen = Some(r.clone());
            None::<Jrd>
        },
    );
    assert_eq!(res.status(), 404);
    let seen = seen.unwrap();
    let a = seen.as_account().unwrap();
    assert_eq!(a.user(), "jürgen");
    assert_eq!(a.host(), "xn--bcher-kva.example");
}

#[test]
fn query_parsing() {
    let q = Query::parse(Some("rel=a&resource=%40x%40y.example&rel=b&other=1")).unwrap();
    assert_eq!(q.resource.to_string(), "acct:x@y.example");
    assert_eq!(q.rels, ["a", "b"]);
    assert_eq!(Query::parse(None), Err(QueryError::MissingResource));
    assert_eq!(
        Query::parse(Some("resource=%ZZ")),
        Err(QueryError::InvalidResource)
    );
}

#[test]
fn a_custom_jrd_is_answered_as_is() {
    let res = respond_to_query(Some("resource=acct:x@example.com"), |_| {
        let mut jrd = Jrd::new("acct:x@example.com");
        jrd.properties
            .insert("http://example.com/ns/p".into(), None);
        Some(jrd)
    });
    assert_eq!(
        res.body(),
        br#"{"subject":"acct:x@example.com","properties":{"http://example.com/ns/p":null}}"#
    );
}

#[test]
fn host_meta_exact_bytes() {
    let res = host_meta_response(&"https://example.com:8443/some/path".parse().unwrap());
    assert_eq!(res.status(), 200);
    assert_eq!(
        headers(&res),
        [
            (
                "content-type".into(),
                "application/xrd+xml; charset=utf-8".into()
            ),
            ("access-control-allow-origin".into(), "*".into()),
        ]
    );
    assert_eq!(
        std::str::from_utf8(res.body()).unwrap(),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n  \
         <Link rel=\"lrdd\" template=\"https://example.com:8443/.well-known/webfinger?resource={uri}\"/>\n\
         </XRD>\n"
    );
    let json = host_meta_json_response(&"https://example.com".parse().unwrap());
    assert_eq!(
        json.headers()["content-type"],
        "application/jrd+json; charset=utf-8"
    );
    assert_eq!(
        json.body(),
        br#"{"links":[{"rel":"lrdd","template":"https://example.com/.well-known/webfinger?resource={uri}"}]}"#
    );
}

#[test]
fn a_descriptor_matches_its_account_in_any_case_and_its_urls() {
    let alice = alice();
    for yes in [
        "acct:alice@example.com",
        "acct:ALICE@example.com",
        "@Alice@EXAMPLE.com",
        "https://example.com/users/alice",
        "https://EXAMPLE.com/users/alice",
        "https://example.com/@alice",
    ] {
        assert!(alice.matches(&Resource::parse(yes).unwrap()), "{yes}");
    }
    for no in [
        "acct:bob@example.com",
        "acct:alice@other.example",
        "acct:alice@example.com:8443",
        "https://example.com/users/alice/",
        "https://example.com/users/ALICE",
        "https://other.example/users/alice",
        "https://files.example.com/avatars/alice.png",
    ] {
        assert!(!alice.matches(&Resource::parse(no).unwrap()), "{no}");
    }
    // Without a profile page, only the actor URL is a URL of the account.
    let bare = AccountDescriptor::new(
        Account::parse("alice@example.com").unwrap(),
        "https://example.com/users/alice".parse().unwrap(),
    );
    assert!(!bare.matches(&Resource::parse("https://example.com/@alice").unwrap()));
}

fn blog() -> AccountDescriptor {
    AccountDescriptor::for_actor("blog", "http://127.0.0.1:3000/blog".parse().unwrap()).unwrap()
}

#[test]
fn a_descriptor_for_an_actor_is_named_after_the_actor_host() {
    let d = blog();
    assert_eq!(d.subject, Account::parse("blog@127.0.0.1:3000").unwrap());
    assert_eq!(d.actor.as_str(), "http://127.0.0.1:3000/blog");
    assert_eq!(d.profile_page, None);
    // The default port is not part of the account; hosts are normalized.
    let d = AccountDescriptor::for_actor(
        "Alice",
        "https://EXAMPLE.com:443/users/alice".parse().unwrap(),
    )
    .unwrap();
    assert_eq!(d.subject.to_string(), "acct:Alice@example.com");
    let d = AccountDescriptor::for_actor("a", "https://[::1]:8443/a".parse().unwrap()).unwrap();
    assert_eq!(d.subject.to_string(), "acct:a@[::1]:8443");
    assert_eq!(d.subject.port(), Some(8443));
    // An empty user, or an actor URL without a host, is no account.
    assert!(matches!(
        AccountDescriptor::for_actor("", "https://example.com/a".parse().unwrap()),
        Err(webfinger::Error::InvalidResource(
            webfinger::ResourceErrorKind::EmptyUser
        ))
    ));
    assert!(matches!(
        AccountDescriptor::for_actor("a", "data:text/plain,a".parse().unwrap()),
        Err(webfinger::Error::InvalidResource(
            webfinger::ResourceErrorKind::InvalidUrl
        ))
    ));
}

const BLOG_JRD: &str = concat!(
    r#"{"subject":"acct:blog@127.0.0.1:3000","#,
    r#""aliases":["http://127.0.0.1:3000/blog"],"#,
    r#""links":[{"rel":"self","type":"application/activity+json","href":"http://127.0.0.1:3000/blog"}]}"#
);

fn get_accounts(uri: &str, accounts: &[AccountDescriptor]) -> Response<Vec<u8>> {
    respond_for_accounts(&Request::get(uri).body(()).unwrap(), accounts)
}

#[test]
fn respond_for_accounts_exact_bytes() {
    let accounts = [alice(), blog()];
    for uri in [
        "/.well-known/webfinger?resource=acct%3Ablog%40127.0.0.1%3A3000",
        "/.well-known/webfinger?resource=acct:BLOG@127.0.0.1:3000",
        "/.well-known/webfinger?resource=http%3A%2F%2F127.0.0.1%3A3000%2Fblog",
    ] {
        let res = get_accounts(uri, &accounts);
        assert_eq!(res.status(), 200, "{uri}");
        assert_jrd_headers(&res, uri);
        assert_eq!(std::str::from_utf8(res.body()).unwrap(), BLOG_JRD, "{uri}");
    }
    // The other account in the list answers with its own document.
    let res = get_accounts(
        "/.well-known/webfinger?resource=acct%3AAlice%40example.com",
        &accounts,
    );
    assert_eq!(res.status(), 200);
    assert_eq!(std::str::from_utf8(res.body()).unwrap(), ALICE_JRD);
    // rel filtering applies as in `respond`.
    let res = get_accounts(
        "/.well-known/webfinger?resource=acct%3Ablog%40127.0.0.1%3A3000&rel=nope",
        &accounts,
    );
    assert_eq!(
        std::str::from_utf8(res.body()).unwrap(),
        r#"{"subject":"acct:blog@127.0.0.1:3000","aliases":["http://127.0.0.1:3000/blog"],"links":[]}"#
    );
}

#[test]
fn respond_for_accounts_unknown_bad_and_wrong_method() {
    let accounts = [blog()];
    for (uri, status, body) in [
        (
            "/.well-known/webfinger?resource=acct%3Ablog%40127.0.0.1",
            404,
            "resource not found\n",
        ),
        (
            "/.well-known/webfinger?resource=acct%3Aother%40127.0.0.1%3A3000",
            404,
            "resource not found\n",
        ),
        (
            "/.well-known/webfinger?resource=http%3A%2F%2F127.0.0.1%3A3000%2Factor",
            404,
            "resource not found\n",
        ),
        (
            "/.well-known/webfinger",
            400,
            "missing resource parameter\n",
        ),
    ] {
        let res = get_accounts(uri, &accounts);
        assert_plain_error(&res, status, body, uri);
    }
    // No accounts at all: every well-formed query is unknown.
    let res = get_accounts(
        "/.well-known/webfinger?resource=acct%3Ablog%40127.0.0.1%3A3000",
        &[],
    );
    assert_eq!(res.status(), 404);
    let post = respond_for_accounts(
        &Request::post("/.well-known/webfinger?resource=acct%3Ablog%40127.0.0.1%3A3000")
            .body(())
            .unwrap(),
        &accounts,
    );
    assert_eq!(post.status(), 405);
    assert_eq!(post.headers()["allow"], "GET, HEAD");
}
