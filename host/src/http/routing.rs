//! `/v1/tenants/{tenant}/routing`: versioned routing configurations (SPEC N4). Saving a
//! configuration creates a new version; the first goes live at once, later ones start as the
//! gray candidate at `gray_percent` % of customers (0 unless given; 100 goes live at once).
//! `gray` changes the share, `promote` makes the candidate live, `rollback` goes one step
//! back. A configuration that does not validate is refused (422 `invalid_routing`) naming the
//! route and field; every change is in the audit log (`/v1/tenants/{tenant}/audit`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;
use crate::pipeline::routing::Routing;
use crate::store::{RoutingChange, RoutingState, RoutingVersion};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/tenants/{tenant}/routing",
            get(get_routing).post(create_version),
        )
        .route("/v1/tenants/{tenant}/routing/versions", get(list_versions))
        .route(
            "/v1/tenants/{tenant}/routing/versions/{version}",
            get(get_version),
        )
        .route("/v1/tenants/{tenant}/routing/gray", post(set_gray))
        .route("/v1/tenants/{tenant}/routing/promote", post(promote))
        .route("/v1/tenants/{tenant}/routing/rollback", post(rollback))
}

async fn view(state: &AppState, tenant: &str) -> Result<Value, ApiError> {
    let s = state.store.routing_state(tenant).await?;
    let version = |v: Option<i64>| async move {
        match v {
            Some(v) => state.store.routing_version(tenant, v).await.map(Some),
            None => Ok(None),
        }
    };
    let stable: Option<RoutingVersion> = version(s.stable).await?;
    let candidate: Option<RoutingVersion> = version(s.candidate).await?;
    Ok(json!({"state": s, "stable": stable, "candidate": candidate}))
}

async fn get_routing(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require_tenant(&tenant)?;
    state.store.tenant(&tenant).await?;
    Ok(Json(view(&state, &tenant).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewVersion {
    config: Value,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    gray_percent: Option<u8>,
}

async fn create_version(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    body: Result<Json<NewVersion>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require_tenant(&tenant)?;
    state.store.tenant(&tenant).await?;
    let Json(body) = body.map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_routing",
            format!(
                "{} (expected {{\"config\": {{…}}, \"note\"?, \"gray_percent\"?}})",
                e.body_text()
            ),
        )
    })?;
    if body.gray_percent.is_some_and(|p| p > 100) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_routing",
            "gray_percent must be 0-100",
        ));
    }
    // Validate completely before storing anything; store the canonical form.
    let compiled = Routing::parse(&body.config, 0).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_routing",
            e.to_string(),
        )
    })?;
    let s = state
        .store
        .change_routing(
            &tenant,
            RoutingChange::Create {
                config: serde_json::to_value(compiled.config()).map_err(ApiError::internal)?,
                note: body.note,
                gray_percent: body.gray_percent.unwrap_or(0),
            },
            &caller.actor(),
        )
        .await?;
    state.pipeline.forget_routing(&tenant);
    // The new version is the candidate, or live at once when nothing was live or it went to
    // 100 %.
    let version = s.candidate.or(s.stable);
    Ok((
        StatusCode::CREATED,
        Json(json!({"version": version, "state": s})),
    ))
}

async fn list_versions(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<Vec<RoutingVersion>>, ApiError> {
    caller.require_tenant(&tenant)?;
    state.store.tenant(&tenant).await?;
    Ok(Json(state.store.routing_versions(&tenant).await?))
}

async fn get_version(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, version)): Path<(String, i64)>,
) -> Result<Json<RoutingVersion>, ApiError> {
    caller.require_tenant(&tenant)?;
    state.store.tenant(&tenant).await?;
    Ok(Json(state.store.routing_version(&tenant, version).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Gray {
    percent: u8,
}

async fn change(
    state: &AppState,
    caller: &Caller,
    tenant: &str,
    change: RoutingChange,
) -> Result<Json<RoutingState>, ApiError> {
    caller.require_tenant(tenant)?;
    state.store.tenant(tenant).await?;
    let s = state
        .store
        .change_routing(tenant, change, &caller.actor())
        .await?;
    state.pipeline.forget_routing(tenant);
    Ok(Json(s))
}

async fn set_gray(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    body: Result<Json<Gray>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<RoutingState>, ApiError> {
    let Json(g) = body.map_err(|e| {
        ApiError::bad_request(
            "invalid_body",
            format!("{} (expected {{\"percent\": 0-100}})", e.body_text()),
        )
    })?;
    if g.percent > 100 {
        return Err(ApiError::bad_request(
            "invalid_body",
            "percent must be 0-100",
        ));
    }
    change(
        &state,
        &caller,
        &tenant,
        RoutingChange::Gray { percent: g.percent },
    )
    .await
}

async fn promote(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<RoutingState>, ApiError> {
    change(&state, &caller, &tenant, RoutingChange::Promote).await
}

async fn rollback(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<RoutingState>, ApiError> {
    change(&state, &caller, &tenant, RoutingChange::Rollback).await
}
