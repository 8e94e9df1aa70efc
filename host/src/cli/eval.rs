//! `kefu eval intent FILE.jsonl [--format json]`: measures the built-in intent classifier on
//! labelled lines `{"text", "intent"}` and prints accuracy, per-label precision / recall / F1 /
//! support, the confusion matrix and the fallback rate.
//!
//! Accuracy counts the top label even when the classifier flagged the line as a fallback, so
//! the number says how often the best guess is right; how often the classifier would rather
//! not guess is reported separately as `fallback_rate`.

use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;

use crate::classifier::{IntentClassifier, IntentReport, evaluate, parse_labelled_jsonl};

/// Classifies every line of `text` (JSON Lines) with `classifier` and builds the report.
pub fn intent_report(classifier: &IntentClassifier, text: &str) -> anyhow::Result<IntentReport> {
    let lines = parse_labelled_jsonl(text)?;
    anyhow::ensure!(!lines.is_empty(), "no labelled lines");
    let mut fallbacks = 0usize;
    let pairs: Vec<(String, String)> = lines
        .into_iter()
        .map(|line| {
            let c = classifier.classify(&line.text);
            if c.fallback {
                fallbacks += 1;
            }
            (line.intent, c.top().0.to_owned())
        })
        .collect();
    let n = pairs.len();
    let mut report = evaluate(pairs.into_iter());
    report.fallback_rate = Some(fallbacks as f64 / n as f64);
    Ok(report)
}

/// Runs `kefu eval intent`: reads `file`, prints the report as a table or as one JSON object.
pub fn eval_intent(file: &Path, format_json: bool) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let report = intent_report(IntentClassifier::builtin(), &text)
        .with_context(|| format!("in {}", file.display()))?;
    let out = if format_json {
        serde_json::to_string_pretty(&report.to_json())? + "\n"
    } else {
        report.render_text()
    };
    // A write error (a closed pipe) is an error to report, not a panic as with `print!`.
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(out.as_bytes())?;
    stdout.flush()?;
    Ok(())
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
        let r = intent_report(IntentClassifier::builtin(), text).unwrap();
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
        let err = intent_report(IntentClassifier::builtin(), text).unwrap_err();
        assert!(format!("{err:#}").contains("line 2"), "{err:#}");
    }

    #[test]
    fn an_unknown_label_is_reported_with_its_number() {
        let text = "{\"text\": \"在吗\", \"intent\": \"hello\"}\n";
        let err = intent_report(IntentClassifier::builtin(), text).unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("line 1") && msg.contains("hello"), "{msg}");
    }

    #[test]
    fn a_missing_file_names_the_path() {
        let err = eval_intent(Path::new("/nonexistent/intents.jsonl"), true).unwrap_err();
        assert!(format!("{err:#}").contains("/nonexistent/intents.jsonl"));
    }
}
