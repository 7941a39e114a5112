//! Editing sessions: one open document being annotated ([`document::Document`]) or one text
//! being reviewed ([`review::Review`]), with their undo history, autosave, recovery journal
//! and reload when the file changes outside. Both run on one engine ([`engine`]: the
//! [`engine::Session`] they hold, the [`engine::Editing`] methods a window calls on either,
//! and the save steps), and both merge an outside change with [`crate::team::merge`]'s rule.
//!
//! Owns: the session engines. May import: the model, the store, the workspace, assistance
//! (find, suggestions) and the team's merge rule and review items; never the interchange,
//! the CLI or the app.

pub mod autosave;
pub mod document;
pub mod engine;
pub mod history;
pub mod layer_index;
pub mod list_cache;
pub mod recovery;
pub mod review;
pub mod save_mirror;
pub mod tag_all;
