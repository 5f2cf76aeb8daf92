//! Bounds on what reading rules may cost, process-wide (the CLI sets them from the environment
//! once, before reading anything): how many rule files one path may hold, how large one rule
//! file may be, and how deep YAML flow collections may nest. Past a bound the input is refused
//! (a path as a whole, or a file with a reason) before it is read further.

use std::sync::atomic::{AtomicUsize, Ordering};

/// The bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most rule files under one path (default 500,000; the Sigma repository has about
    /// 3,700).
    pub max_rule_files: usize,
    /// The largest rule file, in bytes (default 16 MiB; real rules are a few KiB).
    pub max_rule_file_bytes: usize,
    /// How deep flow collections (`[...]`, `{...}`) may nest in a YAML rule file (default 256:
    /// far above any rule, which nests two or three deep, far below where the YAML parser's
    /// cost, which grows with the square of the depth, matters).
    pub max_yaml_depth: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_rule_files: 500_000,
            max_rule_file_bytes: 16 << 20,
            max_yaml_depth: 256,
        }
    }
}

static RULE_FILES: AtomicUsize = AtomicUsize::new(500_000);
static RULE_FILE_BYTES: AtomicUsize = AtomicUsize::new(16 << 20);
static YAML_DEPTH: AtomicUsize = AtomicUsize::new(256);

/// The bounds in force.
pub fn limits() -> Limits {
    Limits {
        max_rule_files: RULE_FILES.load(Ordering::Relaxed),
        max_rule_file_bytes: RULE_FILE_BYTES.load(Ordering::Relaxed),
        max_yaml_depth: YAML_DEPTH.load(Ordering::Relaxed),
    }
}

/// Sets the bounds for the whole process (each at least 1).
pub fn set_limits(limits: Limits) {
    RULE_FILES.store(limits.max_rule_files.max(1), Ordering::Relaxed);
    RULE_FILE_BYTES.store(limits.max_rule_file_bytes.max(1), Ordering::Relaxed);
    YAML_DEPTH.store(limits.max_yaml_depth.max(1), Ordering::Relaxed);
}
