//! Channels, inbound messages (stored before they are acknowledged, unique per channel and
//! dedup key), the outbox of late replies with every delivery attempt, and cached access tokens.

use serde::Serialize;
use sqlx::Row;

use super::{Store, StoreError, now_ms};

/// A tenant's channel as stored (secrets in clear: never serialise this to a client).
#[derive(Clone, Debug, PartialEq)]
pub struct ChannelRow {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub kind: String,
    pub token: Option<String>,
    pub aes_key: Option<String>,
    pub aes_key_previous: Option<String>,
    /// appid (Official Account) or corpid (WeCom).
    pub app_id: Option<String>,
    pub secret: Option<String>,
    pub hmac_secret: Option<String>,
    pub callback_url: Option<String>,
    pub settings: serde_json::Value,
    pub created_at: i64,
    pub updated_at: i64,
}

const CHANNEL_COLUMNS: &str = "id, tenant_id, name, kind, token, aes_key, aes_key_previous, \
    app_id, secret, hmac_secret, callback_url, settings, created_at, updated_at";

fn channel_from(r: &sqlx::any::AnyRow) -> Result<ChannelRow, sqlx::Error> {
    let settings: String = r.try_get("settings")?;
    Ok(ChannelRow {
        id: r.try_get("id")?,
        tenant_id: r.try_get("tenant_id")?,
        name: r.try_get("name")?,
        kind: r.try_get("kind")?,
        token: r.try_get("token")?,
        aes_key: r.try_get("aes_key")?,
        aes_key_previous: r.try_get("aes_key_previous")?,
        app_id: r.try_get("app_id")?,
        secret: r.try_get("secret")?,
        hmac_secret: r.try_get("hmac_secret")?,
        callback_url: r.try_get("callback_url")?,
        settings: serde_json::from_str(&settings).unwrap_or_else(|_| serde_json::json!({})),
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// A message received on a channel.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct InboundRow {
    pub id: String,
    pub tenant_id: String,
    pub channel_id: String,
    pub dedup_key: String,
    pub customer_id: String,
    pub kind: String,
    pub text: String,
    /// Every field the channel sent.
    pub fields: serde_json::Value,
    pub received_at: i64,
    /// `received`, `done` or `failed`.
    pub status: String,
    /// The reply the pipeline produced, if any (JSON).
    pub reply: Option<serde_json::Value>,
    /// `passive`, `outbox` or `none`.
    pub replied_via: Option<String>,
    /// The pipeline's message id (its explanation).
    pub message_id: Option<String>,
}

const INBOUND_COLUMNS: &str = "id, tenant_id, channel_id, dedup_key, customer_id, kind, text, \
    fields, received_at, status, reply, replied_via, message_id";

fn inbound_from(r: &sqlx::any::AnyRow) -> Result<InboundRow, sqlx::Error> {
    let fields: String = r.try_get("fields")?;
    let reply: Option<String> = r.try_get("reply")?;
    Ok(InboundRow {
        id: r.try_get("id")?,
        tenant_id: r.try_get("tenant_id")?,
        channel_id: r.try_get("channel_id")?,
        dedup_key: r.try_get("dedup_key")?,
        customer_id: r.try_get("customer_id")?,
        kind: r.try_get("kind")?,
        text: r.try_get("text")?,
        fields: serde_json::from_str(&fields).unwrap_or(serde_json::Value::Null),
        received_at: r.try_get("received_at")?,
        status: r.try_get("status")?,
        reply: reply.and_then(|r| serde_json::from_str(&r).ok()),
        replied_via: r.try_get("replied_via")?,
        message_id: r.try_get("message_id")?,
    })
}

/// A late reply waiting for (or done with) delivery.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct OutboxRow {
    pub id: String,
    pub tenant_id: String,
    pub channel_id: String,
    pub inbound_id: Option<String>,
    pub to_user: String,
    pub payload: serde_json::Value,
    /// `pending`, `sent`, `failed` or `expired`.
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

impl OutboxRow {
    /// A new message to deliver now.
    pub fn pending(
        tenant_id: &str,
        channel_id: &str,
        inbound_id: Option<&str>,
        to_user: &str,
        payload: serde_json::Value,
    ) -> OutboxRow {
        let now = now_ms();
        OutboxRow {
            id: super::new_id(),
            tenant_id: tenant_id.to_owned(),
            channel_id: channel_id.to_owned(),
            inbound_id: inbound_id.map(str::to_owned),
            to_user: to_user.to_owned(),
            payload,
            status: "pending".into(),
            attempts: 0,
            next_attempt_at: now,
            last_error: None,
            created_at: now,
            sent_at: None,
        }
    }
}

const OUTBOX_COLUMNS: &str = "id, tenant_id, channel_id, inbound_id, to_user, payload, status, \
    attempts, next_attempt_at, last_error, created_at, sent_at";

fn outbox_from(r: &sqlx::any::AnyRow) -> Result<OutboxRow, sqlx::Error> {
    let payload: String = r.try_get("payload")?;
    Ok(OutboxRow {
        id: r.try_get("id")?,
        tenant_id: r.try_get("tenant_id")?,
        channel_id: r.try_get("channel_id")?,
        inbound_id: r.try_get("inbound_id")?,
        to_user: r.try_get("to_user")?,
        payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
        status: r.try_get("status")?,
        attempts: r.try_get("attempts")?,
        next_attempt_at: r.try_get("next_attempt_at")?,
        last_error: r.try_get("last_error")?,
        created_at: r.try_get("created_at")?,
        sent_at: r.try_get("sent_at")?,
    })
}

/// One delivery attempt of an outbox message.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct AttemptRow {
    pub at: i64,
    pub http_status: Option<i64>,
    pub errcode: Option<i64>,
    pub error: Option<String>,
}

/// The result of storing an inbound message.
#[derive(Debug)]
pub enum Stored {
    /// First time this message was seen: it is stored and must be processed.
    New(InboundRow),
    /// A retry of a message already stored.
    Duplicate(InboundRow),
}

impl Store {
    pub async fn insert_channel(&self, c: &ChannelRow) -> Result<(), StoreError> {
        let res = sqlx::query(&format!(
            "INSERT INTO channels ({CHANNEL_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
             $10, $11, $12, $13, $14) ON CONFLICT (tenant_id, name) DO NOTHING"
        ))
        .bind(&c.id)
        .bind(&c.tenant_id)
        .bind(&c.name)
        .bind(&c.kind)
        .bind(c.token.as_deref())
        .bind(c.aes_key.as_deref())
        .bind(c.aes_key_previous.as_deref())
        .bind(c.app_id.as_deref())
        .bind(c.secret.as_deref())
        .bind(c.hmac_secret.as_deref())
        .bind(c.callback_url.as_deref())
        .bind(c.settings.to_string())
        .bind(c.created_at)
        .bind(c.updated_at)
        .execute(self.pool())
        .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!(
                "tenant {} already has a channel named {}",
                c.tenant_id, c.name
            )));
        }
        Ok(())
    }

    pub async fn update_channel(&self, c: &ChannelRow) -> Result<(), StoreError> {
        let res = sqlx::query(
            "UPDATE channels SET token = $1, aes_key = $2, aes_key_previous = $3, app_id = $4, \
             secret = $5, hmac_secret = $6, callback_url = $7, settings = $8, updated_at = $9 \
             WHERE id = $10",
        )
        .bind(c.token.as_deref())
        .bind(c.aes_key.as_deref())
        .bind(c.aes_key_previous.as_deref())
        .bind(c.app_id.as_deref())
        .bind(c.secret.as_deref())
        .bind(c.hmac_secret.as_deref())
        .bind(c.callback_url.as_deref())
        .bind(c.settings.to_string())
        .bind(now_ms())
        .bind(&c.id)
        .execute(self.pool())
        .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("channel {}", c.name)));
        }
        Ok(())
    }

    pub async fn channel(&self, tenant_id: &str, name: &str) -> Result<ChannelRow, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {CHANNEL_COLUMNS} FROM channels WHERE tenant_id = $1 AND name = $2"
        ))
        .bind(tenant_id)
        .bind(name)
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("channel {name} of tenant {tenant_id}")))?;
        Ok(channel_from(&row)?)
    }

    pub async fn channel_by_id(&self, id: &str) -> Result<ChannelRow, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {CHANNEL_COLUMNS} FROM channels WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("channel {id}")))?;
        Ok(channel_from(&row)?)
    }

    pub async fn channels(&self, tenant_id: &str) -> Result<Vec<ChannelRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {CHANNEL_COLUMNS} FROM channels WHERE tenant_id = $1 ORDER BY name"
        ))
        .bind(tenant_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(channel_from).collect::<Result<_, _>>()?)
    }

    pub async fn delete_channel(&self, tenant_id: &str, name: &str) -> Result<(), StoreError> {
        let res = sqlx::query("DELETE FROM channels WHERE tenant_id = $1 AND name = $2")
            .bind(tenant_id)
            .bind(name)
            .execute(self.pool())
            .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!(
                "channel {name} of tenant {tenant_id}"
            )));
        }
        Ok(())
    }

    pub async fn inbound_by_key(
        &self,
        channel_id: &str,
        dedup_key: &str,
    ) -> Result<InboundRow, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {INBOUND_COLUMNS} FROM inbound_messages WHERE channel_id = $1 AND dedup_key = $2"
        ))
        .bind(channel_id)
        .bind(dedup_key)
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("inbound message {dedup_key}")))?;
        Ok(inbound_from(&row)?)
    }

    pub async fn inbound(&self, tenant_id: &str, id: &str) -> Result<InboundRow, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {INBOUND_COLUMNS} FROM inbound_messages WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("inbound message {id}")))?;
        Ok(inbound_from(&row)?)
    }

    /// Inbound messages of a channel, newest first.
    pub async fn inbound_list(
        &self,
        channel_id: &str,
        limit: i64,
    ) -> Result<Vec<InboundRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {INBOUND_COLUMNS} FROM inbound_messages WHERE channel_id = $1 \
             ORDER BY received_at DESC, id LIMIT $2"
        ))
        .bind(channel_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(inbound_from).collect::<Result<_, _>>()?)
    }

    /// Messages stored but never finished (the process stopped while they were in flight).
    pub async fn unfinished_inbound(&self, older_than: i64) -> Result<Vec<InboundRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {INBOUND_COLUMNS} FROM inbound_messages WHERE status = 'received' \
             AND received_at < $1 ORDER BY received_at LIMIT 1000"
        ))
        .bind(older_than)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(inbound_from).collect::<Result<_, _>>()?)
    }

    /// The last time a customer wrote on a channel (the start of the reply window): their
    /// latest turn in the channel's conversations, found through the conversations' and turns'
    /// indexes (an index of inbound messages by customer would cost every message a write to a
    /// random page of it — 15 % of the ingestion rate — for a query only late replies make).
    pub async fn last_inbound_at(
        &self,
        tenant_id: &str,
        channel: &str,
        customer_id: &str,
    ) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query(
            "SELECT MAX(t.at) AS last FROM conversations c JOIN turns t ON t.conversation_id = c.id \
             WHERE c.tenant_id = $1 AND c.channel = $2 AND c.customer_id = $3 AND t.role = 'customer'",
        )
        .bind(tenant_id)
        .bind(channel)
        .bind(customer_id)
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get("last")?)
    }

    pub async fn enqueue_outbox(&self, o: &OutboxRow) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO outbox ({OUTBOX_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        ))
        .bind(&o.id)
        .bind(&o.tenant_id)
        .bind(&o.channel_id)
        .bind(o.inbound_id.as_deref())
        .bind(&o.to_user)
        .bind(o.payload.to_string())
        .bind(&o.status)
        .bind(o.attempts)
        .bind(o.next_attempt_at)
        .bind(o.last_error.as_deref())
        .bind(o.created_at)
        .bind(o.sent_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Pending outbox messages that are due.
    pub async fn due_outbox(&self, now: i64, limit: i64) -> Result<Vec<OutboxRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE status = 'pending' AND next_attempt_at <= $1 \
             ORDER BY next_attempt_at, id LIMIT $2"
        ))
        .bind(now)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(outbox_from).collect::<Result<_, _>>()?)
    }

    pub async fn outbox(&self, tenant_id: &str, limit: i64) -> Result<Vec<OutboxRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE tenant_id = $1 ORDER BY created_at DESC, id LIMIT $2"
        ))
        .bind(tenant_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(outbox_from).collect::<Result<_, _>>()?)
    }

    pub async fn outbox_item(&self, tenant_id: &str, id: &str) -> Result<OutboxRow, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("outbox message {id}")))?;
        Ok(outbox_from(&row)?)
    }

    /// Records a delivery attempt and the message's new state.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_outbox_attempt(
        &self,
        id: &str,
        status: &str,
        next_attempt_at: i64,
        http_status: Option<i64>,
        errcode: Option<i64>,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO outbox_attempts (id, outbox_id, at, http_status, errcode, error) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(super::new_id())
        .bind(id)
        .bind(now)
        .bind(http_status)
        .bind(errcode)
        .bind(error)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE outbox SET status = $1, attempts = attempts + 1, next_attempt_at = $2, \
             last_error = $3, sent_at = $4 WHERE id = $5",
        )
        .bind(status)
        .bind(next_attempt_at)
        .bind(error)
        .bind((status == "sent").then_some(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn outbox_attempts(&self, id: &str) -> Result<Vec<AttemptRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT at, http_status, errcode, error FROM outbox_attempts WHERE outbox_id = $1 ORDER BY at, id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AttemptRow {
                    at: r.try_get("at")?,
                    http_status: r.try_get("http_status")?,
                    errcode: r.try_get("errcode")?,
                    error: r.try_get("error")?,
                })
            })
            .collect()
    }

    /// How many replies were sent to a customer on a channel since a time (the quota window).
    pub async fn sent_since(
        &self,
        channel_id: &str,
        to_user: &str,
        since: i64,
    ) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM outbox WHERE channel_id = $1 AND to_user = $2 \
             AND status = 'sent' AND sent_at >= $3",
        )
        .bind(channel_id)
        .bind(to_user)
        .bind(since)
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get("n")?)
    }

    pub async fn access_token(
        &self,
        channel_id: &str,
        now: i64,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT token FROM access_tokens WHERE channel_id = $1 AND expires_at > $2",
        )
        .bind(channel_id)
        .bind(now)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| r.try_get("token")).transpose()?)
    }

    pub async fn put_access_token(
        &self,
        channel_id: &str,
        token: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO access_tokens (channel_id, token, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (channel_id) DO UPDATE SET token = excluded.token, expires_at = excluded.expires_at",
        )
        .bind(channel_id)
        .bind(token)
        .bind(expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Where the pull of a WeCom customer-service account stands (`""` before the first).
    pub async fn kf_cursor(&self, channel_id: &str, open_kfid: &str) -> Result<String, StoreError> {
        let row =
            sqlx::query("SELECT cursor FROM kf_cursors WHERE channel_id = $1 AND open_kfid = $2")
                .bind(channel_id)
                .bind(open_kfid)
                .fetch_optional(self.pool())
                .await?;
        Ok(row
            .map(|r| r.try_get::<String, _>("cursor"))
            .transpose()?
            .unwrap_or_default())
    }

    pub async fn put_kf_cursor(
        &self,
        channel_id: &str,
        open_kfid: &str,
        cursor: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO kf_cursors (channel_id, open_kfid, cursor, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (channel_id, open_kfid) DO UPDATE SET cursor = excluded.cursor, \
             updated_at = excluded.updated_at",
        )
        .bind(channel_id)
        .bind(open_kfid)
        .bind(cursor)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Remembers which customer-service account a WeCom customer wrote to.
    pub async fn put_kf_customer(
        &self,
        channel_id: &str,
        customer_id: &str,
        open_kfid: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO kf_customers (channel_id, customer_id, open_kfid, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (channel_id, customer_id) DO UPDATE SET \
             open_kfid = excluded.open_kfid, updated_at = excluded.updated_at",
        )
        .bind(channel_id)
        .bind(customer_id)
        .bind(open_kfid)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The customer-service account a WeCom customer last wrote to.
    pub async fn kf_customer(
        &self,
        channel_id: &str,
        customer_id: &str,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT open_kfid FROM kf_customers WHERE channel_id = $1 AND customer_id = $2",
        )
        .bind(channel_id)
        .bind(customer_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| r.try_get("open_kfid")).transpose()?)
    }

    pub async fn drop_access_token(&self, channel_id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM access_tokens WHERE channel_id = $1")
            .bind(channel_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}

/// Inserts inbound messages, skipping those whose (channel, dedup key) exists; the ids of the
/// rows it inserted.
pub(super) async fn insert_inbound_rows(
    conn: &mut sqlx::AnyConnection,
    backend: super::Backend,
    rows: &[&InboundRow],
) -> Result<std::collections::HashSet<String>, StoreError> {
    const COLUMNS: usize = 14;
    let mut inserted = std::collections::HashSet::new();
    for chunk in rows.chunks(256) {
        let sql = format!(
            "INSERT INTO inbound_messages ({INBOUND_COLUMNS}, updated_at) VALUES {} \
             ON CONFLICT (channel_id, dedup_key) DO NOTHING RETURNING id",
            super::placeholders(backend, chunk.len(), COLUMNS)
        );
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q
                .bind(&r.id)
                .bind(&r.tenant_id)
                .bind(&r.channel_id)
                .bind(&r.dedup_key)
                .bind(&r.customer_id)
                .bind(&r.kind)
                .bind(&r.text)
                .bind(r.fields.to_string())
                .bind(r.received_at)
                .bind(&r.status)
                .bind(r.reply.as_ref().map(|v| v.to_string()))
                .bind(r.replied_via.as_deref())
                .bind(r.message_id.as_deref())
                .bind(r.received_at);
        }
        for row in q.fetch_all(&mut *conn).await? {
            inserted.insert(row.try_get::<String, _>("id")?);
        }
    }
    Ok(inserted)
}

/// An inbound message's outcome: (id, status, reply, replied via, message id).
pub(super) type Outcome<'a> = (
    &'a str,
    &'a str,
    Option<&'a serde_json::Value>,
    &'a str,
    Option<&'a str>,
);

/// Records the pipeline's outcome of inbound messages: one `UPDATE … FROM (VALUES …)` per 200.
pub(super) async fn finish_inbound_rows(
    conn: &mut sqlx::AnyConnection,
    backend: super::Backend,
    rows: &[Outcome<'_>],
) -> Result<(), StoreError> {
    const COLUMNS: usize = 5;
    let now = now_ms();
    for chunk in rows.chunks(200) {
        let sql = format!(
            "UPDATE inbound_messages SET status = v.column2, reply = v.column3, \
             replied_via = v.column4, message_id = v.column5, updated_at = {now} \
             FROM (VALUES {}) AS v WHERE inbound_messages.id = v.column1",
            super::placeholders(backend, chunk.len(), COLUMNS)
        );
        let mut q = sqlx::query(&sql);
        for (id, status, reply, via, message_id) in chunk {
            q = q
                .bind(*id)
                .bind(*status)
                .bind(reply.map(|r| r.to_string()))
                .bind(*via)
                .bind(*message_id);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{ConversationRow, TurnRow, Writer};
    use super::*;

    fn conversation(id: &str, channel: &str, customer: &str) -> ConversationRow {
        ConversationRow {
            id: id.into(),
            tenant_id: "t".into(),
            channel: channel.into(),
            customer_id: customer.into(),
            status: "open".into(),
            owner: "bot".into(),
            queue: None,
            agent_id: None,
            intent: None,
            started_at: 0,
            last_at: 0,
            closed_at: None,
            queued_at: None,
            claimed_at: None,
        }
    }

    fn turn(conversation: &str, role: &str, at: i64) -> TurnRow {
        TurnRow {
            id: crate::store::new_id(),
            conversation_id: conversation.into(),
            tenant_id: "t".into(),
            role: role.into(),
            text: "…".into(),
            at,
            message_id: None,
            annotations: serde_json::json!({}),
        }
    }

    #[tokio::test]
    async fn the_reply_window_starts_at_the_customers_latest_message_on_that_channel() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite://{}", dir.path().join("w.db").display()))
            .await
            .unwrap();
        store.create_tenant("t", "T", "UTC").await.unwrap();
        let writer = Writer::start(store.clone());
        let writes = [
            // An earlier conversation of c1 on `oa`, and the current one.
            (
                conversation("k1", "oa", "c1"),
                vec![turn("k1", "customer", 1_000)],
            ),
            (
                conversation("k2", "oa", "c1"),
                vec![
                    turn("k2", "customer", 3_000),
                    // Replies are not the customer's messages.
                    turn("k2", "bot", 5_000),
                    turn("k2", "agent", 6_000),
                ],
            ),
            // Another customer, and c1 on another channel.
            (
                conversation("k3", "oa", "c2"),
                vec![turn("k3", "customer", 9_000)],
            ),
            (
                conversation("k4", "web", "c1"),
                vec![turn("k4", "customer", 8_000)],
            ),
        ];
        for (c, turns) in writes {
            writer.conversation(c, turns).await.unwrap();
        }
        assert_eq!(
            store.last_inbound_at("t", "oa", "c1").await.unwrap(),
            Some(3_000)
        );
        assert_eq!(
            store.last_inbound_at("t", "web", "c1").await.unwrap(),
            Some(8_000)
        );
        assert_eq!(store.last_inbound_at("t", "oa", "c3").await.unwrap(), None);
    }
}
