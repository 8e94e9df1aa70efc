//! `kefu eval intent|dialect|sentiment|qa FILE.jsonl [--plugin ID|PATH.kpkg] [--format json]`:
//! measures a model on labelled JSON Lines (formats in `quality.md`) and prints a readable
//! report, or one JSON object shaped as `quality.md` ("Evaluation output") promises.
//!
//! With `--plugin`, the named plugin runs through the real sandboxed runtime (see
//! [`super::local`]) exactly as the pipeline would call it: the text first normalised by the
//! host (N1), then the plugin's hook. `intent` without `--plugin` measures the built-in
//! classifier.
//!
//! Intent accuracy counts the top label even when the built-in classifier flagged the line as
//! a fallback, so the number says how often the best guess is right; how often it would rather
//! not guess is reported separately as `fallback_rate`.

use std::io::Write as _;
use std::path::Path;

use anyhow::{Context as _, bail};
use serde::Deserialize;
use serde_json::json;

use super::local::{LocalPlugin, Progress, anonymous_customer, session_of, text_context};
use crate::classifier::{IntentClassifier, IntentReport, evaluate, parse_labelled_jsonl};
use crate::package::Hook;
use crate::pipeline::normalize::normalize;
use crate::runtime::contract::{Sentiment, Turn, parse_role};
use crate::runtime::{HookCall, HookOutput, Outcome};

/// The label counted when a plugin call failed (so failures cost accuracy, visibly).
pub const FAILED: &str = "<plugin failed>";

/// Something that names an intent for a text: the built-in classifier or a classify plugin.
pub enum Classifier {
    Builtin,
    Plugin(Box<LocalPlugin>),
}

/// Per-call timing and failures of a plugin over an eval run.
#[derive(Default)]
pub struct CallStats {
    durations_us: Vec<u64>,
    failures: usize,
    first_error: Option<String>,
}

impl CallStats {
    fn record(&mut self, report: &crate::runtime::CallReport) {
        self.durations_us.push(report.duration.as_micros() as u64);
        if report.outcome != Outcome::Ok {
            self.failures += 1;
            if self.first_error.is_none() {
                self.first_error = Some(format!(
                    "{}: {}",
                    report.outcome.as_str(),
                    report.error.clone().unwrap_or_default()
                ));
            }
        }
    }

    fn to_json(&self) -> serde_json::Value {
        let mut d = self.durations_us.clone();
        d.sort_unstable();
        let pct = |p: f64| -> u64 {
            if d.is_empty() {
                0
            } else {
                d[((d.len() - 1) as f64 * p).round() as usize]
            }
        };
        json!({
            "calls": d.len(),
            "failures": self.failures,
            "first_error": self.first_error,
            "median_us": pct(0.5),
            "p99_us": pct(0.99),
            // The first call also loads the plugin's data (its `init`).
            "first_call_us": self.durations_us.first().copied().unwrap_or(0),
        })
    }

    fn render(&self, out: &mut String) {
        let j = self.to_json();
        out.push_str(&format!(
            "plugin calls: {} ({} failed), median {} µs, p99 {} µs, first call (with init) {} µs\n",
            j["calls"], j["failures"], j["median_us"], j["p99_us"], j["first_call_us"]
        ));
        if let Some(e) = &self.first_error {
            out.push_str(&format!("first failure: {e}\n"));
        }
    }
}

impl Classifier {
    /// `None`: the built-in one.
    pub fn open(spec: Option<&str>, config: Option<&str>) -> anyhow::Result<Classifier> {
        match spec {
            None | Some("builtin") => Ok(Classifier::Builtin),
            Some(spec) => {
                let path = super::local::resolve_package(spec)?;
                let p = LocalPlugin::open(&path, config)?;
                p.require_hook(Hook::Classify)?;
                Ok(Classifier::Plugin(Box::new(p)))
            }
        }
    }

    pub fn name(&self) -> String {
        match self {
            Classifier::Builtin => "builtin".into(),
            Classifier::Plugin(p) => format!("{}@{}", p.id(), p.package.manifest.version),
        }
    }

    /// The top label for a text a preprocess plugin produced from `original`, as the pipeline
    /// classifies it (the built-in classifier reads both; a plugin reads the rewrite).
    pub fn top_rewritten(
        &self,
        text: &str,
        original: &str,
        stats: &mut CallStats,
    ) -> (String, bool) {
        match self {
            Classifier::Builtin => {
                let c = IntentClassifier::builtin().classify_rewritten_with(
                    text,
                    original,
                    &crate::classifier::ClassifierConfig::default(),
                );
                (c.top().0.to_owned(), c.fallback)
            }
            Classifier::Plugin(_) => self.top(text, stats),
        }
    }

    /// The top label for an already normalised text, and whether the built-in classifier
    /// would rather fall back.
    pub fn top(&self, text: &str, stats: &mut CallStats) -> (String, bool) {
        match self {
            Classifier::Builtin => {
                let c = IntentClassifier::builtin().classify(text);
                (c.top().0.to_owned(), c.fallback)
            }
            Classifier::Plugin(p) => {
                let ctx = text_context(text, anonymous_customer("eval"), "eval", EVAL_TS);
                let r = p.call(HookCall::Classify(ctx), EVAL_TS);
                stats.record(&r);
                let top = match r.output {
                    Some(HookOutput::Classify(scores)) => scores
                        .into_iter()
                        .filter(|s| s.confidence.is_finite())
                        .max_by(|a, b| a.confidence.total_cmp(&b.confidence))
                        .map(|s| s.label),
                    _ => None,
                };
                (top.unwrap_or_else(|| FAILED.to_owned()), false)
            }
        }
    }
}

/// The timestamp eval messages carry (fixed, so runs are reproducible).
const EVAL_TS: u64 = 1_700_000_000_000;

fn read_lines<T: serde::de::DeserializeOwned>(file: &Path) -> anyhow::Result<Vec<T>> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let item = serde_json::from_str(line)
            .with_context(|| format!("{}:{}: not a valid line", file.display(), n + 1))?;
        out.push(item);
    }
    if out.is_empty() {
        bail!("{}: no lines", file.display());
    }
    Ok(out)
}

fn emit(json_out: bool, value: &serde_json::Value, text: String) -> anyhow::Result<()> {
    let out = if json_out {
        serde_json::to_string_pretty(value)? + "\n"
    } else {
        text
    };
    // A write error (a closed pipe) is an error to report, not a panic as with `print!`.
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(out.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

/// Classifies every line of `text` (JSON Lines of `{"text", "intent"}`), each normalised as
/// the pipeline would, and builds the report (with the fallback rate for the built-in one).
pub fn intent_report(
    classifier: &Classifier,
    text: &str,
    stats: &mut CallStats,
) -> anyhow::Result<IntentReport> {
    let lines = parse_labelled_jsonl(text)?;
    anyhow::ensure!(!lines.is_empty(), "no labelled lines");
    let progress = Progress::new("classifying", lines.len());
    let mut fallbacks = 0usize;
    let mut pairs = Vec::with_capacity(lines.len());
    for (i, line) in lines.into_iter().enumerate() {
        let (top, fallback) = classifier.top(&normalize(&line.text).text, stats);
        fallbacks += usize::from(fallback);
        pairs.push((line.intent, top));
        progress.tick(i + 1);
    }
    let n = pairs.len();
    let mut report = evaluate(pairs.into_iter());
    if matches!(classifier, Classifier::Builtin) {
        report.fallback_rate = Some(fallbacks as f64 / n as f64);
    }
    Ok(report)
}

/// `kefu eval intent`: the built-in classifier, or `plugin`'s classify hook.
pub fn eval_intent(
    file: &Path,
    plugin: Option<&str>,
    config: Option<&str>,
    format_json: bool,
) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let classifier = Classifier::open(plugin, config)?;
    let mut stats = CallStats::default();
    let report = intent_report(&classifier, &text, &mut stats)
        .with_context(|| format!("in {}", file.display()))?;
    let mut value = report.to_json();
    value["classifier"] = json!(classifier.name());
    let mut text = format!("classifier: {}\n", classifier.name());
    if let Classifier::Plugin(_) = classifier {
        value["plugin_calls"] = stats.to_json();
        stats.render(&mut text);
    }
    text.push_str(&report.render_text());
    emit(format_json, &value, text)
}

fn prf(tp: usize, fp: usize, fn_: usize) -> (f64, f64, f64) {
    let p = if tp + fp == 0 {
        0.0
    } else {
        tp as f64 / (tp + fp) as f64
    };
    let r = if tp + fn_ == 0 {
        0.0
    } else {
        tp as f64 / (tp + fn_) as f64
    };
    let f = if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    };
    (p, r, f)
}

/// A binary flag's confusion counts.
#[derive(Default, Clone, Copy)]
struct Binary {
    tp: usize,
    fp: usize,
    fn_: usize,
    tn: usize,
}

impl Binary {
    fn add(&mut self, gold: bool, predicted: bool) {
        match (gold, predicted) {
            (true, true) => self.tp += 1,
            (false, true) => self.fp += 1,
            (true, false) => self.fn_ += 1,
            (false, false) => self.tn += 1,
        }
    }

    fn to_json(self) -> serde_json::Value {
        let (p, r, f) = prf(self.tp, self.fp, self.fn_);
        let n = self.tp + self.fp + self.fn_ + self.tn;
        json!({
            "precision": p, "recall": r, "f1": f,
            "accuracy": if n == 0 { 0.0 } else { (self.tp + self.tn) as f64 / n as f64 },
            "false_positive_rate": if self.fp + self.tn == 0 { 0.0 } else { self.fp as f64 / (self.fp + self.tn) as f64 },
            "tp": self.tp, "fp": self.fp, "fn": self.fn_, "tn": self.tn,
        })
    }

    fn render(self, name: &str) -> String {
        let j = self.to_json();
        format!(
            "{name:<20} precision {:.3}  recall {:.3}  F1 {:.3}  accuracy {:.3}  (tp {} fp {} fn {} tn {})\n",
            j["precision"].as_f64().unwrap_or(0.0),
            j["recall"].as_f64().unwrap_or(0.0),
            j["f1"].as_f64().unwrap_or(0.0),
            j["accuracy"].as_f64().unwrap_or(0.0),
            self.tp,
            self.fp,
            self.fn_,
            self.tn
        )
    }
}

#[derive(Deserialize)]
struct DialectLine {
    text: String,
    intent: String,
    dialect: String,
    #[serde(default)]
    #[allow(dead_code)]
    mandarin: Option<String>,
}

/// `kefu eval dialect`: detection by `plugin`'s preprocess hook (a rewrite means "detected as
/// Cantonese"), and the classifier's intent accuracy on Cantonese lines without and with the
/// plugin in front, and on Mandarin lines with it in front (as deployed).
pub fn eval_dialect(
    file: &Path,
    plugin: &str,
    classifier: Option<&str>,
    config: Option<&str>,
    format_json: bool,
) -> anyhow::Result<()> {
    let lines: Vec<DialectLine> = read_lines(file)?;
    for (i, l) in lines.iter().enumerate() {
        if l.dialect != "yue" && l.dialect != "cmn" {
            bail!(
                "{}: line {}: dialect must be yue or cmn",
                file.display(),
                i + 1
            );
        }
    }
    let path = super::local::resolve_package(plugin)?;
    let pre = LocalPlugin::open(&path, config)?;
    pre.require_hook(Hook::Preprocess)?;
    let classifier = Classifier::open(classifier, None)?;
    let mut stats = CallStats::default();
    let mut cstats = CallStats::default();
    let mut detection = Binary::default();
    let (mut yue_n, mut yue_without, mut yue_with, mut cmn_n, mut cmn_ok) = (0, 0, 0, 0, 0);
    let progress = Progress::new("dialect", lines.len());
    for (i, l) in lines.iter().enumerate() {
        let normalized = normalize(&l.text).text;
        let ctx = text_context(&normalized, anonymous_customer("eval"), "eval", EVAL_TS);
        let r = pre.call(HookCall::Preprocess(ctx), EVAL_TS);
        stats.record(&r);
        let rewritten = match r.output {
            Some(HookOutput::Preprocess(Some(t))) => Some(t),
            _ => None,
        };
        let yue = l.dialect == "yue";
        detection.add(yue, rewritten.is_some());
        let after = rewritten.as_deref().unwrap_or(&normalized);
        let with = classifier.top_rewritten(after, &normalized, &mut cstats).0 == l.intent;
        if yue {
            yue_n += 1;
            yue_with += usize::from(with);
            yue_without += usize::from(classifier.top(&normalized, &mut cstats).0 == l.intent);
        } else {
            cmn_n += 1;
            cmn_ok += usize::from(with);
        }
        progress.tick(i + 1);
    }
    let rate = |a: usize, n: usize| if n == 0 { 0.0 } else { a as f64 / n as f64 };
    let d = detection.to_json();
    let value = json!({
        "n": lines.len(),
        "plugin": format!("{}@{}", pre.id(), pre.package.manifest.version),
        "classifier": classifier.name(),
        "detection": {
            "precision": d["precision"], "recall": d["recall"], "f1": d["f1"],
            "false_positive_rate": d["false_positive_rate"],
            "tp": d["tp"], "fp": d["fp"], "fn": d["fn"], "tn": d["tn"],
        },
        "intent_accuracy": {
            "yue_without_plugin": rate(yue_without, yue_n),
            "yue_with_plugin": rate(yue_with, yue_n),
            "cmn": rate(cmn_ok, cmn_n),
            "yue_lines": yue_n,
            "cmn_lines": cmn_n,
        },
        "plugin_calls": stats.to_json(),
    });
    let mut text = format!(
        "dialect plugin: {}   classifier: {}   lines: {} ({} yue, {} cmn)\n",
        value["plugin"].as_str().unwrap_or(""),
        classifier.name(),
        lines.len(),
        yue_n,
        cmn_n
    );
    text.push_str(&detection.render("detection (yue)"));
    text.push_str(&format!(
        "intent accuracy: yue without plugin {:.3}, yue with plugin {:.3}, cmn {:.3}\n",
        rate(yue_without, yue_n),
        rate(yue_with, yue_n),
        rate(cmn_ok, cmn_n)
    ));
    stats.render(&mut text);
    emit(format_json, &value, text)
}

#[derive(Deserialize)]
struct SentimentLine {
    text: String,
    sentiment: String,
    escalate: bool,
}

/// `kefu eval sentiment`: `plugin`'s analyze hook — sentiment accuracy, macro-F1, per label,
/// and the escalate flag's precision / recall.
pub fn eval_sentiment(
    file: &Path,
    plugin: &str,
    config: Option<&str>,
    format_json: bool,
) -> anyhow::Result<()> {
    let lines: Vec<SentimentLine> = read_lines(file)?;
    let path = super::local::resolve_package(plugin)?;
    let p = LocalPlugin::open(&path, config)?;
    p.require_hook(Hook::Analyze)?;
    let mut stats = CallStats::default();
    let mut escalate = Binary::default();
    let mut pairs = Vec::with_capacity(lines.len());
    let progress = Progress::new("sentiment", lines.len());
    for (i, l) in lines.iter().enumerate() {
        if !["negative", "neutral", "positive"].contains(&l.sentiment.as_str()) {
            bail!(
                "{}: line {}: sentiment must be negative, neutral or positive",
                file.display(),
                i + 1
            );
        }
        let ctx = text_context(
            &normalize(&l.text).text,
            anonymous_customer("eval"),
            "eval",
            EVAL_TS,
        );
        let r = p.call(HookCall::Analyze(ctx), EVAL_TS);
        stats.record(&r);
        let (predicted, esc) = match r.output {
            Some(HookOutput::Analyze(a)) => (
                a.sentiment
                    .map(|s| match s {
                        Sentiment::Negative => "negative",
                        Sentiment::Neutral => "neutral",
                        Sentiment::Positive => "positive",
                    })
                    .unwrap_or("<none>")
                    .to_owned(),
                a.escalate,
            ),
            _ => (FAILED.to_owned(), false),
        };
        escalate.add(l.escalate, esc);
        pairs.push((l.sentiment.clone(), predicted));
        progress.tick(i + 1);
    }
    let report = evaluate(pairs.into_iter());
    let e = escalate.to_json();
    let value = json!({
        "n": report.n,
        "plugin": format!("{}@{}", p.id(), p.package.manifest.version),
        "accuracy": report.accuracy,
        "macro_f1": report.macro_f1,
        "per_label": report.per_label,
        "confusion": report.confusion,
        "escalate": {"precision": e["precision"], "recall": e["recall"], "f1": e["f1"],
                     "accuracy": e["accuracy"], "tp": e["tp"], "fp": e["fp"], "fn": e["fn"], "tn": e["tn"]},
        "plugin_calls": stats.to_json(),
    });
    let mut text = format!(
        "sentiment plugin: {}   lines: {}\naccuracy {:.3}   macro-F1 {:.3}\n",
        value["plugin"].as_str().unwrap_or(""),
        report.n,
        report.accuracy,
        report.macro_f1
    );
    for (label, m) in &report.per_label {
        text.push_str(&format!(
            "  {label:<10} precision {:.3}  recall {:.3}  F1 {:.3}  support {}\n",
            m.precision, m.recall, m.f1, m.support
        ));
    }
    text.push_str(&escalate.render("escalate"));
    stats.render(&mut text);
    emit(format_json, &value, text)
}

#[derive(Deserialize)]
struct QaTurn {
    role: String,
    text: String,
    ts: u64,
}

#[derive(Deserialize)]
struct QaLine {
    session_id: String,
    turns: Vec<QaTurn>,
    expected: QaExpected,
}

#[derive(Deserialize)]
struct QaExpected {
    response_timeout: bool,
    missed_escalation: bool,
    missing_closing: bool,
    forbidden_phrase: bool,
    csat_risk: String,
}

/// The session flags of `quality.md`, in report order.
pub const QA_FLAGS: [&str; 4] = [
    "response_timeout",
    "missed_escalation",
    "missing_closing",
    "forbidden_phrase",
];

/// `kefu eval qa`: `plugin`'s inspect hook on whole sessions — each flag (a finding of that
/// kind) against the expected one, and the `csat_risk` annotation.
pub fn eval_qa(
    file: &Path,
    plugin: &str,
    config: Option<&str>,
    format_json: bool,
) -> anyhow::Result<()> {
    let lines: Vec<QaLine> = read_lines(file)?;
    let path = super::local::resolve_package(plugin)?;
    let p = LocalPlugin::open(&path, config)?;
    p.require_hook(Hook::Inspect)?;
    let mut stats = CallStats::default();
    let mut flags = [Binary::default(); 4];
    let mut csat = Vec::with_capacity(lines.len());
    let mut misses: Vec<String> = Vec::new();
    let progress = Progress::new("sessions", lines.len());
    for (i, l) in lines.iter().enumerate() {
        let turns = l
            .turns
            .iter()
            .map(|t| {
                let Some(role) = parse_role(&t.role) else {
                    bail!(
                        "{}: line {}: unknown role {:?}",
                        file.display(),
                        i + 1,
                        t.role
                    );
                };
                Ok(Turn {
                    role,
                    text: normalize(&t.text).text,
                    timestamp: EVAL_TS + t.ts * 1000,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let r = p.call(
            HookCall::Inspect(session_of(turns), anonymous_customer("eval")),
            EVAL_TS,
        );
        stats.record(&r);
        let (kinds, risk) = match r.output {
            Some(HookOutput::Inspect(ins)) => {
                let kinds: Vec<String> = ins.findings.iter().map(|f| f.kind.clone()).collect();
                let risk = ins
                    .annotations
                    .iter()
                    .find(|f| f.key == "csat_risk")
                    .map(|f| f.value.clone())
                    .unwrap_or_else(|| "<none>".to_owned());
                (kinds, risk)
            }
            _ => (Vec::new(), FAILED.to_owned()),
        };
        let e = &l.expected;
        let gold = [
            e.response_timeout,
            e.missed_escalation,
            e.missing_closing,
            e.forbidden_phrase,
        ];
        for (k, flag) in QA_FLAGS.iter().enumerate() {
            let predicted = kinds.iter().any(|x| x == flag);
            flags[k].add(gold[k], predicted);
            if gold[k] != predicted {
                misses.push(format!(
                    "{}: {flag} expected {} got {}",
                    l.session_id, gold[k], predicted
                ));
            }
        }
        csat.push((e.csat_risk.clone(), risk));
        progress.tick(i + 1);
    }
    let report = evaluate(csat.into_iter());
    let mut value = json!({
        "n": lines.len(),
        "plugin": format!("{}@{}", p.id(), p.package.manifest.version),
        "csat_risk": {"accuracy": report.accuracy, "macro_f1": report.macro_f1,
                      "per_label": report.per_label, "confusion": report.confusion},
        "plugin_calls": stats.to_json(),
    });
    let mut text = format!(
        "qa plugin: {}   sessions: {}\n",
        value["plugin"].as_str().unwrap_or(""),
        lines.len()
    );
    for (k, flag) in QA_FLAGS.iter().enumerate() {
        value[*flag] = flags[k].to_json();
        text.push_str(&flags[k].render(flag));
    }
    text.push_str(&format!(
        "{:<20} accuracy {:.3}  macro-F1 {:.3}\n",
        "csat_risk", report.accuracy, report.macro_f1
    ));
    if !misses.is_empty() {
        text.push_str("flag errors:\n");
        for m in &misses {
            text.push_str(&format!("  {m}\n"));
        }
    }
    stats.render(&mut text);
    emit(format_json, &value, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_counts_lines_and_fallbacks() {
        let text = concat!(
            r#"{"text": "我要开发票", "intent": "invoice"}"#,
            "\n\n",
            r#"{"text": "", "intent": "chitchat_other"}"#,
            "\n",
        );
        let r = intent_report(&Classifier::Builtin, text, &mut CallStats::default()).unwrap();
        assert_eq!(r.n, 2);
        assert_eq!(r.per_label["invoice"].support, 1);
        assert_eq!(r.confusion["invoice"]["invoice"], 1);
        // The empty message is always a fallback.
        assert!(r.fallback_rate.unwrap() >= 0.5);
        let j = r.to_json();
        assert_eq!(j["n"], 2);
        assert!(j["fallback_rate"].is_number());
    }

    #[test]
    fn a_bad_line_is_reported_with_its_number() {
        let text = "{\"text\": \"在吗\", \"intent\": \"greeting\"}\nnot json\n";
        let err = intent_report(&Classifier::Builtin, text, &mut CallStats::default()).unwrap_err();
        assert!(format!("{err:#}").contains("line 2"), "{err:#}");
    }

    #[test]
    fn an_unknown_label_is_reported_with_its_number() {
        let text = "{\"text\": \"在吗\", \"intent\": \"hello\"}\n";
        let err = intent_report(&Classifier::Builtin, text, &mut CallStats::default()).unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("line 1") && msg.contains("hello"), "{msg}");
    }

    #[test]
    fn a_missing_file_names_the_path() {
        let err =
            eval_intent(Path::new("/nonexistent/intents.jsonl"), None, None, true).unwrap_err();
        assert!(format!("{err:#}").contains("/nonexistent/intents.jsonl"));
    }

    #[test]
    fn binary_counts_give_precision_recall_and_accuracy() {
        let mut b = Binary::default();
        for (g, p) in [
            (true, true),
            (true, true),
            (true, false),
            (false, true),
            (false, false),
        ] {
            b.add(g, p);
        }
        let j = b.to_json();
        assert!((j["precision"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9);
        assert!((j["recall"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9);
        assert!((j["accuracy"].as_f64().unwrap() - 0.6).abs() < 1e-9);
        assert!((j["false_positive_rate"].as_f64().unwrap() - 0.5).abs() < 1e-9);
    }

    #[test]
    fn an_unknown_plugin_id_says_where_it_looked() {
        let err = super::super::local::resolve_package("no-such-plugin").unwrap_err();
        let msg = format!("{err:#}");
        assert!(
            msg.contains("no-such-plugin") && msg.contains("target/kpkg"),
            "{msg}"
        );
        let err = super::super::local::resolve_package("/tmp/missing.kpkg").unwrap_err();
        assert!(format!("{err:#}").contains("no package file"));
    }

    #[test]
    fn the_builtin_classifier_is_used_without_a_plugin() {
        let c = Classifier::open(None, None).unwrap();
        assert_eq!(c.name(), "builtin");
        let mut stats = CallStats::default();
        assert_eq!(c.top("我要开发票", &mut stats).0, "invoice");
        assert_eq!(stats.durations_us.len(), 0);
    }
}
