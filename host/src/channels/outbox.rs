//! The outbox worker: delivers replies that missed the channel's deadline through the
//! channel's customer-service message API, with access-token fetch and refresh, retries with
//! exponential backoff, the reply window and quota, and every attempt recorded.
//!
//! - Official Account: `GET {api_base}/cgi-bin/token?grant_type=client_credential&appid=&secret=`
//!   then `POST {api_base}/cgi-bin/message/custom/send?access_token=…` with
//!   `{"touser", "msgtype": "text", "text": {"content"}}`.
//! - WeCom: `GET {api_base}/cgi-bin/gettoken?corpid=&corpsecret=` then
//!   `POST {api_base}/cgi-bin/message/send?access_token=…` with
//!   `{"touser", "msgtype": "text", "agentid", "text": {"content"}}`; to a customer-service
//!   (微信客服) customer, `POST {api_base}/cgi-bin/kf/send_msg?access_token=…` with
//!   `{"touser", "open_kfid", "msgid", "msgtype": "text", "text": {"content"}}` — `msgid` is
//!   the outbox row's id, so WeCom can recognise a resend.
//! - JSON webhook: `POST {callback_url}` with the reply, signed like inbound webhooks.
//!
//! Error codes 40001, 40014 and 42001 (invalid or expired token) refresh the token and retry at
//! once; 45015 (outside the 48 h window) and 45047 (over quota) are final; anything else is
//! retried with backoff up to the channel's `max_attempts`.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::service::{ChannelKind, ChannelRuntime, Channels};
use crate::store::{OutboxRow, Store, now_ms};

/// How a delivery attempt ended.
#[derive(Debug)]
enum Delivery {
    Sent,
    /// Retry later.
    Retry {
        http: Option<i64>,
        errcode: Option<i64>,
        error: String,
    },
    /// Give up now.
    Final {
        http: Option<i64>,
        errcode: Option<i64>,
        error: String,
    },
    /// The token was refused: refresh and retry at once.
    TokenRejected {
        errcode: i64,
        error: String,
    },
}

/// Runs until the process ends: delivers due outbox messages, woken by new work or every second.
pub async fn run(channels: Arc<Channels>, http: reqwest::Client) {
    let store = channels.store().clone();
    loop {
        match store.due_outbox(now_ms(), 50).await {
            Ok(due) if !due.is_empty() => {
                for item in due {
                    deliver(&store, &http, item).await;
                }
                continue;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cannot read the outbox"),
        }
        let _ =
            tokio::time::timeout(Duration::from_secs(1), channels.outbox_ready.notified()).await;
    }
}

fn backoff_ms(attempts: i64) -> i64 {
    (500i64 << attempts.clamp(0, 20)).min(10 * 60_000)
}

async fn deliver(store: &Store, http: &reqwest::Client, item: OutboxRow) {
    let ch = match store
        .channel_by_id(&item.channel_id)
        .await
        .map(ChannelRuntime::build)
    {
        Ok(Ok(ch)) => ch,
        Ok(Err(e)) => {
            let _ = store
                .record_outbox_attempt(
                    &item.id,
                    "failed",
                    0,
                    None,
                    None,
                    Some(&format!("channel is misconfigured: {e}")),
                )
                .await;
            return;
        }
        Err(e) => {
            let _ = store
                .record_outbox_attempt(
                    &item.id,
                    "failed",
                    0,
                    None,
                    None,
                    Some(&format!("channel is gone: {e}")),
                )
                .await;
            return;
        }
    };
    let now = now_ms();
    // The reply window and quota count from the customer's last message.
    if ch.kind != ChannelKind::Webhook {
        let last = store
            .last_inbound_at(&ch.row.tenant_id, &ch.row.name, &item.to_user)
            .await
            .ok()
            .flatten()
            .unwrap_or(item.created_at);
        let window = ch.settings.window_hours as i64 * 3_600_000;
        if now - last > window {
            let msg = format!("outside the {} h reply window", ch.settings.window_hours);
            let _ = store
                .record_outbox_attempt(&item.id, "expired", 0, None, None, Some(&msg))
                .await;
            return;
        }
        let sent = store
            .sent_since(&ch.row.id, &item.to_user, last)
            .await
            .unwrap_or(0);
        if sent >= i64::from(ch.settings.quota) {
            let msg = format!(
                "quota of {} replies per customer message reached",
                ch.settings.quota
            );
            let _ = store
                .record_outbox_attempt(&item.id, "failed", 0, None, None, Some(&msg))
                .await;
            return;
        }
    }
    let mut outcome = attempt(store, http, &ch, &item, false).await;
    if let Delivery::TokenRejected { errcode, error } = &outcome {
        let _ = store
            .record_outbox_attempt(
                &item.id,
                "pending",
                now_ms(),
                None,
                Some(*errcode),
                Some(error),
            )
            .await;
        let _ = store.drop_access_token(&ch.row.id).await;
        outcome = attempt(store, http, &ch, &item, true).await;
    }
    let attempts_after = item.attempts + 1;
    let (status, next, http_status, errcode, error) = match outcome {
        Delivery::Sent => ("sent", now_ms(), None, Some(0), None),
        Delivery::Final {
            http,
            errcode,
            error,
        } => ("failed", now_ms(), http, errcode, Some(error)),
        Delivery::Retry {
            http,
            errcode,
            error,
        } => {
            if attempts_after >= i64::from(ch.settings.max_attempts) {
                (
                    "failed",
                    now_ms(),
                    http,
                    errcode,
                    Some(format!("gave up after {attempts_after} attempts: {error}")),
                )
            } else {
                (
                    "pending",
                    now_ms() + backoff_ms(attempts_after),
                    http,
                    errcode,
                    Some(error),
                )
            }
        }
        Delivery::TokenRejected { errcode, error } => (
            "pending",
            now_ms() + backoff_ms(attempts_after),
            None,
            Some(errcode),
            Some(error),
        ),
    };
    if let Err(e) = store
        .record_outbox_attempt(
            &item.id,
            status,
            next,
            http_status,
            errcode,
            error.as_deref(),
        )
        .await
    {
        tracing::error!(outbox = %item.id, error = %e, "cannot record a delivery attempt");
    }
}

/// The channel's access token (cached in the store until five minutes before it expires).
pub(super) async fn access_token(
    store: &Store,
    http: &reqwest::Client,
    ch: &ChannelRuntime,
) -> Result<String, String> {
    token(store, http, ch).await.map_err(|d| match d {
        Delivery::Retry { error, .. }
        | Delivery::Final { error, .. }
        | Delivery::TokenRejected { error, .. } => error,
        Delivery::Sent => "no token".into(),
    })
}

async fn token(
    store: &Store,
    http: &reqwest::Client,
    ch: &ChannelRuntime,
) -> Result<String, Delivery> {
    let now = now_ms();
    if let Ok(Some(t)) = store.access_token(&ch.row.id, now).await {
        return Ok(t);
    }
    let app_id = ch.row.app_id.clone().unwrap_or_default();
    let secret = ch.row.secret.clone().unwrap_or_default();
    let base = ch.settings.api_base.trim_end_matches('/');
    let url = match ch.kind {
        ChannelKind::WechatOa => format!(
            "{base}/cgi-bin/token?grant_type=client_credential&appid={}&secret={}",
            urlencode(&app_id),
            urlencode(&secret)
        ),
        _ => format!(
            "{base}/cgi-bin/gettoken?corpid={}&corpsecret={}",
            urlencode(&app_id),
            urlencode(&secret)
        ),
    };
    let resp = http.get(&url).send().await.map_err(|e| Delivery::Retry {
        http: None,
        errcode: None,
        error: format!("token request failed: {e}"),
    })?;
    let status = resp.status().as_u16() as i64;
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    match (body["access_token"].as_str(), body["errcode"].as_i64()) {
        (Some(t), None | Some(0)) => {
            let expires_in = body["expires_in"].as_i64().unwrap_or(7200);
            // Refresh five minutes early.
            let _ = store
                .put_access_token(&ch.row.id, t, now + (expires_in - 300).max(60) * 1000)
                .await;
            Ok(t.to_owned())
        }
        (_, errcode) => Err(Delivery::Retry {
            http: Some(status),
            errcode,
            error: format!(
                "token refused: {}",
                body["errmsg"].as_str().unwrap_or("no token in the answer")
            ),
        }),
    }
}

async fn attempt(
    store: &Store,
    http: &reqwest::Client,
    ch: &ChannelRuntime,
    item: &OutboxRow,
    after_refresh: bool,
) -> Delivery {
    let text = item.payload["text"].as_str().unwrap_or_default();
    let (api, body) = match ch.kind {
        ChannelKind::Webhook => {
            let Some(url) = ch.row.callback_url.clone() else {
                return Delivery::Final {
                    http: None,
                    errcode: None,
                    error: "the channel has no callback_url".into(),
                };
            };
            let body = json!({"message_id": item.payload["message_id"], "customer_id": item.to_user,
                              "reply": {"text": text}});
            let raw = body.to_string();
            let ts = now_ms() / 1000;
            let sig = super::webhook::sign(
                ch.row.hmac_secret.as_deref().unwrap_or_default().as_bytes(),
                ts,
                raw.as_bytes(),
            );
            let resp = http
                .post(url)
                .header("content-type", "application/json")
                .header("X-Kefu-Timestamp", ts.to_string())
                .header("X-Kefu-Signature", sig)
                .body(raw)
                .send()
                .await;
            return match resp {
                Ok(r) if r.status().is_success() => Delivery::Sent,
                Ok(r) if r.status().is_client_error() => Delivery::Final {
                    http: Some(r.status().as_u16() as i64),
                    errcode: None,
                    error: format!("callback answered {}", r.status()),
                },
                Ok(r) => Delivery::Retry {
                    http: Some(r.status().as_u16() as i64),
                    errcode: None,
                    error: format!("callback answered {}", r.status()),
                },
                Err(e) => Delivery::Retry {
                    http: None,
                    errcode: None,
                    error: format!("callback unreachable: {e}"),
                },
            };
        }
        ChannelKind::WechatOa => (
            "message/custom/send",
            json!({"touser": item.to_user, "msgtype": "text", "text": {"content": text}}),
        ),
        ChannelKind::Wecom if item.payload["open_kfid"].is_string() => (
            "kf/send_msg",
            json!({"touser": item.to_user, "open_kfid": item.payload["open_kfid"],
                   "msgid": item.id.replace('-', ""), "msgtype": "text",
                   "text": {"content": text}}),
        ),
        ChannelKind::Wecom => {
            let agent: Value = item.payload["agent_id"]
                .as_str()
                .and_then(|a| a.parse::<i64>().ok())
                .map(Value::from)
                .unwrap_or(Value::Null);
            (
                "message/send",
                json!({"touser": item.to_user, "msgtype": "text", "agentid": agent, "text": {"content": text}}),
            )
        }
    };
    let token = match token(store, http, ch).await {
        Ok(t) => t,
        Err(d) => return d,
    };
    let url = format!(
        "{}/cgi-bin/{api}?access_token={}",
        ch.settings.api_base.trim_end_matches('/'),
        urlencode(&token)
    );
    let resp = match http.post(&url).json(&body).send().await {
        Ok(r) => r,
        Err(e) => {
            return Delivery::Retry {
                http: None,
                errcode: None,
                error: format!("send failed: {e}"),
            };
        }
    };
    let status = resp.status().as_u16() as i64;
    let answer: Value = resp.json().await.unwrap_or(Value::Null);
    let errcode = answer["errcode"].as_i64();
    let errmsg = answer["errmsg"].as_str().unwrap_or("").to_owned();
    match errcode {
        Some(0) if (200..300).contains(&status) => Delivery::Sent,
        Some(c @ (40001 | 40014 | 42001)) if !after_refresh => Delivery::TokenRejected {
            errcode: c,
            error: format!("access token refused ({c} {errmsg})"),
        },
        Some(c @ (45015 | 45047)) => Delivery::Final {
            http: Some(status),
            errcode: Some(c),
            error: format!("{c} {errmsg}"),
        },
        c => Delivery::Retry {
            http: Some(status),
            errcode: c,
            error: format!("HTTP {status}, errcode {c:?} {errmsg}"),
        },
    }
}

/// Percent-encodes a query value.
pub(super) fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff_ms(1), 1_000);
        assert_eq!(backoff_ms(2), 2_000);
        assert_eq!(backoff_ms(30), 10 * 60_000);
    }

    #[test]
    fn encodes_query_values() {
        assert_eq!(urlencode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }
}
