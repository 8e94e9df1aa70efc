//! `/v1/tenants`: create and list tenants, issue tenant API keys.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::{Caller, generate_key, hash_key};
use super::error::ApiError;
use crate::store::Tenant;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/tenants", post(create_tenant).get(list_tenants))
        .route("/v1/tenants/{tenant}", get(get_tenant))
        .route("/v1/tenants/{tenant}/keys", post(rotate_key))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateTenant {
    pub id: String,
    pub name: String,
    #[serde(default = "default_timezone")]
    pub timezone: String,
}

fn default_timezone() -> String {
    "Asia/Shanghai".to_owned()
}

#[derive(Serialize)]
pub struct TenantWithKey {
    pub tenant: Tenant,
    /// Shown once: only its hash is stored.
    pub api_key: String,
}

/// Tenant ids appear in URLs and channel callbacks: lower-case letters, digits and dashes.
pub fn valid_tenant_id(id: &str) -> bool {
    (1..=63).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

async fn issue_key(state: &AppState, tenant: &str) -> Result<String, ApiError> {
    let key = generate_key("kefu_t_");
    state
        .store
        .add_api_key(tenant, &hash_key(&key), &key[..12])
        .await?;
    Ok(key)
}

async fn create_tenant(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<CreateTenant>,
) -> Result<(StatusCode, Json<TenantWithKey>), ApiError> {
    caller.require_operator()?;
    if !valid_tenant_id(&body.id) {
        return Err(ApiError::bad_request(
            "invalid_tenant_id",
            "tenant id must be 1-63 characters of a-z, 0-9 and '-', starting with a letter or digit",
        ));
    }
    if body.name.trim().is_empty() || body.name.len() > 200 {
        return Err(ApiError::bad_request(
            "invalid_tenant_name",
            "tenant name must be 1-200 bytes",
        ));
    }
    let tenant = state
        .store
        .create_tenant(&body.id, body.name.trim(), &body.timezone)
        .await?;
    let api_key = issue_key(&state, &tenant.id).await?;
    Ok((StatusCode::CREATED, Json(TenantWithKey { tenant, api_key })))
}

async fn list_tenants(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<Tenant>>, ApiError> {
    Ok(Json(match caller {
        Caller::Operator => state.store.tenants().await?,
        Caller::Tenant(t) => vec![state.store.tenant(&t).await?],
        Caller::Agent { .. } => {
            return Err(ApiError::forbidden(
                "an agent key can only work queues and conversations",
            ));
        }
    }))
}

async fn get_tenant(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<Tenant>, ApiError> {
    caller.require_tenant(&tenant)?;
    Ok(Json(state.store.tenant(&tenant).await?))
}

/// Issues a new key for the tenant and revokes its others.
async fn rotate_key(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Result<(StatusCode, Json<TenantWithKey>), ApiError> {
    caller.require_tenant(&tenant)?;
    let t = state.store.tenant(&tenant).await?;
    let api_key = issue_key(&state, &tenant).await?;
    state
        .store
        .revoke_other_keys(&tenant, &hash_key(&api_key))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(TenantWithKey { tenant: t, api_key }),
    ))
}
