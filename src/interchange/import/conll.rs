//! Reads CoNLL / IOB column files (CoNLL-2003, our own CoNLL export, most NER corpora), so
//! that `import(export(x))` is a round trip on the token level.
//!
//! - One token per line, columns split on whitespace. `--columns TOKEN,TAG` picks the token and
//!   tag columns, counted from 0 as flair's `column_format` and Python do; by default the first
//!   column is the token and the last the tag (as `spacy convert -c ner` reads).
//! - A blank line ends a sentence; a line whose first column is `-DOCSTART-` starts a new
//!   document (a file without one is one document). A line starting with `#` is a comment,
//!   unless its tag column holds a tag (a hashtag token: `#Roma B-LOC`).
//! - The text is rebuilt from the tokens: one space between tokens, a line break after each
//!   sentence (a CoNLL file does not keep the original spacing); the import says so. Texts go
//!   to `<folder>/000001.txt`, `000002.txt`, … in document order.
//! - Tags are IOB1, IOB2 or BIOES/BILOU, read the way conlleval, seqeval (default mode) and
//!   spaCy's converter read them, which needs no `--scheme`: `B-X` starts an entity, `I-X`
//!   continues one of type X or else starts one, `E-X`/`L-X` ends one (or is one token alone),
//!   `S-X`/`U-X` is a one-token entity, `O` is outside. The scheme found is reported; where a
//!   file is IOB2 or BIOES (it has `B-` starting an entity, or `E-`/`S-` tags) an entity that
//!   starts with `I-` or `E-` breaks that scheme: it is read as above and counted in a note
//!   with its lines, never fixed silently. A tag that is none of these is rejected with its
//!   file and line (the token is imported untagged); a line without the columns skips its
//!   document, with file and line.

use std::io::BufRead;
use std::path::Path;

use super::{DocSink, ImportError, Incoming, IncomingSpan, Intake, SourceStats};
use crate::wording::plural;

/// The token and tag columns, counted from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Columns {
    pub token: usize,
    pub tag: usize,
}

impl std::str::FromStr for Columns {
    type Err = String;
    /// `TOKEN,TAG`, e.g. `0,3`.
    fn from_str(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        match parts[..] {
            [t, g] => match (t.parse::<usize>(), g.parse::<usize>()) {
                (Ok(token), Ok(tag)) if token != tag => Ok(Self { token, tag }),
                (Ok(_), Ok(_)) => Err("the token and tag columns must differ".into()),
                _ => Err(format!(
                    "columns {s:?}: give TOKEN,TAG as column numbers counted from 0, e.g. 0,3"
                )),
            },
            _ => Err(format!(
                "columns {s:?}: give TOKEN,TAG as column numbers counted from 0, e.g. 0,3"
            )),
        }
    }
}

/// How to read a CoNLL file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Options {
    /// The token and tag columns; `None`: the first and the last.
    pub columns: Option<Columns>,
}

/// One tag as read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag<'a> {
    Outside,
    /// The prefix letter (`B`, `I`, `E`, `S`, `L`, `U`) and the type.
    Part(char, &'a str),
    Bad,
}

fn parse_tag(s: &str) -> Tag<'_> {
    if s == "O" {
        return Tag::Outside;
    }
    match s.split_once('-') {
        Some((p @ ("B" | "I" | "E" | "S" | "L" | "U"), ty)) if !ty.is_empty() => {
            Tag::Part(p.chars().next().unwrap_or('B'), ty)
        }
        _ => Tag::Bad,
    }
}

/// How an entity's first tag relates to the scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Start {
    /// `B-` after an outside tag, another type or the sentence start: IOB2 (or BIOES).
    Begin,
    /// `B-` right after an entity of its type: what IOB1 uses `B-` for.
    BeginAfterSame,
    /// `I-` with no entity of its type to continue: IOB1, or a broken IOB2 or BIOES.
    Inside,
    /// `E-`/`L-` with nothing to end: a broken BIOES.
    End,
    /// `S-`/`U-`.
    Single,
}

/// One entity: token indices `[first, last]` in its sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entity<'a> {
    first: usize,
    last: usize,
    ty: &'a str,
    start: Start,
}

/// Entities of one sentence's tags, read as conlleval and seqeval read them.
fn decode<'a>(tags: &[Tag<'a>]) -> Vec<Entity<'a>> {
    let mut out = Vec::new();
    let mut open: Option<Entity<'a>> = None;
    for (i, tag) in tags.iter().enumerate() {
        let continues =
            |ty: &str, open: &Option<Entity<'_>>| open.as_ref().is_some_and(|e| e.ty == ty);
        match *tag {
            Tag::Outside | Tag::Bad => out.extend(open.take()),
            Tag::Part(p, ty) => {
                let same = continues(ty, &open);
                match p {
                    'I' if same => {
                        if let Some(e) = &mut open {
                            e.last = i;
                        }
                    }
                    'E' | 'L' if same => {
                        if let Some(mut e) = open.take() {
                            e.last = i;
                            out.push(e);
                        }
                    }
                    _ => {
                        out.extend(open.take());
                        let start = match p {
                            'B' if same => Start::BeginAfterSame,
                            'B' => Start::Begin,
                            'I' => Start::Inside,
                            'E' | 'L' => Start::End,
                            _ => Start::Single,
                        };
                        let e = Entity {
                            first: i,
                            last: i,
                            ty,
                            start,
                        };
                        if matches!(start, Start::End | Start::Single) {
                            out.push(e);
                        } else {
                            open = Some(e);
                        }
                    }
                }
            }
        }
    }
    out.extend(open);
    out
}

/// What one file's tags showed about its scheme.
#[derive(Debug, Default)]
struct Evidence {
    begins: usize,
    bioes: bool,
    bilou: bool,
    /// Lines of entities starting with `I-`, and with `E-`/`L-`.
    inside_starts: Vec<usize>,
    end_starts: Vec<usize>,
}

impl Evidence {
    /// The scheme's name, and the lines where the file breaks it.
    fn scheme(&self) -> Option<(&'static str, Vec<usize>)> {
        let mut broken: Vec<usize> = Vec::new();
        let name = if self.bioes || self.bilou {
            broken.extend(&self.inside_starts);
            broken.extend(&self.end_starts);
            if self.bilou { "BILOU" } else { "BIOES" }
        } else if self.begins > 0 {
            broken.extend(&self.inside_starts);
            "IOB2"
        } else if !self.inside_starts.is_empty() {
            "IOB1"
        } else {
            return None;
        };
        broken.sort_unstable();
        Some((name, broken))
    }
}

/// The document being read.
struct Doc {
    text: String,
    chars: usize,
    spans: Vec<IncomingSpan>,
    /// `file:line` where it starts (its `-DOCSTART-` or first token).
    origin: Option<String>,
    /// It began with a `-DOCSTART-` line.
    from_docstart: bool,
    tokens: usize,
    /// Tokens whose tag was read (not bad).
    tagged: usize,
    /// Why it cannot be imported (a line without the columns).
    broken: Option<String>,
}

impl Doc {
    fn new(docstart: Option<String>) -> Self {
        Self {
            text: String::new(),
            chars: 0,
            spans: Vec::new(),
            from_docstart: docstart.is_some(),
            origin: docstart,
            tokens: 0,
            tagged: 0,
            broken: None,
        }
    }
}

/// How to read, and what was read so far in one file.
struct Reader<'r, 's> {
    shown: String,
    folder: &'r str,
    opts: Options,
    sink: &'r mut DocSink<'s>,
    stats: &'r mut SourceStats,
    doc: Doc,
    /// The sentence being read: (token, tag, line).
    sentence: Vec<(String, String, usize)>,
    documents: usize,
    empty_documents: usize,
    comments: usize,
    evidence: Evidence,
}

impl Reader<'_, '_> {
    /// Appends the sentence to the document's text and its entities to its spans.
    fn end_sentence(&mut self) {
        if self.sentence.is_empty() {
            return;
        }
        let sentence = std::mem::take(&mut self.sentence);
        let mut starts = Vec::with_capacity(sentence.len());
        for (i, (token, _, _)) in sentence.iter().enumerate() {
            if i > 0 {
                self.doc.text.push(' ');
                self.doc.chars += 1;
            }
            starts.push(self.doc.chars);
            self.doc.text.push_str(token);
            self.doc.chars += token.chars().count();
        }
        let ends: Vec<usize> = sentence
            .iter()
            .zip(&starts)
            .map(|((t, _, _), s)| s + t.chars().count())
            .collect();
        self.doc.text.push('\n');
        self.doc.chars += 1;
        self.doc.tokens += sentence.len();
        let tags: Vec<Tag<'_>> = sentence.iter().map(|(_, t, _)| parse_tag(t)).collect();
        for ((_, raw, line), tag) in sentence.iter().zip(&tags) {
            match tag {
                Tag::Bad => self.stats.rejected.push(format!(
                    "{}:{line}: bad tag {raw:?} (expected O, or B-, I-, E-, S-, L- or U- and a type): the token is imported untagged",
                    self.shown
                )),
                Tag::Part(p, _) => {
                    self.doc.tagged += 1;
                    match p {
                        'E' | 'S' => self.evidence.bioes = true,
                        'L' | 'U' => self.evidence.bilou = true,
                        _ => {}
                    }
                }
                Tag::Outside => self.doc.tagged += 1,
            }
        }
        for e in decode(&tags) {
            let line = sentence[e.first].2;
            match e.start {
                Start::Begin => self.evidence.begins += 1,
                Start::Inside => self.evidence.inside_starts.push(line),
                Start::End => self.evidence.end_starts.push(line),
                Start::BeginAfterSame | Start::Single => {}
            }
            let stated: Vec<&str> = sentence[e.first..=e.last]
                .iter()
                .map(|(t, _, _)| t.as_str())
                .collect();
            let origin = format!("{}:{line}", self.shown);
            self.doc.spans.push(IncomingSpan {
                stated: Some(stated.join(" ")),
                ..IncomingSpan::new(starts[e.first], ends[e.last], e.ty, origin)
            });
        }
    }

    /// Hands the document on (or reports why not) and starts the next, from the `-DOCSTART-`
    /// at `docstart` if any.
    fn end_document(&mut self, docstart: Option<String>) -> Result<(), ImportError> {
        self.end_sentence();
        let doc = std::mem::replace(&mut self.doc, Doc::new(docstart));
        if let Some(why) = doc.broken {
            self.documents += 1;
            self.stats.skipped.push(why);
            return Ok(());
        }
        if doc.tokens == 0 {
            // Nothing before the first `-DOCSTART-` is no document; two in a row are an empty one.
            self.empty_documents += usize::from(doc.from_docstart);
            return Ok(());
        }
        let origin = doc.origin.unwrap_or_else(|| self.shown.clone());
        self.documents += 1;
        if doc.tagged == 0 {
            self.stats.skipped.push(format!(
                "{}: no token has an IOB tag (O, B-X, I-X, …) in the tag column: is this a CoNLL file, and are --columns right?",
                origin
            ));
            return Ok(());
        }
        let incoming = Incoming {
            rel: format!("{}/{:06}.txt", self.folder, self.documents),
            text: Some(doc.text),
            status: None,
            spans: doc.spans,
            origin,
            annotator: None,
            record: None,
            relations: Vec::new(),
        };
        (self.sink)(incoming, None)?;
        self.stats.done += 1;
        Ok(())
    }

    /// Reads one line (without its line ending).
    fn line(&mut self, body: &str, line_no: usize) -> Result<(), ImportError> {
        let fields: Vec<&str> = body.split_whitespace().collect();
        let Some(&first) = fields.first() else {
            self.end_sentence();
            return Ok(());
        };
        if first == "-DOCSTART-" {
            return self.end_document(Some(format!("{}:{line_no}", self.shown)));
        }
        let (tc, gc) = match self.opts.columns {
            Some(c) => (c.token, c.tag),
            None => (0, fields.len().saturating_sub(1)),
        };
        // `# text = …` is a comment; `#Roma<TAB>B-LOC` is a hashtag token with its tag.
        let is_comment = first.starts_with('#')
            && !(fields.len() >= 2 && fields.get(gc).is_some_and(|g| parse_tag(g) != Tag::Bad));
        if is_comment {
            self.comments += 1;
            return Ok(());
        }
        if self.doc.origin.is_none() {
            self.doc.origin = Some(format!("{}:{line_no}", self.shown));
        }
        match (fields.get(tc), fields.get(gc)) {
            (Some(token), Some(tag)) if tc != gc => {
                self.sentence
                    .push(((*token).to_owned(), (*tag).to_owned(), line_no));
            }
            _ => {
                if self.doc.broken.is_none() {
                    let want = match self.opts.columns {
                        Some(c) => format!(
                            "the token in column {} and the tag in column {} (--columns, counted from 0)",
                            c.token, c.tag
                        ),
                        None => "a token and a tag column".to_owned(),
                    };
                    self.doc.broken = Some(format!(
                        "{}:{line_no}: {} where {want} were expected; the document it is in is not imported",
                        self.shown,
                        plural(fields.len(), "column"),
                    ));
                }
            }
        }
        Ok(())
    }
}

pub(crate) fn read(
    source: &Path,
    opts: Options,
    folder: &str,
    to: Intake<'_>,
) -> Result<(), ImportError> {
    let Intake(sink, stats, progress) = to;
    let shown = source.display().to_string();
    let read_err = |e: std::io::Error| ImportError::read(shown.clone(), e.to_string());
    let (mut input, total) = super::open_source(source)?;
    let mut r = Reader {
        shown: shown.clone(),
        folder,
        opts,
        sink,
        stats,
        doc: Doc::new(None),
        sentence: Vec::new(),
        documents: 0,
        empty_documents: 0,
        comments: 0,
        evidence: Evidence::default(),
    };
    let mut buf = Vec::new();
    let mut line_no = 0usize;
    let mut read_bytes = 0usize;
    loop {
        buf.clear();
        let n = input.read_until(b'\n', &mut buf).map_err(read_err)?;
        if n == 0 {
            break;
        }
        read_bytes += n;
        line_no += 1;
        if !progress(read_bytes, total) {
            return Err(ImportError::Cancelled { done: r.stats.done });
        }
        let Ok(line) = std::str::from_utf8(&buf) else {
            return Err(ImportError::read(
                shown,
                format!("line {line_no} is not UTF-8"),
            ));
        };
        let line = line.strip_prefix('\u{feff}').unwrap_or(line);
        let body = line.trim_end_matches(['\n', '\r']);
        r.line(body, line_no)?;
    }
    r.end_document(None)?;
    progress(total, total);
    let imported = r.stats.done;
    if imported > 0 {
        r.stats.notes.push(format!(
            "{shown}: the texts are rebuilt from the tokens, with one space between tokens and a line break after each sentence (a CoNLL file does not keep the original spacing)"
        ));
    }
    match r.evidence.scheme() {
        Some((name, broken)) if broken.is_empty() => {
            r.stats.notes.push(format!("{shown}: tags read as {name}"));
        }
        Some((name, broken)) => {
            let lines: Vec<String> = broken.iter().take(10).map(usize::to_string).collect();
            r.stats.notes.push(format!(
                "{shown}: tags read as {name}, but {} with I- or E- (not {name}); read as starting there, as conlleval and seqeval do: line{} {}{}",
                plural_entities(broken.len()),
                if broken.len() == 1 { "" } else { "s" },
                lines.join(", "),
                if broken.len() > 10 { ", …" } else { "" }
            ));
        }
        None => {}
    }
    if r.comments > 0 {
        r.stats.notes.push(format!(
            "{shown}: {} ignored",
            crate::wording::plural_as(r.comments, "comment line (#)", "comment lines (#)")
        ));
    }
    if r.empty_documents > 0 {
        r.stats.notes.push(format!(
            "{shown}: {} without tokens left out",
            crate::wording::plural_as(
                r.empty_documents,
                "-DOCSTART- document",
                "-DOCSTART- documents"
            )
        ));
    }
    Ok(())
}

/// `1 entity starts` / `3 entities start`.
fn plural_entities(n: usize) -> String {
    crate::wording::plural_as(n, "entity starts", "entities start")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entities(tags: &str) -> Vec<(usize, usize, String, Start)> {
        let tags: Vec<Tag<'_>> = tags.split_whitespace().map(parse_tag).collect();
        decode(&tags)
            .into_iter()
            .map(|e| (e.first, e.last, e.ty.to_owned(), e.start))
            .collect()
    }

    #[test]
    fn iob1_iob2_and_bioes_read_as_conlleval_does() {
        use Start::*;
        // IOB2.
        assert_eq!(
            entities("B-PER I-PER O B-LOC B-LOC I-LOC"),
            [
                (0, 1, "PER".into(), Begin),
                (3, 3, "LOC".into(), Begin),
                (4, 5, "LOC".into(), BeginAfterSame)
            ]
        );
        // IOB1: I- starts, B- splits two of one type.
        assert_eq!(
            entities("I-PER I-PER B-PER O I-LOC I-ORG"),
            [
                (0, 1, "PER".into(), Inside),
                (2, 2, "PER".into(), BeginAfterSame),
                (4, 4, "LOC".into(), Inside),
                (5, 5, "ORG".into(), Inside)
            ]
        );
        // BIOES and BILOU, with a broken E- and an entity left open at the end.
        assert_eq!(
            entities("B-PER I-PER E-PER S-LOC O E-ORG U-X B-Y L-Y B-Z"),
            [
                (0, 2, "PER".into(), Begin),
                (3, 3, "LOC".into(), Single),
                (5, 5, "ORG".into(), End),
                (6, 6, "X".into(), Single),
                (7, 8, "Y".into(), Begin),
                (9, 9, "Z".into(), Begin)
            ]
        );
        // A bad tag ends an entity.
        assert_eq!(
            entities("B-PER PER I-PER"),
            [(0, 0, "PER".into(), Begin), (2, 2, "PER".into(), Inside)]
        );
    }

    #[test]
    fn tags_and_columns_parse() {
        assert_eq!(parse_tag("B-geo-loc"), Tag::Part('B', "geo-loc"));
        assert_eq!(parse_tag("O"), Tag::Outside);
        for bad in ["PER", "X-PER", "B-", "o", "B_PER"] {
            assert_eq!(parse_tag(bad), Tag::Bad, "{bad}");
        }
        assert_eq!("0, 3".parse(), Ok(Columns { token: 0, tag: 3 }));
        assert!("3".parse::<Columns>().is_err());
        assert!("1,1".parse::<Columns>().is_err());
        assert!("a,b".parse::<Columns>().is_err());
    }

    #[test]
    fn the_scheme_found_and_where_it_is_broken() {
        let ev = |begins, bioes, inside: &[usize], end: &[usize]| Evidence {
            begins,
            bioes,
            bilou: false,
            inside_starts: inside.to_vec(),
            end_starts: end.to_vec(),
        };
        assert_eq!(ev(0, false, &[3], &[]).scheme(), Some(("IOB1", vec![])));
        assert_eq!(
            ev(2, false, &[9, 3], &[]).scheme(),
            Some(("IOB2", vec![3, 9]))
        );
        assert_eq!(
            ev(2, true, &[4], &[7]).scheme(),
            Some(("BIOES", vec![4, 7]))
        );
        assert_eq!(ev(0, false, &[], &[]).scheme(), None);
    }
}
