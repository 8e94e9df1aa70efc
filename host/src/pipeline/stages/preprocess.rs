//! Preprocess: each enabled preprocess plugin may rewrite the text (a dialect to Mandarin, a
//! cleanup), in install order; the next one sees the rewritten text. The text before the first
//! rewrite is kept: the built-in classifier reads both.

use super::{Env, StageError, Work, call_plugin};
use crate::package::Hook;
use crate::runtime::{HookCall, HookOutput};

pub(super) fn run(env: &Env<'_>, work: &mut Work) -> Result<(), StageError> {
    for p in env.plugins.with_hook(Hook::Preprocess) {
        let r = call_plugin(env, p, HookCall::Preprocess(work.ctx.clone()), work);
        if let Some(HookOutput::Preprocess(Some(text))) = r.output
            && text != work.ctx.message.text
        {
            let before = std::mem::replace(&mut work.ctx.message.text, text);
            // The customer's own (normalised) words, for the built-in classifier.
            work.before_preprocess.get_or_insert(before);
        }
    }
    Ok(())
}
