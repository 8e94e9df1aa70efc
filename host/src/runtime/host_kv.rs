//! `kefu:plugin/kv`: the key/value store scoped to (tenant, plugin), with the quota enforced
//! by the backend in the same transaction as the write.

use super::bindings::kefu::plugin::kv::{Host, KvError};
use super::state::PluginState;
use super::{KvFailure, MAX_KV_KEY_BYTES, MAX_KV_VALUE_BYTES};

fn check_key(key: &str) -> Result<(), KvError> {
    if key.is_empty() {
        return Err(KvError::Invalid("empty key".into()));
    }
    if key.len() > MAX_KV_KEY_BYTES {
        return Err(KvError::Invalid(format!(
            "key longer than {MAX_KV_KEY_BYTES} bytes"
        )));
    }
    Ok(())
}

impl From<KvFailure> for KvError {
    fn from(f: KvFailure) -> Self {
        match f {
            KvFailure::QuotaExceeded => KvError::QuotaExceeded,
            KvFailure::Unavailable(reason) => {
                tracing::warn!(%reason, "plugin key/value store unavailable");
                KvError::Unavailable
            }
        }
    }
}

impl Host for PluginState {
    fn get(&mut self, key: String) -> Result<Option<Vec<u8>>, KvError> {
        check_key(&key)?;
        Ok(self.kv.get(&self.scope, &key)?)
    }

    fn set(&mut self, key: String, value: Vec<u8>) -> Result<(), KvError> {
        check_key(&key)?;
        if value.len() > MAX_KV_VALUE_BYTES {
            return Err(KvError::Invalid(format!(
                "value longer than {MAX_KV_VALUE_BYTES} bytes"
            )));
        }
        Ok(self
            .kv
            .set(&self.scope, &key, &value, self.kv_quota_bytes)?)
    }

    fn delete(&mut self, key: String) -> Result<(), KvError> {
        check_key(&key)?;
        Ok(self.kv.delete(&self.scope, &key)?)
    }

    fn list_keys(&mut self, prefix: String) -> Result<Vec<String>, KvError> {
        Ok(self.kv.list_keys(&self.scope, &prefix, 1000)?)
    }
}

impl super::bindings::kefu::plugin::types::Host for PluginState {}
