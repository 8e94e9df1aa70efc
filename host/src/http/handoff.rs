//! Human handoff (SPEC N5): agents, queues and the work on a conversation.
//!
//! - `POST/GET /v1/tenants/{t}/agents`, `PATCH /v1/tenants/{t}/agents/{id}` (tenant key):
//!   agents with their own keys (shown once) and the queues they serve (none = all).
//! - `GET /v1/tenants/{t}/queues` (tenant or agent key): every queue's waiting and claimed
//!   conversations, each with how long it has waited, and the oldest wait.
//! - `POST /v1/tenants/{t}/conversations/{id}/claim|reply|transfer|release|close`: an agent
//!   claims a queued conversation (or takes over one the bot is handling), replies (the reply is
//!   stored as an agent turn and delivered through the channel's outbox), transfers it to
//!   another queue or agent, hands it back to the bot, or closes it. While a human owns a
//!   conversation the bot stays quiet. Closing runs the session inspection (inspect plugins).
//! - `POST|GET /v1/tenants/{t}/conversations/{id}/inspection`: inspect now / the stored results.
//!
//! Changes to one conversation are serialised, so two agents claiming at once get one success
//! and one 409.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::auth::{AGENT_KEY_PREFIX, Caller, generate_key, hash_key};
use super::error::ApiError;
use crate::store::{AgentRow, ConversationRow, InspectionRow, TurnRow, now_ms};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/tenants/{tenant}/agents",
            get(list_agents).post(create_agent),
        )
        .route("/v1/tenants/{tenant}/agents/{id}", patch(update_agent))
        .route("/v1/tenants/{tenant}/queues", get(queues))
        .route("/v1/tenants/{tenant}/conversations/{id}/claim", post(claim))
        .route("/v1/tenants/{tenant}/conversations/{id}/reply", post(reply))
        .route(
            "/v1/tenants/{tenant}/conversations/{id}/transfer",
            post(transfer),
        )
        .route(
            "/v1/tenants/{tenant}/conversations/{id}/release",
            post(release),
        )
        .route("/v1/tenants/{tenant}/conversations/{id}/close", post(close))
        .route(
            "/v1/tenants/{tenant}/conversations/{id}/inspection",
            get(inspections).post(inspect),
        )
}

/// Serialises conversation changes made through this API.
static CHANGES: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", message)
}

fn conflict(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, "conflict", message)
}

fn body<T>(b: Result<Json<T>, axum::extract::rejection::JsonRejection>) -> Result<T, ApiError> {
    b.map(|Json(t)| t).map_err(|e| invalid(e.body_text()))
}

fn check_id(what: &str, id: &str) -> Result<(), ApiError> {
    if id.is_empty()
        || id.len() > 64
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
    {
        return Err(invalid(format!(
            "{what} {id:?} must be 1-64 letters, digits, '-', '_' or '.'"
        )));
    }
    Ok(())
}

fn check_queue(name: &str) -> Result<(), ApiError> {
    if !crate::pipeline::routing::valid_queue_name(name) {
        return Err(invalid(format!(
            "queue {name:?} must be 1-64 letters, digits, '-' or '_'"
        )));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAgent {
    id: String,
    name: String,
    #[serde(default)]
    queues: Vec<String>,
}

async fn create_agent(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    b: Result<Json<NewAgent>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require_tenant(&tenant)?;
    state.store.tenant(&tenant).await?;
    let a = body(b)?;
    check_id("agent id", &a.id)?;
    for q in &a.queues {
        check_queue(q)?;
    }
    if a.name.trim().is_empty() || a.name.len() > 200 {
        return Err(invalid("name must be 1-200 bytes"));
    }
    let key = generate_key(AGENT_KEY_PREFIX);
    let row = AgentRow {
        tenant_id: tenant.clone(),
        id: a.id,
        name: a.name,
        key_hash: hash_key(&key),
        queues: a.queues,
        active: true,
        created_at: now_ms(),
    };
    state.store.insert_agent(&row).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"agent": row, "api_key": key})),
    ))
}

async fn list_agents(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<Vec<AgentRow>>, ApiError> {
    caller.require_staff(&tenant)?;
    state.store.tenant(&tenant).await?;
    Ok(Json(state.store.agents(&tenant).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AgentChange {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    queues: Option<Vec<String>>,
    #[serde(default)]
    active: Option<bool>,
    /// Issue a new key (the old one stops working).
    #[serde(default)]
    rotate_key: bool,
}

async fn update_agent(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, id)): Path<(String, String)>,
    b: Result<Json<AgentChange>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    caller.require_tenant(&tenant)?;
    let c = body(b)?;
    let mut row = state.store.agent(&tenant, &id).await?;
    if let Some(n) = c.name {
        if n.trim().is_empty() || n.len() > 200 {
            return Err(invalid("name must be 1-200 bytes"));
        }
        row.name = n;
    }
    if let Some(q) = c.queues {
        for x in &q {
            check_queue(x)?;
        }
        row.queues = q;
    }
    if let Some(a) = c.active {
        row.active = a;
    }
    let key = c.rotate_key.then(|| generate_key(AGENT_KEY_PREFIX));
    if let Some(k) = &key {
        row.key_hash = hash_key(k);
    }
    state.store.update_agent(&row).await?;
    Ok(Json(json!({"agent": row, "api_key": key})))
}

/// A conversation as a queue shows it.
fn queue_entry(c: &ConversationRow, now: i64) -> Value {
    let since = c.queued_at.unwrap_or(c.started_at);
    json!({
        "id": c.id, "channel": c.channel, "customer_id": c.customer_id, "intent": c.intent,
        "agent_id": c.agent_id, "queued_at": c.queued_at, "claimed_at": c.claimed_at,
        "last_at": c.last_at,
        // Waiting: until now; claimed: how long it waited before an agent took it.
        "wait_ms": match c.claimed_at { Some(t) => t - since, None => now - since }.max(0),
    })
}

async fn queues(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require_staff(&tenant)?;
    state.store.tenant(&tenant).await?;
    let now = now_ms();
    let rows = state.store.queued(&tenant, None, 5000).await?;
    let mut by_queue: std::collections::BTreeMap<String, Vec<&ConversationRow>> =
        Default::default();
    for c in &rows {
        by_queue
            .entry(c.queue.clone().unwrap_or_else(|| "(none)".into()))
            .or_default()
            .push(c);
    }
    let queues: Vec<Value> = by_queue
        .into_iter()
        .map(|(queue, convs)| {
            let waiting: Vec<&&ConversationRow> =
                convs.iter().filter(|c| c.agent_id.is_none()).collect();
            let oldest = waiting
                .iter()
                .map(|c| now - c.queued_at.unwrap_or(c.started_at))
                .max()
                .unwrap_or(0);
            json!({
                "queue": queue,
                "waiting": waiting.len(),
                "claimed": convs.len() - waiting.len(),
                "oldest_wait_ms": oldest.max(0),
                "conversations": convs.iter().map(|c| queue_entry(c, now)).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(Json(json!({"queues": queues})))
}

/// Loads a conversation, applies `f` to its freshest state and writes it (with `turns`).
async fn change(
    state: &AppState,
    tenant: &str,
    id: &str,
    turns: impl FnOnce(&ConversationRow) -> Vec<TurnRow>,
    f: impl FnOnce(&ConversationRow) -> Result<ConversationRow, ApiError>,
) -> Result<(ConversationRow, Vec<TurnRow>), ApiError> {
    let _guard = CHANGES.lock().await;
    let stored = state.store.conversation(tenant, id).await?;
    // Checked against the freshest state and applied under the cache's lock.
    let updated = state.pipeline.conversations.try_update(stored, f)?;
    let new_turns = turns(&updated);
    state
        .pipeline
        .writer
        .conversation(updated.clone(), new_turns.clone())
        .await?;
    state.pipeline.conversations.add_turns(&updated, &new_turns);
    Ok((updated, new_turns))
}

fn require_open(c: &ConversationRow) -> Result<(), ApiError> {
    if c.status != "open" {
        return Err(conflict(format!("conversation {} is closed", c.id)));
    }
    Ok(())
}

/// The agent making the call (agents only).
async fn agent_of(state: &AppState, caller: &Caller, tenant: &str) -> Result<AgentRow, ApiError> {
    caller.require_staff(tenant)?;
    match caller {
        Caller::Agent { agent, .. } => Ok(state.store.agent(tenant, agent).await?),
        _ => Err(ApiError::forbidden(
            "only an agent can do this (use an agent key); the tenant key can transfer or close",
        )),
    }
}

async fn claim(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<ConversationRow>, ApiError> {
    let agent = agent_of(&state, &caller, &tenant).await?;
    let now = now_ms();
    let (c, _) = change(
        &state,
        &tenant,
        &id,
        |_| Vec::new(),
        |c| {
            require_open(c)?;
            if let Some(other) = &c.agent_id
                && c.owner == "human"
            {
                if *other == agent.id {
                    return Ok(c.clone());
                }
                return Err(conflict(format!("already claimed by agent {other}")));
            }
            if let Some(q) = &c.queue
                && c.owner == "human"
                && !agent.queues.is_empty()
                && !agent.queues.contains(q)
            {
                return Err(ApiError::forbidden(format!(
                    "queue {q} is not one of agent {}'s queues",
                    agent.id
                )));
            }
            let mut n = c.clone();
            if n.owner != "human" {
                // Taking over from the bot.
                n.queued_at = Some(now);
            }
            n.owner = "human".into();
            n.agent_id = Some(agent.id.clone());
            n.claimed_at = Some(now);
            Ok(n)
        },
    )
    .await?;
    Ok(Json(c))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AgentReply {
    text: String,
}

async fn reply(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, id)): Path<(String, String)>,
    b: Result<Json<AgentReply>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let agent = agent_of(&state, &caller, &tenant).await?;
    let r = body(b)?;
    let text = r.text.trim().to_owned();
    if text.is_empty() || text.len() > crate::pipeline::MAX_TEXT_BYTES {
        return Err(invalid(format!(
            "text must be 1-{} bytes",
            crate::pipeline::MAX_TEXT_BYTES
        )));
    }
    let now = now_ms();
    let turn_id = crate::store::new_id();
    let (c, turns) = change(
        &state,
        &tenant,
        &id,
        |c| {
            vec![TurnRow {
                id: turn_id.clone(),
                conversation_id: c.id.clone(),
                tenant_id: c.tenant_id.clone(),
                role: "agent".into(),
                text: text.clone(),
                at: now,
                message_id: None,
                annotations: json!({"agent": agent.id}),
            }]
        },
        |c| {
            require_open(c)?;
            if c.owner != "human" || c.agent_id.as_deref() != Some(agent.id.as_str()) {
                return Err(conflict(format!(
                    "agent {} has not claimed conversation {} (claim it first)",
                    agent.id, c.id
                )));
            }
            let mut n = c.clone();
            n.last_at = n.last_at.max(now);
            Ok(n)
        },
    )
    .await?;
    let outbox = state
        .channels
        .send_to_customer(&tenant, &c.channel, &c.customer_id, &text, &agent.id)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"turn": turns.first(), "outbox_id": outbox,
                    "delivery": if outbox.is_some() { "outbox" } else { "stored_only" }})),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Transfer {
    #[serde(default)]
    queue: Option<String>,
    #[serde(default)]
    agent: Option<String>,
}

async fn transfer(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, id)): Path<(String, String)>,
    b: Result<Json<Transfer>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<ConversationRow>, ApiError> {
    caller.require_staff(&tenant)?;
    let t = body(b)?;
    if t.queue.is_none() && t.agent.is_none() {
        return Err(invalid("give a queue, an agent, or both"));
    }
    if let Some(q) = &t.queue {
        check_queue(q)?;
    }
    let target = match &t.agent {
        Some(a) => {
            let row = state.store.agent(&tenant, a).await?;
            if !row.active {
                return Err(conflict(format!("agent {a} is not active")));
            }
            Some(row)
        }
        None => None,
    };
    let me = match &caller {
        Caller::Agent { agent, .. } => Some(agent.clone()),
        _ => None,
    };
    let now = now_ms();
    let (c, _) = change(
        &state,
        &tenant,
        &id,
        |_| Vec::new(),
        |c| {
            require_open(c)?;
            if let Some(me) = &me
                && c.agent_id.as_deref() != Some(me.as_str())
            {
                return Err(conflict(format!(
                    "agent {me} does not own conversation {}",
                    c.id
                )));
            }
            let mut n = c.clone();
            n.owner = "human".into();
            if let Some(q) = &t.queue {
                n.queue = Some(q.clone());
            }
            n.queued_at = Some(now);
            match &target {
                Some(a) => {
                    n.agent_id = Some(a.id.clone());
                    n.claimed_at = Some(now);
                }
                None => {
                    n.agent_id = None;
                    n.claimed_at = None;
                }
            }
            Ok(n)
        },
    )
    .await?;
    Ok(Json(c))
}

/// Owner checks for release and close: an agent must own the conversation; the tenant key
/// and the operator may always.
fn may_finish(caller: &Caller, c: &ConversationRow) -> Result<(), ApiError> {
    if let Caller::Agent { agent, .. } = caller
        && c.agent_id.as_deref() != Some(agent.as_str())
    {
        return Err(conflict(format!(
            "agent {agent} does not own conversation {}",
            c.id
        )));
    }
    Ok(())
}

async fn release(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<ConversationRow>, ApiError> {
    caller.require_staff(&tenant)?;
    let (c, _) = change(
        &state,
        &tenant,
        &id,
        |_| Vec::new(),
        |c| {
            require_open(c)?;
            may_finish(&caller, c)?;
            let mut n = c.clone();
            n.owner = "bot".into();
            n.queue = None;
            n.agent_id = None;
            n.queued_at = None;
            n.claimed_at = None;
            Ok(n)
        },
    )
    .await?;
    Ok(Json(c))
}

async fn close(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<ConversationRow>, ApiError> {
    caller.require_staff(&tenant)?;
    let now = now_ms();
    let (c, _) = change(
        &state,
        &tenant,
        &id,
        |_| Vec::new(),
        |c| {
            require_open(c)?;
            may_finish(&caller, c)?;
            let mut n = c.clone();
            n.status = "closed".into();
            n.closed_at = Some(now);
            Ok(n)
        },
    )
    .await?;
    // A closed conversation is inspected once, in the background.
    let pipeline = state.pipeline.clone();
    let (t, conv) = (tenant.clone(), c.id.clone());
    tokio::spawn(async move {
        if let Err(e) = pipeline.inspect(&t, &conv).await {
            tracing::warn!(tenant = %t, conversation = %conv, error = %e, "inspection after close failed");
        }
    });
    Ok(Json(c))
}

async fn inspect(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<Vec<InspectionRow>>, ApiError> {
    caller.require_staff(&tenant)?;
    Ok(Json(state.pipeline.inspect(&tenant, &id).await?))
}

async fn inspections(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<Vec<InspectionRow>>, ApiError> {
    caller.require_staff(&tenant)?;
    Ok(Json(state.pipeline.inspections(&tenant, &id).await?))
}
