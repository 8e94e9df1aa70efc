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
use crate::store::{
    ChannelRow, Finish, InboundRow, OutboxRow, Store, StoreError, Stored, Writer, now_ms,
};

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

/// Whether a message in flight is durable yet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Durable {
    /// Only in memory: nothing may be acknowledged yet.
    #[default]
    No,
    /// Being stored alone, because a request's budget ran out before the pipeline finished.
    Storing,
    /// Stored alone; its outcome follows when the pipeline finishes.
    Stored,
    /// Being stored together with its outcome (the pipeline finished first).
    WithOutcome,
}

#[derive(Default)]
struct SlotState {
    /// `Some(reply or none)` once the outcome is stored.
    result: Option<Option<ChannelReply>>,
    /// The message could not be stored: nothing may be acknowledged (the sender retries).
    failed: bool,
    durable: Durable,
    waiting: usize,
    delivered_passively: bool,
    sent_to_outbox: bool,
}

/// A message in flight: where its handlers wait for the pipeline.
struct Slot {
    /// Where it is in [`Channels::inflight`]: its channel and dedup key.
    key: String,
    row: InboundRow,
    state: Mutex<SlotState>,
    /// Woken at every change of `state`.
    changed: Notify,
}

impl Slot {
    fn new(key: String, row: InboundRow) -> Slot {
        Slot {
            key,
            row,
            state: Mutex::default(),
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SlotState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes on storing the message (as `how`) unless someone else has.
    fn claim(&self, how: Durable) -> bool {
        let mut s = self.lock();
        if s.durable == Durable::No {
            s.durable = how;
            true
        } else {
            false
        }
    }

    fn set(&self, change: impl FnOnce(&mut SlotState)) {
        change(&mut self.lock());
        self.changed.notify_waiters();
    }

    /// Waits until `ready` says so (checked under the lock after every change), or until
    /// `deadline`; `ready`'s answer, or `None` at the deadline.
    async fn wait_for<T>(
        &self,
        deadline: Option<Instant>,
        mut ready: impl FnMut(&mut SlotState) -> Option<T>,
    ) -> Option<T> {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let now = ready(&mut self.lock());
            if now.is_some() {
                return now;
            }
            match deadline {
                Some(d) => {
                    if tokio::time::timeout_at(d.into(), changed).await.is_err() {
                        return None;
                    }
                }
                None => changed.await,
            }
        }
    }

    /// What a request for this message answers, waiting for the pipeline until `deadline`:
    /// `Some(result)` when the outcome was stored in time (and is delivered passively by the
    /// caller), `None` when the request must acknowledge now — after the message is stored:
    /// if the pipeline has not finished, this stores the message alone, and its reply goes
    /// through the outbox. An error when the message could not be stored: nothing may be
    /// acknowledged then.
    async fn answer(
        &self,
        writer: &Writer,
        deadline: Instant,
    ) -> Result<Option<Option<ChannelReply>>, StoreError> {
        // Only a request still within its budget waits for the reply (and counts as waiting
        // when the pipeline decides how the reply travels).
        let in_budget = Instant::now() < deadline;
        if in_budget {
            self.lock().waiting += 1;
            let in_time = self
                .wait_for(Some(deadline), |s| {
                    (s.result.is_some() || s.failed).then(|| s.result.clone())
                })
                .await;
            if let Some(result) = in_time {
                let mut s = self.lock();
                s.waiting -= 1;
                return match result {
                    None => Err(not_stored()),
                    Some(_) if s.sent_to_outbox => Ok(None),
                    Some(r) => {
                        s.delivered_passively = true;
                        Ok(Some(r))
                    }
                };
            }
        }
        // Out of time: make sure the message is durable before anything is acknowledged.
        if in_budget {
            self.lock().waiting -= 1;
        }
        if self.claim(Durable::Storing) {
            if let Err(e) = writer.inbound(self.row.clone()).await {
                tracing::error!(inbound = %self.row.id, error = %e, "cannot store an inbound message");
                // The pipeline stores it with its outcome instead, if it can.
                self.set(|s| s.durable = Durable::No);
                return Err(e);
            }
            self.set(|s| s.durable = Durable::Stored);
        }
        // Stored alone or with its outcome: either way a matter of one commit.
        self.wait_for(None, |s| match s.durable {
            _ if s.failed => Some(()),
            Durable::Stored => Some(()),
            Durable::WithOutcome if s.result.is_some() => Some(()),
            _ => None,
        })
        .await;
        let mut s = self.lock();
        match s.result.clone() {
            _ if s.failed => Err(not_stored()),
            Some(r) if !s.sent_to_outbox => {
                s.delivered_passively = true;
                Ok(Some(r))
            }
            _ => Ok(None),
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
    /// For the channels' APIs (WeCom customer service's message pull).
    http: reqwest::Client,
    pub(super) kf: super::kf::KfPulls,
}

impl Channels {
    pub fn new(store: Store, pipeline: Pipeline, http: reqwest::Client) -> Arc<Channels> {
        Arc::new(Channels {
            writer: pipeline.writer.clone(),
            store,
            pipeline,
            cache: RwLock::default(),
            inflight: Mutex::default(),
            outbox_ready: Arc::new(Notify::new()),
            http,
            kf: Default::default(),
        })
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
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
        // A WeCom customer-service customer is answered through the account they wrote to.
        let open_kfid = match ch.kind {
            ChannelKind::Wecom => self.store.kf_customer(&ch.row.id, customer).await?,
            _ => None,
        };
        let item = OutboxRow::pending(
            tenant,
            &ch.row.id,
            None,
            customer,
            serde_json::json!({"text": text, "agent_id": null, "message_id": null,
                               "from_agent": agent, "open_kfid": open_kfid}),
        );
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

    /// Runs the pipeline once per message, stores it durably, and says what to answer.
    /// `started` is when the request arrived: the reply budget counts from there.
    ///
    /// A message and its outcome are normally stored together, in one commit after the
    /// pipeline ran; nothing is acknowledged before that. When the budget runs out first, the
    /// message is stored alone, the request answered, and the outcome stored (and the reply
    /// sent through the outbox) when the pipeline finishes. Retries are recognised in flight
    /// (by channel and dedup key) and in the store.
    pub async fn accept(
        self: &Arc<Self>,
        ch: &Arc<ChannelRuntime>,
        row: InboundRow,
        started: Instant,
    ) -> Result<Accepted, StoreError> {
        let deadline = started + Duration::from_millis(ch.settings.reply_budget_ms);
        let key = slot_key(&row.channel_id, &row.dedup_key);
        // A slot leaves the map only after its message is stored: a miss here means a
        // retry of an earlier message is in the store.
        let in_flight = self.slots().get(&key).cloned();
        let slot = match in_flight {
            Some(slot) => return self.duplicate_in_flight(slot, deadline).await,
            None => match self
                .store
                .inbound_by_key(&row.channel_id, &row.dedup_key)
                .await
            {
                Ok(stored) => return Ok(duplicate_stored(stored)),
                Err(StoreError::NotFound(_)) => {
                    let (slot, new) = {
                        let mut slots = self.slots();
                        match slots.get(&key) {
                            Some(slot) => (slot.clone(), false),
                            None => {
                                let slot = Arc::new(Slot::new(key.clone(), row));
                                slots.insert(key, slot.clone());
                                (slot, true)
                            }
                        }
                    };
                    if !new {
                        return self.duplicate_in_flight(slot, deadline).await;
                    }
                    slot
                }
                Err(e) => return Err(e),
            },
        };
        tokio::spawn(self.clone().process(ch.clone(), slot.clone()));
        let answer = answer_of(slot.answer(&self.writer, deadline).await?);
        Ok(Accepted {
            inbound_id: slot.row.id.clone(),
            duplicate: false,
            answer,
        })
    }

    /// Stores a message pulled from a channel's API (WeCom customer service) and starts
    /// processing it; returns once it is stored. There is no request to answer: the reply
    /// goes through the outbox.
    pub async fn accept_pulled(
        self: &Arc<Self>,
        ch: &Arc<ChannelRuntime>,
        row: InboundRow,
    ) -> Result<Accepted, StoreError> {
        // A budget that is already over: the message is stored alone, at once.
        self.accept(
            ch,
            row,
            Instant::now() - Duration::from_millis(ch.settings.reply_budget_ms),
        )
        .await
    }

    async fn duplicate_in_flight(
        &self,
        slot: Arc<Slot>,
        deadline: Instant,
    ) -> Result<Accepted, StoreError> {
        let answer = answer_of(slot.answer(&self.writer, deadline).await?);
        Ok(Accepted {
            inbound_id: slot.row.id.clone(),
            duplicate: true,
            answer,
        })
    }

    /// Runs the pipeline for a message in flight and stores its outcome (with the message
    /// itself unless it was stored already), then sends a late reply through the outbox.
    async fn process(self: Arc<Self>, ch: Arc<ChannelRuntime>, slot: Arc<Slot>) {
        let row = &slot.row;
        let msg = InboundMessage {
            channel: ch.row.name.clone(),
            customer_id: row.customer_id.clone(),
            text: row.text.clone(),
            kind: row.kind.clone(),
            timestamp: Some(row.received_at as u64),
            customer: customer_of(&row.fields),
        };
        let (status, reply, processed) = match self.pipeline.run(&row.tenant_id, msg).await {
            Ok((res, processed)) => (
                "done",
                res.reply.map(|r| ChannelReply { text: r.text }),
                Some(processed),
            ),
            Err(e) => {
                tracing::error!(tenant = %row.tenant_id, inbound = %row.id, error = %e, "pipeline failed on an inbound message");
                ("failed", None, None)
            }
        };
        // Store the message with its outcome, unless a request ran out of time and stored
        // it alone: then wait for that, and store the outcome after it.
        let together = loop {
            if slot.claim(Durable::WithOutcome) {
                break true;
            }
            // Stored alone by now, or storing it failed and it is this task's to store.
            slot.wait_for(None, |s| {
                matches!(s.durable, Durable::Stored | Durable::No).then_some(())
            })
            .await;
            if slot.lock().durable == Durable::Stored {
                break false;
            }
        };
        // Decide now how the reply travels, and record it durably before anyone sees it, so
        // a stop cannot make the pipeline run twice or a reply go out twice.
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
        let reply_json = reply.as_ref().and_then(|r| serde_json::to_value(r).ok());
        let message_id = processed.as_ref().map(|m| m.message.id.clone());
        let recorded = if together {
            let mut stored = row.clone();
            stored.status = status.into();
            stored.reply = reply_json;
            stored.replied_via = Some(via.into());
            stored.message_id = message_id;
            match self.writer.inbound_processed(stored, processed).await {
                Ok(Stored::New(_)) => Ok(()),
                Ok(Stored::Duplicate(_)) => {
                    tracing::warn!(inbound = %row.id, "message stored meanwhile by another host; this run's outcome is dropped");
                    Ok(())
                }
                Err(e) => Err(e),
            }
        } else {
            let finish = Finish {
                id: row.id.clone(),
                status: status.into(),
                reply: reply_json,
                via: via.into(),
                message_id,
            };
            self.writer.processed(processed, Some(finish)).await
        };
        if let Err(e) = recorded {
            tracing::error!(inbound = %row.id, error = %e, "cannot record an inbound message's outcome");
            if together {
                // Nothing is stored: no request may acknowledge it; the sender's retry runs
                // it again.
                slot.set(|s| s.failed = true);
                self.slots().remove(&slot.key);
                return;
            }
        }
        if via == "outbox"
            && let Some(reply) = &reply
        {
            self.enqueue_late_reply(&ch, row, reply).await;
        }
        slot.set(|s| s.result = Some(reply));
        self.slots().remove(&slot.key);
    }

    async fn enqueue_late_reply(
        &self,
        ch: &ChannelRuntime,
        row: &InboundRow,
        reply: &ChannelReply,
    ) {
        let item = OutboxRow::pending(
            &row.tenant_id,
            &ch.row.id,
            Some(&row.id),
            &row.customer_id,
            serde_json::json!({
                "text": reply.text,
                "agent_id": row.fields.get("AgentID"),
                "open_kfid": row.fields.get("open_kfid"),
                "message_id": row.dedup_key,
            }),
        );
        if let Err(e) = self.store.enqueue_outbox(&item).await {
            tracing::error!(inbound = %row.id, error = %e, "cannot enqueue a late reply");
        }
        self.outbox_ready.notify_one();
    }

    /// Processes messages stored but never finished (a stop in mid-flight); their replies go
    /// through the outbox.
    pub async fn recover(self: &Arc<Self>) -> Result<usize, StoreError> {
        let rows = self.store.unfinished_inbound(now_ms()).await?;
        let n = rows.len();
        for row in rows {
            let key = slot_key(&row.channel_id, &row.dedup_key);
            if self.slots().contains_key(&key) {
                continue;
            }
            let ch = match self.store.channel_by_id(&row.channel_id).await {
                Ok(c) => match ChannelRuntime::build(c) {
                    Ok(rt) => Arc::new(rt),
                    Err(_) => continue,
                },
                Err(_) => continue,
            };
            let slot = Arc::new(Slot::new(key.clone(), row));
            slot.lock().durable = Durable::Stored;
            self.slots().insert(key, slot.clone());
            self.clone().process(ch, slot).await;
        }
        Ok(n)
    }
}

fn not_stored() -> StoreError {
    StoreError::Conflict("the message could not be stored; retry".into())
}

fn slot_key(channel_id: &str, dedup_key: &str) -> String {
    format!("{channel_id}\u{0}{dedup_key}")
}

/// What a retry of a message already stored gets.
fn duplicate_stored(row: InboundRow) -> Accepted {
    let answer = match (row.replied_via.as_deref(), &row.reply) {
        // The first answer went back passively: give the retry the same one.
        (Some("passive"), Some(reply)) => serde_json::from_value(reply.clone())
            .map(Answer::Reply)
            .unwrap_or(Answer::Pending),
        (Some("none"), _) => Answer::NoReply,
        _ => Answer::Pending,
    };
    Accepted {
        inbound_id: row.id,
        duplicate: true,
        answer,
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
