//! `profile`: everything ATT&CK says about one group, campaign or software, arranged for a
//! threat-intelligence reader: techniques by tactic with where each comes from and the procedure
//! examples, software and campaigns, and the mitigations, detection strategies and data
//! components ranked by how many of its techniques they address.

use std::collections::BTreeMap;

use attackdb_kb::{Concept, Dataset, ObjId, RelKind, Relation};
use attackdb_navigator::{Extra, Gradient, Layer, LegendItem, LinkItem, MetadataItem, Technique};
use serde::Serialize;

use crate::common::{
    base_layer, clean_text, html, md_cell, url, ObjectSummary, TacticOrder, HTML_STYLE,
};
use crate::corpus::technique_family;
use crate::resolve::{kind_name, resolve, ACTOR_KINDS};
use crate::Result;

/// Options of [`profile`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileOptions {
    /// Also list the techniques of the object's software (`via` names the software). Without
    /// it, the techniques are exactly the object's relation family.
    pub with_software: bool,
}

/// The profile of a group, campaign or software.
#[derive(Debug, Clone, Serialize)]
pub struct Profile {
    /// ATT&CK ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// `group`, `campaign` or `software`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Aliases (the object's own name left out).
    pub aliases: Vec<String>,
    /// `enterprise-attack` etc.
    pub domain: String,
    /// The release, e.g. `18.1`.
    pub release: String,
    /// The description, as one line without citations.
    pub description: String,
    /// The ATT&CK page.
    pub url: Option<String>,
    /// First seen (campaigns).
    pub first_seen: Option<String>,
    /// Last seen (campaigns).
    pub last_seen: Option<String>,
    /// Techniques, in matrix order of their first tactic, then by ID.
    pub techniques: Vec<ProfileTechnique>,
    /// The same techniques grouped by tactic, tactics in matrix order.
    pub tactics: Vec<TacticTechniques>,
    /// Software it uses (groups, campaigns).
    pub software: Vec<ProfileSoftware>,
    /// Campaigns: attributed to the group, or using the software.
    pub campaigns: Vec<ProfileCampaign>,
    /// Groups: the campaign's attributed groups, or those using the software.
    pub groups: Vec<ObjectSummary>,
    /// Mitigations, most techniques addressed first.
    pub mitigations: Vec<Addressing>,
    /// Detection strategies (ATT&CK 18+), most techniques detected first.
    pub detection_strategies: Vec<Addressing>,
    /// Data components (through detection strategies and analytics, and `detects`), ranked
    /// the same way.
    pub data_components: Vec<Addressing>,
}

/// One technique of a profile.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileTechnique {
    /// ATT&CK ID.
    pub id: String,
    /// Name (a sub-technique's with its parent's: `Command and Scripting Interpreter: PowerShell`).
    pub name: String,
    /// Tactic shortnames, in matrix order.
    pub tactics: Vec<String>,
    /// Where it comes from: `direct`, or the ATT&CK ID of a campaign or software.
    pub via: Vec<String>,
    /// The procedure examples: what each source did.
    pub procedures: Vec<Procedure>,
}

/// One procedure example.
#[derive(Debug, Clone, Serialize)]
pub struct Procedure {
    /// ATT&CK ID of the object the relationship is from.
    pub source: String,
    /// The relationship's description (as in ATT&CK, citations included).
    pub description: String,
}

/// The techniques of one tactic.
#[derive(Debug, Clone, Serialize)]
pub struct TacticTechniques {
    /// ATT&CK ID of the tactic.
    pub id: String,
    /// Its shortname.
    pub shortname: String,
    /// Its name.
    pub name: String,
    /// ATT&CK IDs of the techniques, sorted.
    pub techniques: Vec<String>,
}

/// A piece of software in a profile.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileSoftware {
    /// ATT&CK ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// `malware` or `tool`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `direct`, or the campaigns through which the group uses it.
    pub via: Vec<String>,
    /// How many techniques the software uses.
    pub technique_count: usize,
}

/// A campaign in a profile.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileCampaign {
    /// ATT&CK ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// `first_seen`.
    pub first_seen: Option<String>,
    /// `last_seen`.
    pub last_seen: Option<String>,
}

/// A mitigation, detection strategy or data component and the profile's techniques it addresses.
#[derive(Debug, Clone, Serialize)]
pub struct Addressing {
    /// ATT&CK ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// How many of the techniques.
    pub count: usize,
    /// Which, sorted.
    pub techniques: Vec<String>,
}

/// A technique's name as the website shows it (`Parent: Sub` for sub-techniques).
pub(crate) fn technique_name(dataset: &Dataset, technique: ObjId) -> String {
    let name = dataset.display_name(technique);
    if dataset.concept(technique) == Some(Concept::Subtechnique) {
        if let Some(&parent) = dataset
            .related(Relation::ParentTechniqueOfSubtechnique, technique)
            .first()
        {
            return format!("{}: {name}", dataset.display_name(parent));
        }
    }
    name.to_string()
}

/// The live `uses` relationships from `source` to `technique`.
pub(crate) fn uses_links(dataset: &Dataset, source: ObjId, technique: ObjId) -> Vec<ObjId> {
    dataset
        .outgoing(source)
        .filter(|l| {
            l.kind == RelKind::Uses && l.target == technique && dataset.is_live(l.relationship)
        })
        .map(|l| l.relationship)
        .collect()
}

/// The technique sets an actor's techniques come through: itself (`direct`), its campaigns,
/// and (when asked) its software, each with its technique list.
pub(crate) struct Sources {
    /// (`direct` or campaign/software object, techniques through it).
    pub sources: Vec<(Option<ObjId>, Vec<ObjId>)>,
    /// The actor's relation family.
    pub family: Vec<ObjId>,
}

pub(crate) fn sources(dataset: &Dataset, actor: ObjId, with_software: bool) -> Sources {
    let kind = dataset.concept(actor);
    let family = kind
        .and_then(technique_family)
        .map(|f| dataset.related(f, actor))
        .unwrap_or_default();
    let direct: Vec<ObjId> = family
        .iter()
        .copied()
        .filter(|&t| !uses_links(dataset, actor, t).is_empty())
        .collect();
    let mut sources = vec![(None, direct)];
    if kind == Some(Concept::Group) {
        for campaign in dataset.related(Relation::CampaignsAttributedToGroup, actor) {
            let techniques = dataset.related(Relation::TechniquesUsedByCampaign, campaign);
            sources.push((Some(campaign), techniques));
        }
    }
    if with_software {
        let software_family = match kind {
            Some(Concept::Group) => Some(Relation::SoftwareUsedByGroup),
            Some(Concept::Campaign) => Some(Relation::SoftwareUsedByCampaign),
            _ => None,
        };
        if let Some(software_family) = software_family {
            for software in dataset.related(software_family, actor) {
                let techniques = dataset.related(Relation::TechniquesUsedBySoftware, software);
                sources.push((Some(software), techniques));
            }
        }
    }
    Sources { sources, family }
}

/// Every technique of `actor` (its relation family; with `with_software`, also its software's),
/// each with what it comes through: `None` for the actor itself, else a campaign or software.
pub(crate) fn technique_via(
    dataset: &Dataset,
    actor: ObjId,
    with_software: bool,
) -> BTreeMap<ObjId, Vec<Option<ObjId>>> {
    let Sources { sources, family } = sources(dataset, actor, with_software);
    let mut via: BTreeMap<ObjId, Vec<Option<ObjId>>> =
        family.iter().map(|&t| (t, Vec::new())).collect();
    for (source, techniques) in &sources {
        for &technique in techniques {
            if source.is_some_and(|s| dataset.concept(s) == Some(Concept::Software))
                || via.contains_key(&technique)
            {
                via.entry(technique).or_default().push(*source);
            }
        }
    }
    via
}

/// The `via` names (`direct`, campaign and software IDs) and procedure examples of `technique`
/// for `actor`, from what it comes through.
pub(crate) fn evidence(
    dataset: &Dataset,
    actor: ObjId,
    technique: ObjId,
    through: &[Option<ObjId>],
) -> (Vec<String>, Vec<Procedure>) {
    let mut procedures = Vec::new();
    let mut via_names = Vec::new();
    for source in through {
        let from = source.unwrap_or(actor);
        via_names.push(match source {
            None => "direct".to_string(),
            Some(s) => dataset.display_id(*s).to_string(),
        });
        for link in uses_links(dataset, from, technique) {
            let description = dataset
                .object(link)
                .description
                .as_deref()
                .unwrap_or("")
                .trim()
                .to_string();
            if !description.is_empty() {
                procedures.push(Procedure {
                    source: dataset.display_id(from).to_string(),
                    description,
                });
            }
        }
    }
    if via_names.is_empty() {
        via_names.push("direct".to_string());
    }
    (via_names, procedures)
}

/// The profile of the group, campaign or software `reference` names.
pub fn profile(dataset: &Dataset, reference: &str, options: &ProfileOptions) -> Result<Profile> {
    let actor = resolve(dataset, reference, &ACTOR_KINDS)?;
    Ok(profile_of(dataset, actor, options))
}

/// The profile of `actor` (a live group, campaign or software).
pub fn profile_of(dataset: &Dataset, actor: ObjId, options: &ProfileOptions) -> Profile {
    let object = dataset.object(actor);
    let order = TacticOrder::of(dataset);
    let via = technique_via(dataset, actor, options.with_software);
    let mut techniques: Vec<(Vec<usize>, ProfileTechnique, ObjId)> = via
        .into_iter()
        .map(|(technique, through)| {
            let (via_names, procedures) = evidence(dataset, actor, technique, &through);
            let positions = order.positions(dataset, technique);
            let entry = ProfileTechnique {
                id: dataset.display_id(technique).to_string(),
                name: technique_name(dataset, technique),
                tactics: positions
                    .iter()
                    .map(|&p| order.tactics[p].shortname.clone())
                    .collect(),
                via: via_names,
                procedures,
            };
            (positions, entry, technique)
        })
        .collect();
    techniques.sort_by(|a, b| {
        let first = |p: &[usize]| p.first().copied().unwrap_or(usize::MAX);
        first(&a.0)
            .cmp(&first(&b.0))
            .then_with(|| a.1.id.cmp(&b.1.id))
    });
    let tactics = order
        .tactics
        .iter()
        .enumerate()
        .filter_map(|(position, tactic)| {
            let mut ids: Vec<String> = techniques
                .iter()
                .filter(|(p, _, _)| p.contains(&position))
                .map(|(_, t, _)| t.id.clone())
                .collect();
            ids.sort();
            (!ids.is_empty()).then(|| TacticTechniques {
                id: dataset.display_id(tactic.object).to_string(),
                shortname: tactic.shortname.clone(),
                name: dataset.display_name(tactic.object).to_string(),
                techniques: ids,
            })
        })
        .collect();
    let objects: Vec<ObjId> = techniques.iter().map(|(_, _, t)| *t).collect();
    let mitigations = rank(dataset, &objects, |t| {
        dataset.related(Relation::MitigationsMitigatingTechnique, t)
    });
    let detection_strategies = rank(dataset, &objects, |t| {
        dataset.related(Relation::DetectionStrategiesDetectingTechnique, t)
    });
    let data_components = rank(dataset, &objects, |t| {
        let mut found = dataset.datacomponents_via_strategies(t);
        found.extend(dataset.related(Relation::DatacomponentsDetectingTechnique, t));
        found.sort_unstable();
        found.dedup();
        found
    });
    let (software, campaigns, groups) = relatives(dataset, actor);
    let own_name = object.name.as_deref().unwrap_or("");
    Profile {
        id: dataset.display_id(actor).to_string(),
        name: dataset.display_name(actor).to_string(),
        kind: kind_name(dataset, actor).to_string(),
        aliases: object
            .aliases
            .iter()
            .filter(|a| !a.eq_ignore_ascii_case(own_name))
            .map(|a| a.to_string())
            .collect(),
        domain: dataset.domain().to_string(),
        release: dataset.release().to_string(),
        description: clean_text(object.description.as_deref().unwrap_or("")),
        url: url(dataset, actor),
        first_seen: object.first_seen.as_deref().map(str::to_string),
        last_seen: object.last_seen.as_deref().map(str::to_string),
        techniques: techniques.into_iter().map(|(_, t, _)| t).collect(),
        tactics,
        software,
        campaigns,
        groups,
        mitigations,
        detection_strategies,
        data_components,
    }
}

fn campaign_entry(dataset: &Dataset, campaign: ObjId) -> ProfileCampaign {
    let object = dataset.object(campaign);
    ProfileCampaign {
        id: dataset.display_id(campaign).to_string(),
        name: dataset.display_name(campaign).to_string(),
        first_seen: object.first_seen.as_deref().map(str::to_string),
        last_seen: object.last_seen.as_deref().map(str::to_string),
    }
}

type Relatives = (
    Vec<ProfileSoftware>,
    Vec<ProfileCampaign>,
    Vec<ObjectSummary>,
);

fn relatives(dataset: &Dataset, actor: ObjId) -> Relatives {
    let summaries = |list: Vec<ObjId>| -> Vec<ObjectSummary> {
        list.into_iter()
            .map(|o| ObjectSummary::of(dataset, o))
            .collect()
    };
    match dataset.concept(actor) {
        Some(Concept::Group) => {
            let campaigns = dataset.related(Relation::CampaignsAttributedToGroup, actor);
            let software = dataset
                .related(Relation::SoftwareUsedByGroup, actor)
                .into_iter()
                .map(|s| {
                    let mut via = Vec::new();
                    if dataset.outgoing(actor).any(|l| {
                        l.kind == RelKind::Uses && l.target == s && dataset.is_live(l.relationship)
                    }) {
                        via.push("direct".to_string());
                    }
                    for &c in &campaigns {
                        if dataset
                            .related(Relation::SoftwareUsedByCampaign, c)
                            .contains(&s)
                        {
                            via.push(dataset.display_id(c).to_string());
                        }
                    }
                    software_entry(dataset, s, via)
                })
                .collect();
            let campaigns = campaigns
                .into_iter()
                .map(|c| campaign_entry(dataset, c))
                .collect();
            (software, campaigns, Vec::new())
        }
        Some(Concept::Campaign) => {
            let software = dataset
                .related(Relation::SoftwareUsedByCampaign, actor)
                .into_iter()
                .map(|s| software_entry(dataset, s, vec!["direct".to_string()]))
                .collect();
            let groups = summaries(dataset.related(Relation::GroupsAttributingToCampaign, actor));
            (software, Vec::new(), groups)
        }
        _ => {
            let campaigns = dataset
                .related(Relation::CampaignsUsingSoftware, actor)
                .into_iter()
                .map(|c| campaign_entry(dataset, c))
                .collect();
            let groups = summaries(dataset.related(Relation::GroupsUsingSoftware, actor));
            (Vec::new(), campaigns, groups)
        }
    }
}

fn software_entry(dataset: &Dataset, software: ObjId, via: Vec<String>) -> ProfileSoftware {
    ProfileSoftware {
        id: dataset.display_id(software).to_string(),
        name: dataset.display_name(software).to_string(),
        kind: dataset.object(software).kind.as_str().to_string(),
        via,
        technique_count: dataset
            .related(Relation::TechniquesUsedBySoftware, software)
            .len(),
    }
}

/// The objects `related` gives for the techniques, each with the techniques it addresses,
/// most first, then by ID.
fn rank(
    dataset: &Dataset,
    techniques: &[ObjId],
    related: impl Fn(ObjId) -> Vec<ObjId>,
) -> Vec<Addressing> {
    let mut by: BTreeMap<ObjId, Vec<String>> = BTreeMap::new();
    for &technique in techniques {
        for other in related(technique) {
            by.entry(other)
                .or_default()
                .push(dataset.display_id(technique).to_string());
        }
    }
    let mut ranked: Vec<Addressing> = by
        .into_iter()
        .map(|(object, mut techniques)| {
            techniques.sort();
            techniques.dedup();
            Addressing {
                id: dataset.display_id(object).to_string(),
                name: dataset.display_name(object).to_string(),
                count: techniques.len(),
                techniques,
            }
        })
        .collect();
    ranked.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.id.cmp(&b.id)));
    ranked
}

impl Profile {
    /// The profile as a Navigator layer: every technique scored 1, `via` and the procedure
    /// examples in the comment, a link to the object's page.
    pub fn to_layer(&self, dataset: &Dataset) -> Layer {
        let mut layer = base_layer(
            dataset,
            &format!("{} ({})", self.name, self.id),
            format!(
                "Techniques of ATT&CK {} {} {} ({} {})",
                self.kind, self.id, self.name, self.domain, self.release
            ),
        );
        let link = self
            .url
            .as_deref()
            .map(|u| LinkItem::link(&format!("{} {}", self.id, self.name), u));
        for technique in &self.techniques {
            let mut annotation = Technique::new(&technique.id);
            annotation.score = Some(1.0);
            let mut lines = vec![format!("via {}", technique.via.join(", "))];
            lines.extend(
                technique
                    .procedures
                    .iter()
                    .map(|p| format!("[{}] {}", p.source, p.description)),
            );
            annotation.comment = Some(lines.join("\n\n"));
            annotation.links.extend(link.clone());
            layer.techniques.push(annotation);
        }
        layer.gradient = Some(Gradient {
            colors: vec!["#ffffff".to_string(), "#66b1ff".to_string()],
            min_value: 0.0,
            max_value: 1.0,
            extra: Extra::new(),
        });
        layer.legend_items = vec![LegendItem {
            label: format!("used by {}", self.name),
            color: "#66b1ff".to_string(),
            extra: Extra::new(),
        }];
        layer.metadata.push(MetadataItem::entry(
            &self.kind,
            &format!("{} {}", self.id, self.name),
        ));
        layer
    }

    fn technique(&self, id: &str) -> Option<&ProfileTechnique> {
        self.techniques.iter().find(|t| t.id == id)
    }

    /// The profile as Markdown, for reading.
    pub fn to_markdown(&self) -> String {
        let mut out = format!("# {} ({})\n\n", self.name, self.id);
        out.push_str(&format!(
            "ATT&CK {} · {} {}",
            self.kind, self.domain, self.release
        ));
        if let Some(url) = &self.url {
            out.push_str(&format!(" · <{url}>"));
        }
        out.push_str("\n\n");
        if !self.aliases.is_empty() {
            out.push_str(&format!("**Aliases:** {}\n\n", self.aliases.join(", ")));
        }
        if self.first_seen.is_some() || self.last_seen.is_some() {
            out.push_str(&format!(
                "**Seen:** {} to {}\n\n",
                date(self.first_seen.as_deref()),
                date(self.last_seen.as_deref())
            ));
        }
        if !self.description.is_empty() {
            out.push_str(&format!("{}\n\n", self.description));
        }
        out.push_str(&format!(
            "## Techniques by tactic ({} techniques)\n\n",
            self.techniques.len()
        ));
        if self.techniques.is_empty() {
            out.push_str("ATT&CK lists no technique.\n\n");
        }
        for tactic in &self.tactics {
            out.push_str(&format!("### {} ({})\n\n", tactic.name, tactic.id));
            for id in &tactic.techniques {
                let Some(technique) = self.technique(id) else {
                    continue;
                };
                out.push_str(&format!(
                    "- **{}** {} (via {})\n",
                    technique.id,
                    technique.name,
                    technique.via.join(", ")
                ));
                for procedure in &technique.procedures {
                    out.push_str(&format!(
                        "  - {}: {}\n",
                        procedure.source,
                        clean_text(&procedure.description)
                    ));
                }
            }
            out.push('\n');
        }
        if !self.software.is_empty() {
            out.push_str(&format!("## Software ({})\n\n", self.software.len()));
            out.push_str("| ID | Name | Type | Via | Techniques |\n|---|---|---|---|---|\n");
            for s in &self.software {
                out.push_str(&format!(
                    "| {} | {} | {} | {} | {} |\n",
                    s.id,
                    md_cell(&s.name),
                    s.kind,
                    s.via.join(", "),
                    s.technique_count
                ));
            }
            out.push('\n');
        }
        if !self.campaigns.is_empty() {
            out.push_str(&format!("## Campaigns ({})\n\n", self.campaigns.len()));
            out.push_str("| ID | Name | First seen | Last seen |\n|---|---|---|---|\n");
            for c in &self.campaigns {
                out.push_str(&format!(
                    "| {} | {} | {} | {} |\n",
                    c.id,
                    md_cell(&c.name),
                    date(c.first_seen.as_deref()),
                    date(c.last_seen.as_deref())
                ));
            }
            out.push('\n');
        }
        if !self.groups.is_empty() {
            out.push_str(&format!("## Groups ({})\n\n", self.groups.len()));
            for g in &self.groups {
                out.push_str(&format!("- {} {}\n", g.id, g.name));
            }
            out.push('\n');
        }
        let total = self.techniques.len();
        for (title, list) in [
            ("Mitigations", &self.mitigations),
            ("Detection strategies", &self.detection_strategies),
            ("Data components", &self.data_components),
        ] {
            if list.is_empty() {
                continue;
            }
            out.push_str(&format!(
                "## {title} (ranked by how many of the {total} techniques they address)\n\n"
            ));
            out.push_str("| # | ID | Name | Techniques | Which |\n|---|---|---|---|---|\n");
            for (i, a) in list.iter().enumerate() {
                out.push_str(&format!(
                    "| {} | {} | {} | {} | {} |\n",
                    i + 1,
                    a.id,
                    md_cell(&a.name),
                    a.count,
                    a.techniques.join(", ")
                ));
            }
            out.push('\n');
        }
        out
    }

    /// The profile as one self-contained HTML page (no script, no external resources).
    pub fn to_html(&self) -> String {
        let mut out =
            String::from("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        out.push_str(&format!(
            "<title>{} ({})</title><style>{HTML_STYLE}</style></head><body>\n",
            html(&self.name),
            html(&self.id)
        ));
        out.push_str(&format!(
            "<h1>{} ({})</h1>\n<p class=\"muted\">ATT&amp;CK {} · {} {}",
            html(&self.name),
            html(&self.id),
            html(&self.kind),
            html(&self.domain),
            html(&self.release)
        ));
        if let Some(url) = &self.url {
            out.push_str(&format!(" · <a href=\"{0}\">{0}</a>", html(url)));
        }
        out.push_str("</p>\n");
        if !self.aliases.is_empty() {
            out.push_str(&format!(
                "<p><strong>Aliases:</strong> {}</p>\n",
                html(&self.aliases.join(", "))
            ));
        }
        if self.first_seen.is_some() || self.last_seen.is_some() {
            out.push_str(&format!(
                "<p><strong>Seen:</strong> {} to {}</p>\n",
                html(&date(self.first_seen.as_deref())),
                html(&date(self.last_seen.as_deref()))
            ));
        }
        if !self.description.is_empty() {
            out.push_str(&format!("<p>{}</p>\n", html(&self.description)));
        }
        out.push_str(&format!(
            "<h2>Techniques by tactic ({} techniques)</h2>\n",
            self.techniques.len()
        ));
        for tactic in &self.tactics {
            out.push_str(&format!(
                "<h3>{} ({})</h3>\n<table><tr><th>ID</th><th>Technique</th><th>Via</th><th>Procedure examples</th></tr>\n",
                html(&tactic.name),
                html(&tactic.id)
            ));
            for id in &tactic.techniques {
                let Some(t) = self.technique(id) else {
                    continue;
                };
                let procedures: Vec<String> = t
                    .procedures
                    .iter()
                    .map(|p| {
                        format!(
                            "<blockquote><strong>{}</strong>: {}</blockquote>",
                            html(&p.source),
                            html(&clean_text(&p.description))
                        )
                    })
                    .collect();
                out.push_str(&format!(
                    "<tr><td>{}</td><td>{}</td><td class=\"via\">{}</td><td>{}</td></tr>\n",
                    html(&t.id),
                    html(&t.name),
                    html(&t.via.join(", ")),
                    procedures.join("")
                ));
            }
            out.push_str("</table>\n");
        }
        if !self.software.is_empty() {
            out.push_str("<h2>Software</h2>\n<table><tr><th>ID</th><th>Name</th><th>Type</th><th>Via</th><th>Techniques</th></tr>\n");
            for s in &self.software {
                out.push_str(&format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                    html(&s.id),
                    html(&s.name),
                    html(&s.kind),
                    html(&s.via.join(", ")),
                    s.technique_count
                ));
            }
            out.push_str("</table>\n");
        }
        if !self.campaigns.is_empty() {
            out.push_str("<h2>Campaigns</h2>\n<table><tr><th>ID</th><th>Name</th><th>First seen</th><th>Last seen</th></tr>\n");
            for c in &self.campaigns {
                out.push_str(&format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                    html(&c.id),
                    html(&c.name),
                    html(&date(c.first_seen.as_deref())),
                    html(&date(c.last_seen.as_deref()))
                ));
            }
            out.push_str("</table>\n");
        }
        if !self.groups.is_empty() {
            out.push_str("<h2>Groups</h2>\n<ul>\n");
            for g in &self.groups {
                out.push_str(&format!("<li>{} {}</li>\n", html(&g.id), html(&g.name)));
            }
            out.push_str("</ul>\n");
        }
        for (title, list) in [
            ("Mitigations", &self.mitigations),
            ("Detection strategies", &self.detection_strategies),
            ("Data components", &self.data_components),
        ] {
            if list.is_empty() {
                continue;
            }
            out.push_str(&format!(
                "<h2>{title}</h2>\n<p class=\"muted\">Ranked by how many of the {} techniques they address.</p>\n<table><tr><th>#</th><th>ID</th><th>Name</th><th>Techniques</th><th>Which</th></tr>\n",
                self.techniques.len()
            ));
            for (i, a) in list.iter().enumerate() {
                out.push_str(&format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                    i + 1,
                    html(&a.id),
                    html(&a.name),
                    a.count,
                    html(&a.techniques.join(", "))
                ));
            }
            out.push_str("</table>\n");
        }
        out.push_str("</body></html>\n");
        out
    }
}

/// The date part of a timestamp, or `unknown`.
fn date(timestamp: Option<&str>) -> String {
    match timestamp {
        Some(t) => t.split('T').next().unwrap_or(t).to_string(),
        None => "unknown".to_string(),
    }
}
