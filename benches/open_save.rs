//! Open, save and peak memory of the generated benchmark documents (issue 6).
//!
//! `cargo bench --bench open_save`. Open is what the app does to show a document: read and
//! decode the text, read and parse the RON layer, check it against the text, and build the
//! span index. Save is one edit followed by `Document::save_now` (serialise, write a temp file,
//! fsync, rename). Peak memory is `VmHWM` of a fresh child process per document that only opens
//! it, so the generator's own memory and the other documents never count.
//!
//! `cargo bench --bench open_save -- --list DIR` instead reads the document list of the
//! workspace DIR (`marginalia synth --docs 100000 --size 4kb --spans 20 DIR`) the way the
//! window's list does it the first time (every text walked, then each line read by
//! `Document::glance` on one thread per core, 32 documents at a time), and prints the wall and
//! CPU time of the walk and of the reading. Its "window" rows read as the window's list does:
//! through the list's cache, with each line's strings sent to a thread that takes them four
//! times a second, as the window's frames do. `LIST_ONLY=glance` or `LIST_ONLY=window` runs
//! only those rows.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{
    BenchDoc, arg_value, median, ms, print_table, proc_status_mib, run_child, thread_cpu_time,
};
use marginalia::model::span_index::SpanIndex;
use marginalia::workspace::synth::SYNTH_TEXT_NAME;
use marginalia::{Document, Workspace};

/// How many times each document is opened and saved.
fn runs_for(doc: &BenchDoc) -> usize {
    match doc.spans {
        0..=1_000 => 40,
        1_001..=20_000 => 10,
        _ => 5,
    }
}

/// Open timings of one run, by stage.
struct OpenRun {
    text: Duration,
    layer: Duration,
    check: Duration,
    index: Duration,
    total: Duration,
    /// CPU time of the end-to-end open (this thread), which the shared machine's load does not
    /// inflate the way it inflates wall time.
    total_cpu: Duration,
}

fn open_by_stages(dir: &Path) -> OpenRun {
    let ws = Workspace::open(dir).expect("workspace");
    let text_path = ws.text_path(SYNTH_TEXT_NAME).expect("text path");
    let layer_path = ws
        .layer_path(common::ANNOTATOR, SYNTH_TEXT_NAME)
        .expect("layer path");

    // The stages one by one, as Document::open runs them (CPU time).
    let t0 = thread_cpu_time();
    let text = marginalia::Text::load(&text_path).expect("text");
    let t1 = thread_cpu_time();
    let (layer, _) = marginalia::model::layer::load_layer(&layer_path)
        .expect("layer")
        .expect("layer exists");
    let t2 = thread_cpu_time();
    let problems = layer.problems(Some(&text), ws.tags());
    assert!(problems.is_empty(), "{problems:?}");
    let t3 = thread_cpu_time();
    let index = SpanIndex::build(&layer.spans);
    let t4 = thread_cpu_time();
    assert_eq!(index.len(), layer.spans.len());
    drop((text, layer, index));

    // And the real thing, end to end.
    let c5 = thread_cpu_time();
    let t5 = Instant::now();
    let doc = Document::open(&ws, SYNTH_TEXT_NAME, common::ANNOTATOR, false).expect("open");
    let index = SpanIndex::build(&doc.layer().spans);
    let total = t5.elapsed();
    let total_cpu = thread_cpu_time() - c5;
    assert_eq!(index.len(), doc.layer().spans.len());
    OpenRun {
        text: t1 - t0,
        layer: t2 - t1,
        check: t3 - t2,
        index: t4 - t3,
        total,
        total_cpu,
    }
}

/// Save timings of one run: the serialisation alone, and one edit saved by the document (wall
/// and CPU time).
fn save_once(doc: &mut Document, k: usize) -> (Duration, Duration, Duration, Duration) {
    let t0 = thread_cpu_time();
    let ron = doc.layer().to_ron();
    let serialise = thread_cpu_time() - t0;
    assert!(ron.len() > 100);
    // The disk's share: the same bytes written atomically (temp file, fsync, rename) beside it.
    let beside = doc.layer_path().with_extension("copy");
    let w0 = Instant::now();
    marginalia::store::write_atomic(&beside, ron.as_bytes()).expect("write");
    let write = w0.elapsed();
    drop(ron);
    // A one-span edit, as an annotator makes it, then the autosave's write.
    let c = doc.text().char_len() / 2 + k * 17;
    doc.add_span(c, c + 5, "claim").expect("add span");
    let c1 = thread_cpu_time();
    let t1 = Instant::now();
    doc.save_now().expect("save");
    (serialise, t1.elapsed(), thread_cpu_time() - c1, write)
}

fn child_memory(dir: &str) {
    let before = proc_status_mib("VmHWM").unwrap_or(0.0);
    let ws = Workspace::open(Path::new(dir)).expect("workspace");
    let doc = Document::open(&ws, SYNTH_TEXT_NAME, common::ANNOTATOR, true).expect("open");
    let index = SpanIndex::build(&doc.layer().spans);
    let hwm = proc_status_mib("VmHWM").unwrap_or(0.0);
    let rss = proc_status_mib("VmRSS").unwrap_or(0.0);
    println!("RESULT {before:.1} {hwm:.1} {rss:.1} {}", index.len());
}

fn main() {
    if let Some(dir) = arg_value("--child-memory") {
        child_memory(&dir);
        return;
    }
    if let Some(dir) = arg_value("--list") {
        list(Path::new(&dir));
        return;
    }
    let tmp = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir");
    eprintln!(
        "generating the benchmark documents in {} ...",
        tmp.path().display()
    );
    let docs = common::write_bench_docs(tmp.path());

    let mut open_rows = Vec::new();
    let mut save_rows = Vec::new();
    let mut ron_rows = Vec::new();
    for d in &docs {
        let runs = runs_for(d);
        eprintln!("{}: opening {runs} times ...", d.name);
        let opens: Vec<OpenRun> = (0..runs).map(|_| open_by_stages(&d.dir)).collect();
        let col = |f: fn(&OpenRun) -> Duration| -> Vec<Duration> { opens.iter().map(f).collect() };
        let totals = col(|r| r.total);
        open_rows.push(vec![
            format!("{} / {} spans", d.name, d.spans),
            ms(median(&col(|r| r.text))),
            ms(median(&col(|r| r.layer))),
            ms(median(&col(|r| r.check))),
            ms(median(&col(|r| r.index))),
            ms(median(&totals)),
            ms(totals.iter().copied().min().unwrap_or_default()),
            ms(median(&col(|r| r.total_cpu))),
        ]);

        eprintln!("{}: saving {runs} times ...", d.name);
        let ws = Workspace::open(&d.dir).expect("workspace");
        let mut doc = Document::open(&ws, SYNTH_TEXT_NAME, common::ANNOTATOR, false).expect("open");
        let saves: Vec<(Duration, Duration, Duration, Duration)> =
            (0..runs).map(|k| save_once(&mut doc, k)).collect();
        let ser: Vec<Duration> = saves.iter().map(|s| s.0).collect();
        let total: Vec<Duration> = saves.iter().map(|s| s.1).collect();
        let cpu: Vec<Duration> = saves.iter().map(|s| s.2).collect();
        let write: Vec<Duration> = saves.iter().map(|s| s.3).collect();
        // The same file through the generic `ron` crate (the fallback path), once, for scale.
        let src = std::fs::read_to_string(doc.layer_path()).expect("read layer");
        let r0 = thread_cpu_time();
        let parsed: marginalia::Layer = marginalia::store::ron::ron_options()
            .from_str(&src)
            .expect("ron parses the file");
        let r1 = thread_cpu_time();
        let written = marginalia::store::ron::to_pretty_ron(&parsed).expect("ron writes");
        let r2 = thread_cpu_time();
        assert_eq!(written, src, "the fast writer and ron agree");
        ron_rows.push(vec![
            format!("{} / {} spans", d.name, d.spans),
            ms(r1 - r0),
            ms(r2 - r1),
        ]);
        drop((src, parsed, written));
        let ron_bytes = std::fs::metadata(doc.layer_path())
            .map(|m| m.len())
            .unwrap_or(0);
        save_rows.push(vec![
            format!("{} / {} spans", d.name, d.spans),
            format!("{:.1}", ron_bytes as f64 / (1024.0 * 1024.0)),
            ms(median(&ser)),
            ms(median(&write)),
            ms(median(&total)),
            ms(total.iter().copied().min().unwrap_or_default()),
            ms(median(&cpu)),
        ]);
    }

    let mut mem_rows = Vec::new();
    for d in &docs {
        let dir = d.dir.display().to_string();
        match run_child(&["--child-memory", &dir]) {
            Ok(lines) => {
                let f: Vec<&str> = lines
                    .first()
                    .map(|l| l.split(' ').collect())
                    .unwrap_or_default();
                mem_rows.push(vec![
                    format!("{} / {} spans", d.name, d.spans),
                    f.first().unwrap_or(&"?").to_string(),
                    f.get(1).unwrap_or(&"?").to_string(),
                    f.get(2).unwrap_or(&"?").to_string(),
                ]);
            }
            Err(e) => eprintln!("memory of {}: {e}", d.name),
        }
    }

    println!();
    println!("Open (ms, median of runs): the stages in CPU time: text = read + decode,");
    println!("layer = read + parse RON,");
    println!(
        "check = validate against the text, index = SpanIndex::build; total = Document::open + index"
    );
    print_table(
        &[
            "document",
            "text",
            "layer",
            "check",
            "index",
            "total",
            "best",
            "total CPU",
        ],
        &open_rows,
    );
    println!();
    println!(
        "Save (ms): serialise = Layer::to_ron alone (CPU); save = one edit then Document::save_now"
    );
    println!("(serialise + temp file + fsync + rename + folder fsync), wall and CPU time;");
    println!(
        "write+fsync = the same bytes written atomically to another file (wall): the disk's share"
    );
    print_table(
        &[
            "document",
            "RON MiB",
            "serialise",
            "write+fsync",
            "save median",
            "save best",
            "save CPU",
        ],
        &save_rows,
    );
    println!();
    println!("For scale: the same layer file through the generic ron crate (CPU ms, one run)");
    print_table(&["document", "ron parse", "ron write"], &ron_rows);
    println!();
    println!("Peak memory (MiB) of a fresh process that opens the document and builds the index");
    print_table(
        &["document", "VmHWM before", "VmHWM open", "VmRSS open"],
        &mem_rows,
    );
}

/// The process's user and system CPU time so far.
fn process_cpu() -> (Duration, Duration) {
    // SAFETY: getrusage writes into the struct we own.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return (Duration::ZERO, Duration::ZERO);
    }
    let d = |t: libc::timeval| Duration::new(t.tv_sec as u64, (t.tv_usec * 1000) as u32);
    (d(usage.ru_utime), d(usage.ru_stime))
}

/// The document list's first reading of workspace `dir`, three times on one thread and three
/// times on one per core (at most two, as on the machines measured).
fn list(dir: &Path) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let ws = Workspace::open(dir).expect("workspace");
    let annotator = arg_value("--annotator").unwrap_or_else(|| common::ANNOTATOR.to_owned());
    let cores = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(2);
    let mut rows = Vec::new();
    // "glance": `Document::glance` alone. "window": as the window's list reads, through the
    // list's cache (each line kept for it) and with each line's strings sent to a thread of
    // their own that drops them, as the window's thread takes them.
    for (threads, how) in [(1, "glance"), (cores, "glance"), (cores, "window")] {
        if std::env::var("LIST_ONLY").is_ok_and(|v| v != how) {
            continue;
        }
        for _ in 0..3 {
            let cache_dir = tempfile::tempdir().expect("temp dir");
            let (u0, s0) = process_cpu();
            let t0 = Instant::now();
            let rels: Vec<String> = ws.texts().into_iter().map(|t| t.rel).collect();
            let walked = t0.elapsed();
            let (u1, s1) = process_cpu();
            let next = AtomicUsize::new(0);
            let spans = AtomicUsize::new(0);
            let cache = marginalia::session::list_cache::ListCache::load_in(
                Some(cache_dir.path()),
                &ws,
                &annotator,
                rels.len(),
            );
            let (tx, rx) = std::sync::mpsc::channel::<(String, Option<String>, String)>();
            // Four times a second, as the window's frames take them while the list is read.
            let taker = std::thread::spawn(move || {
                let mut taken = 0;
                loop {
                    std::thread::sleep(Duration::from_millis(250));
                    loop {
                        match rx.try_recv() {
                            Ok(_) => taken += 1,
                            Err(std::sync::mpsc::TryRecvError::Empty) => break,
                            Err(std::sync::mpsc::TryRecvError::Disconnected) => return taken,
                        }
                    }
                }
            });
            let read = |tx: std::sync::mpsc::Sender<(String, Option<String>, String)>| loop {
                let from = next.fetch_add(32, Ordering::Relaxed);
                if from >= rels.len() {
                    return;
                }
                for rel in rels.iter().skip(from).take(32) {
                    let n = if how == "window" {
                        let (title, opened) = cache.glance(&ws, rel);
                        let mut search = rel.to_lowercase();
                        if let Some(t) = &title {
                            search.push('\n');
                            search.push_str(&t.to_lowercase());
                        }
                        let _ = tx.send((rel.clone(), title, search));
                        opened.map_or(0, |(_, n)| n)
                    } else {
                        let glance = Document::glance(&ws, rel, &annotator);
                        glance.opened.map_or(0, |(_, n)| n)
                    };
                    spans.fetch_add(n, Ordering::Relaxed);
                }
            };
            let t1 = Instant::now();
            std::thread::scope(|s| {
                for _ in 1..threads {
                    let tx = tx.clone();
                    s.spawn(move || read(tx));
                }
                read(tx);
            });
            let scanned = t1.elapsed();
            let (u2, s2) = process_cpu();
            let taken = taker.join().unwrap_or(0);
            assert!(
                how != "window" || taken == rels.len(),
                "every line was taken"
            );
            let per_doc = (u2 + s2 - u1 - s1).as_secs_f64() * 1e6 / rels.len().max(1) as f64;
            rows.push(vec![
                threads.to_string(),
                how.to_owned(),
                rels.len().to_string(),
                spans.load(Ordering::Relaxed).to_string(),
                format!("{} ({} + {})", ms(walked), ms(u1 - u0), ms(s1 - s0)),
                ms(scanned),
                format!("{} + {}", ms(u2 - u1), ms(s2 - s1)),
                format!("{per_doc:.1} µs"),
                ms(walked + scanned),
            ]);
        }
    }
    print_table(
        &[
            "threads",
            "how",
            "texts",
            "spans",
            "walk (user + sys)",
            "reading",
            "its CPU, user + sys",
            "CPU a text",
            "walk + reading",
        ],
        &rows,
    );
}
