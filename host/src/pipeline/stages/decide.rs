//! Decide: the tenant's decision rules (see [`crate::pipeline::rules`]) choose a strategy —
//! reply from a template, ask, hand off to a queue, or let a named plugin answer — and tag the
//! customer or set profile fields. No rules, or no match, leaves the default path (the respond
//! plugins).

use std::collections::BTreeMap;
use std::time::Instant;

use super::{Env, StageError, Work};
use crate::pipeline::rules::{CustomerFacts, RuleInput, Strategy};
use crate::pipeline::{HandoffOut, ReplyOut, StageRecord};

/// What a handoff says to the customer when the rule gives no note.
pub const DEFAULT_HANDOFF_NOTICE: &str = "正在为您转接人工客服，请稍候。";

pub(super) fn run(env: &Env<'_>, work: &mut Work) -> Result<(), StageError> {
    let Some(rules) = env.rules else {
        return Ok(());
    };
    let started = Instant::now();
    let profile: BTreeMap<String, String> = work
        .ctx
        .customer
        .profile
        .iter()
        .map(|f| (f.key.clone(), f.value.clone()))
        .collect();
    let top = work.ctx.intents.first();
    let decision = rules.rules.evaluate(&RuleInput {
        text: &work.ctx.message.text,
        intent: top.map(|i| (i.label.as_str(), i.confidence)),
        fallback: work.intent_fallback,
        customer: CustomerFacts {
            name: work.ctx.customer.name.as_deref(),
            tags: &work.ctx.customer.tags,
            segment: work.ctx.customer.segment.as_deref(),
            vip: work.ctx.customer.vip,
            profile: &profile,
        },
        sentiment: work.analysis.sentiment.as_deref(),
        escalate: work.analysis.escalate,
        channel: &work.ctx.message.channel,
        now_ms: work.ctx.message.timestamp as i64,
        business_hours: rules.hours.as_ref(),
        tenant_name: &rules.tenant_name,
    });
    let rule = decision.matched.first().cloned().unwrap_or_default();
    // A human owns the conversation: the rules may still tag the customer, but the bot says
    // nothing and hands nothing off.
    let human = work.ctx.session.owner == crate::runtime::contract::Owner::Human;
    match decision.action.as_ref().filter(|_| !human) {
        Some(Strategy::Reply { text }) | Some(Strategy::Ask { question: text }) => {
            work.reply = Some(ReplyOut {
                text: text.clone(),
                source: format!("rule:{rule}"),
                annotations: Default::default(),
            });
        }
        Some(Strategy::Handoff { queue, note }) => {
            work.handoff = Some(HandoffOut {
                queue: queue.clone(),
                note: note.clone(),
                rule: rule.clone(),
            });
            work.reply = Some(ReplyOut {
                text: note
                    .clone()
                    .unwrap_or_else(|| DEFAULT_HANDOFF_NOTICE.to_owned()),
                source: format!("handoff:{queue}"),
                annotations: Default::default(),
            });
        }
        Some(Strategy::Plugin { plugin }) => work.respond_with = Some(plugin.clone()),
        None => {}
    }
    work.stages.push(StageRecord::builtin(
        "decide",
        started,
        serde_json::to_value(&decision).ok(),
    ));
    work.decision = Some(decision);
    Ok(())
}
