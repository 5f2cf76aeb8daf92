//! Rule uploads: detection coverage, visibility of data sources, and rules checked against a
//! release.

use super::*;

/// A file name from an upload, made safe: its last component, only plain characters.
pub(crate) fn safe_name(name: &str, index: usize) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let cleaned = cleaned.trim_start_matches('.');
    if cleaned.is_empty() {
        format!("upload-{index}")
    } else {
        format!("{index:05}-{cleaned}")
    }
}

/// An upload kept in a temporary folder, and how its files are named to the user.
struct Uploads {
    folder: tempfile::TempDir,
    /// (path in the folder, the name the client gave), one per part.
    names: Vec<(String, String)>,
}

impl Uploads {
    /// `text` with every kept file's path named as the client named the file (its last
    /// component, made safe), and the folder as `upload`: no server path is shown.
    fn display(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (kept, given) in &self.names {
            out = out.replace(kept.as_str(), given);
        }
        out.replace(&self.folder.path().display().to_string(), "upload")
    }

    /// `error` with the upload's files named as the client named them.
    fn named(&self, mut error: ApiError) -> ApiError {
        error.message = self.display(&error.message);
        error
    }
}

/// Every part of a multipart upload as a file of a new temporary folder (names made safe,
/// numbered so two parts never collide). No part at all is an invalid upload.
async fn save_uploads(
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Uploads, ApiError> {
    let mut multipart = multipart.map_err(|rejection| {
        ApiError::bad_parameter(format!(
            "the rule files are read from a multipart/form-data body, one part per file: {}",
            attackdb_ask::echo(&rejection.body_text())
        ))
        .with_hint("curl -F rules=@rule.yml ... sends one")
    })?;
    let folder = tempfile::tempdir()
        .map_err(|e| ApiError::internal(format!("cannot make a folder for the upload: {e}")))?;
    let mut count = 0usize;
    let mut names = Vec::new();
    loop {
        let field = multipart
            .next_field()
            .await
            .map_err(|e| ApiError::invalid(format!("malformed multipart upload: {e}")))?;
        let Some(field) = field else { break };
        let name = field
            .file_name()
            .or(field.name())
            .unwrap_or("rules")
            .to_string();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| ApiError::invalid(format!("malformed multipart upload: {e}")))?;
        let safe = safe_name(&name, count);
        let path = folder.path().join(&safe);
        std::fs::write(&path, &bytes)
            .map_err(|e| ApiError::internal(format!("cannot keep the upload: {e}")))?;
        let given = safe.split_once('-').map_or(safe.as_str(), |(_, rest)| rest);
        names.push((path.display().to_string(), given.to_string()));
        count += 1;
    }
    if count == 0 {
        return Err(ApiError::invalid(
            "no rule files in the upload: send one multipart part per file",
        ));
    }
    Ok(Uploads { folder, names })
}

pub(super) async fn visibility_answer(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let params = params(query)?;
    let request = attackdb_ask::VisibilityRequest {
        sources: params.list("sources"),
        platform: params.get("platform").map(str::to_string),
        scope: scope(&params),
    };
    json(
        &headers,
        &attackdb_ask::visibility(state.kb(), None, &request)?.answer,
    )
}

pub(super) async fn coverage(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Answer {
    let params = params(query)?;
    let list = |name: &str| params.get(name).map(|_| params.list(name));
    let mut request = attackdb_ask::CoverageRequest {
        format: params.get("format").map(str::to_string),
        platform: params.get("platform").map(str::to_string),
        score: params.get("score").map(str::to_string),
        groups: list("groups"),
        software: list("software"),
        campaigns: list("campaigns"),
        with_software: params.flag("with_software")?,
        min_level: params.get("min_level").map(str::to_string),
        status: params.list("status"),
        scope: scope(&params),
        ..attackdb_ask::CoverageRequest::default()
    };
    // Every parameter is checked before the upload is read.
    attackdb_ask::plan_coverage(state.kb(), &request)?;
    let uploads = save_uploads(multipart).await?;
    request.paths = vec![uploads.folder.path().to_path_buf()];
    let answered =
        attackdb_ask::coverage(state.kb(), &request).map_err(|e| uploads.named(e.into()))?;
    let mut document = attackdb_coverage::document(&answered.answer.answer);
    document.rename_files(|text| uploads.display(text));
    let text = to_json_pretty(&document.to_value())?;
    Ok(with_notes(
        respond(&HeaderMap::new(), JSON, text.into_bytes()),
        &answered.notes,
    ))
}

pub(super) async fn migrate_rules(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Answer {
    let params = params(query)?;
    let mut request = attackdb_ask::MigrateRulesRequest {
        to: params.get("to").map(str::to_string),
        format: params.get("format").map(str::to_string),
        scope: scope(&params),
        ..attackdb_ask::MigrateRulesRequest::default()
    };
    // The parameters are checked before the upload is read.
    attackdb_ask::required_release("to", request.to.as_deref())?;
    attackdb_ask::parse_format(request.format.as_deref())?;
    let uploads = save_uploads(multipart).await?;
    request.paths = vec![uploads.folder.path().to_path_buf()];
    let answered =
        attackdb_ask::migrate_rules(state.kb(), &request).map_err(|e| uploads.named(e.into()))?;
    let text = to_json_pretty(&answered.answer.1)?;
    let notes: Vec<String> = answered.notes.iter().map(|n| uploads.display(n)).collect();
    Ok(with_notes(
        respond(&HeaderMap::new(), JSON, uploads.display(&text).into_bytes()),
        &notes,
    ))
}
