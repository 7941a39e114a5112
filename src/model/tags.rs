//! The tag set: what a span can be called, its colour, its hotkey and its guideline.
//!
//! Defined per workspace in `annotations/tags.ron`; when that file is absent the four news tags
//! (`quote`, `claim`, `error`, `boilerplate`) apply, in colour-blind-safe colours (Okabe–Ito).
//!
//! Each tag also declares its **attributes**: the structured values a span of that tag carries
//! in its `attrs` map (who said a quote, a claim's verdict, an error's correction). Keys that
//! start with [`RESERVED_PREFIX`] are Marginalia's own markers, never attributes.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::store::FileProblem;

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
    /// Longer guidance for annotators (when to use the tag, edge cases); may span lines.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub guideline: String,
    /// The values a span of this tag carries, in display order. The first is the most
    /// important one: the span list shows it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<Attribute>,
}

/// `attrs` keys with this prefix are Marginalia's own markers (such as
/// `marginalia:anchor: "fuzzy"`), kept out of the user's attribute space.
pub const RESERVED_PREFIX: &str = "marginalia:";

/// Whether an `attrs` key is one of Marginalia's own markers rather than a user attribute.
pub fn is_reserved(key: &str) -> bool {
    key.starts_with(RESERVED_PREFIX)
}

/// A flag attribute's value when set.
pub const FLAG_TRUE: &str = "true";
/// A flag attribute's value when cleared.
pub const FLAG_FALSE: &str = "false";

/// What values an attribute takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AttrKind {
    /// Free text (a speaker, a correction).
    Text,
    /// One of the listed values.
    Choice(Vec<String>),
    /// Yes or no, stored as `"true"` / `"false"`.
    Flag,
}

impl AttrKind {
    /// `text`, `choice` or `flag`.
    pub fn label(&self) -> &'static str {
        match self {
            AttrKind::Text => "text",
            AttrKind::Choice(_) => "choice",
            AttrKind::Flag => "flag",
        }
    }
}

/// One attribute of a tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribute {
    /// The key in a span's `attrs`.
    pub name: String,
    pub kind: AttrKind,
    /// Whether a document may be marked done with this value missing (`validate` reports it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
    /// The value a new span of the tag starts with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// One line of guidance.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

impl Attribute {
    /// A free-text attribute.
    pub fn text(name: &str, description: &str) -> Self {
        Self {
            name: name.into(),
            kind: AttrKind::Text,
            required: false,
            default: None,
            description: description.into(),
        }
    }

    /// A choice attribute over `values`.
    pub fn choice(name: &str, values: &[&str], description: &str) -> Self {
        Self {
            name: name.into(),
            kind: AttrKind::Choice(values.iter().map(|v| (*v).to_owned()).collect()),
            required: false,
            default: None,
            description: description.into(),
        }
    }

    /// The listed values of a choice attribute (empty for other kinds).
    pub fn choices(&self) -> &[String] {
        match &self.kind {
            AttrKind::Choice(values) => values,
            _ => &[],
        }
    }

    /// Whether `value` is allowed: one of the listed values for a choice, `true`/`false` for a
    /// flag, anything without control characters other than line breaks and tabs for text.
    pub fn allows(&self, value: &str) -> bool {
        match &self.kind {
            AttrKind::Text => !value
                .chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\t')),
            AttrKind::Choice(values) => values.iter().any(|v| v == value),
            AttrKind::Flag => value == FLAG_TRUE || value == FLAG_FALSE,
        }
    }
}

/// A span's attribute value that does not fit its tag's schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttrIssue {
    /// The value is not allowed for the attribute (an unknown choice, a flag that is not
    /// `true`/`false`).
    BadValue {
        name: String,
        value: String,
        allowed: Vec<String>,
    },
    /// A required attribute has no value (or an empty one).
    Missing { name: String },
    /// The key is not an attribute of the tag.
    Undeclared { name: String },
}

impl std::fmt::Display for AttrIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AttrIssue::BadValue {
                name,
                value,
                allowed,
            } if !allowed.is_empty() => write!(
                f,
                "attribute {name:?} has value {value:?}, not one of {}",
                allowed.join(", ")
            ),
            AttrIssue::BadValue { name, value, .. } => {
                write!(
                    f,
                    "attribute {name:?} has value {value:?}, which is not allowed"
                )
            }
            AttrIssue::Missing { name } => write!(f, "required attribute {name:?} has no value"),
            AttrIssue::Undeclared { name } => {
                write!(f, "attribute {name:?} is not in the tag's schema")
            }
        }
    }
}

impl Tag {
    /// The attribute called `name`.
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// The values a new span of this tag starts with: each attribute's default.
    pub fn default_attrs(&self) -> BTreeMap<String, String> {
        self.attributes
            .iter()
            .filter_map(|a| Some((a.name.clone(), a.default.clone()?)))
            .collect()
    }

    /// How `attrs` (a span's map) departs from this tag's schema, in schema order then key
    /// order. Reserved keys are never reported.
    pub fn attr_issues(&self, attrs: &BTreeMap<String, String>) -> Vec<AttrIssue> {
        let mut out = Vec::new();
        for a in &self.attributes {
            match attrs.get(&a.name) {
                Some(v) if v.is_empty() && a.required => out.push(AttrIssue::Missing {
                    name: a.name.clone(),
                }),
                Some(v) if !v.is_empty() && !a.allows(v) => out.push(AttrIssue::BadValue {
                    name: a.name.clone(),
                    value: v.clone(),
                    allowed: a.choices().to_vec(),
                }),
                None if a.required => out.push(AttrIssue::Missing {
                    name: a.name.clone(),
                }),
                _ => {}
            }
        }
        for k in attrs.keys() {
            if !is_reserved(k) && self.attribute(k).is_none() {
                out.push(AttrIssue::Undeclared { name: k.clone() });
            }
        }
        out
    }
}

impl Tag {
    /// The colour as RGB bytes (validated on load, so a bad value here is a default grey).
    pub fn rgb(&self) -> [u8; 3] {
        parse_hex_color(&self.color).unwrap_or([128, 128, 128])
    }
}

/// One relation type: what a link between two spans means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelationType {
    /// What annotators call it; also what is written in layer files (`said-by`).
    pub name: String,
    /// One line of guidance, shown in the picker and tooltips.
    #[serde(default)]
    pub description: String,
    /// The tags its `from` end may have (empty: any).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub from: Vec<String>,
    /// The tags its `to` end may have (empty: any).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<String>,
    /// Whether `a → b` means the same as `b → a` (drawn without an arrowhead).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub symmetric: bool,
    /// A single key that picks it in the relation picker: a letter or digit.
    #[serde(default)]
    pub hotkey: String,
    /// `#rrggbb`.
    pub color: String,
    /// The values a relation of this type carries, as tags' attributes do.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<Attribute>,
}

impl RelationType {
    /// The tags allowed at the `from` end (`from_end`) or the `to` end; empty: any.
    pub fn allowed(&self, from_end: bool) -> &[String] {
        if from_end { &self.from } else { &self.to }
    }

    /// Whether a span tagged `tag` may be the `from` end (`from_end`) or the `to` end.
    pub fn allows_end(&self, from_end: bool, tag: &str) -> bool {
        let allowed = self.allowed(from_end);
        allowed.is_empty() || allowed.iter().any(|t| t == tag)
    }

    /// The values a new relation of this type starts with: each attribute's default.
    pub fn default_attrs(&self) -> BTreeMap<String, String> {
        self.attributes
            .iter()
            .filter_map(|a| Some((a.name.clone(), a.default.clone()?)))
            .collect()
    }

    /// The colour as RGB bytes (validated on load, so a bad value here is a default grey).
    pub fn rgb(&self) -> [u8; 3] {
        parse_hex_color(&self.color).unwrap_or([128, 128, 128])
    }

    /// The schema of this type's attributes as a tag, for the checks tags' attributes share.
    fn as_tag(&self) -> Tag {
        Tag {
            name: self.name.clone(),
            color: self.color.clone(),
            hotkey: String::new(),
            description: String::new(),
            guideline: String::new(),
            attributes: self.attributes.clone(),
        }
    }

    /// How `attrs` (a relation's map) departs from this type's schema.
    pub fn attr_issues(&self, attrs: &BTreeMap<String, String>) -> Vec<AttrIssue> {
        self.as_tag().attr_issues(attrs)
    }
}

/// The relation types a workspace without its own list uses: who said a quote, what supports
/// or refutes a claim, what corrects an error, and two mentions of one thing.
pub fn news_relations() -> Vec<RelationType> {
    let kind = |name: &str, description: &str, from: &[&str], to: &[&str], key: &str, color| {
        RelationType {
            name: name.into(),
            description: description.into(),
            from: from.iter().map(|t| (*t).to_owned()).collect(),
            to: to.iter().map(|t| (*t).to_owned()).collect(),
            symmetric: false,
            hotkey: key.into(),
            color: String::from(color),
            attributes: Vec::new(),
        }
    };
    let mut evidence = kind(
        "evidence",
        "A passage that bears on a claim: it supports it, refutes it or gives context.",
        &[],
        &["claim"],
        "e",
        "#009E73",
    );
    let mut stance = Attribute::choice(
        "stance",
        &["supports", "refutes", "context"],
        "How the passage bears on the claim.",
    );
    stance.default = Some("supports".into());
    evidence.attributes = vec![stance];
    let mut same = kind(
        "same-as",
        "Two mentions of the same person, organisation or event.",
        &[],
        &[],
        "m",
        "#CC79A7",
    );
    same.symmetric = true;
    vec![
        kind(
            "said-by",
            "A quote, linked to the span that names who said it.",
            &["quote"],
            &[],
            "s",
            "#0072B2",
        ),
        evidence,
        kind(
            "corrects",
            "A passage that corrects an error.",
            &[],
            &["error"],
            "c",
            "#D55E00",
        ),
        same,
    ]
}

/// The tags of a workspace, in display order, and its relation types.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "TagSetFile")]
pub struct TagSet {
    pub tags: Vec<Tag>,
    /// The relation types. A `tags.ron` without this list gets those of [`news_relations`]
    /// whose ends name only its tags; one with `relations: []` has none.
    pub relations: Vec<RelationType>,
}

/// A tag set as its file may hold it: written before relations existed, or with its own list.
#[derive(Deserialize)]
struct TagSetFile {
    tags: Vec<Tag>,
    /// Absent (`None`), or the list as written (`relations: [...]`, no `Some`).
    #[serde(default, deserialize_with = "present")]
    relations: Option<Vec<RelationType>>,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<RelationType>>, D::Error> {
    Vec::deserialize(d).map(Some)
}

impl From<TagSetFile> for TagSet {
    fn from(file: TagSetFile) -> Self {
        let relations = file.relations.unwrap_or_else(|| {
            let known = |t: &String| file.tags.iter().any(|tag| &tag.name == t);
            news_relations()
                .into_iter()
                .filter(|r| r.from.iter().chain(&r.to).all(known))
                .collect()
        });
        Self {
            tags: file.tags,
            relations,
        }
    }
}

/// Why a tag set is unusable.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum TagError {
    /// Unreadable, or not a valid tag set.
    #[error(transparent)]
    File(#[from] FileProblem),
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
            guideline: String::new(),
            attributes: Vec::new(),
        };
        let tags = vec![
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
        ];
        let mut set = Self {
            tags,
            relations: news_relations(),
        };
        set.tags[0].attributes = vec![Attribute::text(
            "speaker",
            "Who said or wrote it, as named in the text.",
        )];
        let mut verdict = Attribute::choice(
            "verdict",
            &[
                "unverified",
                "true",
                "mostly true",
                "mixed",
                "misleading",
                "false",
            ],
            "What checking the claim found.",
        );
        verdict.default = Some("unverified".into());
        set.tags[1].attributes = vec![
            verdict,
            Attribute::text(
                "source",
                "Where the claim was checked (a link or reference).",
            ),
        ];
        set.tags[2].attributes = vec![
            Attribute::choice(
                "kind",
                &["name", "translation", "fact", "number", "typo", "other"],
                "What kind of mistake it is.",
            ),
            Attribute::text("correction", "What the text should read."),
        ];
        set.tags[3].attributes = vec![Attribute::choice(
            "kind",
            &[
                "navigation",
                "advertising",
                "player",
                "metadata",
                "byline",
                "links",
                "other",
            ],
            "What kind of page furniture it is.",
        )];
        set
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
            Ok(bytes) => String::from_utf8(bytes).map_err(|e| {
                FileProblem::unreadable(
                    shown.clone(),
                    format!("not UTF-8 at byte {}", e.utf8_error().valid_up_to()),
                )
            })?,
            Err(e) if e.is_not_found() => return Ok(Self::default()),
            Err(e) => return Err(FileProblem::unreadable(shown, e.reason()).into()),
        };
        let set: TagSet = crate::store::ron::ron_options()
            .from_str(&src)
            .map_err(|e| FileProblem::new(shown.clone(), "not a valid tag set", e.to_string()))?;
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
            check_attributes(t)?;
        }
        let mut names = HashSet::new();
        let mut keys = HashSet::new();
        for r in &self.relations {
            let at = || format!("relation type {:?}", r.name);
            if r.name.trim().is_empty()
                || r.name.chars().any(|c| c.is_control() || c.is_whitespace())
            {
                return Err(format!(
                    "{}: the name is empty or has spaces or control characters",
                    at()
                ));
            }
            if !names.insert(r.name.as_str()) {
                return Err(format!("duplicate relation type {:?}", r.name));
            }
            if parse_hex_color(&r.color).is_none() {
                return Err(format!(
                    "{} has colour {:?}; expected #rrggbb",
                    at(),
                    r.color
                ));
            }
            if !r.hotkey.is_empty() {
                let mut chars = r.hotkey.chars();
                let ok = matches!((chars.next(), chars.next()), (Some(c), None) if c.is_ascii_alphanumeric());
                if !ok || !keys.insert(r.hotkey.to_ascii_lowercase()) {
                    return Err(format!(
                        "{} has hotkey {:?}; expected one letter or digit no other relation type uses",
                        at(),
                        r.hotkey
                    ));
                }
            }
            for t in r.from.iter().chain(&r.to) {
                if !self.contains(t) {
                    return Err(format!(
                        "{}: its ends name tag {t:?}, which is not in the tag set",
                        at()
                    ));
                }
            }
            check_attributes(&r.as_tag())?;
        }
        Ok(())
    }

    /// Checks the set and writes it to `path` atomically, as pretty RON.
    ///
    /// # Errors
    /// [`TagError::Invalid`] when the set does not pass [`TagSet::check`] (nothing is
    /// written), or the write failure, naming the file.
    pub fn save(&self, path: &Path) -> Result<(), TagError> {
        let shown = path.display().to_string();
        self.check().map_err(|problem| TagError::Invalid {
            path: shown.clone(),
            problem,
        })?;
        crate::store::write_file(path, self.to_ron().as_bytes())
            .map(|_| ())
            .map_err(|e| FileProblem::unreadable(shown, format!("cannot write: {e}")).into())
    }

    /// The relation type called `name`.
    pub fn relation(&self, name: &str) -> Option<&RelationType> {
        self.relations.iter().find(|r| r.name == name)
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
        crate::store::ron::to_pretty_ron(self).unwrap_or_default()
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
            guideline: String::new(),
            attributes: Vec::new(),
        });
        true
    }
}

impl TagSet {
    /// Adds a relation type with a generated colour, any tags at both ends and the first free
    /// letter as hotkey, if no type of that name is known (an import's relations). Returns
    /// whether it was added.
    pub fn add_generated_relation(&mut self, name: &str, symmetric: bool) -> bool {
        if self.relation(name).is_some() {
            return false;
        }
        const EXTRA: [&str; 6] = [
            "#882255", "#44AA99", "#117733", "#AA4499", "#332288", "#DDCC77",
        ];
        let color = EXTRA[self.relations.len() % EXTRA.len()].to_owned();
        let used: HashSet<String> = self
            .relations
            .iter()
            .map(|r| r.hotkey.to_ascii_lowercase())
            .collect();
        let hotkey = ('a'..='z')
            .map(String::from)
            .find(|k| !used.contains(k))
            .unwrap_or_default();
        self.relations.push(RelationType {
            name: name.to_owned(),
            description: "Imported relation type.".into(),
            from: Vec::new(),
            to: Vec::new(),
            symmetric,
            hotkey,
            color,
            attributes: Vec::new(),
        });
        true
    }
}

/// Checks one tag's attributes: names present, unique, not reserved; choices listed and
/// distinct; defaults allowed.
fn check_attributes(t: &Tag) -> Result<(), String> {
    let mut names = HashSet::new();
    for a in &t.attributes {
        let at = || format!("tag {:?}, attribute {:?}", t.name, a.name);
        if a.name.trim().is_empty() || a.name.chars().any(char::is_control) {
            return Err(format!(
                "{}: the name is empty or has control characters",
                at()
            ));
        }
        if is_reserved(&a.name) {
            return Err(format!(
                "{}: names starting with {RESERVED_PREFIX:?} are reserved for Marginalia",
                at()
            ));
        }
        if !names.insert(a.name.as_str()) {
            return Err(format!("{}: declared twice", at()));
        }
        if let AttrKind::Choice(values) = &a.kind {
            if values.is_empty() {
                return Err(format!("{}: a choice needs at least one value", at()));
            }
            let mut seen = HashSet::new();
            for v in values {
                if v.trim().is_empty() {
                    return Err(format!("{}: a choice value is empty", at()));
                }
                if !seen.insert(v.as_str()) {
                    return Err(format!("{}: value {v:?} is listed twice", at()));
                }
            }
        }
        if let Some(d) = &a.default
            && !a.allows(d)
        {
            return Err(format!("{}: default {d:?} is not an allowed value", at()));
        }
    }
    Ok(())
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

    #[test]
    fn defaults_carry_the_news_attributes() {
        let d = TagSet::default();
        let claim = d.get("claim").unwrap();
        let verdict = claim.attribute("verdict").unwrap();
        assert_eq!(verdict.choices().len(), 6);
        assert_eq!(verdict.default.as_deref(), Some("unverified"));
        assert_eq!(
            claim.default_attrs().get("verdict").map(String::as_str),
            Some("unverified")
        );
        let names = |t: &str| -> Vec<String> {
            d.get(t)
                .unwrap()
                .attributes
                .iter()
                .map(|a| format!("{}:{}", a.name, a.kind.label()))
                .collect()
        };
        assert_eq!(names("quote"), ["speaker:text"]);
        assert_eq!(names("error"), ["kind:choice", "correction:text"]);
        assert_eq!(names("boilerplate"), ["kind:choice"]);
    }

    #[test]
    fn a_tag_set_without_relation_types_gets_the_news_ones_its_tags_allow() {
        let read =
            |src: &str| -> TagSet { crate::store::ron::ron_options().from_str(src).unwrap() };
        let names = |set: &TagSet| -> Vec<String> {
            set.relations.iter().map(|r| r.name.clone()).collect()
        };
        assert_eq!(
            names(&TagSet::default()),
            ["said-by", "evidence", "corrects", "same-as"]
        );
        // Written before relations existed: the news types again.
        let old = TagSet::default().to_ron();
        let cut = old.find("    relations:").unwrap();
        let before_relations = format!("{})\n", &old[..cut]);
        assert_eq!(names(&read(&before_relations)), names(&TagSet::default()));
        // Tags of their own, no quote, claim or error: only `same-as`, which names no tag.
        let own = read(r##"(tags: [(name: "person", color: "#112233", hotkey: "p")])"##);
        assert_eq!(names(&own), ["same-as"]);
        own.check().unwrap();
        // An explicit empty list: none.
        let none =
            read(r##"(tags: [(name: "person", color: "#112233", hotkey: "p")], relations: [])"##);
        assert!(none.relations.is_empty());
        // A written set reads back the same.
        let back = read(&TagSet::default().to_ron());
        assert_eq!(back, TagSet::default());
    }

    #[test]
    fn a_schema_in_ron_parses_and_round_trips() {
        let src = r##"(tags: [(name: "claim", color: "#E69F00", hotkey: "2",
            guideline: "Checkable.\nNot opinions.",
            attributes: [
              (name: "verdict", kind: Choice(["true", "false"]), required: true, default: Some("true")),
              (name: "checked", kind: Flag),
              (name: "source", kind: Text, description: "A link."),
            ])])"##;
        let set: TagSet = crate::store::ron::ron_options().from_str(src).unwrap();
        set.check().unwrap();
        let claim = set.get("claim").unwrap();
        assert!(claim.attribute("verdict").unwrap().required);
        assert!(claim.attribute("checked").unwrap().allows("true"));
        assert!(!claim.attribute("checked").unwrap().allows("yes"));
        let back: TagSet = crate::store::ron::ron_options()
            .from_str(&set.to_ron())
            .unwrap();
        assert_eq!(back, set);
    }

    #[test]
    fn bad_attribute_schemas_are_refused_with_the_reason() {
        let bad = |f: &dyn Fn(&mut Attribute)| {
            let mut d = TagSet::default();
            f(&mut d.tags[1].attributes[0]);
            d.check().unwrap_err()
        };
        assert!(bad(&|a| a.kind = AttrKind::Choice(vec![])).contains("at least one value"));
        assert!(
            bad(&|a| a.kind = AttrKind::Choice(vec!["x".into(), "x".into()]))
                .contains("listed twice")
        );
        assert!(bad(&|a| a.default = Some("maybe".into())).contains("not an allowed value"));
        assert!(bad(&|a| a.name = "marginalia:anchor".into()).contains("reserved"));
        assert!(bad(&|a| a.name = " ".into()).contains("empty"));
        let mut d = TagSet::default();
        d.tags[1].attributes[1].name = "verdict".into();
        assert!(d.check().unwrap_err().contains("declared twice"));
    }

    #[test]
    fn attribute_values_are_checked_against_the_schema() {
        let d = TagSet::default();
        let mut claim = d.get("claim").unwrap().clone();
        claim.attributes[0].required = true;
        let attrs = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        assert!(
            claim
                .attr_issues(&attrs(&[
                    ("verdict", "false"),
                    ("marginalia:anchor", "fuzzy")
                ]))
                .is_empty()
        );
        let issues = claim.attr_issues(&attrs(&[("verdict", "wrong"), ("mood", "calm")]));
        let shown: Vec<String> = issues.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "attribute \"verdict\" has value \"wrong\", not one of unverified, true, mostly true, mixed, misleading, false",
                "attribute \"mood\" is not in the tag's schema",
            ]
        );
        assert_eq!(
            claim.attr_issues(&attrs(&[])),
            [AttrIssue::Missing {
                name: "verdict".into()
            }]
        );
    }
}
