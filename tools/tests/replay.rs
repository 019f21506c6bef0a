//! Record and replay: a feeder's capture (frames, snapshots, connection events, records) played
//! back through the same decoders reproduces every record; damaged and truncated captures are
//! reported with the offset and their valid prefix still replays; a ring's records round-trip
//! through `mdbus record` and `mdbus replay`.

// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used)]

#[path = "../../tests/tests/common/mod.rs"]
mod common;

use std::{
    path::PathBuf,
    process::Command,
    time::{Duration, Instant},
};

use mdbus_bus::RingDir;
use mdbus_feeder::{
    capture::{self, CaptureError, Entry},
    config::FeedConfig,
    connection::ConnSettings,
    engine, tls,
};
use mdbus_sim::{Faults, Sim, SimConfig, SimVenue};
use mdbus_tools::replay::{Speed, replay, verify};

const MDBUS: &str = env!("CARGO_BIN_EXE_mdbus");

/// The tests run one at a time: each records a live feed whose pace a parallel replay would
/// disturb.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Runs `venue`'s simulator with `faults` and a recorded feeder for `secs`; returns the
/// capture file's path.
fn record_feed(scratch: &common::Scratch, venue: SimVenue, faults: Faults, secs: u64) -> PathBuf {
    let channels = if venue == mdbus_venues::gemini::sim::SIM { "trade, depth" } else { "trade, book_ticker, depth" };
    record_channels(scratch, venue, faults, secs, channels, venue.name())
}

/// As [`record_feed`], with `channels`, into `<tag>.cap`.
fn record_channels(
    scratch: &common::Scratch,
    venue: SimVenue,
    faults: Faults,
    secs: u64,
    channels: &str,
    tag: &str,
) -> PathBuf {
    let symbols = venue.symbols();
    let sim = Sim::start(SimConfig {
        venue,
        symbols: symbols.clone(),
        faults,
        ..mdbus_venues::sim_config(mdbus_venues::binance::sim::SIM)
    })
    .unwrap();
    let addr = sim.addr();
    let file = scratch.0.join(format!("{tag}.cap"));
    let rest = [mdbus_venues::binance::sim::SIM, mdbus_venues::gate::sim::SIM]
        .contains(&venue)
        .then(|| format!("    rest_url: http://{addr}\n"));
    let yaml = format!(
        "workers:\n  - {{ core: 0, poll: timeout, timeout_us: 200 }}\nfeeds:\n  - name: live\n    venue: {}\n    url: ws://{addr}{}\n{}    channels: [{channels}]\n    ring_capacity: 262144\n    record: {}\n    symbols:\n      - {{ symbol: {}, id: 1, price_exp: -2, qty_exp: -5 }}\n      - {{ symbol: {}, id: 2, price_exp: -2, qty_exp: -5 }}\n",
        venue.name(),
        venue.ws_path(),
        rest.unwrap_or_default(),
        file.display(),
        symbols[0],
        symbols[1]
    );
    let cfg = FeedConfig::from_yaml(&yaml, mdbus_venues::ALL).unwrap();
    let tls = tls::client_config(&[] as &[PathBuf], &[]).unwrap();
    let rd = RingDir::new(scratch.0.join("live"));
    let settings = ConnSettings::default()
        .silence(Duration::from_secs(5))
        .backoff(Duration::from_millis(20), Duration::from_millis(200));
    let mut workers = engine::build(&cfg, mdbus_venues::ALL, &rd, tls, settings).unwrap();
    let mut w = workers.remove(0);
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(secs) {
        w.step();
    }
    // Dropping the worker ends the recording: the index and trailer are written.
    drop(w);
    file
}

fn replay_and_verify(scratch: &common::Scratch, file: &std::path::Path, tag: &str) -> (u64, u64) {
    let cap = capture::read(file).unwrap();
    assert!(cap.complete, "{tag}: a finished recording has its index");
    assert!(cap.damage.is_none(), "{tag}: {:?}", cap.damage);
    let frames = cap.entries.iter().filter(|e| matches!(e, Entry::Frame { .. })).count() as u64;
    let records = cap.entries.iter().filter(|e| matches!(e, Entry::Record { .. })).count() as u64;
    assert!(frames > 200 && records > 200, "{tag}: {frames} frames, {records} records");
    let rd = RingDir::new(scratch.0.join(format!("replay-{tag}")));
    let stats = replay(&cap, &rd, "again", 1 << 20, Speed::Max, &mut |_, _| {}).unwrap();
    assert!(stats.entries >= frames, "{tag}: {stats:?}");
    let v = verify(&cap, &rd, "again").unwrap();
    assert!(v.mismatches.is_empty(), "{tag}: {:?}", v.mismatches);
    assert!(v.compared + 10 >= records, "{tag}: compared {} of {records}", v.compared);
    (frames, v.compared)
}

#[test]
fn a_recorded_feed_replays_into_the_same_records_for_every_venue() {
    let _serial = serial();
    let scratch = common::Scratch::new("replay-venues");
    for venue in [
        mdbus_venues::binance::sim::SIM,
        mdbus_venues::okx::sim::SIM,
        mdbus_venues::bybit::sim::SIM,
        mdbus_venues::htx::sim::SIM,
        mdbus_venues::gate::sim::SIM,
        mdbus_venues::gemini::sim::SIM,
    ] {
        // A gap and a reconnect on the way, so resyncs and markers are part of what must match.
        let faults = Faults { gap_every: 400, drop_every: 2500, malformed_every: 301, ..Faults::default() };
        let file = record_feed(&scratch, venue, faults.clone(), 3);
        replay_and_verify(&scratch, &file, venue.name());
        if venue == mdbus_venues::gate::sim::SIM {
            // Order book v2: the replay keeps the books by the `spot.obu` rule the feed had.
            let file = record_channels(&scratch, venue, faults, 3, "trade, obu400", "gateio-obu");
            replay_and_verify(&scratch, &file, "gateio-obu");
        }
    }
}

#[test]
fn damaged_and_truncated_captures_name_the_offset_and_keep_their_valid_prefix() {
    let _serial = serial();
    let scratch = common::Scratch::new("replay-damage");
    let file = record_feed(&scratch, mdbus_venues::okx::sim::SIM, Faults::default(), 2);
    let data = std::fs::read(&file).unwrap();
    let full = capture::parse(&data).unwrap();
    assert!(full.complete);
    assert!(full.entries.len() > 1000, "a 2 s recording holds thousands of entries: {}", full.entries.len());
    let n = full.entries.len();
    for cut in [data.len() - 3, data.len() * 3 / 4, data.len() / 2, data.len() / 5] {
        let part = capture::parse(&data[..cut]).unwrap_or_else(|e| panic!("cut at {cut} of {}: {e}", data.len()));
        assert!(!part.complete, "cut at {cut}");
        let Some(CaptureError::Damaged { offset, .. }) = part.damage else { panic!("cut at {cut}: {:?}", part.damage) };
        assert!(offset as usize <= cut, "cut at {cut}: damage at {offset}");
        assert!(part.entries.len() < n || cut > data.len() - 40, "cut at {cut}");
        assert_eq!(part.entries[..], full.entries[..part.entries.len()], "cut at {cut}: the valid prefix is intact");
    }
    for at in [data.len() / 3, data.len() / 2, data.len() * 2 / 3] {
        let mut bad = data.clone();
        bad[at] ^= 0x5a;
        let c = capture::parse(&bad).unwrap();
        let Some(CaptureError::Damaged { offset, why }) = c.damage else { panic!("flip at {at}: {:?}", c.damage) };
        assert!(offset as usize <= at, "flip at {at}: damage reported at {offset} ({why})");
        assert_eq!(c.entries[..], full.entries[..c.entries.len()], "flip at {at}");
        assert!(c.entries.len() > 10, "flip at {at}: the prefix replays");
        let rd = RingDir::new(scratch.0.join(format!("prefix-{at}")));
        replay(&c, &rd, "prefix", 1 << 20, Speed::Max, &mut |_, _| {}).unwrap();
    }
    let mut header = data.clone();
    header[30] ^= 1;
    assert!(matches!(capture::parse(&header), Err(CaptureError::Header(_))));
    // The command says where the damage is and exits 2 after replaying the prefix.
    let bad = scratch.0.join("bad.cap");
    let mut b = data.clone();
    b.truncate(data.len() / 2);
    std::fs::write(&bad, &b).unwrap();
    let out = Command::new(MDBUS)
        .args(["--dir"])
        .arg(scratch.0.join("cli"))
        .args(["replay", "--max"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("damaged entry at byte") && err.contains("valid entries before it"), "{err}");
}

#[test]
fn a_rings_records_round_trip_through_record_and_replay() {
    let _serial = serial();
    let scratch = common::Scratch::new("replay-cli");
    let file = record_feed(&scratch, mdbus_venues::bybit::sim::SIM, Faults::default(), 2);
    // The feeder's capture replays through the command too, checked record by record.
    let out = Command::new(MDBUS)
        .args(["--dir"])
        .arg(scratch.0.join("cli"))
        .args(["replay", "--max", "--verify"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("verified: "), "{}", String::from_utf8_lossy(&out.stdout));
    // A ring recorded by `mdbus record` (records only) republishes as it was.
    let ring_cap = scratch.0.join("book.cap");
    let out = Command::new(MDBUS)
        .args(["--dir"])
        .arg(scratch.0.join("live"))
        .args(["record", "live.book"])
        .arg(&ring_cap)
        .args(["--from", "oldest", "--until-caught-up"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let cap = capture::read(&ring_cap).unwrap();
    assert!(cap.complete && cap.entries.len() > 200, "{}", cap.entries.len());
    assert_eq!(cap.meta.instruments.len(), 2, "the instrument table travels with the records");
    let out = Command::new(MDBUS)
        .args(["--dir"])
        .arg(scratch.0.join("cli2"))
        .args(["replay", "--speed", "50", "--verify", "--name", "copy"])
        .arg(&ring_cap)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rd = RingDir::new(scratch.0.join("cli2"));
    let copied = common::read_all(&rd, "copy.book");
    // Bit for bit, publish time included; only the ring position is the new ring's.
    let original: Vec<&Vec<u8>> = cap
        .entries
        .iter()
        .filter_map(|e| if let Entry::Record { bytes, .. } = e { Some(bytes) } else { None })
        .filter(|b| mdbus_schemas::read_header(b).unwrap().kind != mdbus_schemas::Kind::MARKER || b[48] != 8)
        .collect();
    let copied: Vec<&Vec<u8>> = copied.iter().filter(|b| b[8] != mdbus_schemas::Kind::MARKER.0 || b[48] != 8).collect();
    assert_eq!(copied.len(), original.len());
    for (a, b) in original.iter().zip(&copied) {
        assert_eq!(a[8..], b[8..]);
    }
}

#[test]
fn a_recorder_lapped_by_the_writer_writes_the_exact_loss_into_the_capture() {
    use mdbus_bus::{RingOptions, Start};
    use mdbus_schemas::{Kind, Marker, MarkerCode, Trade};
    use std::os::unix::fs::PermissionsExt;
    let scratch = common::Scratch::new("replay-lost");
    let rd = RingDir::new(scratch.0.join("rings"));
    let mut w = rd.writer("feed.trade", Kind::TRADE, &RingOptions::default().capacity(16)).unwrap();
    for i in 0..100 {
        w.publish(&Trade { price: i, ..Trade::default() }).unwrap();
    }
    // From sequence 0: the writer's start marker and the first 84 trades are gone, and the
    // lapped reader resumes an eighth of the ring (2 records) clear of the writer.
    let file = scratch.0.join("lost.cap");
    let ring = rd.ring_path("feed.trade").unwrap();
    let got =
        mdbus_tools::replay::record(&ring, &file, Start::Seq(0), Duration::from_secs(5), true, &mut |_| {}).unwrap();
    assert_eq!((got.records, got.lost), (14, 87));
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o640);
    let cap = capture::read(&file).unwrap();
    let Entry::Record { bytes, .. } = &cap.entries[0] else { panic!("a record first") };
    let m = <Marker as zerocopy::FromBytes>::read_from_bytes(&bytes[..64]).unwrap();
    assert_eq!((m.header.kind, m.code, m.detail), (Kind::MARKER, MarkerCode::GAP, 87));
    // Replayed, the ring shows the hole with its size before the records that survived.
    replay(&cap, &RingDir::new(scratch.0.join("out")), "copy", 1024, Speed::Max, &mut |_, _| {}).unwrap();
    let copied = common::read_all(&RingDir::new(scratch.0.join("out")), "copy.trade");
    let gaps: Vec<u64> = copied
        .iter()
        .filter_map(|b| <Marker as zerocopy::FromBytes>::read_from_bytes(&b[..64]).ok())
        .filter(|m| m.header.kind == Kind::MARKER && m.code == MarkerCode::GAP)
        .map(|m| m.detail)
        .collect();
    assert_eq!(gaps, [87]);
    // The command says so too.
    let out = Command::new(MDBUS)
        .args(["--dir"])
        .arg(scratch.0.join("rings"))
        .args(["record", "feed.trade"])
        .arg(scratch.0.join("cli.cap"))
        .args(["--from", "oldest", "--until-caught-up"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("recorded 16 records"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // An account ring's capture is its owner's only.
    let mut a = rd.writer("feed.account", Kind::ORDER, &RingOptions::default().capacity(16)).unwrap();
    a.publish(&mdbus_schemas::Order::default()).unwrap();
    let acct = scratch.0.join("account.cap");
    let ring = rd.ring_path("feed.account").unwrap();
    mdbus_tools::replay::record(&ring, &acct, Start::Oldest, Duration::from_secs(5), true, &mut |_| {}).unwrap();
    assert_eq!(std::fs::metadata(&acct).unwrap().permissions().mode() & 0o777, 0o600);
}
