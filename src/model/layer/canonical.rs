//! The canonical layout of a layer file, written and read directly, because the generic RON
//! serializer and parser take seconds on a 40 MB file of 100,000 spans (issue 6).
//!
//! [`write`] produces exactly the bytes that `to_pretty_ron` produces for a normalized layer
//! (same field order, indentation, escapes — `char::escape_debug`, as the `ron` crate does).
//! [`read`] accepts only that exact layout and returns `None` on the first byte that differs
//! from it (other spacing, comments, a CRLF checkout, a number out of range, anything a person
//! might write by hand); the caller then falls back to the `ron` crate, which accepts all of
//! RON and gives the proper error messages. Because [`read`] accepts a file only if [`write`]
//! would produce it byte for byte from the result, the fast path cannot change what a file
//! means. The tests check both directions against the `ron` crate.
//!
//! [`glance`] walks the same layout without making the layer, for the document list, which
//! needs of 75,000 layers only their status and whether their spans check: it borrows every
//! string that has no escape, so a list's first reading makes no string per span.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{Layer, Orphan, SourceRecord, Span, Status};
use crate::model::relation::{Elsewhere, End, Relation};

// ---------------------------------------------------------------------------------------------
// Writing.

/// Appends `s` as a RON string literal, escaping each char with `char::escape_debug`.
fn put_str(out: &mut String, s: &str) {
    out.push('"');
    let mut run_start = 0;
    for (i, c) in s.char_indices() {
        if is_plain(c) {
            continue;
        }
        out.push_str(&s[run_start..i]);
        for e in c.escape_debug() {
            out.push(e);
        }
        run_start = i + c.len_utf8();
    }
    out.push_str(&s[run_start..]);
    out.push('"');
}

/// Whether `escape_debug` leaves `c` as it is. Printable ASCII is decided inline; other chars
/// ask the standard library.
fn is_plain(c: char) -> bool {
    if c.is_ascii() {
        return matches!(c, ' '..='~') && !matches!(c, '"' | '\'' | '\\');
    }
    // Accented Latin letters, dashes and curly quotes, the most common chars of a news quote
    // past ASCII, are printed as they are; asking `escape_debug` costs a table search each.
    if matches!(c, '\u{C0}'..='\u{24F}' | '\u{2010}'..='\u{2027}') {
        return true;
    }
    let mut e = c.escape_debug();
    e.next() == Some(c) && e.next().is_none()
}

fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("    ");
    }
}

fn field(out: &mut String, level: usize, name: &str) {
    indent(out, level);
    out.push_str(name);
    out.push_str(": ");
}

fn field_u64(out: &mut String, level: usize, name: &str, v: u64) {
    field(out, level, name);
    let _ = write!(out, "{v}");
    out.push_str(",\n");
}

fn field_str(out: &mut String, level: usize, name: &str, v: &str) {
    field(out, level, name);
    put_str(out, v);
    out.push_str(",\n");
}

fn status_name(s: Status) -> &'static str {
    match s {
        Status::NotStarted => "NotStarted",
        Status::InProgress => "InProgress",
        Status::Done => "Done",
        Status::Reviewed => "Reviewed",
    }
}

/// Writes a map of strings whose opening `{` goes at the current position; `level` is the
/// indentation of the line it is on.
fn put_map(out: &mut String, level: usize, map: &BTreeMap<String, String>) {
    if map.is_empty() {
        out.push_str("{}");
        return;
    }
    out.push_str("{\n");
    for (k, v) in map {
        indent(out, level + 1);
        put_str(out, k);
        out.push_str(": ");
        put_str(out, v);
        out.push_str(",\n");
    }
    indent(out, level);
    out.push('}');
}

/// Writes a span struct whose opening `(` is already at the current position; `level` is the
/// indentation of its fields.
fn put_span(out: &mut String, level: usize, s: &Span) {
    out.push_str("(\n");
    field_u64(out, level, "id", s.id);
    field_u64(out, level, "start", s.start as u64);
    field_u64(out, level, "end", s.end as u64);
    field_str(out, level, "tag", &s.tag);
    field_str(out, level, "exact", &s.exact);
    field_str(out, level, "prefix", &s.prefix);
    field_str(out, level, "suffix", &s.suffix);
    put_tail(out, level, (&s.note, &s.attrs, &s.created, &s.modified));
}

/// The fields spans and relations end with (`note`, `attrs`, `created`, `modified`) and the
/// closing `)`.
fn put_tail(
    out: &mut String,
    level: usize,
    (note, attrs, created, modified): (&str, &BTreeMap<String, String>, &str, &str),
) {
    field_str(out, level, "note", note);
    field(out, level, "attrs");
    put_map(out, level, attrs);
    out.push_str(",\n");
    field_str(out, level, "created", created);
    field_str(out, level, "modified", modified);
    indent(out, level - 1);
    out.push(')');
}

/// Writes a relation end whose opening `(` goes at the current position; `level` is the
/// indentation of its fields.
fn put_end(out: &mut String, level: usize, e: &End) {
    out.push_str("(\n");
    field_u64(out, level, "span", e.span);
    if let Some(d) = &e.doc {
        field(out, level, "doc");
        out.push_str("Some((\n");
        field_str(out, level + 1, "text", &d.text);
        field_u64(out, level + 1, "start", d.start as u64);
        field_u64(out, level + 1, "end", d.end as u64);
        field_str(out, level + 1, "exact", &d.exact);
        field_str(out, level + 1, "prefix", &d.prefix);
        field_str(out, level + 1, "suffix", &d.suffix);
        indent(out, level);
        out.push_str(")),\n");
    }
    indent(out, level - 1);
    out.push(')');
}

/// Writes a relation struct whose opening `(` goes at the current position; `level` is the
/// indentation of its fields.
fn put_relation(out: &mut String, level: usize, r: &Relation) {
    out.push_str("(\n");
    field_u64(out, level, "id", r.id);
    field_str(out, level, "type", &r.kind);
    field(out, level, "from");
    put_end(out, level + 1, &r.from);
    out.push_str(",\n");
    field(out, level, "to");
    put_end(out, level + 1, &r.to);
    out.push_str(",\n");
    put_tail(out, level, (&r.note, &r.attrs, &r.created, &r.modified));
}

/// The canonical file of `layer` as if normalized first (spans sorted by (start, end, id),
/// `next_id` above every id in use), without copying the layer.
pub(super) fn write(layer: &Layer) -> String {
    let mut sorted: Vec<&Span> = layer.spans.iter().collect();
    // Stable, like `Layer::normalize`, so equal keys keep their order.
    if !layer.spans.is_sorted_by_key(Span::sort_key) {
        sorted.sort_by_key(|s| s.sort_key());
    }
    let max_id = layer.max_id();
    let mut next_id = layer.next_id;
    if next_id <= max_id {
        next_id = max_id.saturating_add(1);
    }
    if next_id == 0 {
        next_id = 1;
    }

    let approx: usize = layer
        .spans
        .iter()
        .map(|s| 300 + s.exact.len() + s.prefix.len() + s.suffix.len() + s.note.len())
        .sum();
    let mut out = String::with_capacity(approx + 512);
    out.push_str("(\n");
    field_u64(&mut out, 1, "format", u64::from(layer.format));
    field_str(&mut out, 1, "text", &layer.text);
    field_str(&mut out, 1, "text_sha256", &layer.text_sha256);
    field_u64(&mut out, 1, "text_chars", layer.text_chars as u64);
    field_str(&mut out, 1, "annotator", &layer.annotator);
    field(&mut out, 1, "status");
    out.push_str(status_name(layer.status));
    out.push_str(",\n");
    field_u64(&mut out, 1, "next_id", next_id);
    field(&mut out, 1, "spans");
    if sorted.is_empty() {
        out.push_str("[]");
    } else {
        out.push_str("[\n");
        for s in &sorted {
            indent(&mut out, 2);
            put_span(&mut out, 3, s);
            out.push_str(",\n");
        }
        indent(&mut out, 1);
        out.push(']');
    }
    out.push_str(",\n");
    if !layer.orphans.is_empty() {
        field(&mut out, 1, "orphans");
        out.push_str("[\n");
        for o in &layer.orphans {
            indent(&mut out, 2);
            out.push_str("(\n");
            field(&mut out, 3, "span");
            put_span(&mut out, 4, &o.span);
            out.push_str(",\n");
            field_str(&mut out, 3, "old_text_sha256", &o.old_text_sha256);
            indent(&mut out, 2);
            out.push_str("),\n");
        }
        indent(&mut out, 1);
        out.push_str("],\n");
    }
    if !layer.relations.is_empty() {
        field(&mut out, 1, "relations");
        out.push_str("[\n");
        let mut sorted: Vec<&Relation> = layer.relations.iter().collect();
        sorted.sort_by_key(|r| r.id);
        for r in sorted {
            indent(&mut out, 2);
            put_relation(&mut out, 3, r);
            out.push_str(",\n");
        }
        indent(&mut out, 1);
        out.push_str("],\n");
    }
    if let Some(record) = &layer.source {
        field(&mut out, 1, "source");
        out.push_str("Some((\n");
        field_str(&mut out, 2, "format", &record.format);
        field(&mut out, 2, "fields");
        put_map(&mut out, 2, &record.fields);
        out.push_str(",\n");
        indent(&mut out, 1);
        out.push_str(")),\n");
    }
    out.push_str(")\n");
    out
}

// ---------------------------------------------------------------------------------------------
// Reading.

/// A cursor over canonical source; every method returns `None` where the source leaves the
/// canonical layout.
struct Reader<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Reader<'a> {
    fn lit(&mut self, s: &str) -> Option<()> {
        if self.src.as_bytes()[self.pos..].starts_with(s.as_bytes()) {
            self.pos += s.len();
            Some(())
        } else {
            None
        }
    }

    fn peek(&self, s: &str) -> bool {
        self.src.as_bytes()[self.pos..].starts_with(s.as_bytes())
    }

    fn indent(&mut self, level: usize) -> Option<()> {
        for _ in 0..level {
            self.lit("    ")?;
        }
        Some(())
    }

    fn field(&mut self, level: usize, name: &str) -> Option<()> {
        self.indent(level)?;
        self.lit(name)?;
        self.lit(": ")
    }

    /// A decimal number as `write!` prints it: no sign, no leading zeros, no separators.
    fn u64(&mut self) -> Option<u64> {
        let bytes = self.src.as_bytes();
        let start = self.pos;
        let mut v: u64 = 0;
        while let Some(&b) = bytes.get(self.pos) {
            if !b.is_ascii_digit() {
                break;
            }
            v = v.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
            self.pos += 1;
        }
        let n = self.pos - start;
        if n == 0 || (n > 1 && bytes[start] == b'0') {
            return None;
        }
        Some(v)
    }

    fn field_u64(&mut self, level: usize, name: &str) -> Option<u64> {
        self.field(level, name)?;
        let v = self.u64()?;
        self.lit(",\n")?;
        Some(v)
    }

    fn field_usize(&mut self, level: usize, name: &str) -> Option<usize> {
        usize::try_from(self.field_u64(level, name)?).ok()
    }

    /// A string literal exactly as [`put_str`] writes it, borrowed from the source unless it
    /// holds an escape.
    fn str_ref(&mut self) -> Option<Cow<'a, str>> {
        self.lit("\"")?;
        let src: &'a str = self.src;
        let bytes = src.as_bytes();
        // Made only at the first escape, and sized once then: a layer's strings are read by
        // the ten thousand when a list is made, and growing each one a byte run at a time was
        // a tenth of that work. The first `"` ends the string unless one was escaped.
        let mut out: Option<String> = None;
        let mut run_start = self.pos;
        loop {
            // Up to the next quote, backslash or apostrophe, a run of printable ASCII (nearly
            // every string) is taken at once; another run char by char.
            let rest = bytes.get(self.pos..)?;
            let stop = self.pos + memchr::memchr3(b'"', b'\\', b'\'', rest).unwrap_or(rest.len());
            let ascii =
                (rest[..stop - self.pos].iter()).fold(true, |ok, &b| ok & matches!(b, b' '..=b'~'));
            if ascii {
                self.pos = stop;
            } else {
                while self.pos < stop {
                    match bytes[self.pos] {
                        b' '..=b'~' => self.pos += 1,
                        0x80.. => {
                            let c = src[self.pos..].chars().next()?;
                            if !is_plain(c) {
                                return None;
                            }
                            self.pos += c.len_utf8();
                        }
                        _ => return None,
                    }
                }
            }
            let b = *bytes.get(self.pos)?;
            match b {
                b'"' => {
                    let run = &src[run_start..self.pos];
                    self.pos += 1;
                    return Some(match out {
                        None => Cow::Borrowed(run),
                        Some(mut out) => {
                            out.push_str(run);
                            Cow::Owned(out)
                        }
                    });
                }
                b'\\' => {
                    let out = out.get_or_insert_with(|| {
                        let reach = memchr::memchr(b'"', &bytes[self.pos..]).unwrap_or(0);
                        String::with_capacity(self.pos - run_start + reach)
                    });
                    out.push_str(&src[run_start..self.pos]);
                    let esc_start = self.pos;
                    let c = self.escape()?;
                    // Only the escape that `escape_debug` writes for this char is canonical.
                    let mut canonical = [0u8; 16];
                    let mut n = 0;
                    for e in c.escape_debug() {
                        n += e.encode_utf8(&mut canonical[n..]).len();
                    }
                    if canonical.get(..n)? != &bytes[esc_start..self.pos] || is_plain(c) {
                        return None;
                    }
                    out.push(c);
                    run_start = self.pos;
                }
                // An apostrophe (`escape_debug` escapes it), or the end of the file.
                _ => return None,
            }
        }
    }

    /// One escape sequence after a backslash: `\t \r \n \\ \' \"`, `\0` or `\u{hex}`.
    fn escape(&mut self) -> Option<char> {
        self.lit("\\")?;
        let b = *self.src.as_bytes().get(self.pos)?;
        self.pos += 1;
        match b {
            b't' => Some('\t'),
            b'r' => Some('\r'),
            b'n' => Some('\n'),
            b'0' => Some('\0'),
            b'\\' => Some('\\'),
            b'\'' => Some('\''),
            b'"' => Some('"'),
            b'u' => {
                self.lit("{")?;
                let start = self.pos;
                let end = start + self.src[start..].find('}')?;
                let hex = &self.src[start..end];
                if hex.is_empty() || hex.len() > 6 {
                    return None;
                }
                let v = u32::from_str_radix(hex, 16).ok()?;
                self.pos = end + 1;
                char::from_u32(v)
            }
            _ => None,
        }
    }

    fn field_str(&mut self, level: usize, name: &str) -> Option<String> {
        self.field_ref(level, name).map(Cow::into_owned)
    }

    /// [`Self::field_str`], borrowed as [`Self::str_ref`] is.
    fn field_ref(&mut self, level: usize, name: &str) -> Option<Cow<'a, str>> {
        self.field(level, name)?;
        let v = self.str_ref()?;
        self.lit(",\n")?;
        Some(v)
    }

    /// A map of strings as [`put_map`] writes it; `level` is the indentation of its line.
    fn map(&mut self, level: usize) -> Option<BTreeMap<String, String>> {
        let mut map = BTreeMap::new();
        self.map_entries(level, &mut owned_into(&mut map))?;
        Some(map)
    }

    /// [`Self::map`]'s entries, in order, each handed to `entry` as it is read.
    fn map_entries(
        &mut self,
        level: usize,
        entry: &mut dyn FnMut(Cow<'a, str>, Cow<'a, str>),
    ) -> Option<()> {
        if self.lit("{}").is_some() {
            return Some(());
        }
        self.lit("{\n")?;
        let mut last: Option<Cow<'a, str>> = None;
        while !self.peek_closing(level, "}") {
            self.indent(level + 1)?;
            let k = self.str_ref()?;
            self.lit(": ")?;
            let v = self.str_ref()?;
            self.lit(",\n")?;
            // A map is written sorted and without duplicates.
            if last.as_ref().is_some_and(|l| *l >= k) {
                return None;
            }
            last = Some(k.clone());
            entry(k, v);
        }
        // `{\n` and no entry is not the layout: an empty map is written `{}`.
        last?;
        self.indent(level)?;
        self.lit("}")?;
        Some(())
    }

    /// A span struct after its opening position; `level` is the indentation of its fields.
    fn span(&mut self, level: usize) -> Option<Span> {
        let mut attrs = BTreeMap::new();
        let s = self.span_ref(level, &mut owned_into(&mut attrs))?;
        Some(Span {
            id: s.id,
            start: s.start,
            end: s.end,
            tag: s.tag.into_owned(),
            exact: s.exact.into_owned(),
            prefix: s.prefix.into_owned(),
            suffix: s.suffix.into_owned(),
            note: s.note.into_owned(),
            attrs,
            created: s.created.into_owned(),
            modified: s.modified.into_owned(),
        })
    }

    /// [`Self::span`] with its strings borrowed, its attributes handed to `attr`.
    fn span_ref(
        &mut self,
        level: usize,
        attr: &mut dyn FnMut(Cow<'a, str>, Cow<'a, str>),
    ) -> Option<SpanRef<'a>> {
        self.lit("(\n")?;
        let id = self.field_u64(level, "id")?;
        let start = self.field_usize(level, "start")?;
        let end = self.field_usize(level, "end")?;
        let tag = self.field_ref(level, "tag")?;
        let exact = self.field_ref(level, "exact")?;
        let prefix = self.field_ref(level, "prefix")?;
        let suffix = self.field_ref(level, "suffix")?;
        let (note, created, modified) = self.tail_ref(level, attr)?;
        Some(SpanRef {
            id,
            start,
            end,
            tag,
            exact,
            prefix,
            suffix,
            note,
            created,
            modified,
        })
    }

    /// The fields [`put_tail`] writes, and the closing `)`.
    fn tail(&mut self, level: usize) -> Option<(String, BTreeMap<String, String>, String, String)> {
        let mut attrs = BTreeMap::new();
        let (note, created, modified) = self.tail_ref(level, &mut owned_into(&mut attrs))?;
        Some((
            note.into_owned(),
            attrs,
            created.into_owned(),
            modified.into_owned(),
        ))
    }

    /// [`Self::tail`] borrowed: the note, created and modified; the attributes go to `attr`.
    #[allow(clippy::type_complexity)]
    fn tail_ref(
        &mut self,
        level: usize,
        attr: &mut dyn FnMut(Cow<'a, str>, Cow<'a, str>),
    ) -> Option<(Cow<'a, str>, Cow<'a, str>, Cow<'a, str>)> {
        let note = self.field_ref(level, "note")?;
        self.field(level, "attrs")?;
        self.map_entries(level, attr)?;
        self.lit(",\n")?;
        let created = self.field_ref(level, "created")?;
        let modified = self.field_ref(level, "modified")?;
        self.indent(level - 1)?;
        self.lit(")")?;
        Some((note, created, modified))
    }

    /// A relation end as [`put_end`] writes it.
    fn end(&mut self, level: usize) -> Option<End> {
        self.lit("(\n")?;
        let span = self.field_u64(level, "span")?;
        let mut doc = None;
        if self.peek_field(level, "doc") {
            self.field(level, "doc")?;
            self.lit("Some((\n")?;
            let text = self.field_str(level + 1, "text")?;
            let start = self.field_usize(level + 1, "start")?;
            let end = self.field_usize(level + 1, "end")?;
            let exact = self.field_str(level + 1, "exact")?;
            let prefix = self.field_str(level + 1, "prefix")?;
            let suffix = self.field_str(level + 1, "suffix")?;
            self.indent(level)?;
            self.lit(")),\n")?;
            doc = Some(Elsewhere {
                text,
                start,
                end,
                exact,
                prefix,
                suffix,
            });
        }
        self.indent(level - 1)?;
        self.lit(")")?;
        Some(End { span, doc })
    }

    /// A relation as [`put_relation`] writes it.
    fn relation(&mut self, level: usize) -> Option<Relation> {
        self.lit("(\n")?;
        let id = self.field_u64(level, "id")?;
        let kind = self.field_str(level, "type")?;
        self.field(level, "from")?;
        let from = self.end(level + 1)?;
        self.lit(",\n")?;
        self.field(level, "to")?;
        let to = self.end(level + 1)?;
        self.lit(",\n")?;
        let (note, attrs, created, modified) = self.tail(level)?;
        Some(Relation {
            id,
            kind,
            from,
            to,
            note,
            attrs,
            created,
            modified,
        })
    }

    /// Whether the next line is field `name` at `level`.
    fn peek_field(&self, level: usize, name: &str) -> bool {
        let rest = &self.src.as_bytes()[self.pos..];
        let n = level * 4;
        rest.len() > n
            && rest[..n].iter().all(|&b| b == b' ')
            && rest[n..].starts_with(name.as_bytes())
            && rest[n + name.len()..].starts_with(b": ")
    }

    fn peek_closing(&self, level: usize, close: &str) -> bool {
        let rest = &self.src.as_bytes()[self.pos..];
        let n = level * 4;
        rest.len() >= n + close.len()
            && rest[..n].iter().all(|&b| b == b' ')
            && rest[n..].starts_with(close.as_bytes())
    }
}

/// From this many bytes of spans on, [`read_spans`] parses them in parallel. The unit tests
/// take the parallel path for every list of more than one span, so the property tests below
/// check it against the `ron` crate.
#[cfg(not(test))]
const PARALLEL_SPANS_BYTES: usize = 4 << 20;
#[cfg(test)]
const PARALLEL_SPANS_BYTES: usize = 1;

/// The spans of the `spans: [` list whose first line `r` is at, leaving `r` on its closing
/// `    ]` line. A big list is cut at span boundaries and its parts parsed in parallel: a span
/// starts on a line that is exactly eight spaces and `(`, which nothing else in the list can be
/// (strings hold no raw newline; a span's own lines are indented further), and the list ends at
/// the first line that starts with four spaces and `]`. Each part must be whole spans exactly,
/// so the result is the one the sequential loop gives, and `None` where that gives `None`.
fn read_spans(src: &str, r: &mut Reader<'_>) -> Option<Vec<Span>> {
    if src.len() - r.pos < PARALLEL_SPANS_BYTES {
        // A small file (nearly all of them): no search for the list's end, no thread.
        let mut spans = Vec::with_capacity((src.len() - r.pos) / 400);
        while !r.peek_closing(1, "]") {
            r.indent(2)?;
            spans.push(r.span(3)?);
            r.lit(",\n")?;
        }
        return Some(spans);
    }
    let start = r.pos;
    let end = src[start..]
        .find("\n    ]")
        .map_or(src.len(), |i| start + i + 1);
    // (Asked only here: on Linux it reads the cgroup files in /proc.)
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    let mut cuts = vec![start];
    if end - start >= PARALLEL_SPANS_BYTES && threads > 1 {
        for k in 1..threads {
            let last = cuts.last().copied().unwrap_or(start);
            let mut from = (start + (end - start) * k / threads).max(last);
            while !src.is_char_boundary(from) {
                from += 1;
            }
            if let Some(i) = src[from..end].find("\n        (\n") {
                cuts.push(from + i + 1);
            }
        }
    }
    cuts.push(end);
    cuts.dedup();
    let part = |from: usize, to: usize| -> Option<Vec<Span>> {
        let mut r = Reader { src, pos: from };
        // About 400 bytes a span: reserve once instead of growing.
        let mut spans = Vec::with_capacity((to - from) / 400);
        while r.pos < to {
            r.indent(2)?;
            spans.push(r.span(3)?);
            r.lit(",\n")?;
        }
        (r.pos == to).then_some(spans)
    };
    let parts: Vec<Option<Vec<Span>>> = if cuts.len() <= 2 {
        vec![part(start, end)]
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = cuts
                .windows(2)
                .skip(1)
                .map(|w| {
                    let (from, to) = (w[0], w[1]);
                    std::thread::Builder::new()
                        .name("read layer".into())
                        .spawn_scoped(s, move || part(from, to))
                })
                .collect();
            let mut parts = vec![part(cuts[0], cuts[1])];
            for (h, w) in handles.into_iter().zip(cuts.windows(2).skip(1)) {
                // A part whose thread could not start or failed is read here instead.
                parts.push(match h.ok().and_then(|h| h.join().ok()) {
                    Some(p) => p,
                    None => part(w[0], w[1]),
                });
            }
            parts
        })
    };
    let mut spans = Vec::with_capacity(parts.iter().flatten().map(Vec::len).sum());
    for p in parts {
        spans.extend(p?);
    }
    r.pos = end;
    Some(spans)
}

/// Where the readers that make a layer put each entry of a map as it is read: into `map`, owned.
fn owned_into<'a, 'm>(
    map: &'m mut BTreeMap<String, String>,
) -> impl FnMut(Cow<'a, str>, Cow<'a, str>) + 'm {
    |k, v| {
        map.insert(k.into_owned(), v.into_owned());
    }
}

/// A span's fields as they stand in the source ([`Reader::span_ref`]); its attributes are
/// handed out as they are read.
pub(super) struct SpanRef<'a> {
    pub id: u64,
    pub start: usize,
    pub end: usize,
    pub tag: Cow<'a, str>,
    pub exact: Cow<'a, str>,
    pub prefix: Cow<'a, str>,
    pub suffix: Cow<'a, str>,
    pub note: Cow<'a, str>,
    pub created: Cow<'a, str>,
    pub modified: Cow<'a, str>,
}

/// The fields before the spans, read up to `spans: `.
struct Head<'a> {
    format: u32,
    text: Cow<'a, str>,
    text_sha256: Cow<'a, str>,
    text_chars: usize,
    annotator: Cow<'a, str>,
    status: Status,
    next_id: u64,
}

fn head<'a>(r: &mut Reader<'a>) -> Option<Head<'a>> {
    r.lit("(\n")?;
    let format = u32::try_from(r.field_u64(1, "format")?).ok()?;
    let text = r.field_ref(1, "text")?;
    let text_sha256 = r.field_ref(1, "text_sha256")?;
    let text_chars = r.field_usize(1, "text_chars")?;
    let annotator = r.field_ref(1, "annotator")?;
    r.field(1, "status")?;
    let status = [
        Status::NotStarted,
        Status::InProgress,
        Status::Done,
        Status::Reviewed,
    ]
    .into_iter()
    .find(|s| r.peek(status_name(*s)) && r.peek_after(status_name(*s), ",\n"))?;
    r.lit(status_name(status))?;
    r.lit(",\n")?;
    let next_id = r.field_u64(1, "next_id")?;
    r.field(1, "spans")?;
    Some(Head {
        format,
        text,
        text_sha256,
        text_chars,
        annotator,
        status,
        next_id,
    })
}

/// What follows the spans: the orphans, relations and import record, and the file's end.
struct Rest {
    orphans: Vec<Orphan>,
    relations: Vec<Relation>,
    source: Option<SourceRecord>,
}

/// Reads from the `,` after the spans' list to the end of the file.
fn rest(src: &str, r: &mut Reader<'_>) -> Option<Rest> {
    r.lit(",\n")?;
    let mut orphans = Vec::new();
    if r.peek("    orphans: ") {
        r.field(1, "orphans")?;
        r.lit("[\n")?;
        while !r.peek_closing(1, "]") {
            r.indent(2)?;
            r.lit("(\n")?;
            r.field(3, "span")?;
            let span = r.span(4)?;
            r.lit(",\n")?;
            let old_text_sha256 = r.field_str(3, "old_text_sha256")?;
            r.indent(2)?;
            r.lit("),\n")?;
            orphans.push(Orphan {
                span,
                old_text_sha256,
            });
        }
        if orphans.is_empty() {
            return None;
        }
        r.indent(1)?;
        r.lit("],\n")?;
    }
    let mut relations = Vec::new();
    if r.peek("    relations: ") {
        r.field(1, "relations")?;
        r.lit("[\n")?;
        while !r.peek_closing(1, "]") {
            r.indent(2)?;
            relations.push(r.relation(3)?);
            r.lit(",\n")?;
        }
        if relations.is_empty() || !relations.is_sorted_by_key(|x: &Relation| x.id) {
            return None;
        }
        r.indent(1)?;
        r.lit("],\n")?;
    }
    let mut source = None;
    if r.peek("    source: ") {
        r.field(1, "source")?;
        r.lit("Some((\n")?;
        let format = r.field_str(2, "format")?;
        r.field(2, "fields")?;
        let fields = r.map(2)?;
        r.lit(",\n")?;
        r.indent(1)?;
        r.lit(")),\n")?;
        source = Some(SourceRecord { format, fields });
    }
    r.lit(")\n")?;
    if r.pos != src.len() {
        return None;
    }
    Some(Rest {
        orphans,
        relations,
        source,
    })
}

impl Rest {
    /// Whether `next_id` is one a normalized layer would have, given the spans' largest id:
    /// only a normalized layer is written in this layout.
    fn next_id_fits(&self, next_id: u64, spans_max_id: u64) -> bool {
        let max_id = (self.orphans.iter().map(|o| o.span.id))
            .chain(self.relations.iter().map(|r| r.id))
            .fold(spans_max_id, u64::max);
        next_id > max_id && next_id != 0
    }
}

/// Reads a layer in the canonical layout, or `None` if `src` is anything else.
pub(super) fn read(src: &str) -> Option<Layer> {
    let mut r = Reader { src, pos: 0 };
    let head = head(&mut r)?;
    let mut spans = Vec::new();
    if r.lit("[]").is_none() {
        r.lit("[\n")?;
        spans = read_spans(src, &mut r)?;
        if spans.is_empty() {
            return None;
        }
        r.indent(1)?;
        r.lit("]")?;
    }
    let rest = rest(src, &mut r)?;
    // Only a normalized layer is written in this layout; anything else came from elsewhere
    // and goes the slow way, so `write(read(src)) == src` always holds.
    if !spans.is_sorted_by_key(Span::sort_key) {
        return None;
    }
    let spans_max_id = spans.iter().map(|s| s.id).max().unwrap_or(0);
    if !rest.next_id_fits(head.next_id, spans_max_id) {
        return None;
    }
    Some(Layer {
        format: head.format,
        text: head.text.into_owned(),
        text_sha256: head.text_sha256.into_owned(),
        text_chars: head.text_chars,
        annotator: head.annotator.into_owned(),
        status: head.status,
        next_id: head.next_id,
        spans,
        orphans: rest.orphans,
        relations: rest.relations,
        source: rest.source,
    })
}

/// What [`glance`] read of a layer: the header, the number of spans and the orphans.
pub(super) struct Glance<'a> {
    pub format: u32,
    pub text_sha256: Cow<'a, str>,
    pub annotator: Cow<'a, str>,
    pub status: Status,
    pub spans: usize,
    pub orphans: Vec<Orphan>,
}

/// Walks a layer in the canonical layout as [`read`] does, handing each span to `each` as it
/// is read, without making the layer: `None` exactly where [`read`] gives `None`, or where
/// `each` does. Nothing is made of a span (its strings are borrowed unless escaped).
pub(super) fn glance<'a>(
    src: &'a str,
    each: &mut dyn FnMut(&SpanRef<'a>) -> Option<()>,
) -> Option<Glance<'a>> {
    let mut r = Reader { src, pos: 0 };
    let head = head(&mut r)?;
    let mut spans = 0;
    let mut last: Option<(usize, usize, u64)> = None;
    let mut spans_max_id = 0;
    if r.lit("[]").is_none() {
        r.lit("[\n")?;
        // The loop of `read_spans`' sequential path, which its parallel path equals.
        while !r.peek_closing(1, "]") {
            r.indent(2)?;
            let span = r.span_ref(3, &mut |_, _| {})?;
            r.lit(",\n")?;
            let key = (span.start, span.end, span.id);
            if last.is_some_and(|last| last > key) {
                return None; // Not sorted: `read` refuses it.
            }
            last = Some(key);
            spans_max_id = spans_max_id.max(span.id);
            each(&span)?;
            spans += 1;
        }
        if spans == 0 {
            return None;
        }
        r.indent(1)?;
        r.lit("]")?;
    }
    let rest = rest(src, &mut r)?;
    if !rest.next_id_fits(head.next_id, spans_max_id) {
        return None;
    }
    Some(Glance {
        format: head.format,
        text_sha256: head.text_sha256,
        annotator: head.annotator,
        status: head.status,
        spans,
        orphans: rest.orphans,
    })
}

impl Reader<'_> {
    fn peek_after(&self, first: &str, then: &str) -> bool {
        self.src.as_bytes()[self.pos..]
            .get(first.len()..)
            .is_some_and(|rest| rest.starts_with(then.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ron::to_pretty_ron;
    use proptest::prelude::*;

    fn ron_write(layer: &Layer) -> String {
        let mut copy = layer.clone();
        copy.normalize();
        to_pretty_ron(&copy).unwrap()
    }

    #[test]
    fn the_plain_ranges_decided_inline_are_what_escape_debug_leaves_alone() {
        for c in ('\u{C0}'..='\u{24F}').chain('\u{2010}'..='\u{2027}') {
            let mut e = c.escape_debug();
            assert!(
                e.next() == Some(c) && e.next().is_none(),
                "{c:?} is escaped"
            );
        }
    }

    fn ron_read(src: &str) -> Option<Layer> {
        let mut l: Layer = crate::store::ron::ron_options().from_str(src).ok()?;
        l.normalize();
        Some(l)
    }

    /// Strings with the chars that need care: quotes, backslashes, control chars, curly
    /// quotes, combining marks, emoji, non-breaking and zero-width spaces, `#`.
    fn tricky_string() -> impl Strategy<Value = String> {
        let pieces = prop::sample::select(vec![
            "a",
            "Putin",
            " ",
            "\"",
            "'",
            "\\",
            "\n",
            "\r",
            "\t",
            "\0",
            "\u{7f}",
            "\u{1b}",
            "“",
            "”",
            "’",
            "—",
            "\u{a0}",
            "\u{200b}",
            "\u{301}",
            "e\u{301}",
            "😀",
            "#",
            "r#\"",
            "}",
            "{",
            "\u{feff}",
            "\u{10ffff}",
            "\u{e000}",
            ")",
            ",\n",
        ]);
        prop::collection::vec(pieces, 0..8).prop_map(|v| v.concat())
    }

    fn span_strategy() -> impl Strategy<Value = Span> {
        (
            (0u64..1000, 0usize..5000, 0usize..50),
            (
                tricky_string(),
                tricky_string(),
                tricky_string(),
                tricky_string(),
            ),
            prop::collection::btree_map(tricky_string(), tricky_string(), 0..3),
            tricky_string(),
        )
            .prop_map(
                |((id, start, len), (tag, exact, prefix, note), attrs, created)| Span {
                    id,
                    start,
                    end: start + len,
                    tag,
                    exact,
                    prefix: prefix.clone(),
                    suffix: prefix,
                    note,
                    attrs,
                    created: created.clone(),
                    modified: created,
                },
            )
    }

    fn end_strategy() -> impl Strategy<Value = End> {
        (
            0u64..1000,
            prop::option::of((
                (tricky_string(), 0usize..5000, 0usize..50),
                (tricky_string(), tricky_string()),
            )),
        )
            .prop_map(|(span, doc)| End {
                span,
                doc: doc.map(|((text, start, len), (exact, prefix))| Elsewhere {
                    text,
                    start,
                    end: start + len,
                    exact,
                    prefix: prefix.clone(),
                    suffix: prefix,
                }),
            })
    }

    fn relation_strategy() -> impl Strategy<Value = Relation> {
        (
            (0u64..1000, tricky_string()),
            (end_strategy(), end_strategy()),
            prop::collection::btree_map(tricky_string(), tricky_string(), 0..3),
            (tricky_string(), tricky_string()),
        )
            .prop_map(
                |((id, kind), (from, to), attrs, (note, created))| Relation {
                    id,
                    kind,
                    from,
                    to,
                    note,
                    attrs,
                    created: created.clone(),
                    modified: created,
                },
            )
    }

    fn layer_strategy() -> impl Strategy<Value = Layer> {
        (
            prop::collection::vec(span_strategy(), 0..6),
            prop::collection::vec((span_strategy(), tricky_string()), 0..3),
            (0u64..2000, 0usize..4, tricky_string(), 0u32..3),
            prop::option::of((
                tricky_string(),
                prop::collection::btree_map(tricky_string(), tricky_string(), 0..3),
            )),
            prop::collection::vec(relation_strategy(), 0..4),
        )
            .prop_map(
                |(spans, orphans, (next_id, status, text, format), source, relations)| Layer {
                    format,
                    text: text.clone(),
                    text_sha256: "ab12".into(),
                    text_chars: 4206,
                    annotator: text,
                    status: [
                        Status::NotStarted,
                        Status::InProgress,
                        Status::Done,
                        Status::Reviewed,
                    ][status],
                    next_id,
                    spans,
                    orphans: orphans
                        .into_iter()
                        .map(|(span, old_text_sha256)| Orphan {
                            span,
                            old_text_sha256,
                        })
                        .collect(),
                    relations,
                    source: source.map(|(format, fields)| SourceRecord { format, fields }),
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn writes_what_ron_writes_and_reads_it_back(layer in layer_strategy()) {
            let fast = write(&layer);
            prop_assert_eq!(&fast, &ron_write(&layer));
            let mut normalized = layer.clone();
            normalized.normalize();
            prop_assert_eq!(read(&fast), Some(normalized.clone()));
            prop_assert_eq!(ron_read(&fast), Some(normalized));
        }

        #[test]
        fn anything_read_fast_means_the_same_to_ron(
            layer in layer_strategy(),
            at in any::<prop::sample::Index>(),
            edit in prop::sample::select(vec![
                "", " ", "\n", "\\", "\"", "0", "9", "\\u{41}", "\\'", "//x\n", "\r", ",", "a",
                "\\u{301}", "#", "é", "\t", "(", ")", "[", "]", "{}",
            ]),
            cut in 0usize..3,
        ) {
            let src = write(&layer);
            // Insert a snippet at a char boundary, and maybe drop a few chars after it.
            let mut i = at.index(src.len() + 1);
            while !src.is_char_boundary(i) {
                i -= 1;
            }
            let mut j = i;
            for _ in 0..cut {
                if let Some(c) = src[j..].chars().next() {
                    j += c.len_utf8();
                }
            }
            let mutated = format!("{}{}{}", &src[..i], edit, &src[j..]);
            // The list's walk takes exactly the files `read` takes, and finds what it finds.
            let glanced = |src: &str| {
                let mut ids = Vec::new();
                glance(src, &mut |s| {
                    ids.push((s.id, s.start, s.end, s.tag.to_string(), s.exact.to_string()));
                    Some(())
                })
                .map(|g| (g.status, g.spans, g.annotator.into_owned(), g.text_sha256.into_owned(), ids))
            };
            let read_as_glanced = |src: &str| {
                read(src).map(|l| {
                    let ids = (l.spans.iter())
                        .map(|s| (s.id, s.start, s.end, s.tag.clone(), s.exact.clone()))
                        .collect();
                    (l.status, l.spans.len(), l.annotator, l.text_sha256, ids)
                })
            };
            prop_assert_eq!(glanced(&src), read_as_glanced(&src));
            prop_assert_eq!(glanced(&mutated), read_as_glanced(&mutated));
            if let Some(fast) = read(&mutated) {
                prop_assert_eq!(write(&fast), mutated.clone());
                prop_assert_eq!(Some(fast), ron_read(&mutated));
            }
        }
    }

    #[test]
    fn hand_written_spacing_is_left_to_ron() {
        let src =
            "(format: 1, text: \"a.txt\", text_sha256: \"x\", text_chars: 3, annotator: \"e\")";
        assert!(read(src).is_none());
        assert!(ron_read(src).is_some());
        let crlf = write(&ron_read(src).unwrap()).replace('\n', "\r\n");
        assert!(read(&crlf).is_none());
        assert!(ron_read(&crlf).is_some());
    }
}
