//! Classify: a classifier plugin if the tenant enabled one (the first that answers wins),
//! otherwise — or if every one failed — the built-in classifier. Scores are sorted, clamped to
//! [0, 1] and non-finite ones dropped, whoever produced them; the tenant's threshold and margin
//! (its rules document's `classifier` settings) decide whether the result is a fallback.

use std::time::Instant;

use super::{Env, StageError, Work, call_plugin};
use crate::classifier::IntentClassifier;
use crate::package::Hook;
use crate::pipeline::StageRecord;
use crate::runtime::contract::IntentScore;
use crate::runtime::{HookCall, HookOutput};

fn tidy(mut scores: Vec<IntentScore>) -> Vec<IntentScore> {
    scores.retain(|s| s.confidence.is_finite() && !s.label.is_empty());
    for s in &mut scores {
        s.confidence = s.confidence.clamp(0.0, 1.0);
    }
    scores.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    scores
}

pub(super) fn run(env: &Env<'_>, work: &mut Work) -> Result<(), StageError> {
    let config = env.rules.map(|r| r.classifier).unwrap_or_default();
    for p in env.plugins.with_hook(Hook::Classify) {
        let r = call_plugin(env, p, HookCall::Classify(work.ctx.clone()), work);
        if let Some(HookOutput::Classify(scores)) = r.output {
            let scores = tidy(scores);
            if let Some(top) = scores.first() {
                // The tenant's threshold and margin apply to a plugin's confidences too.
                let second = scores.get(1).map_or(0.0, |s| s.confidence);
                work.intent_fallback = config.is_unsure(top.confidence, second);
                work.ctx.intents = scores;
                return Ok(());
            }
        }
    }
    let started = Instant::now();
    let result = match &work.before_preprocess {
        Some(original) => IntentClassifier::builtin().classify_rewritten_with(
            &work.ctx.message.text,
            original,
            &config,
        ),
        None => IntentClassifier::builtin().classify_with(&work.ctx.message.text, &config),
    };
    work.intent_fallback = result.fallback;
    work.ctx.intents = result
        .ranked
        .iter()
        .take(5)
        .map(|(label, confidence)| IntentScore {
            label: label.clone(),
            confidence: *confidence,
        })
        .collect();
    work.stages.push(StageRecord::builtin(
        "classify",
        started,
        Some(serde_json::json!({
            "ranked": work.ctx.intents.iter().map(|s| serde_json::json!({"label": s.label, "confidence": s.confidence})).collect::<Vec<_>>(),
            "fallback": result.fallback,
        })),
    ));
    Ok(())
}
