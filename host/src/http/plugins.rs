//! `/v1/plugins` (installed packages, operator only) and `/v1/tenants/{tenant}/plugins`
//! (a tenant's enablement, configuration, upgrade and rollback).

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;
use crate::package::Package;
use crate::store::{InstalledVersion, TenantPlugin};

pub fn router(max_package_bytes: usize) -> Router<AppState> {
    Router::new()
        .route(
            "/v1/plugins",
            post(install_plugin)
                .get(list_plugins)
                .layer(DefaultBodyLimit::max(max_package_bytes)),
        )
        .route(
            "/v1/plugins/verify",
            post(verify_plugin).layer(DefaultBodyLimit::max(max_package_bytes)),
        )
        .route(
            "/v1/plugins/{plugin}/versions/{version}",
            delete(remove_plugin),
        )
        .route("/v1/tenants/{tenant}/plugins", get(list_tenant_plugins))
        .route(
            "/v1/tenants/{tenant}/plugins/{plugin}/enable",
            post(enable_plugin),
        )
        .route(
            "/v1/tenants/{tenant}/plugins/{plugin}/disable",
            post(disable_plugin),
        )
        .route(
            "/v1/tenants/{tenant}/plugins/{plugin}/config",
            put(configure_plugin),
        )
        .route(
            "/v1/tenants/{tenant}/plugins/{plugin}/upgrade",
            post(upgrade_plugin),
        )
        .route(
            "/v1/tenants/{tenant}/plugins/{plugin}/rollback",
            post(rollback_plugin),
        )
}

/// Installs a `.kpkg` sent as the request body.
async fn install_plugin(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<(StatusCode, Json<InstalledVersion>), ApiError> {
    caller.require_operator()?;
    let registry = state.registry.clone();
    // Reading, verifying and compiling a package is CPU work: keep it off the async workers.
    let installed = tokio::task::spawn_blocking(move || {
        tokio::runtime::Handle::current().block_on(registry.install(&body))
    })
    .await
    .map_err(ApiError::internal)??;
    Ok((StatusCode::CREATED, Json(installed)))
}

#[derive(Serialize)]
struct VerifyReport {
    id: String,
    version: String,
    sha256: String,
    key_id: String,
    hooks: Vec<&'static str>,
    addon: Option<String>,
    contract: String,
}

/// Checks a package as install would, without installing it.
async fn verify_plugin(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Json<VerifyReport>, ApiError> {
    caller.require_operator()?;
    let registry = state.registry.clone();
    let package: Package =
        tokio::task::spawn_blocking(move || registry.check_package(&body).map(|(p, _)| p))
            .await
            .map_err(ApiError::internal)??;
    let m = &package.manifest;
    Ok(Json(VerifyReport {
        id: m.id.clone(),
        version: m.version.to_string(),
        sha256: package.sha256.clone(),
        key_id: package.key_id.clone(),
        hooks: m.hooks.iter().map(|h| h.as_str()).collect(),
        addon: m.addon.clone(),
        contract: m.contract.clone(),
    }))
}

async fn list_plugins(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<Vec<InstalledVersion>>, ApiError> {
    Ok(Json(state.store.plugin_versions().await?))
}

async fn remove_plugin(
    State(state): State<AppState>,
    caller: Caller,
    Path((plugin, version)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    caller.require_operator()?;
    state.registry.remove(&plugin, &version).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_tenant_plugins(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<Vec<TenantPlugin>>, ApiError> {
    caller.require_tenant(&tenant)?;
    state.store.tenant(&tenant).await?;
    Ok(Json(state.store.tenant_plugins(&tenant).await?))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct VersionChoice {
    #[serde(default)]
    version: Option<String>,
}

fn version_choice(body: Option<Json<VersionChoice>>) -> Option<String> {
    body.and_then(|Json(v)| v.version)
}

async fn enable_plugin(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, plugin)): Path<(String, String)>,
    body: Option<Json<VersionChoice>>,
) -> Result<Json<TenantPlugin>, ApiError> {
    caller.require_tenant(&tenant)?;
    let version = version_choice(body);
    Ok(Json(
        state
            .registry
            .enable(&tenant, &plugin, version.as_deref())
            .await?,
    ))
}

async fn disable_plugin(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, plugin)): Path<(String, String)>,
) -> Result<Json<TenantPlugin>, ApiError> {
    caller.require_tenant(&tenant)?;
    Ok(Json(state.registry.disable(&tenant, &plugin).await?))
}

async fn configure_plugin(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, plugin)): Path<(String, String)>,
    Json(config): Json<serde_json::Value>,
) -> Result<Json<TenantPlugin>, ApiError> {
    caller.require_tenant(&tenant)?;
    Ok(Json(
        state.registry.configure(&tenant, &plugin, config).await?,
    ))
}

async fn upgrade_plugin(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, plugin)): Path<(String, String)>,
    body: Option<Json<VersionChoice>>,
) -> Result<Json<TenantPlugin>, ApiError> {
    caller.require_tenant(&tenant)?;
    let version = version_choice(body);
    Ok(Json(
        state
            .registry
            .upgrade(&tenant, &plugin, version.as_deref())
            .await?,
    ))
}

async fn rollback_plugin(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, plugin)): Path<(String, String)>,
) -> Result<Json<TenantPlugin>, ApiError> {
    caller.require_tenant(&tenant)?;
    Ok(Json(state.registry.rollback(&tenant, &plugin).await?))
}
