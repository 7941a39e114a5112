//! The provider protocol, version 1 (`docs/PROVIDERS.md`): the JSON lines Marginalia writes to
//! a provider's standard input, and the check of each proposal line it reads back.
//!
//! Marginalia writes one header line (the protocol version, the workspace, the tags it may
//! propose with their attributes, how many documents follow), then one line per document
//! (`path`, `text`, `chars`), then closes the provider's input. The provider writes one
//! proposal per line: `path`, `start`, `end` (chars, half-open), `tag`, `score` in `[0, 1]`,
//! optional `attrs` and `explanation`. Unknown fields are ignored both ways, so a later
//! version may add some.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::ProviderProposal;
use crate::model::tags::{AttrIssue, AttrKind, Tag, TagSet, is_reserved};
use crate::model::text::Text;

/// The protocol's version, the header's `protocol` field. A change that an existing provider
/// would misread raises it.
pub const PROTOCOL_VERSION: u32 = 1;

/// The header's `kind` field: what the lines are for.
pub const HEADER_KIND: &str = "marginalia-suggest";

/// One document sent to a provider: its path relative to the workspace root, and its text.
#[derive(Debug, Clone)]
pub struct Document {
    pub path: String,
    pub text: Text,
}

/// The first line Marginalia writes.
#[derive(Debug, Serialize)]
struct Header<'a> {
    kind: &'static str,
    protocol: u32,
    provider: &'a str,
    workspace: &'a str,
    tags: Vec<WireTag<'a>>,
    documents: usize,
}

#[derive(Debug, Serialize)]
struct WireTag<'a> {
    name: &'a str,
    description: &'a str,
    attributes: Vec<WireAttribute<'a>>,
}

#[derive(Debug, Serialize)]
struct WireAttribute<'a> {
    name: &'a str,
    /// `text`, `choice` or `flag`.
    kind: &'static str,
    /// A choice's values (empty for other kinds; a flag is `"true"` or `"false"`).
    values: &'a [String],
    required: bool,
    default: Option<&'a str>,
    description: &'a str,
}

/// One document line.
#[derive(Debug, Serialize)]
struct DocumentLine<'a> {
    path: &'a str,
    text: &'a str,
    /// The text's length in chars (code points), the unit of every offset.
    chars: usize,
}

/// The header line (with its `\n`) for a run of `provider` over `documents` documents of the
/// workspace at `workspace`, offering `tags`.
pub fn header_line(provider: &str, workspace: &str, tags: &[&Tag], documents: usize) -> String {
    let header = Header {
        kind: HEADER_KIND,
        protocol: PROTOCOL_VERSION,
        provider,
        workspace,
        tags: tags
            .iter()
            .map(|t| WireTag {
                name: &t.name,
                description: &t.description,
                attributes: t
                    .attributes
                    .iter()
                    .map(|a| WireAttribute {
                        name: &a.name,
                        kind: a.kind.label(),
                        values: match &a.kind {
                            AttrKind::Choice(v) => v,
                            _ => &[],
                        },
                        required: a.required,
                        default: a.default.as_deref(),
                        description: &a.description,
                    })
                    .collect(),
            })
            .collect(),
        documents,
    };
    line(&header)
}

/// The line (with its `\n`) that sends one document.
pub fn document_line(doc: &Document) -> String {
    line(&DocumentLine {
        path: &doc.path,
        text: doc.text.as_str(),
        chars: doc.text.char_len(),
    })
}

fn line<T: Serialize>(value: &T) -> String {
    // Serialising plain strings, numbers and lists cannot fail.
    let mut s = serde_json::to_string(value).unwrap_or_default();
    s.push('\n');
    s
}

/// A proposal line as written, before it is checked.
#[derive(Debug, Deserialize)]
struct WireProposal {
    path: String,
    start: i64,
    end: i64,
    tag: String,
    score: f64,
    #[serde(default)]
    attrs: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(default)]
    explanation: Option<String>,
}

/// Checks proposals against the documents sent and the tags offered.
#[derive(Debug, Clone)]
pub struct Checker {
    docs: Arc<[Document]>,
    by_path: HashMap<String, usize>,
    /// The tags offered: the workspace's, those the provider declares.
    tags: Vec<Tag>,
}

impl Checker {
    /// A checker for proposals over `docs`, with the tags of `set` that `proposes` allows.
    pub fn new(docs: Arc<[Document]>, set: &TagSet, proposes: impl Fn(&str) -> bool) -> Self {
        let by_path = docs
            .iter()
            .enumerate()
            .map(|(i, d)| (d.path.clone(), i))
            .collect();
        let tags = set
            .tags
            .iter()
            .filter(|t| proposes(&t.name))
            .cloned()
            .collect();
        Self {
            docs,
            by_path,
            tags,
        }
    }

    /// The tags offered.
    pub fn tags(&self) -> Vec<&Tag> {
        self.tags.iter().collect()
    }

    /// The documents.
    pub fn documents(&self) -> &[Document] {
        &self.docs
    }

    /// The text of the document at `path`, if it was sent.
    pub fn text(&self, path: &str) -> Option<&Text> {
        self.by_path.get(path).map(|&i| &self.docs[i].text)
    }

    /// Reads one line of output: `Ok(None)` for a blank line, the checked proposal, or why it
    /// is refused.
    ///
    /// # Errors
    /// A sentence: not JSON, not a proposal's shape, or what [`Self::check`] refuses.
    pub fn read_line(&self, line: &[u8]) -> Result<Option<ProviderProposal>, String> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        let Ok(line) = std::str::from_utf8(line) else {
            return Err("not UTF-8".into());
        };
        let value: serde_json::Value =
            serde_json::from_str(line).map_err(|e| format!("not JSON ({e}): {}", excerpt(line)))?;
        if !value.is_object() {
            return Err(format!("not a JSON object: {}", excerpt(line)));
        }
        let wire: WireProposal = serde_json::from_value(value)
            .map_err(|e| format!("not a proposal ({e}): {}", excerpt(line)))?;
        let mut attrs = BTreeMap::new();
        for (k, v) in wire.attrs.unwrap_or_default() {
            let v = match v {
                serde_json::Value::String(s) => s,
                serde_json::Value::Bool(b) => b.to_string(),
                other => {
                    return Err(format!(
                        "attribute {k:?} is {other}, not a string or true/false"
                    ));
                }
            };
            attrs.insert(k, v);
        }
        if !(wire.score.is_finite() && (0.0..=1.0).contains(&wire.score)) {
            return Err(format!("score {} is not between 0 and 1", wire.score));
        }
        let start =
            usize::try_from(wire.start).map_err(|_| format!("start {} is negative", wire.start))?;
        let end = usize::try_from(wire.end).map_err(|_| format!("end {} is negative", wire.end))?;
        self.check(ProviderProposal {
            path: wire.path,
            start,
            end,
            tag: wire.tag,
            score: wire.score as f32,
            attrs,
            explanation: wire.explanation.filter(|e| !e.trim().is_empty()),
        })
        .map(Some)
    }

    /// Checks a proposal: a document that was sent, `0 <= start < end <= chars`, both ends on
    /// grapheme boundaries, a tag offered, a score in `[0, 1]`, attributes its schema allows.
    ///
    /// # Errors
    /// The first problem, in a sentence naming the document.
    pub fn check(&self, p: ProviderProposal) -> Result<ProviderProposal, String> {
        let Some(text) = self.text(&p.path) else {
            return Err(format!("path {:?} is not a document it was sent", p.path));
        };
        let at = &p.path;
        if !(p.score.is_finite() && (0.0..=1.0).contains(&p.score)) {
            return Err(format!("score {} is not between 0 and 1", p.score));
        }
        if p.start >= p.end {
            return Err(format!(
                "{at}: start {} is not before end {}",
                p.start, p.end
            ));
        }
        let len = text.char_len();
        if p.end > len {
            return Err(format!(
                "{at}: end {} is past the end of the text ({len} chars)",
                p.end
            ));
        }
        for (name, c) in [("start", p.start), ("end", p.end)] {
            if text.snap_to_graphemes(c, c).start != c {
                return Err(format!(
                    "{at}: {name} {c} is inside a grapheme cluster (it would split a character \
                     from its accent or an emoji sequence)"
                ));
            }
        }
        let Some(tag) = self.tags.iter().find(|t| t.name == p.tag) else {
            let offered: Vec<&str> = self.tags.iter().map(|t| t.name.as_str()).collect();
            return Err(format!(
                "tag {:?} is not one it may propose ({})",
                p.tag,
                offered.join(", ")
            ));
        };
        if let Some(k) = p.attrs.keys().find(|k| is_reserved(k)) {
            return Err(format!("attribute {k:?} is reserved for Marginalia"));
        }
        // A missing required value is for the annotator to fill in, not a reason to refuse.
        if let Some(issue) = tag
            .attr_issues(&p.attrs)
            .into_iter()
            .find(|i| !matches!(i, AttrIssue::Missing { .. }))
        {
            return Err(format!("tag {:?}: {issue}", p.tag));
        }
        Ok(p)
    }
}

/// The start of a line for a message: at most 80 chars.
fn excerpt(line: &str) -> String {
    let mut chars = line.chars();
    let head: String = chars.by_ref().take(80).collect();
    if chars.next().is_some() {
        format!("{head:?}…")
    } else {
        format!("{head:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checker(text: &str) -> Checker {
        let docs: Arc<[Document]> = vec![Document {
            path: "a.txt".into(),
            text: Text::from_string(text),
        }]
        .into();
        Checker::new(docs, &TagSet::default(), |t| t != "error")
    }

    fn refusal(c: &Checker, line: &str) -> String {
        c.read_line(line.as_bytes()).unwrap_err()
    }

    #[test]
    fn good_lines_pass_and_blank_lines_are_skipped() {
        let c = checker("Prices rose 12 per cent.");
        let p = c
            .read_line(br#"{"path":"a.txt","start":7,"end":23,"tag":"claim","score":0.8,"attrs":{"verdict":"unverified"},"explanation":"a number","extra":1}"#)
            .unwrap()
            .unwrap();
        assert_eq!(
            (p.start, p.end, p.tag.as_str(), p.score),
            (7, 23, "claim", 0.8)
        );
        assert_eq!(p.explanation.as_deref(), Some("a number"));
        assert_eq!(c.read_line(b"  \r").unwrap(), None);
    }

    #[test]
    fn each_bad_line_says_why() {
        let c = checker("cafe\u{301} 👩‍👩‍👧 ok");
        let line = |s: usize, e: usize, tag: &str, extra: &str| {
            format!(r#"{{"path":"a.txt","start":{s},"end":{e},"tag":"{tag}","score":0.5{extra}}}"#)
        };
        assert!(refusal(&c, "hello").starts_with("not JSON"));
        assert!(refusal(&c, "[1]").starts_with("not a JSON object"));
        assert!(refusal(&c, r#"{"path":"a.txt"}"#).starts_with("not a proposal"));
        assert!(
            refusal(&c, &line(0, 99, "quote", "")).contains("past the end of the text (14 chars)")
        );
        assert!(refusal(&c, &line(3, 3, "quote", "")).contains("not before end"));
        assert!(refusal(&c, &line(0, 4, "quote", "")).contains("end 4 is inside a grapheme"));
        assert!(refusal(&c, &line(7, 11, "quote", "")).contains("start 7 is inside a grapheme"));
        assert!(refusal(&c, &line(0, 5, "error", "")).contains("not one it may propose"));
        assert!(refusal(&c, &line(0, 5, "opinion", "")).contains("not one it may propose"));
        assert!(
            refusal(&c, &line(0, 5, "claim", r#","attrs":{"verdict":"maybe"}"#))
                .contains("not one of")
        );
        assert!(
            refusal(
                &c,
                &line(0, 5, "claim", r#","attrs":{"marginalia:anchor":"x"}"#)
            )
            .contains("reserved")
        );
        assert!(
            refusal(&c, &line(0, 5, "claim", r#","attrs":{"verdict":3}"#)).contains("not a string")
        );
        assert!(
            refusal(
                &c,
                r#"{"path":"b.txt","start":0,"end":1,"tag":"quote","score":0.5}"#
            )
            .contains("not a document it was sent")
        );
        assert!(
            refusal(
                &c,
                r#"{"path":"a.txt","start":0,"end":5,"tag":"quote","score":1.5}"#
            )
            .contains("score 1.5 is not between 0 and 1")
        );
        assert!(
            refusal(
                &c,
                r#"{"path":"a.txt","start":-1,"end":5,"tag":"quote","score":1}"#
            )
            .contains("start -1 is negative")
        );
        // The whole emoji sequence and the accented letter are fine.
        assert!(c.read_line(line(0, 5, "quote", "").as_bytes()).is_ok());
        assert!(c.read_line(line(6, 11, "quote", "").as_bytes()).is_ok());
    }

    #[test]
    fn the_header_offers_the_tags_with_their_attributes() {
        let c = checker("x");
        let h = header_line("p", "/ws", &c.tags(), 1);
        let v: serde_json::Value = serde_json::from_str(&h).unwrap();
        assert_eq!(v["protocol"], 1);
        assert_eq!(v["kind"], HEADER_KIND);
        let names: Vec<&str> = v["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["quote", "claim", "boilerplate"]);
        assert_eq!(v["tags"][1]["attributes"][0]["kind"], "choice");
        assert_eq!(v["tags"][1]["attributes"][0]["default"], "unverified");
        let d = document_line(&c.documents()[0]);
        assert_eq!(d, "{\"path\":\"a.txt\",\"text\":\"x\",\"chars\":1}\n");
    }
}
