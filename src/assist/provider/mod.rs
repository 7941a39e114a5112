//! Suggestions from any model: a program the workspace names (a spaCy pipeline, a wrapper round
//! a local LLM server, a shell script) proposes spans over a small JSON-lines protocol, and
//! Marginalia checks every proposal before anyone sees it.
//!
//! The parts: [`settings`] reads `annotations/providers.ron`, [`protocol`] is the wire format
//! and the check of each proposal, [`run`] starts the program off the calling thread, streams
//! what it proposes, and stops it on cancel, timeout or runaway output, and [`cache`] keeps a
//! finished run's proposals per text so reopening a document does not run it again. The
//! protocol is documented in `docs/PROVIDERS.md`.
//!
//! Nothing here writes a layer: proposals become [`Suggestion`]s
//! ([`ProviderProposal::to_suggestion`]), which a person accepts
//! through the usual save paths.
//!
//! Owns: provider settings, the protocol, the runner and its cache. May import: the model, the
//! store and the workspace.

pub mod cache;
pub mod protocol;
pub mod run;
pub mod settings;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::assist::suggest::{Source, Suggestion};
use crate::model::text::Text;

pub use protocol::Document;
pub use protocol::PROTOCOL_VERSION;
pub use run::{Event, Limits, ProviderRun, RunReport, RunRequest, run_blocking, start};
pub use settings::{PROVIDERS_FILE, ProviderSpec, Providers, SettingsError, split_command};

/// One span a provider proposed, checked: `path` is a document it was sent, `start..end` are
/// chars (half-open) on grapheme boundaries inside that text, `tag` is one it may propose with
/// attributes its schema allows, and `score` is in `[0, 1]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProviderProposal {
    /// The document's path relative to the workspace root, as sent.
    pub path: String,
    pub start: usize,
    pub end: usize,
    pub tag: String,
    /// How sure the provider is, in `[0, 1]`.
    pub score: f32,
    /// Attribute values, each allowed by the tag's schema.
    pub attrs: BTreeMap<String, String>,
    /// Why the provider proposes it, in its own words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
}

impl ProviderProposal {
    /// The proposal as a suggestion from `provider` ([`Source::Provider`]), with its words
    /// taken from `text` (the text of the document at `self.path`).
    pub fn to_suggestion(&self, provider: &str, text: &Text) -> Suggestion {
        Suggestion {
            start: self.start,
            end: self.end,
            tag: self.tag.clone(),
            source: Source::Provider,
            attrs: self.attrs.clone(),
            text: text.slice(self.start, self.end).to_owned(),
            score: self.score,
            by: Some(provider.to_owned()),
            explanation: self.explanation.clone(),
        }
    }
}

/// Why a provider gave no usable result. Every message names the provider and says what
/// happened in one line.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProviderError {
    #[error("provider {provider:?}: command not found: {command}")]
    NotFound { provider: String, command: String },
    #[error("provider {provider:?}: {command} is not executable ({reason})")]
    NotExecutable {
        provider: String,
        command: String,
        reason: String,
    },
    #[error("provider {provider:?}: cannot start {command}: {reason}")]
    CannotStart {
        provider: String,
        command: String,
        reason: String,
    },
    #[error("provider {provider:?} failed: it {status}{}", stderr_part(.stderr))]
    Crashed {
        provider: String,
        /// `exited with status 3`, `was killed by signal 9`.
        status: String,
        /// The end of what it wrote on standard error.
        stderr: String,
    },
    #[error(
        "provider {provider:?} timed out after {} and was stopped ({}){}",
        seconds(*.after_secs), printed(*.output_lines), stderr_part(.stderr)
    )]
    TimedOut {
        provider: String,
        after_secs: f64,
        output_lines: usize,
        stderr: String,
    },
    #[error("provider {provider:?} was stopped: {what}")]
    Runaway {
        provider: String,
        /// `more than 64 MiB of output`, `more than 250000 proposals`.
        what: String,
    },
    #[error(
        "provider {provider:?} gave no usable proposals: {refused} {} refused{}; first: {}",
        if *.refused == 1 { "line" } else { "lines" },
        if *.stopped { " (stopped reading)" } else { "" },
        .reasons.first().map_or("", String::as_str)
    )]
    Refused {
        provider: String,
        refused: usize,
        /// The first few reasons, each `line N: why`.
        reasons: Vec<String>,
        /// Whether it was stopped for refusing too many lines.
        stopped: bool,
    },
    #[error("provider {provider:?} was cancelled")]
    Cancelled { provider: String },
    #[error("provider {provider:?}: {reason}")]
    Other { provider: String, reason: String },
}

impl ProviderError {
    /// The provider's name.
    pub fn provider(&self) -> &str {
        match self {
            Self::NotFound { provider, .. }
            | Self::NotExecutable { provider, .. }
            | Self::CannotStart { provider, .. }
            | Self::Crashed { provider, .. }
            | Self::TimedOut { provider, .. }
            | Self::Runaway { provider, .. }
            | Self::Refused { provider, .. }
            | Self::Cancelled { provider }
            | Self::Other { provider, .. } => provider,
        }
    }
}

/// `1 s`, `1.5 s`.
fn seconds(s: f64) -> String {
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s:.1} s")
    }
}

/// `it printed nothing`, `after 1 line of output`.
fn printed(lines: usize) -> String {
    match lines {
        0 => "it printed nothing".to_owned(),
        1 => "after 1 line of output".to_owned(),
        n => format!("after {n} lines of output"),
    }
}

/// `; stderr: last | lines` from a captured tail, or nothing.
fn stderr_part(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if lines.is_empty() {
        return String::new();
    }
    let mut shown = lines[lines.len().saturating_sub(3)..].join(" | ");
    if shown.chars().count() > 400 {
        let cut: String = shown.chars().rev().take(400).collect();
        shown = format!("…{}", cut.chars().rev().collect::<String>());
    }
    format!("; stderr: {shown}")
}
