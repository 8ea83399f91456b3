//! Inbound policies: what the policy layer costs per received activity, beside what the
//! signature check of the same delivery costs.
//!
//! Criterion measures, in one run:
//! - `policy/filter-10-policies-10k-domains`: [`PolicySet::filter`] with ten policies (a
//!   10,000-domain block list, an allow list in passing mode, media stripped, unlisted and
//!   sensitive for three scoped lists of 1,000 domains each, a keyword list, a mention
//!   limit, marking media sensitive, and two application policies) on a Mastodon-shaped
//!   `Create(Note)` with an image and two mentions from an unlisted domain: every policy
//!   runs, none rejects;
//! - `policy/admit-10-policies-10k-domains`: [`PolicySet::admit`] with the same set (the
//!   request-path check before the signature);
//! - `policy/filter-blocked`: the same activity from a subdomain of a blocked domain (the
//!   first policy rejects);
//! - `sig/verify-cavage-rsa2048`: a full draft-cavage RSA-2048 check of a signed 2 KB POST
//!   (digest included, key already parsed), as `benches/sig.rs` measures it.
//!
//! The filter benchmarks run on a fresh copy of the activity each time (rewrites change it),
//! made outside the timed part (`iter_batched_ref`); `policy/clone-activity` shows what that
//! copy would have cost. A summary prints the ratio of the policy layer (admit + filter) to
//! the signature check (`WOOLLY_BENCH_NO_SUMMARY=1` skips it).

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use activitypub_core::engine::InboxActivity;
use activitypub_core::policy::{
    AllowDomains, BlockDomains, DomainSet, DropKeywords, ForceUnlisted, LimitMentions,
    MarkSensitive, OnDomains, Policy, PolicySet, Sender, StripMedia, Verdict,
};
use activitypub_core::Activity;
use criterion::{BatchSize, Criterion};
use http_sig::{PrivateKey, PublicKey, SignOptions, VerifyPolicy};

/// An application's own policy: drops `Flag`s.
struct NoFlags;
impl Policy for NoFlags {
    fn name(&self) -> &str {
        "no_flags"
    }
    fn filter(&self, a: &mut InboxActivity, _s: Sender<'_>) -> Verdict {
        if a.kind() == "Flag" {
            Verdict::reject("no reports")
        } else {
            Verdict::Accept
        }
    }
}

/// An application's own policy: refuses posts without an id.
struct NeedsIds;
impl Policy for NeedsIds {
    fn name(&self) -> &str {
        "needs_ids"
    }
    fn filter(&self, a: &mut InboxActivity, _s: Sender<'_>) -> Verdict {
        match activitypub_core::policy::post(a) {
            Some(o) if o.id.is_none() => Verdict::reject("a post without an id"),
            _ => Verdict::Accept,
        }
    }
}

fn domains(prefix: &str, n: usize) -> DomainSet {
    (0..n)
        .map(|i| format!("{prefix}{i}.example"))
        .collect::<DomainSet>()
}

/// Ten policies over 10,000 blocked domains (and 1,000-domain scoped lists).
fn policies() -> PolicySet {
    let mut allowed: Vec<String> = (0..1000).map(|i| format!("ok{i}.example")).collect();
    allowed.push("mastodon.example".into());
    PolicySet::new()
        .with(AllowDomains::new(allowed.iter().collect()))
        .with(BlockDomains::new(domains("blocked", 10_000)))
        .with(OnDomains::new(domains("nomedia", 1000), StripMedia))
        .with(OnDomains::new(domains("silenced", 1000), ForceUnlisted))
        .with(OnDomains::new(domains("nsfw", 1000), MarkSensitive))
        .with(DropKeywords::new([
            "casino",
            "viagra",
            "crypto giveaway",
            "free followers",
            "click here",
            "nigerian prince",
            "lottery",
            "weight loss",
            "hot singles",
            "work from home",
        ]))
        .with(LimitMentions::new(10))
        .with(MarkSensitive)
        .with(NoFlags)
        .with(NeedsIds)
}

fn create_note(actor: &str) -> Activity {
    let host = actor.split('/').nth(2).unwrap_or("mastodon.example");
    serde_json::from_value(serde_json::json!({
        "@context": ["https://www.w3.org/ns/activitystreams", {"sensitive": "as:sensitive"}],
        "id": format!("https://{host}/users/alice/statuses/109/activity"),
        "type": "Create",
        "actor": actor,
        "published": "2026-12-07T10:00:00Z",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [format!("https://{host}/users/alice/followers"), "https://wool.example/users/bob"],
        "object": {
            "id": format!("https://{host}/users/alice/statuses/109"),
            "type": "Note",
            "attributedTo": actor,
            "published": "2026-12-07T10:00:00Z",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": [format!("https://{host}/users/alice/followers"), "https://wool.example/users/bob"],
            "sensitive": false,
            "summary": null,
            "content": "<p><span class=\"h-card\"><a href=\"https://wool.example/@bob\" class=\"u-url mention\">@<span>bob</span></a></span> <span class=\"h-card\"><a href=\"https://wool.example/@carol\" class=\"u-url mention\">@<span>carol</span></a></span> Shearing season is here again, and the flock is looking rather splendid this year. Photos of the new lambs below; more at the farm open day next week.</p>",
            "contentMap": {"en": "<p>Shearing season is here again, and the flock is looking rather splendid this year.</p>"},
            "attachment": [{"type": "Document", "mediaType": "image/jpeg",
                "url": format!("https://files.{host}/media/1.jpg"), "name": "lambs", "blurhash": "UBL_:rOpGG-oBUNG,qRj2so|=eE1w^n4S5NH", "width": 1200, "height": 800}],
            "tag": [
                {"type": "Mention", "href": "https://wool.example/users/bob", "name": "@bob@wool.example"},
                {"type": "Mention", "href": "https://wool.example/users/carol", "name": "@carol@wool.example"},
                {"type": "Hashtag", "href": format!("https://{host}/tags/sheep"), "name": "#sheep"}
            ],
            "replies": {"id": format!("https://{host}/users/alice/statuses/109/replies"), "type": "Collection",
                "first": {"type": "CollectionPage", "items": [], "next": format!("https://{host}/users/alice/statuses/109/replies?page=true"),
                "partOf": format!("https://{host}/users/alice/statuses/109/replies")}}
        }
    }))
    .expect("a valid activity")
}

struct Sig {
    signed: http::request::Parts,
    body: Vec<u8>,
    public: PublicKey,
    now: SystemTime,
}

fn sig_fixture() -> Sig {
    let key = PrivateKey::generate_rsa(2048).expect("RSA key");
    let body = serde_json::to_vec(&create_note("https://mastodon.example/users/alice"))
        .expect("serializes");
    let now = SystemTime::now();
    let mut signed = http::Request::post("https://wool.example/inbox")
        .header("content-type", "application/activity+json")
        .body(())
        .expect("request")
        .into_parts()
        .0;
    http_sig::sign_request(
        &mut signed,
        &body,
        &key,
        &SignOptions::cavage("https://mastodon.example/users/alice#main-key"),
        now,
    )
    .expect("signs");
    let public = PublicKey::from_pem(&key.public_key().to_pem().expect("pem")).expect("parses");
    Sig {
        signed,
        body,
        public,
        now,
    }
}

fn verify(s: &Sig) -> bool {
    http_sig::verify_request(&s.signed, &s.body, &VerifyPolicy::default(), s.now, |_| {
        Some(s.public.clone())
    })
    .is_ok()
}

/// Nanoseconds per call of `op`, over about `secs` seconds.
fn per_call(secs: f64, mut op: impl FnMut()) -> f64 {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed().as_secs_f64() < secs {
        for _ in 0..64 {
            op();
        }
        n += 64;
    }
    start.elapsed().as_secs_f64() * 1e9 / n as f64
}

fn main() {
    let set = policies();
    assert_eq!(set.len(), 10);
    let actor = "https://mastodon.example/users/alice";
    let received = InboxActivity::new(create_note(actor), actor);
    {
        let mut a = received.clone();
        let out = set.filter(&mut a).expect("accepted");
        assert_eq!(
            out.rewritten_by,
            ["mark_sensitive"],
            "every policy ran, one rewrote"
        );
    }
    let blocked_actor = "https://eu.blocked4242.example/users/x";
    let blocked = InboxActivity::new(create_note(blocked_actor), blocked_actor);
    assert!(set.filter(&mut blocked.clone()).is_err());
    let sig = sig_fixture();
    assert!(verify(&sig));

    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
        .configure_from_args();
    let mut g = c.benchmark_group("policy");
    g.bench_function("filter-10-policies-10k-domains", |b| {
        b.iter_batched_ref(
            || received.clone(),
            |a| black_box(set.filter(black_box(a)).is_ok()),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("clone-activity", |b| b.iter(|| black_box(received.clone())));
    g.bench_function("admit-10-policies-10k-domains", |b| {
        b.iter(|| black_box(set.admit(black_box(actor)).is_ok()))
    });
    g.bench_function("filter-blocked", |b| {
        b.iter_batched_ref(
            || blocked.clone(),
            |a| black_box(set.filter(black_box(a)).is_err()),
            BatchSize::SmallInput,
        )
    });
    g.finish();
    c.bench_function("sig/verify-cavage-rsa2048", |b| {
        b.iter(|| black_box(verify(black_box(&sig))))
    });
    c.final_summary();

    let bench_mode = std::env::args().any(|a| a == "--bench");
    if bench_mode && std::env::var_os("WOOLLY_BENCH_NO_SUMMARY").is_none() {
        // One copy filtered again and again: after the first run nothing is left to rewrite,
        // but every policy still runs its checks (the cost of a rewrite is a field write).
        let mut copy = received.clone();
        let filter = per_call(2.0, || {
            black_box(set.filter(black_box(&mut copy)).is_ok());
        });
        let admit = per_call(1.0, || {
            black_box(set.admit(actor).is_ok());
        });
        let verify_ns = per_call(2.0, || {
            black_box(verify(&sig));
        });
        let policy = filter + admit;
        println!("\nsummary (ns per activity, wall clock, one thread):");
        println!("  policy filter                    {filter:>9.0}");
        println!("  policy admit                     {admit:>9.0}");
        println!("  policy layer total               {policy:>9.0}  (target < 2000)");
        println!("  cavage RSA-2048 verify           {verify_ns:>9.0}");
        println!(
            "  ratio policy / verify            {:>9.4}  ({:.1}% of the signature check)",
            policy / verify_ns,
            100.0 * policy / verify_ns
        );
    }
}
