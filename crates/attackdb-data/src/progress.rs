//! How long-running work reports itself without printing: the front end implements
//! [`Progress`] (the CLI with progress bars and stderr, the server with its log), and the
//! library calls it.

/// Receives progress and warnings.
pub trait Progress {
    /// A transfer of `length` bytes (if known) starts, called `name` (`ics-attack 18.1`).
    fn start(&self, name: &str, length: Option<u64>) -> Box<dyn Task + '_>;
    /// Something the user should know that does not stop the work (a retry, a skipped entry).
    fn warn(&self, message: &str);
    /// A note: something done differently than asked, or worth knowing.
    fn note(&self, message: &str) {
        self.warn(message);
    }
}

/// One piece of work in progress.
pub trait Task {
    /// `bytes` more were done.
    fn advance(&self, bytes: u64);
    /// What is being done now (`ics-attack 18.1 (checking)`).
    fn message(&self, text: &str);
    /// Done; `keep` leaves its line shown (a completed download), else it is cleared.
    fn finish(&self, keep: bool);
}

/// Reports nothing: for tests, and callers that do not care.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {
    fn start(&self, _name: &str, _length: Option<u64>) -> Box<dyn Task + '_> {
        Box::new(Silent)
    }

    fn warn(&self, _message: &str) {}
}

impl Task for Silent {
    fn advance(&self, _bytes: u64) {}

    fn message(&self, _text: &str) {}

    fn finish(&self, _keep: bool) {}
}
