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

    /// Creates or replaces a customer (outside the message path, which writes through the
    /// group-commit writer).
    pub async fn put_customer(&self, tenant_id: &str, c: &CustomerRow) -> Result<(), StoreError> {
        let mut conn = self.pool().acquire().await?;
        upsert_customers(&mut conn, self.backend(), &[(tenant_id, c)]).await
    }
}

/// Creates or replaces customers; when one appears several times, the last state wins.
pub(super) async fn upsert_customers(
    conn: &mut sqlx::AnyConnection,
    backend: super::Backend,
    customers: &[(&str, &CustomerRow)],
) -> Result<(), StoreError> {
    // PostgreSQL refuses to update one row twice in a statement: keep each key's last state.
    let mut latest: Vec<(&str, &CustomerRow)> = Vec::with_capacity(customers.len());
    for &(t, c) in customers {
        match latest
            .iter_mut()
            .find(|(lt, lc)| *lt == t && lc.customer_id == c.customer_id)
        {
            Some(slot) => *slot = (t, c),
            None => latest.push((t, c)),
        }
    }
    const COLUMNS: usize = 8;
    for chunk in latest.chunks(200) {
        let sql = format!(
            "INSERT INTO customers (tenant_id, customer_id, name, tags, segment, vip, profile, updated_at) \
             VALUES {} ON CONFLICT (tenant_id, customer_id) DO UPDATE SET name = excluded.name, \
             tags = excluded.tags, segment = excluded.segment, vip = excluded.vip, \
             profile = excluded.profile, updated_at = excluded.updated_at",
            super::placeholders(backend, chunk.len(), COLUMNS)
        );
        let mut q = sqlx::query(&sql);
        for (t, c) in chunk {
            q = q
                .bind(*t)
                .bind(&c.customer_id)
                .bind(&c.name)
                .bind(serde_json::to_string(&c.tags).unwrap_or_else(|_| "[]".into()))
                .bind(&c.segment)
                .bind(i64::from(c.vip))
                .bind(serde_json::to_string(&c.profile).unwrap_or_else(|_| "{}".into()))
                .bind(c.updated_at);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}
