//! Atomic save: a process killed (SIGKILL) in the middle of saving leaves the annotation file
//! whole — the previous or the new version, never a mix — and its stray temp files are removed
//! by the next writer. Half the kills land on the background writer thread the window saves
//! with.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use marginalia::model::layer::{Layer, make_span};
use marginalia::store::{self, TEMP_PREFIX};
use marginalia::{Text, Workspace};

use crate::support::process::test_name;

const SEED: &str = "seeds/003_2bc22f07f8fd66ef.txt";
const CHILD_ENV: &str = "MARGINALIA_TEST_CRASH_ROOT";
/// Set for the child to save through the background writer thread.
const WRITER_ENV: &str = "MARGINALIA_TEST_CRASH_WRITER";

/// Two different, fairly large versions of the same layer (so a write takes a while).
fn versions(root: &Path) -> (Layer, Layer) {
    let text = Text::load(&root.join(SEED)).unwrap();
    let mut a = Layer::new(SEED, &text, "editor-a");
    let mut b = a.clone();
    let n = text.char_len();
    for i in 0..400 {
        let s = (i * 13) % (n - 40);
        let id = a.take_id();
        a.spans.push(make_span(
            &text,
            id,
            s,
            s + 20,
            "quote",
            "2026-11-21T10:00:00Z",
        ));
        let id = b.take_id();
        let mut span = make_span(&text, id, s + 1, s + 35, "claim", "2026-11-21T11:00:00Z");
        span.note = format!("version B, span {i}");
        b.spans.push(span);
    }
    (a, b)
}

fn layer_path(root: &Path) -> PathBuf {
    root.join("annotations/editor-a/seeds/003_2bc22f07f8fd66ef.ron")
}

fn temps_in(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(TEMP_PREFIX))
        .count()
}

/// Not a test on its own: the child of [`a_save_killed_at_random_moments_leaves_a_whole_file`],
/// which saves the two versions in turn until it is killed.
#[test]
#[ignore = "the body of a child process, run by another test"]
fn child_saves_in_a_tight_loop() {
    let Ok(root) = std::env::var(CHILD_ENV) else {
        return;
    };
    let root = PathBuf::from(root);
    let (a, b) = versions(&root);
    let path = layer_path(&root);
    marginalia::model::layer::save_layer(&path, &b).unwrap();
    std::fs::write(root.join("started"), b"").unwrap();
    if std::env::var_os(WRITER_ENV).is_some() {
        // The same through the background writer thread the window saves with.
        let mut writer = marginalia::store::writer::Writer::spawn().unwrap();
        let mut seen = None;
        for layer in [a.clone(), b.clone()].into_iter().cycle() {
            writer.submit(marginalia::store::writer::Job {
                path: path.clone(),
                root: root.clone(),
                seen: seen.take(),
                generation: 0,
                render: Box::new(move || layer.to_ron()),
            });
            match writer.wait() {
                Some(marginalia::store::writer::Outcome::Written { fingerprint, .. }) => {
                    seen = Some(fingerprint);
                }
                other => panic!("{other:?}"),
            }
        }
    }
    loop {
        marginalia::model::layer::save_layer(&path, &a).unwrap();
        marginalia::model::layer::save_layer(&path, &b).unwrap();
    }
}

#[test]
fn a_save_killed_at_random_moments_leaves_a_whole_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    std::fs::create_dir_all(root.join("seeds")).unwrap();
    std::fs::create_dir_all(root.join("annotations")).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(SEED),
        root.join(SEED),
    )
    .unwrap();
    let (a, b) = versions(&root);
    let (bytes_a, bytes_b) = (a.to_ron().into_bytes(), b.to_ron().into_bytes());
    assert_ne!(bytes_a, bytes_b);
    let path = layer_path(&root);
    marginalia::model::layer::save_layer(&path, &a).unwrap();
    let exe = std::env::current_exe().unwrap();
    let (mut saw_a, mut saw_b, mut strays) = (0, 0, 0);
    let mut x: u64 = 7;
    const KILLS: usize = 80;
    for kill in 0..KILLS {
        let _ = std::fs::remove_file(root.join("started"));
        let mut child = Command::new(&exe);
        if kill % 2 == 1 {
            // Every other child saves through the window's background writer thread.
            child.env(WRITER_ENV, "1");
        }
        let mut child = child
            .args([
                "--ignored",
                "--exact",
                &test_name(module_path!(), "child_saves_in_a_tight_loop"),
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &root)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while !root.join("started").exists() {
            assert!(Instant::now() < deadline, "the child never started saving");
            std::thread::sleep(Duration::from_millis(1));
        }
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        std::thread::sleep(Duration::from_micros((x >> 33) % 150_000));
        child.kill().unwrap(); // SIGKILL on Unix: no destructor, no flush, no cleanup
        child.wait().unwrap();
        let now = std::fs::read(&path).unwrap();
        if now == bytes_a {
            saw_a += 1;
        } else if now == bytes_b {
            saw_b += 1;
        } else {
            panic!(
                "the file is neither version after a kill ({} bytes)",
                now.len()
            );
        }
        assert!(marginalia::model::layer::parse_layer(&path, &now).is_ok());
        strays += temps_in(path.parent().unwrap());
        // A killed writer's lock died with it, so its temp file counts as abandoned (here with
        // no age threshold); the annotation file itself is untouched.
        store::clean_stray_temps_older_than(&root.join("annotations"), Duration::ZERO);
        assert_eq!(temps_in(path.parent().unwrap()), 0);
        assert_eq!(std::fs::read(&path).unwrap(), now);
    }
    eprintln!(
        "{KILLS} kills: version A {saw_a} times, version B {saw_b} times; {strays} stray temp files seen"
    );
}

#[test]
fn an_old_unlocked_stray_temp_file_is_removed_by_a_writer_and_a_fresh_one_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("annotations/editor-a/seeds");
    std::fs::create_dir_all(&folder).unwrap();
    let stray = folder.join(format!("{TEMP_PREFIX}x1y2z3"));
    let fresh = folder.join(format!("{TEMP_PREFIX}fresh"));
    std::fs::write(&stray, b"(format: 1, text: \"seeds/a.t").unwrap();
    std::fs::write(&fresh, b"(format: 1, text: \"seeds/b.t").unwrap();
    std::fs::File::options()
        .write(true)
        .open(&stray)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
    std::fs::write(folder.join("a.ron"), b"keep").unwrap();
    let ws = Workspace::open(dir.path()).unwrap();
    assert!(stray.exists(), "opening alone deletes nothing");
    assert_eq!(ws.clean_stray_temps(), 1);
    assert!(!stray.exists());
    assert!(
        fresh.exists(),
        "a fresh temp file may be another window's save"
    );
    assert_eq!(std::fs::read(folder.join("a.ron")).unwrap(), b"keep");
}
