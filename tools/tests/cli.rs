//! The `mdbus` program end to end: demo, ls, tail and the ring benchmark on small counts.
// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used)]

use std::{path::PathBuf, process::Command};

use mdbus_bus::{RingDir, RingOptions};
use mdbus_schemas::{Kind, Trade};
use serde_json::Value;

const MDBUS: &str = env!("CARGO_BIN_EXE_mdbus");

fn temp_dir(tag: &str) -> PathBuf {
    let base = if std::path::Path::new("/dev/shm").is_dir() { PathBuf::from("/dev/shm") } else { std::env::temp_dir() };
    let p = base.join(format!("mdbus-cli-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    p
}

#[test]
fn demo_runs_and_every_reader_accounts_for_every_record() {
    let dir = temp_dir("demo");
    let out = Command::new(MDBUS)
        .args(["--dir"])
        .arg(&dir)
        .args(["demo", "--seconds", "2", "--readers", "3", "--rate", "20000"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("published 40000 quotes"), "{text}");
    assert!(text.contains("every reader received or was told of the loss of every record"), "{text}");
    assert!(text.lines().filter(|l| l.starts_with("reader ")).count() >= 3, "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ls_and_tail_show_rings_and_records() {
    let dir = temp_dir("ls");
    let rd = RingDir::new(&dir);
    let mut w = rd.writer("t.trade", Kind::TRADE, &RingOptions::default().capacity(64)).unwrap();
    let mut table = mdbus_schemas::InstrumentTable::default();
    table
        .insert(mdbus_schemas::Instrument::new(
            mdbus_schemas::InstrumentId(5),
            mdbus_schemas::VenueId::BINANCE_SPOT,
            mdbus_schemas::Symbol::new("BTCUSDT").unwrap(),
            -2,
            -8,
        ))
        .unwrap();
    rd.save_instruments(&table).unwrap();
    let mut t = Trade { price: 6_543_210, qty: 100_000, ..Trade::default() };
    t.header.instrument = mdbus_schemas::InstrumentId(5);
    w.publish(&t).unwrap();

    let ls = Command::new(MDBUS).arg("--dir").arg(&dir).args(["ls", "--json"]).output().unwrap();
    assert!(ls.status.success());
    let v: Value = serde_json::from_slice(&ls.stdout).unwrap();
    assert_eq!(v[0]["name"], "t.trade");
    assert_eq!(v[0]["kind"], "trade");
    assert_eq!(v[0]["head"], 2);
    assert_eq!(v[0]["writer_alive"], true);
    let table_out = Command::new(MDBUS).arg("--dir").arg(&dir).arg("ls").output().unwrap();
    let text = String::from_utf8_lossy(&table_out.stdout);
    assert!(text.contains("t.trade") && text.contains("alive"), "{text}");

    let tail = Command::new(MDBUS)
        .arg("--dir")
        .arg(&dir)
        .args(["tail", "t.trade", "--json", "--from", "oldest", "--count", "2"])
        .output()
        .unwrap();
    assert!(tail.status.success());
    let lines: Vec<Value> =
        String::from_utf8_lossy(&tail.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines[0]["kind"], "marker");
    assert_eq!(lines[0]["code"], "writer_started");
    assert_eq!(lines[1]["kind"], "trade");
    assert_eq!(lines[1]["symbol"], "BTCUSDT");
    assert_eq!(lines[1]["price"], "65432.10");
    assert_eq!(lines[1]["qty"], "0.00100000");
    let text = Command::new(MDBUS)
        .arg("--dir")
        .arg(&dir)
        .args(["tail", "t.trade", "--from", "oldest", "--idle-exit-ms", "100"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("price=65432.10"), "{text}");
    drop(w);
    let missing = Command::new(MDBUS).arg("--dir").arg(&dir).args(["tail", "nope"]).output().unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("nope.ring"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bench_ring_reports_every_figure_as_json() {
    let out = Command::new(MDBUS)
        .args(["bench", "ring", "--json", "--samples", "2000", "--warmup", "200", "--records", "20000"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "floor_p50_ns",
        "ring_p50_ns",
        "ring_p99_ns",
        "ring_p999_ns",
        "ring_mrec_s",
        "rtrb_p50_ns",
        "rtrb_p99_ns",
        "rtrb_mrec_s",
        "crossbeam_p50_ns",
        "crossbeam_p99_ns",
        "crossbeam_mrec_s",
        "iceoryx2_p50_ns",
    ] {
        assert!(v.get(key).is_some(), "missing {key} in {v}");
    }
    assert!(v["ring_p50_ns"].as_u64().unwrap() > 0);
    assert!(v["ring_mrec_s"].as_f64().unwrap() > 0.0);
}
