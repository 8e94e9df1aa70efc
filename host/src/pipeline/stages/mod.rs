//! The stages of the message path: a closed set, one file each, one signature
//! (`run(env, work) -> Result<(), StageError>`), dispatched from [`run_all`] in order:
//! normalize → preprocess → classify → analyze → decide → route → respond.
//!
//! A stage reads and extends the [`Work`] of one message: the contract `Context` the plugins
//! see (text, customer, session, ranked intents, annotations), the merged analysis, the reply,
//! and the record of every step (plugin calls and built-in steps alike) that explains the
//! message afterwards.

mod analyze;
mod classify;
pub(super) mod decide;
mod normalize;
mod preprocess;
mod respond;
mod route;

use crate::metering::Meter;
use crate::registry::{ActivePlugin, Registry, TenantPlugins};
use crate::runtime::contract::Context;
use crate::runtime::{CallReport, HookCall, Outcome};

use super::routing::{RouteOut, TenantRouting};
use super::rules::Decision;
use super::{AnalysisSummary, HandoffOut, ReplyOut, StageRecord, TenantRules, output_json};

/// Everything a stage may use besides the message.
pub struct Env<'a> {
    pub registry: &'a Registry,
    pub meter: &'a Meter,
    pub tenant: &'a str,
    pub plugins: &'a TenantPlugins,
    /// The tenant's decision rules, if it has any.
    pub rules: Option<&'a TenantRules>,
    /// The tenant's live routing, if it has any.
    pub routing: Option<&'a TenantRouting>,
}

/// One message on its way through the stages.
pub struct Work {
    pub ctx: Context,
    /// The normalised text before a preprocess plugin rewrote it, if one did.
    pub before_preprocess: Option<String>,
    /// Whether the intent came from the built-in classifier's fallback (too unsure).
    pub intent_fallback: bool,
    pub analysis: AnalysisSummary,
    pub reply: Option<ReplyOut>,
    /// What the decision rules concluded.
    pub decision: Option<Decision>,
    /// A rule handed the conversation to a queue.
    pub handoff: Option<HandoffOut>,
    /// A rule or a route named the respond plugin that should answer.
    pub respond_with: Option<String>,
    /// What routing decided.
    pub route: Option<RouteOut>,
    pub stages: Vec<StageRecord>,
}

/// Why a stage could not do its work. Plugin failures are not stage errors: they are recorded
/// and the stage goes on without that plugin.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    #[error("{stage}: {message}")]
    Failed {
        stage: &'static str,
        message: String,
    },
}

/// The stages, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Normalize,
    Preprocess,
    Classify,
    Analyze,
    Decide,
    Route,
    Respond,
}

impl Stage {
    pub const ORDER: [Stage; 7] = [
        Stage::Normalize,
        Stage::Preprocess,
        Stage::Classify,
        Stage::Analyze,
        Stage::Decide,
        Stage::Route,
        Stage::Respond,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Stage::Normalize => "normalize",
            Stage::Preprocess => "preprocess",
            Stage::Classify => "classify",
            Stage::Analyze => "analyze",
            Stage::Decide => "decide",
            Stage::Route => "route",
            Stage::Respond => "respond",
        }
    }

    fn run(self, env: &Env<'_>, work: &mut Work) -> Result<(), StageError> {
        match self {
            Stage::Normalize => normalize::run(env, work),
            Stage::Preprocess => preprocess::run(env, work),
            Stage::Classify => classify::run(env, work),
            Stage::Analyze => analyze::run(env, work),
            Stage::Decide => decide::run(env, work),
            Stage::Route => route::run(env, work),
            Stage::Respond => respond::run(env, work),
        }
    }
}

/// Runs every stage in order. A stage that fails — or panics, which would be a host bug — is
/// recorded on the message and the next stage still runs.
pub fn run_all(env: &Env<'_>, work: &mut Work) {
    for stage in Stage::ORDER {
        let result =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| stage.run(env, work)))
                .unwrap_or_else(|panic| {
                    let message = panic
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_owned())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "panicked".to_owned());
                    Err(StageError::Failed {
                        stage: stage.name(),
                        message,
                    })
                });
        if let Err(e) = result {
            tracing::error!(tenant = env.tenant, stage = stage.name(), error = %e, "stage failed");
            work.stages.push(StageRecord {
                stage: stage.name().to_owned(),
                plugin: "builtin".into(),
                version: env!("CARGO_PKG_VERSION").into(),
                outcome: Outcome::Error,
                duration_us: 0,
                fuel: None,
                error: Some(e.to_string()),
                output: None,
            });
        }
    }
}

/// Calls one plugin's hook, meters it and records it on the message.
pub(super) fn call_plugin(
    env: &Env<'_>,
    p: &ActivePlugin,
    call: HookCall,
    work: &mut Work,
) -> CallReport {
    let ts = work.ctx.message.timestamp;
    let report = env
        .registry
        .pool()
        .call(&p.plugin, env.tenant, call, ts, p.config.clone());
    env.meter
        .record_blocking(env.tenant, &p.plugin.id, &p.plugin.version, &report);
    if report.outcome != Outcome::Ok {
        tracing::warn!(tenant = env.tenant, plugin = %p.plugin.key(), hook = report.hook.as_str(),
            outcome = report.outcome.as_str(), error = ?report.error, "plugin call failed");
    }
    work.stages.push(StageRecord {
        stage: report.hook.as_str().to_owned(),
        plugin: p.plugin.id.clone(),
        version: p.plugin.version.clone(),
        outcome: report.outcome,
        duration_us: report.duration.as_micros() as u64,
        fuel: report.fuel,
        error: report.error.clone(),
        output: report.output.as_ref().map(output_json),
    });
    report
}
