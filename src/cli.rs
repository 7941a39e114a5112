//! The command line: `marginalia [PATH]` opens the app; subcommands work on a workspace without
//! a window. Each subcommand returns an exit code and writes only to the given streams, so tests
//! can run it in-process.

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::workspace::Workspace;

/// Marginalia: annotate news texts with quote, claim, error and boilerplate spans.
#[derive(Debug, Parser)]
#[command(name = "marginalia", version, about)]
pub struct Cli {
    /// A workspace folder or a text file to open (default: the current folder).
    pub path: Option<PathBuf>,
    /// Who is annotating (1–64 of A–Z a–z 0–9 . _ -). Remembered between runs.
    #[arg(long, global = true)]
    pub annotator: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check every annotation file of the workspace; one line per problem.
    Validate {
        /// The workspace (default: the current folder).
        path: Option<PathBuf>,
    },
    /// Span counts per tag, annotator and document, and document statuses.
    Stats {
        path: Option<PathBuf>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Inter-annotator agreement: Cohen's kappa, Krippendorff's alpha, span F1, tag confusion.
    Agree {
        /// The workspace (default: the current folder).
        path: Option<PathBuf>,
        /// Annotators to compare, comma-separated (default: every layer except `curated`).
        #[arg(long, value_delimiter = ',')]
        annotators: Vec<String>,
        /// Tags to compare, comma-separated (default: the workspace's tag set).
        #[arg(long, value_delimiter = ',')]
        tags: Vec<String>,
        /// Print JSON with every figure instead of a table.
        #[arg(long)]
        json: bool,
        /// With --json: print the per-character labels instead, for cross-checking.
        #[arg(long, hide = true)]
        dump_units: bool,
    },
}

fn here(p: Option<PathBuf>) -> PathBuf {
    p.unwrap_or_else(|| PathBuf::from("."))
}

/// Runs a subcommand. Returns the process exit code.
pub fn run_command(cmd: Command, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    match cmd {
        Command::Validate { path } => validate(here(path), out, err),
        Command::Stats { path, json } => stats(here(path), json, out, err),
        Command::Agree {
            path,
            annotators,
            tags,
            json,
            dump_units,
        } => agree(
            here(path),
            crate::agreement::AgreementOptions { annotators, tags },
            json,
            dump_units,
            out,
            err,
        ),
    }
}

fn open_ws(path: &PathBuf, err: &mut dyn Write) -> Option<Workspace> {
    match Workspace::open(path) {
        Ok(ws) => Some(ws),
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            None
        }
    }
}

fn validate(path: PathBuf, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let Some(ws) = open_ws(&path, err) else {
        return 2;
    };
    let (findings, checked) = crate::validate::validate_workspace(&ws);
    for f in &findings {
        let _ = writeln!(out, "{f}");
    }
    if findings.is_empty() {
        let _ = writeln!(
            out,
            "ok: {checked} annotation files in {} are valid",
            ws.root().display()
        );
        0
    } else {
        let _ = writeln!(
            err,
            "{} problem(s) in {checked} annotation files",
            findings.len()
        );
        1
    }
}

fn stats(path: PathBuf, json: bool, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let Some(ws) = open_ws(&path, err) else {
        return 2;
    };
    let st = crate::stats::gather(&ws);
    if json {
        match serde_json::to_string_pretty(&st) {
            Ok(s) => {
                let _ = writeln!(out, "{s}");
            }
            Err(e) => {
                let _ = writeln!(err, "error: {e}");
                return 1;
            }
        }
    } else {
        let _ = write!(out, "{}", st.to_table());
    }
    0
}

fn print_json<T: serde::Serialize>(value: &T, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    match serde_json::to_string_pretty(value) {
        Ok(s) => {
            let _ = writeln!(out, "{s}");
            0
        }
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            1
        }
    }
}

fn agree(
    path: PathBuf,
    opts: crate::agreement::AgreementOptions,
    json: bool,
    dump_units: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let Some(ws) = open_ws(&path, err) else {
        return 2;
    };
    if dump_units {
        return match crate::agreement::dump_units(&ws, &opts) {
            Ok(d) => print_json(&d, out, err),
            Err(e) => {
                let _ = writeln!(err, "error: {e}");
                1
            }
        };
    }
    match crate::agreement::compute(&ws, &opts, &|_, _| true) {
        Ok(report) if json => print_json(&report, out, err),
        Ok(report) => {
            let _ = write!(out, "{}", report.to_table());
            0
        }
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            1
        }
    }
}
