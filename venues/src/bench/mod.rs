//! Benchmark subjects of the venues (feature `bench`), for `mdbus bench decode` and
//! `mdbus bench sign`: each venue's documented frames with its decoder and a serde_json
//! baseline reading the same fields (in the venue's `bench` module), and the harness that
//! checks both paths read the same before it times them.

mod inflate;
pub mod sign;

use std::{hint::black_box, io::Write, time::Instant};

use mdbus_feeder::{Levels, Message, gunzip::Gunzip};
use mdbus_schemas::Decimal;
use serde_json::{Value, json};

/// A venue's decoder on one frame, every message handed to the callback (the inflater for
/// venues whose frames are compressed); `false` when the frame does not decode.
pub type Fast = fn(&[u8], &mut Levels, &mut Gunzip, &mut dyn FnMut(Message<'_>, &Levels)) -> bool;

/// One venue's decode benchmark: its frames, its fast decoder and the serde_json baseline.
#[derive(Debug, Clone, Copy)]
pub struct Subject {
    /// The venue's name, as `--venue` takes it.
    pub venue: &'static str,
    /// The frames measured (name, bytes).
    pub frames: fn() -> Vec<(&'static str, Vec<u8>)>,
    /// The venue's decoder.
    pub fast: Fast,
    /// The baseline: reads the same fields out of the parsed frame.
    pub serde: fn(&Value, &mut Read8),
    /// Whether frames are gzip-compressed (the baseline inflates them first).
    pub gzip: bool,
    /// The fair baselines: **one** typed pass of serde_json or sonic-rs into the venue's
    /// borrowed structs, the numbers converted by the same exact decimal code (`None` where
    /// not written yet).
    pub typed: Option<Typed>,
    /// For compressed frames: the decoder and the typed baseline on the inflated text, so the
    /// decoding is also timed apart from the inflating both pay.
    pub inflated: Option<Inflated>,
}

/// A decoder on JSON text, every message handed to the callback; `false` when the text does
/// not decode.
pub type Decoder = fn(&[u8], &mut Levels, &mut dyn FnMut(Message<'_>, &Levels)) -> bool;

/// A compressed venue's decoder and typed baseline on frames already inflated.
#[derive(Debug, Clone, Copy)]
pub struct Inflated {
    /// The decoder on the inflated text, every message handed to the callback.
    pub fast: Decoder,
    /// The typed baseline on the inflated text.
    pub typed: Typed,
}

/// A one-pass typed baseline: the frame (named as in `frames`) into the venue's borrowed structs
/// for that frame with `parser`, then the same fields folded into a [`Read8`]; `None` when the
/// frame does not parse. Knowing the frame's type up front is the baseline's best case.
pub type Typed = fn(&str, &[u8], Parser) -> Option<Read8>;

/// The JSON parser a typed baseline runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parser {
    /// serde_json.
    SerdeJson,
    /// sonic-rs.
    Sonic,
}

/// `b` into `T` with `parser`, borrowing strings from the frame.
pub(crate) fn parse<'a, T: serde::Deserialize<'a>>(b: &'a [u8], parser: Parser) -> Option<T> {
    match parser {
        Parser::SerdeJson => serde_json::from_slice(b).ok(),
        Parser::Sonic => sonic_rs::from_slice(b).ok(),
    }
}

/// A decimal string's part of the fingerprint.
pub(crate) fn d8(s: &str) -> i128 {
    s.parse::<Decimal>().map(m8).unwrap_or(0)
}

/// The venues with a decode benchmark, the default first (it measures more baselines).
pub const DECODE: [&str; 6] = ["binance", "okx", "bybit", "gateio", "gemini", "htx"];

/// The subjects of the generic harness.
const SUBJECTS: [Subject; 5] = [
    crate::okx::bench::SUBJECT,
    crate::bybit::bench::SUBJECT,
    crate::gate::bench::SUBJECT,
    crate::gemini::bench::SUBJECT,
    crate::htx::bench::SUBJECT,
];

/// `mdbus bench decode --venue V`: per frame `{frame}_fast_ns`, `{frame}_serde_ns`,
/// `{frame}_speedup` and `{frame}_bytes`, and `frames`, the frames in order.
///
/// # Errors
///
/// For an unknown venue, or when the two paths read a frame differently.
pub fn decode(venue: &str, iters: u32) -> Result<Value, String> {
    if venue == DECODE[0] {
        return crate::binance::bench::run(iters);
    }
    let subject = SUBJECTS
        .into_iter()
        .find(|s| s.venue == venue)
        .ok_or_else(|| format!("no decode benchmark for venue {venue:?}: use one of {}", DECODE.join(", ")))?;
    run(&subject, iters)
}

/// A side of `n` levels from `base` by `step` (Gemini's changes carry their side first).
pub(crate) fn side(n: usize, base: f64, step: f64, first: Option<&str>) -> String {
    (0..n)
        .map(|i| {
            let (p, q) = (base + step * i as f64, 0.125 + i as f64 * 1.5);
            match first {
                Some(s) => format!(r#"["{s}","{p:.2}","{q:.8}"]"#),
                None => format!(r#"["{p:.2}","{q:.8}"]"#),
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// `text` gzip-compressed.
pub(crate) fn gz(text: &str) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = e.write_all(text.as_bytes());
    e.finish().unwrap_or_default()
}

/// What a decode read: messages, levels, and the sum of every price and quantity mantissa at
/// exponent −8 (a fingerprint both paths must agree on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Read8 {
    /// Messages read.
    pub messages: usize,
    /// Levels read.
    pub levels: usize,
    /// The fingerprint.
    pub sum: i128,
}

thread_local! {
    /// Whether decimals are folded into the fingerprint (checking) or only parsed (timing).
    static FINGERPRINT: std::cell::Cell<bool> = const { std::cell::Cell::new(true) };
}

/// A decimal's part of the fingerprint (its mantissa at exponent −8 while checking).
pub(crate) fn m8(d: Decimal) -> i128 {
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

/// A decimal of a JSON string or number.
pub(crate) fn dec(v: &Value) -> Option<Decimal> {
    match v {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.to_string().parse().ok(),
        _ => None,
    }
}

/// Adds the `[price, quantity, ...]` levels of `levels` to the reading.
pub(crate) fn pairs(r: &mut Read8, levels: Option<&Value>) {
    for l in levels.and_then(Value::as_array).into_iter().flatten() {
        if let (Some(p), Some(q)) = (l.get(0).and_then(dec), l.get(1).and_then(dec)) {
            r.levels += 1;
            r.sum += m8(p) + m8(q);
        }
    }
}

/// A JSON field's decimal as its part of the fingerprint (0 when absent).
pub(crate) fn field(o: &Value, k: &str) -> i128 {
    o.get(k).and_then(dec).map(m8).unwrap_or(0)
}

fn fast(s: &Subject, frame: &[u8], levels: &mut Levels, g: &mut Gunzip) -> Read8 {
    let mut r = Read8::default();
    let ok = (s.fast)(frame, levels, g, &mut |m: Message<'_>, l: &Levels| add_msg(&mut r, &m, l));
    if ok { r } else { Read8::default() }
}

/// The serde_json path: the whole frame into a `Value`, then the same fields. A gzip frame is
/// inflated by the same inflater as the fast path's, so the two differ only in the decoding.
fn serde(s: &Subject, frame: &[u8], g: &mut Gunzip) -> Read8 {
    let mut r = Read8::default();
    let bytes = if s.gzip {
        match g.gunzip(frame) {
            Ok(text) => text,
            Err(_) => return r,
        }
    } else {
        frame
    };
    if let Ok(v) = serde_json::from_slice::<Value>(bytes) {
        (s.serde)(&v, &mut r);
    }
    r
}

/// The best of 7 rounds of `iters` calls of `f`, ns per call.
pub(crate) fn best(iters: u32, mut f: impl FnMut() -> usize) -> f64 {
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

/// The decoding alone, on frames inflated once before timing: `{frame}_decode_fast_ns`,
/// `{frame}_decode_serde1_ns`, `{frame}_decode_sonic_ns` and `{frame}_decode_vs_best_one_pass`,
/// each path checked to read what the others read first.
fn decode_only(
    inflated: &Inflated,
    venue: &str,
    frames: &[(&'static str, Vec<u8>)],
    iters: u32,
    out: &mut serde_json::Map<String, Value>,
) -> Result<(), String> {
    let mut levels = Levels::default();
    let mut g = Gunzip::default();
    let fast = |text: &[u8], levels: &mut Levels| {
        let mut r = Read8::default();
        let ok = (inflated.fast)(text, levels, &mut |m: Message<'_>, l: &Levels| add_msg(&mut r, &m, l));
        if ok { r } else { Read8::default() }
    };
    for (name, frame) in frames {
        let text = g.gunzip(frame).map_err(|e| format!("{venue} {name}: {e}"))?.to_vec();
        let a = fast(&text, &mut levels);
        for parser in [Parser::SerdeJson, Parser::Sonic] {
            let b = (inflated.typed)(name, &text, parser);
            if b != Some(a) || a.messages == 0 {
                return Err(format!(
                    "{venue} {name}: inflated, the {parser:?} baseline reads {b:?}, the fast path {a:?}"
                ));
            }
        }
        FINGERPRINT.with(|f| f.set(false));
        let fast_ns = best(iters, || fast(black_box(&text), &mut levels).messages);
        let serde1_ns =
            best(iters, || (inflated.typed)(name, black_box(&text), Parser::SerdeJson).map_or(0, |r| r.messages));
        let sonic_ns =
            best(iters, || (inflated.typed)(name, black_box(&text), Parser::Sonic).map_or(0, |r| r.messages));
        FINGERPRINT.with(|f| f.set(true));
        let r = |x: f64| json!((x * 10.0).round() / 10.0);
        out.insert(format!("{name}_decode_fast_ns"), r(fast_ns));
        out.insert(format!("{name}_decode_serde1_ns"), r(serde1_ns));
        out.insert(format!("{name}_decode_sonic_ns"), r(sonic_ns));
        out.insert(
            format!("{name}_decode_vs_best_one_pass"),
            json!((serde1_ns.min(sonic_ns) / fast_ns * 100.0).round() / 100.0),
        );
        out.insert(format!("{name}_inflated_bytes"), json!(text.len()));
    }
    Ok(())
}

fn run(s: &Subject, iters: u32) -> Result<Value, String> {
    let frames = (s.frames)();
    let venue = s.venue;
    let mut out = serde_json::Map::new();
    out.insert("venue".into(), json!(venue));
    let mut levels = Levels::default();
    let mut g = Gunzip::default();
    let mut g2 = Gunzip::default();
    for (name, frame) in &frames {
        let a = fast(s, frame, &mut levels, &mut g);
        let b = serde(s, frame, &mut g2);
        if a != b || a.messages == 0 {
            return Err(format!("{venue} {name}: fast {a:?} and serde_json {b:?} read the frame differently"));
        }
        // Timed without folding decimals into the fingerprint: both paths only decode.
        FINGERPRINT.with(|f| f.set(false));
        let fast_ns = best(iters, || fast(s, black_box(frame), &mut levels, &mut g).messages);
        let serde_ns = best(iters, || serde(s, black_box(frame), &mut g2).messages);
        FINGERPRINT.with(|f| f.set(true));
        out.insert(format!("{name}_fast_ns"), json!((fast_ns * 10.0).round() / 10.0));
        out.insert(format!("{name}_serde_ns"), json!((serde_ns * 10.0).round() / 10.0));
        out.insert(format!("{name}_speedup"), json!((serde_ns / fast_ns * 100.0).round() / 100.0));
        out.insert(format!("{name}_bytes"), json!(frame.len()));
        if let Some(typed) = s.typed {
            for (parser, key) in [(Parser::SerdeJson, "serde1"), (Parser::Sonic, "sonic")] {
                let b = typed(name, frame, parser);
                if b != Some(a) {
                    return Err(format!("{venue} {name}: the {key} baseline reads {b:?}, the fast path {a:?}"));
                }
            }
            FINGERPRINT.with(|f| f.set(false));
            let serde1_ns = best(iters, || typed(name, black_box(frame), Parser::SerdeJson).map_or(0, |r| r.messages));
            let sonic_ns = best(iters, || typed(name, black_box(frame), Parser::Sonic).map_or(0, |r| r.messages));
            FINGERPRINT.with(|f| f.set(true));
            out.insert(format!("{name}_serde1_ns"), json!((serde1_ns * 10.0).round() / 10.0));
            out.insert(format!("{name}_sonic_ns"), json!((sonic_ns * 10.0).round() / 10.0));
            out.insert(
                format!("{name}_vs_best_one_pass"),
                json!((serde1_ns.min(sonic_ns) / fast_ns * 100.0).round() / 100.0),
            );
        }
    }
    if let Some(inflated) = s.inflated {
        decode_only(&inflated, venue, &frames, iters, &mut out)?;
    }
    if s.gzip {
        for (key, ns) in inflate::compare(&frames, iters)? {
            out.insert(key, json!(ns));
        }
    }
    out.insert("frames".into(), json!(frames.iter().map(|(n, _)| *n).collect::<Vec<_>>()));
    Ok(Value::Object(out))
}
