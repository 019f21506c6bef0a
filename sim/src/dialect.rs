//! What every venue dialect of the simulator shares: the venue-neutral market events, the
//! per-connection session (a replica of the books as this connection has seen them, so that a
//! snapshot sent in the stream is exactly consistent with the updates around it), and the
//! [`Dialect`] trait each venue implements.

use std::collections::{BTreeMap, HashSet, VecDeque};

use crate::Faults;

/// One market event, before any venue spells it.
#[derive(Debug, Clone)]
pub enum Ev {
    /// A book change: update ids `first..=last` (a contiguous chain per symbol). `closing`
    /// marks the last change of a market bounded by `max_ticks`: nothing follows it, so a
    /// client could never tell it was lost, and the gap fault leaves it alone.
    Depth {
        /// The symbol's index.
        sym: usize,
        /// The first update id.
        first: u64,
        /// The last update id.
        last: u64,
        /// Changed bid levels (price ticks, quantity lots; 0 removes).
        bids: Vec<(i64, i64)>,
        /// Changed ask levels.
        asks: Vec<(i64, i64)>,
        /// Event time, ms.
        ms: u64,
        /// The market's last change.
        closing: bool,
    },
    /// A trade; `buy` when the taker bought.
    Trade {
        /// The symbol's index.
        sym: usize,
        /// Trade id.
        id: u64,
        /// Price, ticks.
        price: i64,
        /// Quantity, lots.
        qty: i64,
        /// Whether the taker bought.
        buy: bool,
        /// Trade time, ms.
        ms: u64,
    },
    /// The best bid and offer after update `id`.
    Top {
        /// The symbol's index.
        sym: usize,
        /// The update id it follows.
        id: u64,
        /// Best bid (price ticks, quantity lots).
        bid: (i64, i64),
        /// Best ask.
        ask: (i64, i64),
        /// Event time, ms.
        ms: u64,
    },
}

impl Ev {
    /// The symbol's index.
    pub fn sym(&self) -> usize {
        match self {
            Ev::Depth { sym, .. } | Ev::Trade { sym, .. } | Ev::Top { sym, .. } => *sym,
        }
    }

    /// The trade id of a trade.
    pub fn trade_id(&self) -> Option<u64> {
        match self {
            Ev::Trade { id, .. } => Some(*id),
            _ => None,
        }
    }
}

/// Levels of one side: price ticks, quantity lots.
pub type Side = Vec<(i64, i64)>;

/// One symbol's book: prices in ticks of 0.01, quantities in lots of 0.00001.
#[derive(Debug, Clone)]
pub struct Book {
    /// The symbol, as the venue spells it.
    pub symbol: String,
    /// Bids: price ticks to quantity lots.
    pub bids: BTreeMap<i64, i64>,
    /// Asks.
    pub asks: BTreeMap<i64, i64>,
    /// The last update id applied.
    pub last_id: u64,
    /// The last trade id.
    pub trade_id: u64,
}

impl Book {
    /// Bids best first, then asks best first.
    pub fn sides(&self, limit: usize) -> (Side, Side) {
        (
            self.bids.iter().rev().take(limit).map(|(p, q)| (*p, *q)).collect(),
            self.asks.iter().take(limit).map(|(p, q)| (*p, *q)).collect(),
        )
    }

    /// Applies a depth event (others leave the book alone).
    pub fn apply(&mut self, ev: &Ev) {
        if let Ev::Depth { last, bids, asks, .. } = ev {
            for (side, levels) in [(&mut self.bids, bids), (&mut self.asks, asks)] {
                for &(p, q) in levels {
                    if q == 0 {
                        side.remove(&p);
                    } else {
                        side.insert(p, q);
                    }
                }
            }
            self.last_id = *last;
        }
    }
}

/// Price text of `ticks` (two decimals).
///
/// ```
/// assert_eq!(mdbus_sim::dialect::px(3_000_825), "30008.25");
/// assert_eq!(mdbus_sim::dialect::px(-5), "-0.05");
/// assert_eq!(mdbus_sim::dialect::qty(-150_000), "-1.50000");
/// ```
pub fn px(ticks: i64) -> String {
    let (sign, t) = (if ticks < 0 { "-" } else { "" }, ticks.unsigned_abs());
    format!("{sign}{}.{:02}", t / 100, t % 100)
}

/// Quantity text of `lots` (five decimals).
pub fn qty(lots: i64) -> String {
    let (sign, l) = (if lots < 0 { "-" } else { "" }, lots.unsigned_abs());
    format!("{sign}{}.{:05}", l / 100_000, l % 100_000)
}

/// `["p","q"],...` (decimals as JSON strings).
pub fn levels(side: &[(i64, i64)]) -> String {
    side.iter().map(|(p, q)| format!(r#"["{}","{}"]"#, px(*p), qty(*q))).collect::<Vec<_>>().join(",")
}

/// `[p,q],...` (decimals as JSON numbers).
pub fn number_levels(side: &[(i64, i64)]) -> String {
    side.iter().map(|(p, q)| format!("[{},{}]", px(*p), qty(*q))).collect::<Vec<_>>().join(",")
}

/// Host wall-clock time, ms since the epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// What one connection knows: its subscriptions, the books as of the last event it processed,
/// counters for the venue-specific faults, and recent trades.
#[derive(Debug)]
pub struct Session {
    /// Topic keys as the dialect spells them.
    pub subs: HashSet<String>,
    /// The books at this connection's position in the event log.
    pub books: Vec<Book>,
    /// The faults to inject.
    pub faults: Faults,
    /// Depth events seen per symbol.
    pub depth_seen: Vec<u64>,
    /// The last trades per symbol, newest last.
    pub recent: Vec<VecDeque<Ev>>,
}

impl Session {
    /// A session starting from `books`.
    pub fn new(books: Vec<Book>, faults: Faults) -> Session {
        let n = books.len();
        Session { subs: HashSet::new(), books, faults, depth_seen: vec![0; n], recent: vec![VecDeque::new(); n] }
    }

    /// Index of `symbol`, compared without case and without `-`/`_` separators.
    pub fn symbol(&self, symbol: &str) -> Option<usize> {
        let norm = |s: &str| s.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_uppercase();
        let want = norm(symbol);
        self.books.iter().position(|b| norm(&b.symbol) == want)
    }

    /// Brings the replica up to `ev` (before the dialect spells it).
    pub fn advance(&mut self, ev: &Ev) {
        let i = ev.sym();
        match ev {
            Ev::Depth { .. } => {
                self.books[i].apply(ev);
                self.depth_seen[i] += 1;
            }
            Ev::Trade { .. } => self.remember(std::iter::once(ev)),
            Ev::Top { .. } => {}
        }
    }

    /// Keeps the last few of `trades` (oldest first) as each symbol's recent trades, without
    /// touching the books: the trades made before the connection, which some venues send first.
    pub fn remember<'a>(&mut self, trades: impl Iterator<Item = &'a Ev>) {
        for ev in trades {
            let Ev::Trade { sym, .. } = ev else { continue };
            let Some(r) = self.recent.get_mut(*sym) else { continue };
            r.push_back(ev.clone());
            if r.len() > 5 {
                r.pop_front();
            }
        }
    }

    /// Whether the `n`-th depth event of `sym` triggers a fault that fires every `every`.
    pub fn every(&self, sym: usize, every: u64) -> bool {
        every > 0 && self.depth_seen[sym].is_multiple_of(every)
    }
}

/// A venue's protocol on one connection.
pub trait Dialect: Send {
    /// Handles one text message from the client; returns the frames to send back (replies,
    /// in-stream snapshots). `None` to cut the connection.
    fn request(&mut self, text: &str, s: &mut Session) -> Vec<String>;

    /// The frames of one market event for this connection (none when not subscribed). Called
    /// for every event after [`Session::advance`].
    fn event(&mut self, ev: &Ev, s: &mut Session) -> Vec<String>;

    /// A server keepalive to send now (HTX `ping`, Gemini `heartbeat`), called on its
    /// interval. `Err` to cut the connection (HTX: pings left unanswered).
    fn heartbeat(&mut self, _now_ms: u64) -> Result<Option<String>, &'static str> {
        Ok(None)
    }

    /// The interval of [`Dialect::heartbeat`], if the venue has one.
    fn heartbeat_every(&self, _faults: &Faults) -> Option<std::time::Duration> {
        None
    }

    /// How long the client may stay silent before the venue cuts the connection.
    fn idle_cut(&self, faults: &Faults) -> Option<std::time::Duration> {
        faults.idle_cut
    }

    /// Whether frames go out gzip-compressed in binary messages (HTX).
    fn binary(&self) -> bool {
        false
    }

    /// A frame that is broken in the venue's own way.
    fn malformed(&self) -> String {
        r#"{"broken":"#.into()
    }
}
