//! The git subcommands: `merge-file` (the merge driver git runs) and `git setup`.

use std::io::Write;
use std::path::Path;

use super::error;
use crate::model::tags::TagSet;
use crate::team::merge::{Input, merge_with_schema};

fn read(path: &Path, err: &mut dyn Write) -> Option<Input> {
    match crate::store::read_regular(path, crate::store::MAX_LAYER_BYTES) {
        Ok(bytes) => Some(Input {
            name: path.display().to_string(),
            bytes,
        }),
        Err(e) => {
            error(
                err,
                format_args!("{}: cannot read: {}", path.display(), e.reason()),
            );
            None
        }
    }
}

/// The tag set of the workspace holding repository path `path` (git runs the driver at the top
/// of the work tree, so `<…>/annotations/tags.ron` is found from there): the defaults when it
/// has no `tags.ron`, as the app reads it. `None` (with a warning) when it cannot be read, or
/// when the path is not under an `annotations` folder.
fn workspace_tags(path: &str, err: &mut dyn Write) -> Option<TagSet> {
    let path = path.replace('\\', "/");
    let parts: Vec<&str> = path.split('/').collect();
    let at = parts
        .iter()
        .position(|p| *p == crate::workspace::ANNOTATIONS_DIR)?;
    let mut file = std::path::PathBuf::new();
    for p in &parts[..=at] {
        file.push(p);
    }
    file.push(crate::workspace::TAGS_FILE);
    match TagSet::load_or_default(&file) {
        Ok(tags) => Some(tags),
        Err(e) => {
            let _ = writeln!(
                err,
                "warning: {e}; attribute values are merged without checking them against the tags"
            );
            None
        }
    }
}

/// `merge-file BASE OURS THEIRS [--path P]`: the result goes to OURS.
pub(super) fn merge_file(
    base: &Path,
    ours: &Path,
    theirs: &Path,
    path: Option<&str>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let (Some(b), Some(o), Some(t)) = (read(base, err), read(ours, err), read(theirs, err)) else {
        return 2;
    };
    let tags = path.and_then(|p| workspace_tags(p, err));
    let merged = match merge_with_schema(&b, &o, &t, path, tags.as_ref()) {
        Ok(m) => m,
        Err(e) => {
            error(err, e);
            return 1;
        }
    };
    if let Err(e) = crate::store::write_atomic(ours, merged.text.as_bytes()) {
        error(err, e);
        return 1;
    }
    let shown = path.map_or_else(|| ours.display().to_string(), str::to_owned);
    for c in &merged.conflicts {
        let _ = writeln!(out, "{shown}: conflict: {c}");
    }
    if !merged.conflicts.is_empty() {
        let _ = writeln!(
            out,
            "{shown}: merged; {} recorded in the file for a person to decide",
            crate::wording::plural(merged.conflicts.len(), "conflict")
        );
    }
    0
}

/// `git setup [PATH]`.
pub(super) fn setup(path: &Path, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let exe = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => {
            error(
                err,
                format_args!("cannot find this program's own path: {e}"),
            );
            return 2;
        }
    };
    match crate::team::git_driver::setup(path, &exe) {
        Ok(r) => {
            match &r.attributes {
                Some(p) => {
                    let _ = writeln!(out, "wrote {}", p.display());
                }
                None => {
                    let _ = writeln!(
                        out,
                        ".gitattributes already sends annotations/ to the driver"
                    );
                }
            }
            if r.config_changed {
                let _ = writeln!(out, "git config merge.marginalia.driver = {}", r.driver);
            } else {
                let _ = writeln!(out, "git config already has the driver");
            }
            0
        }
        Err(e) => {
            error(err, e);
            2
        }
    }
}

/// `validate`'s warning when the workspace is in a git repository without the driver.
pub(super) fn warn_without_driver(root: &Path, err: &mut dyn Write) {
    if let Some(why) = crate::team::git_driver::missing_driver(root) {
        let _ = writeln!(
            err,
            "warning: {} is in a git repository without Marginalia's merge driver ({why}); run `marginalia git setup` so that merges do not write conflict markers",
            root.display()
        );
    }
}
