//! Processed messages with the result of every stage, so a conversation can be explained.

use serde::Serialize;
use sqlx::Row;

use super::{Store, StoreError};

/// A stored message and what the pipeline made of it.
#[derive(Clone, Debug, Serialize)]
pub struct StoredMessage {
    pub id: String,
    pub tenant_id: String,
    pub channel: String,
    pub customer_id: String,
    pub text: String,
    pub received_at: i64,
    /// The pipeline's result, serialised once when the message is processed (a JSON object).
    pub result: Box<serde_json::value::RawValue>,
}

impl Store {
    pub async fn message(&self, tenant_id: &str, id: &str) -> Result<StoredMessage, StoreError> {
        let r = sqlx::query(
            "SELECT id, tenant_id, channel, customer_id, text, received_at, result FROM messages \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("message {id}")))?;
        let result: String = r.try_get("result")?;
        Ok(StoredMessage {
            id: r.try_get("id")?,
            tenant_id: r.try_get("tenant_id")?,
            channel: r.try_get("channel")?,
            customer_id: r.try_get("customer_id")?,
            text: r.try_get("text")?,
            received_at: r.try_get("received_at")?,
            result: serde_json::value::RawValue::from_string(result)
                .unwrap_or_else(|_| serde_json::value::RawValue::NULL.to_owned()),
        })
    }
}

/// Inserts processed messages, one statement per 256.
pub(super) async fn insert_messages(
    conn: &mut sqlx::AnyConnection,
    backend: super::Backend,
    messages: &[&StoredMessage],
) -> Result<(), StoreError> {
    const COLUMNS: usize = 7;
    for chunk in messages.chunks(256) {
        let sql = format!(
            "INSERT INTO messages (id, tenant_id, channel, customer_id, text, received_at, result) \
             VALUES {}",
            super::placeholders(backend, chunk.len(), COLUMNS)
        );
        let mut q = sqlx::query(&sql);
        for m in chunk {
            q = q
                .bind(&m.id)
                .bind(&m.tenant_id)
                .bind(&m.channel)
                .bind(&m.customer_id)
                .bind(&m.text)
                .bind(m.received_at)
                .bind(m.result.get());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}
