//! Respond: the enabled respond plugins, in install order, until one answers — unless a human
//! agent owns the conversation.

use super::{Env, StageError, Work, call_plugin};
use crate::package::Hook;
use crate::pipeline::ReplyOut;
use crate::runtime::contract::Owner;
use crate::runtime::{HookCall, HookOutput};

pub(super) fn run(env: &Env<'_>, work: &mut Work) -> Result<(), StageError> {
    // A human owns the conversation: the bot stays quiet.
    if work.reply.is_some() || work.ctx.session.owner == Owner::Human {
        return Ok(());
    }
    // A rule may name the plugin that answers.
    let chosen = work.respond_with.clone();
    for p in env
        .plugins
        .with_hook(Hook::Respond)
        .filter(|p| chosen.as_ref().is_none_or(|c| *c == p.plugin.id))
    {
        let r = call_plugin(env, p, HookCall::Respond(work.ctx.clone()), work);
        if let Some(HookOutput::Respond(Some(out))) = r.output {
            work.reply = Some(ReplyOut {
                text: out.text,
                source: p.plugin.id.clone(),
                annotations: out
                    .annotations
                    .into_iter()
                    .map(|f| (f.key, f.value))
                    .collect(),
            });
            break;
        }
    }
    Ok(())
}
