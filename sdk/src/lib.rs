//! The mdbus SDK: what strategy processes link against besides the ring reader — the registry
//! of venues and feeds, a rate limiter shared by every process on a host, and the order path
//! (per-venue request signing, keep-alive HTTPS, typed errors).
//!
//! This crate holds only its documentation so far; its parts land here next.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
