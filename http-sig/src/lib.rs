//! HTTP Signatures for the fediverse (draft-cavage and RFC 9421). Filled by issue 2.
