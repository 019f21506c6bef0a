//! `mdbus decode`: decode venue frames into records, one JSON object per record on stdout. Each
//! FILE holds one frame exactly as received; with no FILE, stdin holds text frames one per line. A
//! frame that fails to decode is reported on stderr (with its file or line) and decoding goes on;
//! the exit status is 2 if any frame failed.

use super::prelude::*;

/// Its arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Venue: binance-spot, binance-usdm, okx, bybit, gateio, gemini or htx.
    #[arg(long)]
    venue: String,
    /// Files with one frame each.
    files: Vec<PathBuf>,
}

impl Args {
    /// Runs the command.
    pub(crate) fn run(self, _ctx: Ctx) -> Result<()> {
        let Args { venue, files } = self;
        {
            if decode(&venue, &files)? > 0 {
                std::process::exit(2);
            }
        }
        Ok(())
    }
}

/// Decodes frames for `mdbus decode`; returns how many failed.
fn decode(venue: &str, files: &[PathBuf]) -> Result<usize> {
    use std::io::BufRead;
    let Some(venue) = mdbus_tools::decode::Venue::from_name(venue) else {
        bail!("unknown venue {venue:?}: use {}", mdbus_tools::decode::Venue::names().join(", "));
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut failed = 0;
    let mut one = |label: &str, frame: &[u8], out: &mut dyn Write| -> Result<()> {
        match mdbus_tools::decode::decode_frame(venue, frame) {
            Ok(records) => {
                for r in records {
                    writeln!(out, "{r}")?;
                }
            }
            Err(e) => {
                failed += 1;
                eprintln!("{label}: {e}");
            }
        }
        Ok(())
    };
    if files.is_empty() {
        for (i, line) in std::io::stdin().lock().split(b'\n').enumerate() {
            let line = line.context("reading stdin")?;
            let line = line.strip_suffix(b"\r").unwrap_or(&line);
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            one(&format!("line {}", i + 1), line, &mut out)?;
        }
    } else {
        for f in files {
            let frame = std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
            one(&f.display().to_string(), &frame, &mut out)?;
        }
    }
    Ok(failed)
}
