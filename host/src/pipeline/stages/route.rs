//! Route: the tenant's routing configuration (see [`crate::pipeline::routing`]) decides who
//! handles the conversation. A route to a queue hands the conversation to humans (replacing
//! any reply the rules chose with the handoff notice); a route to a bot plugin names the plugin
//! that answers unless the rules already replied. Nothing to do when a human already owns the
//! conversation or a rule already handed it off.

use std::time::Instant;

use super::{Env, StageError, Work};
use crate::pipeline::routing::RouteInput;
use crate::pipeline::stages::decide::DEFAULT_HANDOFF_NOTICE;
use crate::pipeline::{HandoffOut, ReplyOut, StageRecord};
use crate::runtime::contract::Owner;

pub(super) fn run(env: &Env<'_>, work: &mut Work) -> Result<(), StageError> {
    let Some(routing) = env.routing else {
        return Ok(());
    };
    if work.ctx.session.owner == Owner::Human || work.handoff.is_some() {
        return Ok(());
    }
    let started = Instant::now();
    let Some((config, gray)) = routing.for_customer(env.tenant, &work.ctx.message.customer_id)
    else {
        return Ok(());
    };
    let c = &work.ctx.customer;
    let out = config.route(&RouteInput {
        tenant: env.tenant,
        customer_id: &work.ctx.message.customer_id,
        text: &work.ctx.message.text,
        intent: (!work.intent_fallback)
            .then(|| work.ctx.intents.first().map(|i| i.label.as_str()))
            .flatten(),
        vip: c.vip,
        tags: &c.tags,
        segment: c.segment.as_deref(),
        escalate: work.analysis.escalate,
        channel: &work.ctx.message.channel,
        now_ms: work.ctx.message.timestamp as i64,
    });
    let out = out.map(|mut o| {
        o.gray = gray;
        o
    });
    if let Some(o) = &out {
        if let Some(queue) = &o.to.queue {
            work.handoff = Some(HandoffOut {
                queue: queue.clone(),
                note: o.to.note.clone(),
                rule: format!("route:{}", o.route),
            });
            work.reply = Some(ReplyOut {
                text: o
                    .to
                    .note
                    .clone()
                    .unwrap_or_else(|| DEFAULT_HANDOFF_NOTICE.to_owned()),
                source: format!("handoff:{queue}"),
                annotations: Default::default(),
            });
        } else if let Some(bot) = &o.to.bot
            && bot != "default"
            && work.reply.is_none()
        {
            work.respond_with = Some(bot.clone());
        }
    }
    work.stages.push(StageRecord::builtin(
        "route",
        started,
        Some(serde_json::to_value(&out).unwrap_or_default()),
    ));
    work.route = out;
    Ok(())
}
