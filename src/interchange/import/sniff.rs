//! Recognises a source's format from its first bytes, so that a file given with the wrong
//! `--format` (a WebAnno TSV as brat, a CoNLL file as jsonl) is refused with one sentence that
//! says what it looks like and what to do, instead of a failure on every line; and so that
//! `import` can choose the format itself when none is given.
//!
//! Only what is recognised with confidence counts: a source that matches nothing known is left
//! to the format asked for, which reports its own line-by-line problems.

use std::io::Read;
use std::path::Path;

/// How much of a file is looked at first.
const HEAD_BYTES: u64 = 64 * 1024;

/// How much of a JSON file is read to reach the end of its first record when that record is
/// larger than [`HEAD_BYTES`] (a long article in one jsonl line).
const FIRST_RECORD_BYTES: u64 = 16 * 1024 * 1024;

/// What a source looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Looks {
    /// brat standoff: `T1<TAB>Type 0 5<TAB>text` lines (or a folder of `.ann` files).
    Brat,
    /// JSON Lines or a JSON array of records with `"text"` (Marginalia, doccano 2.x, Prodigy).
    JsonRecords,
    /// doccano 1.x: records with `"data"` as the text and `"label"` triples.
    Doccano1,
    /// Label Studio's JSON export: tasks with `"data"` and `"annotations"` or `"predictions"`.
    LabelStudio,
    /// Label Studio's JSON-MIN export: flat records whose `"label"` holds `{start, end,
    /// labels}` objects.
    LabelStudioMin,
    /// CoNLL / IOB columns: `-DOCSTART-`, or token lines ending in an IOB tag.
    Conll,
    /// Marginalia's csv (its header row).
    Csv,
    /// A W3C Web Annotation document (JSON-LD with an `@context`).
    W3c,
    /// WebAnno / INCEpTION TSV 3.
    WebAnnoTsv,
    /// UIMA CAS XMI (INCEpTION, WebAnno, DKPro, cTAKES).
    Xmi,
    /// BioC XML.
    BioC,
    /// PubTator: `PMID|t|title` lines and tab-separated mentions.
    PubTator,
    /// Not text: a zip, a spaCy `.spacy` DocBin, a database…
    Binary,
    /// Nothing recognised.
    Unknown,
}

impl Looks {
    /// How a message names it.
    pub fn describe(self) -> &'static str {
        match self {
            Looks::Brat => "brat standoff (.ann)",
            Looks::JsonRecords => "JSON records with \"text\" (Marginalia, doccano or Prodigy)",
            Looks::Doccano1 => "doccano 1.x JSON Lines (\"data\" and \"label\")",
            Looks::LabelStudio => {
                "a Label Studio JSON export (tasks with \"data\" and \"annotations\")"
            }
            Looks::LabelStudioMin => "a Label Studio JSON-MIN export",
            Looks::Conll => "CoNLL / IOB columns",
            Looks::Csv => "Marginalia's csv",
            Looks::W3c => "W3C Web Annotation JSON-LD",
            Looks::WebAnnoTsv => "WebAnno TSV 3 (INCEpTION / WebAnno)",
            Looks::Xmi => "UIMA CAS XMI (INCEpTION / WebAnno / DKPro)",
            Looks::BioC => "BioC XML",
            Looks::PubTator => "PubTator",
            Looks::Binary => "a binary file, not text (a zip, a spaCy .spacy DocBin, a database?)",
            Looks::Unknown => "nothing Marginalia recognises",
        }
    }

    /// The `--format` that reads it, if Marginalia reads it.
    pub fn format_name(self) -> Option<&'static str> {
        match self {
            Looks::Brat => Some("brat"),
            Looks::JsonRecords | Looks::Doccano1 => Some("jsonl"),
            Looks::LabelStudio | Looks::LabelStudioMin => Some("labelstudio"),
            Looks::Conll => Some("conll"),
            Looks::Csv => Some("csv"),
            Looks::W3c => Some("w3c"),
            _ => None,
        }
    }

    /// For a format Marginalia does not read, what to do instead.
    fn advice(self) -> &'static str {
        match self {
            Looks::WebAnnoTsv | Looks::Xmi => {
                "in INCEpTION or WebAnno, export the project as CoNLL 2002 (--format conll) or brat (--format brat) instead"
            }
            Looks::BioC | Looks::PubTator => {
                "convert it to brat standoff first (e.g. with bconv), then use --format brat"
            }
            Looks::Binary => {
                "export the annotations as JSON Lines, CoNLL or brat from the tool that made it"
            }
            _ => "",
        }
    }
}

/// What `source` (a file, or a folder for brat) looks like. Reads at most 64 KB (`HEAD_BYTES`)
/// of a regular file, or up to 16 MB (`FIRST_RECORD_BYTES`) of JSON whose first record is
/// longer; anything unreadable is [`Looks::Unknown`] and left to the reader to report.
pub fn sniff(source: &Path) -> Looks {
    if source.is_dir() {
        return sniff_folder(source);
    }
    let Some(bytes) = head(source, HEAD_BYTES) else {
        return Looks::Unknown;
    };
    let looks = sniff_bytes(&bytes);
    // JSON whose first record does not end in the head: read on to its end (bounded).
    let json = bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| matches!(b, b'{' | b'['));
    if looks == Looks::Unknown
        && json
        && bytes.len() as u64 == HEAD_BYTES
        && let Some(more) = head(source, FIRST_RECORD_BYTES)
    {
        return sniff_bytes(&more);
    }
    looks
}

/// A folder: brat if it holds `.ann` files (anywhere below), else what its first files look
/// like.
fn sniff_folder(dir: &Path) -> Looks {
    let mut files = Vec::new();
    collect(dir, 0, &mut files);
    if files
        .iter()
        .any(|p| p.extension().is_some_and(|x| x == "ann"))
    {
        return Looks::Brat;
    }
    files.sort();
    files
        .iter()
        .filter(|p| p.extension().is_none_or(|x| x != "txt"))
        .take(5)
        .map(|p| sniff(p))
        .find(|l| *l != Looks::Unknown)
        .unwrap_or(Looks::Unknown)
}

fn collect(dir: &Path, depth: usize, out: &mut Vec<std::path::PathBuf>) {
    if depth > 3 || out.len() > 10_000 {
        return;
    }
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            collect(&e.path(), depth + 1, out);
        } else if ft.is_file() {
            out.push(e.path());
        }
    }
}

/// The first `limit` bytes of a regular file.
fn head(path: &Path, limit: u64) -> Option<Vec<u8>> {
    let file = crate::store::open_regular(path).ok()?;
    let mut bytes = Vec::new();
    file.take(limit).read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

/// What a file's first bytes look like.
pub fn sniff_bytes(bytes: &[u8]) -> Looks {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.is_empty() {
        return Looks::Unknown;
    }
    // Text has no NUL; a cut in the middle of a character at the end is fine.
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) if e.error_len().is_none() => {
            std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or("")
        }
        Err(_) => return Looks::Binary,
    };
    if text.contains('\0') {
        return Looks::Binary;
    }
    let trimmed = text.trim_start();
    if trimmed.starts_with("#FORMAT=WebAnno TSV") {
        return Looks::WebAnnoTsv;
    }
    if trimmed.starts_with('<') {
        if trimmed.contains("xmi:XMI") || trimmed.contains("http://www.omg.org/XMI") {
            return Looks::Xmi;
        }
        if trimmed.contains("<collection") && trimmed.contains("<document") {
            return Looks::BioC;
        }
        return Looks::Unknown;
    }
    if trimmed.starts_with('[') || trimmed.starts_with('{') {
        return sniff_json(trimmed);
    }
    let lines: Vec<&str> = text
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.trim().is_empty())
        .take(50)
        .collect();
    // A cut last line may be partial.
    let lines = if lines.len() > 1 && !text.ends_with('\n') {
        &lines[..lines.len() - 1]
    } else {
        &lines[..]
    };
    let Some(first) = lines.first() else {
        return Looks::Unknown;
    };
    if first.starts_with("-DOCSTART-") {
        return Looks::Conll;
    }
    let header: Vec<&str> = first
        .split(',')
        .map(|c| c.trim().trim_matches('"'))
        .collect();
    if header.len() >= 5
        && ["document", "tag", "start", "end"]
            .iter()
            .all(|c| header.contains(c))
    {
        return Looks::Csv;
    }
    if is_pubtator(first) {
        return Looks::PubTator;
    }
    let ann = lines.iter().filter(|l| is_ann_line(l)).count();
    if ann * 10 >= lines.len() * 8 {
        return Looks::Brat;
    }
    let conll = lines
        .iter()
        .filter(|l| l.starts_with('#') || is_conll_line(l))
        .count();
    if lines.len() >= 2 && conll * 10 >= lines.len() * 9 {
        return Looks::Conll;
    }
    Looks::Unknown
}

/// `12345|t|Title` or `12345|a|Abstract`.
fn is_pubtator(line: &str) -> bool {
    let mut parts = line.splitn(3, '|');
    matches!(
        (parts.next(), parts.next()),
        (Some(id), Some("t" | "a")) if !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric())
    )
}

/// A brat standoff line: `T12<TAB>…`, `R3<TAB>…`, `#1<TAB>…`, `*<TAB>…`.
fn is_ann_line(line: &str) -> bool {
    let Some((id, _)) = line.split_once('\t') else {
        return false;
    };
    let mut chars = id.chars();
    match chars.next() {
        Some('T' | 'R' | 'E' | 'A' | 'M' | 'N' | '#') => {
            let rest = chars.as_str();
            !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit())
        }
        Some('*') => chars.as_str().is_empty(),
        _ => false,
    }
}

/// A CoNLL token line: at least two whitespace-separated columns, the last an IOB tag.
fn is_conll_line(line: &str) -> bool {
    let cols: Vec<&str> = line.split_whitespace().collect();
    if cols.len() < 2 {
        return false;
    }
    let tag = cols[cols.len() - 1];
    tag == "O"
        || tag
            .split_once('-')
            .is_some_and(|(p, t)| matches!(p, "B" | "I" | "E" | "S" | "L" | "U") && !t.is_empty())
}

/// A JSON document or JSON Lines: which kind of records.
fn sniff_json(text: &str) -> Looks {
    // The first record: the first line of JSON Lines, or the first element of an array (cut at
    // the head's end, so read leniently by looking for keys).
    let first: Option<serde_json::Value> = if let Some(items) = text.strip_prefix('[') {
        let mut stream = serde_json::Deserializer::from_str(items).into_iter::<serde_json::Value>();
        stream.next().and_then(Result::ok)
    } else {
        let line = text.lines().next().unwrap_or("");
        serde_json::from_str(line).ok().or_else(|| {
            serde_json::Deserializer::from_str(text)
                .into_iter::<serde_json::Value>()
                .next()
                .and_then(Result::ok)
        })
    };
    let Some(rec) = first else {
        // Cut or broken: look at the keys named near the start.
        let start: String = text.chars().take(4096).collect();
        if start.contains("\"@context\"") {
            return Looks::W3c;
        }
        if start.contains("\"annotations\"") && start.contains("\"data\"") {
            return Looks::LabelStudio;
        }
        return Looks::Unknown;
    };
    let has = |k: &str| rec.get(k).is_some();
    if has("@context") {
        return Looks::W3c;
    }
    if has("data") && (has("annotations") || has("predictions") || has("completions")) {
        return Looks::LabelStudio;
    }
    let label_objects = rec
        .get("label")
        .and_then(serde_json::Value::as_array)
        .and_then(|l| l.first())
        .is_some_and(|l| l.get("labels").is_some());
    if has("text") && label_objects {
        return Looks::LabelStudioMin;
    }
    if has("text") {
        return Looks::JsonRecords;
    }
    if rec.get("data").is_some_and(serde_json::Value::is_string) && (has("label") || has("labels"))
    {
        return Looks::Doccano1;
    }
    Looks::Unknown
}

/// Whether a source that looks like `looks` can be read as `format` (a name as `--format`
/// takes it).
pub fn fits(looks: Looks, format: &str) -> bool {
    match (looks, format) {
        (Looks::Unknown, _) => true,
        // doccano is read by the jsonl reader and the other way round.
        (Looks::JsonRecords | Looks::Doccano1, "jsonl" | "doccano") => true,
        _ => looks.format_name() == Some(format),
    }
}

/// The error for a source given as `format` that looks like something else; `None` when it
/// fits (or nothing was recognised).
pub fn mismatch(source: &Path, format: &str, known: &[&str]) -> Option<String> {
    let looks = sniff(source);
    if fits(looks, format) {
        return None;
    }
    let what = looks.describe();
    let reads = format!("Marginalia reads {}", known.join(", "));
    Some(match looks.format_name().filter(|f| known.contains(f)) {
        Some(right) => format!(
            "{}: this looks like {what}, not {format}; use --format {right}",
            source.display()
        ),
        None if looks.advice().is_empty() => format!(
            "{}: this looks like {what}, not {format}; {reads}",
            source.display()
        ),
        None => format!(
            "{}: this looks like {what}, not {format}. {reads}: {}",
            source.display(),
            looks.advice()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_format_is_recognised_from_its_first_lines() {
        let cases: [(&str, Looks); 14] = [
            (
                "T1\tPerson 0 5\tAlice\nR1\tRel Arg1:T1 Arg2:T2\n#1\tAnnotatorNotes T1\tx\n",
                Looks::Brat,
            ),
            (
                "{\"text\": \"a\", \"label\": [[0, 1, \"X\"]]}\n",
                Looks::JsonRecords,
            ),
            (
                "[\n  {\n    \"text\": \"a\",\n    \"spans\": []\n  }\n]\n",
                Looks::JsonRecords,
            ),
            (
                "{\"id\": 1, \"data\": \"a b\", \"label\": [[0, 1, \"X\"]]}\n",
                Looks::Doccano1,
            ),
            (
                "[{\"id\": 1, \"data\": {\"text\": \"a\"}, \"annotations\": [{\"result\": []}]}]",
                Looks::LabelStudio,
            ),
            (
                "[{\"text\": \"a\", \"id\": 1, \"label\": [{\"start\": 0, \"end\": 1, \"text\": \"a\", \"labels\": [\"X\"]}]}]",
                Looks::LabelStudioMin,
            ),
            ("-DOCSTART- -X- O O\n\nEU NNP B-NP B-ORG\n", Looks::Conll),
            (
                "EU\tB-ORG\r\nrejects\tO\r\nGerman\tB-MISC\r\n\r\n",
                Looks::Conll,
            ),
            ("document,annotator,tag,start,end,text,note\n", Looks::Csv),
            (
                "{\n  \"@context\": \"http://www.w3.org/ns/anno.jsonld\",\n",
                Looks::W3c,
            ),
            (
                "#FORMAT=WebAnno TSV 3.3\n#T_SP=de.tudarmstadt.ukp.dkpro.core.api.ner.type.NamedEntity|value\n",
                Looks::WebAnnoTsv,
            ),
            (
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><xmi:XMI xmlns:xmi=\"http://www.omg.org/XMI\">",
                Looks::Xmi,
            ),
            (
                "12345|t|A title\n12345|a|An abstract\n12345\t0\t5\tA ti\tDisease\tD1\n",
                Looks::PubTator,
            ),
            ("PK\u{3}\u{4}\0\0\0", Looks::Binary),
        ];
        for (text, want) in cases {
            assert_eq!(sniff_bytes(text.as_bytes()), want, "{text:?}");
        }
        // Plain prose is nothing in particular: left to the reader asked for.
        assert_eq!(
            sniff_bytes(b"Just some words.\nAnd more.\n"),
            Looks::Unknown
        );
    }

    #[test]
    fn a_mismatch_names_what_it_looks_like_and_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let tsv = dir.path().join("doc.tsv");
        std::fs::write(
            &tsv,
            "#FORMAT=WebAnno TSV 3.3\n\n#Text=Hi\n1-1\t0-2\tHi\t_\n",
        )
        .unwrap();
        let known = ["brat", "jsonl", "conll"];
        let msg = mismatch(&tsv, "brat", &known).unwrap();
        assert!(msg.contains("this looks like WebAnno TSV 3"), "{msg}");
        assert!(msg.contains("export the project as CoNLL 2002"), "{msg}");
        let conll = dir.path().join("train.txt");
        std::fs::write(&conll, "-DOCSTART- -X- O O\n\nEU\tB-ORG\n").unwrap();
        let msg = mismatch(&conll, "jsonl", &known).unwrap();
        assert!(msg.ends_with("not jsonl; use --format conll"), "{msg}");
        assert_eq!(mismatch(&conll, "conll", &known), None);
    }
}
