//! `/v1/tenants/{tenant}/usage` (daily totals per plugin) and `/v1/tenants/{tenant}/plugin-calls`.

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;
use crate::store::{CallRecord, UsageRow, day_of, now_ms};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/tenants/{tenant}/usage", get(get_usage))
        .route("/v1/tenants/{tenant}/plugin-calls", get(get_calls))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UsageQuery {
    /// First day, `YYYY-MM-DD` (default: 30 days ago).
    from: Option<String>,
    /// Last day, `YYYY-MM-DD` (default: today).
    to: Option<String>,
}

fn valid_day(d: &str) -> bool {
    let b = d.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

async fn get_usage(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    Query(q): Query<UsageQuery>,
) -> Result<Json<Vec<UsageRow>>, ApiError> {
    caller.require_tenant(&tenant)?;
    state.store.tenant(&tenant).await?;
    // Records still on their way to the store belong in the answer.
    state.meter.flush().await;
    let now = now_ms();
    let from = q.from.unwrap_or_else(|| day_of(now - 30 * 86_400_000));
    let to = q.to.unwrap_or_else(|| day_of(now));
    if !valid_day(&from) || !valid_day(&to) {
        return Err(ApiError::bad_request(
            "invalid_day",
            "from and to are days written YYYY-MM-DD",
        ));
    }
    Ok(Json(state.store.usage(&tenant, &from, &to).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CallsQuery {
    limit: Option<i64>,
}

async fn get_calls(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    Query(q): Query<CallsQuery>,
) -> Result<Json<Vec<CallRecord>>, ApiError> {
    caller.require_tenant(&tenant)?;
    state.store.tenant(&tenant).await?;
    state.meter.flush().await;
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    Ok(Json(state.store.recent_calls(&tenant, limit).await?))
}
