//! Dragging an end of the selected span moves that end: the new range shows as a selection
//! while dragging, and the release sends one [`Command::SetSpanRange`] (one undo step).

use egui::{CursorIcon, Pos2, Ui};

use super::{Selection, TextView, ViewInput, line_height};
use crate::app::Command;

/// An end of the selected span being dragged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct EdgeDrag {
    id: u64,
    /// The other end, which stays.
    fixed: usize,
}

/// How close (points) the pointer must be to an end to grab it.
const GRAB: f32 = 6.0;

impl TextView {
    /// The end of the selected span under `pos`, if any.
    fn edge_near(&self, pos: Pos2, input: &ViewInput<'_>) -> Option<EdgeDrag> {
        let id = input.selected_span?;
        let s = self.painted_span(input, id)?;
        let half_line = line_height(input.font_size) / 2.0;
        let near = |c: usize| {
            self.screen_pos_of_char(c)
                .is_some_and(|p| (p.x - pos.x).abs() <= GRAB && (p.y - pos.y).abs() <= half_line)
        };
        if near(s.end) {
            Some(EdgeDrag { id, fixed: s.start })
        } else if near(s.start) {
            Some(EdgeDrag { id, fixed: s.end })
        } else {
            None
        }
    }

    /// Handles a drag of the selected span's ends. Returns true while one is going on (the
    /// pointer is then not a text selection).
    pub(super) fn drag_span_edge(
        &mut self,
        ui: &Ui,
        response: &egui::Response,
        input: &ViewInput<'_>,
        commands: &mut Vec<Command>,
    ) -> bool {
        if self.edge_drag.is_none()
            && let Some(pos) = response.hover_pos()
            && self.edge_near(pos, input).is_some()
        {
            ui.ctx().set_cursor_icon(CursorIcon::ResizeHorizontal);
        }
        if response.drag_started() {
            let origin = ui.input(|i| i.pointer.press_origin());
            self.edge_drag = origin.and_then(|p| self.edge_near(p, input));
        }
        let Some(drag) = self.edge_drag else {
            return false;
        };
        ui.ctx().set_cursor_icon(CursorIcon::ResizeHorizontal);
        let alt = ui.input(|i| i.modifiers.alt);
        let moved = response
            .interact_pointer_pos()
            .and_then(|p| self.char_at(p))
            .map(|c| {
                let (a, b) = (c.min(drag.fixed), c.max(drag.fixed));
                if alt {
                    input.text.snap_to_graphemes(a, b)
                } else {
                    input.text.snap_to_words(a, b)
                }
            })
            .filter(|r| !r.is_empty());
        if let Some(r) = moved {
            let (a, b) = (r.start, r.end);
            self.selection = Some(Selection { anchor: a, head: b });
        }
        if response.drag_stopped() {
            self.edge_drag = None;
            self.selection = None;
            if let Some(r) = moved {
                commands.push(Command::SetSpanRange {
                    id: drag.id,
                    start: r.start,
                    end: r.end,
                });
            }
        }
        true
    }
}
