//! `marginalia suggest --provider COMMAND` and `suggest --providers`: a model's proposals from
//! the command line, with their scores, and one message with a non-zero exit when the provider
//! fails, hangs or prints garbage.

use std::io::Write;
use std::path::Path;
use std::sync::mpsc;

use crate::assist::provider::{
    Document, Event, PROVIDERS_FILE, ProviderError, ProviderProposal, ProviderSpec, Providers,
    RunReport, RunRequest, settings::DEFAULT_TIMEOUT_SECS, split_command, start,
};
use crate::model::text::Text;
use crate::wording::plural;

use super::{error, open_ws, print_json};

/// Which providers to run, and how.
pub struct ProviderRuns {
    /// One command line, without a settings file.
    pub command: Option<String>,
    /// Every provider `annotations/providers.ron` lists.
    pub listed: bool,
    /// Seconds before a provider is stopped (overrides the settings').
    pub timeout: Option<f64>,
    pub json: bool,
    /// Run even when the cache holds the documents' proposals.
    pub no_cache: bool,
}

/// One provider's part of the `--json` output.
#[derive(serde::Serialize)]
struct ProviderOutput<'a> {
    provider: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    accepted: usize,
    refused: usize,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    refusals: Vec<String>,
    cached_documents: usize,
    sent_documents: usize,
    documents: Vec<DocumentOutput<'a>>,
}

#[derive(serde::Serialize)]
struct DocumentOutput<'a> {
    document: &'a str,
    proposals: Vec<ProposalOutput<'a>>,
}

#[derive(serde::Serialize)]
struct ProposalOutput<'a> {
    #[serde(flatten)]
    proposal: &'a ProviderProposal,
    text: &'a str,
}

/// Runs the providers on the workspace at `path` (or the one text it names) and prints their
/// proposals. Exit 0 when every provider ran and no line was refused, 1 when one failed or
/// some lines were refused, 2 when nothing could run (workspace, settings, command line).
pub fn suggest(path: &Path, how: &ProviderRuns, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    if let Some(t) = how.timeout
        && !(t.is_finite() && t > 0.0 && t <= crate::assist::provider::settings::MAX_TIMEOUT_SECS)
    {
        error(
            err,
            format_args!("--timeout {t}: give seconds between 0 and 3600"),
        );
        return 2;
    }
    let Some(ws) = open_ws(path, err) else {
        return 2;
    };
    let mut specs = Vec::new();
    // A command typed on the command line runs where it was typed.
    let mut here = None;
    if let Some(line) = &how.command {
        let argv = match split_command(line) {
            Ok(argv) => argv,
            Err(problem) => {
                error(err, format_args!("--provider {line:?}: {problem}"));
                return 2;
            }
        };
        let timeout = how.timeout.unwrap_or(DEFAULT_TIMEOUT_SECS);
        here = std::env::current_dir().ok();
        let name = ad_hoc_name(&argv, here.as_deref().unwrap_or(Path::new(".")));
        specs.push(ProviderSpec::ad_hoc(&name, argv, timeout));
    }
    if how.listed {
        let file = ws.annotations_dir().join(PROVIDERS_FILE);
        match Providers::load_or_default(&file, ws.tags()) {
            Ok(listed) if listed.providers.is_empty() => {
                error(err, format_args!("{}: lists no providers", file.display()));
                return 2;
            }
            Ok(listed) => specs.extend(listed.providers.into_iter().map(|mut s| {
                if let Some(t) = how.timeout {
                    s.timeout = t;
                }
                s
            })),
            Err(e) => {
                error(err, e);
                return 2;
            }
        }
    }
    let Ok(only) = super::only_text(&ws, path, err) else {
        return 2;
    };
    let mut failed = false;
    let mut docs = Vec::new();
    for entry in ws.texts() {
        if only.as_ref().is_some_and(|o| *o != entry.rel) {
            continue;
        }
        match Text::load(&entry.path) {
            Ok(text) => docs.push(Document {
                path: entry.rel,
                text,
            }),
            Err(e) => {
                failed = true;
                let _ = writeln!(err, "{e}");
            }
        }
    }
    if let Some(rel) = &only
        && !docs.iter().any(|d| d.path == *rel)
    {
        error(
            err,
            format_args!("{rel} is not a readable text of the workspace"),
        );
        return 2;
    }

    let mut outputs = Vec::new();
    let mut results = Vec::new();
    for spec in specs {
        let name = spec.name.clone();
        let mut req = RunRequest::new(spec, &ws, docs.clone());
        if let Some(dir) = &here {
            req.cwd = dir.clone();
        }
        if how.no_cache {
            req.cache_folder = None;
        }
        let (proposals, result) = run_collecting(req);
        if result.as_ref().is_err() || result.as_ref().is_ok_and(|r| r.refused > 0) {
            failed = true;
        }
        results.push((name, proposals, result));
    }
    for (name, proposals, result) in &results {
        let output = output_of(name, &docs, proposals, result);
        match result {
            Err(e) => error(err, e),
            Ok(r) if r.refused > 0 => {
                let _ = writeln!(
                    err,
                    "warning: provider {name:?}: {} refused: {}",
                    plural(r.refused, "line"),
                    r.reasons.join("; ")
                );
            }
            Ok(_) => {}
        }
        if !how.json && result.is_ok() {
            print_lines(&output, out);
        }
        outputs.push(output);
    }
    if how.json {
        #[derive(serde::Serialize)]
        struct All<'a> {
            providers: Vec<ProviderOutput<'a>>,
        }
        if print_json(&All { providers: outputs }, out, err) != 0 {
            return 1;
        }
    }
    i32::from(failed)
}

/// What messages call a provider given as a command line: the file name of the last word that
/// names a file (the script in `python3 x.py`), else of the program.
fn ad_hoc_name(argv: &[String], cwd: &Path) -> String {
    let file_name = |w: &str| {
        Path::new(w)
            .file_name()
            .map_or_else(|| w.to_owned(), |n| n.to_string_lossy().into_owned())
    };
    argv.iter()
        .skip(1)
        .rev()
        .find(|w| cwd.join(w).is_file())
        .or(argv.first())
        .map_or_else(String::new, |w| file_name(w))
}

/// Runs one provider to the end, keeping its proposals in document order.
fn run_collecting(req: RunRequest) -> (Vec<ProviderProposal>, Result<RunReport, ProviderError>) {
    let order: std::collections::HashMap<String, usize> = req
        .documents
        .iter()
        .enumerate()
        .map(|(i, d)| (d.path.clone(), i))
        .collect();
    let name = req.spec.name.clone();
    let (tx, rx) = mpsc::channel();
    let run = start(req, move |e| {
        let _ = tx.send(e);
    });
    let mut proposals = Vec::new();
    let mut result = None;
    for event in rx {
        match event {
            Event::Proposal(p) => proposals.push(p),
            Event::Finished(r) => {
                result = Some(r);
                break;
            }
        }
    }
    drop(run);
    proposals.sort_by(|a, b| {
        (order.get(&a.path), a.start, a.end, &a.tag).cmp(&(
            order.get(&b.path),
            b.start,
            b.end,
            &b.tag,
        ))
    });
    let result = result.unwrap_or_else(|| {
        Err(ProviderError::Other {
            provider: name,
            reason: "the run stopped unexpectedly".into(),
        })
    });
    (proposals, result)
}

fn output_of<'a>(
    name: &'a str,
    docs: &'a [Document],
    proposals: &'a [ProviderProposal],
    result: &Result<RunReport, ProviderError>,
) -> ProviderOutput<'a> {
    let documents = docs
        .iter()
        .map(|d| DocumentOutput {
            document: &d.path,
            proposals: proposals
                .iter()
                .filter(|p| p.path == d.path)
                .map(|p| ProposalOutput {
                    proposal: p,
                    text: d.text.slice(p.start, p.end),
                })
                .collect(),
        })
        .filter(|d| result.is_ok() || !d.proposals.is_empty())
        .collect();
    let (accepted, refused, refusals, cached, sent) = match result {
        Ok(r) => (
            r.accepted,
            r.refused,
            r.reasons.clone(),
            r.cached_documents,
            r.sent_documents,
        ),
        Err(_) => (proposals.len(), 0, Vec::new(), 0, 0),
    };
    ProviderOutput {
        provider: name,
        error: result.as_ref().err().map(ToString::to_string),
        accepted,
        refused,
        refusals,
        cached_documents: cached,
        sent_documents: sent,
        documents,
    }
}

/// `seeds/a.txt: 2 proposals`, then `  claim 10..25 0.80 "rose 12 per cent" verdict="…" — why`.
fn print_lines(o: &ProviderOutput<'_>, out: &mut dyn Write) {
    for d in &o.documents {
        let _ = writeln!(
            out,
            "{}: {}",
            d.document,
            plural(d.proposals.len(), "proposal")
        );
        for p in &d.proposals {
            let x = p.proposal;
            let attrs: String = x.attrs.iter().map(|(k, v)| format!(" {k}={v:?}")).collect();
            let why = x
                .explanation
                .as_deref()
                .map(|e| format!(" — {e}"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {} {}..{} {:.2} {:?}{attrs}{why}",
                x.tag, x.start, x.end, x.score, p.text
            );
        }
    }
    let cached = if o.cached_documents > 0 {
        format!(
            " ({} from the cache)",
            plural(o.cached_documents, "document")
        )
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "{} in {} from provider {:?}{cached}",
        plural(o.accepted, "proposal"),
        plural(o.documents.len(), "document"),
        o.provider
    );
}
