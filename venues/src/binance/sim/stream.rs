//! Binance's dialect: raw `/ws/<stream>` and combined `/stream?streams=...` endpoints,
//! `SUBSCRIBE`/`UNSUBSCRIBE`/`LIST_SUBSCRIPTIONS` with acks, spot or USD-M payloads.

use mdbus_sim::{
    dialect::{Dialect, Ev, Session, levels, px, qty},
    tape::{Tape, quote},
};

/// The simulator publishes one speed per stream: `btcusdt@depth@100ms` is `btcusdt@depth`.
fn normalize(stream: &str) -> String {
    stream.trim_end_matches("@100ms").trim_end_matches("@1000ms").to_owned()
}

/// Whether the simulator produces `stream` (`<symbol>@trade|aggTrade|bookTicker|depth|ticker|miniTicker`,
/// `<symbol>@kline_<interval>`).
fn served(stream: &str, s: &Session) -> bool {
    let Some((sym, kind)) = stream.split_once('@') else { return false };
    let kline = kind.strip_prefix("kline_").is_some_and(|i| mdbus_sdk::market::interval_ms(i).is_some());
    (kline || matches!(kind, "trade" | "aggTrade" | "bookTicker" | "depth" | "ticker" | "miniTicker"))
        && s.symbol(sym).is_some()
}

pub(crate) struct Binance {
    usdm: bool,
    combined: bool,
    /// The rolling ticker windows and open candles.
    tape: Tape,
}

impl Binance {
    /// The dialect for a connection to `target`, with the streams the URL names subscribed.
    pub(crate) fn new(usdm: bool, target: &str, s: &mut Session) -> Binance {
        // `/stream?streams=a/b` is the combined endpoint, `/ws` and `/ws/<stream>` the raw one,
        // wherever they sit in the path (a client may put the venue's host name in front).
        let path = target.split('?').next().unwrap_or(target);
        let combined = path.ends_with("/stream");
        if let Some(list) = mdbus_sim::rest::query(target, "streams") {
            s.subs.extend(list.split('/').filter(|x| !x.is_empty()).map(normalize));
        } else if let Some((_, one)) = path.rsplit_once("/ws/") {
            s.subs.insert(normalize(one));
        }
        Binance { usdm, combined, tape: Tape::new(s.books.len()) }
    }

    /// The `@aggTrade`, `@ticker`, `@miniTicker` and `@kline_<interval>` payloads a trade makes, for the streams
    /// of them this connection subscribed (each trade is its own aggregate).
    fn trade_streams(&mut self, ev: &Ev, s: &Session) -> Vec<(String, String)> {
        let Ev::Trade { sym, id, price, qty: q, buy, ms } = *ev else { return Vec::new() };
        let b = &s.books[sym];
        let lower = b.symbol.to_ascii_lowercase();
        let mut out = Vec::new();
        self.tape.record(ev);
        let r = self.tape.rolling(sym);
        if s.subs.contains(&format!("{lower}@aggTrade")) {
            let m = if self.usdm { String::new() } else { r#","M":true"#.to_owned() };
            out.push((
                format!("{lower}@aggTrade"),
                format!(
                    r#"{{"e":"aggTrade","E":{ms},"s":"{}","a":{id},"p":"{}","q":"{}","f":{id},"l":{id},"T":{ms},"m":{}{m}}}"#,
                    b.symbol,
                    px(price),
                    qty(q),
                    !buy
                ),
            ));
        }
        if s.subs.contains(&format!("{lower}@ticker")) {
            let (bids, asks) = b.sides(1);
            let ((bp, bq), (ap, aq)) =
                (bids.first().copied().unwrap_or((0, 0)), asks.first().copied().unwrap_or((0, 0)));
            let book = if self.usdm {
                String::new()
            } else {
                format!(
                    r#""x":"{}","b":"{}","B":"{}","a":"{}","A":"{}","#,
                    px(r.open),
                    px(bp),
                    qty(bq),
                    px(ap),
                    qty(aq)
                )
            };
            out.push((
                format!("{lower}@ticker"),
                format!(
                    r#"{{"e":"24hrTicker","E":{ms},"s":"{}","p":"{}","P":"{}","w":"{}",{book}"c":"{}","Q":"{}","o":"{}","h":"{}","l":"{}","v":"{}","q":"{}","O":{},"C":{ms},"F":{},"L":{id},"n":{}}}"#,
                    b.symbol,
                    px(r.change()),
                    r.change_percent(),
                    px(r.average()),
                    px(price),
                    qty(q),
                    px(r.open),
                    px(r.high),
                    px(r.low),
                    qty(r.volume),
                    quote(r.quote),
                    r.first_ms,
                    r.first_id,
                    r.count
                ),
            ));
        }
        if s.subs.contains(&format!("{lower}@miniTicker")) {
            out.push((
                format!("{lower}@miniTicker"),
                format!(
                    r#"{{"e":"24hrMiniTicker","E":{ms},"s":"{}","c":"{}","o":"{}","h":"{}","l":"{}","v":"{}","q":"{}"}}"#,
                    b.symbol,
                    px(price),
                    px(r.open),
                    px(r.high),
                    px(r.low),
                    qty(r.volume),
                    quote(r.quote)
                ),
            ));
        }
        let prefix = format!("{lower}@kline_");
        let intervals: Vec<String> = s.subs.iter().filter_map(|k| k.strip_prefix(&prefix)).map(str::to_owned).collect();
        for i in intervals {
            let Some(span) = mdbus_sdk::market::interval_ms(&i) else { continue };
            let Some(k) = self.tape.bar(ev, span) else { continue };
            out.push((
                format!("{prefix}{i}"),
                format!(
                    r#"{{"e":"kline","E":{ms},"s":"{}","k":{{"t":{},"T":{},"s":"{}","i":"{i}","f":{},"L":{},"o":"{}","c":"{}","h":"{}","l":"{}","v":"{}","n":{},"x":false,"q":"{}","V":"{}","Q":"0","B":"0"}}}}"#,
                    b.symbol,
                    k.start,
                    k.end(),
                    b.symbol,
                    k.first_id,
                    k.last_id,
                    px(k.open),
                    px(k.close),
                    px(k.high),
                    px(k.low),
                    qty(k.volume),
                    k.count,
                    quote(k.quote),
                    qty(k.buy_volume)
                ),
            ));
        }
        out
    }

    /// Stream name and payload of `ev`.
    fn spell(&self, ev: &Ev, s: &Session) -> (String, String) {
        let b = &s.books[ev.sym()];
        let lower = b.symbol.to_ascii_lowercase();
        match ev {
            Ev::Depth { first, last, bids, asks, ms, .. } => {
                let json = if self.usdm {
                    format!(
                        r#"{{"e":"depthUpdate","E":{ms},"T":{ms},"s":"{}","U":{first},"u":{last},"pu":{},"b":[{}],"a":[{}]}}"#,
                        b.symbol,
                        first - 1,
                        levels(bids),
                        levels(asks)
                    )
                } else {
                    format!(
                        r#"{{"e":"depthUpdate","E":{ms},"s":"{}","U":{first},"u":{last},"b":[{}],"a":[{}]}}"#,
                        b.symbol,
                        levels(bids),
                        levels(asks)
                    )
                };
                (format!("{lower}@depth"), json)
            }
            Ev::Trade { id, price, qty: q, buy, ms, .. } => (
                format!("{lower}@trade"),
                format!(
                    r#"{{"e":"trade","E":{ms},"s":"{}","t":{id},"p":"{}","q":"{}","T":{ms},"m":{},"M":true}}"#,
                    b.symbol,
                    px(*price),
                    qty(*q),
                    !buy
                ),
            ),
            Ev::Top { id, bid, ask, ms, .. } => {
                let head = if self.usdm { format!(r#""e":"bookTicker","E":{ms},"T":{ms},"#) } else { String::new() };
                (
                    format!("{lower}@bookTicker"),
                    format!(
                        r#"{{{head}"u":{id},"s":"{}","b":"{}","B":"{}","a":"{}","A":"{}"}}"#,
                        b.symbol,
                        px(bid.0),
                        qty(bid.1),
                        px(ask.0),
                        qty(ask.1)
                    ),
                )
            }
        }
    }
}

impl Dialect for Binance {
    fn request(&mut self, text: &str, s: &mut Session) -> Vec<String> {
        let v: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
        let id = v.get("id").cloned().unwrap_or(serde_json::Value::Null);
        let params: Vec<String> = v
            .get("params")
            .and_then(|p| p.as_array())
            .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        let reply = match v.get("method").and_then(|m| m.as_str()) {
            Some("SUBSCRIBE") if params.iter().any(|p| s.faults.refuse.contains(p)) => {
                serde_json::json!({"code": 2, "msg": "Invalid request: unknown stream", "id": id})
            }
            // A stream this simulator does not produce is refused, never acknowledged and then
            // left silent.
            Some("SUBSCRIBE") if params.iter().any(|p| !served(&normalize(p), s)) => {
                let p = params.iter().find(|p| !served(&normalize(p), s)).cloned().unwrap_or_default();
                serde_json::json!({"code": 2, "msg": format!("Invalid request: stream {p} is not served"), "id": id})
            }
            Some("SUBSCRIBE") => {
                s.subs.extend(params.iter().map(|p| normalize(p)));
                serde_json::json!({"result": null, "id": id})
            }
            Some("UNSUBSCRIBE") => {
                for p in &params {
                    s.subs.remove(&normalize(p));
                }
                serde_json::json!({"result": null, "id": id})
            }
            Some("LIST_SUBSCRIPTIONS") => serde_json::json!({"result": s.subs.iter().collect::<Vec<_>>(), "id": id}),
            _ => serde_json::json!({"code": 3, "msg": "Invalid JSON", "id": id}),
        };
        vec![reply.to_string()]
    }

    fn event(&mut self, ev: &Ev, s: &mut Session) -> Vec<String> {
        let mut frames = vec![self.spell(ev, s)];
        frames.retain(|(stream, _)| s.subs.contains(stream));
        frames.extend(self.trade_streams(ev, s));
        let combined = self.combined;
        frames
            .into_iter()
            .map(|(stream, json)| if combined { format!(r#"{{"stream":"{stream}","data":{json}}}"#) } else { json })
            .collect()
    }

    fn malformed(&self) -> String {
        r#"{"stream":"broken","data":{"e":"trade","p":"#.into()
    }
}
