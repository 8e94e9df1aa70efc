//! Human agents (SPEC N5): each with a key of its own and the queues it serves.

use serde::Serialize;
use sqlx::Row;

use super::{Store, StoreError};

/// An agent (its key is only ever stored hashed).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct AgentRow {
    pub tenant_id: String,
    pub id: String,
    pub name: String,
    #[serde(skip)]
    pub key_hash: String,
    pub queues: Vec<String>,
    pub active: bool,
    pub created_at: i64,
}

fn agent_from(r: &sqlx::any::AnyRow) -> Result<AgentRow, StoreError> {
    let queues: String = r.try_get("queues")?;
    let active: i64 = r.try_get("active")?;
    Ok(AgentRow {
        tenant_id: r.try_get("tenant_id")?,
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        key_hash: r.try_get("key_hash")?,
        queues: serde_json::from_str(&queues).unwrap_or_default(),
        active: active != 0,
        created_at: r.try_get("created_at")?,
    })
}

const AGENT_COLUMNS: &str = "tenant_id, id, name, key_hash, queues, active, created_at";

impl Store {
    /// Adds an agent; an existing id is a conflict.
    pub async fn insert_agent(&self, a: &AgentRow) -> Result<(), StoreError> {
        let r = sqlx::query(&format!(
            "INSERT INTO agents ({AGENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        ))
        .bind(&a.tenant_id)
        .bind(&a.id)
        .bind(&a.name)
        .bind(&a.key_hash)
        .bind(serde_json::to_string(&a.queues).unwrap_or_else(|_| "[]".into()))
        .bind(i64::from(a.active))
        .bind(a.created_at)
        .execute(self.pool())
        .await;
        match r {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(StoreError::Conflict(
                format!("agent {} already exists", a.id),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// Changes an agent's name, queues, active flag or key.
    pub async fn update_agent(&self, a: &AgentRow) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE agents SET name = $1, key_hash = $2, queues = $3, active = $4 \
             WHERE tenant_id = $5 AND id = $6",
        )
        .bind(&a.name)
        .bind(&a.key_hash)
        .bind(serde_json::to_string(&a.queues).unwrap_or_else(|_| "[]".into()))
        .bind(i64::from(a.active))
        .bind(&a.tenant_id)
        .bind(&a.id)
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("agent {}", a.id)));
        }
        Ok(())
    }

    pub async fn agent(&self, tenant_id: &str, id: &str) -> Result<AgentRow, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {AGENT_COLUMNS} FROM agents WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("agent {id}")))?;
        agent_from(&row)
    }

    pub async fn agents(&self, tenant_id: &str) -> Result<Vec<AgentRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {AGENT_COLUMNS} FROM agents WHERE tenant_id = $1 ORDER BY id"
        ))
        .bind(tenant_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(agent_from).collect()
    }

    /// The active agent a key belongs to.
    pub async fn agent_for_key(&self, key_hash: &str) -> Result<Option<AgentRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {AGENT_COLUMNS} FROM agents WHERE key_hash = $1 AND active = 1"
        ))
        .bind(key_hash)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(agent_from).transpose()
    }
}
