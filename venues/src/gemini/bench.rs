//! Gemini's decode benchmark subject: documented frames (a trade, a 20-level book update, a best
//! bid and offer), the zero-allocation decoder on them, and the serde_json baseline reading
//! the same fields.

use mdbus_feeder::{Levels, Message, gunzip::Gunzip};
use serde_json::Value;

use crate::bench::{Parser, Read8, Subject, d8, dec, field, m8, parse, side};

/// The subject.
pub const SUBJECT: Subject =
    Subject { venue: "gemini", frames, fast, serde, gzip: false, typed: Some(typed), inflated: None };

fn frames() -> Vec<(&'static str, Vec<u8>)> {
    vec![
            ("trade", br#"{"type":"trade","symbol":"BTCUSD","event_id":3575573053,"timestamp":1601617445083,"price":"9122.07","quantity":"0.0141858","side":"buy"}"#.to_vec()),
            ("book20", format!(r#"{{"type":"l2_updates","symbol":"BTCUSD","changes":[{},{}]}}"#, side(10, 9122.04, -0.01, Some("buy")), side(10, 9122.07, 0.01, Some("sell"))).into_bytes()),
    ]
}

fn fast(frame: &[u8], levels: &mut Levels, _inflater: &mut Gunzip, on: &mut dyn FnMut(Message<'_>, &Levels)) -> bool {
    super::market::decode(frame, false, levels, on).is_ok()
}

fn serde(v: &Value, r: &mut Read8) {
    let f = field;
    r.messages += 1;
    match v["type"].as_str().unwrap_or("") {
        "trade" => r.sum += f(v, "price") + f(v, "quantity"),
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

/// Gemini's frames as borrowed structs: `type`, the trade's `price` and `quantity`, or the
/// `changes` (`[side, price, quantity]`).
#[derive(serde::Deserialize)]
struct Frame<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(borrow, default)]
    price: Option<&'a str>,
    #[serde(borrow, default)]
    quantity: Option<&'a str>,
    #[serde(borrow, default)]
    changes: Vec<(&'a str, &'a str, &'a str)>,
}

fn typed(_frame: &str, bytes: &[u8], parser: Parser) -> Option<Read8> {
    let f: Frame<'_> = parse(bytes, parser)?;
    let mut r = Read8 { messages: 1, ..Read8::default() };
    if f.kind == "trade" {
        r.sum += d8(f.price?) + d8(f.quantity?);
    } else {
        for c in &f.changes {
            r.levels += 1;
            r.sum += d8(c.1) + d8(c.2);
        }
    }
    Some(r)
}
