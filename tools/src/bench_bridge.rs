//! `mdbus bench bridge`: the bridge's one-way latency and throughput, on loopback and across a
//! veth pair between two network namespaces, beside Aeron's own ping over the same path (with
//! the same media driver settings) and the UDP round trip ÷ 2 as the floor.
//!
//! Every half runs as its own process (`mdbus internal ...`), on the "sending" host A and the
//! "receiving" host B; on loopback both are this host, across the pair each runs in its
//! namespace (`ip netns exec`). One-way times compare clocks of one machine.

use std::{
    io::Write,
    net::UdpSocket,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use mdbus_bridge::transport::{DriverChoice, Link, Waiting, cstring};
use mdbus_bus::{ReadError, RingDir, RingOptions, Start, now_ns};
use mdbus_schemas::{Kind, Marker, MarkerCode, Nanos, Trade};
use serde_json::{Value, json};

use crate::stats::{Summary, new_histogram};

/// What went wrong in a run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BridgeBenchError {
    /// A helper process failed or said something unexpected.
    #[error("helper: {0}")]
    Helper(String),
    /// I/O.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The bridge or Aeron.
    #[error(transparent)]
    Bridge(#[from] mdbus_bridge::BridgeError),
    /// A ring.
    #[error(transparent)]
    Open(#[from] mdbus_bus::OpenError),
}

/// What to measure.
#[derive(Debug, Clone)]
pub struct BridgeBenchConfig {
    /// Latency samples per transport (after `warmup`).
    pub samples: u64,
    /// Samples discarded first.
    pub warmup: u64,
    /// Microseconds between records (and pings) in the latency runs.
    pub period_us: u64,
    /// Records in the throughput run.
    pub records: u64,
    /// Also measure across a veth pair (needs root and iproute2).
    pub veth: bool,
    /// Scratch directory for the rings.
    pub dir: PathBuf,
    /// How the bridge, Aeron's ping and pong, and their media drivers wait: `backoff`, `yield`
    /// or `spin` (`mdbus bridge --wait`).
    pub wait: String,
}

/// `backoff`, `yield` or `spin` as a [`Waiting`].
///
/// # Errors
///
/// [`BridgeBenchError::Helper`] for another word.
pub fn waiting(word: &str) -> Result<Waiting, BridgeBenchError> {
    match word {
        "backoff" => Ok(Waiting::Backoff),
        "yield" => Ok(Waiting::Yield),
        "spin" => Ok(Waiting::Spin),
        other => Err(BridgeBenchError::Helper(format!("unknown waiting {other:?}: backoff, yield or spin"))),
    }
}

/// The figures of one path.
#[derive(Debug, Clone, Default)]
pub struct PathFigures {
    /// `loopback` or `veth`.
    pub path: String,
    /// UDP round trip ÷ 2.
    pub udp: Summary,
    /// Aeron's ping: round trip ÷ 2 through two media drivers.
    pub aeron: Summary,
    /// Ring ► bridge out ► Aeron ► bridge in ► ring ► reader, one way.
    pub bridge: Summary,
    /// Records per second through the bridge, unpaced writer, in millions.
    pub mrec_s: f64,
    /// Records the throughput run lost on the way.
    pub lost: u64,
}

/// Ports the runs use (on B; A's pong port is the next one).
const PORT: u16 = 40470;
const PING_STREAM: i32 = 1002;
const PONG_STREAM: i32 = 1003;

/// Starts `exe` with `args` (words split at spaces: the benchmark's own paths and URIs have
/// none) on a host: through `prefix` (`ip netns exec NS`), or directly when it is empty.
fn helper(prefix: &[String], exe: &Path, args: &str) -> Result<Child, BridgeBenchError> {
    let mut cmd = match prefix.split_first() {
        Some((p, rest)) => {
            let mut c = Command::new(p);
            c.args(rest).arg(exe);
            c
        }
        None => Command::new(exe),
    };
    Ok(cmd.args(args.split_whitespace()).stdout(Stdio::piped()).spawn()?)
}

/// Waits for a helper and returns the JSON object it printed last.
fn report(child: Child) -> Result<Value, BridgeBenchError> {
    let out = child.wait_with_output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().rev().find(|l| l.starts_with('{')).unwrap_or_default();
    if !out.status.success() || line.is_empty() {
        return Err(BridgeBenchError::Helper(format!("exit {:?}, said {text:?}", out.status.code())));
    }
    serde_json::from_str(line).map_err(|e| BridgeBenchError::Helper(format!("{e}: {line}")))
}

fn stop(mut child: Child) {
    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(10) {
        if child.try_wait().ok().flatten().is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// One path: `prefix_a`/`prefix_b` run a helper on host A/B; `addr_a`/`addr_b` are their
/// addresses.
fn measure_path(
    cfg: &BridgeBenchConfig,
    exe: &Path,
    path: &str,
    (a, addr_a): (&[String], &str),
    (b, addr_b): (&[String], &str),
) -> Result<PathFigures, BridgeBenchError> {
    let (total, warmup, period, wait) = (cfg.warmup + cfg.samples, cfg.warmup, cfg.period_us, &cfg.wait);
    let paced = format!("--count {total} --warmup {warmup} --period-us {period}");

    // UDP round trip ÷ 2.
    let echo = helper(b, exe, &format!("internal udp-echo --bind {addr_b}:{PORT}"))?;
    std::thread::sleep(Duration::from_millis(300));
    let ping = helper(a, exe, &format!("internal udp-ping --to {addr_b}:{PORT} {paced}"))?;
    let udp = Summary::from_json(&report(ping)?["latency"]);
    stop(echo);

    // Aeron's ping through two media drivers.
    let chans = format!(
        "--ping aeron:udp?endpoint={addr_b}:{} --pong aeron:udp?endpoint={addr_a}:{} --wait {wait}",
        PORT + 2,
        PORT + 3
    );
    let pong = helper(b, exe, &format!("internal aeron-pong {chans}"))?;
    let ping = helper(a, exe, &format!("internal aeron-ping {chans} {paced}"))?;
    let aeron = Summary::from_json(&report(ping)?["latency"]);
    stop(pong);

    // The bridge: a writer in A, the two commands, a reader in B.
    let (dir_a, dir_b) = (cfg.dir.join(format!("{path}-a")), cfg.dir.join(format!("{path}-b")));
    let _ = std::fs::remove_dir_all(&dir_a);
    let _ = std::fs::remove_dir_all(&dir_b);
    let (da, db) = (dir_a.display(), dir_b.display());
    let bridge = format!("--channel aeron:udp?endpoint={addr_b}:{} --wait {wait}", PORT + 4);
    let b_in = helper(b, exe, &format!("--dir {db} bridge in {bridge}"))?;
    let a_out = helper(a, exe, &format!("--dir {da} bridge out {bridge}"))?;
    // One ring paced for latency, then one filled back to back for throughput, into a ring
    // that holds every record so that nothing laps.
    let run = |ring: &str, count: u64, warmup: u64, period: u64| -> Result<Value, BridgeBenchError> {
        let reader = helper(
            b,
            exe,
            &format!("internal bridge-reader --dir {db} --ring {ring} --count {count} --warmup {warmup} --wait {wait}"),
        )?;
        let writer = helper(
            a,
            exe,
            &format!("internal bridge-writer --dir {da} --ring {ring} --count {count} --period-us {period}"),
        )?;
        report(writer)?;
        report(reader)
    };
    let bridge = Summary::from_json(&run("bench.lat", total, warmup, period)?["latency"]);
    let tp = run("bench.tp", cfg.records, 0, 0)?;
    stop(a_out);
    stop(b_in);
    let _ = std::fs::remove_dir_all(&dir_a);
    let _ = std::fs::remove_dir_all(&dir_b);
    let g = |k: &str| tp[k].as_u64().unwrap_or(0);
    let span = g("last_ns").saturating_sub(g("first_ns")).max(1);
    Ok(PathFigures {
        path: path.into(),
        udp,
        aeron,
        bridge,
        mrec_s: g("delivered") as f64 * 1e3 / span as f64,
        lost: g("lost"),
    })
}

/// Two network namespaces joined by a veth pair, removed when dropped.
struct Veth {
    a: String,
    b: String,
}

impl Veth {
    fn new() -> Result<Veth, BridgeBenchError> {
        let id = std::process::id() % 100_000;
        let v = Veth { a: format!("mdbbA{id}"), b: format!("mdbbB{id}") };
        let (da, db) = (format!("mba{id}"), format!("mbb{id}"));
        let ip = |args: &[&str]| -> Result<(), BridgeBenchError> {
            let out = Command::new("ip").args(args).output()?;
            if !out.status.success() {
                return Err(BridgeBenchError::Helper(format!(
                    "ip {}: {}",
                    args.join(" "),
                    String::from_utf8_lossy(&out.stderr)
                )));
            }
            Ok(())
        };
        ip(&["netns", "add", &v.a])?;
        ip(&["netns", "add", &v.b])?;
        ip(&["link", "add", &da, "type", "veth", "peer", "name", &db])?;
        ip(&["link", "set", &da, "netns", &v.a])?;
        ip(&["link", "set", &db, "netns", &v.b])?;
        for (ns, dev, addr) in [(&v.a, &da, "10.202.0.1/24"), (&v.b, &db, "10.202.0.2/24")] {
            ip(&["-n", ns, "addr", "add", addr, "dev", dev])?;
            ip(&["-n", ns, "link", "set", dev, "up"])?;
            ip(&["-n", ns, "link", "set", "lo", "up"])?;
        }
        Ok(v)
    }
}

impl Drop for Veth {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.a]).status();
        let _ = Command::new("ip").args(["netns", "del", &self.b]).status();
    }
}

/// Runs every path. `exe` is the `mdbus` binary (built with the `aeron` feature).
///
/// # Errors
///
/// When a helper fails or the namespaces cannot be made.
pub fn run(cfg: &BridgeBenchConfig, exe: &Path) -> Result<Vec<PathFigures>, BridgeBenchError> {
    let mut out = vec![measure_path(cfg, exe, "loopback", (&[], "127.0.0.1"), (&[], "127.0.0.1"))?];
    if cfg.veth {
        let v = Veth::new()?;
        let pa: Vec<String> = ["ip", "netns", "exec", &v.a].map(String::from).to_vec();
        let pb: Vec<String> = ["ip", "netns", "exec", &v.b].map(String::from).to_vec();
        out.push(measure_path(cfg, exe, "veth", (&pa, "10.202.0.1"), (&pb, "10.202.0.2"))?);
    }
    Ok(out)
}

/// The figures as a Markdown table, with the ratios against the floor and Aeron's ping.
pub fn to_markdown(figures: &[PathFigures]) -> String {
    let mut t = String::from(
        "| path | transport | p50 ns | p90 ns | p99 ns | max ns | p50 / UDP floor | p50 / Aeron ping | Mrec/s | lost |\n|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for f in figures {
        let floor = f.udp.p50.max(1) as f64;
        let ping = f.aeron.p50.max(1) as f64;
        for (name, sm, tp) in [
            ("UDP round trip ÷ 2 (floor)", &f.udp, None),
            ("Aeron ping, round trip ÷ 2", &f.aeron, None),
            ("**mdbus bridge**, one way", &f.bridge, Some((f.mrec_s, f.lost))),
        ] {
            let (rate, lost) =
                tp.map_or(("–".to_owned(), "–".to_owned()), |(r, l)| (format!("{r:.2}"), l.to_string()));
            t.push_str(&format!(
                "| {} | {name} | {} | {} | {} | {} | {:.2} | {:.2} | {rate} | {lost} |\n",
                f.path,
                sm.p50,
                sm.p90,
                sm.p99,
                sm.max,
                sm.p50 as f64 / floor,
                sm.p50 as f64 / ping
            ));
        }
    }
    t
}

/// The figures as one JSON object.
pub fn to_json(figures: &[PathFigures]) -> Value {
    let mut m = serde_json::Map::new();
    for f in figures {
        let p = &f.path;
        m.insert(format!("{p}_udp"), f.udp.to_json());
        m.insert(format!("{p}_aeron_ping"), f.aeron.to_json());
        m.insert(format!("{p}_bridge"), f.bridge.to_json());
        m.insert(format!("{p}_bridge_mrec_s"), json!(f.mrec_s));
        m.insert(format!("{p}_bridge_lost"), json!(f.lost));
    }
    Value::Object(m)
}

fn print(v: Value) -> Result<(), BridgeBenchError> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{v}")?;
    out.flush()?;
    Ok(())
}

/// Sleeps until `deadline` (spinning for the last 50 µs).
fn pace(deadline: Instant) {
    loop {
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        if deadline - now > Duration::from_micros(50) {
            std::thread::sleep(deadline - now - Duration::from_micros(50));
        } else {
            std::hint::spin_loop();
        }
    }
}

/// Helper: echoes datagrams back until nothing arrives for 10 s.
///
/// # Errors
///
/// When the socket cannot be bound.
pub fn udp_echo(bind: &str) -> Result<(), BridgeBenchError> {
    let sock = UdpSocket::bind(bind)?;
    sock.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut buf = [0u8; 2048];
    while let Ok((n, from)) = sock.recv_from(&mut buf) {
        sock.send_to(&buf[..n], from)?;
    }
    Ok(())
}

/// Helper: `count` 64-byte pings, one per `period_us`, each waiting for its echo; prints the
/// round trip ÷ 2 after `warmup`.
///
/// # Errors
///
/// When the echo does not answer within 2 s.
pub fn udp_ping(to: &str, count: u64, warmup: u64, period_us: u64) -> Result<(), BridgeBenchError> {
    let sock = UdpSocket::bind("0.0.0.0:0")?;
    sock.connect(to)?;
    sock.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut h = new_histogram();
    let mut buf = [0u8; 64];
    let mut next = Instant::now();
    for i in 0..count {
        next += Duration::from_micros(period_us);
        pace(next);
        let t0 = Instant::now();
        buf[..8].copy_from_slice(&i.to_le_bytes());
        sock.send(&buf)?;
        loop {
            let n = sock.recv(&mut buf)?;
            if n >= 8 && buf[..8] == i.to_le_bytes() {
                break;
            }
        }
        if i >= warmup {
            let _ = h.record((t0.elapsed().as_nanos() / 2) as u64);
        }
    }
    print(json!({ "latency": Summary::of(&h).to_json() }))
}

/// One wait of a helper's loop that found nothing: a spin for `spin`, else a yield of the core
/// (with more busy threads than cores, a spinning client would hold its core for a whole
/// scheduler slice while the media driver it waits for sits ready to run).
fn idle_once(wait: &str) {
    if wait == "spin" {
        std::hint::spin_loop();
    } else {
        std::thread::yield_now();
    }
}

fn driver_link(wait: &str) -> Result<Link, BridgeBenchError> {
    Ok(Link::connect(&DriverChoice::Embedded, waiting(wait)?)?)
}

fn offer(publication: &rusteron_client::AeronExclusivePublication, msg: &[u8]) {
    let t0 = Instant::now();
    while publication.offer(msg).is_err() && t0.elapsed() < Duration::from_secs(10) {
        std::hint::spin_loop();
    }
}

/// Helper: Aeron's pong, with its own embedded media driver: echoes every message of `ping` on
/// `pong` until nothing arrives for 10 s.
///
/// # Errors
///
/// When Aeron cannot be set up.
pub fn aeron_pong(ping: &str, pong: &str, wait: &str) -> Result<(), BridgeBenchError> {
    let link = driver_link(wait)?;
    let sub = link.subscription(&cstring(ping)?, PING_STREAM)?;
    let publication = link.publication(&cstring(pong)?, PONG_STREAM)?;
    let mut last = Instant::now();
    while last.elapsed() < Duration::from_secs(10) {
        let n = sub
            .poll_fn(|msg, _| offer(&publication, msg), 10)
            .map_err(|e| BridgeBenchError::Helper(format!("poll: {e:?}")))?;
        if n > 0 {
            last = Instant::now();
        } else {
            idle_once(wait);
        }
    }
    Ok(())
}

/// Helper: Aeron's ping, with its own embedded media driver: `count` pings, one per
/// `period_us`; prints the round trip ÷ 2 after `warmup`.
///
/// # Errors
///
/// When Aeron cannot be set up or the pong does not answer.
pub fn aeron_ping(
    ping: &str,
    pong: &str,
    wait: &str,
    count: u64,
    warmup: u64,
    period_us: u64,
) -> Result<(), BridgeBenchError> {
    let link = driver_link(wait)?;
    let sub = link.subscription(&cstring(pong)?, PONG_STREAM)?;
    let publication = link.publication(&cstring(ping)?, PING_STREAM)?;
    let t0 = Instant::now();
    while !(publication.is_connected() && sub.is_connected()) {
        if t0.elapsed() > Duration::from_secs(15) {
            return Err(BridgeBenchError::Helper("the pong never connected".into()));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut h = new_histogram();
    let mut next = Instant::now();
    for i in 0..count {
        next += Duration::from_micros(period_us);
        pace(next);
        let sent = Instant::now();
        offer(&publication, &i.to_le_bytes());
        let mut got = false;
        while !got {
            let n = sub
                .poll_fn(|msg, _| got |= msg.get(..8) == Some(&i.to_le_bytes()[..]), 10)
                .map_err(|e| BridgeBenchError::Helper(format!("poll: {e:?}")))?;
            if n == 0 {
                idle_once(wait);
            }
            if sent.elapsed() > Duration::from_secs(5) {
                return Err(BridgeBenchError::Helper(format!("ping {i} never came back")));
            }
        }
        if i >= warmup {
            let _ = h.record((sent.elapsed().as_nanos() / 2) as u64);
        }
    }
    print(json!({ "latency": Summary::of(&h).to_json() }))
}

/// Helper: `count` trades into ring `ring` of `dir`, each stamped with the wall clock as it is
/// published, one per `period_us` (0: back to back, into a ring that holds them all).
///
/// # Errors
///
/// When the ring cannot be created.
pub fn bridge_writer(dir: &Path, ring: &str, count: u64, period_us: u64) -> Result<(), BridgeBenchError> {
    let capacity = count.next_power_of_two().max(1024);
    let mut w = RingDir::new(dir).writer(ring, Kind::TRADE, &RingOptions::default().capacity(capacity))?;
    // Give the bridge time to find the ring and the receiver to subscribe to its stream.
    std::thread::sleep(Duration::from_millis(2500));
    let mut next = Instant::now();
    for i in 0..count {
        if period_us > 0 {
            next += Duration::from_micros(period_us);
            pace(next);
        }
        let mut t = Trade { price: i as i64, ..Trade::default() };
        t.header.venue_ts = Nanos(now_ns());
        let _ = w.publish(&t);
    }
    // Keep the writer (its lock) until the bridge has sent everything.
    std::thread::sleep(Duration::from_millis(500));
    print(json!({ "written": count }))
}

/// Helper: reads ring `ring` of `dir` (waiting for it to appear) until `count` trades were
/// delivered or lost; prints the one-way latency after `warmup`, what was delivered and lost,
/// and when the first and last trades arrived.
///
/// # Errors
///
/// When the ring does not appear within 30 s, or stays silent for 30 s.
pub fn bridge_reader(dir: &Path, ring: &str, count: u64, warmup: u64, wait: &str) -> Result<(), BridgeBenchError> {
    let rd = RingDir::new(dir);
    let t0 = Instant::now();
    let mut r = loop {
        match rd.reader(ring, Start::Oldest) {
            Ok(r) => break r,
            Err(e) if t0.elapsed() > Duration::from_secs(30) => return Err(e.into()),
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    };
    let mut h = new_histogram();
    let (mut delivered, mut lost, mut first, mut last) = (0u64, 0u64, 0u64, 0u64);
    let mut run: Option<(u64, u64)> = None;
    let mut quiet = Instant::now();
    while delivered + lost < count {
        match r.try_read() {
            Ok(rec) => {
                quiet = Instant::now();
                let now = now_ns();
                if let Some(t) = rec.get::<Trade>() {
                    if delivered >= warmup {
                        let _ = h.record(now.saturating_sub(t.header.venue_ts.0).max(1));
                    }
                    delivered += 1;
                    if first == 0 {
                        first = now;
                    }
                    last = now;
                } else if let Some(m) = rec.get::<Marker>().filter(|m| m.code == MarkerCode::GAP) {
                    if run.is_none_or(|(s, d)| rec.seq() != s + 1 || m.detail + 1 != d) {
                        lost += m.detail;
                    }
                    run = Some((rec.seq(), m.detail));
                }
            }
            Err(ReadError::Overrun { lost: l }) => lost += l,
            Err(ReadError::Empty) => {
                if quiet.elapsed() > Duration::from_secs(30) {
                    return Err(BridgeBenchError::Helper(format!("{ring}: nothing for 30 s")));
                }
                idle_once(wait);
            }
        }
    }
    print(json!({
        "latency": Summary::of(&h).to_json(), "delivered": delivered, "lost": lost,
        "first_ns": first, "last_ns": last,
    }))
}
