//! Bybit's decode benchmark subject: documented frames (a trade, a 20-level book update, a best
//! bid and offer), the zero-allocation decoder on them, and the serde_json baseline reading
//! the same fields.

use mdbus_feeder::{Levels, Message, gunzip::Gunzip};
use serde_json::Value;

use crate::bench::{Parser, Read8, Subject, d8, dec, field, m8, pairs, parse, side};

/// The subject.
pub const SUBJECT: Subject =
    Subject { venue: "bybit", frames, fast, serde, gzip: false, typed: Some(typed), inflated: None };

fn frames() -> Vec<(&'static str, Vec<u8>)> {
    vec![
            ("trade", br#"{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1672304486868,"data":[{"T":1672304486865,"s":"BTCUSDT","S":"Buy","v":"0.001","p":"16578.50","L":"PlusTick","i":"2290000000061666327","BT":false}]}"#.to_vec()),
            ("book20", format!(r#"{{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1672304484978,"data":{{"s":"BTCUSDT","b":[{}],"a":[{}],"u":18521289,"seq":7961638724}},"cts":1672304484976}}"#, side(20, 16578.5, -0.5, None), side(20, 16579.0, 0.5, None)).into_bytes()),
            ("bbo", br#"{"topic":"orderbook.1.ETHUSDT","type":"snapshot","ts":5,"data":{"s":"ETHUSDT","b":[["2000.5","3"]],"a":[["2001","4"]],"u":77,"seq":9}}"#.to_vec()),
    ]
}

fn fast(frame: &[u8], levels: &mut Levels, _inflater: &mut Gunzip, on: &mut dyn FnMut(Message<'_>, &Levels)) -> bool {
    super::market::decode(frame, levels, on).is_ok()
}

fn serde(v: &Value, r: &mut Read8) {
    let f = field;
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
                    r.sum += l.get(0).and_then(dec).map(m8).unwrap_or(0) + l.get(1).and_then(dec).map(m8).unwrap_or(0);
                }
            }
        }
        r.messages += 1;
        pairs(r, d.get("b"));
        pairs(r, d.get("a"));
    }
}

/// Bybit's trade frame as borrowed structs: the trades' `p` and `v`.
#[derive(serde::Deserialize)]
struct Trades<'a> {
    #[serde(borrow)]
    data: Vec<Trade<'a>>,
}

#[derive(serde::Deserialize)]
struct Trade<'a> {
    p: &'a str,
    v: &'a str,
}

/// Bybit's book frames: `topic`, and one book's levels (`b`, `a`).
#[derive(serde::Deserialize)]
struct Books<'a> {
    topic: &'a str,
    #[serde(borrow)]
    data: Book<'a>,
}

#[derive(serde::Deserialize)]
struct Book<'a> {
    #[serde(borrow)]
    b: Vec<(&'a str, &'a str)>,
    #[serde(borrow)]
    a: Vec<(&'a str, &'a str)>,
}

fn typed(frame: &str, bytes: &[u8], parser: Parser) -> Option<Read8> {
    let mut r = Read8::default();
    if frame == "trade" {
        let f: Trades<'_> = parse(bytes, parser)?;
        for t in f.data {
            r.messages += 1;
            r.sum += d8(t.p) + d8(t.v);
        }
        return Some(r);
    }
    let f: Books<'_> = parse(bytes, parser)?;
    if f.topic.starts_with("orderbook.1.") {
        r.messages += 1;
        for l in f.data.b.first().into_iter().chain(f.data.a.first()) {
            r.sum += d8(l.0) + d8(l.1);
        }
    }
    r.messages += 1;
    for l in f.data.b.iter().chain(&f.data.a) {
        r.levels += 1;
        r.sum += d8(l.0) + d8(l.1);
    }
    Some(r)
}
