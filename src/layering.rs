//! The architecture check: reads `src/` as text and fails `cargo test` when a module imports
//! one that imports it back, or when a folder imports one listed after it in `lib.rs`'s map.
//!
//! The rule, at every level of the tree: the modules of one folder (its files and subfolders)
//! form no circle, counting a reference from anywhere inside a subfolder as the subfolder's.
//! A module may use its own parent folder's `mod.rs` (the folder's shared types), and a
//! `mod.rs` may use its children: that is the tree, not a circle. At the top, each folder may
//! use only the folders before it in [`LAYERS`]. References are `crate::…`, `super::…` and
//! `self::…` paths outside comments and outside the `#[cfg(test)]` module at a file's end.
//!
//! Run it alone with `cargo test --lib layering`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The top-level modules, lowest first: each may import only those before it.
pub const LAYERS: &[&str] = &[
    "wording",
    "store",
    "model",
    "workspace",
    "assist",
    "team",
    "session",
    "interchange",
    "cli",
    "app",
];

/// One reference from a module to another, with where it was read.
#[derive(Debug, Clone)]
pub struct Reference {
    pub from: Vec<String>,
    pub to: Vec<String>,
    pub file: String,
    pub line: usize,
}

/// Every module of the tree under `src` (as paths of names; the crate root is empty), and
/// every reference between two of them.
///
/// # Errors
/// A file or folder that cannot be read.
pub fn read_tree(src: &Path) -> std::io::Result<(BTreeSet<Vec<String>>, Vec<Reference>)> {
    let mut files = Vec::new();
    collect(src, src, &mut files)?;
    let mut modules = BTreeSet::new();
    let mut sources = Vec::new();
    for (rel, path) in files {
        if rel == "main.rs" {
            continue; // the binary: a crate of its own
        }
        let module = module_of(&rel);
        modules.insert(module.clone());
        let text = std::fs::read_to_string(&path)?;
        sources.push((rel, module, text));
    }
    let mut refs = Vec::new();
    for (rel, module, text) in &sources {
        for (line, path) in paths_in(&strip(text)) {
            let Some(target) = resolve(&modules, module, &path) else {
                continue;
            };
            if target != *module {
                refs.push(Reference {
                    from: module.clone(),
                    to: target,
                    file: rel.clone(),
                    line,
                });
            }
        }
    }
    Ok((modules, refs))
}

fn collect(
    root: &Path,
    dir: &Path,
    out: &mut Vec<(String, std::path::PathBuf)>,
) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for e in entries {
        let path = e.path();
        if e.file_type()?.is_dir() {
            collect(root, &path, out)?;
        } else if path.extension().is_some_and(|x| x == "rs") {
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, path));
        }
    }
    Ok(())
}

/// `team/merge.rs` → `[team, merge]`; `store/mod.rs` → `[store]`; `lib.rs` → `[]`.
fn module_of(rel: &str) -> Vec<String> {
    let stem = rel.trim_end_matches(".rs");
    let mut parts: Vec<String> = stem.split('/').map(str::to_owned).collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The source without comments, string contents and the trailing `#[cfg(test)]` module, with
/// its lines kept in place.
fn strip(text: &str) -> String {
    let cut = text.find("#[cfg(test)]\nmod tests").unwrap_or(text.len());
    let text = &text[..cut];
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut block = 0usize;
    let mut in_str = false;
    while let Some(c) = chars.next() {
        if block > 0 {
            if c == '*' && chars.peek() == Some(&'/') {
                chars.next();
                block -= 1;
            } else if c == '/' && chars.peek() == Some(&'*') {
                chars.next();
                block += 1;
            } else if c == '\n' {
                out.push('\n');
            }
            continue;
        }
        if in_str {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => in_str = false,
                '\n' => out.push('\n'),
                _ => {}
            }
            continue;
        }
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                block = 1;
            }
            '"' => {
                // A serde attribute names a function by path ("crate::a::b"): that is a use.
                let rest: String = chars.clone().take_while(|c| *c != '"').collect();
                if rest.starts_with("crate::") && !rest.contains(char::is_whitespace) {
                    out.push(' ');
                    out.push_str(&rest);
                    chars.nth(rest.chars().count());
                    out.push(' ');
                    continue;
                }
                in_str = true;
                out.push(' ');
            }
            '\'' => {
                // A char literal ('"', '\'') would open a string; a lifetime has no closing quote.
                let rest: String = chars.clone().take(3).collect();
                if rest.starts_with('\\') {
                    for c in chars.by_ref() {
                        if c == '\'' {
                            break;
                        }
                    }
                } else if rest.chars().nth(1) == Some('\'') {
                    chars.next();
                    chars.next();
                }
                out.push(' ');
            }
            _ => out.push(c),
        }
    }
    out
}

/// Every path that starts with `crate::`, `super::` or `self::`, with `use` groups expanded:
/// `use crate::a::{b, c::{d, e}}` gives `crate::a::b`, `crate::a::c::d`, `crate::a::c::e`.
fn paths_in(text: &str) -> Vec<(usize, Vec<String>)> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let at_word = i == 0
            || !(bytes[i - 1].is_ascii_alphanumeric()
                || bytes[i - 1] == b'_'
                || bytes[i - 1] == b':');
        if at_word {
            for head in ["crate::", "super::", "self::"] {
                if text[i..].starts_with(head) {
                    let line = text[..i].matches('\n').count() + 1;
                    let (paths, used) = expand(&text[i..]);
                    for p in paths {
                        out.push((line, p));
                    }
                    i += used.max(1);
                    break;
                }
            }
        }
        i += 1;
    }
    out
}

/// The paths one occurrence names, and how many bytes it spans.
fn expand(s: &str) -> (Vec<Vec<String>>, usize) {
    let mut prefix = Vec::new();
    let mut i = 0;
    let b = s.as_bytes();
    loop {
        let start = i;
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
            i += 1;
        }
        if i > start {
            prefix.push(s[start..i].to_owned());
        }
        if s[i..].starts_with("::") {
            i += 2;
            if s[i..].starts_with('{') {
                let Some(close) = matching_brace(&s[i..]) else {
                    return (vec![prefix], i);
                };
                let inner = &s[i + 1..i + close];
                let mut out = Vec::new();
                for part in split_top(inner) {
                    let part = part.trim();
                    let part = part.split(" as ").next().unwrap_or(part).trim();
                    if part.is_empty() || part == "self" || part == "*" {
                        out.push(prefix.clone());
                        continue;
                    }
                    let (subs, _) = expand(part);
                    for sub in subs {
                        let mut p = prefix.clone();
                        p.extend(sub);
                        out.push(p);
                    }
                }
                return (out, i + close + 1);
            }
            continue;
        }
        return (vec![prefix], i);
    }
}

fn matching_brace(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

fn split_top(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

/// The module a path lands in: the longest prefix that names a module.
fn resolve(
    modules: &BTreeSet<Vec<String>>,
    module: &[String],
    path: &[String],
) -> Option<Vec<String>> {
    let mut base: Vec<String> = module.to_vec();
    let mut rest = path;
    match rest.first().map(String::as_str) {
        Some("crate") => {
            base.clear();
            rest = &rest[1..];
        }
        Some("self") => rest = &rest[1..],
        Some("super") => {
            while rest.first().map(String::as_str) == Some("super") {
                base.pop()?;
                rest = &rest[1..];
            }
        }
        _ => return None,
    }
    let mut full = base;
    let mut best = None;
    if modules.contains(&full) {
        best = Some(full.clone());
    }
    for seg in rest {
        full.push(seg.clone());
        if modules.contains(&full) {
            best = Some(full.clone());
        }
    }
    best
}

/// The problems of a tree: each circle among one folder's modules, and each top-level import
/// against [`LAYERS`], as sentences naming a file and line that makes them.
pub fn problems(refs: &[Reference]) -> Vec<String> {
    // Sibling edges, keyed by folder.
    let mut graphs: BTreeMap<Vec<String>, BTreeMap<String, BTreeMap<String, &Reference>>> =
        BTreeMap::new();
    let mut out = Vec::new();
    for r in refs {
        let common = r.from.iter().zip(&r.to).take_while(|(a, b)| a == b).count();
        if common == r.from.len() || common == r.to.len() {
            continue; // into an ancestor or a descendant: the tree itself
        }
        let folder = r.from[..common].to_vec();
        let a = r.from[common].clone();
        let b = r.to[common].clone();
        if folder.is_empty() {
            let rank = |m: &str| LAYERS.iter().position(|l| *l == m);
            if let (Some(ra), Some(rb)) = (rank(&a), rank(&b))
                && rb > ra
            {
                let line = format!(
                    "{}:{}: `{a}` uses `{}`, which lib.rs lists after it",
                    r.file,
                    r.line,
                    r.to.join("::")
                );
                if !out.contains(&line) {
                    out.push(line);
                }
            }
        }
        graphs
            .entry(folder)
            .or_default()
            .entry(a)
            .or_default()
            .entry(b)
            .or_insert(r);
    }
    for (folder, graph) in &graphs {
        for cycle in cycles(graph) {
            let mut steps = Vec::new();
            for w in cycle.windows(2) {
                if let Some(r) = graph.get(&w[0]).and_then(|e| e.get(&w[1])) {
                    steps.push(format!("{} → {} ({}:{})", w[0], w[1], r.file, r.line));
                }
            }
            let place = if folder.is_empty() {
                "src".to_owned()
            } else {
                format!("src/{}", folder.join("/"))
            };
            out.push(format!("a circle in {place}: {}", steps.join(", ")));
        }
    }
    out
}

/// One circle through each strongly connected group of more than one module, closed (the
/// first module is repeated at the end).
fn cycles(graph: &BTreeMap<String, BTreeMap<String, &Reference>>) -> Vec<Vec<String>> {
    let nodes: BTreeSet<&String> = graph
        .keys()
        .chain(graph.values().flat_map(BTreeMap::keys))
        .collect();
    let mut seen_in_cycle = BTreeSet::new();
    let mut out = Vec::new();
    for start in nodes {
        if seen_in_cycle.contains(start) {
            continue;
        }
        // Breadth-first search for the shortest way back to `start`.
        let mut prev: BTreeMap<&String, &String> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([start]);
        let mut found = None;
        while let Some(n) = queue.pop_front() {
            for next in graph.get(n).into_iter().flat_map(BTreeMap::keys) {
                if next == start {
                    found = Some(n);
                    break;
                }
                if !prev.contains_key(next) {
                    prev.insert(next, n);
                    queue.push_back(next);
                }
            }
            if found.is_some() {
                break;
            }
        }
        if let Some(mut n) = found {
            let mut path = vec![start.clone()];
            let mut back = vec![n.clone()];
            while n != start {
                match prev.get(n) {
                    Some(p) if *p != start => {
                        back.push((*p).clone());
                        n = p;
                    }
                    _ => break,
                }
            }
            back.reverse();
            path.extend(back);
            path.push(start.clone());
            for m in &path {
                seen_in_cycle.insert(m.clone());
            }
            out.push(path);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_source_tree_has_no_import_circles_and_keeps_the_layers() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let (modules, refs) = match read_tree(&src) {
            Ok(t) => t,
            Err(e) => panic!("cannot read {}: {e}", src.display()),
        };
        assert!(modules.len() > 50, "read only {} modules", modules.len());
        let problems = problems(&refs);
        assert!(
            problems.is_empty(),
            "{} problems:\n{}",
            problems.len(),
            problems.join("\n")
        );
    }

    fn tree(files: &[(&str, &str)]) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        for (rel, text) in files {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let (_, r) = read_tree(dir.path()).unwrap();
        problems(&r)
    }

    #[test]
    fn a_circle_between_two_files_of_a_folder_is_found_with_its_lines() {
        let p = tree(&[
            ("lib.rs", "pub mod team;\n"),
            ("team/mod.rs", "pub mod a;\npub mod b;\n"),
            ("team/a.rs", "use super::b::B;\npub struct A;\n"),
            (
                "team/b.rs",
                "//! b\n\nuse crate::team::{a::{A}, mod_items};\npub struct B;\n",
            ),
        ]);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].contains("src/team"), "{p:?}");
        assert!(
            p[0].contains("team/a.rs:1") && p[0].contains("team/b.rs:3"),
            "{p:?}"
        );
    }

    #[test]
    fn references_in_comments_strings_tests_and_to_the_parent_are_not_circles() {
        let p = tree(&[
            ("lib.rs", "pub mod store;\npub mod model;\n"),
            (
                "store/mod.rs",
                "//! see [`crate::model::Text`]\npub mod x;\nuse self::x::X;\n",
            ),
            (
                "store/x.rs",
                "use super::Shared;\nconst S: &str = \"see crate::model::Text\";\n",
            ),
            (
                "model/mod.rs",
                "use crate::store::x::X;\n/* crate::store */\n#[cfg(test)]\nmod tests {\n use crate::model;\n}\n",
            ),
        ]);
        assert!(p.is_empty(), "{p:?}");
    }

    #[test]
    fn a_lower_layer_using_a_higher_one_is_named() {
        let p = tree(&[
            ("lib.rs", "pub mod store;\npub mod session;\n"),
            ("store/mod.rs", "fn f(d: &crate::session::Doc) {}\n"),
            (
                "store/file.rs",
                "#[serde(skip_serializing_if = \"crate::session::none\")]\n",
            ),
            ("session/mod.rs", "pub struct Doc;\n"),
        ]);
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(
            p[0].starts_with("store/file.rs:1: `store` uses `session`"),
            "{p:?}"
        );
        assert!(
            p[1].starts_with("store/mod.rs:1: `store` uses `session`"),
            "{p:?}"
        );
    }
}
