//! The client half: exact request bytes and the lookup step machine.
#![allow(clippy::unwrap_used)]

use http::{Request, Response};
use webfinger::client::{
    host_meta_json_request, host_meta_request, parse_response, webfinger_request, ClientOptions,
    Lookup, Step,
};
use webfinger::server::{host_meta_response, respond, AccountDescriptor};
use webfinger::{Account, Error, Resource};

fn res(status: u16, body: &str) -> Response<Vec<u8>> {
    Response::builder()
        .status(status)
        .body(body.as_bytes().to_vec())
        .unwrap()
}

fn redirect(status: u16, location: &str) -> Response<Vec<u8>> {
    Response::builder()
        .status(status)
        .header("location", location)
        .body(Vec::new())
        .unwrap()
}

fn jrd(subject: &str, actor: &str) -> String {
    format!(
        r#"{{"subject":"{subject}","links":[{{"rel":"self","type":"application/activity+json","href":"{actor}"}}]}}"#
    )
}

fn uri(req: &Request<()>) -> String {
    req.uri().to_string()
}

#[test]
fn request_uris_exact() {
    let o = ClientOptions::default();
    let cases = [
        (
            "acct:alice@example.com",
            "https://example.com/.well-known/webfinger?resource=acct%3Aalice%40example.com",
        ),
        (
            "@Alice@Example.COM",
            "https://example.com/.well-known/webfinger?resource=acct%3AAlice%40example.com",
        ),
        (
            "bob@127.0.0.2:8080",
            "https://127.0.0.2:8080/.well-known/webfinger?resource=acct%3Abob%40127.0.0.2%3A8080",
        ),
        (
            "anna@bücher.example",
            "https://xn--bcher-kva.example/.well-known/webfinger?resource=acct%3Aanna%40xn--bcher-kva.example",
        ),
        (
            "acct:first%2Blast@example.com",
            "https://example.com/.well-known/webfinger?resource=acct%3Afirst%2Blast%40example.com",
        ),
        (
            "acct:j%C3%BCrgen@example.com",
            "https://example.com/.well-known/webfinger?resource=acct%3Aj%25C3%25BCrgen%40example.com",
        ),
        (
            "https://example.com/users/alice?x=1#frag",
            "https://example.com/.well-known/webfinger?resource=https%3A%2F%2Fexample.com%2Fusers%2Falice%3Fx%3D1%23frag",
        ),
        (
            "https://[::1]:3000/@a",
            "https://[::1]:3000/.well-known/webfinger?resource=https%3A%2F%2F%5B%3A%3A1%5D%3A3000%2F%40a",
        ),
    ];
    for (input, expected) in cases {
        let req = webfinger_request(&input.parse().unwrap(), &o).unwrap();
        assert_eq!(uri(&req), expected, "{input}");
        assert_eq!(req.method(), http::Method::GET);
        assert_eq!(
            req.headers()["accept"].as_bytes(),
            b"application/jrd+json, application/json"
        );
        assert_eq!(req.headers().len(), 1);
    }
}

#[test]
fn request_with_rels_and_plain_http() {
    let o = ClientOptions::default()
        .with_plain_http(true)
        .with_rels(["self", "http://webfinger.net/rel/profile-page"]);
    let req = webfinger_request(&"kit@localhost:8080".parse().unwrap(), &o).unwrap();
    assert_eq!(
        uri(&req),
        "http://localhost:8080/.well-known/webfinger?resource=acct%3Akit%40localhost%3A8080&rel=self&rel=http%3A%2F%2Fwebfinger.net%2Frel%2Fprofile-page"
    );
}

#[test]
fn host_meta_requests_exact() {
    let o = ClientOptions::default();
    let xml = host_meta_request("Example.com", &o).unwrap();
    assert_eq!(uri(&xml), "https://example.com/.well-known/host-meta");
    assert_eq!(
        xml.headers()["accept"],
        "application/xrd+xml, application/xml, text/xml"
    );
    let json = host_meta_json_request("example.com:8443", &o).unwrap();
    assert_eq!(
        uri(&json),
        "https://example.com:8443/.well-known/host-meta.json"
    );
    assert_eq!(
        json.headers()["accept"],
        "application/json, application/jrd+json"
    );
    assert!(host_meta_request("exa mple.com", &o)
        .unwrap_err()
        .is_invalid_resource());
    assert!(host_meta_request("example.com/x", &o).is_err());
}

#[test]
fn response_status_handling() {
    let o = ClientOptions::default();
    assert!(matches!(
        parse_response(&res(404, ""), &o),
        Err(Error::NotFound)
    ));
    let gone = parse_response(&res(410, ""), &o).unwrap_err();
    assert!(gone.is_gone() && gone.is_not_found());
    let e = parse_response(&res(503, ""), &o).unwrap_err();
    assert!(e.is_retryable());
    assert!(!parse_response(&res(400, ""), &o)
        .unwrap_err()
        .is_retryable());
    // Wrong content type, JSON body: accepted.
    let wrong_type = Response::builder()
        .status(200)
        .header("content-type", "text/html")
        .body(jrd("acct:a@b.example", "https://b.example/a").into_bytes())
        .unwrap();
    assert_eq!(
        parse_response(&wrong_type, &o).unwrap().subject.as_deref(),
        Some("acct:a@b.example")
    );
    // A byte order mark before the JSON.
    let bom = format!("\u{feff}{}", jrd("acct:a@b.example", "https://b.example/a"));
    assert!(parse_response(&res(200, &bom), &o)
        .unwrap()
        .actor_url()
        .is_some());
    // An HTML error page with status 200: a typed error.
    let html = parse_response(&res(200, "<html><body>hi</body></html>"), &o).unwrap_err();
    assert!(html.is_invalid_response());
    let big = "x".repeat(o.max_body_bytes + 1);
    assert!(matches!(
        parse_response(&res(200, &big), &o),
        Err(Error::BodyTooLarge { .. })
    ));
}

fn start(resource: &str) -> (Lookup, Request<()>) {
    let lookup = Lookup::new(resource.parse().unwrap(), ClientOptions::default()).unwrap();
    let req = lookup.next_request().unwrap();
    (lookup, req)
}

fn expect_request(step: Step) -> Request<()> {
    match step {
        Step::Request(r) => r,
        other => panic!("expected a request, got {other:?}"),
    }
}

#[test]
fn lookup_falls_back_to_host_meta_on_404() {
    let (mut l, req) = start("@carol@example.org");
    assert_eq!(
        uri(&req),
        "https://example.org/.well-known/webfinger?resource=acct%3Acarol%40example.org"
    );
    let hm = expect_request(l.feed(&res(404, "")).unwrap());
    assert_eq!(uri(&hm), "https://example.org/.well-known/host-meta");
    assert_eq!(
        hm.headers()["accept"],
        "application/xrd+xml, application/xml, text/xml"
    );
    let answer = host_meta_response(&"https://wf.example.net".parse().unwrap());
    let wf = expect_request(l.feed(&answer).unwrap());
    assert_eq!(
        uri(&wf),
        "https://wf.example.net/.well-known/webfinger?resource=acct%3Acarol%40example.org"
    );
    let done = l
        .feed(&res(
            200,
            &jrd("acct:carol@example.org", "https://wf.example.net/u/carol"),
        ))
        .unwrap();
    let Step::Done(found) = done else {
        panic!("expected done")
    };
    assert_eq!(found.actor.as_str(), "https://wf.example.net/u/carol");
    assert_eq!(found.hops, 0);
    assert!(matches!(
        l.feed(&res(200, "{}")),
        Err(Error::LookupFinished)
    ));
}

#[test]
fn lookup_host_meta_pointing_back_is_not_found() {
    let (mut l, _) = start("@nobody@example.org");
    l.feed(&res(404, "")).unwrap();
    let answer = host_meta_response(&"https://example.org".parse().unwrap());
    assert!(matches!(l.feed(&answer), Err(Error::NotFound)));
    assert!(l.next_request().is_none());
}

#[test]
fn lookup_host_meta_missing_is_not_found() {
    let (mut l, _) = start("@nobody@example.org");
    l.feed(&res(404, "")).unwrap();
    assert!(l.feed(&res(404, "")).unwrap_err().is_not_found());

    let (mut l, _) = start("@nobody@example.org");
    l.feed(&res(404, "")).unwrap();
    // Template leads to a second 404: not found, and no more host-meta.
    let answer = host_meta_response(&"https://other.example".parse().unwrap());
    l.feed(&answer).unwrap();
    assert!(matches!(l.feed(&res(404, "")), Err(Error::NotFound)));
}

#[test]
fn lookup_gone_and_server_errors() {
    let (mut l, _) = start("@old@example.org");
    assert!(l.feed(&res(410, "")).unwrap_err().is_gone());
    let (mut l, _) = start("@busy@example.org");
    assert!(l.feed(&res(502, "")).unwrap_err().is_retryable());
}

#[test]
fn lookup_follows_redirects_within_bounds() {
    let (mut l, _) = start("@dan@example.org");
    let next = expect_request(
        l.feed(&redirect(
            301,
            "https://www.example.org/.well-known/webfinger?resource=acct%3Adan%40example.org",
        ))
        .unwrap(),
    );
    assert_eq!(
        uri(&next),
        "https://www.example.org/.well-known/webfinger?resource=acct%3Adan%40example.org"
    );
    // Relative redirect.
    let next = expect_request(l.feed(&redirect(302, "/wf?r=dan")).unwrap());
    assert_eq!(uri(&next), "https://www.example.org/wf?r=dan");
    let next = expect_request(l.feed(&redirect(307, "/wf2")).unwrap());
    assert_eq!(uri(&next), "https://www.example.org/wf2");
    assert!(l
        .feed(&redirect(308, "/wf3"))
        .unwrap_err()
        .is_too_many_hops());

    // Downgrade to http is refused unless plain_http.
    let (mut l, _) = start("@dan@example.org");
    assert!(matches!(
        l.feed(&redirect(301, "http://example.org/x")),
        Err(Error::InvalidUri(_))
    ));
    // A redirect without Location.
    let (mut l, _) = start("@dan@example.org");
    assert!(matches!(
        l.feed(&res(302, "")),
        Err(Error::UnexpectedStatus(s)) if s == 302
    ));
}

/// A spoofing answer (Pleroma's `webfinger_spoof` test idea): example.org claims an account on
/// notwhereitshouldbe.example; that domain, asked to confirm, does not know it.
#[test]
fn lookup_spoofed_subject_is_not_trusted() {
    let (mut l, _) = start("@meanie@example.org");
    let confirm = expect_request(
        l.feed(&res(
            200,
            &jrd(
                "acct:oopsie@notwhereitshouldbe.example",
                "https://example.org/users/meanie",
            ),
        ))
        .unwrap(),
    );
    assert_eq!(
        uri(&confirm),
        "https://notwhereitshouldbe.example/.well-known/webfinger?resource=acct%3Aoopsie%40notwhereitshouldbe.example"
    );
    // Not found there (404, then no host-meta either).
    l.feed(&res(404, "")).unwrap();
    assert!(l.feed(&res(404, "")).unwrap_err().is_not_found());
}

#[test]
fn lookup_hops_are_bounded() {
    let options = ClientOptions::default().with_max_hops(2);
    let mut l = Lookup::new("@a@one.example".parse().unwrap(), options).unwrap();
    expect_request(
        l.feed(&res(200, &jrd("acct:a@two.example", "https://x.example/a")))
            .unwrap(),
    );
    expect_request(
        l.feed(&res(
            200,
            &jrd("acct:a@three.example", "https://x.example/a"),
        ))
        .unwrap(),
    );
    let err = l
        .feed(&res(
            200,
            &jrd("acct:a@four.example", "https://x.example/a"),
        ))
        .unwrap_err();
    assert!(err.is_too_many_hops(), "{err:?}");

    // A ping-pong between two domains ends too.
    let mut l = Lookup::new("@a@one.example".parse().unwrap(), ClientOptions::default()).unwrap();
    let mut steps = 0;
    let err = loop {
        steps += 1;
        assert!(steps < 10);
        let subject = if steps % 2 == 1 {
            "acct:a@two.example"
        } else {
            "acct:a@one.example"
        };
        match l.feed(&res(200, &jrd(subject, "https://x.example/a"))) {
            Ok(Step::Request(_)) => {}
            Ok(other) => panic!("{other:?}"),
            Err(e) => break e,
        }
    };
    assert!(err.is_too_many_hops());
    assert_eq!(steps, 4);

    // Hopping disabled: a mismatch is an error straight away.
    let options = ClientOptions::default().with_max_hops(0);
    let mut l = Lookup::new("@a@one.example".parse().unwrap(), options).unwrap();
    assert!(matches!(
        l.feed(&res(200, &jrd("acct:a@two.example", "https://x.example/a"))),
        Err(Error::SubjectMismatch { .. })
    ));
}

#[test]
fn lookup_subject_case_and_tolerated_subjects() {
    // Mastodon compares user names case-insensitively; hosts are normalized.
    let (mut l, _) = start("@Alice@EXAMPLE.org");
    let Step::Done(found) = l
        .feed(&res(
            200,
            &jrd("acct:alice@example.org", "https://example.org/users/alice"),
        ))
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(found.account.user(), "alice");

    // Hubzilla sends `acct:user` with no host; the queried domain answered for it.
    let (mut l, _) = start("@kaniini@hub.example");
    let Step::Done(found) = l
        .feed(&res(
            200,
            &jrd("acct:kaniini", "https://hub.example/channel/kaniini"),
        ))
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(
        found.account,
        Account::parse("kaniini@hub.example").unwrap()
    );

    // No actor link at all.
    let (mut l, _) = start("@x@example.org");
    assert!(matches!(
        l.feed(&res(200, r#"{"subject":"acct:x@example.org","links":[]}"#)),
        Err(Error::NoActorLink)
    ));
}

#[test]
fn lookup_by_url() {
    let (mut l, req) = start("https://social.example.com/users/alice");
    assert_eq!(
        uri(&req),
        "https://social.example.com/.well-known/webfinger?resource=https%3A%2F%2Fsocial.example.com%2Fusers%2Falice"
    );
    // The subject lives on the account domain: confirm it there.
    let confirm = expect_request(
        l.feed(&res(
            200,
            &jrd(
                "acct:alice@example.com",
                "https://social.example.com/users/alice",
            ),
        ))
        .unwrap(),
    );
    assert_eq!(
        uri(&confirm),
        "https://example.com/.well-known/webfinger?resource=acct%3Aalice%40example.com"
    );
    let Step::Done(found) = l
        .feed(&res(
            200,
            &jrd(
                "acct:alice@example.com",
                "https://social.example.com/users/alice",
            ),
        ))
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(found.account.to_string(), "acct:alice@example.com");
    assert_eq!(found.hops, 1);

    // A URL query must get an account subject.
    let (mut l, _) = start("https://social.example.com/users/alice");
    assert!(matches!(
        l.feed(&res(
            200,
            &jrd(
                "https://social.example.com/users/alice",
                "https://social.example.com/users/alice"
            )
        )),
        Err(Error::InvalidSubject(_))
    ));
}

/// The client half against the server half, with the account/web-domain split.
#[test]
fn lookup_against_our_server() {
    let alice = Account::parse("alice@example.com").unwrap();
    let serve = |req: &Request<()>| {
        respond(req, |r: &Resource| {
            let asked = r.as_account()?;
            // Mastodon with WEB_DOMAIN answers for both domains.
            let ours = ["example.com", "social.example.com"].contains(&asked.host());
            (ours && asked.user().eq_ignore_ascii_case(alice.user())).then(|| {
                AccountDescriptor::new(
                    alice.clone(),
                    "https://social.example.com/users/alice".parse().unwrap(),
                )
            })
        })
    };
    let mut l = Lookup::new(
        "@alice@social.example.com".parse().unwrap(),
        ClientOptions::default(),
    )
    .unwrap();
    let mut req = l.next_request().unwrap();
    let mut hosts = Vec::new();
    let found = loop {
        hosts.push(req.uri().host().unwrap().to_owned());
        // Both domains route to the same server here.
        let r = serve(&req);
        match l.feed(&r) {
            Ok(Step::Request(next)) => req = next,
            Ok(Step::Done(found)) => break found,
            Ok(other) => panic!("{other:?}"),
            Err(e) => panic!("{e}"),
        }
        assert!(hosts.len() < 10);
    };
    assert_eq!(hosts, ["social.example.com", "example.com"]);
    assert_eq!(found.account, alice);
    assert_eq!(
        found.actor.as_str(),
        "https://social.example.com/users/alice"
    );
}
