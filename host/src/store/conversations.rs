//! Conversations (one open per customer per channel), their turns, and customer profiles.

use serde::Serialize;
use sqlx::Row;

use super::{Store, StoreError};

/// A conversation.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ConversationRow {
    pub id: String,
    pub tenant_id: String,
    pub channel: String,
    pub customer_id: String,
    /// `open` or `closed`.
    pub status: String,
    /// `bot` or `human`.
    pub owner: String,
    pub queue: Option<String>,
    pub agent_id: Option<String>,
    pub intent: Option<String>,
    pub started_at: i64,
    pub last_at: i64,
    pub closed_at: Option<i64>,
    /// When it entered its human queue (a handoff or a transfer).
    pub queued_at: Option<i64>,
    /// When an agent claimed it.
    pub claimed_at: Option<i64>,
}

const CONVERSATION_COLUMNS: &str = "id, tenant_id, channel, customer_id, status, owner, queue, \
    agent_id, intent, started_at, last_at, closed_at, queued_at, claimed_at";

fn conversation_from(r: &sqlx::any::AnyRow) -> Result<ConversationRow, sqlx::Error> {
    Ok(ConversationRow {
        id: r.try_get("id")?,
        tenant_id: r.try_get("tenant_id")?,
        channel: r.try_get("channel")?,
        customer_id: r.try_get("customer_id")?,
        status: r.try_get("status")?,
        owner: r.try_get("owner")?,
        queue: r.try_get("queue")?,
        agent_id: r.try_get("agent_id")?,
        intent: r.try_get("intent")?,
        started_at: r.try_get("started_at")?,
        last_at: r.try_get("last_at")?,
        closed_at: r.try_get("closed_at")?,
        queued_at: r.try_get("queued_at")?,
        claimed_at: r.try_get("claimed_at")?,
    })
}

/// One turn of a conversation.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TurnRow {
    pub id: String,
    pub conversation_id: String,
    pub tenant_id: String,
    /// `customer`, `bot` or `agent`.
    pub role: String,
    pub text: String,
    pub at: i64,
    /// The processed message this turn belongs to (its explanation).
    pub message_id: Option<String>,
    /// What the stages found (intent, sentiment, …) or who wrote it.
    pub annotations: serde_json::Value,
}

fn turn_from(r: &sqlx::any::AnyRow) -> Result<TurnRow, sqlx::Error> {
    let annotations: String = r.try_get("annotations")?;
    Ok(TurnRow {
        id: r.try_get("id")?,
        conversation_id: r.try_get("conversation_id")?,
        tenant_id: r.try_get("tenant_id")?,
        role: r.try_get("role")?,
        text: r.try_get("text")?,
        at: r.try_get("at")?,
        message_id: r.try_get("message_id")?,
        annotations: serde_json::from_str(&annotations).unwrap_or(serde_json::Value::Null),
    })
}

impl Store {
    /// The customer's latest conversation on a channel, if any.
    pub async fn latest_conversation(
        &self,
        tenant_id: &str,
        channel: &str,
        customer_id: &str,
    ) -> Result<Option<ConversationRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE tenant_id = $1 AND channel = $2 \
             AND customer_id = $3 ORDER BY last_at DESC LIMIT 1"
        ))
        .bind(tenant_id)
        .bind(channel)
        .bind(customer_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.as_ref().map(conversation_from).transpose()?)
    }

    pub async fn conversation(
        &self,
        tenant_id: &str,
        id: &str,
    ) -> Result<ConversationRow, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("conversation {id}")))?;
        Ok(conversation_from(&row)?)
    }

    /// A tenant's conversations, most recently active first.
    pub async fn conversations(
        &self,
        tenant_id: &str,
        limit: i64,
    ) -> Result<Vec<ConversationRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE tenant_id = $1 \
             ORDER BY last_at DESC, id LIMIT $2"
        ))
        .bind(tenant_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(conversation_from)
            .collect::<Result<_, _>>()?)
    }

    /// Open human-owned conversations, oldest in the queue first: all of a tenant's, or one
    /// queue's.
    pub async fn queued(
        &self,
        tenant_id: &str,
        queue: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ConversationRow>, StoreError> {
        let rows = match queue {
            Some(q) => {
                sqlx::query(&format!(
                    "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE tenant_id = $1 \
                     AND owner = 'human' AND status = 'open' AND queue = $2 \
                     ORDER BY queued_at, id LIMIT $3"
                ))
                .bind(tenant_id)
                .bind(q)
                .bind(limit)
                .fetch_all(self.pool())
                .await?
            }
            None => {
                sqlx::query(&format!(
                    "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE tenant_id = $1 \
                     AND owner = 'human' AND status = 'open' ORDER BY queued_at, id LIMIT $2"
                ))
                .bind(tenant_id)
                .bind(limit)
                .fetch_all(self.pool())
                .await?
            }
        };
        Ok(rows
            .iter()
            .map(conversation_from)
            .collect::<Result<_, _>>()?)
    }

    /// The last `limit` turns of a conversation, oldest first.
    pub async fn turns(
        &self,
        conversation_id: &str,
        limit: i64,
    ) -> Result<Vec<TurnRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, conversation_id, tenant_id, role, text, at, message_id, annotations FROM turns \
             WHERE conversation_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
        )
        .bind(conversation_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        let mut turns: Vec<TurnRow> = rows.iter().map(turn_from).collect::<Result<_, _>>()?;
        turns.reverse();
        Ok(turns)
    }
}

/// Inserts or updates conversations; when one appears several times, the last state wins.
pub(super) async fn upsert_conversations(
    conn: &mut sqlx::AnyConnection,
    backend: super::Backend,
    conversations: &[&ConversationRow],
) -> Result<(), StoreError> {
    // PostgreSQL refuses to update one row twice in a statement: keep each id's last state.
    let mut latest: Vec<&ConversationRow> = Vec::with_capacity(conversations.len());
    for c in conversations {
        match latest.iter_mut().find(|l| l.id == c.id) {
            Some(slot) => *slot = c,
            None => latest.push(c),
        }
    }
    const COLUMNS: usize = 14;
    for chunk in latest.chunks(200) {
        let sql = format!(
            "INSERT INTO conversations ({CONVERSATION_COLUMNS}) VALUES {} ON CONFLICT (id) DO UPDATE SET \
             status = excluded.status, owner = excluded.owner, queue = excluded.queue, \
             agent_id = excluded.agent_id, intent = excluded.intent, last_at = excluded.last_at, \
             closed_at = excluded.closed_at, queued_at = excluded.queued_at, \
             claimed_at = excluded.claimed_at",
            super::placeholders(backend, chunk.len(), COLUMNS)
        );
        let mut q = sqlx::query(&sql);
        for c in chunk {
            q = q
                .bind(&c.id)
                .bind(&c.tenant_id)
                .bind(&c.channel)
                .bind(&c.customer_id)
                .bind(&c.status)
                .bind(&c.owner)
                .bind(c.queue.as_deref())
                .bind(c.agent_id.as_deref())
                .bind(c.intent.as_deref())
                .bind(c.started_at)
                .bind(c.last_at)
                .bind(c.closed_at)
                .bind(c.queued_at)
                .bind(c.claimed_at);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Inserts turns, one statement per 256.
pub(super) async fn insert_turns(
    conn: &mut sqlx::AnyConnection,
    backend: super::Backend,
    turns: &[&TurnRow],
) -> Result<(), StoreError> {
    const COLUMNS: usize = 8;
    for chunk in turns.chunks(256) {
        let sql = format!(
            "INSERT INTO turns (id, conversation_id, tenant_id, role, text, at, message_id, annotations) \
             VALUES {}",
            super::placeholders(backend, chunk.len(), COLUMNS)
        );
        let mut q = sqlx::query(&sql);
        for t in chunk {
            q = q
                .bind(&t.id)
                .bind(&t.conversation_id)
                .bind(&t.tenant_id)
                .bind(&t.role)
                .bind(&t.text)
                .bind(t.at)
                .bind(t.message_id.as_deref())
                .bind(t.annotations.to_string());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// What one inspect plugin found in a conversation.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct InspectionRow {
    pub id: String,
    pub tenant_id: String,
    pub conversation_id: String,
    pub plugin: String,
    pub version: String,
    /// The call's outcome (`ok`, `timeout`, …).
    pub outcome: String,
    /// Findings and annotations, or the error.
    pub result: serde_json::Value,
    pub at: i64,
}

impl Store {
    pub async fn insert_inspection(&self, i: &InspectionRow) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO inspections (id, tenant_id, conversation_id, plugin, version, outcome, result, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&i.id)
        .bind(&i.tenant_id)
        .bind(&i.conversation_id)
        .bind(&i.plugin)
        .bind(&i.version)
        .bind(&i.outcome)
        .bind(i.result.to_string())
        .bind(i.at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// A conversation's inspections, newest first.
    pub async fn inspections(
        &self,
        tenant_id: &str,
        conversation_id: &str,
    ) -> Result<Vec<InspectionRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, tenant_id, conversation_id, plugin, version, outcome, result, at FROM inspections \
             WHERE tenant_id = $1 AND conversation_id = $2 ORDER BY at DESC, id",
        )
        .bind(tenant_id)
        .bind(conversation_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let result: String = r.try_get("result")?;
                Ok(InspectionRow {
                    id: r.try_get("id")?,
                    tenant_id: r.try_get("tenant_id")?,
                    conversation_id: r.try_get("conversation_id")?,
                    plugin: r.try_get("plugin")?,
                    version: r.try_get("version")?,
                    outcome: r.try_get("outcome")?,
                    result: serde_json::from_str(&result).unwrap_or(serde_json::Value::Null),
                    at: r.try_get("at")?,
                })
            })
            .collect()
    }
}
