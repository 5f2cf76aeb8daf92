//! One object's page, as the ATT&CK website shows it, with what the website lacks: every
//! relationship family, the 18.x detection chain down to log sources, and a heatmap.

use attackdb_kb::{Concept, Dataset, Domain, ObjId, ObjectDetails, ObjectType, RelKind, Relation};
use serde::Serialize;

use crate::markdown::{self, Citations, Reference};
use crate::site::{concept_label, Linker};
use crate::view::{matrix_columns, Cell, Link, Marks, MatrixColumnView, Table};

/// A fact line of the side panel: a label and its values.
#[derive(Debug, Clone, Serialize)]
pub struct Fact {
    /// `Platforms`.
    pub label: String,
    /// Its values.
    pub values: Vec<Link>,
}

/// A notice at the top of the page (revoked, deprecated, found in another domain).
#[derive(Debug, Clone, Serialize)]
pub struct Banner {
    /// `revoked`, `deprecated` or `note`.
    pub class: &'static str,
    /// The text before the link.
    pub text: String,
    /// The link, if any.
    pub link: Option<Link>,
}

/// An analytic with its log sources.
#[derive(Debug, Clone, Serialize)]
pub struct AnalyticView {
    /// `AN0110`, also the anchor.
    pub id: String,
    /// Name.
    pub name: String,
    /// Platforms.
    pub platforms: String,
    /// The description, sanitised.
    pub html: String,
    /// (data component, log source name, channel).
    pub log_sources: Vec<(Link, String, String)>,
}

/// A detection strategy with its analytics.
#[derive(Debug, Clone, Serialize)]
pub struct StrategyView {
    /// The strategy.
    pub link: Link,
    /// Its analytics.
    pub analytics: Vec<AnalyticView>,
}

/// Everything an object page shows.
#[derive(Debug, Clone, Serialize)]
pub struct ObjectPage {
    /// ATT&CK ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// `Technique`, `Group`...
    pub kind: &'static str,
    /// `Enterprise`...
    pub domain: &'static str,
    /// `enterprise`...
    pub domain_key: &'static str,
    /// `18.1`.
    pub release: String,
    /// STIX ID.
    pub stix_id: String,
    /// Notices.
    pub banners: Vec<Banner>,
    /// The side panel.
    pub facts: Vec<Fact>,
    /// The description, sanitised HTML.
    pub description: String,
    /// Tables, in page order.
    pub tables: Vec<Table>,
    /// Detection strategies (techniques, strategies, analytics, data components).
    pub strategies: Vec<StrategyView>,
    /// Title of the strategies section.
    pub strategies_title: String,
    /// A heatmap of the techniques the object relates to.
    pub heatmap: Vec<MatrixColumnView>,
    /// How many techniques the heatmap marks.
    pub heatmap_count: usize,
    /// The Navigator layer of the heatmap, made by the server.
    pub layer_spec: Option<String>,
    /// Numbered references.
    pub references: Vec<Reference>,
    /// The same object in other domains and releases.
    pub elsewhere: Vec<Link>,
    /// The intelligence pages of a live group, campaign or software (profile, similar,
    /// emulate).
    pub intel: Vec<Link>,
    /// The matrix of the object's release.
    pub matrix_href: String,
}

/// The intelligence pages of `object`, a live group, campaign or software of `dataset`.
fn intel_links(dataset: &Dataset, object: ObjId) -> Vec<Link> {
    let concept = dataset.concept(object);
    if !dataset.is_live(object)
        || !matches!(
            concept,
            Some(Concept::Group | Concept::Campaign | Concept::Software)
        )
    {
        return Vec::new();
    }
    let query = format!(
        "ref={}&domain={}&release={}",
        dataset.display_id(object),
        dataset.domain().short_name(),
        dataset.release()
    );
    let mut links = vec![
        Link::plain("Profile", Some(format!("/intel/profile?{query}"))),
        Link::plain("Similar", Some(format!("/intel/similar?{query}"))),
    ];
    if concept != Some(Concept::Software) {
        links.push(Link::plain(
            "Emulation plan",
            Some(format!("/intel/emulate?{query}")),
        ));
    }
    links
}

/// Builds the page of `object`.
pub fn object_page(linker: &Linker<'_>, object: ObjId) -> ObjectPage {
    let dataset = linker.dataset();
    let stix = dataset.object(object);
    let prefix = linker.prefix();
    let mut citations = Citations::default();
    // The fields the model leaves to its raw JSON (detection text, permissions...), read by
    // the stix crate; an object whose JSON cannot be read shows without them.
    let details = dataset.details(object).unwrap_or_default();
    let description = markdown::render(
        stix.description.as_deref().unwrap_or(""),
        &stix.external_references,
        &mut citations,
        &prefix,
    );
    let concept = dataset.concept(object);
    let mut page = ObjectPage {
        id: stix.attack_id().unwrap_or_default().to_string(),
        name: dataset.display_name(object).to_string(),
        kind: concept_label(concept),
        domain: dataset.domain().title(),
        domain_key: dataset.domain().short_name(),
        release: dataset.release().to_string(),
        stix_id: stix.id.to_string(),
        banners: banners(linker, object),
        facts: Vec::new(),
        description,
        tables: Vec::new(),
        strategies: Vec::new(),
        strategies_title: String::new(),
        heatmap: Vec::new(),
        heatmap_count: 0,
        layer_spec: None,
        references: Vec::new(),
        elsewhere: elsewhere(linker, object),
        intel: intel_links(dataset, object),
        matrix_href: linker.matrix_href(),
    };
    page.facts = facts(linker, object, &details);
    let mut builder = Builder {
        linker,
        citations: &mut citations,
        prefix: &prefix,
        page: &mut page,
    };
    match stix.kind {
        ObjectType::AttackPattern => builder.technique(object, &details),
        ObjectType::Tactic => builder.tactic(object),
        ObjectType::IntrusionSet
        | ObjectType::Malware
        | ObjectType::Tool
        | ObjectType::Campaign => builder.actor(object),
        ObjectType::CourseOfAction => builder.mitigation(object),
        ObjectType::DataSource => builder.data_source(object),
        ObjectType::DataComponent => builder.data_component(object),
        ObjectType::DetectionStrategy => builder.strategy(object),
        ObjectType::Analytic => builder.analytic(object),
        ObjectType::Asset => builder.asset(object),
        _ => {}
    }
    page.references = citations.into_list();
    page
}

struct Builder<'a, 'k> {
    linker: &'a Linker<'k>,
    citations: &'a mut Citations,
    prefix: &'a str,
    page: &'a mut ObjectPage,
}

impl Builder<'_, '_> {
    fn dataset(&self) -> &Dataset {
        self.linker.dataset()
    }

    /// A relationship's description, rendered with its citations.
    fn relationship_text(&mut self, relationship: ObjId) -> String {
        let dataset = self.linker.dataset();
        let object = dataset.object(relationship);
        markdown::render(
            object.description.as_deref().unwrap_or(""),
            &object.external_references,
            self.citations,
            self.prefix,
        )
    }

    /// A table of objects: ID and name.
    fn list_table(&mut self, title: &str, objects: &[ObjId]) {
        if objects.is_empty() {
            return;
        }
        let mut table = Table::new(title, &["ID", "Name"]);
        for &o in objects {
            let link = Link::to(self.linker, o);
            table.rows.push(vec![
                Cell::link(link.id.clone(), link.href.clone()),
                Cell::link(link.name, link.href),
            ]);
        }
        table.note = Some(count_note(objects.len()));
        self.page.tables.push(table);
    }

    /// A table of relationships from or to `object` of `kind`: the other end and the
    /// relationship's description.
    fn usage_table(&mut self, title: &str, object: ObjId, kind: RelKind, outgoing: bool) {
        let dataset = self.linker.dataset();
        let mut pairs: Vec<(ObjId, ObjId)> = if outgoing {
            dataset
                .outgoing(object)
                .filter(|l| l.kind == kind)
                .map(|l| (l.target, l.relationship))
                .collect()
        } else {
            dataset
                .incoming(object)
                .filter(|l| l.kind == kind)
                .map(|l| (l.source, l.relationship))
                .collect()
        };
        pairs.retain(|&(other, rel)| dataset.is_live(other) && dataset.is_live(rel));
        pairs.retain(|&(other, _)| dataset.concept(other).is_some());
        pairs.sort_by(|a, b| {
            dataset
                .display_id(a.0)
                .cmp(dataset.display_id(b.0))
                .then(a.1.cmp(&b.1))
        });
        if pairs.is_empty() {
            return;
        }
        let headers: &[&str] = if outgoing && kind == RelKind::Uses {
            &["ID", "Name", "Use"]
        } else {
            &["ID", "Name", "Description"]
        };
        let mut table = Table::new(title, headers);
        for (other, relationship) in pairs {
            let text = self.relationship_text(relationship);
            table
                .rows
                .push(described_row(Link::to(self.linker, other), text));
        }
        table.note = Some(count_note(table.rows.len()));
        self.page.tables.push(table);
    }

    fn heatmap(&mut self, techniques: &[ObjId], spec: Option<String>) {
        let marks = Marks {
            used: techniques.iter().copied().collect(),
            used_subs_only: true,
            open_all: false,
        };
        self.page.heatmap = matrix_columns(self.linker, &[], &marks);
        self.page.heatmap_count = techniques.len();
        self.page.layer_spec = spec;
    }

    fn technique(&mut self, object: ObjId, details: &ObjectDetails) {
        let dataset = self.linker.dataset();
        let subs = dataset.related(Relation::SubtechniquesOfTechnique, object);
        self.list_table("Sub-techniques", &subs);
        // Procedure examples: who used it, and how.
        let examples = dataset.procedure_examples(object);
        if !examples.is_empty() {
            let mut table = Table::new("Procedure Examples", &["ID", "Name", "Description"]);
            for relationship in examples {
                let Some(source) = dataset.relationship_source(relationship) else {
                    continue;
                };
                let text = self.relationship_text(relationship);
                table
                    .rows
                    .push(described_row(Link::to(self.linker, source), text));
            }
            table.note = Some(count_note(table.rows.len()));
            self.page.tables.push(table);
        }
        self.usage_table("Mitigations", object, RelKind::Mitigates, false);
        self.detection(object, details);
        let assets = dataset.related(Relation::AssetsTargetedByTechnique, object);
        self.list_table("Targeted Assets", &assets);
        for (title, relation) in [
            ("Groups", Relation::GroupsUsingTechnique),
            ("Software", Relation::SoftwareUsingTechnique),
            ("Campaigns", Relation::CampaignsUsingTechnique),
        ] {
            let users = dataset.related(relation, object);
            self.list_table(&format!("{title} Using It"), &users);
        }
    }

    fn detection(&mut self, technique: ObjId, details: &ObjectDetails) {
        let dataset = self.linker.dataset();
        let strategies =
            dataset.related(Relation::DetectionStrategiesDetectingTechnique, technique);
        if !strategies.is_empty() {
            self.page.strategies_title = "Detection Strategies".to_string();
            for s in strategies {
                let view = self.strategy_view(s);
                self.page.strategies.push(view);
            }
        }
        // Before 18: data components that detect it, and the detection text.
        self.usage_table("Detection", technique, RelKind::Detects, false);
        if let Some(text) = details.detection.as_deref() {
            let html = markdown::render(
                text,
                &dataset.object(technique).external_references,
                self.citations,
                self.prefix,
            );
            let mut table = Table::new("Detection Notes", &["Detection"]);
            table.rows.push(vec![Cell::html(html)]);
            self.page.tables.push(table);
        }
    }

    fn strategy_view(&mut self, strategy: ObjId) -> StrategyView {
        let dataset = self.linker.dataset();
        let analytics = dataset
            .analytics_of_strategy(strategy)
            .into_iter()
            .map(|a| self.analytic_view(a))
            .collect();
        StrategyView {
            link: Link::to(self.linker, strategy),
            analytics,
        }
    }

    fn analytic_view(&mut self, analytic: ObjId) -> AnalyticView {
        let dataset = self.linker.dataset();
        let object = dataset.object(analytic);
        let html = markdown::render(
            object.description.as_deref().unwrap_or(""),
            &object.external_references,
            self.citations,
            self.prefix,
        );
        AnalyticView {
            id: object.attack_id().unwrap_or_default().to_string(),
            name: dataset.display_name(analytic).to_string(),
            platforms: object
                .platforms
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            html,
            log_sources: object
                .log_source_references
                .iter()
                .map(|r| {
                    let component = match dataset.by_stix_id(&r.data_component_ref) {
                        Some(c) => Link::to(self.linker, c),
                        None => Link::plain(r.data_component_ref.to_string(), None),
                    };
                    (
                        component,
                        r.name.to_string(),
                        r.channel.as_deref().unwrap_or_default().to_string(),
                    )
                })
                .collect(),
        }
    }

    fn tactic(&mut self, object: ObjId) {
        let dataset = self.linker.dataset();
        let shortname = dataset.object(object).shortname.as_deref().unwrap_or("");
        let all = dataset.techniques_by_tactic(shortname, attackdb_kb::Visibility::LIVE);
        let mut techniques: Vec<ObjId> = all
            .iter()
            .copied()
            .filter(|&t| dataset.concept(t) == Some(Concept::Technique))
            .collect();
        techniques.sort_by(|&a, &b| dataset.display_id(a).cmp(dataset.display_id(b)));
        let mut table = Table::new("Techniques", &["ID", "Name"]);
        for t in &techniques {
            let link = Link::to(self.linker, *t);
            table.rows.push(vec![
                Cell::link(link.id.clone(), link.href.clone()),
                Cell::link(link.name, link.href),
            ]);
            for s in dataset.related(Relation::SubtechniquesOfTechnique, *t) {
                if all.contains(&s) {
                    let link = Link::to(self.linker, s);
                    table.rows.push(vec![
                        Cell::link(format!("\u{2003}{}", link.id), link.href.clone()),
                        Cell::link(format!("\u{2003}{}", link.name), link.href),
                    ]);
                }
            }
        }
        table.note = Some(format!(
            "{} techniques, {} sub-techniques",
            techniques.len(),
            all.len() - techniques.len()
        ));
        self.page.tables.push(table);
    }

    fn actor(&mut self, object: ObjId) {
        let dataset = self.linker.dataset();
        let (techniques, software, campaigns, groups) = match dataset.concept(object) {
            Some(Concept::Group) => (
                Relation::TechniquesUsedByGroup,
                Some(Relation::SoftwareUsedByGroup),
                Some(Relation::CampaignsAttributedToGroup),
                None,
            ),
            Some(Concept::Campaign) => (
                Relation::TechniquesUsedByCampaign,
                Some(Relation::SoftwareUsedByCampaign),
                None,
                Some(Relation::GroupsAttributingToCampaign),
            ),
            _ => (
                Relation::TechniquesUsedBySoftware,
                None,
                Some(Relation::CampaignsUsingSoftware),
                Some(Relation::GroupsUsingSoftware),
            ),
        };
        let used = dataset.related(techniques, object);
        let kind = match dataset.concept(object) {
            Some(Concept::Group) => "group",
            Some(Concept::Campaign) => "campaign",
            _ => "software",
        };
        let id = dataset.object(object).attack_id().unwrap_or_default();
        self.heatmap(&used, (!id.is_empty()).then(|| format!("{kind}:{id}")));
        self.techniques_used(object, &used);
        if let Some(relation) = groups {
            let list = dataset.related(relation, object);
            self.list_table("Groups", &list);
        }
        if let Some(relation) = software {
            let list = dataset.related(relation, object);
            self.list_table("Software", &list);
        }
        if let Some(relation) = campaigns {
            let list = dataset.related(relation, object);
            self.list_table("Campaigns", &list);
        }
    }

    /// The techniques an actor uses, each with how (its own relationship's text, or the
    /// campaign it comes through).
    fn techniques_used(&mut self, actor: ObjId, used: &[ObjId]) {
        if used.is_empty() {
            return;
        }
        let dataset = self.linker.dataset();
        let mut table = Table::new("Techniques Used", &["ID", "Name", "Use"]);
        let campaigns = dataset.related(Relation::CampaignsAttributedToGroup, actor);
        for &t in used {
            let link = Link::to(self.linker, t);
            let direct: Vec<ObjId> = dataset
                .outgoing(actor)
                .filter(|l| l.kind == RelKind::Uses && l.target == t)
                .filter(|l| dataset.is_live(l.relationship))
                .map(|l| l.relationship)
                .collect();
            let mut html = String::new();
            for r in &direct {
                html.push_str(&self.relationship_text(*r));
            }
            let via: Vec<String> = campaigns
                .iter()
                .filter(|&&c| {
                    dataset
                        .outgoing(c)
                        .any(|l| l.kind == RelKind::Uses && l.target == t)
                })
                .map(|&c| dataset.display_id(c).to_string())
                .collect();
            if direct.is_empty() && !via.is_empty() {
                html.push_str(&format!(
                    "<p class=\"via\">via {}</p>",
                    markdown::escape(&via.join(", "))
                ));
            }
            table.rows.push(described_row(link, html));
        }
        table.note = Some(count_note(used.len()));
        self.page.tables.push(table);
    }

    fn mitigation(&mut self, object: ObjId) {
        let used = self
            .dataset()
            .related(Relation::TechniquesMitigatedByMitigation, object);
        let id = self
            .dataset()
            .object(object)
            .attack_id()
            .unwrap_or_default()
            .to_string();
        self.heatmap(&used, (!id.is_empty()).then(|| format!("mitigation:{id}")));
        self.usage_table(
            "Techniques Addressed by Mitigation",
            object,
            RelKind::Mitigates,
            true,
        );
    }

    fn data_source(&mut self, object: ObjId) {
        let dataset = self.linker.dataset();
        let stix_id = dataset.stix_id(object).to_string();
        let mut components: Vec<ObjId> = dataset
            .objects_of(&[ObjectType::DataComponent])
            .into_iter()
            .filter(|&c| dataset.object(c).data_source_ref.as_deref() == Some(stix_id.as_str()))
            .filter(|&c| dataset.is_live(c))
            .collect();
        components.sort_by(|&a, &b| dataset.display_id(a).cmp(dataset.display_id(b)));
        self.list_table("Data Components", &components);
    }

    fn data_component(&mut self, object: ObjId) {
        let dataset = self.linker.dataset();
        let seen = techniques_seen_by(dataset, object);
        let id = dataset
            .object(object)
            .attack_id()
            .unwrap_or_default()
            .to_string();
        self.heatmap(
            &seen,
            (!id.is_empty()).then(|| format!("datacomponent:{id}")),
        );
        let log_sources = &dataset.object(object).log_sources;
        if !log_sources.is_empty() {
            let mut table = Table::new("Log Sources", &["Name", "Channel"]);
            for source in log_sources {
                table.rows.push(vec![
                    Cell::text(source.name.to_string()),
                    Cell::text(source.channel.as_deref().unwrap_or_default().to_string()),
                ]);
            }
            self.page.tables.push(table);
        }
        let analytics = dataset.related(Relation::AnalyticsUsingDatacomponent, object);
        let mut table = Table::new("Analytics Using It", &["ID", "Name", "Platforms"]);
        for a in &analytics {
            let link = Link::to(self.linker, *a);
            table.rows.push(vec![
                Cell::link(link.id.clone(), link.href.clone()),
                Cell::link(link.name, link.href),
                Cell::text(
                    dataset
                        .object(*a)
                        .platforms
                        .iter()
                        .map(|p| p.to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
            ]);
        }
        if !table.rows.is_empty() {
            table.note = Some(count_note(table.rows.len()));
            self.page.tables.push(table);
        }
        let mut techniques = Table::new("Techniques Seen", &["ID", "Name"]);
        techniques.note = Some(format!(
            "{} techniques and sub-techniques this component lets you see{}",
            seen.len(),
            if analytics.is_empty() {
                " (through detects relationships)"
            } else {
                " (through analytics and detection strategies)"
            }
        ));
        for &t in &seen {
            let link = Link::to(self.linker, t);
            techniques.rows.push(vec![
                Cell::link(link.id.clone(), link.href.clone()),
                Cell::link(link.name, link.href),
            ]);
        }
        if !seen.is_empty() {
            self.page.tables.push(techniques);
        }
    }

    fn strategy(&mut self, object: ObjId) {
        let dataset = self.linker.dataset();
        let detected = dataset.related(Relation::TechniquesDetectedByDetectionStrategy, object);
        self.list_table("Techniques Detected", &detected);
        self.page.strategies_title = "Analytics".to_string();
        let view = self.strategy_view(object);
        self.page.strategies.push(view);
    }

    fn analytic(&mut self, object: ObjId) {
        let dataset = self.linker.dataset();
        let stix_id = dataset.stix_id(object).to_string();
        let strategies: Vec<ObjId> = dataset
            .objects_of(&[ObjectType::DetectionStrategy])
            .into_iter()
            .filter(|&s| {
                dataset
                    .object(s)
                    .analytic_refs
                    .iter()
                    .any(|r| **r == *stix_id)
            })
            .collect();
        self.list_table("Detection Strategies", &strategies);
        let view = self.analytic_view(object);
        self.page.strategies_title = "Log Sources".to_string();
        self.page.strategies.push(StrategyView {
            link: Link::to(self.linker, object),
            analytics: vec![view],
        });
    }

    fn asset(&mut self, object: ObjId) {
        let dataset = self.linker.dataset();
        let targeted = dataset.related(Relation::TechniquesTargetingAsset, object);
        self.list_table("Techniques", &targeted);
    }
}

/// The techniques a data component lets you see: through analytics and the detection
/// strategies that reference them (18.x), else through `detects` relationships.
pub fn techniques_seen_by(dataset: &Dataset, component: ObjId) -> Vec<ObjId> {
    dataset.related(Relation::TechniquesSeenByDatacomponent, component)
}

/// A table row: the object's ID and name, linked, and a sanitised text about it.
fn described_row(link: Link, html: String) -> Vec<Cell> {
    vec![
        Cell::link(link.id.clone(), link.href.clone()),
        Cell::link(link.name, link.href),
        Cell::html(html),
    ]
}

fn count_note(n: usize) -> String {
    format!("{n} in all")
}

fn banners(linker: &Linker<'_>, object: ObjId) -> Vec<Banner> {
    let dataset = linker.dataset();
    let stix = dataset.object(object);
    let mut out = Vec::new();
    if stix.revoked {
        match dataset.revoking_object(object) {
            Some(by) => out.push(Banner {
                class: "revoked",
                text: "This object was revoked. It is replaced by".to_string(),
                link: Some(Link::to(linker, by)),
            }),
            None => out.push(Banner {
                class: "revoked",
                text: "This object was revoked.".to_string(),
                link: None,
            }),
        }
    }
    if stix.deprecated {
        out.push(Banner {
            class: "deprecated",
            text: "This object is deprecated: ATT&CK no longer maintains it.".to_string(),
            link: None,
        });
    }
    out
}

/// The same object (same STIX ID) in the other loaded domains and releases.
fn elsewhere(linker: &Linker<'_>, object: ObjId) -> Vec<Link> {
    let kb = linker.kb();
    let stix_id = linker.dataset().stix_id(object);
    let mut out = Vec::new();
    for dataset in kb.datasets() {
        if std::ptr::eq(dataset, linker.dataset()) {
            continue;
        }
        if let Some(other) = dataset.by_stix_id(stix_id) {
            let other_linker = Linker::new(kb, dataset);
            out.push(Link::plain(
                format!("{} {}", dataset.domain().title(), dataset.release()),
                other_linker.href(other),
            ));
        }
    }
    out
}

fn facts(linker: &Linker<'_>, object: ObjId, details: &ObjectDetails) -> Vec<Fact> {
    let dataset = linker.dataset();
    let stix = dataset.object(object);
    let mut facts = Vec::new();
    let mut push = |label: &str, values: Vec<Link>| {
        if !values.is_empty() {
            facts.push(Fact {
                label: label.to_string(),
                values,
            });
        }
    };
    let texts = |list: &[Box<str>]| -> Vec<Link> {
        list.iter()
            .map(|s| Link::plain(s.to_string(), None))
            .collect()
    };
    push(
        "ID",
        vec![Link::plain(
            stix.attack_id().unwrap_or_default().to_string(),
            None,
        )],
    );
    if stix.kind == ObjectType::AttackPattern {
        if let Some(parent) = dataset
            .related(Relation::ParentTechniqueOfSubtechnique, object)
            .first()
        {
            let link = Link::to(linker, *parent);
            push(
                "Sub-technique of",
                vec![Link::plain(format!("{} {}", link.id, link.name), link.href)],
            );
        }
        let tactics = dataset
            .tactics_of_technique(object)
            .into_iter()
            .map(|t| Link::to(linker, t))
            .collect();
        push("Tactics", tactics);
    }
    let alias_label = match stix.kind {
        ObjectType::IntrusionSet => "Associated Groups",
        ObjectType::Campaign => "Associated Campaigns",
        _ => "Associated Software",
    };
    let aliases: Vec<Box<str>> = stix
        .aliases
        .iter()
        .filter(|a| Some(&***a) != stix.name.as_deref())
        .cloned()
        .collect();
    push(alias_label, texts(&aliases));
    if matches!(stix.kind, ObjectType::Malware | ObjectType::Tool) {
        push(
            "Type",
            vec![Link::plain(stix.kind.as_str().to_uppercase(), None)],
        );
    }
    push("Platforms", texts(&stix.platforms));
    if let Some(source) = stix
        .data_source_ref
        .as_deref()
        .and_then(|r| dataset.by_stix_id(r))
    {
        push("Data Source", vec![Link::to(linker, source)]);
    }
    for (label, value) in [
        ("First Seen", &stix.first_seen),
        ("Last Seen", &stix.last_seen),
    ] {
        if let Some(v) = value {
            push(
                label,
                vec![Link::plain(v.get(..10).unwrap_or(v).to_string(), None)],
            );
        }
    }
    push("Sectors", texts(&stix.sectors));
    let lists = |list: &Option<Vec<String>>| -> Vec<Link> {
        list.iter()
            .flatten()
            .map(|s| Link::plain(s.clone(), None))
            .collect()
    };
    push("Permissions Required", lists(&details.permissions_required));
    push(
        "Effective Permissions",
        lists(&details.effective_permissions),
    );
    push("Defense Bypassed", lists(&details.defense_bypassed));
    push("System Requirements", lists(&details.system_requirements));
    push("Impact Type", lists(&details.impact_type));
    if let Some(remote) = details.remote_support {
        push(
            "Supports Remote",
            vec![Link::plain(if remote { "Yes" } else { "No" }, None)],
        );
    }
    push("Data Sources", lists(&details.data_sources));
    push("Collection Layers", lists(&details.collection_layers));
    push("Tactic Type", lists(&details.tactic_type));
    push("Contributors", texts(&stix.contributors));
    if let Some(version) = &stix.version {
        push("Version", vec![Link::plain(version.to_string(), None)]);
    }
    for (label, value) in [
        ("Created", &stix.created),
        ("Last Modified", &stix.modified),
    ] {
        if let Some(v) = value {
            push(
                label,
                vec![Link::plain(v.get(..10).unwrap_or(v).to_string(), None)],
            );
        }
    }
    let domains: Vec<Link> = stix
        .domains
        .iter()
        .filter_map(|d| Domain::parse(d))
        .map(|d| Link::plain(d.title(), None))
        .collect();
    push("Domains", domains);
    facts
}

/// The object a website path names in one of `datasets` (in order), preferring the domain
/// `wanted` when given: (dataset, object).
pub fn find<'k>(
    kb: &'k attackdb_kb::Kb,
    version: Option<&str>,
    section: &str,
    id: &str,
    wanted: Option<Domain>,
) -> Result<(&'k Dataset, ObjId), crate::WebError> {
    let types = crate::site::section_types(section);
    if let Some(found) = first_holding(kb, version, wanted, |d| d.by_attack_id_typed(id, types))? {
        return Ok(found);
    }
    Err(crate::WebError::NotFound(format!(
        "{id}: no {} has this ID in the loaded releases{}",
        section.trim_end_matches('s'),
        version.map(|v| format!(" of v{v}")).unwrap_or_default()
    )))
}

/// The object with STIX ID `id` in the datasets of `version` (preferring `wanted`).
pub fn find_stix<'k>(
    kb: &'k attackdb_kb::Kb,
    version: Option<&str>,
    id: &str,
    wanted: Option<Domain>,
) -> Result<(&'k Dataset, ObjId), crate::WebError> {
    let has_page = |d: &Dataset| {
        d.by_stix_id(id)
            .filter(|&o| crate::site::section_of(&d.object(o).kind).is_some())
    };
    if let Some(found) = first_holding(kb, version, wanted, has_page)? {
        return Ok(found);
    }
    Err(crate::WebError::NotFound(format!(
        "{id}: no object with this STIX ID has a page in the loaded releases{}",
        version.map(|v| format!(" of v{v}")).unwrap_or_default()
    )))
}

/// The datasets a website version path shows (`/versions/v17/` is the newest 17.x of each
/// domain), one per domain, as the questions' [`attackdb_ask::Library`].
struct Versioned<'k> {
    datasets: Vec<&'k Dataset>,
}

impl attackdb_ask::Library for Versioned<'_> {
    fn dataset(
        &self,
        domain: Domain,
        _release: Option<&attackdb_kb::Release>,
    ) -> attackdb_ask::Result<&Dataset> {
        self.datasets
            .iter()
            .copied()
            .find(|d| d.domain() == domain)
            .ok_or_else(|| {
                attackdb_ask::Error::new(
                    attackdb_ask::Kind::NotFound,
                    "unknown_release",
                    format!("no {domain} release of this version is loaded"),
                )
            })
    }
}

/// The dataset of `version` where `pick` finds the object: the `wanted` domain only when one is
/// named, else by the one cross-domain rule (`attackdb_ask::locate`: enterprise, then mobile,
/// then ICS).
fn first_holding<'k>(
    kb: &'k attackdb_kb::Kb,
    version: Option<&str>,
    wanted: Option<Domain>,
    pick: impl Fn(&Dataset) -> Option<ObjId>,
) -> Result<Option<(&'k Dataset, ObjId)>, crate::WebError> {
    let versioned = Versioned {
        datasets: crate::site::datasets_for(kb, version)?,
    };
    let scope = attackdb_ask::Checked {
        domain: wanted,
        release: None,
    };
    let not_here = || attackdb_kb::Error::NotFound {
        query: String::new(),
        suggestions: Vec::new(),
    };
    match attackdb_ask::locate(&versioned, &scope, "", |d, _| pick(d).ok_or_else(not_here)) {
        // The dataset found, as the one of `kb` it is.
        Ok(found) => Ok(versioned
            .datasets
            .iter()
            .copied()
            .find(|d| std::ptr::eq(*d, found.answer.dataset))
            .map(|d| (d, found.answer.id))),
        Err(error) if error.code == "not_found" => Ok(None),
        Err(error) => Err(crate::WebError::NotFound(error.message)),
    }
}
