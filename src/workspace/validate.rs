//! Workspace-wide checks of every annotation file, for `marginalia validate` and the app's
//! document list.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::model::layer::{Layer, LayerProblem, Status, load_layer};
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
