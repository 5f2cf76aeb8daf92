//! One object type's sheets (`TypeData`) and the context they are built in: the dataset, its
//! relationship rows and their citations.

use attackdb_kb::{Dataset, ObjId, ObjectType};

use super::citations::{citation_sheet, citations_of, sort_citations, Citation};
use super::relationships::{codex, relationship_citations, relationship_rows, RelRow};
use super::sheet::{frame, Record, Sheet};

/// One object type of attackToExcel: its main sheet, relationship sheets and citations.
pub(super) struct TypeData {
    /// The type's name in file names: `techniques`, `datacomponents`...
    pub(super) name: &'static str,
    /// Its main sheet.
    pub(super) main: Sheet,
    /// Its relationship sheets.
    pub(super) relationship_sheets: Vec<Sheet>,
    /// Its citations (`None`: no `citations` sheet).
    pub(super) citations: Option<Vec<Citation>>,
}

impl TypeData {
    /// The sheets of its workbook: main, relationship sheets, citations.
    pub(super) fn sheets(&self) -> Vec<Sheet> {
        let mut sheets = vec![self.main.clone()];
        sheets.extend(self.relationship_sheets.iter().cloned());
        if let Some(c) = &self.citations {
            sheets.push(citation_sheet(c));
        }
        sheets
    }
}

/// What every type's sheets are built from.
pub(super) struct Context<'a> {
    /// The dataset.
    pub(super) d: &'a Dataset,
    /// Its relationship rows, in bundle order.
    pub(super) rels: Vec<RelRow>,
    /// The live relationships' citations, sorted.
    pub(super) rel_citations: Vec<Citation>,
}

impl<'a> Context<'a> {
    /// The context of the knowledge base's types: every object loaded, the relationship rows
    /// and the relationships' citations, sorted.
    pub(super) fn with_relationships(d: &'a Dataset) -> Context<'a> {
        d.load_where(|_| true);
        let rels = relationship_rows(d);
        let live_relationships: Vec<ObjId> = d
            .objects_of(&[ObjectType::Relationship])
            .into_iter()
            .filter(|&r| d.is_live(r))
            .collect();
        let mut rel_citations = citations_of(d, &live_relationships);
        sort_citations(&mut rel_citations);
        Context {
            d,
            rels,
            rel_citations,
        }
    }

    /// The live objects of `types`, in bundle order.
    pub(super) fn live(&self, types: &[ObjectType]) -> Vec<ObjId> {
        self.d
            .objects_of(types)
            .into_iter()
            .filter(|&o| self.d.is_live(o))
            .collect()
    }

    /// The live objects of `types` in bundle order, or `None` when there are none (a type the
    /// release does not have gets no sheet).
    pub(super) fn live_if_any(&self, types: &[ObjectType]) -> Option<Vec<ObjId>> {
        Some(self.live(types)).filter(|objects| !objects.is_empty())
    }

    /// A type with relationship sheets: rows sorted by name, `relationship citations` added,
    /// relationship citations then the objects' own.
    pub(super) fn related(
        &self,
        name: &'static str,
        related: &str,
        types: &[ObjectType],
        objects: &[ObjId],
        mut records: Vec<Record>,
        extra: &[&str],
    ) -> TypeData {
        let codex = codex(related, types, &self.rels, &self.rel_citations);
        for r in &mut records {
            let cited = relationship_citations(&r.text("ID"), &codex);
            r.more.insert(0, ("relationship citations", cited.into()));
        }
        let own = citations_of(self.d, objects);
        let citations = match (codex.citations, own.is_empty()) {
            (Some(mut from_relationships), _) => {
                sort_citations(&mut from_relationships);
                from_relationships.extend(own);
                Some(from_relationships)
            }
            (None, false) => Some(own),
            (None, true) => None,
        };
        TypeData {
            name,
            main: frame(name, records, &["relationship citations"], extra, true),
            relationship_sheets: codex.sheets.into_iter().map(|(s, _)| s).collect(),
            citations,
        }
    }

    /// A type without relationship sheets: rows sorted by name, its citations sorted.
    pub(super) fn plain(
        &self,
        name: &'static str,
        objects: &[ObjId],
        records: Vec<Record>,
        extra: &[&str],
    ) -> TypeData {
        let mut own = citations_of(self.d, objects);
        sort_citations(&mut own);
        TypeData {
            name,
            main: frame(name, records, &[], extra, true),
            relationship_sheets: Vec::new(),
            citations: (!own.is_empty()).then_some(own),
        }
    }
}
