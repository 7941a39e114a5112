//! Reads a W3C Web Annotation collection as Marginalia writes it (also a bare annotation page,
//! a list of annotations, or one annotation). Each annotation needs a `target.source` naming a
//! workspace text, a `TextPositionSelector` (code points) and a body with `purpose: tagging`
//! (or a single textual body); a `TextQuoteSelector`'s `exact` is checked against the text, a
//! `commenting` body becomes the note and a body with a `name` (a Marginalia extension term)
//! an attribute value. Consecutive annotations of the same text and creator make one document.
//!
//! A span annotation Marginalia wrote (`urn:marginalia:<annotator>:<text>#<id>`) keeps its
//! span id in a new layer, so that relations keep their ends.
//!
//! A relation (`motivation: linking`, as the export writes it) has two targets, its `from` end
//! then its `to` end. The `from` end is found by its `TextPositionSelector` among the spans of
//! the document just before it (the same text and creator: the export writes a document's
//! relations after its spans), and so is a `to` end in the same text; a `to` end in another
//! text is that text's span annotation in the file, by its id (kept, with its range and quote,
//! as a cross-document end). Its type is the tagging body (`related` without one); its
//! note and attribute values are read as a span's. A relation whose
//! end is no single span is refused with why.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde_json::Value;

use super::{ImportError, IncomingRelation, IncomingSpan, Intake};

fn items(v: &Value) -> Vec<&Value> {
    if let Some(list) = v.as_array() {
        return list.iter().collect();
    }
    if let Some(list) = v
        .get("first")
        .and_then(|p| p.get("items"))
        .or_else(|| v.get("items"))
        .and_then(Value::as_array)
    {
        return list.iter().collect();
    }
    if v.get("target").is_some() {
        return vec![v];
    }
    Vec::new()
}

fn as_list(v: Option<&Value>) -> Vec<&Value> {
    match v {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(other) => vec![other],
        None => Vec::new(),
    }
}

/// The annotation's creator's name (`""` when it names none).
fn creator(a: &Value) -> String {
    a.get("creator")
        .map(|c| {
            c.get("name")
                .and_then(Value::as_str)
                .or_else(|| c.as_str())
                .unwrap_or("")
                .to_owned()
        })
        .unwrap_or_default()
}

/// The value of the first body with `purpose`.
fn body_value<'v>(bodies: &[&'v Value], purpose: &str) -> Option<&'v str> {
    bodies
        .iter()
        .find(|b| b.get("purpose").and_then(Value::as_str) == Some(purpose))
        .and_then(|b| b.get("value"))
        .and_then(Value::as_str)
}

/// Attribute values: the bodies with a `name` (a Marginalia extension term).
fn named_values(bodies: &[&Value]) -> BTreeMap<String, String> {
    bodies
        .iter()
        .filter_map(|b| {
            let name = b.get("name").and_then(Value::as_str)?;
            Some((name.to_owned(), b.get("value")?.as_str()?.to_owned()))
        })
        .collect()
}

/// A link's end as its target states it.
struct LinkEnd<'v> {
    source: &'v str,
    start: usize,
    end: usize,
    /// The `TextQuoteSelector`, when there is one.
    quote: Option<&'v Value>,
}

impl<'v> LinkEnd<'v> {
    fn of(t: &'v Value) -> Option<Self> {
        let source = t.get("source").or(Some(t)).and_then(Value::as_str)?;
        let selectors = as_list(t.get("selector"));
        let of = |k: &str| {
            selectors
                .iter()
                .find(|s| s.get("type").and_then(Value::as_str) == Some(k))
                .copied()
        };
        let position = of("TextPositionSelector")?;
        let num = |k: &str| position.get(k).and_then(Value::as_u64).map(|n| n as usize);
        Some(Self {
            source,
            start: num("start")?,
            end: num("end")?,
            quote: of("TextQuoteSelector"),
        })
    }

    /// The quote selector's `exact`, `prefix` or `suffix`.
    fn quote(&self, key: &str) -> Option<&'v str> {
        self.quote?.get(key)?.as_str()
    }
}

/// The span id of a span annotation Marginalia wrote (`urn:marginalia:<annotator>:<text>#<id>`).
fn marginalia_span_id(a: &Value) -> Option<u64> {
    let id = a.get("id")?.as_str()?.strip_prefix("urn:marginalia:")?;
    id.rsplit_once('#')?.1.parse().ok()
}

/// Span ids of the file's span annotations Marginalia wrote, by (text, creator, start, end):
/// where a link's end in another text finds its span's id.
type SpanIds<'v> = HashMap<(&'v str, String, u64, u64), Vec<u64>>;

fn span_ids<'v>(list: &[&'v Value]) -> SpanIds<'v> {
    let mut out: SpanIds<'v> = HashMap::new();
    for a in list {
        let target = a.get("target").filter(|t| t.is_object());
        let Some(id) = target.and_then(|_| marginalia_span_id(a)) else {
            continue;
        };
        let Some(end) = target.and_then(LinkEnd::of) else {
            continue;
        };
        out.entry((end.source, creator(a), end.start as u64, end.end as u64))
            .or_default()
            .push(id);
    }
    out
}

/// A linking annotation becomes a relation of the document being gathered, or the reason it
/// cannot, as a line of the report.
fn link(
    a: &Value,
    origin: &str,
    docs: &mut super::Consecutive,
    ids: &SpanIds<'_>,
) -> Result<(), String> {
    let bodies = as_list(a.get("body"));
    let kind = body_value(&bodies, "tagging").unwrap_or("related");
    let refuse = |why: String| format!("{origin}: {kind} relation: {why}");
    let targets = as_list(a.get("target"));
    let [from, to] = targets.as_slice() else {
        return Err(refuse(format!(
            "a linking annotation needs two targets, its from end and its to end; it has {}",
            targets.len()
        )));
    };
    let (Some(from), Some(to)) = (LinkEnd::of(from), LinkEnd::of(to)) else {
        return Err(refuse(
            "each target needs a source and a TextPositionSelector".into(),
        ));
    };
    let creator = creator(a);
    // An end in another text: that text's span, by the id of its span annotation in the file.
    let elsewhere = if to.source == from.source {
        None
    } else {
        let found = ids.get(&(to.source, creator.clone(), to.start as u64, to.end as u64));
        let span = match found.map(Vec::as_slice) {
            Some([id]) => *id,
            Some([_, _, ..]) => {
                return Err(refuse(format!(
                    "its to end, {}..{} of {}, is the range of several spans, so which one is not known",
                    to.start, to.end, to.source
                )));
            }
            _ => {
                return Err(refuse(format!(
                    "its to end, {}..{} of {}, is not a span annotation of this file by {creator:?}",
                    to.start, to.end, to.source
                )));
            }
        };
        Some(crate::model::relation::End {
            span,
            doc: Some(crate::model::relation::Elsewhere {
                text: to.source.to_owned(),
                start: to.start,
                end: to.end,
                exact: to.quote("exact").unwrap_or("").to_owned(),
                prefix: to.quote("prefix").unwrap_or("").to_owned(),
                suffix: to.quote("suffix").unwrap_or("").to_owned(),
            }),
        })
    };
    let Some(doc) = docs.current(from.source, &creator) else {
        return Err(refuse(format!(
            "it does not follow the spans of {} by {creator:?}, where its from end is",
            from.source
        )));
    };
    let find = |which: &str, e: &LinkEnd<'_>| {
        let mut at = doc
            .spans
            .iter()
            .enumerate()
            .filter(|(_, s)| s.start == e.start && s.end == e.end);
        let (start, end) = (e.start, e.end);
        match (at.next(), at.next()) {
            (Some((i, s)), None) => match (e.quote("exact"), &s.stated) {
                (Some(said), Some(stated)) if said != stated => Err(format!(
                    "its {which} end says {said:?} but the span at {start}..{end} is {stated:?}"
                )),
                _ => Ok(i),
            },
            (None, _) => Err(format!(
                "its {which} end, {start}..{end}, is not a span of the text"
            )),
            (Some(_), Some(_)) => Err(format!(
                "its {which} end, {start}..{end}, is the range of several spans, so which one is not known"
            )),
        }
    };
    let from = find("from", &from).map_err(&refuse)?;
    let to = match elsewhere {
        Some(_) => 0,
        None => find("to", &to).map_err(&refuse)?,
    };
    doc.relations.push(IncomingRelation {
        note: body_value(&bodies, "commenting").unwrap_or("").to_owned(),
        attrs: named_values(&bodies),
        to_elsewhere: elsewhere,
        ..IncomingRelation::new(kind, from, to, origin.to_owned())
    });
    Ok(())
}

pub(crate) fn read(source: &Path, to: Intake<'_>) -> Result<(), ImportError> {
    let Intake(sink, stats, progress) = to;
    let shown = source.display().to_string();
    let src = super::read_source(source)?;
    let root: Value = serde_json::from_str(&src)
        .map_err(|e| ImportError::read(shown.clone(), format!("not JSON: {e}")))?;
    let list = items(&root);
    let total = list.len();
    let ids = span_ids(&list);
    let mut docs = super::Consecutive::default();
    for (i, a) in list.into_iter().enumerate() {
        if !progress(i, total) {
            return Err(ImportError::Cancelled { done: stats.done });
        }
        let origin = format!("{shown}: annotation {}", i + 1);
        if a.get("motivation").and_then(Value::as_str) == Some("linking")
            || a.get("target").is_some_and(Value::is_array)
        {
            if let Err(why) = link(a, &origin, &mut docs, &ids) {
                stats.rejected_relations.push(why);
            }
            continue;
        }
        let target = a.get("target");
        let source_rel = target
            .and_then(|t| t.get("source").or(Some(t)))
            .and_then(Value::as_str);
        let selectors = as_list(target.and_then(|t| t.get("selector")));
        let kind = |s: &&Value, k: &str| s.get("type").and_then(Value::as_str) == Some(k);
        let position = selectors.iter().find(|s| kind(s, "TextPositionSelector"));
        let quote = selectors.iter().find(|s| kind(s, "TextQuoteSelector"));
        let bodies = as_list(a.get("body"));
        let purpose = |p: &str| body_value(&bodies, p);
        let tag = purpose("tagging").or_else(|| match bodies.as_slice() {
            [only] => only.get("value").and_then(Value::as_str),
            _ => None,
        });
        let num = |k: &str| position.and_then(|p| p.get(k)).and_then(Value::as_u64);
        let (Some(rel), Some(start), Some(end), Some(tag)) =
            (source_rel, num("start"), num("end"), tag)
        else {
            stats.rejected.push(format!(
                "{origin}: needs target.source, a TextPositionSelector and a tagging body"
            ));
            continue;
        };
        let creator = creator(a);
        let span = IncomingSpan {
            note: purpose("commenting").unwrap_or("").to_owned(),
            stated: quote
                .and_then(|q| q.get("exact"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            id: marginalia_span_id(a),
            attrs: named_values(&bodies),
            ..IncomingSpan::new(start as usize, end as usize, tag, origin.clone())
        };
        docs.push(rel, creator, span, origin, sink, stats)?;
    }
    docs.finish(sink, stats)?;
    progress(total, total);
    Ok(())
}
