//! Find in a text: plain, case-sensitive, whole-word or regular-expression search, giving hits
//! as char ranges, on a background thread that hands them over in batches so that a 10 MB text
//! never holds up whoever asked (the window shows the hits as they come).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use regex::{Regex, RegexBuilder};

use crate::model::range::CharRange;

/// How a pattern is matched.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FindOptions {
    /// Upper and lower case differ (off: "macron" finds "Macron").
    pub case_sensitive: bool,
    /// A hit must not start or end inside a word.
    pub whole_word: bool,
    /// The pattern is a regular expression (the `regex` crate's syntax), not plain text.
    pub regex: bool,
}

/// Why a pattern cannot be searched for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FindError {
    #[error("not a valid regular expression: {0}")]
    BadRegex(String),
}

/// At most this many hits are kept: more would only fill memory, and no one steps through them.
pub const MAX_HITS: usize = 100_000;

/// A compiled pattern.
#[derive(Debug, Clone)]
pub struct Matcher {
    re: Regex,
    whole_word: bool,
}

/// A hit: a half-open char range.
pub type Hit = CharRange;

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

impl Matcher {
    /// Compiles `pattern`; `Ok(None)` for an empty pattern (nothing to find).
    ///
    /// # Errors
    /// [`FindError::BadRegex`] when `options.regex` is set and the pattern does not parse.
    pub fn new(pattern: &str, options: FindOptions) -> Result<Option<Self>, FindError> {
        if pattern.is_empty() {
            return Ok(None);
        }
        let source = if options.regex {
            pattern.to_owned()
        } else {
            regex::escape(pattern)
        };
        let re = RegexBuilder::new(&source)
            .case_insensitive(!options.case_sensitive)
            .multi_line(true)
            .size_limit(1 << 24)
            .build()
            .map_err(|e| FindError::BadRegex(first_line_of_regex_error(&e)))?;
        Ok(Some(Self {
            re,
            whole_word: options.whole_word,
        }))
    }

    /// Every hit in `text`, in order (at most [`MAX_HITS`]).
    pub fn find_all(&self, text: &str) -> Vec<Hit> {
        let mut out = Vec::new();
        self.scan(text, &AtomicBool::new(false), |batch| {
            out.extend_from_slice(batch);
            true
        });
        out
    }

    /// Scans `text`, handing hits to `sink` in batches (at least every 20 ms while hits are
    /// found); stops when `sink` returns false, `cancel` is set, or [`MAX_HITS`] are found.
    /// Returns whether it stopped at the hit limit.
    fn scan(&self, text: &str, cancel: &AtomicBool, mut sink: impl FnMut(&[Hit]) -> bool) -> bool {
        let mut batch: Vec<Hit> = Vec::new();
        let mut total = 0usize;
        let mut last_flush = Instant::now();
        // Running char count at byte `counted`, so offsets cost O(n) for the whole scan.
        let (mut counted, mut chars) = (0usize, 0usize);
        let mut at = 0usize;
        while at <= text.len() {
            let Some(m) = self.re.find_at(text, at) else {
                break;
            };
            let (s, e) = (m.start(), m.end());
            if s == e {
                // Empty matches are not hits; step over one char.
                at = next_boundary(text, e);
                continue;
            }
            if self.whole_word && !self.word_bounded(text, s, e) {
                at = next_boundary(text, s);
                continue;
            }
            chars += text[counted..s].chars().count();
            let start = chars;
            chars += text[s..e].chars().count();
            counted = e;
            batch.push(CharRange::new(start, chars));
            total += 1;
            at = e;
            if total >= MAX_HITS {
                sink(&batch);
                return true;
            }
            if batch.len() >= 4096 || last_flush.elapsed() > Duration::from_millis(20) {
                if cancel.load(Ordering::Relaxed) || !sink(&batch) {
                    return false;
                }
                batch.clear();
                last_flush = Instant::now();
            }
        }
        if !batch.is_empty() {
            sink(&batch);
        }
        false
    }

    fn word_bounded(&self, text: &str, s: usize, e: usize) -> bool {
        let before = text[..s].chars().next_back();
        let after = text[e..].chars().next();
        let first = text[s..e].chars().next();
        let last = text[s..e].chars().next_back();
        // Only a word char next to a word char joins them.
        let joins = |a: Option<char>, b: Option<char>| matches!((a, b), (Some(a), Some(b)) if is_word_char(a) && is_word_char(b));
        !joins(before, first) && !joins(last, after)
    }
}

fn next_boundary(text: &str, b: usize) -> usize {
    match text[b..].chars().next() {
        Some(c) => b + c.len_utf8(),
        None => text.len() + 1,
    }
}

/// The regex crate's error as one line (its messages draw a caret diagram over several lines).
fn first_line_of_regex_error(e: &regex::Error) -> String {
    let s = e.to_string();
    let last = s
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    last.strip_prefix("error: ").unwrap_or(last).to_owned()
}

/// What a [`FindJob`] sends.
enum Batch {
    Hits(Vec<Hit>),
    Done { capped: bool },
}

/// A search running on its own thread. Dropping it stops the thread at its next batch.
pub struct FindJob {
    rx: mpsc::Receiver<Batch>,
    cancel: Arc<AtomicBool>,
    done: bool,
    capped: bool,
}

impl FindJob {
    /// Starts searching `text` for `matcher`.
    ///
    /// # Errors
    /// When no thread can be started.
    pub fn start(matcher: Matcher, text: Arc<str>) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::channel();
        let cancel = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&cancel);
        std::thread::Builder::new()
            .name("find".into())
            .spawn(move || {
                let capped =
                    matcher.scan(&text, &stop, |b| tx.send(Batch::Hits(b.to_vec())).is_ok());
                let _ = tx.send(Batch::Done { capped });
            })?;
        Ok(Self {
            rx,
            cancel,
            done: false,
            capped: false,
        })
    }

    /// Moves the hits found so far into `hits`, waiting up to `wait` for the search to finish.
    /// Returns whether anything arrived.
    pub fn poll(&mut self, hits: &mut Vec<Hit>, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        let mut got = false;
        while !self.done {
            let left = deadline.saturating_duration_since(Instant::now());
            let next = if left.is_zero() {
                self.rx
                    .try_recv()
                    .map_err(|e| matches!(e, mpsc::TryRecvError::Disconnected))
            } else {
                self.rx
                    .recv_timeout(left)
                    .map_err(|e| matches!(e, mpsc::RecvTimeoutError::Disconnected))
            };
            match next {
                Ok(Batch::Hits(b)) => {
                    hits.extend(b);
                    got = true;
                }
                Ok(Batch::Done { capped }) => {
                    self.done = true;
                    self.capped = capped;
                    got = true;
                }
                Err(true) => {
                    self.done = true;
                    got = true;
                }
                Err(false) => break,
            }
        }
        got
    }

    /// Whether the whole text has been searched.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Whether the search stopped at [`MAX_HITS`].
    pub fn is_capped(&self) -> bool {
        self.capped
    }
}

impl Drop for FindJob {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

/// One hit of a workspace search, with its words around it (keyword in context).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextHit {
    pub start: usize,
    pub end: usize,
    /// Up to [`CONTEXT_CHARS`] chars before the hit, on its line.
    pub before: String,
    pub matched: String,
    pub after: String,
}

/// The hits of one document of the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocHits {
    pub rel: String,
    pub hits: Vec<ContextHit>,
    /// How many hits there are in all (`hits` keeps at most [`HITS_PER_DOC`]).
    pub total: usize,
}

/// Chars of context on each side of a workspace hit.
pub const CONTEXT_CHARS: usize = 40;
/// Hits listed per document in a workspace search.
pub const HITS_PER_DOC: usize = 200;

/// Searches every text of `ws`, in the workspace's order, leaving out texts without hits.
/// Texts that cannot be read are reported in the second list as "rel: problem". Stops early
/// (with what it has) when `cancel` is set.
pub fn search_workspace(
    ws: &crate::workspace::Workspace,
    m: &Matcher,
    cancel: &AtomicBool,
) -> (Vec<DocHits>, Vec<String>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for entry in ws.texts() {
        if cancel.load(Ordering::Relaxed) {
            break;
        }
        let text = match crate::model::text::Text::load(&entry.path) {
            Ok(t) => t,
            Err(e) => {
                problems.push(format!("{}: {e}", entry.rel));
                continue;
            }
        };
        let found = m.find_all(text.as_str());
        if found.is_empty() {
            continue;
        }
        let one_line = |s: String| s.replace(['\n', '\r', '\t'], " ");
        let hits = (found.iter().take(HITS_PER_DOC))
            .map(|&CharRange { start: a, end: b }| {
                let (before, after) = text.context(a, b, CONTEXT_CHARS);
                ContextHit {
                    start: a,
                    end: b,
                    before: one_line(before),
                    matched: one_line(text.slice(a, b).to_owned()),
                    after: one_line(after),
                }
            })
            .collect();
        out.push(DocHits {
            rel: entry.rel,
            hits,
            total: found.len(),
        });
    }
    (out, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hits as `(start, end)` pairs.
    fn find(text: &str, pattern: &str, o: FindOptions) -> Vec<(usize, usize)> {
        let hits = Matcher::new(pattern, o).unwrap().unwrap().find_all(text);
        hits.into_iter().map(Into::into).collect()
    }

    fn plain() -> FindOptions {
        FindOptions::default()
    }

    fn regex() -> FindOptions {
        FindOptions {
            regex: true,
            ..plain()
        }
    }

    #[test]
    fn plain_search_ignores_case_unless_asked() {
        let t = "Scholz met scholz and SCHOLZ.";
        assert_eq!(find(t, "scholz", plain()), vec![(0, 6), (11, 17), (22, 28)]);
        let cs = FindOptions {
            case_sensitive: true,
            ..plain()
        };
        assert_eq!(find(t, "scholz", cs), vec![(11, 17)]);
    }

    #[test]
    fn plain_search_takes_regex_characters_literally() {
        assert_eq!(find("a.b axb (a.b)", "a.b", plain()), vec![(0, 3), (9, 12)]);
    }

    #[test]
    fn whole_word_skips_hits_inside_words_and_finds_the_next_one() {
        let w = FindOptions {
            whole_word: true,
            ..plain()
        };
        assert_eq!(
            find("cat concat cat_x cat.", "cat", w),
            vec![(0, 3), (17, 20)]
        );
        // A hit rejected inside a word does not hide an overlapping one after it.
        assert_eq!(find("aaa aa", "aa", w), vec![(4, 6)]);
        // Punctuation at the pattern's edge does not need a word boundary.
        assert_eq!(find("said: «Non»", "«non»", w), vec![(6, 11)]);
    }

    #[test]
    fn offsets_are_chars_not_bytes() {
        let t = "Europe’s «Größe» — Größe 🙂 größe";
        let hits = find(t, "größe", plain());
        let chars: Vec<char> = t.chars().collect();
        assert_eq!(hits.len(), 3);
        for (a, b) in hits {
            let s: String = chars[a..b].iter().collect();
            assert_eq!(s.to_lowercase(), "größe");
        }
        assert_eq!(find("🙂x🙂x", "x", plain()), vec![(1, 2), (3, 4)]);
    }

    #[test]
    fn regex_search_with_classes_and_empty_matches_skipped() {
        let r = regex();
        assert_eq!(
            find("in 2024 and 1999", r"\d{4}", r),
            vec![(3, 7), (12, 16)]
        );
        // `x*` matches the empty string everywhere: only the real runs count.
        assert_eq!(find("axxbx", "x*", r), vec![(1, 3), (4, 5)]);
        assert_eq!(find("one\ntwo", "^t", r), vec![(4, 5)]);
    }

    #[test]
    fn an_invalid_regex_is_an_error_message_not_a_panic() {
        let r = regex();
        let e = Matcher::new("(unclosed", r).unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("not a valid regular expression: "), "{msg}");
        assert!(!msg.contains('\n'), "{msg}");
        assert!(msg.contains("unclosed group"), "{msg}");
        // The same text as plain search is fine.
        assert!(Matcher::new("(unclosed", plain()).unwrap().is_some());
    }

    #[test]
    fn a_workspace_search_lists_hits_in_context_per_document() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "Scholz said.\nThen Scholz left.").unwrap();
        std::fs::write(dir.path().join("b.txt"), "Nobody here.").unwrap();
        std::fs::write(dir.path().join("c.txt"), "«Schölz» — Scholz").unwrap();
        let ws = crate::workspace::Workspace::open(dir.path()).unwrap();
        let m = Matcher::new("scholz", plain()).unwrap().unwrap();
        let (docs, problems) = search_workspace(&ws, &m, &AtomicBool::new(false));
        assert!(problems.is_empty());
        let rels: Vec<&str> = docs.iter().map(|d| d.rel.as_str()).collect();
        assert_eq!(rels, ["a.txt", "c.txt"]);
        assert_eq!(docs[0].total, 2);
        let h = &docs[0].hits[1];
        assert_eq!((h.start, h.end), (18, 24));
        assert_eq!(h.before, "Scholz said. Then ");
        assert_eq!(h.after, " left.");
        assert_eq!((docs[1].hits[0].start, docs[1].hits[0].end), (11, 17));
    }

    #[test]
    fn an_empty_pattern_finds_nothing() {
        assert!(Matcher::new("", plain()).unwrap().is_none());
    }

    #[test]
    fn a_job_delivers_every_hit_of_a_big_text() {
        let text: String = "word ".repeat(90_000);
        let m = Matcher::new("word", plain()).unwrap().unwrap();
        let mut job = FindJob::start(m, Arc::from(text.as_str())).unwrap();
        let mut hits = Vec::new();
        while !job.is_done() {
            job.poll(&mut hits, Duration::from_millis(100));
        }
        assert_eq!(hits.len(), 90_000);
        assert_eq!(hits[89_999], CharRange::new(449_995, 449_999));
        assert!(!job.is_capped());
    }

    #[test]
    fn a_job_stops_at_the_hit_limit_and_says_so() {
        let m = Matcher::new("x", plain()).unwrap().unwrap();
        let mut job = FindJob::start(m, Arc::from("x".repeat(MAX_HITS + 10).as_str())).unwrap();
        let mut hits = Vec::new();
        while !job.is_done() {
            job.poll(&mut hits, Duration::from_millis(100));
        }
        assert_eq!(hits.len(), MAX_HITS);
        assert!(job.is_capped());
    }
}
