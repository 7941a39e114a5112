//! The suggestions store: model output imported with `import --as-suggestions`, kept per
//! annotator and text beside the layers but never in them, until the annotator accepts or
//! rejects each one in the Suggestions panel.
//!
//! One JSON Lines file per layer and text, `annotations/.suggestions/<layer>/<text path minus
//! .txt>.jsonl` (`.suggestions` can never be a layer's name, so no layer listing, validation,
//! merge or team view reads it): a header line `{"format": "marginalia-suggestions",
//! "version": 1}`, then one suggestion a line ([`StoredSuggestion`]). `docs/FORMAT.md`
//! describes it. Files are written atomically and read bounded; a file that is not valid is
//! refused whole, with one message naming it, never trusted in part.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::assist::suggest::{Source, Suggestion};
use crate::model::layer::Span;
use crate::model::reanchor::{Anchoring, WHOLE_TEXT_BUDGET, anchor_span};
use crate::model::text::Text;
use crate::store::{self, FileProblem, Fingerprint};
use crate::workspace::{Workspace, check_layer_name, safe_rel};

/// The folder under `annotations/` that holds the store: a name no layer may have.
pub const STORE_DIR: &str = ".suggestions";

/// The header's `format`.
pub const FORMAT: &str = "marginalia-suggestions";

/// The header's `version`: the only one this Marginalia reads.
pub const VERSION: u32 = 1;

/// The largest store file read, in bytes (as a layer file).
const MAX_STORE_BYTES: u64 = store::MAX_LAYER_BYTES;

/// A store file's first line.
#[derive(Debug, Serialize, Deserialize)]
struct Header {
    format: String,
    version: u32,
}

/// One stored suggestion. Offsets are chars (Unicode scalar values), half-open, in the text
/// whose sha256 is `text_sha256`; `exact`, `prefix` and `suffix` let it be found again when the
/// text has changed since ([`crate::model::reanchor`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredSuggestion {
    pub start: usize,
    pub end: usize,
    pub tag: String,
    /// The model's confidence in [0, 1]: the file's score, or 1 when it gave none.
    pub score: f64,
    /// Attribute values the file gave (filtered by the tag's schema when read).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attrs: BTreeMap<String, String>,
    /// The name of the file it was imported from: a later import of a file of that name
    /// replaces it.
    pub by: String,
    /// The sha256 of the text the offsets count in (as a layer's `text_sha256`).
    pub text_sha256: String,
    /// The text at `start..end`.
    pub exact: String,
    /// Up to 32 chars before it.
    #[serde(default)]
    pub prefix: String,
    /// Up to 32 chars after it.
    #[serde(default)]
    pub suffix: String,
}

/// Why stored suggestions could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SuggestionStoreError {
    /// The file is not a valid suggestions file: it is ignored.
    #[error("{path}: not a valid suggestions file, so it is ignored: {reason}")]
    Invalid { path: String, reason: String },
    /// The file could not be read.
    #[error(transparent)]
    Read(FileProblem),
    /// The layer name or text path cannot name a store file.
    #[error("{0}")]
    BadRequest(String),
}

/// Where `layer`'s suggestions for text `text_rel` are stored:
/// `annotations/.suggestions/<layer>/<text_rel minus .txt>.jsonl`. `None` for a name that is
/// not a layer's or a path that leaves the workspace.
pub fn store_path(ws: &Workspace, layer: &str, text_rel: &str) -> Option<PathBuf> {
    check_layer_name(layer).ok()?;
    let rel = safe_rel(text_rel)?;
    let mut p = ws.annotations_dir().join(STORE_DIR).join(layer).join(rel);
    p.set_extension("jsonl");
    Some(p)
}

/// The store folder of `layer`, relative to the workspace root, for messages.
pub fn store_folder(layer: &str) -> String {
    format!("{}/{STORE_DIR}/{layer}", crate::workspace::ANNOTATIONS_DIR)
}

/// Reads a store file: its suggestions and fingerprint, or `None` when there is none.
///
/// # Errors
/// [`SuggestionStoreError::Read`] when it cannot be read, [`SuggestionStoreError::Invalid`]
/// when any line of it is not valid (naming the line).
pub fn read_store(
    path: &Path,
) -> Result<Option<(Vec<StoredSuggestion>, Fingerprint)>, SuggestionStoreError> {
    let shown = || path.display().to_string();
    let bytes = match store::read_regular(path, MAX_STORE_BYTES) {
        Ok(b) => b,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => {
            return Err(SuggestionStoreError::Read(FileProblem::unreadable(
                shown(),
                e.reason(),
            )));
        }
    };
    let invalid = |reason: String| SuggestionStoreError::Invalid {
        path: shown(),
        reason,
    };
    let body = std::str::from_utf8(&bytes)
        .map_err(|e| invalid(format!("not UTF-8 at byte {}", e.valid_up_to())))?;
    let list = parse(body).map_err(invalid)?;
    Ok(Some((list, Fingerprint::of(path, &bytes))))
}

/// The suggestions of a store file's text, each checked; the first problem, with its line.
fn parse(body: &str) -> Result<Vec<StoredSuggestion>, String> {
    let mut lines = body
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((_, first)) = lines.next() else {
        return Err("it is empty (no header line)".into());
    };
    let header: Header = serde_json::from_str(first)
        .map_err(|e| format!("line 1 is not the header {{\"format\", \"version\"}}: {e}"))?;
    if header.format != FORMAT {
        return Err(format!(
            "line 1: format {:?}, expected {FORMAT:?}",
            header.format
        ));
    }
    if header.version != VERSION {
        return Err(format!(
            "line 1: version {} (this Marginalia reads version {VERSION})",
            header.version
        ));
    }
    let mut out = Vec::new();
    for (i, line) in lines {
        let at = |why: String| format!("line {}: {why}", i + 1);
        let s: StoredSuggestion = serde_json::from_str(line).map_err(|e| at(e.to_string()))?;
        check(&s).map_err(at)?;
        out.push(s);
    }
    Ok(out)
}

/// Whether a stored suggestion is whole: a range its `exact` fills, a tag, a score in [0, 1], a
/// source name and a sha256.
fn check(s: &StoredSuggestion) -> Result<(), String> {
    if s.start >= s.end {
        return Err(format!("empty or reversed range {}..{}", s.start, s.end));
    }
    if s.end - s.start != s.exact.chars().count() {
        return Err(format!(
            "{}..{} is {} chars but exact has {}",
            s.start,
            s.end,
            s.end - s.start,
            s.exact.chars().count()
        ));
    }
    if s.tag.trim().is_empty() || s.tag.chars().any(char::is_control) {
        return Err(format!(
            "tag {:?} is empty or has control characters",
            s.tag
        ));
    }
    if !(0.0..=1.0).contains(&s.score) {
        return Err(format!("score {} is outside [0, 1]", s.score));
    }
    if s.by.trim().is_empty() {
        return Err("\"by\" (the file it came from) is empty".into());
    }
    let hex = |c: char| c.is_ascii_digit() || ('a'..='f').contains(&c);
    if s.text_sha256.len() != 64 || !s.text_sha256.chars().all(hex) {
        return Err(format!(
            "text_sha256 {:?} is not a sha256 in lowercase hex",
            s.text_sha256
        ));
    }
    Ok(())
}

/// A store file's bytes: the header, then the suggestions sorted by place, tag and source.
pub fn to_jsonl(list: &[StoredSuggestion]) -> String {
    let mut sorted: Vec<&StoredSuggestion> = list.iter().collect();
    sorted.sort_by(|a, b| {
        (a.start, a.end, &a.tag, &a.by)
            .cmp(&(b.start, b.end, &b.tag, &b.by))
            .then(b.score.total_cmp(&a.score))
    });
    let header = Header {
        format: FORMAT.into(),
        version: VERSION,
    };
    let mut out = String::new();
    // Strings and numbers always serialise.
    for line in std::iter::once(serde_json::to_string(&header))
        .chain(sorted.into_iter().map(serde_json::to_string))
        .flatten()
    {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// The suggestions imported for `layer` on text `text_rel`, ready for the Suggestions panel:
/// source [`Source::Imported`], `by` the file they came from, their score, and only the
/// attribute values the tag's schema allows. Suggestions recorded on another version of the
/// text are re-anchored ([`anchor_span`]): kept where their words are still found exactly,
/// left out where they are not (a fuzzy place is not worth a suggestion). Suggestions of tags
/// the tag set no longer has are left out; two of the same range and tag become the one with
/// the higher score. Sorted by start, end and tag. No file is no suggestions.
///
/// # Errors
/// A bad layer name or text path, a store file that cannot be read, or one that is not valid
/// (it is then ignored whole: the caller shows the message, once).
pub fn imported_suggestions(
    ws: &Workspace,
    layer: &str,
    text_rel: &str,
    text: &Text,
) -> Result<Vec<Suggestion>, SuggestionStoreError> {
    let path = store_path(ws, layer, text_rel).ok_or_else(|| {
        SuggestionStoreError::BadRequest(format!(
            "no suggestions store for layer {layer:?} and text {text_rel:?}"
        ))
    })?;
    let Some((stored, _)) = read_store(&path)? else {
        return Ok(Vec::new());
    };
    let mut budget = WHOLE_TEXT_BUDGET;
    let mut best: HashMap<(usize, usize, String), Suggestion> = HashMap::new();
    for s in stored {
        let Some((start, end)) =
            place(&s, text, &mut budget).map_err(|reason| SuggestionStoreError::Invalid {
                path: path.display().to_string(),
                reason,
            })?
        else {
            continue;
        };
        let Some(tag) = ws.tags().get(&s.tag) else {
            continue;
        };
        let attrs = s
            .attrs
            .into_iter()
            .filter(|(k, v)| tag.attribute(k).is_some_and(|a| a.allows(v)))
            .collect();
        let suggestion = Suggestion {
            start,
            end,
            tag: s.tag,
            source: Source::Imported,
            attrs,
            text: text.slice(start, end).to_owned(),
            score: s.score as f32,
            by: Some(s.by),
            explanation: None,
        };
        let key = (start, end, suggestion.tag.clone());
        match best.get(&key) {
            Some(kept) if kept.score >= suggestion.score => {}
            _ => {
                best.insert(key, suggestion);
            }
        }
    }
    let mut out: Vec<Suggestion> = best.into_values().collect();
    out.sort_by(|a, b| (a.start, a.end, &a.tag).cmp(&(b.start, b.end, &b.tag)));
    Ok(out)
}

/// Where a stored suggestion belongs in `text`: its own offsets when it records this very text,
/// else where re-anchoring finds its words exactly (`None` when it does not).
///
/// # Errors
/// It records this very text but its words are not at its offsets: the file was damaged.
fn place(
    s: &StoredSuggestion,
    text: &Text,
    budget: &mut u64,
) -> Result<Option<(usize, usize)>, String> {
    if s.text_sha256 == text.sha256() {
        if s.end > text.char_len() || text.slice(s.start, s.end) != s.exact {
            return Err(format!(
                "{}..{} ({:?}) records this very text, whose words there differ",
                s.start, s.end, s.exact
            ));
        }
        return Ok(Some((s.start, s.end)));
    }
    let span = Span {
        id: 0,
        start: s.start,
        end: s.end,
        tag: s.tag.clone(),
        exact: s.exact.clone(),
        prefix: s.prefix.clone(),
        suffix: s.suffix.clone(),
        note: String::new(),
        attrs: BTreeMap::new(),
        created: String::new(),
        modified: String::new(),
    };
    Ok(match anchor_span(&span, text, s.start, budget) {
        Anchoring::Kept => Some((s.start, s.end)),
        Anchoring::Moved { start, end } => Some((start, end)),
        Anchoring::Fuzzy { .. } | Anchoring::Ambiguous { .. } | Anchoring::Orphan => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &Text, start: usize, end: usize) -> StoredSuggestion {
        let (prefix, suffix) = text.context(start, end, 32);
        StoredSuggestion {
            start,
            end,
            tag: "quote".into(),
            score: 0.5,
            attrs: BTreeMap::new(),
            by: "preds.json".into(),
            text_sha256: text.sha256().to_owned(),
            exact: text.slice(start, end).to_owned(),
            prefix,
            suffix,
        }
    }

    #[test]
    fn a_file_reads_back_as_written_and_a_bad_line_refuses_it_whole() {
        let text = Text::from_string("He said “no” twice.");
        let list = vec![one(&text, 8, 12)];
        let body = to_jsonl(&list);
        assert_eq!(parse(&body).unwrap(), list);
        let bad = body.replace("\"score\":0.5", "\"score\":1.5");
        assert!(parse(&bad).unwrap_err().contains("line 2: score 1.5"));
        assert!(parse("").unwrap_err().contains("empty"));
        let newer = body.replace("\"version\":1", "\"version\":2");
        assert!(parse(&newer).unwrap_err().contains("version 2"));
    }

    #[test]
    fn a_suggestion_on_an_older_text_moves_with_its_words_or_is_left_out() {
        let old = Text::from_string("He said “no” twice.");
        let s = one(&old, 8, 12);
        let new = Text::from_string("Then he said “no” twice.");
        let mut budget = WHOLE_TEXT_BUDGET;
        assert_eq!(place(&s, &new, &mut budget), Ok(Some((13, 17))));
        let gone = Text::from_string("He said nothing.");
        assert_eq!(place(&s, &gone, &mut budget), Ok(None));
        let mut damaged = s.clone();
        damaged.exact = "“on”".into();
        assert!(place(&damaged, &old, &mut budget).is_err());
    }
}
