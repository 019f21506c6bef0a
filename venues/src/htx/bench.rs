//! HTX's decode benchmark subject: documented frames (a trade, a 20-level book update, a best
//! bid and offer), the zero-allocation decoder on them, and the serde_json baseline reading
//! the same fields.

use mdbus_feeder::{Levels, Message, gunzip::Gunzip};
use serde_json::Value;

use crate::bench::{Read8, Subject, field, gz, pairs, side};

/// The subject.
pub const SUBJECT: Subject = Subject { venue: "htx", frames, fast, serde, gzip: true, typed: None };

fn frames() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "trade",
            gz(
                r#"{"ch":"market.btcusdt.trade.detail","ts":1630994963175,"tick":{"id":137005445109,"ts":1630994963173,"data":[{"id":137005445109359286410323766,"ts":1630994963173,"tradeId":102523573486,"amount":0.006754,"price":52648.62,"direction":"buy"}]}}"#,
            ),
        ),
        (
            "book20",
            gz(&format!(
                r#"{{"ch":"market.btcusdt.mbp.150","ts":1573199608679,"tick":{{"seqNum":100020146795,"prevSeqNum":100020146794,"bids":[{}],"asks":[{}]}}}}"#,
                side(20, 618.37, -0.01, None).replace('"', ""),
                side(20, 632.18, 0.01, None).replace('"', "")
            )),
        ),
        (
            "bbo",
            gz(
                r#"{"ch":"market.btcusdt.bbo","ts":1630994555540,"tick":{"seqId":136998202000,"ask":52650.0,"askSize":0.1,"bid":52649.99,"bidSize":0.03,"quoteTime":1630994555539,"symbol":"btcusdt"}}"#,
            ),
        ),
    ]
}

fn fast(frame: &[u8], levels: &mut Levels, inflater: &mut Gunzip, on: &mut dyn FnMut(Message<'_>, &Levels)) -> bool {
    match inflater.gunzip(frame) {
        Ok(text) => super::market::decode(text, levels, on).is_ok(),
        Err(_) => false,
    }
}

fn serde(v: &Value, r: &mut Read8) {
    let f = field;
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
        pairs(r, tick.get("bids"));
        pairs(r, tick.get("asks"));
    }
}
