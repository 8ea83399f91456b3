//! ActivityStreams vocabulary and the ActivityPub federation engine.
//!
//! The vocabulary reads everything the fediverse sends and loses nothing: every typed field
//! accepts the shapes real servers vary (see [`lenient`]), and every property it has no field
//! for — or whose value has an unexpected shape — is kept in `extra`, so a document we did
//! not change serializes back to the same JSON. What we write is strict and Mastodon-shaped
//! (see [`builder`]).
//!
//! - [`vocab`]: [`Object`], [`Actor`], [`Activity`], [`Collection`], [`Link`] and
//!   [`AnyObject`] (chosen by `type` in one pass); [`Kind`] accepts unknown types.
//! - [`ObjectId`]: an absolute http(s) URL with a host, validated when parsed, typed by kind.
//! - [`lenient`]: one-or-many, IRI-or-object, language maps, lenient timestamps.
//! - [`context`]: `@context` in any shape; [`jsonld`] normalizes the few documents that
//!   redefine terms or arrive expanded.
//! - [`raw`]: the exact received bytes beside the typed value, and a cheap [`peek`] at
//!   `type`/`id`/`actor`.
//! - [`media`]: attachments, avatars and headers in every shape servers send, and media-like
//!   objects (`Video`, `Audio`, `Image`, `Event`, `Article`, `Page`) seen as posts by
//!   Mastodon's rule.
//! - [`visibility`]: Mastodon's public / unlisted / followers-only / direct / limited
//!   matrix, to and from `to`/`cc`.
//! - [`validate`]: origin checks and other findings about untrusted documents.
//! - [`nodeinfo`]: NodeInfo 2.0/2.1 and the discovery document.
//! - [`policy`]: inbound policies (a compiled MRF): block or allow domains, strip media,
//!   mark sensitive, drop keywords, force unlisted, limit mentions, and the application's
//!   own, composed in a [`PolicySet`](policy::PolicySet) the engine runs on every received
//!   activity.
//! - [`engine`]: the federation engine — inbox pipeline, durable delivery, signed fetching —
//!   over the storage traits of `fedi-storage` and a [`Transport`](engine::Transport).
//!
//! # Getting started
//!
//! ```
//! use activitypub_core::{builder, AnyObject, Kind, ObjectId, Visibility};
//!
//! // Read a Note as Pleroma sends it: `as:Public`, a single `tag` object, a vendor field.
//! let bytes = br##"{
//!   "@context": "https://www.w3.org/ns/activitystreams",
//!   "id": "https://pleroma.example/objects/1",
//!   "type": "Note",
//!   "attributedTo": "https://pleroma.example/users/ram",
//!   "to": ["as:Public"],
//!   "content": "baa",
//!   "tag": {"type": "Hashtag", "href": "https://pleroma.example/tags/sheep", "name": "#sheep"},
//!   "pleroma:quirk": {"kept": true}
//! }"##;
//! let note = AnyObject::from_slice(bytes)?;
//! assert!(note.is(&Kind::Note));
//! assert_eq!(note.content.as_deref(), Some("baa"));
//! assert_eq!(note.attributed_to_ids(), ["https://pleroma.example/users/ram"]);
//! assert_eq!(Visibility::of_object(&note, None), Visibility::Public);
//! // Nothing was lost: the unknown property is still there, and the JSON is unchanged.
//! assert!(note.extra.contains_key("pleroma:quirk"));
//! let original: serde_json::Value = serde_json::from_slice(bytes)?;
//! assert_eq!(note.to_value(), original);
//!
//! // Write a reply the way Mastodon does, and wrap it in a Create.
//! let me: ObjectId<activitypub_core::Actor> = ObjectId::parse("https://wool.example/users/alice")?;
//! let reply = builder::NoteBuilder::new(
//!     ObjectId::parse("https://wool.example/users/alice/statuses/2")?,
//!     &me,
//!     "https://wool.example/users/alice/followers",
//!     "<p>baa to you too</p>",
//!     Visibility::Public,
//! )
//! .in_reply_to(note.id.as_ref().expect("the note has an id"))
//! .build();
//! let create = builder::create(&ObjectId::parse("https://wool.example/users/alice/statuses/2/activity")?, reply);
//! let json = serde_json::to_value(&create)?;
//! assert_eq!(json["type"], "Create");
//! assert_eq!(json["to"][0], "https://www.w3.org/ns/activitystreams#Public");
//! assert_eq!(json["object"]["inReplyTo"], "https://pleroma.example/objects/1");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod builder;
pub mod context;
pub mod engine;
pub mod error;
pub mod id;
pub mod jsonld;
pub mod lenient;
pub mod media;
pub mod nodeinfo;
pub mod policy;
pub mod raw;
pub mod validate;
pub mod visibility;
pub mod vocab;

pub use context::Context;
pub use error::Error;
pub use id::ObjectId;
pub use lenient::{LanguageMap, OneOrMany, Reference, XsdDateTime};
pub use raw::{peek, Peek, Raw, Received};
pub use visibility::Visibility;
pub use vocab::{Activity, Actor, AnyObject, Collection, Kind, Link, Object};
