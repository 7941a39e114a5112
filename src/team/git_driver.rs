//! Sets up Marginalia's git merge driver for a repository (`marginalia git setup`) and tells
//! `validate` whether it is set up, so teams sharing a corpus through git get merged files
//! instead of conflict markers.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The driver's name in `.gitattributes` and `git config`.
pub const DRIVER: &str = "marginalia";

/// The `.gitattributes` line that sends every annotation file through the driver.
pub const ATTRIBUTES_LINE: &str = "annotations/**/*.ron merge=marginalia";

/// Why the driver could not be set up.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum GitError {
    #[error("git is not installed or cannot be run: {0}")]
    NoGit(String),
    #[error("{0}: not inside a git repository")]
    NotARepository(String),
    #[error("{path}: {reason}")]
    Write { path: String, reason: String },
    #[error("git config failed: {0}")]
    Config(String),
}

/// What `setup` changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetupReport {
    /// The `.gitattributes` file written, if it changed.
    pub attributes: Option<PathBuf>,
    /// Whether the `git config` entries changed.
    pub config_changed: bool,
    pub driver: String,
}

fn git(dir: &Path, args: &[&str]) -> Result<std::process::Output, GitError> {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| GitError::NoGit(e.to_string()))
}

/// The driver command for `exe`: `'<exe>' merge-file %O %A %B --path %P` (quoted for sh).
pub fn driver_command(exe: &Path) -> String {
    let shown = exe.display().to_string().replace('\'', r"'\''");
    format!("'{shown}' merge-file %O %A %B --path %P")
}

/// Writes the `.gitattributes` line into `workspace` (the folder holding `annotations/`) and the
/// driver entries into the repository's config. Running it again changes nothing.
///
/// # Errors
/// No git, not a repository, or a file or config that cannot be written.
pub fn setup(workspace: &Path, exe: &Path) -> Result<SetupReport, GitError> {
    let inside = git(workspace, &["rev-parse", "--is-inside-work-tree"])?;
    if !inside.status.success() {
        let shown = workspace
            .canonicalize()
            .unwrap_or_else(|_| workspace.to_path_buf());
        return Err(GitError::NotARepository(shown.display().to_string()));
    }
    let mut report = SetupReport {
        driver: driver_command(exe),
        ..SetupReport::default()
    };
    let attrs = workspace.join(".gitattributes");
    let old = match std::fs::read_to_string(&attrs) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            return Err(GitError::Write {
                path: attrs.display().to_string(),
                reason: e.to_string(),
            });
        }
    };
    if !old.lines().any(|l| l.trim() == ATTRIBUTES_LINE) {
        let mut new = old.clone();
        if !new.is_empty() && !new.ends_with('\n') {
            new.push('\n');
        }
        new.push_str("# Marginalia's merge driver: annotation files merge span by span.\n");
        new.push_str(ATTRIBUTES_LINE);
        new.push('\n');
        crate::store::write_file(&attrs, new.as_bytes()).map_err(|e| GitError::Write {
            path: attrs.display().to_string(),
            reason: e.to_string(),
        })?;
        report.attributes = Some(attrs);
    }
    let entries = [
        (
            "merge.marginalia.name",
            "Marginalia annotations, span by span",
        ),
        ("merge.marginalia.driver", report.driver.as_str()),
    ];
    for (key, value) in entries {
        let now = git(workspace, &["config", "--get", key])?;
        if now.status.success() && String::from_utf8_lossy(&now.stdout).trim_end() == value {
            continue;
        }
        let set = git(workspace, &["config", key, value])?;
        if !set.status.success() {
            return Err(GitError::Config(
                String::from_utf8_lossy(&set.stderr).trim().to_owned(),
            ));
        }
        report.config_changed = true;
    }
    Ok(report)
}

/// When `workspace` is inside a git repository whose annotation files do not go through the
/// driver (no `.gitattributes` line, or no `git config` entry), why; `None` otherwise, and when
/// git is not installed.
pub fn missing_driver(workspace: &Path) -> Option<String> {
    let inside = git(workspace, &["rev-parse", "--is-inside-work-tree"]).ok()?;
    if !inside.status.success() {
        return None;
    }
    let attr = git(
        workspace,
        &["check-attr", "merge", "--", "annotations/tags.ron"],
    )
    .ok()?;
    let attr = String::from_utf8_lossy(&attr.stdout);
    if !attr.trim_end().ends_with(&format!("merge: {DRIVER}")) {
        return Some("the annotation files have no merge=marginalia line in .gitattributes".into());
    }
    let driver = git(workspace, &["config", "--get", "merge.marginalia.driver"]).ok()?;
    if !driver.status.success() || driver.stdout.trim_ascii().is_empty() {
        return Some("git config has no merge.marginalia.driver".into());
    }
    None
}
