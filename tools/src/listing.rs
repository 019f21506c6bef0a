//! `mdbus ls`: the rings of a directory as a table or JSON.

use mdbus_bus::RingEntry;
use serde_json::{Value, json};

use crate::stats::human_ns;

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
                    "heartbeat_age_ns": i.heartbeat_age_ns,
                }),
                Err(err) => json!({ "name": e.name, "path": e.path, "error": err.to_string() }),
            })
            .collect(),
    )
}

/// Returns the listing as an aligned text table.
pub fn to_table(entries: &[RingEntry]) -> String {
    let mut s = format!(
        "{:<28} {:<13} {:>6} {:>10} {:>12} {:>4} {:>18} {:>10}\n",
        "RING", "KIND", "SIZE", "CAPACITY", "HEAD", "GEN", "WRITER", "HEARTBEAT"
    );
    for e in entries {
        match &e.info {
            Ok(i) => {
                let writer = format!("{} {}", i.writer_pid, if i.writer_alive { "alive" } else { "dead" });
                s.push_str(&format!(
                    "{:<28} {:<13} {:>6} {:>10} {:>12} {:>4} {:>18} {:>10}\n",
                    e.name,
                    i.kind.name().unwrap_or("unknown"),
                    i.record_size,
                    i.capacity,
                    i.head,
                    i.generation,
                    writer,
                    human_ns(i.heartbeat_age_ns)
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
