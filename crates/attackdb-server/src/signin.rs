//! Sign-in: read-only bearer tokens (`serve --token-file`), workspace users' tokens, the cookie
//! a browser keeps instead, and the sign-in page (a template of the site, like every other
//! page). [`authenticate`] finds who asks ([`Identity`]); with `--token-file` it guards every
//! route but the health checks, signing in and out, and the static files.

use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::error::ApiError;
use crate::rest::pairs;
use crate::web::{html, redirect};
use crate::AppState;

/// `/login` and `/logout`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/logout", get(logout))
}

/// The cookie the web UI's sign-in sets: the token, hex-encoded.
pub(crate) const TOKEN_COOKIE: &str = "attackdb_token";

/// Who a request comes from, as the sign-in middleware found it (in the request's extensions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// No token, or one the server does not know.
    Anonymous,
    /// A read-only token of `--token-file`.
    Reader,
    /// A workspace user, by bearer token or the sign-in cookie.
    User(attackdb_workspace::Actor),
}

/// How the request carried its token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Carried {
    /// No token.
    Nothing,
    /// `Authorization: Bearer`.
    Bearer,
    /// The sign-in cookie (a browser: writes must come from this site's own pages).
    Cookie,
}

/// Finds who the request comes from and keeps it in its extensions. With tokens configured
/// (`--token-file`) or workspace users, every route but `/healthz`, `/readyz`, signing in and
/// out, and the static files needs `Authorization: Bearer TOKEN`, or the cookie the sign-in
/// page sets (a browser cannot send a bearer token); without `--token-file`, ATT&CK's routes
/// stay open and the workspace's decide by role. A browser asking for a page without a token
/// is sent to the sign-in page; everything else gets 401. A write carried by the cookie must
/// come from this server's own pages (`Origin` or `Sec-Fetch-Site`), so another site cannot
/// make a signed-in browser write.
pub async fn authenticate(
    State(state): State<AppState>,
    mut request: Request<Body>,
    next: Next,
) -> Response {
    let tokens = &state.config().tokens;
    let path = request.uri().path();
    let open = matches!(path, "/healthz" | "/readyz" | "/login" | "/logout")
        || path.starts_with("/static/");
    let headers = request.headers();
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|v| v.trim().as_bytes().to_vec());
    let (given, carried) = match bearer {
        Some(token) => (Some(token), Carried::Bearer),
        None => match cookie_token(headers) {
            Some(token) => (Some(token), Carried::Cookie),
            None => (None, Carried::Nothing),
        },
    };
    let identity = match &given {
        None => Identity::Anonymous,
        Some(g) if token_known(tokens, g) => Identity::Reader,
        Some(g) => match (state.workspace(), std::str::from_utf8(g)) {
            (Some(workspace), Ok(secret)) => match workspace.authenticate(secret).await {
                Ok(Some(actor)) => Identity::User(actor),
                Ok(None) => Identity::Anonymous,
                Err(error) => return ApiError::from(error).into_response(),
            },
            _ => Identity::Anonymous,
        },
    };
    let writes = !matches!(
        *request.method(),
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    );
    // A browser sends the cookie (or, to a workspace open to the local user, nothing) with a
    // form another site posts; only this server's own pages may write that way. Scripts and
    // tools send no Origin and no Sec-Fetch-Site, or a bearer token.
    let foreign = match carried {
        Carried::Cookie => !same_site(request.headers()),
        Carried::Nothing => from_a_browser(request.headers()) && !same_site(request.headers()),
        Carried::Bearer => false,
    };
    if writes && foreign {
        return ApiError {
            status: StatusCode::FORBIDDEN,
            code: "cross_site",
            message: "a write signed in by cookie must come from this server's own pages"
                .to_string(),
            hint: Some(
                "scripts send Authorization: Bearer TOKEN instead of the cookie".to_string(),
            ),
        }
        .into_response();
    }
    let known = identity != Identity::Anonymous;
    request.extensions_mut().insert(identity);
    request.extensions_mut().insert(carried);
    if tokens.is_empty() || open || known || request.method() == axum::http::Method::OPTIONS {
        return next.run(request).await;
    }
    if wants_page(&request) {
        let next_path = request
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string();
        return to_login(&next_path);
    }
    let mut response = ApiError {
        status: StatusCode::UNAUTHORIZED,
        code: "unauthorized",
        message: "this server needs a bearer token".to_string(),
        hint: Some(
            "send Authorization: Bearer TOKEN with a token of --token-file or a workspace user's (in a browser: sign in at /login)"
                .to_string(),
        ),
    }
    .into_response();
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// Whether a request comes from this server's own pages: `Sec-Fetch-Site: same-origin`, or an
/// `Origin` (else `Referer`) whose host is the request's `Host`.
fn same_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return site == "same-origin" || site == "none";
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let from = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    match (host, from) {
        (Some(host), Some(from)) => from
            .split_once("://")
            .map(|(_, rest)| rest.split('/').next().unwrap_or(""))
            .is_some_and(|origin_host| origin_host.eq_ignore_ascii_case(host)),
        _ => false,
    }
}

/// Whether a browser sent the request: it says where from (`Origin`, `Sec-Fetch-Site`).
fn from_a_browser(headers: &HeaderMap) -> bool {
    headers.contains_key(header::ORIGIN) || headers.contains_key("sec-fetch-site")
}

/// Whether `given` is one of `tokens` (compared in constant time).
pub(crate) fn token_known(tokens: &[String], given: &[u8]) -> bool {
    tokens.iter().any(|t| constant_time_eq(t.as_bytes(), given))
}

/// The token in the sign-in cookie, decoded; `None` without one, or when it is not hex.
fn cookie_token(headers: &axum::http::HeaderMap) -> Option<Vec<u8>> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == TOKEN_COOKIE)
        .and_then(|(_, value)| from_hex(value.trim()))
}

/// A browser's request for a page: GET or HEAD of a site path, asking for HTML.
fn wants_page(request: &Request<Body>) -> bool {
    let path = request.uri().path();
    let method = request.method();
    (method == axum::http::Method::GET || method == axum::http::Method::HEAD)
        && !path.starts_with("/api/")
        && !path.starts_with("/taxii2")
        && !path.starts_with("/ui/")
        && path != "/metrics"
        && request
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"))
}

/// `bytes` as lowercase hex.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Where a sign-in may send the browser back to: a path of this server, else `/`.
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n,
        _ => "/",
    }
}

/// Sends a browser to the sign-in page, to come back to `next` after it.
pub(crate) fn to_login(next: &str) -> Response {
    redirect(&format!(
        "/login?next={}",
        crate::params::percent_encode(next)
    ))
}

/// The sign-in page (the site's template), with `status`.
fn login_page(state: &AppState, status: StatusCode, next: &str, problem: Option<&str>) -> Response {
    match state.site().and_then(|site| site.login_page(next, problem)) {
        Ok(body) => html(status, body, &HeaderMap::new()),
        Err(error) => html(
            StatusCode::INTERNAL_SERVER_ERROR,
            attackdb_kb::markup::escape_markup(&error.to_string()),
            &HeaderMap::new(),
        ),
    }
}

async fn login_form(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    let query = pairs(raw).unwrap_or_default();
    let next = query
        .iter()
        .find(|(k, _)| k == "next")
        .map(|(_, v)| v.as_str());
    let next = safe_next(next);
    if !signs_in(&state).await {
        return redirect(next);
    }
    login_page(&state, StatusCode::OK, next, None)
}

/// Checks the token a browser posted; a known one is kept in an HTTP-only, same-site cookie.
async fn login(State(state): State<AppState>, body: Bytes) -> Response {
    let form = pairs(Some(String::from_utf8_lossy(&body).into_owned())).unwrap_or_default();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let next = safe_next(field("next"));
    let token = field("token").unwrap_or("").trim();
    if !signs_in(&state).await {
        return redirect(next);
    }
    let tokens = &state.config().tokens;
    let user = match state.workspace() {
        Some(workspace) => workspace.authenticate(token).await.ok().flatten(),
        None => None,
    };
    if !token_known(tokens, token.as_bytes()) && user.is_none() {
        return login_page(
            &state,
            StatusCode::UNAUTHORIZED,
            next,
            Some("That is not a token of this server."),
        );
    }
    let mut response = redirect(next);
    let cookie = format!(
        "{}={}; Path=/; HttpOnly; SameSite=Strict",
        TOKEN_COOKIE,
        to_hex(token.as_bytes())
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// Whether signing in means anything here: tokens of `--token-file`, or workspace users.
async fn signs_in(state: &AppState) -> bool {
    if !state.config().tokens.is_empty() {
        return true;
    }
    match state.workspace() {
        Some(workspace) => workspace.has_users().await.unwrap_or(true),
        None => false,
    }
}

/// Forgets the sign-in cookie.
async fn logout() -> Response {
    let mut response = redirect("/login");
    let cookie = format!(
        "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0",
        TOKEN_COOKIE
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}
