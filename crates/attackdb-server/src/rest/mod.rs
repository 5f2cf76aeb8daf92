//! The REST API under `/api/v1`: one route per CLI answer, returning the same JSON document for
//! the same arguments (query parameters named like the CLI's options), built from the same
//! library calls and typed answers. [`ROUTES`] documents every route; `openapi.json` is made
//! from it, and a test checks that each documented route answers as documented.

use std::collections::BTreeMap;

use attackdb_kb::{
    answer::{detection_answer, related_answer, stats_answer, to_json_pretty},
    Domain,
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

mod coverage;
mod intel;
mod layers;
mod query;
pub(crate) mod workspace;

use coverage::*;
use intel::*;
use layers::*;
use query::*;
use workspace::*;

pub(crate) use workspace::workspace_pages;

pub(crate) use coverage::safe_name;

/// One documented route.
pub struct RouteDoc {
    /// `GET`, `POST`, `PUT` or `DELETE`.
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
        method: "POST",
        path: "/api/v1/map",
        summary: "A threat report (the body: text, Markdown or HTML) to the techniques it describes, suggestions for an analyst (`attackdb map FILE --json`)",
        params: &[DOMAIN, RELEASE, ("name", "the report's name (the layer's name)"), ("top", "at most this many techniques (default 20)"), ("min_score", "leave out techniques below this score, 0 to 1 (default 0.2)"), ("format", "json (default), layer, md or html")],
        response: (JSON, "MapAnswer"),
        handler: || post(map),
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

/// Every REST route: ATT&CK's ([`ROUTES`]) and the workspace's ([`WORKSPACE_ROUTES`]).
pub fn all_routes() -> impl Iterator<Item = &'static RouteDoc> {
    ROUTES.iter().chain(WORKSPACE_ROUTES)
}

/// The REST routes, made from [`ROUTES`]: one route per entry, and every request's query
/// parameters checked against the entry's (a name it does not list is refused).
pub fn routes() -> Router<AppState> {
    all_routes()
        .fold(Router::new(), |router, route| {
            router.route(route.path, (route.handler)())
        })
        .route_layer(axum::middleware::from_fn(check_parameters))
}

/// The documented route a request reached (by its matched path and method).
fn route_of(path: &str, method: &axum::http::Method) -> Option<&'static RouteDoc> {
    all_routes().find(|r| r.path == path && r.method == method.as_str())
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

async fn openapi(headers: HeaderMap) -> Answer {
    json(&headers, &openapi_document())
}

/// The OpenAPI 3.1 document of the REST routes, made from the route table.
pub fn openapi_document() -> serde_json::Value {
    let mut paths: BTreeMap<String, serde_json::Map<String, serde_json::Value>> = BTreeMap::new();
    for route in all_routes() {
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
        ]
        .into_iter()
        .chain(
            [
                ("401", "unauthorized: the workspace needs a user's token"),
                ("403", "forbidden / cross_site: the user's role does not allow it, or a cookie write from another site"),
                ("409", "conflict / exists: the object changed since it was read (the hint names its version)"),
                ("428", "version_required: a change names the version it replaces (If-Match)"),
                ("503", "workspace_unavailable: the database takes no writes now"),
            ]
            .into_iter()
            .filter(|_| route.path.starts_with("/api/v1/workspace")),
        ) {
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
