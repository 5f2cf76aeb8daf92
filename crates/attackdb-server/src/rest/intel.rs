//! Threat intelligence: profiles, similar groups, overlap, attribution, prediction and
//! emulation plans.

use super::*;

impl From<attackdb_intel::Error> for ApiError {
    fn from(error: attackdb_intel::Error) -> ApiError {
        ApiError::from(attackdb_ask::Error::from(error))
    }
}

pub(super) async fn profile(
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

pub(super) async fn similar(
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

pub(super) async fn overlap(
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

pub(super) async fn attribute(
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

pub(super) async fn predict(
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

pub(super) async fn emulate(
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

/// `POST /api/v1/map`: the body is the report (text, Markdown or HTML), as `attackdb map
/// FILE` reads it; `format=layer` answers the Navigator layer, `md` and `html` the marked text.
pub(super) async fn map(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let params = params(query)?;
    let min_score = match params.get("min_score") {
        Some(v) => v.parse::<f64>().map_err(|_| {
            ApiError::bad_parameter(format!(
                "`min_score` is a number from 0 to 1, not `{}`",
                attackdb_ask::echo(v)
            ))
        })?,
        None => attackdb_intel::MapOptions::default().min_score,
    };
    let request = attackdb_ask::MapRequest {
        name: params.get("name").unwrap_or("report").to_string(),
        top: params.count("top", 20)?,
        min_score,
        scope: scope(&params),
        model_dir: state.config().model_dir.clone(),
    };
    let format = params.get("format").unwrap_or("json").to_string();
    if !matches!(format.as_str(), "json" | "layer" | "md" | "html") {
        return Err(ApiError::bad_parameter(format!(
            "unknown format `{}`: json, layer, md or html",
            attackdb_ask::echo(&format)
        )));
    }
    // The first report of a release builds its model (most of a second): off the async workers.
    let kb = state.kb();
    let name = request.name.clone();
    let mapped = tokio::task::spawn_blocking(move || {
        attackdb_ask::map(kb, &request, &body).map(|a| (a.dataset, a.answer))
    })
    .await
    .map_err(|e| ApiError {
        status: axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        code: "internal",
        message: format!("the mapping stopped: {e}"),
        hint: None,
    })??;
    let (dataset, answer) = mapped;
    match format.as_str() {
        "layer" => {
            let layer = answer.to_layer(dataset, &name);
            Ok(respond(
                &headers,
                JSON,
                nav::layer_to_json(&layer)?.into_bytes(),
            ))
        }
        "md" => Ok(respond(
            &headers,
            "text/markdown; charset=utf-8",
            answer.to_markdown(&name).into_bytes(),
        )),
        "html" => Ok(respond(
            &headers,
            "text/html; charset=utf-8",
            answer.to_html(&name).into_bytes(),
        )),
        _ => json(&headers, &answer),
    }
}
