//! `/v1/tenants/{tenant}/messages`: the minimal message path (JSON in, pipeline result out),
//! and a stored message's explanation.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;
use crate::pipeline::{InboundMessage, PipelineResult};
use crate::store::{ConversationRow, StoredMessage, TurnRow};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/tenants/{tenant}/messages", post(post_message))
        .route("/v1/tenants/{tenant}/messages/{id}", get(get_message))
        .route(
            "/v1/tenants/{tenant}/conversations",
            get(list_conversations),
        )
        .route(
            "/v1/tenants/{tenant}/conversations/{id}",
            get(get_conversation),
        )
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Limit {
    limit: Option<i64>,
}

async fn list_conversations(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    axum::extract::Query(q): axum::extract::Query<Limit>,
) -> Result<Json<Vec<ConversationRow>>, ApiError> {
    caller.require_tenant(&tenant)?;
    state.store.tenant(&tenant).await?;
    Ok(Json(
        state
            .store
            .conversations(&tenant, q.limit.unwrap_or(100).clamp(1, 1000))
            .await?,
    ))
}

/// A conversation with its turns.
#[derive(serde::Serialize)]
struct ConversationView {
    #[serde(flatten)]
    conversation: ConversationRow,
    turns: Vec<TurnRow>,
}

async fn get_conversation(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<ConversationView>, ApiError> {
    caller.require_staff(&tenant)?;
    let conversation = state.store.conversation(&tenant, &id).await?;
    let turns = state.store.turns(&id, 1000).await?;
    Ok(Json(ConversationView {
        conversation,
        turns,
    }))
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
