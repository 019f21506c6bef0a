//! Gate.io v4 spot channels: `spot.trades`, `spot.book_ticker`, `spot.order_book_update`
//! (`U`/`u` diffs against a REST snapshot), `spot.obu` (order book v2: a full book first and
//! whenever the venue resends one, then `U`/`u` diffs), `spot.order_book` (limited snapshots),
//! `spot.candlesticks`, plus subscribe replies, errors and `spot.pong`.
//!
//! Trade, book ticker and book pushes in the documented key order are read in one ordered
//! pass; the rest by the general scanner (any key order, unknown keys ignored).
//!
//! Samples (<https://www.gate.io/docs/developers/apiv4/ws/en/>):
//!
//! ```json
//! {"time":1606292218,"time_ms":1606292218231,"channel":"spot.trades","event":"update","result":{"id":309143071,
//!  "create_time":1606292218,"create_time_ms":"1606292218213.4578","side":"sell","currency_pair":"GT_USDT",
//!  "amount":"16.4700000000","price":"0.4705000000"}}
//! {"time":1606294781,"time_ms":1606294781236,"channel":"spot.order_book_update","event":"update","result":{"t":1606294781123,
//!  "e":"depthUpdate","E":1606294781,"s":"BTC_USDT","U":48776301,"u":48776306,"b":[["19137.74","0.0001"]],"a":[["19137.75","0.6135"]]}}
//! {"channel":"spot.obu","result":{"t":1748572394325,"full":true,"s":"ob.BTC_USDT.50","u":28606981,"b":[["105958.9","0.00908"]],"a":[["105959","0.5"]]}}
//! ```
//!
//! `spot.obu` (Gate's "spot depth channel upgrade" announcement): the payload is
//! `ob.{pair}.{levels}` (50 levels every 20 ms, 400 every 100 ms). A push with `"full": true`
//! replaces the book and sets its id to `u`; an incremental push has no `full` and carries `U`
//! (first id) and `u` (last id); it continues the book only when `U` is the book's id + 1, and
//! otherwise the client unsubscribes and subscribes again for a new full push.

use mdbus_feeder::{
    decode::{
        BarMsg, DecodeError, DepthMsg, Levels, Message, QuoteMsg, Side, TradeMsg, bad, malformed, missing, str_of,
    },
    json::{Fields, Raw, boolean, decimal, int, levels, uint},
};

/// Milliseconds of a Gate.io candle interval (`10s`, `1m`, `4h`, `1d`, `7d`, `30d`).
pub fn interval_ms(interval: &str) -> Option<u64> {
    let split = interval.find(|c: char| !c.is_ascii_digit())?;
    let n: u64 = interval[..split].parse().ok()?;
    let unit = match &interval[split..] {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    Some(n * unit)
}

/// Decodes one Gate.io frame into at most one message.
///
/// # Errors
///
/// [`DecodeError`] naming the problem.
///
/// # Examples
///
/// ```
/// use mdbus_feeder::{Levels, Message};
/// use mdbus_venues::gate::market::decode;
/// let frame = br#"{"time":1,"channel":"spot.book_ticker","event":"update","result":{"t":1606293275123,"u":48733182,"s":"BTC_USDT","b":"19177.79","B":"0.0003341504","a":"19179.38","A":"0.09"}}"#;
/// let mut levels = Levels::default();
/// let Message::Quote(q) = decode(frame, &mut levels)? else { panic!() };
/// assert_eq!((q.symbol, q.update_id, q.ask_price.to_string()), ("BTC_USDT", 48733182, "19179.38".to_owned()));
/// # Ok::<(), mdbus_feeder::DecodeError>(())
/// ```
pub fn decode<'a>(frame: &'a [u8], levels_buf: &mut Levels) -> Result<Message<'a>, DecodeError> {
    match super::ordered::decode(frame, levels_buf) {
        Some(m) => Ok(m),
        None => decode_general(frame, levels_buf),
    }
}

/// [`decode`] with the general scanner only: any key order.
pub(super) fn decode_general<'a>(frame: &'a [u8], levels_buf: &mut Levels) -> Result<Message<'a>, DecodeError> {
    levels_buf.clear();
    let (mut channel, mut event, mut result, mut error, mut id, mut time_ms) = (None, None, None, None, None, None);
    for f in Fields::new(frame).map_err(|e| malformed(e.at))? {
        let (key, raw) = f.map_err(|e| malformed(e.at))?;
        match key {
            b"channel" => channel = Some(raw),
            b"event" => event = Some(raw),
            b"result" => result = Some(raw),
            b"error" => error = Some(raw),
            b"id" => id = Some(raw),
            b"time_ms" => time_ms = Some(raw),
            _ => {}
        }
    }
    let channel = str_of(channel, "frame", "channel")?;
    let id_text = match id {
        Some(Raw::Lit(s) | Raw::Str(s)) => std::str::from_utf8(s).unwrap_or(""),
        _ => "",
    };
    if let Some(Raw::Object(e)) = error {
        let (mut code, mut message) = (0, "");
        for f in Fields::new(e).map_err(|e| malformed(e.at))? {
            let (key, raw) = f.map_err(|e| malformed(e.at))?;
            match (key, raw) {
                (b"code", r) => code = int(r).unwrap_or(0),
                (b"message", Raw::Str(s)) => message = std::str::from_utf8(s).unwrap_or(""),
                _ => {}
            }
        }
        return Ok(Message::Error { code, msg: message, id: id_text });
    }
    match event {
        Some(Raw::Str(b"subscribe" | b"unsubscribe")) => return Ok(Message::Ack { id: id_text }),
        // `spot.obu` pushes carry no `event` at all.
        Some(Raw::Str(b"update" | b"all")) | None => {}
        _ => return Ok(Message::Ignored),
    }
    let event_ts = time_ms.and_then(uint);
    let Some(Raw::Object(r)) = result else { return Err(missing(channel_name(channel), "result")) };
    match channel {
        "spot.trades" => trade(r, event_ts),
        "spot.book_ticker" => book_ticker(r, event_ts),
        "spot.order_book_update" => book(r, false, levels_buf),
        "spot.order_book" => book(r, true, levels_buf),
        "spot.obu" => obu(r, levels_buf),
        "spot.candlesticks" => candle(r, event_ts),
        _ => Ok(Message::Ignored),
    }
}

fn channel_name(c: &str) -> &'static str {
    match c {
        "spot.trades" => "trade",
        "spot.book_ticker" => "book_ticker",
        "spot.order_book_update" | "spot.order_book" => "order_book",
        "spot.obu" => "obu",
        "spot.candlesticks" => "candlestick",
        _ => "frame",
    }
}

fn trade(r: &[u8], event_ts: Option<u64>) -> Result<Message<'_>, DecodeError> {
    const M: &str = "trade";
    let (mut id, mut ms, mut side, mut pair, mut amount, mut price) = (None, None, None, None, None, None);
    for f in Fields::new(r).map_err(|e| malformed(e.at))? {
        let (key, raw) = f.map_err(|e| malformed(e.at))?;
        match key {
            b"id" => id = Some(raw),
            b"create_time_ms" => ms = Some(raw),
            b"side" => side = Some(raw),
            b"currency_pair" => pair = Some(raw),
            b"amount" => amount = Some(raw),
            b"price" => price = Some(raw),
            _ => {}
        }
    }
    // `create_time_ms` carries fractions of a millisecond ("1606292218213.4578"): kept to the
    // nanosecond, exactly (a finer fraction is a bad field, not a rounding).
    let ns = match ms {
        None => None,
        Some(raw) => Some(
            decimal(raw)
                .and_then(|d| d.to_fixed(-6).ok())
                .and_then(|v| u64::try_from(v).ok())
                .ok_or(bad(M, "create_time_ms"))?,
        ),
    };
    Ok(Message::Trade(TradeMsg {
        symbol: str_of(pair, M, "currency_pair")?,
        trade_id: id.ok_or(missing(M, "id")).and_then(|r| uint(r).ok_or(bad(M, "id")))?,
        price: price.ok_or(missing(M, "price")).and_then(|r| decimal(r).ok_or(bad(M, "price")))?,
        qty: amount.ok_or(missing(M, "amount")).and_then(|r| decimal(r).ok_or(bad(M, "amount")))?,
        side: match side {
            Some(Raw::Str(b"buy")) => Side::Buy,
            Some(Raw::Str(b"sell")) => Side::Sell,
            Some(_) => return Err(bad(M, "side")),
            None => return Err(missing(M, "side")),
        },
        trade_ts_ms: ns.map(|v| v / 1_000_000),
        event_ts_ms: event_ts,
        aggregated: false,
        uuid: None,
        trade_ts_extra_ns: ns.map_or(0, |v| (v % 1_000_000) as u32),
    }))
}

fn book_ticker(r: &[u8], event_ts: Option<u64>) -> Result<Message<'_>, DecodeError> {
    const M: &str = "book_ticker";
    let mut v: [Option<Raw<'_>>; 7] = [None; 7];
    for f in Fields::new(r).map_err(|e| malformed(e.at))? {
        let (key, raw) = f.map_err(|e| malformed(e.at))?;
        let i = match key {
            b"t" => 0,
            b"u" => 1,
            b"s" => 2,
            b"b" => 3,
            b"B" => 4,
            b"a" => 5,
            b"A" => 6,
            _ => continue,
        };
        v[i] = Some(raw);
    }
    let d = |i: usize, f: &'static str| v[i].ok_or(missing(M, f)).and_then(|r| decimal(r).ok_or(bad(M, f)));
    Ok(Message::Quote(QuoteMsg {
        symbol: str_of(v[2], M, "s")?,
        update_id: v[1].and_then(uint).unwrap_or(0),
        bid_price: d(3, "b")?,
        bid_qty: d(4, "B")?,
        ask_price: d(5, "a")?,
        ask_qty: d(6, "A")?,
        trade_ts_ms: v[0].and_then(uint),
        event_ts_ms: event_ts,
    }))
}

fn book<'a>(r: &'a [u8], snapshot: bool, levels_buf: &mut Levels) -> Result<Message<'a>, DecodeError> {
    const M: &str = "order_book";
    let mut fields = Fields::new(r).map_err(|e| malformed(e.at))?;
    let (mut s, mut first, mut last, mut t, mut last_id, mut full) = (None, None, None, None, None, None);
    while let Some(k) = fields.next_key() {
        let (key, at) = k.map_err(|e| malformed(e.at))?;
        match key {
            b"b" | b"a" | b"bids" | b"asks" => {
                let bid = matches!(key, b"b" | b"bids");
                let side = if bid { &mut levels_buf.bids } else { &mut levels_buf.asks };
                side.clear();
                let end = levels(r, at, side).map_err(|_| bad(M, if bid { "b" } else { "a" }))?;
                fields.skip_to(end);
            }
            _ => {
                let raw = fields.value(at).map_err(|e| malformed(e.at))?;
                match key {
                    b"s" => s = Some(raw),
                    b"U" => first = Some(raw),
                    b"u" => last = Some(raw),
                    b"t" => t = Some(raw),
                    b"lastUpdateId" | b"id" => last_id = Some(raw),
                    b"full" => full = Some(raw),
                    _ => {}
                }
            }
        }
    }
    let seq = |r: Option<Raw<'_>>, f: &'static str| r.ok_or(missing(M, f)).and_then(|r| uint(r).ok_or(bad(M, f)));
    let (first_seq, last_seq) =
        if snapshot { (None, seq(last_id, "lastUpdateId")?) } else { (Some(seq(first, "U")?), seq(last, "u")?) };
    // `"full": true` on an update: the whole book as of `u`, which replaces the local one.
    let replaces = !snapshot
        && match full {
            None | Some(Raw::Lit(b"false")) => false,
            Some(Raw::Lit(b"true")) => true,
            Some(_) => return Err(bad(M, "full")),
        };
    Ok(Message::Depth(DepthMsg {
        symbol: Some(str_of(s, M, "s")?),
        symbol_from_stream: false,
        snapshot: snapshot || replaces,
        partial: snapshot,
        first_seq,
        last_seq,
        prev_seq: None,
        trade_ts_ms: None,
        event_ts_ms: t.and_then(uint),
    }))
}

/// The pair of a `spot.obu` stream name (`ob.BTC_USDT.50` → `BTC_USDT`).
pub fn obu_pair(stream: &str) -> Option<&str> {
    let (pair, levels) = stream.strip_prefix("ob.")?.rsplit_once('.')?;
    (!pair.is_empty() && !levels.is_empty() && levels.bytes().all(|b| b.is_ascii_digit())).then_some(pair)
}

fn obu<'a>(r: &'a [u8], levels_buf: &mut Levels) -> Result<Message<'a>, DecodeError> {
    const M: &str = "obu";
    let mut fields = Fields::new(r).map_err(|e| malformed(e.at))?;
    let (mut s, mut first, mut last, mut t, mut full) = (None, None, None, None, None);
    while let Some(k) = fields.next_key() {
        let (key, at) = k.map_err(|e| malformed(e.at))?;
        match key {
            b"b" | b"a" => {
                let bid = key == b"b";
                let side = if bid { &mut levels_buf.bids } else { &mut levels_buf.asks };
                side.clear();
                let end = levels(r, at, side).map_err(|_| bad(M, if bid { "b" } else { "a" }))?;
                fields.skip_to(end);
            }
            _ => {
                let raw = fields.value(at).map_err(|e| malformed(e.at))?;
                match key {
                    b"s" => s = Some(raw),
                    b"U" => first = Some(raw),
                    b"u" => last = Some(raw),
                    b"t" => t = Some(raw),
                    b"full" => full = Some(raw),
                    _ => {}
                }
            }
        }
    }
    let full = match full {
        None | Some(Raw::Lit(b"false")) => false,
        Some(Raw::Lit(b"true")) => true,
        Some(_) => return Err(bad(M, "full")),
    };
    let seq = |r: Option<Raw<'_>>, f: &'static str| r.ok_or(missing(M, f)).and_then(|r| uint(r).ok_or(bad(M, f)));
    Ok(Message::Depth(DepthMsg {
        symbol: Some(obu_pair(str_of(s, M, "s")?).ok_or(bad(M, "s"))?),
        symbol_from_stream: false,
        snapshot: full,
        partial: false,
        // A full push is the whole book as of `u`; an incremental one spans `U..=u`.
        first_seq: if full { None } else { Some(seq(first, "U")?) },
        last_seq: seq(last, "u")?,
        prev_seq: None,
        trade_ts_ms: None,
        event_ts_ms: t.and_then(uint),
    }))
}

/// Decodes the REST order-book snapshot (`GET /api/v4/spot/order_book?with_id=true`) of
/// `currency_pair`: returns its `id` (the update id the `U`/`u` chain continues from); the
/// levels go to `levels_buf`.
///
/// # Errors
///
/// [`DecodeError`] naming the problem (a body without `id` was fetched without `with_id=true`).
///
/// # Examples
///
/// ```
/// use mdbus_feeder::Levels;
/// use mdbus_venues::gate::market::rest_snapshot;
/// let body = br#"{"id":123456,"current":1623898993123,"update":1623898993121,"asks":[["1.52","1.151"]],"bids":[["1.17","201.863"]]}"#;
/// let mut levels = Levels::default();
/// assert_eq!(rest_snapshot(body, &mut levels)?, 123456);
/// assert_eq!((levels.bids.len(), levels.asks.len()), (1, 1));
/// # Ok::<(), mdbus_feeder::DecodeError>(())
/// ```
pub fn rest_snapshot(body: &[u8], levels_buf: &mut Levels) -> Result<u64, DecodeError> {
    const M: &str = "order_book snapshot";
    levels_buf.clear();
    let mut fields = Fields::new(body.trim_ascii()).map_err(|e| malformed(e.at))?;
    let mut id = None;
    while let Some(k) = fields.next_key() {
        let (key, at) = k.map_err(|e| malformed(e.at))?;
        match key {
            b"bids" | b"asks" => {
                let bid = key == b"bids";
                let side = if bid { &mut levels_buf.bids } else { &mut levels_buf.asks };
                side.clear();
                let end = levels(fields.bytes(), at, side).map_err(|_| bad(M, if bid { "bids" } else { "asks" }))?;
                fields.skip_to(end);
            }
            _ => {
                let raw = fields.value(at).map_err(|e| malformed(e.at))?;
                if key == b"id" {
                    id = Some(raw);
                }
            }
        }
    }
    id.ok_or(missing(M, "id")).and_then(|r| uint(r).ok_or(bad(M, "id")))
}

fn candle(r: &[u8], event_ts: Option<u64>) -> Result<Message<'_>, DecodeError> {
    const M: &str = "candlestick";
    let mut v: [Option<Raw<'_>>; 9] = [None; 9];
    for f in Fields::new(r).map_err(|e| malformed(e.at))? {
        let (key, raw) = f.map_err(|e| malformed(e.at))?;
        let i = match key {
            b"t" => 0,
            b"o" => 1,
            b"h" => 2,
            b"l" => 3,
            b"c" => 4,
            b"a" => 5,
            b"v" => 6,
            b"n" => 7,
            b"w" => 8,
            _ => continue,
        };
        v[i] = Some(raw);
    }
    // `n` is `<interval>_<pair>`, e.g. `1m_BTC_USDT`.
    let name = str_of(v[7], M, "n")?;
    let (interval, symbol) = name.split_once('_').ok_or(bad(M, "n"))?;
    let open_s = v[0].ok_or(missing(M, "t")).and_then(|r| uint(r).ok_or(bad(M, "t")))?;
    let d = |i: usize, f: &'static str| v[i].ok_or(missing(M, f)).and_then(|r| decimal(r).ok_or(bad(M, f)));
    let open_ts_ms = open_s * 1000;
    Ok(Message::Bar(BarMsg {
        symbol,
        interval,
        open_ts_ms,
        close_ts_ms: open_ts_ms + interval_ms(interval).ok_or(bad(M, "n"))? - 1,
        open: d(1, "o")?,
        high: d(2, "h")?,
        low: d(3, "l")?,
        close: d(4, "c")?,
        volume: d(5, "a")?,
        quote_volume: d(6, "v")?,
        trades: 0,
        closed: v[8].and_then(boolean).unwrap_or(false),
        event_ts_ms: event_ts,
    }))
}
