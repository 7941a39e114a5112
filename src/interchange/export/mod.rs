//! Export: turns annotation layers into the files other tools read — JSON Lines (spaCy, Prodigy,
//! Hugging Face `datasets`), CoNLL IOB2, brat standoff, CSV and W3C Web Annotation.
//!
//! One entry point, [`run`], serves the CLI and the app: it takes an [`ExportRequest`] and a
//! progress callback that may cancel, streams documents one at a time (a workspace is never held
//! in memory whole) and returns an [`ExportSummary`] of what was written and what was not.
//! Output is deterministic: texts in path order, layers in name order, spans by (start, end, id).
//!
//! Relations go with their spans: a relation is handed to a format when its ends in the layer
//! are exported spans (else it is left out and counted with its reason, e.g. an end filtered out
//! by `--tags`); each format writes it its own way or says why it cannot
//! ([`ExportSummary::relations_left_out`]). An end in another document can only be written by
//! the formats that name texts (jsonl, csv, W3C).
//!
//! Owns: the export formats and their report. May import: the model, the store, the workspace
//! and the curated layer; never [`crate::interchange::import`].

pub mod brat;
pub mod conll;
pub mod csv;
pub mod doccano;
pub mod jsonl;
pub mod labelstudio;
pub mod tokens;
pub mod w3c;

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::model::layer::{SourceRecord, Span, Status};
use crate::model::relation::Relation;
use crate::model::text::Text;
use crate::store::{self, FileProblem};
use crate::wording::{plural, plural_as};
use crate::workspace::{Workspace, WorkspaceError, check_layer_name};

/// The file formats Marginalia writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportFormat {
    Jsonl,
    Conll,
    Brat,
    Csv,
    W3c,
    /// Label Studio tasks with the layers as predictions (pre-annotations).
    LabelStudio,
    /// doccano's JSON Lines: `{"text", "label": [[start, end, "tag"], …]}`.
    Doccano,
}

impl ExportFormat {
    /// Every format, in the order the docs list them.
    pub const ALL: [ExportFormat; 7] = [
        ExportFormat::Jsonl,
        ExportFormat::Conll,
        ExportFormat::Brat,
        ExportFormat::Csv,
        ExportFormat::W3c,
        ExportFormat::LabelStudio,
        ExportFormat::Doccano,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ExportFormat::Jsonl => "jsonl",
            ExportFormat::Conll => "conll",
            ExportFormat::Brat => "brat",
            ExportFormat::Csv => "csv",
            ExportFormat::W3c => "w3c",
            ExportFormat::LabelStudio => "labelstudio",
            ExportFormat::Doccano => "doccano",
        }
    }

    /// The usual file extension (brat writes a folder).
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Jsonl => "jsonl",
            ExportFormat::Conll => "conll",
            ExportFormat::Brat => "",
            ExportFormat::Csv => "csv",
            ExportFormat::W3c => "jsonld",
            ExportFormat::LabelStudio => "json",
            ExportFormat::Doccano => "jsonl",
        }
    }

    /// Whether the output is a folder rather than one file.
    pub fn writes_folder(self) -> bool {
        self == ExportFormat::Brat
    }
}

impl std::str::FromStr for ExportFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        super::format_named(&Self::ALL, Self::name, s).ok_or_else(|| {
            format!(
                "unknown format {s:?}; use jsonl, conll, brat, csv, w3c, labelstudio or doccano"
            )
        })
    }
}

/// How CoNLL, which cannot hold overlapping spans, chooses among them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Overlap {
    /// Keep the longest span of each overlapping group (ties: the earlier one).
    #[default]
    Longest,
    /// Keep the span that starts first (ties: the shorter, then the older one).
    First,
    /// Refuse to export a document with overlapping spans.
    Error,
}

impl std::str::FromStr for Overlap {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "longest" => Ok(Overlap::Longest),
            "first" => Ok(Overlap::First),
            "error" => Ok(Overlap::Error),
            _ => Err(format!(
                "unknown overlap rule {s:?}; use longest, first or error"
            )),
        }
    }
}

/// A span's user attributes, in key order: its `attrs` without Marginalia's own markers
/// (`marginalia:…` keys, such as a fuzzy re-anchoring), which no export writes.
pub fn user_attrs(s: &Span) -> impl Iterator<Item = (&str, &str)> {
    s.attrs
        .iter()
        .filter(|(k, _)| !crate::model::tags::is_reserved(k))
        .map(|(k, v)| (k.as_str(), v.as_str()))
}

/// The attribute names of the exported tags (all tags, or only `only`), each once: in tag order,
/// then each tag's attribute order. CSV gives each its own column.
pub fn attribute_columns(tags: &crate::model::tags::TagSet, only: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in tags
        .tags
        .iter()
        .filter(|t| only.is_empty() || only.contains(&t.name))
    {
        for a in &t.attributes {
            if !out.contains(&a.name) {
                out.push(a.name.clone());
            }
        }
    }
    out
}

/// Which layers to export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layers {
    /// One annotator's layer, or `curated`.
    One(String),
    /// Every layer; each record names its annotator.
    All,
}

/// Everything an export needs to know.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    /// The workspace (any path inside it).
    pub workspace: PathBuf,
    pub format: ExportFormat,
    pub layers: Layers,
    /// Only spans with these tags; empty means all tags.
    pub tags: Vec<String>,
    /// Only documents whose layer has this status.
    pub status: Option<Status>,
    /// CoNLL only.
    pub overlap: Overlap,
    /// A file (a folder for brat); `-` is standard output.
    pub out: PathBuf,
    /// Label Studio only: how offsets are counted.
    pub offsets: Offsets,
}

/// How a format that counts offsets otherwise than Marginalia gets them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Offsets {
    /// UTF-16 code units, as JavaScript strings count (an emoji is 2).
    #[default]
    Utf16,
    /// Unicode scalar values, as Marginalia and Python count.
    CodePoints,
}

impl std::str::FromStr for Offsets {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "utf16" | "utf-16" => Ok(Self::Utf16),
            "code-points" | "codepoints" => Ok(Self::CodePoints),
            _ => Err(format!("unknown offsets {s:?}; use utf16 or code-points")),
        }
    }
}

impl ExportRequest {
    /// A request with no filters.
    pub fn new(workspace: &Path, format: ExportFormat, layers: Layers, out: &Path) -> Self {
        Self {
            workspace: workspace.to_path_buf(),
            format,
            layers,
            tags: Vec::new(),
            status: None,
            overlap: Overlap::default(),
            out: out.to_path_buf(),
            offsets: Offsets::default(),
        }
    }
}

/// What an export wrote and what it left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportSummary {
    /// Documents written (one per text and layer).
    pub documents: usize,
    /// Spans written.
    pub spans: usize,
    /// Size of the exported texts, in chars and in UTF-8 bytes.
    pub text_chars: usize,
    pub text_bytes: usize,
    /// Documents not written, each with its reason (stale, unreadable, …).
    pub skipped_documents: Vec<String>,
    /// Spans not written because they do not match their text.
    pub skipped_spans: Vec<String>,
    /// What CoNLL could not write as it was (empty for other formats).
    pub conll: ConllLosses,
    /// What brat wrote its own way (none for other formats).
    pub brat: BratRewrites,
    /// Where it went.
    pub out: String,
    /// The output file existed before and was replaced.
    pub replaced: bool,
    /// What the user needs to know to use the output (Label Studio's labeling config).
    pub notes: Vec<String>,
    /// Relations written.
    pub relations: usize,
    /// Relations not written: an end not exported, or a format with no place for them.
    pub relations_left_out: usize,
    /// Why, a line per relation or per document's group of them.
    pub relations_left_out_why: Vec<String>,
}

/// What a CoNLL export, one tag per token, could not write as it was.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConllLosses {
    /// Spans dropped because they overlap a kept span.
    pub overlaps_dropped: usize,
    /// Span boundaries that fall inside a token, each described.
    pub boundaries_inside_tokens: Vec<String>,
    /// Spans that cover no token (only whitespace or separators), not in the file.
    pub spans_without_token: Vec<String>,
    /// Spans inside a token already tagged for another span, not in the file.
    pub spans_in_taken_token: Vec<String>,
    /// Entities written (one `B-` tag each); `None` for other formats.
    pub entities: Option<usize>,
}

/// What a brat export wrote in brat's own way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BratRewrites {
    /// Spans written as several fragments because they cross a line break.
    pub discontinuous: usize,
    /// Notes with line breaks, tabs or backslashes, written with `\n`-style escapes.
    pub notes_escaped: usize,
}

impl ExportSummary {
    /// Human-readable lines for the CLI and the app's summary box. `limit` caps each list.
    pub fn report(&self, limit: usize) -> Vec<String> {
        let mut lines = vec![format!(
            "exported {}, {}, {} of text to {}",
            plural(self.documents, "document"),
            plural(self.spans, "span"),
            plural(self.text_chars, "char"),
            self.out
        )];
        if self.replaced {
            lines.push(format!("replaced existing file {}", self.out));
        }
        push_counted(
            &mut lines,
            limit,
            "skipped",
            "document",
            &self.skipped_documents,
        );
        push_counted(&mut lines, limit, "skipped", "span", &self.skipped_spans);
        if self.relations > 0 {
            lines.push(format!("exported {}", plural(self.relations, "relation")));
        }
        if self.relations_left_out > 0 {
            push_list(
                &mut lines,
                limit,
                format!("left out {}:", plural(self.relations_left_out, "relation")),
                &self.relations_left_out_why,
            );
        }
        self.conll.report(self.spans, limit, &mut lines);
        self.brat.report(&mut lines);
        lines.extend(self.notes.iter().cloned());
        lines
    }
}

impl ExportSummary {
    /// Counts `n` relations of `doc` left out, for `why`.
    pub(crate) fn leave_out_relations(&mut self, doc: &ExportDoc<'_>, n: usize, why: &str) {
        if n == 0 {
            return;
        }
        self.relations_left_out += n;
        self.relations_left_out_why.push(format!(
            "{} ({}): {}: {why}",
            doc.rel,
            doc.annotator,
            plural(n, "relation")
        ));
    }

    /// Counts relation `r` of `doc` left out, for `why`.
    pub(crate) fn leave_out_relation(&mut self, doc: &ExportDoc<'_>, r: &Relation, why: &str) {
        self.relations_left_out += 1;
        self.relations_left_out_why.push(format!(
            "{} ({}): relation {} ({}): {why}",
            doc.rel, doc.annotator, r.id, r.kind
        ));
    }
}

impl ConllLosses {
    /// The report's lines about what did not go into the file as it was; `spans` were exported.
    fn report(&self, spans: usize, limit: usize, lines: &mut Vec<String>) {
        push_list(
            lines,
            limit,
            format!(
                "{} inside a token (the whole token is tagged):",
                match self.boundaries_inside_tokens.len() {
                    1 => "1 span boundary falls".to_owned(),
                    n => format!("{n} span boundaries fall"),
                }
            ),
            &self.boundaries_inside_tokens,
        );
        if self.overlaps_dropped > 0 {
            lines.push(format!(
                "dropped {}: CoNLL holds one tag per token",
                plural_as(
                    self.overlaps_dropped,
                    "overlapping span",
                    "overlapping spans"
                )
            ));
        }
        push_list(
            lines,
            limit,
            format!(
                "{} no token (only whitespace or separators) and not in the file:",
                plural_as(self.spans_without_token.len(), "span covers", "spans cover")
            ),
            &self.spans_without_token,
        );
        push_list(
            lines,
            limit,
            format!(
                "{} inside a token already tagged for another span and not in the file:",
                plural_as(self.spans_in_taken_token.len(), "span lies", "spans lie")
            ),
            &self.spans_in_taken_token,
        );
        if let Some(entities) = self.entities {
            let left = spans.saturating_sub(entities);
            if left > 0 {
                lines.push(format!(
                    "{} of {} not written as entities (spans − entities written = {} − {}): {} overlapping, {} covering no token, {} inside another span's token",
                    left,
                    plural(spans, "span"),
                    spans,
                    entities,
                    self.overlaps_dropped,
                    self.spans_without_token.len(),
                    self.spans_in_taken_token.len()
                ));
            }
        }
    }
}

impl BratRewrites {
    /// The report's lines about what was written brat's way.
    fn report(&self, lines: &mut Vec<String>) {
        if self.discontinuous > 0 {
            lines.push(format!(
                "{} a line break and were written as brat fragments",
                plural_as(self.discontinuous, "span crosses", "spans cross")
            ));
        }
        if self.notes_escaped > 0 {
            lines.push(format!(
                "{} line breaks, tabs or backslashes, written as \\n, \\t, \\\\ (brat notes are one line)",
                plural_as(self.notes_escaped, "note has", "notes have")
            ));
        }
    }
}

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    #[error("{0}")]
    BadRequest(String),
    /// `{path}: cannot write: {reason}`.
    #[error(transparent)]
    Write(FileProblem),
    #[error(
        "{document}: spans {first} and {second} overlap, and CoNLL holds one tag per token (use --overlap longest or first)"
    )]
    Overlap {
        document: String,
        first: u64,
        second: u64,
    },
    #[error("export cancelled")]
    Cancelled,
}

/// One document as an export format sees it: a text, one layer's metadata and the spans that
/// passed the filters and the checks (every span's `exact` equals the text at its offsets).
pub struct ExportDoc<'a> {
    pub rel: &'a str,
    pub text: &'a Text,
    pub annotator: &'a str,
    pub status: Status,
    pub spans: Vec<&'a Span>,
    /// The layer's import record, if an import made it from a Prodigy or doccano record.
    pub source: Option<&'a SourceRecord>,
    /// The relations whose ends in this layer are all in `spans`, in id order; an end in
    /// another document is handed on as it is.
    pub relations: Vec<&'a Relation>,
}

impl ExportDoc<'_> {
    /// The exported span with id `id`.
    pub fn span(&self, id: u64) -> Option<&Span> {
        self.spans.iter().copied().find(|s| s.id == id)
    }
}

/// A format's writer: gets documents one at a time.
pub(crate) trait DocWriter {
    fn document(
        &mut self,
        doc: &ExportDoc<'_>,
        summary: &mut ExportSummary,
    ) -> Result<(), ExportError>;
    fn finish(&mut self, summary: &mut ExportSummary) -> Result<(), ExportError>;
}

/// Progress callbacks get (documents done, documents in all) and return whether to go on.
pub type Progress<'a> = &'a dyn Fn(usize, usize) -> bool;

/// Runs an export to `req.out`: a file (written to a temp file and renamed into place when
/// complete, so a cancelled or failed export leaves no half file), a folder for brat, or `-` for
/// standard output.
///
/// # Errors
/// A bad request (unknown layer or tag, output is a folder), a write failure naming the file,
/// overlapping spans with [`Overlap::Error`], or [`ExportError::Cancelled`].
pub fn run(req: &ExportRequest, progress: Progress<'_>) -> Result<ExportSummary, ExportError> {
    let ws = Workspace::open(&req.workspace)?;
    check_request(&ws, req)?;
    if req.format.writes_folder() {
        if is_stream(&req.out) {
            return Err(ExportError::BadRequest(
                "brat writes a folder; give a folder with -o, not -".into(),
            ));
        }
        check_output(&ws, req)?;
        let per_annotator = req.layers == Layers::All;
        let mut sink = brat::BratSink::create(&req.out, &ws, &req.tags, per_annotator)?;
        let mut summary = ExportSummary {
            out: req.out.display().to_string(),
            ..Default::default()
        };
        let driven = drive(&ws, req, progress, &mut sink, &mut summary);
        // What was handed over before a cancel or an error is written, as it always was.
        let written = sink.commit();
        driven?;
        written?;
        return Ok(summary);
    }
    if is_stream(&req.out) {
        let stdout = std::io::stdout();
        let mut lock = stdout.lock();
        return run_single(&ws, req, &mut lock, "standard output", progress, None);
    }
    let replacing = check_output(&ws, req)?;
    let shown = req.out.display().to_string();
    // csv's relations go to a file of their own beside the spans' file, kept only when written.
    let relations_out = match req.format {
        ExportFormat::Csv => {
            let path = csv::relations_path(&req.out);
            let beside = ExportRequest {
                out: path.clone(),
                ..req.clone()
            };
            check_output(&ws, &beside)?;
            let file = store::AtomicFile::create(&path).map_err(from_store)?;
            Some((path.display().to_string(), file))
        }
        _ => None,
    };
    let mut file = store::AtomicFile::create(&req.out).map_err(from_store)?;
    let (mut relations_shown, mut relations_file) = relations_out.unzip();
    let mut summary = run_single(
        &ws,
        req,
        &mut file,
        &shown,
        progress,
        relations_shown
            .as_deref()
            .zip(relations_file.as_mut().map(|f| f as &mut dyn Write)),
    )?;
    summary.replaced = replacing;
    file.commit().map_err(from_store)?;
    if let (Some(f), Some(path)) = (relations_file, relations_shown.take())
        && summary.relations > 0
    {
        f.commit().map_err(from_store)?;
        summary.notes.push(format!(
            "wrote {} to {path}",
            plural(summary.relations, "relation")
        ));
    }
    Ok(summary)
}

/// A failed write of the store as an export error, naming the file as before.
pub(crate) fn from_store(e: store::StoreError) -> ExportError {
    match e {
        store::StoreError::Write { path, reason } => {
            ExportError::Write(FileProblem::unwritable(path, reason))
        }
        other => ExportError::BadRequest(other.to_string()),
    }
}

/// Runs a single-file export (every format but brat) into any writer, e.g. the CLI's stdout.
///
/// # Errors
/// As [`run`]; brat is refused here.
pub fn run_to_writer(
    req: &ExportRequest,
    w: &mut dyn Write,
    progress: Progress<'_>,
) -> Result<ExportSummary, ExportError> {
    let ws = Workspace::open(&req.workspace)?;
    check_request(&ws, req)?;
    run_single(&ws, req, w, "standard output", progress, None)
}

/// `relations`: where csv writes relations (its name and writer), none for a stream.
fn run_single<'w>(
    ws: &Workspace,
    req: &ExportRequest,
    w: &'w mut dyn Write,
    shown: &str,
    progress: Progress<'_>,
    relations: Option<(&str, &'w mut dyn Write)>,
) -> Result<ExportSummary, ExportError> {
    let mut summary = ExportSummary {
        out: shown.to_owned(),
        ..Default::default()
    };
    let all = req.layers == Layers::All;
    let mut sink: Box<dyn DocWriter + '_> = match req.format {
        ExportFormat::Jsonl => {
            Box::new(jsonl::JsonLinesSink::new(w, shown, jsonl::JsonlRecord::of))
        }
        ExportFormat::Doccano => {
            // One shape for the whole file: the relation shape if any layer has relations.
            let record = if any_relations(ws, req) {
                doccano::DoccanoRecord::of_linked
            } else {
                doccano::DoccanoRecord::of
            };
            Box::new(
                jsonl::JsonLinesSink::new(w, shown, record).without_crossing(
                    "an end is in another document; doccano links entities of one record",
                ),
            )
        }
        ExportFormat::Conll => Box::new(conll::ConllSink::new(w, shown, req.overlap)),
        ExportFormat::Csv => Box::new(csv::CsvSink::new(
            w,
            shown,
            attribute_columns(ws.tags(), &req.tags),
            relations,
        )),
        ExportFormat::W3c => Box::new(w3c::W3cSink::new(w, shown, all, ws.tags().clone())?),
        ExportFormat::LabelStudio => Box::new(labelstudio::LabelStudioSink::new(
            w,
            shown,
            ws.tags(),
            req.offsets,
        )),
        ExportFormat::Brat => {
            return Err(ExportError::BadRequest(
                "brat writes a folder, not a stream".into(),
            ));
        }
    };
    drive(ws, req, progress, sink.as_mut(), &mut summary)?;
    Ok(summary)
}

/// Whether an output path means standard output: `-`, or `/dev/stdout`, which is written
/// through as a plain stream (never replaced by a file).
pub fn is_stream(out: &Path) -> bool {
    out.as_os_str() == "-" || out == Path::new("/dev/stdout")
}

/// `path` made absolute with symbolic links in its existing folders resolved; the part that does
/// not exist yet is added as written (`..` in it goes up a folder).
fn resolve(path: &Path) -> PathBuf {
    use std::path::Component;
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let parts: Vec<Component<'_>> = abs.components().collect();
    let mut out = abs.clone();
    let mut rest: &[Component<'_>] = &[];
    for i in (1..=parts.len()).rev() {
        let prefix: PathBuf = parts[..i].iter().collect();
        if let Ok(real) = prefix.canonicalize() {
            out = real;
            rest = &parts[i..];
            break;
        }
    }
    for c in rest {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(n) => out.push(n),
            _ => {}
        }
    }
    out
}

/// Refuses outputs that would destroy something: a symbolic link or a device, FIFO or socket
/// (the export would replace it with a file), anything inside `annotations/`, a workspace
/// text, or a brat folder whose files would land on workspace texts. Returns whether a
/// single-file export replaces an existing file.
///
/// # Errors
/// [`ExportError::BadRequest`] saying what the output is and why it is refused.
pub fn check_output(ws: &Workspace, req: &ExportRequest) -> Result<bool, ExportError> {
    let out = &req.out;
    let shown = out.display();
    let refuse = |why: String| Err(ExportError::BadRequest(format!("{shown}: {why}")));
    let folder = req.format.writes_folder();
    let mut exists = false;
    if let Ok(meta) = std::fs::symlink_metadata(out) {
        exists = true;
        let ft = meta.file_type();
        if ft.is_symlink() {
            return refuse(
                "is a symbolic link; export does not replace links. Give the path it points to, or another name"
                    .into(),
            );
        }
        if folder && !ft.is_dir() {
            return refuse("is not a folder; brat writes a folder".into());
        }
        if !folder && ft.is_dir() {
            return refuse(format!(
                "is a folder; {} writes one file",
                req.format.name()
            ));
        }
        if !folder && !ft.is_file() {
            return refuse(
                "is not a regular file (a device, FIFO or socket), and export would replace it with one. Give a file path, or - for standard output"
                    .into(),
            );
        }
    }
    let real = resolve(out);
    let root = ws
        .root()
        .canonicalize()
        .unwrap_or_else(|_| ws.root().into());
    let annotations = root.join(crate::workspace::ANNOTATIONS_DIR);
    if real.starts_with(&annotations) {
        return refuse(format!(
            "is inside the workspace's annotations folder {}; an export there could replace annotation files. Choose a path outside it",
            annotations.display()
        ));
    }
    let texts: std::collections::HashSet<String> = ws.texts().into_iter().map(|t| t.rel).collect();
    let text_at = |p: &Path| -> Option<String> {
        let rel = p.strip_prefix(&root).ok()?;
        let rel = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        texts.contains(&rel).then_some(rel)
    };
    if !folder {
        if let Some(rel) = text_at(&real) {
            return refuse(format!(
                "is the workspace text {rel}; an export would replace it. Choose another file"
            ));
        }
        return Ok(exists);
    }
    // brat writes `<folder>/<rel>` (or `<folder>/<annotator>/<rel>`) for every text.
    let prefixes: Vec<String> = match &req.layers {
        Layers::All => ws.layer_names(),
        Layers::One(_) => vec![String::new()],
    };
    for prefix in &prefixes {
        for rel in &texts {
            let dest = real.join(prefix).join(rel);
            let mut ann = dest.clone();
            ann.set_extension("ann");
            if let Some(hit) = text_at(&dest) {
                return refuse(format!(
                    "brat would write its copy of {rel} over the workspace text {hit}. Choose a folder outside the workspace's texts"
                ));
            }
            // A `.txt` the workspace would list: the export would add its copies as new
            // documents (and the next export would collide with them).
            if let Ok(inside) = dest.strip_prefix(&root) {
                let inside = inside
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                if ws.check_text_rel(&inside).is_ok() {
                    let folders = match ws.config().texts.as_slice() {
                        [] => {
                            "the whole workspace, as it has no annotations/workspace.ron".to_owned()
                        }
                        list => list.join(", "),
                    };
                    return refuse(format!(
                        "is inside the workspace's text folders ({folders}): brat's copy {inside} would become a new document. Choose a folder outside the workspace (e.g. -o ../brat-export), or outside its text folders"
                    ));
                }
            }
            if dest.starts_with(&annotations) || ann.starts_with(&annotations) {
                return refuse(format!(
                    "brat would write into the workspace's annotations folder {}. Choose another folder",
                    annotations.display()
                ));
            }
        }
    }
    Ok(false)
}

fn check_request(ws: &Workspace, req: &ExportRequest) -> Result<(), ExportError> {
    if let Layers::One(name) = &req.layers {
        check_layer_name(name).map_err(ExportError::BadRequest)?;
        let names = ws.layer_names();
        if !names.contains(name) {
            return Err(ExportError::BadRequest(format!(
                "no layer named {name:?} in {}; layers: {}",
                ws.root().display(),
                if names.is_empty() {
                    "none".to_owned()
                } else {
                    names.join(", ")
                }
            )));
        }
    }
    for t in &req.tags {
        if !ws.tags().contains(t) {
            let known: Vec<&str> = ws.tags().tags.iter().map(|t| t.name.as_str()).collect();
            return Err(ExportError::BadRequest(format!(
                "unknown tag {t:?}; tags: {}",
                known.join(", ")
            )));
        }
    }
    Ok(())
}

/// Walks texts and layers in a fixed order, loads one document at a time, checks it and hands it
/// to the sink.
/// Whether any layer the request exports has relations: a look for the `relations` field in
/// each file's bytes, without parsing (a layer that cannot be read counts as none; the export
/// itself reports it).
fn any_relations(ws: &Workspace, req: &ExportRequest) -> bool {
    let layers = match &req.layers {
        Layers::One(name) => vec![name.clone()],
        Layers::All => ws.layer_names(),
    };
    let finder = memchr::memmem::Finder::new(b"\n    relations: [");
    ws.texts().iter().any(|entry| {
        layers.iter().any(|layer| {
            ws.layer_path(layer, &entry.rel)
                .and_then(|p| store::read_regular(&p, store::MAX_LAYER_BYTES).ok())
                .is_some_and(|bytes| finder.find(&bytes).is_some())
        })
    })
}

fn drive(
    ws: &Workspace,
    req: &ExportRequest,
    progress: Progress<'_>,
    sink: &mut dyn DocWriter,
    summary: &mut ExportSummary,
) -> Result<(), ExportError> {
    let layers = match &req.layers {
        Layers::One(name) => vec![name.clone()],
        Layers::All => ws.layer_names(),
    };
    let texts = ws.texts();
    let total = texts.len();
    for (i, entry) in texts.iter().enumerate() {
        if !progress(i, total) {
            return Err(ExportError::Cancelled);
        }
        let mut text: Option<Text> = None;
        for layer_name in &layers {
            let Some(path) = ws.layer_path(layer_name, &entry.rel) else {
                continue;
            };
            // Links under annotations/ are never followed (validate reports them too).
            if let Some(link) = ws.symlink_on_layer_path(&path) {
                let said = format!(
                    "{}: skipped: {}",
                    link.display(),
                    crate::workspace::SYMLINK_REASON
                );
                if !summary.skipped_documents.contains(&said) {
                    summary.skipped_documents.push(said);
                }
                continue;
            }
            let layer = match crate::model::layer::load_layer(&path) {
                Ok(Some((layer, _))) => layer,
                Ok(None) => continue,
                Err(e) => {
                    summary.skipped_documents.push(e.to_string());
                    continue;
                }
            };
            if req.status.is_some_and(|s| s != layer.status) {
                continue;
            }
            if text.is_none() {
                match Text::load(&entry.path) {
                    Ok(t) => text = Some(t),
                    Err(e) => {
                        summary.skipped_documents.push(e.to_string());
                        break;
                    }
                }
            }
            let Some(text) = text.as_ref() else { break };
            if layer.text_sha256 != text.sha256() {
                summary.skipped_documents.push(format!(
                    "{}: stale: {} changed since it was annotated (run `marginalia reanchor`)",
                    path.display(),
                    entry.rel
                ));
                continue;
            }
            let mut spans = Vec::with_capacity(layer.spans.len());
            for s in &layer.spans {
                if !req.tags.is_empty() && !req.tags.contains(&s.tag) {
                    continue;
                }
                if s.start >= s.end
                    || s.end > text.char_len()
                    || text.slice(s.start, s.end) != s.exact
                {
                    summary.skipped_spans.push(format!(
                        "{}: span {} ({}..{}) does not match the text; run `marginalia validate`",
                        path.display(),
                        s.id,
                        s.start,
                        s.end
                    ));
                    continue;
                }
                spans.push(s);
            }
            let exported: std::collections::HashSet<u64> = spans.iter().map(|s| s.id).collect();
            let mut relations = Vec::with_capacity(layer.relations.len());
            let mut cut = Vec::new();
            for r in &layer.relations {
                let missing = [("from", &r.from), ("to", &r.to)]
                    .into_iter()
                    .find(|(_, end)| end.here_id().is_some_and(|id| !exported.contains(&id)));
                match missing {
                    Some((which, end)) => cut.push((r, which, end.span)),
                    None => relations.push(r),
                }
            }
            let doc = ExportDoc {
                rel: &entry.rel,
                text,
                annotator: &layer.annotator,
                status: layer.status,
                spans,
                source: layer.source.as_ref(),
                relations,
            };
            for (r, which, span) in cut {
                let why = if req.tags.is_empty()
                    || layer.span(span).is_none_or(|s| req.tags.contains(&s.tag))
                {
                    format!(
                        "its {which} end, span {span}, is not exported (missing or not matching the text)"
                    )
                } else {
                    format!("its {which} end, span {span}, has a tag --tags leaves out")
                };
                summary.leave_out_relation(&doc, r, &why);
            }
            let left_before = summary.relations_left_out;
            sink.document(&doc, summary)?;
            summary.relations += doc
                .relations
                .len()
                .saturating_sub(summary.relations_left_out - left_before);
            summary.documents += 1;
            summary.spans += doc.spans.len();
            summary.text_chars += text.char_len();
            summary.text_bytes += text.as_str().len();
        }
    }
    sink.finish(summary)?;
    progress(total, total);
    Ok(())
}

/// Maps an I/O error on `path` to [`ExportError::Write`].
pub(crate) fn write_err(path: &str) -> impl Fn(std::io::Error) -> ExportError + '_ {
    move |e| ExportError::Write(FileProblem::unwritable(path, e.to_string()))
}

/// Writes `value` as JSON after `before` (a separator; the doccano and jsonl lines end with a
/// newline instead), with the output's name on an error.
pub(crate) fn write_json(
    w: &mut dyn Write,
    shown: &str,
    before: &[u8],
    value: &impl serde::Serialize,
) -> Result<(), ExportError> {
    w.write_all(before).map_err(write_err(shown))?;
    serde_json::to_writer(&mut *w, value)
        .map_err(|e| ExportError::Write(FileProblem::unwritable(shown, e.to_string())))
}

/// Appends "`verb` N `noun`s:" and the items, as [`push_list`] does.
pub fn push_counted(
    lines: &mut Vec<String>,
    limit: usize,
    verb: &str,
    noun: &str,
    items: &[String],
) {
    push_list(
        lines,
        limit,
        format!("{verb} {}:", plural(items.len(), noun)),
        items,
    );
}

/// Appends a titled, indented list capped at `limit` items (nothing when `items` is empty).
pub fn push_list(lines: &mut Vec<String>, limit: usize, title: String, items: &[String]) {
    if items.is_empty() {
        return;
    }
    lines.push(title);
    for it in items.iter().take(limit) {
        lines.push(format!("  {it}"));
    }
    if items.len() > limit {
        lines.push(format!("  … and {} more", items.len() - limit));
    }
}
