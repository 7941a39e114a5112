//! Reads a W3C Web Annotation collection as Marginalia writes it (also a bare annotation page,
//! a list of annotations, or one annotation). Each annotation needs a `target.source` naming a
//! workspace text, a `TextPositionSelector` (code points) and a body with `purpose: tagging`
//! (or a single textual body); a `TextQuoteSelector`'s `exact` is checked against the text and a
//! `commenting` body becomes the note. Consecutive annotations of the same text and creator
//! make one document. Relations (`motivation: linking`, two targets) are not read: they are
//! counted as annotations Marginalia's W3C import cannot hold (the jsonl import reads them).

use std::path::Path;

use serde_json::Value;

use super::{ImportError, IncomingSpan, Intake};

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

pub(crate) fn read(source: &Path, to: Intake<'_>) -> Result<(), ImportError> {
    let Intake(sink, stats, progress) = to;
    let shown = source.display().to_string();
    let src = super::read_source(source)?;
    let root: Value = serde_json::from_str(&src)
        .map_err(|e| ImportError::read(shown.clone(), format!("not JSON: {e}")))?;
    let list = items(&root);
    let total = list.len();
    let mut docs = super::Consecutive::default();
    let mut unsupported = super::Unsupported::default();
    for (i, a) in list.into_iter().enumerate() {
        if !progress(i, total) {
            return Err(ImportError::Cancelled { done: stats.done });
        }
        let origin = format!("{shown}: annotation {}", i + 1);
        if a.get("motivation").and_then(Value::as_str) == Some("linking")
            || a.get("target").is_some_and(Value::is_array)
        {
            unsupported.relations += 1;
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
        let purpose = |p: &str| {
            bodies
                .iter()
                .find(|b| b.get("purpose").and_then(Value::as_str) == Some(p))
                .and_then(|b| b.get("value"))
                .and_then(Value::as_str)
        };
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
        let creator = a
            .get("creator")
            .map(|c| {
                c.get("name")
                    .and_then(Value::as_str)
                    .or_else(|| c.as_str())
                    .unwrap_or("")
                    .to_owned()
            })
            .unwrap_or_default();
        let span = IncomingSpan {
            note: purpose("commenting").unwrap_or("").to_owned(),
            stated: quote
                .and_then(|q| q.get("exact"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            ..IncomingSpan::new(start as usize, end as usize, tag, origin.clone())
        };
        docs.push(rel, creator, span, origin, sink, stats)?;
    }
    docs.finish(sink, stats)?;
    stats.unsupported.push((shown, unsupported));
    progress(total, total);
    Ok(())
}
