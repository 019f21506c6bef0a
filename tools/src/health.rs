//! `mdbus health`: whether every ring's writer is alive and fresh and every book in sync, for
//! systemd, Kubernetes probes and cron. One line per problem; the exit code says the rest.

use std::time::Duration;

use mdbus_bus::{BookState, RingDir};
use serde_json::{Value, json};

/// What `mdbus health` checks against.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// A writer whose last publish or heartbeat is older is a problem.
    pub max_heartbeat_age: Duration,
    /// A book resynchronising (or never in sync) for longer is a problem.
    pub max_resync: Duration,
}

/// Every problem in `dir`, one line each (empty: healthy). A directory with no ring at all is
/// a problem too: nothing is being published.
pub fn problems(dir: &RingDir, bounds: Bounds) -> Vec<String> {
    let mut out = Vec::new();
    let entries = match dir.list() {
        Ok(e) => e,
        Err(e) => return vec![format!("{}: {e}", dir.path().display())],
    };
    if entries.is_empty() {
        out.push(format!("{}: no rings", dir.path().display()));
    }
    for e in &entries {
        match &e.info {
            Err(err) => out.push(format!("ring {}: {err}", e.name)),
            Ok(i) if !i.writer_alive => {
                out.push(format!("ring {}: writer (pid {}) is not running", e.name, i.writer_pid));
            }
            Ok(i) if i.heartbeat_age_ns > bounds.max_heartbeat_age.as_nanos() as u64 => {
                out.push(format!("ring {}: writer silent for {:.1} s", e.name, i.heartbeat_age_ns as f64 / 1e9))
            }
            Ok(_) => {}
        }
    }
    let now = mdbus_bus::now_ns();
    for feed in crate::book::feeds(dir.path()) {
        let books = match mdbus_sdk::book::snapshot(dir, &feed) {
            Ok(b) => b,
            Err(err) => {
                out.push(format!("books of {feed}: {err}"));
                continue;
            }
        };
        for (inst, c) in books {
            let age = now.saturating_sub(c.recv_ts.0.max(c.publish_ts.0));
            let state = c.state.unwrap_or(BookState::Stale);
            let late = age > bounds.max_resync.as_nanos() as u64;
            match state {
                BookState::Stale => out.push(format!("book {feed} {}: stale", inst.symbol.as_str())),
                BookState::Resyncing | BookState::Unsynced if late => out.push(format!(
                    "book {feed} {}: {} for {:.1} s",
                    inst.symbol.as_str(),
                    state.name(),
                    age as f64 / 1e9
                )),
                _ => {}
            }
        }
    }
    out
}

/// The problems as one JSON object: `{"ok": bool, "problems": [..]}`.
pub fn to_json(problems: &[String]) -> Value {
    json!({ "ok": problems.is_empty(), "problems": problems })
}
