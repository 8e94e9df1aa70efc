//! Who is calling: the operator (administers everything) or a tenant (only its own tenant).
//!
//! Keys travel as `Authorization: Bearer KEY`. The operator key is compared in constant time
//! with the configured one; tenant keys are stored as SHA-256 hashes and looked up by hash.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::AppState;
use super::error::ApiError;

/// The authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    Operator,
    Tenant(String),
    /// A human agent of a tenant (SPEC N5): may work the tenant's queues and conversations,
    /// nothing else.
    Agent {
        tenant: String,
        agent: String,
    },
}

impl Caller {
    /// Allows the operator and the tenant itself.
    pub fn require_tenant(&self, tenant: &str) -> Result<(), ApiError> {
        match self {
            Caller::Operator => Ok(()),
            Caller::Tenant(t) if t == tenant => Ok(()),
            Caller::Tenant(_) => Err(ApiError::forbidden(
                "a tenant key can only reach its own tenant",
            )),
            Caller::Agent { .. } => Err(ApiError::forbidden(
                "an agent key can only work queues and conversations",
            )),
        }
    }

    /// For the queue and conversation endpoints: the operator, the tenant's key, or one of
    /// its agents.
    pub fn require_staff(&self, tenant: &str) -> Result<(), ApiError> {
        match self {
            Caller::Agent { tenant: t, .. } if t == tenant => Ok(()),
            Caller::Agent { .. } => Err(ApiError::forbidden(
                "an agent key can only reach its own tenant",
            )),
            other => other.require_tenant(tenant),
        }
    }

    /// Who made a change, for the audit log and turn annotations.
    pub fn actor(&self) -> String {
        match self {
            Caller::Operator => "operator".to_owned(),
            Caller::Tenant(t) => format!("tenant:{t}"),
            Caller::Agent { agent, .. } => format!("agent:{agent}"),
        }
    }

    pub fn require_operator(&self) -> Result<(), ApiError> {
        match self {
            Caller::Operator => Ok(()),
            _ => Err(ApiError::forbidden("this needs the operator key")),
        }
    }
}

/// SHA-256 of a key, hex.
/// Agent keys start with this, so a request costs one key lookup.
pub const AGENT_KEY_PREFIX: &str = "kefu_a_";

pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// A new random key with a readable prefix (`kefu_op_`, `kefu_t_`).
pub fn generate_key(prefix: &str) -> String {
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(ApiError::unauthorized)?;
        let key = header
            .strip_prefix("Bearer ")
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .ok_or_else(ApiError::unauthorized)?;
        let hashed = hash_key(key);
        if constant_time_eq(hashed.as_bytes(), state.operator_key_hash.as_bytes()) {
            return Ok(Caller::Operator);
        }
        if key.starts_with(AGENT_KEY_PREFIX) {
            return match state.store.agent_for_key(&hashed).await? {
                Some(a) => Ok(Caller::Agent {
                    tenant: a.tenant_id,
                    agent: a.id,
                }),
                None => Err(ApiError::unauthorized()),
            };
        }
        match state.store.tenant_for_key(&hashed).await? {
            Some(tenant) => Ok(Caller::Tenant(tenant)),
            None => Err(ApiError::unauthorized()),
        }
    }
}
