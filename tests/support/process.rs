//! The CLI as the tests run it: in-process through `run_command` (quick, and the output is
//! exactly what the command wrote), or as the real `marginalia` binary Cargo builds for the
//! tests (exit codes, environment, a private git home, hangs).

use std::path::Path;
use std::process::{Command, Output};

use clap::Parser;

/// The real binary, built by Cargo for the tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_marginalia");

/// Runs a parsed command in-process. Returns (exit code, stdout, stderr).
pub fn run_in_process(cmd: marginalia::cli::Command) -> (i32, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = marginalia::cli::run_command(cmd, &mut out, &mut err);
    (
        code,
        String::from_utf8(out).expect("utf-8 stdout"),
        String::from_utf8(err).expect("utf-8 stderr"),
    )
}

/// Runs `marginalia ARGS…` in-process. Returns (exit code, stdout, stderr).
pub fn cli(args: &[&str]) -> (i32, String, String) {
    let mut argv = vec!["marginalia"];
    argv.extend_from_slice(args);
    let parsed = marginalia::cli::Cli::try_parse_from(argv).expect("arguments parse");
    run_in_process(parsed.command.expect("a subcommand"))
}

/// Runs the binary in `dir`.
pub fn run(args: &[&str], dir: &Path) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run marginalia")
}

/// Runs the binary in the repository. Returns (exit code, stdout, stderr).
pub fn run_binary(args: &[&str]) -> (i32, String, String) {
    let o = run(args, Path::new(super::files::REPO));
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8(o.stdout).unwrap(),
        String::from_utf8(o.stderr).unwrap(),
    )
}

/// Runs the binary in `dir` with `home` as its home and git's global configuration in
/// `home/gitconfig` (no system configuration).
pub fn run_with_home(args: &[&str], dir: &Path, home: &Path) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", home.join("gitconfig"))
        .output()
        .unwrap_or_else(|e| panic!("marginalia {args:?}: {e}"))
}

/// Runs the binary with a time limit: a command that hangs fails the test instead of hanging
/// the suite.
pub fn run_within(args: &[&str], dir: &Path, limit: std::time::Duration) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run marginalia");
    let started = std::time::Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("marginalia {args:?} still running after {limit:?}: it hangs");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The standard output of a run.
pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// The test-harness name of the test `name` in the module `module` (pass `module_path!()`), for
/// a test that runs another test of its own binary as a child process (`--exact`).
pub fn test_name(module: &str, name: &str) -> String {
    match module.split_once("::") {
        Some((_crate, path)) => format!("{path}::{name}"),
        None => name.to_string(),
    }
}
