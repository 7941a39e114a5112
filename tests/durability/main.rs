//! Nothing is lost: saves killed half-way, files changed by another window, `git pull` or a sync
//! tool while open, hostile and broken input, text edits that move spans (re-anchoring), and the
//! same in the real window (banners, the Orphans list, the recovery journal, read-only and
//! deleted files). One test binary: `cargo test --test durability`.

#[path = "../support/mod.rs"]
mod support;

mod crash;
mod external;
mod hostile;
mod reanchor;
mod window;
