//! The simulated market as REST endpoints see it: books, recent trades, candles made from them.

use std::collections::{BTreeMap, VecDeque};

use crate::dialect::{Book, Ev};

/// A trade as the REST endpoints report it.
#[derive(Debug, Clone, Copy)]
pub struct LoggedTrade {
    /// Trade id.
    pub id: u64,
    /// Price, ticks.
    pub price: i64,
    /// Quantity, lots.
    pub qty: i64,
    /// Whether the taker bought.
    pub buy: bool,
    /// Time, ms since the epoch.
    pub ms: u64,
}

/// One kline being built: open, high, low, close (ticks), volume (lots), quote volume
/// (ticks × lots), trades.
#[derive(Debug, Clone, Copy, Default)]
pub struct Candle {
    /// Open.
    pub o: i64,
    /// High.
    pub h: i64,
    /// Low.
    pub l: i64,
    /// Close.
    pub c: i64,
    /// Volume.
    pub v: i64,
    /// Quote volume.
    pub qv: i128,
    /// Trades.
    pub n: u64,
}

/// The simulated market: every symbol's book, the recent event log, and the precision each
/// symbol's instrument metadata announces. Venue dialects read it to answer REST requests.
#[derive(Debug)]
pub struct Market {
    /// The books, in the configuration's symbol order.
    pub books: Vec<Book>,
    pub(crate) log: VecDeque<Ev>,
    pub(crate) base: u64,
    /// Price and quantity decimals each symbol's instrument metadata announces, where they
    /// differ from the default two and five (the books themselves always move in those).
    pub(crate) precision: BTreeMap<String, (u8, u8)>,
}

impl Market {
    /// The price and quantity decimals `symbol`'s metadata announces.
    pub fn digits(&self, symbol: &str) -> (u8, u8) {
        self.precision.get(symbol).copied().unwrap_or((2, 5))
    }

    /// The trades of `symbol` still in the event log, oldest first.
    pub fn trades_of(&self, symbol: &str) -> Option<Vec<LoggedTrade>> {
        let sym = self.books.iter().position(|b| b.symbol == symbol)?;
        Some(
            self.log
                .iter()
                .filter_map(|e| match e {
                    Ev::Trade { sym: s, id, price, qty, buy, ms } if *s == sym => {
                        Some(LoggedTrade { id: *id, price: *price, qty: *qty, buy: *buy, ms: *ms })
                    }
                    _ => None,
                })
                .collect(),
        )
    }

    /// The candles of `symbol` of `span_ms`, made from the trades still in the log: the newest
    /// `limit`, oldest first.
    pub fn candles(&self, symbol: &str, span_ms: u64, limit: usize) -> Option<Vec<(u64, Candle)>> {
        let mut buckets: BTreeMap<u64, Candle> = BTreeMap::new();
        for t in self.trades_of(symbol)? {
            let start = t.ms - t.ms % span_ms;
            let b = buckets.entry(start).or_insert(Candle { o: t.price, h: t.price, l: t.price, ..Candle::default() });
            b.h = b.h.max(t.price);
            b.l = b.l.min(t.price);
            b.c = t.price;
            b.v += t.qty;
            b.qv += i128::from(t.price) * i128::from(t.qty);
            b.n += 1;
        }
        let skip = buckets.len().saturating_sub(limit);
        Some(buckets.into_iter().skip(skip).collect())
    }

    /// The book of `symbol` (exact spelling).
    pub fn book(&self, symbol: &str) -> Option<&Book> {
        self.books.iter().find(|b| b.symbol == symbol)
    }
}
