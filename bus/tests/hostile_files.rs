//! Files that are not what their names say, or that change: each gives a typed error, and
//! nothing waits, panics or dies of SIGBUS. A FIFO or a directory named like a ring, a file one
//! byte short, a head past any reachable sequence, out-of-range reader positions, a ring
//! reached through symbolic links (one writer only), and a filesystem without room for a new
//! ring (an error at creation, nothing left behind).

// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used)]

mod util;

use std::{path::Path, sync::mpsc, time::Duration};

use mdbus_bus::{MAX_SEQ, OpenError, Reader, RingDir, RingOptions, Start, Writer};
use mdbus_schemas::{Kind, Trade};
use util::{TempDir, patch_word};

/// Runs `f` on a thread and fails the test if it has not returned within 5 s (a hang).
fn within_5s<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(5)).unwrap_or_else(|_| panic!("{what} hangs"))
}

fn mkfifo(p: &Path) {
    let status = std::process::Command::new("mkfifo").arg(p).status().unwrap();
    assert!(status.success());
}

fn valid_ring(dir: &Path, name: &str) -> std::path::PathBuf {
    let p = dir.join(format!("{name}.ring"));
    drop(Writer::open_or_create(&p, Kind::TRADE, &RingOptions::default().capacity(16)).unwrap());
    p
}

#[test]
fn a_fifo_named_like_a_ring_is_refused_at_once() {
    let dir = TempDir::new("hostile-fifo");
    let p = dir.path().join("x.ring");
    mkfifo(&p);
    let q = p.clone();
    let err = within_5s("opening a FIFO", move || Reader::open(&q).map(|_| ()));
    assert!(matches!(&err, Err(OpenError::NotARegularFile { found: "FIFO", .. })), "{err:?}");
    assert!(err.unwrap_err().to_string().contains("x.ring"));
    // Listing the directory (`mdbus ls`) reports it and goes on.
    valid_ring(dir.path(), "good");
    let d = dir.path().to_path_buf();
    let list = within_5s("listing a directory with a FIFO", move || RingDir::new(d).list().unwrap());
    assert_eq!(list.len(), 2);
    assert!(list.iter().any(|e| e.name == "good" && e.info.is_ok()));
    assert!(list.iter().any(|e| e.name == "x" && matches!(e.info, Err(OpenError::NotARegularFile { .. }))));
    // A writer does not wait on it either.
    let q = p.clone();
    let w = within_5s("a writer on a FIFO", move || {
        Writer::open_or_create(&q, Kind::TRADE, &RingOptions::default().capacity(16)).map(|_| ())
    });
    assert!(matches!(w, Err(OpenError::NotARegularFile { .. })), "{w:?}");
}

#[test]
fn fifos_beside_a_ring_hang_nothing() {
    let dir = TempDir::new("hostile-fifo-side");
    valid_ring(dir.path(), "r");
    // The writer has gone; its lock file is replaced by a FIFO.
    std::fs::remove_file(dir.path().join("r.lock")).unwrap();
    mkfifo(&dir.path().join("r.lock"));
    mkfifo(&dir.path().join(mdbus_bus::INSTRUMENTS_FILE));
    let d = dir.path().to_path_buf();
    let (list, table) = within_5s("listing beside FIFOs", move || {
        let rd = RingDir::new(d);
        (rd.list().unwrap(), rd.load_instruments().map(|_| ()))
    });
    assert_eq!(list.len(), 1);
    assert!(!list[0].info.as_ref().unwrap().writer_alive, "a FIFO is no writer's lock");
    assert!(matches!(table, Err(OpenError::NotARegularFile { .. })), "{table:?}");
}

#[test]
fn a_directory_named_like_a_ring_is_refused() {
    let dir = TempDir::new("hostile-dir");
    let p = dir.path().join("d.ring");
    std::fs::create_dir(&p).unwrap();
    assert!(matches!(Reader::open(&p), Err(OpenError::NotARegularFile { found: "directory", .. })));
}

#[test]
fn a_file_one_byte_short_is_reported_with_its_real_size() {
    let dir = TempDir::new("hostile-short");
    let p = valid_ring(dir.path(), "s");
    let full = std::fs::metadata(&p).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(&p).unwrap().set_len(full - 1).unwrap();
    match Reader::open(&p) {
        Err(OpenError::Truncated { len, expected }) => assert_eq!((len, expected), (full - 1, full)),
        other => panic!("expected Truncated, got {other:?}"),
    }
}

#[test]
fn a_head_past_any_reachable_sequence_is_refused() {
    let dir = TempDir::new("hostile-head");
    let p = valid_ring(dir.path(), "h");
    // Word 48 of the header is the head.
    patch_word(&p, 48, u64::MAX);
    assert!(matches!(Reader::open_at(&p, Start::Head), Err(OpenError::BadHead(u64::MAX))));
    patch_word(&p, 48, MAX_SEQ + 1);
    assert!(matches!(Reader::open(&p), Err(OpenError::BadHead(_))));
    patch_word(&p, 48, 3);
    assert_eq!(Reader::open(&p).unwrap().head(), 3);
}

#[test]
fn reader_positions_out_of_range_are_typed_errors_and_seeking_back_is_safe() {
    let dir = TempDir::new("hostile-seek");
    let p = dir.path().join("q.ring");
    let mut w = Writer::open_or_create(&p, Kind::TRADE, &RingOptions::default().capacity(1024)).unwrap();
    for i in 0..200 {
        w.publish(&Trade { price: i, ..Trade::default() }).unwrap();
    }
    assert!(matches!(Reader::open_at(&p, Start::Seq(1 << 63)), Err(OpenError::BadStart(_))));
    assert!(matches!(Reader::open_at(&p, Start::Seq(u64::MAX)), Err(OpenError::BadStart(_))));
    let mut r = Reader::open_at(&p, Start::Oldest).unwrap();
    r.announce().unwrap();
    // Read past an announcement update, then seek backwards and read on: no underflow.
    for _ in 0..150 {
        r.try_read().unwrap();
    }
    r.seek(Start::Seq(10)).unwrap();
    assert_eq!(r.position(), 10);
    assert_eq!(r.lag(), 191, "the writer's start marker and 200 trades, from 10");
    for _ in 0..100 {
        r.try_read().unwrap();
    }
    assert!(matches!(r.seek(Start::Seq(u64::MAX)), Err(OpenError::BadStart(u64::MAX))));
    assert_eq!(r.position(), 110, "a refused seek leaves the reader where it was");
    let slots = mdbus_bus::announced_readers(&p).unwrap();
    assert_eq!(slots.len(), 1);
}

#[test]
fn one_ring_file_has_one_writer_whatever_path_reaches_it() {
    let dir = TempDir::new("hostile-alias");
    let real = dir.path().join("real");
    std::fs::create_dir(&real).unwrap();
    let p = real.join("a.ring");
    let _w = Writer::open_or_create(&p, Kind::TRADE, &RingOptions::default().capacity(16)).unwrap();
    // Through a symbolic link to the directory, and through one to the file itself.
    let linked_dir = dir.path().join("linked");
    std::os::unix::fs::symlink(&real, &linked_dir).unwrap();
    let linked_file = dir.path().join("b.ring");
    std::os::unix::fs::symlink(&p, &linked_file).unwrap();
    for alias in [linked_dir.join("a.ring"), linked_file, real.join(".").join("a.ring")] {
        let second = Writer::open_or_create(&alias, Kind::TRADE, &RingOptions::default().capacity(16));
        assert!(matches!(second, Err(OpenError::WriterAlive { .. })), "{}: {second:?}", alias.display());
    }
}

/// The child side of the full-disk test: runs only when the test below starts this binary
/// in a mount namespace of its own.
#[test]
fn full_disk_child() {
    let Ok(dir) = std::env::var("MDBUS_FULL_DISK_DIR") else { return };
    let dir = Path::new(&dir);
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=256k", "tmpfs"])
        .arg(dir)
        .status()
        .unwrap();
    assert!(mounted.success(), "mount a 256 KiB tmpfs");
    // 1 MiB of slots does not fit in 256 KiB.
    let err =
        Writer::open_or_create(dir.join("big.trade.ring"), Kind::TRADE, &RingOptions::default().capacity(1 << 14))
            .unwrap_err();
    match &err {
        OpenError::Io { source, .. } => assert_eq!(source.raw_os_error(), Some(libc::ENOSPC), "{err}"),
        other => panic!("expected an I/O error for the full disk, got {other:?}"),
    }
    assert!(err.to_string().contains("big.trade.ring"), "{err}");
    // Nothing left behind but the lock file, which holds no data.
    let left: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".lock"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    // A ring that fits is made as usual.
    let mut w = Writer::open_or_create(dir.join("small.trade.ring"), Kind::TRADE, &RingOptions::default().capacity(64))
        .unwrap();
    w.publish(&Trade::default()).unwrap();
    println!("full-disk child done");
}

#[test]
fn a_full_disk_is_a_typed_error_at_creation_with_nothing_left_behind() {
    let dir = tempfile_dir("full-disk");
    let out = std::process::Command::new("unshare")
        .args(["--mount", "--propagation", "private", "--"])
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", "full_disk_child", "--nocapture", "--test-threads", "1"])
        .env("MDBUS_FULL_DISK_DIR", &dir)
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "child failed (needs root for a mount namespace):\n{text}");
    assert!(text.contains("full-disk child done"), "the child ran the test:\n{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempfile_dir(tag: &str) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("mdbus-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    p
}

#[test]
fn each_announced_reader_has_a_file_of_its_own_that_monitors_read_without_mapping() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("hostile-readers");
    let p = dir.path().join("r.ring");
    let mut w = Writer::open_or_create(&p, Kind::TRADE, &RingOptions::default().capacity(64)).unwrap();
    w.publish(&Trade::default()).unwrap();
    let mut a = Reader::open_at(&p, Start::Oldest).unwrap();
    a.announce().unwrap();
    let mut b = Reader::open_at(&p, Start::Oldest).unwrap();
    b.announce().unwrap();
    b.try_read().unwrap();
    let files = mdbus_bus::reader_files_of(&p).unwrap();
    assert_eq!(files.len(), 2, "{files:?}");
    for f in &files {
        assert_eq!(std::fs::metadata(f).unwrap().permissions().mode() & 0o777, 0o640, "{}", f.display());
    }
    assert_eq!(mdbus_bus::announced_readers(&p).unwrap().len(), 2);
    // Only a process with the owner's rights can change a reader's file (0640). If one
    // shortens it, a monitor reading the files skips it and does not fault: it reads them
    // with read(2), never through a mapping.
    let victim = files.iter().find(|f| std::fs::metadata(f).is_ok()).unwrap();
    std::fs::OpenOptions::new().write(true).open(victim).unwrap().set_len(3).unwrap();
    let left = within_5s("listing readers", {
        let p = p.clone();
        move || mdbus_bus::announced_readers(&p).unwrap().len()
    });
    assert_eq!(left, 1);
    // A reader's file goes with it.
    drop(b);
    drop(a);
    assert!(mdbus_bus::reader_files_of(&p).unwrap().len() <= 1, "the undamaged file was removed");
}
