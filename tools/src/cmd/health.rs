//! `mdbus health`: exit 0 when every ring's writer is alive and fresh and no book has been out of
//! sync for longer than a bound; otherwise exit 1 with one line per problem (for systemd,
//! Kubernetes probes, cron).

use super::prelude::*;

/// Its arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Seconds a writer may go without publishing or a heartbeat.
    #[arg(long, default_value_t = 2.0)]
    max_heartbeat_age: f64,
    /// Seconds a book may stay resynchronising (or never in sync).
    #[arg(long, default_value_t = 10.0)]
    max_resync: f64,
    /// One JSON object instead of lines.
    #[arg(long)]
    json: bool,
}

impl Args {
    /// Runs the command.
    pub(crate) fn run(self, ctx: Ctx) -> Result<()> {
        let Args { max_heartbeat_age, max_resync, json } = self;
        let Ctx { dir, .. } = ctx;
        {
            let bounds = mdbus_tools::health::Bounds {
                max_heartbeat_age: Duration::from_secs_f64(max_heartbeat_age.max(0.0)),
                max_resync: Duration::from_secs_f64(max_resync.max(0.0)),
            };
            let problems = mdbus_tools::health::problems(&dir, bounds);
            if json {
                println!("{}", mdbus_tools::health::to_json(&problems));
            } else {
                for p in &problems {
                    println!("{p}");
                }
            }
            if !problems.is_empty() {
                std::process::exit(1);
            }
        }
        Ok(())
    }
}
