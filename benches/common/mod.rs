//! What the bench binaries share: the generated documents, timing statistics, CPU time, peak
//! memory, and running a measurement in a child process so that peaks never mix.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use marginalia::workspace::synth::{self, SynthSpec};

/// The annotator whose layer the benches generate and open.
pub const ANNOTATOR: &str = "editor-a";

/// One generated benchmark document written to disk as a workspace.
pub struct BenchDoc {
    pub name: &'static str,
    pub spec: SynthSpec,
    pub dir: PathBuf,
    pub text_bytes: usize,
    pub spans: usize,
}

/// Writes the three benchmark documents (4 KB/40, 1 MB/10k, 10 MB/100k spans) under `root`,
/// or those named in `MARGINALIA_BENCH_DOCS` (e.g. `4kb,10mb`). Named there, `1mb-ar` is the
/// 1 MB document with its letters in Arabic (issue 24: right-to-left text, same words), and
/// `10mb-rel` the 10 MB document with 20,000 relations (issue 25).
pub fn write_bench_docs(root: &Path) -> Vec<BenchDoc> {
    let only = std::env::var("MARGINALIA_BENCH_DOCS").ok();
    let arabic = (
        "1mb-ar",
        SynthSpec {
            arabic: true,
            ..SynthSpec::ONE_MB
        },
    );
    // Issue 25: the 10 MB document with 20,000 relations between nearby spans.
    let linked = ("10mb-rel", SynthSpec::TEN_MB);
    let extra = ["1mb-ar", "10mb-rel"];
    SynthSpec::bench_documents()
        .into_iter()
        .chain([arabic, linked])
        .filter(|(name, _)| match &only {
            Some(o) => o.split(',').any(|n| n.trim() == *name),
            None => !extra.contains(name),
        })
        .map(|(name, spec)| {
            let dir = root.join(name);
            let relations = if name == "10mb-rel" { 20_000 } else { 0 };
            let w = synth::write_workspace_linked(&dir, &spec, ANNOTATOR, relations)
                .unwrap_or_else(|e| panic!("cannot write the {name} document: {e}"));
            BenchDoc {
                name,
                spec,
                dir,
                text_bytes: w.text_bytes,
                spans: w.spans,
            }
        })
        .collect()
}

/// The value at quantile `q` (0..=1) of `v`, nearest-rank; `v` need not be sorted.
pub fn quantile(v: &[Duration], q: f64) -> Duration {
    if v.is_empty() {
        return Duration::ZERO;
    }
    let mut s = v.to_vec();
    s.sort_unstable();
    let rank = ((q * s.len() as f64).ceil() as usize).clamp(1, s.len());
    s[rank - 1]
}

pub fn median(v: &[Duration]) -> Duration {
    quantile(v, 0.5)
}

pub fn p99(v: &[Duration]) -> Duration {
    quantile(v, 0.99)
}

/// Milliseconds with a precision that suits the value.
pub fn ms(d: Duration) -> String {
    let m = d.as_secs_f64() * 1e3;
    if m < 1.0 {
        format!("{m:.3}")
    } else if m < 100.0 {
        format!("{m:.2}")
    } else {
        format!("{m:.0}")
    }
}

/// CPU time used by the calling thread so far (Linux; wall time is misleading on a shared
/// machine, CPU time is what a frame costs).
pub fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// CPU time of the whole process so far (all threads).
pub fn process_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: as above.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// A field of /proc/self/status in MiB (e.g. `VmHWM`, the peak resident set).
pub fn proc_status_mib(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Runs this bench binary again with `args` and returns the lines it printed that start with
/// `RESULT `, without the prefix. The child's stderr passes through.
pub fn run_child(args: &[&str]) -> Result<Vec<String>, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = Command::new(exe)
        .args(args)
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("child {args:?} failed: {}", out.status));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("RESULT ").map(str::to_owned))
        .collect())
}

/// The value of `--name VALUE` in the process arguments.
pub fn arg_value(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// Prints a plain-text table with right-aligned columns after the first.
pub fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let mut s = String::from("|");
        for (i, c) in cells.iter().enumerate() {
            let pad = widths[i] - c.chars().count();
            if i == 0 {
                s.push_str(&format!(" {c}{} |", " ".repeat(pad)));
            } else {
                s.push_str(&format!(" {}{c} |", " ".repeat(pad)));
            }
        }
        s
    };
    println!("{}", line(header.iter().map(|h| h.to_string()).collect()));
    let mut sep = String::from("|");
    for (i, w) in widths.iter().enumerate() {
        if i == 0 {
            sep.push_str(&format!(":{}|", "-".repeat(w + 1)));
        } else {
            sep.push_str(&format!("{}:|", "-".repeat(w + 1)));
        }
    }
    println!("{sep}");
    for r in rows {
        println!("{}", line(r.clone()));
    }
}
