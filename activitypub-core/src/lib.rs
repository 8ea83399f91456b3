//! ActivityStreams vocabulary and the ActivityPub federation engine.
//!
//! Filled by the vocabulary and engine issues.

pub mod error;
pub mod jsonld;

pub use error::Error;
