//! `mdbus latency`: per-stage latency of the records arriving on a ring, from the three
//! timestamps every record carries (venue event, local receive, publish) and the moment this
//! process reads it. Each stage goes into an hdrhistogram; the result prints as a percentile
//! table, saves in HdrHistogram's percentile-distribution text format (`.hgrm`, which its
//! plotters read), and draws as an SVG percentile plot with a log-scale tail axis.

use std::{
    path::Path,
    time::{Duration, Instant},
};

use hdrhistogram::Histogram;
use mdbus_bus::{ReadError, Reader, Start, now_ns};
use mdbus_schemas::Kind;

use crate::stats::new_histogram;

/// Errors of a latency measurement.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LatencyError {
    /// The ring could not be opened.
    #[error(transparent)]
    Open(#[from] mdbus_bus::OpenError),
    /// A file could not be written or read.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The plot could not be drawn.
    #[error("plot: {0}")]
    Plot(String),
    /// An `.hgrm` text is not a percentile distribution.
    #[error("hgrm line {line}: {why}")]
    Hgrm {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        why: &'static str,
    },
}

/// The stages a record goes through, in order.
pub const STAGES: [&str; 3] = ["venue_to_receive", "receive_to_publish", "publish_to_read"];

/// One histogram per stage, in nanoseconds.
#[derive(Debug, Clone)]
pub struct Stages {
    /// Venue event time ► local receive (venue clocks are in milliseconds and may run ahead:
    /// records whose receive precedes the venue time are counted in `skipped_venue`).
    pub venue_to_receive: Histogram<u64>,
    /// Local receive ► publish into the ring.
    pub receive_to_publish: Histogram<u64>,
    /// Publish ► read by this process.
    pub publish_to_read: Histogram<u64>,
    /// Records read.
    pub records: u64,
    /// Records lost to overruns while reading.
    pub lost: u64,
    /// Records without a usable venue time.
    pub skipped_venue: u64,
}

impl Default for Stages {
    fn default() -> Self {
        Stages {
            venue_to_receive: new_histogram(),
            receive_to_publish: new_histogram(),
            publish_to_read: new_histogram(),
            records: 0,
            lost: 0,
            skipped_venue: 0,
        }
    }
}

impl Stages {
    /// The histograms with their stage names, in [`STAGES`] order.
    pub fn named(&self) -> [(&'static str, &Histogram<u64>); 3] {
        [(STAGES[0], &self.venue_to_receive), (STAGES[1], &self.receive_to_publish), (STAGES[2], &self.publish_to_read)]
    }

    /// Adds one record's timestamps (ns since the epoch), read at `read_ns`.
    pub fn add(&mut self, venue_ns: u64, recv_ns: u64, publish_ns: u64, read_ns: u64) {
        self.records += 1;
        if venue_ns > 0 && recv_ns >= venue_ns {
            let _ = self.venue_to_receive.record((recv_ns - venue_ns).max(1));
        } else {
            self.skipped_venue += 1;
        }
        if recv_ns > 0 && publish_ns >= recv_ns {
            let _ = self.receive_to_publish.record((publish_ns - recv_ns).max(1));
        }
        if publish_ns > 0 {
            let _ = self.publish_to_read.record(read_ns.saturating_sub(publish_ns).max(1));
        }
    }
}

/// Reads `path` from its head for `duration`, calling `progress` about once a second.
///
/// # Errors
///
/// [`LatencyError::Open`] when the ring cannot be opened.
pub fn measure(
    path: &Path,
    duration: Duration,
    progress: &mut dyn FnMut(Duration, &Stages),
) -> Result<Stages, LatencyError> {
    let mut reader = Reader::open_at(path, Start::Head)?;
    let mut s = Stages::default();
    let start = Instant::now();
    let mut tick = Instant::now();
    let backoff = crossbeam_utils::Backoff::new();
    while start.elapsed() < duration {
        match reader.try_read() {
            Ok(rec) => {
                let now = now_ns();
                backoff.reset();
                let h = rec.header();
                if h.kind != Kind::MARKER {
                    s.add(h.venue_ts.0, h.recv_ts.0, h.publish_ts.0, now);
                }
            }
            Err(ReadError::Overrun { lost }) => s.lost += lost,
            Err(ReadError::Empty) => backoff.snooze(),
        }
        if tick.elapsed() >= Duration::from_secs(1) {
            tick = Instant::now();
            progress(start.elapsed(), &s);
        }
    }
    Ok(s)
}

/// `h` in HdrHistogram's percentile-distribution text format, values in microseconds (as
/// `outputPercentileDistribution(out, 5, 1000.0)` writes them).
///
/// # Examples
///
/// ```
/// let mut h = mdbus_tools::stats::new_histogram();
/// for v in 1..=1000u64 { h.record(v * 1000).unwrap(); }
/// let text = mdbus_tools::latency::hgrm(&h);
/// let rows = mdbus_tools::latency::parse_hgrm(&text)?;
/// let median = rows.iter().find(|r| r.1 >= 0.5).unwrap();
/// assert!((median.0 - 500.0).abs() < 1.0);
/// # Ok::<(), mdbus_tools::latency::LatencyError>(())
/// ```
pub fn hgrm(h: &Histogram<u64>) -> String {
    const SCALE: f64 = 1000.0;
    let mut out = format!("{:>12} {:>14} {:>10} {:>14}\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)");
    if h.is_empty() {
        return out;
    }
    let mut total = 0u64;
    for v in h.iter_quantiles(5) {
        total += v.count_since_last_iteration();
        let q = v.quantile_iterated_to();
        let value = h.highest_equivalent(v.value_iterated_to()) as f64 / SCALE;
        if q < 1.0 {
            out.push_str(&format!("{value:>12.3} {q:>2.12} {total:>10} {:>14.2}\n", 1.0 / (1.0 - q)));
        } else {
            out.push_str(&format!("{value:>12.3} {q:>2.12} {total:>10}\n"));
        }
    }
    out.push_str(&format!("#[Mean    = {:>12.3}, StdDeviation   = {:>12.3}]\n", h.mean() / SCALE, h.stdev() / SCALE));
    out.push_str(&format!("#[Max     = {:>12.3}, Total count    = {:>12}]\n", h.max() as f64 / SCALE, h.len()));
    // Sub-buckets per bucket: the power of two covering 2 × 10^significant-digits.
    let sub_buckets = (2.0 * 10f64.powi(i32::from(h.sigfig()))).log2().ceil().exp2() as u64;
    out.push_str(&format!("#[Buckets = {:>12}, SubBuckets     = {:>12}]\n", h.buckets(), sub_buckets));
    out
}

/// Reads the rows of an `.hgrm` text: value, percentile, total count.
///
/// # Errors
///
/// [`LatencyError::Hgrm`] naming the first line that is not a row, header or footer.
pub fn parse_hgrm(text: &str) -> Result<Vec<(f64, f64, u64)>, LatencyError> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') || t.starts_with("Value") {
            continue;
        }
        let bad = |why| LatencyError::Hgrm { line: i + 1, why };
        let mut cols = t.split_whitespace();
        let value: f64 = cols.next().and_then(|c| c.parse().ok()).ok_or_else(|| bad("value"))?;
        let q: f64 = cols.next().and_then(|c| c.parse().ok()).ok_or_else(|| bad("percentile"))?;
        let total: u64 = cols.next().and_then(|c| c.parse().ok()).ok_or_else(|| bad("total count"))?;
        if !(0.0..=1.0).contains(&q) {
            return Err(bad("percentile out of 0..1"));
        }
        rows.push((value, q, total));
    }
    Ok(rows)
}

/// Draws the stages' percentile curves into an SVG file: latency (µs, log scale) against the
/// percentile on a log-scale tail axis (`1/(1-p)`: 50 %, 90 %, 99 %, 99.9 %, ...), one line per
/// stage with samples.
///
/// # Errors
///
/// [`LatencyError::Plot`] when drawing fails (no stage has samples, the file cannot be written).
pub fn svg(stages: &[(&str, &Histogram<u64>)], path: &Path, title: &str) -> Result<(), LatencyError> {
    use plotters::prelude::*;
    let series: Vec<(&str, Vec<(f64, f64)>)> = stages
        .iter()
        .filter(|(_, h)| !h.is_empty())
        .map(|(name, h)| {
            let pts = h
                .iter_quantiles(5)
                .filter(|v| v.quantile_iterated_to() < 1.0)
                .map(|v| {
                    (
                        1.0 / (1.0 - v.quantile_iterated_to()),
                        (h.highest_equivalent(v.value_iterated_to()) as f64 / 1000.0).max(0.001),
                    )
                })
                .collect();
            (*name, pts)
        })
        .collect();
    if series.is_empty() {
        return Err(LatencyError::Plot("no stage has samples".into()));
    }
    let x_max = series.iter().flat_map(|(_, p)| p.iter().map(|(x, _)| *x)).fold(10.0, f64::max);
    let y_min = series.iter().flat_map(|(_, p)| p.iter().map(|(_, y)| *y)).fold(f64::MAX, f64::min).max(0.001);
    let y_max = series.iter().flat_map(|(_, p)| p.iter().map(|(_, y)| *y)).fold(0.0, f64::max).max(y_min * 10.0);
    let plot = |e: &dyn std::fmt::Display| LatencyError::Plot(e.to_string());
    let root = SVGBackend::new(path, (960, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d((1.0..x_max * 1.5).log_scale(), (y_min * 0.8..y_max * 1.25).log_scale())
        .map_err(|e| plot(&e))?;
    chart
        .configure_mesh()
        .x_desc("percentile")
        .y_desc("latency (µs)")
        .x_label_formatter(&|x| {
            let p = 100.0 * (1.0 - 1.0 / x);
            if p < 99.0 { format!("{p:.0}%") } else { format!("{p:.3}%").trim_end_matches('0').to_owned() }
        })
        .draw()
        .map_err(|e| plot(&e))?;
    for (i, (name, pts)) in series.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))
            .map_err(|e| plot(&e))?
            .label(*name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .map_err(|e| plot(&e))?;
    root.present().map_err(|e| plot(&e))?;
    Ok(())
}
