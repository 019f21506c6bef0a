//! Reader announcements: a reader that wants to be seen (by `mdbus ls`, by an operator) takes a
//! slot in `<ring>.readers`, a [`SharedCells`] file beside the ring (rings are mapped read-only
//! by readers, so the ring itself cannot carry this), and keeps its position and losses there.
//! A slot whose process has died is taken over by the next reader that announces itself.

use std::{
    path::{Path, PathBuf},
    sync::atomic::Ordering,
};

use crate::{OpenError, SharedCells, clock::coarse_now_ns};

/// Readers one ring can list.
pub const READER_SLOTS: usize = 64;
/// Cells per slot: pid, position, lost, updated (ns), and padding to one cache line.
const SLOT_CELLS: usize = 8;
const C_PID: usize = 0;
const C_POSITION: usize = 1;
const C_LOST: usize = 2;
const C_UPDATED: usize = 3;
/// Tag of reader files (`MDBREADR`).
const TAG: u64 = u64::from_le_bytes(*b"MDBREADR");

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

/// The readers file of the ring at `ring`.
pub fn readers_path(ring: &Path) -> PathBuf {
    ring.with_extension("readers")
}

fn pid_alive(pid: u64) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else { return false };
    if pid <= 0 {
        return false;
    }
    // SAFETY: kill with signal 0 sends nothing; it only checks that the process exists. It
    // touches no memory of ours.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// A slot this process holds; released when dropped.
#[derive(Debug)]
pub(crate) struct Announcement {
    cells: SharedCells,
    slot: usize,
}

impl Announcement {
    /// Takes a free slot (or one whose process died) in the readers file of `ring`.
    pub(crate) fn claim(ring: &Path) -> Result<Announcement, OpenError> {
        let cells = SharedCells::open_or_create(readers_path(ring), TAG, READER_SLOTS * SLOT_CELLS, 0o666)?;
        let me = u64::from(std::process::id());
        for slot in 0..READER_SLOTS {
            let pid_cell = &cells.cells()[slot * SLOT_CELLS + C_PID];
            let cur = pid_cell.load(Ordering::Acquire);
            if (cur == 0 || !pid_alive(cur))
                && pid_cell.compare_exchange(cur, me, Ordering::AcqRel, Ordering::Acquire).is_ok()
            {
                return Ok(Announcement { cells, slot });
            }
        }
        Err(OpenError::Incompatible {
            what: "reader slots",
            found: READER_SLOTS as u64,
            requested: READER_SLOTS as u64 + 1,
        })
    }

    /// Stores the reader's position and losses (relaxed stores and a coarse clock read: no
    /// system call).
    #[inline]
    pub(crate) fn update(&self, position: u64, lost: u64) {
        let c = &self.cells.cells()[self.slot * SLOT_CELLS..(self.slot + 1) * SLOT_CELLS];
        // Relaxed: advisory figures for monitoring.
        c[C_POSITION].store(position, Ordering::Relaxed);
        c[C_LOST].store(lost, Ordering::Relaxed);
        c[C_UPDATED].store(coarse_now_ns(), Ordering::Relaxed);
    }
}

impl Drop for Announcement {
    fn drop(&mut self) {
        // Release: the slot is free for the next reader.
        self.cells.cells()[self.slot * SLOT_CELLS + C_PID].store(0, Ordering::Release);
    }
}

/// The live readers announced on the ring at `ring` (none when no reader ever announced one).
///
/// # Errors
///
/// When the readers file exists but cannot be opened.
pub fn announced_readers(ring: &Path) -> Result<Vec<ReaderSlot>, OpenError> {
    let cells = match SharedCells::open(readers_path(ring), TAG, READER_SLOTS * SLOT_CELLS) {
        Ok(c) => c,
        Err(OpenError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for slot in cells.cells().chunks(SLOT_CELLS) {
        // Acquire: pairs with the claim's AcqRel.
        let pid = slot[C_PID].load(Ordering::Acquire);
        if pid == 0 || !pid_alive(pid) {
            continue;
        }
        out.push(ReaderSlot {
            pid,
            position: slot[C_POSITION].load(Ordering::Relaxed),
            lost: slot[C_LOST].load(Ordering::Relaxed),
            updated_ns: slot[C_UPDATED].load(Ordering::Relaxed),
        });
    }
    Ok(out)
}
