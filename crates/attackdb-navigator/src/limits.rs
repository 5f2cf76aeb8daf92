//! Bounds on what a layer or a score expression may cost, process-wide (the CLI sets them from
//! the environment once, before reading anything): a layer file's size and number of technique
//! annotations, an expression's nesting depth and length. Past a bound the input is refused
//! with an error naming the bound, before it is read further.

use std::sync::atomic::{AtomicUsize, Ordering};

/// The bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest layer file text, in bytes (default 64 MiB).
    pub max_layer_bytes: usize,
    /// The most technique annotations in one layer (default 200,000; a layer of every
    /// technique of every domain under every tactic has about 15,000).
    pub max_layer_techniques: usize,
    /// The deepest nesting of a score expression (default 200, at most
    /// [`Limits::EXPRESSION_DEPTH_CEILING`]: deeper would need a larger stack). Each
    /// parenthesis, call argument, conditional branch and unary operator is a level (a
    /// parenthesis two: its expression and its operand).
    pub max_expression_depth: usize,
    /// The most tokens of a score expression (default 1,000, at most
    /// [`Limits::EXPRESSION_TOKENS_CEILING`]; a long chain `a+a+...` nests as deeply as it is
    /// long once evaluated).
    pub max_expression_tokens: usize,
    /// The deepest nesting of arrays and objects in a layer file or a JSON request body
    /// (default and most [`attackdb_kb::stix::JSON_DEPTH_CEILING`], 127, serde_json's own bound; a
    /// layer nests 4 deep).
    pub max_json_depth: usize,
}

impl Limits {
    /// The highest expression depth that may be set: the parser's recursion stays well within
    /// a thread's stack below it.
    pub const EXPRESSION_DEPTH_CEILING: usize = 1_000;
    /// The most expression tokens that may be set, for the same reason (evaluation recurses
    /// once per operator of a chain).
    pub const EXPRESSION_TOKENS_CEILING: usize = 4_000;
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_layer_bytes: 64 << 20,
            max_layer_techniques: 200_000,
            max_expression_depth: 200,
            max_expression_tokens: 1_000,
            max_json_depth: attackdb_kb::stix::JSON_DEPTH_CEILING,
        }
    }
}

static LAYER_BYTES: AtomicUsize = AtomicUsize::new(64 << 20);
static LAYER_TECHNIQUES: AtomicUsize = AtomicUsize::new(200_000);
static EXPRESSION_DEPTH: AtomicUsize = AtomicUsize::new(200);
static EXPRESSION_TOKENS: AtomicUsize = AtomicUsize::new(1_000);
static JSON_DEPTH: AtomicUsize = AtomicUsize::new(attackdb_kb::stix::JSON_DEPTH_CEILING);

/// The bounds in force.
pub fn limits() -> Limits {
    Limits {
        max_layer_bytes: LAYER_BYTES.load(Ordering::Relaxed),
        max_layer_techniques: LAYER_TECHNIQUES.load(Ordering::Relaxed),
        max_expression_depth: EXPRESSION_DEPTH.load(Ordering::Relaxed),
        max_expression_tokens: EXPRESSION_TOKENS.load(Ordering::Relaxed),
        max_json_depth: JSON_DEPTH.load(Ordering::Relaxed),
    }
}

/// Sets the bounds for the whole process (each at least 1; the expression's at most
/// [`Limits::EXPRESSION_DEPTH_CEILING`] and [`Limits::EXPRESSION_TOKENS_CEILING`], the JSON
/// depth at most [`attackdb_kb::stix::JSON_DEPTH_CEILING`]).
pub fn set_limits(limits: Limits) {
    LAYER_BYTES.store(limits.max_layer_bytes.max(1), Ordering::Relaxed);
    LAYER_TECHNIQUES.store(limits.max_layer_techniques.max(1), Ordering::Relaxed);
    EXPRESSION_DEPTH.store(
        limits
            .max_expression_depth
            .clamp(1, Limits::EXPRESSION_DEPTH_CEILING),
        Ordering::Relaxed,
    );
    EXPRESSION_TOKENS.store(
        limits
            .max_expression_tokens
            .clamp(1, Limits::EXPRESSION_TOKENS_CEILING),
        Ordering::Relaxed,
    );
    JSON_DEPTH.store(
        limits
            .max_json_depth
            .clamp(1, attackdb_kb::stix::JSON_DEPTH_CEILING),
        Ordering::Relaxed,
    );
}
