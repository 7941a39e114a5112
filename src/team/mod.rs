//! Working as a team: comparing annotators (agreement), merging two people's edits to one file
//! (the three-way merge the git driver and the sessions use), who is assigned what, and the
//! team's overview table.
//!
//! Owns: agreement, the comparison of layers for review, merge, assignments, the git merge
//! driver, the overview. May import: the model, the store and the workspace; never a session,
//! the interchange, the CLI or the app.

pub mod agreement;
pub mod assign;
pub mod compare;
pub mod git_driver;
pub mod merge;
pub mod overview;
