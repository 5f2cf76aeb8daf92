//! attackdb over HTTP: the REST twin of the CLI under `/api/v1` (the same typed answers,
//! serialised the same way, so the JSON is byte for byte the CLI's), a TAXII 2.1 server shaped
//! like MITRE's, and the operations routes (`/healthz`, `/readyz`, `/metrics`). The only crate
//! that knows HTTP serving.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use attackdb_server::{router, serve, AppState, Config};
//! let kb = attackdb_kb::Kb::load(&["../shared/attack-stix-data".into()]).expect("data");
//! let state = AppState::new(kb, Config::default());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! serve(listener, router(state), std::future::pending()).await
//! # }
//! ```
//!
//! Tests drive [`router`] without a socket (`tower::ServiceExt::oneshot`).

mod error;
mod ops;
mod params;
mod rest;
mod signin;
mod taxii;
mod team;
mod web;
mod wire;

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use attackdb_kb::Kb;
use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;

pub use error::ApiError;
pub use ops::Metrics;
pub use rest::openapi_document;
pub use signin::Identity;
pub use web::CONTENT_SECURITY_POLICY;

/// How the server behaves.
#[derive(Debug, Clone)]
pub struct Config {
    /// The largest request body accepted, in bytes (layers, rule uploads).
    pub max_body: usize,
    /// The largest TAXII page (`limit`) served.
    pub max_page: usize,
    /// Each request's time limit.
    pub timeout: Duration,
    /// Origins allowed by CORS (`*` for any); empty for none.
    pub cors_origins: Vec<String>,
    /// Bearer tokens that may read; empty for no authentication.
    pub tokens: Vec<String>,
    /// An Atomic Red Team checkout (its `atomics/` folder or the checkout) for
    /// `/api/v1/emulate/{ref}`; without it that route says how to give one.
    pub atomics: Option<std::path::PathBuf>,
    /// Where the releases' mapping models are kept between runs (the data home's index
    /// folder); none: learned at the first report of each release.
    pub model_dir: Option<std::path::PathBuf>,
    /// Whether the server listens on a loopback address only: a workspace without users is
    /// then open to the local user (as an admin); elsewhere its routes need a user's token.
    pub loopback: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            max_body: 32 << 20,
            max_page: 10_000,
            timeout: Duration::from_secs(30),
            cors_origins: Vec::new(),
            tokens: Vec::new(),
            atomics: None,
            model_dir: None,
            loopback: true,
        }
    }
}

/// What every handler shares: the knowledge base (immutable), the configuration and the
/// metrics. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    kb: &'static Kb,
    config: Config,
    metrics: Metrics,
    ready: AtomicBool,
    /// The web UI (its templates are checked when the state is made).
    site: Result<attackdb_web::Site, String>,
    /// The team's workspace, when the server keeps one.
    workspace: Option<attackdb_workspace::Workspace>,
    /// Per dataset: its objects in TAXII order (date added, then bundle order), made on the
    /// first TAXII request that needs it.
    taxii_order: Vec<OnceLock<Vec<taxii::Entry>>>,
}

impl AppState {
    /// The state serving `kb`, which lives as long as the process (a server serves its data
    /// until it exits).
    pub fn new(kb: Kb, config: Config) -> AppState {
        AppState::from_static(Box::leak(Box::new(kb)), config)
    }

    /// The state serving a knowledge base that is never freed.
    pub fn from_static(kb: &'static Kb, config: Config) -> AppState {
        let taxii_order = kb.datasets().iter().map(|_| OnceLock::new()).collect();
        let site = attackdb_web::Site::new(kb)
            .map(|site| site.with_atomics(config.atomics.clone()))
            .map_err(|e| e.to_string());
        AppState {
            inner: Arc::new(Inner {
                kb,
                config,
                metrics: Metrics::default(),
                ready: AtomicBool::new(true),
                site,
                taxii_order,
                workspace: None,
            }),
        }
    }

    /// The same state keeping the team's work in `workspace` (before the state is shared).
    pub fn with_workspace(self, workspace: attackdb_workspace::Workspace) -> AppState {
        match Arc::try_unwrap(self.inner) {
            Ok(mut inner) => {
                inner.workspace = Some(workspace);
                inner.site = inner.site.map(|site| site.with_team(true));
                AppState {
                    inner: Arc::new(inner),
                }
            }
            Err(inner) => AppState { inner },
        }
    }

    /// The workspace, if the server keeps one.
    pub fn workspace(&self) -> Option<&attackdb_workspace::Workspace> {
        self.inner.workspace.as_ref()
    }

    /// The knowledge base.
    pub fn kb(&self) -> &'static Kb {
        self.inner.kb
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The web UI, or why it could not be made (a template error: a bug, reported on every
    /// page).
    pub fn site(&self) -> Result<&attackdb_web::Site, attackdb_web::WebError> {
        self.inner
            .site
            .as_ref()
            .map_err(|e| attackdb_web::WebError::Render(e.clone()))
    }

    /// Marks the server as not ready (`/readyz` answers 503), e.g. while shutting down.
    pub fn set_ready(&self, ready: bool) {
        self.inner
            .ready
            .store(ready, std::sync::atomic::Ordering::Relaxed);
    }

    fn is_ready(&self) -> bool {
        self.inner.ready.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Every route: REST under `/api/v1`, TAXII at `/taxii2/` and `/api/v21/`, operations, and the
/// web UI at every other path (ATT&CK's own page paths), with
/// limits, timeouts, compression, CORS, authentication and metrics around them.
pub fn router(state: AppState) -> Router {
    use tower_http::compression::CompressionLayer;
    use tower_http::cors::{AllowOrigin, CorsLayer};
    use tower_http::timeout::TimeoutLayer;

    let config = state.config().clone();
    let mut app = Router::new()
        .merge(rest::routes())
        .merge(taxii::routes())
        .merge(ops::routes())
        .merge(web::routes())
        .merge(signin::routes())
        .merge(rest::workspace_pages())
        .merge(team::routes())
        .fallback(fallback)
        .layer(axum::extract::DefaultBodyLimit::max(config.max_body))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            signin::authenticate,
        ))
        .layer(axum::middleware::from_fn(ops::uniform_errors))
        .layer(axum::middleware::from_fn(web::security_headers))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ops::measure,
        ))
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.timeout,
        ));
    if !config.cors_origins.is_empty() {
        let origins = if config.cors_origins.iter().any(|o| o == "*") {
            AllowOrigin::any()
        } else {
            AllowOrigin::list(
                config
                    .cors_origins
                    .iter()
                    .filter_map(|o| HeaderValue::from_str(o).ok()),
            )
        };
        app = app.layer(
            CorsLayer::new()
                .allow_origin(origins)
                .allow_methods([
                    axum::http::Method::GET,
                    axum::http::Method::POST,
                    axum::http::Method::PUT,
                    axum::http::Method::DELETE,
                ])
                .allow_headers([
                    header::ACCEPT,
                    header::CONTENT_TYPE,
                    header::AUTHORIZATION,
                    header::IF_MATCH,
                ])
                .expose_headers([header::ETAG]),
        );
    }
    app.with_state(state)
}

async fn fallback(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: Request<Body>,
) -> Response {
    let path = request.uri().path().to_string();
    if path.starts_with("/api/v21") || path.starts_with("/taxii2") {
        return taxii::error(
            StatusCode::NOT_FOUND,
            "not found",
            &format!("{path}: no such TAXII resource"),
        );
    }
    if path.starts_with("/api/") {
        return ApiError::no_route(&path).into_response();
    }
    web::page(state, request).await
}

/// Serves `app` on `listener` until `shutdown` completes, then finishes the requests in flight.
/// The answers hyper gives itself (a URI too long, headers too large, a request that is not
/// HTTP) carry the same JSON error body as every other error.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(wire::Listener(listener), app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Resolves when the process gets Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// A complete answer: `body` with `content_type`, an ETag of its bytes, and 304 when the
/// request's `If-None-Match` already has it (the data never changes while served).
pub(crate) fn respond(request: &HeaderMap, content_type: &str, body: Vec<u8>) -> Response {
    let etag = format!("\"{:016x}\"", xxhash_rust::xxh3::xxh3_64(&body));
    let matches = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, body).into_response()
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    response
}
