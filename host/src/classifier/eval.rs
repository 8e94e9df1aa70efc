//! Classification metrics: accuracy, per-label precision / recall / F1 / support, macro-F1 and
//! the confusion matrix, as JSON (the shape `kefu eval intent --format json` promises) or as a
//! readable table.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;

use super::LABELS;

/// Precision, recall, F1 and support of one label.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LabelMetrics {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Gold lines with this label.
    pub support: usize,
}

/// The result of comparing gold labels with predictions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IntentReport {
    /// Number of lines.
    pub n: usize,
    pub accuracy: f64,
    /// Unweighted mean F1 over the labels with gold support.
    pub macro_f1: f64,
    /// Every label seen as gold or as a prediction.
    pub per_label: BTreeMap<String, LabelMetrics>,
    /// `confusion[gold][predicted] = count`, zero cells left out.
    pub confusion: BTreeMap<String, BTreeMap<String, usize>>,
    /// Share of lines the classifier flagged as fallback (set by the caller that knows it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback_rate: Option<f64>,
}

fn ratio(num: usize, den: usize) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

/// Builds the report from `(gold, predicted)` pairs.
pub fn evaluate(pairs: impl Iterator<Item = (String, String)>) -> IntentReport {
    let mut confusion: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    let mut n = 0;
    let mut correct = 0;
    for (gold, predicted) in pairs {
        n += 1;
        if gold == predicted {
            correct += 1;
        }
        *confusion
            .entry(gold)
            .or_default()
            .entry(predicted)
            .or_default() += 1;
    }

    let mut labels: BTreeSet<&str> = BTreeSet::new();
    let mut predicted_total: BTreeMap<&str, usize> = BTreeMap::new();
    for (gold, row) in &confusion {
        labels.insert(gold);
        for (p, &c) in row {
            labels.insert(p);
            *predicted_total.entry(p).or_default() += c;
        }
    }
    let per_label: BTreeMap<String, LabelMetrics> = labels
        .iter()
        .map(|&label| {
            let row = confusion.get(label);
            let support: usize = row.map_or(0, |r| r.values().sum());
            let tp = row.and_then(|r| r.get(label)).copied().unwrap_or(0);
            let precision = ratio(tp, predicted_total.get(label).copied().unwrap_or(0));
            let recall = ratio(tp, support);
            let f1 = if precision + recall == 0.0 {
                0.0
            } else {
                2.0 * precision * recall / (precision + recall)
            };
            let m = LabelMetrics {
                precision,
                recall,
                f1,
                support,
            };
            (label.to_owned(), m)
        })
        .collect();
    let supported: Vec<f64> = per_label
        .values()
        .filter(|m| m.support > 0)
        .map(|m| m.f1)
        .collect();
    let macro_f1 = if supported.is_empty() {
        0.0
    } else {
        supported.iter().sum::<f64>() / supported.len() as f64
    };
    IntentReport {
        n,
        accuracy: ratio(correct, n),
        macro_f1,
        per_label,
        confusion,
        fallback_rate: None,
    }
}

impl IntentReport {
    /// The report as JSON: `n`, `accuracy`, `macro_f1`, `per_label`, `confusion` and, when
    /// known, `fallback_rate`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a report always serialises")
    }

    /// Labels in the order of [`LABELS`], then any others alphabetically.
    fn ordered_labels(&self) -> Vec<&str> {
        let mut out: Vec<&str> = LABELS
            .iter()
            .copied()
            .filter(|l| self.per_label.contains_key(*l))
            .collect();
        out.extend(
            self.per_label
                .keys()
                .map(String::as_str)
                .filter(|l| !LABELS.contains(l)),
        );
        out
    }

    /// A readable summary: totals, the per-label table, the confusion matrix (rows gold,
    /// columns predicted, numbered like the table) and the most frequent confusions.
    pub fn render_text(&self) -> String {
        let labels = self.ordered_labels();
        let width = labels.iter().map(|l| l.len()).max().unwrap_or(5).max(5);
        let mut s = String::new();
        let _ = writeln!(s, "lines      {}", self.n);
        let _ = writeln!(s, "accuracy   {:.4}", self.accuracy);
        let _ = writeln!(s, "macro-F1   {:.4}", self.macro_f1);
        if let Some(f) = self.fallback_rate {
            let _ = writeln!(s, "fallback   {f:.4}");
        }
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "{:>3}  {:<width$}  {:>9}  {:>6}  {:>6}  {:>7}",
            "#", "label", "precision", "recall", "f1", "support"
        );
        for (i, label) in labels.iter().enumerate() {
            let m = &self.per_label[*label];
            let _ = writeln!(
                s,
                "{:>3}  {:<width$}  {:>9.3}  {:>6.3}  {:>6.3}  {:>7}",
                i + 1,
                label,
                m.precision,
                m.recall,
                m.f1,
                m.support
            );
        }
        let _ = writeln!(s);
        let _ = writeln!(s, "confusion (rows: gold, columns: predicted, by # above)");
        let _ = write!(s, "{:>4}", "");
        for i in 0..labels.len() {
            let _ = write!(s, "{:>4}", i + 1);
        }
        let _ = writeln!(s);
        for (i, gold) in labels.iter().enumerate() {
            let _ = write!(s, "{:>4}", i + 1);
            let row = self.confusion.get(*gold);
            for predicted in &labels {
                match row.and_then(|r| r.get(*predicted)) {
                    Some(c) => {
                        let _ = write!(s, "{c:>4}");
                    }
                    None => {
                        let _ = write!(s, "{:>4}", ".");
                    }
                }
            }
            let _ = writeln!(s);
        }
        let mut errors: Vec<(usize, &str, &str)> = self
            .confusion
            .iter()
            .flat_map(|(g, row)| {
                row.iter()
                    .filter(move |(p, _)| *p != g)
                    .map(move |(p, &c)| (c, g.as_str(), p.as_str()))
            })
            .collect();
        errors.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)).then(a.2.cmp(b.2)));
        if !errors.is_empty() {
            let _ = writeln!(s);
            let _ = writeln!(s, "most frequent confusions (gold → predicted)");
            for (c, g, p) in errors.iter().take(10) {
                let _ = writeln!(s, "{c:>5}  {g} → {p}");
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> impl Iterator<Item = (String, String)> {
        list.iter()
            .map(|(g, p)| ((*g).to_owned(), (*p).to_owned()))
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn metrics_match_a_hand_computed_confusion() {
        // gold a: a a b    gold b: b a    gold c: c
        // a: tp 2, predicted 3, support 3 → P 2/3, R 2/3
        // b: tp 1, predicted 2, support 2 → P 1/2, R 1/2
        // c: tp 1, predicted 1, support 1 → P 1, R 1
        let r = evaluate(pairs(&[
            ("a", "a"),
            ("a", "a"),
            ("a", "b"),
            ("b", "b"),
            ("b", "a"),
            ("c", "c"),
        ]));
        assert_eq!(r.n, 6);
        assert!((r.accuracy - 4.0 / 6.0).abs() < 1e-12);
        let a = r.per_label["a"];
        assert!((a.precision - 2.0 / 3.0).abs() < 1e-12);
        assert!((a.recall - 2.0 / 3.0).abs() < 1e-12);
        assert!((a.f1 - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(a.support, 3);
        let b = r.per_label["b"];
        assert!((b.precision - 0.5).abs() < 1e-12);
        assert!((b.recall - 0.5).abs() < 1e-12);
        assert_eq!(b.support, 2);
        assert_eq!(r.per_label["c"].f1, 1.0);
        assert!((r.macro_f1 - (2.0 / 3.0 + 0.5 + 1.0) / 3.0).abs() < 1e-12);
        assert_eq!(r.confusion["a"]["b"], 1);
        assert_eq!(r.confusion["b"]["a"], 1);
        assert!(!r.confusion["c"].contains_key("a"));
    }

    #[test]
    fn a_label_never_predicted_has_zero_precision_not_nan() {
        let r = evaluate(pairs(&[("a", "b"), ("b", "b")]));
        assert_eq!(r.per_label["a"].precision, 0.0);
        assert_eq!(r.per_label["a"].f1, 0.0);
        assert_eq!(r.per_label["b"].precision, 0.5);
    }

    #[test]
    fn json_has_the_promised_keys() {
        let mut r = evaluate(pairs(&[("greeting", "greeting"), ("invoice", "greeting")]));
        r.fallback_rate = Some(0.5);
        let j = r.to_json();
        assert_eq!(j["n"], 2);
        assert_eq!(j["accuracy"], 0.5);
        assert_eq!(j["per_label"]["greeting"]["support"], 1);
        assert_eq!(j["per_label"]["greeting"]["precision"], 0.5);
        assert!(j["per_label"]["invoice"]["f1"].is_number());
        assert_eq!(j["confusion"]["invoice"]["greeting"], 1);
        assert_eq!(j["fallback_rate"], 0.5);
    }

    #[test]
    fn empty_input_gives_zeros_not_nan() {
        let r = evaluate(std::iter::empty());
        assert_eq!(r.n, 0);
        assert_eq!(r.accuracy, 0.0);
        assert!(r.render_text().contains("accuracy"));
    }

    #[test]
    fn text_rendering_lists_labels_in_canonical_order() {
        let r = evaluate(pairs(&[
            ("invoice", "invoice"),
            ("order_tracking", "invoice"),
        ]));
        let text = r.render_text();
        let ot = text.find("order_tracking").unwrap();
        let inv = text.find("invoice ").unwrap();
        assert!(ot < inv, "{text}");
        assert!(text.contains("order_tracking → invoice"));
    }
}
