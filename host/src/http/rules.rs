//! `/v1/tenants/{tenant}/rules`: the tenant's decision rules and business hours, as JSON or
//! TOML. A rule set that does not validate is refused (422 `invalid_rules`) with the offending
//! rule and field named, and nothing changes. Every accepted change is audited.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;
use crate::pipeline::compile_rules;
use crate::store::AuditRow;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/tenants/{tenant}/rules",
            get(get_rules)
                .put(put_rules)
                .layer(DefaultBodyLimit::max(1024 * 1024)),
        )
        .route("/v1/tenants/{tenant}/audit", get(get_audit))
}

async fn get_rules(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require_tenant(&tenant)?;
    state.store.tenant(&tenant).await?;
    Ok(Json(match state.store.tenant_rules(&tenant).await? {
        Some(row) => json!({"rules": row.rules["rules"], "business_hours": row.business_hours,
                            "classifier": row.rules.get("classifier"),
                            "version": row.version, "updated_at": row.updated_at}),
        None => json!({"rules": [], "business_hours": null, "version": 0}),
    }))
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_rules", message)
}

/// Replaces the rules. JSON: `{"rules": [...], "business_hours": {...}}`; TOML (content type
/// `application/toml`): `[[rules]]` tables and an optional `[business_hours]` table.
async fn put_rules(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    caller.require_tenant(&tenant)?;
    let t = state.store.tenant(&tenant).await?;
    let is_toml = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.contains("toml"));
    let doc: Value = if is_toml {
        let text = std::str::from_utf8(&body).map_err(|_| invalid("the TOML is not UTF-8"))?;
        let table: toml::Table = toml::from_str(text).map_err(|e| invalid(format!("TOML: {e}")))?;
        serde_json::to_value(table).map_err(|e| invalid(e.to_string()))?
    } else {
        serde_json::from_slice(&body).map_err(|e| invalid(format!("JSON: {e}")))?
    };
    let Value::Object(mut doc) = doc else {
        return Err(invalid("the body must be an object with a rules list"));
    };
    let hours = doc.remove("business_hours").filter(|h| !h.is_null());
    let classifier = doc.remove("classifier").filter(|c| !c.is_null());
    let mut rules = json!({"rules": doc.remove("rules").unwrap_or_else(|| json!([]))});
    if let Some(c) = &classifier {
        rules["classifier"] = c.clone();
    }
    if let Some(extra) = doc.keys().next() {
        return Err(invalid(format!(
            "unknown top-level field {extra:?} (rules, business_hours, classifier)"
        )));
    }
    // Validate completely before storing anything.
    let compiled =
        compile_rules(&rules, hours.as_ref(), t.name, 0).map_err(|e| invalid(e.to_string()))?;
    let mut canonical =
        json!({"rules": serde_json::to_value(compiled.rules.rules()).map_err(ApiError::internal)?});
    if classifier.is_some() {
        canonical["classifier"] =
            serde_json::to_value(compiled.classifier).map_err(ApiError::internal)?;
    }
    let actor = caller.actor();
    let row = state
        .store
        .put_tenant_rules(&tenant, &canonical, hours.as_ref(), &actor)
        .await?;
    state.pipeline.forget_rules(&tenant);
    Ok(Json(
        json!({"rules": row.rules["rules"], "business_hours": row.business_hours,
                   "classifier": row.rules.get("classifier"),
                   "version": row.version, "updated_at": row.updated_at}),
    ))
}

async fn get_audit(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<Vec<AuditRow>>, ApiError> {
    caller.require_tenant(&tenant)?;
    state.store.tenant(&tenant).await?;
    Ok(Json(state.store.audit_log(&tenant, 200).await?))
}
