//! Feeder configuration: YAML, typed, unknown keys rejected, every invalid field reported with
//! its path in one error.
//!
//! ```yaml
//! ring_dir: /dev/shm/mdbus          # optional; else $MDBUS_DIR, else /dev/shm/mdbus
//! workers:
//!   - core: 0                       # pinned core
//!     poll: busy                    # busy (zero-timeout poll) | timeout
//!     timeout_us: 100               # poll timeout for `timeout` (shared cores)
//! tls:
//!   extra_roots: [sim-ca.pem]       # PEM files trusted besides the compiled-in web roots
//! feeds:
//!   - name: binance-spot            # ring prefix: binance-spot.trade, binance-spot.quote, ...
//!     venue: binance
//!     market: spot                  # spot | usdm
//!     url: wss://stream.binance.com:9443/stream
//!     rest_url: https://api.binance.com
//!     worker: 0                     # index into `workers`
//!     channels: [trade, book_ticker, depth, depth20]
//!     ring_capacity: 65536
//!     instrument_refresh_s: 3600    # reload the venue's instrument metadata (0: never)
//!     symbols:
//!       - { symbol: BTCUSDT, id: 1 }                          # exponents from the venue
//!       - { symbol: ETHUSDT, id: 2, price_exp: -2, qty_exp: -4 }  # or given here
//! accounts:                         # optional: private streams into <name>.account rings
//!   - name: main
//!     venue: binance                # binance | okx
//!     market: spot                  # binance: spot | usdm (okx: any)
//!     rest_url: https://api.binance.com           # binance: listen keys
//!     ws_url: wss://stream.binance.com:9443/ws    # binance: base; okx: the private endpoint
//!     credentials_env: BINANCE      # BINANCE_API_KEY, BINANCE_SECRET (, _PASSPHRASE)
//!     # credentials_file: /etc/mdbus/binance.secrets   (mode 600) instead
//!     number: 0                     # account number written into the records
//! ```

use std::{collections::HashSet, path::PathBuf};

pub use mdbus_sdk::config::{ConfigError, FieldError};
use serde::Deserialize;

use crate::venue::{SnapshotSource, Venues};

/// How a worker thread waits for socket readiness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PollMode {
    /// Busy-poll with a zero timeout: lowest latency, one core fully used.
    Busy,
    /// Block up to `timeout_us`: for cores shared with other work.
    Timeout,
}

/// One pinned worker thread.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerConfig {
    /// Core to pin the thread to.
    pub core: usize,
    /// How to wait for readiness. Default `busy`.
    #[serde(default = "default_poll")]
    pub poll: PollMode,
    /// Poll timeout in microseconds for `poll: timeout`. Default 100.
    #[serde(default = "default_timeout")]
    pub timeout_us: u64,
}

fn default_poll() -> PollMode {
    PollMode::Busy
}

fn default_timeout() -> u64 {
    100
}

fn default_capacity() -> u64 {
    1 << 16
}

/// TLS settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM files with extra trusted roots (a simulator's self-signed certificate).
    #[serde(default)]
    pub extra_roots: Vec<PathBuf>,
}

/// One instrument of a feed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SymbolConfig {
    /// Symbol as the venue spells it.
    pub symbol: String,
    /// Instrument id in records.
    pub id: u32,
    /// Price exponent. Left out (with `qty_exp`), it comes from the venue's instrument
    /// metadata: the exponent of its tick size.
    #[serde(default)]
    pub price_exp: Option<i8>,
    /// Quantity exponent. Left out (with `price_exp`), it comes from the venue's lot size.
    #[serde(default)]
    pub qty_exp: Option<i8>,
}

impl SymbolConfig {
    /// Both exponents, when the configuration gives them.
    pub fn exponents(&self) -> Option<(i8, i8)> {
        self.price_exp.zip(self.qty_exp)
    }
}

/// One venue feed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedEntry {
    /// Feed name; also the prefix of its ring names.
    pub name: String,
    /// Venue: `binance`, `okx`, `bybit`, `htx`, `gateio` or `gemini`.
    pub venue: String,
    /// Market: `spot` (default; every venue), `usdm` (binance), `linear` (bybit).
    #[serde(default = "default_market")]
    pub market: String,
    /// Websocket URL (`ws://` or `wss://`): Binance's combined-stream endpoint, OKX
    /// `/ws/v5/public`, Bybit `/v5/public/spot|linear`, HTX `/feed`, Gate.io `/ws/v4/`,
    /// Gemini `/v2/marketdata`.
    pub url: String,
    /// REST base URL for depth snapshots (`http://` or `https://`): needed by Binance and
    /// Gate.io, whose book snapshots come over REST.
    #[serde(default)]
    pub rest_url: Option<String>,
    /// Index of the worker that owns this feed's connections.
    #[serde(default)]
    pub worker: usize,
    /// Channels, named alike for every venue: `trade`, `book_ticker`, `depth` (the synced
    /// book), `kline_<interval>` (`1m`, `1h`, ...), and where the venue has them `agg_trade`,
    /// `ticker`, `depth5`/`depth10`/`depth20` (top-N images).
    pub channels: Vec<String>,
    /// Ring capacity in records (power of two). Default 65,536.
    #[serde(default = "default_capacity")]
    pub ring_capacity: u64,
    /// Instruments.
    pub symbols: Vec<SymbolConfig>,
    /// Record the feed to this capture file: every frame with its receive time, the REST
    /// snapshots, connection events and the records published (`mdbus replay` plays it back).
    #[serde(default)]
    pub record: Option<PathBuf>,
    /// Seconds between reloads of the venue's instrument metadata, for symbols whose exponents
    /// come from it (0: never). A symbol whose precision became finer is relisted under a new
    /// id with the finer exponents; records already published keep their id and meaning.
    /// Default 3,600.
    #[serde(default = "default_refresh")]
    pub instrument_refresh_s: u64,
    /// Levels a side of the REST book snapshots (Binance, Gate.io). Default: the deepest the
    /// venue gives (Binance spot 5,000, USD-M 1,000, Gate.io 100). Beyond it, a book holds
    /// only what updates brought; each `resync_done` marker says how deep its snapshot went.
    #[serde(default)]
    pub snapshot_depth: Option<u32>,
    /// Levels a side that the feed's book table (`<name>.books` beside its rings) keeps of
    /// each instrument's book, for feeds with the `depth` channel. Default 20; 0: no table.
    #[serde(default = "default_book_table_depth")]
    pub book_table_depth: usize,
}

fn default_book_table_depth() -> usize {
    20
}

fn default_refresh() -> u64 {
    3_600
}

impl FeedEntry {
    /// Whether some symbol takes its exponents from the venue's instrument metadata.
    pub fn uses_venue_metadata(&self) -> bool {
        self.symbols.iter().any(|s| s.exponents().is_none())
    }
}

/// One account's private stream.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountEntry {
    /// Ring prefix: records go to `<name>.account`.
    pub name: String,
    /// `binance` or `okx`.
    pub venue: String,
    /// Binance: `spot` or `usdm`. Default `spot`.
    #[serde(default = "default_market")]
    pub market: String,
    /// Binance: the REST base for listen keys.
    #[serde(default)]
    pub rest_url: Option<String>,
    /// Binance: the websocket base the listen key is appended to; OKX: the private endpoint.
    pub ws_url: String,
    /// Environment prefix of the credentials (`<P>_API_KEY`, `<P>_SECRET`, `<P>_PASSPHRASE`).
    #[serde(default)]
    pub credentials_env: Option<String>,
    /// File of `api_key=`, `secret=`, `passphrase=` lines, mode 600.
    #[serde(default)]
    pub credentials_file: Option<PathBuf>,
    /// Account number written into the records.
    #[serde(default)]
    pub number: u32,
    /// Slots of the account ring. Default 65,536.
    #[serde(default = "default_capacity")]
    pub ring_capacity: u64,
}

fn default_market() -> String {
    "spot".into()
}

/// The whole feeder configuration.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedConfig {
    /// Ring directory; default `$MDBUS_DIR`, else `/dev/shm/mdbus`.
    #[serde(default)]
    pub ring_dir: Option<PathBuf>,
    /// Worker threads.
    pub workers: Vec<WorkerConfig>,
    /// TLS settings.
    #[serde(default)]
    pub tls: TlsConfig,
    /// Feeds.
    pub feeds: Vec<FeedEntry>,
    /// Private account streams.
    #[serde(default)]
    pub accounts: Vec<AccountEntry>,
}

/// `message` without a leading `path: ` (the YAML parser names the path in its message too).
fn without_path(message: &str, path: &str) -> String {
    message.strip_prefix(path).and_then(|m| m.strip_prefix(": ")).unwrap_or(message).to_owned()
}

/// `inner` under `prefix` (`feeds[0]` + `symbols[1].id`).
fn join(prefix: &str, inner: &str) -> String {
    match (prefix, inner) {
        (p, ".") => p.to_owned(),
        ("", i) => i.to_owned(),
        (p, i) => format!("{p}.{i}"),
    }
}

/// Deserializes `value` as a `T` at `prefix`, noting the error if it is not one.
fn check<T: serde::de::DeserializeOwned>(prefix: &str, value: yaml_serde::Value, out: &mut Vec<FieldError>) {
    if let Err(e) = serde_path_to_error::deserialize::<_, T>(value) {
        let path = join(prefix, &e.path().to_string());
        let message = without_path(&without_path(&e.inner().to_string(), &e.path().to_string()), &path);
        out.push(FieldError { path, message });
    }
}

/// As [`check`], element by element for a sequence, so every bad element is listed.
fn check_each<T: serde::de::DeserializeOwned>(prefix: &str, value: yaml_serde::Value, out: &mut Vec<FieldError>) {
    match value {
        yaml_serde::Value::Sequence(items) => {
            for (i, item) in items.into_iter().enumerate() {
                check::<T>(&format!("{prefix}[{i}]"), item, out);
            }
        }
        other => check::<Vec<T>>(prefix, other, out),
    }
}

/// A feed entry's type errors: its symbols one by one, and the rest of the entry.
fn check_feed(prefix: &str, value: yaml_serde::Value, out: &mut Vec<FieldError>) {
    let yaml_serde::Value::Mapping(mut m) = value else { return check::<FeedEntry>(prefix, value, out) };
    let symbols = m.remove("symbols");
    if symbols.is_some() {
        m.insert("symbols".into(), yaml_serde::Value::Sequence(Vec::new()));
    }
    check::<FeedEntry>(prefix, yaml_serde::Value::Mapping(m), out);
    if let Some(symbols) = symbols {
        check_each::<SymbolConfig>(&format!("{prefix}.symbols"), symbols, out);
    }
}

/// Every type error of a configuration document, each with its path once.
fn type_errors(value: yaml_serde::Value) -> Vec<FieldError> {
    let yaml_serde::Value::Mapping(m) = value else {
        return vec![FieldError { path: ".".into(), message: "the configuration must be a mapping".into() }];
    };
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for (k, v) in m {
        let key = k.as_str().unwrap_or("?").to_owned();
        match key.as_str() {
            "ring_dir" => check::<Option<PathBuf>>("ring_dir", v, &mut out),
            "tls" => check::<TlsConfig>("tls", v, &mut out),
            "workers" => check_each::<WorkerConfig>("workers", v, &mut out),
            "feeds" => match v {
                yaml_serde::Value::Sequence(items) => {
                    for (i, item) in items.into_iter().enumerate() {
                        check_feed(&format!("feeds[{i}]"), item, &mut out);
                    }
                }
                other => check::<Vec<FeedEntry>>("feeds", other, &mut out),
            },
            "accounts" => check_each::<AccountEntry>("accounts", v, &mut out),
            other => out.push(FieldError {
                path: other.to_owned(),
                message: "unknown field, expected one of ring_dir, workers, tls, feeds, accounts".into(),
            }),
        }
        seen.insert(key);
    }
    for required in ["workers", "feeds"] {
        if !seen.contains(required) {
            out.push(FieldError { path: required.into(), message: "missing field".into() });
        }
    }
    out
}

/// The channels a venue carries, for error messages: the common ones, then each venue's own.
fn channels_help(venues: Venues) -> String {
    let mut own: Vec<String> = Vec::new();
    for v in venues.iter() {
        let line = format!("{}: {}", v.name(), v.extra_channels());
        if !v.extra_channels().is_empty() && !own.contains(&line) {
            own.push(line);
        }
    }
    format!("unknown channel for this venue (trade, book_ticker, depth, kline_<interval>; {})", own.join("; "))
}

/// The venues and their markets, for error messages.
fn markets_help(venues: Venues) -> String {
    let list: Vec<String> = venues.names().iter().map(|n| format!("{n}: {}", venues.markets(n).join(", "))).collect();
    format!("unknown market for this venue ({})", list.join("; "))
}

impl FeedConfig {
    /// Parses and validates a YAML configuration.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Parse`] for YAML that does not fit the schema (with the field's path),
    /// [`ConfigError::Invalid`] listing every invalid field.
    ///
    /// # Examples
    ///
    /// ```
    /// use mdbus_feeder::config::{ConfigError, FeedConfig};
    /// let err = FeedConfig::from_yaml("workers: []\nfeeds: []\nextra: 1\n", mdbus_venues::ALL).unwrap_err();
    /// assert!(matches!(err, ConfigError::Parse { .. }));
    /// assert!(err.to_string().contains("extra"));
    /// ```
    pub fn from_yaml(text: &str, venues: Venues) -> Result<FeedConfig, ConfigError> {
        let de = yaml_serde::Deserializer::from_str(text);
        let first = match serde_path_to_error::deserialize::<_, FeedConfig>(de) {
            Ok(cfg) => {
                cfg.validate(venues)?;
                return Ok(cfg);
            }
            Err(e) => e,
        };
        let path = first.path().to_string();
        let message = without_path(&first.inner().to_string(), &path);
        // The first error hides the others: look at every part on its own to list them all.
        let all = match yaml_serde::from_str::<yaml_serde::Value>(text) {
            Ok(value) => type_errors(value),
            Err(_) => Vec::new(),
        };
        if all.len() > 1 {
            return Err(ConfigError::Invalid(all));
        }
        Err(ConfigError::Parse { path, message })
    }

    /// What is valid but probably not what the operator meant, each with its field's path:
    /// plain `ws://` to a host other than this one (market data, or an account's login sent
    /// unencrypted), a book table deeper than the snapshots that fill it, and more busy-polling
    /// workers than this host has cores to spare. `mdbus feed` logs them at start.
    ///
    /// ```
    /// let cfg = mdbus_feeder::config::FeedConfig::from_yaml(
    ///     "workers:\n  - { core: 0 }\nfeeds:\n  - name: f\n    venue: okx\n    url: ws://ws.okx.com:8443/ws/v5/public\n    channels: [trade]\n    symbols:\n      - { symbol: BTC-USDT, id: 1, price_exp: -1, qty_exp: -8 }\n",
    ///     mdbus_venues::ALL,
    /// )?;
    /// assert_eq!(cfg.warnings()[0].path, "feeds[0].url");
    /// # Ok::<(), mdbus_feeder::config::ConfigError>(())
    /// ```
    pub fn warnings(&self) -> Vec<FieldError> {
        let mut out = Vec::new();
        let mut warn = |path: String, message: &str| out.push(FieldError { path, message: message.to_owned() });
        let remote_plain = |url: &str| {
            url.strip_prefix("ws://").is_some_and(|rest| {
                let host = rest.split(['/', '?']).next().unwrap_or("");
                let host = host.rsplit_once(':').map_or(host, |(h, _)| h).trim_matches(['[', ']']);
                !matches!(host, "localhost" | "127.0.0.1" | "::1") && !host.starts_with("127.")
            })
        };
        for (i, f) in self.feeds.iter().enumerate() {
            if remote_plain(&f.url) {
                warn(
                    format!("feeds[{i}].url"),
                    "plain ws:// to another host: market data unencrypted and unauthenticated; use wss://",
                );
            }
            if let Some(d) = f.snapshot_depth
                && f.book_table_depth > d as usize
            {
                warn(
                    format!("feeds[{i}].book_table_depth"),
                    "deeper than snapshot_depth: levels past the snapshot's depth hold only what updates brought",
                );
            }
        }
        for (i, a) in self.accounts.iter().enumerate() {
            if remote_plain(&a.ws_url) {
                warn(
                    format!("accounts[{i}].ws_url"),
                    "plain ws:// to another host sends the account's login unencrypted; use wss://",
                );
            }
        }
        let cores = core_affinity::get_core_ids().map_or(0, |c| c.len());
        let busy = self.workers.iter().filter(|w| w.poll == PollMode::Busy).count();
        if cores > 0 && busy >= cores {
            warn(
                "workers".to_owned(),
                "as many busy-polling workers as this host has cores: nothing is left for the readers and the system",
            );
        }
        out
    }

    /// Checks every field and reports all problems at once.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Invalid`] listing every invalid field with its path.
    pub fn validate(&self, venues: Venues) -> Result<(), ConfigError> {
        let mut errs = Vec::new();
        let mut bad = |path: String, message: &str| errs.push(FieldError { path, message: message.to_owned() });
        if self.workers.is_empty() {
            bad("workers".into(), "at least one worker is needed");
        }
        let mut cores = HashSet::new();
        for (i, w) in self.workers.iter().enumerate() {
            if !cores.insert(w.core) {
                bad(format!("workers[{i}].core"), "two workers pinned to the same core");
            }
            if w.poll == PollMode::Timeout && w.timeout_us == 0 {
                bad(format!("workers[{i}].timeout_us"), "must be positive for poll: timeout");
            }
        }
        if self.feeds.is_empty() && self.accounts.is_empty() {
            bad("feeds".into(), "at least one feed (or account) is needed");
        }
        let mut names = HashSet::new();
        let mut ids = HashSet::new();
        for (i, f) in self.feeds.iter().enumerate() {
            let p = |field: &str| format!("feeds[{i}].{field}");
            let name_ok = (1..=64).contains(&f.name.len())
                && !f.name.starts_with('.')
                && f.name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
            if !name_ok {
                bad(p("name"), "use 1-64 characters from [A-Za-z0-9._-], not starting with a dot");
            }
            if !names.insert(f.name.as_str()) {
                bad(p("name"), "duplicate feed name");
            }
            let venue = venues.find(&f.venue, &f.market);
            let venue_known = venues.names().contains(&f.venue.as_str());
            if !venue_known {
                bad(p("venue"), &format!("unknown venue (known: {})", venues.names().join(", ")));
            }
            let any_market = venues.iter().any(|v| v.market() == f.market);
            if !any_market || (venue_known && venue.is_none()) {
                bad(p("market"), &markets_help(venues));
            }
            if !(f.url.starts_with("ws://") || f.url.starts_with("wss://")) {
                bad(p("url"), "must start with ws:// or wss://");
            }
            match &f.rest_url {
                Some(u) if !(u.starts_with("http://") || u.starts_with("https://")) => {
                    bad(p("rest_url"), "must start with http:// or https://");
                }
                None if venue
                    .and_then(|v| v.feed_book(&f.channels))
                    .is_some_and(|b| b.snapshots == SnapshotSource::Rest) =>
                {
                    bad(p("rest_url"), "this feed's book snapshots come over REST: give rest_url");
                }
                _ => {}
            }
            if f.worker >= self.workers.len() {
                bad(p("worker"), "no worker with this index");
            }
            if f.channels.is_empty() {
                bad(p("channels"), "at least one channel is needed");
            }
            for (j, c) in f.channels.iter().enumerate() {
                // With no known venue, only a channel every venue carries is sure to exist.
                let known = match venue {
                    Some(v) => v.topic(c, "X").is_some(),
                    None => venues.iter().all(|v| v.topic(c, "X").is_some()),
                };
                if !known {
                    bad(format!("feeds[{i}].channels[{j}]"), &channels_help(venues));
                }
            }
            if let Some(v) = venue {
                let books: Vec<&str> = f.channels.iter().filter_map(|c| v.book_channel(c)).map(|b| b.channel).collect();
                if books.len() > 1 {
                    bad(
                        p("channels"),
                        &format!("one book channel per feed: {} each keep the same books", books.join(" and ")),
                    );
                }
            }
            if !f.ring_capacity.is_power_of_two() || f.ring_capacity < 2 || f.ring_capacity > 1 << 32 {
                bad(p("ring_capacity"), "must be a power of two between 2 and 2^32");
            }
            if f.symbols.is_empty() {
                bad(p("symbols"), "at least one symbol is needed");
            }
            if f.book_table_depth > mdbus_bus::MAX_TABLE_DEPTH {
                bad(p("book_table_depth"), &format!("must be at most {}", mdbus_bus::MAX_TABLE_DEPTH));
            }
            if let Some(d) = f.snapshot_depth {
                let rest =
                    venue.and_then(|v| v.feed_book(&f.channels)).is_none_or(|b| b.snapshots == SnapshotSource::Rest);
                match venue.and_then(|v| v.snapshot_max_depth()).filter(|_| rest) {
                    Some(max) if (1..=max).contains(&d) => {}
                    Some(max) => bad(p("snapshot_depth"), &format!("must be between 1 and {max} for this venue")),
                    None => bad(p("snapshot_depth"), "this feed's book snapshots do not come over REST"),
                }
            }
            let per_connection = venue
                .or_else(|| venues.iter().max_by_key(|v| v.limits().topics_per_connection))
                .map_or(1, |v| v.limits().topics_per_connection);
            if f.symbols.len() * f.channels.len().max(1) > 200 * per_connection {
                bad(p("symbols"), "more streams than 200 connections can carry");
            }
            let mut syms = HashSet::new();
            for (j, s) in f.symbols.iter().enumerate() {
                let q = |field: &str| format!("feeds[{i}].symbols[{j}].{field}");
                if s.symbol.is_empty()
                    || s.symbol.len() > 32
                    || !s.symbol.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                {
                    bad(q("symbol"), "use 1-32 characters from [A-Za-z0-9_-]");
                }
                if !syms.insert(s.symbol.to_ascii_uppercase()) {
                    bad(q("symbol"), "duplicate symbol in this feed");
                }
                if s.id == 0 || !ids.insert(s.id) {
                    bad(q("id"), "ids must be non-zero and unique across feeds");
                }
                for (field, v) in [("price_exp", s.price_exp), ("qty_exp", s.qty_exp)] {
                    if v.is_some_and(|v| !(-18..=18).contains(&v)) {
                        bad(q(field), "must be between -18 and 18");
                    }
                }
                if s.price_exp.is_some() != s.qty_exp.is_some() {
                    bad(
                        q(if s.price_exp.is_some() { "qty_exp" } else { "price_exp" }),
                        "give both exponents, or neither to take them from the venue's instrument metadata",
                    );
                }
            }
        }
        let mut names: HashSet<&str> = self.feeds.iter().map(|f| f.name.as_str()).collect();
        for (i, a) in self.accounts.iter().enumerate() {
            let p = |field: &str| format!("accounts[{i}].{field}");
            if a.name.is_empty() || !a.name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
                bad(p("name"), "use 1-64 characters from [A-Za-z0-9_-]");
            } else if !names.insert(a.name.as_str()) {
                bad(p("name"), "already used by a feed or another account");
            }
            let with_streams: Vec<&str> = venues
                .names()
                .into_iter()
                .filter(|n| venues.markets(n).iter().any(|m| has_account(venues, n, m)))
                .collect();
            if !with_streams.contains(&a.venue.as_str()) {
                bad(p("venue"), &format!("private streams exist for {}", with_streams.join(" and ")));
            } else if !has_account(venues, &a.venue, &a.market) {
                let markets: Vec<&str> =
                    venues.markets(&a.venue).into_iter().filter(|m| has_account(venues, &a.venue, m)).collect();
                bad(p("market"), &format!("{} accounts are {}", a.venue, markets.join(" or ")));
            } else if let Some(v) = venues.find(&a.venue, &a.market) {
                for (field, message) in v.check_account(a) {
                    bad(p(field), message);
                }
            }
            if !(a.ws_url.starts_with("ws://") || a.ws_url.starts_with("wss://")) {
                bad(p("ws_url"), "must be a ws:// or wss:// url");
            }
            if a.credentials_env.is_some() == a.credentials_file.is_some() {
                bad(p("credentials_env"), "give exactly one of credentials_env and credentials_file");
            }
            if !a.ring_capacity.is_power_of_two() || a.ring_capacity < 64 {
                bad(p("ring_capacity"), "must be a power of two of at least 64");
            }
        }
        if errs.is_empty() { Ok(()) } else { Err(ConfigError::Invalid(errs)) }
    }
}

/// Whether `venue`'s `market` accounts have a private stream.
fn has_account(venues: Venues, venue: &str, market: &str) -> bool {
    venues.find(venue, market).is_some_and(|v| v.account_markets().contains(&market))
}
