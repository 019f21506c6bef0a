//! REST market data behind [`VenueFeed`](crate::registry::VenueFeed): instrument metadata
//! ([`InstrumentInfo`], with the price and quantity exponents its tick and lot sizes imply) and
//! the records a REST call returns, the same types the rings carry.

use mdbus_schemas::Decimal;

/// One instrument as the venue describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstrumentInfo {
    /// Symbol as the venue spells it.
    pub symbol: String,
    /// Base asset.
    pub base: String,
    /// Quote asset.
    pub quote: String,
    /// Price increment.
    pub tick_size: Decimal,
    /// Quantity increment.
    pub lot_size: Decimal,
    /// Smallest order value, where the venue states one.
    pub min_notional: Option<Decimal>,
    /// The venue's trading status (`TRADING`, `BREAK`, ...).
    pub status: String,
}

impl InstrumentInfo {
    /// The price exponent: prices are whole multiples of the tick, so the tick's own exponent
    /// (`0.01` → -2, `0.5` → -1, `10` → 0).
    ///
    /// # Examples
    ///
    /// ```
    /// use mdbus_schemas::Decimal;
    /// use mdbus_sdk::market::InstrumentInfo;
    /// let d = |s: &str| s.parse::<Decimal>().unwrap();
    /// let i = InstrumentInfo { symbol: "BTCUSDT".into(), base: "BTC".into(), quote: "USDT".into(),
    ///     tick_size: d("0.01000000"), lot_size: d("0.00001000"), min_notional: None, status: "TRADING".into() };
    /// assert_eq!((i.price_exp(), i.qty_exp()), (-2, -5));
    /// ```
    pub fn price_exp(&self) -> i8 {
        exp_of(self.tick_size)
    }

    /// The quantity exponent, from the lot size as [`InstrumentInfo::price_exp`] does.
    pub fn qty_exp(&self) -> i8 {
        exp_of(self.lot_size)
    }
}

fn exp_of(d: Decimal) -> i8 {
    let n = d.normalized();
    n.exponent().min(0)
}

/// Milliseconds of a Binance-style interval (`1s`, `1m`, `5m`, `1h`, `4h`, `1d`, `1w`, `1M`),
/// `None` for anything else. A month (`M`) counts as 30 days, as the venues' month candles are
/// spaced here.
///
/// ```
/// assert_eq!(mdbus_sdk::market::interval_ms("15m"), Some(900_000));
/// assert_eq!(mdbus_sdk::market::interval_ms("1M"), Some(30 * 86_400_000));
/// assert_eq!(mdbus_sdk::market::interval_ms("1x"), None);
/// ```
pub fn interval_ms(interval: &str) -> Option<u64> {
    let split = interval.find(|c: char| !c.is_ascii_digit())?;
    let n: u64 = interval[..split].parse().ok()?;
    let unit = match &interval[split..] {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "w" => 7 * 86_400_000,
        "M" => 30 * 86_400_000,
        _ => return None,
    };
    (n > 0).then_some(n * unit)
}
