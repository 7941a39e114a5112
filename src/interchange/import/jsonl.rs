//! Reads JSON Lines, one document per line, in three shapes:
//! - Marginalia's own (`{"text", "spans": [{"start", "end", "label", "text", "meta": {"note",
//!   "attrs"}}], "meta": {"path", "status", …}}`);
//! - Prodigy's (`{"text", "spans": [{"start", "end", "label"}]}`, `text` optional per span);
//! - doccano's (`{"text", "label": [[start, end, "tag"], …]}`, also `labels`, or `entities` with
//!   `start_offset`/`end_offset`; doccano 1.x names the text `data`).
//!
//! A Prodigy record's other top-level keys (`_input_hash`, `_task_hash`, `answer`, `meta`,
//! `tokens`, …) and a doccano record's `id` are kept on the new layer as its import record
//! ([`SourceRecord`]), so that the jsonl and doccano exports can write them back.
//!
//! A file that opens with a JSON array, or whose first record spans several lines
//! (pretty-printed), is read whole as JSON instead, each record handled like a line.
//!
//! Prodigy's `"answer"` on a record or a span is respected: by default only `accept` (or no
//! answer) is imported, and what is left out is counted by answer.
//!
//! `"relations"` become relations between the record's spans:
//! - Marginalia's (`{"type", "from": {"start", "end", "label"}, "to": {…}, "note", "attrs"}`):
//!   each end is the record's span with that range and label; a `to` end in another document
//!   (`"path"`) keeps its span id, range and text as the export wrote them (the other
//!   document's layer keeps its span ids when imported into a new layer; with `--merge` or
//!   `--into` such a relation is refused);
//! - doccano's (`{"id", "from_id", "to_id", "type"}`): ends are the ids of `entities`;
//! - Prodigy's `rel.manual` (`{"head", "child", "head_span", "child_span", "label"}`): each
//!   end is the span with `head_span`'s (`child_span`'s) offsets.
//!
//! A relation whose end is not one of the record's spans is refused with its reason.
//!
//! A span's `score` (or its `meta.score`, else the record's `meta.score`, as Prodigy's
//! `ner.teach` writes it) is the model's confidence, read by `import --as-suggestions`.
//!
//! Offsets are code points. A line without `meta.path` becomes `<folder>/<line number>.txt`
//! (six digits), e.g. `doccano/000012.txt`; the folder is chosen by
//! [`super::default_folder`] so the workspace lists the texts.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;

use serde_json::Value;

use super::{
    Answers, DocSink, ImportError, Incoming, IncomingRelation, IncomingSpan, Intake, Progress,
    SourceStats, Unsupported,
};
use crate::interchange::export::doccano::DOCCANO;
use crate::interchange::export::jsonl::PRODIGY;
use crate::model::layer::SourceRecord;

/// How to read a jsonl file.
pub struct Read<'a> {
    /// Where texts without a `meta.path` go.
    pub folder: &'a str,
    /// Which Prodigy answers to import.
    pub answers: Answers,
}

pub(crate) fn read(source: &Path, how: &Read<'_>, to: Intake<'_>) -> Result<(), ImportError> {
    let Intake(sink, stats, progress) = to;
    let shown = source.display().to_string();
    let read_err = |e: std::io::Error| ImportError::read(shown.clone(), e.to_string());
    let (mut reader, total) = super::open_source(source)?;
    let mut line = String::new();
    let mut line_no = 0usize;
    let mut read_bytes = 0usize;
    let unsupported = Unsupported::default();
    let mut seen_record = false;
    loop {
        line.clear();
        let n = reader.read_line(&mut line).map_err(read_err)?;
        if n == 0 {
            break;
        }
        read_bytes += n;
        line_no += 1;
        if !progress(read_bytes, total) {
            return Err(ImportError::Cancelled { done: stats.done });
        }
        let body = line.trim_start_matches('\u{feff}').trim();
        if body.is_empty() {
            continue;
        }
        let origin = format!("{shown}:{line_no}");
        let first = !seen_record;
        seen_record = true;
        let value: Value = match serde_json::from_str(body) {
            // A file that opens with an array is one JSON document, not JSON Lines.
            Ok(Value::Array(_)) if first => {
                return read_whole(source, how, sink, stats, progress);
            }
            Ok(v) => v,
            // The first record does not end on its line: pretty-printed JSON.
            Err(e) if first && e.is_eof() => {
                return read_whole(source, how, sink, stats, progress);
            }
            Err(e) => {
                stats.skipped.push(format!("{origin}: not JSON: {e}"));
                continue;
            }
        };
        take_record(&value, &origin, how, line_no, sink, stats)?;
    }
    progress(total, total);
    note_wide_doccano(&shown, stats);
    stats.unsupported.push((shown, unsupported));
    Ok(())
}

/// Handles one record (a JSON Lines line or an element of a JSON array): left out and counted
/// when its Prodigy answer is not wanted, else its document sent with its relations.
fn take_record(
    value: &Value,
    origin: &str,
    how: &Read<'_>,
    number: usize,
    sink: &mut DocSink<'_>,
    stats: &mut SourceStats,
) -> Result<(), ImportError> {
    if let Some(answer) = answer_of(value)
        && !how.answers.keeps(&answer)
    {
        let left = stats.answers_left_out.entry(answer).or_default();
        left.records += 1;
        left.spans_in_records += ["spans", "label", "labels", "entities"]
            .iter()
            .find_map(|k| value.get(k).and_then(Value::as_array))
            .map_or(0, Vec::len);
        return Ok(());
    }
    if let Some(mut doc) = parse_record(value, origin, how, number, stats) {
        doc.relations = relations_of(value, &doc, origin, stats);
        if value.get("spans").is_none() && wide_before_a_span_end(&doc) {
            let utf16 = fits_words_only_as_utf16(&doc);
            stats.wide_doccano.push((origin.to_owned(), utf16));
        }
        sink(doc, None)?;
        stats.done += 1;
    }
    Ok(())
}

/// Reads a pretty-printed file whole (bounded like every whole read): a top-level array of
/// records, or one or more multi-line objects. Each record is handled like a JSON Lines line,
/// numbered from 1 in file order; a file that is not valid JSON is one error naming where.
fn read_whole(
    source: &Path,
    how: &Read<'_>,
    sink: &mut DocSink<'_>,
    stats: &mut SourceStats,
    progress: Progress<'_>,
) -> Result<(), ImportError> {
    let shown = source.display().to_string();
    let body = super::read_source(source)?;
    let total = body.len();
    let not_json = |e: serde_json::Error| {
        ImportError::read(
            shown.clone(),
            format!("not JSON Lines, nor a JSON array of records: {e}"),
        )
    };
    let mut records = Vec::new();
    for value in serde_json::Deserializer::from_str(&body).into_iter::<Value>() {
        match value.map_err(not_json)? {
            Value::Array(items) => records.extend(items),
            other => records.push(other),
        }
    }
    let unsupported = Unsupported::default();
    let count = records.len().max(1);
    for (i, value) in records.into_iter().enumerate() {
        if !progress(total * i / count, total) {
            return Err(ImportError::Cancelled { done: stats.done });
        }
        let origin = format!("{shown}: record {}", i + 1);
        take_record(&value, &origin, how, i + 1, sink, stats)?;
    }
    progress(total, total);
    note_wide_doccano(&shown, stats);
    stats.unsupported.push((shown, unsupported));
    Ok(())
}

/// A record's or span's Prodigy answer, if it states one (a non-string kept as written, so
/// that it is counted rather than taken for an accept).
fn answer_of(v: &Value) -> Option<String> {
    let a = v.get("answer")?;
    Some(a.as_str().map_or_else(|| a.to_string(), str::to_owned))
}

/// One line's document, or `None` (recorded in `stats`) when it has no text. A line without a
/// `meta.path` string goes into `folder`; a stated path is kept as written, for the import to
/// check.
pub fn parse_record(
    v: &Value,
    origin: &str,
    how: &Read<'_>,
    line_no: usize,
    stats: &mut SourceStats,
) -> Option<Incoming> {
    // doccano 1.x calls the text "data".
    let Some(text) = v
        .get("text")
        .or_else(|| v.get("data"))
        .and_then(Value::as_str)
    else {
        stats.skipped.push(format!(
            "{origin}: no \"text\" (or doccano 1.x \"data\") string; not a document"
        ));
        return None;
    };
    let meta = v.get("meta");
    let rel = meta
        .and_then(|m| m.get("path"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{}/{line_no:06}.txt", how.folder));
    let status = meta
        .and_then(|m| m.get("status"))
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<crate::model::layer::Status>().ok());
    // Prodigy's teach recipes put the model's score on the record.
    let record_score = meta.and_then(|m| m.get("score"));
    let mut spans = Vec::new();
    let mut reject = |i: usize, why: &str| {
        stats
            .rejected
            .push(format!("{origin}: span {}: {why}", i + 1))
    };
    if let Some(list) = v.get("spans").and_then(Value::as_array) {
        // Marginalia's and Prodigy's shape.
        for (i, s) in list.iter().enumerate() {
            let (Some(start), Some(end), Some(label)) = (
                as_usize(s.get("start")),
                as_usize(s.get("end")),
                s.get("label").and_then(Value::as_str),
            ) else {
                reject(i, "needs \"start\", \"end\" (whole numbers) and \"label\"");
                continue;
            };
            if let Some(answer) = answer_of(s)
                && !how.answers.keeps(&answer)
            {
                stats.answers_left_out.entry(answer).or_default().spans += 1;
                continue;
            }
            let span_meta = s.get("meta");
            let note = span_meta
                .and_then(|m| m.get("note"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let attrs: BTreeMap<String, String> = span_meta
                .and_then(|m| m.get("attrs"))
                .and_then(Value::as_object)
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| {
                            let v = v
                                .as_str()
                                .map(str::to_owned)
                                .unwrap_or_else(|| v.to_string());
                            (k.clone(), v)
                        })
                        .collect()
                })
                .unwrap_or_default();
            let score = (s.get("score"))
                .or_else(|| span_meta.and_then(|m| m.get("score")))
                .or(record_score)
                .cloned();
            spans.push(IncomingSpan {
                note,
                attrs,
                stated: s.get("text").and_then(Value::as_str).map(str::to_owned),
                score,
                ..IncomingSpan::new(start, end, label, format!("{origin}: span {}", i + 1))
            });
        }
    } else if let Some((list, older)) = v
        .get("label")
        .or_else(|| v.get("labels"))
        .and_then(Value::as_array)
        .map(|list| (list, true))
        .or_else(|| {
            v.get("entities")
                .and_then(Value::as_array)
                .map(|list| (list, false))
        })
    {
        for (i, s) in list.iter().enumerate() {
            match doccano_span(s, older) {
                Ok((start, end, tag)) => spans.push(IncomingSpan {
                    score: s.get("score").or(record_score).cloned(),
                    ..IncomingSpan::new(start, end, tag, format!("{origin}: span {}", i + 1))
                }),
                Err(why) => reject(i, why),
            }
        }
    }
    Some(Incoming {
        rel,
        text: Some(text.to_owned()),
        status,
        spans,
        origin: origin.to_owned(),
        annotator: None,
        record: source_record(v),
        relations: Vec::new(),
    })
}

/// A record's `relations` as links between `doc`'s spans; those whose ends are not among them
/// are refused in `stats`.
fn relations_of(
    v: &Value,
    doc: &Incoming,
    origin: &str,
    stats: &mut SourceStats,
) -> Vec<IncomingRelation> {
    let Some(list) = v.get("relations").and_then(Value::as_array) else {
        return Vec::new();
    };
    let find = |start: Option<usize>, end: Option<usize>, label: Option<&str>| {
        let (start, end) = (start?, end?);
        doc.spans
            .iter()
            .position(|s| s.start == start && s.end == end && label.is_none_or(|l| l == s.tag))
    };
    // doccano's entity ids, in the order `entities` lists them: its spans, one each.
    let entity_ids: Vec<Option<u64>> = v
        .get("entities")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .map(|e| e.get("id").and_then(Value::as_u64))
                .collect()
        })
        .unwrap_or_default();
    let mut out = Vec::new();
    for (i, r) in list.iter().enumerate() {
        let here = format!("{origin}: relation {}", i + 1);
        let text = |k: &str| r.get(k).and_then(Value::as_str);
        let kind = text("type").or_else(|| text("label")).unwrap_or("");
        let end_at = |e: Option<&Value>| {
            let e = e?;
            find(
                as_usize(e.get("start")),
                as_usize(e.get("end")),
                e.get("label").and_then(Value::as_str),
            )
        };
        let mut elsewhere = None;
        let ends: Result<(usize, usize), String> = if r.get("from").is_some_and(Value::is_object) {
            let to = r.get("to");
            let path = to.and_then(|t| t.get("path")).and_then(Value::as_str);
            match path {
                _ if r.get("from").and_then(|f| f.get("path")).is_some() => Err(
                    "its from end is in another document; a relation lives in its from end's layer".into(),
                ),
                Some(p) => {
                    let num = |k: &str| to.and_then(|t| t.get(k)).and_then(Value::as_u64);
                    match (end_at(r.get("from")), num("id"), num("start"), num("end")) {
                        (Some(f), Some(id), Some(start), Some(end)) => {
                            elsewhere = Some(crate::model::relation::End {
                                span: id,
                                doc: Some(crate::model::relation::Elsewhere {
                                    text: p.to_owned(),
                                    start: start as usize,
                                    end: end as usize,
                                    exact: to
                                        .and_then(|t| t.get("text"))
                                        .and_then(Value::as_str)
                                        .unwrap_or("")
                                        .to_owned(),
                                    prefix: String::new(),
                                    suffix: String::new(),
                                }),
                            });
                            Ok((f, f))
                        }
                        _ => Err("its from end is not one of the record's imported spans, or its to end lacks id, start or end".into()),
                    }
                }
                None => match (end_at(r.get("from")), end_at(r.get("to"))) {
                    (Some(f), Some(t)) => Ok((f, t)),
                    _ => Err("an end is not one of the record's imported spans (same start, end and label)".into()),
                },
            }
        } else if r.get("from_id").is_some() {
            let entity = |k: &str| {
                let id = r.get(k).and_then(Value::as_u64)?;
                let n = entity_ids.iter().position(|e| *e == Some(id))?;
                // The nth entity is the nth span, unless some were rejected before it.
                let e = v.get("entities")?.get(n)?;
                find(
                    as_usize(e.get("start_offset")),
                    as_usize(e.get("end_offset")),
                    e.get("label").and_then(Value::as_str),
                )
            };
            match (entity("from_id"), entity("to_id")) {
                (Some(f), Some(t)) => Ok((f, t)),
                _ => Err("from_id or to_id is not an imported entity of the record".into()),
            }
        } else if r.get("head").is_some() {
            match (end_at(r.get("head_span")), end_at(r.get("child_span"))) {
                (Some(f), Some(t)) => Ok((f, t)),
                _ => {
                    Err("head_span or child_span is not one of the record's imported spans".into())
                }
            }
        } else {
            Err("needs from/to, from_id/to_id (doccano) or head/child (Prodigy)".into())
        };
        match ends {
            Ok((from, to)) => {
                let note = text("note").unwrap_or("").to_owned();
                let attrs: BTreeMap<String, String> = r
                    .get("attrs")
                    .and_then(Value::as_object)
                    .map(|o| {
                        o.iter()
                            .map(|(k, v)| {
                                (
                                    k.clone(),
                                    v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                out.push(IncomingRelation {
                    note,
                    attrs,
                    to_elsewhere: elsewhere,
                    ..IncomingRelation::new(kind, from, to, here)
                });
            }
            Err(why) => stats
                .rejected_relations
                .push(format!("{here}: {kind} relation: {why}")),
        }
    }
    out
}

/// Whether a character beyond U+FFFF (an emoji) comes before the end of one of the spans.
fn wide_before_a_span_end(doc: &Incoming) -> bool {
    let Some(text) = &doc.text else {
        return false;
    };
    let Some(first) = text.chars().position(|c| u32::from(c) > 0xFFFF) else {
        return false;
    };
    doc.spans.iter().any(|s| s.end > first)
}

/// Whether the spans cut a word somewhere when their offsets are read as code points, and
/// nowhere when read as UTF-16 code units: the mark of offsets made in a browser.
fn fits_words_only_as_utf16(doc: &Incoming) -> bool {
    let Some(text) = &doc.text else {
        return false;
    };
    let chars: Vec<char> = text.chars().collect();
    // UTF-16 offset → char offset; `None` inside a surrogate pair.
    let mut from_utf16 = Vec::with_capacity(chars.len() * 2 + 1);
    for (i, c) in chars.iter().enumerate() {
        from_utf16.push(Some(i));
        if c.len_utf16() == 2 {
            from_utf16.push(None);
        }
    }
    from_utf16.push(Some(chars.len()));
    let word = |i: usize| chars.get(i).is_some_and(|c| c.is_alphanumeric());
    // A boundary at `i` is clean unless a word goes on across it.
    let clean = |i: usize| i == 0 || i >= chars.len() || !(word(i - 1) && word(i));
    let cuts = |map: &dyn Fn(usize) -> Option<usize>| {
        doc.spans.iter().any(|s| match (map(s.start), map(s.end)) {
            (Some(a), Some(b)) => a >= b || !clean(a) || !clean(b),
            _ => true,
        })
    };
    let as_utf16 = |i: usize| from_utf16.get(i).copied().flatten();
    cuts(&|i| (i <= chars.len()).then_some(i)) && !cuts(&as_utf16)
}

/// One note for a file's doccano records with emoji before a span's end: doccano's annotation
/// screen counts offsets in UTF-16 code units (an emoji is 2) unless the project counts
/// grapheme clusters, while a file made in Python counts code points, and nothing in the
/// record says which. Marginalia reads code points; the user is told where to look, and which
/// records look made on doccano's screen.
fn note_wide_doccano(shown: &str, stats: &mut SourceStats) {
    let wide = std::mem::take(&mut stats.wide_doccano);
    let list = |items: &[&String]| match items {
        [] => String::new(),
        [one] => (*one).clone(),
        [first, rest @ ..] => format!("{first} and {} more", rest.len()),
    };
    let all: Vec<&String> = wide.iter().map(|(o, _)| o).collect();
    if all.is_empty() {
        return;
    }
    let utf16: Vec<&String> = wide.iter().filter(|(_, u)| *u).map(|(o, _)| o).collect();
    let likely = if utf16.is_empty() {
        "check them".to_owned()
    } else {
        format!(
            "the spans of {} ({}) cut words as code points but not as UTF-16 units, so \
             doccano's screen probably made them and they are shifted here",
            crate::wording::plural(utf16.len(), "record"),
            list(&utf16)
        )
    };
    stats.warnings.push(format!(
        "{shown}: {} with an emoji or another character beyond U+FFFF before a span's end \
         ({}): offsets were read as code points (Python str indices), but doccano's own screen \
         counts such a character as 2 (UTF-16); {likely}",
        crate::wording::plural(all.len(), "doccano record"),
        list(&all)
    ));
}

/// Keys only Prodigy writes on a record: a record with any of them is Prodigy's.
const PRODIGY_KEYS: [&str; 5] = [
    "_input_hash",
    "_task_hash",
    "answer",
    "_view_id",
    "_session_id",
];

/// What a record holds beyond its text and spans, kept for the way back: a Prodigy record's
/// every other top-level key (hashes, answer, meta, tokens, view id, …; relations are counted
/// as unsupported instead), or a doccano record's `id`. `None` for Marginalia's own records
/// and for records with nothing to keep.
pub(crate) fn source_record(v: &Value) -> Option<SourceRecord> {
    let obj = v.as_object()?;
    if PRODIGY_KEYS.iter().any(|k| obj.contains_key(*k)) {
        let fields: BTreeMap<String, String> = obj
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "text" | "spans" | "relations"))
            .map(|(k, v)| (k.clone(), v.to_string()))
            .collect();
        return Some(SourceRecord {
            format: PRODIGY.into(),
            fields,
        });
    }
    let doccano = ["data", "label", "labels", "entities"]
        .iter()
        .any(|k| obj.contains_key(*k));
    let id = obj.get("id")?;
    doccano.then(|| SourceRecord {
        format: DOCCANO.into(),
        fields: BTreeMap::from([("id".to_owned(), id.to_string())]),
    })
}

/// A whole number of a record, as an offset.
fn as_usize(v: Option<&Value>) -> Option<usize> {
    v.and_then(Value::as_u64).map(|n| n as usize)
}

/// One doccano span: `[start, end, "tag"]` in the older shape (`older`), `{"start_offset",
/// "end_offset", "label"}` in the newer; the error says what a span of that shape needs.
fn doccano_span(s: &Value, older: bool) -> Result<(usize, usize, &str), &'static str> {
    let parts = if older {
        let triple = s.as_array().map(Vec::as_slice).unwrap_or(&[]);
        (
            as_usize(triple.first()),
            as_usize(triple.get(1)),
            triple.get(2).and_then(Value::as_str),
        )
    } else {
        (
            as_usize(s.get("start_offset")),
            as_usize(s.get("end_offset")),
            s.get("label").and_then(Value::as_str),
        )
    };
    match parts {
        (Some(start), Some(end), Some(tag)) => Ok((start, end, tag)),
        _ if older => Err("a doccano label is [start, end, \"tag\"]"),
        _ => Err("needs \"start_offset\", \"end_offset\" and \"label\""),
    }
}
