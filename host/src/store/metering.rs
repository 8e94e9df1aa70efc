//! Metered plugin calls: one row per call, and daily totals per tenant × plugin × version ×
//! hook × outcome, written together in batches.

use serde::Serialize;
use sqlx::Row;

use super::{Store, StoreError, day_of};

/// One plugin call, as metered.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CallRecord {
    pub id: String,
    pub tenant_id: String,
    pub plugin_id: String,
    pub version: String,
    pub hook: String,
    pub outcome: String,
    pub duration_us: i64,
    pub fuel: Option<i64>,
    pub error: Option<String>,
    /// When the call started, unix milliseconds.
    pub at: i64,
}

/// Daily totals.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct UsageRow {
    pub tenant_id: String,
    pub plugin_id: String,
    pub version: String,
    pub day: String,
    pub hook: String,
    pub outcome: String,
    pub calls: i64,
    pub duration_us: i64,
    pub fuel: i64,
}

impl Store {
    /// Stores a batch of calls and adds them to the daily totals, in one transaction.
    pub async fn record_calls(&self, calls: &[CallRecord]) -> Result<(), StoreError> {
        if calls.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool().begin().await?;
        for c in calls {
            sqlx::query(
                "INSERT INTO plugin_calls (id, tenant_id, plugin_id, version, hook, outcome, \
                 duration_us, fuel, error, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&c.id)
            .bind(&c.tenant_id)
            .bind(&c.plugin_id)
            .bind(&c.version)
            .bind(&c.hook)
            .bind(&c.outcome)
            .bind(c.duration_us)
            .bind(c.fuel)
            .bind(c.error.as_deref())
            .bind(c.at)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO plugin_usage_daily (tenant_id, plugin_id, version, day, hook, outcome, \
                 calls, duration_us, fuel) VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8) \
                 ON CONFLICT (tenant_id, plugin_id, version, day, hook, outcome) DO UPDATE SET \
                 calls = plugin_usage_daily.calls + 1, \
                 duration_us = plugin_usage_daily.duration_us + excluded.duration_us, \
                 fuel = plugin_usage_daily.fuel + excluded.fuel",
            )
            .bind(&c.tenant_id)
            .bind(&c.plugin_id)
            .bind(&c.version)
            .bind(day_of(c.at))
            .bind(&c.hook)
            .bind(&c.outcome)
            .bind(c.duration_us)
            .bind(c.fuel.unwrap_or(0))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Daily totals of a tenant between two days (inclusive, `YYYY-MM-DD`).
    pub async fn usage(
        &self,
        tenant_id: &str,
        from_day: &str,
        to_day: &str,
    ) -> Result<Vec<UsageRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT tenant_id, plugin_id, version, day, hook, outcome, calls, duration_us, fuel \
             FROM plugin_usage_daily WHERE tenant_id = $1 AND day >= $2 AND day <= $3 \
             ORDER BY day, plugin_id, version, hook, outcome",
        )
        .bind(tenant_id)
        .bind(from_day)
        .bind(to_day)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(UsageRow {
                    tenant_id: r.try_get("tenant_id")?,
                    plugin_id: r.try_get("plugin_id")?,
                    version: r.try_get("version")?,
                    day: r.try_get("day")?,
                    hook: r.try_get("hook")?,
                    outcome: r.try_get("outcome")?,
                    calls: r.try_get("calls")?,
                    duration_us: r.try_get("duration_us")?,
                    fuel: r.try_get("fuel")?,
                })
            })
            .collect()
    }

    /// A tenant's most recent calls, newest first.
    pub async fn recent_calls(
        &self,
        tenant_id: &str,
        limit: i64,
    ) -> Result<Vec<CallRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, tenant_id, plugin_id, version, hook, outcome, duration_us, fuel, error, at \
             FROM plugin_calls WHERE tenant_id = $1 ORDER BY at DESC, id LIMIT $2",
        )
        .bind(tenant_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CallRecord {
                    id: r.try_get("id")?,
                    tenant_id: r.try_get("tenant_id")?,
                    plugin_id: r.try_get("plugin_id")?,
                    version: r.try_get("version")?,
                    hook: r.try_get("hook")?,
                    outcome: r.try_get("outcome")?,
                    duration_us: r.try_get("duration_us")?,
                    fuel: r.try_get("fuel")?,
                    error: r.try_get("error")?,
                    at: r.try_get("at")?,
                })
            })
            .collect()
    }
}
