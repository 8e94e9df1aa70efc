//! `/v1/tenants/{tenant}/channels`: a tenant's WeChat Official Account, WeCom and webhook
//! channels, their inbound messages and the outbox. Secrets are write-only: answers show only
//! their first characters.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;
use super::valid_tenant_id;
use crate::channels::wechat::AesKey;
use crate::channels::{ChannelKind, ChannelRuntime, ChannelSettings};
use crate::store::{AttemptRow, ChannelRow, InboundRow, OutboxRow, now_ms};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/tenants/{tenant}/channels",
            get(list_channels).post(add_channel),
        )
        .route(
            "/v1/tenants/{tenant}/channels/{name}",
            get(get_channel)
                .patch(update_channel)
                .delete(remove_channel),
        )
        .route(
            "/v1/tenants/{tenant}/channels/{name}/inbound",
            get(list_inbound),
        )
        .route("/v1/tenants/{tenant}/inbound/{id}", get(get_inbound))
        .route("/v1/tenants/{tenant}/outbox", get(list_outbox))
        .route(
            "/v1/tenants/{tenant}/outbox/{id}/attempts",
            get(list_attempts),
        )
}

/// Shows the start of a secret only.
fn mask(s: &Option<String>) -> Option<String> {
    s.as_ref().map(|s| {
        let shown: String = s.chars().take(3).collect();
        format!("{shown}***")
    })
}

/// A channel as clients see it.
#[derive(Serialize)]
pub struct ChannelView {
    pub name: String,
    pub kind: String,
    pub token: Option<String>,
    pub aes_key: Option<String>,
    pub aes_key_previous: Option<String>,
    pub appid: Option<String>,
    pub secret: Option<String>,
    pub hmac_secret: Option<String>,
    pub callback_url: Option<String>,
    pub settings: serde_json::Value,
    /// The callback URL path to configure in WeChat / WeCom / the integration.
    pub callback_path: String,
    pub created_at: i64,
    pub updated_at: i64,
}

fn view(c: &ChannelRow) -> ChannelView {
    let prefix = match c.kind.as_str() {
        "wechat-oa" => "wechat",
        "wecom" => "wecom",
        _ => "webhook",
    };
    ChannelView {
        name: c.name.clone(),
        kind: c.kind.clone(),
        token: mask(&c.token),
        aes_key: mask(&c.aes_key),
        aes_key_previous: mask(&c.aes_key_previous),
        appid: c.app_id.clone(),
        secret: mask(&c.secret),
        hmac_secret: mask(&c.hmac_secret),
        callback_url: c.callback_url.clone(),
        settings: c.settings.clone(),
        callback_path: format!("/{prefix}/{}/{}", c.tenant_id, c.name),
        created_at: c.created_at,
        updated_at: c.updated_at,
    }
}

/// Create or update body; every field optional on update.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ChannelBody {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub token: Option<String>,
    pub aes_key: Option<String>,
    pub aes_key_previous: Option<String>,
    pub appid: Option<String>,
    pub corpid: Option<String>,
    pub secret: Option<String>,
    pub hmac_secret: Option<String>,
    pub callback_url: Option<String>,
    pub settings: Option<serde_json::Value>,
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_channel", message)
}

/// Checks a channel's fields for its kind, naming the first problem.
fn validate(c: &ChannelRow) -> Result<(), ApiError> {
    let kind = ChannelKind::parse(&c.kind)
        .ok_or_else(|| invalid("kind must be wechat-oa, wecom or webhook"))?;
    for (field, key) in [
        ("aes_key", &c.aes_key),
        ("aes_key_previous", &c.aes_key_previous),
    ] {
        if let Some(k) = key {
            AesKey::from_encoding_aes_key(k).map_err(|e| {
                invalid(format!(
                    "{field}: {e} (an EncodingAESKey has 43 characters)"
                ))
            })?;
        }
    }
    let need = |field: &str, v: &Option<String>| match v {
        Some(s) if !s.trim().is_empty() => Ok(()),
        _ => Err(invalid(format!(
            "a {} channel needs {field}",
            kind.as_str()
        ))),
    };
    match kind {
        ChannelKind::WechatOa => {
            need("token", &c.token)?;
            if c.aes_key.is_some() {
                need("appid (checked in every decrypted message)", &c.app_id)?;
            }
        }
        ChannelKind::Wecom => {
            need("token", &c.token)?;
            need("aes_key", &c.aes_key)?;
            need("corpid", &c.app_id)?;
        }
        ChannelKind::Webhook => {
            need("hmac_secret", &c.hmac_secret)?;
            if c.hmac_secret.as_ref().is_some_and(|s| s.len() < 16) {
                return Err(invalid("hmac_secret must be at least 16 bytes"));
            }
        }
    }
    if let Some(url) = &c.callback_url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return Err(invalid("callback_url must be an http(s) URL"));
    }
    ChannelRuntime::build(c.clone()).map_err(invalid)?;
    Ok(())
}

async fn add_channel(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    Json(body): Json<ChannelBody>,
) -> Result<(StatusCode, Json<ChannelView>), ApiError> {
    caller.require_tenant(&tenant)?;
    state.store.tenant(&tenant).await?;
    let name = body.name.clone().unwrap_or_default();
    if !valid_tenant_id(&name) {
        return Err(invalid("name must be 1-63 characters of a-z, 0-9 and '-'"));
    }
    let kind_text = body.kind.clone().unwrap_or_default();
    let kind = ChannelKind::parse(&kind_text)
        .ok_or_else(|| invalid("kind must be wechat-oa, wecom or webhook"))?;
    let mut settings =
        serde_json::to_value(ChannelSettings::defaults_for(kind)).map_err(ApiError::internal)?;
    if let Some(extra) = body.settings.as_ref().and_then(|s| s.as_object()) {
        for (k, v) in extra {
            settings[k] = v.clone();
        }
    }
    let now = now_ms();
    let row = ChannelRow {
        id: crate::store::new_id(),
        tenant_id: tenant.clone(),
        name,
        kind: kind_text,
        token: body.token,
        aes_key: body.aes_key,
        aes_key_previous: body.aes_key_previous,
        app_id: body.appid.or(body.corpid),
        secret: body.secret,
        hmac_secret: body.hmac_secret,
        callback_url: body.callback_url,
        settings,
        created_at: now,
        updated_at: now,
    };
    validate(&row)?;
    state.store.insert_channel(&row).await?;
    Ok((StatusCode::CREATED, Json(view(&row))))
}

async fn list_channels(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<Vec<ChannelView>>, ApiError> {
    caller.require_tenant(&tenant)?;
    state.store.tenant(&tenant).await?;
    Ok(Json(
        state
            .store
            .channels(&tenant)
            .await?
            .iter()
            .map(view)
            .collect(),
    ))
}

async fn get_channel(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, name)): Path<(String, String)>,
) -> Result<Json<ChannelView>, ApiError> {
    caller.require_tenant(&tenant)?;
    Ok(Json(view(&state.store.channel(&tenant, &name).await?)))
}

/// Changes some fields. A new `aes_key` keeps the old one as `aes_key_previous` (WeChat's key
/// rotation: messages encrypted with either are accepted) unless that is given too.
async fn update_channel(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, name)): Path<(String, String)>,
    Json(body): Json<ChannelBody>,
) -> Result<Json<ChannelView>, ApiError> {
    caller.require_tenant(&tenant)?;
    let mut row = state.store.channel(&tenant, &name).await?;
    if body.name.as_ref().is_some_and(|n| *n != name)
        || body.kind.as_ref().is_some_and(|k| *k != row.kind)
    {
        return Err(invalid(
            "name and kind cannot change; add a new channel instead",
        ));
    }
    if let Some(key) = body.aes_key {
        if row.aes_key.as_ref() != Some(&key) && body.aes_key_previous.is_none() {
            row.aes_key_previous = row.aes_key.take();
        }
        row.aes_key = Some(key);
    }
    if body.aes_key_previous.is_some() {
        row.aes_key_previous = body.aes_key_previous;
    }
    macro_rules! set {
        ($($field:ident <- $value:expr),*) => { $( if let Some(v) = $value { row.$field = Some(v); } )* };
    }
    set!(token <- body.token, app_id <- body.appid.or(body.corpid), secret <- body.secret,
         hmac_secret <- body.hmac_secret, callback_url <- body.callback_url);
    if let Some(extra) = body.settings.as_ref().and_then(|s| s.as_object()) {
        for (k, v) in extra {
            row.settings[k] = v.clone();
        }
    }
    validate(&row)?;
    state.store.update_channel(&row).await?;
    state.channels.invalidate(&tenant, &name);
    Ok(Json(view(&state.store.channel(&tenant, &name).await?)))
}

async fn remove_channel(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, name)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    caller.require_tenant(&tenant)?;
    state.store.delete_channel(&tenant, &name).await?;
    state.channels.invalidate(&tenant, &name);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Limit {
    limit: Option<i64>,
}

async fn list_inbound(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, name)): Path<(String, String)>,
    Query(q): Query<Limit>,
) -> Result<Json<Vec<InboundRow>>, ApiError> {
    caller.require_tenant(&tenant)?;
    let ch = state.store.channel(&tenant, &name).await?;
    Ok(Json(
        state
            .store
            .inbound_list(&ch.id, q.limit.unwrap_or(100).clamp(1, 1000))
            .await?,
    ))
}

async fn get_inbound(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<InboundRow>, ApiError> {
    caller.require_tenant(&tenant)?;
    Ok(Json(state.store.inbound(&tenant, &id).await?))
}

async fn list_outbox(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    Query(q): Query<Limit>,
) -> Result<Json<Vec<OutboxRow>>, ApiError> {
    caller.require_tenant(&tenant)?;
    state.store.tenant(&tenant).await?;
    Ok(Json(
        state
            .store
            .outbox(&tenant, q.limit.unwrap_or(100).clamp(1, 1000))
            .await?,
    ))
}

async fn list_attempts(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<Vec<AttemptRow>>, ApiError> {
    caller.require_tenant(&tenant)?;
    state.store.outbox_item(&tenant, &id).await?;
    Ok(Json(state.store.outbox_attempts(&id).await?))
}
