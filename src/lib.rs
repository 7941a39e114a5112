//! Marginalia: a desktop app for annotating news texts with tagged spans.
//!
//! The crate is layered; each folder may import only the folders above it in this list (the
//! test in [`layering`] checks that no module imports one that imports it back):
//!
//! | folder | what it owns |
//! |---|---|
//! | [`wording`] | how numbers and lists read in messages |
//! | [`store`] | files on disk: bounded reads, the one atomic write path, fingerprints, locks |
//! | [`model`] | the text, tags, spans, layers and the curated layer; re-anchoring |
//! | [`workspace`] | a folder of texts and annotators; validation, statistics, tag renames |
//! | [`assist`] | find and tag-all, suggestions |
//! | [`team`] | agreement, the three-way merge, assignments, the git driver, the overview |
//! | [`session`] | an open document or review: undo, autosave, recovery journal, reload |
//! | [`interchange`] | import and export of other tools' files |
//! | [`cli`] | the command line |
//! | [`app`] | the egui window: draws state, turns input into commands, never writes files |
//!
//! Everything but [`app`] is the **core**: it imports no egui and no rfd; the CLI, the tests
//! and the GUI all call it. All offsets are Unicode scalar values (Rust `char`s) in half-open
//! ranges `[start, end)` ([`CharRange`]).

pub mod wording;

pub mod store;

pub mod model;

pub mod workspace;

pub mod assist;

pub mod team;

pub mod session;

pub mod interchange;

pub mod cli;

pub mod app;

pub mod layering;

pub use model::layer::{Layer, Span, Status};
pub use model::range::CharRange;
pub use model::tags::{Tag, TagSet};
pub use model::text::Text;
pub use session::document::Document;
pub use workspace::Workspace;
