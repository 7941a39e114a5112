//! The annotation model: a text, its character ranges, the tag set, the spans of a layer and of
//! the curated layer, their RON file format, and how spans are re-anchored when a text changes.
//!
//! Owns: [`text::Text`], [`range::CharRange`], [`tags::TagSet`], [`layer::Layer`]/[`layer::Span`],
//! the relations between spans ([`relation::Relation`]), the curated layer
//! ([`curated::CuratedLayer`]), the span index and re-anchoring. May import:
//! [`crate::store`] (bounded reads, atomic writes, RON options) and [`crate::wording`]; nothing
//! above it.

pub mod bidi;
pub mod curated;
pub mod layer;
pub mod range;
pub mod reanchor;
pub mod relation;
pub mod span_index;
pub mod tags;
pub mod text;
