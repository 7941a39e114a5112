//! A team of twenty through real git: one bare repository, 20 annotator clones (two annotators
//! work from two clones each) and 2 reviewer clones, each set up with `marginalia git setup`,
//! edit through the core API for 10 rounds, then pull and push. Asserts that no conflict marker
//! ever lands in the tree, that `validate` passes, that every span and relation created and not
//! deleted survives (a relation linking the same places, its ends never dangling), that every
//! conflict the driver reported is recorded where the window shows it, and that the final tree
//! is the same whatever order the clones push in.
//!
//! Each round ends with every clone catching up, so every clone edits from the same state
//! whatever the order: otherwise what a clone saw, and so what it did, would depend on the
//! order, and no merge could make the trees equal. Within a round the pushes race as usual.
//! Edits go through the core (`Layer`, `make_span`, `CuratedLayer`, `TagSet`) with fixed
//! timestamps, so both runs write the same bytes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use marginalia::model::curated::{CuratedLayer, CuratedSpan, Rejection, SourceRef};
use marginalia::model::layer::{Layer, Span, make_span};
use marginalia::model::relation::{End, Relation};
use marginalia::store;
use marginalia::team::merge::{CONFLICT_MARK, MERGE_AUTHOR};
use marginalia::{TagSet, Text, Workspace};

use crate::support::process::run_with_home;

const DOCS: usize = 10;
const ROUNDS: usize = 10;
const TAGS: [&str; 4] = ["quote", "claim", "error", "boilerplate"];

fn git_available() -> bool {
    Command::new("git")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs git in `dir` with a fixed identity, dates and no user or system configuration.
fn git(dir: &Path, home: &Path, args: &[&str]) -> Output {
    Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", home.join("gitconfig"))
        .env("GIT_AUTHOR_NAME", "Sim")
        .env("GIT_AUTHOR_EMAIL", "sim@example.org")
        .env("GIT_COMMITTER_NAME", "Sim")
        .env("GIT_COMMITTER_EMAIL", "sim@example.org")
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_MERGE_AUTOEDIT", "no")
        .env("LC_ALL", "C")
        .output()
        .unwrap_or_else(|e| panic!("git {args:?}: {e}"))
}

fn ok(dir: &Path, home: &Path, args: &[&str]) -> String {
    let o = git(dir, home, args);
    assert!(
        o.status.success(),
        "git {args:?} in {}: {}{}",
        dir.display(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn doc_rel(d: usize) -> String {
    format!("texts/doc{d:02}.txt")
}

fn doc_text(d: usize) -> String {
    let mut s = String::new();
    for i in 0..40 {
        s.push_str(&format!("Sentence {i} of document {d} says something. "));
    }
    s
}

/// One clone: who works in it.
struct Clone {
    dir: PathBuf,
    who: String,
    /// 0 or 1 for an annotator who works from two clones.
    seat: usize,
    reviewer: bool,
    /// Spans this clone created: (doc, start, end).
    created: Vec<(usize, usize, usize)>,
    /// The workspace, opened once (its texts do not change).
    ws: Workspace,
}

/// What a run ends with and saw along the way.
struct Outcome {
    tree: BTreeMap<String, Vec<u8>>,
    conflicts: Vec<Recorded>,
}

/// A relation as a user sees it: whose, on which document, its type and its ends' ranges.
type Link = (String, usize, String, (usize, usize), (usize, usize));

/// A relation's type and its ends' ranges.
type Places = (String, (usize, usize), (usize, usize));

/// A relation's type and its ends' ranges in `layer` (`None`: an end names no span there).
fn places(layer: &Layer, r: &Relation) -> Option<Places> {
    let at = |e: &End| {
        let id = e.here_id()?;
        let s = layer.span(id)?;
        Some((s.start, s.end))
    };
    Some((r.kind.clone(), at(&r.from)?, at(&r.to)?))
}

fn stamp(round: usize) -> String {
    format!("2026-02-{:02}T10:00:00Z", round + 1)
}

fn load_layer(ws: &Workspace, who: &str, rel: &str, text: &Text) -> (PathBuf, Layer) {
    let path = ws.layer_path(who, rel).expect("layer path");
    let layer = match marginalia::model::layer::load_layer(&path).expect("layer reads") {
        Some((l, _)) => l,
        None => Layer::new(rel, text, who),
    };
    (path, layer)
}

/// Whether an annotator deletes span `s` this round (of those they made): neither it nor its
/// relations carry a recorded conflict, and it was made before this round (`now`).
fn deletable(layer: &Layer, s: &Span, now: &str) -> bool {
    !s.note.contains(CONFLICT_MARK)
        && !(layer.relations_of(s.id)).any(|r| r.note.contains(CONFLICT_MARK))
        && s.modified.as_str() < now
}

/// An annotator's edits for one round, through the core API.
fn annotate(
    c: &mut Clone,
    idx: usize,
    round: usize,
    expected: &mut BTreeSet<(String, usize, usize, usize)>,
    links: &mut BTreeSet<Link>,
) {
    let d = idx % DOCS;
    let rel = doc_rel(d);
    let text = Text::from_string(&doc_text(d));
    let (path, mut layer) = load_layer(&c.ws, &c.who, &rel, &text);
    let now = stamp(round);
    // A span to link that the annotator's other clone may delete meanwhile (the merge keeps it
    // then): the first it would delete, by the rule below; with one clone, the oldest span.
    let mine: Vec<(usize, usize, usize)> = c.created.iter().copied().filter(|x| x.0 == d).collect();
    let linked = (layer.spans.iter())
        .find(|s| !mine.contains(&(d, s.start, s.end)) && deletable(&layer, s, &now))
        .or_else(|| (layer.spans.iter().filter(|s| s.modified < now)).min_by_key(|s| s.id))
        .map(|s| s.id);
    let mut new_ids = Vec::new();
    // Two new spans at places only this clone uses in this round.
    for k in 0..2 {
        let slot = (c.seat * ROUNDS + round) * 2 + k;
        let start = slot * 23 + idx % 5;
        let id = layer.take_id();
        new_ids.push(id);
        let tag = TAGS[(slot + idx) % TAGS.len()];
        layer
            .spans
            .push(make_span(&text, id, start, start + 7, tag, &now));
        c.created.push((d, start, start + 7));
        expected.insert((c.who.clone(), d, start, start + 7));
    }
    // A note on the latest relation made before this round: a two-clone annotator's clones
    // both write one, which is a conflict recorded in the relation's note.
    if let Some(r) = (layer.relations.iter_mut())
        .filter(|r| r.modified < now)
        .max_by_key(|r| r.id)
    {
        if !r.note.is_empty() {
            r.note.push('\n');
        }
        r.note.push_str(&format!(
            "checked by {} ({}) in round {round}",
            c.who, c.seat
        ));
        r.modified = now.clone();
    }
    // The new spans linked to each other, and the first to the span chosen above. Both clones of a
    // two-clone annotator take the same ids: the merge renumbers, the relations follow.
    let ends = [(new_ids[0], new_ids[1])]
        .into_iter()
        .chain(linked.map(|o| (new_ids[0], o)));
    for (from, to) in ends {
        let r = Relation {
            id: layer.take_id(),
            kind: "same-as".into(),
            from: End::here(from),
            to: End::here(to),
            note: String::new(),
            attrs: BTreeMap::new(),
            created: now.clone(),
            modified: now.clone(),
        };
        let (kind, a, b) = places(&layer, &r).expect("both ends are spans");
        links.insert((c.who.clone(), d, kind, a, b));
        layer.relations.push(r);
    }
    // Retag the first span made before this round: a two-clone annotator's clones pick
    // different tags, which is a conflict for the driver to record.
    if round % 2 == 1
        && let Some(s) = layer
            .spans
            .iter_mut()
            .filter(|s| s.modified < now)
            .min_by_key(|s| s.id)
    {
        let others: Vec<&str> = TAGS.iter().copied().filter(|t| *t != s.tag).collect();
        s.tag = if c.seat == 0 {
            others[0]
        } else {
            others[others.len() - 1]
        }
        .to_owned();
        s.modified = now.clone();
    }
    // A note on the latest span made before this round (appended: recorded conflicts stay).
    if let Some(s) = layer
        .spans
        .iter_mut()
        .filter(|s| s.modified < now)
        .max_by_key(|s| s.id)
    {
        if !s.note.is_empty() {
            s.note.push('\n');
        }
        s.note
            .push_str(&format!("seen by {} ({}) in round {round}", c.who, c.seat));
        s.modified = now.clone();
    }
    // Every third round, delete the oldest span this clone made that carries no conflict (nor
    // do its relations).
    if round % 3 == 2 {
        let mine: Vec<(usize, usize, usize)> =
            c.created.iter().copied().filter(|x| x.0 == d).collect();
        if let Some(pos) = (layer.spans.iter())
            .position(|s| mine.contains(&(d, s.start, s.end)) && deletable(&layer, s, &now))
        {
            // As the window deletes a span: with its relations.
            for r in layer
                .relations
                .iter()
                .filter(|r| r.touches(layer.spans[pos].id))
            {
                let (kind, a, b) = places(&layer, r).expect("both ends are spans");
                links.remove(&(c.who.clone(), d, kind, a, b));
            }
            let s = layer.spans.remove(pos);
            layer.relations.retain(|r| !r.touches(s.id));
            expected.remove(&(c.who.clone(), d, s.start, s.end));
            c.created.retain(|x| *x != (d, s.start, s.end));
        }
    }
    layer.normalize();
    marginalia::model::layer::save_layer(&path, &layer).expect("layer saves");
}

/// A reviewer's decisions for one round: up to three undecided spans of the first annotator of
/// two documents (one of them shared with the other reviewer, who decides differently).
fn review(c: &Clone, round: usize) {
    let ws = &c.ws;
    let now = stamp(round);
    for d in [(round + c.seat) % DOCS, (round + 1) % DOCS] {
        let rel = doc_rel(d);
        let text = Text::from_string(&doc_text(d));
        let annotator = format!("ann{:02}", d);
        let Some((layer, _)) = ws
            .layer_path(&annotator, &rel)
            .and_then(|p| marginalia::model::layer::load_layer(&p).expect("layer reads"))
        else {
            continue;
        };
        let path = ws.layer_path("curated", &rel).expect("curated path");
        let mut cur = match marginalia::model::curated::load_curated(&path).expect("curated reads")
        {
            Some((c, _)) => c,
            None => CuratedLayer::new(&rel, &text),
        };
        cur.reviewed = vec![annotator.clone()];
        let decided = cur.decided();
        let mut n = 0;
        for s in &layer.spans {
            let from = SourceRef {
                layer: annotator.clone(),
                id: s.id,
            };
            if n == 3 || decided.contains(&from) {
                continue;
            }
            n += 1;
            if (s.id as usize + c.seat).is_multiple_of(2) {
                let id = cur.next_id.max(1);
                cur.next_id = id + 1;
                cur.spans.push(CuratedSpan {
                    span: Span {
                        id,
                        start: s.start,
                        end: s.end,
                        tag: s.tag.clone(),
                        exact: s.exact.clone(),
                        prefix: s.prefix.clone(),
                        suffix: s.suffix.clone(),
                        note: String::new(),
                        attrs: s.attrs.clone(),
                        created: s.created.clone(),
                        modified: now.clone(),
                    },
                    from: vec![from],
                    accepted_by: c.who.clone(),
                    accepted_at: now.clone(),
                    edited: false,
                });
            } else {
                cur.rejected.push(Rejection {
                    from,
                    start: s.start,
                    end: s.end,
                    tag: s.tag.clone(),
                    exact: s.exact.clone(),
                    reason: format!("{} says no", c.who),
                    by: c.who.clone(),
                    at: now.clone(),
                });
            }
        }
        store::write_atomic(&path, cur.to_ron().as_bytes()).expect("curated saves");
    }
}

/// Two clones add different tags to tags.ron in the first round.
fn add_tag(c: &Clone, name: &str) {
    let path = c.dir.join("annotations/tags.ron");
    let mut set = TagSet::load_or_default(&path).expect("tags read");
    set.add_generated(name);
    set.save(&path).expect("tags save");
}

/// A conflict the driver recorded: a line in a span's note (the span by its range), or a
/// review comment's text.
#[derive(Debug, Clone)]
enum Recorded {
    Note {
        path: String,
        range: (usize, usize),
        line: String,
    },
    Comment {
        path: String,
        text: String,
    },
    /// A line in a relation's note (the relation by its type and ends' ranges).
    Relation {
        path: String,
        link: Places,
        line: String,
    },
}

impl Recorded {
    /// Whether the file's text (as in the tree) still shows it where the window shows it.
    fn shown_in(&self, file: &str) -> bool {
        match self {
            Recorded::Note { path, range, line } => {
                let spans: Vec<(usize, usize, String)> = if path.contains("annotations/curated/") {
                    let c = CuratedLayer::from_ron(file).expect("curated parses");
                    c.spans
                        .into_iter()
                        .map(|s| (s.span.start, s.span.end, s.span.note))
                        .collect()
                } else {
                    let l = Layer::from_ron(file).expect("layer parses");
                    l.spans
                        .into_iter()
                        .map(|s| (s.start, s.end, s.note))
                        .collect()
                };
                spans
                    .iter()
                    .any(|(s, e, note)| (*s, *e) == *range && note.lines().any(|l| l == line))
            }
            Recorded::Comment { text, .. } => CuratedLayer::from_ron(file)
                .expect("curated parses")
                .comments
                .iter()
                .any(|k| k.by == MERGE_AUTHOR && k.text == *text),
            Recorded::Relation { link, line, .. } => {
                let l = Layer::from_ron(file).expect("layer parses");
                l.relations.iter().any(|r| {
                    places(&l, r).as_ref() == Some(link) && r.note.lines().any(|n| n == line)
                })
            }
        }
    }

    fn path(&self) -> &str {
        match self {
            Recorded::Note { path, .. }
            | Recorded::Comment { path, .. }
            | Recorded::Relation { path, .. } => path,
        }
    }
}

/// Each conflict the driver printed during a pull, checked to be in the merged file where the
/// window shows it: a span's note, or a review comment (tag set hotkeys are shown in
/// `tags.ron` itself).
fn check_recorded(c: &Clone, pull_output: &str) -> Vec<Recorded> {
    let mut found = Vec::new();
    for line in pull_output.lines() {
        let Some((path, what)) = line.split_once(": conflict: ") else {
            continue;
        };
        if what.contains("now span") || what.contains("now relation") || path.ends_with("tags.ron")
        {
            continue; // a renumbering or a hotkey, nothing to decide in a note
        }
        let file = std::fs::read_to_string(c.dir.join(path)).expect("merged file");
        let recorded = if let Some(at) = what.find(CONFLICT_MARK) {
            Recorded::Comment {
                path: path.to_owned(),
                text: what[at..].to_owned(),
            }
        } else if let Some(rest) = what.strip_prefix("relation ") {
            let (id, text) = rest.split_once(": ").expect("relation N: …");
            let l = Layer::from_ron(&file).expect("layer parses");
            let r = l
                .relation(id.parse().expect("relation id"))
                .unwrap_or_else(|| panic!("{path}: relation {id} is gone"));
            Recorded::Relation {
                path: path.to_owned(),
                link: places(&l, r).unwrap_or_else(|| panic!("{path}: relation {id} dangles")),
                line: format!("{CONFLICT_MARK} {text}"),
            }
        } else {
            let rest = what.strip_prefix("span ").expect("span N: …");
            let (id, text) = rest.split_once(": ").expect("span N: …");
            let id: u64 = id.parse().expect("span id");
            let spans: Vec<(u64, usize, usize)> = if path.contains("annotations/curated/") {
                let c = CuratedLayer::from_ron(&file).expect("curated parses");
                c.spans
                    .iter()
                    .map(|s| (s.span.id, s.span.start, s.span.end))
                    .collect()
            } else {
                let l = Layer::from_ron(&file).expect("layer parses");
                l.spans.iter().map(|s| (s.id, s.start, s.end)).collect()
            };
            let &(_, start, end) = spans
                .iter()
                .find(|s| s.0 == id)
                .unwrap_or_else(|| panic!("{path}: span {id} is gone"));
            Recorded::Note {
                path: path.to_owned(),
                range: (start, end),
                line: format!("{CONFLICT_MARK} {text}"),
            }
        };
        assert!(
            recorded.shown_in(&file),
            "{path}: {what} is not recorded: {recorded:?}"
        );
        found.push(recorded);
    }
    found
}

/// Pulls (merging with the driver) and pushes; a rejected push (someone pushed in between)
/// pulls and pushes again. Returns how many recorded conflicts it checked.
fn pull_and_push(c: &Clone, home: &Path) -> Vec<Recorded> {
    let mut checked = Vec::new();
    for _ in 0..50 {
        let o = git(
            &c.dir,
            home,
            &["pull", "--no-rebase", "--no-edit", "origin", "main"],
        );
        let out = String::from_utf8_lossy(&o.stdout).into_owned();
        assert!(
            o.status.success(),
            "pull in {}: {out}{}",
            c.dir.display(),
            String::from_utf8_lossy(&o.stderr)
        );
        checked.extend(check_recorded(c, &out));
        if git(&c.dir, home, &["push", "-q", "origin", "main"])
            .status
            .success()
        {
            return checked;
        }
    }
    panic!("{}: push still rejected after 50 tries", c.dir.display());
}

fn run(order: &[usize]) -> Outcome {
    let tmp = tempfile::tempdir().expect("temp dir");
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    // Nothing in the background, no rename detection: quick, and the same every run.
    std::fs::write(
        home.join("gitconfig"),
        "[gc]\n\tauto = 0\n[maintenance]\n\tauto = false\n[fetch]\n\tshowForcedUpdates = false\n\twriteCommitGraph = false\n[merge]\n\trenames = false\n\tstat = false\n[diff]\n\trenames = false\n[receive]\n\tautogc = false\n[core]\n\tfsync = none\n[advice]\n\tdetachedHead = false\n",
    )
    .expect("gitconfig");
    let origin = tmp.path().join("origin.git");
    ok(
        tmp.path(),
        &home,
        &[
            "init",
            "-q",
            "--bare",
            "-b",
            "main",
            origin.to_str().unwrap(),
        ],
    );
    // The seed: texts, the default tag set, the driver's .gitattributes.
    let seed = tmp.path().join("seed");
    ok(
        tmp.path(),
        &home,
        &["clone", "-q", origin.to_str().unwrap(), "seed"],
    );
    ok(&seed, &home, &["checkout", "-q", "-b", "main"]);
    std::fs::create_dir_all(seed.join("texts")).expect("texts");
    std::fs::create_dir_all(seed.join("annotations")).expect("annotations");
    for d in 0..DOCS {
        std::fs::write(seed.join(doc_rel(d)), doc_text(d)).expect("text");
    }
    TagSet::default()
        .save(&seed.join("annotations/tags.ron"))
        .expect("tags");
    let o = run_with_home(&["git", "setup", "."], &seed, &home);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    ok(&seed, &home, &["add", "-A"]);
    ok(&seed, &home, &["commit", "-q", "-m", "seed"]);
    ok(&seed, &home, &["push", "-q", "origin", "main"]);
    // 20 annotator clones (ann00 and ann01 from two clones each) and 2 reviewers.
    let mut clones = Vec::new();
    let mut who = Vec::new();
    for a in 0..2 {
        who.push((format!("ann{a:02}"), 0, false));
        who.push((format!("ann{a:02}"), 1, false));
    }
    for a in 2..18 {
        who.push((format!("ann{a:02}"), 0, false));
    }
    who.push(("rev-a".into(), 0, true));
    who.push(("rev-b".into(), 1, true));
    for (i, (name, seat, reviewer)) in who.into_iter().enumerate() {
        let dir = tmp.path().join(format!("clone{i:02}"));
        ok(
            tmp.path(),
            &home,
            &[
                "clone",
                "-q",
                "--shared",
                origin.to_str().unwrap(),
                dir.to_str().unwrap(),
            ],
        );
        let o = run_with_home(&["git", "setup", "."], &dir, &home);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        clones.push(Clone {
            who: name,
            seat,
            reviewer,
            created: Vec::new(),
            ws: Workspace::open(&dir).expect("workspace opens"),
            dir,
        });
    }
    let mut expected = BTreeSet::new();
    let mut links = BTreeSet::new();
    let mut conflicts = Vec::new();
    for round in 0..ROUNDS {
        for &i in order {
            let c = &mut clones[i];
            if c.reviewer {
                review(c, round);
            } else {
                let idx: usize = c.who[3..].parse().expect("annotator number");
                annotate(c, idx, round, &mut expected, &mut links);
            }
            if round == 0 && (i == 5 || i == 9) {
                add_tag(c, if i == 5 { "person" } else { "place" });
            }
            ok(&c.dir, &home, &["add", "-A"]);
            // Nothing to commit (a reviewer with nothing left to decide) is fine.
            let _ = git(
                &c.dir,
                &home,
                &["commit", "-q", "-m", &format!("{} round {round}", c.who)],
            );
            conflicts.extend(pull_and_push(c, &home));
        }
        // Everyone catches up before the next round (a fast-forward to what was pushed; the
        // clones share the origin's objects, so nothing needs fetching).
        let head = ok(&origin, &home, &["rev-parse", "main"]);
        for c in &clones {
            ok(&c.dir, &home, &["merge", "-q", "--ff-only", head.trim()]);
        }
    }
    let last = &clones[0];
    // No conflict markers anywhere.
    let files = ok(&last.dir, &home, &["ls-files"]);
    let mut tree = BTreeMap::new();
    for f in files.lines() {
        let bytes = std::fs::read(last.dir.join(f)).expect("tracked file");
        let s = String::from_utf8_lossy(&bytes);
        assert!(
            !s.lines()
                .any(|l| l.starts_with("<<<<<<<") || l.starts_with(">>>>>>>") || l == "======="),
            "{f} has conflict markers"
        );
        tree.insert(f.to_owned(), bytes);
    }
    // validate passes, and does not warn about the driver.
    let o = run_with_home(&["validate", "."], &last.dir, &home);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{err}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(!err.contains("merge driver"), "{err}");
    // Every span created and not deleted is there.
    let ws = Workspace::open(&last.dir).expect("workspace");
    for (who, d, start, end) in &expected {
        let rel = doc_rel(*d);
        let (_, layer) = load_layer(&ws, who, &rel, &Text::from_string(&doc_text(*d)));
        assert!(
            layer
                .spans
                .iter()
                .any(|s| (s.start, s.end) == (*start, *end)),
            "{who}'s span {start}..{end} on {rel} is missing"
        );
    }
    // Every relation created and not deleted links the same places; no end dangles.
    let mut found = BTreeSet::new();
    for d in 0..DOCS {
        let rel = doc_rel(d);
        for who in ws.layer_names() {
            let Some(path) = ws.layer_path(&who, &rel) else {
                continue;
            };
            let Some((layer, _)) = marginalia::model::layer::load_layer(&path).expect("reads")
            else {
                continue;
            };
            for r in &layer.relations {
                let (kind, a, b) = places(&layer, r)
                    .unwrap_or_else(|| panic!("{who}'s relation {} on {rel} dangles", r.id));
                found.insert((who.clone(), d, kind, a, b));
            }
        }
    }
    let lost: Vec<&Link> = links.difference(&found).collect();
    assert!(lost.is_empty(), "relations lost: {lost:?}");
    // Every conflict recorded along the way is still where the window shows it.
    for r in &conflicts {
        let file = String::from_utf8_lossy(&tree[r.path()]).into_owned();
        assert!(r.shown_in(&file), "{r:?} is no longer in the final tree");
    }
    // Both new tags are there.
    let tags = TagSet::load_or_default(&last.dir.join("annotations/tags.ron")).expect("tags");
    assert!(tags.contains("person") && tags.contains("place"));
    Outcome { tree, conflicts }
}

#[test]
fn twenty_annotators_and_two_reviewers_merge_through_git_without_markers() {
    if !git_available() {
        eprintln!("skipped: git is not installed (the team simulation needs real git)");
        return;
    }
    let n = 22;
    let forward: Vec<usize> = (0..n).collect();
    let backward: Vec<usize> = (0..n).rev().collect();
    // The two orders run side by side (one per core).
    let t0 = std::time::Instant::now();
    let other = std::thread::spawn(move || run(&backward));
    let a = run(&forward);
    let b = other.join().expect("the second run");
    eprintln!(
        "team simulation: {:.1} s for both orders",
        t0.elapsed().as_secs_f64()
    );
    for kind in ["annotations/ann00/", "annotations/curated/"] {
        assert!(
            a.conflicts.iter().any(|r| r.path().starts_with(kind)),
            "no conflict in {kind}: {:?}",
            a.conflicts
        );
    }
    assert!(!b.conflicts.is_empty());
    // Relations met conflicts too: a note both clones wrote, a span one deleted and one linked.
    let relation_note = |r: &Recorded| matches!(r, Recorded::Relation { .. });
    let linked_back = |r: &Recorded| matches!(r, Recorded::Note { line, .. } if line.contains("linked by a relation"));
    assert!(a.conflicts.iter().any(relation_note), "{:?}", a.conflicts);
    assert!(a.conflicts.iter().any(linked_back), "{:?}", a.conflicts);
    let differing: Vec<&String> = a
        .tree
        .keys()
        .chain(b.tree.keys())
        .filter(|k| a.tree.get(*k) != b.tree.get(*k))
        .collect();
    assert!(
        differing.is_empty(),
        "the final trees differ in {differing:?}"
    );
}

/// Merges that fit alone, through real git: each clone's change merges cleanly alone, not together.
/// Clone A re-scrapes a text and re-anchors while clone B adds a span on the old text; then A
/// renames quote → citation while B adds a quote. After each `git pull` (exit 0) the merged
/// layer does not fit: `reanchor`, then `tags rename`, repair it, each with one line.
#[test]
fn a_clean_pull_of_a_reanchor_or_a_tag_rename_against_new_spans_is_repaired() {
    if !git_available() {
        eprintln!("skipped: git is not installed");
        return;
    }
    let tmp = tempfile::tempdir().expect("temp dir");
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    std::fs::write(home.join("gitconfig"), "[core]\n\tfsync = none\n").expect("gitconfig");
    let origin = tmp.path().join("origin.git");
    let bare = [
        "init",
        "-q",
        "--bare",
        "-b",
        "main",
        origin.to_str().unwrap(),
    ];
    ok(tmp.path(), &home, &bare);
    let seed = tmp.path().join("seed");
    ok(
        tmp.path(),
        &home,
        &["clone", "-q", origin.to_str().unwrap(), "seed"],
    );
    ok(&seed, &home, &["checkout", "-q", "-b", "main"]);
    let rel = doc_rel(0);
    std::fs::create_dir_all(seed.join("texts")).expect("texts");
    std::fs::write(seed.join(&rel), doc_text(0)).expect("text");
    let old = Text::from_string(&doc_text(0));
    let ws = Workspace::open(&seed).expect("workspace");
    let (path, mut layer) = load_layer(&ws, "ann", &rel, &old);
    let span_on = |text: &Text, layer: &mut Layer, phrase: &str, tag: &str| {
        let b = text.as_str().find(phrase).expect("phrase");
        let s = text.char_of_byte(b);
        let id = layer.take_id();
        let e = s + phrase.chars().count();
        layer.spans.push(make_span(text, id, s, e, tag, &stamp(0)));
        layer.normalize();
    };
    span_on(&old, &mut layer, "Sentence 3 of document 0", "quote");
    marginalia::model::layer::save_layer(&path, &layer).expect("save");
    let o = run_with_home(&["git", "setup", "."], &seed, &home);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    ok(&seed, &home, &["add", "-A"]);
    ok(&seed, &home, &["commit", "-q", "-m", "seed"]);
    ok(&seed, &home, &["push", "-q", "origin", "main"]);
    let clone = |name: &str| {
        let dir = tmp.path().join(name);
        let args = [
            "clone",
            "-q",
            origin.to_str().unwrap(),
            dir.to_str().unwrap(),
        ];
        ok(tmp.path(), &home, &args);
        let o = run_with_home(&["git", "setup", "."], &dir, &home);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        dir
    };
    let (a, b) = (clone("a"), clone("b"));
    let pull = |dir: &Path| {
        let o = git(
            dir,
            &home,
            &["pull", "--no-rebase", "--no-edit", "origin", "main"],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    let commit_push = |dir: &Path, msg: &str| {
        ok(dir, &home, &["add", "-A"]);
        ok(dir, &home, &["commit", "-q", "-m", msg]);
        ok(dir, &home, &["push", "-q", "origin", "main"]);
    };
    let b_adds = |phrase: &str, tag: &str| {
        let ws = Workspace::open(&b).expect("workspace");
        let text = Text::load(&b.join(&rel)).expect("text");
        let (path, mut layer) = load_layer(&ws, "ann", &rel, &text);
        span_on(&text, &mut layer, phrase, tag);
        marginalia::model::layer::save_layer(&path, &layer).expect("save");
        ok(&b, &home, &["add", "-A"]);
        ok(&b, &home, &["commit", "-q", "-m", "b adds a span"]);
    };
    let cli = |dir: &Path, args: &[&str]| {
        let o = run_with_home(args, dir, &home);
        let out = String::from_utf8_lossy(&o.stdout).into_owned();
        (
            o.status.code(),
            out,
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };

    // A re-scrapes and re-anchors; B adds a span on the text it has.
    std::fs::write(a.join(&rel), format!("Updated.\n{}", doc_text(0))).expect("text");
    let (code, out, err) = cli(&a, &["reanchor", "."]);
    assert_eq!(code, Some(0), "{out}{err}");
    commit_push(&a, "a re-scrapes");
    b_adds("Sentence 7 of document 0", "claim");
    pull(&b);
    let (code, out, _) = cli(&b, &["validate", "."]);
    assert_eq!(code, Some(1), "the merged layer does not fit: {out}");
    assert!(out.contains("does not match the text there"), "{out}");
    let (code, out, err) = cli(&b, &["reanchor", "."]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        out.contains(
            "ann/texts/doc00.ron: 1 span re-anchored after a merge (they did not match the text)\n"
        ),
        "{out}"
    );
    let (code, out, _) = cli(&b, &["validate", "."]);
    assert_eq!(code, Some(0), "{out}");
    commit_push(&b, "b re-anchors the merge");
    pull(&a);

    // A renames quote → citation; B adds a quote.
    let (code, out, err) = cli(&a, &["tags", "rename", "quote", "citation"]);
    assert_eq!(code, Some(0), "{out}{err}");
    commit_push(&a, "a renames quote");
    b_adds("Sentence 9 of document 0", "quote");
    pull(&b);
    let (code, out, _) = cli(&b, &["validate", "."]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("unknown tag \"quote\""), "{out}");
    let (code, out, err) = cli(&b, &["tags", "rename", "quote", "citation"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        out.contains("1 span still tagged \"quote\" renamed to \"citation\""),
        "{out}"
    );
    let (code, out, _) = cli(&b, &["validate", "."]);
    assert_eq!(code, Some(0), "{out}");
}
