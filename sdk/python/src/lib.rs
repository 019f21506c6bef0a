//! `mdbus._native`: the Rust side of the `mdbus` Python package (PyO3). Records come out as
//! dicts with their instrument resolved and prices and quantities as exact `decimal.Decimal`;
//! raw record bytes come out for `read_array()`, which the Python side turns into a numpy
//! structured array without a Python object per record. The limiter is the SDK's, shared with
//! Rust processes through the same file; the signers and venue feeds are the SDK's too.
//!
//! The waits (`Subscriber.next`, iteration, `RateLimiter.acquire`) release the GIL.

use std::time::{Duration, Instant};

use mdbus_bus::{BookState, BookTable, RingDir, Start};
use mdbus_schemas::{Decimal, FAMILIES, HEADER_FIELDS, Header, Instrument, LAYOUT_HASH, RecordView, SCHEMA_VERSION};
use mdbus_sdk::{
    error::Error as SdkError,
    rate_limit::{Acquire, Limiter, Request, Rule},
    registry::{FeedOptions, Registry, VenueFeed},
    subscriber::{Event, SubscribeError, Subscriber as RustSubscriber},
};
use pyo3::{
    create_exception,
    exceptions::{PyException, PyValueError},
    prelude::*,
    types::{PyBytes, PyDict, PyList},
};

create_exception!(_native, BtApiError, PyException, "Every mdbus error: args are (message, code, retryable, network).");
create_exception!(_native, ExchangeNotFoundError, BtApiError, "No venue feed under this registry key.");
create_exception!(_native, NetworkError, BtApiError, "The venue could not be reached, or did not answer in time.");
create_exception!(_native, AuthenticationError, BtApiError, "The venue refused the credentials or the signature.");
create_exception!(_native, RateLimitError, BtApiError, "A rate limit refused the request.");
create_exception!(_native, InvalidOrderError, BtApiError, "The venue refused the order as given.");
create_exception!(_native, InsufficientBalanceError, BtApiError, "Not enough balance for the order.");
create_exception!(_native, OrderNotFoundError, BtApiError, "The venue knows no such order.");
create_exception!(_native, InvalidSymbolError, BtApiError, "The venue knows no such symbol.");
create_exception!(_native, NotSupportedError, BtApiError, "The venue feed does not offer this operation.");
create_exception!(_native, RequestError, BtApiError, "The venue refused the request, or its answer could not be read.");
create_exception!(_native, RingError, BtApiError, "A ring, its instrument table or its book table could not be read.");

/// The Python exception for an SDK error, carrying its code and predicates.
fn sdk_err(e: SdkError) -> PyErr {
    let args = (e.to_string(), format!("{:?}", e.code()), e.is_retryable(), e.is_network());
    match e {
        SdkError::ExchangeNotFound { .. } => ExchangeNotFoundError::new_err(args),
        SdkError::Authentication { .. } => AuthenticationError::new_err(args),
        SdkError::RateLimit { .. } => RateLimitError::new_err(args),
        SdkError::InvalidOrder { .. } | SdkError::Order { .. } => InvalidOrderError::new_err(args),
        SdkError::InsufficientBalance { .. } => InsufficientBalanceError::new_err(args),
        SdkError::OrderNotFound { .. } => OrderNotFoundError::new_err(args),
        SdkError::InvalidSymbol { .. } => InvalidSymbolError::new_err(args),
        SdkError::NotSupported { .. } => NotSupportedError::new_err(args),
        _ if e_is_network(&args) => NetworkError::new_err(args),
        _ => RequestError::new_err(args),
    }
}

fn e_is_network(args: &(String, String, bool, bool)) -> bool {
    args.3
}

/// `"buy"` or `"sell"`.
fn side_of(side: &str) -> PyResult<mdbus_sdk::order::Side> {
    match side {
        "buy" => Ok(mdbus_sdk::order::Side::Buy),
        "sell" => Ok(mdbus_sdk::order::Side::Sell),
        other => Err(PyValueError::new_err(format!("side must be \"buy\" or \"sell\", not {other:?}"))),
    }
}

/// An exact decimal from a `Decimal`, an int or text (`what` names it in the error).
fn dec_of(v: &Bound<'_, PyAny>, what: &str) -> PyResult<Decimal> {
    v.str()?.to_string().parse().map_err(|e| PyValueError::new_err(format!("{what}: {e}")))
}

fn ring_err(e: impl std::fmt::Display) -> PyErr {
    RingError::new_err((e.to_string(), "Ring".to_owned(), false, false))
}

/// `mantissa × 10^exp` as a `decimal.Decimal`, exactly.
fn dec<'py>(py: Python<'py>, mantissa: i64, exp: i8) -> PyResult<Bound<'py, PyAny>> {
    let decimal = py.import("decimal")?.getattr("Decimal")?;
    decimal.call1((Decimal::new(i128::from(mantissa), exp).to_string(),))
}

fn header<'py>(py: Python<'py>, h: &Header, inst: Option<&Instrument>) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("kind", h.kind.name().unwrap_or("unknown"))?;
    d.set_item("seq", h.seq)?;
    d.set_item("flags", h.flags)?;
    d.set_item("venue", h.venue.0)?;
    d.set_item("instrument", h.instrument.0)?;
    d.set_item("symbol", inst.map(|i| i.symbol.as_str()))?;
    d.set_item("venue_seq", h.venue_seq)?;
    d.set_item("venue_ts", h.venue_ts.0)?;
    d.set_item("recv_ts", h.recv_ts.0)?;
    d.set_item("publish_ts", h.publish_ts.0)?;
    Ok(d)
}

/// One record as a dict: the header's fields, the symbol, and the family's fields with prices
/// and quantities as `Decimal` at the instrument's exponents (integer mantissas when the
/// instrument is unknown).
fn record<'py>(py: Python<'py>, view: RecordView<'_>, inst: Option<&Instrument>) -> PyResult<Bound<'py, PyDict>> {
    let (pe, qe) = inst.map_or((None, None), |i| (Some(i.price_exp), Some(i.qty_exp)));
    let num = |m: i64, exp: Option<i8>| -> PyResult<Bound<'py, PyAny>> {
        match exp {
            Some(e) => dec(py, m, e),
            None => Ok(m.into_pyobject(py)?.into_any()),
        }
    };
    let both = pe.zip(qe).and_then(|(p, q)| p.checked_add(q));
    let d = header(py, view.header(), inst)?;
    match view {
        RecordView::Quote(q) => {
            d.set_item("bid_price", num(q.bid_px, pe)?)?;
            d.set_item("bid_qty", num(q.bid_qty, qe)?)?;
            d.set_item("ask_price", num(q.ask_px, pe)?)?;
            d.set_item("ask_qty", num(q.ask_qty, qe)?)?;
        }
        RecordView::Trade(t) => {
            d.set_item("price", num(t.price, pe)?)?;
            d.set_item("qty", num(t.qty, qe)?)?;
            d.set_item("trade_id", t.id().to_string())?;
            d.set_item("side", if t.header.flags & mdbus_schemas::flags::SELL != 0 { "sell" } else { "buy" })?;
        }
        RecordView::BookDelta(b) => {
            d.set_item("side", if b.header.flags & mdbus_schemas::flags::ASK != 0 { "ask" } else { "bid" })?;
            d.set_item("price", num(b.price, pe)?)?;
            d.set_item("qty", num(b.qty, qe)?)?;
        }
        RecordView::BookSnapshot(s) => {
            let side = |levels: &[mdbus_schemas::Level]| -> PyResult<Bound<'py, PyList>> {
                let l = PyList::empty(py);
                for lv in levels {
                    l.append((num(lv.price, pe)?, num(lv.qty, qe)?))?;
                }
                Ok(l)
            };
            d.set_item("bids", side(&s.bids[..usize::from(s.bid_count).min(s.bids.len())])?)?;
            d.set_item("asks", side(&s.asks[..usize::from(s.ask_count).min(s.asks.len())])?)?;
        }
        RecordView::Bar(b) => {
            d.set_item("open", num(b.open, pe)?)?;
            d.set_item("high", num(b.high, pe)?)?;
            d.set_item("low", num(b.low, pe)?)?;
            d.set_item("close", num(b.close, pe)?)?;
            d.set_item("volume", num(b.volume, qe)?)?;
            d.set_item("quote_volume", num(b.quote_volume, both)?)?;
            d.set_item("trades", b.trades)?;
            d.set_item("start_ts", b.start_ts.0)?;
            d.set_item("interval_ns", b.interval_ns)?;
        }
        RecordView::Marker(m) => {
            d.set_item("code", m.code.name().unwrap_or("unknown"))?;
            d.set_item("detail", m.detail)?;
        }
        RecordView::Order(o) => {
            d.set_item("price", num(o.price, pe)?)?;
            d.set_item("qty", num(o.qty, qe)?)?;
            d.set_item("filled_qty", num(o.filled_qty, qe)?)?;
            d.set_item("avg_price", num(o.avg_price, pe)?)?;
            d.set_item("account", o.account)?;
            d.set_item("status", o.status.0)?;
            d.set_item("side", o.side)?;
            d.set_item("client_id", o.client_id.as_str())?;
            d.set_item("venue_order_id", o.venue_order_id.as_str())?;
        }
        RecordView::Fill(f) => {
            d.set_item("price", num(f.price, pe)?)?;
            d.set_item("qty", num(f.qty, qe)?)?;
            d.set_item("fee", dec(py, f.fee, f.fee_exp)?)?;
            d.set_item("fee_asset", f.fee_asset.as_str())?;
            d.set_item("account", f.account)?;
            d.set_item("side", f.side)?;
            d.set_item("client_id", f.client_id.as_str())?;
            d.set_item("venue_order_id", f.venue_order_id.as_str())?;
        }
        RecordView::Balance(b) => {
            d.set_item("asset", b.asset.as_str())?;
            d.set_item("free", dec(py, b.free, b.exponent)?)?;
            d.set_item("locked", dec(py, b.locked, b.exponent)?)?;
            d.set_item("account", b.account)?;
        }
        RecordView::Position(p) => {
            d.set_item("qty", num(p.qty, qe)?)?;
            d.set_item("entry_price", num(p.entry_price, pe)?)?;
            d.set_item("mark_price", num(p.mark_price, pe)?)?;
            d.set_item("liquidation_price", num(p.liquidation_price, pe)?)?;
            d.set_item("unrealized_pnl", dec(py, p.unrealized_pnl, p.pnl_exp)?)?;
            d.set_item("leverage", p.leverage)?;
            d.set_item("account", p.account)?;
        }
        _ => {}
    }
    Ok(d)
}

fn start_of(start: &Bound<'_, PyAny>) -> PyResult<Start> {
    if let Ok(seq) = start.extract::<u64>() {
        return Ok(Start::Seq(seq));
    }
    match start.extract::<String>()?.as_str() {
        "head" => Ok(Start::Head),
        "oldest" => Ok(Start::Oldest),
        other => Err(PyValueError::new_err(format!("start must be \"head\", \"oldest\" or a sequence, not {other:?}"))),
    }
}

fn sub_err(e: SubscribeError) -> PyErr {
    ring_err(e)
}

/// A ring's reader: records with their instrument resolved.
#[pyclass(module = "mdbus._native", unsendable, subclass)]
struct Subscriber {
    inner: RustSubscriber,
    raise_on_loss: bool,
}

impl Subscriber {
    /// The next event as a Python object: a record dict, or a `lost` / `writer_restarted`
    /// dict (or `Overrun` raised when asked to).
    fn take(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        let raise = self.raise_on_loss;
        let Some(ev) = self.inner.poll().map_err(sub_err)? else { return Ok(None) };
        let out = match ev {
            Event::Record { view, instrument } => record(py, view, instrument)?.into_any().unbind(),
            Event::Lost { lost } => {
                if raise {
                    return Err(Overrun::new_err((format!("{lost} records lost to an overrun"), lost)));
                }
                let d = PyDict::new(py);
                d.set_item("kind", "lost")?;
                d.set_item("lost", lost)?;
                d.into_any().unbind()
            }
            Event::WriterRestarted { generation, down } => {
                let d = PyDict::new(py);
                d.set_item("kind", "writer_restarted")?;
                d.set_item("generation", generation)?;
                d.set_item("down_s", down.map(|d| d.as_secs_f64()))?;
                d.into_any().unbind()
            }
            _ => return Ok(None),
        };
        Ok(Some(out))
    }

    /// Waits, without the GIL, until the ring has a record past this reader or `timeout`
    /// passes; returns whether one is there.
    fn wait(&self, py: Python<'_>, timeout: Option<Duration>) -> bool {
        let reader = self.inner.reader();
        let (head, pos) = (reader.head(), reader.position());
        if head > pos {
            return true;
        }
        let Some(path) = reader.path().map(std::path::Path::to_path_buf) else { return false };
        let deadline = timeout.map(|t| Instant::now() + t);
        py.detach(move || {
            // A second mapping of the ring, only to watch its head without the GIL (a reader
            // is tied to the thread that holds it).
            // It stands where the subscriber does, so its doorbell wait returns once there is a
            // record for the subscriber.
            let Ok(watch) = mdbus_bus::Reader::open_at(&path, Start::Seq(pos)) else { return true };
            let mut spin = 0u32;
            loop {
                if watch.head() > pos {
                    return true;
                }
                let now = Instant::now();
                if deadline.is_some_and(|d| now >= d) {
                    return false;
                }
                spin += 1;
                if spin < 64 {
                    std::hint::spin_loop();
                } else {
                    // Asleep on the ring's doorbell until a publish; where there is none, short
                    // parks.
                    let slice =
                        deadline.map_or(Duration::from_millis(100), |d| (d - now).min(Duration::from_millis(100)));
                    if !watch.wait(slice) {
                        std::thread::sleep(Duration::from_micros(50));
                    }
                }
            }
        })
    }
}

create_exception!(_native, Overrun, BtApiError, "The reader was lapped: args are (message, lost).");

#[pymethods]
impl Subscriber {
    /// Opens ring `name` in `dir` (default: `$MDBUS_DIR`, else /dev/shm/mdbus), reading from
    /// `start`: `"head"`, `"oldest"` or a sequence. With `raise_on_loss`, a loss raises
    /// `Overrun` (carrying the exact count) instead of coming back as `{"kind": "lost"}`.
    #[new]
    #[pyo3(signature = (name, dir=None, start=None, raise_on_loss=false))]
    fn new(name: &str, dir: Option<&str>, start: Option<&Bound<'_, PyAny>>, raise_on_loss: bool) -> PyResult<Self> {
        let dir = RingDir::resolve(dir.map(std::path::Path::new));
        let start = start.map(start_of).transpose()?.unwrap_or(Start::Head);
        let inner = RustSubscriber::open_in(&dir, name, start).map_err(sub_err)?;
        Ok(Subscriber { inner, raise_on_loss })
    }

    /// The next record (a dict), a loss or writer restart (dicts with `kind` `lost` /
    /// `writer_restarted`), or `None` when nothing new is there.
    fn poll(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.take(py)
    }

    /// As `poll`, waiting up to `timeout` seconds (forever with `None`) with the GIL released.
    #[pyo3(signature = (timeout=None))]
    fn next(&mut self, py: Python<'_>, timeout: Option<f64>) -> PyResult<Option<Py<PyAny>>> {
        let deadline = timeout.map(|t| Instant::now() + Duration::from_secs_f64(t.max(0.0)));
        loop {
            if let Some(ev) = self.take(py)? {
                return Ok(Some(ev));
            }
            let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if left.is_some_and(|l| l.is_zero()) {
                return Ok(None);
            }
            // Wake at least every 100 ms for Ctrl-C.
            let slice = left.map_or(Duration::from_millis(100), |l| l.min(Duration::from_millis(100)));
            self.wait(py, Some(slice));
            py.check_signals()?;
        }
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.next(py, None)
    }

    /// Every record there now as raw bytes (`record_size` bytes each, the ring's layout), and
    /// how many were lost on the way: the input of `read_array()`.
    fn read_raw<'py>(&mut self, py: Python<'py>) -> PyResult<(Bound<'py, PyBytes>, u64, usize)> {
        let reader = self.inner.reader();
        let size = reader.record_size();
        let mut buf = Vec::new();
        let lost = self.inner.read_available(&mut buf);
        Ok((PyBytes::new(py, &buf), lost, size))
    }

    /// Records lost to overruns so far.
    #[getter]
    fn lost(&self) -> u64 {
        self.inner.lost()
    }

    /// The ring's name.
    #[getter]
    fn name(&self) -> String {
        self.inner.name().to_owned()
    }

    /// The ring's record kind (`trade`, `book_delta`, ...).
    #[getter]
    fn kind(&self) -> &'static str {
        self.inner.reader().kind().name().unwrap_or("unknown")
    }
}

/// The record layout: schema version, layout hash, header fields and every family's fields
/// (name, offset, size, type), for building numpy dtypes.
#[pyfunction]
fn layout(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let fields = |list: &[mdbus_schemas::Field]| -> PyResult<Bound<'_, PyList>> {
        let l = PyList::empty(py);
        for f in list {
            l.append((f.name, f.offset, f.size, f.ty))?;
        }
        Ok(l)
    };
    let d = PyDict::new(py);
    d.set_item("schema_version", SCHEMA_VERSION)?;
    d.set_item("layout_hash", LAYOUT_HASH)?;
    d.set_item("header", fields(HEADER_FIELDS)?)?;
    let fams = PyDict::new(py);
    for (kind, list) in FAMILIES {
        let f = PyDict::new(py);
        f.set_item("kind", kind.0)?;
        f.set_item("size", kind.record_size().unwrap_or(0))?;
        f.set_item("fields", fields(list)?)?;
        fams.set_item(kind.name().unwrap_or("unknown"), f)?;
    }
    d.set_item("families", fams)?;
    Ok(d)
}

/// The latest book of `symbol` from feed `feed`'s book table, or `None` when the feed keeps
/// no table or the symbol is not in it: a dict with `state`, `venue_seq`, `ring_seq` and
/// `bids` / `asks` as lists of `(Decimal price, Decimal qty)`, best first.
#[pyfunction]
#[pyo3(signature = (feed, symbol, dir=None))]
fn book<'py>(py: Python<'py>, feed: &str, symbol: &str, dir: Option<&str>) -> PyResult<Option<Bound<'py, PyDict>>> {
    let dir = RingDir::resolve(dir.map(std::path::Path::new));
    let Ok(path) = dir.books_path(feed) else { return Ok(None) };
    if !path.exists() {
        return Ok(None);
    }
    let table = BookTable::open(&path).map_err(ring_err)?;
    let instruments = match dir.load_instruments().map_err(ring_err)? {
        Some(t) => t.map_err(ring_err)?,
        None => return Ok(None),
    };
    let ids = table.instruments();
    let Some(inst) = instruments.iter().find(|i| i.symbol.as_str() == symbol && ids.contains(&i.id)) else {
        return Ok(None);
    };
    let mut copy = mdbus_bus::BookCopy::default();
    if !table.read(inst.id, &mut copy) {
        return Ok(None);
    }
    let side = |levels: &[(i64, i64)]| -> PyResult<Bound<'py, PyList>> {
        let l = PyList::empty(py);
        for (p, q) in levels {
            l.append((dec(py, *p, inst.price_exp)?, dec(py, *q, inst.qty_exp)?))?;
        }
        Ok(l)
    };
    let d = PyDict::new(py);
    d.set_item("feed", feed)?;
    d.set_item("symbol", symbol)?;
    d.set_item(
        "state",
        match copy.state {
            Some(BookState::Live) => "live",
            Some(BookState::Resyncing) => "resyncing",
            Some(BookState::Stale) => "stale",
            Some(BookState::Unsynced) => "unsynced",
            _ => "unknown",
        },
    )?;
    d.set_item("venue_seq", copy.venue_seq)?;
    d.set_item("ring_seq", copy.ring_seq)?;
    d.set_item("venue_ts", copy.venue_ts.0)?;
    d.set_item("bids", side(&copy.bids)?)?;
    d.set_item("asks", side(&copy.asks)?)?;
    Ok(Some(d))
}

/// One rate-limit rule (the SDK's builders): `RateLimitRule.sliding_window("orders", 10, 1.0)`.
#[pyclass(module = "mdbus._native", name = "RateLimitRule")]
#[derive(Clone)]
struct PyRule(Rule);

#[pymethods]
impl PyRule {
    /// A sliding window of `limit` per `interval` seconds.
    #[staticmethod]
    fn sliding_window(name: &str, limit: u64, interval: f64) -> Self {
        PyRule(Rule::sliding_window(name, limit, Duration::from_secs_f64(interval)))
    }

    /// A fixed window of `limit` per `interval` seconds.
    #[staticmethod]
    fn fixed_window(name: &str, limit: u64, interval: f64) -> Self {
        PyRule(Rule::fixed_window(name, limit, Duration::from_secs_f64(interval)))
    }

    /// A token bucket of `limit` refilled over `interval` seconds.
    #[staticmethod]
    fn token_bucket(name: &str, limit: u64, interval: f64) -> Self {
        PyRule(Rule::token_bucket(name, limit, Duration::from_secs_f64(interval)))
    }

    /// The rule for requests matching `glob` only.
    fn endpoint(&self, glob: &str) -> Self {
        PyRule(self.0.clone().endpoint(glob))
    }

    /// The rule counting `weight` per request.
    fn weight(&self, weight: u32) -> Self {
        PyRule(self.0.clone().weight(weight))
    }

    fn __repr__(&self) -> String {
        format!(
            "RateLimitRule({:?}, {}, {} per {:?})",
            self.0.name,
            self.0.kind.as_str(),
            self.0.limit,
            self.0.interval
        )
    }
}

/// The SDK's limiter; with `path`, shared through that file with every process (Rust or
/// Python) that opens it with the same rules.
#[pyclass(module = "mdbus._native", name = "RateLimiter")]
struct PyLimiter(Limiter);

fn limit_err(e: impl std::fmt::Display) -> PyErr {
    RateLimitError::new_err((e.to_string(), "RateLimit".to_owned(), false, false))
}

#[pymethods]
impl PyLimiter {
    #[new]
    #[pyo3(signature = (rules, path=None))]
    fn new(rules: Vec<PyRef<'_, PyRule>>, path: Option<&str>) -> PyResult<Self> {
        let rules: Vec<Rule> = rules.iter().map(|r| r.0.clone()).collect();
        let l = match path {
            Some(p) => Limiter::shared(p, rules),
            None => Limiter::new(rules),
        }
        .map_err(limit_err)?;
        Ok(PyLimiter(l))
    }

    /// Takes budget for one request now if every matching rule allows it: `None` when granted,
    /// else the seconds to wait.
    #[pyo3(signature = (path="/", method="GET", weight=None))]
    fn try_acquire(&self, path: &str, method: &str, weight: Option<u32>) -> PyResult<Option<f64>> {
        let mut req = Request::new(method, path);
        if let Some(w) = weight {
            req = req.weight(w);
        }
        match self.0.try_acquire(&req).map_err(limit_err)? {
            Acquire::Granted => Ok(None),
            Acquire::Wait { after, .. } => Ok(Some(after.as_secs_f64())),
        }
    }

    /// Waits (without the GIL) up to `timeout` seconds for budget: `True` when granted.
    #[pyo3(signature = (path="/", method="GET", weight=None, timeout=10.0))]
    fn acquire(&self, py: Python<'_>, path: &str, method: &str, weight: Option<u32>, timeout: f64) -> PyResult<bool> {
        let limiter = &self.0;
        let (path, method) = (path.to_owned(), method.to_owned());
        let r = py.detach(move || {
            let mut req = Request::new(&method, &path);
            if let Some(w) = weight {
                req = req.weight(w);
            }
            limiter.acquire(&req, Duration::from_secs_f64(timeout.max(0.0)))
        });
        Ok(r.map_err(limit_err)?.is_granted())
    }

    /// Whether the budget is shared through a file.
    #[getter]
    fn shared(&self) -> bool {
        self.0.is_shared()
    }
}

/// Signs a request as `venue` expects, its fields given in the order the venue's scheme signs
/// them: `binance` (query, body), `okx` (timestamp, method, path, body), `bybit` (timestamp,
/// api key, recv window, payload), `gateio` (method, path, query, body, timestamp), `htx`
/// (method, host, path, access key, timestamp; the canonical query is built from them),
/// `gemini` (the JSON payload). Returns the signature text, as `mdbus sign` prints it.
#[pyfunction]
#[pyo3(signature = (venue, secret, *parts))]
fn sign(venue: &str, secret: &str, parts: Vec<String>) -> PyResult<String> {
    let scheme = mdbus_venues::scheme(venue)
        .ok_or_else(|| PyValueError::new_err(format!("no signer for venue {venue:?} here")))?;
    let input = mdbus_sdk::signing::SignInput::from_parts(scheme.venue, scheme.parts, &parts)
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    (scheme.sign)(secret, &input).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// A venue's REST market data by registry key (`BINANCE___SPOT`, `OKX___SPOT`, ...), as the
/// Rust `VenueFeed`: records come back as dicts with `Decimal` prices.
#[pyclass(module = "mdbus._native", name = "VenueFeed", unsendable)]
struct PyFeed {
    feed: Box<dyn VenueFeed>,
    table: mdbus_schemas::InstrumentTable,
}

impl PyFeed {
    fn inst(&mut self, symbol: &str) -> PyResult<Instrument> {
        if self.table.iter().next().is_none() {
            self.feed.instruments().map_err(sdk_err)?;
            self.table = self.feed.instrument_table();
        }
        self.table.iter().find(|i| i.symbol.as_str().eq_ignore_ascii_case(symbol)).copied().ok_or_else(|| {
            InvalidSymbolError::new_err((format!("unknown symbol {symbol}"), "InvalidSymbol".to_owned(), false, false))
        })
    }

    /// Places `order` under `client_order_id` (or one the client makes up): the order's state,
    /// or `{"status": "unknown", ...}` when the venue's answer was lost.
    fn place<'py>(
        &mut self,
        py: Python<'py>,
        mut order: mdbus_sdk::order::NewOrder,
        client_order_id: Option<String>,
    ) -> PyResult<Bound<'py, PyDict>> {
        use mdbus_sdk::order::Placed;
        order.client_order_id = client_order_id;
        match self.feed.place_order(&order).map_err(sdk_err)? {
            Placed::Accepted(s) => order_state(py, &s),
            Placed::Unknown { symbol, client_order_id } => {
                let d = PyDict::new(py);
                d.set_item("status", "unknown")?;
                d.set_item("symbol", symbol)?;
                d.set_item("client_order_id", client_order_id)?;
                Ok(d)
            }
        }
    }
}

#[pymethods]
impl PyFeed {
    /// The feed under registry key `key`; `rest_url` overrides the venue's; with `api_key`
    /// and `secret` (and `passphrase` where the venue has one) it can also trade.
    #[new]
    #[pyo3(signature = (key, rest_url=None, api_key=None, secret=None, passphrase=None))]
    fn new(
        key: &str,
        rest_url: Option<&str>,
        api_key: Option<String>,
        secret: Option<String>,
        passphrase: Option<String>,
    ) -> PyResult<Self> {
        let registry = Registry::new();
        mdbus_venues::register_feeds(&registry)
            .map_err(|e| RequestError::new_err((e.to_string(), "Registry".to_owned(), false, false)))?;
        let mut opts = FeedOptions::default();
        if let Some(u) = rest_url {
            opts = opts.param("rest_url", u);
        }
        if let (Some(k), Some(s)) = (api_key, secret) {
            let creds = mdbus_sdk::credentials::Credentials::new(k, s, passphrase)
                .map_err(|e| AuthenticationError::new_err((e.to_string(), "InvalidApiKey".to_owned(), false, false)))?;
            opts = opts.credentials(creds);
        }
        let feed = registry.create(key, &opts).map_err(sdk_err)?;
        Ok(PyFeed { feed, table: mdbus_schemas::InstrumentTable::default() })
    }

    /// The venue's instruments: symbol, base, quote, tick and lot sizes (`Decimal`), status.
    fn instruments<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let infos = self.feed.instruments().map_err(sdk_err)?;
        self.table = self.feed.instrument_table();
        let decimal = py.import("decimal")?.getattr("Decimal")?;
        let out = PyList::empty(py);
        for i in infos {
            let d = PyDict::new(py);
            d.set_item("symbol", &i.symbol)?;
            d.set_item("base", &i.base)?;
            d.set_item("quote", &i.quote)?;
            d.set_item("tick_size", decimal.call1((i.tick_size.to_string(),))?)?;
            d.set_item("lot_size", decimal.call1((i.lot_size.to_string(),))?)?;
            d.set_item("status", &i.status)?;
            out.append(d)?;
        }
        Ok(out)
    }

    /// The best bid and offer of `symbol`.
    fn ticker<'py>(&mut self, py: Python<'py>, symbol: &str) -> PyResult<Bound<'py, PyDict>> {
        let inst = self.inst(symbol)?;
        let q = self.feed.ticker(symbol).map_err(sdk_err)?;
        record(py, RecordView::Quote(&q), Some(&inst))
    }

    /// The top `limit` levels of `symbol`'s book.
    #[pyo3(signature = (symbol, limit=20))]
    fn depth<'py>(&mut self, py: Python<'py>, symbol: &str, limit: usize) -> PyResult<Bound<'py, PyDict>> {
        let inst = self.inst(symbol)?;
        let s = self.feed.depth(symbol, limit).map_err(sdk_err)?;
        record(py, RecordView::BookSnapshot(&s), Some(&inst))
    }

    /// `symbol`'s recent trades, oldest first.
    #[pyo3(signature = (symbol, limit=100))]
    fn trades<'py>(&mut self, py: Python<'py>, symbol: &str, limit: usize) -> PyResult<Bound<'py, PyList>> {
        let inst = self.inst(symbol)?;
        let out = PyList::empty(py);
        for t in self.feed.trades(symbol, limit).map_err(sdk_err)? {
            out.append(record(py, RecordView::Trade(&t), Some(&inst))?)?;
        }
        Ok(out)
    }

    /// Places a limit order (`side` `"buy"` or `"sell"`; `qty`, `price` as `Decimal` or text);
    /// returns the order's state, or `{"status": "unknown", ...}` when the venue's answer was
    /// lost (query it by its client order id; never send it again).
    #[pyo3(signature = (symbol, side, qty, price, client_order_id=None))]
    fn place_limit<'py>(
        &mut self,
        py: Python<'py>,
        symbol: &str,
        side: &str,
        qty: &Bound<'py, PyAny>,
        price: &Bound<'py, PyAny>,
        client_order_id: Option<String>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let order =
            mdbus_sdk::order::NewOrder::limit(symbol, side_of(side)?, dec_of(qty, "qty")?, dec_of(price, "price")?);
        self.place(py, order, client_order_id)
    }

    /// Places a market order (`qty` in the base asset, as `Decimal` or text), with the same
    /// answers as `place_limit`. A venue without market orders (Gemini) raises
    /// `InvalidOrderError`.
    #[pyo3(signature = (symbol, side, qty, client_order_id=None))]
    fn place_market<'py>(
        &mut self,
        py: Python<'py>,
        symbol: &str,
        side: &str,
        qty: &Bound<'py, PyAny>,
        client_order_id: Option<String>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let order = mdbus_sdk::order::NewOrder::market(symbol, side_of(side)?, dec_of(qty, "qty")?);
        self.place(py, order, client_order_id)
    }

    /// The order with client order id `client_order_id` on `symbol`.
    fn query_order<'py>(
        &mut self,
        py: Python<'py>,
        symbol: &str,
        client_order_id: &str,
    ) -> PyResult<Bound<'py, PyDict>> {
        let s = self.feed.query_order(symbol, mdbus_sdk::order::OrderRef::Client(client_order_id)).map_err(sdk_err)?;
        order_state(py, &s)
    }

    /// Cancels the order with client order id `client_order_id` on `symbol`.
    fn cancel_order<'py>(
        &mut self,
        py: Python<'py>,
        symbol: &str,
        client_order_id: &str,
    ) -> PyResult<Bound<'py, PyDict>> {
        let s = self.feed.cancel_order(symbol, mdbus_sdk::order::OrderRef::Client(client_order_id)).map_err(sdk_err)?;
        order_state(py, &s)
    }

    /// The open orders (of `symbol`, or all).
    #[pyo3(signature = (symbol=None))]
    fn open_orders<'py>(&mut self, py: Python<'py>, symbol: Option<&str>) -> PyResult<Bound<'py, PyList>> {
        let out = PyList::empty(py);
        for s in self.feed.open_orders(symbol).map_err(sdk_err)? {
            out.append(order_state(py, &s)?)?;
        }
        Ok(out)
    }

    /// The account's balances: asset, free, locked (`Decimal`).
    fn balances<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let decimal = py.import("decimal")?.getattr("Decimal")?;
        let out = PyList::empty(py);
        for b in self.feed.balances().map_err(sdk_err)? {
            let d = PyDict::new(py);
            d.set_item("asset", &b.asset)?;
            d.set_item("free", decimal.call1((b.free.to_string(),))?)?;
            d.set_item("locked", decimal.call1((b.locked.to_string(),))?)?;
            out.append(d)?;
        }
        Ok(out)
    }

    /// The account's positions (derivatives): symbol, qty, entry price, unrealized PnL.
    fn positions<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let decimal = py.import("decimal")?.getattr("Decimal")?;
        let out = PyList::empty(py);
        for p in self.feed.positions().map_err(sdk_err)? {
            let d = PyDict::new(py);
            d.set_item("symbol", &p.symbol)?;
            d.set_item("qty", decimal.call1((p.qty.to_string(),))?)?;
            d.set_item("entry_price", decimal.call1((p.entry_price.to_string(),))?)?;
            d.set_item("unrealized_pnl", decimal.call1((p.unrealized_pnl.to_string(),))?)?;
            out.append(d)?;
        }
        Ok(out)
    }

    /// `symbol`'s candles of `interval` (`1m`, `1h`, ...).
    #[pyo3(signature = (symbol, interval="1m", limit=100))]
    fn klines<'py>(
        &mut self,
        py: Python<'py>,
        symbol: &str,
        interval: &str,
        limit: usize,
    ) -> PyResult<Bound<'py, PyList>> {
        let inst = self.inst(symbol)?;
        let out = PyList::empty(py);
        for b in self.feed.klines(symbol, interval, limit).map_err(sdk_err)? {
            out.append(record(py, RecordView::Bar(&b), Some(&inst))?)?;
        }
        Ok(out)
    }
}

/// The registry keys of every venue feed (`BINANCE___SPOT`, ...).
#[pyfunction]
fn registry_keys() -> PyResult<Vec<String>> {
    let registry = Registry::new();
    mdbus_venues::register_feeds(&registry)
        .map_err(|e| RequestError::new_err((e.to_string(), "Registry".to_owned(), false, false)))?;
    Ok(registry.keys().into_iter().map(|k| k.to_string()).collect())
}

/// An order's state as a dict: symbol, ids, side, price, qty, filled (`Decimal`), status.
fn order_state<'py>(py: Python<'py>, s: &mdbus_sdk::order::OrderState) -> PyResult<Bound<'py, PyDict>> {
    let decimal = py.import("decimal")?.getattr("Decimal")?;
    let d = PyDict::new(py);
    d.set_item("symbol", &s.symbol)?;
    d.set_item("order_id", &s.order_id)?;
    d.set_item("client_order_id", &s.client_order_id)?;
    d.set_item("side", format!("{:?}", s.side).to_ascii_lowercase())?;
    d.set_item("price", decimal.call1((s.price.to_string(),))?)?;
    d.set_item("qty", decimal.call1((s.qty.to_string(),))?)?;
    d.set_item("filled", decimal.call1((s.filled.to_string(),))?)?;
    d.set_item("status", format!("{:?}", s.status).to_ascii_lowercase())?;
    Ok(d)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<Subscriber>()?;
    m.add_class::<PyRule>()?;
    m.add_class::<PyLimiter>()?;
    m.add_class::<PyFeed>()?;
    m.add_function(wrap_pyfunction!(layout, m)?)?;
    m.add_function(wrap_pyfunction!(book, m)?)?;
    m.add_function(wrap_pyfunction!(sign, m)?)?;
    m.add_function(wrap_pyfunction!(registry_keys, m)?)?;
    for (name, e) in [
        ("BtApiError", py.get_type::<BtApiError>()),
        ("ExchangeNotFoundError", py.get_type::<ExchangeNotFoundError>()),
        ("NetworkError", py.get_type::<NetworkError>()),
        ("AuthenticationError", py.get_type::<AuthenticationError>()),
        ("RateLimitError", py.get_type::<RateLimitError>()),
        ("InvalidOrderError", py.get_type::<InvalidOrderError>()),
        ("InsufficientBalanceError", py.get_type::<InsufficientBalanceError>()),
        ("OrderNotFoundError", py.get_type::<OrderNotFoundError>()),
        ("InvalidSymbolError", py.get_type::<InvalidSymbolError>()),
        ("NotSupportedError", py.get_type::<NotSupportedError>()),
        ("RequestError", py.get_type::<RequestError>()),
        ("RingError", py.get_type::<RingError>()),
        ("Overrun", py.get_type::<Overrun>()),
    ] {
        m.add(name, e)?;
    }
    Ok(())
}
