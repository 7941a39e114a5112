//! Counts for `marginalia stats`: spans per tag, per annotator and per document, relations per
//! type, and statuses.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::layer::load_layer;
use crate::wording::plural;
use crate::workspace::Workspace;

/// The workspace's counts.
#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
pub struct Stats {
    pub documents: usize,
    pub layers: usize,
    pub spans: usize,
    pub by_tag: BTreeMap<String, usize>,
    pub relations: usize,
    /// Relations per type name.
    pub by_relation: BTreeMap<String, usize>,
    pub by_annotator: BTreeMap<String, AnnotatorStats>,
    pub by_document: BTreeMap<String, BTreeMap<String, usize>>,
    /// Files that could not be read, and symbolic links that were not followed, with the reason.
    pub unreadable: Vec<String>,
}

/// One annotator's counts.
#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
pub struct AnnotatorStats {
    pub spans: usize,
    pub by_tag: BTreeMap<String, usize>,
    pub relations: usize,
    /// Documents per status (`not started` for texts without a file).
    pub status: BTreeMap<String, usize>,
}

/// Gathers the counts.
pub fn gather(ws: &Workspace) -> Stats {
    gather_with(ws, &|_, _| ())
}

/// [`gather`], telling `progress(layer files read, layer files in all)` after each one.
pub fn gather_with(ws: &Workspace, progress: &dyn Fn(usize, usize)) -> Stats {
    let texts = ws.texts();
    let mut st = Stats {
        documents: texts.len(),
        ..Default::default()
    };
    st.unreadable
        .extend(ws.skipped_layer_folders().iter().map(ToString::to_string));
    let listed = ws.every_layer_files();
    let total = listed.iter().map(|(_, f)| f.files.len()).sum();
    let mut done = 0;
    progress(0, total);
    for (name, found) in listed {
        let mut a = AnnotatorStats::default();
        st.unreadable
            .extend(found.skipped.iter().map(ToString::to_string));
        let mut seen = 0;
        for (rel, path) in found.files {
            done += 1;
            progress(done, total);
            match load_layer(&path) {
                Ok(Some((layer, _))) => {
                    seen += 1;
                    st.layers += 1;
                    *a.status.entry(layer.status.label().to_owned()).or_default() += 1;
                    for s in &layer.spans {
                        st.spans += 1;
                        a.spans += 1;
                        *a.by_tag.entry(s.tag.clone()).or_default() += 1;
                        *st.by_tag.entry(s.tag.clone()).or_default() += 1;
                    }
                    st.relations += layer.relations.len();
                    a.relations += layer.relations.len();
                    for (kind, n) in crate::model::relation::counts_by_type(&layer.relations) {
                        *st.by_relation.entry(kind).or_default() += n;
                    }
                    *st.by_document
                        .entry(rel)
                        .or_default()
                        .entry(name.clone())
                        .or_default() += layer.spans.len();
                }
                Ok(None) => {}
                Err(e) => st.unreadable.push(e.to_string()),
            }
        }
        let missing = texts.len().saturating_sub(seen);
        if missing > 0 {
            *a.status.entry("not started".into()).or_default() += missing;
        }
        st.by_annotator.insert(name, a);
    }
    st
}

impl Stats {
    /// A readable multi-line report.
    pub fn to_table(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{}, {}, {}",
            plural(self.documents, "document"),
            plural(self.layers, "annotation file"),
            plural(self.spans, "span")
        );
        let _ = writeln!(s, "\nSpans per tag");
        for (t, n) in &self.by_tag {
            let _ = writeln!(s, "  {t:<16} {n:>6}");
        }
        // Only where there are relations: a workspace without any reads as it always did.
        if self.relations > 0 {
            let _ = writeln!(
                s,
                "\nRelations per type ({})",
                plural(self.relations, "relation")
            );
            for (t, n) in &self.by_relation {
                let _ = writeln!(s, "  {t:<16} {n:>6}");
            }
        }
        let _ = writeln!(s, "\nPer annotator");
        for (a, st) in &self.by_annotator {
            let tags: Vec<String> = st.by_tag.iter().map(|(t, n)| format!("{t} {n}")).collect();
            let status: Vec<String> = st.status.iter().map(|(t, n)| format!("{t} {n}")).collect();
            let _ = writeln!(
                s,
                "  {a:<16} {:>6} {} ({}); documents: {}",
                st.spans,
                if st.spans == 1 { "span " } else { "spans" },
                tags.join(", "),
                status.join(", ")
            );
        }
        let _ = writeln!(s, "\nPer document");
        for (d, per) in &self.by_document {
            let parts: Vec<String> = per.iter().map(|(a, n)| format!("{a} {n}")).collect();
            let _ = writeln!(s, "  {d}: {}", parts.join(", "));
        }
        for u in &self.unreadable {
            let _ = writeln!(s, "unreadable: {u}");
        }
        s
    }
}
