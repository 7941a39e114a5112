//! Interchange: reading and writing other tools' files (brat, CoNLL, CSV, JSONL for spaCy,
//! doccano and Prodigy, Label Studio, W3C Web Annotation), each with an exact report.
//!
//! Owns: [`export`] and [`import`]; import may use export's shared shapes, never the reverse.
//! May import: the model, the store, the workspace and the team's curated layer; never a
//! session, the CLI or the app.

pub mod export;
pub mod import;
