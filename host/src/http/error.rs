//! The one API error type, turned into HTTP here and nowhere else.
//!
//! Every error body is `{"error": {"code": "...", "message": "..."}}` with a stable,
//! machine-readable `code`. 5xx bodies are opaque; their cause travels to the logging middleware
//! in a response extension and is logged inside the request's span.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::package::PackageError;
use crate::pipeline::PipelineError;
use crate::registry::RegistryError;
use crate::runtime::RuntimeError;
use crate::store::StoreError;

/// An error answered to an API client.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

/// The hidden cause of a 5xx, for the logging middleware.
#[derive(Clone, Debug)]
pub struct InternalCause(pub String);

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a valid API key is required (Authorization: Bearer KEY)",
        )
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            cause.to_string(),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            let mut resp = (
                self.status,
                Json(json!({"error": {"code": self.code, "message": "internal error"}})),
            )
                .into_response();
            resp.extensions_mut().insert(InternalCause(self.message));
            return resp;
        }
        (
            self.status,
            Json(json!({"error": {"code": self.code, "message": self.message}})),
        )
            .into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ApiError::not_found(format!("{what} not found")),
            StoreError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
            other => ApiError::internal(other),
        }
    }
}

impl From<PackageError> for ApiError {
    fn from(e: PackageError) -> Self {
        match e {
            PackageError::Io { .. } => ApiError::internal(e),
            PackageError::TooLarge(_) => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, e.code(), e.to_string())
            }
            _ => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code(), e.to_string()),
        }
    }
}

impl From<RegistryError> for ApiError {
    fn from(e: RegistryError) -> Self {
        let unprocessable = |code, e: &RegistryError| {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, e.to_string())
        };
        match e {
            RegistryError::Package(p) => p.into(),
            RegistryError::Store(s) => s.into(),
            RegistryError::Runtime(RuntimeError::Imports(_)) => {
                unprocessable("package_unsupported_imports", &e)
            }
            RegistryError::Runtime(RuntimeError::Exports(_)) => {
                unprocessable("package_missing_exports", &e)
            }
            RegistryError::Runtime(RuntimeError::Compile(_)) => {
                unprocessable("package_invalid_component", &e)
            }
            RegistryError::Runtime(_) => ApiError::internal(e),
            RegistryError::SubscriptionRequired { .. } => ApiError::new(
                StatusCode::PAYMENT_REQUIRED,
                "addon_subscription_required",
                e.to_string(),
            ),
            RegistryError::UnknownAddon(_) => unprocessable("unknown_addon", &e),
            RegistryError::InvalidConfig(_) => unprocessable("invalid_config", &e),
            RegistryError::NothingToRollBack(_) => {
                ApiError::new(StatusCode::CONFLICT, "nothing_to_roll_back", e.to_string())
            }
        }
    }
}

impl From<PipelineError> for ApiError {
    fn from(e: PipelineError) -> Self {
        match e {
            PipelineError::Registry(r) => r.into(),
            PipelineError::Store(s) => s.into(),
            PipelineError::Invalid(m) => ApiError::bad_request("invalid_message", m),
            PipelineError::Worker(_) => ApiError::internal(e),
        }
    }
}
