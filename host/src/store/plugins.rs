//! Installed plugin versions (the package bytes live in the database, so every replica of a
//! scaled-out deployment sees the same ones) and each tenant's enablement and configuration.

use serde::Serialize;
use sqlx::Row;

use super::{Store, StoreError, now_ms};

/// An installed plugin version.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct InstalledVersion {
    pub plugin_id: String,
    pub version: String,
    pub sha256: String,
    pub name: String,
    pub addon_id: Option<String>,
    pub hooks: Vec<String>,
    pub key_id: String,
    pub installed_at: i64,
}

/// A plugin as one tenant has it.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TenantPlugin {
    pub tenant_id: String,
    pub plugin_id: String,
    pub version: String,
    /// The version `rollback` returns to.
    pub previous_version: Option<String>,
    pub enabled: bool,
    pub config: serde_json::Value,
    pub updated_at: i64,
}

const VERSION_COLUMNS: &str =
    "plugin_id, version, sha256, name, addon_id, hooks, key_id, installed_at";

fn version_from(row: &sqlx::any::AnyRow) -> Result<InstalledVersion, sqlx::Error> {
    let hooks: String = row.try_get("hooks")?;
    Ok(InstalledVersion {
        plugin_id: row.try_get("plugin_id")?,
        version: row.try_get("version")?,
        sha256: row.try_get("sha256")?,
        name: row.try_get("name")?,
        addon_id: row.try_get("addon_id")?,
        hooks: serde_json::from_str(&hooks).unwrap_or_default(),
        key_id: row.try_get("key_id")?,
        installed_at: row.try_get("installed_at")?,
    })
}

fn tenant_plugin_from(row: &sqlx::any::AnyRow) -> Result<TenantPlugin, sqlx::Error> {
    let config: String = row.try_get("config")?;
    let enabled: i64 = row.try_get("enabled")?;
    Ok(TenantPlugin {
        tenant_id: row.try_get("tenant_id")?,
        plugin_id: row.try_get("plugin_id")?,
        version: row.try_get("version")?,
        previous_version: row.try_get("previous_version")?,
        enabled: enabled != 0,
        config: serde_json::from_str(&config).unwrap_or_else(|_| serde_json::json!({})),
        updated_at: row.try_get("updated_at")?,
    })
}

const TENANT_PLUGIN_COLUMNS: &str =
    "tenant_id, plugin_id, version, previous_version, enabled, config, updated_at";

/// A new version to record.
pub struct NewVersion<'a> {
    pub plugin_id: &'a str,
    pub version: &'a str,
    pub sha256: &'a str,
    pub name: &'a str,
    pub addon_id: Option<&'a str>,
    pub hooks: &'a [String],
    pub manifest: &'a str,
    pub key_id: &'a str,
    pub package: &'a [u8],
}

impl Store {
    /// Records an installed version; `Conflict` if that version exists with other content.
    /// Installing the identical package again is a no-op.
    pub async fn insert_plugin_version(
        &self,
        v: NewVersion<'_>,
    ) -> Result<InstalledVersion, StoreError> {
        if let Some(existing) = self.plugin_version(v.plugin_id, v.version).await? {
            if existing.sha256 == v.sha256 {
                return Ok(existing);
            }
            return Err(StoreError::Conflict(format!(
                "{}@{} is already installed with different content; bump the version",
                v.plugin_id, v.version
            )));
        }
        sqlx::query(
            "INSERT INTO plugin_versions (plugin_id, version, sha256, name, addon_id, hooks, \
             manifest, key_id, package, installed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(v.plugin_id)
        .bind(v.version)
        .bind(v.sha256)
        .bind(v.name)
        .bind(v.addon_id)
        .bind(serde_json::to_string(v.hooks).unwrap_or_default())
        .bind(v.manifest)
        .bind(v.key_id)
        .bind(v.package)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        self.plugin_version(v.plugin_id, v.version)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("{}@{}", v.plugin_id, v.version)))
    }

    pub async fn plugin_version(
        &self,
        plugin_id: &str,
        version: &str,
    ) -> Result<Option<InstalledVersion>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {VERSION_COLUMNS} FROM plugin_versions WHERE plugin_id = $1 AND version = $2"
        ))
        .bind(plugin_id)
        .bind(version)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.as_ref().map(version_from).transpose()?)
    }

    /// The stored package file of a version.
    pub async fn plugin_package(
        &self,
        plugin_id: &str,
        version: &str,
    ) -> Result<Vec<u8>, StoreError> {
        let row = sqlx::query(
            "SELECT package FROM plugin_versions WHERE plugin_id = $1 AND version = $2",
        )
        .bind(plugin_id)
        .bind(version)
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("plugin {plugin_id}@{version}")))?;
        Ok(row.try_get("package")?)
    }

    /// Every installed version, by plugin and install time.
    pub async fn plugin_versions(&self) -> Result<Vec<InstalledVersion>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {VERSION_COLUMNS} FROM plugin_versions ORDER BY plugin_id, installed_at"
        ))
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(version_from).collect::<Result<_, _>>()?)
    }

    /// Deletes an installed version. Refused while a tenant uses it.
    pub async fn delete_plugin_version(
        &self,
        plugin_id: &str,
        version: &str,
    ) -> Result<(), StoreError> {
        let users = sqlx::query(
            "SELECT tenant_id FROM tenant_plugins WHERE plugin_id = $1 \
             AND (version = $2 OR previous_version = $2)",
        )
        .bind(plugin_id)
        .bind(version)
        .fetch_all(self.pool())
        .await?;
        if !users.is_empty() {
            let names: Vec<String> = users
                .iter()
                .filter_map(|r| r.try_get::<String, _>("tenant_id").ok())
                .collect();
            return Err(StoreError::Conflict(format!(
                "{plugin_id}@{version} is in use by tenant(s) {}; disable or upgrade them first",
                names.join(", ")
            )));
        }
        let res = sqlx::query("DELETE FROM plugin_versions WHERE plugin_id = $1 AND version = $2")
            .bind(plugin_id)
            .bind(version)
            .execute(self.pool())
            .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!(
                "plugin {plugin_id}@{version}"
            )));
        }
        Ok(())
    }

    pub async fn tenant_plugin(
        &self,
        tenant_id: &str,
        plugin_id: &str,
    ) -> Result<Option<TenantPlugin>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {TENANT_PLUGIN_COLUMNS} FROM tenant_plugins WHERE tenant_id = $1 AND plugin_id = $2"
        ))
        .bind(tenant_id)
        .bind(plugin_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.as_ref().map(tenant_plugin_from).transpose()?)
    }

    pub async fn tenant_plugins(&self, tenant_id: &str) -> Result<Vec<TenantPlugin>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {TENANT_PLUGIN_COLUMNS} FROM tenant_plugins WHERE tenant_id = $1 ORDER BY plugin_id"
        ))
        .bind(tenant_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(tenant_plugin_from)
            .collect::<Result<_, _>>()?)
    }

    /// Every tenant's enabled plugins (for warming the registry at start-up).
    pub async fn all_tenant_plugins(&self) -> Result<Vec<TenantPlugin>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {TENANT_PLUGIN_COLUMNS} FROM tenant_plugins ORDER BY tenant_id, plugin_id"
        ))
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(tenant_plugin_from)
            .collect::<Result<_, _>>()?)
    }

    /// Inserts or replaces a tenant's plugin row.
    pub async fn put_tenant_plugin(&self, tp: &TenantPlugin) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO tenant_plugins (tenant_id, plugin_id, version, previous_version, enabled, \
             config, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (tenant_id, plugin_id) DO UPDATE SET version = excluded.version, \
             previous_version = excluded.previous_version, enabled = excluded.enabled, \
             config = excluded.config, updated_at = excluded.updated_at",
        )
        .bind(&tp.tenant_id)
        .bind(&tp.plugin_id)
        .bind(&tp.version)
        .bind(tp.previous_version.as_deref())
        .bind(i64::from(tp.enabled))
        .bind(tp.config.to_string())
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
