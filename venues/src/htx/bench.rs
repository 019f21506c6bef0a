//! HTX's decode benchmark subject: documented frames (a trade, a 20-level book update, a best
//! bid and offer), the zero-allocation decoder on them, and the serde_json baseline reading
//! the same fields.

use std::cell::RefCell;

use mdbus_feeder::{Levels, Message, gunzip::Gunzip};
use serde::Deserialize;
use serde_json::{Value, value::RawValue};
use sonic_rs::LazyValue;

use crate::bench::{Inflated, Parser, Read8, Subject, d8, field, gz, pairs, side};

/// The subject.
pub const SUBJECT: Subject = Subject {
    venue: "htx",
    frames,
    fast,
    serde,
    gzip: true,
    typed: Some(typed),
    inflated: Some(Inflated { fast: fast_text, typed: typed_text }),
};

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

/// The decoder alone, on a frame already inflated.
fn fast_text(text: &[u8], levels: &mut Levels, on: &mut dyn FnMut(Message<'_>, &Levels)) -> bool {
    super::market::decode(text, levels, on).is_ok()
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

/// A JSON number as its text, exactly as the frame spells it (HTX sends prices and amounts as
/// numbers): serde_json's borrowed `RawValue`, sonic-rs's `LazyValue`.
trait Num {
    fn text(&self) -> &str;
}

impl Num for &RawValue {
    fn text(&self) -> &str {
        self.get()
    }
}

impl Num for LazyValue<'_> {
    fn text(&self) -> &str {
        self.as_raw_str()
    }
}

/// HTX's trade frame: the trades of `tick.data`.
#[derive(Deserialize)]
struct Trades<N> {
    tick: TradeTick<N>,
}

#[derive(Deserialize)]
struct TradeTick<N> {
    data: Vec<TradeItem<N>>,
}

#[derive(Deserialize)]
struct TradeItem<N> {
    price: N,
    amount: N,
}

/// HTX's incremental book frame: `tick.bids` and `tick.asks`, `[price, size]` each.
#[derive(Deserialize)]
struct Book<N> {
    tick: BookTick<N>,
}

#[derive(Deserialize)]
struct BookTick<N> {
    bids: Vec<(N, N)>,
    asks: Vec<(N, N)>,
}

/// HTX's best bid and offer frame.
#[derive(Deserialize)]
struct Bbo<N> {
    tick: BboTick<N>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BboTick<N> {
    bid: N,
    bid_size: N,
    ask: N,
    ask_size: N,
}

fn read<'a, N: Num + Deserialize<'a>>(frame: &str, text: &'a [u8], parser: Parser) -> Option<Read8> {
    let mut r = Read8::default();
    match frame {
        "trade" => {
            let f: Trades<N> = crate::bench::parse(text, parser)?;
            for t in f.tick.data {
                r.messages += 1;
                r.sum += d8(t.price.text()) + d8(t.amount.text());
            }
        }
        "bbo" => {
            let t = crate::bench::parse::<Bbo<N>>(text, parser)?.tick;
            r.messages += 1;
            r.sum += d8(t.bid.text()) + d8(t.bid_size.text()) + d8(t.ask.text()) + d8(t.ask_size.text());
        }
        _ => {
            let f: Book<N> = crate::bench::parse(text, parser)?;
            r.messages += 1;
            for (p, q) in f.tick.bids.iter().chain(&f.tick.asks) {
                r.levels += 1;
                r.sum += d8(p.text()) + d8(q.text());
            }
        }
    }
    Some(r)
}

thread_local! {
    /// The typed baselines' inflater: the same one the fast path and the serde_json baseline
    /// use, reused, so the paths differ only in the decoding.
    static INFLATER: RefCell<Gunzip> = RefCell::new(Gunzip::default());
}

/// One typed pass into borrowed structs over a frame already inflated.
fn typed_text(frame: &str, text: &[u8], parser: Parser) -> Option<Read8> {
    match parser {
        Parser::SerdeJson => read::<&RawValue>(frame, text, parser),
        Parser::Sonic => read::<LazyValue<'_>>(frame, text, parser),
    }
}

/// One typed pass into borrowed structs, after the same inflater as the fast path's.
fn typed(frame: &str, bytes: &[u8], parser: Parser) -> Option<Read8> {
    INFLATER.with(|g| {
        let mut g = g.borrow_mut();
        typed_text(frame, g.gunzip(bytes).ok()?, parser)
    })
}
