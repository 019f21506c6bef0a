//! Records as text and JSON lines, with exact decimals from the instrument table.

use std::fmt::Write as _;

use mdbus_schemas::{Decimal, Header, InstrumentTable, RecordView};
use serde_json::{Map, Value, json};

/// Exponents used for one record's prices and quantities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Exps {
    price: i8,
    qty: i8,
}

fn exps(h: &Header, table: Option<&InstrumentTable>) -> Exps {
    table
        .and_then(|t| t.get(h.instrument))
        .map_or(Exps { price: 0, qty: 0 }, |i| Exps { price: i.price_exp, qty: i.qty_exp })
}

fn dec(m: i64, e: i8) -> String {
    Decimal::from_fixed(m, e).to_string()
}

/// Returns the symbol of the record's instrument, if the table knows it.
fn symbol(h: &Header, table: Option<&InstrumentTable>) -> Option<String> {
    table.and_then(|t| t.get(h.instrument)).map(|i| i.symbol.as_str().to_owned())
}

/// Returns a record as one JSON object: the header fields, then the record's own fields, with
/// prices and quantities as exact decimal strings (scaled by the instrument table when it knows
/// the instrument, raw mantissas otherwise).
///
/// # Examples
///
/// ```
/// use mdbus_schemas::{RecordView, Trade};
/// use zerocopy::IntoBytes;
/// let t = Trade { price: 12345, qty: 7, ..Trade::default() };
/// let v = mdbus_tools::format::to_json(&RecordView::from_bytes(t.as_bytes()).unwrap(), None);
/// assert_eq!(v["kind"], "trade");
/// assert_eq!(v["price"], "12345");
/// ```
pub fn to_json(rec: &RecordView<'_>, table: Option<&InstrumentTable>) -> Value {
    let h = rec.header();
    let x = exps(h, table);
    let mut m = Map::new();
    m.insert("seq".into(), json!(h.seq));
    m.insert("kind".into(), json!(h.kind.name().unwrap_or("unknown")));
    m.insert("flags".into(), json!(h.flags));
    m.insert("venue".into(), json!(h.venue.key().map_or_else(|| h.venue.0.to_string(), str::to_owned)));
    m.insert("instrument".into(), json!(h.instrument.0));
    if let Some(s) = symbol(h, table) {
        m.insert("symbol".into(), json!(s));
    }
    // Absent is not zero: a venue that gives no sequence or no time shows as null.
    let absent = |flag: u8, v: u64| if h.flags & flag != 0 { Value::Null } else { json!(v) };
    m.insert("venue_seq".into(), absent(mdbus_schemas::flags::NO_VENUE_SEQ, h.venue_seq));
    m.insert("venue_ts".into(), absent(mdbus_schemas::flags::NO_VENUE_TS, h.venue_ts.0));
    m.insert("recv_ts".into(), json!(h.recv_ts.0));
    m.insert("publish_ts".into(), json!(h.publish_ts.0));
    let body = match rec {
        RecordView::Quote(q) => json!({
            "bid_px": dec(q.bid_px, x.price), "bid_qty": dec(q.bid_qty, x.qty),
            "ask_px": dec(q.ask_px, x.price), "ask_qty": dec(q.ask_qty, x.qty),
        }),
        RecordView::Trade(t) => {
            let id = match t.id() {
                mdbus_schemas::TradeId::Number(n) if n <= u128::from(u64::MAX) => json!(n as u64),
                mdbus_schemas::TradeId::None => Value::Null,
                other => json!(other.to_string()),
            };
            json!({ "price": dec(t.price, x.price), "qty": dec(t.qty, x.qty), "trade_id": id })
        }
        RecordView::BookDelta(d) => json!({ "price": dec(d.price, x.price), "qty": dec(d.qty, x.qty) }),
        RecordView::BookSnapshot(s) => {
            let side = |levels: &[mdbus_schemas::Level], n: u8| {
                levels
                    .iter()
                    .take(usize::from(n))
                    .map(|l| json!([dec(l.price, x.price), dec(l.qty, x.qty)]))
                    .collect::<Vec<_>>()
            };
            json!({ "bids": side(&s.bids, s.bid_count), "asks": side(&s.asks, s.ask_count) })
        }
        RecordView::Bar(b) => json!({
            "open": dec(b.open, x.price), "high": dec(b.high, x.price), "low": dec(b.low, x.price),
            "close": dec(b.close, x.price), "volume": dec(b.volume, x.qty),
            "quote_volume": dec(b.quote_volume, x.price.saturating_add(x.qty)), "trades": b.trades,
            "start_ts": b.start_ts.0, "interval_ns": b.interval_ns,
        }),
        RecordView::Marker(mk) => json!({ "code": mk.code.name().unwrap_or("unknown"), "detail": mk.detail }),
        RecordView::Order(o) => json!({
            "price": dec(o.price, x.price), "qty": dec(o.qty, x.qty), "filled_qty": dec(o.filled_qty, x.qty),
            "avg_price": dec(o.avg_price, x.price), "account": o.account, "status": o.status.0, "side": o.side,
            "order_type": o.order_type.0, "time_in_force": o.time_in_force.0,
            "client_id": o.client_id.as_str(), "venue_order_id": o.venue_order_id.as_str(),
        }),
        RecordView::Fill(f) => json!({
            "price": dec(f.price, x.price), "qty": dec(f.qty, x.qty), "fee": dec(f.fee, f.fee_exp),
            "fee_asset": f.fee_asset.as_str(), "account": f.account, "side": f.side, "liquidity": f.liquidity,
            "client_id": f.client_id.as_str(), "venue_order_id": f.venue_order_id.as_str(),
        }),
        RecordView::Balance(b) => json!({
            "asset": b.asset.as_str(), "free": dec(b.free, b.exponent), "locked": dec(b.locked, b.exponent),
            "account": b.account,
        }),
        RecordView::Position(p) => json!({
            "qty": dec(p.qty, x.qty), "entry_price": dec(p.entry_price, x.price), "mark_price": dec(p.mark_price, x.price),
            "unrealized_pnl": dec(p.unrealized_pnl, p.pnl_exp), "liquidation_price": dec(p.liquidation_price, x.price),
            "leverage": p.leverage, "account": p.account,
        }),
        _ => json!({}),
    };
    if let Value::Object(b) = body {
        m.extend(b);
    }
    Value::Object(m)
}

/// Returns a record as one human-readable line: sequence, kind, instrument, then the fields.
///
/// # Examples
///
/// ```
/// use mdbus_schemas::{RecordView, Trade};
/// use zerocopy::IntoBytes;
/// let t = Trade { price: 12345, qty: 7, ..Trade::default() };
/// let line = mdbus_tools::format::to_text(&RecordView::from_bytes(t.as_bytes()).unwrap(), None);
/// assert!(line.contains("trade") && line.contains("price=12345"));
/// ```
pub fn to_text(rec: &RecordView<'_>, table: Option<&InstrumentTable>) -> String {
    let v = to_json(rec, table);
    let mut out = String::new();
    let get = |k: &str| v.get(k).cloned().unwrap_or(Value::Null);
    let _ = write!(out, "{:>10} {:<13}", get("seq"), get("kind").as_str().unwrap_or(""));
    let inst = v.get("symbol").and_then(Value::as_str).map_or_else(|| format!("#{}", get("instrument")), str::to_owned);
    let _ = write!(out, " {inst:<14}");
    const HEADER: [&str; 10] =
        ["seq", "kind", "flags", "venue", "instrument", "symbol", "venue_ts", "recv_ts", "publish_ts", "venue_seq"];
    if let Value::Object(m) = &v {
        for (k, val) in m.iter().filter(|(k, _)| !HEADER.contains(&k.as_str())) {
            match val {
                Value::String(s) => {
                    let _ = write!(out, " {k}={s}");
                }
                other => {
                    let _ = write!(out, " {k}={other}");
                }
            }
        }
    }
    let _ = write!(out, " vseq={}", get("venue_seq"));
    out
}
