//! An in-memory [`KvBackend`], for `kefu plugin run` and tests: same semantics and quota as
//! the database-backed store, nothing persisted.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::{KvBackend, KvFailure, PluginScope};

type Scoped = BTreeMap<String, Vec<u8>>;

/// Key/value data held in memory, per scope.
#[derive(Default)]
pub struct MemoryKv {
    data: Mutex<BTreeMap<(String, String), Scoped>>,
}

impl MemoryKv {
    fn with<R>(&self, scope: &PluginScope, f: impl FnOnce(&mut Scoped) -> R) -> R {
        let mut data = self.data.lock().unwrap_or_else(|p| p.into_inner());
        f(data
            .entry((scope.tenant.clone(), scope.plugin.clone()))
            .or_default())
    }
}

impl KvBackend for MemoryKv {
    fn get(&self, scope: &PluginScope, key: &str) -> Result<Option<Vec<u8>>, KvFailure> {
        Ok(self.with(scope, |m| m.get(key).cloned()))
    }

    fn set(
        &self,
        scope: &PluginScope,
        key: &str,
        value: &[u8],
        quota: u64,
    ) -> Result<(), KvFailure> {
        self.with(scope, |m| {
            let others: usize = m
                .iter()
                .filter(|(k, _)| k.as_str() != key)
                .map(|(k, v)| k.len() + v.len())
                .sum();
            if (others + key.len() + value.len()) as u64 > quota {
                return Err(KvFailure::QuotaExceeded);
            }
            m.insert(key.to_owned(), value.to_vec());
            Ok(())
        })
    }

    fn delete(&self, scope: &PluginScope, key: &str) -> Result<(), KvFailure> {
        self.with(scope, |m| m.remove(key));
        Ok(())
    }

    fn list_keys(
        &self,
        scope: &PluginScope,
        prefix: &str,
        limit: usize,
    ) -> Result<Vec<String>, KvFailure> {
        Ok(self.with(scope, |m| {
            m.keys()
                .filter(|k| k.starts_with(prefix))
                .take(limit)
                .cloned()
                .collect()
        }))
    }
}
