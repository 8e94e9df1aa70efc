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

/// What daily totals are kept per: (tenant, plugin, version, day, hook, outcome); the value
/// summed is (calls, duration, fuel).
type TotalKey<'a> = (&'a str, &'a str, &'a str, String, &'a str, &'a str);

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

/// Writes a batch of calls and adds them to the daily totals inside the caller's transaction
/// (the group commit's, see [`super::writer`]).
pub(super) async fn insert_calls(
    conn: &mut sqlx::AnyConnection,
    backend: super::Backend,
    calls: &[CallRecord],
) -> Result<(), StoreError> {
    if calls.is_empty() {
        return Ok(());
    }
    const COLUMNS: usize = 10;
    for chunk in calls.chunks(200) {
        let sql = format!(
            "INSERT INTO plugin_calls (id, tenant_id, plugin_id, version, hook, outcome, \
                 duration_us, fuel, error, at) VALUES {}",
            super::placeholders(backend, chunk.len(), COLUMNS)
        );
        let mut q = sqlx::query(&sql);
        for c in chunk {
            q = q
                .bind(&c.id)
                .bind(&c.tenant_id)
                .bind(&c.plugin_id)
                .bind(&c.version)
                .bind(&c.hook)
                .bind(&c.outcome)
                .bind(c.duration_us)
                .bind(c.fuel)
                .bind(c.error.as_deref())
                .bind(c.at);
        }
        q.execute(&mut *conn).await?;
    }
    let mut totals: std::collections::BTreeMap<TotalKey<'_>, (i64, i64, i64)> =
        std::collections::BTreeMap::new();
    for c in calls {
        let t = totals
            .entry((
                c.tenant_id.as_str(),
                c.plugin_id.as_str(),
                c.version.as_str(),
                day_of(c.at),
                c.hook.as_str(),
                c.outcome.as_str(),
            ))
            .or_default();
        t.0 += 1;
        t.1 += c.duration_us;
        t.2 += c.fuel.unwrap_or(0);
    }
    for ((tenant, plugin, version, day, hook, outcome), (n, duration, fuel)) in &totals {
        sqlx::query(
            "INSERT INTO plugin_usage_daily (tenant_id, plugin_id, version, day, hook, outcome, \
                 calls, duration_us, fuel) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (tenant_id, plugin_id, version, day, hook, outcome) DO UPDATE SET \
                 calls = plugin_usage_daily.calls + excluded.calls, \
                 duration_us = plugin_usage_daily.duration_us + excluded.duration_us, \
                 fuel = plugin_usage_daily.fuel + excluded.fuel",
        )
        .bind(*tenant)
        .bind(*plugin)
        .bind(*version)
        .bind(day)
        .bind(*hook)
        .bind(*outcome)
        .bind(*n)
        .bind(*duration)
        .bind(*fuel)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

impl Store {
    /// Stores a batch of calls and adds them to the daily totals, in one transaction: the
    /// calls as multi-row inserts, the totals summed per tenant × plugin × version × day ×
    /// hook × outcome first, so a batch costs a handful of statements, not two per call (at
    /// thousands of calls a second, per-call statements kept SQLite's write lock away from
    /// the message path).
    pub async fn record_calls(&self, calls: &[CallRecord]) -> Result<(), StoreError> {
        if calls.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool().begin().await?;
        insert_calls(&mut tx, self.backend(), calls).await?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn call(n: usize, hook: &str, outcome: &str, at: i64) -> CallRecord {
        CallRecord {
            id: format!("c{n}"),
            tenant_id: "t".into(),
            plugin_id: "p".into(),
            version: "1.0.0".into(),
            hook: hook.into(),
            outcome: outcome.into(),
            duration_us: 10,
            fuel: Some(100),
            error: None,
            at,
        }
    }

    #[tokio::test]
    async fn a_batch_adds_every_call_to_its_daily_total() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite://{}", dir.path().join("m.db").display()))
            .await
            .unwrap();
        store.create_tenant("t", "T", "UTC").await.unwrap();
        let day1 = 1_795_651_200_000; // 2026-11-26 00:00 UTC
        let mut batch: Vec<CallRecord> = (0..450)
            .map(|n| call(n, "classify", "ok", day1 + n as i64))
            .collect();
        batch.push(call(1000, "classify", "timeout", day1));
        batch.push(call(1001, "respond", "ok", day1 - 1)); // the day before
        store.record_calls(&batch).await.unwrap();
        store
            .record_calls(&[call(2000, "classify", "ok", day1 + 5)])
            .await
            .unwrap();
        let rows = store.usage("t", "2026-11-25", "2026-11-26").await.unwrap();
        let find = |day: &str, hook: &str, outcome: &str| {
            rows.iter()
                .find(|r| r.day == day && r.hook == hook && r.outcome == outcome)
                .unwrap_or_else(|| panic!("{rows:?}"))
                .clone()
        };
        let ok = find("2026-11-26", "classify", "ok");
        assert_eq!((ok.calls, ok.duration_us, ok.fuel), (451, 4510, 45_100));
        assert_eq!(find("2026-11-26", "classify", "timeout").calls, 1);
        assert_eq!(find("2026-11-25", "respond", "ok").calls, 1);
        assert_eq!(rows.len(), 3);
        store.close().await;
    }
}
