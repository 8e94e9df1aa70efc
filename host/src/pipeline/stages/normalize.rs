//! Normalize (N1): whitespace, full-width → half-width where it helps, Traditional →
//! Simplified, emoji kept (and listed), phone numbers rewritten to E.164 — see
//! [`crate::pipeline::normalize`] for every rule. The original text stays on the result.

use std::time::Instant;

use super::{Env, StageError, Work};
use crate::pipeline::StageRecord;
use crate::pipeline::normalize::normalize;
use crate::runtime::contract::Field;

pub(super) fn run(_env: &Env<'_>, work: &mut Work) -> Result<(), StageError> {
    let started = Instant::now();
    let n = normalize(&work.ctx.message.text);
    if !n.phones.is_empty() {
        work.ctx.annotations.push(Field {
            key: "phones".into(),
            value: n.phones.join(","),
        });
    }
    work.stages.push(StageRecord::builtin(
        "normalize",
        started,
        Some(serde_json::json!({
            "changed": n.changed,
            "phones": n.phones,
            "emoji": n.emoji,
        })),
    ));
    work.ctx.message.text = n.text;
    Ok(())
}
