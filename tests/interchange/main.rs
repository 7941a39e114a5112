//! Export and import: every format's output byte for byte against golden files, offsets right
//! on hard Unicode, round trips through each format, `marginalia export` as a user runs it, and
//! brat and JSON Lines (Marginalia's, doccano's, Prodigy's) imports, relations through each format. One test binary:
//! `cargo test --test interchange`.

#[path = "../support/mod.rs"]
mod support;

mod export_cli;
mod export_golden;
mod export_offsets;
mod export_roundtrip;
mod import_brat;
mod import_jsonl;
mod import_suggestions;
mod relations_roundtrip;
