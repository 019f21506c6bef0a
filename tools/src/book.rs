//! `mdbus book`: the latest book of every instrument, from the feeds' book tables.

use std::path::Path;

use mdbus_bus::{BookCopy, BookState, RingDir};
use mdbus_schemas::{Decimal, Instrument};
use serde_json::{Value, json};

/// The feeds in `dir` that keep a book table (`<feed>.books`), sorted.
pub fn feeds(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".books")).map(str::to_owned))
        .filter(|n| !n.starts_with('.'))
        .collect();
    out.sort();
    out
}

fn side(inst: &Instrument, levels: &[(i64, i64)], depth: usize) -> Value {
    Value::Array(
        levels
            .iter()
            .take(depth)
            .map(|(p, q)| {
                json!([
                    Decimal::from_fixed(*p, inst.price_exp).to_string(),
                    Decimal::from_fixed(*q, inst.qty_exp).to_string()
                ])
            })
            .collect(),
    )
}

/// One instrument's book as a JSON object: `feed`, `symbol`, `state`, `seq` (the book ring's
/// sequence the book includes: it grows with updates), `venue_seq`, the three times, and
/// `bids`/`asks` as `[price, qty]` exact decimal strings, best first, `depth` a side at most.
pub fn to_json(feed: &str, inst: &Instrument, c: &BookCopy, depth: usize) -> Value {
    json!({
        "feed": feed,
        "symbol": inst.symbol.as_str(),
        "instrument": inst.id.0,
        "state": c.state.unwrap_or(BookState::Stale).name(),
        "seq": c.ring_seq,
        "venue_seq": c.venue_seq,
        "venue_ts": c.venue_ts.0,
        "recv_ts": c.recv_ts.0,
        "publish_ts": c.publish_ts.0,
        "bids": side(inst, &c.bids, depth),
        "asks": side(inst, &c.asks, depth),
    })
}

/// One instrument's book as text: a header line, then up to `depth` rows of bid and ask.
pub fn to_text(feed: &str, inst: &Instrument, c: &BookCopy, depth: usize) -> String {
    let mut out = format!(
        "{feed} {} [{}] seq {} venue_seq {}\n",
        inst.symbol.as_str(),
        c.state.unwrap_or(BookState::Stale).name(),
        c.ring_seq,
        c.venue_seq
    );
    let n = c.bids.len().max(c.asks.len()).min(depth);
    let fmt = |l: Option<&(i64, i64)>| {
        l.map_or_else(String::new, |(p, q)| {
            format!("{} x {}", Decimal::from_fixed(*q, inst.qty_exp), Decimal::from_fixed(*p, inst.price_exp))
        })
    };
    for i in 0..n {
        out.push_str(&format!("  {:>32} | {}\n", fmt(c.bids.get(i)), fmt(c.asks.get(i)).replace(" x ", " @ ")));
    }
    out
}

/// Every book of `feed` (all feeds when `None`), restricted to `symbol` when given: (feed,
/// instrument, book).
///
/// # Errors
///
/// When a named feed has no book table.
pub fn collect(
    dir: &RingDir,
    feed: Option<&str>,
    symbol: Option<&str>,
) -> Result<Vec<(String, Instrument, BookCopy)>, mdbus_sdk::book::BookError> {
    let names = match feed {
        Some(f) => vec![f.to_owned()],
        None => feeds(dir.path()),
    };
    let mut out = Vec::new();
    for f in names {
        for (inst, c) in mdbus_sdk::book::snapshot(dir, &f)? {
            if symbol.is_none_or(|s| inst.symbol.as_str().eq_ignore_ascii_case(s)) {
                out.push((f.clone(), inst, c));
            }
        }
    }
    Ok(out)
}
