//! `mdbus tail`: print the records of a ring as they arrive.

use super::prelude::*;

/// Its arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Ring name in the ring directory, or a path to a `.ring` file.
    ring: String,
    /// JSON lines instead of text.
    #[arg(long)]
    json: bool,
    /// Where to start.
    #[arg(long, value_enum, default_value_t = From::Head)]
    from: From,
    /// Stop after this many records.
    #[arg(long)]
    count: Option<u64>,
    /// Stop when nothing arrives for this many milliseconds.
    #[arg(long)]
    idle_exit_ms: Option<u64>,
}

impl Args {
    /// Runs the command.
    pub(crate) fn run(self, ctx: Ctx) -> Result<()> {
        let Args { ring, json, from, count, idle_exit_ms } = self;
        let Ctx { dir, .. } = ctx;
        tail(&dir, &ring, json, from, count, idle_exit_ms)?;
        Ok(())
    }
}

fn tail(dir: &RingDir, ring: &str, json: bool, from: From, count: Option<u64>, idle: Option<u64>) -> Result<()> {
    let path = ring_path(dir, ring)?;
    let start = match from {
        From::Head => Start::Head,
        From::Oldest => Start::Oldest,
    };
    let mut reader = Reader::open_at(&path, start).with_context(|| format!("opening {}", path.display()))?;
    let table =
        RingDir::new(path.parent().unwrap_or(Path::new("."))).load_instruments().ok().flatten().and_then(Result::ok);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut seen = 0u64;
    let mut last = Instant::now();
    let backoff = crossbeam_utils::Backoff::new();
    while count.is_none_or(|c| seen < c) {
        match reader.try_read() {
            Ok(rec) => {
                backoff.reset();
                last = Instant::now();
                seen += 1;
                let line = match rec.view() {
                    Ok(v) if json => format::to_json(&v, table.as_ref()).to_string(),
                    Ok(v) => format::to_text(&v, table.as_ref()),
                    Err(e) if json => serde_json::json!({ "seq": rec.seq(), "error": e.to_string() }).to_string(),
                    Err(e) => format!("{:>10} error: {e}", rec.seq()),
                };
                if writeln!(out, "{line}").is_err() {
                    return Ok(()); // reader of our output went away (e.g. `| head`)
                }
            }
            Err(ReadError::Overrun { lost }) => {
                let line = if json {
                    serde_json::json!({ "overrun": lost }).to_string()
                } else {
                    format!("# overrun: {lost} records lost")
                };
                if writeln!(out, "{line}").is_err() {
                    return Ok(());
                }
            }
            Err(ReadError::Empty) => {
                if idle.is_some_and(|ms| last.elapsed() >= Duration::from_millis(ms)) {
                    break;
                }
                let _ = out.flush();
                // Asleep on the ring's doorbell until the next publish, in slices that let the
                // idle exit be checked; on a ring without one, spin, then yield.
                let slice = idle.map_or(Duration::from_millis(100), |ms| {
                    Duration::from_millis(ms).saturating_sub(last.elapsed()).min(Duration::from_millis(100))
                });
                if backoff.is_completed() {
                    if !reader.wait(slice) {
                        backoff.snooze();
                    }
                } else {
                    backoff.snooze();
                }
            }
        }
    }
    Ok(())
}
