//! Entry point: parse the command line, then run a subcommand or open the app.

use std::process::ExitCode;

use clap::Parser;
use marginalia::cli::Cli;

fn main() -> anyhow::Result<ExitCode> {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            // `import --json` answers in JSON even when its command line is wrong.
            if let Some((json, code)) = marginalia::cli::parse_failure_json(&args, &e) {
                println!("{json}");
                return Ok(ExitCode::from(code.clamp(0, 255) as u8));
            }
            e.exit()
        }
    };
    match cli.command {
        Some(cmd) => {
            let code =
                marginalia::cli::run_command(cmd, &mut std::io::stdout(), &mut std::io::stderr());
            Ok(ExitCode::from(code.clamp(0, 255) as u8))
        }
        None => {
            if let Some(name) = &cli.annotator
                && let Err(problem) = marginalia::workspace::check_annotator(name)
            {
                marginalia::cli::error(
                    &mut std::io::stderr(),
                    format_args!("--annotator: {problem}"),
                );
                return Ok(ExitCode::from(2));
            }
            let reopen_last = cli.last && cli.path.is_none();
            let path = match cli.path {
                Some(p) => p,
                None => std::env::current_dir()?,
            };
            let mut start = marginalia::app::StartOptions::new(path);
            start.annotator = cli.annotator;
            start.reopen_last = reopen_last;
            marginalia::app::run(start)
                .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
