//! Reader announcements: a reader that wants to be seen (by `mdbus ls`, by an operator) keeps
//! its position and losses in a small file of its own beside the ring,
//! `<ring>.<pid>.<n>.reader` (a [`SharedCells`] file, mode 0640: only its owner can change
//! it). Rings are mapped read-only by readers, so the ring itself cannot carry this.
//!
//! No reader maps another's file: monitors read them with `read(2)`, so a file that another
//! process shortens or removes is skipped, never a `SIGBUS`. A reader removes its file when it
//! is dropped; files left by readers that died are removed by the next reader that announces
//! itself on the same ring (where it may), and ignored by monitors meanwhile.

use std::{
    ffi::OsStr,
    path::{Path, PathBuf},
    sync::atomic::{AtomicU64, Ordering},
};

use crate::{OpenError, SharedCells, clock::coarse_now_ns};

/// Cells of a reader file: pid, position, lost, updated (ns).
const CELLS: usize = 4;
const C_PID: usize = 0;
const C_POSITION: usize = 1;
const C_LOST: usize = 2;
const C_UPDATED: usize = 3;
/// Tag of reader files (`MDBREADR`).
const TAG: u64 = u64::from_le_bytes(*b"MDBREADR");
/// Extension of reader files.
const EXTENSION: &str = "reader";

/// One announced reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReaderSlot {
    /// Its process.
    pub pid: u64,
    /// The sequence of the next record it will read.
    pub position: u64,
    /// Records it lost to overruns.
    pub lost: u64,
    /// When it last updated its slot, ns since the epoch (coarse clock).
    pub updated_ns: u64,
}

/// The reader files of the ring at `ring`: its directory and the prefix of their names
/// (`<ring name>.`).
fn family(ring: &Path) -> (PathBuf, String) {
    let dir = ring.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let stem = ring.file_stem().and_then(OsStr::to_str).unwrap_or("ring");
    (dir, format!("{stem}."))
}

/// The pid in a reader file's name `<ring>.<pid>.<n>.reader`, if `name` is one of `prefix`'s.
fn reader_pid(name: &str, prefix: &str) -> Option<u64> {
    let rest = name.strip_prefix(prefix)?.strip_suffix(EXTENSION)?.strip_suffix('.')?;
    let (pid, n) = rest.split_once('.')?;
    n.parse::<u64>().ok()?;
    pid.parse().ok()
}

/// The reader files of `ring` with the pid in their names.
fn reader_files(ring: &Path) -> Result<Vec<(PathBuf, u64)>, OpenError> {
    let (dir, prefix) = family(ring);
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(OpenError::Io { op: "list", path: dir, source }),
    };
    Ok(entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name();
            let pid = reader_pid(name.to_str()?, &prefix)?;
            Some((e.path(), pid))
        })
        .collect())
}

/// The paths of every reader file of the ring at `ring` (for tools that clean up after a run).
///
/// # Errors
///
/// When the ring's directory exists but cannot be read.
pub fn reader_files_of(ring: &Path) -> Result<Vec<PathBuf>, OpenError> {
    Ok(reader_files(ring)?.into_iter().map(|(p, _)| p).collect())
}

pub(crate) fn pid_alive(pid: u64) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else { return false };
    if pid <= 0 {
        return false;
    }
    // SAFETY: kill with signal 0 sends nothing; it only checks that the process exists. It
    // touches no memory of ours.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// This process's reader files, numbered.
static NEXT: AtomicU64 = AtomicU64::new(0);

/// A reader's own file; removed when dropped.
#[derive(Debug)]
pub(crate) struct Announcement {
    cells: SharedCells,
}

impl Announcement {
    /// Creates this reader's file beside `ring`, after removing the files of readers that died.
    pub(crate) fn claim(ring: &Path) -> Result<Announcement, OpenError> {
        for (path, pid) in reader_files(ring)? {
            if !pid_alive(pid) {
                let _ = std::fs::remove_file(path);
            }
        }
        let (dir, prefix) = family(ring);
        let me = std::process::id();
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!("{prefix}{me}.{n}.{EXTENSION}"));
        let cells = SharedCells::open_or_create(&path, TAG, CELLS, 0o640)?;
        // Release: a monitor that sees the pid sees an initialised file.
        cells.cells()[C_PID].store(u64::from(me), Ordering::Release);
        Ok(Announcement { cells })
    }

    /// Stores the reader's position and losses (relaxed stores and a coarse clock read: no
    /// system call).
    #[inline]
    pub(crate) fn update(&self, position: u64, lost: u64) {
        let c = self.cells.cells();
        // Relaxed: advisory figures for monitoring.
        c[C_POSITION].store(position, Ordering::Relaxed);
        c[C_LOST].store(lost, Ordering::Relaxed);
        c[C_UPDATED].store(coarse_now_ns(), Ordering::Relaxed);
    }
}

impl Drop for Announcement {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.cells.path());
    }
}

/// The live readers announced on the ring at `ring` (none when no reader announced itself).
/// Files that are damaged, shortened, not regular files or left by dead processes are skipped.
///
/// # Errors
///
/// When the ring's directory exists but cannot be read.
pub fn announced_readers(ring: &Path) -> Result<Vec<ReaderSlot>, OpenError> {
    let mut out = Vec::new();
    for (path, pid) in reader_files(ring)? {
        let Ok(c) = crate::cells::read_cells(&path, TAG, CELLS) else { continue };
        if c[C_PID] != pid || !pid_alive(pid) {
            continue;
        }
        out.push(ReaderSlot { pid, position: c[C_POSITION], lost: c[C_LOST], updated_ns: c[C_UPDATED] });
    }
    out.sort_by_key(|s| (s.pid, s.position));
    Ok(out)
}
