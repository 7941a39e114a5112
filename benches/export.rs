//! Export throughput: generates a 10,000-document news-like workspace in a temp folder
//! (deterministically, from the seeds' sentences, a few spans each), exports it in every format
//! and prints MB/s of text. Then it imports a generated doccano jsonl of as many documents
//! into an empty workspace and prints wall and CPU time. A plain binary (`harness = false`):
//! `cargo bench --bench export`. Set `MARGINALIA_BENCH_DOCS` to change the number of documents,
//! and `MARGINALIA_BENCH_ONLY=import` (or `export`) to run one half.

use std::path::Path;
use std::time::Instant;

use marginalia::interchange::export::{ExportFormat, ExportRequest, Layers};
use marginalia::interchange::import::{ImportFormat, ImportRequest};
use marginalia::model::layer::{Layer, Status, make_span};
use marginalia::model::text::Text;

const TAGS: [&str; 4] = ["quote", "claim", "error", "boilerplate"];

/// xorshift64*: a fixed sequence, so every run generates the same workspace.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The seeds' sentences: lines split after full stops, trimmed, non-empty.
fn seed_sentences() -> Vec<String> {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let mut names: Vec<_> = std::fs::read_dir(&seeds)
        .expect("seeds folder")
        .map(|e| e.expect("entry").path())
        .collect();
    names.sort();
    let mut out = Vec::new();
    for path in names {
        let text = std::fs::read_to_string(&path).expect("seed text");
        for line in text.lines() {
            for s in line.split_inclusive(". ") {
                let s = s.trim();
                if s.chars().count() > 3 {
                    out.push(s.to_owned());
                }
            }
        }
    }
    out
}

fn generate(root: &Path, docs: usize) -> usize {
    let sentences = seed_sentences();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut bytes = 0;
    std::fs::create_dir_all(root.join("annotations")).expect("mkdir");
    for i in 0..docs {
        let rel = format!("news/{:02}/doc-{i:05}.txt", i / 1000);
        let mut text = String::new();
        let mut starts = Vec::new();
        let paragraphs = 3 + rng.below(6);
        for _ in 0..paragraphs {
            for _ in 0..1 + rng.below(4) {
                let s = &sentences[rng.below(sentences.len())];
                starts.push((text.chars().count(), s.chars().count()));
                text.push_str(s);
                text.push(' ');
            }
            text.pop();
            text.push_str("\n\n");
        }
        let path = root.join(&rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, &text).expect("write text");
        bytes += text.len();
        let t = Text::from_string(&text);
        let mut layer = Layer::new(&rel, &t, "editor-a");
        layer.status = if i % 3 == 0 {
            Status::InProgress
        } else {
            Status::Done
        };
        for _ in 0..2 + rng.below(4) {
            let (start, len) = starts[rng.below(starts.len())];
            let id = layer.take_id();
            let mut span = make_span(
                &t,
                id,
                start,
                start + len,
                TAGS[rng.below(4)],
                "2026-11-21T10:04:11Z",
            );
            if rng.below(3) == 0 {
                span.note = "checked against the wire copy".into();
            }
            layer.spans.push(span);
        }
        let lp = root
            .join("annotations/editor-a")
            .join(&rel)
            .with_extension("ron");
        std::fs::create_dir_all(lp.parent().expect("parent")).expect("mkdir");
        std::fs::write(&lp, layer.to_ron()).expect("write layer");
    }
    bytes
}

/// CPU seconds (user + system) this process has used: on a shared machine wall time mostly
/// measures the neighbours, CPU time measures the export.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes into the struct we pass.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) } != 0 {
        return f64::NAN;
    }
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(u.ru_utime) + tv(u.ru_stime)
}

fn peak_rss_mb() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.trim_start_matches("VmHWM:").trim().to_owned())
        })
        .unwrap_or_else(|| "n/a".into())
}

fn main() {
    let docs: usize = std::env::var("MARGINALIA_BENCH_DOCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let only = std::env::var("MARGINALIA_BENCH_ONLY").unwrap_or_default();
    let dir = tempfile::tempdir().expect("temp dir");
    if only != "import" {
        export_bench(dir.path(), docs);
    }
    if only != "export" {
        import_bench(dir.path(), docs);
    }
    println!(
        "peak resident memory of the whole run (VmHWM): {}",
        peak_rss_mb()
    );
}

/// Writes `docs` doccano lines (`{"text", "label": [[start, end, "tag"], …]}`) built like the
/// export workspace's documents; returns the bytes of text.
fn generate_doccano(path: &Path, docs: usize) -> usize {
    let sentences = seed_sentences();
    let mut rng = Rng(0x0123_4567_89AB_CDEF);
    let mut out = String::new();
    let mut bytes = 0;
    for _ in 0..docs {
        let mut text = String::new();
        let mut starts = Vec::new();
        for _ in 0..3 + rng.below(6) {
            for _ in 0..1 + rng.below(4) {
                let s = &sentences[rng.below(sentences.len())];
                starts.push((text.chars().count(), s.chars().count()));
                text.push_str(s);
                text.push(' ');
            }
            text.pop();
            text.push_str("\n\n");
        }
        bytes += text.len();
        let labels: Vec<serde_json::Value> = (0..2 + rng.below(4))
            .map(|_| {
                let (start, len) = starts[rng.below(starts.len())];
                serde_json::json!([start, start + len, TAGS[rng.below(4)]])
            })
            .collect();
        out.push_str(&serde_json::json!({ "text": text, "label": labels }).to_string());
        out.push('\n');
    }
    std::fs::write(path, out).expect("write jsonl");
    bytes
}

/// Imports a generated doccano file into an empty workspace: wall and CPU time.
fn import_bench(dir: &Path, docs: usize) {
    let source = dir.join("doccano.jsonl");
    let bytes = generate_doccano(&source, docs);
    let root = dir.join("import-ws");
    std::fs::create_dir_all(root.join("annotations")).expect("mkdir");
    println!(
        "import: {docs} doccano documents, {:.1} MB of text, {:.1} MB of jsonl",
        bytes as f64 / 1e6,
        std::fs::metadata(&source).map(|m| m.len()).unwrap_or(0) as f64 / 1e6
    );
    let req = ImportRequest {
        workspace: root.clone(),
        format: ImportFormat::Jsonl,
        annotator: "editor-a".into(),
        source,
        merge: false,
        answers: Default::default(),
        into: None,
    };
    let t = Instant::now();
    let cpu0 = cpu_seconds();
    let summary = marginalia::interchange::import::run(&req, &|_, _| true).expect("import");
    let secs = t.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    assert_eq!(summary.documents, docs, "{:?}", summary.report(5));
    println!("| import | wall s | CPU s | documents | spans | documents/s (wall) |");
    println!("|---|---:|---:|---:|---:|---:|");
    println!(
        "| doccano jsonl | {secs:.2} | {cpu:.2} | {} | {} | {:.0} |",
        summary.documents,
        summary.spans,
        summary.documents as f64 / secs
    );
}

fn export_bench(dir: &Path, docs: usize) {
    let root = dir.join("ws");
    let t0 = Instant::now();
    let bytes = generate(&root, docs);
    println!(
        "generated {docs} documents, {:.1} MB of text, in {:.1} s",
        bytes as f64 / 1e6,
        t0.elapsed().as_secs_f64()
    );
    println!(
        "| format | wall s | MB/s of text (wall) | CPU s | MB/s of text per CPU s | documents | spans | output MB |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for format in ExportFormat::ALL {
        let out = dir.join(format!("out.{}", format.name()));
        let req = ExportRequest::new(&root, format, Layers::One("editor-a".into()), &out);
        let t = Instant::now();
        let cpu0 = cpu_seconds();
        let summary = marginalia::interchange::export::run(&req, &|_, _| true).expect("export");
        let secs = t.elapsed().as_secs_f64();
        let cpu = cpu_seconds() - cpu0;
        let out_bytes = dir_size(&out);
        let mb = summary.text_bytes as f64 / 1e6;
        println!(
            "| {} | {:.2} | {:.1} | {:.2} | {:.1} | {} | {} | {:.1} |",
            format.name(),
            secs,
            mb / secs,
            cpu,
            mb / cpu,
            summary.documents,
            summary.spans,
            out_bytes as f64 / 1e6
        );
    }
}

fn dir_size(p: &Path) -> u64 {
    if p.is_file() {
        return std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    }
    let mut n = 0;
    if let Ok(rd) = std::fs::read_dir(p) {
        for e in rd.flatten() {
            n += dir_size(&e.path());
        }
    }
    n
}
