//! WebFinger (RFC 7033): resources, JRD, host-meta; the client and server halves, without I/O.
//!
//! Filled by the WebFinger issue.
