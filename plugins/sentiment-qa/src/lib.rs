//! # sentiment-qa — sentiment and session quality inspection (情绪识别与对话质检)
//!
//! Two hooks of the `quality-inspection` add-on:
//! - `analyze`: per customer message, the sentiment (negative / neutral / positive), an emotion
//!   label, whether a human should take over now (`escalate`), the `complaint` tag, and the
//!   annotations `sentiment_score` (in [-1, 1]) and `escalate_reason`.
//! - `inspect`: per finished session, the findings of quality.md (`response_timeout`,
//!   `missed_escalation`, `missing_closing`, `forbidden_phrase`, and `csat_risk` when medium or
//!   high), each on the turn that proves it, and the annotations `csat_risk`, `csat_reason`,
//!   `first_response_secs`, `max_wait_secs`, `unanswered_turns`.
//!
//! This file is only the glue to the SDK. The models are pure modules, tested natively:
//! [`lexicon`] (tables and matching), [`sentiment`] (messages), [`qa`] (sessions) and
//! [`settings`] (tenant configuration).

pub mod lexicon;
pub mod nb;
pub mod qa;
pub mod sentiment;
pub mod settings;

use std::cell::RefCell;
use std::rc::Rc;

use kefu_plugin_sdk::*;

use crate::qa::{Phrases, Thresholds};
use crate::sentiment::{Analyzer, Polarity};
use crate::settings::Settings;

/// The models with one tenant's configuration applied.
struct Tuned {
    analyzer: Rc<Analyzer>,
    phrases: Rc<Phrases>,
    thresholds: Thresholds,
}

struct SentimentQa {
    analyzer: Rc<Analyzer>,
    phrases: Rc<Phrases>,
    /// The last configuration seen and the models built for it. An instance serves one tenant,
    /// so the configuration rarely changes; rebuilding the tables on every call would not be free.
    tuned: RefCell<Option<(String, Rc<Tuned>)>>,
}

impl SentimentQa {
    fn tuned(&self) -> Result<Rc<Tuned>, PluginError> {
        let raw = config::raw();
        if let Some((key, t)) = self.tuned.borrow().as_ref()
            && *key == raw
        {
            return Ok(t.clone());
        }
        let s = Settings::parse(&raw).map_err(PluginError::Misconfigured)?;
        let (analyzer, phrases) = if s.extends_lexicons() {
            let mut analyzer = Analyzer::clone(&self.analyzer);
            let mut phrases = Phrases::clone(&self.phrases);
            analyzer.extend(&s.positive_words, &s.negative_words, &s.escalation_keywords);
            phrases.extend(
                &s.closing_phrases,
                &s.forbidden_phrases,
                s.replace_forbidden_phrases,
            );
            (Rc::new(analyzer), Rc::new(phrases))
        } else {
            // No words of its own: share the bundled tables.
            (self.analyzer.clone(), self.phrases.clone())
        };
        let t = Rc::new(Tuned {
            analyzer,
            phrases,
            thresholds: s.thresholds(),
        });
        *self.tuned.borrow_mut() = Some((raw, t.clone()));
        Ok(t)
    }
}

impl Plugin for SentimentQa {
    fn init() -> Result<Self, PluginError> {
        let nb = nb::NaiveBayes::parse(&data::read_to_string("nb.tsv")?, 3)
            .map_err(PluginError::Misconfigured)?;
        let nb_escalate = nb::NaiveBayes::parse(&data::read_to_string("nb_escalate.tsv")?, 2)
            .map_err(PluginError::Misconfigured)?;
        let analyzer = Analyzer::from_data(
            &data::read_to_string("sentiment.tsv")?,
            &data::read_to_string("escalation.tsv")?,
        )
        .map_err(PluginError::Misconfigured)?
        .with_backoff(nb, nb_escalate);
        let phrases = Phrases::from_data(&data::read_to_string("qa.tsv")?)
            .map_err(PluginError::Misconfigured)?;
        Ok(SentimentQa {
            analyzer: Rc::new(analyzer),
            phrases: Rc::new(phrases),
            tuned: RefCell::new(None),
        })
    }

    fn analyze(&self, ctx: Context) -> Result<Analysis, PluginError> {
        // A channel event (a follow, a menu click) carries no attitude.
        if ctx.message.kind == MessageKind::Event {
            return Ok(Analysis {
                sentiment: Some(Sentiment::Neutral),
                emotion: Some("neutral".into()),
                tags: Vec::new(),
                escalate: false,
                annotations: vec![Field::new("sentiment_score", "0.000")],
            });
        }
        let t = self.tuned()?;
        let v = t.analyzer.analyze(&ctx.message.text);
        let mut annotations = vec![Field::new("sentiment_score", format!("{:.3}", v.score))];
        if v.escalate
            && let Some(reason) = &v.reason
        {
            annotations.push(Field::new("escalate_reason", reason.clone()));
        }
        Ok(Analysis {
            sentiment: Some(match v.polarity {
                Polarity::Negative => Sentiment::Negative,
                Polarity::Neutral => Sentiment::Neutral,
                Polarity::Positive => Sentiment::Positive,
            }),
            emotion: Some(v.emotion.as_str().to_owned()),
            tags: if v.complaint {
                vec!["complaint".to_owned()]
            } else {
                Vec::new()
            },
            escalate: v.escalate,
            annotations,
        })
    }

    fn inspect(&self, session: Session, _customer: Customer) -> Result<Inspection, PluginError> {
        let t = self.tuned()?;
        let turns: Vec<qa::Turn> = session
            .turns
            .into_iter()
            .map(|turn| qa::Turn {
                role: match turn.role {
                    Role::Customer => qa::Role::Customer,
                    Role::Agent => qa::Role::Agent,
                    Role::Bot => qa::Role::Bot,
                },
                text: turn.text,
                ts_ms: turn.timestamp,
            })
            .collect();
        let report = qa::inspect(&t.analyzer, &t.phrases, &t.thresholds, &turns);
        let findings = report
            .findings
            .into_iter()
            .map(|f| Finding {
                kind: f.kind.to_owned(),
                turn_index: f.turn as u32,
                severity: match f.severity {
                    qa::Level::Low => Severity::Low,
                    qa::Level::Medium => Severity::Medium,
                    qa::Level::High => Severity::High,
                },
                detail: f.detail,
            })
            .collect();
        let secs = |s: Option<u64>| s.map_or_else(|| "none".to_owned(), |v| v.to_string());
        Ok(Inspection {
            findings,
            annotations: vec![
                Field::new("csat_risk", report.csat.as_str()),
                Field::new("csat_reason", report.csat_reason),
                Field::new("first_response_secs", secs(report.first_response_secs)),
                Field::new("max_wait_secs", secs(report.max_wait_secs)),
                Field::new("unanswered_turns", report.unanswered.to_string()),
            ],
        })
    }
}

export_plugin!(SentimentQa);
