//! Binance's decode benchmark (`mdbus bench decode`, the default venue): the fast decoder
//! against the best general parsers on the same Binance frames, in one run, after checking
//! that every path gives identical results:
//!
//! - `serde`: the serde_json path the feeder falls back to (a probe of the message type, then
//!   the typed parse);
//! - `serde1`: **one** typed serde_json pass into borrowed structs, the numbers converted by the
//!   same exact decimal code: the fair baseline;
//! - `sonic`: the same one typed pass with sonic-rs.

use std::{hint::black_box, time::Instant};

use mdbus_feeder::{Levels, Message};
use mdbus_schemas::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};

/// A bookTicker as one typed pass reads it.
#[derive(Deserialize)]
#[allow(non_snake_case, dead_code)]
struct BookTicker<'a> {
    u: u64,
    #[serde(default)]
    E: Option<u64>,
    #[serde(default)]
    T: Option<u64>,
    s: &'a str,
    b: &'a str,
    B: &'a str,
    a: &'a str,
    A: &'a str,
}

/// A trade as one typed pass reads it.
#[derive(Deserialize)]
#[allow(non_snake_case, dead_code)]
struct Trade<'a> {
    E: u64,
    s: &'a str,
    t: u64,
    p: &'a str,
    q: &'a str,
    T: u64,
    m: bool,
}

/// A depth update as one typed pass reads it.
#[derive(Deserialize)]
#[allow(non_snake_case, dead_code)]
struct Depth<'a> {
    E: u64,
    #[serde(default)]
    T: Option<u64>,
    s: &'a str,
    U: u64,
    u: u64,
    #[serde(default)]
    pu: Option<u64>,
    #[serde(borrow)]
    b: Vec<[&'a str; 2]>,
    #[serde(borrow)]
    a: Vec<[&'a str; 2]>,
}

/// What a frame says, in one comparable form: ids and every decimal, exact.
#[derive(Debug, PartialEq, Eq)]
struct Canon(Vec<u64>, Vec<Decimal>);

fn d(s: &str) -> Option<Decimal> {
    s.parse().ok()
}

fn levels_into(side: &[[&str; 2]], out: &mut Vec<(Decimal, Decimal)>) -> Option<()> {
    out.clear();
    for [p, q] in side {
        out.push((d(p)?, d(q)?));
    }
    Some(())
}

/// One typed pass over `frame` with `parse`, the numbers converted;
/// returns the canonical form (`None` when the frame does not parse).
fn one_pass<'a, P>(frame: &'a [u8], levels: &mut Levels, parse: P) -> Option<Canon>
where
    P: Fn(&'a [u8]) -> Option<Parsed<'a>>,
{
    Some(match parse(frame)? {
        Parsed::Quote(q) => Canon(vec![q.u], vec![d(q.b)?, d(q.B)?, d(q.a)?, d(q.A)?]),
        Parsed::Trade(t) => Canon(vec![t.t, t.T], vec![d(t.p)?, d(t.q)?]),
        Parsed::Depth(x) => {
            levels_into(&x.b, &mut levels.bids)?;
            levels_into(&x.a, &mut levels.asks)?;
            Canon(vec![x.U, x.u], levels.bids.iter().chain(&levels.asks).flat_map(|(p, q)| [*p, *q]).collect())
        }
    })
}

/// A frame parsed by one typed pass.
enum Parsed<'a> {
    Quote(BookTicker<'a>),
    Trade(Trade<'a>),
    Depth(Depth<'a>),
}

fn serde_one<'a>(name: &str, frame: &'a [u8]) -> Option<Parsed<'a>> {
    Some(match name {
        "book_ticker" => Parsed::Quote(serde_json::from_slice(frame).ok()?),
        "trade" => Parsed::Trade(serde_json::from_slice(frame).ok()?),
        _ => Parsed::Depth(serde_json::from_slice(frame).ok()?),
    })
}

fn sonic_one<'a>(name: &str, frame: &'a [u8]) -> Option<Parsed<'a>> {
    Some(match name {
        "book_ticker" => Parsed::Quote(sonic_rs::from_slice(frame).ok()?),
        "trade" => Parsed::Trade(sonic_rs::from_slice(frame).ok()?),
        _ => Parsed::Depth(sonic_rs::from_slice(frame).ok()?),
    })
}

/// The fast path's answer in the canonical form.
fn canon_fast(frame: &[u8], levels: &mut Levels) -> Option<Canon> {
    Some(match super::decode(frame, levels).ok()? {
        Message::Quote(q) => Canon(vec![q.update_id], vec![q.bid_price, q.bid_qty, q.ask_price, q.ask_qty]),
        Message::Trade(t) => Canon(vec![t.trade_id, t.trade_ts_ms?], vec![t.price, t.qty]),
        Message::Depth(x) => Canon(
            vec![x.first_seq?, x.last_seq],
            levels.bids.iter().chain(&levels.asks).flat_map(|(p, q)| [*p, *q]).collect(),
        ),
        _ => return None,
    })
}

/// The frames measured: a USD-M bookTicker, a spot trade and a USD-M depthUpdate with 20
/// levels per side (8-decimal prices and quantities, as Binance sends them).
pub fn frames() -> [(&'static str, String); 3] {
    let side = |base: f64, step: f64| {
        (0..20)
            .map(|i| format!(r#"["{:.8}","{:.8}"]"#, base + step * f64::from(i), 0.125 + f64::from(i) * 1.5))
            .collect::<Vec<_>>()
            .join(",")
    };
    [
        (
            "book_ticker",
            r#"{"e":"bookTicker","u":400900217,"E":1568014460893,"T":1568014460891,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}"#.to_owned(),
        ),
        (
            "trade",
            r#"{"e":"trade","E":1672515782136,"s":"BNBBTC","t":12345,"p":"0.00100000","q":"100.00000000","T":1672515782136,"m":true,"M":true}"#.to_owned(),
        ),
        (
            "depth20",
            format!(
                r#"{{"e":"depthUpdate","E":1571889248277,"T":1571889248276,"s":"BTCUSDT","U":390497796,"u":390497878,"pu":390497794,"b":[{}],"a":[{}]}}"#,
                side(7403.89, -0.01),
                side(7403.90, 0.01)
            ),
        ),
    ]
}

fn time_per_frame(frame: &[u8], iters: u32, f: &dyn Fn(&[u8], &mut Levels) -> bool) -> f64 {
    let mut levels = Levels::default();
    let mut best = f64::MAX;
    for _ in 0..7 {
        let t0 = Instant::now();
        for _ in 0..iters {
            black_box(f(black_box(frame), &mut levels));
        }
        best = best.min(t0.elapsed().as_nanos() as f64 / f64::from(iters));
    }
    best
}

/// Runs the decode benchmark and returns `{name}_fast_ns` / `{name}_serde_ns` per frame (best of
/// 7 rounds) plus the ratios.
///
/// # Errors
///
/// When the two paths disagree on a frame (then no figure would mean anything).
pub fn run(iters: u32) -> Result<Value, String> {
    let mut out = serde_json::Map::new();
    for (name, frame) in frames() {
        let (mut a, mut b) = (Levels::default(), Levels::default());
        let fast = super::decode(frame.as_bytes(), &mut a).map_err(|e| format!("{name}: {e}"))?;
        let slow = super::decode_serde(frame.as_bytes(), &mut b).map_err(|e| format!("{name}: {e}"))?;
        if fast != slow || a != b {
            return Err(format!("{name}: fast and serde_json paths disagree"));
        }
        // The one-pass baselines read exactly what the fast path reads.
        let want = canon_fast(frame.as_bytes(), &mut Levels::default());
        let serde1 = one_pass(frame.as_bytes(), &mut Levels::default(), |f| serde_one(name, f));
        let sonic = one_pass(frame.as_bytes(), &mut Levels::default(), |f| sonic_one(name, f));
        if want.is_none() || serde1 != want || sonic != want {
            return Err(format!("{name}: the one-pass baselines and the fast path disagree"));
        }
        let fast_ns = time_per_frame(frame.as_bytes(), iters, &|f, l| super::decode(f, l).is_ok());
        let serde_ns = time_per_frame(frame.as_bytes(), iters, &|f, l| super::decode_serde(f, l).is_ok());
        let serde1_ns =
            time_per_frame(frame.as_bytes(), iters, &|f, l| one_pass(f, l, |f| serde_one(name, f)).is_some());
        let sonic_ns =
            time_per_frame(frame.as_bytes(), iters, &|f, l| one_pass(f, l, |f| sonic_one(name, f)).is_some());
        let r = |x: f64| (x * 10.0).round() / 10.0;
        out.insert(format!("{name}_fast_ns"), json!(r(fast_ns)));
        out.insert(format!("{name}_serde_ns"), json!(r(serde_ns)));
        out.insert(format!("{name}_serde1_ns"), json!(r(serde1_ns)));
        out.insert(format!("{name}_sonic_ns"), json!(r(sonic_ns)));
        out.insert(format!("{name}_speedup"), json!((serde_ns / fast_ns * 100.0).round() / 100.0));
        let best = serde1_ns.min(sonic_ns);
        out.insert(format!("{name}_vs_best_one_pass"), json!((best / fast_ns * 100.0).round() / 100.0));
        out.insert(format!("{name}_bytes"), json!(frame.len()));
    }
    out.insert("venue".into(), json!("binance"));
    out.insert("frames".into(), json!(frames().map(|(n, _)| n)));
    Ok(Value::Object(out))
}
