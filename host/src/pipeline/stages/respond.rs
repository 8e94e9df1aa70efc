//! Respond: the enabled respond plugins, in install order, until one answers.

use super::{Env, StageError, Work, call_plugin};
use crate::package::Hook;
use crate::pipeline::ReplyOut;
use crate::runtime::{HookCall, HookOutput};

pub(super) fn run(env: &Env<'_>, work: &mut Work) -> Result<(), StageError> {
    if work.reply.is_some() {
        return Ok(());
    }
    for p in env.plugins.with_hook(Hook::Respond) {
        let r = call_plugin(env, p, HookCall::Respond(work.ctx.clone()), work);
        if let Some(HookOutput::Respond(Some(out))) = r.output {
            work.reply = Some(ReplyOut {
                text: out.text,
                source: p.plugin.id.clone(),
            });
            break;
        }
    }
    Ok(())
}
