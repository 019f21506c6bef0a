//! What venue decoders produce: venue-neutral messages borrowing from the frame.

use mdbus_schemas::Decimal;

/// Aggressor side of a trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The taker bought.
    Buy,
    /// The taker sold.
    Sell,
}

/// A public trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TradeMsg<'a> {
    /// Symbol as the venue spells it.
    pub symbol: &'a str,
    /// The venue's trade id (aggregate trade id for aggregated trades), when it is a number;
    /// 0 when the id is a UUID.
    pub trade_id: u64,
    /// The venue's trade id when it is a UUID (Bybit linear), its 16 bytes in text order.
    pub uuid: Option<[u8; 16]>,
    /// Price.
    pub price: Decimal,
    /// Quantity.
    pub qty: Decimal,
    /// Taker side.
    pub side: Side,
    /// Match time, ms since the epoch.
    pub trade_ts_ms: Option<u64>,
    /// Nanoseconds past `trade_ts_ms`, for venues that time trades in fractions of a
    /// millisecond (Gate.io's `create_time_ms`, `"1606292218213.4578"`); 0 otherwise.
    pub trade_ts_extra_ns: u32,
    /// Event time, ms since the epoch.
    pub event_ts_ms: Option<u64>,
    /// Whether one record aggregates several fills.
    pub aggregated: bool,
}

/// Best bid and offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuoteMsg<'a> {
    /// Symbol as the venue spells it.
    pub symbol: &'a str,
    /// Order-book update id.
    pub update_id: u64,
    /// Best bid price.
    pub bid_price: Decimal,
    /// Best bid quantity.
    pub bid_qty: Decimal,
    /// Best ask price.
    pub ask_price: Decimal,
    /// Best ask quantity.
    pub ask_qty: Decimal,
    /// Match time, ms since the epoch (USD-M only).
    pub trade_ts_ms: Option<u64>,
    /// Event time, ms since the epoch (USD-M only).
    pub event_ts_ms: Option<u64>,
}

/// An order-book message; its levels are in the [`Levels`] passed to the decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DepthMsg<'a> {
    /// Symbol as the venue spells it; `None` when the frame does not say (Binance spot partial
    /// depth on a raw stream).
    pub symbol: Option<&'a str>,
    /// Whether the symbol came from a lowercase stream name rather than the payload.
    pub symbol_from_stream: bool,
    /// `true` for a snapshot that replaces the book, `false` for a diff.
    pub snapshot: bool,
    /// `true` for a top-N image (Binance partial depth, OKX `books5`, Gate.io `spot.order_book`,
    /// HTX `depth.step0`): published as a snapshot record, outside the book's update chain.
    pub partial: bool,
    /// First update id in the message.
    pub first_seq: Option<u64>,
    /// Last update id in the message.
    pub last_seq: u64,
    /// Last update id of the previous message (Binance USD-M `pu`).
    pub prev_seq: Option<u64>,
    /// Match time, ms since the epoch.
    pub trade_ts_ms: Option<u64>,
    /// Event time, ms since the epoch.
    pub event_ts_ms: Option<u64>,
}

/// A candle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarMsg<'a> {
    /// Symbol as the venue spells it.
    pub symbol: &'a str,
    /// Interval as the venue spells it (`1m`, `1h`, ...).
    pub interval: &'a str,
    /// Start of the interval, ms since the epoch.
    pub open_ts_ms: u64,
    /// End of the interval, ms since the epoch.
    pub close_ts_ms: u64,
    /// Open price.
    pub open: Decimal,
    /// High price.
    pub high: Decimal,
    /// Low price.
    pub low: Decimal,
    /// Close price.
    pub close: Decimal,
    /// Base-asset volume.
    pub volume: Decimal,
    /// Quote-asset volume.
    pub quote_volume: Decimal,
    /// Number of trades.
    pub trades: u64,
    /// Whether the interval has closed.
    pub closed: bool,
    /// Event time, ms since the epoch.
    pub event_ts_ms: Option<u64>,
}

/// One decoded venue frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Message<'a> {
    /// A trade.
    Trade(TradeMsg<'a>),
    /// Best bid and offer.
    Quote(QuoteMsg<'a>),
    /// Order-book diff or snapshot.
    Depth(DepthMsg<'a>),
    /// A candle.
    Bar(BarMsg<'a>),
    /// The venue acknowledged a request (subscribe, unsubscribe).
    Ack {
        /// The request id as the venue echoed it (JSON text).
        id: &'a str,
    },
    /// The venue refused a request.
    Error {
        /// The venue's error code.
        code: i64,
        /// The venue's message.
        msg: &'a str,
        /// The id of the refused request as the venue echoed it (JSON text), empty if none.
        id: &'a str,
    },
    /// A well-formed message of a stream this decoder does not turn into records.
    Ignored,
}

/// Order-book levels of the last decoded depth message, reused from frame to frame so decoding
/// allocates nothing once the vectors have grown to the largest message. Empty after any other
/// message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Levels {
    /// Bid levels as sent: price, quantity (zero removes the level).
    pub bids: Vec<(Decimal, Decimal)>,
    /// Ask levels as sent.
    pub asks: Vec<(Decimal, Decimal)>,
}

impl Levels {
    /// Empties both sides, keeping their capacity.
    pub fn clear(&mut self) {
        self.bids.clear();
        self.asks.clear();
    }
}

/// Why a frame could not be decoded. The frame is dropped; the connection goes on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The frame is not valid JSON (or not a JSON object): the first bad byte is at `at`.
    /// Made without allocating, so a stream of bad frames costs no memory traffic.
    #[error("malformed JSON at byte {at}")]
    Malformed {
        /// Byte offset in the frame.
        at: usize,
    },
    /// A field the message needs is missing.
    #[error("{message}: missing field `{field}`")]
    MissingField {
        /// Message type.
        message: &'static str,
        /// Field name on the wire.
        field: &'static str,
    },
    /// A field has the wrong type or an unparsable value.
    #[error("{message}: bad value in field `{field}`")]
    BadField {
        /// Message type.
        message: &'static str,
        /// Field name on the wire.
        field: &'static str,
    },
    /// The frame is JSON but no message this decoder knows.
    #[error("unrecognised message")]
    Unrecognized,
}

/// A frame that is not valid JSON, the first bad byte at `at`.
#[inline]
pub fn malformed(at: usize) -> DecodeError {
    DecodeError::Malformed { at }
}

/// A field `message` needs is absent.
#[inline]
pub fn missing(message: &'static str, field: &'static str) -> DecodeError {
    DecodeError::MissingField { message, field }
}

/// A field of `message` has the wrong type or an unparsable value.
#[inline]
pub fn bad(message: &'static str, field: &'static str) -> DecodeError {
    DecodeError::BadField { message, field }
}

/// A string field, borrowed from the frame.
#[inline]
pub fn str_of<'a>(
    raw: Option<crate::json::Raw<'a>>,
    message: &'static str,
    field: &'static str,
) -> Result<&'a str, DecodeError> {
    match raw {
        Some(crate::json::Raw::Str(s)) => std::str::from_utf8(s).map_err(|_| bad(message, field)),
        Some(_) => Err(bad(message, field)),
        None => Err(missing(message, field)),
    }
}
