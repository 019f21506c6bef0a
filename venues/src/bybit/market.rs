//! Bybit v5 public topics: `publicTrade`, `orderbook.{1,50,200,500,1000}`, `tickers`, `kline`,
//! plus the `op` replies (subscribe, ping/pong).
//!
//! Trade and book pushes in the documented key order are read in one ordered pass; the rest
//! by the general scanner: any key order (spot and linear frames put `ts` and `type` in
//! different places), unknown keys ignored, a repeated key's last value wins, decimals as strings or numbers. An
//! `orderbook` frame of type `snapshot`, or a delta with `u == 1` (a service restart), is a
//! snapshot that replaces the book. `orderbook.1` is also the best bid/offer. Trade ids are
//! kept whole: numbers, or UUIDs (linear) as their 16 bytes; any other id is a decode error.
//!
//! Samples (<https://bybit-exchange.github.io/docs/v5/websocket/public/orderbook>):
//!
//! ```json
//! {"topic":"orderbook.50.BTCUSDT","type":"snapshot","ts":1672304484978,"data":{"s":"BTCUSDT",
//!  "b":[["16493.50","0.006"]],"a":[["16611.00","0.029"]],"u":18521288,"seq":7961638724},"cts":1672304484976}
//! {"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1672304486868,"data":[{"T":1672304486865,
//!  "s":"BTCUSDT","S":"Buy","v":"0.001","p":"16578.50","L":"PlusTick","i":"20f43950-d8dd-5b31-9112-a178eb6023af","BT":false}]}
//! ```

use mdbus_feeder::{
    decode::{
        BarMsg, DecodeError, DepthMsg, Levels, Message, QuoteMsg, Side, TradeMsg, bad, malformed, missing, str_of,
    },
    json::{Elements, Fields, Raw, boolean, decimal, levels, uint},
};

/// A trade id, whole: a number (`trade_id`), or a UUID (its 16 bytes); anything else is
/// `None`, which the caller reports as a bad field. Never a hash: a reader must be able to
/// match the trade with the venue's REST trades and its own fills.
pub(super) fn trade_id(raw: Raw<'_>) -> Option<(u64, Option<[u8; 16]>)> {
    if let Some(n) = uint(raw) {
        return Some((n, None));
    }
    let Raw::Str(s) = raw else { return None };
    match mdbus_schemas::TradeId::parse_uuid(std::str::from_utf8(s).ok()?)? {
        mdbus_schemas::TradeId::Uuid(u) => Some((0, Some(u))),
        _ => None,
    }
}

/// Milliseconds of a Bybit kline interval (`1`..`720` minutes, `D`, `W`, `M`).
pub fn kline_interval_ms(interval: &str) -> Option<u64> {
    match interval {
        "D" => Some(86_400_000),
        "W" => Some(7 * 86_400_000),
        "M" => Some(30 * 86_400_000),
        n => n.parse::<u64>().ok().filter(|&m| m > 0).map(|m| m * 60_000),
    }
}

#[derive(Default)]
struct Top<'a> {
    topic: Option<Raw<'a>>,
    kind: Option<Raw<'a>>,
    ts: Option<Raw<'a>>,
    data: Option<Raw<'a>>,
    op: Option<Raw<'a>>,
    success: Option<Raw<'a>>,
    ret_msg: Option<Raw<'a>>,
    req_id: Option<Raw<'a>>,
}

/// Decodes one Bybit frame, handing each message to `out` with the levels it refers to.
/// Returns how many messages were handed out.
///
/// # Errors
///
/// [`DecodeError`] naming the problem.
///
/// # Examples
///
/// ```
/// use mdbus_feeder::{Levels, Message};
/// use mdbus_venues::bybit::market::decode;
///
/// let frame = br#"{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1,"data":{"s":"BTCUSDT","b":[["16493.50","0"]],"a":[],"u":18521289,"seq":1}}"#;
/// let mut levels = Levels::default();
/// let mut got = None;
/// decode(frame, &mut levels, &mut |m, l| if let Message::Depth(d) = m { got = Some((d.snapshot, d.last_seq, l.bids.len())) })?;
/// assert_eq!(got, Some((false, 18521289, 1)));
/// # Ok::<(), mdbus_feeder::DecodeError>(())
/// ```
pub fn decode<'a>(
    frame: &'a [u8],
    levels_buf: &mut Levels,
    out: &mut dyn FnMut(Message<'a>, &Levels),
) -> Result<usize, DecodeError> {
    match super::ordered::decode(frame, levels_buf, out) {
        Some(n) => Ok(n),
        None => decode_general(frame, levels_buf, out),
    }
}

/// [`decode`] with the general scanner only: any key order, any number of items.
pub(super) fn decode_general<'a>(
    frame: &'a [u8],
    levels_buf: &mut Levels,
    out: &mut dyn FnMut(Message<'a>, &Levels),
) -> Result<usize, DecodeError> {
    levels_buf.clear();
    let mut top = Top::default();
    for f in Fields::new(frame).map_err(|e| malformed(e.at))? {
        let (key, raw) = f.map_err(|e| malformed(e.at))?;
        match key {
            b"topic" => top.topic = Some(raw),
            b"type" => top.kind = Some(raw),
            b"ts" => top.ts = Some(raw),
            b"data" => top.data = Some(raw),
            b"op" => top.op = Some(raw),
            b"success" => top.success = Some(raw),
            b"ret_msg" => top.ret_msg = Some(raw),
            b"req_id" => top.req_id = Some(raw),
            _ => {}
        }
    }
    let Some(topic) = top.topic else {
        if top.op.is_none() && matches!(top.kind, Some(Raw::Str(b"COMMAND_RESP"))) {
            out(command_resp(&top)?, levels_buf);
            return Ok(1);
        }
        // An `op` reply: subscribe acks and errors, pongs.
        let op = str_of(top.op, "op", "op")?;
        let id = match top.req_id {
            Some(Raw::Str(s)) => std::str::from_utf8(s).unwrap_or(""),
            _ => "",
        };
        let msg_text = match top.ret_msg {
            Some(Raw::Str(s)) => std::str::from_utf8(s).unwrap_or(""),
            _ => "",
        };
        let msg = match (op, top.success.and_then(boolean)) {
            ("subscribe" | "unsubscribe", Some(true)) => Message::Ack { id },
            ("subscribe" | "unsubscribe", _) => Message::Error { code: -1, msg: msg_text, id },
            _ => Message::Ignored,
        };
        out(msg, levels_buf);
        return Ok(1);
    };
    let topic = str_of(Some(topic), "push", "topic")?;
    let ts = top.ts.and_then(uint);
    let snapshot_type = matches!(top.kind, Some(Raw::Str(b"snapshot")));
    let data = top.data.ok_or(missing("push", "data"))?;
    let mut parts = topic.split('.');
    let head = parts.next().unwrap_or("");
    let mut n = 0;
    match head {
        "publicTrade" => {
            let Raw::Array(a) = data else { return Err(bad("trade", "data")) };
            for item in Elements::new(a).map_err(|e| malformed(e.at))? {
                out(trade(item.map_err(|e| malformed(e.at))?, ts)?, levels_buf);
                n += 1;
            }
        }
        "orderbook" => {
            let depth = parts.next().unwrap_or("");
            let msg = book(data, snapshot_type, ts, levels_buf)?;
            let msg = match msg {
                Message::Depth(d) if depth == "1" => {
                    // The top of book doubles as the best bid/offer when both sides are present.
                    match (levels_buf.bids.first().copied(), levels_buf.asks.first().copied()) {
                        (Some((bp, bs)), Some((ap, asz))) if d.snapshot => {
                            let q = Message::Quote(QuoteMsg {
                                symbol: d.symbol.unwrap_or(""),
                                update_id: d.last_seq,
                                bid_price: bp,
                                bid_qty: bs,
                                ask_price: ap,
                                ask_qty: asz,
                                trade_ts_ms: d.event_ts_ms,
                                event_ts_ms: d.event_ts_ms,
                            });
                            out(q, levels_buf);
                            n += 1;
                            Message::Depth(DepthMsg { partial: true, ..d })
                        }
                        // A one-level image, never part of the book's update chain.
                        _ => Message::Depth(DepthMsg { partial: true, ..d }),
                    }
                }
                m => m,
            };
            out(msg, levels_buf);
            n += 1;
        }
        "tickers" => {
            out(ticker(data, ts)?, levels_buf);
            n += 1;
        }
        "kline" => {
            let interval = parts.next().unwrap_or("");
            let symbol = parts.next().unwrap_or("");
            let Raw::Array(a) = data else { return Err(bad("kline", "data")) };
            for item in Elements::new(a).map_err(|e| malformed(e.at))? {
                out(kline(item.map_err(|e| malformed(e.at))?, interval, symbol)?, levels_buf);
                n += 1;
            }
        }
        _ => {
            out(Message::Ignored, levels_buf);
            n += 1;
        }
    }
    Ok(n)
}

fn trade<'a>(item: Raw<'a>, ts: Option<u64>) -> Result<Message<'a>, DecodeError> {
    const M: &str = "trade";
    let Raw::Object(o) = item else { return Err(bad(M, "data")) };
    let (mut t, mut s, mut side, mut v, mut p, mut i) = (None, None, None, None, None, None);
    for f in Fields::new(o).map_err(|e| malformed(e.at))? {
        let (key, raw) = f.map_err(|e| malformed(e.at))?;
        match key {
            b"T" => t = Some(raw),
            b"s" => s = Some(raw),
            b"S" => side = Some(raw),
            b"v" => v = Some(raw),
            b"p" => p = Some(raw),
            b"i" => i = Some(raw),
            _ => {}
        }
    }
    let (tid, uuid) = i.ok_or(missing(M, "i")).and_then(|r| trade_id(r).ok_or(bad(M, "i")))?;
    Ok(Message::Trade(TradeMsg {
        symbol: str_of(s, M, "s")?,
        trade_id: tid,
        uuid,
        trade_ts_extra_ns: 0,
        price: p.ok_or(missing(M, "p")).and_then(|r| decimal(r).ok_or(bad(M, "p")))?,
        qty: v.ok_or(missing(M, "v")).and_then(|r| decimal(r).ok_or(bad(M, "v")))?,
        side: match side {
            Some(Raw::Str(b"Buy")) => Side::Buy,
            Some(Raw::Str(b"Sell")) => Side::Sell,
            Some(_) => return Err(bad(M, "S")),
            None => return Err(missing(M, "S")),
        },
        trade_ts_ms: t.and_then(uint),
        event_ts_ms: ts,
        aggregated: false,
    }))
}

fn book<'a>(
    data: Raw<'a>,
    snapshot_type: bool,
    ts: Option<u64>,
    levels_buf: &mut Levels,
) -> Result<Message<'a>, DecodeError> {
    const M: &str = "orderbook";
    let Raw::Object(o) = data else { return Err(bad(M, "data")) };
    let mut fields = Fields::new(o).map_err(|e| malformed(e.at))?;
    let (mut s, mut u) = (None, None);
    while let Some(k) = fields.next_key() {
        let (key, at) = k.map_err(|e| malformed(e.at))?;
        match key {
            b"b" | b"a" => {
                let side = if key == b"b" { &mut levels_buf.bids } else { &mut levels_buf.asks };
                side.clear();
                let end = levels(o, at, side).map_err(|_| bad(M, if key == b"b" { "b" } else { "a" }))?;
                fields.skip_to(end);
            }
            _ => {
                let raw = fields.value(at).map_err(|e| malformed(e.at))?;
                match key {
                    b"s" => s = Some(raw),
                    b"u" => u = Some(raw),
                    _ => {}
                }
            }
        }
    }
    let u = u.ok_or(missing(M, "u")).and_then(|r| uint(r).ok_or(bad(M, "u")))?;
    Ok(Message::Depth(DepthMsg {
        symbol: Some(str_of(s, M, "s")?),
        symbol_from_stream: false,
        snapshot: snapshot_type || u == 1,
        partial: false,
        first_seq: None,
        last_seq: u,
        prev_seq: None,
        trade_ts_ms: None,
        event_ts_ms: ts,
    }))
}

fn ticker<'a>(data: Raw<'a>, ts: Option<u64>) -> Result<Message<'a>, DecodeError> {
    const M: &str = "ticker";
    let Raw::Object(o) = data else { return Err(bad(M, "data")) };
    let (mut s, mut bp, mut bs, mut ap, mut asz) = (None, None, None, None, None);
    for f in Fields::new(o).map_err(|e| malformed(e.at))? {
        let (key, raw) = f.map_err(|e| malformed(e.at))?;
        match key {
            b"symbol" => s = Some(raw),
            b"bid1Price" => bp = Some(raw),
            b"bid1Size" => bs = Some(raw),
            b"ask1Price" => ap = Some(raw),
            b"ask1Size" => asz = Some(raw),
            _ => {}
        }
    }
    // Deltas carry only what changed, and spot tickers have no book fields: nothing to quote.
    let (Some(bp), Some(bs), Some(ap), Some(asz)) = (bp, bs, ap, asz) else { return Ok(Message::Ignored) };
    let d = |r: Raw<'_>, f: &'static str| decimal(r).ok_or(bad(M, f));
    Ok(Message::Quote(QuoteMsg {
        symbol: str_of(s, M, "symbol")?,
        update_id: 0,
        bid_price: d(bp, "bid1Price")?,
        bid_qty: d(bs, "bid1Size")?,
        ask_price: d(ap, "ask1Price")?,
        ask_qty: d(asz, "ask1Size")?,
        trade_ts_ms: ts,
        event_ts_ms: ts,
    }))
}

fn kline<'a>(item: Raw<'a>, interval: &'a str, symbol: &'a str) -> Result<Message<'a>, DecodeError> {
    const M: &str = "kline";
    let Raw::Object(o) = item else { return Err(bad(M, "data")) };
    let mut v: [Option<Raw<'a>>; 10] = [None; 10];
    const KEYS: [&[u8]; 10] =
        [b"start", b"end", b"open", b"high", b"low", b"close", b"volume", b"turnover", b"confirm", b"timestamp"];
    for f in Fields::new(o).map_err(|e| malformed(e.at))? {
        let (key, raw) = f.map_err(|e| malformed(e.at))?;
        if let Some(i) = KEYS.iter().position(|k| *k == key) {
            v[i] = Some(raw);
        }
    }
    let names = ["start", "end", "open", "high", "low", "close", "volume", "turnover", "confirm", "timestamp"];
    let d = |i: usize| v[i].ok_or(missing(M, names[i])).and_then(|r| decimal(r).ok_or(bad(M, names[i])));
    let start = v[0].ok_or(missing(M, "start")).and_then(|r| uint(r).ok_or(bad(M, "start")))?;
    let end = match v[1].and_then(uint) {
        Some(e) => e,
        None => start + kline_interval_ms(interval).ok_or(bad(M, "interval"))? - 1,
    };
    Ok(Message::Bar(BarMsg {
        symbol,
        interval,
        open_ts_ms: start,
        close_ts_ms: end,
        open: d(2)?,
        high: d(3)?,
        low: d(4)?,
        close: d(5)?,
        volume: d(6)?,
        quote_volume: d(7)?,
        trades: 0,
        closed: v[8].and_then(boolean).unwrap_or(false),
        event_ts_ms: v[9].and_then(uint),
    }))
}

/// A subscription reply in Bybit's `COMMAND_RESP` form (no `op`):
/// `{"success":true,"ret_msg":"","conn_id":"…","req_id":"1","data":{"successTopics":[…],
/// "failTopics":[…]},"type":"COMMAND_RESP"}`. An acknowledgement when nothing failed, else a
/// refusal naming the first failed topic.
fn command_resp<'a>(top: &Top<'a>) -> Result<Message<'a>, DecodeError> {
    const M: &str = "COMMAND_RESP";
    let id = match top.req_id {
        Some(Raw::Str(s)) => std::str::from_utf8(s).unwrap_or(""),
        _ => "",
    };
    let mut failed = None;
    if let Some(Raw::Object(data)) = top.data {
        for f in Fields::new(data).map_err(|e| malformed(e.at))? {
            if let (b"failTopics", Raw::Array(list)) = f.map_err(|e| malformed(e.at))? {
                failed = match Elements::new(list).map_err(|e| malformed(e.at))?.next() {
                    Some(Ok(Raw::Str(t))) => Some(std::str::from_utf8(t).map_err(|_| bad(M, "failTopics"))?),
                    Some(Ok(_)) => return Err(bad(M, "failTopics")),
                    Some(Err(e)) => return Err(malformed(e.at)),
                    None => None,
                };
            }
        }
    }
    Ok(match (failed, top.success.and_then(boolean)) {
        (None, Some(true)) => Message::Ack { id },
        (Some(topic), _) => Message::Error { code: -1, msg: topic, id },
        (None, _) => {
            let msg = match top.ret_msg {
                Some(Raw::Str(s)) => std::str::from_utf8(s).unwrap_or(""),
                _ => "",
            };
            Message::Error { code: -1, msg, id }
        }
    })
}
