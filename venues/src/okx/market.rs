//! OKX v5 public channels: `trades`, `bbo-tbt`, `tickers`, `books` / `books5` /
//! `books-l2-tbt` / `books50-l2-tbt`, `candle*`, plus `subscribe` / `error` events and the
//! text `pong`.
//!
//! One-item pushes in the documented key order are read in one ordered pass; the rest with
//! one scan of the frame with the zero-allocation scanner; any key order (`arg` may come after
//! `data`), unknown keys ignored, a repeated key's last value wins, decimals as JSON strings or
//! numbers (exponent notation included). A frame may carry several trades, so messages go to a
//! callback.
//!
//! Samples (<https://www.okx.com/docs-v5/en/#order-book-trading-market-data-ws>):
//!
//! ```json
//! {"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"130639474",
//!  "px":"42219.9","sz":"0.12060306","side":"buy","ts":"1630048897897","count":"3"}]}
//! {"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot","data":[{"asks":[["8476.98",
//!  "415","0","13"]],"bids":[["8476.97","256","0","12"]],"ts":"1597026383085","checksum":-855196043,
//!  "prevSeqId":-1,"seqId":123456}]}
//! ```

use mdbus_feeder::{
    decode::{
        BarMsg, DecodeError, DepthMsg, Levels, Message, QuoteMsg, Side, TradeMsg, bad, malformed, missing, str_of,
    },
    json::{Elements, Fields, Raw, decimal, int, levels, text, uint},
};

/// Milliseconds of an OKX candle channel's interval (`candle1m`, `candle4H`, `candle1Dutc`...).
pub fn candle_interval_ms(interval: &str) -> Option<u64> {
    let i = interval.strip_suffix("utc").unwrap_or(interval);
    let split = i.find(|c: char| !c.is_ascii_digit())?;
    let n: u64 = i[..split].parse().ok()?;
    let unit = match &i[split..] {
        "s" => 1_000,
        "m" => 60_000,
        "H" => 3_600_000,
        "D" => 86_400_000,
        "W" => 7 * 86_400_000,
        "M" => 30 * 86_400_000,
        _ => return None,
    };
    Some(n * unit)
}

/// The top-level fields of an OKX frame.
#[derive(Default)]
struct Top<'a> {
    event: Option<Raw<'a>>,
    arg: Option<Raw<'a>>,
    action: Option<Raw<'a>>,
    data: Option<Raw<'a>>,
    code: Option<Raw<'a>>,
    msg: Option<Raw<'a>>,
    id: Option<Raw<'a>>,
}

/// Decodes one OKX frame, handing each message to `out` with the levels it refers to.
/// Returns how many messages were handed out.
///
/// # Errors
///
/// [`DecodeError`] naming the problem; messages already handed out for this frame stay valid.
///
/// # Examples
///
/// ```
/// use mdbus_feeder::{Levels, Message};
/// use mdbus_venues::okx::market::decode;
///
/// let frame = br#"{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"1","px":"42219.9","sz":"0.5","side":"sell","ts":"1630048897897"}]}"#;
/// let mut levels = Levels::default();
/// let mut trades = Vec::new();
/// decode(frame, &mut levels, &mut |m, _| if let Message::Trade(t) = m { trades.push((t.price.to_string(), t.trade_id)) })?;
/// assert_eq!(trades, [("42219.9".to_owned(), 1)]);
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
    let trimmed = frame.trim_ascii();
    if trimmed == b"pong" {
        out(Message::Ignored, levels_buf);
        return Ok(1);
    }
    let mut top = Top::default();
    let mut fields = Fields::new(trimmed).map_err(|e| malformed(e.at))?;
    for f in &mut fields {
        let (key, raw) = f.map_err(|e| malformed(e.at))?;
        match key {
            b"event" => top.event = Some(raw),
            b"arg" => top.arg = Some(raw),
            b"action" => top.action = Some(raw),
            b"data" => top.data = Some(raw),
            b"code" => top.code = Some(raw),
            b"msg" => top.msg = Some(raw),
            b"id" => top.id = Some(raw),
            _ => {}
        }
    }
    if let Some(event) = top.event {
        let event = str_of(Some(event), "event", "event")?;
        let id_raw = top.id.or(top.arg);
        let id = match id_raw {
            Some(Raw::Str(s) | Raw::Object(s) | Raw::Lit(s)) => std::str::from_utf8(s).unwrap_or(""),
            _ => "",
        };
        let msg = match event {
            "subscribe" | "unsubscribe" => Message::Ack { id },
            "error" => Message::Error {
                code: top
                    .code
                    .and_then(|c| int(c).or_else(|| text(c).and_then(|t| std::str::from_utf8(t).ok()?.parse().ok())))
                    .unwrap_or(0),
                msg: top
                    .msg
                    .and_then(|m| if let Raw::Str(s) = m { std::str::from_utf8(s).ok() } else { None })
                    .unwrap_or(""),
                id,
            },
            _ => Message::Ignored,
        };
        out(msg, levels_buf);
        return Ok(1);
    }
    let Some(Raw::Object(arg)) = top.arg else { return Err(missing("push", "arg")) };
    let (mut channel, mut inst) = (None, None);
    for f in Fields::new(arg).map_err(|e| malformed(e.at))? {
        let (key, raw) = f.map_err(|e| malformed(e.at))?;
        match key {
            b"channel" => channel = Some(raw),
            b"instId" => inst = Some(raw),
            _ => {}
        }
    }
    let channel = str_of(channel, "push", "arg.channel")?;
    let Some(Raw::Array(data)) = top.data else { return Err(missing("push", "data")) };
    let mut n = 0;
    for item in Elements::new(data).map_err(|e| malformed(e.at))? {
        let item = item.map_err(|e| malformed(e.at))?;
        let msg = match channel {
            "trades" | "trades-all" => trade(item, inst)?,
            "tickers" => ticker(item, inst)?,
            "bbo-tbt" => match book(item, inst, (true, true), levels_buf)? {
                Message::Depth(d) => bbo(&d, levels_buf)?,
                other => other,
            },
            "books" | "books5" | "books-l2-tbt" | "books50-l2-tbt" => {
                let snapshot = channel == "books5" || matches!(top.action, Some(Raw::Str(b"snapshot")));
                book(item, inst, (snapshot, channel == "books5"), levels_buf)?
            }
            c if c.starts_with("candle") => candle(item, inst, &c[6..])?,
            _ => Message::Ignored,
        };
        out(msg, levels_buf);
        n += 1;
    }
    Ok(n)
}

fn inst_str<'a>(own: Option<Raw<'a>>, arg: Option<Raw<'a>>, message: &'static str) -> Result<&'a str, DecodeError> {
    str_of(own.or(arg), message, "instId")
}

fn trade<'a>(item: Raw<'a>, arg_inst: Option<Raw<'a>>) -> Result<Message<'a>, DecodeError> {
    const M: &str = "trade";
    let Raw::Object(o) = item else { return Err(bad(M, "data")) };
    let (mut inst, mut id, mut px, mut sz, mut side, mut ts, mut count) = (None, None, None, None, None, None, None);
    for f in Fields::new(o).map_err(|e| malformed(e.at))? {
        let (key, raw) = f.map_err(|e| malformed(e.at))?;
        match key {
            b"instId" => inst = Some(raw),
            b"tradeId" => id = Some(raw),
            b"px" => px = Some(raw),
            b"sz" => sz = Some(raw),
            b"side" => side = Some(raw),
            b"ts" => ts = Some(raw),
            b"count" => count = Some(raw),
            _ => {}
        }
    }
    let ts = ts.and_then(uint);
    Ok(Message::Trade(TradeMsg {
        symbol: inst_str(inst, arg_inst, M)?,
        trade_id: id.ok_or(missing(M, "tradeId")).and_then(|r| uint(r).ok_or(bad(M, "tradeId")))?,
        price: px.ok_or(missing(M, "px")).and_then(|r| decimal(r).ok_or(bad(M, "px")))?,
        qty: sz.ok_or(missing(M, "sz")).and_then(|r| decimal(r).ok_or(bad(M, "sz")))?,
        side: match side {
            Some(Raw::Str(b"buy")) => Side::Buy,
            Some(Raw::Str(b"sell")) => Side::Sell,
            Some(_) => return Err(bad(M, "side")),
            None => return Err(missing(M, "side")),
        },
        trade_ts_ms: ts,
        event_ts_ms: ts,
        aggregated: count.and_then(uint).is_some_and(|c| c > 1),
        uuid: None,
        trade_ts_extra_ns: 0,
    }))
}

fn ticker<'a>(item: Raw<'a>, arg_inst: Option<Raw<'a>>) -> Result<Message<'a>, DecodeError> {
    const M: &str = "ticker";
    let Raw::Object(o) = item else { return Err(bad(M, "data")) };
    let (mut inst, mut bp, mut bs, mut ap, mut asz, mut ts) = (None, None, None, None, None, None);
    for f in Fields::new(o).map_err(|e| malformed(e.at))? {
        let (key, raw) = f.map_err(|e| malformed(e.at))?;
        match key {
            b"instId" => inst = Some(raw),
            b"bidPx" => bp = Some(raw),
            b"bidSz" => bs = Some(raw),
            b"askPx" => ap = Some(raw),
            b"askSz" => asz = Some(raw),
            b"ts" => ts = Some(raw),
            _ => {}
        }
    }
    let d = |r: Option<Raw<'_>>, f: &'static str| r.ok_or(missing(M, f)).and_then(|r| decimal(r).ok_or(bad(M, f)));
    let ts = ts.and_then(uint);
    Ok(Message::Quote(QuoteMsg {
        symbol: inst_str(inst, arg_inst, M)?,
        update_id: 0,
        bid_price: d(bp, "bidPx")?,
        bid_qty: d(bs, "bidSz")?,
        ask_price: d(ap, "askPx")?,
        ask_qty: d(asz, "askSz")?,
        trade_ts_ms: ts,
        event_ts_ms: ts,
    }))
}

/// A book item; its levels go into `levels_buf`.
fn book<'a>(
    item: Raw<'a>,
    arg_inst: Option<Raw<'a>>,
    (snapshot, partial): (bool, bool),
    levels_buf: &mut Levels,
) -> Result<Message<'a>, DecodeError> {
    const M: &str = "book";
    let Raw::Object(o) = item else { return Err(bad(M, "data")) };
    levels_buf.clear();
    let mut fields = Fields::new(o).map_err(|e| malformed(e.at))?;
    let (mut inst, mut ts, mut seq, mut prev) = (None, None, None, None);
    while let Some(k) = fields.next_key() {
        let (key, at) = k.map_err(|e| malformed(e.at))?;
        match key {
            b"bids" | b"asks" => {
                let side = if key == b"bids" { &mut levels_buf.bids } else { &mut levels_buf.asks };
                // A repeated key replaces, as with every other field.
                side.clear();
                let end = levels(o, at, side).map_err(|_| bad(M, if key == b"bids" { "bids" } else { "asks" }))?;
                fields.skip_to(end);
            }
            _ => {
                let raw = fields.value(at).map_err(|e| malformed(e.at))?;
                match key {
                    b"instId" => inst = Some(raw),
                    b"ts" => ts = Some(raw),
                    b"seqId" => seq = Some(raw),
                    b"prevSeqId" => prev = Some(raw),
                    _ => {}
                }
            }
        }
    }
    let ts = ts.and_then(uint);
    let seq = match seq {
        Some(r) => Some(int(r).or_else(|| uint(r).and_then(|v| i64::try_from(v).ok())).ok_or(bad(M, "seqId"))?),
        None => None,
    };
    let prev = match prev {
        Some(r) => int(r).or_else(|| uint(r).and_then(|v| i64::try_from(v).ok())).ok_or(bad(M, "prevSeqId"))?,
        None => -1,
    };
    Ok(Message::Depth(DepthMsg {
        symbol: Some(inst_str(inst, arg_inst, M)?),
        symbol_from_stream: false,
        snapshot,
        partial,
        first_seq: None,
        last_seq: seq.map_or(0, |s| s.max(0) as u64),
        prev_seq: (prev >= 0).then_some(prev as u64),
        trade_ts_ms: None,
        event_ts_ms: ts,
    }))
}

/// `bbo-tbt`: the best level of each side as a quote.
fn bbo<'a>(d: &DepthMsg<'a>, levels_buf: &mut Levels) -> Result<Message<'a>, DecodeError> {
    const M: &str = "bbo-tbt";
    let (Some(&(bp, bs)), Some(&(ap, asz))) = (levels_buf.bids.first(), levels_buf.asks.first()) else {
        return Err(missing(M, "bids/asks"));
    };
    levels_buf.clear();
    Ok(Message::Quote(QuoteMsg {
        symbol: d.symbol.unwrap_or(""),
        update_id: d.last_seq,
        bid_price: bp,
        bid_qty: bs,
        ask_price: ap,
        ask_qty: asz,
        trade_ts_ms: d.event_ts_ms,
        event_ts_ms: d.event_ts_ms,
    }))
}

/// A candle: `[ts, o, h, l, c, vol, volCcy, volCcyQuote, confirm]`.
fn candle<'a>(item: Raw<'a>, arg_inst: Option<Raw<'a>>, interval: &'a str) -> Result<Message<'a>, DecodeError> {
    const M: &str = "candle";
    let Raw::Array(a) = item else { return Err(bad(M, "data")) };
    let mut v: [Option<Raw<'a>>; 9] = [None; 9];
    for (i, e) in Elements::new(a).map_err(|e| malformed(e.at))?.enumerate() {
        let e = e.map_err(|e| malformed(e.at))?;
        if let Some(slot) = v.get_mut(i) {
            *slot = Some(e);
        }
    }
    let d = |i: usize, f: &'static str| v[i].ok_or(missing(M, f)).and_then(|r| decimal(r).ok_or(bad(M, f)));
    let open_ts = v[0].ok_or(missing(M, "ts")).and_then(|r| uint(r).ok_or(bad(M, "ts")))?;
    let dur = candle_interval_ms(interval).ok_or(bad(M, "arg.channel"))?;
    Ok(Message::Bar(BarMsg {
        symbol: str_of(arg_inst, M, "arg.instId")?,
        interval,
        open_ts_ms: open_ts,
        close_ts_ms: open_ts + dur - 1,
        open: d(1, "o")?,
        high: d(2, "h")?,
        low: d(3, "l")?,
        close: d(4, "c")?,
        volume: d(5, "vol")?,
        quote_volume: v[7].and_then(decimal).or_else(|| v[6].and_then(decimal)).unwrap_or(mdbus_schemas::Decimal::ZERO),
        trades: 0,
        closed: matches!(v[8], Some(Raw::Str(b"1")) | Some(Raw::Lit(b"1"))),
        event_ts_ms: None,
    }))
}
