//! Each built-in policy on real documents from the shared corpus (read at test time) and on
//! Mastodon-shaped activities.

use std::path::PathBuf;

use super::*;
use crate::{Activity, Visibility};

fn corpus(rel: &str) -> Option<Activity> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/corpus/objects")
        .join(rel);
    let bytes = std::fs::read(&path).ok()?;
    Some(serde_json::from_slice(&bytes).expect("a corpus activity parses"))
}

/// A corpus activity as received from its actor; falls back to an equivalent inline
/// document when the corpus is not beside the project.
fn received(rel: &str, fallback: serde_json::Value) -> InboxActivity {
    let activity =
        corpus(rel).unwrap_or_else(|| serde_json::from_value(fallback).expect("fallback parses"));
    let actor = activity.actor_ids()[0].to_owned();
    InboxActivity::new(activity, actor)
}

const PUBLIC_IRI: &str = "https://www.w3.org/ns/activitystreams#Public";

fn create_with_attachment() -> InboxActivity {
    received(
        "mastodon/pleroma-fixture_mastodon-create-with-attachment.json",
        serde_json::json!({
            "id": "http://mastodon.example.org/users/admin/statuses/99512778738411822/activity",
            "type": "Create",
            "actor": "http://mastodon.example.org/users/admin",
            "to": [PUBLIC_IRI],
            "cc": ["http://mastodon.example.org/users/admin/followers"],
            "object": {
                "id": "http://mastodon.example.org/users/admin/statuses/99512778738411822",
                "type": "Note",
                "attributedTo": "http://mastodon.example.org/users/admin",
                "to": [PUBLIC_IRI],
                "cc": ["http://mastodon.example.org/users/admin/followers"],
                "sensitive": false,
                "content": "<p>a picture</p>",
                "attachment": [{"type": "Document", "mediaType": "image/jpeg",
                    "url": "http://mastodon.example.org/system/media_attachments/files/000/000/002/original/334ce029e7bfb920.jpg"}]
            }
        }),
    )
}

fn create_with_mention() -> InboxActivity {
    received(
        "mastodon/pleroma-fixture_mastodon-post-activity.json",
        serde_json::json!({
            "id": "http://mastodon.example.org/users/admin/statuses/99512778738411822/activity",
            "type": "Create",
            "actor": "http://mastodon.example.org/users/admin",
            "to": [PUBLIC_IRI],
            "cc": ["http://mastodon.example.org/users/admin/followers", "http://localtesting.pleroma.lol/users/lain"],
            "object": {
                "id": "http://mastodon.example.org/users/admin/statuses/99512778738411822",
                "type": "Note",
                "attributedTo": "http://mastodon.example.org/users/admin",
                "to": [PUBLIC_IRI],
                "cc": ["http://mastodon.example.org/users/admin/followers", "http://localtesting.pleroma.lol/users/lain"],
                "content": "<p><span class=\"h-card\"><a href=\"http://localtesting.pleroma.lol/users/lain\" class=\"u-url mention\">@<span>lain</span></a></span></p>",
                "tag": [{"type": "Mention", "href": "http://localtesting.pleroma.lol/users/lain", "name": "@lain@localtesting.pleroma.lol"}]
            }
        }),
    )
}

fn announce() -> InboxActivity {
    received(
        "mastodon/pixelfed-test_announce_mastodon-social_2018.json",
        serde_json::json!({
            "id": "https://mastodon.social/users/dansup/statuses/100784657480587830/activity",
            "type": "Announce",
            "actor": "https://mastodon.social/users/dansup",
            "to": [PUBLIC_IRI],
            "cc": ["https://pleroma.site/users/pixeldev", "https://mastodon.social/users/dansup/followers"],
            "object": "https://pleroma.site/objects/68b5c876-f52b-4819-8d81-de6839d73fbc"
        }),
    )
}

fn note(a: &InboxActivity) -> &Object {
    post(a).expect("a post")
}

fn embedded(a: &InboxActivity) -> &Object {
    match a.activity.first_object().and_then(|r| r.object()) {
        Some(AnyObject::Object(o)) => o,
        _ => panic!("an embedded post"),
    }
}

#[test]
fn host_of_takes_the_bare_lowercase_host() {
    assert_eq!(
        host_of("https://Social.Example:8443/users/a"),
        "social.example"
    );
    assert_eq!(host_of("https://u@x.example/a?b#c"), "x.example");
    assert_eq!(host_of("http://[::1]:80/a"), "[::1");
    assert_eq!(host_of("not an iri"), "not an iri");
    assert_eq!(host_of(""), "");
}

#[test]
fn domain_sets_match_subdomains_and_nothing_else() {
    let s = DomainSet::from_iter(["Example.com.", " bad.example ", ""]);
    assert_eq!(s.len(), 2);
    assert!(s.contains("example.com"));
    assert!(s.contains("social.example.com"));
    assert_eq!(s.matching("a.b.example.com"), Some("example.com"));
    assert!(!s.contains("notexample.com"));
    assert!(!s.contains("com"));
    assert!(!s.contains(""));
    assert!(s.contains_iri("https://EU.bad.example:443/users/x"));
    assert!(!DomainSet::new().contains("example.com"));
}

#[test]
fn block_domains_refuses_at_admission_and_in_the_queue() {
    let set = PolicySet::new().with(BlockDomains::new(DomainSet::from_iter([
        "mastodon.example.org",
    ])));
    let refused = set
        .admit("http://mastodon.example.org/users/admin")
        .expect_err("blocked");
    assert_eq!(refused.policy, "block_domains");
    assert_eq!(refused.reason, "mastodon.example.org is blocked");
    assert!(set.admit("https://elsewhere.example/users/a").is_ok());
    // Queued before the block: refused when handled.
    let mut a = create_with_mention();
    assert_eq!(
        set.filter(&mut a).expect_err("blocked").to_string(),
        "refused by policy block_domains: mastodon.example.org is blocked"
    );
    // The signer is given back after the run.
    assert_eq!(a.signer, "http://mastodon.example.org/users/admin");
}

#[test]
fn block_domains_refuses_boosts_of_blocked_posts() {
    let set = PolicySet::new().with(BlockDomains::new(DomainSet::from_iter(["pleroma.site"])));
    let mut a = announce();
    let refused = set.filter(&mut a).expect_err("a boost of a blocked post");
    assert!(refused.reason.contains("pleroma.site"), "{refused}");
    assert!(set.admit("https://mastodon.social/users/dansup").is_ok());
}

#[test]
fn allow_domains_hears_only_listed_domains() {
    let set = PolicySet::new().with(AllowDomains::new(DomainSet::from_iter(["example.org"])));
    assert!(set.admit("http://mastodon.example.org/users/admin").is_ok());
    let refused = set
        .admit("https://mastodon.social/users/dansup")
        .expect_err("not listed");
    assert_eq!(refused.reason, "mastodon.social is not an allowed domain");
    assert!(set.filter(&mut announce()).is_err());
    assert!(set.filter(&mut create_with_mention()).is_ok());
    // An empty allow list hears nobody.
    let none = PolicySet::new().with(AllowDomains::new(DomainSet::new()));
    assert!(none.admit("https://a.example/u").is_err());
}

#[test]
fn strip_media_removes_attachments_from_both_copies_of_the_post() {
    let mut a = create_with_attachment();
    assert!(note(&a).attachment.is_some());
    let set = PolicySet::new().with(StripMedia);
    let out = set.filter(&mut a).expect("accepted");
    assert_eq!(out.rewritten_by, ["strip_media"]);
    assert!(note(&a).attachment.is_none());
    assert!(embedded(&a).attachment.is_none());
    // Nothing left to strip: unchanged the second time.
    assert!(set
        .filter(&mut a)
        .expect("accepted")
        .rewritten_by
        .is_empty());
    // Other kinds are left alone.
    assert!(set
        .filter(&mut announce())
        .expect("ok")
        .rewritten_by
        .is_empty());
}

#[test]
fn strip_media_keeps_profile_fields_and_drops_avatars_of_actor_updates() {
    let update: Activity = serde_json::from_value(serde_json::json!({
        "id": "https://m.example/users/a#updates/1",
        "type": "Update",
        "actor": "https://m.example/users/a",
        "object": {
            "id": "https://m.example/users/a",
            "type": "Person",
            "inbox": "https://m.example/users/a/inbox",
            "icon": {"type": "Image", "url": "https://m.example/a.png"},
            "image": {"type": "Image", "url": "https://m.example/h.png"},
            "attachment": [{"type": "PropertyValue", "name": "web", "value": "x"}]
        }
    }))
    .expect("parses");
    let mut a = InboxActivity::new(update, "https://m.example/users/a");
    let out = PolicySet::new()
        .with(StripMedia)
        .filter(&mut a)
        .expect("ok");
    assert_eq!(out.rewritten_by, ["strip_media"]);
    let Some(AnyObject::Actor(actor)) = &a.object else {
        panic!("an actor")
    };
    assert!(actor.icon.is_none() && actor.image.is_none());
    assert_eq!(actor.attachment.as_ref().map(|l| l.len()), Some(1));
}

#[test]
fn mark_sensitive_marks_posts_with_media_only() {
    let set = PolicySet::new().with(MarkSensitive);
    let mut a = create_with_attachment();
    assert_eq!(note(&a).sensitive, Some(false));
    assert_eq!(
        set.filter(&mut a).expect("ok").rewritten_by,
        ["mark_sensitive"]
    );
    assert_eq!(note(&a).sensitive, Some(true));
    assert_eq!(embedded(&a).sensitive, Some(true));
    let plain: Activity = serde_json::from_value(serde_json::json!({
        "id": "https://m.example/a/1", "type": "Create", "actor": "https://m.example/u",
        "object": {"id": "https://m.example/n/1", "type": "Note", "content": "words only"}
    }))
    .expect("parses");
    let mut b = InboxActivity::new(plain, "https://m.example/u");
    assert!(set.filter(&mut b).expect("ok").rewritten_by.is_empty());
    assert_eq!(note(&b).sensitive, None, "no media, nothing marked");
}

#[test]
fn drop_keywords_matches_case_insensitively_in_text() {
    let set = PolicySet::new().with(DropKeywords::new(["LAIN", ""]));
    let refused = set
        .filter(&mut create_with_mention())
        .expect_err("has the word");
    assert_eq!(refused.reason, "contains the keyword \"LAIN\"");
    let other = PolicySet::new().with(DropKeywords::new(["viagra"]));
    assert!(other.filter(&mut create_with_mention()).is_ok());
    // No keywords: nothing dropped.
    let empty = PolicySet::new().with(DropKeywords::new(Vec::<String>::new()));
    assert!(empty.filter(&mut create_with_mention()).is_ok());
}

#[test]
fn force_unlisted_moves_public_to_cc_everywhere() {
    let mut a = create_with_mention();
    assert_eq!(Visibility::of_object(note(&a), None), Visibility::Public);
    let set = PolicySet::new().with(ForceUnlisted);
    assert_eq!(
        set.filter(&mut a).expect("ok").rewritten_by,
        ["force_unlisted"]
    );
    for o in [note(&a), embedded(&a), &a.activity.base] {
        assert_eq!(Visibility::of_object(o, None), Visibility::Unlisted);
        assert!(o.cc.as_ref().expect("cc").iter().any(|c| c == PUBLIC_IRI));
        assert!(!o.to.as_ref().expect("to").iter().any(|c| is_public_iri(c)));
    }
    // The mentioned account is still addressed.
    assert!(note(&a)
        .cc
        .as_ref()
        .expect("cc")
        .iter()
        .any(|c| c == "http://localtesting.pleroma.lol/users/lain"));
    // Already unlisted: unchanged.
    assert!(set.filter(&mut a).expect("ok").rewritten_by.is_empty());
}

fn is_public_iri(s: &str) -> bool {
    crate::visibility::is_public(s)
}

#[test]
fn limit_mentions_drops_posts_over_the_limit() {
    assert!(PolicySet::new()
        .with(LimitMentions::new(1))
        .filter(&mut create_with_mention())
        .is_ok());
    let refused = PolicySet::new()
        .with(LimitMentions::new(0))
        .filter(&mut create_with_mention())
        .expect_err("one mention over none");
    assert_eq!(refused.policy, "limit_mentions");
    assert_eq!(refused.reason, "mentions more than 0 accounts");
    // Ten distinct mentions against a limit of five; a repeated href counts once.
    let tags: Vec<_> = (0..10)
        .map(|i| serde_json::json!({"type": "Mention", "href": format!("https://x.example/u/{i}")}))
        .chain(std::iter::once(
            serde_json::json!({"type": "Mention", "href": "https://x.example/u/0"}),
        ))
        .collect();
    let spam: Activity = serde_json::from_value(serde_json::json!({
        "id": "https://spam.example/a/1", "type": "Create", "actor": "https://spam.example/u",
        "object": {"id": "https://spam.example/n/1", "type": "Note", "content": "hi", "tag": tags}
    }))
    .expect("parses");
    let mut a = InboxActivity::new(spam.clone(), "https://spam.example/u");
    assert!(PolicySet::new()
        .with(LimitMentions::new(5))
        .filter(&mut a)
        .is_err());
    let mut a = InboxActivity::new(spam, "https://spam.example/u");
    assert!(PolicySet::new()
        .with(LimitMentions::new(10))
        .filter(&mut a)
        .is_ok());
}

#[test]
fn on_domains_scopes_a_policy_and_the_first_rejection_wins() {
    let loud = DomainSet::from_iter(["example.org"]);
    let set = PolicySet::new()
        .with(OnDomains::new(loud.clone(), StripMedia).named("reject_media"))
        .with(OnDomains::new(
            DomainSet::from_iter(["elsewhere.example"]),
            ForceUnlisted,
        ))
        .with(LimitMentions::new(0))
        .with(MarkSensitive);
    assert_eq!(
        set.names(),
        [
            "reject_media",
            "force_unlisted",
            "limit_mentions",
            "mark_sensitive"
        ]
    );
    let mut a = create_with_attachment();
    let out = set.filter(&mut a).expect("no mentions");
    // Stripped (scoped, matching); not unlisted (scoped elsewhere); nothing left to mark.
    assert_eq!(out.rewritten_by, ["reject_media"]);
    assert_eq!(Visibility::of_object(note(&a), None), Visibility::Public);
    let refused = set
        .filter(&mut create_with_mention())
        .expect_err("a mention");
    assert_eq!(refused.policy, "limit_mentions");
}

/// An application's own policy, next to the built-in ones.
struct NoFlags;

impl Policy for NoFlags {
    fn name(&self) -> &str {
        "no_flags"
    }
    fn filter(&self, activity: &mut InboxActivity, sender: Sender<'_>) -> Verdict {
        if activity.kind() == "Flag" {
            Verdict::reject(format!("reports from {} are not taken", sender.host))
        } else {
            Verdict::Accept
        }
    }
}

#[test]
fn applications_add_their_own_policies() {
    let set = PolicySet::new().with(std::sync::Arc::new(NoFlags));
    let flag = received(
        "mastodon/flag.json",
        serde_json::json!({
            "id": "https://mastodon.example/ccb4f39a-506a-490e-9a8c-71831c7713a4",
            "type": "Flag",
            "actor": "https://mastodon.example/actor",
            "content": "Please take a look at this user and their posts",
            "object": ["https://example.com/users/1"]
        }),
    );
    let host = host_of(&flag.signer).into_owned();
    let mut flag = flag;
    let refused = set.filter(&mut flag).expect_err("a Flag");
    assert_eq!(refused.reason, format!("reports from {host} are not taken"));
    assert!(set.filter(&mut create_with_mention()).is_ok());
    assert!(
        PolicySet::new().filter(&mut flag).is_ok(),
        "an empty set accepts"
    );
    assert!(format!("{set:?}").contains("no_flags"));
}
