//! `/v1/addons` (the catalog) and `/v1/tenants/{tenant}/subscriptions`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::Deserialize;

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;
use crate::store::{Addon, Subscription};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/addons", get(list_addons))
        .route(
            "/v1/tenants/{tenant}/subscriptions",
            get(list_subscriptions).post(add_subscription),
        )
        .route(
            "/v1/tenants/{tenant}/subscriptions/{addon}",
            delete(cancel_subscription),
        )
}

async fn list_addons(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<Vec<Addon>>, ApiError> {
    Ok(Json(state.store.addons().await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewSubscription {
    addon: String,
}

async fn list_subscriptions(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<Vec<Subscription>>, ApiError> {
    caller.require_tenant(&tenant)?;
    state.store.tenant(&tenant).await?;
    Ok(Json(state.store.subscriptions(&tenant).await?))
}

async fn add_subscription(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    Json(body): Json<NewSubscription>,
) -> Result<(StatusCode, Json<Subscription>), ApiError> {
    caller.require_tenant(&tenant)?;
    state.store.tenant(&tenant).await?;
    let sub = state.store.subscribe(&tenant, &body.addon).await?;
    state.registry.invalidate(&tenant);
    Ok((StatusCode::CREATED, Json(sub)))
}

/// Cancels at once: the add-on's plugins stop running from the tenant's next message.
async fn cancel_subscription(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, addon)): Path<(String, String)>,
) -> Result<Json<Subscription>, ApiError> {
    caller.require_tenant(&tenant)?;
    let sub = state.store.cancel_subscription(&tenant, &addon).await?;
    state.registry.invalidate(&tenant);
    Ok(Json(sub))
}
