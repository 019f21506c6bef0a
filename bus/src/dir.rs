//! Ring directories: where rings live, naming, listing, and the instrument table beside them.

use std::{
    ffi::OsStr,
    fs,
    path::{Path, PathBuf},
};

use mdbus_schemas::{InstrumentTable, Kind};

use crate::{OpenError, Reader, RingOptions, Start, Writer, shm};

/// Environment variable that overrides the default ring directory.
pub const DIR_ENV: &str = "MDBUS_DIR";

/// Ring directory used when neither an explicit path nor [`DIR_ENV`] is given.
pub const DEFAULT_DIR: &str = "/dev/shm/mdbus";

/// File name of the instrument table inside a ring directory.
pub const INSTRUMENTS_FILE: &str = "instruments.tbl";

/// A directory of rings: `NAME.ring` files, their `NAME.lock` and `NAME.bell` (doorbell) files
/// and the instrument table.
///
/// # Examples
///
/// ```
/// use mdbus_bus::RingDir;
/// let dir = RingDir::resolve(Some(std::path::Path::new("/tmp/rings")));
/// assert_eq!(dir.path(), std::path::Path::new("/tmp/rings"));
/// assert!(dir.ring_path("binance-spot.trade").is_ok());
/// assert!(dir.ring_path("../etc/passwd").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RingDir {
    path: PathBuf,
}

/// What [`RingDir::list`] knows about one ring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RingInfo {
    /// Primary record kind.
    pub kind: Kind,
    /// Record (slot) size in bytes.
    pub record_size: usize,
    /// Capacity in records.
    pub capacity: u64,
    /// Sequence of the next record.
    pub head: u64,
    /// Writer generation.
    pub generation: u64,
    /// Pid of the latest writer.
    pub writer_pid: u64,
    /// Whether a live process holds the writer lock.
    pub writer_alive: bool,
    /// Nanoseconds since the writer's last publish or heartbeat.
    pub heartbeat_age_ns: u64,
}

/// One entry of [`RingDir::list`]: a ring file and what opening it gave.
#[derive(Debug)]
pub struct RingEntry {
    /// Ring name (file name without `.ring`).
    pub name: String,
    /// Path of the ring file.
    pub path: PathBuf,
    /// The ring's state, or why it could not be read.
    pub info: Result<RingInfo, OpenError>,
}

impl RingDir {
    /// A ring directory at `path`.
    pub fn new(path: impl Into<PathBuf>) -> RingDir {
        RingDir { path: path.into() }
    }

    /// The ring directory to use: `explicit` if given, else `$MDBUS_DIR` if set and non-empty,
    /// else `/dev/shm/mdbus`.
    pub fn resolve(explicit: Option<&Path>) -> RingDir {
        if let Some(p) = explicit {
            return RingDir::new(p);
        }
        match std::env::var_os(DIR_ENV) {
            Some(v) if !v.is_empty() => RingDir::new(v),
            _ => RingDir::new(DEFAULT_DIR),
        }
    }

    /// Returns the directory path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Returns the path of ring `name`.
    ///
    /// # Errors
    ///
    /// [`OpenError::InvalidName`] unless `name` is 1-100 characters of `[A-Za-z0-9._-]` and
    /// does not start with a dot.
    pub fn ring_path(&self, name: &str) -> Result<PathBuf, OpenError> {
        self.file_path(name, "ring")
    }

    /// Returns the path of the shared-cells file `name` (see [`SharedCells`](crate::SharedCells)):
    /// `<dir>/<name>.cells`, under the same naming rules as rings.
    ///
    /// # Errors
    ///
    /// [`OpenError::InvalidName`] as for [`RingDir::ring_path`].
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = mdbus_bus::RingDir::new("/dev/shm/mdbus");
    /// assert!(dir.cells_path("binance.limits")?.ends_with("binance.limits.cells"));
    /// # Ok::<(), mdbus_bus::OpenError>(())
    /// ```
    pub fn cells_path(&self, name: &str) -> Result<PathBuf, OpenError> {
        self.file_path(name, "cells")
    }

    /// Returns the path of feed `feed`'s book table ([`BookTable`](crate::BookTable)):
    /// `<dir>/<feed>.books`, under the same naming rules as rings.
    ///
    /// # Errors
    ///
    /// [`OpenError::InvalidName`] as for [`RingDir::ring_path`].
    pub fn books_path(&self, feed: &str) -> Result<PathBuf, OpenError> {
        self.file_path(feed, "books")
    }

    fn file_path(&self, name: &str, ext: &str) -> Result<PathBuf, OpenError> {
        let ok = (1..=100).contains(&name.len())
            && !name.starts_with('.')
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-');
        if !ok {
            return Err(OpenError::InvalidName(name.to_owned()));
        }
        Ok(self.path.join(format!("{name}.{ext}")))
    }

    /// Opens ring `name` as its writer, creating it if needed (see [`Writer::open_or_create`]).
    ///
    /// # Errors
    ///
    /// As [`RingDir::ring_path`] and [`Writer::open_or_create`].
    pub fn writer(&self, name: &str, kind: Kind, opts: &RingOptions) -> Result<Writer, OpenError> {
        Writer::open_or_create(self.ring_path(name)?, kind, opts)
    }

    /// Opens ring `name` for reading at `start`.
    ///
    /// # Errors
    ///
    /// As [`RingDir::ring_path`] and [`Reader::open`].
    pub fn reader(&self, name: &str, start: Start) -> Result<Reader, OpenError> {
        Reader::open_at(self.ring_path(name)?, start)
    }

    /// Lists every ring in the directory, sorted by name. A ring that cannot be opened is still
    /// listed, with the error. A missing directory lists as empty.
    ///
    /// # Errors
    ///
    /// [`OpenError::Io`] when the directory exists but cannot be read.
    pub fn list(&self) -> Result<Vec<RingEntry>, OpenError> {
        let rd = match fs::read_dir(&self.path) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => return Err(OpenError::Io { op: "list", path: self.path.clone(), source }),
        };
        let mut out = Vec::new();
        for entry in rd.flatten() {
            let path = entry.path();
            if path.extension() != Some(OsStr::new("ring")) {
                continue;
            }
            let Some(name) = path.file_stem().and_then(OsStr::to_str).map(str::to_owned) else {
                continue;
            };
            if name.starts_with('.') {
                continue;
            }
            let info = Reader::open(&path).map(|r| RingInfo {
                kind: r.kind(),
                record_size: r.record_size(),
                capacity: r.capacity(),
                head: r.head(),
                generation: r.generation_now(),
                writer_pid: r.writer_pid(),
                writer_alive: shm::writer_alive(&path),
                heartbeat_age_ns: r.heartbeat_age_ns(),
            });
            out.push(RingEntry { name, path, info });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Writes the instrument table beside the rings (atomically: temporary file, then rename),
    /// with mode 0640.
    ///
    /// # Errors
    ///
    /// [`OpenError::Io`] when the file cannot be written.
    pub fn save_instruments(&self, table: &InstrumentTable) -> Result<(), OpenError> {
        fs::create_dir_all(&self.path).map_err(|source| OpenError::Io {
            op: "create directory",
            path: self.path.clone(),
            source,
        })?;
        let dst = self.path.join(INSTRUMENTS_FILE);
        let tmp = self.path.join(format!(".{INSTRUMENTS_FILE}.{}.tmp", std::process::id()));
        let write = || -> std::io::Result<()> {
            use std::{
                io::Write,
                os::unix::fs::{OpenOptionsExt, PermissionsExt},
            };
            let mut f = fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o640).open(&tmp)?;
            f.set_permissions(fs::Permissions::from_mode(0o640))?;
            f.write_all(&table.to_bytes())
        };
        write().map_err(|source| OpenError::Io { op: "write", path: tmp.clone(), source })?;
        fs::rename(&tmp, &dst).map_err(|source| OpenError::Io { op: "rename", path: dst, source })
    }

    /// Reads the instrument table beside the rings; `Ok(None)` when there is none.
    ///
    /// # Errors
    ///
    /// [`OpenError::Io`] when the file exists but cannot be read,
    /// [`OpenError::NotARegularFile`] when something else has its name; a damaged table is
    /// reported as `Ok(Some(Err(..)))`.
    pub fn load_instruments(&self) -> Result<Option<Result<InstrumentTable, mdbus_schemas::TableError>>, OpenError> {
        let p = self.path.join(INSTRUMENTS_FILE);
        let mut file = match shm::open_regular(&p, false) {
            Ok((f, _)) => f,
            Err(OpenError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut file, &mut bytes).map_err(|source| OpenError::Io {
            op: "read",
            path: p,
            source,
        })?;
        Ok(Some(InstrumentTable::from_bytes(&bytes)))
    }
}
