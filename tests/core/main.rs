//! The GUI-free core on the shipped seeds and on hostile strings: char offsets, word and
//! grapheme snapping, annotation files that round-trip byte for byte, the workspace rule, and
//! bad inputs refused with one clear error. One test binary: `cargo test --test core`.

#[path = "../support/mod.rs"]
mod support;

mod bad_inputs;
mod bidi;
mod learn;
mod offsets;
mod relations;
mod roundtrip;
mod snapping;
mod workspace;
