//! `mdbus layout`: print the record layout (schema version, layout hash, every family's fields) as
//! JSON, for readers in other languages.

use super::prelude::*;

/// Its arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

impl Args {
    /// Runs the command.
    pub(crate) fn run(self, _ctx: Ctx) -> Result<()> {
        println!("{:#}", mdbus_tools::layout::to_json());
        Ok(())
    }
}
