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

/// Rolling statistics of one symbol: prices in ticks, quantities in lots, quote volume in
/// ticks × lots (exponent −7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day {
    /// First price of the window.
    pub open: i64,
    /// Highest price.
    pub high: i64,
    /// Lowest price.
    pub low: i64,
    /// Last price.
    pub last: i64,
    /// Last trade's quantity.
    pub last_qty: i64,
    /// Base volume.
    pub volume: i64,
    /// Quote volume.
    pub quote_volume: i128,
    /// Trades.
    pub count: u64,
    /// First trade id.
    pub first_id: u64,
    /// Last trade id.
    pub last_id: u64,
    /// Window start, ms.
    pub open_ms: u64,
    /// Window end (now), ms.
    pub close_ms: u64,
}

impl Day {
    /// The price change, ticks.
    pub fn change(&self) -> i64 {
        self.last - self.open
    }

    /// The price change in percent, three decimals.
    pub fn change_percent(&self) -> String {
        if self.open == 0 {
            return "0.000".to_owned();
        }
        format!("{:.3}", self.change() as f64 * 100.0 / self.open as f64)
    }

    /// The quote volume as decimal text.
    pub fn quote_volume_text(&self) -> String {
        mdbus_schemas::Decimal::new(self.quote_volume, -7).to_string()
    }
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

    /// The rolling statistics of `symbol` over the trades still in the log (a venue's "24 h"
    /// figures): `None` for an unknown symbol; without trades, the book's mid as every price.
    pub fn day(&self, symbol: &str) -> Option<Day> {
        let book = self.book(symbol)?;
        let trades = self.trades_of(symbol)?;
        let (bids, asks) = book.sides(1);
        let mid = match (bids.first(), asks.first()) {
            (Some(b), Some(a)) => (b.0 + a.0) / 2,
            _ => 0,
        };
        let now = crate::dialect::now_ms();
        let mut d = Day {
            open: mid,
            high: mid,
            low: mid,
            last: mid,
            last_qty: 0,
            volume: 0,
            quote_volume: 0,
            count: 0,
            first_id: 0,
            last_id: 0,
            open_ms: now.saturating_sub(86_400_000),
            close_ms: now,
        };
        if let (Some(first), Some(last)) = (trades.first(), trades.last()) {
            d.open = first.price;
            d.last = last.price;
            d.last_qty = last.qty;
            d.first_id = first.id;
            d.last_id = last.id;
            d.high = trades.iter().map(|t| t.price).max().unwrap_or(mid);
            d.low = trades.iter().map(|t| t.price).min().unwrap_or(mid);
            d.volume = trades.iter().map(|t| t.qty).sum();
            d.quote_volume = trades.iter().map(|t| i128::from(t.price) * i128::from(t.qty)).sum();
            d.count = trades.len() as u64;
        }
        Some(d)
    }

    /// The book of `symbol` (exact spelling).
    pub fn book(&self, symbol: &str) -> Option<&Book> {
        self.books.iter().find(|b| b.symbol == symbol)
    }
}
