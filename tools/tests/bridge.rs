//! `mdbus bridge out|in` over Aeron: a running demo's rings appear in another directory record
//! for record with their sequence numbers, on loopback and across a veth pair between two
//! network namespaces; a restarted receiver, or one that falls behind, says what it missed, in
//! place, exactly; a restarted sender resumes without writing anything twice.
#![cfg(feature = "aeron")]
// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used)]

#[path = "../../tests/tests/common/mod.rs"]
mod common;

use std::{
    collections::BTreeMap,
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use mdbus_bus::{INSTRUMENTS_FILE, ReadError, Reader, RingDir, RingOptions, Start, Writer};
use mdbus_schemas::{Kind, Marker, MarkerCode, Trade};
use serde_json::Value;

const MDBUS: &str = env!("CARGO_BIN_EXE_mdbus");

/// One at a time: each runs two media drivers and a feed on a 2-core machine.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A UDP port nothing listens on now.
fn free_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A bridge process, its status lines collected as they come; stopped with SIGTERM (so that
/// its embedded media driver removes its directory) when dropped.
struct Bridge {
    child: Child,
    status: Arc<Mutex<BTreeMap<String, Value>>>,
}

impl Bridge {
    fn start(prefix: &[&str], dir: &Path, side: &str, channel: &str) -> Bridge {
        let (program, args) = match prefix.split_first() {
            Some((p, rest)) => (*p, rest.iter().copied().chain([MDBUS]).collect::<Vec<_>>()),
            None => (MDBUS, Vec::new()),
        };
        let mut child = Command::new(program)
            .args(args)
            .arg("--dir")
            .arg(dir)
            .args(["bridge", side, "--channel", channel, "--status-json"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let status = Arc::new(Mutex::new(BTreeMap::new()));
        let s = status.clone();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    let ring = v["ring"].as_str().unwrap_or_default().to_owned();
                    s.lock().unwrap().insert(ring, v);
                }
            }
        });
        Bridge { child, status }
    }

    /// The last status line of `ring`.
    fn status(&self, ring: &str) -> Option<Value> {
        self.status.lock().unwrap().get(ring).cloned()
    }

    fn stop(mut self) {
        self.terminate();
    }

    fn terminate(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(10) {
            if self.child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            self.terminate();
        }
    }
}

/// Every record of a ring from its oldest on: sequence number and slot bytes.
fn records(path: &Path) -> Vec<(u64, Vec<u8>)> {
    let mut r = Reader::open_at(path, Start::Oldest).unwrap();
    let mut out = Vec::new();
    loop {
        match r.try_read() {
            Ok(rec) => out.push((rec.seq(), rec.bytes()[8..].to_vec())),
            Err(ReadError::Overrun { .. }) => {}
            Err(ReadError::Empty) => return out,
        }
    }
}

/// Waits up to `secs` for `done`.
fn wait_for(secs: u64, what: &str, mut done: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !done() {
        assert!(t0.elapsed() < Duration::from_secs(secs), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The rings of `a` appear in `b` with the same heads, then are compared record for record:
/// sequence numbers, kinds, every byte (all three timestamps among them). Returns how many
/// rings and records were compared.
fn assert_mirrored(a: &RingDir, b: &RingDir) -> (usize, usize) {
    let rings = a.list().unwrap();
    assert!(rings.len() >= 4, "the demo's rings: {rings:?}");
    for ring in &rings {
        let head = ring.info.as_ref().unwrap().head;
        wait_for(30, &format!("{} to reach {head} in the mirror", ring.name), || {
            b.reader(&ring.name, Start::Head).is_ok_and(|r| r.head() == head)
        });
    }
    let mut compared = 0;
    for ring in &rings {
        let want = records(&ring.path);
        let got = records(&b.ring_path(&ring.name).unwrap());
        assert!(!want.is_empty());
        assert_eq!(want.len(), got.len(), "{}", ring.name);
        for (w, g) in want.iter().zip(&got) {
            assert_eq!(w, g, "{}: record {} differs", ring.name, w.0);
        }
        compared += want.len();
    }
    let table = |d: &RingDir| std::fs::read(d.path().join(INSTRUMENTS_FILE)).unwrap();
    wait_for(10, "the instrument table", || b.path().join(INSTRUMENTS_FILE).exists());
    assert_eq!(table(a), table(b), "the instrument table arrives as it is");
    (rings.len(), compared)
}

/// Runs the demo into `a` (through `prefix`, e.g. `ip netns exec NS`) with both ends of the
/// bridge running, and checks its rings arrive in `b` whole.
fn bridge_a_demo(prefix_a: &[&str], prefix_b: &[&str], a: &RingDir, b: &RingDir, channel: &str) {
    let receiver = Bridge::start(prefix_b, b.path(), "in", channel);
    let sender = Bridge::start(prefix_a, a.path(), "out", channel);
    let (program, args) = match prefix_a.split_first() {
        Some((p, rest)) => (*p, rest.iter().copied().chain([MDBUS]).collect::<Vec<_>>()),
        None => (MDBUS, Vec::new()),
    };
    let demo = Command::new(program)
        .args(args)
        .arg("--dir")
        .arg(a.path())
        .args(["demo", "--seconds", "4", "--keep"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(demo.status.success(), "demo: {}", String::from_utf8_lossy(&demo.stderr));
    let (rings, compared) = assert_mirrored(a, b);
    assert!(compared > 1000, "{rings} rings, {compared} records");
    // On the receiving host the mirrors' writer is alive and fresh, long after the last record.
    std::thread::sleep(Duration::from_millis(2500));
    let health =
        Command::new(MDBUS).arg("--dir").arg(b.path()).args(["health", "--max-heartbeat-age", "2"]).output().unwrap();
    assert!(health.status.success(), "mdbus health: {}", String::from_utf8_lossy(&health.stdout));
    for ring in a.list().unwrap() {
        let s = receiver.status(&ring.name).unwrap_or_default();
        assert_eq!(s["missed"], 0, "{}: {s}", ring.name);
    }
    sender.stop();
    receiver.stop();
}

#[test]
fn a_running_demo_appears_in_another_directory_record_for_record() {
    let _g = serial();
    let scratch = common::Scratch::new("bridge-loop");
    let (a, b) = (RingDir::new(scratch.0.join("a")), RingDir::new(scratch.0.join("b")));
    let channel = format!("aeron:udp?endpoint=127.0.0.1:{}", free_port());
    bridge_a_demo(&[], &[], &a, &b, &channel);
}

/// Publishes `n` trades, paced so that a bridge keeps up.
fn publish(w: &mut Writer, n: usize) {
    for _ in 0..n {
        let price = w.head() as i64;
        w.publish(&Trade { price, ..Trade::default() }).unwrap();
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// A sending ring `t.trade` in A, both ends of a bridge from A to B on loopback, and the first
/// `first` records already mirrored.
struct Setup {
    scratch: common::Scratch,
    a: RingDir,
    b: RingDir,
    channel: String,
    w: Writer,
    receiver: Bridge,
    sender: Bridge,
}

fn setup(tag: &str, capacity: u64, first: usize) -> Setup {
    let scratch = common::Scratch::new(tag);
    let (a, b) = (RingDir::new(scratch.0.join("a")), RingDir::new(scratch.0.join("b")));
    let channel = format!("aeron:udp?endpoint=127.0.0.1:{}", free_port());
    let mut w = a.writer("t.trade", Kind::TRADE, &RingOptions::default().capacity(capacity)).unwrap();
    let receiver = Bridge::start(&[], b.path(), "in", &channel);
    let sender = Bridge::start(&[], a.path(), "out", &channel);
    publish(&mut w, first);
    wait_for(20, "the first records", || b.reader("t.trade", Start::Head).is_ok_and(|r| r.head() == w.head()));
    Setup { scratch, a, b, channel, w, receiver, sender }
}

/// Reads ring `path` from `from` to its head and returns the records delivered (other than gap
/// markers) and the loss it learns of: overruns, plus the first count of each run of gap
/// markers.
fn delivered_and_lost(path: &Path, from: u64) -> (Vec<u64>, u64) {
    let mut r = Reader::open_at(path, Start::Seq(from)).unwrap();
    let (mut delivered, mut lost, mut run) = (Vec::new(), 0, None::<(u64, u64)>);
    loop {
        match r.try_read() {
            Ok(rec) => match rec.get::<Marker>().filter(|m| m.code == MarkerCode::GAP) {
                Some(m) => {
                    if run.is_none_or(|(s, d)| rec.seq() != s + 1 || m.detail + 1 != d) {
                        lost += m.detail;
                    }
                    run = Some((rec.seq(), m.detail));
                }
                None => delivered.push(rec.seq()),
            },
            Err(ReadError::Overrun { lost: l }) => lost += l,
            Err(ReadError::Empty) => return (delivered, lost),
        }
    }
}

#[test]
fn a_restarted_receiver_says_what_it_missed_exactly() {
    let _g = serial();
    let Setup { scratch: _scratch, a, b, channel, mut w, receiver, sender } = setup("bridge-rx", 256, 50);
    let reached = w.head();
    receiver.stop();
    // While no receiver runs, the ring laps the sender's position more than once.
    for _ in 0..1000 {
        let price = w.head() as i64;
        w.publish(&Trade { price, ..Trade::default() }).unwrap();
    }
    let receiver = Bridge::start(&[], b.path(), "in", &channel);
    wait_for(20, "the receiver to mirror again", || receiver.status("t.trade").is_some());
    publish(&mut w, 30);
    let path_b = b.ring_path("t.trade").unwrap();
    wait_for(20, "the mirror to catch up", || Reader::open(&path_b).is_ok_and(|r| r.head() == w.head()));
    let s = receiver.status("t.trade").unwrap();
    wait_for(5, "the receiver's counts", || receiver.status("t.trade").is_some_and(|s| s["head"] == w.head()));
    let s2 = receiver.status("t.trade").unwrap();
    let missed = s2["missed"].as_u64().unwrap();
    assert!(missed >= 1000 - 256, "records overwritten while no receiver ran: {s} {s2}");
    assert!(s2["gaps"].as_u64().unwrap() >= 1, "{s2}");
    // A reader of the mirror that stood where the first receiver stopped: every sequence
    // number up to the head is delivered or counted lost, none twice.
    let (delivered, lost) = delivered_and_lost(&path_b, reached);
    assert_eq!(delivered.len() as u64 + lost, w.head() - reached, "{} delivered, {lost} lost", delivered.len());
    assert!(delivered.windows(2).all(|p| p[0] < p[1]));
    // What the mirror holds of the sending ring's window is the same, record for record.
    let want: BTreeMap<u64, Vec<u8>> = records(&a.ring_path("t.trade").unwrap()).into_iter().collect();
    for (seq, bytes) in records(&path_b) {
        if bytes[0] != Kind::MARKER.0 {
            assert_eq!(want.get(&seq), Some(&bytes), "record {seq}");
        }
    }
    sender.stop();
    receiver.stop();
}

#[test]
fn a_receiver_that_falls_behind_is_told_exactly_what_it_lost() {
    let _g = serial();
    let Setup { scratch: _scratch, b, mut w, receiver, sender, .. } = setup("bridge-slow", 256, 20);
    let from = w.head();
    // The receiver stops reading (SIGSTOP): Aeron's flow control holds the sender back, and the
    // sending ring's writer laps it.
    let pid = receiver.child.id().to_string();
    assert!(Command::new("kill").args(["-STOP", &pid]).status().unwrap().success());
    for _ in 0..20_000 {
        let price = w.head() as i64;
        w.publish(&Trade { price, ..Trade::default() }).unwrap();
    }
    std::thread::sleep(Duration::from_millis(300));
    assert!(Command::new("kill").args(["-CONT", &pid]).status().unwrap().success());
    publish(&mut w, 20);
    let path_b = b.ring_path("t.trade").unwrap();
    wait_for(20, "the mirror to catch up", || Reader::open(&path_b).is_ok_and(|r| r.head() == w.head()));
    let (delivered, lost) = delivered_and_lost(&path_b, from);
    assert!(lost > 0, "the sender was lapped while the receiver was stopped");
    assert_eq!(delivered.len() as u64 + lost, w.head() - from, "{} delivered, {lost} lost", delivered.len());
    wait_for(5, "the receiver's counts", || receiver.status("t.trade").is_some_and(|s| s["head"] == w.head()));
    let s = receiver.status("t.trade").unwrap();
    assert!(s["missed"].as_u64().unwrap() > 0 && s["gaps"].as_u64().unwrap() > 0, "it says so: {s}");
    sender.stop();
    receiver.stop();
}

#[test]
fn a_restarted_sender_resumes_and_nothing_is_written_twice() {
    let _g = serial();
    let Setup { scratch: _scratch, a, b, channel, mut w, receiver, sender } = setup("bridge-tx", 1024, 40);
    sender.stop();
    publish(&mut w, 40);
    // The new sender starts at the sending ring's oldest record: what the mirror has arrives
    // again and is not written twice.
    let sender = Bridge::start(&[], a.path(), "out", &channel);
    publish(&mut w, 40);
    let path_b = b.ring_path("t.trade").unwrap();
    wait_for(20, "the mirror to catch up", || Reader::open(&path_b).is_ok_and(|r| r.head() == w.head()));
    wait_for(5, "the receiver's counts", || receiver.status("t.trade").is_some_and(|s| s["head"] == w.head()));
    let s = receiver.status("t.trade").unwrap();
    assert_eq!(s["missed"], 0, "{s}");
    assert!(s["duplicates"].as_u64().unwrap() >= 40, "{s}");
    assert_eq!(records(&a.ring_path("t.trade").unwrap()), records(&path_b));
    sender.stop();
    receiver.stop();
}

/// Two network namespaces joined by a veth pair, removed when dropped.
struct Hosts {
    a: String,
    b: String,
}

fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().expect("ip (iproute2) is installed");
    assert!(out.status.success(), "ip {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
}

impl Hosts {
    fn new() -> Hosts {
        let id = std::process::id() % 100_000;
        let h = Hosts { a: format!("mdbA{id}"), b: format!("mdbB{id}") };
        let (va, vb) = (format!("mva{id}"), format!("mvb{id}"));
        ip(&["netns", "add", &h.a]);
        ip(&["netns", "add", &h.b]);
        ip(&["link", "add", &va, "type", "veth", "peer", "name", &vb]);
        ip(&["link", "set", &va, "netns", &h.a]);
        ip(&["link", "set", &vb, "netns", &h.b]);
        for (ns, dev, addr) in [(&h.a, &va, "10.201.0.1/24"), (&h.b, &vb, "10.201.0.2/24")] {
            ip(&["-n", ns, "addr", "add", addr, "dev", dev]);
            ip(&["-n", ns, "link", "set", dev, "up"]);
            ip(&["-n", ns, "link", "set", "lo", "up"]);
        }
        h
    }
}

impl Drop for Hosts {
    fn drop(&mut self) {
        // Removing a namespace removes its end of the veth pair, and the pair with it.
        let _ = Command::new("ip").args(["netns", "del", &self.a]).status();
        let _ = Command::new("ip").args(["netns", "del", &self.b]).status();
    }
}

#[test]
fn a_running_demo_crosses_a_veth_pair_between_two_network_namespaces() {
    let _g = serial();
    let hosts = Hosts::new();
    let scratch = common::Scratch::new("bridge-netns");
    let (a, b) = (RingDir::new(scratch.0.join("a")), RingDir::new(scratch.0.join("b")));
    let channel = "aeron:udp?endpoint=10.201.0.2:40456";
    bridge_a_demo(&["ip", "netns", "exec", &hosts.a], &["ip", "netns", "exec", &hosts.b], &a, &b, channel);
}

#[test]
fn the_bridge_benchmark_reports_every_transport_on_both_paths() {
    let _g = serial();
    let out = Command::new(MDBUS)
        .args(["bench", "bridge", "--json", "--samples", "300", "--warmup", "30", "--records", "5000"])
        .args(["--period-us", "200", "--wait", "yield"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    for path in ["loopback", "veth"] {
        for t in ["udp", "aeron_ping", "bridge"] {
            assert_eq!(v[format!("{path}_{t}")]["count"], 300, "{path} {t}: {v}");
            assert!(v[format!("{path}_{t}")]["p50"].as_u64().unwrap() > 0, "{path} {t}: {v}");
        }
        assert!(v[format!("{path}_bridge_mrec_s")].as_f64().unwrap() > 0.0, "{v}");
        assert_eq!(v[format!("{path}_bridge_lost")], 0, "{v}");
    }
}
