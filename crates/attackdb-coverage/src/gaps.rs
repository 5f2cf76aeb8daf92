//! Threat-informed gaps: the techniques that chosen groups, software or campaigns use and the
//! rules do not cover, ranked by how many of them use each; and per actor, the share of its
//! techniques that are covered. A group's techniques are its own and its campaigns' (the relation
//! family `techniques_used_by_group`); its software's count only when asked for.

use std::collections::{BTreeMap, HashSet};

use attackdb_kb::{Concept, Dataset, ObjId, RelKind, Relation, Visibility};

use crate::coverage::{percent, Coverage, Status};
use crate::{Error, Result};

/// Which threat actors to rank gaps for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actors {
    /// Groups by ATT&CK ID, name or alias; empty means every live group.
    Groups(Vec<String>),
    /// Software by ATT&CK ID, name or alias; empty means all live software.
    Software(Vec<String>),
    /// Campaigns by ATT&CK ID, name or alias; empty means every live campaign.
    Campaigns(Vec<String>),
}

impl Actors {
    /// The actors users ask for the way every front end takes them (CLI options, REST
    /// parameters, the web form): the first of `groups`, `software` and `campaigns` given,
    /// where a list given empty means every one of its kind; `None` when none is given.
    pub fn first_given(
        groups: Option<Vec<String>>,
        software: Option<Vec<String>>,
        campaigns: Option<Vec<String>>,
    ) -> Option<Actors> {
        groups
            .map(Actors::Groups)
            .or_else(|| software.map(Actors::Software))
            .or_else(|| campaigns.map(Actors::Campaigns))
    }
}

/// How an actor comes to use a technique.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Via {
    /// A `uses` relationship of the actor itself.
    pub direct: bool,
    /// Through a campaign attributed to the (group) actor.
    pub campaign: bool,
    /// Through software the actor uses (counted only with [`Inherit::CampaignsAndSoftware`]).
    pub software: bool,
    /// The campaigns it comes through, sorted by display ID.
    pub campaigns: Vec<ObjId>,
    /// The software it comes through, sorted by display ID.
    pub software_used: Vec<ObjId>,
}

impl Via {
    /// The ways that apply, as words: `direct`, `campaign`, `software`.
    pub fn names(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        if self.direct {
            names.push("direct");
        }
        if self.campaign {
            names.push("campaign");
        }
        if self.software {
            names.push("software");
        }
        names
    }

    /// Where it comes from, each source once: `direct`, `via C0024`, `via S0154`...
    pub fn sources(&self, dataset: &Dataset) -> Vec<String> {
        let mut sources = Vec::new();
        if self.direct {
            sources.push("direct".to_string());
        }
        for &object in self.campaigns.iter().chain(&self.software_used) {
            sources.push(format!("via {}", dataset.display_id(object)));
        }
        sources
    }
}

/// Which of an actor's techniques count besides its own `uses`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Inherit {
    /// A group's campaigns' techniques too, exactly as the relation family
    /// `techniques_used_by_group` takes them.
    #[default]
    Campaigns,
    /// Those, and the techniques of the software the actor (a group with its campaigns, or a
    /// campaign) uses.
    CampaignsAndSoftware,
}

impl Inherit {
    /// [`Inherit::CampaignsAndSoftware`] when `with_software` (the `--with-software` option),
    /// else the default.
    pub fn with_software(with_software: bool) -> Inherit {
        if with_software {
            Inherit::CampaignsAndSoftware
        } else {
            Inherit::Campaigns
        }
    }
}

/// One uncovered (or only partly covered) technique and who uses it.
#[derive(Debug, Clone, PartialEq)]
pub struct Gap {
    /// The technique.
    pub technique: ObjId,
    /// Its coverage status (never `Covered`).
    pub status: Status,
    /// The actors using it, sorted by display ID, each with how.
    pub used_by: Vec<(ObjId, Via)>,
}

/// One actor's coverage.
#[derive(Debug, Clone, PartialEq)]
pub struct ActorCoverage {
    /// The group, software or campaign.
    pub actor: ObjId,
    /// Its in-scope techniques.
    pub techniques: usize,
    /// Of those, covered.
    pub covered: usize,
}

impl ActorCoverage {
    /// Covered over all, in percent.
    pub fn percent(&self) -> f64 {
        percent(self.covered, self.techniques)
    }
}

/// The gaps and actor coverage for one choice of actors.
#[derive(Debug, Clone, PartialEq)]
pub struct Gaps {
    /// `groups`, `software` or `campaigns`.
    pub kind: &'static str,
    /// How each actor's techniques were taken.
    pub inherit: Inherit,
    /// Gaps, most used first, then by technique ID.
    pub gaps: Vec<Gap>,
    /// Per actor, by display ID.
    pub actors: Vec<ActorCoverage>,
}

/// The techniques `actor` uses, each with how: directly (its own `uses`), through its campaigns
/// (for a group; together exactly the relation family `techniques_used_by_group`), and, with
/// [`Inherit::CampaignsAndSoftware`], through its software (for a group or campaign). Only live
/// relationships and techniques count, as in [`Dataset::related`].
pub fn techniques_of(dataset: &Dataset, actor: ObjId, inherit: Inherit) -> BTreeMap<ObjId, Via> {
    let mut found: BTreeMap<ObjId, Via> = BTreeMap::new();
    let concept = dataset.concept(actor);
    let is_technique = |t: ObjId| {
        matches!(
            dataset.concept(t),
            Some(Concept::Technique | Concept::Subtechnique)
        )
    };
    for link in dataset.outgoing(actor) {
        if link.kind == RelKind::Uses
            && dataset.is_live(link.relationship)
            && dataset.is_live(link.target)
            && is_technique(link.target)
        {
            found.entry(link.target).or_default().direct = true;
        }
    }
    if concept == Some(Concept::Group) {
        for campaign in dataset.related(Relation::CampaignsAttributedToGroup, actor) {
            for technique in dataset.related(Relation::TechniquesUsedByCampaign, campaign) {
                let via = found.entry(technique).or_default();
                via.campaign = true;
                via.campaigns.push(campaign);
            }
        }
    }
    if inherit == Inherit::CampaignsAndSoftware {
        let software = match concept {
            Some(Concept::Group) => dataset.related(Relation::SoftwareUsedByGroup, actor),
            Some(Concept::Campaign) => dataset.related(Relation::SoftwareUsedByCampaign, actor),
            _ => Vec::new(),
        };
        for tool in software {
            for technique in dataset.related(Relation::TechniquesUsedBySoftware, tool) {
                let via = found.entry(technique).or_default();
                via.software = true;
                via.software_used.push(tool);
            }
        }
    }
    // `related` answers sorted by display ID, so each list is sorted already.
    found
}

/// Resolves the actors chosen to objects of the right kind.
pub fn resolve(dataset: &Dataset, actors: &Actors) -> Result<(Concept, Vec<ObjId>)> {
    let (concept, names) = match actors {
        Actors::Groups(names) => (Concept::Group, names),
        Actors::Software(names) => (Concept::Software, names),
        Actors::Campaigns(names) => (Concept::Campaign, names),
    };
    if names.is_empty() {
        return Ok((concept, dataset.list(concept, Visibility::LIVE)));
    }
    let mut found = Vec::new();
    for name in names {
        let object = dataset.lookup_where(name, |o| dataset.concept(o) == Some(concept));
        let object = match object {
            Ok(object) => object,
            Err(error) => {
                let other = dataset.lookup(name).ok();
                let reason = match other {
                    Some(o) => format!(
                        "is a {}, not a {}",
                        dataset.concept(o).map_or_else(
                            || dataset.object(o).kind.to_string(),
                            |c| c.singular().to_string()
                        ),
                        concept.singular()
                    ),
                    None => error.to_string(),
                };
                return Err(Error::Actor {
                    query: name.clone(),
                    reason,
                });
            }
        };
        if !found.contains(&object) {
            found.push(object);
        }
    }
    Ok((concept, found))
}

/// Ranks the gaps of `actors` against `coverage` (only techniques in scope count), taking each
/// actor's techniques as `inherit` says.
pub fn gaps(
    dataset: &Dataset,
    coverage: &Coverage,
    actors: &Actors,
    inherit: Inherit,
) -> Result<Gaps> {
    let (concept, chosen) = resolve(dataset, actors)?;
    let in_scope: HashSet<ObjId> = coverage
        .techniques
        .values()
        .filter(|t| t.in_scope)
        .map(|t| t.technique)
        .collect();
    let status = |t: ObjId| {
        coverage
            .get(dataset.display_id(t))
            .map_or(Status::NotCovered, |c| c.status)
    };
    let mut users: BTreeMap<ObjId, Vec<(ObjId, Via)>> = BTreeMap::new();
    let mut actor_rows = Vec::new();
    let mut chosen = chosen;
    chosen.sort_by(|&a, &b| dataset.display_id(a).cmp(dataset.display_id(b)));
    for actor in chosen {
        let used = techniques_of(dataset, actor, inherit);
        let mut row = ActorCoverage {
            actor,
            techniques: 0,
            covered: 0,
        };
        for (technique, via) in used {
            if !in_scope.contains(&technique) {
                continue;
            }
            row.techniques += 1;
            if status(technique) == Status::Covered {
                row.covered += 1;
            } else {
                users.entry(technique).or_default().push((actor, via));
            }
        }
        actor_rows.push(row);
    }
    let mut gaps: Vec<Gap> = users
        .into_iter()
        .map(|(technique, used_by)| Gap {
            technique,
            status: status(technique),
            used_by,
        })
        .collect();
    gaps.sort_by(|a, b| {
        b.used_by.len().cmp(&a.used_by.len()).then_with(|| {
            dataset
                .display_id(a.technique)
                .cmp(dataset.display_id(b.technique))
        })
    });
    Ok(Gaps {
        kind: concept.plural(),
        inherit,
        gaps,
        actors: actor_rows,
    })
}
