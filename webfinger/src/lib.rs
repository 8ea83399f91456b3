//! WebFinger (RFC 7033): resources, JRD, host-meta; the client and server halves, without I/O.
//!
//! This crate never opens a socket. The client half builds [`http::Request`]s and reads
//! [`http::Response`] bodies; the server half turns a request into a response. Bring your own
//! HTTP client and server.
//!
//! - [`Resource`] / [`Account`]: `acct:user@host`, `@user@host`, `user@host` and `http(s)` URLs,
//!   with ports, punycode hosts and percent-encoded user parts.
//! - [`Jrd`]: the JSON Resource Descriptor, read tolerantly and losslessly, written strictly.
//! - [`client`]: requests, response parsing, host-meta and the [`Lookup`](client::Lookup) step
//!   machine that confirms a subject with its own domain (the account/web-domain split).
//! - [`server`]: answer `/.well-known/webfinger` and `/.well-known/host-meta`.
//! - [`xrd`]: the XML form (host-meta).
//!
//! # Getting started
//!
//! Find `@alice@example.com`, whose server lives at `social.example.com` (the two-domain setup
//! Mastodon calls `WEB_DOMAIN`), by playing both sides in one process:
//!
//! ```
//! use webfinger::client::{ClientOptions, Lookup, Step};
//! use webfinger::server::{respond, AccountDescriptor};
//! use webfinger::{Account, Resource};
//!
//! // The server side: social.example.com knows alice@example.com.
//! let serve = |req: &http::Request<()>| {
//!     respond(req, |r: &Resource| {
//!         let asked = r.as_account()?;
//!         let alice = Account::parse("alice@example.com").ok()?;
//!         asked.eq_ignore_case(&alice).then(|| {
//!             AccountDescriptor::new(alice, "https://social.example.com/users/alice".parse().unwrap())
//!                 .with_profile_page("https://social.example.com/@alice".parse().unwrap())
//!         })
//!     })
//! };
//!
//! // The client side asks the account's domain first; here that domain (example.com)
//! // answers 404, so the lookup falls back to host-meta, whose template points at
//! // social.example.com.
//! let mut lookup = Lookup::new("@alice@example.com".parse()?, ClientOptions::default())?;
//! let mut request = lookup.next_request().expect("first request");
//! let found = loop {
//!     let response = match (request.uri().host(), request.uri().path()) {
//!         (Some("example.com"), "/.well-known/host-meta") => {
//!             webfinger::server::host_meta_response(&"https://social.example.com".parse()?)
//!         }
//!         (Some("example.com"), _) => http::Response::builder().status(404).body(Vec::new())?,
//!         (Some("social.example.com"), _) => serve(&request),
//!         _ => unreachable!("no other host is asked"),
//!     };
//!     match lookup.feed(&response)? {
//!         Step::Request(next) => request = next,
//!         Step::Done(found) => break found,
//!         _ => unreachable!(),
//!     }
//! };
//! assert_eq!(found.account.to_string(), "acct:alice@example.com");
//! assert_eq!(found.actor.as_str(), "https://social.example.com/users/alice");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod client;
mod error;
pub mod jrd;
mod resource;
pub mod server;
pub mod xrd;

pub use error::{Error, ResourceErrorKind};
pub use jrd::{Jrd, Link};
pub use resource::{Account, Resource};
