//! The command line: `marginalia [PATH]` opens the app; subcommands work on a workspace without
//! a window. Each subcommand returns an exit code and writes only to the given streams, so tests
//! can run it in-process.
//!
//! Owns: argument parsing, the subcommands' output and exit codes, the git merge driver's entry.
//! May import: every core folder; never [`crate::app`].

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::session::engine::Editing;
use crate::wording::plural;
use crate::workspace::Workspace;

mod bar;
mod git;
mod learn;
mod provider;

use bar::{Bar, Unit};

/// Marginalia: annotate news texts with quote, claim, error and boilerplate spans.
#[derive(Debug, Parser)]
#[command(name = "marginalia", version, about)]
pub struct Cli {
    /// A workspace folder or a text file to open (default: the current folder).
    pub path: Option<PathBuf>,
    /// Without a path: reopen the last workspace instead of the current folder (a window
    /// started from the desktop's menu, whose current folder is the home folder), or start
    /// with none open.
    #[arg(long)]
    pub last: bool,
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
    /// Span counts per tag, annotator and document, relation counts per type, and document
    /// statuses.
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
        #[arg(long, default_value_t = crate::workspace::synth::SynthSpec::DEFAULT_SEED)]
        seed: u64,
        /// Whose layer to write.
        #[arg(long, default_value = "editor-a")]
        annotated_by: String,
        /// Write this many documents of --size and --spans each instead of one, 1000 a folder
        /// (a workspace for the document list at scale).
        #[arg(long)]
        docs: Option<usize>,
        /// Write the letters in Arabic (the same words letter for letter): a right-to-left
        /// document of the same shape.
        #[arg(long)]
        arabic: bool,
        /// Also write this many relations between nearby spans (one document only).
        #[arg(long, default_value_t = 0)]
        relations: usize,
        /// The folder to write the workspace into.
        out_dir: PathBuf,
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
        /// Print every pair's tables (the default with up to three annotators; with more, the
        /// default is the pairwise kappa matrix and each annotator's mean).
        #[arg(long)]
        pairs: bool,
        /// With --json: print the per-character labels instead, for cross-checking.
        #[arg(long, hide = true)]
        dump_units: bool,
    },
    /// List the tag set: each tag's attributes and how many spans use it (every layer), and each
    /// relation type's ends, key and description and how many relations use it.
    /// `tags rename OLD NEW` renames a tag in tags.ron and every layer (`--relation`: a
    /// relation type).
    #[command(args_conflicts_with_subcommands = true)]
    Tags {
        /// The workspace (default: the current folder).
        path: Option<PathBuf>,
        #[command(subcommand)]
        action: Option<TagsAction>,
    },
    /// Re-anchor every annotation file whose text changed; prints the counts per file.
    Reanchor {
        /// The workspace (default: the current folder).
        path: Option<PathBuf>,
        /// Show what would happen without writing anything.
        #[arg(long)]
        dry_run: bool,
    },
    /// Export a layer's spans as jsonl, conll, brat, csv, w3c, labelstudio or doccano (each
    /// format's fields: the README, "Exporting labeled data").
    #[command(group(clap::ArgGroup::new("which").required(true).args(["layer", "all_layers"])))]
    Export {
        /// jsonl | conll | brat | csv | w3c | labelstudio | doccano.
        #[arg(long, value_parser = parse_export_format)]
        format: crate::interchange::export::ExportFormat,
        /// The layer to export: an annotator's name, or `curated`.
        #[arg(long)]
        layer: Option<String>,
        /// Export every layer; each record names its annotator.
        #[arg(long)]
        all_layers: bool,
        /// Only these tags (comma-separated).
        #[arg(long, value_delimiter = ',')]
        tags: Vec<String>,
        /// Only documents with this status: not-started, in-progress, done or reviewed.
        #[arg(long, value_parser = parse_status)]
        status: Option<crate::model::layer::Status>,
        /// CoNLL only: which of overlapping spans to keep: longest, first, or error.
        #[arg(long, default_value = "longest", value_parser = parse_overlap)]
        overlap: crate::interchange::export::Overlap,
        /// Label Studio only: count offsets in `utf16` code units (the browser's count; the
        /// default) or in `code-points` (Label Studio versions that store code points).
        #[arg(long, value_parser = parse_offsets)]
        offsets: Option<crate::interchange::export::Offsets>,
        /// Output file (a folder for brat); `-` is standard output.
        #[arg(short = 'o', long = "out", default_value = "-")]
        out: PathBuf,
        /// The workspace (default: the current folder).
        path: Option<PathBuf>,
    },
    /// Propose spans with a score from quotation marks, recurring lines, name variants,
    /// dictionaries, what the layer already tagged and the learned tagger; `--provider` runs any
    /// model's program instead; `--eval` measures them; `--apply` adds them to the layer.
    Suggest {
        /// The workspace, or one text of it (default: the current folder).
        path: Option<PathBuf>,
        /// Whose layer: it learns from it, and leaves out what it has and what it rejected.
        #[arg(long)]
        layer: Option<String>,
        /// Which sources, comma-separated: quotes, boilerplate, names, dictionary, repeats.
        #[arg(long, value_delimiter = ',', value_parser = parse_source)]
        sources: Vec<crate::assist::suggest::Source>,
        /// Print JSON instead of lines.
        #[arg(long)]
        json: bool,
        /// Add the suggestions to the layer (needs --layer).
        #[arg(long, conflicts_with = "eval")]
        apply: bool,
        /// Measure precision, recall and F1 against the layer (default: every annotator's
        /// layer), the learned source (annotations/learned.model) beside the rules.
        #[arg(long)]
        eval: bool,
        /// With --eval: the layer to measure against (e.g. curated); the learned source leaves
        /// out the documents it was trained on.
        #[arg(long, requires = "eval", conflicts_with = "layer")]
        against: Option<String>,
        /// Print how long reading, building the model and suggesting took (standard error).
        #[arg(long, hide = true)]
        timing: bool,
        /// Run a provider instead: a program speaking docs/PROVIDERS.md's protocol, e.g.
        /// 'python3 examples/providers/numeric_claims.py'. Prints its proposals with scores.
        #[arg(long, value_name = "COMMAND", conflicts_with_all = ["layer", "sources", "apply", "eval"])]
        provider: Option<String>,
        /// Run the providers listed in annotations/providers.ron.
        #[arg(long, conflicts_with_all = ["layer", "sources", "apply", "eval"])]
        providers: bool,
        /// With --provider or --providers: stop a provider after SECS seconds (default 60).
        #[arg(long, value_name = "SECS")]
        timeout: Option<f64>,
        /// With --provider or --providers: run even if the cache holds the proposals.
        #[arg(long)]
        no_cache: bool,
    },
    /// Train the learned source on the curated layer (or the --from layers) of the texts under
    /// PATH, and write annotations/learned.model; prints the documents and spans per tag.
    Learn {
        /// Layers to learn from, comma-separated; a text's first layer in this order gives its
        /// spans (default: curated).
        #[arg(long, value_delimiter = ',')]
        from: Vec<String>,
        /// Passes over the training data (default 8).
        #[arg(long)]
        epochs: Option<usize>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// The workspace, or a folder of it whose texts alone are learnt from (default: the
        /// current folder).
        path: Option<PathBuf>,
    },
    /// Import spans from brat, jsonl (ours, doccano, Prodigy), doccano, csv, w3c, conll or Label
    /// Studio into an annotator's layer (Label Studio: one layer per user who annotated).
    Import {
        /// brat | jsonl | doccano | csv | w3c | conll | labelstudio (default: recognised from the
        /// source's content).
        #[arg(long, value_parser = parse_import_format)]
        format: Option<crate::interchange::import::ImportFormat>,
        /// Add to existing layers (skipping exact duplicates) instead of skipping their texts.
        #[arg(long)]
        merge: bool,
        /// Store the spans as suggestions for the annotator (model output, with its `score`;
        /// Label Studio: the predictions), not in their layer: annotations/.suggestions/.
        #[arg(long, conflicts_with = "merge")]
        as_suggestions: bool,
        /// Prodigy answers to import, e.g. `accept,reject,ignore` (default: accept). Records and
        /// spans with another answer are left out and counted.
        #[arg(long, value_parser = parse_answers, default_value = "accept")]
        answers: crate::interchange::import::Answers,
        /// Print the report as JSON (same counts, same exit status).
        #[arg(long)]
        json: bool,
        /// conll only: the token and tag columns, counted from 0, e.g. `0,3` (default: the
        /// first and the last column).
        #[arg(long, value_parser = parse_columns, value_name = "TOKEN,TAG")]
        columns: Option<crate::interchange::import::conll::Columns>,
        /// Whose layer gets the spans (the same option as the global `--annotator`).
        #[arg(long)]
        annotator: Option<String>,
        /// The workspace folder the texts go into (default: the paths the source gives, and
        /// one outside workspace.ron's text folders under the first of them).
        #[arg(long, value_name = "FOLDER")]
        into: Option<String>,
        /// The brat folder (or .ann file), or the jsonl, doccano, csv, w3c, conll or Label Studio
        /// .json file.
        src: PathBuf,
        /// The workspace (default: the current folder).
        path: Option<PathBuf>,
    },
    /// Assign the workspace's texts to annotators, balanced and seeded, in
    /// annotations/workspace.ron: each text gets --overlap distinct annotators.
    Assign {
        /// Who annotates, comma-separated.
        #[arg(long, value_delimiter = ',', required = true)]
        annotators: Vec<String>,
        /// How many annotators each text gets.
        #[arg(long, default_value_t = 1)]
        overlap: usize,
        /// Seed of the draw; the same seed, texts and annotators give the same file.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// The workspace (default: the current folder).
        path: Option<PathBuf>,
    },
    /// The team's progress: documents × annotators, each cell the status and span count, with
    /// totals and the documents waiting for review.
    Progress {
        /// The workspace (default: the current folder).
        path: Option<PathBuf>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// git's merge driver: merge BASE and THEIRS into OURS (written in place) span by span.
    /// Conflicts are recorded in the file (span notes, review comments) and printed; exits
    /// non-zero only when a file cannot be read or parsed.
    MergeFile {
        base: PathBuf,
        ours: PathBuf,
        theirs: PathBuf,
        /// The file's path in the repository (git's %P), which decides how it is merged.
        #[arg(long)]
        path: Option<String>,
    },
    /// List the recovery journal's entries: edits a window could not save, kept outside the
    /// workspace. `recovery discard ENTRY` deletes one.
    Recovery {
        #[command(subcommand)]
        action: Option<RecoveryAction>,
    },
    /// Git integration: `git setup [PATH]` configures the merge driver for the repository.
    Git {
        #[command(subcommand)]
        action: GitAction,
    },
}

/// What `git` does.
#[derive(Debug, Subcommand)]
pub enum GitAction {
    /// Write the .gitattributes line and the `git config` merge-driver entries for the
    /// repository holding the workspace. Running it twice changes nothing.
    Setup {
        /// The workspace (default: the current folder).
        path: Option<PathBuf>,
    },
}

/// What `recovery` does besides listing.
#[derive(Debug, Subcommand)]
pub enum RecoveryAction {
    /// Delete one entry (its path as `recovery` lists it): the edits are lost for good.
    Discard { entry: PathBuf },
}

/// What `tags` does besides listing.
#[derive(Debug, Subcommand)]
pub enum TagsAction {
    /// Rename tag OLD to NEW in tags.ron and in every layer, the curated one included, and in
    /// the relation types' lists of the tags their ends may have; each file is written
    /// atomically. Nothing is written if a file to change cannot be read. Run again, it
    /// finishes a rename that was interrupted or that a git merge half undid.
    Rename {
        old: String,
        new: String,
        /// The workspace (default: the current folder).
        path: Option<PathBuf>,
        /// NEW may be an existing tag: OLD's spans join it and OLD leaves the tag set.
        #[arg(long)]
        merge: bool,
        /// OLD and NEW name a relation type: rename it in tags.ron and in every layer's
        /// relations.
        #[arg(long)]
        relation: bool,
        /// Show what would change without writing anything.
        #[arg(long)]
        dry_run: bool,
    },
}

fn parse_import_format(s: &str) -> Result<crate::interchange::import::ImportFormat, String> {
    s.parse()
}

fn parse_columns(s: &str) -> Result<crate::interchange::import::conll::Columns, String> {
    s.parse()
}

fn parse_offsets(s: &str) -> Result<crate::interchange::export::Offsets, String> {
    s.parse()
}

fn parse_answers(s: &str) -> Result<crate::interchange::import::Answers, String> {
    s.parse()
}

fn parse_source(s: &str) -> Result<crate::assist::suggest::Source, String> {
    s.parse()
}

fn parse_export_format(s: &str) -> Result<crate::interchange::export::ExportFormat, String> {
    s.parse()
}

fn parse_overlap(s: &str) -> Result<crate::interchange::export::Overlap, String> {
    s.parse()
}

fn parse_status(
    s: &str,
) -> Result<crate::model::layer::Status, crate::model::layer::UnknownStatus> {
    s.parse()
}

/// Prints one failure on standard error as `error: MESSAGE`: every command's errors read alike.
pub fn error(err: &mut dyn Write, msg: impl std::fmt::Display) {
    let _ = writeln!(err, "error: {msg}");
}

fn here(p: Option<PathBuf>) -> PathBuf {
    p.unwrap_or_else(|| PathBuf::from("."))
}

/// Runs a subcommand. Returns the process exit code.
pub fn run_command(cmd: Command, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    match cmd {
        Command::Validate { path } => validate(here(path), out, err),
        Command::MergeFile {
            base,
            ours,
            theirs,
            path,
        } => git::merge_file(&base, &ours, &theirs, path.as_deref(), out, err),
        Command::Git {
            action: GitAction::Setup { path },
        } => git::setup(&here(path), out, err),
        Command::Stats { path, json } => stats(here(path), json, out, err),
        Command::Synth {
            size,
            spans,
            seed,
            annotated_by,
            docs,
            arabic,
            relations,
            out_dir,
        } => synth(
            &size,
            crate::workspace::synth::SynthSpec {
                bytes: 0,
                spans,
                seed,
                arabic,
            },
            &annotated_by,
            (docs, relations),
            &out_dir,
            out,
            err,
        ),
        Command::Agree {
            path,
            annotators,
            tags,
            json,
            pairs,
            dump_units,
        } => agree(
            here(path),
            crate::team::agreement::AgreementOptions { annotators, tags },
            json,
            pairs,
            dump_units,
            out,
            err,
        ),
        Command::Tags { path, action: None } => list_tags(here(path), out, err),
        Command::Tags {
            action:
                Some(TagsAction::Rename {
                    old,
                    new,
                    path,
                    merge,
                    relation,
                    dry_run,
                }),
            ..
        } => {
            let req = crate::workspace::tag_ops::RenameRequest {
                old,
                new,
                merge,
                dry_run,
                relation,
            };
            rename_tag(here(path), &req, out, err)
        }
        Command::Reanchor { path, dry_run } => reanchor(here(path), dry_run, out, err),
        Command::Export {
            format,
            layer,
            all_layers,
            tags,
            status,
            overlap,
            offsets,
            out: target,
            path,
        } => {
            if offsets.is_some() && format != crate::interchange::export::ExportFormat::LabelStudio
            {
                error(err, "--offsets is for --format labelstudio only");
                return 2;
            }
            let layers = match (layer, all_layers) {
                (Some(name), false) => crate::interchange::export::Layers::One(name),
                _ => crate::interchange::export::Layers::All,
            };
            let mut req = crate::interchange::export::ExportRequest::new(
                &here(path),
                format,
                layers,
                &target,
            );
            req.tags = tags;
            req.status = status;
            req.overlap = overlap;
            req.offsets = offsets.unwrap_or_default();
            export(&req, out, err)
        }
        Command::Suggest {
            path,
            layer,
            sources,
            json,
            apply,
            eval,
            against,
            timing,
            provider: command,
            providers,
            timeout,
            no_cache,
        } => {
            let path = here(path);
            if command.is_some() || providers {
                let how = provider::ProviderRuns {
                    command,
                    listed: providers,
                    timeout,
                    json,
                    no_cache,
                };
                return provider::suggest(&path, &how, out, err);
            }
            if timeout.is_some() || no_cache {
                error(
                    err,
                    "--timeout and --no-cache are for --provider or --providers",
                );
                return 2;
            }
            let layer = layer.as_deref();
            if eval {
                suggest_eval(
                    &path,
                    against.as_deref().or(layer),
                    &sources,
                    json,
                    out,
                    err,
                )
            } else {
                let how = SuggestHow {
                    json,
                    apply,
                    timing,
                };
                suggest(&path, layer, &sources, how, out, err)
            }
        }
        Command::Learn {
            from,
            epochs,
            json,
            path,
        } => learn::learn(&here(path), &from, epochs, json, out, err),
        Command::Import {
            mut format,
            merge,
            as_suggestions,
            answers,
            json,
            columns,
            annotator,
            into,
            src,
            path,
        } => {
            if let Some(columns) = columns {
                use crate::interchange::import::ImportFormat;
                match &mut format {
                    Some(ImportFormat::Conll(opts)) => opts.columns = Some(columns),
                    None => {
                        format = Some(ImportFormat::Conll(
                            crate::interchange::import::conll::Options {
                                columns: Some(columns),
                            },
                        ))
                    }
                    Some(_) => {
                        error(err, "--columns is for --format conll only");
                        return 2;
                    }
                }
            }
            let how = ImportHow {
                format,
                merge,
                as_suggestions,
                answers,
                json,
                into,
            };
            import(annotator, how, src, here(path), out, err)
        }
        Command::Assign {
            annotators,
            overlap,
            seed,
            path,
        } => {
            let req = crate::team::assign::AssignRequest {
                annotators,
                overlap,
                seed,
            };
            assign(here(path), &req, out, err)
        }
        Command::Progress { path, json } => progress(here(path), json, out, err),
        Command::Recovery { action } => recovery(action, out, err),
    }
}

/// Lists the journal's entries, those whose workspace is gone (which no window offers) marked,
/// or discards one.
fn recovery(action: Option<RecoveryAction>, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let Some(journal) = crate::session::recovery::Journal::default_location() else {
        error(err, "no recovery journal folder is known (no home folder)");
        return 1;
    };
    match action {
        Some(RecoveryAction::Discard { entry }) => {
            if journal.discard(&entry) {
                let _ = writeln!(out, "discarded {}", entry.display());
                0
            } else {
                error(
                    err,
                    format_args!(
                        "{}: not an entry of the recovery journal ({})",
                        entry.display(),
                        journal
                            .dirs()
                            .map(|d| d.display().to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
                1
            }
        }
        None => {
            let entries = journal.list();
            for e in &entries {
                let gone = if e.header.workspace_present() {
                    ""
                } else {
                    " [workspace no longer there]"
                };
                let _ = writeln!(out, "{}\n  {}{gone}", e.entry.display(), e.describe());
            }
            let _ = writeln!(
                out,
                "{} in {}",
                crate::wording::plural_as(entries.len(), "entry", "entries"),
                journal
                    .dirs()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            0
        }
    }
}

fn assign(
    path: PathBuf,
    req: &crate::team::assign::AssignRequest,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    if let Err(e) = req.check() {
        error(err, e);
        return 2;
    }
    let Some(mut ws) = open_ws(&path, err) else {
        return 2;
    };
    let texts: Vec<String> = ws.texts().into_iter().map(|t| t.rel).collect();
    if texts.is_empty() {
        let e = crate::team::assign::AssignError::NoTexts(ws.root().display().to_string());
        error(err, e);
        return 1;
    }
    let written = crate::team::assign::balanced(&texts, req)
        .and_then(|a| crate::team::assign::write(&mut ws, a, req.overlap));
    match written {
        Ok(w) => {
            for (who, n, shared) in crate::team::assign::summary(&ws.config().assignments) {
                let with: Vec<String> = shared.iter().map(|(b, k)| format!("{b} {k}")).collect();
                let _ = writeln!(
                    out,
                    "  {who:<16} {:>13}{}",
                    plural(n, "document"),
                    if with.is_empty() {
                        String::new()
                    } else {
                        format!("; shared with {}", with.join(", "))
                    }
                );
            }
            let _ = writeln!(
                out,
                "{} to {}, {} each: written to {}",
                plural(w.documents, "document"),
                plural(req.annotators.len(), "annotator"),
                req.overlap,
                w.path.display()
            );
            0
        }
        Err(e) => {
            error(err, &e);
            if e.is_usage() { 2 } else { 1 }
        }
    }
}

fn progress(path: PathBuf, json: bool, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let Some(ws) = open_ws(&path, err) else {
        return 2;
    };
    let p = crate::team::overview::gather(&ws);
    // 1 when the JSON could not be printed or when files were left out of the counts.
    print_report(&p, json, || p.to_table(), out, err).max(i32::from(!p.unreadable.is_empty()))
}

/// Opens the workspace, saying on `err` when a tag rename in it was interrupted (its spans use
/// a tag the tag set may not have until the rename is finished).
fn open_ws(path: &std::path::Path, err: &mut dyn Write) -> Option<Workspace> {
    let ws = open_ws_quietly(path, err)?;
    if let Some(r) = crate::workspace::tag_ops::interrupted_rename(&ws) {
        let _ = writeln!(err, "warning: {}", r.message());
    }
    Some(ws)
}

fn open_ws_quietly(path: &std::path::Path, err: &mut dyn Write) -> Option<Workspace> {
    match Workspace::open(path) {
        Ok(ws) => Some(ws),
        Err(e) => {
            error(err, e);
            None
        }
    }
}

fn validate(path: PathBuf, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let Some(ws) = open_ws(&path, err) else {
        return 2;
    };
    let bar = Bar::new("validating", Unit::Items("files"), false);
    let (findings, checked) = crate::workspace::validate::validate_workspace_with(&ws, &|d, t| {
        bar.update(d, t);
    });
    bar.finish();
    git::warn_without_driver(ws.root(), err);
    for f in &findings {
        let _ = writeln!(out, "{f}");
    }
    // The suggestion settings and the learned model, which the window and `suggest` read.
    let mut more = Vec::new();
    let providers = ws
        .annotations_dir()
        .join(crate::assist::provider::settings::PROVIDERS_FILE);
    if let Err(e) =
        crate::assist::provider::settings::Providers::load_or_default(&providers, ws.tags())
    {
        more.push(e.to_string());
    }
    let tags: Vec<String> = ws.tags().tags.iter().map(|t| t.name.clone()).collect();
    let model = crate::assist::learn::file::model_path(&ws);
    if let Err(e) = crate::assist::learn::file::load_for(&model, &tags) {
        more.push(e.to_string());
    }
    for m in &more {
        let _ = writeln!(out, "{m}");
    }
    let warnings = findings.iter().filter(|f| f.warning).count();
    let problems = findings.len() - warnings + more.len();
    let noted = if warnings > 0 {
        format!(" ({})", plural(warnings, "warning"))
    } else {
        String::new()
    };
    if problems == 0 {
        let _ = writeln!(
            out,
            "ok: {checked} annotation files in {} are valid{noted}",
            ws.root().display()
        );
        0
    } else {
        let _ = writeln!(
            err,
            "{} in {}{noted}",
            plural(problems, "problem"),
            plural(checked, "annotation file")
        );
        1
    }
}

fn stats(path: PathBuf, json: bool, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let Some(ws) = open_ws(&path, err) else {
        return 2;
    };
    let bar = Bar::new("counting", Unit::Items("layer files"), json);
    let st = crate::workspace::stats::gather_with(&ws, &|d, t| {
        bar.update(d, t);
    });
    bar.finish();
    // Counts that leave files out are not the workspace's counts: say so in the exit code.
    let printed = print_report(&st, json, || st.to_table(), out, err);
    printed.max(i32::from(!st.unreadable.is_empty()))
}

fn list_tags(path: PathBuf, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let Some(ws) = open_ws(&path, err) else {
        return 2;
    };
    let usage = crate::workspace::tag_ops::usage(&ws);
    let _ = write!(
        out,
        "{}",
        crate::workspace::tag_ops::usage_table(ws.tags(), &usage)
    );
    for (file, reason) in &usage.unreadable {
        let _ = writeln!(err, "{}: not counted: {reason}", file.display());
    }
    if usage.unreadable.is_empty() { 0 } else { 1 }
}

fn rename_tag(
    path: PathBuf,
    req: &crate::workspace::tag_ops::RenameRequest,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    use crate::workspace::tag_ops::RenameError;
    // This command finishes an interrupted rename (or says which one to finish first).
    let Some(ws) = open_ws_quietly(&path, err) else {
        return 2;
    };
    if !req.dry_run {
        ws.clean_stray_temps();
    }
    match crate::workspace::tag_ops::rename(&ws, req) {
        Ok(report) => {
            let (lines, problems) = report.lines(&req.old, &req.new);
            for l in lines {
                let _ = writeln!(out, "{l}");
            }
            for l in &problems {
                let _ = writeln!(err, "{l}");
            }
            if problems.is_empty() { 0 } else { 1 }
        }
        Err(RenameError::Unsafe(files)) => {
            for (file, reason) in &files {
                let _ = writeln!(err, "{}: {reason}", file.display());
            }
            error(err, RenameError::Unsafe(files.clone()));
            1
        }
        Err(e @ RenameError::Record { .. }) => {
            error(err, e);
            1
        }
        Err(e) => {
            error(err, e);
            2
        }
    }
}

fn reanchor(path: PathBuf, dry_run: bool, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let Some(ws) = open_ws(&path, err) else {
        return 2;
    };
    if !dry_run {
        ws.clean_stray_temps();
    }
    let mut total = crate::model::reanchor::ReanchorSummary::default();
    let (mut files, mut changed, mut failed) = (0, 0, 0);
    for skipped in ws.skipped_layer_folders() {
        failed += 1;
        let _ = writeln!(err, "{skipped}");
    }
    let listed = ws.every_layer_files();
    let in_all = listed.iter().map(|(_, f)| f.files.len()).sum();
    let bar = Bar::new("re-anchoring", Unit::Items("files"), false);
    for (layer_name, found) in listed {
        for skipped in &found.skipped {
            failed += 1;
            bar.suspend(|| writeln!(err, "{skipped}"));
        }
        for (rel, file) in found.files {
            bar.update(files, in_all);
            files += 1;
            // The curated layer keeps its review record (sources, rejections, comments),
            // which a plain layer would drop.
            if layer_name == crate::workspace::CURATED_LAYER {
                match crate::session::review::reanchor_curated(&ws, &rel, dry_run) {
                    Ok(Some(summary)) => {
                        changed += 1;
                        total.add(&summary);
                        bar.suspend(|| writeln!(out, "{}: {summary}", file.display()));
                    }
                    Ok(None) => {
                        bar.suspend(|| writeln!(out, "{}: text unchanged", file.display()));
                    }
                    Err(e) => {
                        failed += 1;
                        bar.suspend(|| writeln!(err, "{}: skipped: {e}", file.display()));
                    }
                }
                continue;
            }
            // A dry run opens read-only: re-anchoring happens in memory and nothing is written.
            match crate::session::document::Document::open(&ws, &rel, &layer_name, dry_run) {
                Ok(doc) => match doc.reanchor_summary() {
                    Some(summary) => {
                        // Counted only once it is on disk (or would be, in a dry run).
                        let not_saved = match doc.save_state() {
                            crate::session::autosave::SaveState::Saved => None,
                            crate::session::autosave::SaveState::Failed(e) => Some(e.clone()),
                            crate::session::autosave::SaveState::Pending => {
                                Some("the write did not happen".to_owned())
                            }
                        };
                        if let Some(e) = not_saved {
                            failed += 1;
                            bar.suspend(|| {
                                writeln!(err, "{}: {summary}; not saved: {e}", file.display())
                            });
                        } else {
                            changed += 1;
                            total.add(&summary);
                            bar.suspend(|| writeln!(out, "{}: {summary}", file.display()));
                        }
                    }
                    None => {
                        bar.suspend(|| writeln!(out, "{}: text unchanged", file.display()));
                    }
                },
                Err(e) => {
                    failed += 1;
                    bar.suspend(|| writeln!(err, "{}: skipped: {e}", file.display()));
                }
            }
        }
    }
    bar.finish();
    let _ = writeln!(
        out,
        "{changed} of {files} annotation files re-anchored ({}){}{}",
        total.counts(),
        if failed > 0 {
            format!("; {failed} failed or skipped")
        } else {
            String::new()
        },
        if dry_run {
            "; dry run, nothing written"
        } else {
            ""
        }
    );
    if failed > 0 { 1 } else { 0 }
}

/// For commands that open the workspace themselves: says when a tag rename in it was
/// interrupted, as [`open_ws`] does (a workspace that cannot be opened is theirs to report).
fn warn_interrupted_rename(path: &std::path::Path, err: &mut dyn Write) {
    if let Ok(ws) = Workspace::open(path)
        && let Some(r) = crate::workspace::tag_ops::interrupted_rename(&ws)
    {
        let _ = writeln!(err, "warning: {}", r.message());
    }
}

fn export(
    req: &crate::interchange::export::ExportRequest,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    warn_interrupted_rename(&req.workspace, err);
    // Standard output may be the export itself (`--out -`): the bar is on standard error.
    let bar = Bar::new("exporting", Unit::Items("documents"), false);
    let go_on = |d: usize, t: usize| bar.update(d, t);
    let result = if crate::interchange::export::is_stream(&req.out) && !req.format.writes_folder() {
        crate::interchange::export::run_to_writer(req, out, &go_on)
    } else {
        crate::interchange::export::run(req, &go_on)
    };
    bar.finish();
    match result {
        Ok(summary) => {
            for line in summary.report(20) {
                let _ = writeln!(err, "{line}");
            }
            // A document or span left out is a failure the exit code must show.
            if summary.skipped_documents.is_empty() && summary.skipped_spans.is_empty() {
                0
            } else {
                1
            }
        }
        Err(e) => {
            error(err, e);
            1
        }
    }
}

/// What `import --json` prints when the import could not run (fields in the order printed).
#[derive(serde::Serialize)]
struct ImportFailed<'a> {
    error: &'a str,
    exit_code: i32,
    format: Option<&'static str>,
    source: String,
}

/// `import`'s options besides the paths.
struct ImportHow {
    /// `None`: recognised from the source.
    format: Option<crate::interchange::import::ImportFormat>,
    merge: bool,
    /// `--as-suggestions`: into the annotator's suggestions store, not their layer.
    as_suggestions: bool,
    answers: crate::interchange::import::Answers,
    /// Print the report as JSON.
    json: bool,
    /// `--into`: the folder the texts go into.
    into: Option<String>,
}

fn import(
    annotator: Option<String>,
    how: ImportHow,
    source: PathBuf,
    workspace: PathBuf,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    // Every way out prints one line on standard error, or with --json one object on standard
    // output that says what went wrong and the exit code.
    let fail = |code: i32, problem: &str, out: &mut dyn Write, err: &mut dyn Write| {
        if how.json {
            let failed = ImportFailed {
                error: problem,
                exit_code: code,
                format: how.format.map(|f| f.name()),
                source: source.display().to_string(),
            };
            let printed = print_json(&failed, out, err);
            if printed != 0 {
                return printed;
            }
        } else {
            error(err, problem);
        }
        code
    };
    let Some(annotator) = annotator else {
        return fail(
            2,
            "import needs --annotator NAME: whose layer gets the spans",
            out,
            err,
        );
    };
    // A bad name is a bad command line, told before the source is looked at.
    if let Err(problem) = crate::workspace::check_annotator(&annotator) {
        return fail(2, &format!("--annotator: {problem}"), out, err);
    }
    let format = match how.format {
        Some(f) => f,
        None => match crate::interchange::import::ImportFormat::detect(&source) {
            Ok(f) if how.json => f,
            Ok(f) => {
                let _ = writeln!(
                    out,
                    "reading {} as {} (recognised from its content; --format chooses)",
                    source.display(),
                    f.name()
                );
                f
            }
            Err(problem) => return fail(1, &problem, out, err),
        },
    };
    warn_interrupted_rename(&workspace, err);
    let req = crate::interchange::import::ImportRequest {
        workspace,
        format,
        annotator,
        source,
        merge: how.merge,
        answers: how.answers,
        into: how.into.clone(),
    };
    let bar = Bar::new("importing", req.format.progress_unit().into(), how.json);
    let result = if how.as_suggestions {
        crate::interchange::import::suggestions::run(&req, &|d, t| bar.update(d, t))
    } else {
        crate::interchange::import::run(&req, &|d, t| bar.update(d, t))
    };
    bar.finish();
    match result {
        Ok(summary) => {
            if how.json {
                let code = print_json(&summary.json_report(req.format, &req.source), out, err);
                return if code == 0 { summary.exit_code() } else { code };
            }
            for line in summary.report(20) {
                let _ = writeln!(out, "{line}");
            }
            if let Some(problem) = summary.failure(&req.source) {
                error(err, problem);
            }
            summary.exit_code()
        }
        Err(e) => {
            let code = if matches!(e, crate::interchange::import::ImportError::BadRequest(_)) {
                2
            } else {
                1
            };
            if how.json {
                let failed = ImportFailed {
                    error: &e.to_string(),
                    exit_code: code,
                    format: Some(req.format.name()),
                    source: req.source.display().to_string(),
                };
                let printed = print_json(&failed, out, err);
                return if printed == 0 { code } else { printed };
            }
            error(err, e);
            code
        }
    }
}

/// What a command line clap refused turns into: with `--json` among the arguments of `import`,
/// one JSON object on standard output (`error`, `exit_code`); the exit code is clap's (2 for a
/// bad command line, 0 for `--help`). Returns `None` when clap should print it itself.
pub fn parse_failure_json(args: &[std::ffi::OsString], e: &clap::Error) -> Option<(String, i32)> {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion)
        || !args.iter().any(|a| a == "--json")
        || !args.iter().any(|a| a == "import")
    {
        return None;
    }
    let code = e.exit_code();
    let rendered = e.render().to_string();
    let problem = rendered
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("bad command line")
        .trim_start_matches("error: ")
        .to_owned();
    let value = serde_json::json!({ "error": problem, "exit_code": code });
    serde_json::to_string_pretty(&value).ok().map(|s| (s, code))
}

/// Prints a report as JSON (`json`) or as its table; 0, or the exit code of a failed JSON print.
fn print_report<T: serde::Serialize>(
    value: &T,
    json: bool,
    table: impl FnOnce() -> String,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    if json {
        return print_json(value, out, err);
    }
    let _ = write!(out, "{}", table());
    0
}

fn print_json<T: serde::Serialize>(value: &T, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    match serde_json::to_string_pretty(value) {
        Ok(s) => {
            let _ = writeln!(out, "{s}");
            0
        }
        Err(e) => {
            error(err, e);
            1
        }
    }
}

fn agree(
    path: PathBuf,
    opts: crate::team::agreement::AgreementOptions,
    json: bool,
    pairs: bool,
    dump_units: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let Some(ws) = open_ws(&path, err) else {
        return 2;
    };
    if dump_units {
        return match crate::team::agreement::dump_units(&ws, &opts) {
            Ok(d) => print_json(&d, out, err),
            Err(e) => {
                error(err, e);
                1
            }
        };
    }
    let bar = Bar::new("comparing", Unit::Items("documents"), json);
    let computed = crate::team::agreement::compute(&ws, &opts, &|d, t| bar.update(d, t));
    bar.finish();
    let report = match computed {
        Ok(report) => report,
        Err(e) => {
            error(err, e);
            return 1;
        }
    };
    let table = || {
        if pairs || report.annotators.len() <= 3 {
            report.to_table()
        } else {
            report.to_summary()
        }
    };
    let code = print_report(&report, json, table, out, err);
    if code != 0 {
        return code;
    }
    // Figures that leave files out are not the workspace's figures: say so in the exit code.
    if report.skipped.is_empty() {
        0
    } else {
        error(
            err,
            format_args!(
                "{} could not be read; the figures leave {} out (listed under \"skipped\")",
                plural(report.skipped.len(), "file"),
                if report.skipped.len() == 1 {
                    "it"
                } else {
                    "them"
                }
            ),
        );
        1
    }
}

#[allow(clippy::too_many_arguments)]
fn synth(
    size: &str,
    spec: crate::workspace::synth::SynthSpec,
    annotator: &str,
    (docs, relations): (Option<usize>, usize),
    out_dir: &std::path::Path,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let bytes = match crate::workspace::synth::parse_size(size) {
        Ok(b) => b,
        Err(e) => {
            error(err, e);
            return 2;
        }
    };
    let spec = crate::workspace::synth::SynthSpec { bytes, ..spec };
    if let Some(docs) = docs {
        return match crate::workspace::synth::write_many(out_dir, docs, &spec, annotator) {
            Ok(layers) => {
                let _ = writeln!(
                    out,
                    "wrote {docs} texts and {layers} layers of {annotator} in {}",
                    out_dir.display()
                );
                0
            }
            Err(e) => {
                error(err, e);
                1
            }
        };
    }
    match crate::workspace::synth::write_workspace_linked(out_dir, &spec, annotator, relations) {
        Ok(w) => {
            let linked = if w.relations > 0 {
                format!(", {} relations", w.relations)
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "wrote {} ({} bytes, {} chars) and {} ({} spans{linked})",
                w.text_path.display(),
                w.text_bytes,
                w.text_chars,
                w.layer_path.display(),
                w.spans
            );
            0
        }
        Err(e) => {
            error(err, e);
            1
        }
    }
}

/// The text `path` names when it is a file (`None` for a folder), or `Err` after saying why
/// it is no text of the workspace.
pub(crate) fn only_text(
    ws: &crate::workspace::Workspace,
    path: &std::path::Path,
    err: &mut dyn Write,
) -> Result<Option<String>, ()> {
    if !path.is_file() {
        return Ok(None);
    }
    ws.rel_of(path).map(Some).map_err(|e| error(err, e))
}

/// One document's suggestions, as `--json` prints them.
#[derive(serde::Serialize)]
struct DocSuggestions<'a> {
    document: &'a str,
    suggestions: Vec<crate::assist::suggest::Suggestion>,
    /// The sources that found more than they propose (empty: nothing was cut).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    cut: Vec<crate::assist::suggest::Cut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    added: Option<usize>,
}

/// How `suggest` reports and whether it writes.
struct SuggestHow {
    json: bool,
    apply: bool,
    timing: bool,
}

fn suggest(
    path: &std::path::Path,
    layer: Option<&str>,
    sources: &[crate::assist::suggest::Source],
    how: SuggestHow,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    use crate::assist::suggest::{Corpus, Model, Sources};
    let SuggestHow {
        json,
        apply,
        timing,
    } = how;
    let t0 = std::time::Instant::now();
    let Some(ws) = open_ws(path, err) else {
        return 2;
    };
    if apply && layer.is_none() {
        error(
            err,
            "--apply needs --layer NAME: whose layer gets the spans",
        );
        return 2;
    }
    if apply && layer == Some(crate::workspace::CURATED_LAYER) {
        error(
            err,
            "--apply --layer curated: the curated layer is written by review (its spans \
             record where they came from and who accepted them), not by --apply; apply to an \
             annotator's layer and review it",
        );
        return 2;
    }
    // A text file given: only that document (the model still learns from the workspace).
    let Ok(only) = only_text(&ws, path, err) else {
        return 2;
    };
    let sources = if sources.is_empty() {
        Sources::all()
    } else {
        Sources::only(sources)
    };
    let reading = Bar::new("reading", Unit::Items("files"), json);
    let loaded = Corpus::load_with(&ws, layer, &|d, t| {
        reading.update(d, t);
    });
    reading.finish();
    let corpus = match loaded {
        Ok(c) => c,
        Err(e) => {
            error(err, e);
            return 2;
        }
    };
    let rejected = match layer.map(|l| crate::assist::suggest::rejections::load(&ws, l)) {
        Some(Err(e)) => {
            error(err, e);
            return 2;
        }
        Some(Ok(r)) => r,
        None => crate::assist::suggest::Rejections::default(),
    };
    let mut failed = 0;
    for p in &corpus.problems {
        failed += 1;
        let _ = writeln!(err, "{p}");
    }
    if let Some(rel) = &only
        && !corpus.texts.iter().any(|(r, _)| r == rel)
    {
        error(
            err,
            format_args!("{rel} is not a readable text of the workspace"),
        );
        return 2;
    }
    let t_read = t0.elapsed();
    let model = Model::new(ws.tags(), &corpus);
    let learned = if sources.contains(crate::assist::suggest::Source::Learned) {
        let tags: Vec<String> = ws.tags().tags.iter().map(|t| t.name.clone()).collect();
        let path = crate::assist::learn::file::model_path(&ws);
        match crate::assist::learn::file::load_for(&path, &tags) {
            Ok(m) => m,
            Err(e) => {
                failed += 1;
                let _ = writeln!(err, "{e}; the learned source is left out");
                None
            }
        }
    } else {
        None
    };
    let t_model = t0.elapsed();
    let mut t_suggest = std::time::Duration::ZERO;
    let mut docs = Vec::new();
    let mut by_source: std::collections::BTreeMap<crate::assist::suggest::Source, usize> =
        Default::default();
    let (mut total, mut added_total, mut layers_changed, mut cuts) = (0, 0, 0, 0);
    let bar = Bar::new("suggesting", Unit::Items("documents"), json);
    let in_all = if only.is_some() {
        1
    } else {
        corpus.texts.len()
    };
    for (rel, text) in &corpus.texts {
        if only.as_ref().is_some_and(|o| o != rel) {
            continue;
        }
        bar.update(docs.len(), in_all);
        let t = std::time::Instant::now();
        let crate::assist::suggest::Proposals { mut list, cut } = model.propose(text, sources);
        cuts += usize::from(!cut.is_empty());
        // The model sources: the learned tagger, and what was imported for this layer.
        if let Some(m) = &learned {
            list.extend(crate::assist::learn::to_suggestions(text, &m.predict(text)));
        }
        if let Some(name) = layer
            && sources.contains(crate::assist::suggest::Source::Imported)
        {
            use crate::interchange::import::suggestions::store::imported_suggestions;
            match imported_suggestions(&ws, name, rel, text) {
                Ok(found) => list.extend(found),
                Err(e) => {
                    failed += 1;
                    bar.suspend(|| writeln!(err, "{e}"));
                }
            }
        }
        crate::assist::suggest::sort_and_dedup(&mut list);
        let own = corpus.layers.get(rel);
        crate::assist::suggest::filter_new(&mut list, rel, own, &rejected);
        t_suggest += t.elapsed();
        let mut added = None;
        if apply && let Some(name) = layer {
            match crate::assist::suggest::apply(&ws, name, rel, text, &list, &rejected) {
                Ok(n) => {
                    added = Some(n);
                    added_total += n;
                    layers_changed += usize::from(n > 0);
                }
                Err(e) => {
                    failed += 1;
                    bar.suspend(|| writeln!(err, "{rel}: not applied: {e}"));
                }
            }
        }
        total += list.len();
        for x in &list {
            *by_source.entry(x.source).or_default() += 1;
        }
        docs.push(DocSuggestions {
            document: rel,
            suggestions: list,
            cut,
            added,
        });
    }
    bar.finish();
    if timing {
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
        let _ = writeln!(
            err,
            "timing: read {:.1} ms, model {:.1} ms, suggest {:.1} ms ({} chars)",
            ms(t_read),
            ms(t_model - t_read),
            ms(t_suggest),
            corpus
                .texts
                .iter()
                .map(|(_, t)| t.char_len())
                .sum::<usize>()
        );
    }
    if json {
        if print_json(&docs, out, err) != 0 {
            return 1;
        }
    } else {
        for d in &docs {
            let _ = writeln!(
                out,
                "{}: {}{}",
                d.document,
                plural(d.suggestions.len(), "suggestion"),
                match d.added {
                    Some(n) => format!("; added {}", plural(n, "span")),
                    None => String::new(),
                }
            );
            for c in &d.cut {
                let _ = writeln!(out, "  {c}");
            }
            for x in &d.suggestions {
                let attrs: Vec<String> =
                    x.attrs.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
                let _ = writeln!(
                    out,
                    "  {} {}..{} {} {:.2} {:?}{}{}",
                    x.tag,
                    x.start,
                    x.end,
                    x.source,
                    x.score,
                    x.text,
                    if attrs.is_empty() { "" } else { " " },
                    attrs.join(" ")
                );
            }
        }
        let per_source: Vec<String> = by_source.iter().map(|(s, n)| format!("{s} {n}")).collect();
        let _ = writeln!(
            out,
            "{} in {}{}",
            plural(total, "suggestion"),
            plural(docs.len(), "document"),
            if per_source.is_empty() {
                String::new()
            } else {
                format!(" ({})", per_source.join(", "))
            }
        );
        if cuts > 0 {
            let _ = writeln!(
                out,
                "cut in {}: a source found more than {} there, and proposes that many spread over the text",
                plural(cuts, "document"),
                crate::assist::suggest::MAX_PER_SOURCE
            );
        }
        if apply && let Some(name) = layer {
            let _ = writeln!(
                out,
                "added {} to {} of {name}",
                plural(added_total, "span"),
                plural(layers_changed, "layer file")
            );
        }
    }
    if failed > 0 { 1 } else { 0 }
}

fn suggest_eval(
    path: &std::path::Path,
    layer: Option<&str>,
    sources: &[crate::assist::suggest::Source],
    json: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    use crate::assist::learn;
    use crate::assist::suggest::{Source, Sources, Suggestion, eval};
    let Some(ws) = open_ws(path, err) else {
        return 2;
    };
    let layers: Vec<String> = match layer {
        Some(l) => vec![l.to_owned()],
        None => ws
            .layer_names()
            .into_iter()
            .filter(|n| n != crate::workspace::CURATED_LAYER)
            .collect(),
    };
    let chosen = if sources.is_empty() {
        Sources::all()
    } else {
        Sources::only(sources)
    };
    let mut status = 0;
    // The learned source: the workspace's model, never measured on what it learnt from.
    let model = if chosen.contains(Source::Learned) {
        let tags: Vec<String> = ws.tags().tags.iter().map(|t| t.name.clone()).collect();
        let path = learn::file::model_path(&ws);
        match learn::file::load_for(&path, &tags) {
            Ok(Some(m)) => Some(Ok(m)),
            Ok(None) => Some(Err(format!(
                "no model file ({}): run `marginalia learn` first",
                path.strip_prefix(ws.root()).unwrap_or(&path).display()
            ))),
            Err(e) => {
                error(err, &e);
                status = 1;
                Some(Err(e.to_string()))
            }
        }
    } else {
        None
    };
    let propose = |m: &learn::Model, text: &crate::model::text::Text| -> Option<Vec<Suggestion>> {
        (!m.trained_on(text.sha256())).then(|| learn::to_suggestions(text, &m.predict(text)))
    };
    let closure;
    let mut measured = Vec::new();
    match &model {
        Some(Ok(m)) => {
            closure = move |t: &crate::model::text::Text| propose(m, t);
            measured.push(eval::Measured {
                source: Source::Learned,
                propose: Ok(&closure),
            });
        }
        Some(Err(why)) => measured.push(eval::Measured {
            source: Source::Learned,
            propose: Err(why.clone()),
        }),
        None => {}
    }
    match eval::evaluate_with(&ws, &layers, chosen, &measured) {
        Ok(report) if json => print_json(&report, out, err).max(status),
        Ok(report) => {
            let _ = write!(out, "{}", report.to_table());
            status
        }
        Err(e) => {
            error(err, e);
            1
        }
    }
}
