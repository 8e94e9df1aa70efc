//! Session inspection (SPEC Q1, A3): every enabled inspect plugin reads a whole conversation —
//! each turn with its role and time — and the customer, and reports findings (a missing
//! closing, forbidden wording, a missed escalation, a response timeout, the CSAT risk), each
//! pointing at the turn that proves it. Run when an agent closes a conversation and on
//! request; every result is stored with the conversation.

use crate::package::Hook;
use crate::runtime::contract::{Owner, Role, Session, Turn, parse_role};
use crate::runtime::{HookCall, HookOutput};
use crate::store::{InspectionRow, StoreError, now_ms};

use super::{CustomerInfo, Pipeline, PipelineError, output_json};

/// Turns an inspection reads at most.
pub const MAX_TURNS: i64 = 1000;

impl Pipeline {
    /// Inspects a conversation with every enabled inspect plugin and stores the results.
    pub async fn inspect(
        &self,
        tenant: &str,
        conversation_id: &str,
    ) -> Result<Vec<InspectionRow>, PipelineError> {
        let conversation = self.store.conversation(tenant, conversation_id).await?;
        let turns = self.store.turns(conversation_id, MAX_TURNS).await?;
        let plugins = self.registry.active(tenant).await?;
        let stored = self
            .customers
            .get(tenant, &conversation.customer_id)
            .await?;
        let customer = stored
            .as_ref()
            .map(CustomerInfo::from)
            .unwrap_or_default()
            .to_contract(&conversation.customer_id);
        let session = Session {
            id: conversation.id.clone(),
            turns: turns
                .iter()
                .map(|t| Turn {
                    role: parse_role(&t.role).unwrap_or(Role::Bot),
                    text: t.text.clone(),
                    timestamp: t.at.max(0) as u64,
                })
                .collect(),
            intent: conversation.intent.clone(),
            owner: if conversation.owner == "human" {
                Owner::Human
            } else {
                Owner::Bot
            },
        };
        let registry = self.registry.clone();
        let meter = self.meter.clone();
        let tenant_owned = tenant.to_owned();
        let now = now_ms();
        let rows = tokio::task::spawn_blocking(move || {
            plugins
                .with_hook(Hook::Inspect)
                .map(|p| {
                    let r = registry.pool().call(
                        &p.plugin,
                        &tenant_owned,
                        HookCall::Inspect(session.clone(), customer.clone()),
                        now as u64,
                        p.config.clone(),
                    );
                    meter.record_blocking(&tenant_owned, &p.plugin.id, &p.plugin.version, &r);
                    let result = match &r.output {
                        Some(out @ HookOutput::Inspect(_)) => output_json(out),
                        _ => serde_json::json!({"error": r.error}),
                    };
                    InspectionRow {
                        id: crate::store::new_id(),
                        tenant_id: tenant_owned.clone(),
                        conversation_id: session.id.clone(),
                        plugin: p.plugin.id.clone(),
                        version: p.plugin.version.clone(),
                        outcome: r.outcome.as_str().to_owned(),
                        result,
                        at: now,
                    }
                })
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|e| PipelineError::Worker(e.to_string()))?;
        for row in &rows {
            self.store
                .insert_inspection(row)
                .await
                .map_err(PipelineError::Store)?;
        }
        Ok(rows)
    }

    /// The stored inspections of a conversation, newest first.
    pub async fn inspections(
        &self,
        tenant: &str,
        conversation_id: &str,
    ) -> Result<Vec<InspectionRow>, StoreError> {
        self.store.conversation(tenant, conversation_id).await?;
        self.store.inspections(tenant, conversation_id).await
    }
}
