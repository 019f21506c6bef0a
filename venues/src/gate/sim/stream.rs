//! Gate.io v4 spot dialect (`/ws/v4/`): one channel per request with its payload and an `id`
//! echoed in the reply, `spot.ping`/`spot.pong`, `spot.order_book_update` diffs with `U`/`u`
//! (the snapshot is the REST `order_book` the simulator also serves), `spot.obu` (order book
//! v2: the full book right after the subscribe, and again on the `resnapshot_every` fault,
//! then `U`/`u` incremental pushes), trades and book ticker; `spot.tickers` and
//! `spot.candlesticks` built from the trades the connection sees.

use mdbus_sim::{
    dialect::{Dialect, Ev, Session, levels, px, qty},
    tape::{Tape, quote},
};

use crate::gate::market::interval_ms;

pub(crate) struct Gate {
    /// The tickers' rolling windows and the open candles.
    tape: Tape,
}

impl Gate {
    pub(crate) fn new(s: &Session) -> Gate {
        Gate { tape: Tape::new(s.books.len()) }
    }

    /// The `spot.tickers` and `spot.candlesticks` updates of a trade, for those subscribed.
    fn summaries(&mut self, ev: &Ev, s: &Session) -> Vec<String> {
        let Ev::Trade { sym, ms, .. } = *ev else { return Vec::new() };
        self.tape.record(ev);
        let pair = &s.books[sym].symbol;
        let mut out = Vec::new();
        if s.subs.contains(&format!("spot.tickers|{pair}")) {
            let r = self.tape.rolling(sym);
            let (bids, asks) = s.books[sym].sides(1);
            let (bp, ap) = (bids.first().map_or(0, |l| l.0), asks.first().map_or(0, |l| l.0));
            let pct = if r.open == 0 { 0.0 } else { r.change() as f64 * 100.0 / r.open as f64 };
            out.push(format!(
                r#"{{{},"event":"update","result":{{"currency_pair":"{pair}","last":"{}","lowest_ask":"{}","highest_bid":"{}","change_percentage":"{pct:.2}","base_volume":"{}","quote_volume":"{}","high_24h":"{}","low_24h":"{}"}}}}"#,
                head("spot.tickers", ms),
                px(r.last),
                px(ap),
                px(bp),
                qty(r.volume),
                quote(r.quote),
                px(r.high),
                px(r.low)
            ));
        }
        let suffix = format!(",{pair}");
        let intervals: Vec<String> = s
            .subs
            .iter()
            .filter_map(|k| k.strip_prefix("spot.candlesticks|")?.strip_suffix(&suffix))
            .map(str::to_owned)
            .collect();
        for i in intervals {
            let Some(k) = interval_ms(&i).and_then(|span| self.tape.bar(ev, span)) else { continue };
            out.push(format!(
                r#"{{{},"event":"update","result":{{"t":"{}","v":"{}","c":"{}","h":"{}","l":"{}","o":"{}","n":"{i}_{pair}","a":"{}","w":false}}}}"#,
                head("spot.candlesticks", ms),
                k.start / 1000,
                quote(k.quote),
                px(k.close),
                px(k.high),
                px(k.low),
                px(k.open),
                qty(k.volume)
            ));
        }
        out
    }
}

/// The pair and level count of a `spot.obu` payload (`ob.BTC_USDT.50`).
fn obu_stream(payload: &str) -> Option<(&str, usize)> {
    let (pair, levels) = payload.strip_prefix("ob.")?.rsplit_once('.')?;
    Some((pair, levels.parse().ok().filter(|n| [50, 400].contains(n))?))
}

/// A `spot.obu` full push of `pair`'s book as of now.
fn obu_full(stream: &str, book: &mdbus_sim::dialect::Book, levels_n: usize, ms: u64) -> String {
    let (bids, asks) = book.sides(levels_n);
    format!(
        r#"{{"channel":"spot.obu","result":{{"t":{ms},"full":true,"s":"{stream}","u":{},"b":[{}],"a":[{}]}}}}"#,
        book.last_id,
        levels(&bids),
        levels(&asks)
    )
}

fn head(channel: &str, ms: u64) -> String {
    format!(r#""time":{},"time_ms":{ms},"channel":"{channel}""#, ms / 1000)
}

impl Dialect for Gate {
    fn request(&mut self, text: &str, s: &mut Session) -> Vec<String> {
        let v: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
        let ms = mdbus_sim::dialect::now_ms();
        let channel = v.get("channel").and_then(|c| c.as_str()).unwrap_or("").to_owned();
        if channel == "spot.ping" {
            return vec![format!(r#"{{{},"event":"","result":null}}"#, head("spot.pong", ms))];
        }
        let id = v.get("id").cloned().unwrap_or(serde_json::Value::Null);
        let event = v.get("event").and_then(|e| e.as_str()).unwrap_or("").to_owned();
        let payload: Vec<String> = v
            .get("payload")
            .and_then(|p| p.as_array())
            .into_iter()
            .flatten()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect();
        let key = format!("{channel}|{}", payload.join(","));
        let obu = channel == "spot.obu";
        let pair_known = payload.iter().any(|p| {
            let pair = if obu { obu_stream(p).map(|(pair, _)| pair) } else { Some(p.as_str()) };
            pair.and_then(|pair| s.symbol(pair)).is_some()
        });
        let error = |code: i64, message: &str| {
            serde_json::json!({"time": ms / 1000, "time_ms": ms, "id": id, "channel": channel, "event": event,
                "error": {"code": code, "message": message}, "result": null})
            .to_string()
        };
        // A channel this simulator does not produce is refused, never acknowledged and left silent.
        let served = matches!(
            channel.as_str(),
            "spot.trades" | "spot.book_ticker" | "spot.order_book_update" | "spot.obu" | "spot.tickers"
        ) || (channel == "spot.candlesticks" && payload.first().is_some_and(|i| interval_ms(i).is_some()));
        match event.as_str() {
            "subscribe" if !served => vec![error(1, &format!("unknown channel {channel}"))],
            "subscribe" if s.faults.refuse.contains(&key) || !pair_known => vec![error(2, "unknown currency pair")],
            "subscribe" | "unsubscribe" => {
                if obu && event == "subscribe" && s.subs.contains(&key) {
                    // One subscription per stream and connection.
                    return vec![error(2, &format!("Alert sub {}", payload.join(",")))];
                }
                let mut out = vec![
                    serde_json::json!({"time": ms / 1000, "time_ms": ms, "id": id, "channel": channel, "event": event,
                    "result": {"status": "success"}})
                    .to_string(),
                ];
                if event == "subscribe" {
                    s.subs.insert(key);
                    // The first push after a subscribe is the full book.
                    for p in payload.iter().filter(|_| obu) {
                        if let Some(sym) = obu_stream(p).and_then(|(pair, n)| Some((s.symbol(pair)?, n))) {
                            out.push(obu_full(p, &s.books[sym.0], sym.1, ms));
                        }
                    }
                } else {
                    s.subs.remove(&key);
                }
                out
            }
            _ => vec![error(1, "invalid request")],
        }
    }

    fn event(&mut self, ev: &Ev, s: &mut Session) -> Vec<String> {
        let pair = s.books[ev.sym()].symbol.clone();
        let mut out = Vec::new();
        if let Ev::Depth { sym, first, last, bids, asks, ms, .. } = ev {
            for n in [50, 400] {
                let stream = format!("ob.{pair}.{n}");
                if !s.subs.contains(&format!("spot.obu|{stream}")) {
                    continue;
                }
                if s.every(*sym, s.faults.resnapshot_every) {
                    // The venue may push the full book again at any time.
                    out.push(obu_full(&stream, &s.books[*sym], n, *ms));
                } else {
                    out.push(format!(
                        r#"{{"channel":"spot.obu","result":{{"t":{ms},"s":"{stream}","U":{first},"u":{last},"b":[{}],"a":[{}]}}}}"#,
                        levels(bids),
                        levels(asks)
                    ));
                }
            }
        }
        out.extend(match ev {
            Ev::Depth { first, last, bids, asks, ms, .. }
                if s.subs.contains(&format!("spot.order_book_update|{pair},100ms")) =>
            {
                vec![format!(
                    r#"{{{},"event":"update","result":{{"t":{ms},"e":"depthUpdate","E":{},"s":"{pair}","U":{first},"u":{last},"b":[{}],"a":[{}]}}}}"#,
                    head("spot.order_book_update", *ms),
                    ms / 1000,
                    levels(bids),
                    levels(asks)
                )]
            }
            Ev::Trade { id, price, qty: q, buy, ms, .. } => {
                let mut out = Vec::new();
                if s.subs.contains(&format!("spot.trades|{pair}")) {
                    out.push(format!(
                        r#"{{{},"event":"update","result":{{"id":{id},"create_time":{},"create_time_ms":"{ms}.000","side":"{}","currency_pair":"{pair}","amount":"{}","price":"{}"}}}}"#,
                        head("spot.trades", *ms),
                        ms / 1000,
                        if *buy { "buy" } else { "sell" },
                        qty(*q),
                        px(*price)
                    ));
                }
                out.extend(self.summaries(ev, s));
                out
            }
            Ev::Top { id, bid, ask, ms, .. } if s.subs.contains(&format!("spot.book_ticker|{pair}")) => {
                vec![format!(
                    r#"{{{},"event":"update","result":{{"t":{ms},"u":{id},"s":"{pair}","b":"{}","B":"{}","a":"{}","A":"{}"}}}}"#,
                    head("spot.book_ticker", *ms),
                    px(bid.0),
                    qty(bid.1),
                    px(ask.0),
                    qty(ask.1)
                )]
            }
            _ => Vec::new(),
        });
        out
    }

    fn malformed(&self) -> String {
        r#"{"channel":"spot.trades","event":"update","result":{"price":"#.into()
    }
}
