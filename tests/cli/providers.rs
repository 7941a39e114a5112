//! `suggest --provider` (issue 26): a program as a suggestion source, run as a user runs it.
//! A valid provider's proposals are printed with their scores and cached per text; every way
//! a provider can fail (missing, not executable, crashing, hanging, printing garbage, offsets
//! out of range or inside a grapheme, endless output) ends the command with exit 1 and one
//! message naming the provider and the reason; no layer file is ever written.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::files::copy_workspace;
use crate::support::process::BIN;

/// 👩‍👩‍👧 is chars 16..21 (one grapheme of five chars); the accent on the "2" is char 14.
const TEXT: &str = "Prices rose 12\u{301} 👩\u{200d}👩\u{200d}👧 per cent.\n";

/// A workspace holding `a.txt` (TEXT), and a cache folder beside it.
struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("ws/annotations")).unwrap();
        std::fs::write(dir.path().join("ws/a.txt"), TEXT).unwrap();
        Self { dir }
    }

    fn ws(&self) -> PathBuf {
        self.dir.path().join("ws")
    }

    /// An executable `sh` script in the temp folder (outside the workspace).
    fn script(&self, name: &str, body: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        chmod(&path, 0o755);
        path
    }

    /// `marginalia suggest --provider COMMAND ARGS…` in the workspace, with a private cache
    /// folder; fails the test if it runs for more than 60 s.
    fn suggest(&self, command: &str, args: &[&str]) -> Output {
        let mut all = vec!["suggest", "--provider", command];
        all.extend_from_slice(args);
        run_in(&all, &self.ws(), &self.dir.path().join("cache"))
    }
}

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Runs the binary in `dir` with `cache` as its cache folder, failing after 60 s.
fn run_in(args: &[&str], dir: &Path, cache: &Path) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("XDG_CACHE_HOME", cache)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run marginalia");
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("marginalia {args:?} still running after 60 s: it hangs");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A proposal line on `a.txt`.
fn proposal(start: usize, end: usize, tag: &str, score: f32) -> String {
    format!(r#"{{"path":"a.txt","start":{start},"end":{end},"tag":"{tag}","score":{score}}}"#)
}

/// A script that reads its input and prints `lines`.
fn printing(lines: &[String]) -> String {
    let mut body = String::from("cat >/dev/null\n");
    for l in lines {
        body.push_str(&format!("echo '{l}'\n"));
    }
    body
}

/// Asserts a failed run: exit 1, nothing on standard output, and one message on standard
/// error naming the provider and containing `reason`.
fn assert_one_failure(o: &Output, provider: &str, reason: &str) {
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "stderr: {err}");
    assert_eq!(text(&o.stdout), "", "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "one message: {err}");
    assert!(
        err.starts_with(&format!("error: provider \"{provider}\"")),
        "names the provider: {err}"
    );
    assert!(err.contains(reason), "says {reason:?}: {err}");
}

#[test]
fn a_valid_provider_prints_its_proposals_with_scores() {
    let s = Setup::new();
    let script = s.script(
        "good.sh",
        &printing(&[
            r#"{"path":"a.txt","start":0,"end":11,"tag":"claim","score":0.8,"attrs":{"verdict":"unverified"},"explanation":"a rise","extra":[1]}"#.into(),
            proposal(16, 21, "quote", 0.25),
        ]),
    );
    let o = s.suggest(&format!("sh {}", script.display()), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(
        text(&o.stdout),
        "a.txt: 2 proposals\n  claim 0..11 0.80 \"Prices rose\" verdict=\"unverified\" — a rise\n  \
         quote 16..21 0.25 \"👩\\u{200d}👩\\u{200d}👧\"\n2 proposals in 1 document from provider \"good.sh\"\n"
    );
    let o = s.suggest(&format!("sh {}", script.display()), &["--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let p = &v["providers"][0];
    assert_eq!(p["provider"], "good.sh");
    assert_eq!(p["accepted"], 2);
    assert_eq!(p["refused"], 0);
    let first = &p["documents"][0]["proposals"][0];
    assert_eq!(
        first["score"].as_f64().map(|x| (x * 100.0).round()),
        Some(80.0)
    );
    assert_eq!(first["text"], "Prices rose");
    assert_eq!(first["explanation"], "a rise");
}

#[test]
fn a_second_run_takes_the_cache_and_an_edited_script_runs_again() {
    let s = Setup::new();
    let counter = s.dir.path().join("runs");
    let body = |score: f32| {
        format!(
            "echo run >> '{}'\n{}",
            counter.display(),
            printing(&[proposal(0, 6, "claim", score)])
        )
    };
    let script = s.script("counted.sh", &body(0.5));
    let command = format!("sh {}", script.display());
    let runs = || {
        std::fs::read_to_string(&counter)
            .unwrap_or_default()
            .lines()
            .count()
    };
    let first = s.suggest(&command, &[]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let second = s.suggest(&command, &[]);
    assert_eq!(runs(), 1, "the second run came from the cache");
    assert!(text(&second.stdout).contains("claim 0..6 0.50 \"Prices\""));
    assert!(text(&second.stdout).ends_with("(1 document from the cache)\n"));
    s.suggest(&command, &["--no-cache"]);
    assert_eq!(runs(), 2, "--no-cache runs it");
    // A changed text is another entry.
    std::fs::write(s.ws().join("a.txt"), format!("{TEXT}More.\n")).unwrap();
    s.suggest(&command, &[]);
    assert_eq!(runs(), 3);
    // So is a changed script: its contents are part of its version.
    std::fs::write(&script, format!("#!/bin/sh\n{}\n", body(0.75))).unwrap();
    let edited = s.suggest(&command, &[]);
    assert_eq!(runs(), 4);
    assert!(text(&edited.stdout).contains("claim 0..6 0.75"));
    // A damaged cache entry is not trusted: the provider runs again and rewrites it.
    for entry in walk(&s.dir.path().join("cache")) {
        std::fs::write(entry, b"{\"format\":1,\"proposals\":[").unwrap();
    }
    let after = s.suggest(&command, &[]);
    assert_eq!(runs(), 5);
    assert_eq!(after.status.code(), Some(0), "{}", text(&after.stderr));
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn a_missing_command_is_one_message() {
    let s = Setup::new();
    let o = s.suggest("no-such-provider-program --fast", &[]);
    assert_one_failure(
        &o,
        "no-such-provider-program",
        "command not found: no-such-provider-program",
    );
    let o = s.suggest("./models/ner", &[]);
    assert_one_failure(&o, "ner", "command not found: ./models/ner");
}

#[test]
fn a_program_that_is_not_executable_is_one_message() {
    let s = Setup::new();
    let script = s.script("plain.sh", "exit 0");
    chmod(&script, 0o644);
    let o = s.suggest(&script.display().to_string(), &[]);
    assert_one_failure(&o, "plain.sh", "is not executable");
}

#[test]
fn a_crash_names_the_exit_status_and_the_end_of_stderr() {
    let s = Setup::new();
    let script = s.script(
        "crash.sh",
        &format!(
            "cat >/dev/null\necho '{}'\necho 'loading model' >&2\necho 'ValueError: bad weights' >&2\nexit 3",
            proposal(0, 6, "claim", 0.5)
        ),
    );
    let o = s.suggest(&format!("sh {}", script.display()), &[]);
    assert_one_failure(
        &o,
        "crash.sh",
        "failed: it exited with status 3; stderr: loading model | ValueError: bad weights",
    );
}

#[test]
fn a_hung_provider_is_stopped_at_its_timeout_with_what_it_started() {
    let s = Setup::new();
    let pid_file = s.dir.path().join("child.pid");
    // Reads nothing, prints nothing, and leaves a child of its own holding the pipes.
    let script = s.script(
        "hang.sh",
        &format!("sleep 300 &\necho $! > '{}'\nsleep 300", pid_file.display()),
    );
    let o = s.suggest(&format!("sh {}", script.display()), &["--timeout", "1"]);
    assert_one_failure(
        &o,
        "hang.sh",
        "timed out after 1 s and was stopped (it printed nothing)",
    );
    // The provider's own child was killed with it.
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())).unwrap_or_default();
    assert!(
        stat.is_empty() || stat.contains(") Z "),
        "the provider's child still runs: {stat}"
    );
    // One that prints, then hangs, says how far it got.
    let script = s.script(
        "slow.sh",
        &format!("echo '{}'\nexec sleep 300", proposal(0, 6, "claim", 0.5)),
    );
    let o = s.suggest(&format!("sh {}", script.display()), &["--timeout", "1"]);
    assert_one_failure(
        &o,
        "slow.sh",
        "timed out after 1 s and was stopped (after 1 line of output)",
    );
}

#[test]
fn garbage_output_is_refused_with_the_reason() {
    let s = Setup::new();
    let script = s.script(
        "garbage.sh",
        "echo 'Loading model...'\necho '{\"spans\": []}'",
    );
    let o = s.suggest(&format!("sh {}", script.display()), &[]);
    assert_one_failure(
        &o,
        "garbage.sh",
        "gave no usable proposals: 2 lines refused; first: line 1: not JSON",
    );
}

#[test]
fn offsets_out_of_range_are_refused() {
    let s = Setup::new();
    let script = s.script("range.sh", &printing(&[proposal(30, 99, "claim", 0.5)]));
    let o = s.suggest(&format!("sh {}", script.display()), &[]);
    assert_one_failure(
        &o,
        "range.sh",
        "line 1: a.txt: end 99 is past the end of the text (32 chars)",
    );
    let script = s.script("backwards.sh", &printing(&[proposal(6, 6, "claim", 0.5)]));
    let o = s.suggest(&format!("sh {}", script.display()), &[]);
    assert_one_failure(&o, "backwards.sh", "start 6 is not before end 6");
}

#[test]
fn offsets_inside_a_grapheme_are_refused() {
    let s = Setup::new();
    // Between "2" and its combining accent, and inside the family emoji's ZWJ sequence.
    let script = s.script(
        "grapheme.sh",
        &printing(&[
            proposal(7, 14, "claim", 0.5),
            proposal(17, 21, "quote", 0.5),
        ]),
    );
    let o = s.suggest(&format!("sh {}", script.display()), &[]);
    assert_one_failure(
        &o,
        "grapheme.sh",
        "line 1: a.txt: end 14 is inside a grapheme cluster",
    );
    // Mixed with a good line, the good one stands and the refusals are reported: exit 1.
    let script = s.script(
        "mixed.sh",
        &printing(&[
            proposal(17, 21, "quote", 0.5),
            proposal(7, 15, "claim", 0.5),
        ]),
    );
    let o = s.suggest(&format!("sh {}", script.display()), &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stdout).contains("claim 7..15 0.50 \"rose 12\\u{301}\""));
    assert_eq!(
        text(&o.stderr),
        "warning: provider \"mixed.sh\": 1 line refused: line 1: a.txt: start 17 is inside a \
         grapheme cluster (it would split a character from its accent or an emoji sequence)\n"
    );
}

#[test]
fn endless_output_stops_at_the_cap() {
    let s = Setup::new();
    // Endless lines of garbage: stopped after 1,000 refused lines.
    let o = s.suggest("yes", &[]);
    assert_one_failure(&o, "yes", "1000 lines refused (stopped reading)");
    // One endless line: never kept whole, stopped at 64 MiB.
    let script = s.script("flood.sh", "tr '\\0' x < /dev/zero");
    let o = s.suggest(&format!("sh {}", script.display()), &[]);
    assert_one_failure(&o, "flood.sh", "was stopped: it printed more than 64 MiB");
}

#[test]
fn no_layer_file_is_created_or_changed() {
    let ws = copy_workspace();
    let cache = tempfile::tempdir().unwrap();
    let before = snapshot(&ws.path().join("annotations"));
    let script = cache.path().join("tag.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\ncat >/dev/null\necho '{}'\n",
            r#"{"path":"seeds/000_b78fa013a4a69998.txt","start":0,"end":5,"tag":"claim","score":1}"#
        ),
    )
    .unwrap();
    let command = format!("sh {}", script.display());
    let o = run_in(
        &["suggest", "--provider", &command],
        ws.path(),
        cache.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("1 proposal in 5 documents"));
    let failing = run_in(
        &["suggest", "--provider", "sh -c 'exit 9'"],
        ws.path(),
        cache.path(),
    );
    assert_eq!(failing.status.code(), Some(1));
    assert_eq!(snapshot(&ws.path().join("annotations")), before);
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<_> = walk(dir)
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn the_providers_file_runs_the_listed_providers_and_a_bad_one_names_the_file() {
    let s = Setup::new();
    let script = s.script("listed.sh", &printing(&[proposal(0, 6, "claim", 0.5)]));
    let settings = s.ws().join("annotations/providers.ron");
    std::fs::write(
        &settings,
        format!(
            r#"(providers: [(name: "numbers", command: ["sh", "{}"], tags: ["claim"], timeout: 5)])"#,
            script.display()
        ),
    )
    .unwrap();
    let cache = s.dir.path().join("cache");
    let o = run_in(&["suggest", "--providers"], &s.ws(), &cache);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).ends_with("1 proposal in 1 document from provider \"numbers\"\n"));
    // A tag the provider does not declare is refused.
    std::fs::write(
        &settings,
        std::fs::read_to_string(&settings)
            .unwrap()
            .replace("claim", "quote"),
    )
    .unwrap();
    let o = run_in(&["suggest", "--providers"], &s.ws(), &cache);
    assert!(text(&o.stderr).contains("tag \"claim\" is not one it may propose (quote)"));
    // A broken file: one message naming it, exit 2.
    std::fs::write(&settings, r#"(providers: [(name: "x", command: [])])"#).unwrap();
    let o = run_in(&["suggest", "--providers"], &s.ws(), &cache);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        text(&o.stderr),
        format!(
            "error: {}: provider \"x\": the command is empty\n",
            settings.canonicalize().unwrap().display()
        )
    );
}

#[test]
fn the_stdlib_example_proposes_claims_on_the_seeds() {
    if Command::new("python3").arg("--version").output().is_err() {
        println!("note: no python3; the numeric_claims.py example was not run");
        return;
    }
    let ws = copy_workspace();
    let cache = tempfile::tempdir().unwrap();
    let example = crate::support::files::repo().join("examples/providers/numeric_claims.py");
    let command = format!("python3 {}", example.display());
    let o = run_in(
        &["suggest", "--provider", &command, "--json"],
        ws.path(),
        cache.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let p = &v["providers"][0];
    assert_eq!(p["refused"], 0);
    assert!(p["accepted"].as_u64().unwrap() >= 5, "{p}");
    let seeds_002 = p["documents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["document"] == "seeds/002_c14de4e8ffe1b554.txt")
        .unwrap();
    assert!(
        seeds_002["proposals"].as_array().unwrap().iter().any(|x| {
            x["tag"] == "claim"
                && x["text"]
                    .as_str()
                    .is_some_and(|t| t.contains("350 additional soldiers"))
        }),
        "{seeds_002}"
    );
}

/// `validate` checks the suggestion settings and the learned model too: each broken one is a
/// line naming the file, and the exit code says so.
#[test]
fn validate_names_a_broken_providers_file_and_a_broken_model_file() {
    let s = Setup::new();
    let cache = s.dir.path().join("cache");
    let o = run_in(&["validate"], &s.ws(), &cache);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    std::fs::write(
        s.ws().join("annotations/providers.ron"),
        "(providers: [(name: 3)])",
    )
    .unwrap();
    std::fs::write(s.ws().join("annotations/learned.model"), b"MARGLRN").unwrap();
    let o = run_in(&["validate"], &s.ws(), &cache);
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o.stdout);
    assert!(
        out.contains("annotations/providers.ron: not a valid providers file"),
        "{out}"
    );
    assert!(out.contains("annotations/learned.model: "), "{out}");
    assert!(
        text(&o.stderr).contains("2 problems"),
        "{}",
        text(&o.stderr)
    );
}
