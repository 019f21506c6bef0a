//! `mdbus stat` and `mdbus ls` on rings a real feeder wrote: a gap the simulator provokes shows
//! per instrument with its resync, and a feeder that has exited shows as a dead writer.

// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used)]

#[path = "../../tests/tests/common/mod.rs"]
mod common;

use std::process::Command;

use serde_json::Value;

const MDBUS: &str = env!("CARGO_BIN_EXE_mdbus");

#[test]
fn stat_reports_a_provoked_gap_and_ls_a_dead_writer() {
    let dir = common::Scratch::new("stat");
    let (mut sim, addr) =
        common::spawn_sim(MDBUS, &["--venue", "okx", "--port", "0", "--gap-every", "300", "--seconds", "30"], &[]);
    let cfg = dir.0.join("feed.yaml");
    std::fs::write(
        &cfg,
        format!(
            "ring_dir: {}\nworkers:\n  - {{ core: 0, poll: timeout, timeout_us: 200 }}\nfeeds:\n  - name: okx\n    venue: okx\n    url: ws://{addr}/ws/v5/public\n    channels: [trade, depth]\n    symbols:\n      - {{ symbol: BTC-USDT, id: 7, price_exp: -2, qty_exp: -5 }}\n",
            dir.0.join("rings").display()
        ),
    )
    .unwrap();
    let feed = Command::new(MDBUS).args(["feed", "--config"]).arg(&cfg).args(["--seconds", "3"]).output().unwrap();
    assert!(feed.status.success(), "{}", String::from_utf8_lossy(&feed.stderr));
    let _ = sim.kill();
    let _ = sim.wait();

    let rings = dir.0.join("rings");
    let out = Command::new(MDBUS)
        .args(["--dir"])
        .arg(&rings)
        .args(["stat", "okx.book", "--from", "oldest", "--until-caught-up", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let inst = v["instruments"].as_array().unwrap().iter().find(|i| i["instrument"] == 7).unwrap().clone();
    assert_eq!(inst["symbol"], "BTC-USDT", "{v}");
    assert!(inst["gaps"].as_u64().unwrap() >= 1, "{v}");
    assert!(inst["resyncs"].as_u64().unwrap() >= 2, "the first sync and one after the gap: {v}");
    assert!(inst["last_gap_ns"].as_u64().unwrap() > 0 && inst["records"].as_u64().unwrap() > 100, "{v}");
    assert_eq!(v["connects"], 1, "{v}");
    assert_eq!(v["lost"], 0, "{v}");

    let out =
        Command::new(MDBUS).args(["--dir"]).arg(&rings).args(["ls", "--json", "--rate-ms", "50"]).output().unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let book = v.as_array().unwrap().iter().find(|r| r["name"] == "okx.book").unwrap();
    assert_eq!(book["writer_alive"], false, "{book}");
    assert_eq!(book["records_per_s"], 0.0, "{book}");
    assert!(book["head"].as_u64().unwrap() > 100, "{book}");
    let text = Command::new(MDBUS).args(["--dir"]).arg(&rings).args(["ls"]).output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.lines().next().unwrap().ends_with("PER_S"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("okx.book") && l.contains("dead")), "{text}");
}

#[test]
fn ls_shows_announced_readers_with_their_lag_and_losses() {
    use mdbus_bus::{ReadError, Reader, RingDir, RingOptions, Start};
    use mdbus_schemas::{Kind, Trade};
    let dir = common::Scratch::new("ls-readers");
    let rd = RingDir::new(&dir.0);
    let mut w = rd.writer("r.trade", Kind::TRADE, &RingOptions::default().capacity(64)).unwrap();
    let mut r = Reader::open_at(rd.ring_path("r.trade").unwrap(), Start::Head).unwrap();
    r.announce().unwrap();
    let mut quiet = Reader::open_at(rd.ring_path("r.trade").unwrap(), Start::Head).unwrap();
    for _ in 0..10 {
        w.publish(&Trade::default()).unwrap();
    }
    while r.try_read().is_ok() {}
    // Caught up: the slot says so. Then the writer runs 30 ahead.
    for _ in 0..30 {
        w.publish(&Trade::default()).unwrap();
    }
    let ls = |rd: &RingDir| -> Value {
        let out = Command::new(MDBUS)
            .args(["--dir"])
            .arg(rd.path())
            .args(["ls", "--json", "--rate-ms", "10"])
            .output()
            .unwrap();
        assert!(out.status.success());
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v.as_array().unwrap().iter().find(|e| e["name"] == "r.trade").unwrap()["readers"].clone()
    };
    let readers = ls(&rd);
    assert_eq!(readers.as_array().unwrap().len(), 1, "only the announced reader: {readers}");
    assert_eq!(readers[0]["pid"], u64::from(std::process::id()));
    assert_eq!(readers[0]["lag"], 30, "{readers}");
    assert_eq!(readers[0]["lost"], 0, "{readers}");
    // Lapped: 100 more into 64 slots; the reader learns of its loss and the slot shows it.
    for _ in 0..100 {
        w.publish(&Trade::default()).unwrap();
    }
    let lost = loop {
        match r.try_read() {
            Err(ReadError::Overrun { lost }) => break lost,
            other => assert!(other.is_ok(), "{other:?}"),
        }
    };
    let readers = ls(&rd);
    assert_eq!(readers[0]["lost"], lost, "{readers}");
    assert!(lost > 0);
    let text = Command::new(MDBUS).args(["--dir"]).arg(&dir.0).args(["ls"]).output().unwrap();
    assert!(
        // Lapped, it resumed an eighth of the ring (8 of 64 slots) clear of the writer.
        String::from_utf8_lossy(&text.stdout).contains(&format!("1 (56/{lost})")),
        "{}",
        String::from_utf8_lossy(&text.stdout)
    );
    // Dropped: the slot is free again.
    drop(r);
    assert_eq!(ls(&rd).as_array().unwrap().len(), 0);
    // A reader that never announced itself reads as before, unseen.
    assert!(quiet.try_read().is_err(), "lapped as well");
}
