//! The plugins' key/value data, behind the runtime's [`KvBackend`] trait.
//!
//! The runtime calls it from the blocking thread that runs the plugin, so each operation
//! blocks on the async pool through the captured runtime handle.

use sqlx::Row;
use tokio::runtime::Handle;

use super::{Store, StoreError};
use crate::runtime::{KvBackend, KvFailure, PluginScope};

/// Key/value storage in the database, one row per key.
#[derive(Clone)]
pub struct DbKv {
    store: Store,
    handle: Handle,
}

impl DbKv {
    /// Must be created inside the Tokio runtime whose pool it uses.
    pub fn new(store: Store) -> Self {
        DbKv {
            store,
            handle: Handle::current(),
        }
    }
}

fn unavailable(e: impl std::fmt::Display) -> KvFailure {
    KvFailure::Unavailable(e.to_string())
}

impl Store {
    pub async fn kv_get(
        &self,
        scope: &PluginScope,
        key: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let row = sqlx::query(
            "SELECT value FROM plugin_kv WHERE tenant_id = $1 AND plugin_id = $2 AND key = $3",
        )
        .bind(&scope.tenant)
        .bind(&scope.plugin)
        .bind(key)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| r.try_get("value")).transpose()?)
    }

    /// Writes a value unless the scope's total size would exceed `quota`. The check and the
    /// write are one statement (SQLite serialises writers; PostgreSQL also takes a per-scope
    /// advisory lock), so concurrent writers cannot both slip under the quota.
    pub async fn kv_set(
        &self,
        scope: &PluginScope,
        key: &str,
        value: &[u8],
        quota: u64,
    ) -> Result<bool, StoreError> {
        let size = (key.len() + value.len()) as i64;
        let mut tx = self.pool().begin().await?;
        if self.backend() == super::Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
                .bind(format!("{}\u{1f}{}", scope.tenant, scope.plugin))
                .execute(&mut *tx)
                .await?;
        }
        let res = sqlx::query(
            "INSERT INTO plugin_kv (tenant_id, plugin_id, key, value, size) \
             SELECT $1, $2, $3, $4, $5 WHERE \
             (SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM plugin_kv \
              WHERE tenant_id = $6 AND plugin_id = $7 AND key <> $8) + $9 <= $10 \
             ON CONFLICT (tenant_id, plugin_id, key) DO UPDATE SET value = excluded.value, size = excluded.size",
        )
        .bind(&scope.tenant)
        .bind(&scope.plugin)
        .bind(key)
        .bind(value)
        .bind(size)
        .bind(&scope.tenant)
        .bind(&scope.plugin)
        .bind(key)
        .bind(size)
        .bind(i64::try_from(quota).unwrap_or(i64::MAX))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(res.rows_affected() > 0)
    }

    pub async fn kv_delete(&self, scope: &PluginScope, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM plugin_kv WHERE tenant_id = $1 AND plugin_id = $2 AND key = $3")
            .bind(&scope.tenant)
            .bind(&scope.plugin)
            .bind(key)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn kv_keys(
        &self,
        scope: &PluginScope,
        prefix: &str,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        // Prefix match without LIKE, whose escaping differs between the two databases.
        let rows = sqlx::query(
            "SELECT key FROM plugin_kv WHERE tenant_id = $1 AND plugin_id = $2 \
             AND substr(key, 1, CAST($3 AS INTEGER)) = $4 ORDER BY key LIMIT $5",
        )
        .bind(&scope.tenant)
        .bind(&scope.plugin)
        .bind(prefix.chars().count() as i64)
        .bind(prefix)
        .bind(limit as i64)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| r.try_get("key"))
            .collect::<Result<_, _>>()?)
    }

    /// Total bytes a scope uses.
    pub async fn kv_usage(&self, scope: &PluginScope) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) AS total FROM plugin_kv WHERE tenant_id = $1 AND plugin_id = $2",
        )
        .bind(&scope.tenant)
        .bind(&scope.plugin)
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get("total")?)
    }
}

impl KvBackend for DbKv {
    fn get(&self, scope: &PluginScope, key: &str) -> Result<Option<Vec<u8>>, KvFailure> {
        self.handle
            .block_on(self.store.kv_get(scope, key))
            .map_err(unavailable)
    }

    fn set(
        &self,
        scope: &PluginScope,
        key: &str,
        value: &[u8],
        quota: u64,
    ) -> Result<(), KvFailure> {
        match self
            .handle
            .block_on(self.store.kv_set(scope, key, value, quota))
        {
            Ok(true) => Ok(()),
            Ok(false) => Err(KvFailure::QuotaExceeded),
            Err(e) => Err(unavailable(e)),
        }
    }

    fn delete(&self, scope: &PluginScope, key: &str) -> Result<(), KvFailure> {
        self.handle
            .block_on(self.store.kv_delete(scope, key))
            .map_err(unavailable)
    }

    fn list_keys(
        &self,
        scope: &PluginScope,
        prefix: &str,
        limit: usize,
    ) -> Result<Vec<String>, KvFailure> {
        self.handle
            .block_on(self.store.kv_keys(scope, prefix, limit))
            .map_err(unavailable)
    }
}
