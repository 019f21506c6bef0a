//! `mdbus bench decode --venue V` for OKX, Bybit, Gate.io, Gemini and HTX: each venue's
//! zero-allocation decoder beside a serde_json decode of the same frames (parse to a
//! `serde_json::Value`, then read the same fields and decimals), in one run, after checking
//! that both read the same messages, levels and prices.

use std::{hint::black_box, io::Read, io::Write, time::Instant};

use mdbus_feeder::{Levels, Message};
use mdbus_schemas::Decimal;
use mdbus_venues::{bybit, gate, gemini, htx, okx};
use serde_json::{Value, json};

/// The venues this benchmark covers.
pub const VENUES: [&str; 5] = ["okx", "bybit", "gateio", "gemini", "htx"];

fn side(n: usize, base: f64, step: f64, gemini_side: Option<&str>) -> String {
    (0..n)
        .map(|i| {
            let (p, q) = (base + step * i as f64, 0.125 + i as f64 * 1.5);
            match gemini_side {
                Some(s) => format!(r#"["{s}","{p:.2}","{q:.8}"]"#),
                None => format!(r#"["{p:.2}","{q:.8}"]"#),
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn gz(text: &str) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = e.write_all(text.as_bytes());
    e.finish().unwrap_or_default()
}

/// The frames measured per venue: a trade, a 20-level book update and a best bid/offer.
pub fn frames(venue: &str) -> Vec<(&'static str, Vec<u8>)> {
    match venue {
        "okx" => vec![
            ("trade", br#"{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"130639474","px":"42219.9","sz":"0.12060306","side":"buy","ts":"1630048897897","count":"3"}]}"#.to_vec()),
            ("book20", format!(r#"{{"arg":{{"channel":"books","instId":"BTC-USDT"}},"action":"update","data":[{{"asks":[{}],"bids":[{}],"ts":"1597026383085","checksum":0,"prevSeqId":123456,"seqId":123457}}]}}"#, side(20, 42220.0, 0.1, None).replace("\"]", "\",\"0\",\"3\"]"), side(20, 42219.9, -0.1, None).replace("\"]", "\",\"0\",\"2\"]")).into_bytes()),
            ("bbo", br#"{"arg":{"channel":"bbo-tbt","instId":"BCH-USDT-SWAP"},"data":[{"asks":[["111.06","55154","0","2"]],"bids":[["111.05","57745","0","2"]],"ts":"1670324386802","seqId":363996337}]}"#.to_vec()),
        ],
        "bybit" => vec![
            ("trade", br#"{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1672304486868,"data":[{"T":1672304486865,"s":"BTCUSDT","S":"Buy","v":"0.001","p":"16578.50","L":"PlusTick","i":"2290000000061666327","BT":false}]}"#.to_vec()),
            ("book20", format!(r#"{{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1672304484978,"data":{{"s":"BTCUSDT","b":[{}],"a":[{}],"u":18521289,"seq":7961638724}},"cts":1672304484976}}"#, side(20, 16578.5, -0.5, None), side(20, 16579.0, 0.5, None)).into_bytes()),
            ("bbo", br#"{"topic":"orderbook.1.ETHUSDT","type":"snapshot","ts":5,"data":{"s":"ETHUSDT","b":[["2000.5","3"]],"a":[["2001","4"]],"u":77,"seq":9}}"#.to_vec()),
        ],
        "gateio" => vec![
            ("trade", br#"{"time":1606292218,"time_ms":1606292218231,"channel":"spot.trades","event":"update","result":{"id":309143071,"create_time":1606292218,"create_time_ms":"1606292218213","side":"sell","currency_pair":"GT_USDT","amount":"16.4700000000","price":"0.4705000000"}}"#.to_vec()),
            ("book20", format!(r#"{{"time":1606294781,"time_ms":1606294781236,"channel":"spot.order_book_update","event":"update","result":{{"t":1606294781123,"e":"depthUpdate","E":1606294781,"s":"BTC_USDT","U":48776301,"u":48776306,"b":[{}],"a":[{}]}}}}"#, side(20, 19137.74, -0.01, None), side(20, 19137.75, 0.01, None)).into_bytes()),
            ("bbo", br#"{"time":1606293275,"time_ms":1606293275723,"channel":"spot.book_ticker","event":"update","result":{"t":1606293275123,"u":48733182,"s":"BTC_USDT","b":"19177.79","B":"0.0003341504","a":"19179.38","A":"0.09"}}"#.to_vec()),
        ],
        "gemini" => vec![
            ("trade", br#"{"type":"trade","symbol":"BTCUSD","event_id":3575573053,"timestamp":1601617445083,"price":"9122.07","quantity":"0.0141858","side":"buy"}"#.to_vec()),
            ("book20", format!(r#"{{"type":"l2_updates","symbol":"BTCUSD","changes":[{},{}]}}"#, side(10, 9122.04, -0.01, Some("buy")), side(10, 9122.07, 0.01, Some("sell"))).into_bytes()),
        ],
        "htx" => vec![
            ("trade", gz(r#"{"ch":"market.btcusdt.trade.detail","ts":1630994963175,"tick":{"id":137005445109,"ts":1630994963173,"data":[{"id":137005445109359286410323766,"ts":1630994963173,"tradeId":102523573486,"amount":0.006754,"price":52648.62,"direction":"buy"}]}}"#)),
            ("book20", gz(&format!(r#"{{"ch":"market.btcusdt.mbp.150","ts":1573199608679,"tick":{{"seqNum":100020146795,"prevSeqNum":100020146794,"bids":[{}],"asks":[{}]}}}}"#, side(20, 618.37, -0.01, None).replace('"', ""), side(20, 632.18, 0.01, None).replace('"', "")))),
            ("bbo", gz(r#"{"ch":"market.btcusdt.bbo","ts":1630994555540,"tick":{"seqId":136998202000,"ask":52650.0,"askSize":0.1,"bid":52649.99,"bidSize":0.03,"quoteTime":1630994555539,"symbol":"btcusdt"}}"#)),
        ],
        _ => Vec::new(),
    }
}

/// What a decode read: messages, levels, and the sum of every price and quantity mantissa at
/// exponent −8 (a fingerprint both paths must agree on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Read8 {
    messages: usize,
    levels: usize,
    sum: i128,
}

thread_local! {
    /// Whether decimals are folded into the fingerprint (checking) or only parsed (timing).
    static FINGERPRINT: std::cell::Cell<bool> = const { std::cell::Cell::new(true) };
}

fn m8(d: Decimal) -> i128 {
    if FINGERPRINT.with(std::cell::Cell::get) { d.rescale(-8).unwrap_or(0) } else { i128::from(d.exponent()) }
}

fn add_levels(r: &mut Read8, l: &Levels) {
    for (p, q) in l.bids.iter().chain(&l.asks) {
        r.levels += 1;
        r.sum += m8(*p) + m8(*q);
    }
}

fn add_msg(r: &mut Read8, m: &Message<'_>, l: &Levels) {
    r.messages += 1;
    match m {
        Message::Trade(t) => r.sum += m8(t.price) + m8(t.qty),
        Message::Quote(q) => r.sum += m8(q.bid_price) + m8(q.bid_qty) + m8(q.ask_price) + m8(q.ask_qty),
        Message::Depth(_) => add_levels(r, l),
        _ => {}
    }
}

/// The fast path (HTX includes inflating the frame).
pub fn fast(venue: &str, frame: &[u8], levels: &mut Levels, g: &mut htx::gunzip::Gunzip) -> Read8 {
    let mut r = Read8::default();
    let mut on = |m: Message<'_>, l: &Levels| add_msg(&mut r, &m, l);
    let ok = match venue {
        "okx" => okx::market::decode(frame, levels, &mut on).is_ok(),
        "bybit" => bybit::market::decode(frame, levels, &mut on).is_ok(),
        "gemini" => gemini::market::decode(frame, false, levels, &mut on).is_ok(),
        "htx" => match g.gunzip(frame) {
            Ok(text) => htx::market::decode(text, levels, &mut on).is_ok(),
            Err(_) => false,
        },
        "gateio" => match gate::market::decode(frame, levels) {
            Ok(m) => {
                on(m, levels);
                true
            }
            Err(_) => false,
        },
        _ => false,
    };
    if ok { r } else { Read8::default() }
}

fn dec(v: &Value) -> Option<Decimal> {
    match v {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.to_string().parse().ok(),
        _ => None,
    }
}

fn pairs(r: &mut Read8, levels: Option<&Value>) {
    for l in levels.and_then(Value::as_array).into_iter().flatten() {
        if let (Some(p), Some(q)) = (l.get(0).and_then(dec), l.get(1).and_then(dec)) {
            r.levels += 1;
            r.sum += m8(p) + m8(q);
        }
    }
}

/// The serde_json path: the whole frame into a `Value`, then the same fields.
pub fn serde(venue: &str, frame: &[u8]) -> Read8 {
    let mut r = Read8::default();
    let text;
    let bytes = if venue == "htx" {
        let mut out = Vec::new();
        if flate2::read::GzDecoder::new(frame).read_to_end(&mut out).is_err() {
            return r;
        }
        text = out;
        &text[..]
    } else {
        frame
    };
    let Ok(v) = serde_json::from_slice::<Value>(bytes) else { return r };
    let f = |o: &Value, k: &str| o.get(k).and_then(dec).map(m8).unwrap_or(0);
    match venue {
        "okx" => {
            let channel = v["arg"]["channel"].as_str().unwrap_or("");
            for d in v["data"].as_array().into_iter().flatten() {
                r.messages += 1;
                match channel {
                    "trades" => r.sum += f(d, "px") + f(d, "sz"),
                    "bbo-tbt" => {
                        for s in ["bids", "asks"] {
                            if let Some(l) = d[s].get(0) {
                                r.sum += l.get(0).and_then(dec).map(m8).unwrap_or(0)
                                    + l.get(1).and_then(dec).map(m8).unwrap_or(0);
                            }
                        }
                    }
                    _ => {
                        pairs(&mut r, d.get("bids"));
                        pairs(&mut r, d.get("asks"));
                    }
                }
            }
        }
        "bybit" => {
            let topic = v["topic"].as_str().unwrap_or("");
            if topic.starts_with("publicTrade") {
                for d in v["data"].as_array().into_iter().flatten() {
                    r.messages += 1;
                    r.sum += f(d, "p") + f(d, "v");
                }
            } else {
                let d = &v["data"];
                if topic.starts_with("orderbook.1.") {
                    r.messages += 1;
                    for s in ["b", "a"] {
                        if let Some(l) = d[s].get(0) {
                            r.sum += l.get(0).and_then(dec).map(m8).unwrap_or(0)
                                + l.get(1).and_then(dec).map(m8).unwrap_or(0);
                        }
                    }
                }
                r.messages += 1;
                pairs(&mut r, d.get("b"));
                pairs(&mut r, d.get("a"));
            }
        }
        "gateio" => {
            let res = &v["result"];
            r.messages += 1;
            match v["channel"].as_str().unwrap_or("") {
                "spot.trades" => r.sum += f(res, "price") + f(res, "amount"),
                "spot.book_ticker" => r.sum += f(res, "b") + f(res, "B") + f(res, "a") + f(res, "A"),
                _ => {
                    pairs(&mut r, res.get("b"));
                    pairs(&mut r, res.get("a"));
                }
            }
        }
        "gemini" => {
            r.messages += 1;
            match v["type"].as_str().unwrap_or("") {
                "trade" => r.sum += f(&v, "price") + f(&v, "quantity"),
                _ => {
                    for c in v["changes"].as_array().into_iter().flatten() {
                        if let (Some(p), Some(q)) = (c.get(1).and_then(dec), c.get(2).and_then(dec)) {
                            r.levels += 1;
                            r.sum += m8(p) + m8(q);
                        }
                    }
                }
            }
        }
        "htx" => {
            let tick = &v["tick"];
            let ch = v["ch"].as_str().unwrap_or("");
            if ch.ends_with("trade.detail") {
                for d in tick["data"].as_array().into_iter().flatten() {
                    r.messages += 1;
                    r.sum += f(d, "price") + f(d, "amount");
                }
            } else if ch.ends_with(".bbo") {
                r.messages += 1;
                r.sum += f(tick, "bid") + f(tick, "bidSize") + f(tick, "ask") + f(tick, "askSize");
            } else {
                r.messages += 1;
                pairs(&mut r, tick.get("bids"));
                pairs(&mut r, tick.get("asks"));
            }
        }
        _ => {}
    }
    r
}

fn best(iters: u32, mut f: impl FnMut() -> usize) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..7 {
        let t0 = Instant::now();
        let mut n = 0;
        for _ in 0..iters {
            n += black_box(f());
        }
        black_box(n);
        best = best.min(t0.elapsed().as_nanos() as f64 / f64::from(iters));
    }
    best
}

/// Runs the benchmark for `venue`: `{frame}_fast_ns`, `{frame}_serde_ns`, `{frame}_speedup`
/// and `{frame}_bytes` per frame.
///
/// # Errors
///
/// For an unknown venue, or when the two paths read a frame differently.
pub fn run(venue: &str, iters: u32) -> Result<Value, String> {
    let frames = frames(venue);
    if frames.is_empty() {
        return Err(format!("no frames for venue {venue:?}: use binance or one of {}", VENUES.join(", ")));
    }
    let mut out = serde_json::Map::new();
    out.insert("venue".into(), json!(venue));
    let mut levels = Levels::default();
    let mut g = htx::gunzip::Gunzip::default();
    for (name, frame) in &frames {
        let a = fast(venue, frame, &mut levels, &mut g);
        let b = serde(venue, frame);
        if a != b || a.messages == 0 {
            return Err(format!("{venue} {name}: fast {a:?} and serde_json {b:?} read the frame differently"));
        }
        // Timed without folding decimals into the fingerprint: both paths only decode.
        FINGERPRINT.with(|f| f.set(false));
        let fast_ns = best(iters, || fast(venue, black_box(frame), &mut levels, &mut g).messages);
        let serde_ns = best(iters, || serde(venue, black_box(frame)).messages);
        FINGERPRINT.with(|f| f.set(true));
        out.insert(format!("{name}_fast_ns"), json!((fast_ns * 10.0).round() / 10.0));
        out.insert(format!("{name}_serde_ns"), json!((serde_ns * 10.0).round() / 10.0));
        out.insert(format!("{name}_speedup"), json!((serde_ns / fast_ns * 100.0).round() / 100.0));
        out.insert(format!("{name}_bytes"), json!(frame.len()));
    }
    out.insert("frames".into(), json!(frames.iter().map(|(n, _)| *n).collect::<Vec<_>>()));
    Ok(Value::Object(out))
}
