//! Customer profiles: name, tags, segment, VIP and free profile fields per tenant. Filled from
//! what the channels and the admin API say about a customer, and from the pipeline's decisions
//! (rule actions that tag or set a field, analyze plugins that segment a customer).

use std::collections::BTreeMap;

use serde::Serialize;
use sqlx::Row;

use super::{Store, StoreError};

/// A stored customer.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct CustomerRow {
    pub customer_id: String,
    pub name: Option<String>,
    pub tags: Vec<String>,
    pub segment: Option<String>,
    pub vip: bool,
    pub profile: BTreeMap<String, String>,
    pub updated_at: i64,
}

fn customer_from(r: &sqlx::any::AnyRow) -> Result<CustomerRow, StoreError> {
    let tags: String = r.try_get("tags")?;
    let profile: String = r.try_get("profile")?;
    let vip: i64 = r.try_get("vip")?;
    Ok(CustomerRow {
        customer_id: r.try_get("customer_id")?,
        name: r.try_get("name")?,
        tags: serde_json::from_str(&tags).unwrap_or_default(),
        segment: r.try_get("segment")?,
        vip: vip != 0,
        profile: serde_json::from_str(&profile).unwrap_or_default(),
        updated_at: r.try_get("updated_at")?,
    })
}

impl Store {
    /// A tenant's customer, if it has been stored.
    pub async fn customer(
        &self,
        tenant_id: &str,
        customer_id: &str,
    ) -> Result<Option<CustomerRow>, StoreError> {
        let row = sqlx::query(
            "SELECT customer_id, name, tags, segment, vip, profile, updated_at FROM customers \
             WHERE tenant_id = $1 AND customer_id = $2",
        )
        .bind(tenant_id)
        .bind(customer_id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(customer_from).transpose()
    }

    /// A tenant's customers, most recently updated first.
    pub async fn customers(
        &self,
        tenant_id: &str,
        limit: i64,
    ) -> Result<Vec<CustomerRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT customer_id, name, tags, segment, vip, profile, updated_at FROM customers \
             WHERE tenant_id = $1 ORDER BY updated_at DESC, customer_id LIMIT $2",
        )
        .bind(tenant_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(customer_from).collect()
    }

    /// Creates or replaces a customer.
    pub async fn put_customer(&self, tenant_id: &str, c: &CustomerRow) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO customers (tenant_id, customer_id, name, tags, segment, vip, profile, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (tenant_id, customer_id) DO UPDATE SET name = excluded.name, \
             tags = excluded.tags, segment = excluded.segment, vip = excluded.vip, \
             profile = excluded.profile, updated_at = excluded.updated_at",
        )
        .bind(tenant_id)
        .bind(&c.customer_id)
        .bind(&c.name)
        .bind(serde_json::to_string(&c.tags).unwrap_or_else(|_| "[]".into()))
        .bind(&c.segment)
        .bind(i64::from(c.vip))
        .bind(serde_json::to_string(&c.profile).unwrap_or_else(|_| "{}".into()))
        .bind(c.updated_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
