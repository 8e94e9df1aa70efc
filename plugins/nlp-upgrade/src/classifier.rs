//! The classifier the plugin runs: tables + model, loaded once, and the ranking with the
//! tenant's options applied. Pure (no SDK), so the trainer's `eval` and the native tests use
//! exactly this code path.

use std::fmt;

use crate::features::{FeatureBuffers, TableError, Tables};
use crate::model::{Model, ModelError};

/// Why the classifier could not be loaded.
#[derive(Debug)]
pub enum LoadError {
    Tables(TableError),
    Model(ModelError),
    /// The model was trained with other `data/*.txt` tables than the ones shipped beside it.
    StaleModel,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Tables(e) => write!(f, "{e}"),
            LoadError::Model(e) => write!(f, "data/model.bin: {e}"),
            LoadError::StaleModel => write!(
                f,
                "data/model.bin was trained with other data/*.txt tables: retrain it (see README)"
            ),
        }
    }
}

impl std::error::Error for LoadError {}

/// What a tenant can change about the ranking.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RankOptions {
    /// How many labels to return (1..=all); `None` means 5.
    pub top_k: Option<usize>,
    /// Labels this tenant never wants (for example the education labels for a restaurant).
    /// Their probability is given to the others in proportion.
    pub exclude: Vec<String>,
}

/// Reusable buffers for [`Classifier::rank_with`]: with one of these, ranking allocates only
/// its result.
#[derive(Debug, Default)]
pub struct Scratch {
    buffers: FeatureBuffers,
    features: Vec<(u32, f32)>,
    probabilities: Vec<f32>,
    top: Vec<(usize, f32)>,
}

/// The loaded classifier.
pub struct Classifier {
    tables: Tables,
    model: Model,
}

impl Classifier {
    /// Parses the three table files and the model file; refuses a model trained on other tables.
    pub fn load(t2s: &str, rewrites: &str, lexicon: &str, model: &[u8]) -> Result<Self, LoadError> {
        let tables = Tables::parse(t2s, rewrites, lexicon).map_err(LoadError::Tables)?;
        let model = Model::from_bytes(model).map_err(LoadError::Model)?;
        if model.fingerprint() != tables.fingerprint() {
            return Err(LoadError::StaleModel);
        }
        Ok(Classifier { tables, model })
    }

    /// The model's labels.
    pub fn labels(&self) -> &[String] {
        self.model.labels()
    }

    /// Calibrated probabilities of every label, in model order (they sum to 1).
    pub fn probabilities(&self, text: &str) -> Vec<f32> {
        let features = self.tables.features(text, &self.model.feature_config());
        self.model.probabilities(&features)
    }

    /// The most likely labels with their probabilities, best first. Empty for a message with
    /// no text, so that the host falls back to its own classifier.
    pub fn rank(&self, text: &str, options: &RankOptions) -> Vec<(String, f32)> {
        self.rank_with(text, options, &mut Scratch::default())
    }

    /// [`Classifier::rank`] with reusable buffers.
    pub fn rank_with(
        &self,
        text: &str,
        options: &RankOptions,
        scratch: &mut Scratch,
    ) -> Vec<(String, f32)> {
        if text.trim().is_empty() {
            return Vec::new();
        }
        let labels = self.model.labels();
        self.tables.features_into(
            text,
            &self.model.feature_config(),
            &mut scratch.buffers,
            &mut scratch.features,
        );
        self.model
            .probabilities_into(&scratch.features, &mut scratch.probabilities);
        let probabilities = &scratch.probabilities;
        let kept_label = |i: usize| !options.exclude.iter().any(|x| *x == labels[i]);
        let kept: f32 = probabilities
            .iter()
            .enumerate()
            .filter(|&(i, _)| kept_label(i))
            .map(|(_, p)| p)
            .sum();
        // The first `top_k` of the ranking (most likely first, ties in model order), kept
        // sorted in one pass: a full sort of every label is not needed.
        let top_k = options.top_k.unwrap_or(5).clamp(1, labels.len());
        let before =
            |a: &(usize, f32), b: &(usize, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)).is_lt();
        let top = &mut scratch.top;
        top.clear();
        for (i, &p) in probabilities.iter().enumerate() {
            if !kept_label(i) {
                continue;
            }
            let entry = (i, if kept > 0.0 { p / kept } else { p });
            if top.len() == top_k {
                if !top.last().is_some_and(|last| before(&entry, last)) {
                    continue;
                }
                top.pop();
            }
            let at = top.partition_point(|t| before(t, &entry));
            top.insert(at, entry);
        }
        top.iter().map(|&(i, p)| (labels[i].clone(), p)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> Classifier {
        Classifier::load(
            include_str!("../data/t2s.txt"),
            include_str!("../data/rewrites.txt"),
            include_str!("../data/lexicon.txt"),
            include_bytes!("../data/model.bin"),
        )
        .expect("the shipped data loads")
    }

    fn top(c: &Classifier, text: &str) -> String {
        c.rank(text, &RankOptions::default())[0].0.clone()
    }

    #[test]
    fn shipped_model_knows_the_27_labels() {
        let c = shipped();
        assert_eq!(c.labels().len(), 27);
        assert!(c.labels().iter().any(|l| l == "order_tracking"));
        assert!(c.labels().iter().any(|l| l == "chitchat_other"));
    }

    #[test]
    fn unambiguous_messages_get_their_label() {
        let c = shipped();
        let cases = [
            ("我的快递到哪了，三天没更新了", "order_tracking"),
            ("退款什么时候到账", "refund_request"),
            ("发票抬头开错了，能重开吗", "invoice"),
            ("转人工", "human_agent"),
            ("验证码一直收不到，登不上", "account_login"),
            ("app一打开就闪退", "technical_support"),
            ("你们店几点关门", "store_location_hours"),
            ("帮我订个今晚六点的位，四个人", "booking_appointment"),
            ("在吗", "greeting"),
            ("好的谢谢，拜拜", "thanks_goodbye"),
            ("我要注销账号，把我的个人信息都删掉", "privacy_data"),
            ("我要去12315投诉你们", "complaint"),
            ("點解我嘅包裹仲未到？", "order_tracking"),
            ("請問可以開發票嗎", "invoice"),
        ];
        for (text, want) in cases {
            assert_eq!(top(&c, text), want, "{text}");
        }
    }

    #[test]
    fn border_rules_are_followed_on_clear_cases() {
        let c = shipped();
        // Rule 1: money back vs goods back vs stopping the order.
        assert_eq!(
            top(&c, "退货已经寄回去了，钱什么时候退给我"),
            "refund_request"
        );
        assert_eq!(top(&c, "鞋子小了，想换大一码"), "return_exchange");
        assert_eq!(top(&c, "刚拍错了，还没发货，帮我取消"), "cancel_order");
        // Rule 3: a placed order's state vs shipping policy.
        assert_eq!(top(&c, "你们一般发什么快递，几天能到"), "shipping_delivery");
        // Rule 7: an explicit wish for a person, even when angry.
        assert_eq!(top(&c, "气死了，马上给我转人工"), "human_agent");
    }

    #[test]
    fn rankings_are_sorted_probabilities_at_most_one() {
        let c = shipped();
        for text in [
            "在吗",
            "这个多少钱",
            "我要退款，东西坏了，还要投诉你们",
            "🤔",
            "asdfgh",
        ] {
            let r = c.rank(text, &RankOptions::default());
            assert_eq!(r.len(), 5, "{text}");
            assert!(r.windows(2).all(|w| w[0].1 >= w[1].1), "{text}: {r:?}");
            let sum: f32 = r.iter().map(|x| x.1).sum();
            assert!(
                sum <= 1.0 + 1e-4 && r.iter().all(|x| x.1 >= 0.0),
                "{text}: {sum}"
            );
        }
        let all = c.rank(
            "这个多少钱",
            &RankOptions {
                top_k: Some(99),
                exclude: vec![],
            },
        );
        assert_eq!(all.len(), 27);
        let sum: f32 = all.iter().map(|x| x.1).sum();
        assert!((sum - 1.0).abs() < 1e-4);
    }

    #[test]
    fn excluded_labels_never_appear_and_the_rest_renormalise() {
        let c = shipped();
        let opts = RankOptions {
            top_k: Some(27),
            exclude: vec!["course_inquiry".into(), "enrollment_schedule".into()],
        };
        let r = c.rank("孩子的数学课几点上课", &opts);
        assert_eq!(r.len(), 25);
        assert!(
            r.iter()
                .all(|(l, _)| l != "course_inquiry" && l != "enrollment_schedule")
        );
        let sum: f32 = r.iter().map(|x| x.1).sum();
        assert!((sum - 1.0).abs() < 1e-4);
    }

    #[test]
    fn reused_buffers_give_the_same_rankings() {
        let c = shipped();
        let mut scratch = Scratch::default();
        let options = [
            RankOptions::default(),
            RankOptions {
                top_k: Some(27),
                exclude: vec![],
            },
            RankOptions {
                top_k: Some(3),
                exclude: vec!["refund_request".into(), "greeting".into()],
            },
        ];
        let texts = [
            "我要退款，东西坏了，还要投诉你们，订单号2024110512345678，电话138 0013 8000",
            "在吗",
            "",
            "點解我嘅包裹仲未到？？",
            "how much is it",
        ];
        for text in texts {
            for o in &options {
                assert_eq!(
                    c.rank_with(text, o, &mut scratch),
                    c.rank(text, o),
                    "{text}"
                );
            }
        }
    }

    #[test]
    fn empty_text_gives_no_opinion() {
        assert!(shipped().rank("  ", &RankOptions::default()).is_empty());
    }

    #[test]
    fn a_model_trained_on_other_tables_is_refused() {
        let err = Classifier::load(
            include_str!("../data/t2s.txt"),
            include_str!("../data/rewrites.txt"),
            "other: 词\n",
            include_bytes!("../data/model.bin"),
        )
        .err()
        .unwrap();
        assert!(matches!(err, LoadError::StaleModel));
    }
}
