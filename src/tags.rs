//! The tag set: what a span can be called, its colour, its hotkey and its guideline.
//!
//! Defined per workspace in `annotations/tags.ron`; when that file is absent the four news tags
//! (`quote`, `claim`, `error`, `boilerplate`) apply, in colour-blind-safe colours (Okabe–Ito).

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// One tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    /// What annotators call it; also what is written in span files.
    pub name: String,
    /// `#rrggbb`.
    pub color: String,
    /// A single key: `1`–`9`, `0` or a letter.
    pub hotkey: String,
    /// One line of guidance, shown in the legend and tooltips.
    #[serde(default)]
    pub description: String,
}

impl Tag {
    /// The colour as RGB bytes (validated on load, so a bad value here is a default grey).
    pub fn rgb(&self) -> [u8; 3] {
        parse_hex_color(&self.color).unwrap_or([128, 128, 128])
    }
}

/// The tags of a workspace, in display order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagSet {
    pub tags: Vec<Tag>,
}

/// Why a tag set is unusable.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum TagError {
    #[error("{path}: cannot read: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("{path}: not a valid tag set: {reason}")]
    Parse { path: String, reason: String },
    #[error("{path}: {problem}")]
    Invalid { path: String, problem: String },
}

impl Default for TagSet {
    fn default() -> Self {
        let tag = |name: &str, color: &str, hotkey: &str, description: &str| Tag {
            name: name.into(),
            color: color.into(),
            hotkey: hotkey.into(),
            description: description.into(),
        };
        Self {
            tags: vec![
                tag(
                    "quote",
                    "#56B4E9",
                    "1",
                    "Words a named source said or wrote, inside or outside quote marks.",
                ),
                tag(
                    "claim",
                    "#E69F00",
                    "2",
                    "A checkable statement of fact that a fact-checker could verify.",
                ),
                tag(
                    "error",
                    "#D55E00",
                    "3",
                    "A factual or translation mistake: wrong name, garbled phrase, wrong word.",
                ),
                tag(
                    "boilerplate",
                    "#999999",
                    "4",
                    "Page furniture, not the article: bylines, player notices, link lists, metadata.",
                ),
            ],
        }
    }
}

impl TagSet {
    /// Loads `annotations/tags.ron`, or the defaults when `path` does not exist.
    ///
    /// # Errors
    /// A [`TagError`] naming the file: unreadable, unparsable, or with duplicate names or hotkeys,
    /// empty names or bad colours.
    pub fn load_or_default(path: &Path) -> Result<Self, TagError> {
        let shown = path.display().to_string();
        let src = match crate::store::read_regular(path, crate::store::MAX_SETTINGS_BYTES) {
            Ok(bytes) => String::from_utf8(bytes).map_err(|e| TagError::Unreadable {
                path: shown.clone(),
                reason: format!("not UTF-8 at byte {}", e.utf8_error().valid_up_to()),
            })?,
            Err(e) if e.is_not_found() => return Ok(Self::default()),
            Err(e) => {
                return Err(TagError::Unreadable {
                    path: shown,
                    reason: e.reason(),
                });
            }
        };
        let set: TagSet =
            crate::layer::ron_options()
                .from_str(&src)
                .map_err(|e| TagError::Parse {
                    path: shown.clone(),
                    reason: e.to_string(),
                })?;
        set.check().map_err(|problem| TagError::Invalid {
            path: shown,
            problem,
        })?;
        Ok(set)
    }

    /// Checks names, hotkeys and colours. Returns the first problem in words.
    pub fn check(&self) -> Result<(), String> {
        if self.tags.is_empty() {
            return Err("the tag set has no tags".into());
        }
        let mut names = HashSet::new();
        let mut keys = HashSet::new();
        for t in &self.tags {
            if t.name.trim().is_empty() || t.name.chars().any(char::is_control) {
                return Err(format!(
                    "tag name {:?} is empty or has control characters",
                    t.name
                ));
            }
            if !names.insert(t.name.as_str()) {
                return Err(format!("duplicate tag name {:?}", t.name));
            }
            if parse_hex_color(&t.color).is_none() {
                return Err(format!(
                    "tag {:?} has colour {:?}; expected #rrggbb",
                    t.name, t.color
                ));
            }
            if !t.hotkey.is_empty() {
                let mut chars = t.hotkey.chars();
                let ok = matches!((chars.next(), chars.next()), (Some(c), None) if c.is_ascii_alphanumeric());
                if !ok {
                    return Err(format!(
                        "tag {:?} has hotkey {:?}; expected one letter or digit",
                        t.name, t.hotkey
                    ));
                }
                if !keys.insert(t.hotkey.to_ascii_lowercase()) {
                    return Err(format!(
                        "duplicate hotkey {:?} (tag {:?})",
                        t.hotkey, t.name
                    ));
                }
            }
        }
        Ok(())
    }

    /// The tag called `name`.
    pub fn get(&self, name: &str) -> Option<&Tag> {
        self.tags.iter().find(|t| t.name == name)
    }

    /// Whether `name` is a known tag.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The tag bound to hotkey `key` (case-insensitive).
    pub fn by_hotkey(&self, key: &str) -> Option<&Tag> {
        self.tags
            .iter()
            .find(|t| !t.hotkey.is_empty() && t.hotkey.eq_ignore_ascii_case(key))
    }

    /// Serialises the tag set as pretty RON.
    pub fn to_ron(&self) -> String {
        crate::layer::to_pretty_ron(self).unwrap_or_default()
    }

    /// Adds a tag with a generated colour and no hotkey if it is not yet known. Returns whether
    /// it was added.
    pub fn add_generated(&mut self, name: &str) -> bool {
        if self.contains(name) {
            return false;
        }
        const EXTRA: [&str; 6] = [
            "#009E73", "#CC79A7", "#0072B2", "#F0E442", "#882255", "#44AA99",
        ];
        let color = EXTRA[self.tags.len() % EXTRA.len()].to_owned();
        let used: HashSet<String> = self.tags.iter().map(|t| t.hotkey.clone()).collect();
        let hotkey = (1..=9)
            .map(|d| d.to_string())
            .chain(std::iter::once("0".to_owned()))
            .find(|k| !used.contains(k))
            .unwrap_or_default();
        self.tags.push(Tag {
            name: name.to_owned(),
            color,
            hotkey,
            description: "Imported tag.".into(),
        });
        true
    }
}

/// Parses `#rrggbb`.
pub fn parse_hex_color(s: &str) -> Option<[u8; 3]> {
    let hex = s.strip_prefix('#')?;
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let p = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some([p(0)?, p(2)?, p(4)?])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_have_hotkeys_one_to_four() {
        let d = TagSet::default();
        d.check().unwrap();
        let keys: Vec<_> = d.tags.iter().map(|t| t.hotkey.as_str()).collect();
        assert_eq!(keys, ["1", "2", "3", "4"]);
        assert_eq!(d.by_hotkey("3").map(|t| t.name.as_str()), Some("error"));
    }

    #[test]
    fn duplicates_and_bad_colours_are_refused() {
        let mut d = TagSet::default();
        d.tags[1].name = "quote".into();
        assert!(d.check().unwrap_err().contains("duplicate tag name"));
        let mut d = TagSet::default();
        d.tags[1].hotkey = "1".into();
        assert!(d.check().unwrap_err().contains("duplicate hotkey"));
        let mut d = TagSet::default();
        d.tags[0].color = "blue".into();
        assert!(d.check().unwrap_err().contains("#rrggbb"));
    }
}
