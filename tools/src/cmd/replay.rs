//! `mdbus replay`: play a capture file back into rings: a feeder's capture runs its frames through
//! the same decoders; a ring's capture is republished as it is.

use super::prelude::*;

/// Its arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The capture file.
    file: PathBuf,
    /// Ring prefix for the replayed rings (default: the recorded feed's name + `-replay`).
    #[arg(long)]
    name: Option<String>,
    /// Multiple of the recorded pace (1 = as recorded).
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
    /// As fast as possible.
    #[arg(long)]
    max: bool,
    /// Ring capacity of the replayed rings.
    #[arg(long, default_value_t = 1 << 20)]
    capacity: u64,
    /// Compare the replayed records with the recorded ones; fail on any difference.
    #[arg(long)]
    verify: bool,
}

impl Args {
    /// Runs the command.
    pub(crate) fn run(self, ctx: Ctx) -> Result<()> {
        let Args { file, name, speed, max, capacity, verify } = self;
        let Ctx { dir, .. } = ctx;
        {
            let cap = mdbus_feeder::capture::read(&file).with_context(|| format!("reading {}", file.display()))?;
            if let Some(d) = &cap.damage {
                eprintln!("{}: {d}; replaying the {} valid entries before it", file.display(), cap.entries.len());
            }
            let name = name.unwrap_or_else(|| format!("{}-replay", cap.meta.feed));
            let speed = if max { mdbus_tools::replay::Speed::Max } else { mdbus_tools::replay::Speed::Times(speed) };
            let stats = mdbus_tools::replay::replay(&cap, &dir, &name, capacity, speed, &mut |done, total| {
                let pct = (done * 100).checked_div(total).unwrap_or(100);
                let bar = "=".repeat((pct / 5) as usize);
                eprint!("\r[{bar:<20}] {pct:>3}% {done}/{total}");
            })?;
            eprintln!();
            println!(
                "replayed {} entries into {}.* ({} frames failed, as they did live)",
                stats.entries, name, stats.errors
            );
            if verify {
                let v = mdbus_tools::replay::verify(&cap, &dir, &name)?;
                if !v.mismatches.is_empty() {
                    bail!("replay differs from the recording: {}", v.mismatches.join("; "));
                }
                println!("verified: {} records identical to the recording", v.compared);
            }
            if cap.damage.is_some() {
                std::process::exit(2);
            }
        }
        Ok(())
    }
}
