//! Shared cells: a file of 64-bit atomics that several processes map read-write, for state that
//! every process on a host updates with compare-and-swap (the SDK's shared rate limiter).
//!
//! Unlike a ring there is no single writer: every opener may store. The file is created once,
//! fully initialised under a temporary name and then linked into place, so an opener never sees
//! a half-written header and two processes racing to create it end up sharing one file.

use std::{
    fs::{self, OpenOptions},
    os::unix::fs::{OpenOptionsExt, PermissionsExt},
    path::{Path, PathBuf},
    sync::atomic::{AtomicU64, Ordering},
};

use crate::{OpenError, region::Region};

/// First word of a cells file: `MDBCELLS` in ASCII.
pub const CELLS_MAGIC: u64 = u64::from_le_bytes(*b"MDBCELLS");
/// Format version of cells files.
pub const CELLS_VERSION: u64 = 1;
/// Header words before the first cell (one cache line).
const HEADER_WORDS: usize = 8;
const W_MAGIC: usize = 0;
const W_VERSION: usize = 1;
const W_TAG: usize = 2;
const W_CELLS: usize = 3;
const W_CREATED: usize = 4;
/// Stored last at creation: `CELLS_MAGIC ^ tag`.
const W_INIT: usize = 7;
/// Largest number of cells a file may hold (256 MiB).
pub const MAX_CELLS: usize = 1 << 25;

/// A file of zero-initialised 64-bit atomic cells shared by every process that opens it.
///
/// The creator names a `tag` (a fingerprint of what the cells mean, such as a hash of a rule
/// set) and the number of cells; an opener that expects another tag or size gets
/// [`OpenError::Incompatible`] instead of silently misreading the cells.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::Ordering;
/// use mdbus_bus::SharedCells;
///
/// let dir = std::env::temp_dir().join(format!("mdbus-cells-doc-{}", std::process::id()));
/// let path = dir.join("budget.cells");
/// let a = SharedCells::open_or_create(&path, 0xfeed, 4, 0o600)?;
/// let b = SharedCells::open_or_create(&path, 0xfeed, 4, 0o600)?;
/// a.cells()[0].fetch_add(5, Ordering::AcqRel);
/// assert_eq!(b.cells()[0].load(Ordering::Acquire), 5);
/// assert!(SharedCells::open_or_create(&path, 0xbeef, 4, 0o600).is_err());
/// # drop((a, b)); std::fs::remove_dir_all(dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct SharedCells {
    region: Region,
    cells: usize,
    path: PathBuf,
}

// SAFETY: a `SharedCells` hands out only `&[AtomicU64]` (which is `Sync`) and plain values; the
// mapping it owns is never unmapped or written except through those atomics while it lives.
unsafe impl Sync for SharedCells {}

fn io<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> OpenError + 'a {
    move |source| OpenError::Io { op, path: path.to_path_buf(), source }
}

/// Reads the cells of the file at `path` with `read(2)`, without mapping it: for a monitor
/// looking at files that their owners may shorten or remove at any time. Validates the header
/// as [`SharedCells::open`] does.
pub(crate) fn read_cells(path: &Path, tag: u64, cells: usize) -> Result<Vec<u64>, OpenError> {
    use std::io::Read;
    let (file, _) = crate::shm::open_regular(path, false)?;
    let want = (HEADER_WORDS + cells) * 8;
    let mut bytes = Vec::with_capacity(want);
    file.take(want as u64).read_to_end(&mut bytes).map_err(io("read", path))?;
    if bytes.len() < want {
        return Err(OpenError::Truncated { len: bytes.len() as u64, expected: want as u64 });
    }
    let w: Vec<u64> = bytes.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default())).collect();
    if w[W_MAGIC] != CELLS_MAGIC {
        return Err(OpenError::BadMagic { found: w[W_MAGIC] });
    }
    if w[W_INIT] != CELLS_MAGIC ^ w[W_TAG] {
        return Err(OpenError::NotInitialized);
    }
    if w[W_VERSION] != CELLS_VERSION {
        return Err(OpenError::VersionMismatch { found: w[W_VERSION], expected: CELLS_VERSION });
    }
    if w[W_TAG] != tag {
        return Err(OpenError::Incompatible { what: "tag", found: w[W_TAG], requested: tag });
    }
    if w[W_CELLS] != cells as u64 {
        return Err(OpenError::Incompatible { what: "cells", found: w[W_CELLS], requested: cells as u64 });
    }
    Ok(w[HEADER_WORDS..].to_vec())
}

impl SharedCells {
    /// Opens the cells file at `path`, creating it with `cells` zeroed cells and file mode
    /// `mode` if it does not exist. Creation is race-free: of several processes creating the
    /// same file at once, one wins and the others open its file.
    ///
    /// # Errors
    ///
    /// [`OpenError::Incompatible`] when the existing file has another tag or cell count,
    /// [`OpenError::BadMagic`], [`OpenError::VersionMismatch`], [`OpenError::NotInitialized`]
    /// or [`OpenError::Truncated`] for a file that is not a valid cells file,
    /// [`OpenError::Incompatible`] with `what = "cells"` for a count of 0 or above
    /// [`MAX_CELLS`], and [`OpenError::Io`].
    pub fn open_or_create(path: impl AsRef<Path>, tag: u64, cells: usize, mode: u32) -> Result<SharedCells, OpenError> {
        let path = path.as_ref();
        if cells == 0 || cells > MAX_CELLS {
            return Err(OpenError::Incompatible { what: "cells", found: cells as u64, requested: MAX_CELLS as u64 });
        }
        loop {
            match Self::open(path, tag, cells) {
                Err(OpenError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {}
                other => return other,
            }
            if Self::create(path, tag, cells, mode)? {
                return Self::open(path, tag, cells);
            }
            // Another process linked its file first; open that one.
        }
    }

    /// Opens an existing cells file, checking its tag and cell count.
    ///
    /// # Errors
    ///
    /// As [`SharedCells::open_or_create`], plus [`OpenError::Io`] with kind `NotFound` when
    /// the file does not exist.
    pub fn open(path: impl AsRef<Path>, tag: u64, cells: usize) -> Result<SharedCells, OpenError> {
        let path = path.as_ref();
        let (file, len) = crate::shm::open_regular(path, true)?;
        let header = (HEADER_WORDS * 8) as u64;
        if len < header {
            return Err(OpenError::Truncated { len, expected: header });
        }
        // SAFETY: the mapping is only ever accessed through `Region::words` as atomics, so
        // stores by other processes are not data races. mdbus never truncates a cells file: it
        // is created whole under a temporary name and linked into place, and its length was
        // checked above; monitors read other processes' files with `read_cells`, not a mapping.
        let map = unsafe { memmap2::MmapOptions::new().populate().map_mut(&file) }.map_err(io("map", path))?;
        let region = Region::read_write(map).ok_or(OpenError::Truncated { len, expected: header })?;
        let w = region.words();
        let magic = w[W_MAGIC].load(Ordering::Acquire);
        if magic != CELLS_MAGIC {
            return Err(OpenError::BadMagic { found: magic });
        }
        // SYNC POINT: header complete. The init word is stored last by the creator (Release).
        if w[W_INIT].load(Ordering::Acquire) != CELLS_MAGIC ^ w[W_TAG].load(Ordering::Relaxed) {
            return Err(OpenError::NotInitialized);
        }
        let version = w[W_VERSION].load(Ordering::Relaxed);
        if version != CELLS_VERSION {
            return Err(OpenError::VersionMismatch { found: version, expected: CELLS_VERSION });
        }
        let found_tag = w[W_TAG].load(Ordering::Relaxed);
        if found_tag != tag {
            return Err(OpenError::Incompatible { what: "tag", found: found_tag, requested: tag });
        }
        let found_cells = w[W_CELLS].load(Ordering::Relaxed);
        if found_cells != cells as u64 {
            return Err(OpenError::Incompatible { what: "cells", found: found_cells, requested: cells as u64 });
        }
        let expected = header + cells as u64 * 8;
        if len < expected || w.len() < HEADER_WORDS + cells {
            return Err(OpenError::Truncated { len, expected });
        }
        Ok(SharedCells { region, cells, path: path.to_path_buf() })
    }

    /// Writes a new file under a temporary name and links it to `path`. Returns `false` when
    /// another process created `path` first.
    fn create(path: &Path, tag: u64, cells: usize, mode: u32) -> Result<bool, OpenError> {
        let dir = path.parent().unwrap_or(Path::new("."));
        if !dir.as_os_str().is_empty() && !dir.exists() {
            use std::os::unix::fs::DirBuilderExt;
            let dmode = 0o700 | if mode & 0o060 != 0 { 0o070 } else { 0 };
            fs::DirBuilder::new().recursive(true).mode(dmode).create(dir).map_err(io("create directory", dir))?;
        }
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("cells");
        let tmp = dir.join(format!(".{name}.{}.{:x}.tmp", std::process::id(), crate::now_ns()));
        let result = (|| {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .mode(mode)
                .open(&tmp)
                .map_err(io("create", &tmp))?;
            file.set_permissions(fs::Permissions::from_mode(mode)).map_err(io("chmod", &tmp))?;
            crate::shm::reserve(&file, ((HEADER_WORDS + cells) * 8) as u64).map_err(io("reserve space for", &tmp))?;
            // SAFETY: the temporary file is private to this process until it is linked, and is
            // accessed only as atomics through `Region::words`.
            let map = unsafe { memmap2::MmapOptions::new().map_mut(&file) }.map_err(io("map", &tmp))?;
            let len = map.len() as u64;
            let region = Region::read_write(map).ok_or(OpenError::Truncated { len, expected: 64 })?;
            let w = region.words();
            w[W_MAGIC].store(CELLS_MAGIC, Ordering::Relaxed);
            w[W_VERSION].store(CELLS_VERSION, Ordering::Relaxed);
            w[W_TAG].store(tag, Ordering::Relaxed);
            w[W_CELLS].store(cells as u64, Ordering::Relaxed);
            w[W_CREATED].store(crate::now_ns(), Ordering::Relaxed);
            // SYNC POINT: header complete.
            w[W_INIT].store(CELLS_MAGIC ^ tag, Ordering::Release);
            drop(region);
            match fs::hard_link(&tmp, path) {
                Ok(()) => Ok(true),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
                Err(e) => Err(io("link", path)(e)),
            }
        })();
        let _ = fs::remove_file(&tmp);
        result
    }

    /// Returns the cells (without the header).
    #[inline]
    pub fn cells(&self) -> &[AtomicU64] {
        &self.region.words()[HEADER_WORDS..HEADER_WORDS + self.cells]
    }

    /// Returns the tag the file was created with.
    pub fn tag(&self) -> u64 {
        self.region.words()[W_TAG].load(Ordering::Relaxed)
    }

    /// Returns the file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}
