//! Import: brings spans made by other tools (brat, doccano, Prodigy) or exported by Marginalia
//! (jsonl, csv, w3c) into one annotator's layer.
//!
//! One entry point, [`run`], serves the CLI and the app, with the same progress-and-cancel shape
//! as export. Each source format only parses its files into [`Incoming`] documents; this module
//! decides what happens to them, the same way for every format:
//! - a text missing from the workspace is copied in under the same relative path (when the
//!   source carries the text: brat and jsonl do, csv and w3c refer to workspace texts);
//! - an existing layer is never overwritten: with `merge` the imported spans are added, skipping
//!   exact duplicates (same start, end and tag); without it the document is skipped and reported;
//! - a span out of range or whose stated text differs from the text at its offsets is reported
//!   with its file and line and not imported;
//! - tags not in the tag set are added with generated colours and `annotations/tags.ron` is
//!   written before the first layer that uses them;
//! - texts and layers are written in batches ([`store::AtomicBatch`]): each file is still
//!   replaced atomically, but the fsyncs are paid once per batch, and each document's outcome
//!   is reported after its batch is committed;
//! - a source that would fail half-way for a byte that is not UTF-8 is refused before anything
//!   is written; a run that still stops part-way returns its summary with
//!   [`ImportSummary::stopped`] (exit 3), listing exactly what was written;
//! - texts go under [`ImportRequest::into`] when given (`--into`, the Import window's "Into
//!   folder").
//!
//! Owns: the import formats, the sniffing of a source's format, and the import report. May
//! import: the model, the store, the workspace and [`crate::interchange::export`]'s shared shapes.

pub mod brat;
pub mod conll;
pub mod csv;
pub mod jsonl;
pub mod labelstudio;
pub mod sniff;
pub mod suggestions;
pub mod w3c;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::interchange::export::{push_counted, push_list};
use crate::model::layer::{Layer, SourceRecord, Status, make_span, now_rfc3339};
use crate::model::range::CharRange;
use crate::model::tags::TagSet;
use crate::model::text::Text;
use crate::store::{self, FileProblem, StoreError};
use crate::wording::plural;
use crate::workspace::{MAX_PATH_BYTES, Workspace, WorkspaceError, check_annotator};

/// The formats Marginalia reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImportFormat {
    /// A folder of brat `.txt` + `.ann` pairs (or one `.ann` file).
    Brat,
    /// Marginalia's jsonl, doccano's `{"text", "label": [[s, e, "tag"]]}` or Prodigy's
    /// `{"text", "spans": [...]}`.
    Jsonl,
    /// Marginalia's csv (the texts must be in the workspace).
    Csv,
    /// Marginalia's W3C AnnotationCollection (the texts must be in the workspace).
    W3c,
    /// CoNLL / IOB columns (IOB1, IOB2, BIOES); the texts are rebuilt from the tokens.
    Conll(conll::Options),
    /// Label Studio's JSON or JSON-MIN export (UTF-16 offsets), one layer per annotator.
    LabelStudio,
    /// doccano's JSON Lines, 1.x (`{"id", "data", "label"}`) or 2.x (`{"text", "label"}`): read
    /// like [`ImportFormat::Jsonl`].
    Doccano,
}

impl ImportFormat {
    /// Every format, in the order the CLI and the app list them.
    pub const ALL: [ImportFormat; 7] = [
        ImportFormat::Brat,
        ImportFormat::Jsonl,
        ImportFormat::Doccano,
        ImportFormat::Csv,
        ImportFormat::W3c,
        ImportFormat::Conll(conll::Options { columns: None }),
        ImportFormat::LabelStudio,
    ];

    /// The name `--format` takes.
    pub fn name(self) -> &'static str {
        match self {
            ImportFormat::Brat => "brat",
            ImportFormat::Jsonl => "jsonl",
            ImportFormat::Csv => "csv",
            ImportFormat::W3c => "w3c",
            ImportFormat::Conll(_) => "conll",
            ImportFormat::LabelStudio => "labelstudio",
            ImportFormat::Doccano => "doccano",
        }
    }

    /// What [`run`]'s progress counts for this format: bytes of the source read for the line
    /// and column formats, else the items named (brat's `.ann` files, Label Studio's tasks,
    /// W3C annotations).
    pub fn progress_unit(self) -> ProgressUnit {
        match self {
            ImportFormat::Brat => ProgressUnit::Items("ann files"),
            ImportFormat::LabelStudio => ProgressUnit::Items("tasks"),
            ImportFormat::W3c => ProgressUnit::Items("annotations"),
            ImportFormat::Jsonl
            | ImportFormat::Doccano
            | ImportFormat::Csv
            | ImportFormat::Conll(_) => ProgressUnit::Bytes,
        }
    }

    /// The format a source's content shows, when Marginalia reads it (see [`sniff`]).
    pub fn detect(source: &Path) -> Result<ImportFormat, String> {
        let looks = sniff::sniff(source);
        looks
            .format_name()
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| {
                format!(
                    "{}: cannot tell its format: it looks like {}; give --format ({})",
                    source.display(),
                    looks.describe(),
                    Self::names().join(", ")
                )
            })
    }

    /// The names of every format.
    pub fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|f| f.name()).collect()
    }
}

impl std::str::FromStr for ImportFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        super::format_named(&Self::ALL, Self::name, s).ok_or_else(|| {
            format!(
                "unknown format {s:?}; use {}",
                ImportFormat::names().join(", ")
            )
        })
    }
}

/// Everything an import needs to know.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    /// The workspace (any path inside it).
    pub workspace: PathBuf,
    pub format: ImportFormat,
    /// Whose layer the spans go into.
    pub annotator: String,
    /// The file or folder to read.
    pub source: PathBuf,
    /// Add to existing layers instead of skipping their documents.
    pub merge: bool,
    /// Which Prodigy answers to import (records and spans without one are always imported).
    pub answers: Answers,
    /// The folder (relative to the workspace root) the texts go into: a path the source gives
    /// is put under it unless it is inside it already, and generated names
    /// (`<file name>/000001.txt`) are made in it. `None`: paths as the source gives them,
    /// except that a brat path (relative to the brat folder) outside `workspace.ron`'s text
    /// folders goes under the first of them.
    pub into: Option<String>,
}

/// Which Prodigy `"answer"`s an import keeps: by default only `accept`, since `reject` and
/// `ignore` mark what the annotator said is wrong or not worth annotating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answers {
    pub accept: bool,
    pub reject: bool,
    pub ignore: bool,
}

impl Default for Answers {
    fn default() -> Self {
        Self {
            accept: true,
            reject: false,
            ignore: false,
        }
    }
}

impl Answers {
    /// Whether a record or span answered `answer` is imported. An answer Prodigy does not give
    /// is left out (and counted), never taken for an accept.
    pub fn keeps(&self, answer: &str) -> bool {
        match answer {
            "accept" => self.accept,
            "reject" => self.reject,
            "ignore" => self.ignore,
            _ => false,
        }
    }
}

impl std::str::FromStr for Answers {
    type Err = String;
    /// `accept,reject,ignore` or any non-empty part of it.
    fn from_str(s: &str) -> Result<Self, String> {
        let mut a = Self {
            accept: false,
            reject: false,
            ignore: false,
        };
        for part in s.split(',').map(str::trim) {
            match part.to_ascii_lowercase().as_str() {
                "accept" => a.accept = true,
                "reject" => a.reject = true,
                "ignore" => a.ignore = true,
                _ => {
                    return Err(format!(
                        "unknown answer {part:?}; use accept, reject and/or ignore, separated by commas"
                    ));
                }
            }
        }
        Ok(a)
    }
}

/// What an import left out for its Prodigy answer (fields in the alphabetical order
/// `import --json` prints them in).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct LeftOut {
    /// Records (documents) with this answer, not imported.
    pub records: usize,
    /// Spans with this answer of their own, inside records that were imported.
    pub spans: usize,
    /// Spans inside those records.
    pub spans_in_records: usize,
}

/// Annotations a source held that a Marginalia span cannot: counted per file, never dropped
/// silently.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unsupported {
    pub relations: usize,
    pub events: usize,
    pub attributes: usize,
    pub normalizations: usize,
    pub equivalences: usize,
    /// Notes on something other than a text span (a relation or an event).
    pub notes_on_others: usize,
    /// Lines of no known kind.
    pub unknown_lines: usize,
    /// Other kinds, by the source's name for them (Label Studio's result types: `choices`,
    /// `textarea`, …).
    pub other: BTreeMap<String, usize>,
}

impl Unsupported {
    fn add(&mut self, u: &Unsupported) {
        self.relations += u.relations;
        self.events += u.events;
        self.attributes += u.attributes;
        self.normalizations += u.normalizations;
        self.equivalences += u.equivalences;
        self.notes_on_others += u.notes_on_others;
        self.unknown_lines += u.unknown_lines;
        for (k, n) in &u.other {
            *self.other.entry(k.clone()).or_default() += n;
        }
    }

    /// How many in all.
    pub fn total(&self) -> usize {
        self.relations
            + self.events
            + self.attributes
            + self.normalizations
            + self.equivalences
            + self.notes_on_others
            + self.unknown_lines
            + self.other.values().sum::<usize>()
    }
}

impl std::fmt::Display for Unsupported {
    /// `3 relations, 1 event`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts = [
            (self.relations, "relation", "relations"),
            (self.events, "event", "events"),
            (self.attributes, "attribute", "attributes"),
            (self.normalizations, "normalization", "normalizations"),
            (self.equivalences, "equivalence", "equivalences"),
            (
                self.notes_on_others,
                "note on a relation or event",
                "notes on relations or events",
            ),
            (
                self.unknown_lines,
                "unrecognised line",
                "unrecognised lines",
            ),
        ];
        let mut shown: Vec<String> = parts
            .iter()
            .filter(|(n, _, _)| *n > 0)
            .map(|(n, one, many)| format!("{n} {}", if *n == 1 { one } else { many }))
            .collect();
        shown.extend(
            self.other.iter().filter(|(_, n)| **n > 0).map(|(kind, n)| {
                format!("{n} {kind} {}", if *n == 1 { "result" } else { "results" })
            }),
        );
        write!(f, "{}", shown.join(", "))
    }
}

/// Annotations a source stated that landed on a span already imported or already in the layer
/// (same start, end and tag): left out, counted by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Duplicates {
    /// The same range and tag stated twice in one document (brat's identical `T` lines,
    /// doccano's repeated labels).
    pub identical: usize,
    /// Distinct discontinuous annotations whose fragments join onto the same range.
    pub joined: usize,
    /// Already in the layer merged into (`--merge`).
    pub in_layer: usize,
}

impl Duplicates {
    pub fn total(&self) -> usize {
        self.identical + self.joined + self.in_layer
    }

    fn add(&mut self, other: &Duplicates) {
        self.identical += other.identical;
        self.joined += other.joined;
        self.in_layer += other.in_layer;
    }
}

impl std::fmt::Display for Duplicates {
    /// `2 identical, 1 discontinuous joined onto the same range, 3 already in the layer`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts = [
            (self.identical, "identical to another in the document"),
            (
                self.joined,
                "discontinuous, joined onto the range of another",
            ),
            (self.in_layer, "already in the layer"),
        ];
        let shown: Vec<String> = parts
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, what)| format!("{n} {what}"))
            .collect();
        write!(f, "{}", shown.join(", "))
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Layers written (new or merged).
    pub documents: usize,
    /// Spans added.
    pub spans: usize,
    /// Texts copied into the workspace, by relative path.
    pub texts_copied: Vec<String>,
    /// Documents merged into an existing layer.
    pub merged: usize,
    /// Annotations left out as repeats of a span (same range and tag), in all.
    pub duplicates: usize,
    /// Documents not imported, each with its reason.
    pub skipped_documents: Vec<String>,
    /// Documents refused: a path the workspace would not list as a text, or a text or layer
    /// that could not be written. The CLI exits non-zero when there are any.
    pub refused_documents: Vec<String>,
    /// Spans not imported, each with its file, line and reason.
    pub rejected_spans: Vec<String>,
    /// Per source file, what it held that cannot be imported.
    pub unsupported: Vec<(String, Unsupported)>,
    /// brat: discontinuous annotations joined into one span.
    pub joined_fragments: usize,
    /// Tags added to `annotations/tags.ron`.
    pub tags_added: Vec<String>,
    /// Prodigy records and spans left out for their answer, by answer.
    pub answers_left_out: BTreeMap<String, LeftOut>,
    /// Attribute values imported onto spans.
    pub attribute_values: usize,
    /// Attribute values the tag's schema does not allow, left off their (imported) spans, each
    /// with its file, line and reason.
    pub refused_attributes: Vec<String>,
    /// Attributes added to tags in `annotations/tags.ron`, as `tag.attribute`.
    pub attributes_added: Vec<String>,
    /// Other things the user should know.
    pub warnings: Vec<String>,
    /// The repeats in `duplicates`, per document (its path and where it came from) and kind.
    pub duplicates_by_document: Vec<(String, Duplicates)>,
    /// Label Studio: cancelled annotations and predictions left out, predictions imported.
    pub labelstudio: labelstudio::Counts,
    /// The source held no document at all (an empty file, a folder without `.ann` files, a
    /// jsonl of blank lines): exit 1 in every format.
    pub empty_source: bool,
    /// Relations added to layers.
    pub relations: usize,
    /// Relations not imported, each with where it was stated and why (an end not imported, a
    /// type name Marginalia cannot hold, an end the type does not allow).
    pub rejected_relations: Vec<String>,
    /// Relations left out because the layer merged into has the same one.
    pub relations_in_layer: usize,
    /// Relation types added to `annotations/tags.ron`.
    pub relation_types_added: Vec<String>,
    /// Why the import stopped before the end of the source, after writing what the summary
    /// lists (a read error in the middle of a file): exit 3.
    pub stopped: Option<String>,
    /// `import --as-suggestions`: what was stored as suggestions instead of spans (refused
    /// suggestions are in `rejected_spans`, texts not in the workspace in
    /// `skipped_documents`). `None` for an import into layers.
    pub suggestions: Option<suggestions::Stored>,
}

impl ImportSummary {
    /// No span was imported although the source stated something: every document skipped or
    /// every span rejected. The CLI exits non-zero then.
    pub fn nothing_imported(&self) -> bool {
        self.spans == 0
            && self.suggestions.as_ref().is_none_or(|s| s.total == 0)
            && (!self.skipped_documents.is_empty() || !self.rejected_spans.is_empty())
    }

    /// What the report calls an imported item: a span, or with `--as-suggestions` a
    /// suggestion.
    fn item(&self) -> &'static str {
        if self.suggestions.is_some() {
            "suggestion"
        } else {
            "span"
        }
    }

    /// What the report says of an item not taken: a span is rejected, a suggestion refused.
    fn rejected(&self) -> &'static str {
        if self.suggestions.is_some() {
            "refused"
        } else {
            "rejected"
        }
    }

    /// The CLI's exit status: 0 when everything the source held was imported or left out by a
    /// rule the report names (answers, duplicates, annotations Marginalia cannot hold); 1 when
    /// nothing was imported from a source that held something, or a document was refused; 3
    /// when spans were imported but some spans were rejected or documents skipped.
    pub fn exit_code(&self) -> i32 {
        if self.stopped.is_some() {
            return if self.wrote_anything() { 3 } else { 1 };
        }
        if self.empty_source || self.nothing_imported() || !self.refused_documents.is_empty() {
            1
        } else if !self.rejected_spans.is_empty()
            || !self.skipped_documents.is_empty()
            || !self.refused_attributes.is_empty()
            || !self.rejected_relations.is_empty()
        {
            3
        } else {
            0
        }
    }

    /// Whether any file was written: a layer, a copied text or `tags.ron`.
    pub fn wrote_anything(&self) -> bool {
        self.documents > 0
            || !self.texts_copied.is_empty()
            || !self.tags_added.is_empty()
            || !self.attributes_added.is_empty()
            || !self.relation_types_added.is_empty()
            || self.suggestions.as_ref().is_some_and(|s| s.files > 0)
    }

    /// The one line for standard error when the exit status is not 0.
    pub fn failure(&self, source: &Path) -> Option<String> {
        if let Some(why) = &self.stopped {
            return Some(if self.wrote_anything() {
                format!(
                    "stopped before the end of the source: {why}; what was written before is listed above ({} written, {} copied)",
                    plural(self.documents, "layer"),
                    plural(self.texts_copied.len(), "text")
                )
            } else {
                format!("stopped: {why}; nothing was written")
            });
        }
        if self.empty_source {
            return Some(format!(
                "nothing imported: {} holds no documents",
                source.display()
            ));
        }
        match self.exit_code() {
            0 => None,
            _ if self.nothing_imported() => Some(format!(
                "nothing imported: no {item} from {} (the skipped documents and {rejected} {item}s are listed above)",
                source.display(),
                item = self.item(),
                rejected = self.rejected()
            )),
            1 if self.documents == 0 => Some(format!(
                "nothing imported: {} refused (listed above)",
                plural(self.refused_documents.len(), "document")
            )),
            1 => Some(format!(
                "{} refused (listed above); the others were imported",
                plural(self.refused_documents.len(), "document")
            )),
            _ if self.rejected_spans.is_empty()
                && self.skipped_documents.is_empty()
                && self.refused_attributes.is_empty() =>
            {
                Some(format!(
                    "imported in part: {} refused (listed above)",
                    plural(self.rejected_relations.len(), "relation")
                ))
            }
            _ if self.rejected_spans.is_empty() && self.skipped_documents.is_empty() => {
                Some(format!(
                    "imported in part: {} refused (listed above)",
                    plural(self.refused_attributes.len(), "attribute value")
                ))
            }
            _ => Some(format!(
                "imported in part: {} {} and {} skipped (listed above)",
                plural(self.rejected_spans.len(), self.item()),
                self.rejected(),
                plural(self.skipped_documents.len(), "document")
            )),
        }
    }

    /// The same report as `import --json` prints it.
    pub fn json_report<'a>(&'a self, format: ImportFormat, source: &Path) -> ImportReport<'a> {
        let mut all = Duplicates::default();
        for (_, d) in &self.duplicates_by_document {
            all.add(d);
        }
        let mut cannot = Unsupported::default();
        for (_, u) in &self.unsupported {
            cannot.add(u);
        }
        ImportReport {
            answers_left_out: &self.answers_left_out,
            attribute_values: self.attribute_values,
            attribute_values_refused: &self.refused_attributes,
            attributes_added: &self.attributes_added,
            cannot_hold: CannotHoldReport {
                per_file: (self.unsupported.iter())
                    .map(|(file, u)| FileCounts {
                        counts: u.into(),
                        file,
                    })
                    .collect(),
                total: (&cannot).into(),
            },
            discontinuous_joined: self.joined_fragments,
            documents: self.documents,
            documents_refused: &self.refused_documents,
            documents_skipped: &self.skipped_documents,
            duplicates: DuplicatesReport {
                by_kind: (&all).into(),
                per_document: (self.duplicates_by_document.iter())
                    .map(|(document, d)| DocumentCounts {
                        counts: d.into(),
                        document,
                    })
                    .collect(),
                total: self.duplicates,
            },
            empty_source: self.empty_source,
            error: self.failure(source),
            exit_code: self.exit_code(),
            format: format.name(),
            labelstudio: &self.labelstudio,
            merged_documents: self.merged,
            notes: &self.warnings,
            relation_types_added: &self.relation_types_added,
            relations_imported: self.relations,
            relations_in_layer: self.relations_in_layer,
            relations_rejected: &self.rejected_relations,
            source: source.display().to_string(),
            spans_imported: self.spans,
            spans_rejected: &self.rejected_spans,
            stopped: self.stopped.as_deref(),
            suggestions: self.suggestions.as_ref(),
            tags_added: &self.tags_added,
            texts_copied: &self.texts_copied,
        }
    }

    /// Human-readable lines for the CLI and the app. `limit` caps each list.
    pub fn report(&self, limit: usize) -> Vec<String> {
        let mut lines = Vec::new();
        if let Some(why) = &self.stopped {
            lines.push(format!("stopped before the end of the source: {why}"));
        }
        match &self.suggestions {
            Some(stored) => lines.extend(stored.report()),
            None => lines.push(format!(
                "imported {} into {}{}",
                plural(self.spans, "span"),
                plural(self.documents, "document"),
                if self.merged > 0 {
                    format!(" ({} merged into existing layers)", self.merged)
                } else {
                    String::new()
                }
            )),
        }
        if self.relations > 0 {
            lines.push(format!("imported {}", plural(self.relations, "relation")));
        }
        if self.relations_in_layer > 0 {
            lines.push(format!(
                "left out {} already in the layer",
                plural(self.relations_in_layer, "relation")
            ));
        }
        if self.duplicates > 0 {
            // Within one source document or against an existing layer: never silently.
            let mut all = Duplicates::default();
            for (_, d) in &self.duplicates_by_document {
                all.add(d);
            }
            let per_doc: Vec<String> = self
                .duplicates_by_document
                .iter()
                .map(|(doc, d)| format!("{doc}: {d}"))
                .collect();
            push_list(
                &mut lines,
                limit,
                format!(
                    "left out {} (same range and tag as a span kept): {all}",
                    plural(self.duplicates, "duplicate annotation")
                ),
                &per_doc,
            );
        }
        push_list(
            &mut lines,
            limit,
            format!(
                "copied {} into the workspace:",
                plural(self.texts_copied.len(), "text")
            ),
            &self.texts_copied,
        );
        push_counted(
            &mut lines,
            limit,
            "skipped",
            "document",
            &self.skipped_documents,
        );
        push_counted(
            &mut lines,
            limit,
            "refused",
            "document",
            &self.refused_documents,
        );
        push_counted(
            &mut lines,
            limit,
            self.rejected(),
            self.item(),
            &self.rejected_spans,
        );
        push_counted(
            &mut lines,
            limit,
            "refused",
            "relation",
            &self.rejected_relations,
        );
        lines.extend(self.answers_report());
        lines.extend(self.labelstudio.report());
        let unsupported: Vec<String> = self
            .unsupported
            .iter()
            .map(|(file, u)| format!("{file}: skipped: {u}"))
            .collect();
        push_list(
            &mut lines,
            limit,
            "annotations Marginalia cannot hold (not imported):".into(),
            &unsupported,
        );
        if self.joined_fragments > 0 {
            lines.push(format!(
                "{} joined into one span each (first start to last end)",
                plural(self.joined_fragments, "discontinuous brat annotation")
            ));
        }
        if !self.tags_added.is_empty() {
            lines.push(format!(
                "added {} to annotations/tags.ron with generated colours: {}",
                plural(self.tags_added.len(), "tag"),
                self.tags_added.join(", ")
            ));
        }
        if !self.relation_types_added.is_empty() {
            lines.push(format!(
                "added {} to annotations/tags.ron with generated colours: {}",
                plural(self.relation_types_added.len(), "relation type"),
                self.relation_types_added.join(", ")
            ));
        }
        if self.attribute_values > 0 {
            lines.push(format!(
                "imported {}",
                plural(self.attribute_values, "attribute value")
            ));
        }
        push_list(
            &mut lines,
            limit,
            format!(
                "refused {} the tag's schema does not allow:",
                plural(self.refused_attributes.len(), "attribute value")
            ),
            &self.refused_attributes,
        );
        if !self.attributes_added.is_empty() {
            lines.push(format!(
                "added {} to annotations/tags.ron: {}",
                plural(self.attributes_added.len(), "attribute"),
                self.attributes_added.join(", ")
            ));
        }
        push_list(&mut lines, limit, "note:".into(), &self.warnings);
        lines
    }

    /// `left out 3 records answered reject, 1 answered ignore (7 spans in them; --answers
    /// chooses)` and `left out 2 spans answered reject`.
    fn answers_report(&self) -> Vec<String> {
        let mut lines = Vec::new();
        // Prodigy's order: reject before ignore, then anything else.
        let rank = |a: &str| ["accept", "reject", "ignore"].iter().position(|k| *k == a);
        let mut records: Vec<(&String, &LeftOut)> = self
            .answers_left_out
            .iter()
            .filter(|(_, l)| l.records > 0)
            .collect();
        records.sort_by_key(|(a, _)| rank(a).unwrap_or(usize::MAX));
        if !records.is_empty() {
            let parts: Vec<String> = records
                .iter()
                .enumerate()
                .map(|(i, (answer, l))| {
                    let n = if i == 0 {
                        plural(l.records, "record")
                    } else {
                        l.records.to_string()
                    };
                    format!("{n} answered {answer}")
                })
                .collect();
            let spans: usize = records.iter().map(|(_, l)| l.spans_in_records).sum();
            lines.push(format!(
                "left out {} ({} in them; --answers chooses which answers to import)",
                parts.join(", "),
                plural(spans, "span")
            ));
        }
        let mut by_span: Vec<(&String, &LeftOut)> = self
            .answers_left_out
            .iter()
            .filter(|(_, l)| l.spans > 0)
            .collect();
        by_span.sort_by_key(|(a, _)| rank(a).unwrap_or(usize::MAX));
        let spans: Vec<String> = by_span
            .iter()
            .map(|(answer, l)| format!("{} answered {answer}", plural(l.spans, "span")))
            .collect();
        if !spans.is_empty() {
            lines.push(format!("left out {}", spans.join(", ")));
        }
        lines
    }
}

/// [`ImportSummary`] as `import --json` prints it: one object whose keys come in alphabetical
/// order, so each struct below declares its fields in that order (serde prints them as
/// declared).
#[derive(Debug, serde::Serialize)]
pub struct ImportReport<'a> {
    pub answers_left_out: &'a BTreeMap<String, LeftOut>,
    pub attribute_values: usize,
    pub attribute_values_refused: &'a [String],
    pub attributes_added: &'a [String],
    pub cannot_hold: CannotHoldReport<'a>,
    pub discontinuous_joined: usize,
    pub documents: usize,
    pub documents_refused: &'a [String],
    pub documents_skipped: &'a [String],
    pub duplicates: DuplicatesReport<'a>,
    pub empty_source: bool,
    /// [`ImportSummary::failure`]'s line.
    pub error: Option<String>,
    pub exit_code: i32,
    pub format: &'static str,
    pub labelstudio: &'a labelstudio::Counts,
    pub merged_documents: usize,
    pub notes: &'a [String],
    pub relation_types_added: &'a [String],
    pub relations_imported: usize,
    pub relations_in_layer: usize,
    pub relations_rejected: &'a [String],
    pub source: String,
    pub spans_imported: usize,
    pub spans_rejected: &'a [String],
    pub stopped: Option<&'a str>,
    /// `import --as-suggestions` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestions: Option<&'a suggestions::Stored>,
    pub tags_added: &'a [String],
    pub texts_copied: &'a [String],
}

/// The report's `duplicates`: all of them, by kind and per document.
#[derive(Debug, serde::Serialize)]
pub struct DuplicatesReport<'a> {
    pub by_kind: DuplicateCounts,
    pub per_document: Vec<DocumentCounts<'a>>,
    pub total: usize,
}

/// One document's repeats.
#[derive(Debug, serde::Serialize)]
pub struct DocumentCounts<'a> {
    pub counts: DuplicateCounts,
    pub document: &'a str,
}

/// [`Duplicates`] with their total.
#[derive(Debug, serde::Serialize)]
pub struct DuplicateCounts {
    pub identical: usize,
    pub in_layer: usize,
    pub joined: usize,
    pub total: usize,
}

impl From<&Duplicates> for DuplicateCounts {
    fn from(d: &Duplicates) -> Self {
        DuplicateCounts {
            identical: d.identical,
            in_layer: d.in_layer,
            joined: d.joined,
            total: d.total(),
        }
    }
}

/// The report's `cannot_hold`: what the source held that a span cannot, in all and per file.
#[derive(Debug, serde::Serialize)]
pub struct CannotHoldReport<'a> {
    pub per_file: Vec<FileCounts<'a>>,
    pub total: UnsupportedCounts,
}

/// One source file's [`Unsupported`] counts.
#[derive(Debug, serde::Serialize)]
pub struct FileCounts<'a> {
    pub counts: UnsupportedCounts,
    pub file: &'a str,
}

/// [`Unsupported`] with its total.
#[derive(Debug, serde::Serialize)]
pub struct UnsupportedCounts {
    pub attributes: usize,
    pub equivalences: usize,
    pub events: usize,
    pub normalizations: usize,
    pub notes_on_others: usize,
    pub other: BTreeMap<String, usize>,
    pub relations: usize,
    pub total: usize,
    pub unknown_lines: usize,
}

impl From<&Unsupported> for UnsupportedCounts {
    fn from(u: &Unsupported) -> Self {
        UnsupportedCounts {
            attributes: u.attributes,
            equivalences: u.equivalences,
            events: u.events,
            normalizations: u.normalizations,
            notes_on_others: u.notes_on_others,
            other: u.other.clone(),
            relations: u.relations,
            total: u.total(),
            unknown_lines: u.unknown_lines,
        }
    }
}

/// Why an import stopped.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    #[error("{0}")]
    BadRequest(String),
    /// `{path}: cannot read: {reason}`.
    #[error(transparent)]
    Read(FileProblem),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The source looks like another format than the one asked for.
    #[error("{0}")]
    WrongFormat(String),
    #[error("import cancelled after {}; those stay imported", plural(*.done, "document"))]
    Cancelled { done: usize },
}

impl ImportError {
    /// [`ImportError::Read`] for `path`.
    pub fn read(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Read(FileProblem::unreadable(path, reason))
    }
}

/// One span as a source states it, before checking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingSpan {
    pub start: usize,
    pub end: usize,
    pub tag: String,
    pub note: String,
    pub attrs: BTreeMap<String, String>,
    /// The text the source says the span covers, checked against the text at the offsets.
    pub stated: Option<String>,
    /// An id to keep in a new layer (brat's `T` number), if free.
    pub id: Option<u64>,
    /// A discontinuous annotation's fragments, before they were joined into `start..end`
    /// (empty for a contiguous one): two annotations with the same range but different
    /// fragments were distinct in the source.
    pub fragments: Vec<CharRange>,
    /// Where it was stated, for messages: `file:line`.
    pub origin: String,
    /// The model's confidence as the source states it (Label Studio's and jsonl's `score`),
    /// unchecked: only `import --as-suggestions` reads it, and refuses one that is not a
    /// number in [0, 1].
    pub score: Option<serde_json::Value>,
}

impl IncomingSpan {
    /// A span with no note, attributes, stated text, id, fragments or score.
    pub fn new(start: usize, end: usize, tag: &str, origin: String) -> Self {
        IncomingSpan {
            start,
            end,
            tag: tag.to_owned(),
            note: String::new(),
            attrs: BTreeMap::new(),
            stated: None,
            id: None,
            fragments: Vec::new(),
            origin,
            score: None,
        }
    }
}

/// One document as a source states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    /// The text's path relative to the workspace root.
    pub rel: String,
    /// The text, when the source carries it.
    pub text: Option<String>,
    pub status: Option<Status>,
    pub spans: Vec<IncomingSpan>,
    /// Where it came from, for messages.
    pub origin: String,
    /// Whose layer it goes into; `None` is the request's annotator.
    pub annotator: Option<String>,
    /// What the source record holds beyond text and spans, kept on a new layer for the way
    /// back (Prodigy's hashes, answer and meta; doccano's id).
    pub record: Option<SourceRecord>,
    /// Links between the spans above.
    pub relations: Vec<IncomingRelation>,
}

/// One relation as a source states it, before checking: its ends are indices into its
/// document's [`Incoming::spans`], so an end whose span is rejected or left out is known, and
/// the relation is refused rather than attached to another span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingRelation {
    /// The relation type's name (`said-by`, brat's `Equiv`).
    pub kind: String,
    pub from: usize,
    pub to: usize,
    /// The source says the type is symmetric (brat's `*` equivalences, Label Studio's `bi`):
    /// a type added to `tags.ron` for it is.
    pub symmetric: bool,
    pub note: String,
    pub attrs: BTreeMap<String, String>,
    /// An id to keep in a new layer (brat's `R` number), if free.
    pub id: Option<u64>,
    /// Where it was stated, for messages: `file:line`.
    pub origin: String,
    /// The `to` end in another document (Marginalia's jsonl): that text's span, by id, range
    /// and quote; `to` is then not read.
    pub to_elsewhere: Option<crate::model::relation::End>,
    /// The tags the type's `from` and `to` ends may have, as the source's schema declares
    /// them (brat's `annotation.conf`; empty: any tag): a type added to `tags.ron` for this
    /// relation gets them when they are all tags of the tag set by then.
    pub declared_ends: Option<(Vec<String>, Vec<String>)>,
}

impl IncomingRelation {
    /// A relation of type `kind` from span `from` to span `to` (indices), with no note,
    /// attributes or id.
    pub fn new(kind: &str, from: usize, to: usize, origin: String) -> Self {
        Self {
            kind: kind.to_owned(),
            from,
            to,
            symmetric: false,
            note: String::new(),
            attrs: BTreeMap::new(),
            id: None,
            origin,
            to_elsewhere: None,
            declared_ends: None,
        }
    }
}

/// Progress callbacks get (work done, work in all) and return whether to go on; the work is
/// counted in the format's [`ImportFormat::progress_unit`].
pub type Progress<'a> = &'a dyn Fn(usize, usize) -> bool;

/// What an import's progress counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressUnit {
    /// Bytes of the source read.
    Bytes,
    /// Items of the source, by their name ("tasks").
    Items(&'static str),
}

/// Runs an import.
///
/// # Errors
/// A bad annotator name or source, an unreadable source file, a failed write (naming the file),
/// or [`ImportError::Cancelled`] (what was imported before stays).
pub fn run(req: &ImportRequest, progress: Progress<'_>) -> Result<ImportSummary, ImportError> {
    let Some(Opened { ws, into, folder }) = open_request(req)? else {
        return Ok(ImportSummary {
            empty_source: true,
            ..ImportSummary::default()
        });
    };
    let declared = match req.format {
        ImportFormat::Brat => brat::conf_attributes(&req.source),
        _ => BTreeMap::new(),
    };
    let mut importer = Importer {
        tags: ws.tags().clone(),
        declared,
        inside: store::InsideCheck::new(ws.root()),
        clear_layer_dirs: Default::default(),
        ws,
        req,
        summary: ImportSummary::default(),
        batch: store::AtomicBatch::new(),
        pending: Vec::new(),
        handed: 0,
        into,
        moved_under: 0,
    };
    let mut sink = |doc: Incoming, summary_extra: Option<(String, Unsupported)>| {
        if let Some((file, u)) = summary_extra
            && u.total() > 0
        {
            importer.summary.unsupported.push((file, u));
        }
        importer.handed += 1;
        importer.apply(doc)
    };
    let mut stats = SourceStats::default();
    let read = read_with(
        req,
        &folder,
        Reading::Annotations,
        Intake(&mut sink, &mut stats, progress),
    );
    // What was accepted before a cancel or an error is written all the same.
    importer.commit();
    let handed = importer.handed;
    if importer.moved_under > 0
        && let Some(first) = importer.ws.config().texts.first()
    {
        importer.summary.warnings.push(format!(
            "{} outside the text folders of workspace.ron put under {first}/ (--into chooses the folder)",
            plural(importer.moved_under, "document")
        ));
    }
    finish(importer.summary, read, stats, handed)
}

/// A request's workspace and folders, checked before its source is read.
pub(crate) struct Opened {
    pub ws: Workspace,
    /// The checked destination folder (`--into`), without a trailing `/`.
    pub into: Option<String>,
    /// Where texts the source gives no path for go ([`default_folder`]).
    pub folder: String,
}

/// The checks every import makes before reading its source (annotator name, source, format,
/// `--into`, UTF-8), and the workspace opened; `None` when the source is blank (it holds no
/// document in any format).
pub(crate) fn open_request(req: &ImportRequest) -> Result<Option<Opened>, ImportError> {
    check_annotator(&req.annotator).map_err(ImportError::BadRequest)?;
    if !req.source.exists() {
        return Err(ImportError::read(
            req.source.display().to_string(),
            "no such file or folder",
        ));
    }
    if let Some(problem) = sniff::mismatch(&req.source, req.format.name(), &ImportFormat::names()) {
        return Err(ImportError::WrongFormat(problem));
    }
    let ws = Workspace::open(&req.workspace)?;
    let into = match &req.into {
        Some(f) => Some(check_into(&ws, f)?),
        None => None,
    };
    // An empty file holds no document in any format; said the same way for each. (An empty
    // brat .ann is a document without annotations: its text is the document.)
    if req.format != ImportFormat::Brat && is_blank_file(&req.source) {
        return Ok(None);
    }
    // A line-by-line reader would stop at a byte that is not UTF-8 after writing the documents
    // before it: such a file is refused before anything is written.
    if matches!(
        req.format,
        ImportFormat::Jsonl | ImportFormat::Doccano | ImportFormat::Conll(_)
    ) {
        check_utf8(&req.source)?;
    }
    ws.clean_stray_temps();
    let folder = default_folder(&ws, &req.source, into.as_deref());
    Ok(Some(Opened { ws, into, folder }))
}

/// What a reader takes from a source that holds both people's annotations and a model's
/// predictions (Label Studio).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reading {
    /// The annotations; predictions only where a task has no annotations.
    Annotations,
    /// The predictions only (model output, for `--as-suggestions`); annotations are counted
    /// and left out.
    Predictions,
}

/// Reads `req`'s source with its format's reader, handing each document to `to`.
pub(crate) fn read_with(
    req: &ImportRequest,
    folder: &str,
    reading: Reading,
    to: Intake<'_>,
) -> Result<(), ImportError> {
    match req.format {
        ImportFormat::Brat => brat::read(&req.source, to),
        ImportFormat::Jsonl | ImportFormat::Doccano => {
            let how = jsonl::Read {
                folder,
                answers: req.answers,
            };
            jsonl::read(&req.source, &how, to)
        }
        ImportFormat::Csv => csv::read(&req.source, to),
        ImportFormat::W3c => w3c::read(&req.source, to),
        ImportFormat::Conll(opts) => conll::read(&req.source, opts, folder, to),
        ImportFormat::LabelStudio => {
            let how = labelstudio::Read {
                folder,
                annotator: &req.annotator,
                predictions_only: reading == Reading::Predictions,
            };
            labelstudio::read(&req.source, &how, to)
        }
    }
}

/// The summary of a run whose reader ended with `read`, after `handed` documents: what the
/// reader found (`stats`) joins what was written. A run stopped half-way keeps its summary
/// ([`ImportSummary::stopped`]) when it wrote anything; a cancel is the error.
pub(crate) fn finish(
    mut summary: ImportSummary,
    read: Result<(), ImportError>,
    stats: SourceStats,
    handed: usize,
) -> Result<ImportSummary, ImportError> {
    match read {
        Ok(()) => {}
        Err(e @ ImportError::Cancelled { .. }) => return Err(e),
        // Stopped half-way: the summary says exactly what was written (exit 3); when nothing
        // was, the error alone says it.
        Err(e) if summary.wrote_anything() => summary.stopped = Some(e.to_string()),
        Err(e) => return Err(e),
    }
    summary.rejected_spans.extend(stats.rejected);
    summary.rejected_relations.extend(stats.rejected_relations);
    summary.skipped_documents.extend(stats.skipped);
    summary.joined_fragments += stats.joined_fragments;
    summary
        .unsupported
        .extend(stats.unsupported.into_iter().filter(|(_, u)| u.total() > 0));
    summary.answers_left_out = stats.answers_left_out;
    summary.warnings.extend(stats.notes);
    summary.labelstudio = stats.labelstudio;
    summary.warnings.extend(stats.warnings);
    summary.empty_source = summary.stopped.is_none()
        && handed == 0
        && summary.skipped_documents.is_empty()
        && summary.rejected_spans.is_empty()
        && summary.rejected_relations.is_empty()
        && summary.answers_left_out.is_empty()
        && summary.unsupported.is_empty()
        && summary.labelstudio == labelstudio::Counts::default();
    Ok(summary)
}

/// Whether `source` is a regular file holding nothing but white space (read only when small).
fn is_blank_file(source: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(source) else {
        return false;
    };
    if !meta.is_file() || meta.len() > 4096 {
        return false;
    }
    store::read_regular(source, 4096).is_ok_and(|b| {
        b.strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(&b)
            .iter()
            .all(u8::is_ascii_whitespace)
    })
}

/// Refuses a source file with a byte sequence that is not UTF-8, naming its line, before
/// anything is written. Reads the file once in bounded chunks.
fn check_utf8(source: &Path) -> Result<(), ImportError> {
    use std::io::Read as _;
    let shown = || source.display().to_string();
    let mut file =
        store::open_regular(source).map_err(|e| ImportError::read(shown(), e.reason()))?;
    let mut buf = vec![0u8; 1 << 20];
    // Bytes of a character cut at the end of the previous chunk.
    let mut carry = 0usize;
    let mut line = 1usize;
    loop {
        let n = file
            .read(&mut buf[carry..])
            .map_err(|e| ImportError::read(shown(), e.to_string()))?;
        let filled = carry + n;
        if n == 0 {
            if carry > 0 {
                return Err(not_utf8(source, line));
            }
            return Ok(());
        }
        match std::str::from_utf8(&buf[..filled]) {
            Ok(_) => {
                line += bytecount_newlines(&buf[..filled]);
                carry = 0;
            }
            Err(e) if e.error_len().is_none() => {
                let good = e.valid_up_to();
                line += bytecount_newlines(&buf[..good]);
                buf.copy_within(good..filled, 0);
                carry = filled - good;
            }
            Err(e) => {
                line += bytecount_newlines(&buf[..e.valid_up_to()]);
                return Err(not_utf8(source, line));
            }
        }
    }
}

fn bytecount_newlines(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

fn not_utf8(source: &Path, line: usize) -> ImportError {
    ImportError::read(
        source.display().to_string(),
        format!("line {line} is not UTF-8; nothing was imported"),
    )
}

/// A destination folder as `--into` gives it, normalised (`texts/` → `texts`), or why it
/// cannot hold texts: the workspace must list a text inside it.
fn check_into(ws: &Workspace, folder: &str) -> Result<String, ImportError> {
    let trimmed = folder.trim().trim_end_matches(['/', '\\']);
    let norm = if trimmed.is_empty() || trimmed == "." {
        String::new()
    } else {
        ws.check_text_rel(&format!("{trimmed}/x.txt"))
            .map(|n| n.trim_end_matches("/x.txt").to_owned())
            .map_err(|why| {
                ImportError::BadRequest(format!(
                    "--into {folder}: the workspace would not list texts there: {why}{}",
                    text_folders_hint(ws)
                ))
            })?
    };
    if norm.is_empty() && ws.check_text_rel("x.txt").is_err() {
        return Err(ImportError::BadRequest(format!(
            "--into {folder}: the workspace root holds no texts{}",
            text_folders_hint(ws)
        )));
    }
    Ok(norm)
}

/// `; its text folders (workspace.ron): texts, more` or nothing.
fn text_folders_hint(ws: &Workspace) -> String {
    match ws.config().texts.as_slice() {
        [] => String::new(),
        list => format!("; its text folders (workspace.ron): {}", list.join(", ")),
    }
}

/// File name endings that say a file's format, dropped from the folder name; any other ending is
/// kept, so that the splits `eng.train`, `eng.testa` and `eng.testb` get folders of their own.
const FORMAT_EXTENSIONS: [&str; 17] = [
    "txt", "text", "json", "jsonl", "ndjson", "conll", "conllu", "conllx", "iob", "iob1", "iob2",
    "bio", "bioes", "bilou", "tsv", "csv", "col",
];

/// A source file's name without an ending that names its format (`team.jsonl` → `team`,
/// `eng.train` stays `eng.train`).
pub fn source_stem(source: &Path) -> String {
    let name = source
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    match name.rsplit_once('.') {
        Some((stem, ext))
            if !stem.is_empty()
                && FORMAT_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()) =>
        {
            stem.to_owned()
        }
        _ => name,
    }
}

/// The folder for texts a source gives no path for: `<source file name>` without a format
/// ending ([`source_stem`]), inside `into` if given, else inside the first text folder
/// `workspace.ron` lists if any. When that is not a folder the workspace lists (a stem
/// such as `annotations`, `target` or `.hidden`, or too long), `imported-<stem>`, else
/// `imported`.
pub fn default_folder(ws: &Workspace, source: &Path, into: Option<&str>) -> String {
    let stem = source_stem(source);
    let base = into
        .or(ws.config().texts.first().map(String::as_str))
        .map(|f| format!("{}/", f.trim_end_matches('/')))
        .filter(|f| f != "/")
        .unwrap_or_default();
    let candidates = [stem.clone(), format!("imported-{stem}")];
    for cand in candidates {
        if cand.is_empty() || cand.contains(['/', '\\']) {
            continue;
        }
        let folder = format!("{base}{cand}");
        if ws.check_text_rel(&format!("{folder}/000001.txt")).is_ok() {
            return folder;
        }
    }
    format!("{base}imported")
}

/// What a source reader found while parsing, besides documents.
#[derive(Debug, Default)]
pub struct SourceStats {
    /// Spans refused while parsing (bad offsets, text mismatch), with file and line.
    pub rejected: Vec<String>,
    /// Relations refused while parsing (an end that names no span of the document), with file
    /// and line.
    pub rejected_relations: Vec<String>,
    /// Source documents that could not be read at all.
    pub skipped: Vec<String>,
    pub joined_fragments: usize,
    /// Per source file, what it held that cannot be imported, for readers that do not hand it
    /// on with a document.
    pub unsupported: Vec<(String, Unsupported)>,
    /// Prodigy records and spans left out for their answer, by answer.
    pub answers_left_out: BTreeMap<String, LeftOut>,
    /// Documents handed on so far (for the cancel message).
    pub done: usize,
    /// What the user should know about how the source was read (a note line each).
    pub notes: Vec<String>,
    /// Label Studio: cancelled annotations and predictions left out, predictions imported.
    pub labelstudio: labelstudio::Counts,
    /// doccano records (file and line) with a character beyond U+FFFF before a span's end,
    /// whose offsets doccano's own screen may have counted differently; `true` when their spans
    /// cut words as code points but not as UTF-16 units.
    pub wide_doccano: Vec<(String, bool)>,
    /// Notes for the summary.
    pub warnings: Vec<String>,
}

/// Where a reader hands each parsed document, with the file's unsupported counts if any.
pub type DocSink<'a> =
    dyn FnMut(Incoming, Option<(String, Unsupported)>) -> Result<(), ImportError> + 'a;

/// What a source reader is given besides its source: where each document goes (the sink),
/// where its findings are counted, and whom to tell how far it got (`false` back: stop).
pub(crate) struct Intake<'a>(
    pub &'a mut DocSink<'a>,
    pub &'a mut SourceStats,
    pub Progress<'a>,
);

struct Importer<'r> {
    ws: Workspace,
    tags: TagSet,
    /// Attributes the source declares per tag (brat's `annotation.conf`), added to a tag's
    /// schema when spans of the tag are imported.
    declared: BTreeMap<String, Vec<crate::model::tags::Attribute>>,
    req: &'r ImportRequest,
    summary: ImportSummary,
    /// Texts and layers waiting to be written together.
    batch: store::AtomicBatch,
    /// Where a text or layer may be written: each folder checked once.
    inside: store::InsideCheck,
    /// Layer folders found to hold no symbolic link on their way from `annotations/`.
    clear_layer_dirs: HashSet<PathBuf>,
    /// What became of each document since the last commit, in source order.
    pending: Vec<Outcome>,
    /// Documents the reader handed on.
    handed: usize,
    /// The checked destination folder (`--into`), without a trailing `/`.
    into: Option<String>,
    /// Documents put under the first text folder because their path was outside
    /// `workspace.ron`'s text folders (no `--into` given).
    moved_under: usize,
}

/// A document's outcome, reported when its batch is committed.
enum Outcome {
    Skipped(String),
    Refused(String),
    /// Its text is batch entry `entry`.
    TextCopied {
        label: String,
        rel: String,
        entry: usize,
    },
    /// Its layer is batch entry `entry`, written only if its text (`text`, when copied) was.
    Layer {
        label: String,
        text: Option<usize>,
        entry: usize,
        spans: usize,
        relations: usize,
        merging: bool,
    },
}

fn label(doc: &Incoming) -> String {
    format!("{} ({})", doc.rel, doc.origin)
}

impl Importer<'_> {
    /// [`Workspace::symlink_on_layer_path`], with each existing folder looked at once per
    /// import rather than once per document.
    fn link_on_layer_path(&mut self, layer_path: &Path) -> Option<PathBuf> {
        let dir = layer_path.parent()?;
        if self.clear_layer_dirs.contains(dir) {
            let is_link = std::fs::symlink_metadata(layer_path).is_ok_and(|m| m.is_symlink());
            return is_link.then(|| layer_path.to_path_buf());
        }
        let link = self.ws.symlink_on_layer_path(layer_path);
        // A folder still to be created is looked at again once it exists.
        if link.is_none() && std::fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir()) {
            self.clear_layer_dirs.insert(dir.to_path_buf());
        }
        link
    }

    fn skip(&mut self, doc: &Incoming, why: &str) {
        self.pending
            .push(Outcome::Skipped(format!("{}: {why}", label(doc))));
    }

    fn refuse(&mut self, doc: &Incoming, why: &str) {
        self.pending
            .push(Outcome::Refused(format!("{}: {why}", label(doc))));
    }

    /// Writes the batch and reports each document since the last commit, in order.
    fn commit(&mut self) {
        let results = self.batch.commit();
        let failed = |i: usize| results.get(i).and_then(|r| r.as_ref().err());
        let s = &mut self.summary;
        for outcome in std::mem::take(&mut self.pending) {
            match outcome {
                Outcome::Skipped(m) => s.skipped_documents.push(m),
                Outcome::Refused(m) => s.refused_documents.push(m),
                Outcome::TextCopied { label, rel, entry } => match failed(entry) {
                    Some(e) => s.refused_documents.push(format!("{label}: {e}")),
                    None => s.texts_copied.push(rel),
                },
                Outcome::Layer {
                    label,
                    text,
                    entry,
                    spans,
                    relations,
                    merging,
                } => {
                    if text.is_some_and(|t| failed(t).is_some()) {
                        // Refused already, for its text.
                        continue;
                    }
                    if let Some(e) = failed(entry) {
                        s.refused_documents.push(format!("{label}: {e}"));
                        continue;
                    }
                    s.documents += 1;
                    s.spans += spans;
                    s.relations += relations;
                    if merging {
                        s.merged += 1;
                    }
                }
            }
        }
    }

    fn apply(&mut self, mut doc: Incoming) -> Result<(), ImportError> {
        let annotator = doc
            .annotator
            .clone()
            .unwrap_or_else(|| self.req.annotator.clone());
        if let Err(why) = check_annotator(&annotator) {
            self.refuse(&doc, &why);
            return Ok(());
        }
        // The destination folder: a path the source gives goes under it, unless inside it.
        if let Some(into) = self.into.as_deref().filter(|f| !f.is_empty()) {
            let inside = doc
                .rel
                .strip_prefix(into)
                .is_some_and(|rest| rest.starts_with('/'));
            if !inside {
                doc.rel = format!("{into}/{}", doc.rel.trim_start_matches('/'));
            }
        } else if self.into.is_none()
            && self.req.format == ImportFormat::Brat
            && self
                .ws
                .check_text_rel(&doc.rel)
                .is_err_and(|why| why.contains("outside the text folders"))
            && let Some(first) = self.ws.config().texts.first()
        {
            // brat's paths are relative to the brat folder, not to the workspace: one outside
            // workspace.ron's text folders goes under the first of them, if that is a place the
            // workspace lists.
            let under = format!(
                "{}/{}",
                first.trim_end_matches('/'),
                doc.rel.trim_start_matches('/')
            );
            if self.ws.check_text_rel(&under).is_ok() {
                doc.rel = under;
                self.moved_under += 1;
            }
        }
        // Only a path the workspace lists as a text: anything else would be invisible, or
        // land among the annotations.
        match self.ws.check_text_rel(&doc.rel) {
            Ok(norm) => doc.rel = norm,
            Err(why) => {
                let fix = match self.ws.config().texts.first() {
                    Some(first) if why.contains("outside the text folders") => format!(
                        "; --into FOLDER puts the texts into one of them (e.g. --into {first})"
                    ),
                    _ => String::new(),
                };
                self.refuse(&doc, &format!("refused path: {why}{fix}"));
                return Ok(());
            }
        }
        let (Some(text_path), Some(layer_path)) = (
            self.ws.text_path(&doc.rel),
            self.ws.layer_path(&annotator, &doc.rel),
        ) else {
            self.refuse(
                &doc,
                "refused path: not a relative path inside the workspace",
            );
            return Ok(());
        };
        // A later document for the same text or layer must see the earlier one on disk.
        if self.batch.contains(&text_path) || self.batch.contains(&layer_path) {
            self.commit();
        }
        let layer_len = layer_path.as_os_str().len();
        if layer_len > MAX_PATH_BYTES {
            self.refuse(
                &doc,
                &format!(
                    "refused path: its annotation file's path would be {layer_len} bytes, over the {MAX_PATH_BYTES}-byte limit of the file system"
                ),
            );
            return Ok(());
        }
        if let Some(link) = self.link_on_layer_path(&layer_path) {
            self.refuse(
                &doc,
                &format!("{}: {}", link.display(), crate::workspace::SYMLINK_REASON),
            );
            return Ok(());
        }
        if let Err(e) = self.inside.check(&layer_path) {
            self.refuse(&doc, &e.to_string());
            return Ok(());
        }
        // The existing layer, if any: never overwritten, and only merged into when asked.
        let (existing, seen) = match crate::model::layer::load_layer(&layer_path) {
            Ok(Some((l, fp))) => (Some(l), Some(fp)),
            Ok(None) => (None, None),
            Err(e) => {
                self.skip(
                    &doc,
                    &format!("its layer cannot be read, so it is left alone: {e}"),
                );
                return Ok(());
            }
        };
        if existing.is_some() && !self.req.merge {
            self.skip(
                &doc,
                &format!(
                    "{annotator} already has a layer for it ({}); use --merge to add to it",
                    layer_path.display()
                ),
            );
            return Ok(());
        }
        // The text: the workspace's copy must be the one the offsets refer to.
        let mut copy: Option<String> = None;
        let text = if text_path.exists() {
            let text = match Text::load(&text_path) {
                Ok(t) => t,
                Err(e) => {
                    self.skip(&doc, &e.to_string());
                    return Ok(());
                }
            };
            if let Some(carried) = &doc.text
                && carried != text.as_str()
            {
                self.skip(
                    &doc,
                    &format!(
                        "the workspace already has a different {}; offsets would not fit",
                        doc.rel
                    ),
                );
                return Ok(());
            }
            text
        } else {
            let Some(carried) = &doc.text else {
                self.skip(
                    &doc,
                    "the text is not in the workspace and this format does not carry it",
                );
                return Ok(());
            };
            if let Err(e) = self.inside.check(&text_path) {
                self.refuse(&doc, &e.to_string());
                return Ok(());
            }
            // Not copied when the app would not open it.
            let limit = crate::model::text::max_text_bytes();
            if carried.len() as u64 > limit {
                let e = crate::model::text::TextError::TooLarge {
                    path: text_path.display().to_string(),
                    size: carried.len() as u64,
                    limit,
                };
                self.skip(&doc, &e.to_string());
                return Ok(());
            }
            // The text as it will read back from the file.
            let Ok(text) = Text::from_bytes(carried.as_bytes()) else {
                self.skip(&doc, "the text is not valid UTF-8");
                return Ok(());
            };
            // Added to the batch once tags.ron is written, so a failed write leaves no text
            // without its layer.
            copy = doc.text.take();
            text
        };
        if let Some(layer) = &existing
            && layer.text_sha256 != text.sha256()
        {
            self.skip(
                &doc,
                "its layer is stale (the text changed since); run `marginalia reanchor` first",
            );
            return Ok(());
        }
        // Check every span against the text.
        let now = now_rfc3339();
        let mut accepted = Vec::with_capacity(doc.spans.len());
        // Per span of the document: its index in `accepted`, or `None` when rejected.
        let mut accepted_at: Vec<Option<usize>> = vec![None; doc.spans.len()];
        for (i, s) in doc.spans.iter().enumerate() {
            if let Some(p) = span_problem(s, &text) {
                self.summary
                    .rejected_spans
                    .push(format!("{}: {p}", s.origin));
                continue;
            }
            accepted_at[i] = Some(accepted.len());
            accepted.push(s);
        }
        // Relations whose ends were both accepted and whose type name can be written; the
        // others are refused, never attached to another span.
        let mut linked: Vec<&IncomingRelation> = Vec::with_capacity(doc.relations.len());
        for r in &doc.relations {
            let end_problem = |which: &str, i: usize| match doc.spans.get(i) {
                None => Some(format!("its {which} end is not a span of the document")),
                Some(s) if accepted_at[i].is_none() => Some(format!(
                    "its {which} end, the span at {}, was rejected (listed above)",
                    s.origin
                )),
                Some(_) => None,
            };
            let crossing = r.to_elsewhere.is_some();
            let problem = if crossing && (self.req.merge || self.into.is_some()) {
                Some("its to end is in another document, whose span ids and path an import with --merge or --into may change; import without them to keep it".to_owned())
            } else if r.kind.trim().is_empty()
                || r.kind.chars().any(|c| c.is_control() || c.is_whitespace())
            {
                Some(format!(
                    "relation type {:?} is empty or has spaces or control characters",
                    r.kind
                ))
            } else {
                end_problem("from", r.from)
                    .or_else(|| (!crossing).then(|| end_problem("to", r.to)).flatten())
            };
            match problem {
                Some(p) => self
                    .summary
                    .rejected_relations
                    .push(format!("{}: {} relation: {p}", r.origin, r.kind)),
                None => linked.push(r),
            }
        }
        // New tags go into tags.ron before any layer uses them, and so do attributes: those
        // the source declares, and any other key a span brings (as text).
        let mut added = false;
        for s in &accepted {
            if self.tags.add_generated(&s.tag) {
                self.summary.tags_added.push(s.tag.clone());
                added = true;
            }
            let declared = self.declared.get(&s.tag).cloned().unwrap_or_default();
            let Some(tag) = self.tags.tags.iter_mut().find(|t| t.name == s.tag) else {
                continue;
            };
            let brought = s
                .attrs
                .keys()
                .filter(|k| {
                    !crate::model::tags::is_reserved(k) && !declared.iter().any(|a| &a.name == *k)
                })
                .map(|k| crate::model::tags::Attribute::text(k, "Imported attribute."));
            let wanted: Vec<crate::model::tags::Attribute> =
                declared.iter().cloned().chain(brought).collect();
            for attr in wanted {
                if tag.attribute(&attr.name).is_some() {
                    continue;
                }
                let name = attr.name.clone();
                tag.attributes.push(attr);
                self.summary
                    .attributes_added
                    .push(format!("{}.{name}", s.tag));
                added = true;
            }
        }
        for r in &linked {
            let new_type = self.tags.add_generated_relation(&r.kind, r.symmetric);
            if new_type {
                self.summary.relation_types_added.push(r.kind.clone());
                added = true;
            }
            // A tag the schema names that is not a tag yet would make tags.ron invalid: the
            // type then allows any tag rather than fewer than the source does.
            let declared = r.declared_ends.as_ref().filter(|(from, to)| {
                new_type && from.iter().chain(to).all(|t| self.tags.contains(t))
            });
            let Some(kind) = self.tags.relations.iter_mut().find(|k| k.name == r.kind) else {
                continue;
            };
            if let Some((from, to)) = declared {
                kind.from.clone_from(from);
                kind.to.clone_from(to);
            }
            for k in r.attrs.keys() {
                if crate::model::tags::is_reserved(k)
                    || kind.attributes.iter().any(|a| &a.name == k)
                {
                    continue;
                }
                kind.attributes.push(crate::model::tags::Attribute::text(
                    k,
                    "Imported attribute.",
                ));
                self.summary
                    .attributes_added
                    .push(format!("{}.{k}", r.kind));
                added = true;
            }
        }
        if added && let Err(problem) = self.tags.check() {
            // A source's schema that does not fit is left out rather than written broken.
            self.summary.warnings.push(format!(
                "attributes not added to annotations/tags.ron: {problem}"
            ));
            self.tags = self.ws.tags().clone();
            for s in &accepted {
                self.tags.add_generated(&s.tag);
            }
            for r in &linked {
                self.tags.add_generated_relation(&r.kind, r.symmetric);
            }
        }
        if added {
            let path = self.ws.tags_path();
            store::write_file(&path, self.tags.to_ron().as_bytes())?;
            self.ws.set_tags(self.tags.clone());
        }
        let text_entry = copy.map(|carried| {
            let entry = self.batch.add(text_path.clone(), carried.as_bytes());
            self.pending.push(Outcome::TextCopied {
                label: label(&doc),
                rel: doc.rel.clone(),
                entry,
            });
            entry
        });
        // Values the tag's schema does not allow (a choice not listed, brat's flag form on a
        // choice) are refused one by one, so that no layer written fails `validate`; the span
        // keeps its other values.
        let mut values: Vec<BTreeMap<String, String>> = Vec::with_capacity(accepted.len());
        for s in &accepted {
            let mut attrs = s.attrs.clone();
            if let Some(tag) = self.tags.get(&s.tag) {
                for issue in tag.attr_issues(&s.attrs) {
                    if let crate::model::tags::AttrIssue::BadValue { name, .. } = &issue {
                        attrs.remove(name);
                        self.summary.refused_attributes.push(format!(
                            "the span at {}: {issue} (it is imported without that value)",
                            s.origin
                        ));
                    }
                }
            }
            self.summary.attribute_values += attrs.len();
            values.push(attrs);
        }
        let merging = existing.is_some();
        let mut layer = existing.unwrap_or_else(|| {
            let mut l = Layer::new(&doc.rel, &text, &annotator);
            l.status = doc.status.unwrap_or(Status::InProgress);
            l
        });
        // A merge keeps the layer's own import record; a layer without one takes the source's.
        if layer.source.is_none() {
            layer.source = doc.record.take();
        }
        // Each (start, end, tag) once: what the layer has, then what this document brings. A
        // repeat is left out and counted by kind; its note and attributes join the span kept
        // from this document, so nothing it said is lost.
        let mut present: HashMap<(usize, usize, String), Place> = layer
            .spans
            .iter()
            .map(|s| ((s.start, s.end, s.tag.clone()), Place::Layer(s.id)))
            .collect();
        // Where each accepted span went: a span of its own, or the one it repeats.
        let mut places: Vec<Place> = Vec::with_capacity(accepted.len());
        let mut fresh: Vec<(crate::model::layer::Span, Option<u64>, &IncomingSpan)> = Vec::new();
        let mut dups = Duplicates::default();
        for (s, attrs) in accepted.into_iter().zip(values) {
            match present.get(&(s.start, s.end, s.tag.clone())) {
                Some(&Place::Layer(id)) => {
                    places.push(Place::Layer(id));
                    dups.in_layer += 1;
                    continue;
                }
                Some(&Place::Fresh(i)) => {
                    places.push(Place::Fresh(i));
                    let (kept, _, first) = &mut fresh[i];
                    if first.fragments == s.fragments {
                        dups.identical += 1;
                    } else {
                        dups.joined += 1;
                    }
                    if !s.note.is_empty() && !kept.note.split('\n').any(|n| n == s.note) {
                        if !kept.note.is_empty() {
                            kept.note.push('\n');
                        }
                        kept.note.push_str(&s.note);
                    }
                    for (k, v) in attrs {
                        kept.attrs.entry(k).or_insert(v);
                    }
                    continue;
                }
                None => {}
            }
            present.insert((s.start, s.end, s.tag.clone()), Place::Fresh(fresh.len()));
            places.push(Place::Fresh(fresh.len()));
            let mut span = make_span(&text, 0, s.start, s.end, &s.tag, &now);
            span.note = s.note.clone();
            span.attrs = attrs;
            fresh.push((span, s.id, s));
        }
        if dups.total() > 0 {
            self.summary.duplicates += dups.total();
            self.summary
                .duplicates_by_document
                .push((label(&doc), dups));
        }
        let added_spans = fresh.len();
        let mut used_ids: HashSet<u64> = layer.spans.iter().map(|s| s.id).collect();
        let mut without_id = Vec::new();
        let mut fresh_ids = vec![0u64; fresh.len()];
        for (j, (mut span, id, _)) in fresh.into_iter().enumerate() {
            // Keep the source's id in a new layer when it is free, so brat's T3 stays span 3.
            match id {
                Some(id) if !merging && id > 0 && used_ids.insert(id) => {
                    span.id = id;
                    fresh_ids[j] = id;
                    layer.spans.push(span);
                }
                _ => without_id.push((j, span)),
            }
        }
        layer.normalize();
        for (j, mut span) in without_id {
            span.id = layer.take_id();
            fresh_ids[j] = span.id;
            layer.spans.push(span);
        }
        let span_of = |i: usize| -> Option<u64> {
            match places.get(accepted_at.get(i).copied().flatten()?)? {
                Place::Layer(id) => Some(*id),
                Place::Fresh(j) => fresh_ids.get(*j).copied(),
            }
        };
        let ends: Vec<(&IncomingRelation, Option<u64>, Option<u64>)> = linked
            .iter()
            .map(|r| {
                let to = match &r.to_elsewhere {
                    Some(end) => Some(end.span),
                    None => span_of(r.to),
                };
                (*r, span_of(r.from), to)
            })
            .collect();
        let added_relations = self.link(&mut layer, &ends, merging, &now);
        layer.normalize();
        let bytes = layer.to_ron().into_bytes();
        // Written only if no window saved the layer (or made one) since it was read here.
        let entry = self.batch.add_checked(layer_path, bytes, seen, text_entry);
        self.pending.push(Outcome::Layer {
            label: label(&doc),
            text: text_entry,
            entry,
            spans: added_spans,
            relations: added_relations,
            merging,
        });
        if self.batch.is_full() {
            self.commit();
        }
        Ok(())
    }
}

/// Why `s` cannot be a span of `text`: an empty, reversed or out-of-range range, a tag that
/// cannot be written, or a stated text other than the text at its offsets.
pub(crate) fn span_problem(s: &IncomingSpan, text: &Text) -> Option<String> {
    if s.start >= s.end {
        Some(format!("empty or reversed range {}..{}", s.start, s.end))
    } else if s.end > text.char_len() {
        Some(format!(
            "{}..{} is outside the text ({} chars)",
            s.start,
            s.end,
            text.char_len()
        ))
    } else if s.tag.trim().is_empty() || s.tag.chars().any(char::is_control) {
        Some(format!(
            "tag {:?} is empty or has control characters",
            s.tag
        ))
    } else {
        match &s.stated {
            Some(stated) if stated != text.slice(s.start, s.end) => Some(format!(
                "{}..{} says {:?} but the text there is {:?}",
                s.start,
                s.end,
                shorten(stated),
                shorten(text.slice(s.start, s.end))
            )),
            _ => None,
        }
    }
}

/// Where an accepted span of a document went.
#[derive(Debug, Clone, Copy)]
enum Place {
    /// A span the layer had already (merging), by id: the accepted span repeats it.
    Layer(u64),
    /// The `n`th new span.
    Fresh(usize),
}

impl Importer<'_> {
    /// Adds the relations `ends` gives (each with its ends' span ids in `layer`) to `layer`:
    /// each checked against its type's allowed tags, left out when the layer has it already,
    /// its source id kept in a new layer when free. Returns how many were added.
    fn link(
        &mut self,
        layer: &mut Layer,
        ends: &[(&IncomingRelation, Option<u64>, Option<u64>)],
        merging: bool,
        now: &str,
    ) -> usize {
        let tags: HashMap<u64, String> =
            layer.spans.iter().map(|s| (s.id, s.tag.clone())).collect();
        let symmetric = |kind: &str| self.tags.relation(kind).is_some_and(|k| k.symmetric);
        let key = |kind: &str, a: u64, b: u64| {
            if symmetric(kind) && b < a {
                (kind.to_owned(), b, a)
            } else {
                (kind.to_owned(), a, b)
            }
        };
        let mut present: HashSet<(String, u64, u64)> = layer
            .relations
            .iter()
            .filter_map(|r| Some(key(&r.kind, r.from.here_id()?, r.to.here_id()?)))
            .collect();
        // A link to another document is told apart by that document too.
        let mut crossing: HashSet<(String, u64, String, u64)> = layer
            .relations
            .iter()
            .filter_map(|r| {
                let there = r.to.doc.as_ref()?;
                Some((
                    r.kind.clone(),
                    r.from.here_id()?,
                    there.text.clone(),
                    r.to.span,
                ))
            })
            .collect();
        let mut made: Vec<(crate::model::relation::Relation, Option<u64>)> = Vec::new();
        for (r, from, to) in ends {
            let refuse = |why: String| format!("{}: {} relation: {why}", r.origin, r.kind);
            let (Some(from), Some(to)) = (*from, *to) else {
                self.summary
                    .rejected_relations
                    .push(refuse("an end did not become a span".into()));
                continue;
            };
            if from == to && r.to_elsewhere.is_none() {
                self.summary.rejected_relations.push(refuse(format!(
                    "both ends are span {from} (the same range and tag)"
                )));
                continue;
            }
            if let Some(kind) = self.tags.relation(&r.kind) {
                let here_ends = [
                    (true, Some(from)),
                    (false, r.to_elsewhere.is_none().then_some(to)),
                ];
                let not_allowed = here_ends.into_iter().find_map(|(f, id)| {
                    let id = id?;
                    let tag = tags.get(&id)?;
                    (!kind.allows_end(f, tag)).then(|| {
                        format!(
                            "its {} end may be {}, not {tag:?} (annotations/tags.ron)",
                            if f { "from" } else { "to" },
                            kind.allowed(f).join(" or ")
                        )
                    })
                });
                if let Some(why) = not_allowed {
                    self.summary.rejected_relations.push(refuse(why));
                    continue;
                }
            }
            let fresh = match &r.to_elsewhere {
                Some(end) => crossing.insert((
                    r.kind.clone(),
                    from,
                    end.doc.as_ref().map(|d| d.text.clone()).unwrap_or_default(),
                    end.span,
                )),
                None => present.insert(key(&r.kind, from, to)),
            };
            if !fresh {
                self.summary.relations_in_layer += usize::from(merging);
                if !merging {
                    self.summary.rejected_relations.push(refuse(format!(
                        "the same link of span {from} and span {to} is stated twice"
                    )));
                }
                continue;
            }
            let mut attrs = r.attrs.clone();
            if let Some(kind) = self.tags.relation(&r.kind) {
                for issue in kind.attr_issues(&r.attrs) {
                    if let crate::model::tags::AttrIssue::BadValue { name, .. } = &issue {
                        attrs.remove(name);
                        self.summary.refused_attributes.push(format!(
                            "the relation at {}: {issue} (it is imported without that value)",
                            r.origin
                        ));
                    }
                }
            }
            self.summary.attribute_values += attrs.len();
            let relation = crate::model::relation::Relation {
                id: 0,
                kind: r.kind.clone(),
                from: crate::model::relation::End::here(from),
                to: r
                    .to_elsewhere
                    .clone()
                    .unwrap_or_else(|| crate::model::relation::End::here(to)),
                note: r.note.clone(),
                attrs,
                created: now.to_owned(),
                modified: now.to_owned(),
            };
            made.push((relation, r.id));
        }
        let count = made.len();
        let mut used: HashSet<u64> = (layer.spans.iter().map(|s| s.id))
            .chain(layer.orphans.iter().map(|o| o.span.id))
            .chain(layer.relations.iter().map(|r| r.id))
            .collect();
        let mut without_id = Vec::new();
        for (mut relation, id) in made {
            match id {
                Some(id) if !merging && id > 0 && used.insert(id) => {
                    relation.id = id;
                    layer.relations.push(relation);
                }
                _ => without_id.push(relation),
            }
        }
        for mut relation in without_id {
            relation.id = layer.take_id();
            layer.relations.push(relation);
        }
        count
    }
}

/// The largest source file (csv, w3c, a brat .ann) read whole, in bytes.
const MAX_SOURCE_BYTES: u64 = 512 * 1024 * 1024;

/// Reads a source file whole, with a clear error; only regular files, at most
/// [`MAX_SOURCE_BYTES`].
pub(crate) fn read_source(path: &Path) -> Result<String, ImportError> {
    let bytes = crate::store::read_regular(path, MAX_SOURCE_BYTES)
        .map_err(|e| ImportError::read(path.display().to_string(), e.reason()))?;
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    String::from_utf8(body.to_vec()).map_err(|e| {
        ImportError::read(
            path.display().to_string(),
            format!("not UTF-8 at byte {}", e.utf8_error().valid_up_to()),
        )
    })
}

/// For the formats that list spans rather than documents (csv, w3c): consecutive spans of one
/// text by one annotator become one [`Incoming`] document, handed on when the next one starts.
#[derive(Default)]
pub(crate) struct Consecutive {
    current: Option<(String, String, Incoming)>,
}

impl Consecutive {
    /// Adds `span` of text `rel` by `annotator`, found at `origin`.
    pub(crate) fn push(
        &mut self,
        rel: &str,
        annotator: String,
        span: IncomingSpan,
        origin: String,
        sink: &mut DocSink<'_>,
        stats: &mut SourceStats,
    ) -> Result<(), ImportError> {
        match &mut self.current {
            Some((r, a, inc)) if r == rel && *a == annotator => inc.spans.push(span),
            _ => {
                self.finish(sink, stats)?;
                let inc = Incoming {
                    rel: rel.to_owned(),
                    text: None,
                    status: None,
                    spans: vec![span],
                    origin,
                    annotator: None,
                    record: None,
                    relations: Vec::new(),
                };
                self.current = Some((rel.to_owned(), annotator, inc));
            }
        }
        Ok(())
    }

    /// The document being gathered, if it is text `rel`'s by `annotator`.
    pub(crate) fn current(&mut self, rel: &str, annotator: &str) -> Option<&mut Incoming> {
        match &mut self.current {
            Some((r, a, inc)) if r == rel && a == annotator => Some(inc),
            _ => None,
        }
    }

    /// Hands on the document being gathered, if any.
    pub(crate) fn finish(
        &mut self,
        sink: &mut DocSink<'_>,
        stats: &mut SourceStats,
    ) -> Result<(), ImportError> {
        if let Some((_, _, inc)) = self.current.take() {
            sink(inc, None)?;
            stats.done += 1;
        }
        Ok(())
    }
}

/// Opens a source file read line by line, with its size for progress and a clear error; only
/// a regular file: a named pipe would block, a device would never end.
pub(crate) fn open_source(
    path: &Path,
) -> Result<(std::io::BufReader<std::fs::File>, usize), ImportError> {
    let file = crate::store::open_regular(path)
        .map_err(|e| ImportError::read(path.display().to_string(), e.reason()))?;
    let total = file.metadata().map(|m| m.len() as usize).unwrap_or(0);
    Ok((std::io::BufReader::new(file), total))
}

fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}
