//! HTX spot channels (after [`super::gunzip::Gunzip`]): `market.$s.trade.detail`,
//! `market.$s.bbo`, `market.$s.mbp.$n` (incremental, `prevSeqNum` chains) and its `req`
//! snapshot, `market.$s.mbp.refresh.$n` (the top `$n` in full every time),
//! `market.$s.depth.step*` (snapshots at each price step), `market.$s.kline.$p`,
//! `market.$s.ticker` (24-hour figures with the best bid and offer, read as a quote); the
//! server's `ping` (which must be answered with `pong` or the connection is cut), `sub`
//! acknowledgements and errors.
//!
//! HTX sends numbers as JSON numbers, sometimes in exponent form (trade `id` as `1.37e+26`):
//! decimals are read exactly from the wire text, and trades are identified by `tradeId`.
//! Trades, best bid and offer and book pushes in the documented key order are read in one
//! ordered pass; the rest by the general scanner (any key order, unknown keys ignored).
//!
//! Samples (<https://www.htx.com/en-us/opend/newApiPages/>):
//!
//! ```json
//! {"ch":"market.btcusdt.trade.detail","ts":1630994963175,"tick":{"id":137005445109,"ts":1630994963173,
//!  "data":[{"id":137005445109359286410323766,"ts":1630994963173,"tradeId":102523573486,"amount":0.006754,
//!  "price":52648.62,"direction":"buy"}]}}
//! {"ch":"market.btcusdt.mbp.150","ts":1573199608679,"tick":{"seqNum":100020146795,"prevSeqNum":100020146794,
//!  "bids":[[618.37,0.0]],"asks":[[632.18,1.1]]}}
//! {"ch":"market.btcusdt.ticker","ts":1630982370526,"tick":{"open":51732,"high":52785.64,"low":51000,
//!  "close":52735.63,"amount":13259.24137056181,"vol":687640987.4125315,"count":448737,"bid":52732.88,
//!  "bidSize":0.036,"ask":52732.89,"askSize":0.583653,"lastPrice":52735.63,"lastSize":0.03}}
//! ```

use mdbus_feeder::{
    decode::{BarMsg, DecodeError, DepthMsg, Levels, Message, QuoteMsg, Side, TradeMsg, bad, malformed, missing},
    json::{Elements, Fields, Raw, decimal, levels, uint},
};

/// What a frame was, besides data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Control {
    /// Data (the messages went to the callback).
    Data(usize),
    /// `{"ping": n}`: answer `{"pong": n}` at once.
    Ping(u64),
}

/// Milliseconds of an HTX kline period (`1min`, `5min`, `15min`, `30min`, `60min`, `4hour`,
/// `1day`, `1week`, `1mon`, `1year`).
pub fn period_ms(p: &str) -> Option<u64> {
    let split = p.find(|c: char| !c.is_ascii_digit())?;
    let n: u64 = p[..split].parse().ok()?;
    let unit = match &p[split..] {
        "min" => 60_000,
        "hour" => 3_600_000,
        "day" => 86_400_000,
        "week" => 7 * 86_400_000,
        "mon" => 30 * 86_400_000,
        "year" => 365 * 86_400_000,
        _ => return None,
    };
    Some(n * unit)
}

/// Decodes one decompressed HTX frame, handing messages to `out`.
///
/// # Errors
///
/// [`DecodeError`] naming the problem.
///
/// # Examples
///
/// ```
/// use mdbus_feeder::Levels;
/// use mdbus_venues::htx::market::{Control, decode};
/// let mut levels = Levels::default();
/// assert_eq!(decode(br#"{"ping":1492420473027}"#, &mut levels, &mut |_, _| {})?, Control::Ping(1492420473027));
/// # Ok::<(), mdbus_feeder::DecodeError>(())
/// ```
pub fn decode<'a>(
    frame: &'a [u8],
    levels_buf: &mut Levels,
    out: &mut dyn FnMut(Message<'a>, &Levels),
) -> Result<Control, DecodeError> {
    match super::ordered::decode(frame, levels_buf, out) {
        Some(c) => Ok(c),
        None => decode_general(frame, levels_buf, out),
    }
}

/// [`decode`] with the general scanner only: any key order, any number of trades.
pub(super) fn decode_general<'a>(
    frame: &'a [u8],
    levels_buf: &mut Levels,
    out: &mut dyn FnMut(Message<'a>, &Levels),
) -> Result<Control, DecodeError> {
    levels_buf.clear();
    let mut v: [Option<Raw<'a>>; 11] = [None; 11];
    for f in Fields::new(frame).map_err(|e| malformed(e.at))? {
        let (key, raw) = f.map_err(|e| malformed(e.at))?;
        let i = match key {
            b"ping" => 0,
            b"ch" => 1,
            b"ts" => 2,
            b"tick" => 3,
            b"id" => 4,
            b"status" => 5,
            b"subbed" => 6,
            b"err-msg" => 7,
            b"rep" => 8,
            b"data" => 9,
            b"unsubbed" => 10,
            _ => continue,
        };
        v[i] = Some(raw);
    }
    if let Some(p) = v[0] {
        return uint(p).map(Control::Ping).ok_or(bad("ping", "ping"));
    }
    let id = match v[4] {
        Some(Raw::Str(s) | Raw::Lit(s)) => std::str::from_utf8(s).unwrap_or(""),
        _ => "",
    };
    if let Some(status) = v[5]
        && v[8].is_none()
    {
        let msg = match status {
            Raw::Str(b"ok") if v[6].is_some() || v[10].is_some() => Message::Ack { id },
            Raw::Str(b"ok") => Message::Ignored,
            _ => Message::Error {
                code: -1,
                msg: match v[7] {
                    Some(Raw::Str(s)) => std::str::from_utf8(s).unwrap_or(""),
                    _ => "",
                },
                id,
            },
        };
        out(msg, levels_buf);
        return Ok(Control::Data(1));
    }
    let ts = v[2].and_then(uint);
    // A `req` reply: the MBP snapshot.
    if let Some(Raw::Str(rep)) = v[8] {
        let rep = std::str::from_utf8(rep).map_err(|_| bad("rep", "rep"))?;
        let Some(Raw::Object(data)) = v[9] else { return Err(missing("rep", "data")) };
        let symbol = rep.split('.').nth(1).unwrap_or("");
        let msg = book(data, symbol, (true, false), ts, levels_buf)?;
        out(msg, levels_buf);
        return Ok(Control::Data(1));
    }
    let Some(Raw::Str(ch)) = v[1] else { return Err(missing("push", "ch")) };
    let ch = std::str::from_utf8(ch).map_err(|_| bad("push", "ch"))?;
    let mut parts = ch.split('.');
    let (_, symbol, kind) = (parts.next(), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let Some(Raw::Object(tick)) = v[3] else { return Err(missing("push", "tick")) };
    let n = match kind {
        "trade" => {
            let mut data = None;
            for f in Fields::new(tick).map_err(|e| malformed(e.at))? {
                let (key, raw) = f.map_err(|e| malformed(e.at))?;
                if key == b"data" {
                    data = Some(raw);
                }
            }
            let Some(Raw::Array(a)) = data else { return Err(missing("trade", "data")) };
            let mut n = 0;
            for t in Elements::new(a).map_err(|e| malformed(e.at))? {
                let Raw::Object(t) = t.map_err(|e| malformed(e.at))? else { return Err(bad("trade", "data")) };
                out(trade(t, symbol, ts)?, levels_buf);
                n += 1;
            }
            n
        }
        // The ticker carries the best bid and offer under the same names as `bbo`.
        "bbo" | "ticker" => {
            out(bbo(tick, symbol, ts)?, levels_buf);
            1
        }
        "mbp" => {
            // `mbp.$n` is incremental (chained by `prevSeqNum`); `mbp.refresh.$n` pushes the
            // whole top `$n` every time: a partial book that replaces the last one.
            let refresh = parts.next() == Some("refresh");
            let msg = book(tick, symbol, (refresh, refresh), ts, levels_buf)?;
            out(msg, levels_buf);
            1
        }
        "depth" => {
            let msg = book(tick, symbol, (true, true), ts, levels_buf)?;
            out(msg, levels_buf);
            1
        }
        "kline" => {
            out(kline(tick, symbol, parts.next().unwrap_or(""), ts)?, levels_buf);
            1
        }
        _ => {
            out(Message::Ignored, levels_buf);
            1
        }
    };
    Ok(Control::Data(n))
}

fn trade<'a>(t: &'a [u8], symbol: &'a str, ts: Option<u64>) -> Result<Message<'a>, DecodeError> {
    const M: &str = "trade";
    let (mut tid, mut tts, mut amount, mut price, mut dir) = (None, None, None, None, None);
    for f in Fields::new(t).map_err(|e| malformed(e.at))? {
        let (key, raw) = f.map_err(|e| malformed(e.at))?;
        match key {
            b"tradeId" => tid = Some(raw),
            b"ts" => tts = Some(raw),
            b"amount" => amount = Some(raw),
            b"price" => price = Some(raw),
            b"direction" => dir = Some(raw),
            _ => {}
        }
    }
    let tts = tts.and_then(uint);
    Ok(Message::Trade(TradeMsg {
        symbol,
        trade_id: tid.ok_or(missing(M, "tradeId")).and_then(|r| uint(r).ok_or(bad(M, "tradeId")))?,
        price: price.ok_or(missing(M, "price")).and_then(|r| decimal(r).ok_or(bad(M, "price")))?,
        qty: amount.ok_or(missing(M, "amount")).and_then(|r| decimal(r).ok_or(bad(M, "amount")))?,
        side: match dir {
            Some(Raw::Str(b"buy")) => Side::Buy,
            Some(Raw::Str(b"sell")) => Side::Sell,
            Some(_) => return Err(bad(M, "direction")),
            None => return Err(missing(M, "direction")),
        },
        trade_ts_ms: tts,
        event_ts_ms: ts.or(tts),
        aggregated: false,
        uuid: None,
        trade_ts_extra_ns: 0,
    }))
}

fn bbo<'a>(tick: &'a [u8], symbol: &'a str, ts: Option<u64>) -> Result<Message<'a>, DecodeError> {
    const M: &str = "bbo";
    let mut v: [Option<Raw<'_>>; 6] = [None; 6];
    for f in Fields::new(tick).map_err(|e| malformed(e.at))? {
        let (key, raw) = f.map_err(|e| malformed(e.at))?;
        let i = match key {
            b"seqId" => 0,
            b"bid" => 1,
            b"bidSize" => 2,
            b"ask" => 3,
            b"askSize" => 4,
            b"quoteTime" => 5,
            _ => continue,
        };
        v[i] = Some(raw);
    }
    let d = |i: usize, f: &'static str| v[i].ok_or(missing(M, f)).and_then(|r| decimal(r).ok_or(bad(M, f)));
    Ok(Message::Quote(QuoteMsg {
        symbol,
        update_id: v[0].and_then(uint).unwrap_or(0),
        bid_price: d(1, "bid")?,
        bid_qty: d(2, "bidSize")?,
        ask_price: d(3, "ask")?,
        ask_qty: d(4, "askSize")?,
        trade_ts_ms: v[5].and_then(uint),
        event_ts_ms: ts,
    }))
}

fn book<'a>(
    tick: &'a [u8],
    symbol: &'a str,
    (snapshot, partial): (bool, bool),
    ts: Option<u64>,
    levels_buf: &mut Levels,
) -> Result<Message<'a>, DecodeError> {
    const M: &str = "depth";
    let mut fields = Fields::new(tick).map_err(|e| malformed(e.at))?;
    let (mut seq, mut prev, mut version) = (None, None, None);
    while let Some(k) = fields.next_key() {
        let (key, at) = k.map_err(|e| malformed(e.at))?;
        match key {
            b"bids" | b"asks" => {
                let bid = key == b"bids";
                let side = if bid { &mut levels_buf.bids } else { &mut levels_buf.asks };
                side.clear();
                let end = levels(tick, at, side).map_err(|_| bad(M, if bid { "bids" } else { "asks" }))?;
                fields.skip_to(end);
            }
            _ => {
                let raw = fields.value(at).map_err(|e| malformed(e.at))?;
                match key {
                    b"seqNum" => seq = Some(raw),
                    b"prevSeqNum" => prev = Some(raw),
                    b"version" => version = Some(raw),
                    _ => {}
                }
            }
        }
    }
    let last = seq.or(version).and_then(uint).unwrap_or(0);
    Ok(Message::Depth(DepthMsg {
        symbol: Some(symbol),
        symbol_from_stream: true,
        snapshot,
        partial,
        first_seq: None,
        last_seq: last,
        prev_seq: prev.and_then(uint),
        trade_ts_ms: None,
        event_ts_ms: ts,
    }))
}

fn kline<'a>(tick: &'a [u8], symbol: &'a str, period: &'a str, ts: Option<u64>) -> Result<Message<'a>, DecodeError> {
    const M: &str = "kline";
    let mut v: [Option<Raw<'_>>; 8] = [None; 8];
    for f in Fields::new(tick).map_err(|e| malformed(e.at))? {
        let (key, raw) = f.map_err(|e| malformed(e.at))?;
        let i = match key {
            b"id" => 0,
            b"open" => 1,
            b"high" => 2,
            b"low" => 3,
            b"close" => 4,
            b"amount" => 5,
            b"vol" => 6,
            b"count" => 7,
            _ => continue,
        };
        v[i] = Some(raw);
    }
    let d = |i: usize, f: &'static str| v[i].ok_or(missing(M, f)).and_then(|r| decimal(r).ok_or(bad(M, f)));
    let open = v[0].ok_or(missing(M, "id")).and_then(|r| uint(r).ok_or(bad(M, "id")))? * 1000;
    Ok(Message::Bar(BarMsg {
        symbol,
        interval: period,
        open_ts_ms: open,
        close_ts_ms: open + period_ms(period).ok_or(bad(M, "ch"))? - 1,
        open: d(1, "open")?,
        high: d(2, "high")?,
        low: d(3, "low")?,
        close: d(4, "close")?,
        volume: d(5, "amount")?,
        quote_volume: d(6, "vol")?,
        trades: v[7].and_then(uint).unwrap_or(0),
        closed: false,
        event_ts_ms: ts,
    }))
}
