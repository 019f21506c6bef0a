//! Gemini v2 market data (`wss://api.gemini.com/v2/marketdata`): `l2_updates` (the first one
//! after a subscribe is the whole book, with no sequence), `trade`, `candles_*_updates`,
//! `heartbeat`.
//!
//! An `l2_updates` frame also carries recent trades on the first message; they are handed out
//! as trades after the book message. Changes are `[side, price, quantity]` with side `buy` or
//! `sell`; candles are arrays of JSON numbers.
//!
//! Trades and book updates in the documented key order are read in one ordered pass; the
//! rest by the general scanner (any key order, unknown keys ignored).
//!
//! Samples (<https://docs.gemini.com/websocket/market-data/v2/>):
//!
//! ```json
//! {"type":"l2_updates","symbol":"BTCUSD","changes":[["buy","9122.04","0.00121425"],["sell","9122.07","0.98942292"]]}
//! {"type":"trade","symbol":"BTCUSD","event_id":3575573053,"timestamp":1601617445083,"price":"9122.07","quantity":"0.0141858","side":"buy"}
//! {"type":"candles_15m_updates","symbol":"BTCUSD","changes":[[1561054500000,9350.18,9358.35,9350.18,9355.51,2.07]]}
//! ```

use mdbus_schemas::Decimal;

use mdbus_feeder::{
    decode::{BarMsg, DecodeError, DepthMsg, Levels, Message, Side, TradeMsg, bad, malformed, missing, str_of},
    json::{Elements, Fields, Raw, decimal, uint},
};

/// Milliseconds of a Gemini candle type (`candles_1m_updates` → `1m`).
pub fn interval_ms(interval: &str) -> Option<u64> {
    match interval {
        "1m" => Some(60_000),
        "5m" => Some(300_000),
        "15m" => Some(900_000),
        "30m" => Some(1_800_000),
        "1h" => Some(3_600_000),
        "6h" => Some(21_600_000),
        "1d" => Some(86_400_000),
        _ => None,
    }
}

/// Decodes one Gemini frame, handing each message to `out` with the levels it refers to.
/// An `l2_updates` frame is a [`Message::Depth`] marked `snapshot` when it is the first one of
/// a subscription (`first_of_subscription`), which the caller knows.
///
/// # Errors
///
/// [`DecodeError`] naming the problem.
///
/// # Examples
///
/// ```
/// use mdbus_feeder::{Levels, Message};
/// use mdbus_venues::gemini::market::decode;
/// let frame = br#"{"type":"l2_updates","symbol":"BTCUSD","changes":[["buy","9122.04","0.5"],["sell","9122.07","0"]]}"#;
/// let mut levels = Levels::default();
/// let mut sides = None;
/// decode(frame, false, &mut levels, &mut |m, l| if let Message::Depth(_) = m { sides = Some((l.bids.len(), l.asks.len())) })?;
/// assert_eq!(sides, Some((1, 1)));
/// # Ok::<(), mdbus_feeder::DecodeError>(())
/// ```
pub fn decode<'a>(
    frame: &'a [u8],
    first_of_subscription: bool,
    levels_buf: &mut Levels,
    out: &mut dyn FnMut(Message<'a>, &Levels),
) -> Result<usize, DecodeError> {
    match super::ordered::decode(frame, first_of_subscription, levels_buf, out) {
        Some(n) => Ok(n),
        None => decode_general(frame, first_of_subscription, levels_buf, out),
    }
}

/// [`decode`] with the general scanner only: any key order.
pub(super) fn decode_general<'a>(
    frame: &'a [u8],
    first_of_subscription: bool,
    levels_buf: &mut Levels,
    out: &mut dyn FnMut(Message<'a>, &Levels),
) -> Result<usize, DecodeError> {
    levels_buf.clear();
    let mut v: [Option<Raw<'a>>; 9] = [None; 9];
    for f in Fields::new(frame).map_err(|e| malformed(e.at))? {
        let (key, raw) = f.map_err(|e| malformed(e.at))?;
        let i = match key {
            b"type" => 0,
            b"symbol" => 1,
            b"changes" => 2,
            b"trades" => 3,
            b"event_id" => 4,
            b"timestamp" => 5,
            b"price" => 6,
            b"quantity" => 7,
            b"side" => 8,
            _ => continue,
        };
        v[i] = Some(raw);
    }
    let kind = str_of(v[0], "frame", "type")?;
    match kind {
        "l2_updates" => {
            const M: &str = "l2_updates";
            let symbol = str_of(v[1], M, "symbol")?;
            let Some(Raw::Array(changes)) = v[2] else { return Err(missing(M, "changes")) };
            for c in Elements::new(changes).map_err(|e| malformed(e.at))? {
                let Raw::Array(c) = c.map_err(|e| malformed(e.at))? else { return Err(bad(M, "changes")) };
                let mut it = Elements::new(c).map_err(|e| malformed(e.at))?;
                let side = it.next().and_then(Result::ok);
                let price = it.next().and_then(Result::ok).and_then(decimal).ok_or(bad(M, "changes"))?;
                let qty = it.next().and_then(Result::ok).and_then(decimal).ok_or(bad(M, "changes"))?;
                match side {
                    Some(Raw::Str(b"buy")) => levels_buf.bids.push((price, qty)),
                    Some(Raw::Str(b"sell")) => levels_buf.asks.push((price, qty)),
                    _ => return Err(bad(M, "changes")),
                }
            }
            out(
                Message::Depth(DepthMsg {
                    symbol: Some(symbol),
                    symbol_from_stream: false,
                    snapshot: first_of_subscription,
                    partial: false,
                    first_seq: None,
                    last_seq: 0,
                    prev_seq: None,
                    trade_ts_ms: None,
                    event_ts_ms: None,
                }),
                levels_buf,
            );
            let mut n = 1;
            if let Some(Raw::Array(trades)) = v[3] {
                levels_buf.clear();
                for t in Elements::new(trades).map_err(|e| malformed(e.at))? {
                    let Raw::Object(t) = t.map_err(|e| malformed(e.at))? else { return Err(bad(M, "trades")) };
                    out(trade(t, Some(symbol))?, levels_buf);
                    n += 1;
                }
            }
            Ok(n)
        }
        "trade" => {
            out(trade(frame, None)?, levels_buf);
            Ok(1)
        }
        k if k.starts_with("candles_") && k.ends_with("_updates") => {
            const M: &str = "candles";
            let interval = &k[8..k.len() - 8];
            let dur = interval_ms(interval).ok_or(bad(M, "type"))?;
            let symbol = str_of(v[1], M, "symbol")?;
            let Some(Raw::Array(changes)) = v[2] else { return Err(missing(M, "changes")) };
            let mut n = 0;
            for c in Elements::new(changes).map_err(|e| malformed(e.at))? {
                let Raw::Array(c) = c.map_err(|e| malformed(e.at))? else { return Err(bad(M, "changes")) };
                let mut vals = [None; 6];
                for (i, e) in Elements::new(c).map_err(|e| malformed(e.at))?.enumerate().take(6) {
                    vals[i] = Some(e.map_err(|e| malformed(e.at))?);
                }
                let d = |i: usize| vals[i].and_then(decimal).ok_or(bad(M, "changes"));
                let open_ts = vals[0].and_then(uint).ok_or(bad(M, "changes"))?;
                out(
                    Message::Bar(BarMsg {
                        symbol,
                        interval,
                        open_ts_ms: open_ts,
                        close_ts_ms: open_ts + dur - 1,
                        open: d(1)?,
                        high: d(2)?,
                        low: d(3)?,
                        close: d(4)?,
                        volume: d(5)?,
                        quote_volume: Decimal::ZERO,
                        trades: 0,
                        closed: false,
                        event_ts_ms: None,
                    }),
                    levels_buf,
                );
                n += 1;
            }
            Ok(n)
        }
        _ => {
            out(Message::Ignored, levels_buf);
            Ok(1)
        }
    }
}

fn trade<'a>(o: &'a [u8], symbol: Option<&'a str>) -> Result<Message<'a>, DecodeError> {
    const M: &str = "trade";
    let (mut sym, mut id, mut ts, mut px, mut qty, mut side) = (None, None, None, None, None, None);
    for f in Fields::new(o).map_err(|e| malformed(e.at))? {
        let (key, raw) = f.map_err(|e| malformed(e.at))?;
        match key {
            b"symbol" => sym = Some(raw),
            b"event_id" | b"tid" => id = Some(raw),
            b"timestamp" => ts = Some(raw),
            b"price" => px = Some(raw),
            b"quantity" => qty = Some(raw),
            b"side" => side = Some(raw),
            _ => {}
        }
    }
    let ts = ts.and_then(uint);
    Ok(Message::Trade(TradeMsg {
        symbol: match symbol {
            Some(s) => s,
            None => str_of(sym, M, "symbol")?,
        },
        trade_id: id.ok_or(missing(M, "event_id")).and_then(|r| uint(r).ok_or(bad(M, "event_id")))?,
        price: px.ok_or(missing(M, "price")).and_then(|r| decimal(r).ok_or(bad(M, "price")))?,
        qty: qty.ok_or(missing(M, "quantity")).and_then(|r| decimal(r).ok_or(bad(M, "quantity")))?,
        side: match side {
            Some(Raw::Str(b"buy")) => Side::Buy,
            Some(Raw::Str(b"sell")) => Side::Sell,
            Some(_) => return Err(bad(M, "side")),
            None => return Err(missing(M, "side")),
        },
        trade_ts_ms: ts,
        event_ts_ms: ts,
        aggregated: false,
        uuid: None,
        trade_ts_extra_ns: 0,
    }))
}
