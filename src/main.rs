//! Entry point: parse the command line, then run a subcommand or open the app.

use std::process::ExitCode;

use clap::Parser;
use marginalia::cli::Cli;

fn main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Some(cmd) => {
            let code =
                marginalia::cli::run_command(cmd, &mut std::io::stdout(), &mut std::io::stderr());
            Ok(ExitCode::from(code.clamp(0, 255) as u8))
        }
        None => {
            anyhow::bail!("the app is not built yet")
        }
    }
}
