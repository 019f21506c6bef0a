//! One writer process and several reader processes over a shared-memory ring: every record is
//! received or reported lost, in order, never torn; a writer killed mid-stream and restarted
//! loses and duplicates nothing.
// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used)]

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, ChildStdout, Command, Stdio},
    time::Duration,
};

use mdbus_bus::{Reader, RingOptions, Writer};
use mdbus_schemas::Kind;
use serde_json::Value;

const CHILD: &str = env!("CARGO_BIN_EXE_ring-child");

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let base = if Path::new("/dev/shm").is_dir() { PathBuf::from("/dev/shm") } else { std::env::temp_dir() };
        let p = base.join(format!("mdbus-mp-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct ReaderProc {
    child: Child,
    out: BufReader<ChildStdout>,
}

/// Starts a reader process and waits until it has opened the ring.
fn spawn_reader(path: &Path, until: &str) -> ReaderProc {
    let mut child = Command::new(CHILD).args(["read"]).arg(path).arg(until).stdout(Stdio::piped()).spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "ready");
    ReaderProc { child, out }
}

fn finish(mut r: ReaderProc) -> Value {
    let mut line = String::new();
    r.out.read_line(&mut line).unwrap();
    assert!(r.child.wait().unwrap().success());
    let v: Value = serde_json::from_str(line.trim()).unwrap();
    assert_eq!(v["timed_out"], false, "reader timed out: {v}");
    v
}

fn writer(path: &Path, capacity: u64, count: u64, pace_ns: u64) -> Child {
    Command::new(CHILD)
        .arg("write")
        .arg(path)
        .args([capacity.to_string(), count.to_string(), pace_ns.to_string()])
        .spawn()
        .unwrap()
}

fn n(v: &Value, k: &str) -> u64 {
    v[k].as_u64().unwrap()
}

/// Creates the ring in this process (generation 1, marker at sequence 0) and returns its path.
fn create(dir: &TempDir, capacity: u64) -> PathBuf {
    let path = dir.0.join("mp.ring");
    drop(Writer::open_or_create(&path, Kind::TRADE, &RingOptions::default().capacity(capacity)).unwrap());
    path
}

const RECORDS: u64 = 1_000_000;

/// Sequence of the last record: markers at 0 (creation) and 1 (writer start), the test records
/// at 2..=RECORDS + 1, the end record at RECORDS + 2.
const LAST: u64 = RECORDS + 2;

#[test]
fn lapped_readers_account_for_every_record_in_order() {
    let dir = TempDir::new("lapped");
    let path = create(&dir, 4096);
    let readers: Vec<_> = (0..3).map(|_| spawn_reader(&path, &LAST.to_string())).collect();
    assert!(writer(&path, 4096, RECORDS, 0).wait().unwrap().success());
    for r in readers {
        let v = finish(r);
        assert_eq!(n(&v, "received") + n(&v, "lost"), LAST + 1, "{v}");
        assert_eq!(n(&v, "torn"), 0, "{v}");
        assert_eq!(n(&v, "out_of_order"), 0, "{v}");
        assert_eq!(n(&v, "position"), LAST + 1, "{v}");
    }
}

#[test]
fn readers_that_are_never_lapped_receive_every_record() {
    let dir = TempDir::new("whole");
    // Room for the whole stream: no reader can be lapped, however the cores are shared.
    let cap = (RECORDS + 16).next_power_of_two();
    let path = create(&dir, cap);
    let readers: Vec<_> = (0..3).map(|_| spawn_reader(&path, &LAST.to_string())).collect();
    assert!(writer(&path, cap, RECORDS, 0).wait().unwrap().success());
    for r in readers {
        let v = finish(r);
        assert_eq!(n(&v, "received"), LAST + 1, "{v}");
        assert_eq!(n(&v, "lost"), 0, "{v}");
        assert_eq!(n(&v, "torn"), 0, "{v}");
        assert_eq!(n(&v, "out_of_order"), 0, "{v}");
        assert_eq!(v["generations"], serde_json::json!([1, 2]));
    }
}

#[test]
fn writer_killed_mid_stream_and_restarted_loses_and_duplicates_nothing() {
    let dir = TempDir::new("kill");
    let cap = 1 << 20;
    let path = create(&dir, cap);
    let readers: Vec<_> = (0..2).map(|_| spawn_reader(&path, "end")).collect();
    let probe = Reader::open(&path).unwrap();

    // Writer A publishes until killed with SIGKILL.
    let mut a = writer(&path, cap, 0, 2_000);
    std::thread::sleep(Duration::from_millis(300));
    a.kill().unwrap();
    a.wait().unwrap();
    let head_at_kill = probe.head();
    assert!(head_at_kill > 2, "writer A published before it was killed");
    assert!(!probe.writer_alive(), "the kernel released the dead writer's lock");

    // Writer B continues the same ring.
    assert!(writer(&path, cap, 10_000, 0).wait().unwrap().success());
    let head = probe.head();
    assert!(head > head_at_kill + 10_000);
    for r in readers {
        let v = finish(r);
        assert_eq!(n(&v, "lost"), 0, "{v}");
        assert_eq!(n(&v, "received"), head, "{v}");
        assert_eq!(n(&v, "torn"), 0, "{v}");
        assert_eq!(n(&v, "out_of_order"), 0, "no duplicated and no skipped sequence: {v}");
        assert_eq!(v["generations"], serde_json::json!([1, 2, 3]), "the restart is visible");
    }
}
