//! The team's workspace on pages: saved layers on the matrix, notes on object pages, and the
//! assessments' list, trend and comparison. The server reads the workspace and hands its
//! answers here; this module only renders them (it opens no database).

use std::fmt::Write as _;

use attackdb_kb::{Dataset, Domain, Release};
use attackdb_workspace::{
    Assessment, AssessmentComparison, AssessmentSummary, LayerSummary, Mention, Note,
    RevisionSummary, Trend,
};
use serde::Serialize;

use crate::markdown::{self, Citations};
use crate::{Query, Site, WebError};

/// What the workspace adds to an ATT&CK page, read by the server before it renders.
#[derive(Debug, Default)]
pub struct Team<'a> {
    /// The notes on the object the page shows; `None` hides the notes section (no
    /// workspace, or the reader may not see it).
    pub notes: Option<NotesView<'a>>,
    /// A saved layer the matrix's `layer` names (`saved:ID`): the spec and the layer file.
    pub layer: Option<(String, String)>,
}

/// The notes of one object page.
#[derive(Debug)]
pub struct NotesView<'a> {
    /// Its notes, oldest first.
    pub notes: &'a [Note],
    /// Whether the reader may add and delete notes (an editor).
    pub can_write: bool,
}

/// What a workspace object names and what names it.
#[derive(Debug, Default)]
pub struct Links {
    /// The objects its text names.
    pub names: Vec<Mention>,
    /// The objects whose text names it.
    pub named_by: Vec<Mention>,
}

/// A note as a page shows it: its Markdown rendered and sanitised like every ATT&CK text.
#[derive(Debug, Serialize)]
struct NoteView {
    id: i64,
    object: String,
    object_href: String,
    author: String,
    created_at: String,
    updated_at: String,
    updated_by: String,
    version: i64,
    html: String,
    url: String,
}

fn note_view(note: &Note) -> NoteView {
    let mut citations = Citations::default();
    NoteView {
        id: note.id,
        object: note.object.clone(),
        object_href: object_href(&note.object, &note.domain),
        author: note.author.clone(),
        created_at: short_time(&note.created_at),
        updated_at: short_time(&note.updated_at),
        updated_by: note.updated_by.clone(),
        version: note.version,
        html: markdown::render(&link_mentions(&note.body), &[], &mut citations, ""),
        url: note.url.clone(),
    }
}

/// `layer:12`, `assessment:3` and `note:7` in a note's text as Markdown links to their pages
/// (the workspace keeps the same words as the note's links).
fn link_mentions(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 32);
    let mut rest = text;
    'scan: while !rest.is_empty() {
        for (kind, plural) in [
            ("layer:", "layers"),
            ("assessment:", "assessments"),
            ("note:", "notes"),
        ] {
            let Some(head) = rest.get(..kind.len()) else {
                continue;
            };
            if !head.eq_ignore_ascii_case(kind) {
                continue;
            }
            let word_start = out
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric() && !matches!(c, '[' | '/' | '(' | '`' | ':'));
            let digits: String = rest[kind.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if word_start && !digits.is_empty() {
                let written = &rest[..kind.len() + digits.len()];
                out.push_str(&format!("[{written}](/{plural}/{digits})"));
                rest = &rest[written.len()..];
                continue 'scan;
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(c);
        }
        rest = chars.as_str();
    }
    out
}

/// The website path of an ATT&CK ID (`T1059.001` → `/techniques/T1059/001/`), or of a STIX ID.
fn object_href(object: &str, domain: &str) -> String {
    let section = match object.chars().next() {
        _ if object.contains("--") => return format!("/stix/{object}/"),
        Some('T' | 't') => "techniques",
        Some('G' | 'g') => "groups",
        Some('S' | 's') => "software",
        Some('C' | 'c') => "campaigns",
        Some('M' | 'm') => "mitigations",
        Some('D' | 'd')
            if object
                .get(..2)
                .is_some_and(|p| p.eq_ignore_ascii_case("DS")) =>
        {
            "datasources"
        }
        Some('D' | 'd')
            if object
                .get(..3)
                .is_some_and(|p| p.eq_ignore_ascii_case("DET")) =>
        {
            "detectionstrategies"
        }
        Some('D' | 'd') => "datacomponents",
        Some('A' | 'a')
            if object
                .get(..2)
                .is_some_and(|p| p.eq_ignore_ascii_case("AN")) =>
        {
            "analytics"
        }
        Some('A' | 'a') => "assets",
        _ => "techniques",
    };
    let path = match object.split_once('.') {
        Some((parent, sub)) if section == "techniques" => format!("{parent}/{sub}"),
        _ => object.to_string(),
    };
    let domain = match Domain::parse(domain) {
        Some(d) if d != Domain::Enterprise => format!("?domain={}", d.short_name()),
        _ => String::new(),
    };
    format!("/{section}/{path}/{domain}")
}

/// `2026-12-08T10:11:12.345Z` → `2026-12-08 10:11`.
fn short_time(text: &str) -> String {
    match (text.get(..10), text.get(11..16)) {
        (Some(day), Some(time)) => format!("{day} {time}"),
        _ => text.to_string(),
    }
}

#[derive(Debug, Serialize)]
struct LinkView {
    label: String,
    href: String,
}

fn link_views(mentions: &[Mention]) -> Vec<LinkView> {
    mentions
        .iter()
        .map(|m| LinkView {
            label: format!("{} {}", m.kind, m.id),
            href: format!("/{}s/{}", m.kind, m.id),
        })
        .collect()
}

impl Site {
    /// A page of `team.html`: its `view`, under the navigation's `section`.
    fn team_page(
        &self,
        section: &'static str,
        view: &str,
        title: String,
        page: minijinja::Value,
    ) -> Result<String, WebError> {
        self.render(
            "team.html",
            self.nav(None, "", section),
            minijinja::context! { view, title, ..page },
        )
    }

    /// The notes section of an object page.
    pub(crate) fn notes_context(
        &self,
        team: &Team<'_>,
        object: &str,
        domain: &str,
        path: &str,
    ) -> minijinja::Value {
        match &team.notes {
            None => minijinja::Value::from(()),
            Some(view) => minijinja::context! {
                list => view.notes.iter().map(note_view).collect::<Vec<_>>(),
                can_write => view.can_write,
                object => object,
                domain => domain,
                next => path,
            },
        }
    }

    /// `/layers`: the saved layers, newest change first, found by `q`.
    pub fn layers_page(&self, layers: &[LayerSummary], query: &Query) -> Result<String, WebError> {
        let rows: Vec<_> = layers
            .iter()
            .map(|l| {
                minijinja::context! {
                    updated => short_time(&l.updated_at),
                    ..minijinja::Value::from_serialize(l)
                }
            })
            .collect();
        self.team_page(
            "layers",
            "layers",
            "Saved layers".to_string(),
            minijinja::context! {
                layers => rows,
                q => query.get("q").map_or("", String::as_str),
                tag => query.get("tag").map_or("", String::as_str),
            },
        )
    }

    /// `/layers/ID`: a saved layer (its newest revision, or the one `shown` names) painted on
    /// its domain's matrix at its release (the newest loaded when that release is not).
    pub fn saved_layer_page(
        &self,
        summary: &LayerSummary,
        revisions: &[RevisionSummary],
        shown: Option<i64>,
        layer_file: &str,
        links: &Links,
        query: &Query,
    ) -> Result<String, WebError> {
        let (dataset, banner) = self.saved_dataset(&summary.domain, &summary.release)?;
        let spec = match shown {
            Some(r) => format!("saved:{}@{r}", summary.id),
            None => format!("saved:{}", summary.id),
        };
        let saved = minijinja::context! {
            summary => summary,
            updated => short_time(&summary.updated_at),
            shown => shown.unwrap_or(summary.version),
            revisions => revisions.iter().rev().map(|r| minijinja::context! {
                when => short_time(&r.created_at),
                ..minijinja::Value::from_serialize(r)
            }).collect::<Vec<_>>(),
            banner => banner,
            names => link_views(&links.names),
            named_by => link_views(&links.named_by),
        };
        self.matrix_with(
            dataset,
            query,
            Some((spec, layer_file.to_string())),
            Some(saved),
        )
    }

    /// The dataset a saved layer is shown on, and a banner when it is not the one it names.
    fn saved_dataset(
        &self,
        domain: &str,
        release: &str,
    ) -> Result<(&'static Dataset, Option<String>), WebError> {
        let domain = Domain::parse(domain).unwrap_or(Domain::Enterprise);
        let wanted = Release::parse(release).ok();
        if let Some(r) = &wanted {
            if let Ok(dataset) = self.kb.select(domain, Some(r)) {
                return Ok((dataset, None));
            }
        }
        let dataset = self.kb.select(domain, None)?;
        let banner = (!release.is_empty()).then(|| {
            format!(
                "Saved for {} ATT&CK {release}, which this server has not loaded: shown on {}.",
                domain.title(),
                dataset.release()
            )
        });
        Ok((dataset, banner))
    }

    /// `/notes/ID`: one note, its object, and what it names and what names it.
    pub fn note_page(&self, note: &Note, links: &Links) -> Result<String, WebError> {
        self.team_page(
            "notes",
            "note",
            format!("Note {} on {}", note.id, note.object),
            minijinja::context! {
                note => note_view(note),
                names => link_views(&links.names),
                named_by => link_views(&links.named_by),
            },
        )
    }

    /// `/assessments`: every assessment, grouped by name, each name with its trend.
    pub fn assessments_page(&self, list: &[AssessmentSummary]) -> Result<String, WebError> {
        let mut names: Vec<(String, Vec<&AssessmentSummary>)> = Vec::new();
        for a in list {
            match names.iter_mut().find(|(n, _)| *n == a.name) {
                Some((_, v)) => v.push(a),
                None => names.push((a.name.clone(), vec![a])),
            }
        }
        let groups: Vec<_> = names
            .iter()
            .map(|(name, items)| {
                minijinja::context! {
                    name => name,
                    items => items.iter().rev().map(|a| minijinja::context! {
                        taken => short_time(&a.taken_at),
                        ..minijinja::Value::from_serialize(a)
                    }).collect::<Vec<_>>(),
                }
            })
            .collect();
        self.team_page(
            "assessments",
            "assessments",
            "Assessments".to_string(),
            minijinja::context! { groups },
        )
    }

    /// `/assessments/ID`: one assessment, per tactic, with the one before it of its name.
    pub fn assessment_page(
        &self,
        assessment: &Assessment,
        previous: Option<i64>,
        links: &Links,
    ) -> Result<String, WebError> {
        let techniques: Vec<_> = assessment
            .techniques
            .iter()
            .map(|(id, t)| {
                minijinja::context! {
                    id => id,
                    href => object_href(id, &assessment.summary.domain),
                    ..minijinja::Value::from_serialize(t)
                }
            })
            .collect();
        self.team_page(
            "assessments",
            "assessment",
            format!(
                "Assessment {}: {}",
                assessment.summary.id, assessment.summary.name
            ),
            minijinja::context! {
                a => assessment.summary.clone(),
                taken => short_time(&assessment.summary.taken_at),
                tactics => assessment.tactics.clone(),
                techniques,
                previous,
                names => link_views(&links.names),
                named_by => link_views(&links.named_by),
            },
        )
    }

    /// `/assessments/trend?name=NAME`: each tactic's coverage over the assessments of a name,
    /// drawn on the server (an SVG in the page) and given as a table.
    pub fn trend_page(&self, name: &str, trend: &Trend) -> Result<String, WebError> {
        self.team_page(
            "assessments",
            "trend",
            format!("Coverage over time: {name}"),
            minijinja::context! {
                name,
                svg => trend_svg(name, trend),
                points => trend.points.iter().map(|p| minijinja::context! {
                    taken => short_time(&p.taken_at),
                    ..minijinja::Value::from_serialize(p)
                }).collect::<Vec<_>>(),
                tactics => &trend.tactics,
            },
        )
    }

    /// `/assessments/compare?from=A&to=B`: techniques gained and lost, per tactic.
    pub fn compare_page(&self, comparison: &AssessmentComparison) -> Result<String, WebError> {
        let domain = comparison.to.domain.clone();
        let link = |ids: &[String]| -> Vec<LinkView> {
            ids.iter()
                .map(|id| LinkView {
                    label: id.clone(),
                    href: object_href(id, &domain),
                })
                .collect()
        };
        let tactics: Vec<_> = comparison
            .tactics
            .iter()
            .map(|t| {
                minijinja::context! {
                    gained_links => link(&t.gained),
                    lost_links => link(&t.lost),
                    ..minijinja::Value::from_serialize(t)
                }
            })
            .collect();
        self.team_page(
            "assessments",
            "compare",
            format!(
                "Assessment {} against {}",
                comparison.to.id, comparison.from.id
            ),
            minijinja::context! {
                c => comparison,
                gained => link(&comparison.gained),
                lost => link(&comparison.lost),
                tactics,
            },
        )
    }
}

/// Each tactic's coverage over the assessments as an SVG line chart, readable without script:
/// every value is also in a `<title>`, and the page gives them as a table.
pub fn trend_svg(name: &str, trend: &Trend) -> String {
    let esc = attackdb_kb::markup::escape_markup;
    let (width, height, left, top, right, bottom) = (900.0, 420.0, 60.0, 40.0, 220.0, 60.0);
    let plot_w: f64 = width - left - right;
    let plot_h: f64 = height - top - bottom;
    let n = trend.points.len();
    let x = |i: usize| -> f64 {
        if n <= 1 {
            left + plot_w / 2.0
        } else {
            left + plot_w * i as f64 / (n - 1) as f64
        }
    };
    let y = |p: f64| -> f64 { top + plot_h * (1.0 - p.clamp(0.0, 100.0) / 100.0) };
    let palette = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
        "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173",
    ];
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" font-family=\"sans-serif\" font-size=\"12\">\
         <title>Coverage per tactic: {}</title><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\
         <text x=\"{left}\" y=\"24\" font-size=\"15\">Coverage per tactic: {}</text>",
        esc(name),
        esc(name)
    );
    for tick in [0.0, 25.0, 50.0, 75.0, 100.0] {
        let ty = y(tick);
        let _ = write!(
            svg,
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{ty:.1}\" y2=\"{ty:.1}\" stroke=\"#ddd\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{tick}%</text>",
            left + plot_w,
            left - 6.0,
            ty + 4.0
        );
    }
    for (i, point) in trend.points.iter().enumerate() {
        let date = point.taken_at.get(..10).unwrap_or(&point.taken_at);
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text><text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\" fill=\"#666\">{} · {}</text>",
            x(i),
            top + plot_h + 18.0,
            esc(date),
            x(i),
            top + plot_h + 34.0,
            esc(&point.release),
            point.id
        );
    }
    for (k, series) in trend.tactics.iter().enumerate() {
        let colour = palette[k % palette.len()];
        let points: Vec<String> = series
            .percent
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.map(|p| format!("{:.1},{:.1}", x(i), y(p))))
            .collect();
        let _ = write!(
            svg,
            "<g><title>{}</title><polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"/>",
            esc(&series.name),
            points.join(" ")
        );
        for (i, p) in series.percent.iter().enumerate() {
            if let Some(p) = p {
                let _ = write!(
                    svg,
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{colour}\"><title>{}: {p}%</title></circle>",
                    x(i),
                    y(*p),
                    esc(&series.name)
                );
            }
        }
        let ly = top + 14.0 * k as f64;
        let last = series
            .percent
            .iter()
            .rev()
            .flatten()
            .next()
            .copied()
            .unwrap_or(0.0);
        let _ = write!(
            svg,
            "</g><rect x=\"{}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"{colour}\"/><text x=\"{}\" y=\"{:.1}\">{} ({last}%)</text>",
            left + plot_w + 16.0,
            ly,
            left + plot_w + 30.0,
            ly + 9.0,
            esc(&series.name)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_paths_follow_the_website() {
        assert_eq!(
            object_href("T1059.001", "enterprise-attack"),
            "/techniques/T1059/001/"
        );
        assert_eq!(object_href("G0016", "enterprise-attack"), "/groups/G0016/");
        assert_eq!(
            object_href("T0800", "ics-attack"),
            "/techniques/T0800/?domain=ics"
        );
        assert_eq!(
            object_href("DET0455", "enterprise-attack"),
            "/detectionstrategies/DET0455/"
        );
        assert_eq!(object_href("DS0017", ""), "/datasources/DS0017/");
        assert_eq!(object_href("AN1180", ""), "/analytics/AN1180/");
        assert_eq!(
            object_href("x-mitre-data-component--1", ""),
            "/stix/x-mitre-data-component--1/"
        );
    }

    #[test]
    fn mentions_become_links() {
        assert_eq!(
            link_mentions("see layer:12, Assessment:3 and note:7."),
            "see [layer:12](/layers/12), [Assessment:3](/assessments/3) and [note:7](/notes/7)."
        );
        for kept in [
            "multilayer:3",
            "`layer:3`",
            "[layer:3](/x)",
            "layer:",
            "layer:x",
        ] {
            assert_eq!(link_mentions(kept), kept);
        }
    }

    #[test]
    fn a_note_runs_no_script_and_keeps_its_markdown() {
        let note = Note {
            id: 1,
            object: "T1059".into(),
            domain: "enterprise-attack".into(),
            body: "**EDR rule 42** <script>alert(1)</script><img src=x onerror=alert(2)> [x](javascript:alert(3))".into(),
            author: "ana".into(),
            created_at: "2026-12-08T10:11:12.345Z".into(),
            updated_at: "2026-12-08T10:11:12.345Z".into(),
            updated_by: "ana".into(),
            version: 1,
            url: "/notes/1".into(),
        };
        let view = note_view(&note);
        assert!(
            view.html.contains("<strong>EDR rule 42</strong>"),
            "{}",
            view.html
        );
        for bad in ["<script", "onerror", "javascript:"] {
            assert!(!view.html.contains(bad), "{bad} in {}", view.html);
        }
        assert_eq!(view.created_at, "2026-12-08 10:11");
    }
}
