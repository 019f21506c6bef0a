//! `mdbus latency`: per-stage latency of a ring's records (venue ► receive, receive ► publish,
//! publish ► read) as percentiles; optionally saved as .hgrm files and drawn as an SVG plot.

use super::prelude::*;

/// Its arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Ring name in the ring directory, or a path to a `.ring` file.
    ring: String,
    /// How long to read.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Save each stage's distribution in HdrHistogram's .hgrm format: FILE's stem plus
    /// `.<stage>.hgrm` (out.hgrm -> out.publish_to_read.hgrm, ...).
    #[arg(long)]
    hgrm: Option<PathBuf>,
    /// Draw the percentile curves of every stage into this SVG file.
    #[arg(long)]
    plot: Option<PathBuf>,
    /// One JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

impl Args {
    /// Runs the command.
    pub(crate) fn run(self, ctx: Ctx) -> Result<()> {
        let Args { ring, seconds, hgrm, plot, json } = self;
        let Ctx { dir, .. } = ctx;
        latency(&dir, &ring, seconds, hgrm, plot, json)?;
        Ok(())
    }
}

fn latency(
    dir: &RingDir,
    ring: &str,
    seconds: u64,
    hgrm: Option<PathBuf>,
    plot: Option<PathBuf>,
    json: bool,
) -> Result<()> {
    use mdbus_tools::{latency, stats::Summary};
    let path = ring_path(dir, ring)?;
    let total = Duration::from_secs(seconds.max(1));
    let stages = latency::measure(&path, total, &mut |elapsed, s| {
        eprint!(
            "\r{ring}: {:>3}/{}s  {} records  publish->read p50 {}   ",
            elapsed.as_secs(),
            total.as_secs(),
            s.records,
            human_ns(s.publish_to_read.value_at_quantile(0.5))
        );
    })
    .with_context(|| format!("reading {}", path.display()))?;
    eprintln!();
    let mut written = Vec::new();
    if let Some(base) = &hgrm {
        let stem = base.with_extension("");
        for (name, h) in stages.named() {
            let file = stem.with_extension(format!("{name}.hgrm"));
            std::fs::write(&file, latency::hgrm(h)).with_context(|| format!("writing {}", file.display()))?;
            written.push(file);
        }
    }
    if let Some(svg) = &plot {
        latency::svg(&stages.named(), svg, &format!("{ring}: latency by stage"))?;
        written.push(svg.clone());
    }
    if json {
        let mut v = serde_json::json!({ "ring": ring, "records": stages.records, "lost": stages.lost, "skipped_venue": stages.skipped_venue });
        for (name, h) in stages.named() {
            v[name] = Summary::of(h).to_json();
        }
        println!("{v}");
    } else {
        println!(
            "{:<20} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}",
            "stage", "count", "p50", "p90", "p99", "p99.9", "max"
        );
        for (name, h) in stages.named() {
            let s = Summary::of(h);
            println!(
                "{name:<20} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}",
                s.count,
                human_ns(s.p50),
                human_ns(s.p90),
                human_ns(s.p99),
                human_ns(s.p999),
                human_ns(s.max)
            );
        }
        println!("{} records, {} lost to overruns", stages.records, stages.lost);
        for f in written {
            println!("wrote {}", f.display());
        }
    }
    Ok(())
}
