//! The `mdbus` program end to end: demo, ls, tail and the benchmarks on small counts.
// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used)]

#[path = "../../tests/tests/common/mod.rs"]
mod common;

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
fn demo_runs_the_whole_path_and_every_reader_accounts_for_every_record() {
    let dir = temp_dir("demo");
    let out = Command::new(MDBUS).args(["--dir"]).arg(&dir).args(["demo", "--seconds", "3"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("simulator binance  on ws://127.0.0.1:"), "{text}");
    assert!(text.contains("every reader received or was told of the loss of every record"), "{text}");
    for ring in ["book", "trade", "quote"] {
        let row = text
            .lines()
            .find(|l| l.starts_with(&format!("binance.{ring}")) && !l.contains("rec/s"))
            .unwrap_or_else(|| panic!("no {ring} row in {text}"));
        let received: u64 = row.split_whitespace().nth(1).unwrap().parse().unwrap();
        assert!(received > 0, "{row}");
    }
    assert!(text.contains(" 0 bad frames"), "{text}");
    // The rings were removed again.
    let left: Vec<_> =
        std::fs::read_dir(&dir).map(|d| d.flatten().map(|e| e.file_name()).collect()).unwrap_or_default();
    assert!(left.iter().all(|n| !n.to_string_lossy().ends_with(".ring")), "{left:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_ring_directory_a_demo_leaves_behind_has_nothing_others_can_write() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("demo-keep");
    let out =
        Command::new(MDBUS).args(["--dir"]).arg(&dir).args(["demo", "--seconds", "2", "--keep"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut seen = 0;
    let mut check = vec![dir.clone()];
    while let Some(p) = check.pop() {
        let mode = std::fs::symlink_metadata(&p).unwrap().permissions().mode();
        assert_eq!(mode & 0o002, 0, "{} is writable by others ({mode:o})", p.display());
        seen += 1;
        if p.is_dir() {
            check.extend(std::fs::read_dir(&p).unwrap().flatten().map(|e| e.path()));
        }
    }
    assert!(seen > 10, "the rings were kept: {seen} entries");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn demo_with_every_venue_runs_them_through_one_feeder() {
    let dir = temp_dir("demo-all");
    let out = Command::new(MDBUS)
        .args(["--dir"])
        .arg(&dir)
        .args(["demo", "--venues", "all", "--seconds", "4"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("every reader received or was told of the loss of every record"), "{text}");
    for venue in ["binance", "okx", "bybit", "htx", "gateio", "gemini"] {
        let feed = text
            .lines()
            .find(|l| l.starts_with(venue) && l.split_whitespace().count() == 6)
            .unwrap_or_else(|| panic!("no {venue} feed row in {text}"));
        let cols: Vec<u64> = feed.split_whitespace().skip(1).map(|c| c.parse().unwrap()).collect();
        assert!(cols[0] > 0 && cols[1] > 0, "{venue} carried frames and records: {feed}");
        assert_eq!(cols[2], 0, "{venue}: no bad frames: {feed}");
        let reader = text
            .lines()
            .find(|l| l.starts_with(&format!("{venue}.book")) && !l.contains("rec/s"))
            .unwrap_or_else(|| panic!("no {venue} reader row in {text}"));
        let cols: Vec<&str> = reader.split_whitespace().collect();
        assert!(cols[1].parse::<u64>().unwrap() > 0, "{reader}");
        assert_eq!(cols[3], "0", "{venue}: no gaps: {reader}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn demo_refuses_an_unknown_venue() {
    let out = Command::new(MDBUS).args(["demo", "--venues", "okx,kraken", "--seconds", "1"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown venue \"kraken\""));
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

#[test]
fn decode_okx_prints_one_record_per_message() {
    use std::io::Write;
    let frames = [
        r#"{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"1","px":"42219.9","sz":"0.5","side":"buy","ts":"1630048897897"},{"instId":"BTC-USDT","tradeId":"2","px":"42220","sz":"1","side":"sell","ts":"1630048897898"}]}"#,
        r#"{"event":"subscribe","arg":{"channel":"trades","instId":"BTC-USDT"},"connId":"accb8e21"}"#,
        "pong",
        r#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[["8476.98","0","0","0"]],"bids":[],"ts":"1597026383086","prevSeqId":123456,"seqId":123457}]}"#,
    ];
    let mut child = Command::new(MDBUS)
        .args(["decode", "--venue", "okx"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(frames.join("\n").as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let lines: Vec<Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3, "two trades and a book delta; the ack and pong print nothing");
    assert_eq!((lines[0]["trade_id"].as_u64(), lines[1]["side"].as_str()), (Some(1), Some("sell")));
    assert_eq!(
        (lines[2]["kind"].as_str(), lines[2]["prev_seq"].as_u64(), lines[2]["venue"].as_str()),
        (Some("book_delta"), Some(123456), Some("okx"))
    );
}

/// Gate.io order book v2 (`spot.obu`): the documented full push prints as the book snapshot,
/// an incremental push as a delta spanning `U..=u`; the pair comes from `ob.{pair}.{levels}`.
#[test]
fn decode_gate_obu_prints_the_full_book_and_its_updates() {
    use std::io::Write;
    let frames = [
        r#"{"channel":"spot.obu","result":{"t":1748572394325,"full":true,"s":"ob.BTC_USDT.50","u":28606981,"b":[["105958.9","0.00908"],["105953.2","0.02426"]],"a":[["105959","0.5"]]}}"#,
        r#"{"channel":"spot.obu","result":{"t":1748572394345,"s":"ob.BTC_USDT.50","U":28606982,"u":28606983,"b":[["105953.2","0"]]}}"#,
    ];
    let mut child = Command::new(MDBUS)
        .args(["decode", "--venue", "gateio"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(frames.join("\n").as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let lines: Vec<Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(
        (lines[0]["kind"].as_str(), lines[0]["symbol"].as_str(), lines[0]["last_seq"].as_u64()),
        (Some("book_snapshot"), Some("BTC_USDT"), Some(28606981))
    );
    assert_eq!(lines[0]["bids"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        (lines[1]["kind"].as_str(), lines[1]["first_seq"].as_u64(), lines[1]["last_seq"].as_u64()),
        (Some("book_delta"), Some(28606982), Some(28606983))
    );
}

#[test]
fn decode_prints_records_and_reports_bad_frames() {
    use std::io::Write;
    let frames = [
        r#"{"e":"trade","E":1672515782136,"s":"BNBBTC","t":12345,"p":"0.001","q":"100","T":1672515782136,"m":true,"M":true}"#,
        r#"{"result":null,"id":1}"#,
        "this is not json",
        r#"{"stream":"bnbbtc@depth20","data":{"lastUpdateId":160,"bids":[["0.0024","10"]],"asks":[["0.0026","100"]]}}"#,
        r#"{"e":"kline","E":1,"s":"BNBBTC","k":{"t":1672515780000,"T":1672515839999,"s":"BNBBTC","i":"1m","o":"0.0010","c":"0.0020","h":"0.0025","l":"0.0015","v":"1000","n":100,"x":false,"q":"1.0000"}}"#,
    ];
    let mut child = Command::new(MDBUS)
        .args(["decode", "--venue", "binance-spot"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(frames.join("\n").as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2), "a bad frame makes the exit status 2");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 3"), "{err}");
    let lines: Vec<Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3, "the ack prints nothing");
    assert_eq!(lines[0]["kind"], "trade");
    assert_eq!(lines[0]["side"], "sell");
    assert_eq!(lines[0]["trade_id"], 12345);
    assert_eq!(lines[0]["price"], "0.001");
    assert_eq!(lines[0]["exch_ts_ns"], 1_672_515_782_136_000_000u64);
    assert_eq!(lines[1]["kind"], "book_snapshot");
    assert_eq!(lines[1]["symbol"], "BNBBTC");
    assert_eq!(lines[1]["bids"], serde_json::json!([["0.0024", "10"]]));
    assert_eq!(lines[1]["last_seq"], 160);
    assert_eq!(lines[1]["prev_seq"], Value::Null);
    assert_eq!(lines[2]["kind"], "bar");
    assert_eq!(lines[2]["open_ts_ns"], 1_672_515_780_000_000_000u64);
    assert_eq!(lines[2]["close"], "0.0020");

    let dir = temp_dir("decode");
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("depth.json");
    std::fs::write(
        &f,
        r#"{"e":"depthUpdate","E":123456789,"T":123456788,"s":"BTCUSDT","U":157,"u":160,"pu":149,"b":[["0.0024","10"]],"a":[["0.0026","0"]]}"#,
    )
    .unwrap();
    let out = Command::new(MDBUS).args(["decode", "--venue", "binance-usdm"]).arg(&f).output().unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["kind"].as_str(), v["first_seq"].as_u64(), v["prev_seq"].as_u64()),
        (Some("book_delta"), Some(157), Some(149))
    );
    assert_eq!(v["exch_ts_ns"], 123_456_788_000_000u64);
    let bad = Command::new(MDBUS).args(["decode", "--venue", "nowhere"]).output().unwrap();
    assert!(!bad.status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bench_decode_reports_every_figure_as_json() {
    let out = Command::new(MDBUS).args(["bench", "decode", "--json", "--iters", "200"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "book_ticker_fast_ns",
        "book_ticker_serde_ns",
        "trade_fast_ns",
        "trade_serde_ns",
        "depth20_fast_ns",
        "depth20_serde_ns",
    ] {
        assert!(v[key].as_f64().is_some_and(|x| x > 0.0), "missing {key} in {v}");
    }
}

#[test]
fn bench_limiter_reports_every_figure_as_json() {
    let out = Command::new(MDBUS).args(["bench", "limiter", "--json", "--iters", "2000"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "limiter_ns",
        "shared_limiter_ns",
        "governor_ns",
        "limiter_order_ns",
        "governor_two_ns",
        "limiter_denied_ns",
        "limiter_over_governor",
        "seed_b1_over_limiter",
    ] {
        assert!(v[key].as_f64().is_some_and(|x| x > 0.0), "missing {key} in {v}");
    }
}

#[test]
fn bench_idle_reports_every_strategy_free_and_loaded() {
    let out = Command::new(MDBUS).args(["bench", "idle", "--json", "--seconds", "0.3"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    for s in ["busy_spin", "spin_yield", "spin_park"] {
        for load in ["free", "loaded"] {
            assert!(v[format!("{s}_{load}_samples")].as_u64().is_some_and(|n| n > 10), "{s} {load} in {v}");
            let (p50, p99) =
                (v[format!("{s}_{load}_p50_ns")].as_u64().unwrap(), v[format!("{s}_{load}_p99_ns")].as_u64().unwrap());
            assert!(p50 > 0 && p99 >= p50, "{s} {load}: {p50} {p99}");
        }
    }
}

#[test]
fn bench_sign_reports_every_venue_as_json() {
    let out = Command::new(MDBUS).args(["bench", "sign", "--json", "--iters", "200"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "binance_ns",
        "binance_request_ns",
        "okx_ns",
        "bybit_ns",
        "gateio_ns",
        "htx_ns",
        "gemini_ns",
        "seed_b9_over_binance",
    ] {
        assert!(v[key].as_f64().is_some_and(|x| x > 0.0), "missing {key} in {v}");
    }
}

#[test]
fn bench_order_reports_warm_and_cold_round_trips() {
    let out = Command::new(MDBUS).args(["bench", "order", "--json", "--orders", "30"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in ["warm_p50_us", "warm_p99_us", "cold_p50_us", "cold_p99_us", "cold_over_warm_p50"] {
        assert!(v[key].as_f64().is_some_and(|x| x > 0.0), "missing {key} in {v}");
    }
    assert_eq!(v["orders_placed"], 66);
}

#[test]
fn bench_decode_covers_every_venue() {
    for venue in ["okx", "bybit", "gateio", "gemini", "htx"] {
        let out = Command::new(MDBUS)
            .args(["bench", "decode", "--venue", venue, "--json", "--iters", "50"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{venue}: {}", String::from_utf8_lossy(&out.stderr));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        for frame in v["frames"].as_array().unwrap() {
            let f = frame.as_str().unwrap();
            // Every venue has its one-pass baselines, each checked equal to the fast path first.
            for k in ["fast_ns", "serde_ns", "speedup", "serde1_ns", "sonic_ns", "vs_best_one_pass"] {
                assert!(v[format!("{f}_{k}")].as_f64().is_some_and(|x| x > 0.0), "{venue} {f}_{k} in {v}");
            }
        }
    }
    let out = Command::new(MDBUS).args(["bench", "decode", "--venue", "kraken", "--json"]).output().unwrap();
    assert!(!out.status.success());
}

#[test]
fn bench_e2e_reports_latency_and_frame_rate() {
    let out =
        Command::new(MDBUS).args(["bench", "e2e", "--json", "--seconds", "1", "--tick-us", "500"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["e2e_samples"].as_u64().unwrap() > 100, "{v}");
    assert!(
        v["e2e_p50_ns"].as_u64().unwrap() > 0 && v["e2e_p99_ns"].as_u64().unwrap() >= v["e2e_p50_ns"].as_u64().unwrap()
    );
    assert!(v["frames_per_s"].as_f64().unwrap() > 0.0, "{v}");
    assert!(v["loopback_p50_ns"].as_u64().unwrap() > 0 && v["e2e_p50_over_loopback"].as_f64().unwrap() > 0.0, "{v}");
}

/// Runs `mdbus sign` with the secret in `MDBUS_TEST_SECRET`.
fn sign(secret: &str, args: &[&str]) -> std::process::Output {
    Command::new(MDBUS)
        .args(["sign", "--secret-env", "MDBUS_TEST_SECRET"])
        .args(args)
        .env("MDBUS_TEST_SECRET", secret)
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .output()
        .unwrap()
}

#[test]
fn sign_reproduces_binance_documented_example_and_prints_nothing_else() {
    let out = sign(
        "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j",
        &[
            "--venue",
            "binance",
            "--query",
            "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559",
        ],
    );
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71\n"
    );
    assert!(out.stderr.is_empty());
}

#[test]
fn sign_covers_every_venue_and_never_prints_the_secret() {
    let secret = "SECRETKEY0123456789";
    let cases: [(&[&str], &str); 6] = [
        (&["--venue", "binance", "--body", "symbol=BTCUSDT&timestamp=1"], ""),
        (
            &[
                "--venue",
                "okx",
                "--timestamp",
                "2020-12-08T09:08:57.715Z",
                "--method",
                "get",
                "--path",
                "/api/v5/account/balance",
                "--query",
                "ccy=BTC",
            ],
            "wfTl2i1SELvp8Nb2669a45Ue+b1Wdy1udmIK9YrGXk0=",
        ),
        (
            &[
                "--venue",
                "bybit",
                "--timestamp",
                "1658384314791",
                "--api-key",
                "XXXXXXXXXX",
                "--recv-window",
                "5000",
                "--query",
                "category=option&symbol=BTC-29JUL22-25000-C",
            ],
            "3167a56cbc43e01f41c4f955295f8eaa753be99d7c6594b7788b65b2b98a0639",
        ),
        (
            &[
                "--venue",
                "gateio",
                "--method",
                "GET",
                "--path",
                "/api/v4/futures/usdt/orders",
                "--query",
                "contract=BTC_USDT&status=finished&limit=50",
                "--timestamp",
                "1541993715",
            ],
            "25b4aad0aa2714457d17f29c1f684c46b3cd0eda4f03738be25f5fcd2418115dc6039a184849dc403bb876c95ac3328906c667700cf62e12905ef0c6c9fa5ace",
        ),
        (
            &[
                "--venue",
                "htx",
                "--method",
                "GET",
                "--host",
                "api.huobi.pro",
                "--path",
                "/v1/order/orders",
                "--api-key",
                "e2xxxxxx-99xxxxxx-84xxxxxx-7xxxx",
                "--timestamp",
                "2017-05-11T15:19:30",
                "--query",
                "order-id=1234567890",
            ],
            "",
        ),
        (
            &["--venue", "gemini", "--body", r#"{"request": "/v1/order/status", "nonce": 123456, "order_id": 18834}"#],
            "",
        ),
    ];
    for (args, want) in cases {
        let out = sign(secret, args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8(out.stdout).unwrap();
        assert_eq!(text.lines().count(), 1, "{args:?}: {text:?}");
        assert!(!text.contains(secret) && !String::from_utf8_lossy(&out.stderr).contains(secret));
        if !want.is_empty() {
            assert_eq!(text.trim_end(), want, "{args:?}");
        }
    }
    // The HTX walkthrough request with its (masked) secret, as the library test checks it.
    let out = sign("b0xxxxxx-c6xxxxxx-94xxxxxx-dxxxx", cases[4].0);
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim_end(), "Nmd8AU8uAe0mkFpxNbiava0aeZzBEtYjCdie1ZYZjoM=");
}

#[test]
fn sign_names_what_is_missing() {
    let secret = "SECRETKEY0123456789";
    for (args, flag) in [
        (&["--venue", "okx", "--method", "GET", "--path", "/x"][..], "--timestamp"),
        (&["--venue", "bybit", "--timestamp", "1", "--recv-window", "5000"][..], "--api-key"),
        (&["--venue", "gateio", "--method", "GET", "--path", "/x"][..], "--timestamp"),
        (&["--venue", "htx", "--method", "GET", "--path", "/x", "--api-key", "k", "--timestamp", "t"][..], "--host"),
        (&["--venue", "gemini"][..], "--body"),
        (&["--venue", "binance"][..], "--query"),
    ] {
        let out = sign(secret, args);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(flag), "{args:?}: {err}");
        assert!(!err.contains(secret) && out.stdout.is_empty());
    }
    let out = sign(secret, &["--venue", "kraken"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown venue"));
    let out = Command::new(MDBUS)
        .args(["sign", "--venue", "okx", "--secret-env", "MDBUS_TEST_UNSET_VAR"])
        .env_remove("MDBUS_TEST_UNSET_VAR")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("MDBUS_TEST_UNSET_VAR"));
}

#[test]
fn bench_all_writes_every_table_with_the_machine_and_commands() {
    let dir = temp_dir("bench-all");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bench.md");
    let out = Command::new(MDBUS).args(["bench", "all", "--quick", "--out"]).arg(&file).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("- CPU: ") && text.contains(" cores available"), "{text}");
    let steps = mdbus_tools::bench_all::plan(true);
    for s in &steps {
        let section =
            text.split(&format!("## {}\n", s.title)).nth(1).unwrap_or_else(|| panic!("no {} in {text}", s.title));
        let section = section.split("\n## ").next().unwrap();
        assert!(section.contains(&format!("mdbus bench {}", s.args.join(" "))), "command line of {}", s.title);
        assert!(section.contains("|---|"), "{}: a table\n{section}", s.title);
        assert!(!section.contains("failed ("), "{}: {section}", s.title);
    }
    let progress = String::from_utf8_lossy(&out.stderr);
    assert!(progress.contains(&format!("[{0}/{0}]", steps.len())), "{progress}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn rest_asks_every_venue_through_the_feed_protocol() {
    use mdbus_sim::{Sim, SimConfig};
    for (venue, key, symbol) in [
        (mdbus_venues::okx::sim::SIM, "OKX___SPOT", "BTC-USDT"),
        (mdbus_venues::htx::sim::SIM, "HTX___SPOT", "btcusdt"),
        (mdbus_venues::gemini::sim::SIM, "GEMINI___SPOT", "BTCUSD"),
    ] {
        let sim = Sim::start(SimConfig {
            venue,
            symbols: venue.symbols(),
            max_ticks: Some(300),
            ..mdbus_venues::sim_config(mdbus_venues::binance::sim::SIM)
        })
        .unwrap();
        assert!(sim.wait_quiet(std::time::Duration::from_secs(30)), "the simulated market goes quiet");
        let url = format!("http://{}", sim.addr());
        let run =
            |args: &[&str]| Command::new(MDBUS).arg("rest").args(args).args(["--rest-url", &url]).output().unwrap();
        let lines = |o: &std::process::Output| -> Vec<Value> {
            String::from_utf8_lossy(&o.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
        };
        let out = run(&[key, "instruments"]);
        assert!(out.status.success(), "{key}: {}", String::from_utf8_lossy(&out.stderr));
        let inst = lines(&out);
        assert_eq!(inst.len(), 2, "{key}");
        assert_eq!((inst[0]["price_exp"].as_i64(), inst[0]["qty_exp"].as_i64()), (Some(-2), Some(-5)), "{key}");
        let out = run(&[key, "ticker", symbol]);
        let q = lines(&out);
        assert_eq!((q[0]["kind"].as_str(), q[0]["symbol"].as_str()), (Some("quote"), Some(symbol)), "{key}: {q:?}");
        let book = sim.book(symbol).unwrap();
        let bid = mdbus_schemas::Decimal::from_fixed(book.bids[0].0, -2).to_string();
        assert_eq!(q[0]["bid_px"].as_str(), Some(bid.as_str()), "{key}: exact decimals from the table: {q:?}");
        let out = run(&[key, "trades", symbol, "--limit", "5"]);
        assert_eq!(lines(&out).len(), 5, "{key}");
        assert!(lines(&out).iter().all(|t| t["kind"] == "trade"), "{key}");
        // Bad input: a clear error, non-zero exit.
        let out = run(&[key, "ticker"]);
        assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("needs a symbol"), "{key}");
    }
    let out = Command::new(MDBUS).args(["rest", "NOPE___SPOT", "instruments"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("NOPE___SPOT") && err.contains("OKX___SPOT"), "{err}");
}

#[test]
fn mdbus_book_prints_every_instruments_live_book_while_the_demo_runs() {
    let dir = temp_dir("demo-book");
    let mut demo = Command::new(MDBUS)
        .args(["--dir"])
        .arg(&dir)
        .args(["demo", "--seconds", "8"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let book = |dir: &std::path::Path| -> Vec<serde_json::Value> {
        let out =
            Command::new(MDBUS).args(["--dir"]).arg(dir).args(["book", "--json", "--depth", "5"]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    };
    // Wait for the books to be in sync.
    let until = std::time::Instant::now() + std::time::Duration::from_secs(7);
    let mut first = Vec::new();
    while std::time::Instant::now() < until {
        std::thread::sleep(std::time::Duration::from_millis(300));
        if !book_tables(&dir).is_empty() {
            first = book(&dir);
            if first.len() >= 2 && first.iter().all(|b| b["state"] == "live") {
                break;
            }
        }
    }
    assert!(first.len() >= 2 && first.iter().all(|b| b["state"] == "live"), "{first:?}");
    std::thread::sleep(std::time::Duration::from_millis(700));
    let second = book(&dir);
    let dec = |v: &serde_json::Value| v.as_str().unwrap().parse::<f64>().unwrap();
    for (a, b) in first.iter().zip(&second) {
        assert_eq!((&a["feed"], &a["symbol"]), (&b["feed"], &b["symbol"]));
        assert!(b["seq"].as_u64().unwrap() > a["seq"].as_u64().unwrap(), "moving: {a} then {b}");
        let (bids, asks) = (b["bids"].as_array().unwrap(), b["asks"].as_array().unwrap());
        assert!(!bids.is_empty() && !asks.is_empty() && bids.len() <= 5, "{b}");
        assert!(bids.windows(2).all(|w| dec(&w[0][0]) > dec(&w[1][0])), "bids best first: {b}");
        assert!(asks.windows(2).all(|w| dec(&w[0][0]) < dec(&w[1][0])), "asks best first: {b}");
        assert!(dec(&bids[0][0]) < dec(&asks[0][0]), "uncrossed: {b}");
    }
    assert!(demo.wait().unwrap().success());
    let _ = std::fs::remove_dir_all(&dir);
}

fn book_tables(dir: &std::path::Path) -> Vec<String> {
    mdbus_tools::book::feeds(dir)
}

#[test]
fn mdbus_feed_says_why_it_cannot_connect() {
    // A port with nothing listening.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = temp_dir("feed-refused");
    let out = run_okx_trade_feed(&dir, "nothere", &format!("127.0.0.1:{port}"), 2);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(
        stderr.contains("feed=nothere") && stderr.contains("connection 0 could not connect: connect:"),
        "stderr: {stderr}"
    );
    assert!(stderr.to_lowercase().contains("refused"), "the reason: {stderr}");
    let failed: u64 = stdout
        .lines()
        .filter_map(|l| l.split("failed connects ").nth(1)?.split_whitespace().next()?.parse().ok())
        .max()
        .unwrap_or(0);
    assert!(failed >= 1, "counted: {stdout}");
    // Readers of the feed's rings are told too: one marker for the run of failures.
    let rd = RingDir::new(dir.join("rings"));
    let codes: Vec<mdbus_schemas::MarkerCode> = common::read_all(&rd, "nothere.trade")
        .iter()
        .filter_map(|b| match mdbus_schemas::RecordView::from_bytes(b) {
            Ok(mdbus_schemas::RecordView::Marker(m)) => Some(m.code),
            _ => None,
        })
        .collect();
    assert_eq!(codes.iter().filter(|c| **c == mdbus_schemas::MarkerCode::CONNECT_FAILED).count(), 1, "{codes:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn mdbus_health_passes_while_the_feeder_runs_and_fails_once_it_is_gone() {
    let dir = temp_dir("health");
    let health = |dir: &std::path::Path| {
        let out = Command::new(MDBUS).args(["--dir"]).arg(dir).args(["health"]).output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).to_string())
    };
    // Nothing there: a problem.
    assert_eq!(health(&dir).0, Some(1));
    let mut demo = Command::new(MDBUS)
        .args(["--dir"])
        .arg(&dir)
        .args(["demo", "--seconds", "6", "--keep"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut last = (None, String::new());
    while std::time::Instant::now() < until {
        std::thread::sleep(std::time::Duration::from_millis(250));
        last = health(&dir);
        if last.0 == Some(0) {
            break;
        }
    }
    assert_eq!(last.0, Some(0), "healthy while the demo runs: {}", last.1);
    assert!(demo.wait().unwrap().success());
    // The feeder is gone: every ring says so at once.
    let started = std::time::Instant::now();
    let (code, text) = health(&dir);
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    assert_eq!(code, Some(1), "{text}");
    assert!(text.lines().any(|l| l.contains("writer") && l.contains("not running")), "{text}");
    let json = Command::new(MDBUS).args(["--dir"]).arg(&dir).args(["health", "--json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert!(v["problems"].as_array().unwrap().len() >= 3);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn mdbus_feed_reports_failing_frames_with_the_first_error() {
    let (mut sim, addr) =
        common::spawn_sim(MDBUS, &["--venue", "okx", "--port", "0", "--malformed-every", "20", "--seconds", "6"], &[]);
    let dir = temp_dir("feed-bad-frames");
    let out = run_okx_trade_feed(&dir, "bad", &addr, 3);
    let _ = sim.kill();
    let _ = sim.wait();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.lines().any(|l| l.contains("feed=bad")
            && l.contains("failed, the first: ")
            && l.contains("malformed JSON at byte")),
        "stderr: {stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs `mdbus feed` for `seconds` on one OKX trade feed `name` at `addr`, its configuration
/// and rings under `dir`.
fn run_okx_trade_feed(dir: &std::path::Path, name: &str, addr: &str, seconds: u64) -> std::process::Output {
    run_okx_trade_feed_with(dir, name, addr, seconds, &[])
}

fn run_okx_trade_feed_with(
    dir: &std::path::Path,
    name: &str,
    addr: &str,
    seconds: u64,
    extra: &[&str],
) -> std::process::Output {
    std::fs::create_dir_all(dir).unwrap();
    let cfg = dir.join("feed.yaml");
    std::fs::write(
        &cfg,
        format!(
            "workers:\n  - {{ core: 0, poll: timeout, timeout_us: 1000 }}\nfeeds:\n  - name: {name}\n    venue: okx\n    url: ws://{addr}/ws/v5/public\n    channels: [trade]\n    ring_capacity: 1024\n    symbols:\n      - {{ symbol: BTC-USDT, id: 1, price_exp: -2, qty_exp: -5 }}\n"
        ),
    )
    .unwrap();
    Command::new(MDBUS)
        .args(["--dir"])
        .arg(dir.join("rings"))
        .args(["feed", "--config"])
        .arg(&cfg)
        .args(["--seconds", &seconds.to_string()])
        .args(extra)
        .output()
        .unwrap()
}

/// With `--log-json`, every log line is one JSON object: level, message and fields.
#[test]
fn mdbus_feed_logs_json_with_a_flag() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = temp_dir("feed-json-logs");
    let out = run_okx_trade_feed_with(&dir, "nowhere", &format!("127.0.0.1:{port}"), 2, &["--log-json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<Value> =
        stderr.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
    let failure =
        lines.iter().find(|v| v["fields"]["feed"] == "nowhere").unwrap_or_else(|| panic!("a failure line: {stderr}"));
    assert_eq!(failure["level"], "WARN");
    assert!(failure["fields"]["message"].as_str().unwrap().contains("could not connect"), "{failure}");
    assert!(failure["fields"]["count"].as_u64().unwrap() >= 1, "{failure}");
    let _ = std::fs::remove_dir_all(&dir);
}
