//! Reads brat standoff: each `.ann` with its `.txt`.
//!
//! - `T` lines become spans. A discontinuous annotation (`10 20;21 52`) is joined into one span
//!   from its first start to its last end: Marginalia's brat export splits a span at line breaks
//!   only, so joining restores it exactly; a brat annotation that skips words gains the words
//!   between its fragments, and the summary counts such joins. The stated text is checked
//!   against the fragments (brat joins them with a space).
//! - `#N AnnotatorNotes Tk` lines become the note of span `Tk` (`\n`, `\r`, `\t`, `\\` as the
//!   export escapes them are read back).
//! - Attributes (`A`, and the older `M`) on `T` lines become values in the span's `attrs`: a
//!   binary one is `"true"`, a valued one its value. Notes of any other type than
//!   `AnnotatorNotes` are text attributes named after the type. Names and values are read back
//!   as the export writes them ([`crate::interchange::export::brat::unbrat_token`]: `_` is a space, `%XX` a
//!   byte), and a name ending in `-<type of its span>` loses that suffix (`kind-error` → `kind`).
//! - `annotation.conf` beside the `.ann` files (or in a folder above), when there is one, gives
//!   the attributes' schema: a `Value:` list makes a choice, none a flag; `Arg:<ENTITY>` means
//!   every type of `[entities]`. Imported tags get these attributes in `tags.ron`.
//! - Relations (`R1<TAB>Located Arg1:T1 Arg2:T2`) become relations from the first argument's
//!   span to the second's, whatever the arguments' role names; the `R` number is kept as the
//!   relation's id in a new layer when no span has it. An equivalence (`*<TAB>Alias T3 T4 T5`)
//!   of n mentions becomes n − 1 relations chaining them in the order written (T3–T4, T4–T5),
//!   of a symmetric type; an `R` type that `annotation.conf` declares
//!   `<REL-TYPE>:symmetric` (or `symmetric-transitive`) is symmetric too. Types not in
//!   `tags.ron` are added to it, with the entity types `annotation.conf` allows at their two
//!   arguments as the tags their ends may have (when those are all tags by then). A note (`#1<TAB>AnnotatorNotes R1<TAB>…`) and attributes on an
//!   `R` line are the relation's note and attribute values, as on spans.
//! - A relation whose argument is not an imported span (an event `E`, a `T` line rejected or
//!   missing) is refused with its line and reason and counted, never attached to another span.
//! - Events (`E`), attributes and notes on them and normalizations (`N`) cannot be held and
//!   are counted per file. An event's trigger is a `T` line and is imported as a span.
//! - brat counts offsets in code points of the `.txt` as read; a `.txt` with a byte-order mark
//!   has offsets one higher than Marginalia's (which exclude it), and they are shifted.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::{
    ImportError, Incoming, IncomingRelation, IncomingSpan, Intake, SourceStats, Unsupported,
};
use crate::interchange::export::brat::{brat_type, unbrat_token};
use crate::model::range::CharRange;
use crate::model::tags::{AttrKind, Attribute};
use crate::model::text::Text;

/// The attribute name of brat attribute `name` on a span of type `tag`: decoded, without a
/// `-<tag>` suffix.
fn attr_name(name: &str, tag: &str) -> String {
    let name = name
        .strip_suffix(&format!("-{}", brat_type(tag)))
        .filter(|n| !n.is_empty())
        .unwrap_or(name);
    unbrat_token(name)
}

/// The attributes `annotation.conf` declares, per entity type. The file is looked for in the
/// source folder (the `.ann` file's folder) and the folders above it, up to three levels.
pub fn conf_attributes(source: &Path) -> BTreeMap<String, Vec<Attribute>> {
    conf_text(source)
        .map(|conf| parse_conf_attributes(&conf))
        .unwrap_or_default()
}

/// The relation types `annotation.conf` declares symmetric (`<REL-TYPE>:symmetric` or
/// `symmetric-transitive`, as brat's equivalences are).
pub fn conf_symmetric(source: &Path) -> BTreeSet<String> {
    conf_text(source)
        .map(|conf| parse_conf_symmetric(&conf))
        .unwrap_or_default()
}

/// The `[relations]` of an `annotation.conf` declared symmetric.
pub fn parse_conf_symmetric(conf: &str) -> BTreeSet<String> {
    let mut section = "";
    let mut out = BTreeSet::new();
    for line in conf.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line;
        } else if section == "[relations]" && !line.starts_with('#') && line.contains("symmetric") {
            let name = line.split_whitespace().next().unwrap_or("");
            let symmetric = line.split(',').any(|part| {
                part.trim()
                    .rsplit_once(':')
                    .is_some_and(|(k, v)| k.ends_with("<REL-TYPE>") && v.starts_with("symmetric"))
            });
            if symmetric && !name.is_empty() {
                out.insert(name.trim_start_matches('!').to_owned());
            }
        }
    }
    out
}

/// The entity types `annotation.conf`'s `[relations]` allows at each relation type's first
/// and second argument (`Is_a<TAB>Arg1:SpecificDisease, Arg2:DiseaseClass|Modifier`; whatever
/// the roles are called), an empty list for `<ENTITY>` (any).
pub fn parse_conf_relation_ends(conf: &str) -> BTreeMap<String, (Vec<String>, Vec<String>)> {
    let mut section = "";
    let mut out = BTreeMap::new();
    for line in conf.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line;
            continue;
        }
        if section != "[relations]" || line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((name, args)) = line.split_once(char::is_whitespace) else {
            continue;
        };
        let name = name.trim_start_matches('!');
        if name.starts_with('<') {
            continue;
        }
        let mut ends = args.split(',').filter_map(|part| {
            let (role, types) = part.trim().rsplit_once(':')?;
            (!role.ends_with('>')).then(|| {
                let types: Vec<String> = types.split('|').map(|t| t.trim().to_owned()).collect();
                if types.iter().any(|t| t == "<ENTITY>" || t.is_empty()) {
                    Vec::new()
                } else {
                    types
                }
            })
        });
        if let (Some(from), Some(to)) = (ends.next(), ends.next()) {
            out.insert(name.to_owned(), (from, to));
        }
    }
    out
}

/// The text of the `annotation.conf` for `source`, if there is one.
fn conf_text(source: &Path) -> Option<String> {
    let start = if source.is_file() {
        source.parent()
    } else {
        Some(source)
    };
    let conf = start.and_then(|s| {
        s.ancestors()
            .take(4)
            .map(|d| d.join("annotation.conf"))
            .find(|p| p.is_file())
    });
    let src = conf.and_then(|p| crate::store::read_regular(&p, 1 << 20).ok())?;
    Some(String::from_utf8_lossy(&src).into_owned())
}

/// The `[attributes]` of an `annotation.conf`: `Name<TAB>Arg:T1|T2, Value:v1|v2`.
pub fn parse_conf_attributes(conf: &str) -> BTreeMap<String, Vec<Attribute>> {
    let mut section = "";
    let mut entities: Vec<String> = Vec::new();
    let mut out: BTreeMap<String, Vec<Attribute>> = BTreeMap::new();
    for line in conf.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with('[') {
            section = line;
            continue;
        }
        match section {
            "[entities]" => {
                let name = line.split_whitespace().next().unwrap_or("");
                entities.push(name.trim_start_matches('!').to_owned());
            }
            "[attributes]" => {
                let Some((name, rest)) = line.split_once(|c: char| c.is_whitespace()) else {
                    continue;
                };
                let mut args: Vec<String> = Vec::new();
                let mut values: Vec<String> = Vec::new();
                for pair in rest.split(',') {
                    match pair.trim().split_once(':') {
                        Some(("Arg", a)) => args.extend(a.split('|').map(|s| s.trim().to_owned())),
                        Some(("Value", v)) => {
                            values.extend(v.split('|').map(|s| unbrat_token(s.trim())))
                        }
                        _ => {}
                    }
                }
                let args: Vec<String> = args
                    .iter()
                    .flat_map(|a| {
                        if a == "<ENTITY>" {
                            entities.clone()
                        } else if a.starts_with('<') {
                            Vec::new()
                        } else {
                            vec![a.clone()]
                        }
                    })
                    .collect();
                for tag in args {
                    let attr_name = attr_name(name.trim_start_matches('!'), &tag);
                    let kind = if values.is_empty() {
                        AttrKind::Flag
                    } else {
                        AttrKind::Choice(values.clone())
                    };
                    let list = out.entry(tag).or_default();
                    if !list.iter().any(|a| a.name == attr_name) {
                        list.push(Attribute {
                            name: attr_name,
                            kind,
                            required: false,
                            default: None,
                            description: "From brat's annotation.conf.".into(),
                        });
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// The `.ann` files under `source` (or `source` itself), sorted, each with its path relative to
/// the source folder.
fn ann_files(source: &Path) -> Vec<(PathBuf, String)> {
    if source.is_file() {
        let name = source
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        return vec![(source.to_path_buf(), name)];
    }
    let mut out = Vec::new();
    walk(source, source, &mut out);
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out
}

fn walk(base: &Path, dir: &Path, out: &mut Vec<(PathBuf, String)>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let path = e.path();
        let Ok(ft) = e.file_type() else { continue };
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        if ft.is_dir() {
            walk(base, &path, out);
        } else if path.extension().is_some_and(|x| x == "ann")
            && let Ok(rel) = path.strip_prefix(base)
        {
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            out.push((path.clone(), rel));
        }
    }
}

pub(crate) fn read(source: &Path, to: Intake<'_>) -> Result<(), ImportError> {
    let Intake(sink, stats, progress) = to;
    let files = ann_files(source);
    let symmetric = conf_symmetric(source);
    let ends = conf_text(source)
        .map(|conf| parse_conf_relation_ends(&conf))
        .unwrap_or_default();
    let total = files.len();
    for (i, (ann_path, ann_rel)) in files.iter().enumerate() {
        if !progress(i, total) {
            return Err(ImportError::Cancelled { done: stats.done });
        }
        let txt_path = ann_path.with_extension("txt");
        let shown = ann_path.display().to_string();
        let bytes =
            match crate::store::read_regular(&txt_path, crate::model::text::max_text_bytes()) {
                Ok(b) => b,
                Err(e) => {
                    stats.skipped.push(format!(
                        "{shown}: its text {} cannot be read: {}",
                        txt_path.display(),
                        e.reason()
                    ));
                    continue;
                }
            };
        let text = match Text::from_bytes(&bytes) {
            Ok(t) => t,
            Err(at) => {
                stats.skipped.push(format!(
                    "{}: not valid UTF-8 (first bad byte at {at})",
                    txt_path.display()
                ));
                continue;
            }
        };
        let ann = match super::read_source(ann_path) {
            Ok(a) => a,
            Err(e) => {
                stats.skipped.push(e.to_string());
                continue;
            }
        };
        let Parsed {
            spans,
            mut relations,
            unsupported,
        } = parse_ann(&ann, &text, &shown, stats);
        for r in &mut relations {
            r.symmetric |= symmetric.contains(&r.kind);
            r.declared_ends = ends.get(&r.kind).cloned();
        }
        let rel = format!("{}.txt", ann_rel.strip_suffix(".ann").unwrap_or(ann_rel));
        let doc = Incoming {
            rel,
            text: Some(text.as_str().to_owned()),
            status: None,
            spans,
            origin: shown.clone(),
            annotator: None,
            record: None,
            relations,
        };
        sink(doc, Some((shown, unsupported)))?;
        stats.done += 1;
    }
    progress(total, total);
    Ok(())
}

/// What one `.ann` holds that Marginalia reads, and what it cannot hold.
#[derive(Debug, Default)]
pub struct Parsed {
    pub spans: Vec<IncomingSpan>,
    pub relations: Vec<IncomingRelation>,
    pub unsupported: Unsupported,
}

/// A relation line before its arguments are looked up: its line, brat id (`R1`; none for an
/// equivalence), type, the two arguments' ids and whether it is an equivalence's link.
struct Link {
    line: usize,
    id: Option<String>,
    kind: String,
    from: String,
    to: String,
    equiv: bool,
}

/// Parses one `.ann` against its text. Spans whose offsets or text do not fit are recorded in
/// `stats.rejected` with their line, relations whose arguments are not imported spans in
/// `stats.rejected_relations`.
pub fn parse_ann(ann: &str, text: &Text, shown: &str, stats: &mut SourceStats) -> Parsed {
    let mut links: Vec<Link> = Vec::new();
    let mut spans: Vec<IncomingSpan> = Vec::new();
    let mut by_id: BTreeMap<String, usize> = BTreeMap::new();
    // (line, note type, target id, text)
    let mut notes: Vec<(usize, String, String, String)> = Vec::new();
    // (line, brat name, target id, value)
    let mut attributes: Vec<(usize, String, String, Option<String>)> = Vec::new();
    let mut unsupported = Unsupported::default();
    let shift = usize::from(text.had_bom());
    for (i, line) in ann.lines().enumerate() {
        let line_no = i + 1;
        let origin = format!("{shown}:{line_no}");
        if line.trim().is_empty() {
            continue;
        }
        let mut reject = |why: String| stats.rejected.push(format!("{origin}: {why}"));
        match line.chars().next() {
            Some('T') => {
                let mut fields = line.splitn(3, '\t');
                let (Some(id), Some(type_offsets)) = (fields.next(), fields.next()) else {
                    reject("a T line needs an id, a type with offsets, and the text".into());
                    continue;
                };
                let stated = fields.next().unwrap_or("");
                let Some((tag, offsets)) = type_offsets.split_once(' ') else {
                    reject(format!("{type_offsets:?} has no offsets"));
                    continue;
                };
                let mut frags = Vec::new();
                let mut bad = None;
                for frag in offsets.split(';') {
                    let mut nums = frag.split_whitespace().map(str::parse::<usize>);
                    match (nums.next(), nums.next(), nums.next()) {
                        (Some(Ok(a)), Some(Ok(b)), None) if a >= shift && b >= a => {
                            frags.push(CharRange::new(a - shift, b - shift))
                        }
                        _ => bad = Some(format!("bad offsets {frag:?}")),
                    }
                }
                if let Some(b) = bad {
                    reject(b);
                    continue;
                }
                if let Some(e) = frags.iter().map(|f| f.end).find(|&e| e > text.char_len()) {
                    reject(format!(
                        "{tag} {offsets} ends at {e}, outside the text ({} chars)",
                        text.char_len()
                    ));
                    continue;
                }
                let found: Vec<&str> = frags.iter().map(|f| text.slice(f.start, f.end)).collect();
                let found = found.join(" ");
                if found != stated {
                    reject(format!(
                        "{tag} {offsets} says {stated:?} but the text there is {found:?}"
                    ));
                    continue;
                }
                let (Some(start), Some(end)) = (
                    frags.iter().map(|f| f.start).min(),
                    frags.iter().map(|f| f.end).max(),
                ) else {
                    continue;
                };
                if frags.len() > 1 {
                    stats.joined_fragments += 1;
                }
                by_id.insert(id.to_owned(), spans.len());
                spans.push(IncomingSpan {
                    id: id.get(1..).and_then(|n| n.parse().ok()),
                    fragments: if frags.len() > 1 { frags } else { Vec::new() },
                    ..IncomingSpan::new(start, end, tag, origin)
                });
            }
            Some('#') => {
                let mut fields = line.splitn(3, '\t');
                let _ = fields.next();
                let target = fields.next().unwrap_or("");
                let note =
                    crate::interchange::export::brat::unescape_note(fields.next().unwrap_or(""));
                match target.split_once(' ') {
                    Some((kind, on)) if on.starts_with(['T', 'R']) => {
                        notes.push((line_no, kind.to_owned(), on.trim().to_owned(), note))
                    }
                    Some(_) => unsupported.notes_on_others += 1,
                    None => {
                        unsupported.unknown_lines += 1;
                        stats
                            .rejected
                            .push(format!("{origin}: a note line without a target"));
                    }
                }
            }
            Some('R') => {
                let mut fields = line.split('\t');
                let id = fields.next().unwrap_or("").trim();
                let mut words = fields.next().unwrap_or("").split_whitespace();
                let kind = words.next().unwrap_or("");
                let args: Vec<&str> = words
                    .map(|a| a.split_once(':').map_or(a, |(_, id)| id))
                    .collect();
                match args.as_slice() {
                    [from, to] if !kind.is_empty() => links.push(Link {
                        line: line_no,
                        id: Some(id.to_owned()),
                        kind: kind.to_owned(),
                        from: (*from).to_owned(),
                        to: (*to).to_owned(),
                        equiv: false,
                    }),
                    _ => stats.rejected_relations.push(format!(
                        "{origin}: a relation line needs a type and two arguments (Arg1:T1 Arg2:T2)"
                    )),
                }
            }
            Some('E') => unsupported.events += 1,
            Some('A' | 'M') => {
                let rest = line.split_once('\t').map_or("", |(_, r)| r);
                let mut words = rest.split_whitespace();
                match (words.next(), words.next(), words.next()) {
                    (Some(name), Some(on), value) if on.starts_with(['T', 'R']) => {
                        attributes.push((
                            line_no,
                            name.to_owned(),
                            on.to_owned(),
                            value.map(unbrat_token),
                        ))
                    }
                    _ => unsupported.attributes += 1,
                }
            }
            Some('N') => unsupported.normalizations += 1,
            Some('*') => {
                let rest = line.split_once('\t').map_or("", |(_, r)| r);
                let mut words = rest.split_whitespace();
                let kind = words.next().unwrap_or("");
                let members: Vec<&str> = words.collect();
                if kind.is_empty() || members.len() < 2 {
                    stats.rejected_relations.push(format!(
                        "{origin}: an equivalence needs a type and at least two mentions"
                    ));
                }
                for pair in members.windows(2) {
                    links.push(Link {
                        line: line_no,
                        id: None,
                        kind: kind.to_owned(),
                        from: pair[0].to_owned(),
                        to: pair[1].to_owned(),
                        equiv: true,
                    });
                }
            }
            _ => {
                unsupported.unknown_lines += 1;
                stats
                    .rejected
                    .push(format!("{origin}: unrecognised line {:?}", shorten(line)));
            }
        }
    }
    // Relations: their arguments looked up once every T line is read.
    let mut relations: Vec<IncomingRelation> = Vec::new();
    let mut rel_by_id: BTreeMap<String, usize> = BTreeMap::new();
    for link in links {
        let origin = format!("{shown}:{}", link.line);
        let arg = |which: &str, id: &str| -> Result<usize, String> {
            by_id.get(id).copied().ok_or_else(|| {
                let what = match id.chars().next() {
                    Some('E') => "an event, which Marginalia cannot hold",
                    Some('R') => "a relation, not a span",
                    Some('T') => "a text annotation that was not imported (rejected above, or not in the file)",
                    _ => "not a text annotation",
                };
                format!("its {which} argument {id} is {what}")
            })
        };
        match arg("first", &link.from).and_then(|f| Ok((f, arg("second", &link.to)?))) {
            Ok((from, to)) => {
                if let Some(id) = &link.id {
                    rel_by_id.insert(id.clone(), relations.len());
                }
                relations.push(IncomingRelation {
                    symmetric: link.equiv,
                    id: link.id.as_deref().and_then(|i| i.get(1..)?.parse().ok()),
                    ..IncomingRelation::new(&link.kind, from, to, origin)
                });
            }
            Err(why) => stats
                .rejected_relations
                .push(format!("{origin}: {} relation: {why}", link.kind)),
        }
    }
    for (line_no, name, on, value) in attributes {
        if on.starts_with('R') {
            match rel_by_id.get(&on) {
                Some(&i) => {
                    let value = value.unwrap_or_else(|| crate::model::tags::FLAG_TRUE.to_owned());
                    relations[i].attrs.insert(unbrat_token(&name), value);
                }
                None => stats.rejected.push(format!(
                    "{shown}:{line_no}: attribute on {on}, which was not imported"
                )),
            }
            continue;
        }
        match by_id.get(&on) {
            Some(&i) => {
                let s = &mut spans[i];
                let name = attr_name(&name, &s.tag);
                let value = value.unwrap_or_else(|| crate::model::tags::FLAG_TRUE.to_owned());
                s.attrs.insert(name, value);
            }
            None => stats.rejected.push(format!(
                "{shown}:{line_no}: attribute on {on}, which was not imported"
            )),
        }
    }
    for (line_no, kind, on, note) in notes {
        if on.starts_with('R') {
            match rel_by_id.get(&on) {
                Some(&i) if kind == "AnnotatorNotes" => {
                    let r = &mut relations[i];
                    if !r.note.is_empty() {
                        r.note.push('\n');
                    }
                    r.note.push_str(&note);
                }
                Some(&i) => {
                    relations[i].attrs.insert(unbrat_token(&kind), note);
                }
                None => stats.rejected.push(format!(
                    "{shown}:{line_no}: note on {on}, which was not imported"
                )),
            }
            continue;
        }
        match by_id.get(&on) {
            Some(&i) if kind != "AnnotatorNotes" => {
                let s = &mut spans[i];
                s.attrs.insert(attr_name(&kind, &s.tag), note);
            }
            Some(&i) => {
                let s = &mut spans[i];
                if !s.note.is_empty() {
                    s.note.push('\n');
                }
                s.note.push_str(&note);
            }
            None => stats.rejected.push(format!(
                "{shown}:{line_no}: note on {on}, which was not imported"
            )),
        }
    }
    Parsed {
        spans,
        relations,
        unsupported,
    }
}

fn shorten(s: &str) -> String {
    s.chars().take(40).collect()
}
