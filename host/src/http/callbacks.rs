//! The channel callbacks real WeChat and WeCom servers (and integrations) call:
//!
//! - `GET|POST /wechat/{tenant}/{channel}`: Official Account URL verification and messages, in
//!   plaintext or safe mode (`encrypt_type=aes`; required when the channel has an AES key).
//! - `GET|POST /wecom/{tenant}/{channel}`: WeCom, always encrypted; the GET `echostr` is
//!   decrypted and its plaintext returned.
//! - `POST /webhook/{tenant}/{channel}`: the JSON webhook, HMAC-signed.
//!
//! Everything is checked before anything is stored: the channel exists and has this kind
//! (404), the timestamp is fresh and the signature matches (401), the body is well-formed XML
//! or JSON without DTDs or entities and within 64 KiB (400, 413), the decrypted message is for
//! this app (400). A message is stored before it is acknowledged; see `channels::service`.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rand::RngCore;
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::error::ApiError;
use crate::channels::wechat::{self, CallbackXml, InboundMessage as WxMessage, MessageKind};
use crate::channels::{Answer, ChannelKind, ChannelRuntime, webhook};
use crate::store::{InboundRow, StoreError, now_ms};

/// Largest callback body.
pub const MAX_CALLBACK_BYTES: usize = 64 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/wechat/{tenant}/{channel}",
            get(wechat_verify).post(wechat_message),
        )
        .route(
            "/wecom/{tenant}/{channel}",
            get(wecom_verify).post(wecom_message),
        )
        .route("/webhook/{tenant}/{channel}", post(webhook_message))
        .layer(DefaultBodyLimit::max(MAX_CALLBACK_BYTES))
}

/// The query WeChat and WeCom send (already URL-decoded).
#[derive(Deserialize, Default)]
pub struct WxQuery {
    signature: Option<String>,
    timestamp: Option<String>,
    nonce: Option<String>,
    echostr: Option<String>,
    encrypt_type: Option<String>,
    msg_signature: Option<String>,
}

fn unauthorized(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, code, message)
}

fn bad(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, code, message)
}

async fn channel_of(
    state: &AppState,
    tenant: &str,
    name: &str,
    kind: ChannelKind,
) -> Result<Arc<ChannelRuntime>, ApiError> {
    let ch = state
        .channels
        .channel(tenant, name)
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => {
                ApiError::not_found(format!("no channel {name} for tenant {tenant}"))
            }
            other => ApiError::from(other),
        })?;
    if ch.kind != kind {
        return Err(ApiError::not_found(format!(
            "channel {name} of tenant {tenant} is not a {} channel",
            kind.as_str()
        )));
    }
    Ok(ch)
}

/// Checks that `timestamp` is present, numeric and within the channel's clock skew.
fn fresh(ch: &ChannelRuntime, timestamp: Option<&str>) -> Result<String, ApiError> {
    let ts = timestamp.ok_or_else(|| unauthorized("missing_timestamp", "timestamp is required"))?;
    let secs: i64 = ts
        .parse()
        .map_err(|_| unauthorized("bad_timestamp", "timestamp is not a number"))?;
    if (now_ms() / 1000 - secs).abs() > ch.settings.max_clock_skew_secs {
        return Err(unauthorized(
            "stale_timestamp",
            format!(
                "timestamp is more than {} s from now",
                ch.settings.max_clock_skew_secs
            ),
        ));
    }
    Ok(ts.to_owned())
}

fn plain(text: impl Into<String>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text.into(),
    )
        .into_response()
}

fn xml(text: String) -> Response {
    (
        [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
        text,
    )
        .into_response()
}

fn crypto_error(e: wechat::CryptoError) -> ApiError {
    match e {
        wechat::CryptoError::BadSignature => {
            unauthorized("bad_signature", "msg_signature does not match")
        }
        other => bad(other.code(), other.to_string()),
    }
}

fn xml_error(e: wechat::XmlError) -> ApiError {
    bad(e.code(), format!("malformed XML: {e}"))
}

async fn wechat_verify(
    State(state): State<AppState>,
    Path((tenant, name)): Path<(String, String)>,
    Query(q): Query<WxQuery>,
) -> Result<Response, ApiError> {
    let ch = channel_of(&state, &tenant, &name, ChannelKind::WechatOa).await?;
    let ts = fresh(&ch, q.timestamp.as_deref())?;
    let (Some(sig), Some(nonce), Some(echostr)) = (&q.signature, &q.nonce, &q.echostr) else {
        return Err(unauthorized(
            "missing_signature",
            "signature, nonce and echostr are required",
        ));
    };
    wechat::verify_plain_signature(ch.row.token.as_deref().unwrap_or_default(), &ts, nonce, sig)
        .map_err(|_| unauthorized("bad_signature", "signature does not match"))?;
    Ok(plain(echostr.clone()))
}

async fn wecom_verify(
    State(state): State<AppState>,
    Path((tenant, name)): Path<(String, String)>,
    Query(q): Query<WxQuery>,
) -> Result<Response, ApiError> {
    let ch = channel_of(&state, &tenant, &name, ChannelKind::Wecom).await?;
    let ts = fresh(&ch, q.timestamp.as_deref())?;
    let (Some(sig), Some(nonce), Some(echostr)) = (&q.msg_signature, &q.nonce, &q.echostr) else {
        return Err(unauthorized(
            "missing_signature",
            "msg_signature, nonce and echostr are required",
        ));
    };
    let crypt = ch
        .crypt
        .as_ref()
        .ok_or_else(|| ApiError::internal("wecom channel without a key"))?;
    let plaintext = crypt
        .verify_and_decrypt(sig, &ts, nonce, echostr)
        .map_err(crypto_error)?;
    Ok(plain(plaintext.message))
}

/// A WeChat message as the pipeline sees it: kind and text.
fn kind_and_text(m: &WxMessage) -> (&'static str, String) {
    match &m.kind {
        MessageKind::Text { content } => ("text", content.clone()),
        MessageKind::Image { media_id, .. } => ("image", media_id.clone()),
        MessageKind::Voice {
            recognition,
            media_id,
            ..
        } => (
            "voice",
            recognition
                .clone()
                .filter(|r| !r.is_empty())
                .unwrap_or_else(|| media_id.clone()),
        ),
        MessageKind::Video { media_id, .. } | MessageKind::ShortVideo { media_id, .. } => {
            ("video", media_id.clone())
        }
        MessageKind::Location {
            location_x,
            location_y,
            label,
            ..
        } => (
            "location",
            label
                .clone()
                .unwrap_or_else(|| format!("{location_x},{location_y}")),
        ),
        MessageKind::Link { title, .. } => ("link", title.clone()),
        MessageKind::Event {
            event_name,
            event_key,
            ..
        } => (
            "event",
            match event_key.as_deref().filter(|k| !k.is_empty()) {
                Some(k) => format!("{event_name}:{k}"),
                None => event_name.clone(),
            },
        ),
        MessageKind::Other { msg_type } => ("text", format!("[{msg_type}]")),
    }
}

fn inbound_row(ch: &ChannelRuntime, xml: &CallbackXml, m: &WxMessage) -> InboundRow {
    let (kind, text) = kind_and_text(m);
    InboundRow {
        id: crate::store::new_id(),
        tenant_id: ch.row.tenant_id.clone(),
        channel_id: ch.row.id.clone(),
        dedup_key: m.dedup_key(),
        customer_id: m.from_user_name.clone(),
        kind: kind.to_owned(),
        text,
        fields: serde_json::to_value(&xml.fields).unwrap_or_default(),
        received_at: now_ms(),
        status: "received".into(),
        reply: None,
        replied_via: None,
        message_id: None,
    }
}

fn random16() -> [u8; 16] {
    let mut r = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut r);
    r
}

/// Decrypts a safe-mode / WeCom body: verifies `msg_signature` over its `Encrypt`, decrypts it
/// and parses the inner message. Returns the inner XML and the index of the key that worked.
fn open_envelope(
    ch: &ChannelRuntime,
    q: &WxQuery,
    ts: &str,
    body: &[u8],
) -> Result<(CallbackXml, usize), ApiError> {
    let crypt = ch.crypt.as_ref().ok_or_else(|| {
        bad(
            "encryption_not_configured",
            "this channel has no EncodingAESKey",
        )
    })?;
    let outer = CallbackXml::parse(body).map_err(xml_error)?;
    let encrypt = outer
        .encrypt()
        .ok_or_else(|| bad("missing_field", "the body has no Encrypt element"))?;
    let (Some(sig), Some(nonce)) = (&q.msg_signature, &q.nonce) else {
        return Err(unauthorized(
            "missing_signature",
            "msg_signature and nonce are required",
        ));
    };
    let opened = crypt
        .verify_and_decrypt(sig, ts, nonce, encrypt)
        .map_err(crypto_error)?;
    let inner = CallbackXml::parse(opened.message.as_bytes()).map_err(xml_error)?;
    Ok((inner, opened.key_index))
}

/// Stores, processes and answers a verified WeChat / WeCom message.
async fn answer_wechat(
    state: &AppState,
    ch: &Arc<ChannelRuntime>,
    inner: CallbackXml,
    envelope: Option<(usize, &str, &str)>,
    started: Instant,
) -> Result<Response, ApiError> {
    let msg = WxMessage::from_xml(&inner).map_err(xml_error)?;
    let row = inbound_row(ch, &inner, &msg);
    let accepted = state.channels.accept(ch, row, started).await?;
    let Answer::Reply(reply) = accepted.answer else {
        return Ok(plain("success"));
    };
    let reply_xml = wechat::text_reply(
        &msg.from_user_name,
        &msg.to_user_name,
        now_ms() / 1000,
        &reply.text,
    );
    match (envelope, &ch.crypt) {
        (Some((key_index, ts, nonce)), Some(crypt)) => Ok(xml(wechat::encrypted_envelope(
            crypt,
            key_index,
            &reply_xml,
            ts,
            nonce,
            random16(),
        )
        .map_err(ApiError::internal)?)),
        _ => Ok(xml(reply_xml)),
    }
}

async fn wechat_message(
    State(state): State<AppState>,
    Path((tenant, name)): Path<(String, String)>,
    Query(q): Query<WxQuery>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let started = Instant::now();
    let ch = channel_of(&state, &tenant, &name, ChannelKind::WechatOa).await?;
    let ts = fresh(&ch, q.timestamp.as_deref())?;
    let nonce = q.nonce.clone().unwrap_or_default();
    if q.encrypt_type.as_deref() == Some("aes") {
        let (inner, key_index) = open_envelope(&ch, &q, &ts, &body)?;
        return answer_wechat(&state, &ch, inner, Some((key_index, &ts, &nonce)), started).await;
    }
    if ch.crypt.is_some() {
        return Err(bad(
            "encryption_required",
            "this channel is in safe mode: send encrypt_type=aes",
        ));
    }
    let sig = q
        .signature
        .as_deref()
        .ok_or_else(|| unauthorized("missing_signature", "signature is required"))?;
    wechat::verify_plain_signature(
        ch.row.token.as_deref().unwrap_or_default(),
        &ts,
        &nonce,
        sig,
    )
    .map_err(|_| unauthorized("bad_signature", "signature does not match"))?;
    let inner = CallbackXml::parse(&body).map_err(xml_error)?;
    answer_wechat(&state, &ch, inner, None, started).await
}

async fn wecom_message(
    State(state): State<AppState>,
    Path((tenant, name)): Path<(String, String)>,
    Query(q): Query<WxQuery>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let started = Instant::now();
    let ch = channel_of(&state, &tenant, &name, ChannelKind::Wecom).await?;
    let ts = fresh(&ch, q.timestamp.as_deref())?;
    let nonce = q.nonce.clone().unwrap_or_default();
    let (inner, key_index) = open_envelope(&ch, &q, &ts, &body)?;
    // WeCom customer service: the event only signals that messages wait to be pulled.
    let field = |n: &str| inner.fields.get(n).map(String::as_str);
    if field("MsgType") == Some("event") && field("Event") == Some("kf_msg_or_event") {
        let open_kfid = field("OpenKfId")
            .filter(|k| !k.is_empty())
            .ok_or_else(|| bad("missing_field", "kf_msg_or_event without OpenKfId"))?;
        crate::channels::kf::notify(
            &state.channels,
            ch.clone(),
            open_kfid.to_owned(),
            field("Token").unwrap_or_default().to_owned(),
        );
        return Ok(plain("success"));
    }
    answer_wechat(&state, &ch, inner, Some((key_index, &ts, &nonce)), started).await
}

async fn webhook_message(
    State(state): State<AppState>,
    Path((tenant, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let started = Instant::now();
    let ch = channel_of(&state, &tenant, &name, ChannelKind::Webhook).await?;
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    webhook::verify(
        ch.row.hmac_secret.as_deref().unwrap_or_default().as_bytes(),
        header("x-kefu-timestamp"),
        header("x-kefu-signature"),
        &body,
        now_ms() / 1000,
    )
    .map_err(|e| match e {
        webhook::WebhookError::BadBody(_) => bad(e.code(), e.to_string()),
        _ => unauthorized(e.code(), e.to_string()),
    })?;
    let msg = webhook::parse(&body).map_err(|e| bad(e.code(), e.to_string()))?;
    let received_at = now_ms();
    let row = InboundRow {
        id: crate::store::new_id(),
        tenant_id: tenant.clone(),
        channel_id: ch.row.id.clone(),
        dedup_key: format!("id:{}", msg.message_id),
        customer_id: msg.customer_id.clone(),
        kind: msg.kind.clone(),
        text: msg.text.clone(),
        fields: json!({"message_id": msg.message_id, "customer": msg.customer,
                       "timestamp": msg.timestamp}),
        received_at,
        status: "received".into(),
        reply: None,
        replied_via: None,
        message_id: None,
    };
    let accepted = state.channels.accept(&ch, row, started).await?;
    let (status, body) = match accepted.answer {
        Answer::Reply(r) => (
            StatusCode::OK,
            json!({"status": "answered", "inbound_id": accepted.inbound_id, "duplicate": accepted.duplicate,
                   "reply": {"text": r.text}}),
        ),
        Answer::NoReply => (
            StatusCode::OK,
            json!({"status": "answered", "inbound_id": accepted.inbound_id, "duplicate": accepted.duplicate,
                   "reply": null}),
        ),
        Answer::Pending => (
            StatusCode::ACCEPTED,
            json!({"status": "accepted", "inbound_id": accepted.inbound_id, "duplicate": accepted.duplicate,
                   "reply": null}),
        ),
    };
    Ok((status, Json(body)).into_response())
}
