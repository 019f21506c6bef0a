//! `mdbus stat`: what a ring carried over a window, per instrument: records and rate, gaps,
//! resyncs, crossed books, the last gap and resync; connects, disconnects and losses.

use super::prelude::*;

/// Its arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Ring name in the ring directory, or a path to a `.ring` file.
    ring: String,
    /// How long to read.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Where to start: head (what arrives from now on) or oldest (what the ring still holds,
    /// then what arrives).
    #[arg(long, value_enum, default_value_t = From::Head)]
    from: From,
    /// With --from oldest: stop once caught up instead of after --seconds.
    #[arg(long)]
    until_caught_up: bool,
    /// One JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

impl Args {
    /// Runs the command.
    pub(crate) fn run(self, ctx: Ctx) -> Result<()> {
        let Args { ring, seconds, from, until_caught_up, json } = self;
        let Ctx { dir, .. } = ctx;
        {
            let path = ring_path(&dir, &ring)?;
            let start = match from {
                From::Head => Start::Head,
                From::Oldest => Start::Oldest,
            };
            let s = mdbus_tools::stat::collect(&path, start, Duration::from_secs(seconds.max(1)), until_caught_up)
                .with_context(|| format!("reading {}", path.display()))?;
            let table = RingDir::new(path.parent().unwrap_or(Path::new(".")))
                .load_instruments()
                .ok()
                .flatten()
                .and_then(Result::ok);
            if json {
                println!("{}", s.to_json(table.as_ref()));
            } else {
                print!("{}", s.to_table(table.as_ref()));
            }
        }
        Ok(())
    }
}
