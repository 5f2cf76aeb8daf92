//! The matrix of a release: tactic columns in matrix order, each with its live techniques and
//! their sub-techniques, on chosen platforms. The one matrix builder: the CLI's `matrix`, the
//! Navigator exports and the web pages all lay out this.

use crate::concept::{Concept, Visibility};
use crate::dataset::{Dataset, ObjId};
use crate::family::Relation;

/// What the matrix holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatrixOptions {
    /// Only techniques of one of these platforms (case-insensitive); empty for every one.
    pub platforms: Vec<String>,
    /// Whether rows list their sub-techniques.
    pub subtechniques: bool,
}

/// A technique of a column, with its sub-techniques of the same tactic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatrixRow {
    /// The technique.
    pub technique: ObjId,
    /// Its live sub-techniques in this tactic and on the platforms (empty unless asked for).
    pub subtechniques: Vec<ObjId>,
}

/// A tactic column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatrixColumn {
    /// The tactic.
    pub tactic: ObjId,
    /// Its live techniques on the platforms.
    pub rows: Vec<MatrixRow>,
}

/// A release's matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix {
    /// The tactic columns, in matrix order.
    pub columns: Vec<MatrixColumn>,
}

impl Matrix {
    /// How many technique cells (not counting sub-techniques) the matrix has.
    pub fn technique_cells(&self) -> usize {
        self.columns.iter().map(|c| c.rows.len()).sum()
    }
}

impl Dataset {
    /// Whether `object` is on one of `platforms` (case-insensitive); every object is when
    /// `platforms` is empty.
    pub fn on_platforms(&self, object: ObjId, platforms: &[String]) -> bool {
        platforms.is_empty()
            || self
                .object(object)
                .platforms
                .iter()
                .any(|p| platforms.iter().any(|q| q.trim().eq_ignore_ascii_case(p)))
    }

    /// The order techniques have in a matrix column: by name (case-insensitive), then ID.
    pub fn matrix_order(&self, a: ObjId, b: ObjId) -> std::cmp::Ordering {
        self.display_name(a)
            .to_lowercase()
            .cmp(&self.display_name(b).to_lowercase())
            .then_with(|| self.display_id(a).cmp(self.display_id(b)))
    }

    /// The matrix: tactics in matrix order (from the bundle's matrix objects), each with its
    /// live techniques on the platforms in [`Dataset::matrix_order`], and with
    /// `subtechniques`, each technique's live sub-techniques of that tactic. A sub-technique
    /// without a parent technique ([`Dataset::is_orphan`]) stands as a technique of its own.
    pub fn matrix(&self, options: &MatrixOptions) -> Matrix {
        let columns = self
            .tactics_in_order()
            .into_iter()
            .map(|tactic| {
                let shortname = self.object(tactic).shortname.as_deref().unwrap_or("");
                let in_tactic = self.techniques_by_tactic(shortname, Visibility::LIVE);
                let mut techniques: Vec<ObjId> = in_tactic
                    .iter()
                    .copied()
                    .filter(|&t| {
                        (self.concept(t) == Some(Concept::Technique) || self.is_orphan(t))
                            && self.on_platforms(t, &options.platforms)
                    })
                    .collect();
                techniques.sort_by(|&a, &b| self.matrix_order(a, b));
                let rows = techniques
                    .into_iter()
                    .map(|technique| {
                        let mut subtechniques = Vec::new();
                        if options.subtechniques {
                            subtechniques = self
                                .related(Relation::SubtechniquesOfTechnique, technique)
                                .into_iter()
                                .filter(|s| {
                                    in_tactic.contains(s)
                                        && self.on_platforms(*s, &options.platforms)
                                })
                                .collect();
                            subtechniques.sort_by(|&a, &b| self.matrix_order(a, b));
                        }
                        MatrixRow {
                            technique,
                            subtechniques,
                        }
                    })
                    .collect();
                MatrixColumn { tactic, rows }
            })
            .collect();
        Matrix { columns }
    }
}
