//! Warm instances, per (tenant, plugin version).
//!
//! The lifecycle strategy: an instance serves one tenant and one plugin version. After a call
//! it goes back to the pool unless it trapped or reached its call limit, so the data the plugin
//! loaded in `init` serves the next message without reloading. Instances are never shared across
//! tenants, so nothing a plugin keeps in memory can leak from one business to another. The pool
//! keeps at most `max_warm_instances` idle instances in all (least recently used go first) and
//! drops those idle longer than `instance_idle`: memory stays bounded however many tenants
//! there are, and a cold tenant pays one instantiation and `init` on its next message.
//!
//! An upgrade loads a new [`LoadedPlugin`]; the key includes the version, so calls in flight
//! finish on the old instances, which are simply never checked in again under the new key.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::instance::{CallReport, HookCall, Instance, Outcome};
use super::{KvBackend, LoadedPlugin, PluginScope, Runtime};

type PoolKey = (String, String);

/// Counters describing the pool, for `/metrics`.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct PoolStats {
    pub idle: usize,
    pub created: u64,
    pub reused: u64,
    pub discarded: u64,
    pub evicted: u64,
}

/// Checks instances out for a call and back in afterwards.
pub struct InstancePool {
    runtime: Runtime,
    kv: Arc<dyn KvBackend>,
    inner: Mutex<PoolInner>,
}

#[derive(Default)]
struct PoolInner {
    idle: HashMap<PoolKey, Vec<Instance>>,
    stats: PoolStats,
    last_sweep: Option<Instant>,
}

impl InstancePool {
    pub fn new(runtime: Runtime, kv: Arc<dyn KvBackend>) -> Self {
        InstancePool {
            runtime,
            kv,
            inner: Mutex::default(),
        }
    }

    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PoolInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs one hook of `plugin` for `tenant`. Blocking: call it from a blocking thread.
    pub fn call(
        &self,
        plugin: &Arc<LoadedPlugin>,
        tenant: &str,
        call: HookCall,
        timestamp_ms: u64,
        config_json: Arc<str>,
    ) -> CallReport {
        let key = (tenant.to_owned(), plugin.key());
        let checked_out = {
            let mut inner = self.lock();
            let found = inner.idle.get_mut(&key).and_then(Vec::pop);
            if found.is_some() {
                inner.stats.reused += 1;
                inner.stats.idle -= 1;
            }
            found
        };
        let started = Instant::now();
        let mut instance = match checked_out {
            Some(i) => i,
            None => {
                let scope = PluginScope {
                    tenant: tenant.to_owned(),
                    plugin: plugin.id.clone(),
                };
                match self.runtime.instantiate(plugin, scope, self.kv.clone()) {
                    Ok(i) => {
                        self.lock().stats.created += 1;
                        i
                    }
                    Err(e) => {
                        return CallReport::failed(
                            call.hook(),
                            Outcome::Trap,
                            started,
                            e.to_string(),
                        );
                    }
                }
            }
        };
        let report = instance.call(call, timestamp_ms, config_json);
        self.check_in(key, instance);
        report
    }

    fn check_in(&self, key: PoolKey, instance: Instance) {
        let cfg = self.runtime.config();
        let mut inner = self.lock();
        if !instance.reusable(cfg.max_calls_per_instance) {
            inner.stats.discarded += 1;
            return;
        }
        inner.idle.entry(key).or_default().push(instance);
        inner.stats.idle += 1;
        let now = Instant::now();
        let sweep_due = inner
            .last_sweep
            .is_none_or(|t| now.duration_since(t) > cfg.instance_idle / 10);
        if sweep_due {
            inner.last_sweep = Some(now);
            let idle_limit = cfg.instance_idle;
            let mut evicted = 0;
            inner.idle.retain(|_, list| {
                let before = list.len();
                list.retain(|i| now.duration_since(i.last_used) < idle_limit);
                evicted += before - list.len();
                !list.is_empty()
            });
            inner.stats.idle -= evicted;
            inner.stats.evicted += evicted as u64;
        }
        while inner.stats.idle > cfg.max_warm_instances {
            let oldest = inner
                .idle
                .iter()
                .flat_map(|(k, list)| {
                    list.iter()
                        .enumerate()
                        .map(move |(n, i)| (k, n, i.last_used))
                })
                .min_by_key(|(_, _, t)| *t)
                .map(|(k, n, _)| (k.clone(), n));
            let Some((k, n)) = oldest else { break };
            if let Some(list) = inner.idle.get_mut(&k) {
                list.swap_remove(n);
                if list.is_empty() {
                    inner.idle.remove(&k);
                }
            }
            inner.stats.idle -= 1;
            inner.stats.evicted += 1;
        }
    }

    /// Drops every idle instance of a plugin version (after an uninstall or a rollback).
    pub fn forget_plugin(&self, plugin_key: &str) {
        let mut inner = self.lock();
        let mut removed = 0;
        inner.idle.retain(|(_, p), list| {
            if p == plugin_key {
                removed += list.len();
                false
            } else {
                true
            }
        });
        inner.stats.idle -= removed;
        inner.stats.evicted += removed as u64;
    }

    pub fn stats(&self) -> PoolStats {
        self.lock().stats
    }
}
