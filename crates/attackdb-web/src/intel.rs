//! The intelligence pages: a group's, campaign's or software's profile, the objects most like
//! it, the overlap of several, who observed techniques look like, what likely comes with them,
//! and an emulation plan. Each page is a form and, once filled, the answer of `attackdb-intel`
//! as the CLI prints it (its Markdown report, sanitised like every text of the site), with the
//! same answer's JSON, YAML and layers a link away.

use attackdb_intel as intel;
use attackdb_kb::Dataset;
use serde::Serialize;

use crate::markdown::{self, Citations};
use crate::site::Linker;
use crate::{Query, Site, WebError};

/// The pages, in the order the index lists them: (path name, title, what it answers).
pub const TOOLS: [(&str, &str, &str); 6] = [
    (
        "profile",
        "Profile",
        "A group's, campaign's or software's techniques by tactic with how they are used, its \
         software and campaigns, and the mitigations and detections that address most of it.",
    ),
    (
        "similar",
        "Similar",
        "The groups (or software, or campaigns) whose techniques are most like one's.",
    ),
    (
        "overlap",
        "Overlap",
        "The techniques several groups, campaigns or software share, counted per technique.",
    ),
    (
        "attribute",
        "Attribute",
        "Who a handful of observed techniques looks like: a hint for an analyst, not a verdict.",
    ),
    (
        "predict",
        "Predict",
        "The techniques most likely to come with the observed ones.",
    ),
    (
        "emulate",
        "Emulate",
        "A group's or campaign's techniques in kill-chain order with the Atomic Red Team tests \
         that exercise them.",
    ),
];

/// One field of a page's form.
#[derive(Debug, Clone, Serialize)]
struct Field {
    /// The query parameter.
    name: &'static str,
    /// Its label.
    label: &'static str,
    /// `text`, `textarea`, `number`, `checkbox` or `select`.
    kind: &'static str,
    /// The value given (for a checkbox: `1` when ticked).
    value: String,
    /// A hint shown in an empty field.
    placeholder: &'static str,
    /// For a select: (value, label).
    options: Vec<(String, String)>,
}

impl Field {
    fn new(name: &'static str, label: &'static str, kind: &'static str, query: &Query) -> Field {
        Field {
            name,
            label,
            kind,
            value: query.get(name).cloned().unwrap_or_default(),
            placeholder: "",
            options: Vec::new(),
        }
    }

    fn hint(mut self, placeholder: &'static str) -> Field {
        self.placeholder = placeholder;
        self
    }

    fn choices(mut self, options: Vec<(String, String)>) -> Field {
        self.options = options;
        self
    }

    fn or(mut self, default: &str) -> Field {
        if self.value.is_empty() {
            self.value = default.to_string();
        }
        self
    }
}

/// A link under the answer.
#[derive(Debug, Clone, Serialize)]
struct Download {
    label: String,
    href: String,
}

/// What an intelligence page shows.
#[derive(Debug, Clone, Serialize)]
struct IntelPage {
    /// `profile`...
    tool: &'static str,
    title: String,
    about: &'static str,
    fields: Vec<Field>,
    /// The domain and release asked for, kept by the form.
    domain_key: &'static str,
    release: String,
    /// Notes on the input (techniques replaced or left out), one line each.
    problems: Vec<String>,
    /// The answer, sanitised HTML.
    report: Option<String>,
    downloads: Vec<Download>,
    /// Why there is no answer although the form was sent (no Atomic tests configured).
    notice: Option<String>,
}

impl Site {
    /// `/intel`: the index of the intelligence pages.
    pub(crate) fn intel_index(&self) -> Result<String, WebError> {
        let tools: Vec<(String, &str, &str)> = TOOLS
            .iter()
            .map(|(path, title, about)| (format!("/intel/{path}"), *title, *about))
            .collect();
        let nav = self.nav(None, "", "intel");
        self.render(
            "intel.html",
            nav,
            minijinja::context! { title => "Threat intelligence", index => tools },
        )
    }

    /// `/intel/{tool}`: one intelligence page, its form filled from `query`.
    pub(crate) fn intel_page(&self, tool: &str, query: &Query) -> Result<String, WebError> {
        let (tool, title, about) = TOOLS
            .iter()
            .find(|(path, _, _)| *path == tool)
            .copied()
            .ok_or_else(|| WebError::NotFound(format!("/intel/{tool}: no such page")))?;
        let dataset = self.dataset(query)?;
        let linker = Linker::new(self.kb, dataset);
        let mut page = IntelPage {
            tool,
            title: title.to_string(),
            about,
            fields: fields(tool, dataset, query),
            domain_key: dataset.domain().short_name(),
            release: dataset.release().to_string(),
            problems: Vec::new(),
            report: None,
            downloads: Vec::new(),
            notice: None,
        };
        let given = |name: &str| query.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
        let asked = match tool {
            "overlap" => given("refs"),
            "attribute" | "predict" => given("techniques"),
            _ => given("ref"),
        };
        if let Some(input) = asked {
            let answered = self.answer(tool, &linker, input, query, &mut page)?;
            if let Some(markdown) = answered {
                let html =
                    markdown::render(&markdown, &[], &mut Citations::default(), &linker.prefix());
                page.report = Some(link_ids(&html, &linker));
            }
            page.title = format!("{title}: {}", clip(input, 80));
        }
        let nav = self.nav(Some(dataset.domain()), "", "intel");
        self.render(
            "intel.html",
            nav,
            minijinja::context! { title => page.title.clone(), ..minijinja::Value::from_serialize(&page) },
        )
    }

    /// The Markdown answer of `tool` for `input`, with the page's downloads and notes set;
    /// `None` when the page cannot answer here (no Atomic tests configured).
    fn answer(
        &self,
        tool: &str,
        linker: &Linker<'_>,
        input: &str,
        query: &Query,
        page: &mut IntelPage,
    ) -> Result<Option<String>, WebError> {
        let dataset = linker.dataset();
        let flag = |name: &str| query.get(name).is_some_and(|v| v == "1" || v == "true");
        let top = |default: usize| -> Result<usize, WebError> {
            match query.get("top").map(|t| t.trim()).filter(|t| !t.is_empty()) {
                None => Ok(default),
                Some(text) => text.parse().map_err(|_| {
                    WebError::BadRequest(format!("`top={text}`: expected a whole number"))
                }),
            }
        };
        let on = format!(
            "domain={}&release={}",
            dataset.domain().short_name(),
            dataset.release()
        );
        let api = |path: &str, extra: &str| format!("/api/v1/{path}?{on}{extra}");
        let markdown = match tool {
            "profile" => {
                let options = intel::ProfileOptions {
                    with_software: flag("with_software"),
                };
                let profile = intel::profile(dataset, input, &options)?;
                let software = if options.with_software {
                    "&with_software=1"
                } else {
                    ""
                };
                page.downloads = vec![Download {
                    label: "JSON".into(),
                    href: api(&format!("profile/{}", profile.id), software),
                }];
                page.downloads.extend(layer_links(
                    linker,
                    &format!("{}:{}", profile.kind, profile.id),
                ));
                profile.to_markdown()
            }
            "similar" => {
                let options = intel::SimilarOptions {
                    top: top(10)?,
                    measure: intel::Measure::parse(
                        query.get("measure").map_or("jaccard", String::as_str),
                    )?,
                };
                let answer = intel::similar(dataset, input, &options)?;
                page.downloads = vec![Download {
                    label: "JSON".into(),
                    href: api(
                        &format!("similar/{}", percent(input)),
                        &format!("&top={}&measure={}", options.top, options.measure.name()),
                    ),
                }];
                answer.to_markdown()
            }
            "overlap" => {
                let refs = crate::query_list(query, "refs");
                let answer = intel::overlap(dataset, &refs)?;
                let ids: Vec<&str> = answer.objects.iter().map(|o| o.id.as_str()).collect();
                page.downloads = vec![Download {
                    label: "JSON".into(),
                    href: api("overlap", &format!("&refs={}", percent(&refs.join(",")))),
                }];
                page.downloads
                    .extend(layer_links(linker, &format!("overlap:{}", ids.join(","))));
                answer.to_markdown()
            }
            "attribute" | "predict" => {
                let list = intel::parse_technique_text(
                    dataset,
                    input,
                    intel::ListFormat::Auto,
                    "the form",
                )?;
                page.problems = list.problem_lines();
                if tool == "attribute" {
                    let options = intel::AttributeOptions {
                        top: top(10)?,
                        mixed: flag("mixed"),
                        ..intel::AttributeOptions::default()
                    };
                    intel::attribute(dataset, &list.objects, &options)?.to_markdown()
                } else {
                    let options = intel::PredictOptions {
                        top: top(20)?,
                        exclude: crate::query_list(query, "exclude"),
                        ..intel::PredictOptions::default()
                    };
                    intel::predict(dataset, &list.objects, &options)?.to_markdown()
                }
            }
            "emulate" => {
                let Some(atomics) = self.atomic_index()? else {
                    page.notice = Some(
                        "This server has no Atomic Red Team tests to plan with: start it with \
                         `attackdb serve --atomics DIR`."
                            .to_string(),
                    );
                    return Ok(None);
                };
                let options = intel::EmulateOptions {
                    platform: query
                        .get("platform")
                        .map(|p| p.trim().to_string())
                        .filter(|p| !p.is_empty()),
                    with_software: flag("with_software"),
                };
                let plan = intel::emulate(dataset, input, &atomics, &options)?;
                let mut extra = String::new();
                if let Some(platform) = &plan.platform {
                    extra.push_str(&format!("&platform={}", percent(platform)));
                }
                if options.with_software {
                    extra.push_str("&with_software=1");
                }
                let path = format!("emulate/{}", plan.adversary.id);
                let spec = match (&plan.platform, options.with_software) {
                    (_, true) => None,
                    (Some(platform), false) => {
                        Some(format!("emulate:{}:{platform}", plan.adversary.id))
                    }
                    (None, false) => Some(format!("emulate:{}", plan.adversary.id)),
                };
                page.downloads = ["json", "yaml", "md"]
                    .into_iter()
                    .map(|format| Download {
                        label: match format {
                            "json" => "JSON".to_string(),
                            "yaml" => "YAML plan".to_string(),
                            _ => "Markdown runbook".to_string(),
                        },
                        href: api(&path, &format!("{extra}&format={format}")),
                    })
                    .collect();
                if let Some(spec) = spec {
                    page.downloads.extend(layer_links(linker, &spec));
                }
                plan.to_markdown()
            }
            _ => return Err(WebError::NotFound(format!("/intel/{tool}: no such page"))),
        };
        Ok(Some(markdown))
    }
}

/// The links to `spec`, a layer the server makes: on the matrix, and as layer JSON and SVG.
fn layer_links(linker: &Linker<'_>, spec: &str) -> Vec<Download> {
    let dataset = linker.dataset();
    let on = format!(
        "layer={}&domain={}&release={}",
        percent(spec),
        dataset.domain().short_name(),
        dataset.release()
    );
    vec![
        Download {
            label: "open on the matrix".into(),
            href: format!("{}?layer={}", linker.matrix_href(), percent(spec)),
        },
        Download {
            label: "layer JSON".into(),
            href: format!("/ui/layer.json?{on}"),
        },
        Download {
            label: "SVG".into(),
            href: format!("/ui/layer.svg?{on}"),
        },
    ]
}

/// The form of `tool`.
fn fields(tool: &str, dataset: &Dataset, query: &Query) -> Vec<Field> {
    let reference =
        |hint| Field::new("ref", "Group, campaign or software", "text", query).hint(hint);
    let techniques = || {
        Field::new("techniques", "Observed techniques", "textarea", query).hint(
            "T1059.001, T1003.001, T1566.001 (IDs one per line or comma-separated, # comments; or a pasted Navigator layer or CSV)",
        )
    };
    let top = |default: &str| Field::new("top", "How many", "number", query).or(default);
    match tool {
        "profile" => vec![
            reference("G0016, APT29, C0024, Mimikatz"),
            Field::new(
                "with_software",
                "Through its software too",
                "checkbox",
                query,
            ),
        ],
        "similar" => vec![
            reference("G0016, APT29"),
            Field::new("measure", "Measure", "select", query)
                .or("jaccard")
                .choices(vec![
                    ("jaccard".into(), "Jaccard".into()),
                    ("idf-cosine".into(), "IDF-weighted cosine".into()),
                ]),
            top("10"),
        ],
        "overlap" => vec![
            Field::new("refs", "Groups, campaigns or software", "text", query)
                .hint("G0016, G0007, G0032"),
        ],
        "attribute" => vec![
            techniques(),
            top("10"),
            Field::new("mixed", "One ranking over every kind", "checkbox", query),
        ],
        "predict" => vec![
            techniques(),
            Field::new("exclude", "Leave out of what is learned", "text", query)
                .hint("G0016 (comma-separated)"),
            top("20"),
        ],
        "emulate" => {
            let mut platforms = vec![(String::new(), "All platforms".to_string())];
            platforms.extend(
                dataset
                    .platforms()
                    .into_iter()
                    .map(|p| (p.to_string(), p.to_string())),
            );
            vec![
                Field::new("ref", "Group or campaign", "text", query).hint("G0016, APT29, C0024"),
                Field::new("platform", "Platform", "select", query).choices(platforms),
                Field::new(
                    "with_software",
                    "Add its software's techniques",
                    "checkbox",
                    query,
                ),
            ]
        }
        _ => Vec::new(),
    }
}

/// `html` (sanitised) with every text that is only ATT&CK IDs (a table cell of them, an ID in
/// bold; `T1003.001 (partly)` too) linked to the IDs' pages. Text inside links and code is left
/// as it is; so is a text with anything else in it.
fn link_ids(html: &str, linker: &Linker<'_>) -> String {
    let mut out = String::with_capacity(html.len() + html.len() / 4);
    let mut rest = html;
    let (mut in_link, mut in_code) = (false, false);
    loop {
        let open = rest.find('<').unwrap_or(rest.len());
        let text = &rest[..open];
        match (in_link || in_code, linked(text, linker)) {
            (false, Some(linked)) => out.push_str(&linked),
            _ => out.push_str(text),
        }
        let Some(close) = rest[open..].find('>').map(|c| open + c + 1) else {
            out.push_str(&rest[open..]);
            return out;
        };
        let tag = &rest[open..close];
        match tag {
            "</a>" => in_link = false,
            "</code>" | "</pre>" => in_code = false,
            _ if tag.starts_with("<a ") || tag == "<a>" => in_link = true,
            _ if tag.starts_with("<code") || tag.starts_with("<pre") => in_code = true,
            _ => {}
        }
        out.push_str(tag);
        rest = &rest[close..];
    }
}

/// `text` with each of its ATT&CK IDs linked, when it is nothing but IDs separated by `, `.
fn linked(text: &str, linker: &Linker<'_>) -> Option<String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return None;
    }
    let dataset = linker.dataset();
    let mut parts = Vec::new();
    for token in trimmed.split(", ") {
        let (id, suffix) = match token.strip_suffix(" (partly)") {
            Some(id) => (id, " (partly)"),
            None => (token, ""),
        };
        let plausible = id.len() <= 12
            && id.starts_with(|c: char| c.is_ascii_uppercase())
            && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
            && id.contains(|c: char| c.is_ascii_digit());
        if !plausible {
            return None;
        }
        let href = dataset
            .by_attack_id(id)
            .first()
            .and_then(|&object| linker.href(object))?;
        parts.push(format!(
            "<a href=\"{}\">{id}</a>{suffix}",
            markdown::escape(&href)
        ));
    }
    let start = text.len() - text.trim_start().len();
    let end = text.trim_end().len();
    Some(format!(
        "{}{}{}",
        &text[..start],
        parts.join(", "),
        &text[end..]
    ))
}

/// `text` cut to `max` characters, with an ellipsis.
fn clip(text: &str, max: usize) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(max) {
        Some((at, _)) => format!("{}\u{2026}", &line[..at]),
        None => line,
    }
}

/// `text` percent-encoded for a query value or a path segment.
fn percent(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~:".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_alone_in_a_text_are_linked() {
        let Some(dir) = attackdb_testdata::data_dir() else {
            return;
        };
        let kb: &'static attackdb_kb::Kb = Box::leak(Box::new(
            attackdb_kb::Kb::load(&[dir.join("enterprise-attack/enterprise-attack-18.1.json.gz")])
                .unwrap(),
        ));
        let dataset = kb.select(attackdb_kb::Domain::Enterprise, None).unwrap();
        let linker = Linker::new(kb, dataset);
        let html = "<tr><td>G0016</td><td>T1003.001 (partly), T1059.001</td><td>APT29</td>\
            <td>T9999</td></tr><li><strong>T1589.001</strong> Gather (via C0024)</li>\
            <p><a href=\"/x\">G0016</a> <code>T1059</code></p>";
        assert_eq!(
            link_ids(html, &linker),
            "<tr><td><a href=\"/groups/G0016/\">G0016</a></td>\
             <td><a href=\"/techniques/T1003/001/\">T1003.001</a> (partly), \
             <a href=\"/techniques/T1059/001/\">T1059.001</a></td><td>APT29</td>\
             <td>T9999</td></tr><li><strong><a href=\"/techniques/T1589/001/\">T1589.001</a>\
             </strong> Gather (via C0024)</li><p><a href=\"/x\">G0016</a> <code>T1059</code></p>"
        );
    }

    #[test]
    fn inputs_are_clipped_and_encoded() {
        assert_eq!(clip("T1059.001,\n T1003", 80), "T1059.001, T1003");
        assert_eq!(clip("abcdef", 3), "abc\u{2026}");
        assert_eq!(percent("APT 29/x"), "APT%2029%2Fx");
        assert_eq!(percent("group:G0016"), "group:G0016");
    }
}
