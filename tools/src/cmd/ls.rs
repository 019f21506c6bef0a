//! `mdbus ls`: list the rings in the ring directory: kind, size, head, writer alive or dead,
//! heartbeat age, and records per second.

use super::prelude::*;

/// Its arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// One JSON array instead of a table.
    #[arg(long)]
    json: bool,
    /// Refresh in place every second (like top) until interrupted.
    #[arg(long)]
    watch: bool,
    /// Milliseconds between the two looks at every ring's head that give its rate.
    #[arg(long, default_value_t = 250)]
    rate_ms: u64,
}

impl Args {
    /// Runs the command.
    pub(crate) fn run(self, ctx: Ctx) -> Result<()> {
        let Args { json, watch, rate_ms } = self;
        let Ctx { dir, .. } = ctx;
        loop {
            let before = dir.list()?;
            let t0 = Instant::now();
            std::thread::sleep(Duration::from_millis(if watch { 1000 } else { rate_ms }));
            let entries = dir.list()?;
            let rates = listing::rates(&before, &entries, t0.elapsed());
            if watch {
                // Clear the screen and home the cursor, then redraw.
                print!("\x1b[2J\x1b[H{}", listing::to_table_with_rates(&entries, &rates));
                std::io::stdout().flush()?;
                continue;
            }
            if json {
                println!("{}", listing::to_json_with_rates(&entries, &rates));
            } else {
                print!("{}", listing::to_table_with_rates(&entries, &rates));
            }
            break;
        }
        Ok(())
    }
}
