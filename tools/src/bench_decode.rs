//! `mdbus bench decode`: the fast decoder against serde_json on the same Binance frames, in one
//! run, after checking that both give identical results.

use std::{hint::black_box, time::Instant};

use mdbus_feeder::{Levels, venues::binance};
use serde_json::{Value, json};

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
        let fast = binance::decode(frame.as_bytes(), &mut a).map_err(|e| format!("{name}: {e}"))?;
        let slow = binance::decode_serde(frame.as_bytes(), &mut b).map_err(|e| format!("{name}: {e}"))?;
        if fast != slow || a != b {
            return Err(format!("{name}: fast and serde_json paths disagree"));
        }
        let fast_ns = time_per_frame(frame.as_bytes(), iters, &|f, l| binance::decode(f, l).is_ok());
        let serde_ns = time_per_frame(frame.as_bytes(), iters, &|f, l| binance::decode_serde(f, l).is_ok());
        out.insert(format!("{name}_fast_ns"), json!((fast_ns * 10.0).round() / 10.0));
        out.insert(format!("{name}_serde_ns"), json!((serde_ns * 10.0).round() / 10.0));
        out.insert(format!("{name}_speedup"), json!((serde_ns / fast_ns * 100.0).round() / 100.0));
        out.insert(format!("{name}_bytes"), json!(frame.len()));
    }
    Ok(Value::Object(out))
}
