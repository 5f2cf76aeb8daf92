//! The laid-out matrices: tactics as columns, each technique merged down beside its
//! sub-techniques, for each matrix of the release and each platform (`PLATFORMS_LOOKUP`).

use attackdb_kb::{Dataset, Domain, ObjId, ObjectType};

use super::context::Context;
use super::fields::title_case;
use super::sheet::{Cell, Merge, Sheet};

/// attackToExcel's `PLATFORMS_LOOKUP`: the platform matrices of a domain.
fn platform_matrices(domain: Domain) -> &'static [&'static str] {
    match domain {
        Domain::Enterprise => &[
            "PRE",
            "Windows",
            "macOS",
            "Linux",
            "Cloud",
            "Office Suite",
            "Identity Provider",
            "SaaS",
            "IaaS",
            "Network Devices",
            "Containers",
            "ESXi",
        ],
        Domain::Mobile => &["Android", "iOS"],
        Domain::Ics => &[
            "Field Controller/RTU/PLC/IED",
            "Safety Instrumented System/Protection Relay",
            "Control Server",
            "Input/Output Server",
            "Windows",
            "Human-Machine Interface",
            "Engineering Workstation",
            "Data Historian",
        ],
    }
}

/// The platforms a platform matrix shows (`Cloud` is four).
fn platform_group(platform: &str) -> Vec<&str> {
    match platform {
        "Cloud" => vec!["Office Suite", "Identity Provider", "SaaS", "IaaS"],
        other => vec![other],
    }
}

/// Returns true if and only if the object is on one of `platforms` (regardless of case).
fn on_platforms(d: &Dataset, id: ObjId, platforms: &[&str]) -> bool {
    let own = &d.object(id).platforms;
    platforms
        .iter()
        .any(|p| own.iter().any(|o| o.to_lowercase() == p.to_lowercase()))
}

/// A matrix being laid out: columns of cells, headers, merges.
#[derive(Default)]
struct Layout {
    /// The columns of cells.
    grid: Vec<Vec<String>>,
    /// The column headers (empty beside a tactic, over its sub-techniques).
    headers: Vec<String>,
    /// The merged ranges.
    merges: Vec<Merge>,
}

/// Sorts objects by name.
fn sort_by_object_name(d: &Dataset, ids: &mut [ObjId]) {
    ids.sort_by(|&a, &b| d.object(a).name.cmp(&d.object(b).name));
}

impl Layout {
    /// One tactic: its techniques' column and, when any has sub-techniques, theirs beside it,
    /// each technique merged down beside its sub-techniques (attackToExcel's
    /// `build_technique_and_sub_columns`).
    fn add_tactic(
        &mut self,
        d: &Dataset,
        tactic: &str,
        techniques: &[ObjId],
        platform: Option<&[&str]>,
    ) {
        self.headers.push(tactic.to_string());
        let column = self.headers.len() - 1;
        let mut techs: Vec<String> = Vec::new();
        let mut subs: Vec<String> = Vec::new();
        for &t in techniques {
            let name = d.object(t).name.as_deref().unwrap_or("").to_string();
            techs.push(name.clone());
            let mut children: Vec<ObjId> = d
                .incoming(t)
                .filter(|l| {
                    d.object(l.relationship).relationship_type.as_deref() == Some("subtechnique-of")
                })
                .map(|l| l.source)
                .filter(|&s| d.is_live(s))
                .filter(|&s| platform.is_none_or(|p| on_platforms(d, s, p)))
                .collect();
            sort_by_object_name(d, &mut children);
            if children.is_empty() {
                // attackToExcel adds no blank when the technique has sub-techniques none of
                // which is shown, which moves later sub-techniques beside the wrong technique
                subs.push(String::new());
                continue;
            }
            let top = techs.len();
            for (i, &c) in children.iter().enumerate() {
                if i != 0 {
                    techs.push(String::new());
                }
                subs.push(d.object(c).name.as_deref().unwrap_or("").to_string());
            }
            let bottom = techs.len();
            if top != bottom {
                self.merges.push(Merge {
                    first_row: top as u32,
                    first_col: column as u16,
                    last_row: bottom as u32,
                    last_col: column as u16,
                    text: name,
                    tactic_header: false,
                });
            }
        }
        self.grid.push(techs);
        if subs.iter().any(|s| !s.is_empty()) {
            self.grid.push(subs);
            self.headers.push(String::new());
            self.merges.push(Merge {
                first_row: 0,
                first_col: column as u16,
                last_row: 0,
                last_col: column as u16 + 1,
                text: tactic.to_string(),
                tactic_header: true,
            });
        }
    }

    /// The laid-out matrix as the sheet `name`: rows as long as the longest column.
    fn sheet(self, name: String) -> Sheet {
        let height = self.grid.iter().map(Vec::len).max().unwrap_or(0);
        let rows = (0..height)
            .map(|r| {
                self.grid
                    .iter()
                    .map(|c| Cell::Text(c.get(r).cloned().unwrap_or_default()))
                    .collect()
            })
            .collect();
        Sheet {
            name,
            headers: self.headers,
            rows,
            merges: self.merges,
            matrix: true,
        }
    }
}

/// attackToExcel's sheet name for a matrix: invalid characters replaced, at most 31 characters.
fn matrix_sheet_name(name: &str, only_one: bool) -> String {
    let mut sheet = if only_one {
        "matrix".to_string()
    } else {
        format!("{name} matrix")
    };
    for c in ['\\', '/', '*', '[', ']', ':', '?'] {
        let by = if matches!(c, '\\' | '/') { " or " } else { " " };
        sheet = sheet.replace(c, by);
    }
    if sheet.chars().count() > 31 {
        sheet = sheet.chars().take(28).collect::<String>() + "...";
    }
    sheet
}

/// The laid-out matrices: each matrix of the release, then each platform's.
pub(super) fn matrices(cx: &Context) -> (Vec<Sheet>, Vec<Sheet>) {
    let d = cx.d;
    let matrices = cx.live(&[ObjectType::Matrix]);
    let techniques: Vec<ObjId> = cx
        .live(&[ObjectType::AttackPattern])
        .into_iter()
        .filter(|&t| !d.object(t).is_subtechnique)
        .collect();
    let platforms = platform_matrices(d.domain());
    let mut mains = Vec::new();
    let mut subs = Vec::new();
    for &m in &matrices {
        let matrix = d.object(m);
        let matrix_name = matrix.name.as_deref().unwrap_or("");
        let name = if matrices.len() == 1 {
            matrix_name.to_string()
        } else {
            let domain = d.domain().as_str().split('-').next().unwrap_or("");
            format!("{} {matrix_name}", title_case(domain))
        };
        let mut main = Layout::default();
        let mut per_platform: Vec<Layout> = platforms.iter().map(|_| Layout::default()).collect();
        for tactic_ref in &matrix.tactic_refs {
            let Some(tactic) = d.by_stix_id(tactic_ref) else {
                continue;
            };
            let t = d.object(tactic);
            let tactic_name = t.name.as_deref().unwrap_or("");
            let short = t.shortname.as_deref().unwrap_or("");
            let mut of_tactic: Vec<ObjId> = techniques
                .iter()
                .copied()
                .filter(|&x| {
                    d.object(x)
                        .kill_chain_phases
                        .iter()
                        .any(|k| &*k.phase_name == short)
                })
                .collect();
            sort_by_object_name(d, &mut of_tactic);
            main.add_tactic(d, tactic_name, &of_tactic, None);
            for (layout, platform) in per_platform.iter_mut().zip(platforms) {
                let group = platform_group(platform);
                let shown: Vec<ObjId> = of_tactic
                    .iter()
                    .copied()
                    .filter(|&x| on_platforms(d, x, &group))
                    .collect();
                if !shown.is_empty() {
                    layout.add_tactic(d, tactic_name, &shown, Some(&group));
                }
            }
        }
        mains.push((name, main));
        for (layout, platform) in per_platform.into_iter().zip(platforms) {
            if !layout.grid.is_empty() {
                let sub_name = if matrices.len() == 1 {
                    platform.to_string()
                } else {
                    format!("{platform} {matrix_name}")
                };
                subs.push((sub_name, layout));
            }
        }
    }
    let only_one = mains.len() + subs.len() == 1;
    let sheets = |list: Vec<(String, Layout)>| -> Vec<Sheet> {
        list.into_iter()
            .map(|(name, layout)| layout.sheet(matrix_sheet_name(&name, only_one)))
            .collect()
    };
    (sheets(mains), sheets(subs))
}
