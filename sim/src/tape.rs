//! What a connection's trades add up to for the streams that summarise them: each symbol's
//! rolling ticker window and the open candle of each interval. Every venue's ticker and
//! candle streams read the same figures; only the spelling differs.

use std::collections::HashMap;

use crate::dialect::Ev;

/// One symbol's trades as this connection saw them, from its first trade on: prices in ticks,
/// quantities in lots, quote volume in ticks × lots (exponent −7).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rolling {
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
    pub quote: i128,
    /// First trade id.
    pub first_id: u64,
    /// Last trade id.
    pub last_id: u64,
    /// Trades.
    pub count: u64,
    /// First trade's time, ms.
    pub first_ms: u64,
}

impl Rolling {
    /// The price change over the window, ticks.
    pub fn change(&self) -> i64 {
        self.last - self.open
    }

    /// The price change in percent, three decimals.
    pub fn change_percent(&self) -> String {
        let pct = if self.open == 0 { 0.0 } else { self.change() as f64 * 100.0 / self.open as f64 };
        format!("{pct:.3}")
    }

    /// The volume-weighted average price, ticks (the last price before any volume).
    pub fn average(&self) -> i64 {
        if self.volume > 0 { (self.quote / i128::from(self.volume)) as i64 } else { self.last }
    }
}

/// A candle: its interval and start, prices, volumes and trades so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bar {
    /// Interval, ms.
    pub span: u64,
    /// Start, ms (a multiple of `span`).
    pub start: u64,
    /// Open price.
    pub open: i64,
    /// High price.
    pub high: i64,
    /// Low price.
    pub low: i64,
    /// Close (last) price.
    pub close: i64,
    /// Base volume.
    pub volume: i64,
    /// Quote volume (exponent −7).
    pub quote: i128,
    /// Base volume the takers bought.
    pub buy_volume: i64,
    /// First trade id.
    pub first_id: u64,
    /// Last trade id.
    pub last_id: u64,
    /// Trades.
    pub count: u64,
}

impl Bar {
    /// The candle's last millisecond.
    pub fn end(&self) -> u64 {
        self.start + self.span - 1
    }
}

/// Quote volume text (ticks × lots, exponent −7): one lot of 1.00000 at 30008.25.
///
/// # Examples
///
/// ```
/// assert_eq!(mdbus_sim::tape::quote(3_000_825 * 100_000), "30008.2500000");
/// ```
pub fn quote(v: i128) -> String {
    mdbus_schemas::Decimal::new(v, -7).to_string()
}

/// Each symbol's rolling window and open candles, fed by the trades a connection sees.
///
/// # Examples
///
/// ```
/// use mdbus_sim::{dialect::Ev, tape::Tape};
///
/// let mut tape = Tape::new(1);
/// for (id, price, ms) in [(1, 100, 60_000), (2, 103, 60_500), (3, 99, 121_000)] {
///     let ev = Ev::Trade { sym: 0, id, price, qty: 10, buy: true, ms };
///     tape.record(&ev);
///     let bar = tape.bar(&ev, 60_000).unwrap();
///     assert_eq!(bar.close, price);
/// }
/// let r = tape.rolling(0);
/// assert_eq!((r.open, r.high, r.low, r.last, r.count), (100, 103, 99, 99, 3));
/// // The third trade opened a new minute.
/// let ev = Ev::Trade { sym: 0, id: 4, price: 101, qty: 5, buy: false, ms: 121_500 };
/// let bar = tape.bar(&ev, 60_000).unwrap();
/// assert_eq!((bar.start, bar.open, bar.high, bar.count), (120_000, 99, 101, 2));
/// ```
#[derive(Debug, Default)]
pub struct Tape {
    rolling: Vec<Rolling>,
    bars: HashMap<(usize, u64), Bar>,
}

impl Tape {
    /// A tape for `symbols` symbols.
    pub fn new(symbols: usize) -> Tape {
        Tape { rolling: vec![Rolling::default(); symbols], bars: HashMap::new() }
    }

    /// Adds a trade to its symbol's rolling window (other events are ignored).
    pub fn record(&mut self, ev: &Ev) {
        let Ev::Trade { sym, id, price, qty, ms, .. } = *ev else { return };
        let Some(r) = self.rolling.get_mut(sym) else { return };
        if r.count == 0 {
            *r = Rolling { open: price, high: price, low: price, first_id: id, first_ms: ms, ..Rolling::default() };
        }
        r.high = r.high.max(price);
        r.low = r.low.min(price);
        r.last = price;
        r.last_qty = qty;
        r.last_id = id;
        r.volume += qty;
        r.quote += i128::from(price) * i128::from(qty);
        r.count += 1;
    }

    /// The rolling window of symbol `sym`.
    pub fn rolling(&self, sym: usize) -> Rolling {
        self.rolling.get(sym).copied().unwrap_or_default()
    }

    /// Adds trade `ev` to its symbol's candle of interval `span` ms and returns the candle; a
    /// trade past the candle's end opens the next one. Call once per trade and interval.
    pub fn bar(&mut self, ev: &Ev, span: u64) -> Option<Bar> {
        let Ev::Trade { sym, id, price, qty, buy, ms } = *ev else { return None };
        if span == 0 {
            return None;
        }
        let start = ms - ms % span;
        let fresh = Bar {
            span,
            start,
            open: price,
            high: price,
            low: price,
            close: price,
            volume: 0,
            quote: 0,
            buy_volume: 0,
            first_id: id,
            last_id: id,
            count: 0,
        };
        let k = self.bars.entry((sym, span)).or_insert(fresh);
        if k.start != start {
            *k = fresh;
        }
        k.high = k.high.max(price);
        k.low = k.low.min(price);
        k.close = price;
        k.volume += qty;
        k.quote += i128::from(price) * i128::from(qty);
        if buy {
            k.buy_volume += qty;
        }
        k.last_id = id;
        k.count += 1;
        Some(*k)
    }
}
