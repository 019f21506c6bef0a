//! The bridge's two loops over Aeron: [`run_out`] sends a directory's rings, [`run_in`] mirrors
//! them. Each runs its own embedded media driver unless it is given the directory of an
//! external one.

use std::{
    ffi::CString,
    path::PathBuf,
    sync::atomic::{AtomicBool, Ordering},
    time::{Duration, Instant},
};

use mdbus_bus::RingDir;
use rusteron_client::{
    Aeron, AeronContext, AeronExclusivePublication, AeronFragmentClosureAssembler, AeronHeader, AeronSubscription,
    Handlers,
};
use rusteron_media_driver::{AeronIdleStrategyKind, bindings::aeron_threading_mode_enum, testing::EmbeddedDriver};

use crate::{
    BridgeError,
    mirror::{MirrorSet, MirrorStats},
    source::Source,
    wire::{CONTROL_STREAM, Control},
};

/// How often rings are looked for, announced and the instrument table checked.
const ANNOUNCE_EVERY: Duration = Duration::from_secs(1);
/// How often the receiving side marks its mirrors' writers alive (as a feeder does).
const HEARTBEAT_EVERY: Duration = Duration::from_millis(100);
/// How often the instrument table is sent even if unchanged (for receivers that start late).
const TABLE_EVERY: Duration = Duration::from_secs(5);
/// Records one ring may send per turn, so that a busy ring does not starve the others.
const BATCH: usize = 256;
/// Bytes of records per message: about three of the embedded driver's 1,408-byte frames
/// (Aeron fragments a message and the receiver's assembler puts it back together).
const MESSAGE_BYTES: usize = 4096;
/// Term buffer of the embedded driver's publications: 3 of them per ring.
const TERM_LENGTH: usize = 1 << 20;
/// How long adding a publication or subscription may take.
const ADD_TIMEOUT: Duration = Duration::from_secs(10);

/// How the bridge's loop and its embedded media driver wait when there is nothing to do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Waiting {
    /// Spin, then yield, then sleep up to 100 µs (the driver: Aeron's own backoff, up to 1 ms):
    /// kind to a busy host, slow to wake.
    #[default]
    Backoff,
    /// Yield the core and try again: wakes in microseconds, keeps a core busy when there is
    /// one to spare and gives it up when there is not.
    Yield,
    /// Busy-spin: the fastest wake, a whole core each (the loop and the driver).
    Spin,
}

impl Waiting {
    fn driver_kind(self) -> AeronIdleStrategyKind {
        match self {
            Waiting::Backoff => AeronIdleStrategyKind::Backoff,
            Waiting::Yield => AeronIdleStrategyKind::Yielding,
            Waiting::Spin => AeronIdleStrategyKind::BusySpin,
        }
    }
}

/// Where the media driver is.
#[derive(Debug, Clone, Default)]
pub enum DriverChoice {
    /// A media driver inside this process (the default), in a directory of its own, waiting
    /// the way the loop does.
    #[default]
    Embedded,
    /// An external media driver, by its directory (`--aeron-dir`).
    External(PathBuf),
}

/// A client of a media driver (and the driver, when it is embedded): what the bridge's loops and
/// its benchmark publish and subscribe through.
pub struct Link {
    aeron: Aeron,
    // Dropped after the client: the client's resources live in the driver's directory.
    _driver: Option<EmbeddedDriver>,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link").field("embedded", &self._driver.is_some()).finish()
    }
}

fn aeron_err(what: &str) -> impl FnOnce(rusteron_client::AeronCError) -> BridgeError + '_ {
    move |e| BridgeError::Aeron(format!("{what}: {e:?}"))
}

/// `s` as a C string (an Aeron channel URI).
///
/// # Errors
///
/// [`BridgeError::Aeron`] when it holds a NUL byte.
pub fn cstring(s: &str) -> Result<CString, BridgeError> {
    CString::new(s).map_err(|_| BridgeError::Aeron(format!("{s:?} holds a NUL byte")))
}

impl Link {
    /// Starts the embedded media driver (or finds the external one) and connects a client.
    ///
    /// # Errors
    ///
    /// [`BridgeError::Aeron`] when the driver does not start or the client cannot connect.
    pub fn connect(driver: &DriverChoice, waiting: Waiting) -> Result<Link, BridgeError> {
        let (embedded, dir) = match driver {
            DriverChoice::Embedded => {
                let d = EmbeddedDriver::launch_with(|ctx| {
                    ctx.set_threading_mode(aeron_threading_mode_enum::AERON_THREADING_MODE_SHARED)?;
                    ctx.set_shared_idle_strategy_kind(waiting.driver_kind())?;
                    ctx.set_term_buffer_length(TERM_LENGTH)?;
                    Ok(())
                })
                .map_err(|e| BridgeError::Aeron(format!("start the embedded media driver: {e:?}")))?;
                let dir = d.dir().to_owned();
                (Some(d), dir)
            }
            DriverChoice::External(dir) => (None, dir.to_string_lossy().into_owned()),
        };
        let ctx = AeronContext::new().map_err(aeron_err("client context"))?;
        ctx.set_dir(&cstring(&dir)?).map_err(aeron_err("client directory"))?;
        ctx.set_error_handler(Some(|code: i32, msg: &str| tracing::warn!(code, "aeron: {msg}")))
            .map_err(aeron_err("error handler"))?;
        let aeron = Aeron::new(&ctx).map_err(aeron_err("client"))?;
        aeron.start().map_err(aeron_err(&format!("connect to the media driver in {dir}")))?;
        Ok(Link { aeron, _driver: embedded })
    }

    /// Adds an exclusive publication on `channel`, `stream`.
    ///
    /// # Errors
    ///
    /// [`BridgeError::Aeron`] when the driver refuses it or does not answer in 10 s.
    pub fn publication(&self, channel: &CString, stream: i32) -> Result<AeronExclusivePublication, BridgeError> {
        self.aeron
            .async_add_exclusive_publication(channel, stream)
            .map_err(aeron_err("add publication"))?
            .poll_blocking(ADD_TIMEOUT)
            .map_err(aeron_err(&format!("publication on stream {stream}")))
    }

    /// Adds a subscription on `channel`, `stream`.
    ///
    /// # Errors
    ///
    /// [`BridgeError::Aeron`] when the driver refuses it or does not answer in 10 s.
    pub fn subscription(&self, channel: &CString, stream: i32) -> Result<AeronSubscription, BridgeError> {
        self.aeron
            .async_add_subscription(channel, stream, Handlers::NONE, Handlers::NONE)
            .map_err(aeron_err("add subscription"))?
            .poll_blocking(ADD_TIMEOUT)
            .map_err(aeron_err(&format!("subscription on stream {stream}")))
    }
}

/// Waits after a turn that did nothing, as [`Waiting`] says.
#[derive(Debug)]
struct Idle {
    waiting: Waiting,
    empty: u32,
}

impl Idle {
    fn new(waiting: Waiting) -> Idle {
        Idle { waiting, empty: 0 }
    }

    fn idle(&mut self, work: usize) {
        if work > 0 {
            self.empty = 0;
            return;
        }
        self.empty = self.empty.saturating_add(1);
        match (self.waiting, self.empty) {
            (Waiting::Spin, _) | (_, 0..=100) => std::hint::spin_loop(),
            (Waiting::Yield, _) | (Waiting::Backoff, 101..=200) => std::thread::yield_now(),
            (Waiting::Backoff, n) => std::thread::sleep(Duration::from_micros(u64::from((n - 200).min(100)))),
        }
    }
}

/// What `mdbus bridge out` is asked to do.
#[derive(Debug, Clone)]
pub struct OutConfig {
    /// The rings to send.
    pub dir: RingDir,
    /// Aeron channel URI, e.g. `aeron:udp?endpoint=10.0.0.2:40456`.
    pub channel: String,
    /// Which rings (shell pattern over ring names).
    pub rings: String,
    /// The media driver.
    pub driver: DriverChoice,
    /// How the loop and an embedded driver wait.
    pub waiting: Waiting,
}

/// Counts of one sent ring, as [`run_out`] reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OutStatus {
    /// Ring name.
    pub ring: String,
    /// Records sent.
    pub sent: u64,
    /// Records the ring's writer overwrote before they were sent.
    pub lost: u64,
    /// Records not sent yet.
    pub lag: u64,
}

/// Sends the rings of `cfg.dir` that match `cfg.rings` until `stop` is set, each on its own
/// stream of `cfg.channel`, from its oldest record on; rings that appear later are picked up
/// within a second. Calls `report` about once a second.
///
/// # Errors
///
/// [`BridgeError::Aeron`] when the driver or the channel cannot be set up,
/// [`BridgeError::Pattern`] for a bad pattern, [`BridgeError::Open`] when the directory cannot
/// be listed.
pub fn run_out(cfg: &OutConfig, stop: &AtomicBool, mut report: impl FnMut(&[OutStatus])) -> Result<(), BridgeError> {
    let mut source = Source::new(cfg.dir.clone(), &cfg.rings)?;
    let link = Link::connect(&cfg.driver, cfg.waiting)?;
    let channel = cstring(&cfg.channel)?;
    let control = link.publication(&channel, CONTROL_STREAM)?;
    let mut pubs: Vec<AeronExclusivePublication> = Vec::new();
    let (mut announced, mut table_sent) = (None::<Instant>, None::<Instant>);
    let mut last_table: Option<Vec<u8>> = None;
    let mut idle = Idle::new(cfg.waiting);
    while !stop.load(Ordering::Relaxed) {
        if announced.is_none_or(|t| t.elapsed() >= ANNOUNCE_EVERY) {
            announced = Some(Instant::now());
            source.rescan()?;
            for ring in &source.rings()[pubs.len()..] {
                pubs.push(link.publication(&channel, ring.announce().stream)?);
            }
            for ring in source.rings() {
                // Not sent now (not connected yet, back-pressured): sent again in a second.
                let _ = control.offer(&Control::Announce(ring.announce().clone()).to_bytes());
            }
            if let Some(table) = source.instruments()? {
                let changed = last_table.as_ref() != Some(&table);
                if (changed || table_sent.is_none_or(|t| t.elapsed() >= TABLE_EVERY))
                    && control.offer(&Control::Instruments(table.clone()).to_bytes()).is_ok()
                {
                    table_sent = Some(Instant::now());
                    last_table = Some(table);
                }
            }
            report(
                &source
                    .rings()
                    .iter()
                    .map(|r| OutStatus { ring: r.announce().name.clone(), sent: r.sent, lost: r.lost, lag: r.lag() })
                    .collect::<Vec<_>>(),
            );
        }
        let mut work = 0;
        for (ring, publication) in source.rings_mut().iter_mut().zip(&pubs) {
            work += ring.pump(BATCH, MESSAGE_BYTES, |msg| publication.offer(msg).is_ok());
        }
        idle.idle(work);
    }
    Ok(())
}

/// What `mdbus bridge in` is asked to do.
#[derive(Debug, Clone)]
pub struct InConfig {
    /// Where the mirrors are written.
    pub dir: RingDir,
    /// Aeron channel URI, the same as the sending side's.
    pub channel: String,
    /// The media driver.
    pub driver: DriverChoice,
    /// How the loop and an embedded driver wait.
    pub waiting: Waiting,
}

/// Counts of one mirrored ring, as [`run_in`] reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InStatus {
    /// Ring name.
    pub ring: String,
    /// The sequence number its next record will get.
    pub head: u64,
    /// Its counts.
    pub stats: MirrorStats,
}

/// What the control stream's handler collects in one poll.
struct ControlTurn<'a> {
    mirrors: &'a mut MirrorSet,
    subscribe: Vec<i32>,
    errors: u64,
    last_error: Option<BridgeError>,
}

fn on_control(turn: &mut ControlTurn<'_>, msg: &[u8], _header: AeronHeader) {
    match turn.mirrors.control(msg) {
        Ok(Some(stream)) => turn.subscribe.push(stream),
        Ok(None) => {}
        Err(e) => {
            turn.errors += 1;
            turn.last_error = Some(e);
        }
    }
}

/// What a ring stream's handler needs.
struct DataTurn<'a> {
    mirrors: &'a mut MirrorSet,
    stream: i32,
    errors: u64,
    last_error: Option<BridgeError>,
}

fn on_record(turn: &mut DataTurn<'_>, msg: &[u8], _header: AeronHeader) {
    if let Err(e) = turn.mirrors.record(turn.stream, msg) {
        turn.errors += 1;
        turn.last_error = Some(e);
    }
}

/// One ring's subscription.
struct Stream {
    id: i32,
    subscription: AeronSubscription,
    assembler: AeronFragmentClosureAssembler,
}

/// Mirrors what arrives on `cfg.channel` into rings of `cfg.dir` until `stop` is set: rings as
/// they are announced, records at their sequence numbers, the instrument table beside them.
/// A message that is not valid is dropped and counted, and the loop goes on (a warning names
/// the last problem, at most once a second). Calls `report` about once a second.
///
/// # Errors
///
/// [`BridgeError::Aeron`] when the driver or the channel cannot be set up.
pub fn run_in(cfg: &InConfig, stop: &AtomicBool, mut report: impl FnMut(&[InStatus])) -> Result<(), BridgeError> {
    let link = Link::connect(&cfg.driver, cfg.waiting)?;
    let channel = cstring(&cfg.channel)?;
    let control = link.subscription(&channel, CONTROL_STREAM)?;
    let mut control_asm = AeronFragmentClosureAssembler::new().map_err(aeron_err("fragment assembler"))?;
    let mut mirrors = MirrorSet::new(cfg.dir.clone());
    let mut streams: Vec<Stream> = Vec::new();
    let mut idle = Idle::new(cfg.waiting);
    let (mut reported, mut beat) = (Instant::now(), Instant::now());
    let (mut errors, mut last_error) = (0u64, None::<BridgeError>);
    while !stop.load(Ordering::Relaxed) {
        let mut turn = ControlTurn { mirrors: &mut mirrors, subscribe: Vec::new(), errors: 0, last_error: None };
        let mut work =
            control_asm.poll(&control, &mut turn, on_control, 16).map_err(aeron_err("poll"))?.max(0) as usize;
        let ControlTurn { subscribe, errors: e, last_error: le, .. } = turn;
        errors += e;
        last_error = le.or(last_error);
        for id in subscribe {
            streams.push(Stream {
                id,
                subscription: link.subscription(&channel, id)?,
                assembler: AeronFragmentClosureAssembler::new().map_err(aeron_err("fragment assembler"))?,
            });
        }
        for s in &mut streams {
            let mut turn = DataTurn { mirrors: &mut mirrors, stream: s.id, errors: 0, last_error: None };
            work += s.assembler.poll(&s.subscription, &mut turn, on_record, BATCH).map_err(aeron_err("poll"))?.max(0)
                as usize;
            errors += turn.errors;
            last_error = turn.last_error.or(last_error);
        }
        if beat.elapsed() >= HEARTBEAT_EVERY {
            beat = Instant::now();
            mirrors.heartbeat();
        }
        if reported.elapsed() >= ANNOUNCE_EVERY {
            reported = Instant::now();
            if let Some(e) = last_error.take() {
                tracing::warn!(dropped = errors, "messages dropped; the last: {e}");
                errors = 0;
            }
            let mut status: Vec<InStatus> = mirrors
                .rings()
                .map(|r| InStatus { ring: r.announce().name.clone(), head: r.head(), stats: r.stats })
                .collect();
            status.sort_by(|a, b| a.ring.cmp(&b.ring));
            report(&status);
        }
        idle.idle(work);
    }
    Ok(())
}
