//! The CLI's [`Progress`]: progress bars (bytes, rate) on standard error when it is a terminal,
//! and warnings and notes as `warning:` / `note:` lines on standard error.

use std::io::IsTerminal;

use attackdb_data::{Progress, Task};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Reports to standard error.
pub struct Stderr {
    bars: bool,
}

impl Stderr {
    /// Progress bars only when standard error is a terminal.
    pub fn new() -> Stderr {
        Stderr {
            bars: std::io::stderr().is_terminal(),
        }
    }
}

impl Progress for Stderr {
    fn start(&self, name: &str, length: Option<u64>) -> Box<dyn Task + '_> {
        if !self.bars {
            return Box::new(Bar(ProgressBar::hidden()));
        }
        let bar = ProgressBar::with_draw_target(length, ProgressDrawTarget::stderr());
        let template = match length {
            Some(_) => "{msg} [{wide_bar}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
            None => "{spinner} {msg} {bytes} {bytes_per_sec}",
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(name.to_string());
        Box::new(Bar(bar))
    }

    fn warn(&self, message: &str) {
        say("warning", message);
    }

    fn note(&self, message: &str) {
        say("note", message);
    }
}

/// Prints `kind: message` on standard error, the message kept short ([`crate::render::message`]).
pub fn say(kind: &str, message: &str) {
    eprintln!("{kind}: {}", crate::render::message(message));
}

/// Says each note of an answer on stderr.
pub fn say_notes(notes: &[String]) {
    for note in notes {
        say("note", note);
    }
}

struct Bar(ProgressBar);

impl Task for Bar {
    fn advance(&self, bytes: u64) {
        self.0.inc(bytes);
    }

    fn message(&self, text: &str) {
        self.0.set_message(text.to_string());
    }

    fn finish(&self, keep: bool) {
        if keep {
            self.0.finish();
        } else {
            self.0.finish_and_clear();
        }
    }
}
