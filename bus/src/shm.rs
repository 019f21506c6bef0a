//! Ring files: creation, the writer lock, and read-only or read-write mappings (memmap2 over a
//! file, by default in `/dev/shm/mdbus`).

use std::{
    fs::{self, File, OpenOptions, TryLockError},
    os::unix::fs::{OpenOptionsExt, PermissionsExt},
    path::{Path, PathBuf},
    time::Duration,
};

use mdbus_schemas::Kind;

use crate::{
    OpenError, Reader, Start, Writer,
    clock::now_ns,
    layout::{self, Geometry, W_PID},
    region::Region,
    sync::Ordering,
};

/// How a writer creates its ring.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RingOptions {
    /// Number of slots, a power of two between 2 and 2^32. Default 65,536. Time to lap a
    /// reader is `capacity × inter-arrival time`: size for the slowest reader's longest pause.
    pub capacity: u64,
    /// File mode of a new ring and its lock file. Default `0o640`: the writer's group may read.
    pub mode: u32,
    /// Pre-fault every page at mapping time so the hot path takes no page faults. Default on.
    pub populate: bool,
    /// Lock the mapping in memory (`mlock`, subject to `RLIMIT_MEMLOCK`). Default off.
    pub lock_memory: bool,
    /// The writer mirrors another ring at that ring's sequence numbers
    /// ([`Writer::publish_mirrored`](crate::Writer::publish_mirrored)), so it publishes no
    /// start marker of its own: the mirrored ring's markers come with its records. Default off.
    pub mirror: bool,
}

impl Default for RingOptions {
    fn default() -> Self {
        RingOptions { capacity: 1 << 16, mode: 0o640, populate: true, lock_memory: false, mirror: false }
    }
}

impl RingOptions {
    /// Sets the capacity in slots.
    pub fn capacity(mut self, capacity: u64) -> Self {
        self.capacity = capacity;
        self
    }

    /// Sets the file mode.
    pub fn mode(mut self, mode: u32) -> Self {
        self.mode = mode;
        self
    }

    /// Sets whether pages are pre-faulted.
    pub fn populate(mut self, populate: bool) -> Self {
        self.populate = populate;
        self
    }

    /// Sets whether the mapping is locked in memory.
    pub fn lock_memory(mut self, lock: bool) -> Self {
        self.lock_memory = lock;
        self
    }

    /// Sets whether the writer mirrors another ring (no start marker of its own).
    pub fn mirror(mut self, mirror: bool) -> Self {
        self.mirror = mirror;
        self
    }
}

fn io<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> OpenError + 'a {
    move |source| OpenError::Io { op, path: path.to_path_buf(), source }
}

/// Returns the lock file of a ring file: `NAME.lock` beside `NAME.ring`.
pub(crate) fn lock_path(ring: &Path) -> PathBuf {
    ring.with_extension("lock")
}

/// Returns `true` when a live process holds the writer lock of the ring at `ring`.
pub(crate) fn writer_alive(ring: &Path) -> bool {
    let ring = fs::canonicalize(ring).unwrap_or_else(|_| ring.to_path_buf());
    let Ok((f, _)) = open_regular(&lock_path(&ring), false) else {
        return false;
    };
    match f.try_lock_shared() {
        Ok(()) => {
            let _ = f.unlock();
            false
        }
        Err(TryLockError::WouldBlock) => true,
        Err(TryLockError::Error(_)) => false,
    }
}

/// Takes the writer lock, retrying briefly: a monitor probing liveness holds a shared lock for
/// a few microseconds.
fn take_lock(ring: &Path, mode: u32) -> Result<File, OpenError> {
    let path = lock_path(ring);
    let f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(mode)
        .open(&path)
        .map_err(io("open lock file", &path))?;
    for attempt in 0..50 {
        match f.try_lock() {
            Ok(()) => return Ok(f),
            Err(TryLockError::WouldBlock) if attempt < 49 => std::thread::sleep(Duration::from_millis(2)),
            Err(TryLockError::WouldBlock) => break,
            Err(TryLockError::Error(e)) => return Err(io("lock", &path)(e)),
        }
    }
    let pid = peek_pid(ring).unwrap_or(0);
    Err(OpenError::WriterAlive { pid })
}

/// What a path that is not a regular file is, for the error message.
fn file_kind(ft: fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_dir() {
        "directory"
    } else if ft.is_fifo() {
        "FIFO"
    } else if ft.is_socket() {
        "socket"
    } else if ft.is_block_device() {
        "block device"
    } else if ft.is_char_device() {
        "character device"
    } else {
        "special file"
    }
}

/// Opens an existing ring file, read-only or read-write, without ever blocking: the open is
/// non-blocking (a FIFO put in a ring's place would otherwise wait for a writer forever), and
/// anything but a regular file is refused before it is used. Returns the file and its length.
pub(crate) fn open_regular(path: &Path, write: bool) -> Result<(File, u64), OpenError> {
    let file = OpenOptions::new()
        .read(true)
        .write(write)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(io("open", path))?;
    let meta = file.metadata().map_err(io("stat", path))?;
    if !meta.file_type().is_file() {
        return Err(OpenError::NotARegularFile { path: path.to_path_buf(), found: file_kind(meta.file_type()) });
    }
    Ok((file, meta.len()))
}

/// The path a writer locks and writes: the ring file with every symbolic link in its
/// directory and in its own name resolved, so that every alias of one ring file takes the same
/// lock.
fn canonical(path: &Path) -> Result<PathBuf, OpenError> {
    if let Ok(p) = fs::canonicalize(path) {
        return Ok(p);
    }
    // Not there yet: resolve the directory, keep the name.
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path.file_name().ok_or_else(|| OpenError::InvalidName(path.display().to_string()))?;
    Ok(fs::canonicalize(dir).map_err(io("resolve", dir))?.join(name))
}

fn peek_pid(ring: &Path) -> Option<u64> {
    let (region, _) = map_read_only(ring).ok()?;
    let words = region.words();
    (words.len() > W_PID).then(|| words[W_PID].load(Ordering::Relaxed))
}

/// Maps the ring file at `path` read-only; returns the mapping and the file's length.
fn map_read_only(path: &Path) -> Result<(Region, u64), OpenError> {
    map_path_read_only(path, layout::HEADER_BYTES as u64)
}

/// Maps the regular file at `path` read-only, refusing one shorter than `min_len`; returns the
/// mapping and the file's length.
pub(crate) fn map_path_read_only(path: &Path, min_len: u64) -> Result<(Region, u64), OpenError> {
    let (file, len) = open_regular(path, false)?;
    if len < min_len {
        return Err(OpenError::Truncated { len, expected: min_len });
    }
    // SAFETY: the mapping is only ever accessed through `Region::words` as atomics, so stores
    // by the writer process are not data races. mdbus never truncates a mapped ring file
    // (writers create new files and rename them into place, and reserve their whole size at
    // creation); a file truncated by someone else is refused at open (its length is checked
    // against the header) and otherwise outside what a mapping can guard against (README,
    // "Ring files").
    let map = unsafe { memmap2::MmapOptions::new().map(&file) }.map_err(io("map", path))?;
    let region = Region::read_only(map).ok_or(OpenError::Truncated { len, expected: min_len })?;
    Ok((region, len))
}

/// Maps `file` (at `path`, for errors) read-write: a file this process just created and
/// reserved, not yet visible to others.
pub(crate) fn map_file_read_write(file: &File, path: &Path) -> Result<Region, OpenError> {
    let len = file.metadata().map_err(io("stat", path))?.len();
    // SAFETY: as in `map_read_only`; the file was created by this process, its whole length
    // reserved, and it is written only through `Region::words` as atomics.
    let map = unsafe { memmap2::MmapOptions::new().map_mut(file) }.map_err(io("map", path))?;
    Region::read_write(map).ok_or(OpenError::Truncated { len, expected: 8 })
}

fn map_read_write(path: &Path, opts: &RingOptions) -> Result<Region, OpenError> {
    let (file, len) = open_regular(path, true)?;
    if len < layout::HEADER_BYTES as u64 {
        return Err(OpenError::Truncated { len, expected: layout::HEADER_BYTES as u64 });
    }
    let mut mo = memmap2::MmapOptions::new();
    if opts.populate {
        mo.populate();
    }
    // SAFETY: as in `map_read_only`; additionally this process holds the writer lock, so it is
    // the only one storing into the mapping.
    let map = unsafe { mo.map_mut(&file) }.map_err(io("map", path))?;
    if opts.lock_memory {
        map.lock().map_err(io("mlock", path))?;
    }
    Region::read_write(map).ok_or(OpenError::Truncated { len, expected: layout::HEADER_BYTES as u64 })
}

/// Directory mode for a ring directory created for files of `mode`: owner rwx, and r-x for each
/// class that may read the files.
fn dir_mode(mode: u32) -> u32 {
    let mut m = 0o700;
    if mode & 0o040 != 0 {
        m |= 0o050;
    }
    if mode & 0o004 != 0 {
        m |= 0o005;
    }
    m
}

/// Creates a new, initialised ring file at `path` (written to a temporary file and renamed into
/// place, so no opener ever sees a half-written header).
fn create_file(path: &Path, geo: &Geometry, opts: &RingOptions) -> Result<(), OpenError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    if !dir.as_os_str().is_empty() && !dir.exists() {
        use std::os::unix::fs::DirBuilderExt;
        fs::DirBuilder::new()
            .recursive(true)
            .mode(dir_mode(opts.mode))
            .create(dir)
            .map_err(io("create directory", dir))?;
    }
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("ring");
    let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .mode(opts.mode)
        .open(&tmp)
        .map_err(io("create", &tmp))?;
    let result = (|| {
        file.set_permissions(fs::Permissions::from_mode(opts.mode)).map_err(io("chmod", &tmp))?;
        reserve(&file, geo.total_words() as u64 * 8).map_err(io("reserve space for", &tmp))?;
        let region = map_read_write(&tmp, &RingOptions { populate: false, lock_memory: false, ..opts.clone() })?;
        layout::init_header(region.words(), geo, now_ns());
        drop(region);
        fs::rename(&tmp, path).map_err(io("rename", path))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Gives `file` a length of `len` bytes, every block of them allocated now: a filesystem short
/// of space fails here with `ENOSPC` rather than with `SIGBUS` at the first write into a hole.
pub(crate) fn reserve(file: &File, len: u64) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let len = libc::off_t::try_from(len).map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
    // SAFETY: `file` is an open descriptor for the duration of the call; posix_fallocate reads
    // no memory of ours.
    match unsafe { libc::posix_fallocate(file.as_raw_fd(), 0, len) } {
        0 => Ok(()),
        // A filesystem without fallocate: fall back to a sparse length.
        libc::EOPNOTSUPP => file.set_len(len as u64),
        e => Err(std::io::Error::from_raw_os_error(e)),
    }
}

impl Writer {
    /// Opens the ring at `path` as its single writer, creating it if it does not exist.
    ///
    /// A new ring starts at sequence 0 with generation 1. An existing ring (a restarted writer)
    /// keeps its records: the sequence continues where the previous writer stopped and the
    /// generation goes up by one. Either way the first record this writer publishes is a
    /// [`WRITER_STARTED`](mdbus_schemas::MarkerCode::WRITER_STARTED) marker.
    ///
    /// # Errors
    ///
    /// [`OpenError::WriterAlive`] when another live process writes the ring,
    /// [`OpenError::Incompatible`] when the existing ring has another kind or capacity, any
    /// header error of [`Reader::open`] for a damaged file, and [`OpenError::Io`].
    ///
    /// # Examples
    ///
    /// ```
    /// use mdbus_bus::{Reader, RingOptions, Writer};
    /// use mdbus_schemas::{Kind, Quote};
    ///
    /// let dir = std::env::temp_dir().join(format!("mdbus-doc-{}", std::process::id()));
    /// let path = dir.join("doc.quote.ring");
    /// let mut w = Writer::open_or_create(&path, Kind::QUOTE, &RingOptions::default().capacity(1024))?;
    /// let mut r = Reader::open(&path)?;
    /// w.publish(&Quote { bid_px: 100, ask_px: 101, ..Quote::default() })?;
    /// assert_eq!(r.try_read()?.get::<Quote>().map(|q| q.ask_px), Some(101));
    /// # drop((w, r)); std::fs::remove_dir_all(dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_or_create(path: impl AsRef<Path>, kind: Kind, opts: &RingOptions) -> Result<Writer, OpenError> {
        let path = path.as_ref();
        let geo = Geometry::new(kind, opts.capacity)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
            use std::os::unix::fs::DirBuilderExt;
            fs::DirBuilder::new()
                .recursive(true)
                .mode(dir_mode(opts.mode))
                .create(dir)
                .map_err(io("create directory", dir))?;
        }
        // One ring file, one lock, whatever path led to it.
        let path = &canonical(path)?;
        let lock = take_lock(path, opts.mode)?;
        if !path.exists() {
            create_file(path, &geo, opts)?;
        }
        let region = map_read_write(path, opts)?;
        let len = region.words().len() as u64 * 8;
        let found = match layout::validate(region.words(), len) {
            Ok(g) => g,
            // A creator that died before its rename leaves only a temporary file; one that died
            // before the init word leaves nothing usable: with the lock held, start afresh.
            Err(OpenError::NotInitialized) => {
                drop(region);
                create_file(path, &geo, opts)?;
                let bell = crate::bell::Bell::create(path, opts.mode);
                return Ok(Writer::start(map_read_write(path, opts)?, geo, Some(lock), bell, !opts.mirror));
            }
            Err(e) => return Err(e),
        };
        if found.kind != geo.kind {
            return Err(OpenError::Incompatible {
                what: "kind",
                found: u64::from(found.kind.0),
                requested: u64::from(kind.0),
            });
        }
        if found.capacity != geo.capacity {
            return Err(OpenError::Incompatible { what: "capacity", found: found.capacity, requested: geo.capacity });
        }
        Ok(Writer::start(region, geo, Some(lock), crate::bell::Bell::create(path, opts.mode), !opts.mirror))
    }
}

impl Reader {
    /// Opens the ring at `path` read-only, positioned at the head (only new records).
    ///
    /// # Errors
    ///
    /// A typed [`OpenError`] for every way the file can be wrong: missing or unreadable
    /// ([`OpenError::Io`]), [`OpenError::Truncated`], [`OpenError::BadMagic`],
    /// [`OpenError::VersionMismatch`], [`OpenError::NotInitialized`],
    /// [`OpenError::LayoutMismatch`], [`OpenError::UnknownKind`],
    /// [`OpenError::RecordSizeMismatch`], [`OpenError::BadCapacity`].
    pub fn open(path: impl AsRef<Path>) -> Result<Reader, OpenError> {
        Reader::open_at(path, Start::Head)
    }

    /// Opens the ring at `path` read-only, positioned at `start`.
    ///
    /// # Errors
    ///
    /// As [`Reader::open`].
    pub fn open_at(path: impl AsRef<Path>, start: Start) -> Result<Reader, OpenError> {
        let path = path.as_ref();
        if let Start::Seq(n) = start
            && n > layout::MAX_SEQ
        {
            return Err(OpenError::BadStart(n));
        }
        let (region, len) = map_read_only(path)?;
        let geo = layout::validate(region.words(), len)?;
        Ok(Reader::new(region, geo, start, Some(path.to_path_buf()), crate::bell::Bell::open(path)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dir_mode_follows_file_mode() {
        assert_eq!(dir_mode(0o600), 0o700);
        assert_eq!(dir_mode(0o640), 0o750);
        assert_eq!(dir_mode(0o644), 0o755);
    }
}

#[cfg(test)]
mod read_only_tests {
    use std::process::Command;

    use mdbus_schemas::{Kind, Trade};

    use super::*;

    const CHILD_ENV: &str = "MDBUS_READ_ONLY_CHILD";

    fn ring_in_tmp(tag: &str) -> PathBuf {
        let base = if Path::new("/dev/shm").is_dir() { PathBuf::from("/dev/shm") } else { std::env::temp_dir() };
        base.join(format!("mdbus-ro-{tag}-{}", std::process::id())).join("ro.ring")
    }

    /// In the child process: opens the ring as a reader and stores through its mapping.
    fn child_writes_through_reader_mapping(path: PathBuf) -> ! {
        let reader = Reader::open(path).unwrap();
        let p = reader.region().as_ptr().wrapping_add(4096 + 16);
        // SAFETY: deliberately violates the read-only mapping to prove the kernel stops it; the
        // pointer is in bounds of the mapping and aligned, only the page protection forbids the
        // store.
        unsafe { std::ptr::write_volatile(p, 0xFFu8) };
        // Reaching this line means the store went through: exit with a distinct code.
        std::process::exit(3);
    }

    #[test]
    fn a_reader_cannot_write_the_ring() {
        if let Some(path) = std::env::var_os(CHILD_ENV) {
            child_writes_through_reader_mapping(PathBuf::from(path));
        }
        let path = ring_in_tmp("segv");
        let mut w = Writer::open_or_create(&path, Kind::TRADE, &RingOptions::default().capacity(8)).unwrap();
        w.publish(&Trade::default()).unwrap();
        let before = std::fs::read(&path).unwrap();

        // The mapping a reader gets has no write permission.
        let reader = Reader::open(&path).unwrap();
        let addr = reader.region().as_ptr() as usize;
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        let line = maps
            .lines()
            .find(|l| l.split('-').next().and_then(|a| usize::from_str_radix(a, 16).ok()) == Some(addr))
            .expect("mapping listed");
        let perms = line.split_whitespace().nth(1).unwrap();
        assert!(perms.starts_with("r-"), "reader mapping is {perms}");

        // A store through it kills the process with SIGSEGV and changes nothing.
        let exe = std::env::current_exe().unwrap();
        let status = Command::new(exe)
            .args([
                "--exact",
                "shm::read_only_tests::a_reader_cannot_write_the_ring",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(libc::SIGSEGV), "child status {status:?}");
        assert_eq!(std::fs::read(&path).unwrap(), before, "ring unchanged");
        drop((w, reader));
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }
}
