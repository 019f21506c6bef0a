//! The memory a ring lives in, seen as a slice of 64-bit atomics: a shared file mapping or, for
//! tests and model checking, ordinary heap memory.

use std::ptr::NonNull;

use std::sync::Arc;

use crate::sync::AtomicU64;

/// What keeps the memory alive.
enum Backing {
    Heap(#[allow(dead_code)] Arc<[AtomicU64]>),
    #[cfg(not(loom))]
    ReadOnly(#[allow(dead_code)] memmap2::Mmap),
    #[cfg(not(loom))]
    ReadWrite(#[allow(dead_code)] memmap2::MmapMut),
}

/// A ring's memory as `words` atomics starting at `ptr`.
pub(crate) struct Region {
    ptr: NonNull<AtomicU64>,
    words: usize,
    _backing: Backing,
}

// SAFETY: the region only hands out `&[AtomicU64]`, which is `Sync`; the backing (an `Arc` of
// atomics or a memory mapping) is itself `Send`, and the pointer stays valid wherever the
// region moves because it points into that backing, not into the region.
unsafe impl Send for Region {}

impl std::fmt::Debug for Region {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Region").field("words", &self.words).finish_non_exhaustive()
    }
}

impl Region {
    /// Heap memory of `words` zeroed atomics.
    pub(crate) fn zeroed_heap(words: usize) -> Arc<[AtomicU64]> {
        (0..words).map(|_| AtomicU64::new(0)).collect()
    }

    /// A handle on heap memory made by [`Region::zeroed_heap`].
    pub(crate) fn heap(mem: Arc<[AtomicU64]>) -> Region {
        let ptr = NonNull::from(&*mem).cast::<AtomicU64>();
        Region { ptr, words: mem.len(), _backing: Backing::Heap(mem) }
    }

    /// A read-only file mapping. Returns `None` if the mapping is empty or not 8-byte aligned
    /// (a mapping is page-aligned, so only an empty one fails).
    #[cfg(not(loom))]
    pub(crate) fn read_only(map: memmap2::Mmap) -> Option<Region> {
        let ptr = NonNull::new(map.as_ptr().cast_mut())?.cast::<AtomicU64>();
        if !ptr.as_ptr().is_aligned() {
            return None;
        }
        let words = map.len() / 8;
        Some(Region { ptr, words, _backing: Backing::ReadOnly(map) })
    }

    /// A writable file mapping. Returns `None` if the mapping is empty or not 8-byte aligned.
    #[cfg(not(loom))]
    pub(crate) fn read_write(mut map: memmap2::MmapMut) -> Option<Region> {
        let ptr = NonNull::new(map.as_mut_ptr())?.cast::<AtomicU64>();
        if !ptr.as_ptr().is_aligned() {
            return None;
        }
        let words = map.len() / 8;
        Some(Region { ptr, words, _backing: Backing::ReadWrite(map) })
    }

    /// The memory as atomics.
    #[inline]
    pub(crate) fn words(&self) -> &[AtomicU64] {
        // SAFETY: `ptr` is non-null, 8-byte aligned (checked at construction) and points to
        // `words` × 8 bytes owned by `_backing`, which lives as long as `self`. `AtomicU64` has
        // the size and alignment of `u64`, and every access goes through atomic operations, so
        // stores by another process are not data races. For a read-only mapping only loads are
        // ever performed (readers never store), and 64-bit atomic loads from read-only memory
        // are permitted.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.words) }
    }

    /// Start address of the memory, for diagnostics and the read-only-mapping test.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr().cast::<u8>()
    }
}
