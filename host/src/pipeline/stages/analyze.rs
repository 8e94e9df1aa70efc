//! Analyze: every enabled analyze plugin runs; sentiment and emotion come from the first that
//! judges them, escalate is true if any plugin says so, tags and annotations accumulate (later
//! stages and plugins see the annotations).

use super::{Env, StageError, Work, call_plugin};
use crate::package::Hook;
use crate::pipeline::sentiment_name;
use crate::runtime::{HookCall, HookOutput};

pub(super) fn run(env: &Env<'_>, work: &mut Work) -> Result<(), StageError> {
    for p in env.plugins.with_hook(Hook::Analyze) {
        let r = call_plugin(env, p, HookCall::Analyze(work.ctx.clone()), work);
        let Some(HookOutput::Analyze(a)) = r.output else {
            continue;
        };
        let summary = &mut work.analysis;
        if summary.sentiment.is_none() {
            summary.sentiment = a.sentiment.map(|s| sentiment_name(s).to_owned());
        }
        if summary.emotion.is_none() {
            summary.emotion = a.emotion;
        }
        summary.escalate |= a.escalate;
        for t in a.tags {
            if !summary.tags.contains(&t) {
                summary.tags.push(t);
            }
        }
        for f in a.annotations {
            summary.annotations.insert(f.key.clone(), f.value.clone());
            work.ctx.annotations.push(f);
        }
    }
    Ok(())
}
