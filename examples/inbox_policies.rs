//! Inbound policies: an engine that refuses a blocked domain at its inbox, strips media from
//! another, keeps a third's posts out of public addressing, drops spam by keyword and by
//! mention count — and runs a policy of the application's own.
//!
//! Run with `cargo run -p woolly-examples --example inbox_policies`. It builds the policy set,
//! hands it to an engine (in memory), shows the request-path check and then what the set
//! does to three received activities, printing each verdict.

use std::sync::Arc;

use activitypub_core::engine::transport::memory::MemoryNetwork;
use activitypub_core::engine::{Engine, EngineConfig, InboxActivity};
use activitypub_core::policy::{
    BlockDomains, DomainSet, DropKeywords, ForceUnlisted, LimitMentions, OnDomains, Policy,
    PolicySet, Sender, StripMedia, Verdict,
};
use activitypub_core::{Activity, AnyObject, Visibility};

/// The application's own policy: no `Flag` (report) from servers it has not heard before.
struct OnlyKnownReporters {
    known: DomainSet,
}

impl Policy for OnlyKnownReporters {
    fn name(&self) -> &str {
        "only_known_reporters"
    }
    fn filter(&self, activity: &mut InboxActivity, sender: Sender<'_>) -> Verdict {
        if activity.kind() == "Flag" && !self.known.contains(sender.host) {
            Verdict::reject(format!("reports from {} are not taken", sender.host))
        } else {
            Verdict::Accept
        }
    }
}

fn policies() -> PolicySet {
    PolicySet::new()
        .with(BlockDomains::new(DomainSet::from_iter(["spam.example"])))
        .with(OnDomains::new(
            DomainSet::from_iter(["pics.example"]),
            StripMedia,
        ))
        .with(OnDomains::new(
            DomainSet::from_iter(["loud.example"]),
            ForceUnlisted,
        ))
        .with(DropKeywords::new(["casino", "free followers"]))
        .with(LimitMentions::new(5))
        .with(OnlyKnownReporters {
            known: DomainSet::from_iter(["friends.example"]),
        })
}

fn create(actor: &str, text: &str, extra: serde_json::Value) -> Activity {
    let mut note = serde_json::json!({
        "id": format!("{actor}/statuses/1"),
        "type": "Note",
        "attributedTo": actor,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "content": text,
    });
    if let (serde_json::Value::Object(n), serde_json::Value::Object(e)) = (&mut note, extra) {
        n.extend(e);
    }
    serde_json::from_value(serde_json::json!({
        "id": format!("{actor}/statuses/1/activity"),
        "type": "Create",
        "actor": actor,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": note,
    }))
    .expect("a valid activity")
}

fn describe(a: &InboxActivity) -> String {
    match &a.object {
        Some(AnyObject::Object(o)) => format!(
            "{:?}, {} attachment(s)",
            Visibility::of_object(o, None),
            o.attachment.as_ref().map_or(0, |l| l.len())
        ),
        _ => a.kind().to_owned(),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The engine runs the set on every request (admit) and every queued activity (filter).
    let engine = Engine::builder(EngineConfig::new("http://wool.example")?)
        .store(Arc::new(fedi_storage::memory::MemoryStore::new()))
        .transport(Arc::new(MemoryNetwork::new()))
        .policies(policies())
        .build()
        .await?;
    println!("policies: {:?}", engine.policies());
    for actor in [
        "https://spam.example/users/s",
        "https://eu.spam.example/users/t",
    ] {
        let verdict = engine.policies().admit(actor);
        println!("admit {actor}: {verdict:?}");
        assert!(verdict.is_err(), "blocked before its signature is checked");
    }

    let image = serde_json::json!({"attachment": [
        {"type": "Image", "mediaType": "image/png", "url": "https://pics.example/1.png"}]});
    let cases = [
        create("https://pics.example/users/p", "a photo", image.clone()),
        create("https://loud.example/users/l", "HELLO EVERYONE", image),
        create(
            "https://bots.example/users/b",
            "Win at the CASINO",
            serde_json::json!({}),
        ),
    ];
    for activity in cases {
        let actor = activity.actor_ids()[0].to_owned();
        let mut received = InboxActivity::new(activity, actor.clone());
        match engine.policies().filter(&mut received) {
            Ok(outcome) => println!(
                "{actor}: accepted, rewritten by {:?}: {}",
                outcome.rewritten_by,
                describe(&received)
            ),
            Err(refused) => println!("{actor}: {refused}"),
        }
    }

    // The rules change at run time: the whole set is swapped.
    engine.set_policies(PolicySet::new());
    assert!(engine
        .policies()
        .admit("https://spam.example/users/s")
        .is_ok());
    println!("after set_policies(PolicySet::new()): spam.example is heard again");
    Ok(())
}
