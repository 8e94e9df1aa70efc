//! The plugin registry: installing packages, each tenant's enabled plugins, and the warm,
//! compiled plugin versions the pipeline calls.
//!
//! Every change is validated completely before anything is written, so a refused install,
//! enable or configuration leaves the system as it was. Each tenant's active plugin set is
//! cached and rebuilt after any change made through this process, so a cancelled subscription
//! or a disabled plugin takes effect on the tenant's next message.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

use crate::package::{Hook, Manifest, Package, PackageError, ReadLimits, TrustedKeys, Version};
use crate::runtime::{
    InstancePool, Limits, LoadedPlugin, PluginSpec, RequestedLimits, Runtime, RuntimeError,
};
use crate::store::{InstalledVersion, NewVersion, Store, StoreError, TenantPlugin};

/// The contract versions this host serves.
pub const SUPPORTED_CONTRACTS: &[&str] = &["kefu:plugin@0.1.0"];

/// Why a registry operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error(transparent)]
    Package(#[from] PackageError),
    #[error("{0}")]
    Runtime(#[from] RuntimeError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "plugin {plugin} belongs to the paid add-on {addon}; tenant {tenant} has no active subscription to it"
    )]
    SubscriptionRequired {
        tenant: String,
        plugin: String,
        addon: String,
    },
    #[error("the package belongs to add-on {0}, which is not in the catalog")]
    UnknownAddon(String),
    #[error("configuration does not match the plugin's schema: {}", .0.join("; "))]
    InvalidConfig(Vec<String>),
    #[error("{0}")]
    NothingToRollBack(String),
}

/// A plugin the pipeline runs for a tenant.
#[derive(Clone, Debug)]
pub struct ActivePlugin {
    pub plugin: Arc<LoadedPlugin>,
    pub config: Arc<str>,
}

/// A tenant's active plugins in install order; the pipeline picks those with each hook.
#[derive(Clone, Debug, Default)]
pub struct TenantPlugins {
    pub plugins: Vec<ActivePlugin>,
    /// Enabled plugins skipped because their add-on subscription is not active.
    pub skipped: Vec<String>,
}

impl TenantPlugins {
    /// The active plugins implementing `hook`.
    pub fn with_hook(&self, hook: Hook) -> impl Iterator<Item = &ActivePlugin> {
        self.plugins.iter().filter(move |p| p.plugin.has_hook(hook))
    }
}

/// Registry settings.
pub struct RegistryConfig {
    /// Where package data directories are unpacked (one per package hash).
    pub plugins_dir: PathBuf,
    pub trusted_keys: TrustedKeys,
    pub read_limits: ReadLimits,
}

/// See the module docs.
pub struct Registry {
    store: Store,
    pool: InstancePool,
    config: RegistryConfig,
    loaded: Mutex<HashMap<(String, String), Arc<LoadedPlugin>>>,
    /// Manifests of installed versions: reading one from its package means verifying it.
    manifests: Mutex<HashMap<(String, String), Arc<Manifest>>>,
    tenants: RwLock<HashMap<String, Arc<TenantPlugins>>>,
}

impl Registry {
    pub fn new(store: Store, pool: InstancePool, config: RegistryConfig) -> Self {
        Registry {
            store,
            pool,
            config,
            loaded: Mutex::default(),
            manifests: Mutex::default(),
            tenants: RwLock::default(),
        }
    }

    pub fn pool(&self) -> &InstancePool {
        &self.pool
    }

    fn runtime(&self) -> &Runtime {
        self.pool.runtime()
    }

    /// Reads and checks a package completely: structure, hashes, signature, trusted key,
    /// contract, add-on, and that the component compiles and links against this host.
    pub fn check_package(
        &self,
        bytes: &[u8],
    ) -> Result<(Package, Arc<LoadedPlugin>), RegistryError> {
        let package = Package::read(bytes, &self.config.read_limits)?;
        package.check_trusted(&self.config.trusted_keys)?;
        package.manifest.check_contract(SUPPORTED_CONTRACTS)?;
        let loaded = self.load(&package)?;
        Ok((package, loaded))
    }

    fn load(&self, package: &Package) -> Result<Arc<LoadedPlugin>, RegistryError> {
        let m = &package.manifest;
        let data_dir = self.unpack_data(package)?;
        let limits = self.runtime().config().limits.narrowed(&requested(m));
        Ok(self.runtime().load(PluginSpec {
            id: &m.id,
            version: &m.version.to_string(),
            component: &package.component,
            hooks: m.hooks.clone(),
            limits,
            data_dir,
        })?)
    }

    /// Unpacks a package's data files once per package hash.
    fn unpack_data(&self, package: &Package) -> Result<Option<PathBuf>, RegistryError> {
        let dir = self.config.plugins_dir.join(&package.sha256).join("data");
        if dir.is_dir() {
            return Ok(Some(dir));
        }
        let io = |error: std::io::Error| PackageError::Io {
            context: format!("unpacking {} data", package.manifest.id),
            error,
        };
        let staging = self.config.plugins_dir.join(format!(
            "{}.staging-{}",
            package.sha256,
            uuid::Uuid::new_v4()
        ));
        std::fs::create_dir_all(staging.join("data")).map_err(io)?;
        let cap =
            cap_std::fs::Dir::open_ambient_dir(staging.join("data"), cap_std::ambient_authority())
                .map_err(io)?;
        package.write_data(&cap)?;
        drop(cap);
        let final_dir = self.config.plugins_dir.join(&package.sha256);
        if std::fs::rename(&staging, &final_dir).is_err() {
            // Another install of the same package won the race; its files are identical.
            let _ = std::fs::remove_dir_all(&staging);
        }
        Ok(Some(dir))
    }

    /// Installs a package: everything is checked before anything is stored.
    pub async fn install(&self, bytes: &[u8]) -> Result<InstalledVersion, RegistryError> {
        let (package, loaded) = self.check_package(bytes)?;
        let m = &package.manifest;
        if let Some(addon) = &m.addon
            && !self.store.addon_exists(addon).await?
        {
            return Err(RegistryError::UnknownAddon(addon.clone()));
        }
        let hooks: Vec<String> = m.hooks.iter().map(|h| h.as_str().to_owned()).collect();
        let version = m.version.to_string();
        let installed = self
            .store
            .insert_plugin_version(NewVersion {
                plugin_id: &m.id,
                version: &version,
                sha256: &package.sha256,
                name: &m.name,
                addon_id: m.addon.as_deref(),
                hooks: &hooks,
                manifest: &package.manifest_toml,
                key_id: &package.key_id,
                package: bytes,
            })
            .await?;
        self.lock_loaded().insert((m.id.clone(), version), loaded);
        Ok(installed)
    }

    fn lock_loaded(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<(String, String), Arc<LoadedPlugin>>> {
        self.loaded.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A compiled plugin version, loading it from the store when this process has not yet.
    pub async fn loaded(
        &self,
        plugin_id: &str,
        version: &str,
    ) -> Result<Arc<LoadedPlugin>, RegistryError> {
        if let Some(p) = self
            .lock_loaded()
            .get(&(plugin_id.to_owned(), version.to_owned()))
        {
            return Ok(p.clone());
        }
        let bytes = self.store.plugin_package(plugin_id, version).await?;
        // Stored packages are checked again: a key the operator no longer trusts stops loading.
        let (_, loaded) = self.check_package(&bytes)?;
        self.lock_loaded()
            .insert((plugin_id.to_owned(), version.to_owned()), loaded.clone());
        Ok(loaded)
    }

    /// The manifest of an installed version.
    pub async fn manifest(
        &self,
        plugin_id: &str,
        version: &str,
    ) -> Result<Arc<Manifest>, RegistryError> {
        let key = (plugin_id.to_owned(), version.to_owned());
        if let Some(m) = self.lock_manifests().get(&key) {
            return Ok(m.clone());
        }
        let bytes = self.store.plugin_package(plugin_id, version).await?;
        let manifest = Arc::new(Package::read(&bytes, &self.config.read_limits)?.manifest);
        self.lock_manifests().insert(key, manifest.clone());
        Ok(manifest)
    }

    fn lock_manifests(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<(String, String), Arc<Manifest>>> {
        self.manifests.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The newest installed version of a plugin.
    pub async fn latest_version(&self, plugin_id: &str) -> Result<String, RegistryError> {
        let versions = self.store.plugin_versions().await?;
        versions
            .iter()
            .filter(|v| v.plugin_id == plugin_id)
            .filter_map(|v| {
                v.version
                    .parse::<Version>()
                    .ok()
                    .map(|p| (p, v.version.clone()))
            })
            .max_by(|a, b| a.0.cmp(&b.0))
            .map(|(_, v)| v)
            .ok_or_else(|| StoreError::NotFound(format!("plugin {plugin_id}")).into())
    }

    async fn require_subscription(
        &self,
        tenant: &str,
        plugin_id: &str,
        manifest: &Manifest,
    ) -> Result<(), RegistryError> {
        if let Some(addon) = &manifest.addon
            && !self.store.active_addons(tenant).await?.contains(addon)
        {
            return Err(RegistryError::SubscriptionRequired {
                tenant: tenant.to_owned(),
                plugin: plugin_id.to_owned(),
                addon: addon.clone(),
            });
        }
        Ok(())
    }

    /// Enables a plugin for a tenant at `version` (default: the newest installed).
    pub async fn enable(
        &self,
        tenant: &str,
        plugin_id: &str,
        version: Option<&str>,
    ) -> Result<TenantPlugin, RegistryError> {
        self.store.tenant(tenant).await?;
        let version = match version {
            Some(v) => v.to_owned(),
            None => match self.store.tenant_plugin(tenant, plugin_id).await? {
                Some(tp) => tp.version,
                None => self.latest_version(plugin_id).await?,
            },
        };
        let manifest = self.manifest(plugin_id, &version).await?;
        self.require_subscription(tenant, plugin_id, &manifest)
            .await?;
        let existing = self.store.tenant_plugin(tenant, plugin_id).await?;
        let config = existing
            .as_ref()
            .map(|tp| tp.config.clone())
            .unwrap_or_else(|| manifest.default_config());
        manifest
            .validate_config(&config)
            .map_err(RegistryError::InvalidConfig)?;
        self.loaded(plugin_id, &version).await?;
        let previous_version = match &existing {
            Some(tp) if tp.version != version => Some(tp.version.clone()),
            Some(tp) => tp.previous_version.clone(),
            None => None,
        };
        let tp = TenantPlugin {
            tenant_id: tenant.to_owned(),
            plugin_id: plugin_id.to_owned(),
            version,
            previous_version,
            enabled: true,
            config,
            updated_at: 0,
        };
        self.store.put_tenant_plugin(&tp).await?;
        self.invalidate(tenant);
        Ok(self
            .store
            .tenant_plugin(tenant, plugin_id)
            .await?
            .unwrap_or(tp))
    }

    async fn existing(&self, tenant: &str, plugin_id: &str) -> Result<TenantPlugin, RegistryError> {
        self.store
            .tenant_plugin(tenant, plugin_id)
            .await?
            .ok_or_else(|| {
                StoreError::NotFound(format!("plugin {plugin_id} for tenant {tenant}")).into()
            })
    }

    pub async fn disable(
        &self,
        tenant: &str,
        plugin_id: &str,
    ) -> Result<TenantPlugin, RegistryError> {
        let mut tp = self.existing(tenant, plugin_id).await?;
        tp.enabled = false;
        self.store.put_tenant_plugin(&tp).await?;
        self.invalidate(tenant);
        Ok(tp)
    }

    /// Sets a tenant's configuration of a plugin, validated against the manifest's schema.
    pub async fn configure(
        &self,
        tenant: &str,
        plugin_id: &str,
        config: serde_json::Value,
    ) -> Result<TenantPlugin, RegistryError> {
        let mut tp = self.existing(tenant, plugin_id).await?;
        let manifest = self.manifest(plugin_id, &tp.version).await?;
        manifest
            .validate_config(&config)
            .map_err(RegistryError::InvalidConfig)?;
        tp.config = config;
        self.store.put_tenant_plugin(&tp).await?;
        self.invalidate(tenant);
        Ok(tp)
    }

    /// Moves a tenant to another version (default: the newest), keeping the current one for
    /// `rollback`. Calls in flight finish on the version they started with.
    pub async fn upgrade(
        &self,
        tenant: &str,
        plugin_id: &str,
        version: Option<&str>,
    ) -> Result<TenantPlugin, RegistryError> {
        let mut tp = self.existing(tenant, plugin_id).await?;
        let target = match version {
            Some(v) => v.to_owned(),
            None => self.latest_version(plugin_id).await?,
        };
        if target == tp.version {
            return Ok(tp);
        }
        let manifest = self.manifest(plugin_id, &target).await?;
        self.require_subscription(tenant, plugin_id, &manifest)
            .await?;
        manifest
            .validate_config(&tp.config)
            .map_err(RegistryError::InvalidConfig)?;
        self.loaded(plugin_id, &target).await?;
        tp.previous_version = Some(std::mem::replace(&mut tp.version, target));
        self.store.put_tenant_plugin(&tp).await?;
        self.invalidate(tenant);
        Ok(tp)
    }

    /// Returns a tenant to the version it had before the last upgrade, in one step.
    pub async fn rollback(
        &self,
        tenant: &str,
        plugin_id: &str,
    ) -> Result<TenantPlugin, RegistryError> {
        let mut tp = self.existing(tenant, plugin_id).await?;
        let Some(previous) = tp.previous_version.take() else {
            return Err(RegistryError::NothingToRollBack(format!(
                "tenant {tenant} has no earlier version of {plugin_id} to roll back to"
            )));
        };
        self.loaded(plugin_id, &previous).await?;
        tp.previous_version = Some(std::mem::replace(&mut tp.version, previous));
        self.store.put_tenant_plugin(&tp).await?;
        self.invalidate(tenant);
        Ok(tp)
    }

    /// Removes an installed version that no tenant uses.
    pub async fn remove(&self, plugin_id: &str, version: &str) -> Result<(), RegistryError> {
        self.store.delete_plugin_version(plugin_id, version).await?;
        let key = (plugin_id.to_owned(), version.to_owned());
        self.lock_loaded().remove(&key);
        self.lock_manifests().remove(&key);
        self.pool.forget_plugin(&format!("{plugin_id}@{version}"));
        Ok(())
    }

    /// Forgets cached state of a tenant (after any change to its plugins or subscriptions).
    pub fn invalidate(&self, tenant: &str) {
        self.tenants
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(tenant);
    }

    /// The plugins to run for a tenant's next message.
    pub async fn active(&self, tenant: &str) -> Result<Arc<TenantPlugins>, RegistryError> {
        if let Some(t) = self
            .tenants
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(tenant)
        {
            return Ok(t.clone());
        }
        let rows = self.store.tenant_plugins(tenant).await?;
        let addons = self.store.active_addons(tenant).await?;
        let versions = self.store.plugin_versions().await?;
        let mut out = TenantPlugins::default();
        for tp in rows.into_iter().filter(|tp| tp.enabled) {
            let addon = versions
                .iter()
                .find(|v| v.plugin_id == tp.plugin_id && v.version == tp.version)
                .and_then(|v| v.addon_id.clone());
            if let Some(addon) = addon
                && !addons.contains(&addon)
            {
                out.skipped.push(tp.plugin_id.clone());
                continue;
            }
            match self.loaded(&tp.plugin_id, &tp.version).await {
                Ok(plugin) => out.plugins.push(ActivePlugin {
                    plugin,
                    config: Arc::from(tp.config.to_string()),
                }),
                Err(e) => {
                    tracing::error!(tenant, plugin = %tp.plugin_id, error = %e, "cannot load an enabled plugin; skipping it");
                    out.skipped.push(tp.plugin_id.clone());
                }
            }
        }
        let out = Arc::new(out);
        self.tenants
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(tenant.to_owned(), out.clone());
        Ok(out)
    }
}

fn requested(m: &Manifest) -> RequestedLimits {
    RequestedLimits {
        fuel: m.limits.fuel,
        memory_mb: m.limits.memory_mb,
        timeout_ms: m.limits.timeout_ms,
        output_kb: m.limits.output_kb,
        kv_quota_kb: m.limits.kv_quota_kb,
    }
}

/// The limits a manifest ends up with under the operator's defaults.
pub fn effective_limits(defaults: &Limits, m: &Manifest) -> Limits {
    defaults.narrowed(&requested(m))
}
