//! The questions of the knowledge base: objects, lists, search, the matrix, stats, releases,
//! relationship families and diffs.

use super::*;

pub(super) async fn object(
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

pub(super) async fn related(
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

pub(super) async fn detection(
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

pub(super) async fn list(
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

pub(super) async fn search(
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

pub(super) async fn matrix(
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

pub(super) async fn stats(
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

pub(super) async fn releases(
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

pub(super) async fn relation_map(
    State(state): State<AppState>,
    Path(family): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    relation_answer(&state, family, None, query, &headers)
}

pub(super) async fn relation_one(
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

pub(super) async fn diff(
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
