//! The providers a workspace lists in `annotations/providers.ron`: the command that runs each,
//! the tags it may propose, how long it may take, and a version for the cache.

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::model::tags::TagSet;
use crate::store::FileProblem;

/// The settings file's name, in the annotations folder: `annotations/providers.ron`.
pub const PROVIDERS_FILE: &str = "providers.ron";

/// How long a provider may run when its settings say nothing, in seconds.
pub const DEFAULT_TIMEOUT_SECS: f64 = 60.0;

/// The longest timeout a provider may ask for, in seconds (one hour).
pub const MAX_TIMEOUT_SECS: f64 = 3600.0;

/// One provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSpec {
    /// What the Suggestions panel and messages call it.
    pub name: String,
    /// The program and its arguments, not run through a shell. Relative paths are relative to
    /// the workspace root, where it runs.
    pub command: Vec<String>,
    /// The tags it may propose (each must be in the workspace's tag set). Empty: any.
    #[serde(default)]
    pub tags: Vec<String>,
    /// How long one run may take, in seconds, before it is stopped.
    #[serde(default = "default_timeout")]
    pub timeout: f64,
    /// Its version, for the cache: a new version runs again. `None`: a hash of the command
    /// line and of the files it names ([`crate::assist::provider::cache::provider_version`]).
    #[serde(default)]
    pub version: Option<String>,
    /// Whether its results are cached per text. Off for a provider whose proposals depend on
    /// more than the text (other documents, the layers) and that gives no `version` for it.
    #[serde(default = "yes")]
    pub cache: bool,
}

fn default_timeout() -> f64 {
    DEFAULT_TIMEOUT_SECS
}

fn yes() -> bool {
    true
}

impl ProviderSpec {
    /// A provider run from the command line without a settings file: any tag, cached.
    pub fn ad_hoc(name: &str, command: Vec<String>, timeout: f64) -> Self {
        Self {
            name: name.to_owned(),
            command,
            tags: Vec::new(),
            timeout,
            version: None,
            cache: true,
        }
    }

    /// Whether it may propose `tag` (declared by it, or it declares none).
    pub fn proposes(&self, tag: &str) -> bool {
        self.tags.is_empty() || self.tags.iter().any(|t| t == tag)
    }

    /// Checks the name, command, timeout and tags against the workspace's tag set. Returns the
    /// first problem in words.
    pub fn check(&self, tags: &TagSet) -> Result<(), String> {
        if self.name.trim().is_empty() || self.name.chars().any(char::is_control) {
            return Err(format!(
                "provider name {:?} is empty or has control characters",
                self.name
            ));
        }
        let at = || format!("provider {:?}", self.name);
        match self.command.first() {
            None => return Err(format!("{}: the command is empty", at())),
            Some(p) if p.trim().is_empty() => {
                return Err(format!("{}: the program's name is empty", at()));
            }
            _ => {}
        }
        if self.command.iter().any(|a| a.contains('\0')) {
            return Err(format!("{}: the command has a NUL character", at()));
        }
        if !(self.timeout.is_finite() && self.timeout > 0.0 && self.timeout <= MAX_TIMEOUT_SECS) {
            return Err(format!(
                "{}: timeout {} is not between 0 and {MAX_TIMEOUT_SECS} seconds",
                at(),
                self.timeout
            ));
        }
        for t in &self.tags {
            if !tags.contains(t) {
                return Err(format!(
                    "{}: tag {t:?} is not in the workspace's tag set",
                    at()
                ));
            }
        }
        if let Some(v) = &self.version
            && (v.trim().is_empty() || v.chars().any(char::is_control))
        {
            return Err(format!(
                "{}: version {v:?} is empty or has control characters",
                at()
            ));
        }
        Ok(())
    }
}

/// The providers of a workspace, in the order listed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Providers {
    pub providers: Vec<ProviderSpec>,
}

/// Why `providers.ron` is unusable; the message names the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    /// Unreadable, not UTF-8, or not valid RON for the settings.
    #[error(transparent)]
    File(#[from] FileProblem),
    #[error("{path}: {problem}")]
    Invalid { path: String, problem: String },
}

impl Providers {
    /// Reads `path` (`annotations/providers.ron`); no providers when it does not exist.
    ///
    /// # Errors
    /// A [`SettingsError`] naming the file: unreadable, too large, not UTF-8, not valid RON, a
    /// duplicate or empty name, an empty command, a bad timeout or a tag the workspace lacks.
    pub fn load_or_default(path: &Path, tags: &TagSet) -> Result<Self, SettingsError> {
        let shown = path.display().to_string();
        let bytes = match crate::store::read_regular(path, crate::store::MAX_SETTINGS_BYTES) {
            Ok(bytes) => bytes,
            Err(e) if e.is_not_found() => return Ok(Self::default()),
            Err(e) => return Err(FileProblem::unreadable(shown, e.reason()).into()),
        };
        let src = String::from_utf8(bytes).map_err(|e| {
            FileProblem::unreadable(
                shown.clone(),
                format!("not UTF-8 at byte {}", e.utf8_error().valid_up_to()),
            )
        })?;
        Self::parse(&src, tags).map_err(|e| match e {
            Parsed::Syntax(reason) => {
                FileProblem::new(shown, "not a valid providers file", reason).into()
            }
            Parsed::Invalid(problem) => SettingsError::Invalid {
                path: shown,
                problem,
            },
        })
    }

    fn parse(src: &str, tags: &TagSet) -> Result<Self, Parsed> {
        let set: Providers = crate::store::ron::ron_options()
            .from_str(src)
            .map_err(|e| Parsed::Syntax(e.to_string()))?;
        let mut names = HashSet::new();
        for p in &set.providers {
            p.check(tags).map_err(Parsed::Invalid)?;
            if !names.insert(p.name.as_str()) {
                return Err(Parsed::Invalid(format!(
                    "two providers are called {:?}",
                    p.name
                )));
            }
        }
        Ok(set)
    }

    /// The provider called `name`.
    pub fn get(&self, name: &str) -> Option<&ProviderSpec> {
        self.providers.iter().find(|p| p.name == name)
    }
}

enum Parsed {
    Syntax(String),
    Invalid(String),
}

/// Splits a command line the way a POSIX shell splits words, without running a shell:
/// whitespace separates words, `'…'` keeps everything literally, `"…"` keeps everything but
/// `\"`, `\\`, `\$` and `` \` ``, and a backslash outside quotes keeps the next character.
/// No variables, globs or redirections.
///
/// # Errors
/// An unclosed quote, a trailing backslash, or no words at all.
pub fn split_command(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err("a single quote is not closed".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => word.push(c),
                            Some('\n') => {}
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err("a double quote is not closed".into()),
                        },
                        Some(c) => word.push(c),
                        None => return Err("a double quote is not closed".into()),
                    }
                }
            }
            '\\' => match chars.next() {
                Some('\n') => {}
                Some(c) => {
                    in_word = true;
                    word.push(c);
                }
                None => return Err("the command ends with a backslash".into()),
            },
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    if words.is_empty() {
        return Err("the command is empty".into());
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_split_like_a_shell() {
        let ok = |s: &str| split_command(s).unwrap();
        assert_eq!(ok("python3 x.py --n 3"), ["python3", "x.py", "--n", "3"]);
        assert_eq!(
            ok(r#"sh -c 'echo "hi there"' a\ b "x\"y" ''"#),
            ["sh", "-c", "echo \"hi there\"", "a b", "x\"y", ""]
        );
        assert_eq!(ok(r#""a\nb""#), ["a\\nb"]);
        assert!(split_command("  ").is_err());
        assert!(split_command("'open").is_err());
        assert!(split_command("\"open").is_err());
        assert!(split_command("end\\").is_err());
    }

    #[test]
    fn a_providers_file_parses_and_bad_ones_say_why() {
        let tags = TagSet::default();
        let good = r#"(providers: [
            (name: "numbers", command: ["python3", "numbers.py"], tags: ["claim"], timeout: 30),
            (name: "ner", command: ["./ner"], version: Some("2"), cache: false, timeout: 1.5),
        ])"#;
        let set = Providers::parse(good, &tags).ok().unwrap();
        assert_eq!(set.providers.len(), 2);
        assert_eq!(set.providers[0].timeout, 30.0);
        assert!(set.providers[0].cache);
        assert!(
            set.get("ner")
                .is_some_and(|p| !p.cache && p.proposes("quote"))
        );
        let problem = |src: &str| match Providers::parse(src, &tags) {
            Err(Parsed::Invalid(p)) => p,
            Err(Parsed::Syntax(s)) => format!("syntax: {s}"),
            Ok(_) => panic!("accepted {src}"),
        };
        assert!(problem(r#"(providers: [(name: "a", command: [])])"#).contains("command is empty"));
        assert!(
            problem(r#"(providers: [(name: "a", command: ["x"], tags: ["opinion"])])"#)
                .contains("tag \"opinion\" is not in")
        );
        assert!(
            problem(r#"(providers: [(name: "a", command: ["x"], timeout: 0)])"#)
                .contains("timeout 0")
        );
        assert!(
            problem(r#"(providers: [(name: "a", command: ["x"]), (name: "a", command: ["y"])])"#)
                .contains("two providers")
        );
        assert!(problem(r#"(providers: [(name: "a", comand: ["x"])])"#).starts_with("syntax"));
    }
}
