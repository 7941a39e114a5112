//! brat standoff export: a folder holding each text as `<rel>.txt`, its spans as `<rel>.ann`,
//! and `annotation.conf` and `visual.conf` declaring the tags and their colours, so the folder
//! opens in brat as-is. With several layers, each annotator gets a sub-folder.
//!
//! - brat offsets are code points into the `.txt`. The `.txt` is the text exactly as Marginalia
//!   counts it: a leading byte-order mark is not written (Marginalia's offsets exclude it), CRLF
//!   stays two chars.
//! - A span is a `T` line numbered by its span id: `T3<TAB>quote 10 52<TAB>text`. A span that
//!   crosses a line break becomes brat's discontinuous fragments (`10 20;21 52`), one per line,
//!   and its text is the fragments joined by a space, as brat writes it.
//! - A note is `#N<TAB>AnnotatorNotes T3<TAB>note`; brat notes are one line, so a backslash,
//!   line break or tab in a note is written `\\`, `\n`, `\r`, `\t` (counted in the summary;
//!   Marginalia's brat import reads them back).
//! - brat type names are ASCII letters, digits, `_` and `-`; other chars in a tag name become `_`
//!   in the `.ann` and `annotation.conf`, and `visual.conf` keeps the original name as the label.
//! - Choice and flag attributes are brat attributes, declared in `annotation.conf`'s
//!   `[attributes]` (`verdict<TAB>Arg:claim, Value:unverified|true|mostly_true|…`; a flag has no
//!   `Value:`). A choice is `A1<TAB>verdict T3 false`; a set flag is `A2<TAB>checked T3` (a
//!   cleared one is not written). An attribute name that two tags declare differently gets the
//!   brat type of its tag as suffix: `kind-error`, `kind-boilerplate`.
//! - brat names and values are single tokens: in attribute names and values a space is written
//!   `_`, and `_`, `%` and every char other than ASCII letters, digits, `-` and `.` as `%XX`
//!   (UTF-8 bytes): `mostly true` is `mostly_true`. The import reverses it ([`unbrat_token`]).
//! - Text attributes, and values the schema does not allow, are notes named after the attribute:
//!   `#2<TAB>speaker T3<TAB>Olaf Scholz`, escaped like notes. The span's own note keeps brat's
//!   name, `AnnotatorNotes`.
//! - Marginalia's own markers (`marginalia:…` keys) are not exported.
//! - A relation is an `R` line numbered by its id, from its `from` span to its `to` span:
//!   `R7<TAB>said-by Arg1:T3 Arg2:T5`; its note is `#N<TAB>AnnotatorNotes R7<TAB>…` and each
//!   attribute value a note named after the attribute, as a span's text attributes are. A
//!   relation of a symmetric type (`same-as`) without note or attributes is an equivalence
//!   line of its two spans, `*<TAB>same-as T3 T5`, one per relation, so that the import reads
//!   back exactly the pairs written (brat's `*` lines carry no id, note or attribute; one that
//!   has them stays an `R` line). A relation with an end in another document is left out and
//!   counted: brat links annotations of one `.ann`.
//! - `annotation.conf`'s `[relations]` declares every relation type whose ends' tags are
//!   exported: `said-by<TAB>Arg1:quote, Arg2:<ENTITY>` (`<ENTITY>`: any tag), and a symmetric
//!   type with `<REL-TYPE>:symmetric-transitive`, as brat declares equivalences; `visual.conf`
//!   gives each its label and colour.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::{DocWriter, ExportDoc, ExportError, ExportSummary};
use crate::model::layer::Span;
use crate::model::range::CharRange;
use crate::model::relation::Relation;
use crate::model::tags::{AttrKind, FLAG_TRUE, TagSet};
use crate::model::text::Text;
use crate::store::{self, FileProblem};
use crate::workspace::{Workspace, safe_rel};

/// A tag name as a brat type name.
pub fn brat_type(tag: &str) -> String {
    tag.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// An attribute name or value as one brat token: a space becomes `_`; `_`, `%` and every char
/// other than ASCII letters, digits, `-` and `.` become `%XX` per UTF-8 byte.
pub fn brat_token(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
            out.push(c);
        } else if c == ' ' {
            out.push('_');
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// Reads back what [`brat_token`] wrote: `_` is a space, `%XX` a byte. A `%` not followed by two
/// hex digits, or bytes that are not UTF-8, stay as written.
pub fn unbrat_token(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            (b'_', _) => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_owned())
}

/// How the exported tags' choice and flag attributes are named in brat: the attribute's own
/// name when every tag that declares it declares it alike, else `<name>-<brat type of tag>`.
#[derive(Debug, Clone, Default)]
pub struct BratAttributes {
    /// (tag, attribute) → brat attribute name.
    names: BTreeMap<(String, String), String>,
    /// brat attribute name → (tags, `Value:` alternatives; empty for a flag), in schema order.
    declared: Vec<(String, Vec<String>, Vec<String>)>,
}

impl BratAttributes {
    /// The brat attributes of `tags` (only those in `only`, when given).
    pub fn of(tags: &TagSet, only: &[String]) -> Self {
        let shown: Vec<&crate::model::tags::Tag> = tags
            .tags
            .iter()
            .filter(|t| only.is_empty() || only.contains(&t.name))
            .collect();
        let mut out = Self::default();
        let mut seen: Vec<&str> = Vec::new();
        for t in &shown {
            for a in &t.attributes {
                if matches!(a.kind, AttrKind::Text) || seen.contains(&a.name.as_str()) {
                    continue;
                }
                seen.push(&a.name);
                let users: Vec<(&str, &AttrKind)> = shown
                    .iter()
                    .filter_map(|t| Some((t.name.as_str(), &t.attribute(&a.name)?.kind)))
                    .collect();
                let alike = users.iter().all(|(_, k)| **k == a.kind);
                let values = |k: &AttrKind| -> Vec<String> {
                    match k {
                        AttrKind::Choice(v) => v.iter().map(|v| brat_token(v)).collect(),
                        _ => Vec::new(),
                    }
                };
                if alike {
                    let name = brat_token(&a.name);
                    let args = users.iter().map(|(t, _)| (*t).to_owned()).collect();
                    for (t, _) in &users {
                        out.names
                            .insert(((*t).to_owned(), a.name.clone()), name.clone());
                    }
                    out.declared.push((name, args, values(&a.kind)));
                } else {
                    for (t, k) in users.iter().filter(|(_, k)| !matches!(k, AttrKind::Text)) {
                        let name = format!("{}-{}", brat_token(&a.name), brat_type(t));
                        out.names
                            .insert(((*t).to_owned(), a.name.clone()), name.clone());
                        out.declared.push((name, vec![(*t).to_owned()], values(k)));
                    }
                }
            }
        }
        out
    }

    /// The `[attributes]` lines of `annotation.conf`.
    fn conf_lines(&self) -> String {
        let mut out = String::new();
        for (name, args, values) in &self.declared {
            let args: Vec<String> = args.iter().map(|a| brat_type(a)).collect();
            let _ = write!(out, "{name}\tArg:{}", args.join("|"));
            if !values.is_empty() {
                let _ = write!(out, ", Value:{}", values.join("|"));
            }
            out.push('\n');
        }
        out
    }

    /// The `A` lines and attribute notes of one span, numbering from the counters given.
    fn span_lines(
        &self,
        s: &Span,
        tags: &TagSet,
        a_no: &mut usize,
        note_no: &mut usize,
        summary: &mut ExportSummary,
    ) -> String {
        let mut out = String::new();
        let tag = tags.get(&s.tag);
        let mut note = |out: &mut String, name: &str, value: &str| {
            *note_no += 1;
            let flat = escape_note(value);
            if flat != value {
                summary.brat.notes_escaped += 1;
            }
            let _ = writeln!(out, "#{note_no}\t{} T{}\t{flat}", brat_token(name), s.id);
        };
        let order: Vec<(&str, &str)> = match tag {
            Some(t) => t
                .attributes
                .iter()
                .filter_map(|a| Some((a.name.as_str(), s.attrs.get(&a.name)?.as_str())))
                .chain(super::user_attrs(s).filter(|(k, _)| t.attribute(k).is_none()))
                .collect(),
            None => super::user_attrs(s).collect(),
        };
        for (k, v) in order {
            let decl = tag.and_then(|t| t.attribute(k));
            let brat_name = self.names.get(&(s.tag.clone(), k.to_owned()));
            match (decl.map(|a| &a.kind), brat_name) {
                (Some(AttrKind::Flag), Some(name)) if v == FLAG_TRUE => {
                    *a_no += 1;
                    let _ = writeln!(out, "A{a_no}\t{name} T{}", s.id);
                }
                (Some(AttrKind::Flag), Some(_)) if v == crate::model::tags::FLAG_FALSE => {}
                (Some(AttrKind::Choice(values)), Some(name)) if values.iter().any(|x| x == v) => {
                    *a_no += 1;
                    let _ = writeln!(out, "A{a_no}\t{name} T{} {}", s.id, brat_token(v));
                }
                _ if v.is_empty() => {}
                _ => note(&mut out, k, v),
            }
        }
        out
    }
}

/// The char ranges of a span split at line breaks (`\r`, `\n`): brat's fragments. Empty pieces
/// are left out.
pub fn fragments(text: &Text, start: usize, end: usize) -> Vec<CharRange> {
    let mut out = Vec::new();
    let mut frag_start = start;
    for (i, c) in text.slice(start, end).chars().enumerate() {
        let at = start + i;
        if c == '\n' || c == '\r' {
            if frag_start < at {
                out.push(CharRange::new(frag_start, at));
            }
            frag_start = at + 1;
        }
    }
    if frag_start < end {
        out.push(CharRange::new(frag_start, end));
    }
    out
}

/// The `.ann` file for one document: its spans, then its relations.
pub fn ann_file(
    doc: &ExportDoc<'_>,
    tags: &TagSet,
    attrs: &BratAttributes,
    summary: &mut ExportSummary,
) -> String {
    let text = doc.text;
    let mut out = String::new();
    let mut note_no = 0usize;
    let mut a_no = 0usize;
    let mut written = std::collections::HashSet::new();
    for s in &doc.spans {
        let frags = fragments(text, s.start, s.end);
        if frags.is_empty() {
            summary.skipped_spans.push(format!(
                "span {} ({}) covers only line breaks and cannot be a brat annotation",
                s.id, s.tag
            ));
            continue;
        }
        if frags.len() > 1 {
            summary.brat.discontinuous += 1;
        }
        written.insert(s.id);
        let offsets: Vec<String> = (frags.iter())
            .map(|f| format!("{} {}", f.start, f.end))
            .collect();
        let shown: Vec<&str> = frags.iter().map(|f| text.slice(f.start, f.end)).collect();
        let _ = writeln!(
            out,
            "T{}\t{} {}\t{}",
            s.id,
            brat_type(&s.tag),
            offsets.join(";"),
            shown.join(" ")
        );
        if !s.note.is_empty() {
            note_no += 1;
            let flat = escape_note(&s.note);
            if flat != s.note {
                summary.brat.notes_escaped += 1;
            }
            let _ = writeln!(out, "#{note_no}\tAnnotatorNotes T{}\t{flat}", s.id);
        }
        out.push_str(&attrs.span_lines(s, tags, &mut a_no, &mut note_no, summary));
    }
    for r in &doc.relations {
        let (Some(from), Some(to)) = (r.from.here_id(), r.to.here_id()) else {
            summary.leave_out_relation(
                doc,
                r,
                "an end is in another document; brat links annotations of one .ann",
            );
            continue;
        };
        if !written.contains(&from) || !written.contains(&to) {
            summary.leave_out_relation(doc, r, "an end is a span brat could not hold (above)");
            continue;
        }
        out.push_str(&relation_lines(r, from, to, tags, &mut note_no, summary));
    }
    out
}

/// The line of relation `r` from span `from` to span `to`, then its note and attribute
/// values as notes on it.
fn relation_lines(
    r: &Relation,
    from: u64,
    to: u64,
    tags: &TagSet,
    note_no: &mut usize,
    summary: &mut ExportSummary,
) -> String {
    let mut out = String::new();
    let kind = brat_type(&r.kind);
    let values: Vec<(&String, &String)> = r
        .attrs
        .iter()
        .filter(|(k, v)| !crate::model::tags::is_reserved(k) && !v.is_empty())
        .collect();
    let symmetric = tags.relation(&r.kind).is_some_and(|k| k.symmetric);
    if symmetric && r.note.is_empty() && values.is_empty() {
        let _ = writeln!(out, "*\t{kind} T{from} T{to}");
        return out;
    }
    let _ = writeln!(out, "R{}\t{kind} Arg1:T{from} Arg2:T{to}", r.id);
    let notes = (!r.note.is_empty())
        .then(|| ("AnnotatorNotes".to_owned(), r.note.as_str()))
        .into_iter()
        .chain(values.iter().map(|(k, v)| (brat_token(k), v.as_str())));
    for (name, value) in notes {
        *note_no += 1;
        let flat = escape_note(value);
        if flat != value {
            summary.brat.notes_escaped += 1;
        }
        let _ = writeln!(out, "#{note_no}\t{name} R{}\t{flat}", r.id);
    }
    out
}

/// A note as one brat line: backslash, line breaks and tabs written as `\\`, `\n`, `\r`, `\t`
/// (the import reads them back).
pub fn escape_note(note: &str) -> String {
    let mut out = String::with_capacity(note.len());
    for c in note.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out
}

/// Reads back what [`escape_note`] wrote; other backslashes stay as they are.
pub fn unescape_note(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            let replacement = match chars.peek() {
                Some('n') => Some('\n'),
                Some('r') => Some('\r'),
                Some('t') => Some('\t'),
                Some('\\') => Some('\\'),
                _ => None,
            };
            if let Some(r) = replacement {
                chars.next();
                out.push(r);
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// `annotation.conf`: the tags as entity types, the relation types whose ends' tags are
/// exported, and the tags' choice and flag attributes; no events.
pub fn annotation_conf(tags: &TagSet, only: &[String]) -> String {
    let mut out =
        String::from("# Written by Marginalia: its tags as brat entity types.\n[entities]\n");
    for t in tags
        .tags
        .iter()
        .filter(|t| only.is_empty() || only.contains(&t.name))
    {
        let _ = writeln!(out, "{}", brat_type(&t.name));
    }
    out.push_str("\n[relations]\n");
    for (r, from, to) in relation_args(tags, only) {
        let _ = write!(out, "{}\tArg1:{from}, Arg2:{to}", brat_type(&r.name));
        if r.symmetric {
            out.push_str(", <REL-TYPE>:symmetric-transitive");
        }
        out.push('\n');
    }
    out.push_str("\n[events]\n\n[attributes]\n");
    out.push_str(&BratAttributes::of(tags, only).conf_lines());
    out
}

/// The relation types an export declares, each with its `Arg1` and `Arg2` entity types (`A|B`,
/// or `<ENTITY>` for any): those whose ends allow an exported tag.
fn relation_args<'t>(
    tags: &'t TagSet,
    only: &[String],
) -> Vec<(&'t crate::model::tags::RelationType, String, String)> {
    let args = |allowed: &[String]| -> Option<String> {
        if allowed.is_empty() {
            return Some("<ENTITY>".into());
        }
        let shown: Vec<String> = (allowed.iter())
            .filter(|t| only.is_empty() || only.contains(t))
            .map(|t| brat_type(t))
            .collect();
        (!shown.is_empty()).then(|| shown.join("|"))
    };
    tags.relations
        .iter()
        .filter_map(|r| Some((r, args(&r.from)?, args(&r.to)?)))
        .collect()
}

/// `visual.conf`: each tag's label and colour, then each relation type's.
pub fn visual_conf(tags: &TagSet, only: &[String]) -> String {
    let shown = |t: &&crate::model::tags::Tag| only.is_empty() || only.contains(&t.name);
    let mut out = String::from("# Written by Marginalia: its tags' names and colours.\n[labels]\n");
    for t in tags.tags.iter().filter(shown) {
        let _ = writeln!(out, "{} | {}", brat_type(&t.name), t.name);
    }
    let relations = relation_args(tags, only);
    for (r, _, _) in &relations {
        let _ = writeln!(out, "{} | {}", brat_type(&r.name), r.name);
    }
    out.push_str("\n[drawing]\n");
    for t in tags.tags.iter().filter(shown) {
        let _ = writeln!(out, "{}\tbgColor:{}", brat_type(&t.name), t.color);
    }
    for (r, _, _) in &relations {
        let arrow = if r.symmetric { ", arrowHead:none" } else { "" };
        let _ = writeln!(out, "{}\tcolor:{}{arrow}", brat_type(&r.name), r.color);
    }
    out
}

/// How many files the brat export writes per batch: few, so that the export still holds
/// about one document in memory at a time, and enough that the fsyncs are shared.
const BATCH_FILES: usize = 64;

pub(crate) struct BratSink {
    dir: PathBuf,
    tags: TagSet,
    attrs: BratAttributes,
    /// With several layers, each annotator's files go in a sub-folder named after them.
    per_annotator: bool,
    /// Files written but not yet committed: their fsyncs are paid once per batch.
    batch: store::AtomicBatch,
}

impl BratSink {
    /// Creates the folder and writes the two conf files.
    pub(crate) fn create(
        dir: &Path,
        ws: &Workspace,
        only: &[String],
        per_annotator: bool,
    ) -> Result<Self, ExportError> {
        let shown = dir.display().to_string();
        if dir.is_file() {
            return Err(ExportError::BadRequest(format!(
                "{shown}: is a file; brat writes a folder"
            )));
        }
        let mut sink = Self {
            dir: dir.to_path_buf(),
            tags: ws.tags().clone(),
            attrs: BratAttributes::of(ws.tags(), only),
            per_annotator,
            batch: store::AtomicBatch::new(),
        };
        sink.write(
            &dir.join("annotation.conf"),
            &annotation_conf(ws.tags(), only),
        )?;
        sink.write(&dir.join("visual.conf"), &visual_conf(ws.tags(), only))?;
        // A folder that cannot be written is said before any document is read.
        sink.commit()?;
        Ok(sink)
    }

    /// Adds a file to the batch, committing it when full; atomic, like every write.
    fn write(&mut self, path: &Path, content: &str) -> Result<(), ExportError> {
        // Writing would follow the link and change whatever it points to (perhaps a workspace
        // text).
        if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(ExportError::Write(FileProblem::unwritable(
                path.display().to_string(),
                "is a symbolic link; export does not write through links",
            )));
        }
        self.batch.add(path, content);
        if self.batch.len() >= BATCH_FILES || self.batch.is_full() {
            self.commit()?;
        }
        Ok(())
    }

    /// Writes the files waiting in the batch; the first that failed is the error.
    pub(crate) fn commit(&mut self) -> Result<(), ExportError> {
        match self.batch.commit().into_iter().find_map(Result::err) {
            Some(e) => Err(super::from_store(e)),
            None => Ok(()),
        }
    }
}

impl BratSink {
    fn doc_paths(&self, doc: &ExportDoc<'_>) -> Option<(PathBuf, PathBuf)> {
        let rel = safe_rel(doc.rel)?;
        let base = if self.per_annotator {
            self.dir.join(doc.annotator).join(rel)
        } else {
            self.dir.join(rel)
        };
        let txt = base.clone();
        let mut ann = base;
        ann.set_extension("ann");
        Some((txt, ann))
    }
}

impl DocWriter for BratSink {
    fn document(
        &mut self,
        doc: &ExportDoc<'_>,
        summary: &mut ExportSummary,
    ) -> Result<(), ExportError> {
        let Some((txt, ann)) = self.doc_paths(doc) else {
            summary
                .skipped_documents
                .push(format!("{}: not a relative path", doc.rel));
            return Ok(());
        };
        self.write(&txt, doc.text.as_str())?;
        let ann_text = ann_file(doc, &self.tags, &self.attrs, summary);
        self.write(&ann, &ann_text)
    }

    fn finish(&mut self, _: &mut ExportSummary) -> Result<(), ExportError> {
        self.commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::layer::make_span;

    #[test]
    fn spans_crossing_line_breaks_become_fragments() {
        let text = Text::from_string("ab\r\ncd\nef");
        assert_eq!(
            fragments(&text, 0, 9),
            [(0, 2), (4, 6), (7, 9)].map(CharRange::from)
        );
        let s = make_span(&text, 3, 1, 8, "quote", "t");
        let mut sum = ExportSummary::default();
        let tags = TagSet::default();
        let doc = ExportDoc {
            rel: "a.txt",
            text: &text,
            annotator: "a",
            status: crate::model::layer::Status::Done,
            spans: vec![&s],
            source: None,
            relations: Vec::new(),
        };
        assert_eq!(
            ann_file(&doc, &tags, &BratAttributes::of(&tags, &[]), &mut sum),
            "T3\tquote 1 2;4 6;7 8\tb cd e\n"
        );
        assert_eq!(sum.brat.discontinuous, 1);
    }

    #[test]
    fn notes_escape_and_unescape() {
        for note in ["plain", "two\nlines", "tab\there", "C:\\dir\\n", "\r\n\\"] {
            let e = escape_note(note);
            assert!(!e.contains(['\n', '\r', '\t']));
            assert_eq!(unescape_note(&e), note);
        }
        assert_eq!(unescape_note("a\\qb"), "a\\qb");
    }
}
