//! WeCom customer service (微信客服, "kf").
//!
//! Its callback carries no message: a decrypted `Event=kf_msg_or_event` only says that an
//! account (`OpenKfId`) has news, with a `Token` valid for ten minutes. The messages are pulled
//! with `POST {api_base}/cgi-bin/kf/sync_msg?access_token=…` and
//! `{"cursor", "token", "limit", "open_kfid"}`, page after page while `has_more` is 1. Each
//! page's customer messages (`origin` 3) and events (`origin` 4) are stored through
//! [`Channels::accept_pulled`] — deduplicated by `msgid`, processed once, replies through the
//! outbox with `kf/send_msg` — and only then is the page's `next_cursor` persisted, so a stop
//! mid-page re-reads that page and loses nothing. The agents' own messages (`origin` 5) are
//! skipped. One pull per account runs at a time; an event arriving during a pull starts another
//! one after it, so nothing that arrived meanwhile waits for the next event.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::outbox::{access_token, urlencode};
use super::service::{ChannelRuntime, Channels};
use crate::store::{InboundRow, StoreError, now_ms};

/// Messages asked for per page (WeCom's maximum).
const PAGE: u32 = 1000;
/// Pages read per pull at most (a safety stop against a server that always says `has_more`).
const MAX_PAGES: usize = 1000;

/// Pulls in progress: (channel, account) → whether another event came in meanwhile.
#[derive(Default)]
pub struct KfPulls {
    running: Mutex<HashMap<(String, String), bool>>,
}

impl KfPulls {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), bool>> {
        self.running.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What a pull did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pulled {
    pub pages: usize,
    /// Customer messages and events handed to the pipeline (retries included: they are
    /// recognised there).
    pub messages: usize,
    /// Entries skipped (the agents' own messages, unknown origins).
    pub skipped: usize,
}

/// Starts pulling `open_kfid`'s messages, unless a pull of it is running (then that one goes
/// round once more when it ends).
pub fn notify(channels: &Arc<Channels>, ch: Arc<ChannelRuntime>, open_kfid: String, token: String) {
    let key = (ch.row.id.clone(), open_kfid.clone());
    {
        let mut running = channels.kf.lock();
        if let Some(again) = running.get_mut(&key) {
            *again = true;
            return;
        }
        running.insert(key.clone(), false);
    }
    let channels = channels.clone();
    tokio::spawn(async move {
        let mut token = Some(token).filter(|t| !t.is_empty());
        loop {
            match pull(&channels, &ch, &open_kfid, token.take()).await {
                Ok(p) => tracing::debug!(channel = %ch.row.id, open_kfid, ?p, "kf pull done"),
                Err(e) => {
                    tracing::warn!(channel = %ch.row.id, open_kfid, error = %e, "kf pull failed")
                }
            }
            let mut running = channels.kf.lock();
            match running.get_mut(&key) {
                Some(again) if *again => *again = false,
                _ => {
                    running.remove(&key);
                    return;
                }
            }
        }
    });
}

/// Why a pull stopped.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error("kf/sync_msg request failed: {0}")]
    Http(String),
    #[error("kf/sync_msg answered errcode {errcode}: {errmsg}")]
    Api { errcode: i64, errmsg: String },
    #[error("kf/sync_msg answered something that is not a page: {0}")]
    Malformed(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Pulls every message of `open_kfid` since the stored cursor. `token` is the callback's (it
/// raises WeCom's rate limit); without one the pull still works.
pub async fn pull(
    channels: &Arc<Channels>,
    ch: &Arc<ChannelRuntime>,
    open_kfid: &str,
    token: Option<String>,
) -> Result<Pulled, PullError> {
    let store = channels.store();
    let mut cursor = store.kf_cursor(&ch.row.id, open_kfid).await?;
    let mut pulled = Pulled::default();
    let mut refreshed = false;
    // Customers whose account is remembered already in this pull.
    let mut known = HashSet::new();
    while pulled.pages < MAX_PAGES {
        let access = access_token(store, channels.http(), ch)
            .await
            .map_err(PullError::Http)?;
        let mut body = json!({"cursor": cursor, "limit": PAGE, "open_kfid": open_kfid});
        if let Some(t) = &token {
            body["token"] = Value::from(t.as_str());
        }
        let url = format!(
            "{}/cgi-bin/kf/sync_msg?access_token={}",
            ch.settings.api_base.trim_end_matches('/'),
            urlencode(&access)
        );
        let page: Value = channels
            .http()
            .post(&url)
            .json(&body)
            .send()
            .await
            .map_err(|e| PullError::Http(e.to_string()))?
            .json()
            .await
            .map_err(|e| PullError::Malformed(e.to_string()))?;
        match page["errcode"].as_i64().unwrap_or(0) {
            0 => {}
            40001 | 40014 | 42001 if !refreshed => {
                // The token expired or was revoked: fetch a new one, once.
                refreshed = true;
                store.drop_access_token(&ch.row.id).await?;
                continue;
            }
            errcode => {
                return Err(PullError::Api {
                    errcode,
                    errmsg: page["errmsg"].as_str().unwrap_or_default().to_owned(),
                });
            }
        }
        let list = page["msg_list"]
            .as_array()
            .ok_or_else(|| PullError::Malformed("no msg_list".into()))?;
        for entry in list {
            match inbound_row(ch, entry) {
                Some(row) => {
                    if entry["origin"] == 3 && known.insert(row.customer_id.clone()) {
                        store
                            .put_kf_customer(&ch.row.id, &row.customer_id, open_kfid)
                            .await?;
                    }
                    channels.accept_pulled(ch, row).await?;
                    pulled.messages += 1;
                }
                None => pulled.skipped += 1,
            }
        }
        pulled.pages += 1;
        // Everything on this page is stored: the cursor may move past it.
        if let Some(next) = page["next_cursor"].as_str().filter(|c| !c.is_empty()) {
            store.put_kf_cursor(&ch.row.id, open_kfid, next).await?;
            cursor = next.to_owned();
        }
        if page["has_more"].as_i64().unwrap_or(0) != 1 {
            break;
        }
    }
    Ok(pulled)
}

/// A pulled entry as an inbound message; `None` for the agents' own messages and entries
/// that are not well-formed.
pub fn inbound_row(ch: &ChannelRuntime, entry: &Value) -> Option<InboundRow> {
    let origin = entry["origin"].as_i64()?;
    if origin != 3 && origin != 4 {
        return None;
    }
    let msgid = entry["msgid"].as_str().filter(|m| !m.is_empty())?;
    let msgtype = entry["msgtype"].as_str().unwrap_or("text");
    let customer = match origin {
        3 => entry["external_userid"].as_str(),
        _ => entry["event"]["external_userid"]
            .as_str()
            .or(entry["external_userid"].as_str()),
    }
    .filter(|c| !c.is_empty())?;
    let (kind, text) = kind_and_text(msgtype, entry);
    Some(InboundRow {
        id: crate::store::new_id(),
        tenant_id: ch.row.tenant_id.clone(),
        channel_id: ch.row.id.clone(),
        dedup_key: format!("kf:{msgid}"),
        customer_id: customer.to_owned(),
        kind: kind.to_owned(),
        text,
        fields: entry.clone(),
        received_at: now_ms(),
        status: "received".into(),
        reply: None,
        replied_via: None,
        message_id: None,
    })
}

/// The pipeline's kind and text of a pulled entry, the way Official Account messages get theirs.
fn kind_and_text(msgtype: &str, e: &Value) -> (&'static str, String) {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    match msgtype {
        "text" => ("text", s(&e["text"]["content"])),
        "image" => ("image", String::new()),
        "voice" => ("voice", String::new()),
        "video" => ("video", String::new()),
        "file" => ("file", String::new()),
        "location" => {
            let l = &e["location"];
            let label = [s(&l["name"]), s(&l["address"])]
                .into_iter()
                .filter(|p| !p.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            let text = if label.is_empty() {
                format!(
                    "{},{}",
                    l["latitude"].as_f64().unwrap_or_default(),
                    l["longitude"].as_f64().unwrap_or_default()
                )
            } else {
                label
            };
            ("location", text)
        }
        "link" => ("link", s(&e["link"]["title"])),
        "event" => ("event", s(&e["event"]["event_type"])),
        other => ("text", format!("[{other}]")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ChannelRow;

    fn channel() -> ChannelRuntime {
        ChannelRuntime::build(ChannelRow {
            id: "ch1".into(),
            tenant_id: "t".into(),
            name: "kf".into(),
            kind: "wecom".into(),
            token: None,
            aes_key: None,
            aes_key_previous: None,
            app_id: Some("ww1".into()),
            secret: None,
            hmac_secret: None,
            callback_url: None,
            settings: json!({}),
            created_at: 0,
            updated_at: 0,
        })
        .unwrap()
    }

    #[test]
    fn customer_messages_and_events_become_inbound_rows_and_agents_messages_do_not() {
        let ch = channel();
        let text = json!({"msgid": "m1", "open_kfid": "wk1", "external_userid": "wm_a",
                          "send_time": 1_615_478_585, "origin": 3, "msgtype": "text",
                          "text": {"content": "你好，想报名"}});
        let row = inbound_row(&ch, &text).unwrap();
        assert_eq!(
            (
                row.dedup_key.as_str(),
                row.customer_id.as_str(),
                row.kind.as_str()
            ),
            ("kf:m1", "wm_a", "text")
        );
        assert_eq!(row.text, "你好，想报名");
        assert_eq!(row.fields["open_kfid"], "wk1", "every field is kept");

        let event = json!({"msgid": "m2", "origin": 4, "msgtype": "event",
                           "event": {"event_type": "enter_session", "open_kfid": "wk1",
                                     "external_userid": "wm_b", "scene": "123"}});
        let row = inbound_row(&ch, &event).unwrap();
        assert_eq!(
            (row.kind.as_str(), row.text.as_str()),
            ("event", "enter_session")
        );
        assert_eq!(row.customer_id, "wm_b");

        let location = json!({"msgid": "m3", "origin": 3, "external_userid": "wm_a",
                              "msgtype": "location", "location": {"latitude": 23.1,
                              "longitude": 113.3, "name": "天河校区", "address": "广州"}});
        assert_eq!(inbound_row(&ch, &location).unwrap().text, "天河校区 广州");

        let agent = json!({"msgid": "m4", "origin": 5, "servicer_userid": "zhang",
                           "external_userid": "wm_a", "msgtype": "text", "text": {"content": "hi"}});
        assert!(inbound_row(&ch, &agent).is_none());
        let no_id = json!({"origin": 3, "external_userid": "wm_a", "msgtype": "text"});
        assert!(inbound_row(&ch, &no_id).is_none());
        let no_customer = json!({"msgid": "m5", "origin": 3, "msgtype": "text"});
        assert!(inbound_row(&ch, &no_customer).is_none());
    }
}
