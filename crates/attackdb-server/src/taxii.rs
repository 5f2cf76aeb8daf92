//! TAXII 2.1, shaped like MITRE's server so its clients (taxii2-client, stix2's
//! `TAXIICollectionSource`, attackcti, DeTT&CT, the Navigator) work by changing only the host:
//! discovery at `/taxii2/`; the API root `/api/v21/` serving the newest release of each domain
//! and one pinned root `/api/v21/attack-X.Y/` per loaded release; collections named by each
//! bundle's `x-mitre-collection` ID; `objects/` (filters, paging), `objects/{id}/`,
//! `objects/{id}/versions/`, `manifest/`. Objects are served byte for byte as in the release.
//!
//! A release holds one version of each object: its `modified` is the version, and it is also
//! the object's date added (MITRE's server adds each release's objects as they were modified).

use std::fmt::Write as _;

use attackdb_kb::{Dataset, Domain, ObjId};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Serialize;

use crate::AppState;

/// The TAXII media type.
pub const TAXII: &str = "application/taxii+json;version=2.1";
/// The STIX media type of the objects.
const STIX: &str = "application/stix+json;version=2.1";

/// One object of a collection, in TAXII order.
pub struct Entry {
    object: ObjId,
    /// The date added, normalised for comparison (`2025-04-25T15:16:44.679000Z`).
    added_key: String,
    /// The version (`modified` as written), also shown as the date added.
    version: String,
}

/// The TAXII routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/taxii2/", get(discovery))
        .route("/taxii2", get(discovery))
        .route("/api/v21/", get(api_root))
        .route("/api/v21/{root}/", get(api_root_pinned))
        .route("/api/v21/collections/", get(collections))
        .route("/api/v21/{root}/collections/", get(collections_pinned))
        .route("/api/v21/collections/{id}/", get(collection))
        .route("/api/v21/{root}/collections/{id}/", get(collection_pinned))
        .route("/api/v21/collections/{id}/objects/", get(objects))
        .route(
            "/api/v21/{root}/collections/{id}/objects/",
            get(objects_pinned),
        )
        .route("/api/v21/collections/{id}/manifest/", get(manifest))
        .route(
            "/api/v21/{root}/collections/{id}/manifest/",
            get(manifest_pinned),
        )
        .route("/api/v21/collections/{id}/objects/{object}/", get(object))
        .route(
            "/api/v21/{root}/collections/{id}/objects/{object}/",
            get(object_pinned),
        )
        .route(
            "/api/v21/collections/{id}/objects/{object}/versions/",
            get(versions),
        )
        .route(
            "/api/v21/{root}/collections/{id}/objects/{object}/versions/",
            get(versions_pinned),
        )
}

/// A TAXII error object with `status`.
pub fn error(status: StatusCode, title: &str, description: &str) -> Response {
    #[derive(Serialize)]
    struct ErrorObject<'a> {
        title: &'a str,
        description: &'a str,
        http_status: String,
    }
    let body = serde_json::to_string(&ErrorObject {
        title,
        description,
        http_status: status.as_u16().to_string(),
    })
    .unwrap_or_default();
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(TAXII));
    response
}

/// A TAXII error to answer with.
pub struct TaxiiError {
    status: StatusCode,
    title: &'static str,
    description: String,
}

impl IntoResponse for TaxiiError {
    fn into_response(self) -> Response {
        error(self.status, self.title, &self.description)
    }
}

type Answer = Result<Response, TaxiiError>;

fn bad(description: impl Into<String>) -> TaxiiError {
    TaxiiError {
        status: StatusCode::BAD_REQUEST,
        title: "bad request",
        description: description.into(),
    }
}

fn not_found(description: impl Into<String>) -> TaxiiError {
    TaxiiError {
        status: StatusCode::NOT_FOUND,
        title: "not found",
        description: description.into(),
    }
}

fn internal(description: impl Into<String>) -> TaxiiError {
    TaxiiError {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        title: "internal",
        description: description.into(),
    }
}

/// 406 unless `Accept` allows the TAXII 2.1 media type (or says nothing).
fn check_accept(headers: &HeaderMap) -> Result<(), TaxiiError> {
    let Some(accept) = headers.get(header::ACCEPT) else {
        return Ok(());
    };
    let Ok(accept) = accept.to_str() else {
        return Err(bad("the Accept header is not text"));
    };
    let acceptable = accept.split(',').any(|item| {
        let mut parts = item.split(';').map(|p| p.trim().to_ascii_lowercase());
        let media = parts.next().unwrap_or_default();
        let version = parts.find_map(|p| p.strip_prefix("version=").map(str::to_string));
        match media.as_str() {
            "*/*" | "application/*" | "application/json" => true,
            "application/taxii+json" => version.is_none_or(|v| v == "2.1"),
            _ => false,
        }
    });
    if acceptable {
        Ok(())
    } else {
        Err(TaxiiError {
            status: StatusCode::NOT_ACCEPTABLE,
            title: "not acceptable",
            description: format!("this server answers {TAXII}; the request accepts only {accept}"),
        })
    }
}

fn taxii_json<T: Serialize>(value: &T) -> Answer {
    let body = serde_json::to_vec(value).map_err(|e| internal(e.to_string()))?;
    Ok(taxii_body(body))
}

fn taxii_body(body: Vec<u8>) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(TAXII));
    response
}

/// `http://HOST` as the client reached us.
fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .filter(|s| *s == "https" || *s == "http")
        .unwrap_or("http");
    format!("{scheme}://{host}")
}

/// The datasets an API root serves: `None` for `/api/v21/` (the newest of each domain), or a
/// pinned `attack-X.Y`.
fn root_datasets<'k>(
    state: &'k AppState,
    root: Option<&str>,
) -> Result<Vec<(usize, &'k Dataset)>, TaxiiError> {
    let datasets = state.kb().datasets();
    match root {
        None => Ok(Domain::ALL
            .into_iter()
            .filter_map(|domain| {
                datasets
                    .iter()
                    .enumerate()
                    .rfind(|(_, d)| d.domain() == domain)
            })
            .collect()),
        Some(root) => {
            let release = root
                .strip_prefix("attack-")
                .ok_or_else(|| not_found(format!("{root}: no such API root (attack-X.Y)")))?;
            let found: Vec<(usize, &Dataset)> = datasets
                .iter()
                .enumerate()
                .filter(|(_, d)| d.release().as_str() == release)
                .collect();
            if found.is_empty() {
                return Err(not_found(format!(
                    "{root}: no such API root; the loaded releases are {}",
                    loaded_releases(state).join(", ")
                )));
            }
            Ok(found)
        }
    }
}

fn loaded_releases(state: &AppState) -> Vec<String> {
    let mut releases: Vec<String> = state
        .kb()
        .datasets()
        .iter()
        .map(|d| format!("attack-{}", d.release()))
        .collect();
    releases.sort();
    releases.dedup();
    releases
}

fn collection_id(dataset: &Dataset) -> String {
    dataset.bundle().collection.as_ref().map_or_else(
        || dataset.domain().collection_id().to_string(),
        |c| c.id.clone(),
    )
}

async fn discovery(State(state): State<AppState>, headers: HeaderMap) -> Answer {
    check_accept(&headers)?;
    let base = base_url(&headers);
    let mut roots = vec![format!("{base}/api/v21/")];
    roots.extend(
        loaded_releases(&state)
            .into_iter()
            .map(|r| format!("{base}/api/v21/{r}/")),
    );
    taxii_json(&serde_json::json!({
        "title": "attackdb TAXII 2.1 server",
        "description": "MITRE ATT&CK releases served by attackdb, shaped like MITRE's TAXII server",
        "default": format!("{base}/api/v21/"),
        "api_roots": roots,
    }))
}

fn api_root_info(state: &AppState, root: Option<&str>) -> Answer {
    let datasets = root_datasets(state, root)?;
    let title = match root {
        None => "ATT&CK, newest release of each domain".to_string(),
        Some(root) => format!("ATT&CK {root}"),
    };
    let releases: Vec<String> = datasets
        .iter()
        .map(|(_, d)| format!("{} {}", d.domain(), d.release()))
        .collect();
    taxii_json(&serde_json::json!({
        "title": title,
        "description": format!("Collections: {}", releases.join(", ")),
        "versions": [TAXII],
        "max_content_length": state.config().max_body,
    }))
}

async fn api_root(State(state): State<AppState>, headers: HeaderMap) -> Answer {
    check_accept(&headers)?;
    api_root_info(&state, None)
}

async fn api_root_pinned(
    State(state): State<AppState>,
    Path(root): Path<String>,
    headers: HeaderMap,
) -> Answer {
    check_accept(&headers)?;
    api_root_info(&state, Some(&root))
}

fn collection_info(dataset: &Dataset) -> serde_json::Value {
    let title = dataset.bundle().collection.as_ref().map_or_else(
        || format!("{} ATT&CK", dataset.domain().title()),
        |c| c.name.clone(),
    );
    serde_json::json!({
        "id": collection_id(dataset),
        "title": title,
        "description": format!("{} ATT&CK {}", dataset.domain().title(), dataset.release()),
        "can_read": true,
        "can_write": false,
        "media_types": [STIX],
    })
}

fn list_collections(state: &AppState, root: Option<&str>) -> Answer {
    let datasets = root_datasets(state, root)?;
    let collections: Vec<serde_json::Value> =
        datasets.iter().map(|(_, d)| collection_info(d)).collect();
    taxii_json(&serde_json::json!({ "collections": collections }))
}

async fn collections(State(state): State<AppState>, headers: HeaderMap) -> Answer {
    check_accept(&headers)?;
    list_collections(&state, None)
}

async fn collections_pinned(
    State(state): State<AppState>,
    Path(root): Path<String>,
    headers: HeaderMap,
) -> Answer {
    check_accept(&headers)?;
    list_collections(&state, Some(&root))
}

fn find_collection<'k>(
    state: &'k AppState,
    root: Option<&str>,
    id: &str,
) -> Result<(usize, &'k Dataset), TaxiiError> {
    root_datasets(state, root)?
        .into_iter()
        .find(|(_, d)| collection_id(d) == id)
        .ok_or_else(|| not_found(format!("{id}: no such collection in this API root")))
}

async fn collection(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Answer {
    check_accept(&headers)?;
    let (_, dataset) = find_collection(&state, None, &id)?;
    taxii_json(&collection_info(dataset))
}

async fn collection_pinned(
    State(state): State<AppState>,
    Path((root, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Answer {
    check_accept(&headers)?;
    let (_, dataset) = find_collection(&state, Some(&root), &id)?;
    taxii_json(&collection_info(dataset))
}

/// A timestamp normalised for comparison: fraction padded to 6 digits, `Z`.
fn timestamp_key(text: &str) -> Option<String> {
    let text = text.trim();
    let body = text
        .strip_suffix('Z')
        .or_else(|| text.strip_suffix("+00:00"))?;
    let (seconds, fraction) = body.split_once('.').unwrap_or((body, ""));
    let shape_ok = seconds.len() == 19
        && seconds.as_bytes().get(4) == Some(&b'-')
        && seconds.as_bytes().get(10) == Some(&b'T')
        && fraction.bytes().all(|b| b.is_ascii_digit())
        && fraction.len() <= 9;
    if !shape_ok {
        return None;
    }
    let mut fraction = fraction.to_string();
    while fraction.len() < 6 {
        fraction.push('0');
    }
    Some(format!("{seconds}.{fraction}Z"))
}

/// The collection's objects in TAXII order, made once.
fn entries<'s>(state: &'s AppState, index: usize, dataset: &Dataset) -> &'s [Entry] {
    state.inner.taxii_order[index].get_or_init(|| {
        let mut entries: Vec<Entry> = (0..dataset.objects().len() as ObjId)
            .map(|object| {
                let o = dataset.object(object);
                let version = o
                    .modified
                    .as_deref()
                    .or(o.created.as_deref())
                    .unwrap_or_default()
                    .to_string();
                Entry {
                    object,
                    added_key: timestamp_key(&version).unwrap_or_default(),
                    version,
                }
            })
            .collect();
        entries.sort_by(|a, b| a.added_key.cmp(&b.added_key).then(a.object.cmp(&b.object)));
        entries
    })
}

/// The filters and paging of an objects or manifest request.
struct Filter {
    types: Vec<String>,
    ids: Vec<String>,
    versions: Vec<String>,
    spec_versions: Vec<String>,
    added_after: Option<String>,
    limit: usize,
    next: usize,
}

fn read_filter(query: Option<String>, max_page: usize, paged: bool) -> Result<Filter, TaxiiError> {
    let mut filter = Filter {
        types: Vec::new(),
        ids: Vec::new(),
        versions: Vec::new(),
        spec_versions: Vec::new(),
        added_after: None,
        limit: max_page,
        next: 0,
    };
    let text = query.unwrap_or_default();
    for part in text.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = part.split_once('=').unwrap_or((part, ""));
        let name = crate::params::percent_decode(name)
            .ok_or_else(|| bad(format!("malformed parameter {part}")))?;
        let value = crate::params::percent_decode(value)
            .ok_or_else(|| bad(format!("malformed parameter {part}")))?;
        let values = || {
            value
                .split(',')
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .collect::<Vec<_>>()
        };
        match name.as_str() {
            "match[type]" => filter.types.extend(values()),
            "match[id]" => filter.ids.extend(values()),
            "match[version]" => filter.versions.extend(values()),
            "match[spec_version]" => filter.spec_versions.extend(values()),
            "added_after" => {
                filter.added_after = Some(timestamp_key(&value).ok_or_else(|| {
                    bad(format!(
                        "added_after={value}: expected an RFC 3339 UTC timestamp"
                    ))
                })?)
            }
            "limit" if paged => {
                let limit: usize = value
                    .parse()
                    .ok()
                    .filter(|l| *l > 0)
                    .ok_or_else(|| bad(format!("limit={value}: expected a positive count")))?;
                filter.limit = limit.min(max_page);
            }
            "next" if paged => {
                filter.next = value
                    .parse()
                    .map_err(|_| bad(format!("next={value}: not a token this server gave")))?;
            }
            other => return Err(bad(format!("unknown parameter {other}"))),
        }
    }
    for version in &filter.versions {
        if !matches!(version.as_str(), "all" | "first" | "last") && timestamp_key(version).is_none()
        {
            return Err(bad(format!(
                "match[version]={version}: expected all, first, last or a timestamp"
            )));
        }
    }
    Ok(filter)
}

fn matches(dataset: &Dataset, entry: &Entry, filter: &Filter) -> bool {
    let object = dataset.object(entry.object);
    if !filter.types.is_empty() && !filter.types.iter().any(|t| t == object.kind.as_str()) {
        return false;
    }
    if !filter.ids.is_empty() && !filter.ids.iter().any(|i| *i == *object.id) {
        return false;
    }
    if !filter.versions.is_empty() {
        // One version per object: first, last and all all name it.
        let ok = filter.versions.iter().any(|v| match v.as_str() {
            "all" | "first" | "last" => true,
            stamp => timestamp_key(stamp).as_deref() == Some(entry.added_key.as_str()),
        });
        if !ok {
            return false;
        }
    }
    if !filter.spec_versions.is_empty() {
        let spec = object
            .spec_version
            .as_deref()
            .or(dataset.bundle().spec_version.as_deref())
            .unwrap_or("2.1");
        if !filter.spec_versions.iter().any(|s| s == spec) {
            return false;
        }
    }
    filter
        .added_after
        .as_ref()
        .is_none_or(|after| entry.added_key > *after)
}

/// The page of matching entries, whether more follow, and the next token.
fn page<'e>(
    dataset: &Dataset,
    entries: &'e [Entry],
    filter: &Filter,
) -> (Vec<&'e Entry>, bool, usize) {
    let mut matching = entries.iter().filter(|e| matches(dataset, e, filter));
    let chosen: Vec<&Entry> = matching
        .by_ref()
        .skip(filter.next)
        .take(filter.limit)
        .collect();
    let more = matching.next().is_some();
    (chosen.clone(), more, filter.next + chosen.len())
}

fn with_date_headers(mut response: Response, chosen: &[&Entry]) -> Response {
    if let (Some(first), Some(last)) = (chosen.first(), chosen.last()) {
        let headers = response.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&first.version) {
            headers.insert("x-taxii-date-added-first", v);
        }
        if let Ok(v) = HeaderValue::from_str(&last.version) {
            headers.insert("x-taxii-date-added-last", v);
        }
    }
    response
}

/// The envelope of `chosen`, the objects' text copied as it is in the release.
fn envelope(
    dataset: &Dataset,
    chosen: &[&Entry],
    more: bool,
    next: usize,
) -> Result<Vec<u8>, TaxiiError> {
    let mut text = String::with_capacity(chosen.len() * 2048);
    let _ = write!(text, "{{\"more\": {more}");
    if more {
        let _ = write!(text, ", \"next\": \"{next}\"");
    }
    if !chosen.is_empty() {
        text.push_str(", \"objects\": [");
        for (i, entry) in chosen.iter().enumerate() {
            if i > 0 {
                text.push_str(", ");
            }
            let raw = dataset
                .raw_json(entry.object)
                .map_err(|e| internal(e.to_string()))?;
            text.push_str(raw);
        }
        text.push(']');
    }
    text.push('}');
    Ok(text.into_bytes())
}

fn list_objects(
    state: &AppState,
    root: Option<&str>,
    id: &str,
    headers: &HeaderMap,
    query: Option<String>,
) -> Answer {
    check_accept(headers)?;
    let (index, dataset) = find_collection(state, root, id)?;
    let filter = read_filter(query, state.config().max_page, true)?;
    let all = entries(state, index, dataset);
    let (chosen, more, next) = page(dataset, all, &filter);
    let body = envelope(dataset, &chosen, more, next)?;
    Ok(with_date_headers(taxii_body(body), &chosen))
}

async fn objects(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    list_objects(&state, None, &id, &headers, query)
}

async fn objects_pinned(
    State(state): State<AppState>,
    Path((root, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    list_objects(&state, Some(&root), &id, &headers, query)
}

fn list_manifest(
    state: &AppState,
    root: Option<&str>,
    id: &str,
    headers: &HeaderMap,
    query: Option<String>,
) -> Answer {
    check_accept(headers)?;
    let (index, dataset) = find_collection(state, root, id)?;
    let filter = read_filter(query, state.config().max_page, true)?;
    let all = entries(state, index, dataset);
    let (chosen, more, next) = page(dataset, all, &filter);
    let records: Vec<serde_json::Value> = chosen
        .iter()
        .map(|e| {
            serde_json::json!({
                "id": &*dataset.object(e.object).id,
                "date_added": e.version,
                "version": e.version,
                "media_type": STIX,
            })
        })
        .collect();
    let mut value = serde_json::json!({ "more": more });
    if more {
        value["next"] = serde_json::json!(next.to_string());
    }
    if !records.is_empty() {
        value["objects"] = serde_json::json!(records);
    }
    Ok(with_date_headers(taxii_json(&value)?, &chosen))
}

async fn manifest(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    list_manifest(&state, None, &id, &headers, query)
}

async fn manifest_pinned(
    State(state): State<AppState>,
    Path((root, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    list_manifest(&state, Some(&root), &id, &headers, query)
}

fn one_object(
    state: &AppState,
    root: Option<&str>,
    (id, object): (&str, &str),
    headers: &HeaderMap,
    query: Option<String>,
    versions_only: bool,
) -> Answer {
    check_accept(headers)?;
    let (index, dataset) = find_collection(state, root, id)?;
    let mut filter = read_filter(query, state.config().max_page, true)?;
    filter.ids = vec![object.to_string()];
    let all = entries(state, index, dataset);
    let (chosen, more, next) = page(dataset, all, &filter);
    if chosen.is_empty() && filter.next == 0 {
        return Err(not_found(format!("{object}: no such object in {id}")));
    }
    if versions_only {
        let versions: Vec<&str> = chosen.iter().map(|e| e.version.as_str()).collect();
        return Ok(with_date_headers(
            taxii_json(&serde_json::json!({"more": more, "versions": versions}))?,
            &chosen,
        ));
    }
    let body = envelope(dataset, &chosen, more, next)?;
    Ok(with_date_headers(taxii_body(body), &chosen))
}

async fn object(
    State(state): State<AppState>,
    Path((id, object)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    one_object(&state, None, (&id, &object), &headers, query, false)
}

async fn object_pinned(
    State(state): State<AppState>,
    Path((root, id, object)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    one_object(&state, Some(&root), (&id, &object), &headers, query, false)
}

async fn versions(
    State(state): State<AppState>,
    Path((id, object)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    one_object(&state, None, (&id, &object), &headers, query, true)
}

async fn versions_pinned(
    State(state): State<AppState>,
    Path((root, id, object)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    one_object(&state, Some(&root), (&id, &object), &headers, query, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_compare_whatever_their_fraction() {
        assert_eq!(
            timestamp_key("2025-04-25T15:16:44.679Z").as_deref(),
            Some("2025-04-25T15:16:44.679000Z")
        );
        assert_eq!(
            timestamp_key("2025-04-25T15:16:44Z").as_deref(),
            Some("2025-04-25T15:16:44.000000Z")
        );
        assert!(timestamp_key("yesterday").is_none());
        assert!(timestamp_key("2025-04-25T15:16:44.679").is_none());
    }
}
