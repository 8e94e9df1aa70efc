//! Tenants' decision rules and business hours (stored as validated JSON), and the audit log.

use serde::Serialize;
use sqlx::Row;

use super::{Store, StoreError, now_ms};

/// A tenant's rules as stored.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RulesRow {
    pub tenant_id: String,
    pub rules: serde_json::Value,
    pub business_hours: Option<serde_json::Value>,
    /// Increases with every change.
    pub version: i64,
    pub updated_at: i64,
}

/// One audited change.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct AuditRow {
    pub id: String,
    pub tenant_id: String,
    pub actor: String,
    pub action: String,
    pub detail: serde_json::Value,
    pub at: i64,
}

/// Records a configuration change in the audit log, inside the change's transaction.
pub(super) async fn audit(
    tx: &mut sqlx::AnyConnection,
    tenant_id: &str,
    actor: &str,
    action: &str,
    detail: &serde_json::Value,
    at: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (id, tenant_id, actor, action, detail, at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(super::new_id())
    .bind(tenant_id)
    .bind(actor)
    .bind(action)
    .bind(detail.to_string())
    .bind(at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

impl Store {
    pub async fn tenant_rules(&self, tenant_id: &str) -> Result<Option<RulesRow>, StoreError> {
        let row = sqlx::query(
            "SELECT tenant_id, rules, business_hours, version, updated_at FROM tenant_rules WHERE tenant_id = $1",
        )
        .bind(tenant_id)
        .fetch_optional(self.pool())
        .await?;
        let Some(r) = row else { return Ok(None) };
        let rules: String = r.try_get("rules")?;
        let hours: Option<String> = r.try_get("business_hours")?;
        Ok(Some(RulesRow {
            tenant_id: r.try_get("tenant_id")?,
            rules: serde_json::from_str(&rules).unwrap_or(serde_json::Value::Null),
            business_hours: hours.and_then(|h| serde_json::from_str(&h).ok()),
            version: r.try_get("version")?,
            updated_at: r.try_get("updated_at")?,
        }))
    }

    /// Replaces a tenant's rules and business hours and audits the change, in one transaction.
    pub async fn put_tenant_rules(
        &self,
        tenant_id: &str,
        rules: &serde_json::Value,
        business_hours: Option<&serde_json::Value>,
        actor: &str,
    ) -> Result<RulesRow, StoreError> {
        let now = now_ms();
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO tenant_rules (tenant_id, rules, business_hours, version, updated_at) \
             VALUES ($1, $2, $3, 1, $4) ON CONFLICT (tenant_id) DO UPDATE SET rules = excluded.rules, \
             business_hours = excluded.business_hours, version = tenant_rules.version + 1, \
             updated_at = excluded.updated_at",
        )
        .bind(tenant_id)
        .bind(rules.to_string())
        .bind(business_hours.map(|h| h.to_string()))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            tenant_id,
            actor,
            "rules.update",
            &serde_json::json!({"rules": rules.get("rules").and_then(|r| r.as_array()).map(|r| r.len()),
                                "business_hours": business_hours}),
            now,
        )
        .await?;
        tx.commit().await?;
        self.tenant_rules(tenant_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("rules of {tenant_id}")))
    }

    pub async fn audit_log(
        &self,
        tenant_id: &str,
        limit: i64,
    ) -> Result<Vec<AuditRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, tenant_id, actor, action, detail, at FROM audit_log WHERE tenant_id = $1 \
             ORDER BY at DESC, id LIMIT $2",
        )
        .bind(tenant_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let detail: String = r.try_get("detail")?;
                Ok(AuditRow {
                    id: r.try_get("id")?,
                    tenant_id: r.try_get("tenant_id")?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
                    at: r.try_get("at")?,
                })
            })
            .collect()
    }
}
