//! Operations: `/healthz` (the process answers), `/readyz` (data loaded, not shutting down),
//! `/metrics` (Prometheus text: requests by route and status, a latency histogram, objects and
//! releases loaded), the request log (`tracing`), and read-only bearer tokens.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{MatchedPath, State};
use axum::http::{header, HeaderValue, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::error::ApiError;
use crate::AppState;

/// Upper bounds of the latency histogram's buckets, in seconds.
const BUCKETS: [f64; 10] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5,
];

/// Request counts and latencies.
#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Counters>,
}

#[derive(Debug, Default)]
struct Counters {
    /// (route, status) -> count.
    requests: BTreeMap<(String, u16), u64>,
    /// Per bucket (and +Inf last): count of requests at or under it.
    buckets: [u64; BUCKETS.len() + 1],
    sum: f64,
    count: u64,
}

impl Metrics {
    fn record(&self, route: &str, status: u16, seconds: f64) {
        let Ok(mut counters) = self.inner.lock() else {
            return;
        };
        *counters
            .requests
            .entry((route.to_string(), status))
            .or_default() += 1;
        let slot = BUCKETS
            .iter()
            .position(|b| seconds <= *b)
            .unwrap_or(BUCKETS.len());
        counters.buckets[slot] += 1;
        counters.sum += seconds;
        counters.count += 1;
    }

    /// The Prometheus text exposition.
    fn render(&self, state: &AppState) -> String {
        let mut out = String::new();
        out.push_str("# HELP attackdb_http_requests_total HTTP requests by route and status.\n# TYPE attackdb_http_requests_total counter\n");
        if let Ok(counters) = self.inner.lock() {
            for ((route, status), count) in &counters.requests {
                let _ = writeln!(
                    out,
                    "attackdb_http_requests_total{{route=\"{}\",status=\"{status}\"}} {count}",
                    route.replace('\\', "\\\\").replace('"', "\\\"")
                );
            }
            out.push_str("# HELP attackdb_http_request_duration_seconds Request latency.\n# TYPE attackdb_http_request_duration_seconds histogram\n");
            let mut cumulative = 0;
            for (i, bound) in BUCKETS.iter().enumerate() {
                cumulative += counters.buckets[i];
                let _ = writeln!(
                    out,
                    "attackdb_http_request_duration_seconds_bucket{{le=\"{bound}\"}} {cumulative}"
                );
            }
            cumulative += counters.buckets[BUCKETS.len()];
            let _ = writeln!(
                out,
                "attackdb_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {cumulative}"
            );
            let _ = writeln!(
                out,
                "attackdb_http_request_duration_seconds_sum {}",
                counters.sum
            );
            let _ = writeln!(
                out,
                "attackdb_http_request_duration_seconds_count {}",
                counters.count
            );
        }
        let kb = state.kb();
        out.push_str("# HELP attackdb_releases_loaded Releases loaded.\n# TYPE attackdb_releases_loaded gauge\n");
        let _ = writeln!(out, "attackdb_releases_loaded {}", kb.datasets().len());
        out.push_str("# HELP attackdb_objects_loaded Objects loaded, per domain and release.\n# TYPE attackdb_objects_loaded gauge\n");
        for dataset in kb.datasets() {
            let _ = writeln!(
                out,
                "attackdb_objects_loaded{{domain=\"{}\",release=\"{}\"}} {}",
                dataset.domain(),
                dataset.release(),
                dataset.objects().len()
            );
        }
        out
    }
}

/// The operations routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

async fn readyz(State(state): State<AppState>) -> Response {
    if state.is_ready() && !state.kb().datasets().is_empty() {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready\n").into_response()
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    let mut response = state.metrics().render(&state).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    response
}

/// Counts and times every request, and logs it.
pub async fn measure(
    State(state): State<AppState>,
    request: Request<Body>,
    next: Next,
) -> Response {
    let start = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    let seconds = start.elapsed().as_secs_f64();
    let status = response.status().as_u16();
    state.metrics().record(&route, status, seconds);
    tracing::info!(
        target: "attackdb::request",
        %method,
        path,
        route,
        status,
        micros = (seconds * 1e6) as u64,
        "request"
    );
    response
}

/// Rejections made by the framework (a body over the limit, a wrong method, an unreadable
/// path, a timeout) get the same error shape as every other error: JSON for REST, a TAXII error
/// object for TAXII.
pub async fn uniform_errors(request: Request<Body>, next: Next) -> Response {
    let taxii =
        request.uri().path().starts_with("/api/v21") || request.uri().path().starts_with("/taxii2");
    let response = next.run(request).await;
    let status = response.status();
    let typed = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.starts_with("application/json")
                || v.starts_with("application/taxii+json")
                || v.starts_with("text/html")
                || v.starts_with("text/css")
        });
    if !(status.is_client_error() || status.is_server_error()) || typed {
        return response;
    }
    let (code, message) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => (
            "too_large",
            "the request body is larger than the server accepts",
        ),
        StatusCode::METHOD_NOT_ALLOWED => {
            ("method_not_allowed", "this route does not take that method")
        }
        StatusCode::REQUEST_TIMEOUT => {
            ("timeout", "the request took longer than the server allows")
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "the body's content type is not one this route takes",
        ),
        _ if status.is_server_error() => ("internal", "the server could not answer"),
        _ => ("bad_request", "the request cannot be read"),
    };
    if taxii {
        return crate::taxii::error(status, code, message);
    }
    ApiError {
        status,
        code,
        message: message.to_string(),
        hint: None,
    }
    .into_response()
}
