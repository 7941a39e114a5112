//! Marginalia: a desktop app for annotating news texts with tagged spans.
//!
//! The crate has three layers:
//! - the **core** (every module except [`app`]): texts, spans, tags, workspaces, the RON store,
//!   validation and statistics. It imports no egui and no rfd; the CLI, the tests and the GUI
//!   all call it;
//! - [`cli`]: the command line, which runs core operations without a window;
//! - [`app`]: the egui layer, which draws state and turns input into core commands. It never
//!   writes files itself.
//!
//! All offsets are Unicode scalar values (Rust `char`s) in half-open ranges `[start, end)`.

pub mod agreement;
pub mod agreement_team;
pub mod assign;
pub mod autosave;
pub mod cli;
pub mod document;
pub mod export;
pub mod find;
pub mod git_driver;
pub mod history;
pub mod import;
pub mod layer;
pub mod layer_index;
pub mod merge3;
pub mod progress;
pub mod reanchor;
pub mod recovery;
pub mod review;
pub mod save_mirror;
pub mod span_index;
pub mod stats;
pub mod store;
pub mod suggest;
pub mod synth;
pub mod tag_ops;
pub mod tags;
pub mod text;
pub mod validate;
pub mod wording;
pub mod workspace;
pub mod writer;

pub mod app;

pub use document::Document;
pub use layer::{Layer, Span, Status};
pub use tags::{Tag, TagSet};
pub use text::Text;
pub use workspace::Workspace;
