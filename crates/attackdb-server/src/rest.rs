//! The REST API under `/api/v1`: one route per CLI answer, returning the same JSON document for
//! the same arguments (query parameters named like the CLI's options), built from the same
//! library calls and typed answers. [`ROUTES`] documents every route; `openapi.json` is made
//! from it, and a test checks that each documented route answers as documented.

use std::collections::BTreeMap;

use attackdb_kb::{
    detection_answer, related_answer, stats_answer, to_json_pretty, Domain,
};
use attackdb_navigator as nav;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use serde::Serialize;

use crate::error::ApiError;
use crate::params::Params;
use crate::{respond, AppState};

/// One documented route.
pub struct RouteDoc {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// The path, with `{name}` for path parameters.
    pub path: &'static str,
    /// What it answers.
    pub summary: &'static str,
    /// Query parameters: name and description.
    pub params: &'static [(&'static str, &'static str)],
    /// The response: media type and the answer type it carries.
    pub response: (&'static str, &'static str),
    /// The handler, made when the router is.
    pub handler: fn() -> MethodRouter<AppState>,
}

const DOMAIN: (&str, &str) = (
    "domain",
    "enterprise, mobile or ics (default enterprise; `diff` and `stats` take every domain)",
);
const RELEASE: (&str, &str) = ("release", "X.Y or vX.Y (default: the newest loaded)");
const REVOKED: (&str, &str) = ("include_revoked", "include revoked objects (true/false)");
const DEPRECATED: (&str, &str) = (
    "include_deprecated",
    "include deprecated objects (true/false)",
);
const DIRECT: (&str, &str) = (
    "direct",
    "only the objects' own relationships, not those inherited through campaigns (true/false; `--direct`)",
);
const JSON: &str = "application/json";

/// Every REST route, as `openapi.json` lists it.
pub const ROUTES: &[RouteDoc] = &[
    RouteDoc {
        method: "GET",
        path: "/api/v1/objects/{ref}",
        summary: "One STIX object exactly as in the release (`attackdb show REF --json`); ref = ATT&CK ID, STIX ID, name or alias; with full=true `{\"object\", \"related\", \"detection\"}` (`--json --full`)",
        params: &[DOMAIN, RELEASE, ("full", "the object with its relationships and detection (true/false)")],
        response: ("application/stix+json;version=2.1", "StixObject"),
        handler: || get(object),
    },
    RouteDoc {
        method: "GET",
        path: "/api/v1/objects/{ref}/related",
        summary: "The object's relationship families and their objects",
        params: &[DOMAIN, RELEASE],
        response: (JSON, "RelatedFamily[]"),
        handler: || get(related),
    },
    RouteDoc {
        method: "GET",
        path: "/api/v1/objects/{ref}/detection",
        summary: "The detection chain: strategies, analytics, data components, log sources",
        params: &[DOMAIN, RELEASE],
        response: (JSON, "StrategyAnswer[]"),
        handler: || get(detection),
    },
    RouteDoc {
        method: "GET",
        path: "/api/v1/list/{kind}",
        summary: "Objects of one kind (`attackdb list KIND --json`), paged by limit and offset",
        params: &[
            DOMAIN,
            RELEASE,
            ("platform", "only objects of this platform"),
            ("tactic", "only techniques of this tactic (shortname, name or TA ID)"),
            REVOKED,
            DEPRECATED,
            ("limit", "at most this many (default all)"),
            ("offset", "skip this many first (default 0)"),
        ],
        response: (JSON, "ObjectSummary[]"),
        handler: || get(list),
    },
    RouteDoc {
        method: "GET",
        path: "/api/v1/search",
        summary: "Ranked search over names, aliases, IDs and descriptions (`attackdb search --json`)",
        params: &[
            DOMAIN,
            RELEASE,
            ("q", "the words to look for (required)"),
            REVOKED,
            DEPRECATED,
            ("limit", "at most this many (default 25)"),
        ],
        response: (JSON, "SearchResult[]"),
        handler: || get(search),
    },
    RouteDoc {
        method: "GET",
        path: "/api/v1/matrix",
        summary: "The matrix: tactic columns in matrix order (`attackdb matrix --json`)",
        params: &[
            DOMAIN,
            RELEASE,
            ("platform", "only techniques of this platform"),
            ("subtechniques", "list sub-techniques under their techniques (true/false)"),
        ],
        response: (JSON, "MatrixColumnAnswer[]"),
        handler: || get(matrix),
    },
    RouteDoc {
        method: "GET",
        path: "/api/v1/stats",
        summary: "Object counts per type, domain and release (`attackdb stats --json`)",
        params: &[],
        response: (JSON, "StatsAnswer"),
        handler: || get(stats),
    },
    RouteDoc {
        method: "GET",
        path: "/api/v1/releases",
        summary: "The releases loaded, per domain",
        params: &[],
        response: (JSON, "LoadedRelease[]"),
        handler: || get(releases),
    },
    RouteDoc {
        method: "GET",
        path: "/api/v1/relation/{family}",
        summary: "One relationship family as a whole map (`attackdb relation NAME --json`)",
        params: &[DOMAIN, RELEASE, DIRECT],
        response: (JSON, "RelationMap"),
        handler: || get(relation_map),
    },
    RouteDoc {
        method: "GET",
        path: "/api/v1/relation/{family}/{ref}",
        summary: "One relationship family of one object (`attackdb relation NAME REF --json`)",
        params: &[DOMAIN, RELEASE, DIRECT],
        response: (JSON, "string[]"),
        handler: || get(relation_one),
    },
    RouteDoc {
        method: "GET",
        path: "/api/v1/diff",
        summary: "What changed between two releases (`attackdb diff --json`)",
        params: &[
            ("from", "the old release, X.Y (required)"),
            ("to", "the new release, X.Y (required)"),
            ("domain", "one domain (default every domain)"),
        ],
        response: (JSON, "DiffAnswer"),
        handler: || get(diff),
    },
    RouteDoc {
        method: "POST",
        path: "/api/v1/layers/generate",
        summary: "A layer from the knowledge base (`attackdb layer generate` options as a JSON body)",
        params: &[],
        response: (JSON, "Layer"),
        handler: || post(layers_generate),
    },
    RouteDoc {
        method: "POST",
        path: "/api/v1/layers/validate",
        summary: "Check a layer file (the body) against the release (`attackdb layer validate --json`)",
        params: &[DOMAIN, RELEASE],
        response: (JSON, "ValidationReport"),
        handler: || post(layers_validate),
    },
    RouteDoc {
        method: "POST",
        path: "/api/v1/layers/upgrade",
        summary: "A layer file (the body) upgraded to layer format 4.5 (`attackdb layer upgrade`)",
        params: &[],
        response: (JSON, "Layer | Layer[]"),
        handler: || post(layers_upgrade),
    },
    RouteDoc {
        method: "POST",
        path: "/api/v1/layers/combine",
        summary: "Layers combined with a score expression or a set operation (`attackdb layer combine`); body {\"layers\": [...], \"expr\" | \"op\", \"name\", \"comments_from\"...}",
        params: &[DOMAIN, RELEASE],
        response: (JSON, "Layer"),
        handler: || post(layers_combine),
    },
    RouteDoc {
        method: "POST",
        path: "/api/v1/layers/export",
        summary: "A layer file (the body) over the matrix as svg, xlsx, csv or md (`attackdb layer export`)",
        params: &[
            DOMAIN,
            RELEASE,
            ("format", "svg, xlsx, csv or md (required)"),
            ("subtechniques", "show sub-techniques (svg, xlsx)"),
            ("all_techniques", "list techniques the layer does not annotate"),
        ],
        response: ("image/svg+xml | application/vnd.openxmlformats-officedocument.spreadsheetml.sheet | text/csv | text/markdown", "bytes"),
        handler: || post(layers_export),
    },
    RouteDoc {
        method: "POST",
        path: "/api/v1/coverage",
        summary: "Detection coverage of uploaded rule files (multipart, one part per file) (`attackdb coverage --json`)",
        params: &[
            DOMAIN,
            RELEASE,
            ("format", "auto, sigma, splunk, elastic, csv or layer (default auto)"),
            ("platform", "only techniques of this platform"),
            ("score", "count, max-level or weighted (default count)"),
            ("groups", "rank gaps for these groups (comma-separated IDs, names or aliases; empty: every group)"),
            ("software", "rank gaps for this software instead (empty: all software)"),
            ("campaigns", "rank gaps for these campaigns instead (empty: every campaign)"),
            ("min_level", "only rules of this level or higher"),
            ("status", "only rules with one of these statuses (comma-separated; default: all but deprecated; `all`: every rule)"),
            ("with_software", "gaps: count the actors' software's techniques too (default false)"),
        ],
        response: (JSON, "CoverageAnswer"),
        handler: || post(coverage),
    },
    RouteDoc {
        method: "GET",
        path: "/api/v1/visibility",
        summary: "The techniques data sources let you see, per source and tactic (`attackdb visibility SOURCE... --json`)",
        params: &[DOMAIN, RELEASE, ("sources", "data components, log sources or data sources, comma-separated (required)"), ("platform", "only techniques of this platform")],
        response: (JSON, "VisibilityAnswer"),
        handler: || get(visibility_answer),
    },
    RouteDoc {
        method: "POST",
        path: "/api/v1/migrate/layer",
        summary: "A layer file (the body) carried to release `to`, with every decision (`attackdb migrate layer --json`, plus the migrated `layers`)",
        params: &[("to", "the target release, X.Y (required)"), ("from", "the release the layer was made for (default its versions.attack)")],
        response: (JSON, "MigrationReport"),
        handler: || post(migrate_layer),
    },
    RouteDoc {
        method: "POST",
        path: "/api/v1/migrate/rules",
        summary: "Uploaded rule files (multipart) checked against release `to`: revoked, deprecated and unknown references (`attackdb migrate rules --json`)",
        params: &[("to", "the target release, X.Y (required)"), DOMAIN, ("format", "force one rule format (default auto)")],
        response: (JSON, "ReferenceReport"),
        handler: || post(migrate_rules),
    },
    RouteDoc {
        method: "GET",
        path: "/api/v1/profile/{ref}",
        summary: "A group's, campaign's or software's profile (`attackdb profile REF --json`)",
        params: &[DOMAIN, RELEASE, ("with_software", "count techniques used through its software too")],
        response: (JSON, "Profile"),
        handler: || get(profile),
    },
    RouteDoc {
        method: "GET",
        path: "/api/v1/similar/{ref}",
        summary: "Objects of the same kind ranked by similarity of technique sets (`attackdb similar REF --json`)",
        params: &[DOMAIN, RELEASE, ("top", "how many (default 10)"), ("measure", "jaccard (default) or idf-cosine")],
        response: (JSON, "SimilarAnswer"),
        handler: || get(similar),
    },
    RouteDoc {
        method: "GET",
        path: "/api/v1/overlap",
        summary: "Techniques scored by how many of the objects use them (`attackdb overlap REF... --json`)",
        params: &[DOMAIN, RELEASE, ("refs", "two or more IDs, names or aliases, comma-separated (required)")],
        response: (JSON, "OverlapAnswer"),
        handler: || get(overlap),
    },
    RouteDoc {
        method: "GET",
        path: "/api/v1/emulate/{ref}",
        summary: "A group's or campaign's emulation plan with the Atomic Red Team tests of `serve --atomics DIR` (`attackdb emulate REF --atomics DIR --json`)",
        params: &[DOMAIN, RELEASE, ("platform", "only tests for this platform, case-insensitive: Atomic Red Team's (windows, iaas:aws) or ATT&CK's (Identity Provider is azure-ad)"), ("with_software", "add the techniques of its software, marked"), ("format", "json (default), yaml or md")],
        response: (JSON, "EmulationPlan"),
        handler: || get(emulate),
    },
    RouteDoc {
        method: "GET",
        path: "/api/v1/attribute",
        summary: "Groups, campaigns and software ranked by how well they explain observed techniques (`attackdb attribute ID... --json`)",
        params: &[DOMAIN, RELEASE, ("techniques", "observed technique IDs, comma-separated (required)"), ("top", "how many per kind (default 10)"), ("mixed", "one ranking over every kind")],
        response: (JSON, "AttributeAnswer"),
        handler: || get(attribute),
    },
    RouteDoc {
        method: "GET",
        path: "/api/v1/predict",
        summary: "The techniques most likely to come with observed ones (`attackdb predict ID... --json`)",
        params: &[DOMAIN, RELEASE, ("techniques", "observed technique IDs, comma-separated (required)"), ("top", "how many (default 20)"), ("exclude", "objects left out of what is learned, comma-separated")],
        response: (JSON, "PredictAnswer"),
        handler: || get(predict),
    },
    RouteDoc {
        method: "GET",
        path: "/api/v1/openapi.json",
        summary: "This document",
        params: &[],
        response: (JSON, "OpenAPI"),
        handler: || get(openapi),
    },
];

/// The REST routes, made from [`ROUTES`]: one route per entry, and every request's query
/// parameters checked against the entry's (a name it does not list is refused).
pub fn routes() -> Router<AppState> {
    ROUTES
        .iter()
        .fold(Router::new(), |router, route| {
            router.route(route.path, (route.handler)())
        })
        .route_layer(axum::middleware::from_fn(check_parameters))
}

/// The documented route a request reached (by its matched path and method).
fn route_of(path: &str, method: &axum::http::Method) -> Option<&'static RouteDoc> {
    ROUTES
        .iter()
        .find(|r| r.path == path && r.method == method.as_str())
}

/// Refuses a query parameter the route's entry in [`ROUTES`] does not list, naming those it
/// takes: the one check of parameter names (a typo must not be silently ignored).
async fn check_parameters(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let matched = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|m| m.as_str().to_string());
    if let Some(route) = matched.and_then(|path| route_of(&path, request.method())) {
        let allowed: Vec<&str> = route.params.iter().map(|(name, _)| *name).collect();
        let checked = pairs(request.uri().query().map(str::to_string))
            .and_then(|pairs| Params::new(pairs, &allowed));
        if let Err(error) = checked {
            return axum::response::IntoResponse::into_response(error);
        }
    }
    next.run(request).await
}

type Answer = Result<Response, ApiError>;

pub(crate) fn pairs(query: Option<String>) -> Result<Vec<(String, String)>, ApiError> {
    let text = query.unwrap_or_default();
    form_urlencoded(&text)
}

/// `a=1&b=two` -> pairs, percent-decoded; a malformed escape is a bad parameter.
fn form_urlencoded(text: &str) -> Result<Vec<(String, String)>, ApiError> {
    let mut pairs = Vec::new();
    for part in text.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = part.split_once('=').unwrap_or((part, ""));
        pairs.push((decode(name)?, decode(value)?));
    }
    Ok(pairs)
}

fn decode(text: &str) -> Result<String, ApiError> {
    crate::params::percent_decode(text).ok_or_else(|| {
        ApiError::bad_parameter(format!(
            "malformed percent escape in `{text}`, or not UTF-8 when decoded"
        ))
    })
}

/// The query parameters of a request (their names were checked against [`ROUTES`] by
/// [`check_parameters`]).
fn params(query: Option<String>) -> Result<Params, ApiError> {
    Params::any(pairs(query)?)
}

/// `value` as the CLI prints it (pretty JSON, sorted keys, final newline).
fn json<T: Serialize + ?Sized>(headers: &HeaderMap, value: &T) -> Answer {
    Ok(respond(headers, JSON, to_json_pretty(value)?.into_bytes()))
}

/// `value` as the CLI prints it, with the answer's notes as `X-Attackdb-Note` headers.
fn noted_json<T: Serialize + ?Sized>(headers: &HeaderMap, value: &T, notes: &[String]) -> Answer {
    Ok(with_notes(json(headers, value)?, notes))
}

/// `response` with one `X-Attackdb-Note` header per note (made safe for a header: one line of
/// visible ASCII, long values cut).
pub(crate) fn with_notes(mut response: Response, notes: &[String]) -> Response {
    for note in notes {
        let line: String = attackdb_ask::echo(note)
            .chars()
            .map(|c| {
                if c.is_ascii_graphic() || c == ' ' {
                    c
                } else {
                    '?'
                }
            })
            .collect();
        if let Ok(value) = axum::http::HeaderValue::from_str(&line) {
            response.headers_mut().append("x-attackdb-note", value);
        }
    }
    response
}

fn scope(params: &Params) -> attackdb_ask::Scope {
    attackdb_ask::Scope::new(params.get("domain"), params.get("release"))
}

async fn object(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let params = params(query)?;
    let request = attackdb_ask::ShowRequest {
        reference,
        full: params.flag("full")?,
        scope: scope(&params),
    };
    let shown = attackdb_ask::show(state.kb(), &request)?;
    if let Some(full) = &shown.answer.full {
        return noted_json(&headers, full, &shown.notes);
    }
    let response = respond(
        &headers,
        "application/stix+json;version=2.1",
        shown.answer.raw()?.into_bytes(),
    );
    Ok(with_notes(response, &shown.notes))
}

async fn related(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let params = params(query)?;
    let found = attackdb_ask::find(state.kb(), &scope(&params), &reference)?;
    let object = found.answer;
    noted_json(
        &headers,
        &related_answer(object.dataset, object.id),
        &found.notes,
    )
}

async fn detection(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let params = params(query)?;
    let found = attackdb_ask::find(state.kb(), &scope(&params), &reference)?;
    let object = found.answer;
    noted_json(
        &headers,
        &detection_answer(object.dataset, object.id),
        &found.notes,
    )
}

async fn list(
    State(state): State<AppState>,
    Path(kind): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let params = params(query)?;
    let limit = params
        .get("limit")
        .map(|_| params.count("limit", 0))
        .transpose()?;
    let offset = params
        .get("offset")
        .map(|_| params.count("offset", 0))
        .transpose()?;
    let listed = attackdb_ask::list(
        state.kb(),
        &attackdb_ask::ListRequest {
            kind,
            platform: params.get("platform").map(str::to_string),
            tactic: params.get("tactic").map(str::to_string),
            include_revoked: params.flag("include_revoked")?,
            include_deprecated: params.flag("include_deprecated")?,
            offset,
            limit,
            scope: scope(&params),
        },
    )?;
    json(&headers, &listed.summaries())
}

async fn search(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let params = params(query)?;
    let searched = attackdb_ask::search(
        state.kb(),
        &attackdb_ask::SearchRequest {
            q: params.get("q").unwrap_or_default().to_string(),
            include_revoked: params.flag("include_revoked")?,
            include_deprecated: params.flag("include_deprecated")?,
            limit: params.count("limit", 25)?,
            scope: scope(&params),
        },
    )?;
    json(&headers, &searched.results())
}

async fn matrix(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let params = params(query)?;
    let answered = attackdb_ask::matrix(
        state.kb(),
        &attackdb_ask::MatrixRequest {
            platforms: params.list("platform"),
            subtechniques: params.flag("subtechniques")?,
            scope: scope(&params),
        },
    )?;
    json(&headers, &answered.document())
}

async fn stats(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    params(query)?;
    json(&headers, &stats_answer(state.kb()))
}

/// A release loaded by the server.
#[derive(Serialize)]
struct LoadedRelease {
    domain: Domain,
    release: String,
    objects: usize,
    collection: Option<String>,
    modified: Option<String>,
    taxii_api_root: String,
}

async fn releases(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    params(query)?;
    let answer: Vec<LoadedRelease> = state
        .kb()
        .datasets()
        .iter()
        .map(|d| LoadedRelease {
            domain: d.domain(),
            release: d.release().to_string(),
            objects: d.objects().len(),
            collection: d.bundle().collection.as_ref().map(|c| c.id.clone()),
            modified: d
                .bundle()
                .collection
                .as_ref()
                .and_then(|c| c.modified.clone()),
            taxii_api_root: format!("/api/v21/attack-{}/", d.release()),
        })
        .collect();
    json(&headers, &answer)
}

async fn relation_map(
    State(state): State<AppState>,
    Path(family): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    relation_answer(&state, family, None, query, &headers)
}

async fn relation_one(
    State(state): State<AppState>,
    Path((family, reference)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    relation_answer(&state, family, Some(reference), query, &headers)
}

fn relation_answer(
    state: &AppState,
    family: String,
    reference: Option<String>,
    query: Option<String>,
    headers: &HeaderMap,
) -> Answer {
    let params = params(query)?;
    let answered = attackdb_ask::relation(
        state.kb(),
        &attackdb_ask::RelationRequest {
            family,
            reference,
            direct: params.flag("direct")?,
            scope: scope(&params),
        },
    )?;
    noted_json(headers, &answered.answer.document(), &answered.notes)
}

async fn diff(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let params = params(query)?;
    let answered = attackdb_ask::diff(
        state.kb(),
        &attackdb_ask::DiffRequest {
            from: params.get("from").unwrap_or_default().to_string(),
            to: params.get("to").unwrap_or_default().to_string(),
            domain: params.get("domain").map(str::to_string),
        },
    )?;
    noted_json(
        &headers,
        &attackdb_ask::diff_document(&answered),
        &answered.notes,
    )
}

fn body_json<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::bad_parameter("the body is not UTF-8 text".to_string()))?;
    attackdb_kb::from_str_within(text, nav::limits().max_json_depth).map_err(|e| match e {
        attackdb_kb::JsonError::TooDeep(depth) => {
            ApiError::bad_parameter(format!("the body: {depth}"))
        }
        attackdb_kb::JsonError::Json(e) => {
            ApiError::bad_parameter(format!("the body is not the JSON this route takes: {e}"))
        }
    })
}

/// A layer as the answer's body.
fn layer_answer(headers: &HeaderMap, layer: &nav::Layer) -> Answer {
    Ok(respond(headers, JSON, nav::layer_to_json(layer)?.into_bytes()))
}

/// `POST /api/v1/layers/generate`: the body is the options of `attackdb layer generate`.
async fn layers_generate(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let request: attackdb_ask::GenerateRequest = body_json(&body)?;
    layer_answer(&headers, &attackdb_ask::generate_layer(state.kb(), &request)?)
}

fn read_layer_body(body: &Bytes) -> Result<nav::LayerFile, ApiError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::invalid("the layer file is not UTF-8 text"))?;
    Ok(nav::read_layers(text)?)
}

async fn layers_validate(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let params = params(query)?;
    let mut read = read_layer_body(&body)?;
    let validated =
        attackdb_ask::validate(state.kb(), &mut read, "request body", &scope(&params))?;
    noted_json(&headers, &validated.answer, &validated.notes)
}

async fn layers_upgrade(
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    params(query)?;
    let upgraded = attackdb_ask::upgrade(read_layer_body(&body)?)?;
    Ok(respond(&headers, JSON, upgraded.to_json()?.into_bytes()))
}

/// The body of `POST /api/v1/layers/combine`: the layers, and the options of `attackdb layer
/// combine`.
#[derive(serde::Deserialize)]
struct CombineBody {
    layers: Vec<serde_json::Value>,
    #[serde(flatten)]
    request: attackdb_ask::CombineRequest,
}

async fn layers_combine(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let params = params(query)?;
    let CombineBody {
        layers: values,
        mut request,
    } = body_json(&body)?;
    let mut layers = Vec::new();
    for (index, value) in values.iter().enumerate() {
        let source = format!("layers[{index}]");
        let read = nav::read_layers(&serde_json::to_string(value)?)
            .map_err(|e| ApiError::invalid(format!("{source}: {e}")))?;
        layers.extend(attackdb_ask::valid_layers(read, &source)?);
    }
    request.scope = scope(&params);
    layer_answer(
        &headers,
        &attackdb_ask::combine(state.kb(), &layers, &request)?,
    )
}

async fn layers_export(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let params = params(query)?;
    let format = params
        .get("format")
        .ok_or_else(|| ApiError::bad_parameter("`format` is required: svg, xlsx, csv or md"))?;
    let layers = attackdb_ask::valid_layers(read_layer_body(&body)?, "request body")?;
    let request = attackdb_ask::ExportRequest {
        format: format.to_string(),
        all_techniques: params.flag("all_techniques")?,
        subtechniques: params.flag("subtechniques")?,
        scope: scope(&params),
    };
    let exported = attackdb_ask::export_layers(state.kb(), &layers, &request)?;
    Ok(respond(&headers, exported.content_type, exported.bytes))
}

async fn migrate_layer(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let params = params(query)?;
    let request = attackdb_ask::MigrateLayerRequest {
        to: params.get("to").map(str::to_string),
        from: params.get("from").map(str::to_string),
    };
    let file = read_layer_body(&body)?;
    let migrated =
        attackdb_ask::migrate_layer(state.kb(), &file, "request body", "response", &request)?;
    let mut value = serde_json::to_value(&migrated.report)?;
    let layers: Vec<serde_json::Value> = migrated
        .layers
        .iter()
        .map(nav::layer_to_value)
        .collect::<Result<_, _>>()?;
    value["layers"] = serde_json::Value::Array(layers);
    json(&headers, &value)
}

/// A file name from an upload, made safe: its last component, only plain characters.
pub(crate) fn safe_name(name: &str, index: usize) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let cleaned = cleaned.trim_start_matches('.');
    if cleaned.is_empty() {
        format!("upload-{index}")
    } else {
        format!("{index:05}-{cleaned}")
    }
}

/// An upload kept in a temporary folder, and how its files are named to the user.
struct Uploads {
    folder: tempfile::TempDir,
    /// (path in the folder, the name the client gave), one per part.
    names: Vec<(String, String)>,
}

impl Uploads {
    /// `text` with every kept file's path named as the client named the file (its last
    /// component, made safe), and the folder as `upload`: no server path is shown.
    fn display(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (kept, given) in &self.names {
            out = out.replace(kept.as_str(), given);
        }
        out.replace(&self.folder.path().display().to_string(), "upload")
    }

    /// `error` with the upload's files named as the client named them.
    fn named(&self, mut error: ApiError) -> ApiError {
        error.message = self.display(&error.message);
        error
    }
}

/// Every part of a multipart upload as a file of a new temporary folder (names made safe,
/// numbered so two parts never collide). No part at all is an invalid upload.
async fn save_uploads(
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Uploads, ApiError> {
    let mut multipart = multipart.map_err(|rejection| {
        ApiError::bad_parameter(format!(
            "the rule files are read from a multipart/form-data body, one part per file: {}",
            attackdb_ask::echo(&rejection.body_text())
        ))
        .with_hint("curl -F rules=@rule.yml ... sends one")
    })?;
    let folder = tempfile::tempdir()
        .map_err(|e| ApiError::internal(format!("cannot make a folder for the upload: {e}")))?;
    let mut count = 0usize;
    let mut names = Vec::new();
    loop {
        let field = multipart
            .next_field()
            .await
            .map_err(|e| ApiError::invalid(format!("malformed multipart upload: {e}")))?;
        let Some(field) = field else { break };
        let name = field
            .file_name()
            .or(field.name())
            .unwrap_or("rules")
            .to_string();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| ApiError::invalid(format!("malformed multipart upload: {e}")))?;
        let safe = safe_name(&name, count);
        let path = folder.path().join(&safe);
        std::fs::write(&path, &bytes)
            .map_err(|e| ApiError::internal(format!("cannot keep the upload: {e}")))?;
        let given = safe.split_once('-').map_or(safe.as_str(), |(_, rest)| rest);
        names.push((path.display().to_string(), given.to_string()));
        count += 1;
    }
    if count == 0 {
        return Err(ApiError::invalid(
            "no rule files in the upload: send one multipart part per file",
        ));
    }
    Ok(Uploads { folder, names })
}

async fn visibility_answer(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let params = params(query)?;
    let request = attackdb_ask::VisibilityRequest {
        sources: params.list("sources"),
        platform: params.get("platform").map(str::to_string),
        scope: scope(&params),
    };
    json(
        &headers,
        &attackdb_ask::visibility(state.kb(), None, &request)?.answer,
    )
}

async fn coverage(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Answer {
    let params = params(query)?;
    let list = |name: &str| params.get(name).map(|_| params.list(name));
    let mut request = attackdb_ask::CoverageRequest {
        format: params.get("format").map(str::to_string),
        platform: params.get("platform").map(str::to_string),
        score: params.get("score").map(str::to_string),
        groups: list("groups"),
        software: list("software"),
        campaigns: list("campaigns"),
        with_software: params.flag("with_software")?,
        min_level: params.get("min_level").map(str::to_string),
        status: params.list("status"),
        scope: scope(&params),
        ..attackdb_ask::CoverageRequest::default()
    };
    // Every parameter is checked before the upload is read.
    attackdb_ask::plan_coverage(state.kb(), &request)?;
    let uploads = save_uploads(multipart).await?;
    request.paths = vec![uploads.folder.path().to_path_buf()];
    let answered =
        attackdb_ask::coverage(state.kb(), &request).map_err(|e| uploads.named(e.into()))?;
    let mut document = attackdb_coverage::document(&answered.answer.answer);
    document.rename_files(|text| uploads.display(text));
    let text = to_json_pretty(&document.to_value())?;
    Ok(with_notes(
        respond(&HeaderMap::new(), JSON, text.into_bytes()),
        &answered.notes,
    ))
}

async fn migrate_rules(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Answer {
    let params = params(query)?;
    let mut request = attackdb_ask::MigrateRulesRequest {
        to: params.get("to").map(str::to_string),
        format: params.get("format").map(str::to_string),
        scope: scope(&params),
        ..attackdb_ask::MigrateRulesRequest::default()
    };
    // The parameters are checked before the upload is read.
    attackdb_ask::required_release("to", request.to.as_deref())?;
    attackdb_ask::parse_format(request.format.as_deref())?;
    let uploads = save_uploads(multipart).await?;
    request.paths = vec![uploads.folder.path().to_path_buf()];
    let answered = attackdb_ask::migrate_rules(state.kb(), &request)
        .map_err(|e| uploads.named(e.into()))?;
    let text = to_json_pretty(&answered.answer.1)?;
    let notes: Vec<String> = answered.notes.iter().map(|n| uploads.display(n)).collect();
    Ok(with_notes(
        respond(&HeaderMap::new(), JSON, uploads.display(&text).into_bytes()),
        &notes,
    ))
}

impl From<attackdb_intel::Error> for ApiError {
    fn from(error: attackdb_intel::Error) -> ApiError {
        ApiError::from(attackdb_ask::Error::from(error))
    }
}

async fn profile(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let params = params(query)?;
    let answered = attackdb_ask::profile(
        state.kb(),
        &attackdb_ask::ProfileRequest {
            reference,
            with_software: params.flag("with_software")?,
            scope: scope(&params),
        },
    )?;
    noted_json(&headers, &answered.answer.answer, &answered.notes)
}

async fn similar(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let params = params(query)?;
    let answered = attackdb_ask::similar(
        state.kb(),
        &attackdb_ask::SimilarRequest {
            reference,
            top: params.count("top", 10)?,
            measure: params.get("measure").unwrap_or("jaccard").to_string(),
            scope: scope(&params),
        },
    )?;
    noted_json(&headers, &answered.answer.answer, &answered.notes)
}

async fn overlap(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let params = params(query)?;
    let answered = attackdb_ask::overlap(
        state.kb(),
        &attackdb_ask::OverlapRequest {
            refs: params.list("refs"),
            scope: scope(&params),
        },
    )?;
    json(&headers, &answered.answer)
}

fn observations(params: &Params) -> attackdb_ask::Observations {
    attackdb_ask::Observations {
        techniques: params.list("techniques"),
        ..attackdb_ask::Observations::default()
    }
}

async fn attribute(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let params = params(query)?;
    let answered = attackdb_ask::attribute(
        state.kb(),
        &attackdb_ask::AttributeRequest {
            observed: observations(&params),
            top: params.count("top", 10)?,
            mixed: params.flag("mixed")?,
            scope: scope(&params),
        },
    )?;
    noted_json(&headers, &answered.answer.answer, &answered.notes)
}

async fn predict(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let params = params(query)?;
    let answered = attackdb_ask::predict(
        state.kb(),
        &attackdb_ask::PredictRequest {
            observed: observations(&params),
            top: params.count("top", 20)?,
            exclude: params.list("exclude"),
            scope: scope(&params),
        },
    )?;
    noted_json(&headers, &answered.answer.answer, &answered.notes)
}

async fn emulate(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let params = params(query)?;
    let format = params.get("format").unwrap_or("json");
    if !matches!(format, "json" | "yaml" | "md") {
        return Err(ApiError::bad_parameter(format!(
            "`format={}`: expected json, yaml or md",
            attackdb_ask::echo(format)
        )));
    }
    let answered = attackdb_ask::emulate(
        state.kb(),
        &attackdb_ask::EmulateRequest {
            reference,
            atomics: state.config().atomics.clone(),
            platform: params.get("platform").map(str::to_string),
            with_software: params.flag("with_software")?,
            scope: scope(&params),
        },
    )
    .map_err(|e| {
        let mut error = ApiError::from(e);
        if error.code == "not_configured" {
            error.hint = Some("start it with `attackdb serve --atomics DIR`".to_string());
        }
        error
    })?;
    let plan = &answered.answer.answer;
    let response = match format {
        "yaml" => respond(
            &headers,
            "application/yaml; charset=utf-8",
            plan.to_yaml()?.into_bytes(),
        ),
        "md" => respond(
            &headers,
            "text/markdown; charset=utf-8",
            plan.to_markdown().into_bytes(),
        ),
        _ => json(&headers, plan)?,
    };
    Ok(with_notes(response, &answered.notes))
}

async fn openapi(headers: HeaderMap) -> Answer {
    json(&headers, &openapi_document())
}

/// The OpenAPI 3.1 document of the REST routes, made from the route table.
pub fn openapi_document() -> serde_json::Value {
    let mut paths: BTreeMap<String, serde_json::Map<String, serde_json::Value>> = BTreeMap::new();
    for route in ROUTES {
        let mut parameters: Vec<serde_json::Value> = route
            .path
            .split('/')
            .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
            .map(|name| {
                serde_json::json!({
                    "name": name, "in": "path", "required": true,
                    "schema": {"type": "string"}
                })
            })
            .collect();
        for (name, description) in route.params {
            parameters.push(serde_json::json!({
                "name": name, "in": "query", "required": description.contains("(required)"),
                "description": description, "schema": {"type": "string"}
            }));
        }
        let (media, answer) = route.response;
        let mut responses = serde_json::Map::new();
        responses.insert(
            "200".into(),
            serde_json::json!({
                "description": answer,
                "content": {media: {"schema": {"description": answer}}}
            }),
        );
        for (status, what) in [
            ("400", "bad_parameter: a parameter that cannot be read"),
            (
                "404",
                "not_found / unknown_release / unknown_family / unknown_kind",
            ),
            ("413", "too_large: the body is over the limit"),
            (
                "422",
                "invalid_input: the body is not a valid layer or rule set",
            ),
        ] {
            responses.insert(
                status.into(),
                serde_json::json!({
                    "description": what,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                }),
            );
        }
        paths.entry(route.path.to_string()).or_default().insert(
            route.method.to_ascii_lowercase(),
            serde_json::json!({
                "summary": route.summary,
                "parameters": parameters,
                "responses": responses,
            }),
        );
    }
    serde_json::json!({
        "openapi": "3.1.0",
        "info": {
            "title": "attackdb",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "MITRE ATT&CK over REST: the same answers as the attackdb CLI's --json. TAXII 2.1 is at /taxii2/ and /api/v21/."
        },
        "paths": paths,
        "components": {"schemas": {"Error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "hint": {"type": ["string", "null"]}
            }
        }}}
    })
}
