//! Ingestion: every channel's messages go through [`Channels::accept`], which
//!
//! 1. stores the message **before** anything is acknowledged — through the group-commit
//!    [`Writer`] (one transaction for all writes that queued up meanwhile), unique per
//!    (channel, dedup key), so a retry of a stored message is recognised;
//! 2. runs the pipeline once per message, in a task of its own, so it finishes even when the
//!    HTTP request has been answered;
//! 3. waits for the answer up to the channel's reply budget (default 4 s, under WeChat's 5 s):
//!    in time, the reply goes back passively; otherwise the request is acknowledged at once and
//!    the reply, when it comes, goes to the outbox;
//! 4. answers a duplicate with the same reply — also while the first is still in flight — and
//!    never delivers one reply twice (passively *and* through the outbox).
//!
//! Messages stored but never finished (the process stopped mid-flight) are picked up again at
//! start ([`Channels::recover`]) and their replies delivered through the outbox.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use super::wechat::MsgCrypt;
use crate::pipeline::{CustomerInfo, InboundMessage, Pipeline};
use crate::store::{ChannelRow, InboundRow, OutboxRow, Store, StoreError, Stored, Writer, now_ms};

/// What kind of channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChannelKind {
    WechatOa,
    Wecom,
    Webhook,
}

impl ChannelKind {
    pub fn parse(s: &str) -> Option<ChannelKind> {
        match s {
            "wechat-oa" => Some(ChannelKind::WechatOa),
            "wecom" => Some(ChannelKind::Wecom),
            "webhook" => Some(ChannelKind::Webhook),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::WechatOa => "wechat-oa",
            ChannelKind::Wecom => "wecom",
            ChannelKind::Webhook => "webhook",
        }
    }
}

/// Per-channel settings (the `settings` JSON of a channel), all with defaults.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ChannelSettings {
    /// Base URL of the channel's API (WeChat: `https://api.weixin.qq.com`, WeCom:
    /// `https://qyapi.weixin.qq.com`); tests point it at a local server.
    pub api_base: String,
    /// How long a callback waits for the pipeline before answering `success` and sending the
    /// reply through the outbox.
    pub reply_budget_ms: u64,
    /// How long after a customer's last message replies may still be sent (WeChat: 48 h).
    pub window_hours: u64,
    /// Most replies sent through the outbox per customer message window (WeChat: 5).
    pub quota: u32,
    /// How far a request's timestamp may be from now.
    pub max_clock_skew_secs: i64,
    /// Delivery attempts before an outbox message is given up.
    pub max_attempts: u32,
}

impl ChannelSettings {
    pub fn defaults_for(kind: ChannelKind) -> ChannelSettings {
        ChannelSettings {
            api_base: match kind {
                ChannelKind::WechatOa => "https://api.weixin.qq.com".into(),
                ChannelKind::Wecom => "https://qyapi.weixin.qq.com".into(),
                ChannelKind::Webhook => String::new(),
            },
            ..ChannelSettings::default()
        }
    }
}

impl Default for ChannelSettings {
    fn default() -> Self {
        ChannelSettings {
            api_base: "https://api.weixin.qq.com".into(),
            reply_budget_ms: 4_000,
            window_hours: 48,
            quota: 5,
            max_clock_skew_secs: 300,
            max_attempts: 8,
        }
    }
}

/// A channel ready to serve: its row, kind, settings and crypto.
pub struct ChannelRuntime {
    pub row: ChannelRow,
    pub kind: ChannelKind,
    pub settings: ChannelSettings,
    /// The AES envelope (WeChat safe mode, WeCom).
    pub crypt: Option<MsgCrypt>,
}

impl ChannelRuntime {
    pub fn build(row: ChannelRow) -> Result<ChannelRuntime, String> {
        let kind =
            ChannelKind::parse(&row.kind).ok_or_else(|| format!("unknown kind {}", row.kind))?;
        let mut settings: ChannelSettings = serde_json::from_value(row.settings.clone())
            .map_err(|e| format!("invalid settings: {e}"))?;
        if settings.api_base.is_empty() {
            settings.api_base = ChannelSettings::defaults_for(kind).api_base;
        }
        let crypt = match (&row.token, &row.aes_key) {
            (Some(token), Some(key)) if kind != ChannelKind::Webhook => Some(
                MsgCrypt::from_encoding_aes_keys(
                    token.clone(),
                    key,
                    row.aes_key_previous.as_deref(),
                    row.app_id.clone().unwrap_or_default(),
                )
                .map_err(|e| format!("invalid EncodingAESKey: {e}"))?,
            ),
            _ => None,
        };
        Ok(ChannelRuntime {
            row,
            kind,
            settings,
            crypt,
        })
    }
}

/// The pipeline's answer to a message, as a channel delivers it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ChannelReply {
    pub text: String,
}

/// What a callback should answer.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    /// Reply passively with this.
    Reply(ChannelReply),
    /// The pipeline finished without a reply.
    NoReply,
    /// Not answered in time (or answered through the outbox): acknowledge now.
    Pending,
}

/// What [`Channels::accept`] did with a message.
#[derive(Clone, Debug)]
pub struct Accepted {
    pub inbound_id: String,
    pub duplicate: bool,
    pub answer: Answer,
}

#[derive(Default)]
struct SlotState {
    /// `Some(reply or none)` once the pipeline finished.
    result: Option<Option<ChannelReply>>,
    waiting: usize,
    delivered_passively: bool,
    sent_to_outbox: bool,
}

/// A message in flight: where its handlers wait for the pipeline.
#[derive(Default)]
struct Slot {
    state: Mutex<SlotState>,
    done: Notify,
}

impl Slot {
    fn lock(&self) -> std::sync::MutexGuard<'_, SlotState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for the result until `deadline`; `Some` when it came in time (and is delivered
    /// passively by the caller).
    async fn wait(&self, deadline: Instant) -> Option<Option<ChannelReply>> {
        {
            let mut s = self.lock();
            if s.sent_to_outbox {
                return None;
            }
            if let Some(r) = s.result.clone() {
                s.delivered_passively = true;
                return Some(r);
            }
            s.waiting += 1;
        }
        let notified = self.done.notified();
        let _ = tokio::time::timeout_at(deadline.into(), notified).await;
        let mut s = self.lock();
        s.waiting -= 1;
        match s.result.clone() {
            Some(r) if !s.sent_to_outbox => {
                s.delivered_passively = true;
                Some(r)
            }
            _ => None,
        }
    }
}

/// See the module docs.
pub struct Channels {
    store: Store,
    pipeline: Pipeline,
    cache: RwLock<HashMap<(String, String), Arc<ChannelRuntime>>>,
    writer: Writer,
    inflight: Mutex<HashMap<String, Arc<Slot>>>,
    /// Woken when the outbox has new work.
    pub outbox_ready: Arc<Notify>,
}

impl Channels {
    pub fn new(store: Store, pipeline: Pipeline) -> Arc<Channels> {
        Arc::new(Channels {
            writer: pipeline.writer.clone(),
            store,
            pipeline,
            cache: RwLock::default(),
            inflight: Mutex::default(),
            outbox_ready: Arc::new(Notify::new()),
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The channel `name` of `tenant`, ready to serve (cached until changed).
    pub async fn channel(
        &self,
        tenant: &str,
        name: &str,
    ) -> Result<Arc<ChannelRuntime>, StoreError> {
        let key = (tenant.to_owned(), name.to_owned());
        if let Some(c) = self
            .cache
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return Ok(c.clone());
        }
        let row = self.store.channel(tenant, name).await?;
        let rt = Arc::new(ChannelRuntime::build(row).map_err(StoreError::Conflict)?);
        self.cache
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, rt.clone());
        Ok(rt)
    }

    /// Queues a message to a customer that answers no inbound message — an agent's reply —
    /// through the outbox of the channel the conversation came in on. `Ok(None)` when that is
    /// not a configured channel (messages posted straight to the API): there is nowhere to
    /// deliver, and the reply is only stored in the conversation.
    pub async fn send_to_customer(
        &self,
        tenant: &str,
        channel: &str,
        customer: &str,
        text: &str,
        agent: &str,
    ) -> Result<Option<String>, StoreError> {
        let ch = match self.channel(tenant, channel).await {
            Ok(ch) => ch,
            Err(StoreError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let now = now_ms();
        let item = OutboxRow {
            id: uuid::Uuid::new_v4().to_string(),
            tenant_id: tenant.to_owned(),
            channel_id: ch.row.id.clone(),
            inbound_id: None,
            to_user: customer.to_owned(),
            payload: serde_json::json!({"text": text, "agent_id": null, "message_id": null,
                                        "from_agent": agent}),
            status: "pending".into(),
            attempts: 0,
            next_attempt_at: now,
            last_error: None,
            created_at: now,
            sent_at: None,
        };
        self.store.enqueue_outbox(&item).await?;
        self.outbox_ready.notify_one();
        Ok(Some(item.id))
    }

    /// Forgets a cached channel after a change.
    pub fn invalidate(&self, tenant: &str, name: &str) {
        self.cache
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&(tenant.to_owned(), name.to_owned()));
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Slot>>> {
        self.inflight.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stores a message durably, runs the pipeline once, and says what to answer. `started` is
    /// when the request arrived: the reply budget counts from there.
    pub async fn accept(
        self: &Arc<Self>,
        ch: &Arc<ChannelRuntime>,
        row: InboundRow,
        started: Instant,
    ) -> Result<Accepted, StoreError> {
        let stored = self.writer.inbound(row).await?;
        let deadline = started + Duration::from_millis(ch.settings.reply_budget_ms);
        match stored {
            Stored::New(row) => {
                let slot = Arc::new(Slot::default());
                self.slots().insert(row.id.clone(), slot.clone());
                let id = row.id.clone();
                tokio::spawn(self.clone().process(ch.clone(), row, slot.clone()));
                let answer = answer_of(slot.wait(deadline).await);
                Ok(Accepted {
                    inbound_id: id,
                    duplicate: false,
                    answer,
                })
            }
            Stored::Duplicate(row) => {
                let slot = self.slots().get(&row.id).cloned();
                let answer = match slot {
                    Some(slot) => answer_of(slot.wait(deadline).await),
                    None => match (row.replied_via.as_deref(), &row.reply) {
                        // The first answer went back passively: give the retry the same one.
                        (Some("passive"), Some(reply)) => serde_json::from_value(reply.clone())
                            .map(Answer::Reply)
                            .unwrap_or(Answer::Pending),
                        (Some("none"), _) => Answer::NoReply,
                        _ => Answer::Pending,
                    },
                };
                Ok(Accepted {
                    inbound_id: row.id,
                    duplicate: true,
                    answer,
                })
            }
        }
    }

    /// Runs the pipeline for a stored message and records (and, if late, sends) its reply.
    async fn process(self: Arc<Self>, ch: Arc<ChannelRuntime>, row: InboundRow, slot: Arc<Slot>) {
        let msg = InboundMessage {
            channel: ch.row.name.clone(),
            customer_id: row.customer_id.clone(),
            text: row.text.clone(),
            kind: row.kind.clone(),
            timestamp: Some(row.received_at as u64),
            customer: customer_of(&row.fields),
        };
        let (status, reply, stored) = match self.pipeline.run(&row.tenant_id, msg).await {
            Ok((res, stored)) => (
                "done",
                res.reply.map(|r| ChannelReply { text: r.text }),
                Some(stored),
            ),
            Err(e) => {
                tracing::error!(tenant = %row.tenant_id, inbound = %row.id, error = %e, "pipeline failed on an inbound message");
                ("failed", None, None)
            }
        };
        // Decide now how the reply travels; record it durably before anyone sees it, so a
        // stop cannot make the pipeline run twice or a reply go out twice.
        let via = {
            let mut s = slot.lock();
            if reply.is_none() {
                "none"
            } else if s.waiting > 0 || s.delivered_passively {
                "passive"
            } else {
                s.sent_to_outbox = true;
                "outbox"
            }
        };
        self.finish(&ch, &row, status, reply.clone(), via, stored)
            .await;
        slot.lock().result = Some(reply);
        slot.done.notify_waiters();
        self.slots().remove(&row.id);
    }

    async fn finish(
        &self,
        ch: &ChannelRuntime,
        row: &InboundRow,
        status: &str,
        reply: Option<ChannelReply>,
        via: &str,
        stored: Option<crate::pipeline::Pending>,
    ) {
        let reply_json = reply.as_ref().and_then(|r| serde_json::to_value(r).ok());
        let message_id = stored.as_ref().map(|m| m.message.id.clone());
        if via == "outbox"
            && let Some(reply) = &reply
        {
            let now = now_ms();
            let item = OutboxRow {
                id: uuid::Uuid::new_v4().to_string(),
                tenant_id: row.tenant_id.clone(),
                channel_id: ch.row.id.clone(),
                inbound_id: Some(row.id.clone()),
                to_user: row.customer_id.clone(),
                payload: serde_json::json!({
                    "text": reply.text,
                    "agent_id": row.fields.get("AgentID"),
                    "message_id": row.dedup_key,
                }),
                status: "pending".into(),
                attempts: 0,
                next_attempt_at: now,
                last_error: None,
                created_at: now,
                sent_at: None,
            };
            if let Err(e) = self.store.enqueue_outbox(&item).await {
                tracing::error!(inbound = %row.id, error = %e, "cannot enqueue a late reply");
            }
            self.outbox_ready.notify_one();
        }
        // The message, its conversation and the inbound outcome join the same group commit.
        let record = async {
            match stored {
                Some(pending) => self.pipeline.commit(pending).await,
                None => Ok(()),
            }
        };
        let finish = self.writer.finish_inbound(
            &row.id,
            status,
            reply_json.as_ref(),
            via,
            message_id.as_deref(),
        );
        let (recorded, finished) = tokio::join!(record, finish);
        if let Err(e) = recorded.and(finished) {
            tracing::error!(inbound = %row.id, error = %e, "cannot record an inbound message's outcome");
        }
    }

    /// Processes messages stored but never finished (a stop in mid-flight); their replies go
    /// through the outbox.
    pub async fn recover(self: &Arc<Self>) -> Result<usize, StoreError> {
        let rows = self.store.unfinished_inbound(now_ms()).await?;
        let n = rows.len();
        for row in rows {
            if self.slots().contains_key(&row.id) {
                continue;
            }
            let ch = match self.store.channel_by_id(&row.channel_id).await {
                Ok(c) => match ChannelRuntime::build(c) {
                    Ok(rt) => Arc::new(rt),
                    Err(_) => continue,
                },
                Err(_) => continue,
            };
            let slot = Arc::new(Slot::default());
            self.slots().insert(row.id.clone(), slot.clone());
            self.clone().process(ch, row, slot).await;
        }
        Ok(n)
    }
}

fn answer_of(waited: Option<Option<ChannelReply>>) -> Answer {
    match waited {
        Some(Some(reply)) => Answer::Reply(reply),
        Some(None) => Answer::NoReply,
        None => Answer::Pending,
    }
}

/// Customer details a channel sent along (the JSON webhook's `customer` object).
fn customer_of(fields: &serde_json::Value) -> CustomerInfo {
    fields
        .get("customer")
        .and_then(|c| serde_json::from_value(c.clone()).ok())
        .unwrap_or_default()
}
