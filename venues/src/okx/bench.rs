//! OKX's decode benchmark subject: documented frames (a trade, a 20-level book update, a best
//! bid and offer), the zero-allocation decoder on them, and the serde_json baseline reading
//! the same fields.

use mdbus_feeder::{Levels, Message, gunzip::Gunzip};
use serde_json::Value;

use crate::bench::{Parser, Read8, Subject, d8, dec, field, m8, pairs, parse, side};

/// The subject.
pub const SUBJECT: Subject =
    Subject { venue: "okx", frames, fast, serde, gzip: false, typed: Some(typed), inflated: None };

fn frames() -> Vec<(&'static str, Vec<u8>)> {
    vec![
            ("trade", br#"{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"130639474","px":"42219.9","sz":"0.12060306","side":"buy","ts":"1630048897897","count":"3"}]}"#.to_vec()),
            ("book20", format!(r#"{{"arg":{{"channel":"books","instId":"BTC-USDT"}},"action":"update","data":[{{"asks":[{}],"bids":[{}],"ts":"1597026383085","checksum":0,"prevSeqId":123456,"seqId":123457}}]}}"#, side(20, 42220.0, 0.1, None).replace("\"]", "\",\"0\",\"3\"]"), side(20, 42219.9, -0.1, None).replace("\"]", "\",\"0\",\"2\"]")).into_bytes()),
            ("bbo", br#"{"arg":{"channel":"bbo-tbt","instId":"BCH-USDT-SWAP"},"data":[{"asks":[["111.06","55154","0","2"]],"bids":[["111.05","57745","0","2"]],"ts":"1670324386802","seqId":363996337}]}"#.to_vec()),
    ]
}

fn fast(frame: &[u8], levels: &mut Levels, _inflater: &mut Gunzip, on: &mut dyn FnMut(Message<'_>, &Levels)) -> bool {
    super::market::decode(frame, levels, on).is_ok()
}

fn serde(v: &Value, r: &mut Read8) {
    let f = field;
    let channel = v["arg"]["channel"].as_str().unwrap_or("");
    for d in v["data"].as_array().into_iter().flatten() {
        r.messages += 1;
        match channel {
            "trades" => r.sum += f(d, "px") + f(d, "sz"),
            "bbo-tbt" => {
                for s in ["bids", "asks"] {
                    if let Some(l) = d[s].get(0) {
                        r.sum +=
                            l.get(0).and_then(dec).map(m8).unwrap_or(0) + l.get(1).and_then(dec).map(m8).unwrap_or(0);
                    }
                }
            }
            _ => {
                pairs(r, d.get("bids"));
                pairs(r, d.get("asks"));
            }
        }
    }
}

/// OKX's frames as borrowed structs: `arg.channel`, and per `data` entry the trade's `px`/`sz`
/// or the book's four-element levels.
#[derive(serde::Deserialize)]
struct Frame<'a> {
    #[serde(borrow)]
    arg: Arg<'a>,
    #[serde(borrow)]
    data: Vec<Data<'a>>,
}

#[derive(serde::Deserialize)]
struct Arg<'a> {
    channel: &'a str,
}

type Level<'a> = (&'a str, &'a str, &'a str, &'a str);

#[derive(serde::Deserialize)]
struct Data<'a> {
    #[serde(borrow, default)]
    px: Option<&'a str>,
    #[serde(borrow, default)]
    sz: Option<&'a str>,
    #[serde(borrow, default)]
    bids: Vec<Level<'a>>,
    #[serde(borrow, default)]
    asks: Vec<Level<'a>>,
}

fn typed(_frame: &str, b: &[u8], parser: Parser) -> Option<Read8> {
    let f: Frame<'_> = parse(b, parser)?;
    let mut r = Read8::default();
    for d in &f.data {
        r.messages += 1;
        match f.arg.channel {
            "trades" => r.sum += d8(d.px?) + d8(d.sz?),
            "bbo-tbt" => {
                for l in d.bids.first().into_iter().chain(d.asks.first()) {
                    r.sum += d8(l.0) + d8(l.1);
                }
            }
            _ => {
                for l in d.bids.iter().chain(&d.asks) {
                    r.levels += 1;
                    r.sum += d8(l.0) + d8(l.1);
                }
            }
        }
    }
    Some(r)
}
