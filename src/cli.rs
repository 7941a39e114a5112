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
    /// Write a generated big document as a workspace, for manual performance testing:
    /// `OUT_DIR/big.txt` and `OUT_DIR/annotations/<annotator>/big.ron`.
    #[command(hide = true)]
    Synth {
        /// Text size, e.g. 4kb, 1mb, 10mb (binary units).
        #[arg(long, default_value = "10mb")]
        size: String,
        /// Number of spans (a tenth of them nested or overlapping).
        #[arg(long, default_value_t = 100_000)]
        spans: usize,
        /// Seed of the generator; the same seed gives the same files.
        #[arg(long, default_value_t = crate::synth::SynthSpec::DEFAULT_SEED)]
        seed: u64,
        /// Whose layer to write.
        #[arg(long, default_value = "editor-a")]
        annotated_by: String,
        /// The folder to write the workspace into.
        out_dir: PathBuf,
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
        Command::Synth {
            size,
            spans,
            seed,
            annotated_by,
            out_dir,
        } => synth(&size, spans, seed, &annotated_by, &out_dir, out, err),
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

fn synth(
    size: &str,
    spans: usize,
    seed: u64,
    annotator: &str,
    out_dir: &std::path::Path,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let bytes = match crate::synth::parse_size(size) {
        Ok(b) => b,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return 2;
        }
    };
    let spec = crate::synth::SynthSpec { bytes, spans, seed };
    match crate::synth::write_workspace(out_dir, &spec, annotator) {
        Ok(w) => {
            let _ = writeln!(
                out,
                "wrote {} ({} bytes, {} chars) and {} ({} spans)",
                w.text_path.display(),
                w.text_bytes,
                w.text_chars,
                w.layer_path.display(),
                w.spans
            );
            0
        }
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            1
        }
    }
}
