//! `mdbus internal`: helper processes started by `demo` and `bench`.

use super::prelude::*;

/// Its subcommands.
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::enum_variant_names)] // the variants are the helper processes: each one is a reader
pub(crate) enum InternalCmd {
    RingReader {
        #[arg(long)]
        path: PathBuf,
        #[arg(long)]
        core: usize,
        #[arg(long)]
        until: u64,
        #[arg(long)]
        measure_from: u64,
        #[arg(long)]
        ns_per_tick: f64,
    },
    /// Write one ring per record family, filled with the layout test pattern
    /// (`mdbus_tools::layout::sample_record`), for readers in other languages to check.
    WriteSample {
        /// Directory for the rings (`sample.<family>`).
        #[arg(long)]
        dir: PathBuf,
        /// Records per ring.
        #[arg(long, default_value_t = 100)]
        records: u64,
        /// Ring capacity (a power of two); fewer slots than records makes an overrun to detect.
        #[arg(long, default_value_t = 128)]
        capacity: u64,
    },
    DemoReader {
        #[arg(long)]
        path: PathBuf,
        #[arg(long)]
        id: usize,
    },
    #[cfg(feature = "iceoryx2")]
    IoxReader {
        #[arg(long)]
        name: String,
        #[arg(long)]
        core: usize,
        #[arg(long)]
        warmup: u64,
        #[arg(long)]
        ns_per_tick: f64,
        #[arg(long)]
        capacity: usize,
        #[arg(long)]
        lossless: bool,
    },
}

impl InternalCmd {
    /// Runs the subcommand.
    pub(crate) fn run(self, _ctx: Ctx) -> Result<()> {
        match self {
            InternalCmd::RingReader { path, core, until, measure_from, ns_per_tick } => {
                bench::ring_reader(&bench::ReaderArgs { path, core, until, measure_from, ns_per_tick })?;
            }
            InternalCmd::DemoReader { path, id } => {
                demo::reader(&path, id)?;
            }
            InternalCmd::WriteSample { dir, records, capacity } => {
                let rd = RingDir::new(&dir);
                for (kind, _) in mdbus_schemas::FAMILIES {
                    let name = format!("sample.{}", kind.name().unwrap_or("unknown"));
                    let mut w = rd.writer(&name, kind, &mdbus_bus::RingOptions::default().capacity(capacity))?;
                    for i in 0..records {
                        let rec = mdbus_tools::layout::sample_record(kind, i).context("a family without a size")?;
                        w.publish_bytes(&rec)?;
                    }
                }
            }
            #[cfg(feature = "iceoryx2")]
            InternalCmd::IoxReader { name, core, warmup, ns_per_tick, capacity, lossless } => {
                mdbus_tools::bench_iox::reader(&name, core, warmup, ns_per_tick, capacity, lossless)?
            }
        }
        Ok(())
    }
}
