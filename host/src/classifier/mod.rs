//! # The built-in intent classifier (SPEC N2)
//!
//! Puts a customer message into one of the 27 standard labels of `intents.md`, with a
//! calibrated confidence for every label, and says when it is not sure enough to act on
//! (`fallback`). It is the baseline every tenant gets; the NLP-upgrade add-on (A4) replaces it
//! with a stronger model behind the same labels.
//!
//! ```text
//! let c = IntentClassifier::builtin();              // trained on first use (~0.1 s release)
//! let r = c.classify("快递三天没更新了");              // r.ranked: all 27 labels, best first
//! let (label, p) = r.top();                         // ("order_tracking", 0.74)
//! let strict = ClassifierConfig { threshold: 0.8, min_margin: 0.3 };
//! let r = c.classify_with("快递三天没更新了", &strict); // r.fallback == true: ask instead
//! ```
//!
//! ## Design
//!
//! - **Normalisation** ([`normalize()`]): full-width → half-width, lower-case, Traditional →
//!   Simplified (a hand-written table of ~950 characters), written Cantonese and Taiwan wording
//!   → Mainland Mandarin, frequent typos folded (登陆, 定单, 优惠卷), whitespace collapsed and
//!   grouped phone numbers joined. About a tenth of customers write Traditional or Cantonese and
//!   the training data has few such lines, so folding them onto the Mandarin spelling is the
//!   cheapest way to understand them.
//! - **Features** (`features`): unigrams and bigrams of *units* with start/end markers, where
//!   a unit is a CJK character, an emoji, `?`/`!`, a clause break, an ASCII word or a number
//!   class (`<num>`, `<phone>`, `<code>`); plus hand-written keyword classes (`lexicon`) such as
//!   `money_back` (退款, 退钱, 退差价, refund, tk …) that let a synonym the training lines never
//!   used fire the feature its siblings trained. Binary values scaled to unit length, so a long
//!   message does not outvote a short one by its feature count. Under 5-fold cross-validation
//!   the keyword classes are worth about +7 points and trigrams cost about 2 (too sparse for
//!   ~2,500 lines), so there are no trigrams.
//! - **Model** (`model`): softmax regression trained with AdaGrad and L2, single-threaded
//!   with a fixed seed, so training is bit-for-bit deterministic. Logistic regression rather
//!   than naive Bayes because its probabilities can be calibrated and it handles the many
//!   overlapping cue words of border cases without counting them twice. Confidences are softmax
//!   probabilities with a temperature fitted (minimum log-loss) on every fifth training line,
//!   predicted by a model trained on the other four fifths.
//! - **Training at first use**: `datasets/intent/train.jsonl` and the classifier's supplement
//!   `train_extra.jsonl` (810 lines written for it, see `datasets/intent/EXTRA.md`) are
//!   embedded with `include_str!` and trained into the [`IntentClassifier::builtin()`]
//!   singleton the first time it is asked for: about 0.1 s in a release build, 2–3 s in a debug
//!   build. No generated weight file to keep in sync.
//! - **Fallback**: when the top probability is below `threshold` (default 0.35) or the top two
//!   are closer than `min_margin` (default 0.08) ([`ClassifierConfig`]), when the message is
//!   empty, and when the model knows none of its features (gibberish: the ranking would only
//!   be the label prior).
//! - **Speed**: about 3.5 µs per message (median over the held-out split, release build),
//!   20 µs for a 250-character message. No allocation per character.
//!
//! ## How the choices were made
//!
//! Features, keyword classes and [`TrainParams::default()`] were chosen by stratified 5-fold
//! cross-validation on the training data (train.jsonl alone: 0.89; with the supplement: 0.93),
//! and by training on `train.jsonl` alone and testing on the independently written supplement
//! (0.96). `heldout.jsonl` was used only to report: the test
//! `heldout_accuracy_is_at_least_85_percent` is the CI gate of the issue.

mod eval;
mod features;
mod lexicon;
mod model;
mod normalize;
pub(crate) mod t2s;

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

pub use eval::{IntentReport, LabelMetrics, evaluate};
pub use model::TrainParams;
pub use normalize::normalize;

use model::Model;

/// The 27 standard intent labels of `intents.md`, in its order.
pub const LABELS: [&str; 27] = [
    "order_tracking",
    "product_inquiry",
    "price_inquiry",
    "promotion_coupon",
    "place_order",
    "payment_issue",
    "invoice",
    "refund_request",
    "return_exchange",
    "cancel_order",
    "modify_order",
    "shipping_delivery",
    "complaint",
    "after_sales_repair",
    "account_login",
    "membership_points",
    "course_inquiry",
    "enrollment_schedule",
    "store_location_hours",
    "booking_appointment",
    "human_agent",
    "greeting",
    "thanks_goodbye",
    "technical_support",
    "privacy_data",
    "feedback_suggestion",
    "chitchat_other",
];

/// The number of labels.
pub const N_LABELS: usize = LABELS.len();

/// The built-in training data: the team's `train.jsonl` and the classifier's supplement
/// (`train_extra.jsonl`, see `datasets/intent/EXTRA.md`), plus the dialect training split
/// below. Never a `heldout.jsonl`.
const TRAIN_JSONL: [&str; 2] = [
    include_str!("../../../datasets/intent/train.jsonl"),
    include_str!("../../../datasets/intent/train_extra.jsonl"),
];

/// The dialect training splits (`datasets/dialect/train*.jsonl`): each line's text as written
/// (Cantonese or Mandarin) and its Mandarin rendering, both with the line's intent — so the
/// classifier knows the words customers in Guangdong and Hong Kong use, and the plain Mandarin
/// the dialect add-on rewrites them into. Never the dialect held-out split.
const DIALECT_TRAIN_JSONL: [&str; 3] = [
    include_str!("../../../datasets/dialect/train.jsonl"),
    include_str!("../../../datasets/dialect/train_extra.jsonl"),
    include_str!("../../../datasets/dialect/train_extra2.jsonl"),
];

#[derive(Deserialize)]
struct DialectLine {
    text: String,
    mandarin: String,
    intent: String,
}

/// The built-in training lines.
pub fn builtin_training_data() -> Vec<LabelledText> {
    let mut out: Vec<LabelledText> = TRAIN_JSONL
        .iter()
        .flat_map(|text| parse_labelled_jsonl(text).expect("the built-in training data parses"))
        .collect();
    for line in DIALECT_TRAIN_JSONL
        .iter()
        .flat_map(|t| t.lines())
        .filter(|l| !l.trim().is_empty())
    {
        let d: DialectLine = serde_json::from_str(line).expect("the dialect training data parses");
        assert!(
            label_index(&d.intent).is_some(),
            "dialect train: {}",
            d.intent
        );
        if d.mandarin != d.text {
            out.push(LabelledText {
                text: d.mandarin,
                intent: d.intent.clone(),
            });
        }
        out.push(LabelledText {
            text: d.text,
            intent: d.intent,
        });
    }
    out
}

/// The index of a label in [`LABELS`].
pub fn label_index(label: &str) -> Option<usize> {
    LABELS.iter().position(|l| *l == label)
}

/// When a classification is too unsure to act on. Deserialises from e.g. a tenant setting
/// `{"threshold": 0.5}` (missing fields take the defaults).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClassifierConfig {
    /// Below this top probability the result is a fallback.
    pub threshold: f32,
    /// If the top two probabilities are closer than this, the result is a fallback.
    pub min_margin: f32,
}

impl ClassifierConfig {
    /// Whether a ranking whose best two confidences are `first` and `second` is too unsure to
    /// act on (below the threshold, or the top two too close).
    pub fn is_unsure(&self, first: f32, second: f32) -> bool {
        first < self.threshold || first - second < self.min_margin
    }
}

impl Default for ClassifierConfig {
    fn default() -> Self {
        ClassifierConfig {
            threshold: 0.35,
            min_margin: 0.08,
        }
    }
}

/// The labels ranked by confidence, and whether the caller should fall back (ask, hand off)
/// instead of acting on the top label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Classification {
    /// All 27 labels with their probabilities (summing to 1), most likely first.
    pub ranked: Vec<(String, f32)>,
    pub fallback: bool,
}

impl Classification {
    /// The most likely label and its probability.
    pub fn top(&self) -> (&str, f32) {
        self.ranked
            .first()
            .map(|(l, p)| (l.as_str(), *p))
            .unwrap_or(("chitchat_other", 0.0))
    }
}

/// A labelled line of a dataset, `{"text", "intent"}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelledText {
    pub text: String,
    pub intent: String,
}

/// Why a labelled dataset could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("line {line}: not a {{\"text\", \"intent\"}} JSON object: {source}")]
    BadLine {
        line: usize,
        source: serde_json::Error,
    },
    #[error("line {line}: unknown intent {intent:?} (see intents.md for the 27 labels)")]
    UnknownLabel { line: usize, intent: String },
}

/// Parses JSON Lines of `{"text", "intent"}`, skipping blank lines; line numbers are 1-based.
pub fn parse_labelled_jsonl(text: &str) -> Result<Vec<LabelledText>, DatasetError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let item: LabelledText =
            serde_json::from_str(line).map_err(|source| DatasetError::BadLine {
                line: i + 1,
                source,
            })?;
        if label_index(&item.intent).is_none() {
            return Err(DatasetError::UnknownLabel {
                line: i + 1,
                intent: item.intent,
            });
        }
        out.push(item);
    }
    Ok(out)
}

/// A trained intent classifier.
#[derive(Debug, Clone, PartialEq)]
pub struct IntentClassifier {
    model: Model,
}

impl IntentClassifier {
    /// The classifier trained on the repository's `train.jsonl` and `train_extra.jsonl`,
    /// built on first use (about 0.1 s in a release build) and shared afterwards.
    pub fn builtin() -> &'static IntentClassifier {
        static BUILTIN: OnceLock<IntentClassifier> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            IntentClassifier::train(&builtin_training_data(), &TrainParams::default())
        })
    }

    /// Trains a classifier on labelled lines (every `intent` must be one of [`LABELS`]; others
    /// are skipped).
    pub fn train(data: &[LabelledText], params: &TrainParams) -> IntentClassifier {
        let examples: Vec<_> = data
            .iter()
            .filter_map(|d| Some((features::extract(&d.text), label_index(&d.intent)?)))
            .collect();
        IntentClassifier {
            model: Model::train(&examples, params),
        }
    }

    /// Probabilities in the order of [`LABELS`].
    pub fn probabilities(&self, text: &str) -> [f32; N_LABELS] {
        self.model.probabilities(&features::extract(text)).0
    }

    /// Classifies with the default [`ClassifierConfig`].
    pub fn classify(&self, text: &str) -> Classification {
        self.classify_with(text, &ClassifierConfig::default())
    }

    /// Classifies and decides on fallback with `config`.
    pub fn classify_with(&self, text: &str, config: &ClassifierConfig) -> Classification {
        let (p, known) = self.model.probabilities(&features::extract(text));
        self.decide(text, p, known, config)
    }

    /// Classifies a text a preprocess plugin rewrote (e.g. Cantonese into Mandarin) from both
    /// the rewrite and the customer's own words: the two probability vectors are averaged, so
    /// a word the rewrite lost still counts, and a rewrite that is only partly right cannot
    /// outvote the original alone.
    pub fn classify_rewritten_with(
        &self,
        rewritten: &str,
        original: &str,
        config: &ClassifierConfig,
    ) -> Classification {
        if rewritten == original {
            return self.classify_with(rewritten, config);
        }
        let (a, ka) = self.model.probabilities(&features::extract(rewritten));
        let (b, kb) = self.model.probabilities(&features::extract(original));
        let mut p = [0f32; N_LABELS];
        for i in 0..N_LABELS {
            p[i] = (a[i] + b[i]) / 2.0;
        }
        self.decide(rewritten, p, ka + kb, config)
    }

    fn decide(
        &self,
        text: &str,
        p: [f32; N_LABELS],
        known: usize,
        config: &ClassifierConfig,
    ) -> Classification {
        let mut order: Vec<usize> = (0..N_LABELS).collect();
        // Stable sort: equal probabilities keep the order of LABELS.
        order.sort_by(|&a, &b| p[b].total_cmp(&p[a]));
        let (first, second) = (p[order[0]], p[order[1]]);
        // With no known feature the ranking is only the label prior: nothing to act on.
        let fallback = known == 0 || text.trim().is_empty() || config.is_unsure(first, second);
        Classification {
            ranked: order
                .into_iter()
                .map(|i| (LABELS[i].to_owned(), p[i]))
                .collect(),
            fallback,
        }
    }

    /// The softmax temperature fitted at training time.
    pub fn temperature(&self) -> f32 {
        self.model.temperature()
    }

    /// How many distinct features the model knows.
    pub fn n_features(&self) -> usize {
        self.model.n_features()
    }
}

#[cfg(test)]
mod tests;
