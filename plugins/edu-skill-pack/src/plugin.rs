//! The SDK glue: the [`Plugin`] implementation the host calls. Built only for wasm, so the
//! logic in [`crate::skill`] tests natively with a plain `cargo test`.

use std::cell::RefCell;
use std::rc::Rc;

use crate::skill::config::EduConfig;
use crate::skill::scripts::Library;
use crate::skill::{Request, Tenant};
use kefu_plugin_sdk::*;

struct EduSkillPack {
    bundled: Library,
    /// The tenant prepared from the last configuration seen (an instance serves one tenant;
    /// the configuration only changes when the tenant edits it).
    tenant: RefCell<Option<(String, Rc<Tenant>)>>,
}

impl EduSkillPack {
    fn tenant(&self) -> Result<Rc<Tenant>, PluginError> {
        let raw = config::raw();
        if let Some((seen, t)) = self.tenant.borrow().as_ref()
            && same_bytes(seen.as_bytes(), raw.as_bytes())
        {
            return Ok(t.clone());
        }
        let cfg: EduConfig = serde_json::from_str(&raw)
            .map_err(|e| PluginError::Misconfigured(format!("configuration: {e}")))?;
        let tenant = Rc::new(Tenant::new(&self.bundled, cfg));
        for e in &tenant.errors {
            log::warn(
                "tenant script skipped",
                &[("id", &e.id), ("reason", &e.reason)],
            );
        }
        *self.tenant.borrow_mut() = Some((raw, tenant.clone()));
        Ok(tenant)
    }
}

/// `a == b`, a word at a time (wasm's `memcmp` goes byte by byte, and the configuration is
/// compared on every call).
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    ca.zip(cb).all(|(x, y)| {
        u64::from_le_bytes(x.try_into().unwrap()) == u64::from_le_bytes(y.try_into().unwrap())
    }) && ra == rb
}

fn request(ctx: Context) -> Request {
    Request {
        text: ctx.message.text,
        customer_name: ctx.customer.name,
        tags: ctx.customer.tags,
        segment: ctx.customer.segment,
        profile: ctx
            .customer
            .profile
            .into_iter()
            .map(|f| (f.key, f.value))
            .collect(),
        intents: ctx
            .intents
            .into_iter()
            .map(|i| (i.label, i.confidence))
            .collect(),
        annotations: ctx
            .annotations
            .into_iter()
            .map(|f| (f.key, f.value))
            .collect(),
        history: ctx
            .session
            .turns
            .into_iter()
            .filter(|t| t.role == Role::Customer)
            .map(|t| t.text)
            .collect(),
    }
}

fn fields(pairs: Vec<(String, String)>) -> Vec<Field> {
    pairs.into_iter().map(|(k, v)| Field::new(k, v)).collect()
}

impl Plugin for EduSkillPack {
    fn init() -> Result<Self, PluginError> {
        let text = data::read_to_string("scripts.jsonl")?;
        let bundled = Library::parse_jsonl(&text).map_err(PluginError::Misconfigured)?;
        Ok(EduSkillPack {
            bundled,
            tenant: RefCell::new(None),
        })
    }

    fn analyze(&self, ctx: Context) -> Result<Analysis, PluginError> {
        let out = crate::skill::analyze(&request(ctx));
        Ok(Analysis {
            tags: out.tags,
            annotations: fields(out.annotations),
            ..Analysis::empty()
        })
    }

    fn respond(&self, ctx: Context) -> Result<Option<Reply>, PluginError> {
        let tenant = self.tenant()?;
        Ok(tenant.respond(&request(ctx)).map(|r| Reply {
            text: r.text,
            annotations: fields(r.annotations),
        }))
    }
}

export_plugin!(EduSkillPack);
