//! Interchange: reading and writing other tools' files (brat, CoNLL, CSV, JSONL for spaCy,
//! doccano and Prodigy, Label Studio, W3C Web Annotation), each with an exact report.
//!
//! Owns: [`export`] and [`import`]; import may use export's shared shapes, never the reverse.
//! May import: the model, the store, the workspace, the team's curated layer and the shape of
//! a suggestion (`import --as-suggestions`); never a session, the CLI or the app.

pub mod export;
pub mod import;

/// The format of `all` that `name` calls `s`, in any ASCII case (what `--format` takes).
fn format_named<T: Copy>(all: &[T], name: fn(T) -> &'static str, s: &str) -> Option<T> {
    all.iter()
        .copied()
        .find(|&f| name(f).eq_ignore_ascii_case(s))
}
