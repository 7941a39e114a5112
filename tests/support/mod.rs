//! Helpers shared by all the test binaries, so that each exists once. Every binary's `main.rs`
//! includes this folder with `#[path = "../support/mod.rs"] mod support;` and reaches a helper
//! as `crate::support::files::copy_dir` and so on:
//! - `files`: the repository's own files and temp copies of them (seeds, shipped annotations,
//!   the team fixture), and editing a file in place;
//! - `process`: the CLI run in-process or as the real `marginalia` binary;
//! - `app`: the real app in an egui_kittest harness, and the mouse and keyboard moves the UI
//!   tests share;
//! - `interchange`: the workspaces the export and import tests work on.
// Each binary uses a different subset of these.
#![allow(dead_code)]

pub mod app;
pub mod files;
pub mod interchange;
pub mod process;
