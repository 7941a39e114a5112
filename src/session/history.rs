//! One undo history for every editor (a document's layer, a review's curated layer): a
//! timeline of steps with a cursor, where a step is a group of edits that undo and redo as one
//! (tag every match, accept suggestions, restore recovered edits).
//!
//! Like helix's `History`, it knows nothing of what an edit does: the owner applies a step's
//! edits forward on redo and inverts them in reverse order on undo. A new step drops the redo
//! branch.

/// The undo history of edits of type `E`.
#[derive(Debug, Clone)]
pub struct History<E> {
    steps: Vec<Vec<E>>,
    /// Steps before the cursor are done; steps from it on can be redone.
    cursor: usize,
    /// A compound edit being recorded: its edits become one step when it ends.
    group: Option<Vec<E>>,
}

impl<E> Default for History<E> {
    fn default() -> Self {
        Self {
            steps: Vec::new(),
            cursor: 0,
            group: None,
        }
    }
}

impl<E: Clone> History<E> {
    /// An empty history.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records an edit that was just applied: a step of its own, or part of the open group.
    pub fn record(&mut self, edit: E) {
        match &mut self.group {
            Some(group) => group.push(edit),
            None => self.push_step(vec![edit]),
        }
    }

    /// Makes room for `n` more edits in the open group (a bulk edit of thousands).
    pub fn reserve(&mut self, n: usize) {
        if let Some(group) = &mut self.group {
            group.reserve(n);
        }
    }

    fn push_step(&mut self, step: Vec<E>) {
        self.steps.truncate(self.cursor);
        self.steps.push(step);
        self.cursor = self.steps.len();
    }

    /// Starts a compound edit: edits recorded until [`History::end_group`] undo as one step.
    /// Groups do not nest; starting one while one is open keeps the open one.
    pub fn begin_group(&mut self) {
        if self.group.is_none() {
            self.group = Some(Vec::new());
        }
    }

    /// Ends the compound edit; an empty group leaves no step. Returns whether a step was made.
    pub fn end_group(&mut self) -> bool {
        match self.group.take() {
            Some(group) if !group.is_empty() => {
                self.push_step(group);
                true
            }
            _ => false,
        }
    }

    /// Whether a compound edit is being recorded.
    pub fn in_group(&self) -> bool {
        self.group.is_some()
    }

    /// Lends the step before the cursor for undoing (the caller inverts its edits in reverse
    /// order), without copying it: the caller gives it back with [`History::give_back`] once
    /// it is applied (a step of 23,000 spans). An open group is ended first.
    pub fn take_undo(&mut self) -> Option<(usize, Vec<E>)> {
        self.end_group();
        if self.cursor == 0 {
            return None;
        }
        self.cursor -= 1;
        Some((self.cursor, std::mem::take(&mut self.steps[self.cursor])))
    }

    /// Lends the step at the cursor for redoing (the caller applies its edits in order), as
    /// [`History::take_undo`] does.
    pub fn take_redo(&mut self) -> Option<(usize, Vec<E>)> {
        self.end_group();
        let at = self.cursor;
        let step = std::mem::take(self.steps.get_mut(at)?);
        self.cursor += 1;
        Some((at, step))
    }

    /// Puts a lent step back in its place.
    pub fn give_back(&mut self, at: usize, step: Vec<E>) {
        if let Some(slot) = self.steps.get_mut(at) {
            *slot = step;
        }
    }

    /// Whether there is a step to undo.
    pub fn can_undo(&self) -> bool {
        self.cursor > 0 || self.group.as_ref().is_some_and(|g| !g.is_empty())
    }

    /// Whether there is a step to redo.
    pub fn can_redo(&self) -> bool {
        self.cursor < self.steps.len()
    }

    /// The last step, if it is the newest (nothing to redo) and no group is open: for merging
    /// a run of small edits (typing a note) into one step.
    pub fn last_step_mut(&mut self) -> Option<&mut Vec<E>> {
        if self.group.is_some() || self.cursor != self.steps.len() {
            return None;
        }
        self.steps.last_mut()
    }

    /// Every recorded edit, done or undone, oldest first (for a merge to know which ids the
    /// history still refers to).
    pub fn edits(&self) -> impl Iterator<Item = &E> {
        self.steps
            .iter()
            .flatten()
            .chain(self.group.iter().flatten())
    }

    /// Drops the steps that could be redone (a change made outside the history).
    pub fn drop_redo(&mut self) {
        self.steps.truncate(self.cursor);
    }

    /// Forgets everything (after a reload from disk).
    pub fn clear(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Undoes as an owner does: lends the step, reads it, gives it back.
    fn undo<E: Clone>(h: &mut History<E>) -> Option<Vec<E>> {
        let (at, step) = h.take_undo()?;
        h.give_back(at, step.clone());
        Some(step)
    }

    /// Redoes as an owner does (see [`undo`]).
    fn redo<E: Clone>(h: &mut History<E>) -> Option<Vec<E>> {
        let (at, step) = h.take_redo()?;
        h.give_back(at, step.clone());
        Some(step)
    }

    /// What a user can do to a counter list: push a value, as a single edit or a group.
    #[derive(Debug, Clone)]
    enum Op {
        Push(u8),
        Group(Vec<u8>),
        Undo,
        Redo,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => any::<u8>().prop_map(Op::Push),
            1 => proptest::collection::vec(any::<u8>(), 0..5).prop_map(Op::Group),
            2 => Just(Op::Undo),
            2 => Just(Op::Redo),
        ]
    }

    proptest! {
        /// Against a model that keeps every state the list has been in: undo returns to the
        /// state before the last step (a whole group at once), redo to the one after, and a
        /// new step drops the redo branch.
        #[test]
        fn undo_and_redo_follow_a_timeline_of_states(ops in proptest::collection::vec(op(), 0..60)) {
            let mut doc: Vec<u8> = Vec::new();
            let mut history: History<u8> = History::new();
            let mut states: Vec<Vec<u8>> = vec![Vec::new()];
            let mut at = 0usize;
            for op in ops {
                match op {
                    Op::Push(v) => {
                        doc.push(v);
                        history.record(v);
                        states.truncate(at + 1);
                        states.push(doc.clone());
                        at += 1;
                    }
                    Op::Group(vs) => {
                        history.begin_group();
                        for v in &vs {
                            doc.push(*v);
                            history.record(*v);
                        }
                        if history.end_group() {
                            states.truncate(at + 1);
                            states.push(doc.clone());
                            at += 1;
                        }
                    }
                    Op::Undo => {
                        if let Some(step) = undo(&mut history) {
                            for _ in step.iter().rev() {
                                doc.pop();
                            }
                            at -= 1;
                        } else {
                            prop_assert_eq!(at, 0);
                        }
                    }
                    Op::Redo => {
                        if let Some(step) = redo(&mut history) {
                            doc.extend(step);
                            at += 1;
                        } else {
                            prop_assert_eq!(at + 1, states.len());
                        }
                    }
                }
                prop_assert_eq!(&doc, &states[at]);
                prop_assert_eq!(history.can_undo(), at > 0);
                prop_assert_eq!(history.can_redo(), at + 1 < states.len());
            }
        }
    }

    #[test]
    fn a_group_undoes_as_one_step_and_an_empty_group_leaves_none() {
        let mut h: History<u32> = History::new();
        h.record(1);
        h.begin_group();
        h.record(2);
        h.record(3);
        assert!(h.end_group());
        h.begin_group();
        assert!(!h.end_group());
        assert_eq!(undo(&mut h), Some(vec![2, 3]));
        assert_eq!(undo(&mut h), Some(vec![1]));
        assert_eq!(undo(&mut h), None);
        assert_eq!(redo(&mut h), Some(vec![1]));
        h.record(9);
        assert_eq!(redo(&mut h), None, "a new step drops the redo branch");
        // A lent step comes back where it was.
        let (at, step) = h.take_undo().unwrap();
        assert_eq!(step, vec![9]);
        h.give_back(at, step);
        assert_eq!(h.take_redo(), Some((1, vec![9])));
        h.give_back(1, vec![9]);
        assert!(h.can_undo() && !h.can_redo());
        assert_eq!(h.edits().copied().collect::<Vec<_>>(), vec![1, 9]);
    }
}
