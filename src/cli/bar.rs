//! A progress bar on standard error for commands that go through many documents, so a long
//! import or export is not a silent wait. It is drawn only on a terminal (or with
//! `MARGINALIA_PROGRESS=always`), never with `--json`, only once the work has taken a moment,
//! and it is cleared before the command's report prints.

use std::io::Write;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle, TermLike};

/// How long work runs before its bar appears: a command that ends sooner draws nothing.
const SHOW_AFTER: Duration = Duration::from_millis(300);

/// What the bar counts.
#[derive(Debug, Clone, Copy)]
pub(super) enum Unit {
    /// Bytes of a source, shown as "3.1 MiB/12.0 MiB".
    Bytes,
    /// Things of the name given ("documents"), shown as "1,200/20,000 documents".
    Items(&'static str),
}

impl From<crate::interchange::import::ProgressUnit> for Unit {
    fn from(u: crate::interchange::import::ProgressUnit) -> Self {
        match u {
            crate::interchange::import::ProgressUnit::Bytes => Unit::Bytes,
            crate::interchange::import::ProgressUnit::Items(what) => Unit::Items(what),
        }
    }
}

/// Where a bar may be drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Show {
    Never,
    /// On standard error when it is a terminal, once [`SHOW_AFTER`] has passed.
    OnTerminal,
    /// On standard error whatever it is, from the start (`MARGINALIA_PROGRESS=always`).
    Always,
}

/// One command's progress bar. Its methods take `&self`, so a progress callback (`Fn`) can
/// update it.
pub(super) struct Bar {
    bar: ProgressBar,
    show: Show,
    started: Instant,
}

impl Bar {
    /// A bar labelled `doing` ("importing"); none is ever drawn when `json` is set.
    pub(super) fn new(doing: &str, unit: Unit, json: bool) -> Bar {
        let show = match std::env::var("MARGINALIA_PROGRESS").as_deref() {
            _ if json => Show::Never,
            Ok("always") => Show::Always,
            Ok("never") => Show::Never,
            _ if std::io::IsTerminal::is_terminal(&std::io::stderr()) => Show::OnTerminal,
            _ => Show::Never,
        };
        let counts = match unit {
            Unit::Bytes => "{bytes}/{total_bytes}".to_owned(),
            Unit::Items(what) => format!("{{human_pos}}/{{human_len}} {what}"),
        };
        let template = format!("{{prefix}} [{{bar:30}}] {counts} · {{eta}} left");
        // The templates are ours and valid; a refused one still leaves indicatif's plain bar.
        let style = ProgressStyle::with_template(&template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden())
            .with_style(style)
            .with_prefix(doing.to_owned());
        if show == Show::Always {
            bar.set_draw_target(ProgressDrawTarget::term_like_with_hz(
                Box::new(PlainStderr),
                20,
            ));
        }
        Bar {
            bar,
            show,
            started: Instant::now(),
        }
    }

    /// `done` of `total`; always returns `true` (go on), to serve as a progress callback.
    pub(super) fn update(&self, done: usize, total: usize) -> bool {
        if self.show == Show::Never {
            return true;
        }
        if self.show == Show::OnTerminal
            && self.bar.is_hidden()
            && self.started.elapsed() >= SHOW_AFTER
        {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        self.bar.set_length(total as u64);
        self.bar.set_position(done.min(total) as u64);
        true
    }

    /// Runs `write` with the bar taken off the terminal, so a line printed during the work
    /// does not run into it; returns nothing, as the lines' write errors are not the work's.
    pub(super) fn suspend(&self, write: impl FnOnce() -> std::io::Result<()>) {
        let _ = self.bar.suspend(write);
    }

    /// Clears the bar, so the report prints on a clean line.
    pub(super) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Standard error as a terminal whatever it is, for `MARGINALIA_PROGRESS=always` (a log, or a
/// test that reads what the bar draws).
#[derive(Debug)]
struct PlainStderr;

impl PlainStderr {
    fn put(s: &str) -> std::io::Result<()> {
        std::io::stderr().write_all(s.as_bytes())
    }
}

impl TermLike for PlainStderr {
    fn width(&self) -> u16 {
        100
    }
    fn move_cursor_up(&self, n: usize) -> std::io::Result<()> {
        if n > 0 {
            Self::put(&format!("\x1b[{n}A"))
        } else {
            Ok(())
        }
    }
    fn move_cursor_down(&self, n: usize) -> std::io::Result<()> {
        if n > 0 {
            Self::put(&format!("\x1b[{n}B"))
        } else {
            Ok(())
        }
    }
    fn move_cursor_right(&self, n: usize) -> std::io::Result<()> {
        if n > 0 {
            Self::put(&format!("\x1b[{n}C"))
        } else {
            Ok(())
        }
    }
    fn move_cursor_left(&self, n: usize) -> std::io::Result<()> {
        if n > 0 {
            Self::put(&format!("\x1b[{n}D"))
        } else {
            Ok(())
        }
    }
    fn write_line(&self, s: &str) -> std::io::Result<()> {
        Self::put(&format!("{s}\n"))
    }
    fn write_str(&self, s: &str) -> std::io::Result<()> {
        Self::put(s)
    }
    fn clear_line(&self) -> std::io::Result<()> {
        Self::put("\r\x1b[2K")
    }
    fn flush(&self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}
