//! Workspace-wide checks of every annotation file, for `marginalia validate` and the app's
//! document list.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::layer::LayerProblem;
use crate::store;
use crate::text::Text;
use crate::workspace::{CURATED_LAYER, Workspace};

/// One problem in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub file: PathBuf,
    pub message: String,
    /// Stale files are reported but can be fixed by re-anchoring.
    pub stale: bool,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.message)
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
    let mut findings = Vec::new();
    let mut checked = 0;
    let mut texts: BTreeMap<String, Result<Text, String>> = BTreeMap::new();
    let skipped_finding = |s: crate::workspace::Skipped| Finding {
        file: s.path,
        message: format!("skipped: {}", s.reason),
        stale: false,
    };
    findings.extend(ws.skipped_layer_folders().into_iter().map(skipped_finding));
    for layer_name in ws.layer_names() {
        let found = ws.layer_files(&layer_name);
        findings.extend(found.skipped.into_iter().map(skipped_finding));
        for (rel, path) in found.files {
            checked += 1;
            let mut push = |message: String, stale: bool| {
                findings.push(Finding {
                    file: path.clone(),
                    message,
                    stale,
                })
            };
            let layer = match store::load_layer(&path) {
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
            let _ = CURATED_LAYER;
        }
    }
    // A text no layer refers to is still a document: the app lists it in red if it cannot be
    // read, so validate says so too.
    for entry in ws.texts() {
        if texts.contains_key(&entry.rel) {
            continue;
        }
        if let Err(e) = Text::load(&entry.path) {
            findings.push(Finding {
                file: entry.path.clone(),
                message: reason_only(e.to_string(), &entry.path),
                stale: false,
            });
        }
    }
    (findings, checked)
}
