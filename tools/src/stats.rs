//! Latency percentiles from hdrhistogram.

use hdrhistogram::Histogram;
use serde_json::{Value, json};

/// Returns an empty histogram for nanosecond values from 1 ns to 100 s, 3 significant digits.
///
/// # Panics
///
/// Never: the bounds are valid constants for hdrhistogram.
pub fn new_histogram() -> Histogram<u64> {
    #[allow(clippy::expect_used)]
    Histogram::new_with_bounds(1, 100_000_000_000, 3).expect("valid histogram bounds")
}

/// Percentiles of one latency distribution, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Summary {
    /// Number of samples.
    pub count: u64,
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// Largest sample.
    pub max: u64,
}

impl Summary {
    /// Summarises a histogram.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut h = mdbus_tools::stats::new_histogram();
    /// for v in 1..=100u64 { h.record(v).unwrap(); }
    /// let s = mdbus_tools::stats::Summary::of(&h);
    /// assert_eq!((s.count, s.p50, s.max), (100, 50, 100));
    /// ```
    pub fn of(h: &Histogram<u64>) -> Summary {
        Summary {
            count: h.len(),
            p50: h.value_at_quantile(0.50),
            p90: h.value_at_quantile(0.90),
            p99: h.value_at_quantile(0.99),
            p999: h.value_at_quantile(0.999),
            max: h.max(),
        }
    }

    /// Returns the summary as a JSON object.
    pub fn to_json(&self) -> Value {
        json!({ "count": self.count, "p50": self.p50, "p90": self.p90, "p99": self.p99, "p999": self.p999, "max": self.max })
    }

    /// Reads a summary written by [`Summary::to_json`]; missing fields are zero.
    pub fn from_json(v: &Value) -> Summary {
        let g = |k: &str| v.get(k).and_then(Value::as_u64).unwrap_or(0);
        Summary { count: g("count"), p50: g("p50"), p90: g("p90"), p99: g("p99"), p999: g("p999"), max: g("max") }
    }
}

/// Formats nanoseconds for people: `850ns`, `12.3µs`, `4.1ms`.
///
/// # Examples
///
/// ```
/// assert_eq!(mdbus_tools::stats::human_ns(850), "850ns");
/// assert_eq!(mdbus_tools::stats::human_ns(12_345), "12.3µs");
/// ```
pub fn human_ns(ns: u64) -> String {
    match ns {
        0..1_000 => format!("{ns}ns"),
        1_000..1_000_000 => format!("{:.1}µs", ns as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1}ms", ns as f64 / 1e6),
        _ => format!("{:.2}s", ns as f64 / 1e9),
    }
}
