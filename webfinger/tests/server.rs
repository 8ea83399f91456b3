//! The server half: exact status, headers and body bytes.
#![allow(clippy::unwrap_used)]

use http::{Request, Response};
use webfinger::server::{
    host_meta_json_response, host_meta_response, respond, respond_to_query, AccountDescriptor,
    Query, QueryError,
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
        assert_eq!(
            headers(&res),
            [
                (
                    "content-type".into(),
                    "application/jrd+json; charset=utf-8".into()
                ),
                ("access-control-allow-origin".into(), "*".into()),
            ],
            "{uri}"
        );
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
    // A rel nobody has: subject and aliases, no links.
    let res = get("/.well-known/webfinger?resource=acct%3Aalice%40example.com&rel=nope");
    assert_eq!(
        std::str::from_utf8(res.body()).unwrap(),
        r#"{"subject":"acct:alice@example.com","aliases":["https://example.com/@alice","https://example.com/users/alice"]}"#
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
        ("/.well-known/webfinger?resource=mailto%3Aa%40example.com", 400, "malformed resource parameter\n"),
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
        assert_eq!(res.status(), status, "{uri}");
        assert_eq!(
            headers(&res),
            [
                ("content-type".into(), "text/plain; charset=utf-8".into()),
                ("access-control-allow-origin".into(), "*".into()),
            ],
            "{uri}"
        );
        assert_eq!(res.body(), body.as_bytes(), "{uri}");
    }
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
