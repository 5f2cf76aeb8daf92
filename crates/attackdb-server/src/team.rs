//! The workspace's pages: saved layers (`/layers`, `/layers/{id}` on the matrix), notes
//! (`/notes/{id}`, and the forms object pages post to add and delete them), and assessments
//! (`/assessments`, one of them, a name's trend, two compared). Each reads the workspace as its
//! REST twin does and hands the answer to the site to render. A browser that may not read the
//! workspace is sent to sign in; a form's write obeys the same roles, versions and cross-site
//! rule as REST's.

use axum::body::Bytes;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use attackdb_web::{Links, NotesView, Query, Team, WebError};
use attackdb_workspace::{Actor, LayerQuery, Note, Role, Workspace};

use crate::error::ApiError;
use crate::rest::pairs;
use crate::rest::workspace::{actor, id_of, workspace};
use crate::signin::Identity;
use crate::web::{html, redirect};
use crate::AppState;

/// The workspace's pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/layers", get(layers))
        .route("/layers/{id}", get(saved_layer))
        .route("/notes", post(add_note))
        .route("/notes/{id}", get(note))
        .route("/notes/{id}/delete", post(delete_note))
        .route("/assessments", get(assessments))
        .route("/assessments/trend", get(trend))
        .route("/assessments/compare", get(compare))
        .route("/assessments/{id}", get(assessment))
}

/// Why a page could not be shown.
enum PageError {
    Api(ApiError),
    Web(WebError),
}

impl From<ApiError> for PageError {
    fn from(error: ApiError) -> PageError {
        PageError::Api(error)
    }
}

impl From<WebError> for PageError {
    fn from(error: WebError) -> PageError {
        PageError::Web(error)
    }
}

impl From<attackdb_workspace::Error> for PageError {
    fn from(error: attackdb_workspace::Error) -> PageError {
        PageError::Api(error.into())
    }
}

/// The page, or the error page; a reader who must sign in is sent to `/login`, back to
/// `path` after it.
fn finish(
    state: &AppState,
    path: &str,
    headers: &HeaderMap,
    page: Result<String, PageError>,
) -> Response {
    match page {
        Ok(body) => html(StatusCode::OK, body, headers),
        Err(PageError::Api(e)) if e.status == StatusCode::UNAUTHORIZED => {
            crate::signin::to_login(path)
        }
        Err(PageError::Api(e)) => {
            let body = match state.site() {
                Ok(site) => site.error_page(e.status.as_u16(), &e.message),
                Err(w) => w.to_string(),
            };
            html(e.status, body, &HeaderMap::new())
        }
        Err(PageError::Web(e)) => crate::web::error_page(state, &e),
    }
}

fn query_of(raw: Option<String>) -> Result<Query, PageError> {
    Ok(pairs(raw)?.into_iter().collect())
}

fn given(query: &Query, name: &str) -> Option<String> {
    query
        .get(name)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The reader and the workspace.
async fn read(state: &AppState, identity: &Identity) -> Result<(Actor, Workspace), PageError> {
    let actor = actor(state, identity).await?;
    Ok((actor, workspace(state)?.clone()))
}

async fn layers(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    uri: Uri,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let page = async {
        let (_, ws) = read(&state, &identity).await?;
        let query = query_of(raw)?;
        let list = ws
            .layers(&LayerQuery {
                text: given(&query, "q"),
                tag: given(&query, "tag"),
                domain: given(&query, "domain"),
                owner: given(&query, "owner"),
            })
            .await?;
        Ok(state.site()?.layers_page(&list, &query)?)
    };
    finish(&state, &uri.to_string(), &headers, page.await)
}

/// A saved layer's file: `saved:ID` (the newest revision) or `saved:ID@REVISION`. `None` when
/// `spec` names no saved layer.
pub(crate) async fn saved_file(
    state: &AppState,
    identity: &Identity,
    spec: &str,
) -> Option<Result<String, ApiError>> {
    let rest = spec.strip_prefix("saved:")?;
    Some(
        async {
            let ws = workspace(state)?;
            actor(state, identity).await?;
            let (id, revision) = match rest.split_once('@') {
                Some((id, r)) => (id_of(id, "layer")?, Some(id_of(r, "revision")?)),
                None => (id_of(rest, "layer")?, None),
            };
            Ok(match revision {
                Some(r) => ws.revision(id, r).await?.layer.to_string(),
                None => ws.layer_json(id).await?.1,
            })
        }
        .await,
    )
}

async fn saved_layer(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    uri: Uri,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let page = async {
        let (_, ws) = read(&state, &identity).await?;
        let query = query_of(raw)?;
        let id = id_of(&id, "layer")?;
        let shown = given(&query, "revision")
            .map(|r| id_of(&r, "revision"))
            .transpose()?;
        let summary = ws.layer_summary(id).await?;
        let revisions = ws.revisions(id).await?;
        let file = match shown {
            Some(r) => ws.revision(id, r).await?.layer.to_string(),
            None => ws.layer_json(id).await?.1,
        };
        let links = links(&ws, "layer", id).await?;
        Ok(state
            .site()?
            .saved_layer_page(&summary, &revisions, shown, &file, &links, &query)?)
    };
    finish(&state, &uri.to_string(), &headers, page.await)
}

async fn note(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    uri: Uri,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let page = async {
        let (_, ws) = read(&state, &identity).await?;
        let id = id_of(&id, "note")?;
        let note = ws.note(id).await?;
        let links = links(&ws, "note", id).await?;
        Ok(state.site()?.note_page(&note, &links)?)
    };
    finish(&state, &uri.to_string(), &headers, page.await)
}

/// What workspace object `kind` `id` names, and what names it.
async fn links(ws: &Workspace, kind: &str, id: i64) -> Result<Links, PageError> {
    let (names, named_by) = ws.links(kind, id).await?;
    Ok(Links { names, named_by })
}

/// A form's fields.
fn form(body: &Bytes) -> Result<Query, PageError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::bad_parameter("the form is not UTF-8 text"))?;
    query_of(Some(text.to_string()))
}

/// Where a form sends the browser after it: a path of this server, else `fallback`.
fn next_of(form: &Query, fallback: &str) -> String {
    match form.get("next") {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.clone(),
        _ => fallback.to_string(),
    }
}

/// The object page's form: adds a note, then shows it on the page it came from.
async fn add_note(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let done = async {
        let (actor, ws) = read(&state, &identity).await?;
        let form = form(&body)?;
        let object = given(&form, "object")
            .ok_or_else(|| ApiError::invalid("a note names its `object` (an ATT&CK ID)"))?;
        let text = form.get("body").cloned().unwrap_or_default();
        let (note, _) = crate::rest::workspace::add_note(
            &state,
            &ws,
            &actor,
            &object,
            given(&form, "domain").as_deref(),
            text,
        )
        .await?;
        Ok::<_, PageError>(format!("{}#note-{}", next_of(&form, &note.url), note.id))
    };
    match done.await {
        Ok(to) => redirect(&to),
        Err(e) => finish(&state, "/", &headers, Err(e)),
    }
}

/// The object page's form: deletes a note at the version the page showed.
async fn delete_note(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let done = async {
        let (actor, ws) = read(&state, &identity).await?;
        let form = form(&body)?;
        let version = given(&form, "version")
            .map(|v| id_of(&v, "version"))
            .transpose()?;
        ws.delete_note(&actor, id_of(&id, "note")?, version).await?;
        Ok::<_, PageError>(format!("{}#team-notes", next_of(&form, "/")))
    };
    match done.await {
        Ok(to) => redirect(&to),
        Err(e) => finish(&state, "/", &headers, Err(e)),
    }
}

async fn assessments(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let page = async {
        let (_, ws) = read(&state, &identity).await?;
        let list = ws.assessments(None).await?;
        Ok(state.site()?.assessments_page(&list)?)
    };
    finish(&state, &uri.to_string(), &headers, page.await)
}

async fn assessment(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    uri: Uri,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let page = async {
        let (_, ws) = read(&state, &identity).await?;
        let id = id_of(&id, "assessment")?;
        let a = ws.assessment(id).await?;
        let series = ws.assessments(Some(&a.summary.name)).await?;
        let previous = series
            .iter()
            .take_while(|s| s.id != id)
            .last()
            .map(|s| s.id);
        let links = links(&ws, "assessment", id).await?;
        Ok(state.site()?.assessment_page(&a, previous, &links)?)
    };
    finish(&state, &uri.to_string(), &headers, page.await)
}

async fn trend(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    uri: Uri,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let page = async {
        let (_, ws) = read(&state, &identity).await?;
        let query = query_of(raw)?;
        let name = given(&query, "name")
            .ok_or_else(|| ApiError::bad_parameter("`name` (the assessments' name) is required"))?;
        let trend = ws.trend(&name).await?;
        Ok(state.site()?.trend_page(&name, &trend)?)
    };
    finish(&state, &uri.to_string(), &headers, page.await)
}

async fn compare(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    uri: Uri,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let page = async {
        let (_, ws) = read(&state, &identity).await?;
        let query = query_of(raw)?;
        let id = |name: &str| -> Result<i64, ApiError> {
            let text = given(&query, name).ok_or_else(|| {
                ApiError::bad_parameter(format!("`{name}` (an assessment ID) is required"))
            })?;
            id_of(&text, "assessment")
        };
        let (from, to) = (
            ws.assessment(id("from")?).await?,
            ws.assessment(id("to")?).await?,
        );
        let comparison = attackdb_workspace::compare_assessments(&from, &to);
        Ok(state.site()?.compare_page(&comparison)?)
    };
    finish(&state, &uri.to_string(), &headers, page.await)
}

/// What the workspace adds to an ATT&CK page at `path`: the object's notes (for a reader who
/// may see them) and the saved layer a matrix's `layer=saved:ID` names.
pub(crate) struct Extras {
    notes: Option<(Vec<Note>, bool)>,
    layer: Option<(String, String)>,
}

impl Extras {
    /// Reads them; `Err` is an answer to give instead of the page (the saved layer named
    /// could not be read).
    pub(crate) async fn read(
        state: &AppState,
        identity: &Identity,
        path: &str,
        query: &Query,
    ) -> Result<Extras, Response> {
        let mut extras = Extras {
            notes: None,
            layer: None,
        };
        let Some(ws) = state.workspace() else {
            return Ok(extras);
        };
        if let Some(spec) = query.get("layer") {
            if let Some(file) = saved_file(state, identity, spec).await {
                let file = file
                    .map_err(|e| finish(state, path, &HeaderMap::new(), Err(PageError::Api(e))))?;
                extras.layer = Some((spec.clone(), file));
            }
        }
        let object = match attackdb_web::site::locate(path).map(|l| l.target) {
            Some(attackdb_web::site::Target::Object(_, id)) => id,
            Some(attackdb_web::site::Target::Stix(id)) => id,
            _ => return Ok(extras),
        };
        if let Ok(actor) = actor(state, identity).await {
            if let Ok(notes) = ws.notes(Some(&object)).await {
                let can_write = actor.require(Role::Editor, "write notes").is_ok();
                extras.notes = Some((notes, can_write));
            }
        }
        Ok(extras)
    }

    /// As the site takes them.
    pub(crate) fn team(&self) -> Team<'_> {
        Team {
            notes: self.notes.as_ref().map(|(notes, can_write)| NotesView {
                notes,
                can_write: *can_write,
            }),
            layer: self.layer.clone(),
        }
    }
}
