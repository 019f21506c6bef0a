//! The mdbus feeder: the order-book builders and the connection engine that turn venues'
//! websocket streams into fixed-layout records in `mdbus-bus` rings.
//! [`protocol::Protocol`] is everything this shared machinery asks of a venue; the
//! `mdbus-venues` crate holds each venue's implementation, wire formats and session rules, one
//! folder per venue, and registers them in a [`venue::Venues`] list that programs hand the
//! configuration check and the engine.
//!
//! Decoders (venues' code, on this crate's [`json`] scanner and [`decode`] messages) are pure functions: frame bytes in, a [`Message`] borrowing from the frame out, no
//! I/O, no clock, no allocation on the fast path. Unknown fields are ignored and key order is
//! never assumed.
//!
//! # Examples
//!
//! ```
//! use mdbus_feeder::{Levels, Message, Side};
//! use mdbus_venues::binance;
//!
//! let frame = br#"{"e":"trade","E":1672515782136,"s":"BNBBTC","t":12345,"p":"0.001","q":"100","T":1672515782136,"m":true,"M":true}"#;
//! let mut levels = Levels::default();
//! let Message::Trade(t) = binance::decode(frame, &mut levels)? else { unreachable!() };
//! assert_eq!((t.symbol, t.trade_id, t.side), ("BNBBTC", 12345, Side::Sell));
//! assert_eq!(t.price.to_string(), "0.001");
//! # Ok::<(), mdbus_feeder::DecodeError>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]

pub mod account;
pub mod book;
pub mod capture;
pub mod config;
pub mod connection;
pub mod decode;
pub mod engine;
pub mod feed;
pub mod gunzip;
pub mod instruments;
pub mod json;
pub mod private;
pub mod protocol;
pub mod venue;

pub use book::{BookBuilder, BookError, BookSink, BookStats, SyncRule};
pub use decode::{BarMsg, DecodeError, DepthMsg, Levels, Message, QuoteMsg, Side, TradeMsg};
pub use feed::{Feed, FeedError, FeedStats, Rings};
pub use mdbus_sdk::{tls, url::Endpoint};
pub use venue::Venue;
