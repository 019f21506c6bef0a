//! `mdbus stat` and `mdbus ls` on rings a real feeder wrote: a gap the simulator provokes shows
//! per instrument with its resync, and a feeder that has exited shows as a dead writer.

// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used)]

mod common;

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
};

use serde_json::Value;

const MDBUS: &str = env!("CARGO_BIN_EXE_mdbus");

#[test]
fn stat_reports_a_provoked_gap_and_ls_a_dead_writer() {
    let dir = common::Scratch::new("stat");
    let mut sim = Command::new(MDBUS)
        .args(["sim", "--venue", "okx", "--port", "0", "--gap-every", "300", "--seconds", "30"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(sim.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.split("ws://").nth(1).and_then(|r| r.split('/').next()).unwrap().to_owned();
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
