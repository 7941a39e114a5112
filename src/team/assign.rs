//! Who annotates what: the assignments `annotations/workspace.ron` lists, the two questions
//! asked of them ("which documents is X assigned?", "who is assigned D?"), and the balanced,
//! seeded assignment that `marginalia assign` writes.
//!
//! ```ron
//! (
//!     texts: ["seeds"],
//!     overlap: 2,
//!     assignments: [
//!         (annotator: "ana", documents: ["seeds/batch-1/", "seeds/000_b78fa013a4a69998.txt"]),
//!         (annotator: "bo", documents: ["seeds/*.txt"]),
//!     ],
//! )
//! ```
//!
//! A pattern names a text by its path, a folder (every text under it, with or without the
//! closing `/`), or a glob: `*` and `?` stay inside one folder name, `**` crosses folders.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::PathBuf;

use crate::store::StoreError;
use crate::workspace::rng::Rng;
use crate::workspace::{Assignment, Workspace, WorkspaceConfig, check_annotator};

/// Whether `pattern` (a text path, a folder or a glob) takes in text `rel`.
pub fn matches(pattern: &str, rel: &str) -> bool {
    let pattern = pattern.strip_prefix("./").unwrap_or(pattern);
    let folder = pattern.trim_end_matches('/');
    if folder.is_empty() {
        return false;
    }
    if rel == folder || rel.strip_prefix(folder).is_some_and(|r| r.starts_with('/')) {
        return true;
    }
    if !pattern.contains(['*', '?']) {
        return false;
    }
    let pat: Vec<&str> = folder.split('/').collect();
    let path: Vec<&str> = rel.split('/').collect();
    glob_segments(&pat, &path)
}

fn glob_segments(pat: &[&str], path: &[&str]) -> bool {
    match pat.split_first() {
        None => path.is_empty(),
        Some((&"**", rest)) => (0..=path.len()).any(|k| glob_segments(rest, &path[k..])),
        Some((p, rest)) => path.split_first().is_some_and(|(s, more)| {
            glob_name(p.as_bytes(), s.as_bytes()) && glob_segments(rest, more)
        }),
    }
}

/// `*` and `?` inside one name. Works on bytes; `?` takes one byte, which is one character for
/// the ASCII names texts usually have.
fn glob_name(p: &[u8], s: &[u8]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|k| glob_name(rest, &s[k..])),
        Some((b'?', rest)) => !s.is_empty() && glob_name(rest, &s[1..]),
        Some((c, rest)) => s.first() == Some(c) && glob_name(rest, &s[1..]),
    }
}

/// Whether the workspace lists any assignment (otherwise every document is everyone's).
pub fn has_assignments(config: &WorkspaceConfig) -> bool {
    !config.assignments.is_empty()
}

/// Whether `annotator` is assigned text `rel`.
pub fn is_assigned(config: &WorkspaceConfig, annotator: &str, rel: &str) -> bool {
    config
        .assignments
        .iter()
        .filter(|a| a.annotator == annotator)
        .any(|a| a.documents.iter().any(|p| matches(p, rel)))
}

/// The texts of `texts` that `annotator` is assigned, in the order given.
pub fn documents_of<'a>(
    config: &WorkspaceConfig,
    annotator: &str,
    texts: &'a [String],
) -> Vec<&'a str> {
    texts
        .iter()
        .filter(|rel| is_assigned(config, annotator, rel))
        .map(String::as_str)
        .collect()
}

/// Who is assigned text `rel`, sorted, each once.
pub fn annotators_of(config: &WorkspaceConfig, rel: &str) -> Vec<String> {
    let set: BTreeSet<&str> = config
        .assignments
        .iter()
        .filter(|a| a.documents.iter().any(|p| matches(p, rel)))
        .map(|a| a.annotator.as_str())
        .collect();
    set.into_iter().map(str::to_owned).collect()
}

/// One annotator's assigned texts, ready to ask about many texts: exact paths in a set, the
/// folders and globs in a list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    exact: HashSet<String>,
    patterns: Vec<String>,
}

impl Scope {
    /// `annotator`'s assignments; `None` when the workspace lists none (every text is theirs).
    pub fn of(config: &WorkspaceConfig, annotator: &str) -> Option<Scope> {
        if !has_assignments(config) {
            return None;
        }
        let mut scope = Scope::default();
        for p in config
            .assignments
            .iter()
            .filter(|a| a.annotator == annotator)
            .flat_map(|a| &a.documents)
        {
            let p = p.strip_prefix("./").unwrap_or(p);
            if p.ends_with(".txt") && !p.contains(['*', '?']) {
                scope.exact.insert(p.to_owned());
            } else {
                scope.patterns.push(p.to_owned());
            }
        }
        Some(scope)
    }

    /// Whether text `rel` is assigned. O(1) for listed paths, plus one match per folder or glob.
    pub fn contains(&self, rel: &str) -> bool {
        self.exact.contains(rel) || self.patterns.iter().any(|p| matches(p, rel))
    }
}

/// Every annotator the assignments name, sorted, each once.
pub fn assigned_annotators(config: &WorkspaceConfig) -> Vec<String> {
    let set: BTreeSet<&str> = config
        .assignments
        .iter()
        .map(|a| a.annotator.as_str())
        .collect();
    set.into_iter().map(str::to_owned).collect()
}

/// What `marginalia assign` cannot do.
#[derive(Debug, thiserror::Error)]
pub enum AssignError {
    #[error("no annotators given")]
    NoAnnotators,
    #[error("{0}")]
    BadAnnotator(String),
    #[error("annotator {0:?} is given twice")]
    Duplicate(String),
    #[error("overlap is 0; each document needs at least one annotator")]
    ZeroOverlap,
    #[error(
        "overlap {overlap} is more than the {annotators} annotators given; each document's annotators are distinct"
    )]
    OverlapTooLarge { overlap: usize, annotators: usize },
    #[error("{0}: no texts to assign")]
    NoTexts(String),
    #[error("{path}: {reason}; not rewritten")]
    Unsafe { path: String, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AssignError {
    /// Whether the request itself is wrong (exit 2), rather than the workspace (exit 1).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            AssignError::NoAnnotators
                | AssignError::BadAnnotator(_)
                | AssignError::Duplicate(_)
                | AssignError::ZeroOverlap
                | AssignError::OverlapTooLarge { .. }
        )
    }
}

/// A request for a balanced assignment.
#[derive(Debug, Clone)]
pub struct AssignRequest {
    pub annotators: Vec<String>,
    /// How many distinct annotators each document gets.
    pub overlap: usize,
    /// Same seed, same texts and annotators: the same assignment.
    pub seed: u64,
}

impl AssignRequest {
    /// Checks the names and the overlap.
    ///
    /// # Errors
    /// No or bad or repeated names, an overlap of 0 or more than the annotators.
    pub fn check(&self) -> Result<(), AssignError> {
        if self.annotators.is_empty() {
            return Err(AssignError::NoAnnotators);
        }
        let mut seen = BTreeSet::new();
        for a in &self.annotators {
            check_annotator(a).map_err(AssignError::BadAnnotator)?;
            if !seen.insert(a.as_str()) {
                return Err(AssignError::Duplicate(a.clone()));
            }
        }
        if self.overlap == 0 {
            return Err(AssignError::ZeroOverlap);
        }
        if self.overlap > self.annotators.len() {
            return Err(AssignError::OverlapTooLarge {
                overlap: self.overlap,
                annotators: self.annotators.len(),
            });
        }
        Ok(())
    }
}

/// A balanced assignment of `texts` (each assigned `req.overlap` distinct annotators), one
/// entry per annotator in the order given, each listing its texts in path order.
///
/// Texts are taken in path order; each picks its annotators one at a time: the least loaded
/// first, then the one that has shared the fewest documents with those already picked (so
/// pairs spread across the team, which agreement needs), then a seeded random draw. Picking the
/// least loaded keeps every annotator's load within one of every other's.
///
/// # Errors
/// The request's own problems ([`AssignRequest::check`]).
pub fn balanced(texts: &[String], req: &AssignRequest) -> Result<Vec<Assignment>, AssignError> {
    req.check()?;
    let n = req.annotators.len();
    let mut rng = Rng::new(req.seed);
    let mut load = vec![0usize; n];
    let mut shared = vec![vec![0usize; n]; n];
    let mut docs: Vec<Vec<String>> = vec![Vec::new(); n];
    for rel in texts {
        let draw: Vec<u64> = (0..n).map(|_| rng.next_u64()).collect();
        let mut picked: Vec<usize> = Vec::with_capacity(req.overlap);
        for _ in 0..req.overlap {
            let best = (0..n).filter(|c| !picked.contains(c)).min_by_key(|&c| {
                let together: usize = picked.iter().map(|&p| shared[p][c]).sum();
                (load[c], together, draw[c])
            });
            let Some(best) = best else { break };
            picked.push(best);
        }
        for &a in &picked {
            load[a] += 1;
            docs[a].push(rel.clone());
            for &b in &picked {
                if a != b {
                    shared[a][b] += 1;
                }
            }
        }
    }
    Ok(req
        .annotators
        .iter()
        .zip(docs)
        .map(|(annotator, mut documents)| {
            documents.sort();
            Assignment {
                annotator: annotator.clone(),
                documents,
            }
        })
        .collect())
}

/// The `workspace.ron` fields this version knows; any other would be lost on rewriting.
const KNOWN_FIELDS: [&str; 3] = ["texts", "overlap", "assignments"];

/// `config` as `workspace.ron`'s bytes, keeping the comment lines that opened `old` (the
/// file's present content, if any).
fn config_bytes(config: &WorkspaceConfig, old: Option<&str>) -> Result<String, String> {
    let body = crate::store::ron::to_pretty_ron(config).map_err(|e| e.to_string())?;
    let head: String = old
        .map(|o| {
            o.lines()
                .take_while(|l| l.trim_start().starts_with("//"))
                .map(|l| format!("{l}\n"))
                .collect()
        })
        .unwrap_or_default();
    Ok(head + &body)
}

/// The top-level fields of a `workspace.ron` that this version does not know.
fn unknown_fields(src: &str) -> Vec<String> {
    match crate::store::ron::ron_options().from_str::<ron::Value>(src) {
        Ok(ron::Value::Map(map)) => map
            .keys()
            .filter_map(|k| match k {
                ron::Value::String(s) if !KNOWN_FIELDS.contains(&s.as_str()) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// What [`write`] did.
#[derive(Debug, Clone)]
pub struct Written {
    pub path: PathBuf,
    pub documents: usize,
}

/// Replaces the assignments and overlap of the workspace's `workspace.ron` (every other field
/// kept, and the comment lines that open it), written atomically; `ws` then holds the new
/// settings.
///
/// # Errors
/// A `workspace.ron` with fields this version does not know (they would be lost), or the
/// write failure, naming the file.
pub fn write(
    ws: &mut Workspace,
    assignments: Vec<Assignment>,
    overlap: usize,
) -> Result<Written, AssignError> {
    let path = ws.config_path();
    let shown = path.display().to_string();
    let old = match crate::store::read_regular(&path, crate::store::MAX_SETTINGS_BYTES) {
        Ok(bytes) => Some(String::from_utf8(bytes).map_err(|_| AssignError::Unsafe {
            path: shown.clone(),
            reason: "not UTF-8".into(),
        })?),
        Err(e) if e.is_not_found() => None,
        Err(e) => {
            return Err(AssignError::Unsafe {
                path: shown,
                reason: e.reason(),
            });
        }
    };
    if let Some(src) = &old {
        let unknown = unknown_fields(src);
        if !unknown.is_empty() {
            return Err(AssignError::Unsafe {
                path: shown,
                reason: format!(
                    "it has fields this version does not know ({}), which rewriting would lose",
                    unknown.join(", ")
                ),
            });
        }
    }
    let mut config = ws.config().clone();
    config.assignments = assignments;
    config.overlap = overlap;
    let bytes = config_bytes(&config, old.as_deref()).map_err(|reason| AssignError::Unsafe {
        path: shown.clone(),
        reason,
    })?;
    crate::store::check_write_inside(ws.root(), &path)?;
    crate::store::write_file(&path, bytes.as_bytes())?;
    let documents = ws.texts().len();
    ws.set_config(config);
    Ok(Written { path, documents })
}

/// For each annotator of `assignments`: how many documents, and how many of them each other
/// annotator shares, for `assign`'s summary.
pub fn summary(assignments: &[Assignment]) -> Vec<(String, usize, BTreeMap<String, usize>)> {
    assignments
        .iter()
        .map(|a| {
            let mine: BTreeSet<&String> = a.documents.iter().collect();
            let shared = assignments
                .iter()
                .filter(|b| b.annotator != a.annotator)
                .map(|b| {
                    let n = b.documents.iter().filter(|d| mine.contains(d)).count();
                    (b.annotator.clone(), n)
                })
                .filter(|(_, n)| *n > 0)
                .collect();
            (a.annotator.clone(), a.documents.len(), shared)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("a{i:02}")).collect()
    }

    fn texts(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("docs/{i:03}.txt")).collect()
    }

    #[test]
    fn patterns_take_paths_folders_and_globs() {
        assert!(matches("seeds/a.txt", "seeds/a.txt"));
        assert!(!matches("seeds/a.txt", "seeds/ab.txt"));
        assert!(matches("seeds", "seeds/x/a.txt"));
        assert!(matches("seeds/", "seeds/a.txt"));
        assert!(!matches("seeds", "seedsx/a.txt"));
        assert!(matches("seeds/*.txt", "seeds/a.txt"));
        assert!(!matches("seeds/*.txt", "seeds/x/a.txt"));
        assert!(matches("seeds/**/*.txt", "seeds/x/y/a.txt"));
        assert!(matches("seeds/**/*.txt", "seeds/a.txt"));
        assert!(matches("*/00?.txt", "news/001.txt"));
        assert!(!matches("*/00?.txt", "news/0011.txt"));
        assert!(matches("./seeds/a.txt", "seeds/a.txt"));
    }

    #[test]
    fn check_refuses_escaping_patterns_and_bad_names() {
        let cfg = |annotator: &str, doc: &str| WorkspaceConfig {
            assignments: vec![Assignment {
                annotator: annotator.into(),
                documents: vec![doc.into()],
            }],
            ..Default::default()
        };
        assert!(crate::workspace::check_assignments(&cfg("ana", "seeds/*.txt")).is_ok());
        assert!(crate::workspace::check_assignments(&cfg("ana", "../x.txt")).is_err());
        assert!(crate::workspace::check_assignments(&cfg("ana", "/etc")).is_err());
        assert!(crate::workspace::check_assignments(&cfg("curated", "a.txt")).is_err());
        assert!(crate::workspace::check_assignments(&cfg("a b", "a.txt")).is_err());
    }

    #[test]
    fn balanced_gives_each_document_overlap_distinct_annotators_and_even_loads() {
        for (docs, people, overlap) in [(40, 20, 2), (41, 3, 2), (7, 5, 5), (100, 7, 3), (1, 4, 1)]
        {
            let req = AssignRequest {
                annotators: names(people),
                overlap,
                seed: 7,
            };
            let t = texts(docs);
            let out = balanced(&t, &req).unwrap();
            let cfg = WorkspaceConfig {
                assignments: out.clone(),
                ..Default::default()
            };
            for rel in &t {
                assert_eq!(annotators_of(&cfg, rel).len(), overlap, "{rel}");
            }
            let loads: Vec<usize> = out.iter().map(|a| a.documents.len()).collect();
            let (lo, hi) = (loads.iter().min().unwrap(), loads.iter().max().unwrap());
            assert!(hi - lo <= 1, "{loads:?}");
            assert_eq!(loads.iter().sum::<usize>(), docs * overlap);
        }
    }

    #[test]
    fn same_seed_same_assignment_and_pairs_spread() {
        let req = |seed| AssignRequest {
            annotators: names(20),
            overlap: 2,
            seed,
        };
        let t = texts(40);
        let a = balanced(&t, &req(1)).unwrap();
        assert_eq!(a, balanced(&t, &req(1)).unwrap());
        assert_ne!(a, balanced(&t, &req(2)).unwrap());
        // 40 documents in pairs: nearly 40 different pairs (a rotation would give only 10);
        // the last pick of a round can be forced onto an old partner.
        let pairs: BTreeSet<(String, String)> = t
            .iter()
            .map(|rel| {
                let cfg = WorkspaceConfig {
                    assignments: a.clone(),
                    ..Default::default()
                };
                let w = annotators_of(&cfg, rel);
                (w[0].clone(), w[1].clone())
            })
            .collect();
        assert!(pairs.len() >= 36, "{}", pairs.len());
    }

    #[test]
    fn requests_that_cannot_be_met_are_refused() {
        let t = texts(3);
        let bad = |annotators: Vec<String>, overlap| {
            let e = balanced(
                &t,
                &AssignRequest {
                    annotators,
                    overlap,
                    seed: 0,
                },
            )
            .unwrap_err();
            assert!(e.is_usage(), "{e}");
            e.to_string()
        };
        assert!(bad(names(2), 3).contains("overlap 3 is more than the 2 annotators"));
        assert!(bad(names(2), 0).contains("overlap is 0"));
        assert!(bad(vec!["a".into(), "a".into()], 1).contains("twice"));
        assert!(bad(Vec::new(), 1).contains("no annotators"));
    }

    #[test]
    fn scope_answers_as_is_assigned_does() {
        let cfg = WorkspaceConfig {
            assignments: vec![
                Assignment {
                    annotator: "ana".into(),
                    documents: vec!["docs/001.txt".into(), "more".into(), "x/*.txt".into()],
                },
                Assignment {
                    annotator: "bo".into(),
                    documents: vec!["docs/002.txt".into()],
                },
            ],
            ..Default::default()
        };
        let scope = Scope::of(&cfg, "ana").unwrap();
        for rel in [
            "docs/001.txt",
            "docs/002.txt",
            "more/a/b.txt",
            "x/y.txt",
            "x/y/z.txt",
        ] {
            assert_eq!(scope.contains(rel), is_assigned(&cfg, "ana", rel), "{rel}");
        }
        assert!(scope.contains("more/a/b.txt") && !scope.contains("docs/002.txt"));
        assert_eq!(Scope::of(&WorkspaceConfig::default(), "ana"), None);
        assert_eq!(annotators_of(&cfg, "docs/002.txt"), ["bo"]);
    }

    #[test]
    fn unknown_fields_are_found() {
        assert!(unknown_fields("(texts: [\"a\"], overlap: 2)").is_empty());
        assert_eq!(unknown_fields("(texts: [], colour: 3)"), ["colour"]);
    }
}
