//! Gate.io's decode benchmark subject: documented frames (a trade, a 20-level book update, a best
//! bid and offer), the zero-allocation decoder on them, and the serde_json baseline reading
//! the same fields.

use mdbus_feeder::{Levels, Message, gunzip::Gunzip};
use serde_json::Value;

use crate::bench::{Parser, Read8, Subject, d8, field, pairs, parse, side};

/// The subject.
pub const SUBJECT: Subject =
    Subject { venue: "gateio", frames, fast, serde, gzip: false, typed: Some(typed), inflated: None };

fn frames() -> Vec<(&'static str, Vec<u8>)> {
    vec![
            ("trade", br#"{"time":1606292218,"time_ms":1606292218231,"channel":"spot.trades","event":"update","result":{"id":309143071,"create_time":1606292218,"create_time_ms":"1606292218213","side":"sell","currency_pair":"GT_USDT","amount":"16.4700000000","price":"0.4705000000"}}"#.to_vec()),
            ("book20", format!(r#"{{"time":1606294781,"time_ms":1606294781236,"channel":"spot.order_book_update","event":"update","result":{{"t":1606294781123,"e":"depthUpdate","E":1606294781,"s":"BTC_USDT","U":48776301,"u":48776306,"b":[{}],"a":[{}]}}}}"#, side(20, 19137.74, -0.01, None), side(20, 19137.75, 0.01, None)).into_bytes()),
            ("bbo", br#"{"time":1606293275,"time_ms":1606293275723,"channel":"spot.book_ticker","event":"update","result":{"t":1606293275123,"u":48733182,"s":"BTC_USDT","b":"19177.79","B":"0.0003341504","a":"19179.38","A":"0.09"}}"#.to_vec()),
    ]
}

fn fast(frame: &[u8], levels: &mut Levels, _inflater: &mut Gunzip, on: &mut dyn FnMut(Message<'_>, &Levels)) -> bool {
    match super::market::decode(frame, levels) {
        Ok(m) => {
            on(m, levels);
            true
        }
        Err(_) => false,
    }
}

fn serde(v: &Value, r: &mut Read8) {
    let f = field;
    let res = &v["result"];
    r.messages += 1;
    match v["channel"].as_str().unwrap_or("") {
        "spot.trades" => r.sum += f(res, "price") + f(res, "amount"),
        "spot.book_ticker" => r.sum += f(res, "b") + f(res, "B") + f(res, "a") + f(res, "A"),
        _ => {
            pairs(r, res.get("b"));
            pairs(r, res.get("a"));
        }
    }
}

/// Gate.io's frames as borrowed structs, one per channel: `result` with the trade's `price` and
/// `amount`, the best bid and offer (`b`, `B`, `a`, `A`) or the book's levels (`b`, `a`).
#[derive(serde::Deserialize)]
struct Frame<T> {
    result: T,
}

#[derive(serde::Deserialize)]
struct Trade<'a> {
    price: &'a str,
    amount: &'a str,
}

#[derive(serde::Deserialize)]
struct Bbo<'a> {
    b: &'a str,
    #[serde(rename = "B")]
    bid_qty: &'a str,
    a: &'a str,
    #[serde(rename = "A")]
    ask_qty: &'a str,
}

#[derive(serde::Deserialize)]
struct Book<'a> {
    #[serde(borrow)]
    b: Vec<(&'a str, &'a str)>,
    #[serde(borrow)]
    a: Vec<(&'a str, &'a str)>,
}

fn typed(frame: &str, bytes: &[u8], parser: Parser) -> Option<Read8> {
    let mut r = Read8 { messages: 1, ..Read8::default() };
    match frame {
        "trade" => {
            let t: Frame<Trade<'_>> = parse(bytes, parser)?;
            r.sum += d8(t.result.price) + d8(t.result.amount);
        }
        "bbo" => {
            let q: Frame<Bbo<'_>> = parse(bytes, parser)?;
            let q = q.result;
            r.sum += d8(q.b) + d8(q.bid_qty) + d8(q.a) + d8(q.ask_qty);
        }
        _ => {
            let book: Frame<Book<'_>> = parse(bytes, parser)?;
            for l in book.result.b.iter().chain(&book.result.a) {
                r.levels += 1;
                r.sum += d8(l.0) + d8(l.1);
            }
        }
    }
    Some(r)
}
