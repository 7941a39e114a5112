//! Assistance: the repetitive part of labeling done for the editor, who still accepts every
//! span: find (and tag every hit) and suggestions.
//!
//! Owns: find, suggestions and their rejections, the learned tagger. May import: the model, the
//! store and the workspace; never a session, the team, the interchange, the CLI or the app.

pub mod find;
pub mod learn;
pub mod provider;
pub mod suggest;
