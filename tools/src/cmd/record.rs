//! `mdbus record`: record a ring's records into a capture file (a feeder records frames too:
//! `record:` in its configuration).

use super::prelude::*;

/// Its arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Ring name in the ring directory, or a path to a `.ring` file.
    ring: String,
    /// The capture file to write.
    file: PathBuf,
    /// How long to record.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Where to start.
    #[arg(long, value_enum, default_value_t = From::Head)]
    from: From,
    /// With --from oldest: stop once caught up.
    #[arg(long)]
    until_caught_up: bool,
}

impl Args {
    /// Runs the command.
    pub(crate) fn run(self, ctx: Ctx) -> Result<()> {
        let Args { ring, file, seconds, from, until_caught_up } = self;
        let Ctx { dir, .. } = ctx;
        {
            let path = ring_path(&dir, &ring)?;
            let start = match from {
                From::Head => Start::Head,
                From::Oldest => Start::Oldest,
            };
            let r = mdbus_tools::replay::record(
                &path,
                &file,
                start,
                Duration::from_secs(seconds.max(1)),
                until_caught_up,
                &mut |n| eprint!("\rrecording {ring}: {n} records   "),
            )?;
            eprintln!();
            println!("recorded {} records of {ring} into {}", r.records, file.display());
            if r.lost > 0 {
                println!(
                    "lost {} records: the writer lapped the recorder (gap markers with the count are in the capture)",
                    r.lost
                );
            }
        }
        Ok(())
    }
}
