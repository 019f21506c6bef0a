//! `mdbus latency`: stages measured from record timestamps, `.hgrm` files that parse back to the
//! same percentiles, and an SVG plot with one series per stage.

// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used)]

#[path = "../../tests/tests/common/mod.rs"]
mod common;

use std::{process::Command, time::Duration};

use mdbus_bus::{RingDir, RingOptions, now_ns};
use mdbus_schemas::{Kind, Nanos, Trade};
use mdbus_tools::{
    latency::{STAGES, hgrm, measure, parse_hgrm, svg},
    stats::new_histogram,
};

const MDBUS: &str = env!("CARGO_BIN_EXE_mdbus");

#[test]
fn hgrm_parses_back_to_the_same_percentiles() {
    let mut h = new_histogram();
    for v in 1..=10_000u64 {
        h.record(v * 137).unwrap();
    }
    let text = hgrm(&h);
    assert!(text.starts_with("       Value     Percentile TotalCount 1/(1-Percentile)"), "{text}");
    assert!(text.contains("#[Max     ="), "{text}");
    assert!(text.contains("SubBuckets     =         2048"), "{text}");
    let rows = parse_hgrm(&text).unwrap();
    assert_eq!(rows.last().unwrap().2, 10_000, "the last row counts every sample");
    assert!(rows.windows(2).all(|w| w[0].1 <= w[1].1 && w[0].2 <= w[1].2), "monotone");
    for q in [0.5, 0.9, 0.99, 0.999] {
        let row = rows.iter().find(|r| r.1 >= q).unwrap();
        let want = h.highest_equivalent(h.value_at_quantile(row.1)) as f64 / 1000.0;
        assert!((row.0 - want).abs() < 0.001, "p{q}: {} vs {want}", row.0);
    }
    assert!(parse_hgrm("       1.0 2.0 3\n").is_err(), "a percentile above 1 is refused");
    assert!(parse_hgrm("x y z\n").is_err());
}

#[test]
fn stages_come_from_the_record_timestamps_and_plot_as_svg() {
    let dir = common::Scratch::new("latency");
    let rd = RingDir::new(&dir.0);
    let mut w = rd.writer("lat.trade", Kind::TRADE, &RingOptions::default().capacity(1 << 16)).unwrap();
    let path = rd.ring_path("lat.trade").unwrap();
    let writer = std::thread::spawn(move || {
        let start = std::time::Instant::now();
        while start.elapsed() < Duration::from_millis(1500) {
            let now = now_ns();
            let mut t = Trade::default();
            t.header.venue_ts = Nanos(now - 2_000_000);
            t.header.recv_ts = Nanos(now - 5_000);
            w.publish(&t).unwrap();
            std::thread::sleep(Duration::from_micros(200));
        }
    });
    let mut ticks = 0;
    let s = measure(&path, Duration::from_millis(1200), &mut |_, _| ticks += 1).unwrap();
    writer.join().unwrap();
    assert!(s.records > 100, "{}", s.records);
    assert_eq!(ticks, 1, "progress once a second");
    let v = s.venue_to_receive.value_at_quantile(0.5);
    assert!((1_990_000..2_010_000).contains(&v), "venue -> receive {v}");
    let r = s.receive_to_publish.value_at_quantile(0.5);
    assert!(r >= 5_000, "receive -> publish {r}");
    assert_eq!(s.publish_to_read.len(), s.records);
    let file = dir.0.join("plot.svg");
    svg(&s.named(), &file, "test").unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("<svg"), "{}", &text[..100]);
    for stage in STAGES {
        assert!(text.contains(stage), "legend names {stage}");
    }
    // One curve and one legend sample per stage, each in a colour of its own.
    let series: Vec<&str> = text.split("<polyline").filter(|p| p.contains(r#"stroke-width="2""#)).collect();
    assert_eq!(series.len(), 6, "one line (and its legend sample) per stage");
    let colours: std::collections::BTreeSet<&str> =
        series.iter().filter_map(|p| p.split("stroke=\"").nth(1)?.split('"').next()).collect();
    assert_eq!(colours.len(), 3, "{colours:?}");
}

#[test]
fn latency_command_writes_hgrm_files_and_json() {
    let dir = common::Scratch::new("latency-cli");
    let rd = RingDir::new(&dir.0);
    let mut w = rd.writer("cli.trade", Kind::TRADE, &RingOptions::default().capacity(1 << 12)).unwrap();
    let writer = std::thread::spawn(move || {
        for _ in 0..3000 {
            let now = now_ns();
            let mut t = Trade::default();
            t.header.venue_ts = Nanos(now - 1_000_000);
            t.header.recv_ts = Nanos(now - 1_000);
            w.publish(&t).unwrap();
            std::thread::sleep(Duration::from_micros(300));
        }
    });
    let out = Command::new(MDBUS)
        .args(["--dir"])
        .arg(&dir.0)
        .args(["latency", "cli.trade", "--seconds", "1", "--json", "--hgrm"])
        .arg(dir.0.join("out.hgrm"))
        .output()
        .unwrap();
    writer.join().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["records"].as_u64().unwrap() > 100, "{v}");
    for stage in STAGES {
        assert!(v[stage]["p50"].as_u64().unwrap() > 0, "{v}");
        let text = std::fs::read_to_string(dir.0.join(format!("out.{stage}.hgrm"))).unwrap();
        let rows = parse_hgrm(&text).unwrap();
        assert_eq!(rows.last().unwrap().2, v[stage]["count"].as_u64().unwrap(), "{stage}");
    }
}
