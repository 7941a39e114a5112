//! Workspace-wide operations on the tag set that touch every layer: how many spans use each tag
//! (`marginalia tags`) and renaming or merging a tag in `tags.ron` and in every layer file,
//! the curated one included (`marginalia tags rename`), or a relation type in `tags.ron` and in
//! every layer's relations (`marginalia tags rename --relation`). A renamed tag is renamed in
//! the relation types' lists of the tags their ends may have too.
//!
//! A rename reads every file it would change before writing any: when one cannot be read or
//! parsed, or is read-only, nothing is written. It then records itself in
//! `annotations/.tag-rename-in-progress.ron`, writes the layer files, each atomically, then
//! `tags.ron`, and removes the record last. Killed at any point, it leaves a state the same
//! command finishes, and every command and the window say so while the record is there
//! ([`interrupted_rename`]). A tag that is gone from the tag set while spans still use it (a
//! merge brought back spans of the old name) is renamed the same way: `tags rename OLD NEW`
//! finishes it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::model::curated::CuratedLayer;
use crate::model::layer::{Layer, Span};
use crate::model::tags::{Attribute, TagSet};
use crate::store;
use crate::workspace::{CURATED_LAYER, Workspace};

/// Span counts per tag over every layer of a workspace (curated included, orphans not), and
/// relation counts per type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagUsage {
    /// Spans per tag name, including names the tag set does not know.
    pub spans: BTreeMap<String, usize>,
    /// Relations per type name, including names the tag set does not know.
    pub relations: BTreeMap<String, usize>,
    /// Layer files read.
    pub files: usize,
    /// Files that could not be read or parsed, with the reason (their spans are not counted).
    pub unreadable: Vec<(PathBuf, String)>,
}

/// Counts the spans of every tag in every layer file of `ws`.
pub fn usage(ws: &Workspace) -> TagUsage {
    let mut out = TagUsage::default();
    for s in ws.skipped_layer_folders() {
        out.unreadable.push((s.path, s.reason));
    }
    for name in ws.layer_names() {
        let found = ws.layer_files(&name);
        for s in found.skipped {
            out.unreadable.push((s.path, s.reason));
        }
        for (_, path) in found.files {
            // The curated layer reads as a plain layer too (its extra fields are ignored).
            match crate::model::layer::load_layer(&path) {
                Ok(Some((layer, _))) => {
                    out.files += 1;
                    for s in &layer.spans {
                        *out.spans.entry(s.tag.clone()).or_insert(0) += 1;
                    }
                    for r in &layer.relations {
                        *out.relations.entry(r.kind.clone()).or_insert(0) += 1;
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    let reason = reason_only(e.to_string(), &path);
                    out.unreadable.push((path, reason));
                }
            }
        }
    }
    out
}

/// The file under `annotations/` that records a rename while it runs.
pub const RENAME_RECORD: &str = ".tag-rename-in-progress.ron";

/// A rename that started and has not finished (the record in [`RENAME_RECORD`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RenameInProgress {
    pub old: String,
    pub new: String,
    #[serde(default)]
    pub merge: bool,
    /// A relation type is renamed, not a tag.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub relation: bool,
}

impl RenameInProgress {
    /// "a rename of quote → citation was interrupted; run `marginalia tags rename quote
    /// citation` to finish it".
    pub fn message(&self) -> String {
        format!(
            "a rename of {}{} → {} was interrupted; run `marginalia tags rename {}{} {}` to finish it",
            if self.relation { "relation type " } else { "" },
            self.old,
            self.new,
            if self.relation { "--relation " } else { "" },
            shell_word(&self.old),
            shell_word(&self.new)
        )
    }
}

/// `name` as one word of a shell command line: as it is when it is plain, else single-quoted.
fn shell_word(name: &str) -> String {
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':' | '/'));
    if plain {
        name.to_owned()
    } else {
        format!("'{}'", name.replace('\'', "'\\''"))
    }
}

/// Where the rename record of `ws` is.
pub fn rename_record_path(ws: &Workspace) -> PathBuf {
    ws.annotations_dir().join(RENAME_RECORD)
}

/// The rename that was interrupted in `ws`, if its record is there. A record that cannot be
/// read or parsed counts as none (the next rename replaces it).
pub fn interrupted_rename(ws: &Workspace) -> Option<RenameInProgress> {
    let bytes = store::read_regular(&rename_record_path(ws), store::MAX_SETTINGS_BYTES).ok()?;
    let src = std::str::from_utf8(&bytes).ok()?;
    crate::store::ron::ron_options().from_str(src).ok()
}

/// What `tags rename` was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenameRequest {
    pub old: String,
    pub new: String,
    /// Allow `new` to be a tag that exists: `old`'s spans join it, `old` leaves the tag set.
    pub merge: bool,
    /// Work out and report the changes without writing anything.
    pub dry_run: bool,
    /// Rename relation type `old` (in `tags.ron` and every layer's relations), not a tag.
    pub relation: bool,
}

/// Why a rename was refused before anything was written.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum RenameError {
    #[error("there is no tag {0:?} in the tag set")]
    UnknownTag(String),
    #[error("{0:?} is a relation type, not a tag; pass --relation to rename it")]
    IsRelationType(String),
    #[error("there is no relation type {0:?} in the tag set")]
    UnknownRelationType(String),
    #[error(
        "relation type {0:?} exists already; pass --merge to move the relations of {1:?} into it"
    )]
    RelationExists(String, String),
    #[error("tag {0:?} exists already; pass --merge to move the spans of {1:?} into it")]
    Exists(String, String),
    #[error("{0:?} and {1:?} are the same tag")]
    Same(String, String),
    #[error("the renamed tag set is not valid: {0}")]
    InvalidTagSet(String),
    #[error("nothing was written: {} cannot be changed safely", crate::wording::plural(.0.len(), "file"))]
    Unsafe(Vec<(PathBuf, String)>),
    #[error("{}; finish it before starting another", .0.message())]
    Interrupted(RenameInProgress),
    #[error("{path}: cannot record the rename before starting it: {reason}; nothing was written")]
    Record { path: PathBuf, reason: String },
}

/// One layer file the rename changes (or would change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    pub path: PathBuf,
    /// Spans (and orphans) whose tag changes.
    pub spans: usize,
    /// Rejection records of the curated layer whose tag changes.
    pub rejections: usize,
    /// Relations whose type changes (a relation type's rename).
    pub relations: usize,
    /// The write failed with this reason (never set in a dry run).
    pub failed: Option<String>,
}

/// What a rename did (or, in a dry run, would do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenameReport {
    pub files: Vec<FileChange>,
    pub tags_path: PathBuf,
    /// `tags.ron` did not exist: it is written from the defaults.
    pub tags_was_absent: bool,
    /// Attributes of the old tag added to the tag it merged into (absent there before).
    pub attributes_added: Vec<String>,
    /// Attributes both tags declare differently; the merged-into tag's definition is kept.
    pub attributes_differing: Vec<String>,
    /// Relation types whose ends name the renamed tag (their lists are renamed too).
    pub relation_types: Vec<String>,
    /// Writing `tags.ron` failed with this reason.
    pub tags_failed: Option<String>,
    /// A relation type was renamed, not a tag.
    pub relation: bool,
    pub merged: bool,
    pub dry_run: bool,
    /// The old tag was already gone from the tag set: only spans that still used it were
    /// renamed (an interrupted rename, or one a merge half undid).
    pub finishing: bool,
    /// The record of an interrupted rename of the same tags was found; this run finished it.
    pub resumed: bool,
    /// Removing the rename record failed with this reason.
    pub record_failed: Option<String>,
}

impl RenameReport {
    /// Spans renamed over all files.
    pub fn spans(&self) -> usize {
        self.files.iter().map(|f| f.spans).sum()
    }

    /// Relations retyped over all files.
    pub fn relations(&self) -> usize {
        self.files.iter().map(|f| f.relations).sum()
    }

    /// Whether every write succeeded.
    pub fn ok(&self) -> bool {
        self.tags_failed.is_none()
            && self.record_failed.is_none()
            && self.files.iter().all(|f| f.failed.is_none())
    }
}

/// A parsed file waiting to be written, with what it was when read.
enum Pending {
    Layer(PathBuf, Layer, store::Fingerprint),
    Curated(PathBuf, CuratedLayer, store::Fingerprint),
}

/// Gives every span tagged `old` the tag `new`; returns how many changed.
fn retag<'a>(spans: impl Iterator<Item = &'a mut Span>, old: &str, new: &str) -> usize {
    let mut n = 0;
    for s in spans.filter(|s| s.tag == old) {
        s.tag = new.to_owned();
        n += 1;
    }
    n
}

/// The tag set after the rename, with the attributes merged, or why not. `None`: the old name
/// is gone and the new one is there, so only spans (or relations) still using the old name are
/// to rename.
fn renamed_set(set: &TagSet, req: &RenameRequest) -> Result<Option<Renamed>, RenameError> {
    if req.old == req.new {
        return Err(RenameError::Same(req.old.clone(), req.new.clone()));
    }
    if req.relation {
        return renamed_relation_set(set, req);
    }
    let Some(old_tag) = set.get(&req.old).cloned() else {
        if set.contains(&req.new) {
            return Ok(None);
        }
        if set.relation(&req.old).is_some() {
            return Err(RenameError::IsRelationType(req.old.clone()));
        }
        return Err(RenameError::UnknownTag(req.old.clone()));
    };
    let mut next = set.clone();
    let (mut added, mut differing) = (Vec::new(), Vec::new());
    if let Some(into) = next.tags.iter_mut().find(|t| t.name == req.new) {
        if !req.merge {
            return Err(RenameError::Exists(req.new.clone(), req.old.clone()));
        }
        merge_attributes(
            &mut into.attributes,
            &old_tag.attributes,
            &mut added,
            &mut differing,
        );
        next.tags.retain(|t| t.name != req.old);
    } else if let Some(t) = next.tags.iter_mut().find(|t| t.name == req.old) {
        t.name = req.new.clone();
    }
    // The relation types whose ends may have the tag follow it.
    let mut relation_types = Vec::new();
    for r in &mut next.relations {
        let mut changed = false;
        for list in [&mut r.from, &mut r.to] {
            if list.contains(&req.old) {
                let mut seen = std::collections::HashSet::new();
                list.iter_mut()
                    .filter(|t| **t == req.old)
                    .for_each(|t| t.clone_from(&req.new));
                list.retain(|t| seen.insert(t.clone()));
                changed = true;
            }
        }
        if changed {
            relation_types.push(r.name.clone());
        }
    }
    next.check().map_err(RenameError::InvalidTagSet)?;
    Ok(Some(Renamed {
        set: next,
        added,
        differing,
        relation_types,
    }))
}

/// A tag set renamed: the set, the attributes added to and declared differently by the
/// merged-into tag (or relation type), and the relation types whose ends' tags were renamed.
struct Renamed {
    set: TagSet,
    added: Vec<String>,
    differing: Vec<String>,
    relation_types: Vec<String>,
}

/// [`renamed_set`] for a relation type.
fn renamed_relation_set(set: &TagSet, req: &RenameRequest) -> Result<Option<Renamed>, RenameError> {
    let Some(old) = set.relation(&req.old).cloned() else {
        if set.relation(&req.new).is_some() {
            return Ok(None);
        }
        return Err(RenameError::UnknownRelationType(req.old.clone()));
    };
    let mut next = set.clone();
    let (mut added, mut differing) = (Vec::new(), Vec::new());
    if let Some(into) = next.relations.iter_mut().find(|r| r.name == req.new) {
        if !req.merge {
            return Err(RenameError::RelationExists(
                req.new.clone(),
                req.old.clone(),
            ));
        }
        merge_attributes(
            &mut into.attributes,
            &old.attributes,
            &mut added,
            &mut differing,
        );
        next.relations.retain(|r| r.name != req.old);
    } else if let Some(r) = next.relations.iter_mut().find(|r| r.name == req.old) {
        r.name = req.new.clone();
    }
    next.check().map_err(RenameError::InvalidTagSet)?;
    Ok(Some(Renamed {
        set: next,
        added,
        differing,
        relation_types: Vec::new(),
    }))
}

fn merge_attributes(
    into: &mut Vec<Attribute>,
    from: &[Attribute],
    added: &mut Vec<String>,
    differing: &mut Vec<String>,
) {
    for a in from {
        match into.iter().find(|k| k.name == a.name) {
            None => {
                into.push(a.clone());
                added.push(a.name.clone());
            }
            Some(kept) if kept.kind != a.kind => differing.push(a.name.clone()),
            Some(_) => {}
        }
    }
}

/// Renames (or merges) tag `req.old` into `req.new` in `tags.ron` and every layer file.
///
/// # Errors
/// A [`RenameError`] when the request is refused; nothing is written then. Write failures
/// after the checks are in the report ([`RenameReport::ok`]).
pub fn rename(ws: &Workspace, req: &RenameRequest) -> Result<RenameReport, RenameError> {
    let tags_path = ws.tags_path();
    let tags_was_absent = std::fs::symlink_metadata(&tags_path).is_err();
    let record = interrupted_rename(ws);
    let mut req = req.clone();
    let resumed = match &record {
        Some(r) if r.old == req.old && r.new == req.new && r.relation == req.relation => {
            // The interrupted run was a merge: finishing it needs no --merge.
            req.merge |= r.merge;
            true
        }
        Some(r) => return Err(RenameError::Interrupted(r.clone())),
        None => false,
    };
    let req = &req;
    let renamed = renamed_set(ws.tags(), req)?;
    let finishing = renamed.is_none();
    let (next_set, attributes_added, attributes_differing, relation_types) = match renamed {
        Some(r) => (Some(r.set), r.added, r.differing, r.relation_types),
        None => (None, Vec::new(), Vec::new(), Vec::new()),
    };

    // Read and change everything in memory first; refuse if any file is in the way.
    let mut unsafe_files = Vec::new();
    for s in ws.skipped_layer_folders() {
        unsafe_files.push((s.path, s.reason));
    }
    let mut pending = Vec::new();
    let mut files = Vec::new();
    for name in ws.layer_names() {
        let found = ws.layer_files(&name);
        for s in found.skipped {
            unsafe_files.push((s.path, s.reason));
        }
        for (_, path) in found.files {
            let (change, item) = if name == CURATED_LAYER {
                match crate::model::curated::load_curated(&path) {
                    // Its accepted relations, and its rejections of relations (the type is
                    // their tag).
                    Ok(Some((mut c, fp))) if req.relation => {
                        let mut relations = 0;
                        for r in (c.relations.iter_mut()).filter(|r| r.relation.kind == req.old) {
                            r.relation.kind.clone_from(&req.new);
                            relations += 1;
                        }
                        let mut rejections = 0;
                        for r in c.rejected.iter_mut().filter(|r| r.tag == req.old) {
                            r.tag.clone_from(&req.new);
                            rejections += 1;
                        }
                        (
                            (0, rejections, relations),
                            Pending::Curated(path.clone(), c, fp),
                        )
                    }
                    Ok(Some((mut c, fp))) => {
                        let mut spans = 0;
                        for s in c
                            .spans
                            .iter_mut()
                            .chain(c.orphans.iter_mut().map(|o| &mut o.span))
                            .filter(|s| s.span.tag == req.old)
                        {
                            s.span.tag = req.new.clone();
                            spans += 1;
                        }
                        let mut rejections = 0;
                        for r in c.rejected.iter_mut().filter(|r| r.tag == req.old) {
                            r.tag = req.new.clone();
                            rejections += 1;
                        }
                        (
                            (spans, rejections, 0),
                            Pending::Curated(path.clone(), c, fp),
                        )
                    }
                    Ok(None) => continue,
                    Err(e) => {
                        let reason = reason_only(e.to_string(), &path);
                        unsafe_files.push((path, reason));
                        continue;
                    }
                }
            } else {
                match crate::model::layer::load_layer(&path) {
                    Ok(Some((mut l, fp))) if req.relation => {
                        let mut relations = 0;
                        for r in l.relations.iter_mut().filter(|r| r.kind == req.old) {
                            r.kind.clone_from(&req.new);
                            relations += 1;
                        }
                        ((0, 0, relations), Pending::Layer(path.clone(), l, fp))
                    }
                    Ok(Some((mut l, fp))) => {
                        let spans = retag(l.spans.iter_mut(), &req.old, &req.new)
                            + retag(
                                l.orphans.iter_mut().map(|o| &mut o.span),
                                &req.old,
                                &req.new,
                            );
                        ((spans, 0, 0), Pending::Layer(path.clone(), l, fp))
                    }
                    Ok(None) => continue,
                    Err(e) => {
                        let reason = reason_only(e.to_string(), &path);
                        unsafe_files.push((path, reason));
                        continue;
                    }
                }
            };
            if change == (0, 0, 0) {
                continue;
            }
            if let Err(e) = store::refuse_read_only(&path) {
                let reason = reason_only(e.to_string(), &path);
                unsafe_files.push((path, reason));
                continue;
            }
            files.push(FileChange {
                path,
                spans: change.0,
                rejections: change.1,
                relations: change.2,
                failed: None,
            });
            pending.push(item);
        }
    }
    if finishing && files.is_empty() && !resumed && unsafe_files.is_empty() {
        // Nothing uses the old name and no rename of it was interrupted: it is simply unknown.
        return Err(if req.relation {
            RenameError::UnknownRelationType(req.old.clone())
        } else {
            RenameError::UnknownTag(req.old.clone())
        });
    }
    if !finishing
        && !tags_was_absent
        && let Err(e) = store::refuse_read_only(&tags_path)
    {
        let reason = reason_only(e.to_string(), &tags_path);
        unsafe_files.push((tags_path.clone(), reason));
    }
    if !unsafe_files.is_empty() {
        return Err(RenameError::Unsafe(unsafe_files));
    }

    let mut report = RenameReport {
        files,
        tags_path: tags_path.clone(),
        tags_was_absent,
        attributes_added,
        attributes_differing,
        relation_types,
        tags_failed: None,
        relation: req.relation,
        merged: !finishing
            && if req.relation {
                ws.tags().relation(&req.new).is_some()
            } else {
                ws.tags().contains(&req.new)
            },
        dry_run: req.dry_run,
        finishing,
        resumed,
        record_failed: None,
    };
    if req.dry_run {
        return Ok(report);
    }
    // Recorded before the first write, so that a run killed anywhere after this is known to
    // the next command and the window, and finished by the same command.
    let record_path = rename_record_path(ws);
    let record = RenameInProgress {
        old: req.old.clone(),
        new: req.new.clone(),
        merge: req.merge,
        relation: req.relation,
    };
    let ron = crate::store::ron::to_pretty_ron(&record).unwrap_or_default();
    if let Err(e) = store::write_atomic(&record_path, ron.as_bytes()) {
        return Err(RenameError::Record {
            path: record_path,
            reason: reason_only(e.to_string(), &rename_record_path(ws)),
        });
    }
    for (item, change) in pending.into_iter().zip(report.files.iter_mut()) {
        // Each under its save lock, and only if no window saved it since it was read here.
        let (path, seen, ron) = match item {
            Pending::Layer(path, layer, fp) => (path, fp, layer.to_ron()),
            Pending::Curated(path, c, fp) => (path, fp, c.to_ron()),
        };
        let written =
            store::CheckedWrite::lock(&path).write_if_unchanged(Some(&seen), ron.as_bytes());
        if let Err(e) = written {
            change.failed = Some(e.to_string());
        }
    }
    if let Some(next_set) = next_set
        && let Err(e) = next_set.save(&tags_path)
    {
        report.tags_failed = Some(e.to_string());
    }
    // Kept while anything failed: the same command finishes the rename.
    if report.ok()
        && let Err(e) = store::remove_durably(&record_path)
    {
        report.record_failed = Some(e.to_string());
    }
    Ok(report)
}

/// An error message without the `path: ` it starts with (the report names the file).
fn reason_only(msg: String, path: &std::path::Path) -> String {
    match msg.strip_prefix(&format!("{}: ", path.display())) {
        Some(rest) => rest.to_owned(),
        None => msg,
    }
}

/// One attribute as `tags` lists it: `verdict  choice: unverified | true  (default unverified)`.
fn attribute_line(a: &crate::model::tags::Attribute, width: usize) -> String {
    let kind = match &a.kind {
        crate::model::tags::AttrKind::Choice(values) => format!("choice: {}", values.join(" | ")),
        other => other.label().to_owned(),
    };
    let mut notes = Vec::new();
    if a.required {
        notes.push("required".to_owned());
    }
    if let Some(d) = &a.default {
        notes.push(format!("default {d}"));
    }
    let notes = if notes.is_empty() {
        String::new()
    } else {
        format!("  ({})", notes.join(", "))
    };
    format!("    {:width$}  {kind}{notes}", a.name)
}

/// The width in chars of the longest of `names`, for aligning a column.
fn widest<'a>(names: impl Iterator<Item = &'a str>) -> usize {
    names.map(|n| n.chars().count()).max().unwrap_or(0)
}

/// The tag set with each tag's hotkey, colour, span count and attributes, then tags that spans
/// use but the set does not declare, then the relation types (each one's ends, whether it is
/// symmetric, hotkey, relation count, description and attributes) and types that relations use
/// but the set does not declare, then the totals.
pub fn usage_table(set: &TagSet, usage: &TagUsage) -> String {
    use crate::wording::plural;
    let mut out = String::new();
    let name_w = widest(set.tags.iter().map(|t| t.name.as_str()));
    for t in &set.tags {
        let n = usage.spans.get(&t.name).copied().unwrap_or(0);
        let key = if t.hotkey.is_empty() { "-" } else { &t.hotkey };
        out.push_str(&format!(
            "{:name_w$}  key {key}  {}  {}\n",
            t.name,
            t.color,
            plural(n, "span")
        ));
        let w = widest(t.attributes.iter().map(|a| a.name.as_str()));
        for a in &t.attributes {
            out.push_str(&attribute_line(a, w));
            out.push('\n');
        }
    }
    for (name, n) in usage.spans.iter().filter(|(k, _)| !set.contains(k)) {
        out.push_str(&format!(
            "not in the tag set: {name:?}, {}\n",
            plural(*n, "span")
        ));
    }
    out.push_str(&relation_types_table(set, usage));
    out.push_str(&format!(
        "{}; {} in {}\n",
        plural(set.tags.len(), "tag"),
        plural(usage.spans.values().sum::<usize>(), "span"),
        plural(usage.files, "annotation file")
    ));
    out
}

/// The relation types part of [`usage_table`]: nothing when the set declares none and no
/// relation uses one.
///
/// ```text
/// relation types
///   said-by   quote → any  key s  2 relations  A quote, linked to the span that names who said it.
///   same-as   any ↔ any (symmetric)  key m  0 relations  Two mentions of the same person, …
/// ```
fn relation_types_table(set: &TagSet, usage: &TagUsage) -> String {
    use crate::wording::plural;
    let unknown: Vec<(&String, &usize)> = (usage.relations.iter())
        .filter(|(k, _)| set.relation(k).is_none())
        .collect();
    if set.relations.is_empty() && unknown.is_empty() {
        return String::new();
    }
    let tags = |list: &[String]| {
        if list.is_empty() {
            "any".to_owned()
        } else {
            list.join(" | ")
        }
    };
    let ends: Vec<String> = (set.relations.iter())
        .map(|r| {
            let (arrow, note) = if r.symmetric {
                ("↔", " (symmetric)")
            } else {
                ("→", "")
            };
            format!("{} {arrow} {}{note}", tags(&r.from), tags(&r.to))
        })
        .collect();
    let name_w = widest(set.relations.iter().map(|r| r.name.as_str()));
    let ends_w = widest(ends.iter().map(String::as_str));
    let mut out = String::from("relation types\n");
    for (r, ends) in set.relations.iter().zip(&ends) {
        let n = usage.relations.get(&r.name).copied().unwrap_or(0);
        let key = if r.hotkey.is_empty() { "-" } else { &r.hotkey };
        let line = format!(
            "  {:name_w$}  {ends:ends_w$}  key {key}  {}  {}",
            r.name,
            plural(n, "relation"),
            r.description
        );
        out.push_str(line.trim_end());
        out.push('\n');
        let w = widest(r.attributes.iter().map(|a| a.name.as_str()));
        for a in &r.attributes {
            out.push_str(&attribute_line(a, w));
            out.push('\n');
        }
    }
    for (name, n) in unknown {
        out.push_str(&format!(
            "relation type not in the tag set: {name:?}, {}\n",
            plural(*n, "relation")
        ));
    }
    out
}

impl RenameReport {
    /// The report in lines for standard output, and the failures for standard error.
    pub fn lines(&self, old: &str, new: &str) -> (Vec<String>, Vec<String>) {
        use crate::wording::plural;
        let (mut out, mut problems) = (Vec::new(), Vec::new());
        let would = if self.dry_run { "would be " } else { "" };
        // A relation type's rename counts relations where a tag's counts spans.
        let (thing, item, items) = if self.relation {
            ("relation type ", "relation", self.relations())
        } else {
            ("", "span", self.spans())
        };
        if self.resumed {
            out.push(format!(
                "an interrupted rename of {thing}{old} → {new} was found: this run {}finishes it",
                if self.dry_run { "would " } else { "" }
            ));
        }
        for f in &self.files {
            let mut what = plural(f.spans + f.relations, item);
            if f.rejections > 0 {
                what.push_str(&format!(", {}", plural(f.rejections, "rejection")));
            }
            match &f.failed {
                Some(e) => problems.push(format!("{}: not written: {e}", f.path.display())),
                None => out.push(format!("{}: {what} {would}renamed", f.path.display())),
            }
        }
        let thing = if self.relation {
            "relation type"
        } else {
            "tag"
        };
        let action = if self.merged {
            format!("{thing} {old:?} {would}merged into {new:?}")
        } else {
            format!("{thing} {old:?} {would}renamed to {new:?}")
        };
        let absent = if self.tags_was_absent {
            " (tags.ron was absent: the default tag set, renamed)"
        } else {
            ""
        };
        if let Some(e) = &self.record_failed {
            problems.push(format!(
                "the record of this rename could not be removed: {e}; run the same command again"
            ));
        }
        match &self.tags_failed {
            _ if self.finishing => out.push(format!(
                "{}: {thing} {old:?} is no longer in the tag set, {new:?} is: {} still {} {old:?} {would}renamed to {new:?} to finish the rename",
                self.tags_path.display(),
                plural(items, item),
                if self.relation { "of type" } else { "tagged" },
            )),
            Some(e) => problems.push(format!(
                "{}: not written: {e}; run the same command again to finish",
                self.tags_path.display()
            )),
            None => out.push(format!("{}: {action}{absent}", self.tags_path.display())),
        }
        if !self.relation_types.is_empty() {
            out.push(format!(
                "relation types whose ends may be {old:?} {would}changed to {new:?}: {}",
                self.relation_types.join(", ")
            ));
        }
        if !self.attributes_added.is_empty() {
            out.push(format!(
                "attributes of {old:?} {would}added to {new:?}: {}",
                self.attributes_added.join(", ")
            ));
        }
        if !self.attributes_differing.is_empty() {
            out.push(format!(
                "attributes declared differently by both; {new:?}'s definition is kept: {}",
                self.attributes_differing.join(", ")
            ));
        }
        let written = self.files.iter().filter(|f| f.failed.is_none()).count();
        out.push(format!(
            "{}: {} in {}{}",
            if self.merged { "merged" } else { "renamed" },
            plural(items, item),
            plural(written, "layer file"),
            if self.dry_run {
                "; dry run, nothing written"
            } else {
                ""
            }
        ));
        (out, problems)
    }
}
