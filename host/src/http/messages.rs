//! `/v1/tenants/{tenant}/messages`: the minimal message path (JSON in, pipeline result out),
//! and a stored message's explanation.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;
use crate::pipeline::{InboundMessage, PipelineResult};
use crate::store::StoredMessage;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/tenants/{tenant}/messages", post(post_message))
        .route("/v1/tenants/{tenant}/messages/{id}", get(get_message))
}

async fn post_message(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    Json(msg): Json<InboundMessage>,
) -> Result<Json<PipelineResult>, ApiError> {
    caller.require_tenant(&tenant)?;
    Ok(Json(state.pipeline.process(&tenant, msg).await?))
}

/// A processed message with every stage's result: why the bot said what it said.
async fn get_message(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<StoredMessage>, ApiError> {
    caller.require_tenant(&tenant)?;
    Ok(Json(state.store.message(&tenant, &id).await?))
}
