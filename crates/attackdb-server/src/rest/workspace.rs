//! The team's workspace over REST (`/api/v1/workspace/...`): saved layers and their revisions,
//! notes, assessments, users, the audit log, and `/layers/{id}/layer.json` for the ATT&CK
//! Navigator's `layerURL`. A change names the version it replaces (`If-Match`, or `version`);
//! a stale one is 409 with the current version.

use axum::extract::Extension;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{delete, put};
use serde::Deserialize;

use attackdb_workspace::{Actor, LayerQuery, NewAssessment, NewLayer, NewNote, Role, Workspace};

use super::*;
use crate::signin::Identity;

const WS: &str = "the team's workspace";

pub(crate) fn workspace(state: &AppState) -> Result<&Workspace, ApiError> {
    state.workspace().ok_or_else(|| ApiError {
        status: StatusCode::NOT_FOUND,
        code: "no_workspace",
        message: "this server keeps no workspace".to_string(),
        hint: Some("start it without --no-workspace (SQLite in the data home, or --database postgres://...)".to_string()),
    })
}

/// Who may act: a workspace user; the local user of a workspace without users on a loopback
/// server; a `--token-file` token as a viewer.
pub(crate) async fn actor(state: &AppState, identity: &Identity) -> Result<Actor, ApiError> {
    let ws = workspace(state)?;
    match identity {
        Identity::User(actor) => Ok(actor.clone()),
        _ if state.config().loopback && !ws.has_users().await? => Ok(Actor::local()),
        Identity::Reader => Ok(Actor {
            name: "token".to_string(),
            role: Role::Viewer,
        }),
        Identity::Anonymous => Err(ApiError {
            status: StatusCode::UNAUTHORIZED,
            code: "unauthorized",
            message: format!("{WS} needs a user's token"),
            hint: Some("send Authorization: Bearer TOKEN (attackdb workspace user token NAME issues one), or sign in at /login".to_string()),
        }),
    }
}

/// The actor and the workspace (a handle: clones share one pool).
async fn reader(state: &AppState, identity: &Identity) -> Result<(Actor, Workspace), ApiError> {
    let actor = actor(state, identity).await?;
    Ok((actor, workspace(state)?.clone()))
}

/// The version a change names: `If-Match` (`"3"`, `W/"3"` or `3`), else the `version`
/// parameter.
fn version(headers: &HeaderMap, params: &Params) -> Result<Option<i64>, ApiError> {
    let given = headers
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.trim()
                .trim_start_matches("W/")
                .trim_matches('"')
                .to_string()
        })
        .or_else(|| params.get("version").map(str::to_string));
    given
        .map(|v| {
            v.parse::<i64>().map_err(|_| {
                ApiError::bad_parameter(format!(
                    "the version `{}` is not a number",
                    attackdb_ask::echo(&v)
                ))
            })
        })
        .transpose()
}

pub(crate) fn id_of(text: &str, what: &str) -> Result<i64, ApiError> {
    text.parse::<i64>().map_err(|_| {
        ApiError::bad_parameter(format!(
            "`{}` is not a {what} ID (a number)",
            attackdb_ask::echo(text)
        ))
    })
}

/// `value` as JSON with `ETag: "VERSION"`, so the next change can send it back as `If-Match`.
fn versioned<T: Serialize>(
    headers: &HeaderMap,
    value: &T,
    version: i64,
    status: StatusCode,
) -> Answer {
    let mut response = json(headers, value)?;
    *response.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(&format!("\"{version}\"")) {
        response.headers_mut().insert(header::ETAG, v);
    }
    Ok(response)
}

fn new_layer(params: &Params, body: &Bytes) -> Result<NewLayer, ApiError> {
    let text =
        std::str::from_utf8(body).map_err(|_| ApiError::invalid("the layer is not UTF-8 text"))?;
    Ok(NewLayer {
        body: text.to_string(),
        name: params.get("name").map(str::to_string),
        release: params.get("release").map(str::to_string),
        tags: params
            .get("tags")
            .map(|t| t.split(',').map(str::to_string).collect()),
    })
}

pub(super) async fn ws_status(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    headers: HeaderMap,
) -> Answer {
    let (actor, ws) = reader(&state, &identity).await?;
    json(
        &headers,
        &serde_json::json!({
            "backend": ws.backend().as_str(),
            "schema": ws.schema_version().await?,
            "users": ws.has_users().await?,
            "you": actor,
        }),
    )
}

pub(super) async fn ws_layers(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let (_, ws) = reader(&state, &identity).await?;
    let params = params(query)?;
    let query = LayerQuery {
        text: params.get("q").map(str::to_string),
        tag: params.get("tag").map(str::to_string),
        domain: params.get("domain").map(str::to_string),
        owner: params.get("owner").map(str::to_string),
    };
    json(&headers, &ws.layers(&query).await?)
}

pub(super) async fn ws_save_layer(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let (actor, ws) = reader(&state, &identity).await?;
    let new = new_layer(&params(query)?, &body)?;
    let saved = ws.save_layer(&actor, &new).await?;
    let version = saved.summary.version;
    let mut response = versioned(&headers, &saved, version, StatusCode::CREATED)?;
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/workspace/layers/{}", saved.summary.id))
    {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

pub(super) async fn ws_layer(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Answer {
    let (_, ws) = reader(&state, &identity).await?;
    let layer = ws.layer(id_of(&id, "layer")?).await?;
    let version = layer.summary.version;
    versioned(&headers, &layer, version, StatusCode::OK)
}

pub(super) async fn ws_update_layer(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let (actor, ws) = reader(&state, &identity).await?;
    let params = params(query)?;
    let new = new_layer(&params, &body)?;
    let saved = ws
        .update_layer(
            &actor,
            id_of(&id, "layer")?,
            version(&headers, &params)?,
            &new,
        )
        .await?;
    let version = saved.summary.version;
    versioned(&headers, &saved, version, StatusCode::OK)
}

/// `DELETE .../{id}` of `kind`: deletes it at the version the request names (`If-Match`, or
/// `version`); 204.
fn deleting(kind: &'static str) -> MethodRouter<AppState> {
    delete(
        move |State(state): State<AppState>,
              Extension(identity): Extension<Identity>,
              Path(id): Path<String>,
              RawQuery(query): RawQuery,
              headers: HeaderMap| async move {
            let (actor, ws) = reader(&state, &identity).await?;
            let params = params(query)?;
            ws.delete(&actor, kind, id_of(&id, kind)?, version(&headers, &params)?)
                .await?;
            Ok::<_, ApiError>(StatusCode::NO_CONTENT.into_response())
        },
    )
}

pub(super) async fn ws_revisions(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Answer {
    let (_, ws) = reader(&state, &identity).await?;
    json(&headers, &ws.revisions(id_of(&id, "layer")?).await?)
}

pub(super) async fn ws_revision(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    Path((id, revision)): Path<(String, String)>,
    headers: HeaderMap,
) -> Answer {
    let (_, ws) = reader(&state, &identity).await?;
    json(
        &headers,
        &ws.revision(id_of(&id, "layer")?, id_of(&revision, "revision")?)
            .await?,
    )
}

pub(super) async fn ws_layer_diff(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let (_, ws) = reader(&state, &identity).await?;
    let params = params(query)?;
    let id = id_of(&id, "layer")?;
    let newest = ws.layer_summary(id).await?.version;
    let to = match params.get("to") {
        Some(t) => id_of(t, "revision")?,
        None => newest,
    };
    let from = match params.get("from") {
        Some(f) => id_of(f, "revision")?,
        None => (to - 1).max(1),
    };
    let (a, b) = (ws.revision(id, from).await?, ws.revision(id, to).await?);
    let changes = attackdb_workspace::layer_changes(&a.layer, &b.layer)?;
    json(
        &headers,
        &serde_json::json!({"layer": id, "from": from, "to": to, "changes": changes}),
    )
}

/// `GET /layers/{id}/layer.json`: the newest revision as the ATT&CK Navigator opens it
/// (`layerURL`; CORS as `--cors` allows).
async fn layer_json(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let answer = async {
        let (_, ws) = reader(&state, &identity).await?;
        let (_, body) = ws.layer_json(id_of(&id, "layer")?).await?;
        Ok::<_, ApiError>(respond(&headers, JSON, body.into_bytes()))
    };
    answer.await.unwrap_or_else(IntoResponse::into_response)
}

/// The workspace's routes outside `/api/v1`.
pub fn workspace_pages() -> Router<AppState> {
    Router::new().route("/layers/{id}/layer.json", get(layer_json))
}

#[derive(Deserialize)]
struct NoteBody {
    object: Option<String>,
    domain: Option<String>,
    body: String,
    version: Option<i64>,
}

pub(super) async fn ws_notes(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let (_, ws) = reader(&state, &identity).await?;
    let params = params(query)?;
    json(&headers, &ws.notes(params.get("object")).await?)
}

pub(super) async fn ws_add_note(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let (actor, ws) = reader(&state, &identity).await?;
    let note: NoteBody = body_json(&body)?;
    let object = note
        .object
        .ok_or_else(|| ApiError::invalid("a note names its `object` (an ATT&CK ID)"))?;
    let (saved, notes) = add_note(
        &state,
        &ws,
        &actor,
        &object,
        note.domain.as_deref(),
        note.body,
    )
    .await?;
    let version = saved.version;
    let response = versioned(&headers, &saved, version, StatusCode::CREATED)?;
    Ok(with_notes(response, &notes))
}

/// Adds a note on `object`, which must exist: it is kept under the object's ATT&CK ID and
/// domain, found as every question finds it (`domain` or the cross-domain rule). The
/// second value is what that rule noted.
pub(crate) async fn add_note(
    state: &AppState,
    ws: &Workspace,
    actor: &Actor,
    object: &str,
    domain: Option<&str>,
    body: String,
) -> Result<(attackdb_workspace::Note, Vec<String>), ApiError> {
    let scope = attackdb_ask::Scope::new(domain, None).check()?;
    let found = attackdb_ask::locate(state.kb(), &scope, object, |d, r| d.lookup(r))?;
    let located = found.answer;
    let new = NewNote {
        object: located.dataset.display_id(located.id).to_string(),
        domain: located.dataset.domain().as_str().to_string(),
        body,
    };
    Ok((ws.add_note(actor, &new).await?, found.notes))
}

pub(super) async fn ws_note(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Answer {
    let (_, ws) = reader(&state, &identity).await?;
    let note = ws.note(id_of(&id, "note")?).await?;
    let version = note.version;
    versioned(&headers, &note, version, StatusCode::OK)
}

pub(super) async fn ws_update_note(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let (actor, ws) = reader(&state, &identity).await?;
    let params = params(query)?;
    let note: NoteBody = body_json(&body)?;
    let given = version(&headers, &params)?.or(note.version);
    let saved = ws
        .update_note(&actor, id_of(&id, "note")?, given, &note.body)
        .await?;
    let version = saved.version;
    versioned(&headers, &saved, version, StatusCode::OK)
}

pub(super) async fn ws_assessments(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let (_, ws) = reader(&state, &identity).await?;
    let params = params(query)?;
    json(&headers, &ws.assessments(params.get("name")).await?)
}

pub(super) async fn ws_save_assessment(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let (actor, ws) = reader(&state, &identity).await?;
    let new: NewAssessment = body_json(&body)?;
    let saved = ws.save_assessment(&actor, &new).await?;
    let version = saved.summary.version;
    versioned(&headers, &saved, version, StatusCode::CREATED)
}

pub(super) async fn ws_assessment(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Answer {
    let (_, ws) = reader(&state, &identity).await?;
    let a = ws.assessment(id_of(&id, "assessment")?).await?;
    let version = a.summary.version;
    versioned(&headers, &a, version, StatusCode::OK)
}

pub(super) async fn ws_compare(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let (_, ws) = reader(&state, &identity).await?;
    let params = params(query)?;
    let id = |name: &str| -> Result<i64, ApiError> {
        let text = params.get(name).ok_or_else(|| {
            ApiError::bad_parameter(format!("`{name}` (an assessment ID) is required"))
        })?;
        id_of(text, "assessment")
    };
    let (from, to) = (
        ws.assessment(id("from")?).await?,
        ws.assessment(id("to")?).await?,
    );
    json(
        &headers,
        &attackdb_workspace::compare_assessments(&from, &to),
    )
}

pub(super) async fn ws_trend(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let (_, ws) = reader(&state, &identity).await?;
    let params = params(query)?;
    let name = params
        .get("name")
        .ok_or_else(|| ApiError::bad_parameter("`name` (the assessments' name) is required"))?;
    let trend = ws.trend(name).await?;
    match params.get("format").unwrap_or("json") {
        "json" => json(&headers, &trend),
        "svg" => Ok(respond(
            &headers,
            "image/svg+xml",
            attackdb_web::trend_svg(name, &trend).into_bytes(),
        )),
        other => Err(ApiError::bad_parameter(format!(
            "unknown format `{}`: json or svg",
            attackdb_ask::echo(other)
        ))),
    }
}

pub(super) async fn ws_links(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    Path((kind, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Answer {
    let (_, ws) = reader(&state, &identity).await?;
    if !matches!(kind.as_str(), "layer" | "note" | "assessment") {
        return Err(ApiError::bad_parameter(format!(
            "`{}` is not a kind of the workspace: layer, note or assessment",
            attackdb_ask::echo(&kind)
        )));
    }
    let (names, named_by) = ws.links(&kind, id_of(&id, &kind)?).await?;
    json(
        &headers,
        &serde_json::json!({"names": names, "named_by": named_by}),
    )
}

#[derive(Deserialize)]
struct UserBody {
    name: String,
    role: String,
}

pub(super) async fn ws_users(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    headers: HeaderMap,
) -> Answer {
    let (actor, ws) = reader(&state, &identity).await?;
    json(&headers, &ws.users(&actor).await?)
}

pub(super) async fn ws_add_user(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let (actor, ws) = reader(&state, &identity).await?;
    let user: UserBody = body_json(&body)?;
    let role = Role::parse(&user.role)?;
    let added = ws.add_user(&actor, &user.name, role).await?;
    let mut response = json(&headers, &added)?;
    *response.status_mut() = StatusCode::CREATED;
    Ok(response)
}

pub(super) async fn ws_remove_user(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    Path(name): Path<String>,
) -> Answer {
    let (actor, ws) = reader(&state, &identity).await?;
    ws.remove_user(&actor, &name).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(super) async fn ws_issue_token(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let (actor, ws) = reader(&state, &identity).await?;
    let params = params(query)?;
    let issued = ws
        .issue_token(&actor, &name, params.get("label").unwrap_or(""))
        .await?;
    let mut response = json(&headers, &issued)?;
    *response.status_mut() = StatusCode::CREATED;
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

pub(super) async fn ws_audit(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let (actor, ws) = reader(&state, &identity).await?;
    let params = params(query)?;
    let limit = match params.get("limit") {
        Some(l) => id_of(l, "limit")?,
        None => 100,
    };
    let before = params
        .get("before")
        .map(|b| id_of(b, "audit entry"))
        .transpose()?;
    json(&headers, &ws.audit(&actor, limit, before).await?)
}

pub(super) async fn ws_export(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    headers: HeaderMap,
) -> Answer {
    let (actor, ws) = reader(&state, &identity).await?;
    json(&headers, &ws.export(&actor).await?)
}

const WS_ROUTE_PARAMS_LAYER: &[(&str, &str)] = &[
    (
        "name",
        "the layer's name in the workspace (default: the layer's own)",
    ),
    ("tags", "tags, comma-separated"),
    (
        "release",
        "its ATT&CK release (default: the layer's versions.attack)",
    ),
];
const VERSION: (&str, &str) = ("version", "the version this change replaces (or If-Match)");

/// The workspace's REST routes, as `openapi.json` lists them.
pub const WORKSPACE_ROUTES: &[RouteDoc] = &[
    RouteDoc { method: "GET", path: "/api/v1/workspace", summary: "The workspace: backend, schema version, whether it has users, and who you are", params: &[], response: (JSON, "WorkspaceStatus"), handler: || get(ws_status) },
    RouteDoc { method: "GET", path: "/api/v1/workspace/layers", summary: "Saved layers, newest change first", params: &[("q", "words the name or a tag contains"), ("tag", "only layers with this tag"), ("domain", "only layers of this domain"), ("owner", "only layers this user saved first")], response: (JSON, "LayerSummary[]"), handler: || get(ws_layers) },
    RouteDoc { method: "POST", path: "/api/v1/workspace/layers", summary: "Save a layer (the body: a Navigator layer file); 201 with its ETag", params: WS_ROUTE_PARAMS_LAYER, response: (JSON, "SavedLayer"), handler: || post(ws_save_layer) },
    RouteDoc { method: "GET", path: "/api/v1/workspace/layers/{id}", summary: "A saved layer with its newest revision; ETag is its version", params: &[], response: (JSON, "SavedLayer"), handler: || get(ws_layer) },
    RouteDoc { method: "PUT", path: "/api/v1/workspace/layers/{id}", summary: "Save a new revision (If-Match: the version read); 409 when it changed since", params: &[WS_ROUTE_PARAMS_LAYER[0], WS_ROUTE_PARAMS_LAYER[1], WS_ROUTE_PARAMS_LAYER[2], VERSION], response: (JSON, "SavedLayer"), handler: || put(ws_update_layer) },
    RouteDoc { method: "DELETE", path: "/api/v1/workspace/layers/{id}", summary: "Delete a saved layer (If-Match: its version)", params: &[VERSION], response: (JSON, "nothing (204)"), handler: || deleting("layer") },
    RouteDoc { method: "GET", path: "/api/v1/workspace/layers/{id}/revisions", summary: "Every revision of a layer, oldest first", params: &[], response: (JSON, "RevisionSummary[]"), handler: || get(ws_revisions) },
    RouteDoc { method: "GET", path: "/api/v1/workspace/layers/{id}/revisions/{revision}", summary: "One revision, whole", params: &[], response: (JSON, "Revision"), handler: || get(ws_revision) },
    RouteDoc { method: "GET", path: "/api/v1/workspace/layers/{id}/diff", summary: "What changed between two revisions (default: the newest and the one before)", params: &[("from", "the older revision"), ("to", "the newer revision")], response: (JSON, "LayerChanges"), handler: || get(ws_layer_diff) },
    RouteDoc { method: "GET", path: "/api/v1/workspace/notes", summary: "Notes, oldest first", params: &[("object", "only notes on this ATT&CK ID")], response: (JSON, "Note[]"), handler: || get(ws_notes) },
    RouteDoc { method: "POST", path: "/api/v1/workspace/notes", summary: "Add a note: {\"object\", \"domain\"?, \"body\"} (Markdown; the object must exist)", params: &[], response: (JSON, "Note"), handler: || post(ws_add_note) },
    RouteDoc { method: "GET", path: "/api/v1/workspace/notes/{id}", summary: "A note; ETag is its version", params: &[], response: (JSON, "Note"), handler: || get(ws_note) },
    RouteDoc { method: "PUT", path: "/api/v1/workspace/notes/{id}", summary: "Change a note: {\"body\", \"version\"?} (or If-Match)", params: &[VERSION], response: (JSON, "Note"), handler: || put(ws_update_note) },
    RouteDoc { method: "DELETE", path: "/api/v1/workspace/notes/{id}", summary: "Delete a note (If-Match: its version)", params: &[VERSION], response: (JSON, "nothing (204)"), handler: || deleting("note") },
    RouteDoc { method: "GET", path: "/api/v1/workspace/assessments", summary: "Assessments, oldest first", params: &[("name", "only assessments of this name")], response: (JSON, "AssessmentSummary[]"), handler: || get(ws_assessments) },
    RouteDoc { method: "POST", path: "/api/v1/workspace/assessments", summary: "Save an assessment (the body: an assessment document; `attackdb coverage --save NAME` makes one)", params: &[], response: (JSON, "Assessment"), handler: || post(ws_save_assessment) },
    RouteDoc { method: "GET", path: "/api/v1/workspace/assessments/{id}", summary: "An assessment, whole", params: &[], response: (JSON, "Assessment"), handler: || get(ws_assessment) },
    RouteDoc { method: "DELETE", path: "/api/v1/workspace/assessments/{id}", summary: "Delete an assessment (If-Match: its version)", params: &[VERSION], response: (JSON, "nothing (204)"), handler: || deleting("assessment") },
    RouteDoc { method: "GET", path: "/api/v1/workspace/compare", summary: "Two assessments compared: techniques gained and lost, per tactic", params: &[("from", "the older assessment's ID (required)"), ("to", "the newer assessment's ID (required)")], response: (JSON, "AssessmentComparison"), handler: || get(ws_compare) },
    RouteDoc { method: "GET", path: "/api/v1/workspace/trend", summary: "Each tactic's coverage over the assessments of one name; format=svg draws it", params: &[("name", "the assessments' name (required)"), ("format", "json (default) or svg")], response: (JSON, "Trend"), handler: || get(ws_trend) },
    RouteDoc { method: "GET", path: "/api/v1/workspace/links/{kind}/{id}", summary: "What a layer, note or assessment names, and what names it", params: &[], response: (JSON, "Links"), handler: || get(ws_links) },
    RouteDoc { method: "GET", path: "/api/v1/workspace/users", summary: "Users and their tokens (never the secrets); admins", params: &[], response: (JSON, "User[]"), handler: || get(ws_users) },
    RouteDoc { method: "POST", path: "/api/v1/workspace/users", summary: "Add a user: {\"name\", \"role\"} (viewer, editor or admin); admins", params: &[], response: (JSON, "User"), handler: || post(ws_add_user) },
    RouteDoc { method: "DELETE", path: "/api/v1/workspace/users/{name}", summary: "Remove a user and their tokens; admins", params: &[], response: (JSON, "nothing (204)"), handler: || delete(ws_remove_user) },
    RouteDoc { method: "POST", path: "/api/v1/workspace/users/{name}/tokens", summary: "Issue a token (shown once); admins, or the user for themselves", params: &[("label", "what the token is for")], response: (JSON, "IssuedToken"), handler: || post(ws_issue_token) },
    RouteDoc { method: "GET", path: "/api/v1/workspace/audit", summary: "The audit log, newest first; admins", params: &[("limit", "at most this many (default 100)"), ("before", "only entries before this one")], response: (JSON, "AuditEntry[]"), handler: || get(ws_audit) },
    RouteDoc { method: "GET", path: "/api/v1/workspace/export", summary: "The whole workspace (users without tokens), as `attackdb workspace export` writes it; admins", params: &[], response: (JSON, "Export"), handler: || get(ws_export) },
];
