//! Importing labelled data into a scratch workspace and reading it back as training documents:
//! what the learned-source benches (`learn`, `keystrokes`) both set up.

use std::path::{Path, PathBuf};

use marginalia::assist::learn::{TrainingDoc, corpus};
use marginalia::interchange::import::{ImportFormat, ImportRequest};
use marginalia::workspace::Workspace;

/// Imports `source` into `root`'s folder `into` as `annotator`'s layer, or stops the bench.
pub fn import(root: &Path, format: ImportFormat, annotator: &str, source: PathBuf, into: &str) {
    let req = ImportRequest {
        workspace: root.to_path_buf(),
        format,
        annotator: annotator.into(),
        source,
        merge: false,
        answers: Default::default(),
        into: Some(into.into()),
    };
    match marginalia::interchange::import::run(&req, &|_, _| true) {
        Ok(s) => eprintln!("imported {} documents into {into}", s.documents),
        Err(e) => panic!("import into {into}: {e}"),
    }
}

/// `layer`'s documents under the folder `under`, every one readable, or stops the bench.
pub fn gather(ws: &Workspace, layer: &str, under: &str) -> Vec<TrainingDoc> {
    match corpus::gather(ws, &[layer.to_owned()], under, &mut |_, _| {}) {
        Ok(g) => {
            assert!(g.problems.is_empty(), "{:?}", g.problems);
            g.docs
        }
        Err(e) => panic!("reading {layer}'s layers under {under}: {e}"),
    }
}
