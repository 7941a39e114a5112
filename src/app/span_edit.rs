//! Moving the selected span's ends from the keyboard (Shift+←/→ moves its end, Alt+Shift+←/→
//! its start; with Ctrl by a word), one undo step per key press.

use crate::model::text::Text;

use super::MarginaliaApp;

/// Where an end at `c` goes: by a grapheme or a word, never leaving whitespace at the span's
/// edge when a word is dropped.
fn step(text: &Text, c: usize, start: bool, forward: bool, by_word: bool) -> usize {
    let is_space = |i: usize| text.char_at(i).is_some_and(char::is_whitespace);
    match (forward, by_word) {
        (true, false) => text.next_grapheme(c),
        (false, false) => text.prev_grapheme(c),
        // The end takes in the next word; the start drops its first word.
        (true, true) => {
            let mut p = text.next_word_end(c);
            if start {
                while is_space(p) {
                    p += 1;
                }
            }
            p
        }
        // The start takes in the previous word; the end drops its last word.
        (false, true) => {
            let mut p = text.prev_word_start(c);
            if !start {
                while p > 0 && is_space(p - 1) {
                    p -= 1;
                }
            }
            p
        }
    }
}

impl MarginaliaApp {
    /// Gives span `id` the boundaries `[start, end)` (an end was dragged), one undo step.
    pub(super) fn set_span_range(&mut self, id: u64, start: usize, end: usize) {
        if self.refuse_read_only() {
            return;
        }
        let Some(open) = &mut self.open else { return };
        if open.doc.set_range(id, start, end) {
            self.after_edit();
            self.selected_span = Some(id);
            self.status_line = format!(
                "Span now chars {start}–{end}; {} undoes it",
                self.keymap.key(super::Action::Undo)
            );
        }
    }

    /// Moves the selected span's start (`start`) or end. Returns false when no span is selected
    /// (the keys then extend the text selection instead).
    pub(super) fn move_span_edge(&mut self, start: bool, forward: bool, by_word: bool) -> bool {
        let Some(id) = self.selected_span else {
            return false;
        };
        if self.refuse_read_only() {
            return true;
        }
        let Some(open) = &mut self.open else {
            return false;
        };
        let Some(span) = open.span(id) else {
            return false;
        };
        let (a, b) = (span.start, span.end);
        let text = open.doc.text();
        let (na, nb) = if start {
            (step(text, a, true, forward, by_word), b)
        } else {
            (a, step(text, b, false, forward, by_word))
        };
        if na >= nb {
            self.status_line = "A span cannot be empty: Delete removes it".into();
            return true;
        }
        if (na, nb) != (a, b) && open.doc.set_range(id, na, nb) {
            self.after_edit();
            self.status_line = format!(
                "Span now chars {na}–{nb}; {} undoes each step ({})",
                self.keymap.key(super::Action::Undo),
                if start { "start moved" } else { "end moved" }
            );
        }
        true
    }
}
