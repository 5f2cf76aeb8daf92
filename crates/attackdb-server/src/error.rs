//! The one API error: every failure of a REST route is `{"code", "message", "hint"}` with a
//! stable code, and the HTTP status is chosen here and only here. TAXII routes answer with
//! TAXII error objects (see `taxii.rs`), built from the same values.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable code (`not_found`, `bad_parameter`...).
    pub code: &'static str,
    /// What went wrong, in one line.
    pub message: String,
    /// What to do about it, if there is something obvious.
    pub hint: Option<String>,
}

#[derive(Serialize)]
struct Body<'a> {
    code: &'a str,
    message: &'a str,
    hint: Option<&'a str>,
}

impl ApiError {
    /// A 400 for a parameter that cannot be read.
    pub fn bad_parameter(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "bad_parameter",
            message: message.into(),
            hint: None,
        }
    }

    /// A 404 for a route that does not exist.
    pub fn no_route(path: &str) -> ApiError {
        ApiError {
            status: StatusCode::NOT_FOUND,
            code: "no_route",
            message: format!("{path}: no such route"),
            hint: Some("GET /api/v1/openapi.json lists every route".to_string()),
        }
    }

    /// A 422 for a body that is not a valid layer or rule set.
    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid_input",
            message: message.into(),
            hint: None,
        }
    }

    /// A 413 for a body over the limit.
    pub fn too_large(limit: usize) -> ApiError {
        ApiError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: "too_large",
            message: format!("the request body is larger than {limit} bytes"),
            hint: Some("start the server with a larger --max-body".to_string()),
        }
    }

    /// A 500 that says what failed without internals.
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal",
            message: message.into(),
            hint: None,
        }
    }

    /// With a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> ApiError {
        self.hint = Some(hint.into());
        self
    }

    /// The JSON body.
    pub fn body(&self) -> String {
        let body = Body {
            code: self.code,
            message: &self.message,
            hint: self.hint.as_deref(),
        };
        serde_json::to_string(&body).unwrap_or_else(|_| String::from("{}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.body()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }
}

impl From<attackdb_kb::Error> for ApiError {
    fn from(error: attackdb_kb::Error) -> ApiError {
        ApiError::from(attackdb_ask::Error::from(error))
    }
}

impl From<attackdb_ask::Error> for ApiError {
    fn from(error: attackdb_ask::Error) -> ApiError {
        use attackdb_ask::Kind;
        let status = match error.kind {
            Kind::NotFound => StatusCode::NOT_FOUND,
            Kind::BadRequest => StatusCode::BAD_REQUEST,
            Kind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
            Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        };
        // The question's hint, said the way an API user acts on it.
        let hint = match error.code {
            "not_found" => {
                Some("GET /api/v1/search?q=WORDS finds objects by name or description".into())
            }
            "unknown_release" => Some("GET /api/v1/releases lists the releases loaded".into()),
            "unknown_family" => Some("GET /api/v1/openapi.json lists the families".into()),
            _ => error.hint,
        };
        ApiError {
            status,
            code: error.code,
            message: error.message,
            hint,
        }
    }
}

impl From<attackdb_navigator::Error> for ApiError {
    fn from(error: attackdb_navigator::Error) -> ApiError {
        ApiError::from(attackdb_ask::Error::from(error))
    }
}

impl From<attackdb_coverage::Error> for ApiError {
    fn from(error: attackdb_coverage::Error) -> ApiError {
        ApiError::from(attackdb_ask::Error::from(error))
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(error: serde_json::Error) -> ApiError {
        ApiError::internal(format!("cannot write the answer: {error}"))
    }
}

impl From<attackdb_workspace::Error> for ApiError {
    fn from(error: attackdb_workspace::Error) -> ApiError {
        use attackdb_workspace::Error as W;
        let (status, hint) = match &error {
            W::NotFound { .. } => (StatusCode::NOT_FOUND, None),
            W::Conflict { current, .. } => (
                StatusCode::CONFLICT,
                Some(format!("read it again (version {current}), apply your change, and send If-Match: \"{current}\"")),
            ),
            W::VersionRequired { .. } => (
                StatusCode::PRECONDITION_REQUIRED,
                Some("send If-Match with the version you read (its ETag), or \"version\" in the body".to_string()),
            ),
            W::Forbidden { .. } => (
                StatusCode::FORBIDDEN,
                Some("an admin can change a user's role: attackdb workspace user add NAME --role editor".to_string()),
            ),
            W::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, None),
            W::Exists { .. } => (StatusCode::CONFLICT, None),
            W::SchemaTooNew { .. } => (
                StatusCode::INTERNAL_SERVER_ERROR,
                Some("run the attackdb that wrote this database".to_string()),
            ),
            W::Unavailable { .. } => (
                StatusCode::SERVICE_UNAVAILABLE,
                Some("the workspace's database takes no writes now (read-only or full); ATT&CK answers go on".to_string()),
            ),
            W::Database(_) => (StatusCode::INTERNAL_SERVER_ERROR, None),
        };
        ApiError {
            status,
            code: error.code(),
            message: error.to_string(),
            hint,
        }
    }
}
