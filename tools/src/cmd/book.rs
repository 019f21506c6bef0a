//! `mdbus book`: the latest book of every instrument, from the feeds' book tables (no replay): all
//! feeds, one feed, or one symbol of it.

use super::prelude::*;

/// Its arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// One JSON object per instrument, one per line.
    #[arg(long)]
    json: bool,
    /// Levels a side to show.
    #[arg(long, default_value_t = 10)]
    depth: usize,
    /// Refresh in place every second until interrupted.
    #[arg(long)]
    watch: bool,
    /// The feed (its ring prefix); every feed with a book table when left out.
    feed: Option<String>,
    /// The symbol, as the venue spells it.
    symbol: Option<String>,
}

impl Args {
    /// Runs the command.
    pub(crate) fn run(self, ctx: Ctx) -> Result<()> {
        let Args { json, depth, watch, feed, symbol } = self;
        let Ctx { dir, .. } = ctx;
        loop {
            let books = mdbus_tools::book::collect(&dir, feed.as_deref(), symbol.as_deref())?;
            if books.is_empty() && !watch {
                bail!("no book tables in {} (feeds with the depth channel keep one)", dir.path().display());
            }
            let mut text = String::new();
            for (f, inst, c) in &books {
                if json {
                    text.push_str(&mdbus_tools::book::to_json(f, inst, c, depth).to_string());
                    text.push('\n');
                } else {
                    text.push_str(&mdbus_tools::book::to_text(f, inst, c, depth));
                }
            }
            if watch {
                print!("\x1b[2J\x1b[H{text}");
                std::io::stdout().flush()?;
                std::thread::sleep(Duration::from_secs(1));
                continue;
            }
            print!("{text}");
            break;
        }
        Ok(())
    }
}
