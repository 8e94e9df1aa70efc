//! Tenants, their API keys, the add-on catalog and subscriptions.

use serde::Serialize;
use sqlx::Row;

use super::{Store, StoreError, now_ms};

/// A business using Kefu.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Tenant {
    pub id: String,
    pub name: String,
    pub timezone: String,
    pub created_at: i64,
}

/// A paid add-on in the catalog.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Addon {
    pub id: String,
    pub name: String,
    pub description: String,
    /// Price in the currency's smallest unit (分 for CNY).
    pub price_cents: i64,
    pub currency: String,
    /// `month`, `year` or `once`.
    pub period: String,
}

/// A tenant's subscription to an add-on.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Subscription {
    pub id: String,
    pub tenant_id: String,
    pub addon_id: String,
    /// `active` or `cancelled`.
    pub status: String,
    pub started_at: i64,
    pub cancelled_at: Option<i64>,
}

fn tenant_from(row: &sqlx::any::AnyRow) -> Result<Tenant, sqlx::Error> {
    Ok(Tenant {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        timezone: row.try_get("timezone")?,
        created_at: row.try_get("created_at")?,
    })
}

fn subscription_from(row: &sqlx::any::AnyRow) -> Result<Subscription, sqlx::Error> {
    Ok(Subscription {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        addon_id: row.try_get("addon_id")?,
        status: row.try_get("status")?,
        started_at: row.try_get("started_at")?,
        cancelled_at: row.try_get("cancelled_at")?,
    })
}

impl Store {
    /// Creates a tenant; `Conflict` when the id is taken.
    pub async fn create_tenant(
        &self,
        id: &str,
        name: &str,
        timezone: &str,
    ) -> Result<Tenant, StoreError> {
        let tenant = Tenant {
            id: id.to_owned(),
            name: name.to_owned(),
            timezone: timezone.to_owned(),
            created_at: now_ms(),
        };
        let res = sqlx::query(
            "INSERT INTO tenants (id, name, timezone, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&tenant.id)
        .bind(&tenant.name)
        .bind(&tenant.timezone)
        .bind(tenant.created_at)
        .execute(self.pool())
        .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!("tenant {id} already exists")));
        }
        Ok(tenant)
    }

    pub async fn tenant(&self, id: &str) -> Result<Tenant, StoreError> {
        let row = sqlx::query("SELECT id, name, timezone, created_at FROM tenants WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("tenant {id}")))?;
        Ok(tenant_from(&row)?)
    }

    pub async fn tenants(&self) -> Result<Vec<Tenant>, StoreError> {
        let rows = sqlx::query("SELECT id, name, timezone, created_at FROM tenants ORDER BY id")
            .fetch_all(self.pool())
            .await?;
        Ok(rows.iter().map(tenant_from).collect::<Result<_, _>>()?)
    }

    /// Stores the hash of a new tenant API key.
    pub async fn add_api_key(
        &self,
        tenant_id: &str,
        key_hash: &str,
        prefix: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO api_keys (key_hash, tenant_id, prefix, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(key_hash)
        .bind(tenant_id)
        .bind(prefix)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The tenant a key hash belongs to, if the key is live.
    pub async fn tenant_for_key(&self, key_hash: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT tenant_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL",
        )
        .bind(key_hash)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| r.try_get("tenant_id")).transpose()?)
    }

    /// Revokes every key of a tenant except `keep`.
    pub async fn revoke_other_keys(&self, tenant_id: &str, keep: &str) -> Result<u64, StoreError> {
        let res = sqlx::query(
            "UPDATE api_keys SET revoked_at = $1 WHERE tenant_id = $2 AND key_hash <> $3 \
             AND revoked_at IS NULL",
        )
        .bind(now_ms())
        .bind(tenant_id)
        .bind(keep)
        .execute(self.pool())
        .await?;
        Ok(res.rows_affected())
    }

    pub async fn addons(&self) -> Result<Vec<Addon>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, name, description, price_cents, currency, period FROM addons ORDER BY id",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Addon {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    description: r.try_get("description")?,
                    price_cents: r.try_get("price_cents")?,
                    currency: r.try_get("currency")?,
                    period: r.try_get("period")?,
                })
            })
            .collect()
    }

    pub async fn addon_exists(&self, id: &str) -> Result<bool, StoreError> {
        Ok(sqlx::query("SELECT id FROM addons WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .is_some())
    }

    /// Subscribes a tenant to an add-on. Subscribing again while active is a `Conflict`.
    pub async fn subscribe(
        &self,
        tenant_id: &str,
        addon_id: &str,
    ) -> Result<Subscription, StoreError> {
        if !self.addon_exists(addon_id).await? {
            return Err(StoreError::NotFound(format!("add-on {addon_id}")));
        }
        let sub = Subscription {
            id: super::new_id(),
            tenant_id: tenant_id.to_owned(),
            addon_id: addon_id.to_owned(),
            status: "active".to_owned(),
            started_at: now_ms(),
            cancelled_at: None,
        };
        // One statement, so two concurrent subscribes cannot both succeed.
        let res = sqlx::query(
            "INSERT INTO subscriptions (id, tenant_id, addon_id, status, started_at) \
             SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM subscriptions \
             WHERE tenant_id = $6 AND addon_id = $7 AND status = 'active')",
        )
        .bind(&sub.id)
        .bind(&sub.tenant_id)
        .bind(&sub.addon_id)
        .bind(&sub.status)
        .bind(sub.started_at)
        .bind(tenant_id)
        .bind(addon_id)
        .execute(self.pool())
        .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!(
                "tenant {tenant_id} already has an active subscription to {addon_id}"
            )));
        }
        Ok(sub)
    }

    /// Cancels the tenant's active subscription to an add-on.
    pub async fn cancel_subscription(
        &self,
        tenant_id: &str,
        addon_id: &str,
    ) -> Result<Subscription, StoreError> {
        let now = now_ms();
        let res = sqlx::query(
            "UPDATE subscriptions SET status = 'cancelled', cancelled_at = $1 \
             WHERE tenant_id = $2 AND addon_id = $3 AND status = 'active'",
        )
        .bind(now)
        .bind(tenant_id)
        .bind(addon_id)
        .execute(self.pool())
        .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!(
                "active subscription of {tenant_id} to {addon_id}"
            )));
        }
        let row = sqlx::query(
            "SELECT id, tenant_id, addon_id, status, started_at, cancelled_at FROM subscriptions \
             WHERE tenant_id = $1 AND addon_id = $2 AND cancelled_at = $3",
        )
        .bind(tenant_id)
        .bind(addon_id)
        .bind(now)
        .fetch_one(self.pool())
        .await?;
        Ok(subscription_from(&row)?)
    }

    pub async fn subscriptions(&self, tenant_id: &str) -> Result<Vec<Subscription>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, tenant_id, addon_id, status, started_at, cancelled_at FROM subscriptions \
             WHERE tenant_id = $1 ORDER BY started_at, id",
        )
        .bind(tenant_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(subscription_from)
            .collect::<Result<_, _>>()?)
    }

    /// The add-ons a tenant has an active subscription to.
    pub async fn active_addons(&self, tenant_id: &str) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT addon_id FROM subscriptions WHERE tenant_id = $1 AND status = 'active'",
        )
        .bind(tenant_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| r.try_get("addon_id"))
            .collect::<Result<_, _>>()?)
    }
}
