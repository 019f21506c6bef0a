//! Lock-free broadcast rings over shared memory: one writer process, any number of reader
//! processes, each reading at its own pace.
//!
//! A ring is a file (by default in `/dev/shm/mdbus`) holding a 4 KiB header and a power-of-two
//! number of fixed-size slots. The [`Writer`] never waits: it stamps each slot with a sequence
//! word (seqlock), writes the record and publishes the sequence with a Release store. A
//! [`Reader`] maps the file read-only, copies a slot out, re-checks the sequence, and so never
//! delivers a torn record; a reader that falls a whole lap behind gets
//! [`ReadError::Overrun`] with the exact number of records it lost and continues at the oldest
//! record still intact. A writer that restarts continues the sequence and bumps the ring's
//! generation; a lock file and a heartbeat tell whether a writer is alive.
//!
//! # Examples
//!
//! ```
//! use mdbus_bus::{ReadError, RingDir, RingOptions, Start};
//! use mdbus_schemas::{Kind, Quote, RecordView};
//!
//! let dir = RingDir::new(std::env::temp_dir().join(format!("mdbus-crate-doc-{}", std::process::id())));
//! let mut writer = dir.writer("demo.quote", Kind::QUOTE, &RingOptions::default().capacity(4096))?;
//! let mut reader = dir.reader("demo.quote", Start::Head)?;
//!
//! writer.publish(&Quote { bid_px: 99, ask_px: 101, ..Quote::default() })?;
//! loop {
//!     match reader.try_read() {
//!         Ok(rec) => {
//!             if let RecordView::Quote(q) = rec.view()? {
//!                 assert_eq!((q.bid_px, q.ask_px), (99, 101));
//!                 break;
//!             }
//!         }
//!         Err(ReadError::Empty) => std::hint::spin_loop(),
//!         Err(ReadError::Overrun { lost }) => eprintln!("lost {lost} records"),
//!     }
//! }
//! # drop((writer, reader)); std::fs::remove_dir_all(dir.path())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]
#![doc(test(attr(deny(warnings))))]

mod bell;
#[cfg(not(loom))]
mod book_table;
#[cfg(not(loom))]
mod cells;
mod clock;
mod counting;
#[cfg(not(loom))]
mod dir;
mod error;
mod layout;
#[cfg(not(loom))]
mod readers;
mod region;
mod ring;
#[cfg(not(loom))]
mod shm;
mod sync;

#[cfg(not(loom))]
pub use book_table::{
    BookCopy, BookState, BookTable, BookTableWriter, BookUpdate, MAX_TABLE_DEPTH, MAX_TABLE_INSTRUMENTS, STALE_AFTER_NS,
};
#[cfg(not(loom))]
pub use cells::{CELLS_MAGIC, CELLS_VERSION, MAX_CELLS, SharedCells};
pub use clock::{coarse_now_ns, coarse_resolution_ns, now_ns, tsc, tsc_ns_per_tick};
pub use counting::CountingAllocator;
#[cfg(not(loom))]
pub use dir::{DEFAULT_DIR, DIR_ENV, INSTRUMENTS_FILE, RingDir, RingEntry, RingInfo};
pub use error::{OpenError, PublishError, ReadError};
pub use layout::{HEADER_BYTES, MAX_CAPACITY, MAX_SEQ};
#[cfg(not(loom))]
pub use readers::{ReaderSlot, announced_readers, reader_files_of};
pub use ring::{HeapRing, Mirrored, Reader, RecordRef, Start, Writer};
#[cfg(not(loom))]
pub use shm::RingOptions;
