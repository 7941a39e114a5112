//! Workspace-wide checks of every annotation file, for `marginalia validate` and the app's
//! document list: spans against their text and the tag set, and relations' ends, in the same
//! layer or in another document's.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use crate::model::layer::{Layer, LayerProblem, Status, load_layer};
use crate::model::relation::{End, RelationProblem};
use crate::model::tags::{AttrIssue, TagSet};
use crate::model::text::Text;
use crate::workspace::{CURATED_LAYER, Workspace};

/// One problem in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub file: PathBuf,
    pub message: String,
    /// Stale files are reported but can be fixed by re-anchoring.
    pub stale: bool,
    /// A warning is reported but does not make the workspace invalid (an attribute the tag's
    /// schema does not declare).
    pub warning: bool,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = if self.warning { "warning: " } else { "" };
        write!(f, "{}: {kind}{}", self.file.display(), self.message)
    }
}

/// Whether a document's status means its annotator called it finished: only then must its
/// spans carry every required attribute value.
fn is_finished(status: Status) -> bool {
    matches!(status, Status::Done | Status::Reviewed)
}

/// Each span's attribute values against its tag's schema: an unknown choice or a bad flag is an
/// error; a missing required value is an error on finished documents only; a key the schema
/// does not declare is a warning. Spans with unknown tags are reported elsewhere.
fn attr_findings(layer: &Layer, tags: &TagSet, mut push: impl FnMut(String, bool)) {
    let finished = is_finished(layer.status);
    for s in &layer.spans {
        let Some(tag) = tags.get(&s.tag) else {
            continue;
        };
        for issue in tag.attr_issues(&s.attrs) {
            let warning = match issue {
                AttrIssue::Undeclared { .. } => true,
                AttrIssue::Missing { .. } if !finished => continue,
                AttrIssue::Missing { .. } | AttrIssue::BadValue { .. } => false,
            };
            push(format!("span {} ({}): {issue}", s.id, s.tag), warning);
        }
    }
}

/// What a cross-document end may name: one annotator's layer of one other text, as its spans'
/// tags by id and its orphans' ids (`None`: no such layer file, or it cannot be read).
type OtherLayer = Option<(HashMap<u64, String>, BTreeSet<u64>)>;

/// The relations' problems of `layer`: those within it ([`Layer::relation_problems`]) and,
/// for each end in another document, whether that text is in the workspace (`texts`) and the
/// same annotator's layer of it has the span, with a tag the relation type allows there.
/// `others` keeps the other layers read, by (annotator, text).
fn relation_findings(
    ws: &Workspace,
    layer: &Layer,
    texts: &BTreeSet<String>,
    others: &mut HashMap<(String, String), OtherLayer>,
) -> Vec<String> {
    let tags = ws.tags();
    let mut out: Vec<String> = (layer.relation_problems(tags).iter())
        .map(ToString::to_string)
        .collect();
    for r in layer.relations.iter().filter(|r| r.crosses_documents()) {
        for (end, which) in [(&r.from, "from"), (&r.to, "to")] {
            let End {
                span,
                doc: Some(doc),
            } = end
            else {
                continue;
            };
            let (id, text) = (r.id, &doc.text);
            if !texts.contains(text) {
                out.push(format!(
                    "relation {id}: its {which} end is in {text:?}, which is not a text of the workspace"
                ));
                continue;
            }
            let key = (layer.annotator.clone(), text.clone());
            let other = others.entry(key).or_insert_with(|| {
                let path = ws.layer_path(&layer.annotator, text)?;
                let (l, _) = load_layer(&path).ok()??;
                let spans = l.spans.into_iter().map(|s| (s.id, s.tag)).collect();
                Some((spans, l.orphans.iter().map(|o| o.span.id).collect()))
            });
            let whose = format!("{}'s layer of {text:?}", layer.annotator);
            match other {
                Some((spans, _)) if spans.contains_key(span) => {
                    let tag = &spans[span];
                    if let Some(kind) = tags.relation(&r.kind)
                        && !kind.allows_end(which == "from", tag)
                    {
                        out.push(
                            RelationProblem::TagNotAllowed {
                                id,
                                end: which,
                                kind: r.kind.clone(),
                                tag: tag.clone(),
                                allowed: kind.allowed(which == "from").to_vec(),
                            }
                            .to_string(),
                        );
                    }
                }
                Some((_, orphans)) if orphans.contains(span) => out.push(format!(
                    "relation {id}: its {which} end, span {span} of {whose}, lost its place when that text changed"
                )),
                _ => out.push(format!(
                    "relation {id}: its {which} end, span {span}, is not in {whose}"
                )),
            }
        }
    }
    out
}

/// An error message without the `path: ` it starts with (the finding names the file).
fn reason_only(msg: String, path: &std::path::Path) -> String {
    let shown = format!("{}: ", path.display());
    match msg.strip_prefix(&shown) {
        Some(rest) => rest.to_owned(),
        None => msg,
    }
}

/// Checks every layer file of every layer in the workspace, and every text that no layer file
/// refers to. Symbolic links under `annotations/` are not followed and are reported as
/// findings, as are texts that cannot be read. Returns the findings (empty when everything is
/// valid) and how many annotation files were checked.
pub fn validate_workspace(ws: &Workspace) -> (Vec<Finding>, usize) {
    validate_workspace_with(ws, &|_, _| ())
}

/// [`validate_workspace`], telling `progress(files checked, files in all)` after each file: the
/// layer files, then the texts.
pub fn validate_workspace_with(
    ws: &Workspace,
    progress: &dyn Fn(usize, usize),
) -> (Vec<Finding>, usize) {
    let mut findings = Vec::new();
    let mut checked = 0;
    let mut texts: BTreeMap<String, Result<Text, String>> = BTreeMap::new();
    let skipped_finding = |s: crate::workspace::Skipped| Finding {
        file: s.path,
        message: format!("skipped: {}", s.reason),
        stale: false,
        warning: false,
    };
    findings.extend(ws.skipped_layer_folders().into_iter().map(skipped_finding));
    let listed = ws.every_layer_files();
    let all_texts = ws.texts();
    let text_names: BTreeSet<String> = all_texts.iter().map(|t| t.rel.clone()).collect();
    let mut others = HashMap::new();
    let total = listed.iter().map(|(_, f)| f.files.len()).sum::<usize>() + all_texts.len();
    let mut done = 0;
    progress(0, total);
    for (layer_name, found) in listed {
        findings.extend(found.skipped.into_iter().map(skipped_finding));
        for (rel, path) in found.files {
            checked += 1;
            done += 1;
            progress(done, total);
            let file = path.clone();
            let mut push_as = |message: String, stale: bool, warning: bool| {
                findings.push(Finding {
                    file: file.clone(),
                    message,
                    stale,
                    warning,
                })
            };
            let mut push = |message: String, stale: bool| push_as(message, stale, false);
            let layer = match load_layer(&path) {
                Ok(Some((layer, _))) => layer,
                Ok(None) => continue,
                Err(e) => {
                    // The error already names the file; keep only its reason here.
                    let msg = e.to_string();
                    let shown = path.display().to_string();
                    let reason = msg
                        .strip_prefix(&format!("{shown}: "))
                        .unwrap_or(&msg)
                        .to_owned();
                    push(reason, false);
                    continue;
                }
            };
            if layer.annotator != layer_name {
                push(
                    LayerProblem::AnnotatorMismatch {
                        in_file: layer.annotator.clone(),
                        folder: layer_name.clone(),
                    }
                    .to_string(),
                    false,
                );
            }
            if layer.text != rel {
                push(
                    LayerProblem::TextPathMismatch {
                        in_file: layer.text.clone(),
                        expected: rel.clone(),
                    }
                    .to_string(),
                    false,
                );
            }
            let text = texts
                .entry(rel.clone())
                .or_insert_with(|| match ws.text_path(&rel) {
                    Some(p) => Text::load(&p).map_err(|e| e.to_string()),
                    None => Err(format!("{rel}: not a path inside the workspace")),
                });
            let text = match text {
                Ok(t) => Some(&*t),
                Err(e) => {
                    push(format!("its text cannot be read: {e}"), false);
                    None
                }
            };
            if let Some(text) = text
                && layer.text_chars != text.char_len()
                && layer.text_sha256 == text.sha256()
            {
                push(
                    format!(
                        "text_chars is {} but the text has {} chars",
                        layer.text_chars,
                        text.char_len()
                    ),
                    false,
                );
            }
            for p in layer.problems(text, ws.tags()) {
                let stale = p.is_stale();
                push(p.to_string(), stale);
            }
            for m in relation_findings(ws, &layer, &text_names, &mut others) {
                push(m, false);
            }
            attr_findings(&layer, ws.tags(), |m, warning| push_as(m, false, warning));
            let _ = CURATED_LAYER;
        }
    }
    // A text no layer refers to is still a document: the app lists it in red if it cannot be
    // read, so validate says so too.
    for entry in all_texts {
        done += 1;
        progress(done, total);
        if texts.contains_key(&entry.rel) {
            continue;
        }
        if let Err(e) = Text::load(&entry.path) {
            findings.push(Finding {
                file: entry.path.clone(),
                message: reason_only(e.to_string(), &entry.path),
                stale: false,
                warning: false,
            });
        }
    }
    (findings, checked)
}
