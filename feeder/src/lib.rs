//! The mdbus feeder: venue websocket connections on pinned, busy-polling threads, venue frame
//! decoders and order-book builders that publish fixed-layout records into `mdbus-bus` rings.
//!
//! This crate holds only its documentation so far; the connection engine, the venue decoders
//! and the book builders land here next. Until then `mdbus demo` publishes synthetic quotes.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
