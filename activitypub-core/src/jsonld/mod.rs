//! JSON-LD where it matters, plain JSON where it is enough.
//!
//! Almost every ActivityPub document uses the usual contexts in the usual way:
//! the ActivityStreams context, security v1, Multikey / Data Integrity,
//! LitePub, and inline objects that add vendor terms the standard way
//! (Mastodon's `{"toot": "http://joinmastodon.org/ns#", "sensitive":
//! "as:sensitive", …}`, Misskey's `_misskey_*` terms, PeerTube's `pt:` terms).
//! Such documents are read by their plain JSON keys: [`needs_normalization`]
//! says `false`, and no JSON-LD processing happens.
//!
//! # Which documents take the slow path, and why
//!
//! [`classify`] (and its shorthand [`needs_normalization`]) flags a document
//! when its plain keys would be read wrongly:
//!
//! - **Expanded form** ([`Reason::ExpandedForm`]): a top-level array, or
//!   keyword keys (`@id`, `@type`, `@value`) where terms are expected, as in
//!   Fedify's expanded fixtures. Plain keys are absent.
//! - **IRI keys or types** ([`Reason::IriKey`], [`Reason::IriType`]): a key
//!   such as `as:sensitive` or `https://www.w3.org/ns/activitystreams#name`,
//!   or a type `as:Note`, that names a standard term by IRI. Vendor IRI keys
//!   that name no standard term (`vcard:bday`, `diaspora:guid`) do not count.
//! - **Redefined terms** ([`Reason::RedefinedTerm`]): an inline context maps a
//!   standard term (ActivityStreams, the Mastodon/Misskey/LitePub extensions,
//!   `publicKey`/`owner`/`publicKeyPem`) to another IRI or another container
//!   (say `content` as a language map), or removes it.
//! - **Aliased terms** ([`Reason::AliasedTerm`]): an inline context gives a
//!   standard meaning a new name (`"body": "as:content"`, PeerTube's
//!   `"icons": "as:icon"`).
//! - **Keyword aliases** ([`Reason::KeywordAlias`]) other than the standard
//!   `id` → `@id` and `type` → `@type`.
//! - **`@vocab`** ([`Reason::VocabMapping`]) in an inline context, since it
//!   gives every undefined key a meaning.
//!
//! Contexts are followed in order, bundled remote contexts by their tables
//! (so Lemmy's context, which maps `expires` to `as:endTime`, counts), and a
//! redefined or aliased term only matters when the document uses that key or
//! type: a context full of unusual definitions on a document that never uses
//! them stays on the fast path. In the corpus of real documents Woolly is
//! checked against, about 2 % of the documents need normalization (expanded
//! Fedify documents, Mobilizon's `location`, PeerTube's `canReply`, a
//! Takahē `toot:discoverable` key, Streams' `oauthRegistrationEndpoint`).
//!
//! Alternative spellings of the same namespace are not redefinitions:
//! `http://schema.org#value` and `http://schema.org/value`, the old and new
//! Misskey namespaces, `http:` and `https:` ActivityStreams. The check runs on
//! every inbound document, so it is a single walk over the `@context` entries
//! and the keys of standard properties, with no JSON-LD processing; see the
//! `jsonld` benchmark for its cost.
//!
//! [`normalize`] is the slow path: it expands the document with the `json-ld`
//! crate against its own context, unifies namespace spellings, and compacts
//! the result against [`standard_context`] (ActivityStreams + security v1 +
//! one inline object with Mastodon's `toot:` terms, schema.org
//! `PropertyValue`/`value`, LitePub, Misskey, quote-post and Multikey terms),
//! so the typed vocabulary can read it like any Mastodon document.
//!
//! What the slow path does beyond plain JSON-LD, so the output reads like a
//! Mastodon document:
//!
//! - a term no context defines but named like a standard term (`quoteUri`
//!   under Misskey's context) is read by its name, as plain-JSON readers do;
//! - literals under IRI-valued or dated standard properties get the standard
//!   coercion (a plain `"expires": "2024-…"` aliased to `endTime` becomes a
//!   date), so the standard term can be used;
//! - IRIs keep their full form (`https://www.w3.org/ns/activitystreams#Public`,
//!   not `as:Public`), and `tag:` IRIs survive (the compactor alone refuses
//!   them because `tag` is also a term);
//! - bare references `{"id": "…"}` are written as plain IRIs;
//! - `null` properties are dropped (JSON-LD rejects `"id": null`), the
//!   `"und"` language and language tags on non-text properties are dropped
//!   (Pleroma's `{"@language": "und"}`), and inline term definitions that are
//!   not valid JSON-LD are ignored;
//! - single-element arrays become single values (JSON-LD compaction), so
//!   compare one-or-many, not exact shapes.
//!
//! The processed ActivityStreams, security v1 and standard contexts, and each
//! distinct top-level document context, are cached per thread, so a server's
//! context is processed once. Documents nested deeper than ten levels run on
//! two worker threads with 64 MiB stacks (the `json-ld` crate recurses with
//! large frames); deeper than [`MAX_DEPTH`] is an error. A panic inside the
//! `json-ld` crate becomes [`Error::JsonLd`](crate::Error::JsonLd).
//!
//! # Contexts are bundled, never fetched
//!
//! ActivityStreams, security v1, Multikey v1, Data Integrity v1 and v2, DID
//! v1, identity v1, LitePub (at litepub.social and at every
//! `https://<host>/schemas/litepub-0.1.jsonld`), Mastodon's namespace,
//! GoToSocial, Lemmy, the SocialCG miscellany and webfinger contexts, and a
//! schema.org stand-in are written in this crate as term tables and built on
//! first use. A remote context that is not bundled is **not** fetched: it is
//! treated as empty, with a `tracing` warning, and reported in
//! [`Normalized::unknown_contexts`]. Terms it would have defined still come
//! through under their plain names, because the ActivityStreams context maps
//! undefined terms with `"@vocab": "_:"`. The fast path likewise assumes an
//! unknown remote context adds terms rather than redefining standard ones.
//!
//! # Example
//!
//! ```
//! use activitypub_core::jsonld;
//! use serde_json::json;
//!
//! // A Mastodon note: the fast path.
//! let note = json!({
//!     "@context": ["https://www.w3.org/ns/activitystreams",
//!                  {"toot": "http://joinmastodon.org/ns#", "sensitive": "as:sensitive"}],
//!     "type": "Note",
//!     "id": "https://mastodon.example/users/alice/statuses/1",
//!     "content": "<p>Hello</p>",
//!     "sensitive": false
//! });
//! assert!(!jsonld::needs_normalization(&note));
//!
//! // The same note from a server that renames `content`: the slow path.
//! let odd = json!({
//!     "@context": ["https://www.w3.org/ns/activitystreams", {"body": "as:content"}],
//!     "type": "Note",
//!     "id": "https://odd.example/notes/1",
//!     "body": "<p>Hello</p>"
//! });
//! assert!(jsonld::needs_normalization(&odd));
//! let normalized = jsonld::normalize(&odd)?;
//! assert_eq!(normalized["content"], "<p>Hello</p>");
//! assert_eq!(normalized["@context"], *jsonld::standard_context());
//! # Ok::<(), activitypub_core::Error>(())
//! ```

mod classify;
mod contexts;
mod normalize;

pub use classify::{classify, needs_normalization, Classification, Reason};
pub use contexts::standard_context;
pub use normalize::{normalize, normalize_with_report, Normalized, MAX_DEPTH};
