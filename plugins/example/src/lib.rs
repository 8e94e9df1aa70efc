//! The example plugin: one small, readable implementation of every hook.
//!
//! It loads a keyword table from its bundled `data/keywords.txt` once per instance, counts the
//! messages it has seen per customer in its key/value store, and reads a greeting from the
//! tenant's configuration.

use kefu_plugin_sdk::*;

struct Example {
    keywords: Vec<(String, String)>,
}

#[derive(serde::Deserialize, Default)]
struct ExampleConfig {
    greeting: Option<String>,
    #[serde(default)]
    shout: bool,
}

impl Plugin for Example {
    fn init() -> Result<Self, PluginError> {
        let text = data::read_to_string("keywords.txt")?;
        let keywords = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| l.split_once('\t'))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        Ok(Example { keywords })
    }

    fn preprocess(&self, ctx: Context) -> Result<Option<String>, PluginError> {
        let trimmed = ctx.message.text.trim();
        Ok((trimmed != ctx.message.text).then(|| trimmed.to_owned()))
    }

    fn classify(&self, ctx: Context) -> Result<Vec<IntentScore>, PluginError> {
        let mut scores: Vec<IntentScore> = self
            .keywords
            .iter()
            .filter(|(k, _)| ctx.message.text.contains(k.as_str()))
            .map(|(_, label)| IntentScore {
                label: label.clone(),
                confidence: 0.9,
            })
            .collect();
        scores.dedup_by(|a, b| a.label == b.label);
        if scores.is_empty() {
            scores.push(IntentScore {
                label: "chitchat_other".into(),
                confidence: 0.3,
            });
        }
        Ok(scores)
    }

    fn analyze(&self, ctx: Context) -> Result<Analysis, PluginError> {
        let key = format!("seen:{}", ctx.customer.id);
        let seen = kv::get_string(&key)
            .ok()
            .flatten()
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(0)
            + 1;
        // A full store only loses the count; the analysis still goes on.
        if kv::set(&key, seen.to_string().as_bytes()).is_err() {
            log::warn("kv write failed", &[("key", &key)]);
        }
        let angry = ["投诉", "😡", "垃圾"]
            .iter()
            .any(|w| ctx.message.text.contains(w));
        Ok(Analysis {
            sentiment: Some(if angry {
                Sentiment::Negative
            } else {
                Sentiment::Neutral
            }),
            emotion: angry.then(|| "angry".to_owned()),
            tags: Vec::new(),
            escalate: angry,
            annotations: vec![Field::new("messages_seen", seen.to_string())],
        })
    }

    fn respond(&self, ctx: Context) -> Result<Option<Reply>, PluginError> {
        let cfg: ExampleConfig = config::get().unwrap_or_default();
        let Some(top) = ctx.intents.first() else {
            return Ok(None);
        };
        if top.label != "greeting" {
            return Ok(None);
        }
        let name = ctx.customer.name.as_deref().unwrap_or("您");
        let greeting = cfg.greeting.unwrap_or_else(|| "你好".to_owned());
        let mut text = format!("{greeting}，{name}！请问有什么可以帮您？");
        if cfg.shout {
            text.push_str("！！");
        }
        Ok(Some(Reply::text(text)))
    }

    fn inspect(&self, session: Session, _customer: Customer) -> Result<Inspection, PluginError> {
        let findings = session
            .turns
            .iter()
            .enumerate()
            .filter(|(_, t)| t.role != Role::Customer && t.text.contains("不知道"))
            .map(|(i, _)| Finding {
                kind: "forbidden_phrase".into(),
                turn_index: i as u32,
                severity: Severity::Medium,
                detail: "agent answered 不知道".into(),
            })
            .collect();
        Ok(Inspection {
            findings,
            annotations: Vec::new(),
        })
    }
}

export_plugin!(Example);
