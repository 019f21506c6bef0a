//! The serde_json path: typed structs mirroring Binance's payloads. It decodes what the fast
//! path hands over (escaped strings) and is the reference the fast path is tested against.
//!
//! Payloads, from Binance's "Web Socket Streams" documentation (spot) and "USDⓈ-M Futures
//! Websocket Market Streams":
//!
//! ```text
//! trade       {"e":"trade","E":1672515782136,"s":"BNBBTC","t":12345,"p":"0.001","q":"100","T":1672515782136,"m":true,"M":true}
//! aggTrade    {"e":"aggTrade","E":1672515782136,"s":"BNBBTC","a":12345,"p":"0.001","q":"100","f":100,"l":105,"T":1672515782136,"m":true,"M":true}
//! bookTicker  {"u":400900217,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}           (spot)
//!             {"e":"bookTicker","u":400900217,"E":1568014460893,"T":1568014460891,"s":"BNBUSDT","b":"25.35190000",...}    (USD-M)
//! depthUpdate {"e":"depthUpdate","E":1672515782136,"s":"BNBBTC","U":157,"u":160,"b":[["0.0024","10"]],"a":[["0.0026","100"]]}
//!             USD-M adds "T" and "pu"; its partial depth streams send this same shape
//! partial     {"lastUpdateId":160,"bids":[["0.0024","10"]],"asks":[["0.0026","100"]]}                                   (spot)
//! 24hrTicker  {"e":"24hrTicker","E":1672515782136,"s":"BNBBTC","p":"0.0015","P":"250.00","w":"0.0018","x":"0.0009","c":"0.0025","Q":"10","b":"0.0024","B":"10","a":"0.0026","A":"100","o":"0.0010",...}
//! kline       {"e":"kline","E":1672515782136,"s":"BNBBTC","k":{"t":...,"T":...,"s":"BNBBTC","i":"1m","o":"0.0010",...}}
//! combined    {"stream":"bnbbtc@depth20","data":{...}}
//! ack / error {"result":null,"id":1}   {"code":2,"msg":"Invalid request: ...","id":1}
//! ```

use std::borrow::Cow;

use mdbus_schemas::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{is_partial_depth, stream_symbol};
use mdbus_feeder::decode::{BarMsg, DecodeError, DepthMsg, Levels, Message, QuoteMsg, Side, TradeMsg};

/// serde_json's error as the byte it points at (frames are one line: the column, 1-based).
fn malformed(e: serde_json::Error) -> DecodeError {
    DecodeError::Malformed { at: e.column().saturating_sub(1) }
}

/// A string field that must borrow from the frame (Binance symbols and intervals never carry
/// escapes; an escaped one is refused rather than copied).
fn borrowed<'a>(c: Cow<'a, str>, message: &'static str, field: &'static str) -> Result<&'a str, DecodeError> {
    match c {
        Cow::Borrowed(s) => Ok(s),
        Cow::Owned(_) => Err(DecodeError::BadField { message, field }),
    }
}

/// A decimal sent as a JSON string or number, kept as its raw JSON text so nothing is lost.
type Num<'a> = &'a RawValue;

/// Parses a decimal from a JSON string or number.
fn decimal(raw: &RawValue, message: &'static str, field: &'static str) -> Result<Decimal, DecodeError> {
    let bad = || DecodeError::BadField { message, field };
    let t = raw.get();
    if t.starts_with('"') {
        match serde_json::from_str::<&str>(t) {
            Ok(s) => Decimal::parse(s.as_bytes()).map_err(|_| bad()),
            Err(_) => {
                let owned: String = serde_json::from_str(t).map_err(|_| bad())?;
                Decimal::parse(owned.as_bytes()).map_err(|_| bad())
            }
        }
    } else {
        Decimal::parse(t.as_bytes()).map_err(|_| bad())
    }
}

/// Deserializes any value as "present" (`true`); a missing field defaults to `false`. Tells
/// `"result": null` (present) from no `result` at all.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    serde::de::IgnoredAny::deserialize(d).map(|_| true)
}

/// `trade` and `aggTrade`.
#[derive(Debug, Deserialize)]
pub(crate) struct Trade<'a> {
    #[serde(rename = "E")]
    event_time: Option<u64>,
    #[serde(borrow)]
    s: Cow<'a, str>,
    t: Option<u64>,
    a: Option<u64>,
    #[serde(borrow)]
    p: Num<'a>,
    #[serde(borrow)]
    q: Num<'a>,
    #[serde(rename = "T")]
    trade_time: Option<u64>,
    m: bool,
}

/// `bookTicker`, spot and USD-M.
#[derive(Debug, Deserialize)]
pub(crate) struct BookTicker<'a> {
    u: u64,
    #[serde(borrow)]
    s: Cow<'a, str>,
    #[serde(borrow)]
    b: Num<'a>,
    #[serde(rename = "B", borrow)]
    big_b: Num<'a>,
    #[serde(borrow)]
    a: Num<'a>,
    #[serde(rename = "A", borrow)]
    big_a: Num<'a>,
    #[serde(rename = "E")]
    event_time: Option<u64>,
    #[serde(rename = "T")]
    trade_time: Option<u64>,
}

/// `24hrTicker`: spot's carries the best bid and offer, USD-M's does not.
#[derive(Debug, Deserialize)]
pub(crate) struct Ticker<'a> {
    #[serde(borrow)]
    s: Cow<'a, str>,
    #[serde(borrow)]
    b: Option<Num<'a>>,
    #[serde(rename = "B", borrow)]
    big_b: Option<Num<'a>>,
    #[serde(borrow)]
    a: Option<Num<'a>>,
    #[serde(rename = "A", borrow)]
    big_a: Option<Num<'a>>,
    #[serde(rename = "E")]
    event_time: Option<u64>,
}

impl<'a> Ticker<'a> {
    pub(crate) fn into_message(self) -> Result<Message<'a>, DecodeError> {
        const M: &str = "24hrTicker";
        let (Some(b), Some(big_b), Some(a), Some(big_a)) = (self.b, self.big_b, self.a, self.big_a) else {
            return Ok(Message::Ignored);
        };
        Ok(Message::Quote(QuoteMsg {
            symbol: borrowed(self.s, M, "s")?,
            update_id: 0,
            bid_price: decimal(b, M, "b")?,
            bid_qty: decimal(big_b, M, "B")?,
            ask_price: decimal(a, M, "a")?,
            ask_qty: decimal(big_a, M, "A")?,
            trade_ts_ms: None,
            event_ts_ms: self.event_time,
        }))
    }
}

type WireLevel<'a> = (Num<'a>, Num<'a>);

/// `depthUpdate` (diff depth; USD-M partial depth too).
#[derive(Debug, Deserialize)]
pub(crate) struct DepthUpdate<'a> {
    #[serde(rename = "E")]
    event_time: Option<u64>,
    #[serde(rename = "T")]
    trade_time: Option<u64>,
    #[serde(borrow)]
    s: Cow<'a, str>,
    #[serde(rename = "U")]
    first: u64,
    u: u64,
    pu: Option<u64>,
    #[serde(borrow)]
    b: Vec<WireLevel<'a>>,
    #[serde(borrow)]
    a: Vec<WireLevel<'a>>,
}

/// Spot partial depth.
#[derive(Debug, Deserialize)]
pub(crate) struct PartialDepth<'a> {
    #[serde(rename = "lastUpdateId")]
    last_update_id: u64,
    #[serde(rename = "E")]
    event_time: Option<u64>,
    #[serde(rename = "T")]
    transaction_time: Option<u64>,
    #[serde(borrow)]
    bids: Vec<WireLevel<'a>>,
    #[serde(borrow)]
    asks: Vec<WireLevel<'a>>,
}

#[derive(Debug, Deserialize)]
struct KlineBody<'a> {
    t: u64,
    #[serde(rename = "T")]
    close_time: u64,
    #[serde(borrow)]
    s: Option<&'a str>,
    #[serde(borrow)]
    i: Cow<'a, str>,
    #[serde(borrow)]
    o: Num<'a>,
    #[serde(borrow)]
    c: Num<'a>,
    #[serde(borrow)]
    h: Num<'a>,
    #[serde(borrow)]
    l: Num<'a>,
    #[serde(borrow)]
    v: Num<'a>,
    n: u64,
    x: bool,
    #[serde(borrow)]
    q: Num<'a>,
}

/// `kline`.
#[derive(Debug, Deserialize)]
pub(crate) struct Kline<'a> {
    #[serde(rename = "E")]
    event_time: Option<u64>,
    #[serde(borrow)]
    s: Option<&'a str>,
    #[serde(borrow)]
    k: KlineBody<'a>,
}

/// What every frame is first read as, to tell the message types apart.
#[derive(Debug, Deserialize)]
struct Probe<'a> {
    #[serde(borrow)]
    e: Option<&'a str>,
    #[serde(borrow)]
    stream: Option<&'a str>,
    #[serde(borrow)]
    data: Option<&'a RawValue>,
    #[serde(rename = "lastUpdateId")]
    last_update_id: Option<u64>,
    u: Option<u64>,
    #[serde(rename = "B", borrow)]
    big_b: Option<&'a RawValue>,
    #[serde(rename = "A", borrow)]
    big_a: Option<&'a RawValue>,
    code: Option<i64>,
    #[serde(borrow)]
    msg: Option<&'a str>,
    #[serde(default, deserialize_with = "present")]
    result: bool,
    #[serde(borrow)]
    id: Option<&'a RawValue>,
}

fn fill(
    levels: &[WireLevel<'_>],
    out: &mut Vec<(Decimal, Decimal)>,
    m: &'static str,
    f: &'static str,
) -> Result<(), DecodeError> {
    for (p, q) in levels {
        out.push((decimal(p, m, f)?, decimal(q, m, f)?));
    }
    Ok(())
}

impl<'a> Trade<'a> {
    pub(crate) fn into_message(self, aggregated: bool) -> Result<Message<'a>, DecodeError> {
        let m = if aggregated { "aggTrade" } else { "trade" };
        let id = if aggregated { self.a } else { self.t };
        Ok(Message::Trade(TradeMsg {
            symbol: borrowed(self.s, m, "s")?,
            trade_id: id.ok_or(DecodeError::MissingField { message: m, field: if aggregated { "a" } else { "t" } })?,
            price: decimal(self.p, m, "p")?,
            qty: decimal(self.q, m, "q")?,
            side: if self.m { Side::Sell } else { Side::Buy },
            trade_ts_ms: self.trade_time,
            event_ts_ms: self.event_time,
            aggregated,
            uuid: None,
            trade_ts_extra_ns: 0,
        }))
    }
}

impl<'a> BookTicker<'a> {
    pub(crate) fn into_message(self) -> Result<Message<'a>, DecodeError> {
        const M: &str = "bookTicker";
        Ok(Message::Quote(QuoteMsg {
            symbol: borrowed(self.s, M, "s")?,
            update_id: self.u,
            bid_price: decimal(self.b, M, "b")?,
            bid_qty: decimal(self.big_b, M, "B")?,
            ask_price: decimal(self.a, M, "a")?,
            ask_qty: decimal(self.big_a, M, "A")?,
            trade_ts_ms: self.trade_time,
            event_ts_ms: self.event_time,
        }))
    }
}

impl<'a> DepthUpdate<'a> {
    pub(crate) fn into_message(self, snapshot: bool, out: &mut Levels) -> Result<Message<'a>, DecodeError> {
        const M: &str = "depthUpdate";
        out.clear();
        fill(&self.b, &mut out.bids, M, "b")?;
        fill(&self.a, &mut out.asks, M, "a")?;
        Ok(Message::Depth(DepthMsg {
            symbol: Some(borrowed(self.s, M, "s")?),
            symbol_from_stream: false,
            snapshot,
            partial: snapshot,
            first_seq: Some(self.first),
            last_seq: self.u,
            prev_seq: self.pu,
            trade_ts_ms: self.trade_time,
            event_ts_ms: self.event_time,
        }))
    }
}

impl<'a> PartialDepth<'a> {
    pub(crate) fn into_message(self, stream: Option<&'a str>, out: &mut Levels) -> Result<Message<'a>, DecodeError> {
        const M: &str = "partial depth";
        out.clear();
        fill(&self.bids, &mut out.bids, M, "bids")?;
        fill(&self.asks, &mut out.asks, M, "asks")?;
        Ok(Message::Depth(DepthMsg {
            symbol: stream.map(stream_symbol),
            symbol_from_stream: stream.is_some(),
            snapshot: true,
            partial: true,
            first_seq: None,
            last_seq: self.last_update_id,
            prev_seq: None,
            trade_ts_ms: self.transaction_time,
            event_ts_ms: self.event_time,
        }))
    }
}

impl<'a> Kline<'a> {
    pub(crate) fn into_message(self) -> Result<Message<'a>, DecodeError> {
        const M: &str = "kline";
        let k = self.k;
        let symbol = self.s.or(k.s).ok_or(DecodeError::MissingField { message: M, field: "s" })?;
        Ok(Message::Bar(BarMsg {
            symbol,
            interval: borrowed(k.i, M, "i")?,
            open_ts_ms: k.t,
            close_ts_ms: k.close_time,
            open: decimal(k.o, M, "o")?,
            high: decimal(k.h, M, "h")?,
            low: decimal(k.l, M, "l")?,
            close: decimal(k.c, M, "c")?,
            volume: decimal(k.v, M, "v")?,
            quote_volume: decimal(k.q, M, "q")?,
            trades: k.n,
            closed: k.x,
            event_ts_ms: self.event_time,
        }))
    }
}

/// Decodes one frame with serde_json.
pub(crate) fn decode<'a>(frame: &'a [u8], out: &mut Levels) -> Result<Message<'a>, DecodeError> {
    out.clear();
    decode_in(frame, None, out)
}

fn decode_in<'a>(frame: &'a [u8], stream: Option<&'a str>, out: &mut Levels) -> Result<Message<'a>, DecodeError> {
    let probe: Probe<'a> = serde_json::from_slice(frame).map_err(malformed)?;
    if let (Some(name), Some(data)) = (probe.stream, probe.data) {
        return decode_in(data.get().as_bytes(), Some(name), out);
    }
    let typed = |e: serde_json::Error| malformed(e);
    match probe.e {
        Some("trade") => serde_json::from_slice::<Trade<'a>>(frame).map_err(typed)?.into_message(false),
        Some("aggTrade") => serde_json::from_slice::<Trade<'a>>(frame).map_err(typed)?.into_message(true),
        Some("bookTicker") => serde_json::from_slice::<BookTicker<'a>>(frame).map_err(typed)?.into_message(),
        Some("24hrTicker") => serde_json::from_slice::<Ticker<'a>>(frame).map_err(typed)?.into_message(),
        Some("depthUpdate") => serde_json::from_slice::<DepthUpdate<'a>>(frame)
            .map_err(typed)?
            .into_message(stream.is_some_and(is_partial_depth), out),
        Some("kline") => serde_json::from_slice::<Kline<'a>>(frame).map_err(typed)?.into_message(),
        Some(_) => Ok(Message::Ignored),
        None if probe.last_update_id.is_some() => {
            serde_json::from_slice::<PartialDepth<'a>>(frame).map_err(typed)?.into_message(stream, out)
        }
        None if probe.u.is_some() && probe.big_b.is_some() && probe.big_a.is_some() => {
            serde_json::from_slice::<BookTicker<'a>>(frame).map_err(typed)?.into_message()
        }
        None if probe.code.is_some() && probe.msg.is_some() => Ok(Message::Error {
            code: probe.code.unwrap_or_default(),
            msg: probe.msg.unwrap_or_default(),
            id: probe.id.map(RawValue::get).unwrap_or_default().trim_matches('"'),
        }),
        None if probe.result && probe.id.is_some() => {
            let id = probe.id.map(RawValue::get).unwrap_or_default();
            Ok(Message::Ack { id: id.trim_matches('"') })
        }
        None => Err(DecodeError::Unrecognized),
    }
}
