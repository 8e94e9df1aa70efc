//! Preprocess: each enabled preprocess plugin may rewrite the text (a dialect to Mandarin, a
//! cleanup), in install order; the next one sees the rewritten text.

use super::{Env, StageError, Work, call_plugin};
use crate::package::Hook;
use crate::runtime::{HookCall, HookOutput};

pub(super) fn run(env: &Env<'_>, work: &mut Work) -> Result<(), StageError> {
    for p in env.plugins.with_hook(Hook::Preprocess) {
        let r = call_plugin(env, p, HookCall::Preprocess(work.ctx.clone()), work);
        if let Some(HookOutput::Preprocess(Some(text))) = r.output {
            work.ctx.message.text = text;
        }
    }
    Ok(())
}
