//! The message path: a tenant's message in, the stages run in order ([`stages`]: normalize →
//! preprocess plugins → classify (a classifier plugin, or the built-in classifier) → analyze
//! plugins → decide (the tenant's rules) → route (human queue or bot) → respond (a rule's reply
//! or plugin, else the respond plugins)), the customer's profile and the conversation updated,
//! the result stored and returned.
//!
//! Each hook call is isolated: a plugin that fails, traps or times out is recorded on the
//! message and metered, and the message goes on without its contribution. Plugins run on a
//! blocking thread (wasm calls are synchronous and bounded by their limits), never on an async
//! worker.

pub mod conversations;
pub mod customers;
pub mod inspect;
pub mod normalize;
pub mod routing;
pub mod rules;
mod stages;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::metering::Meter;
use crate::registry::{Registry, RegistryError};
use crate::runtime::contract::{
    Context, Customer, Field, Message, MessageKind, Owner, Role, Sentiment, Session, Turn,
    parse_role,
};
use crate::runtime::{HookOutput, Outcome};
use crate::store::{Store, StoreError, StoredMessage, TurnRow, Writer, now_ms};

/// What a processed message leaves to store.
pub use crate::store::Processed as Pending;

/// A message as it enters the pipeline.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboundMessage {
    pub channel: String,
    pub customer_id: String,
    pub text: String,
    #[serde(default = "default_kind")]
    pub kind: String,
    /// Unix milliseconds; the time of arrival when absent.
    #[serde(default)]
    pub timestamp: Option<u64>,
    #[serde(default)]
    pub customer: CustomerInfo,
}

fn default_kind() -> String {
    "text".to_owned()
}

/// What the caller knows about the customer.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerInfo {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub segment: Option<String>,
    #[serde(default)]
    pub vip: bool,
    #[serde(default)]
    pub profile: std::collections::BTreeMap<String, String>,
}

impl CustomerInfo {
    /// The customer as the plugin contract carries it.
    pub fn to_contract(&self, id: &str) -> Customer {
        Customer {
            id: id.to_owned(),
            name: self.name.clone(),
            tags: self.tags.clone(),
            segment: self.segment.clone(),
            vip: self.vip,
            profile: self
                .profile
                .iter()
                .map(|(k, v)| Field {
                    key: k.clone(),
                    value: v.clone(),
                })
                .collect(),
        }
    }
}

/// One plugin call on a message.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct StageRecord {
    pub stage: String,
    pub plugin: String,
    pub version: String,
    pub outcome: Outcome,
    pub duration_us: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fuel: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<serde_json::Value>,
}

impl StageRecord {
    /// A built-in step that succeeded, started at `started`.
    pub fn builtin(
        stage: &str,
        started: std::time::Instant,
        output: Option<serde_json::Value>,
    ) -> StageRecord {
        StageRecord {
            stage: stage.to_owned(),
            plugin: "builtin".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            outcome: Outcome::Ok,
            duration_us: started.elapsed().as_micros() as u64,
            fuel: None,
            error: None,
            output,
        }
    }
}

/// A ranked intent.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ScoredIntent {
    pub label: String,
    pub confidence: f32,
}

/// What the analyze stage concluded, merged over plugins.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct AnalysisSummary {
    pub sentiment: Option<String>,
    pub emotion: Option<String>,
    pub tags: Vec<String>,
    pub escalate: bool,
    pub annotations: std::collections::BTreeMap<String, String>,
}

/// A rule handed the conversation to a human queue.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct HandoffOut {
    pub queue: String,
    pub note: Option<String>,
    /// The rule that decided it.
    pub rule: String,
}

/// A tenant's compiled decision rules and business hours.
pub struct TenantRules {
    pub rules: rules::RuleSet,
    /// When a classification is too unsure to act on (threshold and margin).
    pub classifier: crate::classifier::ClassifierConfig,
    pub hours: Option<rules::BusinessHours>,
    pub tenant_name: String,
    pub version: i64,
}

/// The reply chosen for the customer.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ReplyOut {
    pub text: String,
    /// The plugin that answered.
    pub source: String,
    /// What the answering plugin said about its reply (e.g. the script it used).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub annotations: std::collections::BTreeMap<String, String>,
}

/// What the pipeline made of a message; stored with it to explain it later.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PipelineResult {
    pub message_id: String,
    /// The text after preprocessing.
    pub text: String,
    pub original_text: String,
    pub intents: Vec<ScoredIntent>,
    /// The built-in classifier was too unsure (below its threshold, or a near tie).
    #[serde(default)]
    pub intent_fallback: bool,
    pub analysis: AnalysisSummary,
    pub reply: Option<ReplyOut>,
    /// What the tenant's rules decided, when it has rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<rules::Decision>,
    /// Set when a rule or a route handed the conversation to a human queue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handoff: Option<HandoffOut>,
    /// What routing decided, when the tenant has routing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<routing::RouteOut>,
    pub stages: Vec<StageRecord>,
    /// Enabled plugins not run (inactive subscription, failed to load).
    pub skipped_plugins: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("invalid message: {0}")]
    Invalid(String),
    #[error("the pipeline worker failed: {0}")]
    Worker(String),
}

/// The pipeline's dependencies.
#[derive(Clone)]
pub struct Pipeline {
    pub store: Store,
    /// Group-committed writes.
    pub writer: Writer,
    /// Tenants known to exist (tenants are never deleted), to skip a query per message.
    pub known_tenants: Arc<std::sync::RwLock<std::collections::HashSet<String>>>,
    pub conversations: Arc<conversations::Conversations>,
    /// Each tenant's compiled rules (`None`: it has none), loaded at first use.
    pub rules: Arc<std::sync::RwLock<std::collections::HashMap<String, Option<Arc<TenantRules>>>>>,
    /// Each tenant's live routing, loaded at first use.
    pub routing:
        Arc<std::sync::RwLock<std::collections::HashMap<String, Arc<routing::TenantRouting>>>>,
    /// Customer profiles.
    pub customers: Arc<customers::Customers>,
    pub registry: Arc<Registry>,
    pub meter: Meter,
    /// Messages whose plugins may run at once: about one per core. More would only add
    /// threads competing for the same cores — and, because each concurrent call needs an
    /// instance of its own, more instances whose data must be loaded and kept warm.
    pub plugin_slots: Arc<tokio::sync::Semaphore>,
}

/// The default for [`Pipeline::plugin_slots`]: the cores this process may use, at least two.
pub fn default_plugin_slots() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .max(2)
}

/// Largest message text accepted.
pub const MAX_TEXT_BYTES: usize = 16 * 1024;

fn parse_kind(kind: &str) -> Result<MessageKind, PipelineError> {
    Ok(match kind {
        "text" => MessageKind::Text,
        "image" => MessageKind::Image,
        "voice" => MessageKind::Voice,
        "video" => MessageKind::Video,
        "location" => MessageKind::Location,
        "link" => MessageKind::Link,
        "event" => MessageKind::Event,
        other => {
            return Err(PipelineError::Invalid(format!(
                "unknown message kind {other:?}"
            )));
        }
    })
}

impl Pipeline {
    /// Runs a message through the tenant's pipeline and stores the result.
    pub async fn process(
        &self,
        tenant: &str,
        msg: InboundMessage,
    ) -> Result<PipelineResult, PipelineError> {
        let (result, pending) = self.run(tenant, msg).await?;
        self.commit(pending).await?;
        Ok(result)
    }

    /// A tenant's compiled rules, cached until they change.
    pub async fn tenant_rules(&self, tenant: &str) -> Result<Option<Arc<TenantRules>>, StoreError> {
        if let Some(r) = self
            .rules
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(tenant)
        {
            return Ok(r.clone());
        }
        let compiled = match self.store.tenant_rules(tenant).await? {
            Some(row) => {
                let name = self.store.tenant(tenant).await?.name;
                compile_rules(&row.rules, row.business_hours.as_ref(), name, row.version)
                    .map_err(|e| {
                        tracing::error!(tenant, error = %e, "stored rules no longer compile; ignoring them");
                    })
                    .ok()
                    .map(Arc::new)
            }
            None => None,
        };
        self.rules
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(tenant.to_owned(), compiled.clone());
        Ok(compiled)
    }

    /// A tenant's live routing (stable and gray candidate), cached until it changes. A stored
    /// version that no longer validates is logged and ignored.
    pub async fn tenant_routing(
        &self,
        tenant: &str,
    ) -> Result<Arc<routing::TenantRouting>, StoreError> {
        if let Some(r) = self
            .routing
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(tenant)
        {
            return Ok(r.clone());
        }
        let state = self.store.routing_state(tenant).await?;
        let load = |v: i64| async move {
            let row = self.store.routing_version(tenant, v).await?;
            Ok::<_, StoreError>(
                routing::Routing::parse(&row.config, v)
                    .map_err(|e| {
                        tracing::error!(tenant, version = v, error = %e, "stored routing no longer validates; ignoring it");
                    })
                    .ok(),
            )
        };
        let stable = match state.stable {
            Some(v) => load(v).await?,
            None => None,
        };
        let candidate = match state.candidate {
            Some(v) => load(v).await?.map(|r| (r, state.gray_percent)),
            None => None,
        };
        let live = Arc::new(routing::TenantRouting { stable, candidate });
        self.routing
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(tenant.to_owned(), live.clone());
        Ok(live)
    }

    /// Forgets a tenant's cached routing after a change.
    pub fn forget_routing(&self, tenant: &str) {
        self.routing
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(tenant);
    }

    /// Forgets a tenant's cached rules after a change.
    pub fn forget_rules(&self, tenant: &str) {
        self.rules
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(tenant);
    }

    /// Stores what [`Pipeline::run`] produced: the message with its explanation, and the
    /// conversation with its new turns (one group commit).
    pub async fn commit(&self, pending: Pending) -> Result<(), StoreError> {
        self.writer.processed(Some(pending), None).await
    }

    /// Runs the stages without storing: the result, and the record to store (the channels
    /// commit it together with the inbound message's outcome).
    pub async fn run(
        &self,
        tenant: &str,
        msg: InboundMessage,
    ) -> Result<(PipelineResult, Pending), PipelineError> {
        if msg.text.len() > MAX_TEXT_BYTES {
            return Err(PipelineError::Invalid(format!(
                "text is longer than {MAX_TEXT_BYTES} bytes"
            )));
        }
        if msg.channel.is_empty() || msg.customer_id.is_empty() {
            return Err(PipelineError::Invalid(
                "channel and customer_id are required".into(),
            ));
        }
        let kind = parse_kind(&msg.kind)?;
        let known = self
            .known_tenants
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .contains(tenant);
        if !known {
            self.store.tenant(tenant).await?;
            self.known_tenants
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .insert(tenant.to_owned());
        }
        let plugins = self.registry.active(tenant).await?;
        let rules = self.tenant_rules(tenant).await?;
        let routing = self.tenant_routing(tenant).await?;
        let routing = (routing.stable.is_some() || routing.candidate.is_some()).then_some(routing);
        let no_plugins = plugins.plugins.is_empty();
        let stored_customer = self.customers.get(tenant, &msg.customer_id).await?;
        let mut customer =
            customers::merge(stored_customer.as_ref(), &msg.customer, &msg.customer_id);
        let received_at = now_ms();
        let timestamp = msg.timestamp.unwrap_or(received_at as u64);
        let current = self
            .conversations
            .current(
                tenant,
                &msg.channel,
                &msg.customer_id,
                received_at,
                // Only plugins read the session's turns.
                !no_plugins,
            )
            .await?;
        let ctx = Context {
            message: Message {
                tenant: tenant.to_owned(),
                channel: msg.channel.clone(),
                customer_id: msg.customer_id.clone(),
                text: msg.text.clone(),
                kind,
                timestamp,
            },
            customer: CustomerInfo::from(&customer).to_contract(&msg.customer_id),
            session: Session {
                id: current.conversation.id.clone(),
                turns: current.turns.iter().map(contract_turn).collect(),
                intent: current.conversation.intent.clone(),
                owner: if current.conversation.owner == "human" {
                    Owner::Human
                } else {
                    Owner::Bot
                },
            },
            intents: Vec::new(),
            annotations: Vec::new(),
        };
        let registry = self.registry.clone();
        let meter = self.meter.clone();
        let tenant_owned = tenant.to_owned();
        let message_id = crate::store::new_id();
        let id = message_id.clone();
        // Plugins run on a blocking thread; a tenant without any skips the thread hop.
        let run = move || {
            let env = stages::Env {
                registry: &registry,
                meter: &meter,
                tenant: &tenant_owned,
                plugins: &plugins,
                rules: rules.as_deref(),
                routing: routing.as_deref(),
            };
            run_stages(&env, ctx, id)
        };
        let result = if no_plugins {
            run()
        } else {
            let _slot = self
                .plugin_slots
                .acquire()
                .await
                .map_err(|e| PipelineError::Worker(e.to_string()))?;
            tokio::task::spawn_blocking(run)
                .await
                .map_err(|e| PipelineError::Worker(e.to_string()))?
        };
        let mut conversation = current.conversation;
        conversation.last_at = received_at;
        if let Some(h) = &result.handoff {
            conversation.owner = "human".into();
            conversation.queue = Some(h.queue.clone());
            conversation.agent_id = None;
            conversation.queued_at = Some(received_at);
            conversation.claimed_at = None;
        }
        customers::apply(&mut customer, &result);
        let customer = customers::differs(&customer, stored_customer.as_ref()).then(|| {
            customer.updated_at = received_at;
            self.customers.remember(tenant, &customer);
            customer
        });
        if !result.intent_fallback
            && let Some(top) = result.intents.first()
        {
            conversation.intent = Some(top.label.clone());
        }
        let mut turns = vec![TurnRow {
            id: crate::store::new_id(),
            conversation_id: conversation.id.clone(),
            tenant_id: tenant.to_owned(),
            role: "customer".into(),
            text: result.text.clone(),
            at: received_at,
            message_id: Some(message_id.clone()),
            annotations: serde_json::json!({
                "intent": result.intents.first().map(|i| &i.label),
                "confidence": result.intents.first().map(|i| i.confidence),
                "sentiment": result.analysis.sentiment,
                "escalate": result.analysis.escalate,
            }),
        }];
        if let Some(reply) = &result.reply {
            turns.push(TurnRow {
                id: crate::store::new_id(),
                conversation_id: conversation.id.clone(),
                tenant_id: tenant.to_owned(),
                role: "bot".into(),
                text: reply.text.clone(),
                at: received_at + 1,
                message_id: Some(message_id.clone()),
                annotations: serde_json::json!({"source": reply.source}),
            });
        }
        // An agent may have claimed, transferred or closed the conversation while the stages
        // ran: unless this message handed it off, its ownership stays as the agent left it.
        self.conversations
            .remember(&mut conversation, &turns, result.handoff.is_some());
        let pending = Pending {
            message: StoredMessage {
                id: message_id,
                tenant_id: tenant.to_owned(),
                channel: msg.channel,
                customer_id: msg.customer_id,
                text: msg.text,
                received_at,
                result: serde_json::value::to_raw_value(&result)
                    .unwrap_or_else(|_| serde_json::value::RawValue::NULL.to_owned()),
            },
            conversation,
            closed: current.closed,
            turns,
            customer,
        };
        Ok((result, pending))
    }
}

/// Compiles a tenant's rules and business hours, naming the offending rule and field.
pub fn compile_rules(
    rules: &serde_json::Value,
    hours: Option<&serde_json::Value>,
    tenant_name: String,
    version: i64,
) -> Result<TenantRules, rules::RuleError> {
    let mut rules = rules.clone();
    let classifier = match rules.as_object_mut().and_then(|o| o.remove("classifier")) {
        Some(c) if !c.is_null() => parse_classifier_config(&c)?,
        _ => crate::classifier::ClassifierConfig::default(),
    };
    let set = rules::RuleSet::parse_json(&rules)?;
    let hours = match hours {
        Some(h) => Some(
            serde_json::from_value::<rules::BusinessHoursConfig>(h.clone())
                .map_err(|e| rules::RuleError {
                    rule: "business_hours".into(),
                    field: "business_hours".into(),
                    message: e.to_string(),
                })
                .and_then(rules::BusinessHours::new)?,
        ),
        None => None,
    };
    Ok(TenantRules {
        rules: set,
        classifier,
        hours,
        tenant_name,
        version,
    })
}

/// A tenant's classifier settings (`{"threshold": 0.4, "min_margin": 0.1}`), both in [0, 1].
pub fn parse_classifier_config(
    value: &serde_json::Value,
) -> Result<crate::classifier::ClassifierConfig, rules::RuleError> {
    let bad = |field: &str, message: String| rules::RuleError {
        rule: String::new(),
        field: format!("classifier{field}"),
        message,
    };
    let c: crate::classifier::ClassifierConfig =
        serde_json::from_value(value.clone()).map_err(|e| bad("", e.to_string()))?;
    if !(0.0..=1.0).contains(&c.threshold) {
        return Err(bad(".threshold", "must be between 0 and 1".into()));
    }
    if !(0.0..=1.0).contains(&c.min_margin) {
        return Err(bad(".min_margin", "must be between 0 and 1".into()));
    }
    Ok(c)
}

fn contract_turn(t: &conversations::ContextTurn) -> Turn {
    Turn {
        role: parse_role(&t.role).unwrap_or(Role::Bot),
        text: t.text.clone(),
        timestamp: t.at as u64,
    }
}

pub(crate) fn sentiment_name(s: Sentiment) -> &'static str {
    match s {
        Sentiment::Negative => "negative",
        Sentiment::Neutral => "neutral",
        Sentiment::Positive => "positive",
    }
}

/// A hook's result as JSON (for stored explanations and the plugin harness).
pub fn output_json(output: &HookOutput) -> serde_json::Value {
    use serde_json::json;
    let fields = |f: &[Field]| -> serde_json::Value {
        f.iter()
            .map(|f| (f.key.clone(), json!(f.value)))
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    match output {
        HookOutput::Preprocess(t) => json!({ "text": t }),
        HookOutput::Classify(v) => json!(
            v.iter()
                .map(|s| json!({"label": s.label, "confidence": s.confidence}))
                .collect::<Vec<_>>()
        ),
        HookOutput::Analyze(a) => json!({
            "sentiment": a.sentiment.map(sentiment_name),
            "emotion": a.emotion,
            "tags": a.tags,
            "escalate": a.escalate,
            "annotations": fields(&a.annotations),
        }),
        HookOutput::Respond(r) => json!(r.as_ref().map(|r| json!({
            "text": r.text,
            "annotations": fields(&r.annotations),
        }))),
        HookOutput::Inspect(i) => json!({
            "findings": i.findings.iter().map(|f| json!({
                "kind": f.kind, "turn_index": f.turn_index, "detail": f.detail,
                "severity": match f.severity {
                    crate::runtime::contract::Severity::Low => "low",
                    crate::runtime::contract::Severity::Medium => "medium",
                    crate::runtime::contract::Severity::High => "high",
                },
            })).collect::<Vec<_>>(),
            "annotations": fields(&i.annotations),
        }),
    }
}

fn run_stages(env: &stages::Env<'_>, ctx: Context, message_id: String) -> PipelineResult {
    let original_text = ctx.message.text.clone();
    let mut work = stages::Work {
        ctx,
        before_preprocess: None,
        intent_fallback: false,
        analysis: AnalysisSummary::default(),
        reply: None,
        decision: None,
        handoff: None,
        respond_with: None,
        route: None,
        stages: Vec::new(),
    };
    stages::run_all(env, &mut work);
    PipelineResult {
        message_id,
        text: work.ctx.message.text,
        original_text,
        intents: work
            .ctx
            .intents
            .iter()
            .map(|s| ScoredIntent {
                label: s.label.clone(),
                confidence: s.confidence,
            })
            .collect(),
        intent_fallback: work.intent_fallback,
        analysis: work.analysis,
        reply: work.reply,
        decision: work.decision,
        handoff: work.handoff,
        route: work.route,
        stages: work.stages,
        skipped_plugins: env.plugins.skipped.clone(),
    }
}
