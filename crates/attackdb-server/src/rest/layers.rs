//! Navigator layers: generate, validate, upgrade, combine, export and migrate.

use super::*;

pub(super) fn body_json<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::bad_parameter("the body is not UTF-8 text".to_string()))?;
    attackdb_kb::stix::from_str_within(text, nav::limits().max_json_depth).map_err(|e| match e {
        attackdb_kb::stix::JsonError::TooDeep(depth) => {
            ApiError::bad_parameter(format!("the body: {depth}"))
        }
        attackdb_kb::stix::JsonError::Json(e) => {
            ApiError::bad_parameter(format!("the body is not the JSON this route takes: {e}"))
        }
    })
}

/// A layer as the answer's body.
fn layer_answer(headers: &HeaderMap, layer: &nav::Layer) -> Answer {
    Ok(respond(
        headers,
        JSON,
        nav::layer_to_json(layer)?.into_bytes(),
    ))
}

/// `POST /api/v1/layers/generate`: the body is the options of `attackdb layer generate`.
pub(super) async fn layers_generate(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let request: attackdb_ask::GenerateRequest = body_json(&body)?;
    layer_answer(
        &headers,
        &attackdb_ask::generate_layer(state.kb(), &request)?,
    )
}

pub(super) fn read_layer_body(body: &Bytes) -> Result<nav::LayerFile, ApiError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::invalid("the layer file is not UTF-8 text"))?;
    Ok(nav::read_layers(text)?)
}

pub(super) async fn layers_validate(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let params = params(query)?;
    let mut read = read_layer_body(&body)?;
    let validated = attackdb_ask::validate(state.kb(), &mut read, "request body", &scope(&params))?;
    noted_json(&headers, &validated.answer, &validated.notes)
}

pub(super) async fn layers_upgrade(
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    params(query)?;
    let upgraded = attackdb_ask::upgrade(read_layer_body(&body)?)?;
    Ok(respond(&headers, JSON, upgraded.to_json()?.into_bytes()))
}

/// The body of `POST /api/v1/layers/combine`: the layers, and the options of `attackdb layer
/// combine`.
#[derive(serde::Deserialize)]
struct CombineBody {
    layers: Vec<serde_json::Value>,
    #[serde(flatten)]
    request: attackdb_ask::CombineRequest,
}

pub(super) async fn layers_combine(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let params = params(query)?;
    let CombineBody {
        layers: values,
        mut request,
    } = body_json(&body)?;
    let mut layers = Vec::new();
    for (index, value) in values.iter().enumerate() {
        let source = format!("layers[{index}]");
        let read = nav::read_layers(&serde_json::to_string(value)?)
            .map_err(|e| ApiError::invalid(format!("{source}: {e}")))?;
        layers.extend(attackdb_ask::valid_layers(read, &source)?);
    }
    request.scope = scope(&params);
    layer_answer(
        &headers,
        &attackdb_ask::combine(state.kb(), &layers, &request)?,
    )
}

pub(super) async fn layers_export(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let params = params(query)?;
    let format = params
        .get("format")
        .ok_or_else(|| ApiError::bad_parameter("`format` is required: svg, xlsx, csv or md"))?;
    let layers = attackdb_ask::valid_layers(read_layer_body(&body)?, "request body")?;
    let request = attackdb_ask::ExportRequest {
        format: format.to_string(),
        all_techniques: params.flag("all_techniques")?,
        subtechniques: params.flag("subtechniques")?,
        scope: scope(&params),
    };
    let exported = attackdb_ask::export_layers(state.kb(), &layers, &request)?;
    Ok(respond(&headers, exported.content_type, exported.bytes))
}

pub(super) async fn migrate_layer(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let params = params(query)?;
    let request = attackdb_ask::MigrateLayerRequest {
        to: params.get("to").map(str::to_string),
        from: params.get("from").map(str::to_string),
    };
    let file = read_layer_body(&body)?;
    let migrated =
        attackdb_ask::migrate_layer(state.kb(), &file, "request body", "response", &request)?;
    let mut value = serde_json::to_value(&migrated.report)?;
    let layers: Vec<serde_json::Value> = migrated
        .layers
        .iter()
        .map(nav::layer_to_value)
        .collect::<Result<_, _>>()?;
    value["layers"] = serde_json::Value::Array(layers);
    json(&headers, &value)
}
