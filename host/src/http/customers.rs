//! `/v1/tenants/{tenant}/customers`: customer profiles (SPEC U3) — what the channels, the
//! decision rules (tag, set a profile field) and analyze plugins (segment, profile fields)
//! recorded, readable by the tenant and its agents, and editable by the tenant (a CRM sync).

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;
use crate::store::{CustomerRow, now_ms};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/tenants/{tenant}/customers", get(list))
        .route(
            "/v1/tenants/{tenant}/customers/{id}",
            get(get_one).put(put_one),
        )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Limit {
    limit: Option<i64>,
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    Query(q): Query<Limit>,
) -> Result<Json<Vec<CustomerRow>>, ApiError> {
    caller.require_staff(&tenant)?;
    state.store.tenant(&tenant).await?;
    Ok(Json(
        state
            .store
            .customers(&tenant, q.limit.unwrap_or(100).clamp(1, 1000))
            .await?,
    ))
}

async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<CustomerRow>, ApiError> {
    caller.require_staff(&tenant)?;
    state.store.tenant(&tenant).await?;
    state
        .store
        .customer(&tenant, &id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("customer {id} not found")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Profile {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    segment: Option<String>,
    #[serde(default)]
    vip: bool,
    #[serde(default)]
    profile: BTreeMap<String, String>,
}

/// Replaces a customer's profile.
async fn put_one(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, id)): Path<(String, String)>,
    body: Result<Json<Profile>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<CustomerRow>, ApiError> {
    caller.require_tenant(&tenant)?;
    state.store.tenant(&tenant).await?;
    let Json(p) = body.map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            e.body_text(),
        )
    })?;
    if id.is_empty() || id.len() > 128 {
        return Err(ApiError::bad_request(
            "invalid_customer",
            "customer id must be 1-128 bytes",
        ));
    }
    let size = p.tags.iter().map(String::len).sum::<usize>()
        + p.profile
            .iter()
            .map(|(k, v)| k.len() + v.len())
            .sum::<usize>();
    if p.tags.len() > 200 || p.profile.len() > 200 || size > 32 * 1024 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "at most 200 tags, 200 profile fields and 32 KiB in all",
        ));
    }
    let row = CustomerRow {
        customer_id: id.clone(),
        name: p.name,
        tags: p.tags,
        segment: p.segment,
        vip: p.vip,
        profile: p.profile,
        updated_at: now_ms(),
    };
    state.store.put_customer(&tenant, &row).await?;
    state.pipeline.customers.forget(&tenant, &id);
    Ok(Json(row))
}
