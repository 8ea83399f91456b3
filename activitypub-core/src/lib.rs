//! ActivityStreams vocabulary and the ActivityPub federation engine.
//!
//! Filled by the vocabulary and engine issues.
