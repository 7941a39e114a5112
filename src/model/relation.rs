//! Relations between spans: a quote said by a named speaker, a passage that is evidence for a
//! claim, two mentions of one person. A relation lives in the layer of its `from` end; its `to`
//! end is a span of the same layer or of the same annotator's layer of another document.
//!
//! Offsets are never the reference: an end names its span by id, so a span that is resized or
//! re-anchored keeps its relations. A cross-document end also keeps the span's range and quote
//! selector as they were when linked, so the span can be found again if that document's layer
//! is rewritten, and the reader is shown its words without opening the document.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One end of a relation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct End {
    /// The span's id, in this layer or (with `doc`) in the other document's layer.
    pub span: u64,
    /// A span of another document of the workspace (`None`: of this layer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<Elsewhere>,
}

/// Where a cross-document end was when it was linked: the other text, the span's range and its
/// W3C quote selector.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Elsewhere {
    /// The other text's path in the workspace, `/` separators.
    pub text: String,
    pub start: usize,
    pub end: usize,
    pub exact: String,
    #[serde(default)]
    pub prefix: String,
    #[serde(default)]
    pub suffix: String,
}

impl End {
    /// An end on span `id` of the same layer.
    pub fn here(id: u64) -> Self {
        Self {
            span: id,
            doc: None,
        }
    }

    /// Whether the end is a span of this layer.
    pub fn is_here(&self) -> bool {
        self.doc.is_none()
    }

    /// The span id if the end is in this layer.
    pub fn here_id(&self) -> Option<u64> {
        self.doc.is_none().then_some(self.span)
    }
}

/// A typed link between two spans.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Relation {
    /// Unique within its file, shared with the spans' ids, never reused.
    pub id: u64,
    /// The relation type's name in the tag set (`said-by`, `evidence`).
    #[serde(rename = "type")]
    pub kind: String,
    pub from: End,
    pub to: End,
    #[serde(default)]
    pub note: String,
    /// Attribute values by name, as the relation type's schema declares them.
    #[serde(default)]
    pub attrs: BTreeMap<String, String>,
    /// RFC 3339 UTC, second precision.
    #[serde(default)]
    pub created: String,
    #[serde(default)]
    pub modified: String,
}

impl Relation {
    /// Whether either end is span `id` of this layer.
    pub fn touches(&self, id: u64) -> bool {
        self.from.here_id() == Some(id) || self.to.here_id() == Some(id)
    }

    /// The other end's span id in this layer, seen from span `id` (`None`: not touching, or
    /// the other end is elsewhere).
    pub fn other_here(&self, id: u64) -> Option<u64> {
        if self.from.here_id() == Some(id) {
            self.to.here_id()
        } else if self.to.here_id() == Some(id) {
            self.from.here_id()
        } else {
            None
        }
    }

    /// How the relation reads from span `id` of this layer: `→` when `id` is its `from` end,
    /// `←` when it is its `to` end, `↔` for a `symmetric` type.
    pub fn arrow_from(&self, id: u64, symmetric: bool) -> &'static str {
        if symmetric {
            "↔"
        } else if self.from.here_id() == Some(id) {
            "→"
        } else {
            "←"
        }
    }

    /// The end that is not span `id` of this layer (the `to` end when `id` is the `from` end).
    pub fn other_end(&self, id: u64) -> &End {
        if self.from.here_id() == Some(id) {
            &self.to
        } else {
            &self.from
        }
    }

    /// A fingerprint of the relations' ids, types and ends: what the window's indexes over them
    /// are remade on. Cheap (a fold over the list), so it is taken every frame instead of
    /// tracking each kind of edit that can change relations.
    pub fn fingerprint(relations: &[Relation]) -> u64 {
        relations.iter().fold(relations.len() as u64, |h, r| {
            let kind = (r.kind.bytes()).fold(0u64, |k, b| (k ^ u64::from(b)).wrapping_mul(31));
            (h ^ r.id
                ^ r.from.span.rotate_left(21)
                ^ r.to.span.rotate_left(42)
                ^ kind
                ^ u64::from(r.from.doc.is_some())
                ^ (u64::from(r.to.doc.is_some()) << 1))
                .wrapping_mul(0x100_0000_01b3)
        })
    }

    /// Whether either end is in another document.
    pub fn crosses_documents(&self) -> bool {
        !self.from.is_here() || !self.to.is_here()
    }
}

/// What is wrong with one relation of a layer ([`crate::model::layer::Layer::relation_problems`];
/// `validate` reports these; opening a document keeps the relation and flags it, it never drops
/// one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelationProblem {
    /// The id is used twice (by two relations, or by a relation and a span).
    DuplicateId(u64),
    /// The tag set declares no relation type of this name.
    UnknownType { id: u64, kind: String },
    /// An end names a span that the layer does not have.
    MissingSpan {
        id: u64,
        end: &'static str,
        span: u64,
    },
    /// An end's span could not be re-anchored after its text changed: it is an orphan now.
    OrphanedEnd {
        id: u64,
        end: &'static str,
        span: u64,
    },
    /// An end's span has a tag the relation type does not allow there.
    TagNotAllowed {
        id: u64,
        end: &'static str,
        kind: String,
        tag: String,
        allowed: Vec<String>,
    },
    /// Both ends are the same span.
    SelfLink { id: u64 },
}

impl std::fmt::Display for RelationProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::DuplicateId(id) => write!(f, "relation {id}: the id is used twice"),
            Self::UnknownType { id, kind } => {
                write!(f, "relation {id}: unknown relation type {kind:?}")
            }
            Self::MissingSpan { id, end, span } => {
                write!(
                    f,
                    "relation {id}: its {end} end, span {span}, does not exist"
                )
            }
            Self::OrphanedEnd { id, end, span } => write!(
                f,
                "relation {id}: its {end} end, span {span}, lost its place when the text changed"
            ),
            Self::TagNotAllowed {
                id,
                end,
                kind,
                tag,
                allowed,
            } => write!(
                f,
                "relation {id}: a {kind:?} relation's {end} end may be {}, not {tag:?}",
                allowed.join(" or ")
            ),
            Self::SelfLink { id } => write!(f, "relation {id}: both ends are the same span"),
        }
    }
}

/// Relation counts per type name.
pub fn counts_by_type(relations: &[Relation]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for r in relations {
        *m.entry(r.kind.clone()).or_insert(0) += 1;
    }
    m
}
