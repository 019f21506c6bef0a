//! `mdbus ls`: the rings of a directory as a table or JSON.

use mdbus_bus::RingEntry;
use serde_json::{Value, json};

use crate::stats::human_ns;

/// Records per second of every ring that is in both listings, by name: the head's advance
/// between them over `elapsed`.
pub fn rates(before: &[RingEntry], after: &[RingEntry], elapsed: std::time::Duration) -> Vec<(String, f64)> {
    let secs = elapsed.as_secs_f64().max(1e-9);
    after
        .iter()
        .filter_map(|a| {
            let b = before.iter().find(|b| b.name == a.name)?;
            let (Ok(ai), Ok(bi)) = (&a.info, &b.info) else { return None };
            // A restarted writer (new generation) starts its head afresh.
            let advance = if ai.generation == bi.generation { ai.head.saturating_sub(bi.head) } else { ai.head };
            Some((a.name.clone(), advance as f64 / secs))
        })
        .collect()
}

fn rate_of(rates: &[(String, f64)], name: &str) -> Option<f64> {
    rates.iter().find(|(n, _)| n == name).map(|(_, r)| *r)
}

/// The listing as JSON with each ring's `records_per_s` (see [`rates`]).
pub fn to_json_with_rates(entries: &[RingEntry], rates: &[(String, f64)]) -> Value {
    let mut v = to_json(entries);
    if let Value::Array(items) = &mut v {
        for (item, e) in items.iter_mut().zip(entries) {
            if let Some(r) = rate_of(rates, &e.name) {
                item["records_per_s"] = json!(r.round());
            }
        }
    }
    v
}

/// The listing as a table with a records-per-second column.
pub fn to_table_with_rates(entries: &[RingEntry], rates: &[(String, f64)]) -> String {
    let table = to_table(entries);
    let mut out = String::new();
    for (i, line) in table.lines().enumerate() {
        let extra = match i {
            0 => format!("{:>10}", "PER_S"),
            n => entries
                .get(n - 1)
                .and_then(|e| rate_of(rates, &e.name))
                .map_or_else(String::new, |r| format!("{r:>10.0}")),
        };
        out.push_str(line);
        if !extra.is_empty() && !line.contains("error:") && line != "(no rings)" {
            out.push(' ');
            out.push_str(&extra);
        }
        out.push('\n');
    }
    out
}

/// The live readers announced on a ring, as JSON: pid, position, lag behind `head`, records
/// lost, age of their last update.
fn readers_json(path: &std::path::Path, head: u64) -> Value {
    let now = mdbus_bus::now_ns();
    Value::Array(
        mdbus_bus::announced_readers(path)
            .unwrap_or_default()
            .iter()
            .map(|r| {
                json!({
                    "pid": r.pid, "position": r.position, "lag": head.saturating_sub(r.position),
                    "lost": r.lost, "updated_age_ns": now.saturating_sub(r.updated_ns),
                })
            })
            .collect(),
    )
}

/// Returns the listing as a JSON array, one object per ring.
pub fn to_json(entries: &[RingEntry]) -> Value {
    Value::Array(
        entries
            .iter()
            .map(|e| match &e.info {
                Ok(i) => json!({
                    "name": e.name, "path": e.path, "kind": i.kind.name().unwrap_or("unknown"),
                    "record_size": i.record_size, "capacity": i.capacity, "head": i.head,
                    "generation": i.generation, "writer_pid": i.writer_pid, "writer_alive": i.writer_alive,
                    "heartbeat_age_ns": i.heartbeat_age_ns, "readers": readers_json(&e.path, i.head),
                }),
                Err(err) => json!({ "name": e.name, "path": e.path, "error": err.to_string() }),
            })
            .collect(),
    )
}

/// Returns the listing as an aligned text table.
pub fn to_table(entries: &[RingEntry]) -> String {
    let mut s = format!(
        "{:<28} {:<13} {:>6} {:>10} {:>12} {:>4} {:>18} {:>10} {:>22}\n",
        "RING", "KIND", "SIZE", "CAPACITY", "HEAD", "GEN", "WRITER", "HEARTBEAT", "READERS (MAX LAG/LOST)"
    );
    for e in entries {
        match &e.info {
            Ok(i) => {
                let writer = format!("{} {}", i.writer_pid, if i.writer_alive { "alive" } else { "dead" });
                let readers = mdbus_bus::announced_readers(&e.path).unwrap_or_default();
                let readers = if readers.is_empty() {
                    "-".to_owned()
                } else {
                    let lag = readers.iter().map(|r| i.head.saturating_sub(r.position)).max().unwrap_or(0);
                    let lost: u64 = readers.iter().map(|r| r.lost).sum();
                    format!("{} ({lag}/{lost})", readers.len())
                };
                s.push_str(&format!(
                    "{:<28} {:<13} {:>6} {:>10} {:>12} {:>4} {:>18} {:>10} {:>22}\n",
                    e.name,
                    i.kind.name().unwrap_or("unknown"),
                    i.record_size,
                    i.capacity,
                    i.head,
                    i.generation,
                    writer,
                    human_ns(i.heartbeat_age_ns),
                    readers
                ));
            }
            Err(err) => s.push_str(&format!("{:<28} error: {err}\n", e.name)),
        }
    }
    if entries.is_empty() {
        s.push_str("(no rings)\n");
    }
    s
}
