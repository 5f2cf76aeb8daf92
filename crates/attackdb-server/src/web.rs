//! The web UI over HTTP: the pages `attackdb-web` renders, its static files, the layer
//! painting and export the page's script calls, the coverage upload, and the security headers
//! every answer carries.

use attackdb_web::{Query, Response as Page, WebError};
use axum::body::{Body, Bytes};
use axum::extract::{Extension, Multipart, Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::rest::pairs;
use crate::{respond, AppState};

/// The Content-Security-Policy of every answer: scripts and styles from this server only, no
/// inline script or style, nothing from any other host.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; \
    base-uri 'none'; frame-ancestors 'none'";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/static/{file}", get(asset))
        .route("/ui/paint", post(paint))
        .route("/ui/paint.css", get(paint_css))
        .route("/ui/layer.{format}", get(layer_download))
        .route("/coverage", get(coverage_form).post(coverage_upload))
        .route("/map", get(coverage_form).post(map_upload))
}

/// Adds the security headers to every answer.
pub async fn security_headers(request: Request<Body>, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    response
}

fn query_of(raw: Option<String>) -> Result<Query, WebError> {
    pairs(raw)
        .map(|list| list.into_iter().collect())
        .map_err(|e| WebError::BadRequest(e.message))
}

pub(crate) fn html(status: StatusCode, body: String, headers: &HeaderMap) -> Response {
    if status == StatusCode::OK {
        return respond(headers, "text/html; charset=utf-8", body.into_bytes());
    }
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

fn status_of(error: &WebError) -> StatusCode {
    StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

pub(crate) fn error_page(state: &AppState, error: &WebError) -> Response {
    let status = status_of(error);
    let body = match state.site() {
        Ok(site) => site.error_page(status.as_u16(), &error.to_string()),
        Err(e) => e.to_string(),
    };
    html(status, body, &HeaderMap::new())
}

/// Any path that is not an API route: a page of the site.
pub async fn page(state: AppState, request: Request<Body>) -> Response {
    let path = request.uri().path().to_string();
    let headers = request.headers().clone();
    let query = match query_of(request.uri().query().map(str::to_string)) {
        Ok(q) => q,
        Err(e) => return error_page(&state, &e),
    };
    if request.method() != axum::http::Method::GET && request.method() != axum::http::Method::HEAD {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let site = match state.site() {
        Ok(site) => site,
        Err(e) => return error_page(&state, &e),
    };
    let identity = request
        .extensions()
        .get::<crate::signin::Identity>()
        .cloned()
        .unwrap_or(crate::signin::Identity::Anonymous);
    let extras = match crate::team::Extras::read(&state, &identity, &path, &query).await {
        Ok(extras) => extras,
        Err(response) => return response,
    };
    match site.handle_with(&path, &query, &extras.team()) {
        Ok(Page::Html(body)) => html(StatusCode::OK, body, &headers),
        Ok(Page::Redirect(to)) => redirect(&to),
        Err(e) => error_page(&state, &e),
    }
}

/// A form page the site renders (`/coverage`, `/map`) on GET.
async fn coverage_form(State(state): State<AppState>, request: Request<Body>) -> Response {
    page(state, request).await
}

/// A form's parts: its fields (text), and its files (field name, file name, bytes) that are
/// not empty. Bounded by `--max-body` like every body.
async fn form_parts(
    mut multipart: Multipart,
) -> Result<(Query, Vec<(String, String, Bytes)>), WebError> {
    let malformed = |e: axum::extract::multipart::MultipartError| {
        WebError::BadRequest(format!("malformed upload: {e}"))
    };
    let mut fields = Query::new();
    let mut files = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(malformed)? {
        let name = field.name().unwrap_or("").to_string();
        let file_name = field.file_name().map(str::to_string);
        let bytes = field.bytes().await.map_err(malformed)?;
        match file_name {
            Some(file) if !bytes.is_empty() => files.push((name, file, bytes)),
            Some(_) => {}
            None => {
                fields.insert(name, String::from_utf8_lossy(&bytes).into_owned());
            }
        }
    }
    Ok((fields, files))
}

/// The map form's post: the report pasted (`text`) or uploaded (`report`), mapped on the
/// domain chosen, shown at once (nothing is kept).
async fn map_upload(State(state): State<AppState>, multipart: Multipart) -> Response {
    let (query, files) = match form_parts(multipart).await {
        Ok(parts) => parts,
        Err(e) => return error_page(&state, &e),
    };
    let (name, bytes) = match files.into_iter().find(|(field, ..)| field == "report") {
        Some((_, file, bytes)) => (file, bytes.to_vec()),
        None => (
            "the pasted text".to_string(),
            query.get("text").cloned().unwrap_or_default().into_bytes(),
        ),
    };
    let request = attackdb_ask::MapRequest {
        name: name.clone(),
        scope: attackdb_ask::Scope::new(
            query.get("domain").map(String::as_str),
            query.get("release").map(String::as_str),
        ),
        model_dir: state.config().model_dir.clone(),
        ..attackdb_ask::MapRequest::default()
    };
    let kb = state.kb();
    let mapped = tokio::task::spawn_blocking(move || {
        attackdb_ask::map(kb, &request, &bytes).map(|a| (a.dataset, a.answer))
    })
    .await;
    let site = match state.site() {
        Ok(site) => site,
        Err(e) => return error_page(&state, &e),
    };
    match mapped {
        Ok(Ok((dataset, answer))) => match site.map_page(dataset, &name, &answer) {
            Ok(body) => html(StatusCode::OK, body, &HeaderMap::new()),
            Err(e) => error_page(&state, &e),
        },
        Ok(Err(e)) => error_page(&state, &WebError::Asked(e)),
        Err(e) => error_page(
            &state,
            &WebError::Render(format!("the mapping stopped: {e}")),
        ),
    }
}

pub(crate) fn redirect(to: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(to) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Response {
    match attackdb_web::asset(&file) {
        Some((content_type, bytes)) => {
            let mut response = respond(&headers, content_type, bytes.to_vec());
            response.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            );
            response
        }
        None => (StatusCode::NOT_FOUND, "no such file").into_response(),
    }
}

/// The page's script sends a layer file; the answer is each layer normalised (upgraded to
/// 4.5) and painted on the release.
async fn paint(State(state): State<AppState>, RawQuery(raw): RawQuery, body: Bytes) -> Response {
    let result = (|| -> Result<serde_json::Value, WebError> {
        let site = state.site()?;
        let query = query_of(raw)?;
        let dataset = site.dataset(&query)?;
        let text = std::str::from_utf8(&body)
            .map_err(|_| WebError::BadRequest("the layer file is not UTF-8 text".into()))?;
        let layers = attackdb_navigator::read_layers(text)?.into_valid_layers()?;
        if layers.is_empty() {
            return Err(WebError::BadRequest("the file holds no layer".into()));
        }
        let painted: Vec<attackdb_web::Painted> = layers
            .iter()
            .map(|l| attackdb_web::paint(l, dataset))
            .collect();
        let values = layers
            .iter()
            .map(attackdb_navigator::layer_to_value)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(serde_json::json!({ "layers": values, "painted": painted }))
    })();
    match result {
        Ok(value) => axum::Json(value).into_response(),
        Err(e) => json_error(&e),
    }
}

/// A web UI JSON helper's error (`/ui/paint`...), in the one API error shape
/// `{"code", "message", "hint"}`.
fn json_error(error: &WebError) -> Response {
    let status = status_of(error);
    let code = match error {
        WebError::Asked(asked) => asked.code,
        WebError::Kb(kb) => attackdb_ask::kb_code(kb).1,
        WebError::NotFound(_) => "not_found",
        WebError::Render(_) => "internal",
        WebError::Layer(_) | WebError::Coverage(_) => "invalid_input",
        _ if status.is_server_error() => "internal",
        _ => "bad_parameter",
    };
    crate::ApiError {
        status,
        code,
        message: attackdb_kb::stix::clip_quoted_at(&error.to_string(), attackdb_kb::ECHO_CHARS),
        hint: None,
    }
    .into_response()
}

/// The layer a UI request names (`layer`, on the release of `domain` and `release`): a saved
/// one (`saved:ID`, read from the workspace as its reader may) or one the site makes.
async fn server_layer(
    state: &AppState,
    identity: &crate::signin::Identity,
    raw: Option<String>,
) -> Result<(attackdb_navigator::Layer, &'static attackdb_kb::Dataset), Response> {
    let made = async {
        let site = state.site()?;
        let query = query_of(raw)?;
        let dataset = site.dataset(&query)?;
        let spec = query
            .get("layer")
            .ok_or_else(|| WebError::BadRequest("`layer` is required, e.g. group:G0016".into()))?;
        Ok::<_, WebError>((site, dataset, spec.clone()))
    };
    let (site, dataset, spec) = made.await.map_err(|e| json_error(&e))?;
    match crate::team::saved_file(state, identity, &spec).await {
        Some(file) => {
            let file = file.map_err(IntoResponse::into_response)?;
            let layer = attackdb_navigator::read_layers(&file)
                .and_then(|l| l.into_valid_layers())
                .map_err(|e| json_error(&WebError::Layer(e)))?
                .into_iter()
                .next()
                .ok_or_else(|| {
                    json_error(&WebError::BadRequest(format!("{spec}: holds no layer")))
                })?;
            Ok((layer, dataset))
        }
        None => site
            .layer(dataset, &spec)
            .map(|layer| (layer, dataset))
            .map_err(|e| json_error(&e)),
    }
}

async fn paint_css(
    State(state): State<AppState>,
    Extension(identity): Extension<crate::signin::Identity>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    match server_layer(&state, &identity, raw).await {
        Ok((layer, dataset)) => {
            let painted = attackdb_web::paint(&layer, dataset);
            respond(
                &headers,
                "text/css; charset=utf-8",
                attackdb_web::paint_css(&painted).into_bytes(),
            )
        }
        Err(response) => response,
    }
}

async fn layer_download(
    State(state): State<AppState>,
    Extension(identity): Extension<crate::signin::Identity>,
    Path(format): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let (layer, dataset) = match server_layer(&state, &identity, raw).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let result = (|| -> Result<(&'static str, Vec<u8>, String), WebError> {
        let name: String = layer
            .name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let matrix = attackdb_navigator::LayerMatrix::build(
            &layer,
            dataset,
            attackdb_navigator::LayerMatrixOptions {
                subtechniques: true,
                all_techniques: false,
            },
        );
        Ok(match format.as_str() {
            "json" => (
                "application/json",
                attackdb_navigator::layer_to_json(&layer)?.into_bytes(),
                format!("{name}.json"),
            ),
            "svg" => (
                "image/svg+xml",
                attackdb_navigator::export::to_svg(&layer, &matrix).into_bytes(),
                format!("{name}.svg"),
            ),
            "xlsx" => (
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                attackdb_navigator::export::to_xlsx(&[(&layer, &matrix)])?,
                format!("{name}.xlsx"),
            ),
            other => {
                return Err(WebError::NotFound(format!(
                    "layer.{other}: expected layer.json, layer.svg or layer.xlsx"
                )))
            }
        })
    })();
    match result {
        Ok((content_type, bytes, file)) => {
            let mut response = respond(&headers, content_type, bytes);
            if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
                response
                    .headers_mut()
                    .insert(header::CONTENT_DISPOSITION, value);
            }
            response
        }
        Err(e) => json_error(&e),
    }
}

/// The coverage form's upload: the files are kept in a temporary folder while read, the
/// result is kept by the site, and the browser is sent to its page.
async fn coverage_upload(State(state): State<AppState>, multipart: Multipart) -> Response {
    let site = match state.site() {
        Ok(site) => site,
        Err(e) => return error_page(&state, &e),
    };
    // Form fields and files arrive as parts; fields are the options, files the rules.
    let folder = match tempfile::tempdir() {
        Ok(f) => f,
        Err(e) => {
            return error_page(
                &state,
                &WebError::Render(format!("cannot make a folder for the upload: {e}")),
            )
        }
    };
    let (query, parts) = match form_parts(multipart).await {
        Ok(parts) => parts,
        Err(e) => return error_page(&state, &e),
    };
    let mut files = 0usize;
    for (_, file, bytes) in &parts {
        let path = folder.path().join(crate::rest::safe_name(file, files));
        if let Err(e) = std::fs::write(&path, bytes) {
            return error_page(
                &state,
                &WebError::Render(format!("cannot keep the upload: {e}")),
            );
        }
        files += 1;
    }
    if files == 0 {
        return error_page(
            &state,
            &WebError::BadRequest("no rule files in the upload: choose one or more files".into()),
        );
    }
    let request = attackdb_web::CoverageRequest::from_query(&query);
    let paths = [folder.path().to_path_buf()];
    match site.coverage().add(site.kb(), &paths, &request) {
        Ok(id) => redirect(&format!("/coverage/{id}")),
        Err(e) => error_page(&state, &e),
    }
}
