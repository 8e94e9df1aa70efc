//! Versioned routing configurations (SPEC N4): every saved configuration is a new version;
//! one is live (`stable`), a newer one may be in gray rollout (`candidate`, reaching
//! `gray_percent` % of customers), and `previous` is where a rollback of the live version
//! returns. Every change is audited in the same transaction.

use serde::Serialize;
use sqlx::Row;

use super::rules::audit;
use super::{Store, StoreError, now_ms};

/// One saved routing configuration.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RoutingVersion {
    pub version: i64,
    pub config: serde_json::Value,
    pub note: Option<String>,
    pub created_by: String,
    pub created_at: i64,
}

/// Which versions are in use.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct RoutingState {
    pub stable: Option<i64>,
    pub candidate: Option<i64>,
    pub gray_percent: u8,
    pub previous: Option<i64>,
    pub updated_at: i64,
}

/// A change to a tenant's routing.
#[derive(Clone, Debug)]
pub enum RoutingChange {
    /// Save a new version (already validated). Without a live version it goes live at once;
    /// otherwise it becomes the candidate, rolled out to `gray_percent` % (100 = promote now).
    Create {
        config: serde_json::Value,
        note: Option<String>,
        gray_percent: u8,
    },
    /// Change the candidate's share.
    Gray { percent: u8 },
    /// Make the candidate the live version.
    Promote,
    /// One step back: withdraw the candidate if there is one, else return to the previous
    /// live version.
    Rollback,
}

fn state_from(r: &sqlx::any::AnyRow) -> Result<RoutingState, StoreError> {
    let gray: i64 = r.try_get("gray_percent")?;
    Ok(RoutingState {
        stable: r.try_get("stable")?,
        candidate: r.try_get("candidate")?,
        gray_percent: gray.clamp(0, 100) as u8,
        previous: r.try_get("previous")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn version_from(r: &sqlx::any::AnyRow) -> Result<RoutingVersion, StoreError> {
    let config: String = r.try_get("config")?;
    Ok(RoutingVersion {
        version: r.try_get("version")?,
        config: serde_json::from_str(&config).unwrap_or(serde_json::Value::Null),
        note: r.try_get("note")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
    })
}

impl Store {
    pub async fn routing_state(&self, tenant_id: &str) -> Result<RoutingState, StoreError> {
        let row = sqlx::query(
            "SELECT stable, candidate, gray_percent, previous, updated_at FROM routing_state WHERE tenant_id = $1",
        )
        .bind(tenant_id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref()
            .map(state_from)
            .transpose()
            .map(Option::unwrap_or_default)
    }

    pub async fn routing_version(
        &self,
        tenant_id: &str,
        version: i64,
    ) -> Result<RoutingVersion, StoreError> {
        let row = sqlx::query(
            "SELECT version, config, note, created_by, created_at FROM routing_configs \
             WHERE tenant_id = $1 AND version = $2",
        )
        .bind(tenant_id)
        .bind(version)
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("routing version {version}")))?;
        version_from(&row)
    }

    /// Every version, newest first.
    pub async fn routing_versions(
        &self,
        tenant_id: &str,
    ) -> Result<Vec<RoutingVersion>, StoreError> {
        let rows = sqlx::query(
            "SELECT version, config, note, created_by, created_at FROM routing_configs \
             WHERE tenant_id = $1 ORDER BY version DESC",
        )
        .bind(tenant_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(version_from).collect()
    }

    /// Applies a change and audits it; returns the new state. A change that makes no sense
    /// (promoting without a candidate, rolling back with nowhere to go) is a conflict and
    /// changes nothing.
    pub async fn change_routing(
        &self,
        tenant_id: &str,
        change: RoutingChange,
        actor: &str,
    ) -> Result<RoutingState, StoreError> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT stable, candidate, gray_percent, previous, updated_at FROM routing_state WHERE tenant_id = $1",
        )
        .bind(tenant_id)
        .fetch_optional(&mut *tx)
        .await?;
        let before = row
            .as_ref()
            .map(state_from)
            .transpose()?
            .unwrap_or_default();
        let mut s = before.clone();
        let (action, detail) = match change {
            RoutingChange::Create {
                config,
                note,
                gray_percent,
            } => {
                let max: Option<i64> = sqlx::query(
                    "SELECT MAX(version) AS v FROM routing_configs WHERE tenant_id = $1",
                )
                .bind(tenant_id)
                .fetch_one(&mut *tx)
                .await?
                .try_get("v")?;
                let version = max.unwrap_or(0) + 1;
                sqlx::query(
                    "INSERT INTO routing_configs (tenant_id, version, config, note, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(tenant_id)
                .bind(version)
                .bind(config.to_string())
                .bind(&note)
                .bind(actor)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if s.stable.is_none() || gray_percent >= 100 {
                    if s.stable.is_some() {
                        s.previous = s.stable;
                    }
                    s.stable = Some(version);
                    s.candidate = None;
                    s.gray_percent = 0;
                } else {
                    s.candidate = Some(version);
                    s.gray_percent = gray_percent;
                }
                (
                    "routing.create",
                    serde_json::json!({"version": version, "note": note, "gray_percent": gray_percent}),
                )
            }
            RoutingChange::Gray { percent } => {
                let Some(c) = s.candidate else {
                    return Err(StoreError::Conflict(
                        "no routing version is in gray rollout".into(),
                    ));
                };
                s.gray_percent = percent.min(100);
                (
                    "routing.gray",
                    serde_json::json!({"candidate": c, "gray_percent": s.gray_percent}),
                )
            }
            RoutingChange::Promote => {
                let Some(c) = s.candidate else {
                    return Err(StoreError::Conflict(
                        "no routing version is in gray rollout".into(),
                    ));
                };
                s.previous = s.stable;
                s.stable = Some(c);
                s.candidate = None;
                s.gray_percent = 0;
                ("routing.promote", serde_json::json!({"version": c}))
            }
            RoutingChange::Rollback => {
                if let Some(c) = s.candidate {
                    s.candidate = None;
                    s.gray_percent = 0;
                    (
                        "routing.rollback",
                        serde_json::json!({"withdrawn": c, "live": s.stable}),
                    )
                } else if let Some(p) = s.previous {
                    let from = s.stable;
                    s.stable = Some(p);
                    s.previous = None;
                    (
                        "routing.rollback",
                        serde_json::json!({"from": from, "live": p}),
                    )
                } else {
                    return Err(StoreError::Conflict(
                        "nothing to roll back: no candidate and no previous live version".into(),
                    ));
                }
            }
        };
        s.updated_at = now;
        sqlx::query(
            "INSERT INTO routing_state (tenant_id, stable, candidate, gray_percent, previous, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id) DO UPDATE SET \
             stable = excluded.stable, candidate = excluded.candidate, \
             gray_percent = excluded.gray_percent, previous = excluded.previous, \
             updated_at = excluded.updated_at",
        )
        .bind(tenant_id)
        .bind(s.stable)
        .bind(s.candidate)
        .bind(i64::from(s.gray_percent))
        .bind(s.previous)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let mut detail = detail;
        detail["before"] = serde_json::to_value(&before).unwrap_or_default();
        audit(&mut tx, tenant_id, actor, action, &detail, now).await?;
        tx.commit().await?;
        Ok(s)
    }
}
