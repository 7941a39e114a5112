//! Three-way merge of the RON files Marginalia writes, for git's merge driver (`marginalia
//! merge-file`): layers and curated layers by span id, `tags.ron` by tag name, anything else
//! (`workspace.ron`, suggestion rejections) as RON maps and sets.
//!
//! A conflict never yields markers: the result is always a valid file, with one value kept and
//! the other recorded where the window shows it (a line starting with [`CONFLICT_MARK`] in the
//! span's note; a review comment in a curated layer). Which value is kept is decided by content,
//! never by side, so `merge(B, O, T)` and `merge(B, T, O)` are byte for byte the same.
//!
//! The editing sessions merge a file changed outside their window with this same code, by a
//! [`Rule`] whose conflicts go to the version on screen.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value as Json;

use crate::model::curated::{
    CuratedLayer, CuratedRelation, CuratedSpan, Rejection, ReviewComment, SourceRef,
};
use crate::model::layer::{Layer, Orphan, Span, Status};
use crate::model::relation::{End, Relation};
use crate::model::tags::TagSet;

/// How a recorded conflict starts, in a span's note or a review comment.
pub const CONFLICT_MARK: &str = "[merge conflict]";

/// Who a review comment recording a conflict is by.
pub const MERGE_AUTHOR: &str = "marginalia merge";

/// What kind of file is merged, which decides the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `annotations/<annotator>/<rel>.ron`.
    Layer,
    /// `annotations/curated/<rel>.ron`.
    Curated,
    /// `annotations/tags.ron`.
    Tags,
    /// `workspace.ron`, `<layer>.rejected.ron` or any other RON: merged as maps and sets.
    Other,
}

impl FileKind {
    /// The kind a repository path names (`/` separators), if it names one.
    pub fn of_path(path: &str) -> Option<FileKind> {
        let path = path.replace('\\', "/");
        let name = path.rsplit('/').next().unwrap_or(&path);
        if !name.ends_with(".ron") {
            return None;
        }
        if name == crate::workspace::TAGS_FILE {
            return Some(FileKind::Tags);
        }
        if name == "workspace.ron" || name.ends_with(".rejected.ron") {
            return Some(FileKind::Other);
        }
        let parts: Vec<&str> = path.split('/').collect();
        let at = parts
            .iter()
            .position(|p| *p == crate::workspace::ANNOTATIONS_DIR)?;
        match parts.get(at + 1..)? {
            [layer, _, ..] if *layer == crate::workspace::CURATED_LAYER => Some(FileKind::Curated),
            [_, _, ..] => Some(FileKind::Layer),
            _ => None,
        }
    }

    /// The kind a file's content looks like: a layer has `spans` and an `annotator` (`curated`
    /// for the curated layer), a tag set has `tags`; anything else is other RON.
    pub fn of_content(src: &str) -> FileKind {
        let Ok(ron::Value::Map(map)) = crate::store::ron::ron_options().from_str::<ron::Value>(src)
        else {
            return FileKind::Other;
        };
        let get = |k: &str| map.get(&ron::Value::String(k.to_owned()));
        match (get("annotator"), get("text_sha256"), get("tags")) {
            (Some(ron::Value::String(a)), Some(_), _) if a == crate::workspace::CURATED_LAYER => {
                FileKind::Curated
            }
            (Some(_), Some(_), _) => FileKind::Layer,
            (_, _, Some(_)) if map.len() == 1 || (map.len() == 2 && get("relations").is_some()) => {
                FileKind::Tags
            }
            _ => FileKind::Other,
        }
    }
}

/// One input of a merge: what it is called in messages, and its bytes.
#[derive(Debug, Clone)]
pub struct Input {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Why a merge could not be made.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum MergeError {
    #[error("{name}: not a valid {what}: {reason}")]
    Parse {
        name: String,
        what: &'static str,
        reason: String,
    },
    #[error("{name}: {reason}")]
    Invalid { name: String, reason: String },
}

/// Which side wins where both changed one thing differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflicts {
    /// The git driver: the later change, field by field, with the other recorded where the
    /// window shows it. Never the side, so the merge is symmetric.
    Later,
    /// An editing session merging a file changed outside it: the version on screen (ours)
    /// wins, whole, and nothing is recorded in notes; the session tells the user the counts.
    Ours,
}

/// How one merge settles what both sides changed. Both kinds of layer file are merged by one
/// three-way rule ([`merge_layers`], [`merge_curated`]); the git driver and an editing
/// session differ only in this.
#[derive(Debug, Clone, Copy)]
pub struct Rule<'a> {
    pub conflicts: Conflicts,
    /// Ids their new spans may not keep: ids our undo history still refers to. Such a span
    /// is kept under a fresh id.
    pub held: &'a BTreeSet<u64>,
}

const NO_IDS: &BTreeSet<u64> = &BTreeSet::new();

impl Rule<'static> {
    /// The git merge driver's rule.
    pub const DRIVER: Rule<'static> = Rule {
        conflicts: Conflicts::Later,
        held: NO_IDS,
    };
}

impl<'a> Rule<'a> {
    /// An editing session's rule: ours win conflicts; `held` as [`Rule::held`].
    pub fn session(held: &'a BTreeSet<u64>) -> Self {
        Rule {
            conflicts: Conflicts::Ours,
            held,
        }
    }
}

/// Three versions of a layer merged: the result, what conflicted, and how many of their spans
/// took a fresh id.
#[derive(Debug, Clone)]
pub struct Outcome<L> {
    pub merged: L,
    pub conflicts: Vec<String>,
    pub renumbered: usize,
}

/// The merged file and what conflicted (one line each, for the terminal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    pub text: String,
    pub conflicts: Vec<String>,
}

/// Merges `ours` and `theirs` with `base` as their common ancestor (empty bytes: the file did
/// not exist there). `path` is the file's path in the repository, which decides the rules;
/// without one the content does.
///
/// # Errors
/// An input that is not UTF-8 or not the kind of file its path says, naming it.
pub fn merge(
    base: &Input,
    ours: &Input,
    theirs: &Input,
    path: Option<&str>,
) -> Result<Merged, MergeError> {
    merge_with_schema(base, ours, theirs, path, None)
}

/// As [`merge`], and the merged spans' attribute values are checked against `tags` (the
/// workspace's tag set, as `validate` checks them): a value the merge gave a span that its
/// merged tag does not allow is replaced by an allowed value one edit gave it, or dropped, and
/// either way recorded as a conflict in the span's note.
///
/// # Errors
/// As [`merge`].
pub fn merge_with_schema(
    base: &Input,
    ours: &Input,
    theirs: &Input,
    path: Option<&str>,
    tags: Option<&TagSet>,
) -> Result<Merged, MergeError> {
    let kind = match path.and_then(FileKind::of_path) {
        Some(k) => k,
        None => FileKind::of_content(utf8(ours, "RON file")?),
    };
    let target = path.and_then(LayerTarget::of_path);
    match kind {
        FileKind::Layer => merge_layer_files::<Layer>(base, ours, theirs, target.as_ref(), tags),
        FileKind::Curated => {
            merge_layer_files::<CuratedLayer>(base, ours, theirs, target.as_ref(), tags)
        }
        FileKind::Tags => merge_tag_files(base, ours, theirs),
        FileKind::Other => merge_other_files(base, ours, theirs),
    }
}

/// Whose layer of which text a layer file's path says it is: `annotations/<annotator>/<text
/// path with .ron for its extension>`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LayerTarget {
    annotator: String,
    /// The text's path with its extension replaced by `ron`, as the file is named.
    file: String,
}

impl LayerTarget {
    fn of_path(path: &str) -> Option<Self> {
        let path = path.replace('\\', "/");
        let parts: Vec<&str> = path.split('/').collect();
        let at = parts
            .iter()
            .position(|p| *p == crate::workspace::ANNOTATIONS_DIR)?;
        let annotator = parts.get(at + 1)?;
        let rest = parts.get(at + 2..)?;
        if rest.is_empty() {
            return None;
        }
        Some(Self {
            annotator: (*annotator).to_owned(),
            file: rest.join("/"),
        })
    }

    /// The file name a layer of text `text` has.
    fn file_of(text: &str) -> String {
        std::path::Path::new(&text.replace('\\', "/"))
            .with_extension("ron")
            .to_string_lossy()
            .replace('\\', "/")
    }
}

/// A layer file's header as the checks need it: format, annotator, text.
type Header<'a> = (u32, &'a str, &'a str);

/// Refuses an input that is not the layer the merge is about: an unknown format, another
/// annotator's layer or another text's (by the path when there is one, else by OURS).
fn check_header(
    input: &Input,
    (format, annotator, text): Header<'_>,
    target: &LayerTarget,
) -> Result<(), MergeError> {
    let invalid = |reason: String| MergeError::Invalid {
        name: input.name.clone(),
        reason,
    };
    if format != crate::model::layer::FORMAT_VERSION {
        return Err(invalid(format!(
            "unknown format version {format} (this build merges version {}); not merged",
            crate::model::layer::FORMAT_VERSION
        )));
    }
    if annotator != target.annotator {
        return Err(invalid(format!(
            "this is {annotator:?}'s layer, not {:?}'s; not merged",
            target.annotator
        )));
    }
    if LayerTarget::file_of(text) != target.file {
        return Err(invalid(format!(
            "this is the layer of text {text:?}, which would be named {}, not {}; not merged",
            LayerTarget::file_of(text),
            target.file
        )));
    }
    Ok(())
}

/// Checks the three inputs' headers: against the path's target, or without a path against
/// OURS (so THEIRS and BASE must be the same annotator's layer of the same text).
fn check_headers(
    (base, ours, theirs): (&Input, &Input, &Input),
    headers: (Option<Header<'_>>, Header<'_>, Header<'_>),
    target: Option<&LayerTarget>,
) -> Result<(), MergeError> {
    let (bh, oh, th) = headers;
    let own;
    let target = match target {
        Some(t) => t,
        None => {
            own = LayerTarget {
                annotator: oh.1.to_owned(),
                file: LayerTarget::file_of(oh.2),
            };
            &own
        }
    };
    check_header(ours, oh, target)?;
    check_header(theirs, th, target)?;
    if let Some(bh) = bh {
        check_header(base, bh, target)?;
    }
    Ok(())
}

fn utf8<'a>(input: &'a Input, what: &'static str) -> Result<&'a str, MergeError> {
    std::str::from_utf8(&input.bytes).map_err(|e| MergeError::Parse {
        name: input.name.clone(),
        what,
        reason: format!("not UTF-8 at byte {}", e.valid_up_to()),
    })
}

/// Parses an input; `None` for an empty base (a file both sides added).
fn parse<T>(
    input: &Input,
    what: &'static str,
    may_be_empty: bool,
    read: impl Fn(&str) -> Result<T, String>,
) -> Result<Option<T>, MergeError> {
    let src = utf8(input, what)?;
    if may_be_empty && src.trim().is_empty() {
        return Ok(None);
    }
    read(src).map(Some).map_err(|reason| MergeError::Parse {
        name: input.name.clone(),
        what,
        reason,
    })
}

fn parse_three<T>(
    base: &Input,
    ours: &Input,
    theirs: &Input,
    what: &'static str,
    read: impl Fn(&str) -> Result<T, String> + Copy,
) -> Result<(Option<T>, T, T), MergeError> {
    let b = parse(base, what, true, read)?;
    let missing = |i: &Input| MergeError::Parse {
        name: i.name.clone(),
        what,
        reason: "the file is empty".into(),
    };
    let o = parse(ours, what, false, read)?.ok_or_else(|| missing(ours))?;
    let t = parse(theirs, what, false, read)?.ok_or_else(|| missing(theirs))?;
    Ok((b, o, t))
}

// ---------------------------------------------------------------------------------------------
// The three-way rules, shared by every kind of file.

/// Which version of one thing (a span, a field, a tag) a three-way merge takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// Nobody changed it, or both made the same change, or only ours did.
    Ours,
    /// Only theirs changed it.
    Theirs,
    /// Both changed it differently.
    Conflict,
}

/// The three-way rule for one value: a side that left it as it was in `base` takes the other
/// side's version. This is the rule the app applies when another window changed a file
/// ([`crate::session::document::Document`]'s merge), where ours then win on conflicts.
pub fn pick<T: PartialEq>(base: Option<&T>, ours: Option<&T>, theirs: Option<&T>) -> Pick {
    if ours == theirs || theirs == base {
        Pick::Ours
    } else if ours == base {
        Pick::Theirs
    } else {
        Pick::Conflict
    }
}

/// A value as canonical JSON text, to order versions by content.
fn key_of<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn to_json<T: Serialize>(v: &T) -> Json {
    serde_json::to_value(v).unwrap_or(Json::Null)
}

/// Something merged field by field ([`merge_fields`]): a span, a curated span or a relation.
/// A conflict is recorded in its note; of two versions the later modified wins.
trait Versioned: Serialize + DeserializeOwned + Clone + PartialEq {
    fn note_mut(&mut self) -> &mut String;
    fn modified(&self) -> &str;
}

impl<T: Item> Versioned for T {
    fn note_mut(&mut self) -> &mut String {
        &mut self.span_mut().note
    }
    fn modified(&self) -> &str {
        &self.span().modified
    }
}

impl Versioned for Relation {
    fn note_mut(&mut self) -> &mut String {
        &mut self.note
    }
    fn modified(&self) -> &str {
        &self.modified
    }
}

/// Something merged by id: a layer's span or a curated span, each a [`Span`] at heart.
trait Item: Serialize + DeserializeOwned + Clone + PartialEq {
    fn span(&self) -> &Span;
    fn span_mut(&mut self) -> &mut Span;

    fn id(&self) -> u64 {
        self.span().id
    }
    fn set_id(&mut self, id: u64) {
        self.span_mut().id = id;
    }
    /// Range and tag: two new items with one id and the same place are one item.
    fn place(&self) -> (usize, usize, &str) {
        let s = self.span();
        (s.start, s.end, &s.tag)
    }
    fn tag(&self) -> &str {
        &self.span().tag
    }
    fn attrs(&self) -> &BTreeMap<String, String> {
        &self.span().attrs
    }
    fn attrs_mut(&mut self) -> &mut BTreeMap<String, String> {
        &mut self.span_mut().attrs
    }
}

impl Item for Span {
    fn span(&self) -> &Span {
        self
    }
    fn span_mut(&mut self) -> &mut Span {
        self
    }
}

impl Item for CuratedSpan {
    fn span(&self) -> &Span {
        &self.span
    }
    fn span_mut(&mut self) -> &mut Span {
        &mut self.span
    }
}

/// Fields that change together: a span's range and the text it covers.
const GROUPS: &[&[&str]] = &[
    &["start", "end", "exact", "prefix", "suffix"],
    &["accepted_by", "accepted_at"],
];

/// Which of two conflicting versions is kept: the one modified later, then the greater by
/// content. Never the side.
fn first_wins<T: Versioned>(a: &T, b: &T) -> bool {
    match a.modified().cmp(b.modified()) {
        Ordering::Equal => key_of(a) >= key_of(b),
        o => o == Ordering::Greater,
    }
}

/// Puts a conflict line at the top of a note, once: the span list shows a note's start.
fn record(note: &mut String, line: &str) {
    let mut line = format!("{CONFLICT_MARK} {line}");
    if note.lines().any(|l| l == line) {
        return;
    }
    if !note.is_empty() {
        line.push('\n');
    }
    note.insert_str(0, &line);
}

fn shown(v: &Json) -> String {
    match v {
        Json::String(s) => format!("{s:?}"),
        Json::Null => "nothing".into(),
        other => other.to_string(),
    }
}

/// Merges two versions of one item field by field. `base` is `None` when both sides created
/// it. Returns the merged item and the lines recorded in its note.
fn merge_fields<T: Versioned>(base: Option<&T>, ours: &T, theirs: &T) -> (T, Vec<String>) {
    let (winner, loser) = if first_wins(ours, theirs) {
        (ours, theirs)
    } else {
        (theirs, ours)
    };
    let (Json::Object(w), Json::Object(l)) = (to_json(winner), to_json(loser)) else {
        return (winner.clone(), Vec::new());
    };
    let b = base.map(to_json).and_then(|b| match b {
        Json::Object(m) => Some(m),
        _ => None,
    });
    let mut out = w.clone();
    let mut lines = Vec::new();
    let mut done: BTreeSet<&str> = BTreeSet::from(["id", "note", "created", "modified"]);
    // A field (or group of fields) takes the side that changed it; both changed it: the
    // winner's, and the loser's is recorded.
    let mut fields: Vec<Vec<&str>> = GROUPS.iter().map(|g| g.to_vec()).collect();
    fields.extend(
        w.keys()
            .chain(l.keys())
            .map(String::as_str)
            .filter(|k| !GROUPS.iter().any(|g| g.contains(k)))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .map(|k| vec![k]),
    );
    for group in fields {
        if group.iter().all(|k| done.contains(k)) {
            continue;
        }
        let get = |m: &serde_json::Map<String, Json>| -> Vec<Json> {
            group
                .iter()
                .map(|k| m.get(*k).cloned().unwrap_or(Json::Null))
                .collect()
        };
        let (wv, lv) = (get(&w), get(&l));
        let bv = b.as_ref().map(get);
        if group == ["attrs"] {
            let (merged, attr_lines) = merge_attrs(bv.as_ref().map(|v| &v[0]), &wv[0], &lv[0]);
            out.insert("attrs".into(), merged);
            lines.extend(attr_lines);
            continue;
        }
        match pick(bv.as_ref(), Some(&wv), Some(&lv)) {
            Pick::Ours => {}
            Pick::Theirs => {
                for (k, v) in group.iter().zip(lv) {
                    out.insert((*k).to_owned(), v);
                }
            }
            Pick::Conflict => lines.push(conflict_line(&group, &lv)),
        }
        done.extend(group.iter().copied());
    }
    // Created: the earlier; modified: the later.
    let stamp = |m: &serde_json::Map<String, Json>, k: &str| {
        m.get(k).and_then(Json::as_str).unwrap_or("").to_owned()
    };
    let created = [stamp(&w, "created"), stamp(&l, "created")]
        .into_iter()
        .filter(|s| !s.is_empty())
        .min()
        .unwrap_or_default();
    out.insert("created".into(), Json::String(created));
    let modified = stamp(&w, "modified").max(stamp(&l, "modified"));
    out.insert("modified".into(), Json::String(modified));
    let bn = b
        .as_ref()
        .map(|b| b.get("note").cloned().unwrap_or(Json::Null));
    let (wn, ln) = (
        w.get("note").cloned().unwrap_or(Json::Null),
        l.get("note").cloned().unwrap_or(Json::Null),
    );
    let note_lines = match pick(bn.as_ref(), Some(&wn), Some(&ln)) {
        Pick::Ours => Vec::new(),
        Pick::Theirs => {
            out.insert("note".into(), ln);
            Vec::new()
        }
        Pick::Conflict => vec![format!("the other edit had note {}", shown(&ln))],
    };
    let mut merged: T =
        serde_json::from_value(Json::Object(out)).unwrap_or_else(|_| winner.clone());
    for line in lines.iter().chain(&note_lines) {
        record(merged.note_mut(), line);
    }
    lines.extend(note_lines);
    (merged, lines)
}

fn conflict_line(group: &[&str], lost: &[Json]) -> String {
    if group.first() == Some(&"start") {
        let n = |i: usize| lost.get(i).map(shown).unwrap_or_default();
        return format!("the other edit had {}..{} {}", n(0), n(1), n(2));
    }
    // A relation's end: "the other edit had to span 4" (of another text: its path too).
    if let ([which @ ("from" | "to")], [end]) = (group, lost)
        && let Ok(end) = serde_json::from_value::<End>(end.clone())
    {
        let elsewhere = end
            .doc
            .map(|d| format!(" of {:?}", d.text))
            .unwrap_or_default();
        return format!("the other edit had {which} span {}{elsewhere}", end.span);
    }
    let parts: Vec<String> = group
        .iter()
        .zip(lost)
        .map(|(k, v)| format!("{k} {}", shown(v)))
        .collect();
    format!("the other edit had {}", parts.join(", "))
}

/// Attribute values by key: a key one side changed takes that side's value; both changed it
/// differently: the winner's, the other recorded.
fn merge_attrs(base: Option<&Json>, winner: &Json, loser: &Json) -> (Json, Vec<String>) {
    let empty = serde_json::Map::new();
    let obj = |v: Option<&Json>| match v {
        Some(Json::Object(m)) => m.clone(),
        _ => empty.clone(),
    };
    let (b, w, l) = (obj(base), obj(Some(winner)), obj(Some(loser)));
    let keys: BTreeSet<&String> = b.keys().chain(w.keys()).chain(l.keys()).collect();
    let mut out = serde_json::Map::new();
    let mut lines = Vec::new();
    for k in keys {
        let (bv, wv, lv) = (b.get(k), w.get(k), l.get(k));
        let base_known = base.map(|_| bv);
        let chosen = match pick(base_known.as_ref(), Some(&wv), Some(&lv)) {
            Pick::Ours => wv,
            Pick::Theirs => lv,
            Pick::Conflict => {
                let lost = lv.map(shown).unwrap_or_else(|| "no value".into());
                lines.push(format!("the other edit had {k} = {lost}"));
                wv
            }
        };
        if let Some(v) = chosen {
            out.insert(k.clone(), v.clone());
        }
    }
    (Json::Object(out), lines)
}

/// Which version of a layer something came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Ours,
    Theirs,
}

/// An item that took a fresh id: the side whose item moved, its old id and its new one.
type Moved = (Side, u64, u64);

/// The outcome of merging items by id.
struct ItemsMerged<T> {
    items: Vec<T>,
    next_id: u64,
    conflicts: Vec<String>,
    /// Items that took a fresh id (both sides created one with that id, or theirs took an id
    /// ours holds): the relations of that side follow them.
    renumbered: Vec<Moved>,
}

/// Merges items by id:
/// - an item only one side changed takes that side's version;
/// - an item one side deleted stays deleted, unless the other side changed it: then the
///   change is kept and its note says so;
/// - an item both sides changed is merged field by field; a field both changed differently
///   keeps the later (then greater) version and records the other in the note;
/// - two items both sides created with the same id are both kept: the greater by content
///   gets a fresh id, above every id either side used (`reserved` counts too).
fn merge_items<T: Item>(
    base: &[T],
    ours: &[T],
    theirs: &[T],
    next_ids: [u64; 3],
    reserved: &[u64],
    rule: Rule,
) -> ItemsMerged<T> {
    let index = |v: &[T]| -> BTreeMap<u64, T> { v.iter().map(|s| (s.id(), s.clone())).collect() };
    let (b, o, t) = (index(base), index(ours), index(theirs));
    let ids: BTreeSet<u64> = b.keys().chain(o.keys()).chain(t.keys()).copied().collect();
    let mut next_id = next_ids
        .into_iter()
        .chain(ids.iter().chain(reserved).map(|i| i.saturating_add(1)))
        .max()
        .unwrap_or(1)
        .max(1);
    let mut out = ItemsMerged {
        items: Vec::new(),
        next_id: 0,
        conflicts: Vec::new(),
        renumbered: Vec::new(),
    };
    let ours_win = rule.conflicts == Conflicts::Ours;
    for id in ids {
        match (b.get(&id), o.get(&id), t.get(&id)) {
            (_, None, None) => {}
            (None, Some(x), None) => out.items.push(x.clone()),
            (None, None, Some(x)) => {
                let mut x = x.clone();
                if rule.held.contains(&id) {
                    x.set_id(next_id);
                    out.renumbered.push((Side::Theirs, id, next_id));
                    next_id = next_id.saturating_add(1);
                }
                out.items.push(x);
            }
            // Ours changed it and theirs deleted it, or the reverse: ours win in a session.
            (Some(bs), Some(x), None) if ours_win => {
                if x != bs {
                    out.items.push(x.clone());
                }
            }
            (Some(_), None, Some(_)) if ours_win => {}
            (Some(bs), Some(x), None) | (Some(bs), None, Some(x)) => {
                if x != bs {
                    let mut kept = x.clone();
                    let line = "deleted by one edit and changed by the other; the change is kept";
                    record(kept.note_mut(), line);
                    out.conflicts.push(format!("span {id}: {line}"));
                    out.items.push(kept);
                }
            }
            (Some(bs), Some(os), Some(ts)) => match pick(Some(bs), Some(os), Some(ts)) {
                Pick::Ours => out.items.push(os.clone()),
                Pick::Theirs => out.items.push(ts.clone()),
                Pick::Conflict if ours_win => out.items.push(os.clone()),
                Pick::Conflict => {
                    let (merged, lines) = merge_fields(Some(bs), os, ts);
                    out.conflicts
                        .extend(lines.iter().map(|l| format!("span {id}: {l}")));
                    out.items.push(merged);
                }
            },
            (None, Some(os), Some(ts)) => {
                if os == ts || (ours_win && os.place() == ts.place()) {
                    out.items.push(os.clone());
                    continue;
                }
                if os.place() == ts.place() {
                    let (merged, lines) = merge_fields(None, os, ts);
                    out.conflicts
                        .extend(lines.iter().map(|l| format!("span {id}: {l}")));
                    out.items.push(merged);
                    continue;
                }
                let (keep, mut moved, side) = if ours_win || key_of(os) <= key_of(ts) {
                    (os.clone(), ts.clone(), Side::Theirs)
                } else {
                    (ts.clone(), os.clone(), Side::Ours)
                };
                moved.set_id(next_id);
                out.renumbered.push((side, id, next_id));
                out.conflicts.push(format!(
                    "span {id}: both edits created a span {id}; one is now span {next_id}"
                ));
                next_id = next_id.saturating_add(1);
                out.items.push(keep);
                out.items.push(moved);
            }
        }
    }
    out.next_id = next_id;
    out
}

/// A status both sides changed: the later stage of the work.
fn merge_status(base: Option<Status>, ours: Status, theirs: Status, rule: Conflicts) -> Status {
    match pick(base.as_ref(), Some(&ours), Some(&theirs)) {
        Pick::Ours => ours,
        Pick::Theirs => theirs,
        Pick::Conflict if rule == Conflicts::Ours => ours,
        Pick::Conflict => {
            let rank = |s: Status| match s {
                Status::NotStarted => 0,
                Status::InProgress => 1,
                Status::Done => 2,
                Status::Reviewed => 3,
            };
            if rank(ours) >= rank(theirs) {
                ours
            } else {
                theirs
            }
        }
    }
}

/// A header value (text path and hash, import record): three-way, then ours in a session,
/// else the greater.
fn merge_value<T: Serialize + Clone + PartialEq>(
    base: Option<&T>,
    ours: &T,
    theirs: &T,
    rule: Conflicts,
) -> T {
    match pick(base, Some(ours), Some(theirs)) {
        Pick::Ours => ours.clone(),
        Pick::Theirs => theirs.clone(),
        Pick::Conflict if rule == Conflicts::Ours || key_of(ours) >= key_of(theirs) => ours.clone(),
        Pick::Conflict => theirs.clone(),
    }
}

/// An orphan of a layer or of the curated layer, by its span's id.
trait OrphanId: Serialize + Clone + PartialEq {
    fn span_id(&self) -> u64;
}

impl OrphanId for Orphan {
    fn span_id(&self) -> u64 {
        self.span.id
    }
}

impl OrphanId for crate::model::curated::CuratedOrphan {
    fn span_id(&self) -> u64 {
        self.span.span.id
    }
}

/// Orphans by span id: three-way; both changed one: as [`merge_value`]. One side deleted an
/// orphan the other changed: the change is kept, but in a session ours win.
fn merge_orphans<O: OrphanId>(
    [base, ours, theirs]: [&[O]; 3],
    spans: &[u64],
    rule: Conflicts,
) -> Vec<O> {
    let index =
        |v: &[O]| -> BTreeMap<u64, O> { v.iter().map(|o| (o.span_id(), o.clone())).collect() };
    let (b, o, t) = (index(base), index(ours), index(theirs));
    let ids: BTreeSet<u64> = o.keys().chain(t.keys()).copied().collect();
    ids.into_iter()
        .filter(|id| !spans.contains(id))
        .filter_map(|id| {
            let (bo, oo, to) = (b.get(&id), o.get(&id), t.get(&id));
            match (bo, oo, to) {
                (Some(_), None, Some(_)) if rule == Conflicts::Ours => None,
                (Some(bv), Some(x), None) | (Some(bv), None, Some(x)) => {
                    (x != bv).then(|| x.clone())
                }
                (_, Some(x), Some(y)) => Some(merge_value(bo, x, y, rule)),
                (_, Some(x), None) | (_, None, Some(x)) => Some(x.clone()),
                (_, None, None) => None,
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Layers.

/// A layer file merged by span id: an annotator's layer or the curated layer. Both follow
/// one rule ([`merge_spans`] for the spans, [`merge_orphans`], the header three-way, the
/// status by [`merge_status`]); a kind says where its parts are and merges what only it has.
trait LayerKind: Sized {
    type Item: Item;
    type Orphan: OrphanId;
    /// What the file is called in messages.
    const WHAT: &'static str;
    fn read(src: &str) -> Result<Self, String>;
    fn render(&self) -> String;
    fn spans(&self) -> &[Self::Item];
    fn spans_mut(&mut self) -> &mut [Self::Item];
    fn orphans(&self) -> &[Self::Orphan];
    fn status(&self) -> Status;
    fn next_id(&self) -> u64;
    /// Format, text, its sha256, its length in chars, annotator.
    fn header(&self) -> FileHeader;
    /// Ids a merged span may not take (they are an orphan's).
    fn reserved_ids(&self) -> Vec<u64>;
    /// The three-way merge of this kind.
    fn merge(base: Option<&Self>, ours: &Self, theirs: &Self, rule: Rule) -> Outcome<Self>;
    /// Refuses an input that is not of this kind although it parses as one.
    fn check(&self, _input: &Input) -> Result<(), MergeError> {
        Ok(())
    }
}

/// A layer file's header fields: format, text, text_sha256, text_chars, annotator.
type FileHeader = (u32, String, String, usize, String);

/// What every kind of layer merges alike: the spans by id, the header, the status.
struct LayerMerged<T> {
    spans: ItemsMerged<T>,
    header: FileHeader,
    status: Status,
}

/// Spans (see [`merge_items`] for the rules), header and status of three versions of a layer.
fn merge_spans<L: LayerKind>(
    base: Option<&L>,
    ours: &L,
    theirs: &L,
    rule: Rule,
) -> LayerMerged<L::Item> {
    let reserved: Vec<u64> = [base, Some(ours), Some(theirs)]
        .into_iter()
        .flatten()
        .flat_map(L::reserved_ids)
        .collect();
    LayerMerged {
        spans: merge_items(
            base.map_or(&[][..], L::spans),
            ours.spans(),
            theirs.spans(),
            [base.map_or(0, L::next_id), ours.next_id(), theirs.next_id()],
            &reserved,
            rule,
        ),
        header: merge_value(
            base.map(L::header).as_ref(),
            &ours.header(),
            &theirs.header(),
            rule.conflicts,
        ),
        status: merge_status(
            base.map(L::status),
            ours.status(),
            theirs.status(),
            rule.conflicts,
        ),
    }
}

/// The merged orphans of three versions of a layer, but for those whose span is among `spans`.
fn merge_orphans_of<L: LayerKind>(
    base: Option<&L>,
    ours: &L,
    theirs: &L,
    spans: &[u64],
    rule: Conflicts,
) -> Vec<L::Orphan> {
    merge_orphans(
        [
            base.map_or(&[][..], L::orphans),
            ours.orphans(),
            theirs.orphans(),
        ],
        spans,
        rule,
    )
}

/// The parts of a [`LayerKind`] whose struct has a layer's field names (`spans`, `orphans`,
/// `status`, `next_id` and the header's), read the same way for both kinds.
macro_rules! layer_parts {
    ($item:ty, $orphan:ty, $what:literal) => {
        type Item = $item;
        type Orphan = $orphan;
        const WHAT: &'static str = $what;
        fn render(&self) -> String {
            self.to_ron()
        }
        fn spans(&self) -> &[$item] {
            &self.spans
        }
        fn spans_mut(&mut self) -> &mut [$item] {
            &mut self.spans
        }
        fn orphans(&self) -> &[$orphan] {
            &self.orphans
        }
        fn status(&self) -> Status {
            self.status
        }
        fn next_id(&self) -> u64 {
            self.next_id
        }
        fn header(&self) -> FileHeader {
            let (text, sha) = (self.text.clone(), self.text_sha256.clone());
            (
                self.format,
                text,
                sha,
                self.text_chars,
                self.annotator.clone(),
            )
        }
    };
}

impl LayerKind for Layer {
    layer_parts!(Span, Orphan, "layer file");
    fn read(src: &str) -> Result<Self, String> {
        Layer::from_ron(src).map_err(|e| e.to_string())
    }
    fn reserved_ids(&self) -> Vec<u64> {
        // Relations share the id space: a span that takes a fresh id must not take theirs.
        (self.orphans.iter().map(|o| o.span.id))
            .chain(self.relations.iter().map(|r| r.id))
            .collect()
    }
    fn merge(base: Option<&Self>, ours: &Self, theirs: &Self, rule: Rule) -> Outcome<Self> {
        merge_layers(base, ours, theirs, rule)
    }
    fn check(&self, input: &Input) -> Result<(), MergeError> {
        if self.annotator == crate::workspace::CURATED_LAYER {
            return Err(MergeError::Invalid {
                name: input.name.clone(),
                reason: "a curated layer where an annotator's layer was expected".into(),
            });
        }
        Ok(())
    }
}

/// Merges three versions of a layer by `rule` (see [`merge_items`] for the rules on spans).
pub fn merge_layers(
    base: Option<&Layer>,
    ours: &Layer,
    theirs: &Layer,
    rule: Rule,
) -> Outcome<Layer> {
    let m = merge_spans(base, ours, theirs, rule);
    let span_ids: Vec<u64> = m.spans.items.iter().map(|s| s.id).collect();
    let (format, text, text_sha256, text_chars, annotator) = m.header;
    let mut layer = Layer {
        format,
        text,
        text_sha256,
        text_chars,
        annotator,
        status: m.status,
        next_id: m.spans.next_id,
        orphans: merge_orphans_of(base, ours, theirs, &span_ids, rule.conflicts),
        relations: Vec::new(),
        spans: m.spans.items,
        source: merge_value(
            base.map(|b| &b.source),
            &ours.source,
            &theirs.source,
            rule.conflicts,
        ),
    };
    let mut conflicts = m.spans.conflicts;
    let sides = [ours, theirs];
    merge_relations(
        base,
        sides,
        &m.spans.renumbered,
        rule,
        &mut layer,
        &mut conflicts,
    );
    layer.normalize();
    Outcome {
        merged: layer,
        conflicts,
        renumbered: m.spans.renumbered.len(),
    }
}

/// `r` with each end in its own layer following a span of `side` that took a fresh id.
fn follow(mut r: Relation, side: Side, moved: &[Moved]) -> Relation {
    for end in [&mut r.from, &mut r.to] {
        if let Some((_, _, new)) = moved
            .iter()
            .find(|(s, old, _)| *s == side && end.here_id() == Some(*old))
        {
            end.span = *new;
        }
    }
    r
}

/// Two relations with one id are one relation (merged field by field) when they link the same
/// spans the same way.
fn same_link(a: &Relation, b: &Relation) -> bool {
    (&a.kind, &a.from, &a.to) == (&b.kind, &b.from, &b.to)
}

/// Merges three versions of a layer's relations by id into `merged` (whose spans, orphans and
/// `next_id` are merged already), by the rules of [`merge_items`]:
/// - each side's ends first follow that side's spans that took a fresh id (`moved`);
/// - a relation only one side changed takes that side's version; both changed it: field by
///   field, the conflict recorded in its note ([`merge_fields`]); in a session ours win;
/// - deleted by one side and changed by the other: the change is kept and its note says so
///   (in a session ours win);
/// - two relations both sides created with one id, linking different spans, are both kept: the
///   greater by content (in a session, theirs) takes a fresh id, as does a new relation whose
///   id is a span's or an orphan's of the merged layer (the other side created a span with it);
/// - an end on a span gone from the merged layer (one side deleted it, the other linked it)
///   brings the span back from the side that has it, its note saying why, so no relation
///   points nowhere. In a session a span ours had comes back quietly, and a relation of theirs
///   on a span ours deleted is dropped (ours win), counted among the conflicts.
fn merge_relations(
    base: Option<&Layer>,
    [ours, theirs]: [&Layer; 2],
    moved: &[Moved],
    rule: Rule,
    merged: &mut Layer,
    conflicts: &mut Vec<String>,
) {
    let index = |l: &Layer, side: Option<Side>| -> BTreeMap<u64, Relation> {
        (l.relations.iter())
            .map(|r| match side {
                Some(side) => (r.id, follow(r.clone(), side, moved)),
                None => (r.id, r.clone()),
            })
            .collect()
    };
    let b = base.map(|l| index(l, None)).unwrap_or_default();
    let (o, t) = (
        index(ours, Some(Side::Ours)),
        index(theirs, Some(Side::Theirs)),
    );
    let ids: BTreeSet<u64> = b.keys().chain(o.keys()).chain(t.keys()).copied().collect();
    let ours_win = rule.conflicts == Conflicts::Ours;
    let mut kept: Vec<Relation> = Vec::new();
    // Relations that need a fresh id: their id was taken by the other side's relation.
    let mut fresh: Vec<Relation> = Vec::new();
    let note = |id: u64, lines: Vec<String>, conflicts: &mut Vec<String>| {
        conflicts.extend(lines.into_iter().map(|l| format!("relation {id}: {l}")));
    };
    for id in ids {
        match (b.get(&id), o.get(&id), t.get(&id)) {
            (_, None, None) => {}
            (None, Some(x), None) => kept.push(x.clone()),
            (None, None, Some(x)) if rule.held.contains(&id) => fresh.push(x.clone()),
            (None, None, Some(x)) => kept.push(x.clone()),
            (Some(bs), Some(x), None) if ours_win => {
                if x != bs {
                    kept.push(x.clone());
                }
            }
            (Some(_), None, Some(_)) if ours_win => {}
            (Some(bs), Some(x), None) | (Some(bs), None, Some(x)) => {
                if x != bs {
                    let mut x = x.clone();
                    let line = "deleted by one edit and changed by the other; the change is kept";
                    record(&mut x.note, line);
                    note(id, vec![line.to_owned()], conflicts);
                    kept.push(x);
                }
            }
            (Some(bs), Some(os), Some(ts)) => match pick(Some(bs), Some(os), Some(ts)) {
                Pick::Ours => kept.push(os.clone()),
                Pick::Theirs => kept.push(ts.clone()),
                Pick::Conflict if ours_win => kept.push(os.clone()),
                Pick::Conflict => {
                    let (m, lines) = merge_fields(Some(bs), os, ts);
                    note(id, lines, conflicts);
                    kept.push(m);
                }
            },
            (None, Some(os), Some(ts)) => {
                if os == ts || (ours_win && same_link(os, ts)) {
                    kept.push(os.clone());
                } else if same_link(os, ts) {
                    let (m, lines) = merge_fields(None, os, ts);
                    note(id, lines, conflicts);
                    kept.push(m);
                } else if ours_win || key_of(os) <= key_of(ts) {
                    kept.push(os.clone());
                    fresh.push(ts.clone());
                } else {
                    kept.push(ts.clone());
                    fresh.push(os.clone());
                }
            }
        }
    }
    // A new relation whose id the other side gave a span moves, not the span.
    let taken: BTreeSet<u64> = (merged.spans.iter().map(|s| s.id))
        .chain(merged.orphans.iter().map(|o| o.span.id))
        .collect();
    let (clash, mut kept): (Vec<Relation>, Vec<Relation>) =
        kept.into_iter().partition(|r| taken.contains(&r.id));
    let mut next_id = merged.next_id.max(1);
    for r in (clash.into_iter().map(|r| (r, "a span")))
        .chain(fresh.into_iter().map(|r| (r, "a relation")))
    {
        let (mut r, what) = r;
        let line = format!(
            "the other edit made {what} {} too; this relation is now relation {next_id}",
            r.id
        );
        conflicts.push(format!("relation {}: {line}", r.id));
        r.id = next_id;
        next_id = next_id.saturating_add(1);
        kept.push(r);
    }
    merged.next_id = next_id;
    // Ends in this layer must exist: a span one side deleted and the other linked comes back.
    let have: BTreeSet<u64> = taken;
    let mut back: BTreeMap<u64, Span> = BTreeMap::new();
    let mut dropped: BTreeSet<u64> = BTreeSet::new();
    let sources: &[Option<&Layer>] = if ours_win {
        &[Some(ours)]
    } else {
        &[Some(ours), Some(theirs), base]
    };
    for r in &kept {
        for end in [&r.from, &r.to] {
            let Some(span_id) = end.here_id() else {
                continue;
            };
            if have.contains(&span_id) || back.contains_key(&span_id) {
                continue;
            }
            let found = sources.iter().flatten().find_map(|l| l.span(span_id));
            match found {
                Some(span) if ours_win => {
                    back.insert(span_id, span.clone());
                }
                Some(span) => {
                    let mut span = span.clone();
                    let line = "deleted by one edit and linked by a relation in the other; \
                                the span is kept";
                    record(&mut span.note, line);
                    conflicts.push(format!("span {span_id}: {line}"));
                    back.insert(span_id, span);
                }
                None if ours_win => {
                    conflicts.push(format!(
                        "relation {}: its span {span_id} was deleted here; the relation is dropped",
                        r.id
                    ));
                    dropped.insert(r.id);
                }
                // Not in any version: the relation was broken before; validate says so.
                None => {}
            }
        }
    }
    kept.retain(|r| !dropped.contains(&r.id));
    merged.spans.extend(back.into_values());
    merged.relations = kept;
}

/// Merges three versions of a layer file of kind `L`: parsed, their headers checked against
/// the path's target (or OURS), merged, and the spans' values fitted to `tags`.
fn merge_layer_files<L: LayerKind>(
    base: &Input,
    ours: &Input,
    theirs: &Input,
    target: Option<&LayerTarget>,
    tags: Option<&TagSet>,
) -> Result<Merged, MergeError> {
    let (b, o, t) = parse_three(base, ours, theirs, L::WHAT, L::read)?;
    o.check(ours)?;
    t.check(theirs)?;
    let (bh, oh, th) = (b.as_ref().map(L::header), o.header(), t.header());
    fn short(h: &FileHeader) -> Header<'_> {
        (h.0, h.4.as_str(), h.1.as_str())
    }
    check_headers(
        (base, ours, theirs),
        (bh.as_ref().map(short), short(&oh), short(&th)),
        target,
    )?;
    let Outcome {
        mut merged,
        mut conflicts,
        ..
    } = L::merge(b.as_ref(), &o, &t, Rule::DRIVER);
    if let Some(tags) = tags {
        conflicts.extend(fit_schema(merged.spans_mut(), o.spans(), t.spans(), tags));
    }
    Ok(Merged {
        text: merged.render(),
        conflicts,
    })
}

/// Makes the merged spans' attribute values fit their tags: for a span the merge combined
/// (equal to neither side's version), a value its tag does not allow, or a required value it
/// lacks, takes the greatest allowed value either side gave that span under the same tag;
/// without one, a disallowed value is dropped. Each change is recorded in the span's note and
/// returned as a conflict line. Spans one side already had as they are, and values (or missing
/// values) a side already had under the merged tag, are left alone.
fn fit_schema<T: Item>(merged: &mut [T], ours: &[T], theirs: &[T], tags: &TagSet) -> Vec<String> {
    let by_id = |v: &[T]| -> BTreeMap<u64, T> { v.iter().map(|s| (s.id(), s.clone())).collect() };
    let (o, t) = (by_id(ours), by_id(theirs));
    let mut conflicts = Vec::new();
    for span in merged.iter_mut() {
        let (os, ts) = (o.get(&span.id()), t.get(&span.id()));
        if os == Some(&*span) || ts == Some(&*span) {
            continue;
        }
        let Some(tag) = tags.get(span.tag()) else {
            continue;
        };
        let mut lines = Vec::new();
        for issue in tag.attr_issues(span.attrs()) {
            let (name, bad) = match &issue {
                crate::model::tags::AttrIssue::BadValue { name, value, .. } => (name, Some(value)),
                crate::model::tags::AttrIssue::Missing { name } => (name, None),
                crate::model::tags::AttrIssue::Undeclared { .. } => continue,
            };
            let Some(attr) = tag.attribute(name) else {
                continue;
            };
            // What a side already had under this tag is that side's doing, not the merge's:
            // a bad value it held, or a value it removed, is for validate to report.
            let same_tag = || {
                [os, ts]
                    .into_iter()
                    .flatten()
                    .filter(|s| s.tag() == tag.name)
            };
            if same_tag().any(|s| match bad {
                Some(v) => s.attrs().get(name) == Some(v),
                None => s.attrs().get(name).is_none_or(String::is_empty),
            }) {
                continue;
            }
            let other = [os, ts]
                .into_iter()
                .flatten()
                .filter(|s| s.tag() == tag.name)
                .filter_map(|s| s.attrs().get(name))
                .filter(|v| !v.is_empty() && attr.allows(v))
                .max()
                .cloned();
            let line = match (bad, &other) {
                (Some(v), Some(k)) => format!(
                    "{name} = {v:?} is not a value of tag {:?}; kept the other edit's {k:?}",
                    tag.name
                ),
                (Some(v), None) => format!(
                    "{name} = {v:?} is not a value of tag {:?}; removed",
                    tag.name
                ),
                (None, Some(k)) => format!(
                    "tag {:?} needs a value of {name}; took the other edit's {k:?}",
                    tag.name
                ),
                // A missing value neither edit can supply is for validate to report.
                (None, None) => continue,
            };
            match other {
                Some(k) => {
                    span.attrs_mut().insert(name.clone(), k);
                }
                None => {
                    span.attrs_mut().remove(name);
                }
            }
            lines.push(line);
        }
        for line in &lines {
            record(span.note_mut(), line);
            conflicts.push(format!("span {}: {line}", span.id()));
        }
    }
    conflicts
}

// ---------------------------------------------------------------------------------------------
// Curated layers.

/// Merges three versions of a curated layer: spans as in a layer; rejections by the reviewed
/// span they decide; comments and reviewed layers as sets. The same reviewed span decided on
/// both sides (accepted twice, or accepted and rejected) is a conflict: one decision is kept
/// (an acceptance over a rejection, then the later, then the greater) and the other is recorded
/// as a review comment on the item, which the review window shows. That is `rule`
/// [`Rule::DRIVER`]; with [`Conflicts::Ours`], a reviewed span ours decided anew (an
/// acceptance or rejection the base did not hold) keeps only ours' decision: theirs' new
/// decisions on it are dropped, and nothing is recorded.
pub fn merge_curated(
    base: Option<&CuratedLayer>,
    ours: &CuratedLayer,
    theirs: &CuratedLayer,
    rule: Rule,
) -> Outcome<CuratedLayer> {
    let LayerMerged {
        spans: mut m,
        header,
        status,
    } = merge_spans(base, ours, theirs, rule);
    let mut their_rejected = theirs.rejected.clone();
    if rule.conflicts == Conflicts::Ours {
        let decided_by_ours = decided_anew(base, ours);
        let touches = |refs: &[SourceRef]| refs.iter().any(|r| decided_by_ours.contains(r));
        let ours_by_id: BTreeMap<u64, &CuratedSpan> =
            ours.spans.iter().map(|s| (s.span.id, s)).collect();
        m.items
            .retain(|s| ours_by_id.get(&s.span.id) == Some(&s) || !touches(&s.from));
        their_rejected.retain(|r| !touches(std::slice::from_ref(&r.from)));
    }
    let mut conflicts = m.conflicts;
    let mut comments = merge_sets(
        base.map(|b| b.comments.as_slice()),
        &ours.comments,
        &theirs.comments,
    );
    let mut spans = m.items;
    // Spans new on both sides that accept the same reviewed span: keep one.
    let base_ids: BTreeSet<u64> = base.map_or_else(BTreeSet::new, |b| {
        b.spans.iter().map(|s| s.span.id).collect()
    });
    let mut by_ref: BTreeMap<SourceRef, Vec<usize>> = BTreeMap::new();
    for (i, s) in spans.iter().enumerate() {
        if base_ids.contains(&s.span.id) {
            continue;
        }
        for r in &s.from {
            by_ref.entry(r.clone()).or_default().push(i);
        }
    }
    let mut dropped: BTreeSet<usize> = BTreeSet::new();
    for idx in by_ref.values() {
        let live: Vec<usize> = idx
            .iter()
            .copied()
            .filter(|i| !dropped.contains(i))
            .collect();
        if live.len() < 2 {
            continue;
        }
        let keep = live
            .iter()
            .copied()
            .max_by(|a, b| {
                let (sa, sb) = (&spans[*a], &spans[*b]);
                (sa.accepted_at.as_str(), key_of(sa)).cmp(&(sb.accepted_at.as_str(), key_of(sb)))
            })
            .unwrap_or(live[0]);
        for i in live.into_iter().filter(|i| *i != keep) {
            let s = &spans[i];
            let text = format!(
                "{CONFLICT_MARK} {} also accepted this as {} {}..{} {:?}",
                name_or(&s.accepted_by),
                s.span.tag,
                s.span.start,
                s.span.end,
                s.span.exact
            );
            conflicts.push(format!("curated span {}: {text}", spans[keep].span.id));
            comments.push(ReviewComment {
                start: s.span.start,
                end: s.span.end,
                about: s.from.clone(),
                text,
                by: MERGE_AUTHOR.into(),
                at: s.accepted_at.clone(),
            });
            dropped.insert(i);
        }
    }
    spans = spans
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !dropped.contains(i))
        .map(|(_, s)| s)
        .collect();
    // Rejections by reviewed span: three-way; both decided differently: the later, then greater.
    let index = |v: &[Rejection]| -> BTreeMap<SourceRef, Rejection> {
        v.iter().map(|r| (r.from.clone(), r.clone())).collect()
    };
    let (br, or, tr) = (
        index(base.map_or(&[][..], |b| &b.rejected)),
        index(&ours.rejected),
        index(&their_rejected),
    );
    let refs: BTreeSet<&SourceRef> = or.keys().chain(tr.keys()).collect();
    // A relation one side accepted anew counts as its reviewed relations' acceptance too.
    let base_links = base.map_or(&[][..], |b| b.relations.as_slice());
    let accepted: BTreeSet<SourceRef> = (spans.iter().flat_map(|s| s.from.iter().cloned()))
        .chain(
            (ours.relations.iter().chain(&theirs.relations))
                .filter(|r| !base_links.contains(r))
                .flat_map(|r| r.sources.clone()),
        )
        .collect();
    let mut rejected = Vec::new();
    for r in refs {
        let (b, o, t) = (br.get(r), or.get(r), tr.get(r));
        let kept = match (b, o, t) {
            (Some(bv), Some(x), None) | (Some(bv), None, Some(x)) => (x != bv).then(|| x.clone()),
            (_, Some(x), None) | (_, None, Some(x)) => Some(x.clone()),
            (_, Some(x), Some(y)) => match pick(b, Some(x), Some(y)) {
                Pick::Ours => Some(x.clone()),
                Pick::Theirs => Some(y.clone()),
                Pick::Conflict if rule.conflicts == Conflicts::Ours => Some(x.clone()),
                Pick::Conflict => {
                    let (k, l) = if (x.at.as_str(), key_of(x)) >= (y.at.as_str(), key_of(y)) {
                        (x, y)
                    } else {
                        (y, x)
                    };
                    let text = format!(
                        "{CONFLICT_MARK} {} also rejected this: {}",
                        name_or(&l.by),
                        l.reason
                    );
                    conflicts.push(format!("rejection of {} span {}: {text}", r.layer, r.id));
                    comments.push(comment_on(l, text));
                    Some(k.clone())
                }
            },
            (_, None, None) => None,
        };
        let Some(k) = kept else { continue };
        if accepted.contains(r) && !br.contains_key(r) {
            // Accepted on one side, rejected on the other: the acceptance is kept.
            let text = format!(
                "{CONFLICT_MARK} {} rejected this instead: {}",
                name_or(&k.by),
                k.reason
            );
            conflicts.push(format!("{} span {}: {text}", r.layer, r.id));
            comments.push(comment_on(&k, text));
            continue;
        }
        rejected.push(k);
    }
    let mut comments: Vec<ReviewComment> = {
        let mut seen = BTreeSet::new();
        comments
            .into_iter()
            .filter(|c| seen.insert(key_of(c)))
            .collect()
    };
    comments.sort_by_key(key_of);
    let (format, text, text_sha256, text_chars, annotator) = header;
    let span_ids: Vec<u64> = spans.iter().map(|s| s.span.id).collect();
    let orphans = merge_orphans_of(base, ours, theirs, &span_ids, rule.conflicts);
    let (relations, next_id) = merge_curated_relations(
        base,
        [ours, theirs],
        &m.renumbered,
        rule,
        (&mut spans, &orphans, m.next_id),
        &mut conflicts,
    );
    let merged = CuratedLayer {
        format,
        text,
        text_sha256,
        text_chars,
        annotator,
        status,
        next_id,
        orphans,
        relations,
        spans,
        reviewed: merge_sets(
            base.map(|b| b.reviewed.as_slice()),
            &ours.reviewed,
            &theirs.reviewed,
        ),
        rejected,
        comments,
    };
    Outcome {
        merged,
        conflicts,
        renumbered: m.renumbered.len(),
    }
}

/// Merges three versions of a curated layer's relations by the rules of [`merge_relations`]
/// (by id; ends follow renumbered spans; a span one side removed and the other's relation links
/// comes back with its review record). Each merged relation keeps the review record of the
/// version it came from. Returns the relations and the `next_id` above them.
fn merge_curated_relations(
    base: Option<&CuratedLayer>,
    [ours, theirs]: [&CuratedLayer; 2],
    moved: &[Moved],
    rule: Rule,
    (spans, orphans, next_id): (
        &mut Vec<CuratedSpan>,
        &[crate::model::curated::CuratedOrphan],
        u64,
    ),
    conflicts: &mut Vec<String>,
) -> (Vec<CuratedRelation>, u64) {
    if base.is_none_or(|b| b.relations.is_empty())
        && ours.relations.is_empty()
        && theirs.relations.is_empty()
    {
        return (Vec::new(), next_id);
    }
    let versions: Vec<&CuratedLayer> = [Some(ours), Some(theirs), base]
        .into_iter()
        .flatten()
        .collect();
    let plain = |c: &CuratedLayer| c.to_layer();
    let (bl, ol, tl) = (base.map(plain), plain(ours), plain(theirs));
    let mut merged = ol.clone();
    merged.spans = spans.iter().map(CuratedSpan::to_span).collect();
    merged.orphans = (orphans.iter())
        .map(|o| crate::model::layer::Orphan {
            span: o.span.to_span(),
            old_text_sha256: o.old_text_sha256.clone(),
        })
        .collect();
    merged.relations = Vec::new();
    merged.next_id = next_id;
    let had = spans.len();
    merge_relations(bl.as_ref(), [&ol, &tl], moved, rule, &mut merged, conflicts);
    // Spans brought back for a relation's end: with the review record of a version that has it.
    for span in merged.spans.drain(had..) {
        let record = (versions.iter()).find_map(|c| c.spans.iter().find(|s| s.span.id == span.id));
        let mut s = record
            .cloned()
            .unwrap_or_else(|| CuratedSpan::from_span(span.clone(), Vec::new(), "", "", false));
        s.span = span;
        spans.push(s);
    }
    let relations = (merged.relations.into_iter())
        .map(|r| {
            let all = versions.iter().flat_map(|c| c.relations.iter());
            let record = (all
                .clone()
                .find(|c| c.relation.id == r.id && c.relation.kind == r.kind))
            .or_else(|| {
                all.clone()
                    .find(|c| (&c.relation.kind, &c.relation.created) == (&r.kind, &r.created))
            });
            match record {
                Some(c) => CuratedRelation {
                    relation: r,
                    ..c.clone()
                },
                None => CuratedRelation {
                    relation: r,
                    sources: Vec::new(),
                    accepted_by: String::new(),
                    accepted_at: String::new(),
                },
            }
        })
        .collect();
    (relations, merged.next_id)
}

/// The reviewed spans `ours` decided differently from `base`: its acceptances and rejections
/// the base does not hold as they are.
fn decided_anew(base: Option<&CuratedLayer>, ours: &CuratedLayer) -> BTreeSet<SourceRef> {
    let (base_spans, base_rejected) = base.map_or((&[][..], &[][..]), |b| {
        (b.spans.as_slice(), b.rejected.as_slice())
    });
    let base_spans: BTreeMap<u64, &CuratedSpan> =
        base_spans.iter().map(|s| (s.span.id, s)).collect();
    let base_rejected: BTreeMap<&SourceRef, &Rejection> =
        base_rejected.iter().map(|r| (&r.from, r)).collect();
    let accepted = ours
        .spans
        .iter()
        .filter(|s| base_spans.get(&s.span.id) != Some(s))
        .flat_map(|s| s.from.iter());
    let rejected = ours
        .rejected
        .iter()
        .filter(|r| base_rejected.get(&r.from) != Some(r))
        .map(|r| &r.from);
    accepted.chain(rejected).cloned().collect()
}

fn name_or(who: &str) -> &str {
    if who.is_empty() {
        "another reviewer"
    } else {
        who
    }
}

fn comment_on(r: &Rejection, text: String) -> ReviewComment {
    ReviewComment {
        start: r.start,
        end: r.end,
        about: vec![r.from.clone()],
        text,
        by: MERGE_AUTHOR.into(),
        at: r.at.clone(),
    }
}

/// A three-way merge of sets: what either side added is in, what either side removed is out.
/// Sorted by content.
fn merge_sets<T: Serialize + Clone>(base: Option<&[T]>, ours: &[T], theirs: &[T]) -> Vec<T> {
    let keys =
        |v: &[T]| -> BTreeMap<String, T> { v.iter().map(|x| (key_of(x), x.clone())).collect() };
    let (b, o, t) = (keys(base.unwrap_or(&[])), keys(ours), keys(theirs));
    let mut out: BTreeMap<String, T> = BTreeMap::new();
    for (k, v) in o.iter().chain(t.iter()) {
        let both = o.contains_key(k) && t.contains_key(k);
        if both || !b.contains_key(k) {
            out.insert(k.clone(), v.clone());
        }
    }
    out.into_values().collect()
}

impl LayerKind for CuratedLayer {
    layer_parts!(
        CuratedSpan,
        crate::model::curated::CuratedOrphan,
        "curated layer"
    );
    fn read(src: &str) -> Result<Self, String> {
        CuratedLayer::from_ron(src).map_err(|e| e.to_string())
    }
    fn reserved_ids(&self) -> Vec<u64> {
        // The curated layer's orphans have never held back span ids in a merge.
        Vec::new()
    }
    fn merge(base: Option<&Self>, ours: &Self, theirs: &Self, rule: Rule) -> Outcome<Self> {
        merge_curated(base, ours, theirs, rule)
    }
}

// ---------------------------------------------------------------------------------------------
// Tag sets.

/// Merges three versions of a tag set by tag name: a tag one side added, changed or removed
/// takes that side's version; a tag both changed differently keeps the greater by content.
/// The order is the side's that reordered (the base's if both did), then added tags by name.
/// Two tags that end up with one hotkey: the first keeps it.
pub fn merge_tags(base: Option<&TagSet>, ours: &TagSet, theirs: &TagSet) -> (TagSet, Vec<String>) {
    let mut conflicts = Vec::new();
    let index = |s: &TagSet| -> BTreeMap<String, crate::model::tags::Tag> {
        s.tags.iter().map(|t| (t.name.clone(), t.clone())).collect()
    };
    let empty = TagSet {
        tags: Vec::new(),
        relations: Vec::new(),
    };
    let base_set = base.unwrap_or(&empty);
    let (b, o, t) = (index(base_set), index(ours), index(theirs));
    let names: BTreeSet<&String> = b.keys().chain(o.keys()).chain(t.keys()).collect();
    let mut merged: BTreeMap<String, crate::model::tags::Tag> = BTreeMap::new();
    for name in names {
        let (bt, ot, tt) = (b.get(name), o.get(name), t.get(name));
        let kept = match pick(bt, ot, tt) {
            Pick::Ours => ot,
            Pick::Theirs => tt,
            Pick::Conflict => match (ot, tt) {
                (Some(x), Some(y)) => {
                    conflicts.push(format!(
                        "tag {name:?}: changed differently on both sides; kept one version"
                    ));
                    Some(if key_of(x) >= key_of(y) { x } else { y })
                }
                (Some(x), None) | (None, Some(x)) => {
                    conflicts.push(format!(
                        "tag {name:?}: removed by one edit and changed by the other; the change is kept"
                    ));
                    Some(x)
                }
                (None, None) => None,
            },
        };
        if let Some(tag) = kept {
            merged.insert(name.clone(), tag.clone());
        }
    }
    let seq = |s: &TagSet| -> Vec<String> { s.tags.iter().map(|t| t.name.clone()).collect() };
    let (bq, oq, tq) = (seq(base_set), seq(ours), seq(theirs));
    let skeleton = match pick(Some(&bq), Some(&oq), Some(&tq)) {
        Pick::Ours => oq,
        Pick::Theirs => tq,
        Pick::Conflict => bq,
    };
    let mut tags = Vec::new();
    for name in &skeleton {
        if let Some(tag) = merged.remove(name) {
            tags.push(tag);
        }
    }
    tags.extend(merged.into_values());
    let mut keys = BTreeSet::new();
    for tag in &mut tags {
        if tag.hotkey.is_empty() {
            continue;
        }
        if !keys.insert(tag.hotkey.to_ascii_lowercase()) {
            conflicts.push(format!(
                "tag {:?}: hotkey {:?} was also given to another tag; it now has none",
                tag.name, tag.hotkey
            ));
            tag.hotkey.clear();
        }
    }
    // Relation types merge as one list: the side that changed it wins; both changed it
    // differently, ours is kept and said.
    let relations = match pick(
        Some(&base_set.relations),
        Some(&ours.relations),
        Some(&theirs.relations),
    ) {
        Pick::Theirs => theirs.relations.clone(),
        Pick::Ours => ours.relations.clone(),
        Pick::Conflict => {
            conflicts.push(
                "relation types: changed differently on both sides; this side's list is kept"
                    .to_owned(),
            );
            ours.relations.clone()
        }
    };
    (TagSet { tags, relations }, conflicts)
}

fn merge_tag_files(base: &Input, ours: &Input, theirs: &Input) -> Result<Merged, MergeError> {
    let read = |s: &str| {
        crate::store::ron::ron_options()
            .from_str::<TagSet>(s)
            .map_err(|e| e.to_string())
    };
    let (b, o, t) = parse_three(base, ours, theirs, "tag set", read)?;
    let (set, conflicts) = merge_tags(b.as_ref(), &o, &t);
    set.check().map_err(|reason| MergeError::Invalid {
        name: ours.name.clone(),
        reason: format!("the merged tag set is not valid: {reason}"),
    })?;
    Ok(Merged {
        text: set.to_ron(),
        conflicts,
    })
}

// ---------------------------------------------------------------------------------------------
// Any other RON.
//
// `ron::Value` cannot tell enum variants apart (`Done` and `InProgress` both read as `()`), so
// other files are merged on their text: the top-level struct's fields by name, each value as
// written; a list both sides changed merges as a set of its items' texts.

/// Skips whitespace and comments from `i`.
fn skip_blank(s: &[char], mut i: usize) -> usize {
    loop {
        while i < s.len() && s[i].is_whitespace() {
            i += 1;
        }
        if s.get(i) == Some(&'/') && s.get(i + 1) == Some(&'/') {
            while i < s.len() && s[i] != '\n' {
                i += 1;
            }
        } else if s.get(i) == Some(&'/') && s.get(i + 1) == Some(&'*') {
            i += 2;
            while i + 1 < s.len() && !(s[i] == '*' && s[i + 1] == '/') {
                i += 1;
            }
            i = (i + 2).min(s.len());
        } else {
            return i;
        }
    }
}

/// Where the string or char literal opening at `s[open]` closes (`s.len()` when it does not),
/// stepping over escapes.
fn closing_quote(s: &[char], open: usize) -> usize {
    let mut i = open + 1;
    while i < s.len() && s[i] != s[open] {
        if s[i] == '\\' {
            i += 1;
        }
        i += 1;
    }
    i
}

/// The end of the value starting at `i`: the first `,` or closing bracket at depth 0.
fn value_end(s: &[char], mut i: usize) -> Option<usize> {
    let mut depth = 0usize;
    while i < s.len() {
        match s[i] {
            '"' | '\'' => i = closing_quote(s, i),
            'r' if matches!(s.get(i + 1), Some('#') | Some('"')) => {
                let mut hashes = 0;
                let mut j = i + 1;
                while s.get(j) == Some(&'#') {
                    hashes += 1;
                    j += 1;
                }
                if s.get(j) != Some(&'"') {
                    i += 1;
                    continue;
                }
                j += 1;
                loop {
                    if j >= s.len() {
                        return None;
                    }
                    if s[j] == '"' && (1..=hashes).all(|k| s.get(j + k) == Some(&'#')) {
                        i = j + hashes;
                        break;
                    }
                    j += 1;
                }
            }
            '/' if matches!(s.get(i + 1), Some('/') | Some('*')) => {
                i = skip_blank(s, i);
                continue;
            }
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' if depth == 0 => return Some(i),
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// The items of a bracketed list or the fields of a struct: `(open, close)` around
/// comma-separated parts. Returns each part's text, trimmed.
fn split_parts(s: &[char], open: char) -> Option<Vec<String>> {
    let mut i = skip_blank(s, 0);
    if open == '(' {
        // An optional struct name.
        while i < s.len() && (s[i].is_alphanumeric() || s[i] == '_') {
            i += 1;
        }
        i = skip_blank(s, i);
    }
    if s.get(i) != Some(&open) {
        return None;
    }
    i += 1;
    let mut parts = Vec::new();
    loop {
        i = skip_blank(s, i);
        if matches!(s.get(i), Some(')') | Some(']')) {
            return (skip_blank(s, i + 1) == s.len()).then_some(parts);
        }
        let end = value_end(s, i)?;
        parts.push(s[i..end].iter().collect::<String>().trim().to_owned());
        i = if s.get(end) == Some(&',') {
            end + 1
        } else {
            end
        };
    }
}

/// The top-level fields of a struct file, by name, each value as written.
fn fields_of(src: &str) -> Option<Vec<(String, String)>> {
    let chars: Vec<char> = src.chars().collect();
    split_parts(&chars, '(')?
        .into_iter()
        .map(|p| {
            let (k, v) = p.split_once(':')?;
            let k = k.trim();
            (!k.is_empty() && k.chars().all(|c| c.is_alphanumeric() || c == '_'))
                .then(|| (k.to_owned(), v.trim().to_owned()))
        })
        .collect()
}

/// A value's text without layout, to compare values written differently.
fn squeeze(v: &str) -> String {
    let chars: Vec<char> = v.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' {
            let end = value_end(&chars, i).unwrap_or(chars.len());
            // A string runs to its closing quote; copy it whole.
            let mut j = i + 1;
            while j < end && chars[j] != '"' {
                if chars[j] == '\\' {
                    j += 1;
                }
                j += 1;
            }
            let j = (j + 1).min(chars.len());
            out.extend(&chars[i..j]);
            i = j;
            continue;
        }
        if c == '/' && matches!(chars.get(i + 1), Some('/') | Some('*')) {
            i = skip_blank(&chars, i);
            continue;
        }
        if !c.is_whitespace() {
            out.push(c);
        }
        i += 1;
    }
    out.trim_end_matches(',').to_owned()
}

/// Merges one field's value; `path` names it in reports.
fn merge_field_text(
    name: &str,
    base: Option<&str>,
    ours: &str,
    theirs: &str,
    conflicts: &mut Vec<String>,
) -> String {
    let (b, o, t) = (base.map(squeeze), squeeze(ours), squeeze(theirs));
    match pick(b.as_ref(), Some(&o), Some(&t)) {
        Pick::Ours if o == t => return ours.max(theirs).to_owned(),
        Pick::Ours => return ours.to_owned(),
        Pick::Theirs => return theirs.to_owned(),
        Pick::Conflict => {}
    }
    if let (Some(of), Some(tf)) = (fields_of(ours), fields_of(theirs)) {
        return merge_struct_text(&format!("{name}."), base, &of, &tf, conflicts);
    }
    let items = |v: &str| -> Option<Vec<String>> {
        let chars: Vec<char> = v.chars().collect();
        split_parts(&chars, '[')
    };
    if let (Some(oi), Some(ti)) = (items(ours), items(theirs)) {
        let bi = base.and_then(items).unwrap_or_default();
        let bs: BTreeSet<String> = bi.iter().map(|x| squeeze(x)).collect();
        let (os, ts): (BTreeSet<String>, BTreeSet<String>) = (
            oi.iter().map(|x| squeeze(x)).collect(),
            ti.iter().map(|x| squeeze(x)).collect(),
        );
        let mut kept: BTreeMap<String, String> = BTreeMap::new();
        for x in oi.iter().chain(&ti) {
            let k = squeeze(x);
            if (os.contains(&k) && ts.contains(&k)) || !bs.contains(&k) {
                kept.entry(k).or_insert_with(|| x.clone());
            }
        }
        if kept.is_empty() {
            return "[]".into();
        }
        let body: Vec<String> = kept
            .into_values()
            .map(|x| format!("        {x},\n"))
            .collect();
        return format!("[\n{}    ]", body.concat());
    }
    let kept = if o >= t { ours } else { theirs };
    conflicts.push(format!(
        "{name}: changed differently on both sides; kept {}",
        squeeze(kept)
    ));
    kept.to_owned()
}

/// Merges two structs' fields (`of`, `tf`) against the base's text, field by field.
fn merge_struct_text(
    prefix: &str,
    base: Option<&str>,
    of: &[(String, String)],
    tf: &[(String, String)],
    conflicts: &mut Vec<String>,
) -> String {
    let bf: Vec<(String, String)> = base.and_then(fields_of).unwrap_or_default();
    let get =
        |f: &[(String, String)], k: &str| f.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let mut names: Vec<String> = bf.iter().map(|(k, _)| k.clone()).collect();
    let mut added: BTreeSet<String> = BTreeSet::new();
    for (k, _) in of.iter().chain(tf) {
        if !names.contains(k) {
            added.insert(k.clone());
        }
    }
    names.extend(added);
    let mut out = String::from("(\n");
    for k in names {
        let (bv, ov, tv) = (get(&bf, &k), get(of, &k), get(tf, &k));
        let v = match (ov, tv) {
            (Some(x), Some(y)) => Some(merge_field_text(
                &format!("{prefix}{k}"),
                bv.as_deref(),
                &x,
                &y,
                conflicts,
            )),
            (Some(x), None) | (None, Some(x)) => match bv {
                Some(b) if squeeze(&b) == squeeze(&x) => None,
                Some(_) => {
                    conflicts.push(format!(
                        "{prefix}{k}: removed by one edit and changed by the other; the change is kept"
                    ));
                    Some(x)
                }
                None => Some(x),
            },
            (None, None) => None,
        };
        if let Some(v) = v {
            out.push_str(&format!("    {k}: {v},\n"));
        }
    }
    out.push(')');
    out
}

fn merge_other_files(base: &Input, ours: &Input, theirs: &Input) -> Result<Merged, MergeError> {
    let read = |s: &str| {
        crate::store::ron::ron_options()
            .from_str::<ron::Value>(s)
            .map(|_| s.to_owned())
            .map_err(|e| e.to_string())
    };
    let (b, o, t) = parse_three(base, ours, theirs, "RON file", read)?;
    // Whole files first: a side that left the file as it was takes the other's bytes, so
    // comments and layout survive.
    match pick(b.as_ref(), Some(&o), Some(&t)) {
        Pick::Ours => {
            return Ok(Merged {
                text: o,
                conflicts: Vec::new(),
            });
        }
        Pick::Theirs => {
            return Ok(Merged {
                text: t,
                conflicts: Vec::new(),
            });
        }
        Pick::Conflict => {}
    }
    let mut conflicts = Vec::new();
    let whole = |conflicts: &mut Vec<String>| {
        conflicts.push(
            "both edits changed the file and it is not a struct of fields; kept one version whole"
                .to_owned(),
        );
        o.clone().max(t.clone())
    };
    let (Some(of), Some(tf)) = (fields_of(&o), fields_of(&t)) else {
        let text = whole(&mut conflicts);
        return Ok(Merged { text, conflicts });
    };
    // The comment lines that open the file: three-way too (the greater if both changed them).
    let opening = |src: &str| -> String {
        src.lines()
            .take_while(|l| l.trim().is_empty() || l.trim_start().starts_with("//"))
            .map(|l| format!("{l}\n"))
            .collect()
    };
    let (bc, oc, tc) = (b.as_deref().map(opening), opening(&o), opening(&t));
    let mut out = match pick(bc.as_ref(), Some(&oc), Some(&tc)) {
        Pick::Ours => oc,
        Pick::Theirs => tc,
        Pick::Conflict => oc.max(tc),
    };
    out.push_str(&merge_struct_text(
        "",
        b.as_deref(),
        &of,
        &tf,
        &mut conflicts,
    ));
    out.push('\n');
    // The merge must read as RON; if it does not, keep one whole side.
    if read(&out).is_err() {
        conflicts.clear();
        out = whole(&mut conflicts);
    }
    Ok(Merged {
        text: out,
        conflicts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::layer::make_span;
    use crate::model::text::Text;

    const T0: &str = "2026-01-01T00:00:00Z";
    const T1: &str = "2026-01-02T00:00:00Z";

    fn text() -> Text {
        Text::from_string("The minister said the budget grew by ten percent last year, twice.")
    }

    fn layer(spans: &[(u64, usize, usize, &str)]) -> Layer {
        let t = text();
        let mut l = Layer::new("a.txt", &t, "ann");
        for &(id, s, e, tag) in spans {
            l.spans.push(make_span(&t, id, s, e, tag, T0));
        }
        l.normalize();
        l
    }

    fn input(name: &str, s: &str) -> Input {
        Input {
            name: name.into(),
            bytes: s.as_bytes().to_vec(),
        }
    }

    /// Merges both ways through the file interface; asserts the bytes agree.
    fn both_ways(b: &str, o: &str, t: &str, path: &str) -> Merged {
        let (b, o, t) = (input("base", b), input("ours", o), input("theirs", t));
        let m1 = merge(&b, &o, &t, Some(path)).unwrap();
        let m2 = merge(&b, &t, &o, Some(path)).unwrap();
        assert_eq!(m1.text, m2.text, "merge(B,O,T) and merge(B,T,O) differ");
        m1
    }

    /// Issue 20 §6: the merge gave a span a value its merged tag does not allow.
    #[test]
    fn a_value_the_merged_tag_does_not_allow_takes_the_other_sides_allowed_value_or_goes() {
        let tags = TagSet::default();
        let mut b = layer(&[(1, 4, 12, "boilerplate")]);
        b.spans[0].attrs.insert("kind".into(), "navigation".into());
        let mut o = b.clone();
        o.spans[0].tag = "error".into();
        o.spans[0].attrs.insert("kind".into(), "fact".into());
        o.spans[0].modified = T0.into();
        let mut t = b.clone();
        t.spans[0].attrs.insert("kind".into(), "byline".into());
        t.spans[0].modified = T1.into();
        let (b, o, t) = (
            input("base", &b.to_ron()),
            input("ours", &o.to_ron()),
            input("theirs", &t.to_ron()),
        );
        let path = Some("annotations/ann/a.ron");
        // Without the schema the later edit's "byline" lands on an error span.
        let plain = Layer::from_ron(&merge(&b, &o, &t, path).unwrap().text).unwrap();
        assert_eq!(plain.spans[0].attrs["kind"], "byline");
        let m = merge_with_schema(&b, &o, &t, path, Some(&tags)).unwrap();
        let swapped = merge_with_schema(&b, &t, &o, path, Some(&tags)).unwrap();
        assert_eq!(m.text, swapped.text);
        let l = Layer::from_ron(&m.text).unwrap();
        let s = &l.spans[0];
        assert_eq!(
            (s.tag.as_str(), s.attrs["kind"].as_str()),
            ("error", "fact")
        );
        assert!(
            m.conflicts.iter().any(|c| c
                == "span 1: kind = \"byline\" is not a value of tag \"error\"; kept the other edit's \"fact\""),
            "{:?}",
            m.conflicts
        );
        assert!(s.note.contains(CONFLICT_MARK), "{}", s.note);
        let error = tags.get("error").unwrap();
        assert!(error.attr_issues(&s.attrs).is_empty());

        // A bad value both sides already had is theirs to fix, not the merge's to drop.
        let mut b = layer(&[(1, 4, 12, "error")]);
        b.spans[0].attrs.insert("kind".into(), "byline".into());
        let mut o = b.clone();
        o.spans[0].note = "ours".into();
        let mut t = b.clone();
        t.spans[0].attrs.insert("correction".into(), "x".into());
        let m = merge_with_schema(
            &input("base", &b.to_ron()),
            &input("ours", &o.to_ron()),
            &input("theirs", &t.to_ron()),
            path,
            Some(&tags),
        )
        .unwrap();
        let s = &Layer::from_ron(&m.text).unwrap().spans[0];
        assert_eq!(
            (s.note.as_str(), s.attrs["kind"].as_str()),
            ("ours", "byline")
        );
        assert!(m.conflicts.is_empty(), "{:?}", m.conflicts);
    }

    /// Issue 20 §6: a file that is not the layer the path names is refused, not merged.
    #[test]
    fn another_annotators_or_texts_layer_or_an_unknown_format_is_refused() {
        let a = layer(&[(1, 4, 12, "claim")]);
        let mut other_annotator = a.clone();
        other_annotator.annotator = "bo".into();
        let mut other_text = a.clone();
        other_text.text = "b.txt".into();
        let mut format2 = a.clone();
        format2.format = 2;
        let path = Some("annotations/ann/a.ron");
        for (bad, words) in [
            (&other_annotator, "\"bo\"'s layer"),
            (&other_text, "\"b.txt\""),
            (&format2, "unknown format version 2"),
        ] {
            let (ai, bi) = (input("ours", &a.to_ron()), input("theirs", &bad.to_ron()));
            let e = merge(&input("base", ""), &ai, &bi, path).unwrap_err();
            let shown = e.to_string();
            assert!(
                shown.starts_with("theirs: ") && shown.contains(words),
                "{shown}"
            );
            let e = merge(&input("base", &bad.to_ron()), &ai, &ai, path).unwrap_err();
            assert!(e.to_string().starts_with("base: "), "{e}");
        }
        // The path names another annotator than both sides.
        let e = merge(
            &input("base", ""),
            &input("ours", &a.to_ron()),
            &input("theirs", &a.to_ron()),
            Some("annotations/bo/a.ron"),
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("ours: "), "{e}");
        // Same annotator and text, new on both sides: merged.
        assert!(
            merge(
                &input("base", ""),
                &input("ours", &a.to_ron()),
                &input("theirs", &a.to_ron()),
                path
            )
            .is_ok()
        );
    }

    fn merged_layer(b: &Layer, o: &Layer, t: &Layer) -> (Layer, Merged) {
        let m = both_ways(
            &b.to_ron(),
            &o.to_ron(),
            &t.to_ron(),
            "annotations/ann/a.ron",
        );
        (Layer::from_ron(&m.text).unwrap(), m)
    }

    fn merged_curated(
        b: &CuratedLayer,
        o: &CuratedLayer,
        t: &CuratedLayer,
    ) -> (CuratedLayer, Merged) {
        let path = "annotations/curated/a.ron";
        let m = both_ways(&b.to_ron(), &o.to_ron(), &t.to_ron(), path);
        (CuratedLayer::from_ron(&m.text).unwrap(), m)
    }

    #[test]
    fn edits_to_different_spans_are_both_kept() {
        let b = layer(&[(1, 0, 3, "quote"), (2, 4, 12, "claim")]);
        let mut o = b.clone();
        o.spans[0].tag = "error".into();
        let mut t = b.clone();
        t.spans[1].note = "check".into();
        let (m, r) = merged_layer(&b, &o, &t);
        assert_eq!(m.span(1).unwrap().tag, "error");
        assert_eq!(m.span(2).unwrap().note, "check");
        assert!(r.conflicts.is_empty());
    }

    #[test]
    fn a_deleted_span_stays_deleted_unless_the_other_side_edited_it() {
        let b = layer(&[(1, 0, 3, "quote"), (2, 4, 12, "claim")]);
        let mut o = b.clone();
        o.spans.clear();
        let mut t = b.clone();
        t.spans[1].tag = "error".into();
        let (m, r) = merged_layer(&b, &o, &t);
        assert!(m.span(1).is_none());
        let kept = m.span(2).unwrap();
        assert_eq!(kept.tag, "error");
        assert!(kept.note.starts_with(CONFLICT_MARK), "{}", kept.note);
        assert_eq!(r.conflicts.len(), 1);
    }

    #[test]
    fn two_new_spans_with_one_id_both_survive_one_renumbered() {
        let b = layer(&[(1, 0, 3, "quote")]);
        let mut o = b.clone();
        o.spans.push(make_span(&text(), 2, 4, 12, "claim", T0));
        o.next_id = 3;
        let mut t = b.clone();
        t.spans.push(make_span(&text(), 2, 20, 30, "quote", T0));
        t.next_id = 3;
        let (m, _) = merged_layer(&b, &o, &t);
        assert_eq!(m.spans.len(), 3);
        let ids: BTreeSet<u64> = m.spans.iter().map(|s| s.id).collect();
        assert_eq!(ids, BTreeSet::from([1, 2, 3]));
        assert_eq!(m.next_id, 4);
    }

    #[test]
    fn the_same_field_changed_on_both_sides_keeps_the_later_and_notes_the_other() {
        let b = layer(&[(1, 0, 3, "quote")]);
        let mut o = b.clone();
        o.spans[0].tag = "claim".into();
        o.spans[0].modified = T1.into();
        let mut t = b.clone();
        t.spans[0].tag = "error".into();
        let (m, r) = merged_layer(&b, &o, &t);
        let s = m.span(1).unwrap();
        assert_eq!(s.tag, "claim", "the later edit wins");
        assert_eq!(
            s.note,
            format!("{CONFLICT_MARK} the other edit had tag \"error\"")
        );
        assert_eq!(r.conflicts.len(), 1);
        // Merging the result again with either side records nothing twice.
        let (again, _) = merged_layer(&b, &m, &t);
        assert_eq!(again.span(1).unwrap().note, s.note);
    }

    /// A relation `kind` from span `from` to span `to` of the same layer, with id `id`.
    fn link(id: u64, kind: &str, from: u64, to: u64) -> Relation {
        Relation {
            id,
            kind: kind.into(),
            from: End::here(from),
            to: End::here(to),
            note: String::new(),
            attrs: BTreeMap::new(),
            created: T0.into(),
            modified: T0.into(),
        }
    }

    /// Every end in the layer names one of its spans or orphans; every id is used once and
    /// below `next_id`.
    fn assert_whole(m: &Layer) {
        let spans: BTreeSet<u64> = (m.spans.iter().map(|s| s.id))
            .chain(m.orphans.iter().map(|o| o.span.id))
            .collect();
        let ids: BTreeSet<u64> = spans
            .iter()
            .copied()
            .chain(m.relations.iter().map(|r| r.id))
            .collect();
        let count = m.spans.len() + m.orphans.len() + m.relations.len();
        assert_eq!(ids.len(), count, "an id is used twice:\n{}", m.to_ron());
        assert!(ids.iter().all(|id| *id < m.next_id), "{}", m.to_ron());
        for r in &m.relations {
            for end in [&r.from, &r.to] {
                let Some(id) = end.here_id() else {
                    continue;
                };
                assert!(
                    spans.contains(&id),
                    "relation {} dangles:\n{}",
                    r.id,
                    m.to_ron()
                );
            }
        }
    }

    /// A relation as its ends' places: what a user sees linked, whatever the ids became.
    fn seen(l: &Layer, r: &Relation) -> (String, (usize, usize), (usize, usize)) {
        let place = |e: &End| {
            let s = l.span(e.span).expect("end span");
            (s.start, s.end)
        };
        (r.kind.clone(), place(&r.from), place(&r.to))
    }

    #[test]
    fn random_small_layers_merge_to_the_same_bytes_in_either_order() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut rnd = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let tags = ["quote", "claim", "error"];
        let kinds = ["said-by", "same-as", "evidence"];
        for _ in 0..300 {
            let mut sides = Vec::new();
            let mut b = layer(&[
                (1, 0, 3, "quote"),
                (2, 4, 12, "claim"),
                (3, 13, 20, "error"),
            ]);
            b.relations.push(link(4, "said-by", 1, 2));
            b.relations.push(link(5, "same-as", 2, 3));
            b.normalize();
            for _ in 0..2 {
                let mut l = b.clone();
                for _ in 0..rnd(6) {
                    let n = l.spans.len() as u64;
                    match rnd(9) {
                        // Deleting a span deletes its relations, as the window does.
                        0 if n > 0 => {
                            let s = l.spans.remove(rnd(n) as usize);
                            l.relations.retain(|r| !r.touches(s.id));
                        }
                        1 | 2 if n > 0 => {
                            let i = rnd(n) as usize;
                            l.spans[i].tag = tags[rnd(3) as usize].into();
                            if rnd(2) == 0 {
                                l.spans[i].note = format!("n{}", rnd(3));
                            }
                            if rnd(2) == 0 {
                                l.spans[i].modified = T1.into();
                            }
                        }
                        3 | 4 if n > 1 => {
                            let (a, c) = (rnd(n) as usize, rnd(n) as usize);
                            if a != c {
                                let id = l.take_id();
                                let (from, to) = (l.spans[a].id, l.spans[c].id);
                                l.relations.push(link(id, kinds[rnd(3) as usize], from, to));
                            }
                        }
                        5 if !l.relations.is_empty() => {
                            let i = rnd(l.relations.len() as u64) as usize;
                            l.relations.remove(i);
                        }
                        6 if !l.relations.is_empty() => {
                            let i = rnd(l.relations.len() as u64) as usize;
                            let r = &mut l.relations[i];
                            match rnd(3) {
                                0 => r.kind = kinds[rnd(3) as usize].into(),
                                1 => r.note = format!("r{}", rnd(3)),
                                _ => {
                                    r.attrs.insert("stance".into(), format!("s{}", rnd(2)));
                                }
                            }
                            if rnd(2) == 0 {
                                r.modified = T1.into();
                            }
                        }
                        _ => {
                            let id = l.take_id();
                            let s = rnd(50) as usize;
                            let tag = tags[rnd(3) as usize];
                            let e = s + 1 + rnd(5) as usize;
                            l.spans.push(make_span(&text(), id, s, e, tag, T0));
                        }
                    }
                }
                l.normalize();
                sides.push(l);
            }
            let (m, _) = merged_layer(&b, &sides[0], &sides[1]);
            assert_whole(&m);
            // A relation one side made is in the merge, linking the same places.
            for side in &sides {
                let merged: BTreeSet<_> = m.relations.iter().map(|r| seen(&m, r)).collect();
                for r in side.relations.iter().filter(|r| b.relation(r.id).is_none()) {
                    let want = seen(side, r);
                    assert!(merged.contains(&want), "{want:?} is lost:\n{}", m.to_ron());
                }
            }
        }
    }

    /// Issue 25: both sides made span 4 (one becomes span 6) and linked it; each relation
    /// still links the span its side made.
    #[test]
    fn a_renumbered_span_takes_its_relations_with_it() {
        let b = layer(&[
            (1, 0, 3, "quote"),
            (2, 4, 12, "claim"),
            (3, 13, 20, "error"),
        ]);
        let mut o = b.clone();
        o.spans.push(make_span(&text(), 4, 21, 27, "quote", T0));
        o.relations.push(link(5, "said-by", 4, 2));
        o.normalize();
        let mut t = b.clone();
        t.spans.push(make_span(&text(), 4, 30, 36, "quote", T0));
        t.relations.push(link(5, "said-by", 4, 3));
        t.normalize();
        let (m, r) = merged_layer(&b, &o, &t);
        assert_whole(&m);
        let links: BTreeSet<_> = m.relations.iter().map(|r| seen(&m, r)).collect();
        let want = BTreeSet::from([
            ("said-by".to_owned(), (21, 27), (4, 12)),
            ("said-by".to_owned(), (30, 36), (13, 20)),
        ]);
        assert_eq!(links, want, "{}", m.to_ron());
        assert_eq!(m.next_id, 8);
        assert!(
            r.conflicts.iter().any(|c| c.contains("is now relation 7")),
            "{:?}",
            r.conflicts
        );
    }

    /// Issue 25: one side made relation 4, the other span 4: the relation moves, the span stays.
    #[test]
    fn a_relation_whose_id_the_other_side_gave_a_span_takes_a_fresh_id() {
        let b = layer(&[(1, 0, 3, "quote"), (2, 4, 12, "claim")]);
        let mut o = b.clone();
        o.relations.push(link(3, "said-by", 1, 2));
        o.normalize();
        let mut t = b.clone();
        t.spans.push(make_span(&text(), 3, 21, 27, "error", T0));
        t.normalize();
        let (m, r) = merged_layer(&b, &o, &t);
        assert_whole(&m);
        assert_eq!(m.span(3).map(|s| s.start), Some(21));
        assert_eq!(m.relations.len(), 1);
        assert_eq!((m.relations[0].id, m.next_id), (4, 5));
        assert_eq!(
            r.conflicts,
            ["relation 3: the other edit made a span 3 too; this relation is now relation 4"]
        );
    }

    /// Issue 25: one side deleted a relation (or its span) the other changed or made.
    #[test]
    fn a_deleted_relation_or_span_the_other_side_changed_or_linked_is_kept_and_noted() {
        let mut b = layer(&[
            (1, 0, 3, "quote"),
            (2, 4, 12, "claim"),
            (3, 13, 20, "error"),
        ]);
        b.relations.push(link(4, "said-by", 1, 2));
        b.normalize();
        // Ours deletes span 3 and relation 4; theirs links span 3 and retypes relation 4.
        let mut o = b.clone();
        o.spans.retain(|s| s.id != 3);
        o.relations.clear();
        let mut t = b.clone();
        t.relations[0].kind = "same-as".into();
        t.relations.push(link(5, "corrects", 2, 3));
        t.normalize();
        let (m, r) = merged_layer(&b, &o, &t);
        assert_whole(&m);
        let kept = m.relation(4).unwrap();
        assert_eq!(kept.kind, "same-as");
        assert_eq!(
            kept.note,
            format!(
                "{CONFLICT_MARK} deleted by one edit and changed by the other; the change is kept"
            )
        );
        assert!(m.span(3).unwrap().note.starts_with(CONFLICT_MARK));
        assert_eq!(m.relation(5).map(|r| r.to.span), Some(3));
        assert_eq!(r.conflicts.len(), 2, "{:?}", r.conflicts);

        // Both change relation 4's far end: the later wins, the other is in the note.
        let mut o = b.clone();
        o.relations[0].to = End::here(3);
        o.relations[0].modified = T1.into();
        let mut t = b.clone();
        t.relations[0].note = "mine".into();
        t.relations[0].to = End {
            span: 9,
            doc: Some(crate::model::relation::Elsewhere {
                text: "b.txt".into(),
                start: 0,
                end: 3,
                exact: "The".into(),
                prefix: String::new(),
                suffix: String::new(),
            }),
        };
        let (m, _) = merged_layer(&b, &o, &t);
        let r4 = m.relation(4).unwrap();
        assert_eq!(r4.to.span, 3);
        assert_eq!(
            r4.note,
            format!("{CONFLICT_MARK} the other edit had to span 9 of \"b.txt\"\nmine")
        );
    }

    /// A session (ours on screen win): their relation on a span we deleted goes, our relation
    /// on a span they deleted brings it back, and nothing is written in notes.
    #[test]
    fn in_a_session_ours_win_and_no_relation_is_left_dangling() {
        let mut b = layer(&[
            (1, 0, 3, "quote"),
            (2, 4, 12, "claim"),
            (3, 13, 20, "error"),
        ]);
        b.normalize();
        let mut o = b.clone();
        o.spans.retain(|s| s.id != 3);
        o.relations.push(link(4, "said-by", 1, 2));
        o.normalize();
        let mut t = b.clone();
        t.spans.retain(|s| s.id != 2);
        t.relations.push(link(4, "corrects", 1, 3));
        t.normalize();
        let held = BTreeSet::new();
        let out = merge_layers(Some(&b), &o, &t, Rule::session(&held));
        let m = &out.merged;
        assert_whole(m);
        assert_eq!(m.relations.len(), 1, "{}", m.to_ron());
        assert_eq!(m.relations[0].kind, "said-by");
        assert!(m.span(2).is_some_and(|s| s.note.is_empty()));
        assert!(m.span(3).is_none());
    }

    fn curated(spans: Vec<CuratedSpan>, rejected: Vec<Rejection>) -> CuratedLayer {
        let mut c = CuratedLayer::new("a.txt", &text());
        c.spans = spans;
        c.rejected = rejected;
        c
    }

    fn accepted(id: u64, from: u64, tag: &str, by: &str, at: &str) -> CuratedSpan {
        let s = make_span(&text(), id, 0, 3, tag, T0);
        CuratedSpan {
            span: Span {
                id,
                start: s.start,
                end: s.end,
                tag: s.tag,
                exact: s.exact,
                prefix: s.prefix,
                suffix: s.suffix,
                note: String::new(),
                attrs: BTreeMap::new(),
                created: T0.into(),
                modified: T0.into(),
            },
            from: vec![SourceRef {
                layer: "ann".into(),
                id: from,
            }],
            accepted_by: by.into(),
            accepted_at: at.into(),
            edited: false,
        }
    }

    fn rejection(from: u64, by: &str, reason: &str) -> Rejection {
        Rejection {
            from: SourceRef {
                layer: "ann".into(),
                id: from,
            },
            start: 4,
            end: 12,
            tag: "claim".into(),
            exact: "minister".into(),
            reason: reason.into(),
            by: by.into(),
            at: T0.into(),
        }
    }

    #[test]
    fn reviewers_decisions_on_different_items_merge_and_on_one_item_conflict() {
        let b = curated(Vec::new(), Vec::new());
        let o = curated(
            vec![accepted(1, 10, "quote", "rev-a", T0)],
            vec![rejection(11, "rev-a", "not a claim")],
        );
        let t = curated(
            vec![
                accepted(1, 10, "claim", "rev-b", T1),
                accepted(2, 12, "quote", "rev-b", T1),
            ],
            vec![rejection(13, "rev-b", "duplicate")],
        );
        let (c, m) = merged_curated(&b, &o, &t);
        // Item 10 was accepted by both: the later (rev-b) kept, rev-a's recorded as a comment.
        let for_10: Vec<_> = c.spans.iter().filter(|s| s.from[0].id == 10).collect();
        assert_eq!(for_10.len(), 1);
        assert_eq!(for_10[0].accepted_by, "rev-b");
        assert!(
            c.comments.iter().any(
                |k| k.text.contains("rev-a also accepted this as quote") && k.about[0].id == 10
            )
        );
        assert!(c.spans.iter().any(|s| s.from[0].id == 12));
        assert_eq!(c.rejected.len(), 2);
        assert_eq!(m.conflicts.len(), 2, "{:?}", m.conflicts);
    }

    #[test]
    fn an_acceptance_and_a_rejection_of_one_item_keep_the_acceptance_and_comment() {
        let b = curated(Vec::new(), Vec::new());
        let o = curated(vec![accepted(1, 10, "quote", "rev-a", T0)], Vec::new());
        let t = curated(Vec::new(), vec![rejection(10, "rev-b", "not a quote")]);
        let (c, _) = merged_curated(&b, &o, &t);
        assert_eq!(c.spans.len(), 1);
        assert!(c.rejected.is_empty());
        assert!(
            c.comments[0]
                .text
                .contains("rev-b rejected this instead: not a quote")
        );
    }

    #[test]
    fn tags_added_on_both_sides_are_both_kept_with_distinct_hotkeys() {
        let b = TagSet::default();
        let mut o = b.clone();
        o.add_generated("person");
        let mut t = b.clone();
        t.add_generated("place");
        let m = both_ways(
            &b.to_ron(),
            &o.to_ron(),
            &t.to_ron(),
            "annotations/tags.ron",
        );
        let set: TagSet = crate::store::ron::ron_options().from_str(&m.text).unwrap();
        let names: Vec<&str> = set.tags.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            ["quote", "claim", "error", "boilerplate", "person", "place"]
        );
        set.check().unwrap();
        assert_eq!(set.get("person").unwrap().hotkey, "5");
        assert_eq!(set.get("place").unwrap().hotkey, "");
    }

    #[test]
    fn other_ron_merges_key_by_key_and_reads_back_as_a_struct() {
        let b = "(\n    texts: [\"seeds\"],\n)\n";
        let o = "(\n    texts: [\"seeds\", \"news\"],\n    extra: Some(3),\n)\n";
        let t = "// a comment\n(\n    texts: [\"seeds\", \"blogs\"],\n)\n";
        let m = both_ways(b, o, t, "annotations/workspace.ron");
        let cfg: crate::workspace::WorkspaceConfig = crate::store::ron::ron_options()
            .from_str(&m.text)
            .unwrap_or_else(|e| panic!("{e}: {}", m.text));
        assert_eq!(cfg.texts, ["blogs", "news", "seeds"]);
        assert!(m.text.contains("extra: Some(3)"), "{}", m.text);
        assert!(
            m.text.starts_with("// a comment\n("),
            "the opening comment stays: {}",
            m.text
        );
        // Only one side changed: the other's bytes, comments and all.
        let m = both_ways(b, b, t, "annotations/workspace.ron");
        assert_eq!(m.text, t);
    }

    #[test]
    fn a_file_that_is_not_what_its_path_says_is_an_error_naming_it() {
        let b = layer(&[]).to_ron();
        let e = merge(
            &input("base", &b),
            &input("ours.ron", "(tags: [])"),
            &input("theirs", &b),
            Some("annotations/ann/a.ron"),
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("ours.ron: not a valid layer file"),
            "{e}"
        );
    }

    #[test]
    fn kinds_come_from_the_path_or_the_content() {
        for (path, kind) in [
            ("annotations/ann/x/a.ron", Some(FileKind::Layer)),
            ("w/annotations/curated/a.ron", Some(FileKind::Curated)),
            ("annotations/tags.ron", Some(FileKind::Tags)),
            ("annotations/ann.rejected.ron", Some(FileKind::Other)),
            ("annotations/workspace.ron", Some(FileKind::Other)),
            ("src/x.rs", None),
        ] {
            assert_eq!(FileKind::of_path(path), kind, "{path}");
        }
        assert_eq!(FileKind::of_content(&layer(&[]).to_ron()), FileKind::Layer);
        assert_eq!(
            FileKind::of_content(&TagSet::default().to_ron()),
            FileKind::Tags
        );
    }
}

#[cfg(test)]
mod other_ron_tests {
    use super::*;

    fn input(name: &str, s: &str) -> Input {
        Input {
            name: name.into(),
            bytes: s.as_bytes().to_vec(),
        }
    }

    #[test]
    fn rejections_added_on_both_sides_are_all_kept() {
        #[derive(serde::Deserialize)]
        struct File {
            format: u32,
            layer: String,
            rejected: Vec<crate::assist::suggest::rejections::Rejected>,
        }
        let one = |t: &str, s: usize| {
            format!(
                "(text: {t:?}, start: {s}, end: {}, tag: \"quote\", exact: \"abc\")",
                s + 3
            )
        };
        let file = |items: &[String]| {
            format!(
                "(\n    format: 1,\n    layer: \"ann\",\n    rejected: [{}],\n)\n",
                items.join(", ")
            )
        };
        let b = file(&[one("a.txt", 0)]);
        let o = file(&[one("a.txt", 0), one("b.txt", 5)]);
        let t = file(&[one("c.txt", 9)]);
        let path = Some("annotations/ann.rejected.ron");
        let m1 = merge(&input("b", &b), &input("o", &o), &input("t", &t), path).unwrap();
        let m2 = merge(&input("b", &b), &input("t", &t), &input("o", &o), path).unwrap();
        assert_eq!(m1.text, m2.text);
        let f: File = crate::store::ron::ron_options().from_str(&m1.text).unwrap();
        assert_eq!((f.format, f.layer.as_str()), (1, "ann"));
        let texts: Vec<&str> = f.rejected.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(
            texts,
            ["b.txt", "c.txt"],
            "theirs removed a.txt, both added one"
        );
    }

    #[test]
    fn assignments_added_on_both_sides_are_both_kept() {
        let b = "// Who does what.\n(\n    texts: [\"seeds\"],\n)\n";
        let o = "// Who does what.\n(\n    texts: [\"seeds\"],\n    overlap: 2,\n    assignments: [\n        (annotator: \"ana\", documents: [\"seeds/a.txt\"]),\n    ],\n)\n";
        let t = "// Who does what.\n(\n    texts: [\"seeds\"],\n    assignments: [\n        (annotator: \"bo\", documents: [\"seeds/*.txt\"]),\n    ],\n)\n";
        let path = Some("annotations/workspace.ron");
        let m1 = merge(&input("b", b), &input("o", o), &input("t", t), path).unwrap();
        let m2 = merge(&input("b", b), &input("t", t), &input("o", o), path).unwrap();
        assert_eq!(m1.text, m2.text);
        let v: ron::Value = crate::store::ron::ron_options().from_str(&m1.text).unwrap();
        let ron::Value::Map(m) = v else {
            panic!("{}", m1.text)
        };
        let key = |k: &str| m.get(&ron::Value::String(k.into())).cloned();
        let Some(ron::Value::Seq(a)) = key("assignments") else {
            panic!("{}", m1.text)
        };
        assert_eq!(a.len(), 2, "{}", m1.text);
        assert!(key("overlap").is_some());
        assert!(m1.conflicts.is_empty(), "{:?}", m1.conflicts);
    }

    #[test]
    fn enum_values_and_nested_structs_survive_a_key_by_key_merge() {
        let b = "(a: Done, n: 1, inner: (x: 1, y: [\"p\"]))";
        let o = "(a: InProgress, n: 1, inner: (x: 2, y: [\"p\"]))";
        let t = "(a: Done, n: 2, inner: (x: 1, y: [\"p\", \"q\"]))";
        let m = merge(
            &input("b", b),
            &input("o", o),
            &input("t", t),
            Some("annotations/workspace.ron"),
        )
        .unwrap();
        let v: ron::Value = crate::store::ron::ron_options().from_str(&m.text).unwrap();
        let want: ron::Value = crate::store::ron::ron_options()
            .from_str("(a: InProgress, n: 2, inner: (x: 2, y: [\"p\", \"q\"]))")
            .unwrap();
        assert_eq!(v, want, "{}", m.text);
        assert!(
            m.text.contains("a: InProgress,"),
            "written as a variant: {}",
            m.text
        );
    }
}
