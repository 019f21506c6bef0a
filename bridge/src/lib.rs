//! Rings beyond one host, over Aeron.
#![forbid(unsafe_code)]
