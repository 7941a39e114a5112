//! Reads Label Studio's exports, so that work done there comes back as annotators' layers:
//! - its JSON export: a list of tasks `{"id", "data": {"text", …}, "annotations": [{"completed_by",
//!   "was_cancelled", "result": [{"type": "labels", "value": {"start", "end", "text",
//!   "labels": [...]}}]}], "predictions": [...]}`;
//! - its JSON-MIN export: one flat record per annotation, `{"text", "id", "annotator",
//!   "<from_name>": [{"start", "end", "text", "labels": [...]}], …}`.
//!
//! Which of the two is told per record (a task has `data`, `annotations` or `predictions`).
//!
//! Each annotation becomes the layer of the user who completed it (`completed_by`: an id, or an
//! object with `email`/`username`/`id`), made a valid annotator name by [`annotator_name`]; one
//! without a user goes to the request's annotator. A result with several labels becomes one span
//! per label. Cancelled (skipped) annotations are left out and counted; results of other types
//! are counted as annotations Marginalia cannot hold.
//!
//! A `relation` result (`{"type": "relation", "from_id", "to_id", "direction", "labels"}`)
//! links the spans of the two regions of the same annotation it names (a region with several
//! labels: its first label's span): `right` goes from `from_id` to `to_id`, `left` the other
//! way, `bi` is a symmetric type. A relation per label; one without labels is of type
//! `related`. A relation whose region was not imported is refused with its reason.
//!
//! Predictions are not annotations: in a task that has annotations they are counted and left
//! out. A task without annotations is a pre-annotation task (what Marginalia's
//! `--format labelstudio` export writes, and what one hands Label Studio to import), and its
//! predictions are imported, one layer per `model_version`. Read for `import --as-suggestions`
//! ([`Read::predictions_only`]), it is the other way round: every task's predictions are read,
//! each span with its result's `score` (else its prediction's), and annotations are counted
//! and left out.
//!
//! Label Studio counted offsets in UTF-16 code units (JavaScript strings), and its newer front
//! ends count code points; Marginalia counts Unicode scalar values (code points). Offsets are
//! converted here from UTF-16, unless the task is read as code points: decided per task from
//! all its results, so that one result whose `value.text` fits only code points carries the
//! others whose text both readings give (counted and reported; a note when results disagree).
//! One that falls inside a surrogate pair is refused with its file, task and reason, and
//! `value.text` is checked against the text at the offsets. An annotation whose results are
//! all of types Marginalia cannot hold (`hypertextlabels`, …) makes no layer; it is skipped
//! with the reason. A file may hold a list of tasks or one task per line.
//! A task's text goes to `data.path` when it names one (Marginalia's
//! export writes it), else to `<folder>/<task id, six digits>.txt`; other `data` keys are left
//! out.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use super::{
    ImportError, Incoming, IncomingRelation, IncomingSpan, Intake, SourceStats, Unsupported,
};
use crate::interchange::export::labelstudio::Utf16Map;
use crate::model::range::CharRange;
use crate::wording::plural;

/// How to read a Label Studio file.
pub struct Read<'a> {
    /// Where texts without a `data.path` go.
    pub folder: &'a str,
    /// Whose layer gets annotations that name no user.
    pub annotator: &'a str,
    /// Read only the predictions (model output, as suggestions), all under `annotator`; the
    /// annotations (and JSON-MIN records, which are annotations) are counted and left out.
    pub predictions_only: bool,
}

/// What a Label Studio import left out or took besides annotations (fields in the alphabetical
/// order of the names `import --json` prints them under).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Annotations left out because only predictions were read (`--as-suggestions`).
    #[serde(skip_serializing_if = "is_zero")]
    pub annotations_ignored: usize,
    /// Annotations marked `was_cancelled` (skipped in Label Studio), not imported.
    #[serde(rename = "cancelled_annotations")]
    pub cancelled: usize,
    /// Spans whose offsets fit their `value.text` only when counted in code points (newer
    /// Label Studio front ends count so), read that way.
    pub code_point_offsets: usize,
    /// Predictions read as suggestions (`--as-suggestions`).
    #[serde(skip_serializing_if = "is_zero")]
    pub predictions_as_suggestions: usize,
    /// Predictions of tasks without annotations, imported as layers.
    pub predictions_imported: usize,
    /// Predictions in tasks that have annotations, not imported.
    pub predictions_left_out: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Counts {
    /// The report's lines (none when there is nothing to say).
    pub fn report(&self) -> Vec<String> {
        // (count, words before it, what it counts, words after it)
        [
            (
                self.predictions_as_suggestions,
                "read",
                "prediction",
                "as suggestions (their results' score, else the prediction's)",
            ),
            (
                self.annotations_ignored,
                "left out",
                "annotation",
                "(people's work, not model output: only predictions become suggestions)",
            ),
            (
                self.cancelled,
                "left out",
                "cancelled annotation",
                "(was_cancelled: skipped in Label Studio)",
            ),
            (
                self.predictions_left_out,
                "left out",
                "prediction",
                "in tasks that have annotations (model output, not annotations)",
            ),
            (
                self.predictions_imported,
                "imported",
                "prediction",
                "of tasks without annotations, each as the layer of its model_version",
            ),
            (
                self.code_point_offsets,
                "read the offsets of",
                "span",
                "as code points, not UTF-16 code units: only that reading gives their value.text (newer Label Studio versions count so)",
            ),
        ]
        .into_iter()
        .filter(|&(n, ..)| n > 0)
        .map(|(n, before, noun, after)| format!("{before} {} {after}", plural(n, noun)))
        .collect()
    }
}

/// A valid annotator name for a Label Studio user or model: letters, digits, `.`, `_` and `-`
/// kept, anything else (`@`, spaces) made `_`, at most 64 characters; a name the workspace
/// reserves (`curated`, a Windows device name) or that starts with `.` or `-` gets `ls-` in
/// front. `None` when nothing usable is left.
pub fn annotator_name(raw: &str) -> Option<String> {
    let mut name: String = raw
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    while name.ends_with('.') {
        name.pop();
    }
    // `annotations/` keeps names ending in `.ron` for its own files (the name is ASCII here).
    if name.to_ascii_lowercase().ends_with(".ron") {
        let dot = name.len() - 4;
        name.replace_range(dot..=dot, "_");
    }
    if name.is_empty() || name.chars().all(|c| c == '_') {
        return None;
    }
    if crate::workspace::check_annotator(&name).is_ok() {
        return Some(name);
    }
    let prefixed: String = format!("ls-{name}").chars().take(64).collect();
    let prefixed = prefixed.trim_end_matches('.').to_owned();
    crate::workspace::check_annotator(&prefixed)
        .is_ok()
        .then_some(prefixed)
}

/// The layer name for a `completed_by` (or JSON-MIN `annotator`) value: an object's `email`,
/// `username` or `id`, a string as is, an integer id as `user-<id>`.
fn user_name(v: &Value) -> Option<String> {
    match v {
        Value::Object(o) => ["email", "username"]
            .iter()
            .find_map(|k| o.get(*k).and_then(Value::as_str).and_then(annotator_name))
            .or_else(|| o.get("id").and_then(user_name)),
        Value::String(s) => annotator_name(s),
        Value::Number(n) => annotator_name(&format!("user-{n}")),
        _ => None,
    }
}

/// Documents being gathered, one per (text, annotator), in the order first seen.
#[derive(Default)]
struct Docs {
    list: Vec<Incoming>,
    index: HashMap<(String, String), usize>,
}

impl Docs {
    fn add(&mut self, rel: &str, text: &str, annotator: &str, origin: &str) -> &mut Incoming {
        let key = (rel.to_owned(), annotator.to_owned());
        let i = *self.index.entry(key).or_insert_with(|| {
            self.list.push(Incoming {
                rel: rel.to_owned(),
                text: Some(text.to_owned()),
                status: None,
                spans: Vec::new(),
                origin: origin.to_owned(),
                annotator: Some(annotator.to_owned()),
                record: None,
                relations: Vec::new(),
            });
            self.list.len() - 1
        });
        &mut self.list[i]
    }
}

/// The tasks of a Label Studio file: a JSON list of tasks (its JSON and JSON-MIN exports), one
/// task object, or one task per line (JSON Lines, as Label Studio also imports and exports).
fn tasks_of(body: &str) -> Result<Vec<Value>, String> {
    let mut values = Vec::new();
    let stream = serde_json::Deserializer::from_str(body).into_iter::<Value>();
    for v in stream {
        values.push(v.map_err(|e| format!("not JSON: {e}"))?);
    }
    if values.len() == 1
        && values[0].is_array()
        && let Some(Value::Array(items)) = values.pop()
    {
        return Ok(items);
    }
    if values.iter().all(Value::is_object) {
        Ok(values)
    } else {
        Err("not a Label Studio export: expected a JSON list of tasks, or one task per line".into())
    }
}

pub(crate) fn read(source: &Path, how: &Read<'_>, to: Intake<'_>) -> Result<(), ImportError> {
    let Intake(sink, stats, progress) = to;
    let shown = source.display().to_string();
    let body = super::read_source(source)?;
    let records = tasks_of(&body).map_err(|reason| ImportError::read(shown.clone(), reason))?;
    let mut unsupported = Unsupported::default();
    let mut docs = Docs::default();
    let total = records.len();
    for (i, rec) in records.iter().enumerate() {
        if !progress(i, total) {
            return Err(ImportError::Cancelled { done: stats.done });
        }
        let id = rec.get("id").and_then(Value::as_u64);
        let origin = match id {
            Some(id) => format!("{shown}: task {} (id {id})", i + 1),
            None => format!("{shown}: task {}", i + 1),
        };
        let is_task = ["data", "annotations", "predictions"]
            .iter()
            .any(|k| rec.get(*k).is_some());
        let data = if is_task { rec.get("data") } else { Some(rec) };
        let Some(text) = data.and_then(|d| d.get("text")).and_then(Value::as_str) else {
            let keys: Vec<&str> = data
                .and_then(Value::as_object)
                .map(|o| o.keys().map(String::as_str).collect())
                .unwrap_or_default();
            stats.skipped.push(format!(
                "{origin}: no {} string (it has: {}); Marginalia reads text tasks",
                if is_task { "data.text" } else { "\"text\"" },
                if keys.is_empty() {
                    "nothing".to_owned()
                } else {
                    keys.join(", ")
                }
            ));
            continue;
        };
        let rel = data
            .and_then(|d| d.get("path"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{}/{:06}.txt", how.folder, id.unwrap_or(i as u64 + 1)));
        let map = Utf16Map::new(text);
        let (reading, disagree) = decide_reading(rec, is_task, text, &map);
        if disagree {
            stats.notes.push(format!(
                "{origin}: some results' value.text fits only UTF-16 offsets and others' only code points; each is read the way that fits it, the others as code points"
            ));
        }
        let mut task = Task {
            rel: &rel,
            text,
            map: &map,
            reading,
            stats,
            unsupported: &mut unsupported,
            docs: &mut docs,
        };
        if is_task && how.predictions_only {
            task.stats.labelstudio.annotations_ignored += rec
                .get("annotations")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            let predictions = rec.get("predictions").and_then(Value::as_array);
            for (j, p) in predictions.into_iter().flatten().enumerate() {
                let here = format!("{origin}, prediction {}", j + 1);
                task.stats.labelstudio.predictions_as_suggestions += 1;
                let results = p.get("result").and_then(Value::as_array);
                task.take_results(how.annotator, results, &here, p.get("score"));
            }
        } else if is_task {
            let annotations = rec
                .get("annotations")
                .and_then(Value::as_array)
                .map_or(&[][..], Vec::as_slice);
            for (j, a) in annotations.iter().enumerate() {
                let here = format!("{origin}, annotation {}", j + 1);
                if a.get("was_cancelled").and_then(Value::as_bool) == Some(true) {
                    task.stats.labelstudio.cancelled += 1;
                    continue;
                }
                let who = a
                    .get("completed_by")
                    .and_then(user_name)
                    .unwrap_or_else(|| how.annotator.to_owned());
                let results = a.get("result").and_then(Value::as_array);
                task.take_results(&who, results, &here, None);
            }
            let predictions = rec
                .get("predictions")
                .and_then(Value::as_array)
                .map_or(&[][..], Vec::as_slice);
            if annotations.is_empty() {
                for (j, p) in predictions.iter().enumerate() {
                    let here = format!("{origin}, prediction {}", j + 1);
                    let who = p
                        .get("model_version")
                        .and_then(user_name)
                        .unwrap_or_else(|| how.annotator.to_owned());
                    task.stats.labelstudio.predictions_imported += 1;
                    let results = p.get("result").and_then(Value::as_array);
                    task.take_results(&who, results, &here, None);
                }
            } else {
                task.stats.labelstudio.predictions_left_out += predictions.len();
            }
        } else if how.predictions_only {
            // JSON-MIN holds annotations only.
            task.stats.labelstudio.annotations_ignored += 1;
        } else {
            // JSON-MIN: the regions are under their control's name (`label` by default).
            let who = rec
                .get("annotator")
                .and_then(user_name)
                .unwrap_or_else(|| how.annotator.to_owned());
            task.take_min_regions(rec, &who, &origin);
        }
    }
    for doc in docs.list {
        sink(doc, None)?;
        stats.done += 1;
    }
    progress(total, total);
    stats.unsupported.push((shown, unsupported));
    Ok(())
}

/// How a task's offsets are counted, decided from all its results together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    /// UTF-16 code units (Label Studio's browser count, and the default).
    Utf16,
    /// Code points: some result's `value.text` fits only this reading.
    Points,
}

/// The regions of a task (every labels result of its annotations and predictions) or of a
/// JSON-MIN record (its span lists).
fn regions(rec: &Value, is_task: bool) -> Vec<&Value> {
    let mut out = Vec::new();
    if is_task {
        for key in ["annotations", "predictions"] {
            for a in rec.get(key).and_then(Value::as_array).into_iter().flatten() {
                for r in a
                    .get("result")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if r.get("type").and_then(Value::as_str) == Some("labels")
                        && let Some(v) = r.get("value")
                    {
                        out.push(v);
                    }
                }
            }
        }
    } else if let Some(fields) = rec.as_object() {
        for v in fields.values() {
            let Some(list) = v.as_array() else { continue };
            if list
                .iter()
                .all(|r| r.get("start").is_some() && r.get("labels").is_some())
            {
                out.extend(list.iter());
            }
        }
    }
    out
}

/// A task's reading: code points when some region's `value.text` fits only that reading, else
/// UTF-16. `true` too when other regions fit only UTF-16 (the task's results disagree).
fn decide_reading(rec: &Value, is_task: bool, text: &str, map: &Utf16Map) -> (Reading, bool) {
    let (mut only_points, mut only_utf16) = (false, false);
    for v in regions(rec, is_task) {
        let num = |k: &str| v.get(k).and_then(Value::as_u64).map(|n| n as usize);
        let (Some(start), Some(end), Some(stated)) = (
            num("start"),
            num("end"),
            v.get("text").and_then(Value::as_str),
        ) else {
            continue;
        };
        let as_utf16 = map
            .to_char(start)
            .ok()
            .zip(map.to_char(end).ok())
            .and_then(|(s, e)| map.slice(text, s, e));
        let as_points = map.slice(text, start, end);
        match (as_utf16 == Some(stated), as_points == Some(stated)) {
            (true, false) => only_utf16 = true,
            (false, true) => only_points = true,
            _ => {}
        }
    }
    let reading = if only_points {
        Reading::Points
    } else {
        Reading::Utf16
    };
    (reading, only_points && only_utf16)
}

/// One task being read.
struct Task<'t> {
    rel: &'t str,
    text: &'t str,
    map: &'t Utf16Map,
    /// How its offsets are counted, unless a result's own `value.text` fits only the other.
    reading: Reading,
    stats: &'t mut SourceStats,
    unsupported: &'t mut Unsupported,
    docs: &'t mut Docs,
}

impl Task<'_> {
    /// An annotation's or prediction's `result` list: `labels` results become spans of `who`'s
    /// document (made even when there are none, so an empty annotation still makes a layer);
    /// other types are counted. Each span carries its result's `score`, else `score` (its
    /// prediction's).
    fn take_results(
        &mut self,
        who: &str,
        results: Option<&Vec<Value>>,
        origin: &str,
        score: Option<&Value>,
    ) {
        let results = results.map_or(&[][..], Vec::as_slice);
        let labels = |r: &Value| r.get("type").and_then(Value::as_str) == Some("labels");
        if !results.is_empty() && !results.iter().any(labels) {
            // Nothing here becomes a span: no layer for it (an empty result list still makes
            // one, as the annotator's "nothing to tag").
            let mut kinds: Vec<&str> = results
                .iter()
                .map(|r| r.get("type").and_then(Value::as_str).unwrap_or("untyped"))
                .collect();
            kinds.sort_unstable();
            kinds.dedup();
            self.stats.skipped.push(format!(
                "{} ({origin}): no layer written for {who}: its {} {} {}, which Marginalia cannot hold (only labels results on text become spans)",
                self.rel,
                plural(results.len(), "result"),
                if results.len() == 1 { "is" } else { "are all" },
                kinds.join(", ")
            ));
        } else {
            self.docs.add(self.rel, self.text, who, origin);
        }
        // Region id → the index of its first span in `who`'s document.
        let mut regions: HashMap<&str, usize> = HashMap::new();
        let mut links: Vec<(String, &Value)> = Vec::new();
        for (k, r) in results.iter().enumerate() {
            let here = format!("{origin}, result {}", k + 1);
            match r.get("type").and_then(Value::as_str) {
                Some("labels") => {
                    if let Some(v) = r.get("value") {
                        let score = r.get("score").or(score);
                        let at = self.take_region(who, v, "labels", &here, score);
                        if let (Some(at), Some(id)) = (at, r.get("id").and_then(Value::as_str)) {
                            regions.insert(id, at);
                        }
                    } else {
                        self.stats
                            .rejected
                            .push(format!("{here}: a labels result without \"value\""));
                    }
                }
                Some("relation") => links.push((here, r)),
                Some(other) => *self.unsupported.other.entry(other.to_owned()).or_default() += 1,
                None => *self.unsupported.other.entry("untyped".into()).or_default() += 1,
            }
        }
        for (here, r) in links {
            let end = |k: &str| {
                let id = r.get(k).and_then(Value::as_str)?;
                regions.get(id).copied()
            };
            let labels: Vec<&str> = r
                .get("labels")
                .and_then(Value::as_array)
                .map(|l| l.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let labels = if labels.is_empty() {
                vec!["related"]
            } else {
                labels
            };
            let direction = r
                .get("direction")
                .and_then(Value::as_str)
                .unwrap_or("right");
            let (Some(a), Some(b)) = (end("from_id"), end("to_id")) else {
                for label in labels {
                    self.stats.rejected_relations.push(format!(
                        "{here}: {label} relation: from_id or to_id is not a region of this annotation that was imported"
                    ));
                }
                continue;
            };
            let (from, to) = if direction == "left" { (b, a) } else { (a, b) };
            let doc = self.docs.add(self.rel, self.text, who, origin);
            for label in labels {
                doc.relations.push(IncomingRelation {
                    symmetric: direction == "bi",
                    ..IncomingRelation::new(label, from, to, here.clone())
                });
            }
        }
    }

    /// A JSON-MIN record's regions: every list of objects with `start`, `end` and `labels`.
    fn take_min_regions(&mut self, rec: &Value, who: &str, origin: &str) {
        self.docs.add(self.rel, self.text, who, origin);
        let Some(fields) = rec.as_object() else {
            return;
        };
        for (key, v) in fields {
            let Some(list) = v.as_array() else { continue };
            let is_region = |r: &Value| r.get("start").is_some() && r.get("labels").is_some();
            if list.is_empty() || !list.iter().all(is_region) {
                continue;
            }
            for (k, r) in list.iter().enumerate() {
                let here = format!("{origin}, {key} {}", k + 1);
                self.take_region(who, r, "labels", &here, None);
            }
        }
    }

    /// A region's char offsets. Label Studio counted UTF-16 code units in the browser, and newer
    /// versions count code points; `value.text` tells which, decided per task from all its
    /// results ([`decide_reading`]): a region whose stated text fits only one reading is read
    /// that way; one that fits both (or states none) follows the task's reading, so that "00"
    /// after an emoji is not moved a character left when another span of the task proves code
    /// points. When neither fits, the task's reading goes on for the import to refuse with both
    /// texts, or is refused here when it falls inside a surrogate pair. Without a stated text in
    /// a UTF-16 task, the two readings must agree (no character outside the BMP before).
    fn offsets(
        &mut self,
        start16: usize,
        end16: usize,
        stated: Option<&str>,
        origin: &str,
    ) -> Option<CharRange> {
        let utf16 = self
            .map
            .to_char(start16)
            .and_then(|s| self.map.to_char(end16).map(|e| CharRange::new(s, e)));
        let as_utf16 = utf16
            .as_ref()
            .ok()
            .and_then(|r| self.map.slice(self.text, r.start, r.end));
        let in_range = end16 <= self.map.char_len() && start16 <= end16;
        let as_points = self.map.slice(self.text, start16, end16);
        let points = || Some(CharRange::new(start16, end16));
        let Some(stated) = stated else {
            return match utf16 {
                Ok(_) if self.reading == Reading::Points && in_range => {
                    if utf16.as_ref().ok() != Some(&CharRange::new(start16, end16)) {
                        self.stats.labelstudio.code_point_offsets += 1;
                    }
                    points()
                }
                Ok(r) if r == CharRange::new(start16, end16) => Some(r),
                Ok(_) => {
                    self.stats.rejected.push(format!(
                        "{origin}: {start16}..{end16} has no \"text\" to tell UTF-16 offsets from code points, and the two differ here (a character outside the BMP, such as an emoji, comes before)"
                    ));
                    None
                }
                Err(_) if self.reading == Reading::Points && in_range => {
                    self.stats.labelstudio.code_point_offsets += 1;
                    points()
                }
                Err(why) => {
                    self.stats.rejected.push(format!(
                        "{origin}: {start16}..{end16} (UTF-16, as Label Studio counts): {why}"
                    ));
                    None
                }
            };
        };
        let fits16 = as_utf16 == Some(stated);
        let fits_points = as_points == Some(stated);
        let take_points = match (fits16, fits_points) {
            (true, false) => false,
            (false, true) => true,
            // Both fit (or neither): the task's reading.
            _ => self.reading == Reading::Points && in_range,
        };
        if take_points {
            if utf16.as_ref().ok() != Some(&CharRange::new(start16, end16)) {
                self.stats.labelstudio.code_point_offsets += 1;
            }
            return points();
        }
        match utf16 {
            Ok(pair) => Some(pair),
            Err(why) => {
                self.stats.rejected.push(format!(
                    "{origin}: {start16}..{end16} (UTF-16, as Label Studio counts): {why}"
                ));
                None
            }
        }
    }

    /// One region `{"start", "end", "text", "<labels_key>": [...]}`: a span per label, its
    /// UTF-16 offsets converted to chars, with the model's `score` if given.
    /// Returns the index of its first span in `who`'s document.
    fn take_region(
        &mut self,
        who: &str,
        v: &Value,
        labels_key: &str,
        origin: &str,
        score: Option<&Value>,
    ) -> Option<usize> {
        let num = |k: &str| v.get(k).and_then(Value::as_u64).map(|n| n as usize);
        let labels: Vec<&str> = v
            .get(labels_key)
            .and_then(Value::as_array)
            .map(|l| l.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let (Some(start16), Some(end16)) = (num("start"), num("end")) else {
            self.stats.rejected.push(format!(
                "{origin}: needs \"start\" and \"end\" (whole numbers, UTF-16 offsets)"
            ));
            return None;
        };
        if labels.is_empty() {
            self.stats
                .rejected
                .push(format!("{origin}: no label in \"{labels_key}\""));
            return None;
        }
        let stated = v.get("text").and_then(Value::as_str).map(str::to_owned);
        let CharRange { start, end } = self.offsets(start16, end16, stated.as_deref(), origin)?;
        let doc = self.docs.add(self.rel, self.text, who, origin);
        let first = doc.spans.len();
        for label in labels {
            doc.spans.push(IncomingSpan {
                stated: stated.clone(),
                score: score.cloned(),
                ..IncomingSpan::new(start, end, label, origin.to_owned())
            });
        }
        Some(first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_offsets_map_to_chars_and_refuse_half_a_surrogate_pair() {
        // 😀 is one char and two UTF-16 code units; é is one of each.
        let m = Utf16Map::new("a😀é b");
        assert_eq!(m.len_utf16(), 6);
        assert_eq!(m.to_char(0), Ok(0));
        assert_eq!(m.to_char(1), Ok(1));
        assert!(m.to_char(2).unwrap_err().contains("surrogate pair"));
        assert_eq!(m.to_char(3), Ok(2));
        assert_eq!(m.to_char(6), Ok(5));
        assert!(m.to_char(7).unwrap_err().contains("outside the text"));
        assert_eq!(m.to_utf16(2), 3);
        assert_eq!(m.to_utf16(5), 6);
        assert_eq!(m.char_len(), 5);
        assert_eq!(m.slice("a😀é b", 1, 3), Some("😀é"));
        assert_eq!(m.slice("a😀é b", 3, 6), None);
    }

    #[test]
    fn user_names_become_valid_annotator_names() {
        let v = |s: &str| serde_json::from_str::<Value>(s).unwrap();
        assert_eq!(user_name(&v("10")).as_deref(), Some("user-10"));
        assert_eq!(
            user_name(&v(r#"{"id": 3, "email": "ana.m@example.org"}"#)).as_deref(),
            Some("ana.m_example.org")
        );
        assert_eq!(
            user_name(&v(r#"{"id": 3, "username": "Bo Li"}"#)).as_deref(),
            Some("Bo_Li")
        );
        assert_eq!(user_name(&v(r#"{"id": 3}"#)).as_deref(), Some("user-3"));
        assert_eq!(user_name(&v(r#""curated""#)).as_deref(), Some("ls-curated"));
        assert_eq!(user_name(&v(r#"".hidden""#)).as_deref(), Some("ls-.hidden"));
        assert_eq!(
            user_name(&v(r#"{"email": "bo@tags.ron"}"#)).as_deref(),
            Some("bo_tags_ron")
        );
        assert_eq!(user_name(&v(r#""@@""#)), None);
        assert_eq!(user_name(&v("null")), None);
    }
}
