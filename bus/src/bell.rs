//! The doorbell: a reader with nothing to read sleeps in the kernel until the writer publishes,
//! and wakes within microseconds, while a publish with no sleeping reader costs one load of a
//! word nobody writes and no system call.
//!
//! The bell is a small file beside the ring (`NAME.bell`, one page), because readers map the
//! ring itself read-only. It holds three words, each on its own cache line:
//!
//! - `ready`: 1 while the ring's writer rings the bell (0 before, and when the writer's host
//!   cannot order the handshake below; readers then wait their own way);
//! - `seq`: the futex word. The writer adds one and wakes every sleeper when it rings;
//! - `parked`: how many readers are asleep, or about to be.
//!
//! The handshake is a Dekker pair, made asymmetric so that the writer's side is free:
//!
//! - writer: publish (the head's Release store), a compiler fence, load `parked`; ring if
//!   it is not 0;
//! - reader: add one to `parked`, a full fence on every CPU that runs the writer
//!   (`membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED)`, for which the writer registered), read
//!   `seq`, load the head: if there is something to read, take one from `parked` and read it;
//!   otherwise sleep on `seq` (the kernel refuses the sleep if `seq` already moved).
//!
//! The heavy fence makes the writer's publish and its load of `parked` ordered as if the
//! writer had a full fence between them, so either the writer sees the reader parked (and
//! rings) or the reader sees the record (and does not sleep). Under loom both sides use a
//! `SeqCst` fence, which is what the membarrier stands in for.
//!
//! The bell can only make a reader wait less, never lose a record: every sleep is bounded by
//! the caller's timeout, and a reader always checks the ring itself after waking. A damaged
//! bell file (a reader killed while parked leaves `parked` high; anyone who may write the file
//! can change it) costs the writer a `futex` wake per publish until the writer restarts and
//! resets it, or costs readers their timeout slice; nothing more.

use std::time::Duration;

#[cfg(not(loom))]
use std::path::Path;

use crate::{
    region::Region,
    sync::{AtomicU64, Ordering, fence},
};

/// Words of a bell file (one page).
pub(crate) const BELL_WORDS: usize = 512;
const B_MAGIC: usize = 0;
const B_VERSION: usize = 1;
const B_READY: usize = 8;
const B_SEQ: usize = 16;
const B_PARKED: usize = 24;
const BELL_MAGIC: u64 = u64::from_le_bytes(*b"MDBUSBEL");
const BELL_VERSION: u64 = 1;

// The futex is the low 32 bits of the `seq` word: its first four bytes on a little-endian host.
#[cfg(not(target_endian = "little"))]
compile_error!("the doorbell's futex word assumes a little-endian host");

/// A ring's doorbell (see the module docs).
pub(crate) struct Bell {
    region: Region,
}

impl std::fmt::Debug for Bell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bell").field("ready", &self.ready()).field("parked", &self.parked()).finish()
    }
}

/// Where a reader's wait on the bell ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rung {
    /// The ring had something before the reader slept.
    Ready,
    /// The reader slept (or the kernel refused the sleep because the writer rang meanwhile)
    /// on this value of `seq`, until a ring or the timeout.
    Slept(u64),
    /// The writer does not ring this bell: the caller waits its own way.
    Silent,
}

impl Bell {
    /// A bell in heap memory, rung by a heap ring's writer (tests, loom, in-process rings).
    pub(crate) fn heap() -> (Bell, std::sync::Arc<[AtomicU64]>) {
        let mem = Region::zeroed_heap(BELL_WORDS);
        let bell = Bell { region: Region::heap(mem.clone()) };
        bell.init(true);
        (bell, mem)
    }

    /// A reader's handle on a heap bell.
    pub(crate) fn heap_handle(mem: std::sync::Arc<[AtomicU64]>) -> Bell {
        Bell { region: Region::heap(mem) }
    }

    /// The writer's side: marks the bell rung by this writer (`ready`) or not, and forgets any
    /// parked count a killed reader left behind.
    fn init(&self, ready: bool) {
        let w = self.region.words();
        // Relaxed: the Release store of `ready` below publishes these.
        w[B_MAGIC].store(BELL_MAGIC, Ordering::Relaxed);
        w[B_VERSION].store(BELL_VERSION, Ordering::Relaxed);
        w[B_PARKED].store(0, Ordering::Relaxed);
        // SYNC POINT: bell initialised (pairs with the Acquire load in `ready`).
        w[B_READY].store(u64::from(ready), Ordering::Release);
    }

    /// The writer's bell for the ring at `ring` (`NAME.bell` beside it, created with `mode`
    /// plus write permission wherever `mode` grants read: readers register there). `None`
    /// when the file cannot be made; the ring then works as before, without a doorbell.
    #[cfg(not(loom))]
    pub(crate) fn create(ring: &Path, mode: u32) -> Option<Bell> {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let path = bell_path(ring);
        let mode = mode | ((mode & 0o044) >> 1);
        // Never through a symbolic link (the writer would size and write whatever it names), and
        // never waiting on a FIFO.
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .mode(mode)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(&path)
            .ok()?;
        let meta = file.metadata().ok()?;
        if !meta.is_file() {
            return None;
        }
        // The umask may have narrowed the mode; readers need the write bit.
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode));
        if meta.len() != (BELL_WORDS * 8) as u64 {
            file.set_len((BELL_WORDS * 8) as u64).ok()?;
        }
        let region = crate::shm::map_file_read_write(&file, &path).ok()?;
        if region.words().len() < BELL_WORDS {
            return None;
        }
        let bell = Bell { region };
        bell.init(register_writer());
        Some(bell)
    }

    /// A reader's bell for the ring at `ring`: `None` when there is none, it is not a bell, or
    /// this process may not write it (the reader then waits its own way).
    #[cfg(not(loom))]
    pub(crate) fn open(ring: &Path) -> Option<Bell> {
        let path = bell_path(ring);
        let (file, len) = crate::shm::open_regular(&path, true).ok()?;
        if len != (BELL_WORDS * 8) as u64 {
            return None;
        }
        let region = crate::shm::map_file_read_write(&file, &path).ok()?;
        let bell = Bell { region };
        // Relaxed: a check of the file's identity; `ready` is loaded with Acquire on use.
        let w = bell.region.words();
        (w[B_MAGIC].load(Ordering::Relaxed) == BELL_MAGIC && w[B_VERSION].load(Ordering::Relaxed) == BELL_VERSION)
            .then_some(bell)
    }

    /// The writer's side, after every publish: rings when a reader is parked. One load and no
    /// system call when none is.
    #[inline]
    pub(crate) fn ring(&self) {
        // The reader's membarrier orders this load after the publish before it (module docs);
        // the compiler must not reorder them either.
        #[cfg(not(loom))]
        std::sync::atomic::compiler_fence(Ordering::SeqCst);
        #[cfg(loom)]
        fence(Ordering::SeqCst);
        // Relaxed: ordered by the fences of the handshake.
        if self.region.words()[B_PARKED].load(Ordering::Relaxed) != 0 {
            self.wake();
        }
    }

    #[cold]
    fn wake(&self) {
        let seq = &self.region.words()[B_SEQ];
        // Release: a woken reader that sees the new value also sees the publish before it.
        seq.fetch_add(1, Ordering::Release);
        #[cfg(not(loom))]
        futex_wake(seq);
    }

    /// Whether the writer rings this bell.
    pub(crate) fn ready(&self) -> bool {
        // Acquire: pairs with the Release store in `init`.
        self.region.words()[B_READY].load(Ordering::Acquire) == 1
    }

    /// How many readers are parked (for monitors and tests).
    pub(crate) fn parked(&self) -> u64 {
        // Relaxed: advisory.
        self.region.words()[B_PARKED].load(Ordering::Relaxed)
    }

    /// The reader's side: parks until the writer rings or `timeout` passes, unless `has_data`
    /// says the ring already has something once this reader is registered as parked.
    pub(crate) fn wait(&self, timeout: Duration, has_data: impl Fn() -> bool) -> Rung {
        if !self.ready() {
            return Rung::Silent;
        }
        let w = self.region.words();
        // Relaxed: the heavy fence below orders it before the head load.
        w[B_PARKED].fetch_add(1, Ordering::Relaxed);
        #[cfg(not(loom))]
        heavy_fence();
        #[cfg(loom)]
        fence(Ordering::SeqCst);
        // Acquire: a value bumped by a ring comes with the publish before it.
        let v = w[B_SEQ].load(Ordering::Acquire);
        let rung = if has_data() {
            Rung::Ready
        } else {
            #[cfg(not(loom))]
            futex_wait(&w[B_SEQ], v, timeout);
            #[cfg(loom)]
            let _ = timeout;
            Rung::Slept(v)
        };
        // The model keeps a sleeper asleep (parked) to the end, as the kernel would until a
        // ring: the writer's publishes meanwhile must find it.
        #[cfg(loom)]
        if matches!(rung, Rung::Slept(_)) {
            return rung;
        }
        // Never below zero, whatever a damaged file says.
        let _ = w[B_PARKED].fetch_update(Ordering::Relaxed, Ordering::Relaxed, |p| p.checked_sub(1));
        rung
    }

    /// The current `seq` (loom and the tests check that a sleeper was rung, and that nobody
    /// was rung without one).
    #[cfg(any(test, loom))]
    pub(crate) fn seq(&self) -> u64 {
        self.region.words()[B_SEQ].load(Ordering::Acquire)
    }
}

/// The bell file of the ring at `ring`: `NAME.bell` beside `NAME.ring`.
#[cfg(not(loom))]
pub(crate) fn bell_path(ring: &Path) -> std::path::PathBuf {
    ring.with_extension("bell")
}

// membarrier(2) commands (linux/membarrier.h).
#[cfg(not(loom))]
const MEMBARRIER_CMD_QUERY: libc::c_long = 0;
#[cfg(not(loom))]
const MEMBARRIER_CMD_GLOBAL_EXPEDITED: libc::c_long = 1 << 1;
#[cfg(not(loom))]
const MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED: libc::c_long = 1 << 2;

/// Registers this process as one whose CPUs a reader's heavy fence reaches. `false` where the
/// kernel lacks it: the writer then does not ring, and readers wait their own way.
#[cfg(not(loom))]
fn register_writer() -> bool {
    use std::sync::OnceLock;
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    *REGISTERED.get_or_init(|| {
        // SAFETY: membarrier takes two integer arguments and touches no memory of ours.
        let cmds = unsafe { libc::syscall(libc::SYS_membarrier, MEMBARRIER_CMD_QUERY, 0) };
        if cmds < 0 || cmds & MEMBARRIER_CMD_GLOBAL_EXPEDITED == 0 {
            return false;
        }
        // SAFETY: as above.
        unsafe { libc::syscall(libc::SYS_membarrier, MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0) == 0 }
    })
}

/// A full memory barrier on every CPU running a registered writer, and on this one.
#[cfg(not(loom))]
fn heavy_fence() {
    // SAFETY: membarrier takes two integer arguments and touches no memory of ours.
    let done = unsafe { libc::syscall(libc::SYS_membarrier, MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0) } == 0;
    if !done {
        // Cannot happen once a writer registered (the bell is only `ready` then); a full fence
        // here still orders this side.
        fence(Ordering::SeqCst);
    }
}

/// Sleeps while the low 32 bits of `word` equal those of `expected`, at most `timeout`.
#[cfg(not(loom))]
fn futex_wait(word: &AtomicU64, expected: u64, timeout: Duration) {
    let ts = libc::timespec {
        tv_sec: libc::time_t::try_from(timeout.as_secs()).unwrap_or(libc::time_t::MAX),
        tv_nsec: libc::c_long::from(timeout.subsec_nanos()),
    };
    // SAFETY: `word` is a live, 8-byte aligned atomic in a shared mapping (or heap memory); its
    // first four bytes are the futex word on this little-endian host, and FUTEX_WAIT only reads
    // them. `ts` outlives the call. The result (woken, timed out, value changed, interrupted) is
    // ignored: the caller re-checks the ring either way.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr().cast::<u32>(),
            libc::FUTEX_WAIT,
            expected as u32,
            &raw const ts,
            std::ptr::null::<u32>(),
            0,
        );
    }
}

/// Wakes every sleeper on `word`.
#[cfg(not(loom))]
fn futex_wake(word: &AtomicU64) {
    // SAFETY: as in `futex_wait`; FUTEX_WAKE does not touch the word's memory.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr().cast::<u32>(),
            libc::FUTEX_WAKE,
            i32::MAX,
            std::ptr::null::<libc::timespec>(),
            std::ptr::null::<u32>(),
            0,
        );
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::{
        path::PathBuf,
        time::{Duration, Instant},
    };

    use mdbus_schemas::{Kind, Trade};

    use crate::{Reader, RingOptions, Writer};

    fn ring(tag: &str) -> PathBuf {
        let base =
            if std::path::Path::new("/dev/shm").is_dir() { PathBuf::from("/dev/shm") } else { std::env::temp_dir() };
        base.join(format!("mdbus-bell-{tag}-{}", std::process::id())).join("b.trade.ring")
    }

    #[test]
    fn a_sleeping_reader_wakes_on_the_publish_and_an_unwatched_publish_rings_nobody() {
        let path = ring("wake");
        let mut w = Writer::open_or_create(&path, Kind::TRADE, &RingOptions::default().capacity(64)).unwrap();
        let mut r = Reader::open(&path).unwrap();
        assert!(r.has_doorbell(), "this host's kernel orders the handshake (membarrier)");
        let bell = super::Bell::open(&path).unwrap();
        // Nobody parked: a publish leaves the doorbell as it was (no wake, no system call).
        let before = bell.seq();
        w.publish(&Trade::default()).unwrap();
        assert_eq!(bell.seq(), before);
        assert!(r.try_read().is_ok());
        // A reader asleep on an empty ring is woken by the next publish, long before its
        // timeout, and the publish rang the doorbell once.
        let t = std::thread::spawn(move || {
            while bell.parked() == 0 {
                std::thread::yield_now();
            }
            w.publish(&Trade { price: 7, ..Trade::default() }).unwrap();
            (w, bell)
        });
        let start = Instant::now();
        while r.lag() == 0 {
            assert!(r.wait(Duration::from_secs(60)));
        }
        assert!(start.elapsed() < Duration::from_secs(60), "woken by the publish, not by the timeout");
        let (w, bell) = t.join().unwrap();
        assert_eq!(bell.seq(), before + 1);
        assert_eq!(bell.parked(), 0);
        assert_eq!(r.try_read().unwrap().get::<Trade>().map(|t| t.price), Some(7));
        drop(w);
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn a_restarted_writer_forgets_the_parked_count_a_killed_reader_left() {
        let path = ring("restart");
        let w = Writer::open_or_create(&path, Kind::TRADE, &RingOptions::default().capacity(64)).unwrap();
        let bell = super::Bell::open(&path).unwrap();
        bell.region.words()[super::B_PARKED].store(3, crate::sync::Ordering::Relaxed);
        drop(w);
        let _w = Writer::open_or_create(&path, Kind::TRADE, &RingOptions::default().capacity(64)).unwrap();
        assert_eq!(bell.parked(), 0);
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn the_writer_never_writes_through_a_link_under_the_bells_name() {
        let path = ring("link");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let victim = path.with_file_name("victim");
        std::fs::write(&victim, b"precious").unwrap();
        std::os::unix::fs::symlink(&victim, super::bell_path(&path)).unwrap();
        let mut w = Writer::open_or_create(&path, Kind::TRADE, &RingOptions::default().capacity(64)).unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        // The ring works, without a doorbell.
        let mut r = Reader::open(&path).unwrap();
        assert!(!r.has_doorbell());
        w.publish(&Trade::default()).unwrap();
        assert!(r.try_read().is_ok());
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn a_reader_without_a_usable_bell_returns_at_once_and_reads_as_before() {
        let path = ring("hostile");
        let mut w = Writer::open_or_create(&path, Kind::TRADE, &RingOptions::default().capacity(64)).unwrap();
        let bell = super::bell_path(&path);
        // Each of these under the bell's name: the reader opens the ring, has no doorbell, and
        // `wait` returns `false` without waiting.
        let cases: [(&str, &dyn Fn()); 4] = [
            ("missing", &|| std::fs::remove_file(&bell).unwrap()),
            ("short", &|| std::fs::write(&bell, b"MDBUSBEL").unwrap()),
            ("wrong magic", &|| std::fs::write(&bell, vec![7u8; super::BELL_WORDS * 8]).unwrap()),
            ("a directory", &|| {
                std::fs::remove_file(&bell).unwrap();
                std::fs::create_dir(&bell).unwrap();
            }),
        ];
        for (what, make) in cases {
            if bell.is_dir() {
                std::fs::remove_dir(&bell).unwrap();
                std::fs::write(&bell, b"").unwrap();
            }
            make();
            let mut r = Reader::open(&path).unwrap();
            assert!(!r.has_doorbell(), "{what}");
            let start = Instant::now();
            assert!(!r.wait(Duration::from_secs(60)), "{what}");
            assert!(start.elapsed() < Duration::from_secs(60), "{what}: returned at once");
            w.publish(&Trade::default()).unwrap();
            assert!(r.try_read().is_ok(), "{what}");
        }
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }
}
