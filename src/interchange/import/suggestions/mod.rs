//! `import --as-suggestions`: model output is a proposal, not the annotator's work. A file in
//! any format Marginalia imports (Label Studio's `predictions` with their `score`, jsonl with a
//! `score`, doccano, Prodigy) is read by the same readers as an import, its spans checked the
//! same way ([`super::span_problem`]), and stored as suggestions for one annotator in the
//! suggestions store ([`store`]), never in their layer.
//!
//! Per text, a re-import of a file of the same name replaces that file's earlier suggestions
//! (each records its file's name in `by`). A suggestion equal to a span of the layer (same
//! start, end and tag) is counted and left out; one stated twice keeps its higher score. A
//! suggestion is refused, with its place and reason, for bad offsets or stated text, a tag the
//! tag set lacks (suggestions add no tags), or a score that is not a number in [0, 1]; a text
//! the workspace does not have (by its path, else by its content) refuses its document. The
//! report is the import's ([`ImportSummary`], with [`ImportSummary::suggestions`]), with the
//! same exit codes.

pub mod store;

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::Value;

use super::{
    ImportError, ImportRequest, ImportSummary, Incoming, IncomingSpan, Intake, Opened, Progress,
    Reading, SourceStats, Unsupported, finish, open_request, read_with, span_problem,
};
use crate::model::layer::CONTEXT_CHARS;
use crate::model::text::Text;
use crate::store::{AtomicBatch, Fingerprint, InsideCheck, sha256_hex};
use crate::wording::plural;
use crate::workspace::Workspace;

pub use store::{
    STORE_DIR, StoredSuggestion, SuggestionStoreError, imported_suggestions, store_path,
};

/// What `import --as-suggestions` stored (fields in the alphabetical order `import --json`
/// prints them in).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stored {
    /// The source file's name, which each stored suggestion records as `by`.
    pub by: String,
    /// Suggestions stored, by tag.
    pub by_tag: BTreeMap<String, usize>,
    /// Store files written or removed.
    pub files: usize,
    /// The store folder, relative to the workspace: `annotations/.suggestions/<layer>`.
    pub folder: String,
    /// Suggestions equal to a span of the layer (same start, end and tag), left out.
    pub in_layer: usize,
    /// Suggestions from an earlier import of a file of the same name, replaced.
    pub replaced: usize,
    /// Suggestions the source stated twice (same start, end and tag), left out; the one with
    /// the higher score is kept.
    pub repeated: usize,
    /// Texts that have suggestions from this source now.
    pub texts: usize,
    /// Suggestions stored.
    pub total: usize,
    /// Suggestions stored without a score of their own, with score 1.
    pub unscored: usize,
}

impl Stored {
    /// The report's opening lines.
    pub fn report(&self) -> Vec<String> {
        let tags: Vec<String> = self
            .by_tag
            .iter()
            .map(|(tag, n)| format!("{tag} {n}"))
            .collect();
        let mut lines = vec![format!(
            "stored {} from {} for {} in {}/{}; the layer is unchanged",
            plural(self.total, "suggestion"),
            self.by,
            plural(self.texts, "text"),
            self.folder,
            if tags.is_empty() {
                String::new()
            } else {
                format!(" ({})", tags.join(", "))
            }
        )];
        let counts = [
            (
                self.replaced,
                "replaced",
                "earlier suggestion",
                format!("from a file named {}", self.by),
            ),
            (
                self.in_layer,
                "left out",
                "suggestion",
                "already in the layer (same range and tag)".into(),
            ),
            (
                self.repeated,
                "left out",
                "repeated suggestion",
                "(same range and tag; the higher score kept)".into(),
            ),
            (
                self.unscored,
                "stored",
                "suggestion",
                "without a score of its own with score 1".into(),
            ),
        ];
        lines.extend(
            counts
                .into_iter()
                .filter(|(n, ..)| *n > 0)
                .map(|(n, verb, noun, rest)| format!("{verb} {} {rest}", plural(n, noun))),
        );
        lines
    }
}

/// Runs `req` as `import --as-suggestions` into `req.annotator`'s suggestions store.
///
/// # Errors
/// As [`super::run`]: a bad request or source, an unreadable source, or
/// [`ImportError::Cancelled`] (what was read before is stored all the same).
pub fn run(req: &ImportRequest, progress: Progress<'_>) -> Result<ImportSummary, ImportError> {
    let by = req
        .source
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| req.source.display().to_string());
    let stored = Stored {
        by,
        folder: store::store_folder(&req.annotator),
        ..Stored::default()
    };
    let Some(Opened { ws, into, folder }) = open_request(req)? else {
        return Ok(ImportSummary {
            empty_source: true,
            suggestions: Some(stored),
            ..ImportSummary::default()
        });
    };
    let mut gather = Gather {
        ws,
        layer: &req.annotator,
        into,
        texts: BTreeMap::new(),
        by_content: None,
        summary: ImportSummary::default(),
        stored,
        handed: 0,
        relations: 0,
    };
    let mut sink = |doc: Incoming, extra: Option<(String, Unsupported)>| {
        if let Some((file, u)) = extra
            && u.total() > 0
        {
            gather.summary.unsupported.push((file, u));
        }
        gather.take(doc);
        Ok(())
    };
    let mut stats = SourceStats::default();
    let to = Intake(&mut sink, &mut stats, progress);
    let read = read_with(req, &folder, Reading::Predictions, to);
    let handed = gather.handed;
    let summary = gather.write();
    finish(summary, read, stats, handed)
}

/// The suggestions gathered for one text.
struct Pending {
    /// Per (start, end, tag), the suggestion kept.
    fresh: BTreeMap<(usize, usize, String), StoredSuggestion>,
}

/// An import into the store under way: suggestions are gathered per text, then each text's
/// store file is written once ([`Gather::write`]).
struct Gather<'r> {
    ws: Workspace,
    layer: &'r str,
    /// The checked `--into` folder.
    into: Option<String>,
    texts: BTreeMap<String, Pending>,
    /// The workspace's texts by the sha256 of their content, read when a document's path
    /// names none of them.
    by_content: Option<HashMap<String, String>>,
    summary: ImportSummary,
    stored: Stored,
    handed: usize,
    /// Relations the source stated (a suggestion is a span only).
    relations: usize,
}

impl Gather<'_> {
    /// Checks one document's spans and keeps those that become suggestions.
    fn take(&mut self, doc: Incoming) {
        self.handed += 1;
        self.relations += doc.relations.len();
        let (rel, text) = match self.locate(&doc) {
            Ok(found) => found,
            Err(why) => {
                self.summary.skipped_documents.push(format!(
                    "{} ({}): {} refused: {why}",
                    doc.rel,
                    doc.origin,
                    plural(doc.spans.len(), "suggestion")
                ));
                return;
            }
        };
        let in_layer = self.layer_keys(&rel, &text);
        let pending = self.texts.entry(rel).or_insert_with(|| Pending {
            fresh: BTreeMap::new(),
        });
        for s in &doc.spans {
            let problem = span_problem(s, &text)
                .or_else(|| {
                    (!self.ws.tags().contains(&s.tag)).then(|| {
                        format!(
                            "tag {:?} is not in annotations/tags.ron (suggestions add no tags)",
                            s.tag
                        )
                    })
                })
                .map(Err)
                .unwrap_or_else(|| score_of(s));
            let score = match problem {
                Ok(score) => score,
                Err(why) => {
                    self.summary
                        .rejected_spans
                        .push(format!("{}: {why}", s.origin));
                    continue;
                }
            };
            let key = (s.start, s.end, s.tag.clone());
            if in_layer.contains(&key) {
                self.stored.in_layer += 1;
                continue;
            }
            let made = suggestion(s, score.unwrap_or(1.0), &self.stored.by, &text);
            match pending.fresh.get_mut(&key) {
                Some(kept) => {
                    self.stored.repeated += 1;
                    if made.score > kept.score {
                        *kept = made;
                    }
                }
                None => {
                    self.stored.unscored += usize::from(score.is_none());
                    pending.fresh.insert(key, made);
                }
            }
        }
    }

    /// The workspace text a document's suggestions are for: the text at its path (under
    /// `--into`) when that is the text the source carries, else the workspace's text with the
    /// same content. Returns its path and text, or why there is none.
    fn locate(&mut self, doc: &Incoming) -> Result<(String, Text), String> {
        let mut rel = doc.rel.clone();
        if let Some(into) = self.into.as_deref().filter(|f| !f.is_empty())
            && !rel
                .strip_prefix(into)
                .is_some_and(|rest| rest.starts_with('/'))
        {
            rel = format!("{into}/{}", rel.trim_start_matches('/'));
        }
        let at_path = self
            .ws
            .check_text_rel(&rel)
            .ok()
            .and_then(|norm| Some((self.ws.text_path(&norm)?, norm)))
            .filter(|(path, _)| path.is_file());
        let mut differs = false;
        if let Some((path, norm)) = at_path {
            let text = Text::load(&path).map_err(|e| e.to_string())?;
            match &doc.text {
                Some(carried) if carried != text.as_str() => differs = true,
                _ => return Ok((norm, text)),
            }
        }
        let Some(carried) = &doc.text else {
            return Err(format!(
                "the workspace has no text {rel} (suggestions are stored only for the workspace's texts)"
            ));
        };
        let sha = sha256_hex(carried.as_bytes());
        if let Some(found) = self.content_index().get(&sha).cloned()
            && let Some(path) = self.ws.text_path(&found)
            && let Ok(text) = Text::load(&path)
        {
            return Ok((found, text));
        }
        Err(if differs {
            format!(
                "the workspace's {rel} differs from the text in the file, and no other text of the workspace has its content; the offsets would not fit"
            )
        } else {
            format!(
                "its text is not in the workspace, at {rel} or under another path (suggestions are stored only for the workspace's texts)"
            )
        })
    }

    /// The workspace's texts by the sha256 of their content (read once).
    fn content_index(&mut self) -> &HashMap<String, String> {
        self.by_content.get_or_insert_with(|| {
            self.ws
                .texts()
                .into_iter()
                .filter_map(|t| {
                    let text = Text::load(&t.path).ok()?;
                    Some((sha256_hex(text.as_str().as_bytes()), t.rel))
                })
                .collect()
        })
    }

    /// The (start, end, tag) of each span of the layer's file for `rel`, when it records this
    /// text (a stale layer's offsets are not this text's); none without a file.
    fn layer_keys(&mut self, rel: &str, text: &Text) -> HashSet<(usize, usize, String)> {
        let Some(path) = self.ws.layer_path(self.layer, rel) else {
            return HashSet::new();
        };
        match crate::model::layer::load_layer(&path) {
            Ok(Some((layer, _))) if layer.text_sha256 == text.sha256() => layer
                .spans
                .into_iter()
                .map(|s| (s.start, s.end, s.tag))
                .collect(),
            Ok(_) => HashSet::new(),
            Err(e) => {
                self.summary.warnings.push(format!(
                    "{e}; the suggestions for {rel} were not compared with that layer"
                ));
                HashSet::new()
            }
        }
    }

    /// Writes each text's store file: the earlier suggestions of other files kept, this file's
    /// replaced by what was gathered; a file left empty is removed. Returns the summary.
    fn write(mut self) -> ImportSummary {
        let mut inside = InsideCheck::new(self.ws.root());
        let mut batch = AtomicBatch::new();
        // Per batch entry: the text, how many of this file's suggestions it holds (by tag),
        // and how many earlier ones it replaces.
        let mut planned: Vec<(String, BTreeMap<String, usize>, usize)> = Vec::new();
        let texts = std::mem::take(&mut self.texts);
        for (rel, pending) in texts {
            let Some(path) = store_path(&self.ws, self.layer, &rel) else {
                self.summary.refused_documents.push(format!(
                    "{rel}: no suggestions store path for layer {}",
                    self.layer
                ));
                continue;
            };
            if let Err(e) = inside.check(&path) {
                self.summary.refused_documents.push(format!("{rel}: {e}"));
                continue;
            }
            let (earlier, seen): (Vec<StoredSuggestion>, Option<Fingerprint>) =
                match store::read_store(&path) {
                    Ok(Some((list, fp))) => (list, Some(fp)),
                    Ok(None) => (Vec::new(), None),
                    Err(e) => {
                        self.summary.refused_documents.push(format!(
                            "{rel}: {e}; its suggestions were not replaced (remove the file to store new ones)"
                        ));
                        continue;
                    }
                };
            let before = earlier.len();
            let mut list: Vec<StoredSuggestion> = earlier
                .into_iter()
                .filter(|s| s.by != self.stored.by)
                .collect();
            let replaced = before - list.len();
            let mut by_tag: BTreeMap<String, usize> = BTreeMap::new();
            for s in pending.fresh.values() {
                *by_tag.entry(s.tag.clone()).or_default() += 1;
            }
            list.extend(pending.fresh.into_values());
            if list.is_empty() {
                if seen.is_some() {
                    match crate::store::remove_durably(&path) {
                        Ok(_) => {
                            self.stored.files += 1;
                            self.stored.replaced += replaced;
                        }
                        Err(e) => self.summary.refused_documents.push(format!("{rel}: {e}")),
                    }
                }
                continue;
            }
            batch.add_checked(path, store::to_jsonl(&list), seen, None);
            planned.push((rel, by_tag, replaced));
            if batch.is_full() {
                self.commit(&mut batch, &mut planned);
            }
        }
        self.commit(&mut batch, &mut planned);
        if self.relations > 0 {
            self.summary.warnings.push(format!(
                "left out {} (a suggestion is a span)",
                plural(self.relations, "relation")
            ));
        }
        let mut summary = self.summary;
        summary.suggestions = Some(self.stored);
        summary
    }

    /// Writes the batch and counts what each file holds, or refuses the text whose file failed.
    fn commit(
        &mut self,
        batch: &mut AtomicBatch,
        planned: &mut Vec<(String, BTreeMap<String, usize>, usize)>,
    ) {
        let results = batch.commit();
        for ((rel, by_tag, replaced), result) in planned.drain(..).zip(results) {
            if let Err(e) = result {
                self.summary.refused_documents.push(format!("{rel}: {e}"));
                continue;
            }
            let n: usize = by_tag.values().sum();
            self.stored.files += 1;
            self.stored.replaced += replaced;
            self.stored.total += n;
            self.stored.texts += usize::from(n > 0);
            for (tag, k) in by_tag {
                *self.stored.by_tag.entry(tag).or_default() += k;
            }
        }
    }
}

/// A span's stated score: `None` when it states none (stored as 1), or why it is refused.
fn score_of(s: &IncomingSpan) -> Result<Option<f64>, String> {
    match &s.score {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(x) if (0.0..=1.0).contains(&x) => Ok(Some(x)),
            _ => Err(format!("score {n} is outside [0, 1]")),
        },
        Some(other) => Err(format!("score {other} is not a number")),
    }
}

/// The stored form of an accepted span: its place, words and context in `text`.
fn suggestion(s: &IncomingSpan, score: f64, by: &str, text: &Text) -> StoredSuggestion {
    let (prefix, suffix) = text.context(s.start, s.end, CONTEXT_CHARS);
    StoredSuggestion {
        start: s.start,
        end: s.end,
        tag: s.tag.clone(),
        score,
        attrs: s
            .attrs
            .iter()
            .filter(|(k, _)| !crate::model::tags::is_reserved(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        by: by.to_owned(),
        text_sha256: text.sha256().to_owned(),
        exact: text.slice(s.start, s.end).to_owned(),
        prefix,
        suffix,
    }
}
