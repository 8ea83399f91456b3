//! Property tests: resource parse ⇄ print, lossless JRD, and no panics on arbitrary input.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use serde_json::Value;
use webfinger::server::respond_to_query;
use webfinger::xrd::{parse_xrd, to_xrd};
use webfinger::{Account, Jrd, Link, Resource};

fn label() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9]([a-zA-Z0-9-]{0,8}[a-zA-Z0-9])?",
        // Internationalized labels (some lowercase by IDNA mapping, all end up in punycode).
        "[a-zäöüßéøñ]{1,6}",
    ]
}

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (prop::collection::vec(label(), 1..4), "[a-z]{2,6}")
            .prop_map(|(labels, tld)| format!("{}.{tld}", labels.join("."))),
        1 => (any::<u8>(), any::<u8>(), any::<u8>(), any::<u8>())
            .prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}")),
        1 => any::<[u16; 8]>().prop_map(|s| format!("[{}]", std::net::Ipv6Addr::from(s))),
    ]
}

fn authority() -> impl Strategy<Value = String> {
    (host(), proptest::option::of(any::<u16>())).prop_map(|(h, p)| match p {
        Some(p) => format!("{h}:{p}"),
        None => h,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any user name (any Unicode, `@`, `%`, spaces…) at any host prints to an `acct:` URI that
    /// parses back to the same account, and so do the handle and the bare forms.
    #[test]
    fn account_print_parse(user in "\\PC{1,24}", authority in authority()) {
        let account = Account::new(&user, &authority).unwrap();
        prop_assert_eq!(account.user(), user.as_str());
        let printed = account.to_string();
        prop_assert!(printed.starts_with("acct:"));
        prop_assert!(printed.is_ascii());
        prop_assert_eq!(&Account::parse(&printed).unwrap(), &account);
        prop_assert_eq!(&Account::parse(&account.handle()).unwrap(), &account);
        prop_assert_eq!(&Account::parse(&printed["acct:".len()..]).unwrap(), &account);
        // The query-string form decodes back to the same resource on the server side.
        let req = webfinger::client::webfinger_request(
            &Resource::Acct(account.clone()),
            &webfinger::client::ClientOptions::default(),
        ).unwrap();
        let mut seen = None;
        respond_to_query(req.uri().query(), |r| { seen = Some(r.clone()); None::<Jrd> });
        prop_assert_eq!(seen, Some(Resource::Acct(account)));
    }

    /// Whatever parses, prints to a canonical form that parses to the same value.
    #[test]
    fn resource_parse_print_idempotent(input in "(acct:|@|https?://|)\\PC{0,40}") {
        if let Ok(r) = Resource::parse(&input) {
            let printed = r.to_string();
            let again = Resource::parse(&printed).unwrap();
            prop_assert_eq!(&again, &r);
            prop_assert_eq!(again.to_string(), printed);
        }
    }

    #[test]
    fn resource_parse_never_panics(input in any::<String>()) {
        let _ = Resource::parse(&input);
    }

    /// Arbitrary query strings never panic and get 200, 400 or 404.
    #[test]
    fn server_query_never_panics(query in any::<String>(), bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let mut tried = Vec::new();
        for q in [query.clone(), format!("resource={query}"), String::from_utf8_lossy(&bytes).into_owned()] {
            let res = respond_to_query(Some(&q), |r| {
                tried.push(r.to_string());
                Some(Jrd::new(r.to_string()))
            });
            prop_assert!([200, 400, 404].contains(&res.status().as_u16()));
            if res.status() == 200 {
                prop_assert!(Jrd::from_slice(res.body()).is_ok());
            }
        }
    }

    #[test]
    fn jrd_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        if let Ok(jrd) = Jrd::from_slice(&bytes) {
            let again = Jrd::from_slice(&jrd.to_vec()).unwrap();
            prop_assert_eq!(again, jrd);
        }
        let _ = parse_xrd(&bytes);
        let _ = webfinger::client::parse_descriptor(&bytes);
    }

    /// Any JSON object (JRD-like or not) survives parse → serialize → parse.
    #[test]
    fn jrd_is_lossless(value in jrd_like()) {
        let bytes = serde_json::to_vec(&value).unwrap();
        let jrd = Jrd::from_slice(&bytes).unwrap();
        let again: Value = serde_json::from_slice(&jrd.to_vec()).unwrap();
        prop_assert_eq!(again, value);
    }

    /// The typed parts of a JRD survive the XML form.
    #[test]
    fn xrd_round_trip(
        subject in proptest::option::of("[^\\s\\p{C}]{0,20}"),
        aliases in prop::collection::vec("[^\\s\\p{C}]{1,20}", 0..3),
        properties in prop::collection::btree_map("[^\\p{C}]{1,10}", proptest::option::of("[^\\p{C}]{0,10}"), 0..3),
        links in prop::collection::vec(
            ("[^\\p{C}\\s]{1,10}", proptest::option::of("[^\\p{C}]{0,10}"), proptest::option::of("[^\\p{C}]{0,10}"),
             prop::collection::btree_map("[a-z]{1,5}", "[^\\p{C}]{0,10}", 0..2)),
            0..3),
    ) {
        let mut jrd = Jrd::default();
        jrd.subject = subject;
        jrd.aliases = aliases;
        jrd.properties = properties;
        for (rel, href, template, titles) in links {
            let mut link = Link::new(rel);
            link.href = href;
            link.template = template;
            link.titles = titles;
            jrd.links.push(link);
        }
        prop_assert_eq!(parse_xrd(to_xrd(&jrd).as_bytes()).unwrap(), jrd);
    }
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,8}".prop_map(Value::String),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("subject".to_owned()),
        Just("aliases".to_owned()),
        Just("properties".to_owned()),
        Just("links".to_owned()),
        Just("rel".to_owned()),
        Just("type".to_owned()),
        Just("href".to_owned()),
        Just("template".to_owned()),
        Just("titles".to_owned()),
        "[a-z]{1,4}",
    ]
}

/// Objects with JRD member names holding any JSON, including well-formed links.
fn jrd_like() -> impl Strategy<Value = Value> {
    let link = prop::collection::btree_map(key(), prop_oneof![json_leaf(), json_value()], 0..5)
        .prop_map(|m| Value::Object(m.into_iter().collect()));
    let links = prop::collection::vec(link, 0..4)
        .prop_map(Value::Array)
        .boxed();
    prop::collection::btree_map(key(), prop_oneof![json_value(), links.clone(), links], 0..6)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
}
