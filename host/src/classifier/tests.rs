use super::*;

/// The held-out split: read only here, to measure. Never trained or tuned on.
const HELDOUT_JSONL: &str = include_str!("../../../datasets/intent/heldout.jsonl");

fn top(text: &str) -> String {
    IntentClassifier::builtin()
        .classify(text)
        .top()
        .0
        .to_owned()
}

#[test]
fn heldout_accuracy_is_at_least_85_percent() {
    let heldout = parse_labelled_jsonl(HELDOUT_JSONL).unwrap();
    let c = IntentClassifier::builtin();
    let report = evaluate(
        heldout
            .iter()
            .map(|l| (l.intent.clone(), c.classify(&l.text).top().0.to_owned())),
    );
    assert!(
        report.accuracy >= 0.85,
        "held-out accuracy {:.4} < 0.85\n{}",
        report.accuracy,
        report.render_text()
    );
}

#[test]
fn training_is_deterministic() {
    let again = IntentClassifier::train(&builtin_training_data(), &TrainParams::default());
    assert!(again == *IntentClassifier::builtin());
    let text = "快递三天没更新了";
    assert_eq!(
        again.probabilities(text),
        IntentClassifier::builtin().probabilities(text)
    );
}

#[test]
fn every_label_is_predicted_for_its_own_obvious_example() {
    let cases = [
        ("order_tracking", "我的包裹到哪里了，物流一直不更新"),
        ("product_inquiry", "这件衣服是什么面料的，会起球吗"),
        ("price_inquiry", "这个多少钱一个"),
        ("promotion_coupon", "现在有优惠券可以领吗"),
        ("place_order", "我想买三件，怎么下单"),
        ("payment_issue", "付款一直失败，钱扣了订单还是待付款"),
        ("invoice", "麻烦开一张发票，抬头写公司"),
        ("refund_request", "退款什么时候到账"),
        ("return_exchange", "衣服小了，想换大一码"),
        ("cancel_order", "刚下的单帮我取消掉"),
        ("modify_order", "还没发货的话帮我改一下收货地址"),
        ("shipping_delivery", "发什么快递，包邮吗"),
        ("complaint", "你们服务态度太差了，我要投诉"),
        ("after_sales_repair", "洗衣机坏了，能上门维修吗"),
        ("account_login", "密码忘了登录不上去"),
        ("membership_points", "我还有多少积分，能兑换什么"),
        ("course_inquiry", "这个课程适合零基础吗，老师是外教吗"),
        ("enrollment_schedule", "我想给孩子报名，什么时候开课"),
        ("store_location_hours", "你们门店几点开门，地址在哪"),
        ("booking_appointment", "帮我预约明天下午的美甲"),
        ("human_agent", "转人工客服"),
        ("greeting", "你好，在吗"),
        ("thanks_goodbye", "好的，谢谢，再见"),
        ("technical_support", "app一打开就闪退"),
        ("privacy_data", "我要注销账号，删除我的个人信息"),
        ("feedback_suggestion", "建议你们增加夜间模式"),
        ("chitchat_other", "你是机器人吗"),
    ];
    for label in LABELS {
        assert!(
            cases.iter().any(|(l, _)| *l == label),
            "no case for {label}"
        );
    }
    let c = IntentClassifier::builtin();
    for (label, text) in cases {
        let r = c.classify(text);
        assert_eq!(r.top().0, label, "{text}: {:?}", &r.ranked[..3]);
        assert!(!r.fallback, "{text} fell back: {:?}", &r.ranked[..3]);
    }
}

#[test]
fn traditional_and_cantonese_messages_are_understood() {
    assert_eq!(top("點解我嘅貨仲未到"), "order_tracking");
    assert_eq!(top("請問發票怎麼開"), "invoice");
    assert_eq!(top("我想退錢，幾時可以退返俾我"), "refund_request");
    assert_eq!(top("唔該幫我轉真人"), "human_agent");
}

#[test]
fn probabilities_are_ranked_and_sum_to_one() {
    let r = IntentClassifier::builtin().classify("我想开发票");
    assert_eq!(r.ranked.len(), LABELS.len());
    let sum: f32 = r.ranked.iter().map(|(_, p)| p).sum();
    assert!((sum - 1.0).abs() < 1e-4, "sum {sum}");
    assert!(r.ranked.windows(2).all(|w| w[0].1 >= w[1].1));
    let mut labels: Vec<&str> = r.ranked.iter().map(|(l, _)| l.as_str()).collect();
    labels.sort_unstable();
    let mut expected = LABELS.to_vec();
    expected.sort_unstable();
    assert_eq!(labels, expected);
}

#[test]
fn fallback_triggers_on_gibberish_and_empty_messages() {
    let c = IntentClassifier::builtin();
    for text in ["", "   ", "qzxv wkjp", "zzzzzzzz", "ǂǂǂ"] {
        let r = c.classify(text);
        assert!(
            r.fallback,
            "{text:?} did not fall back: {:?}",
            &r.ranked[..3]
        );
    }
}

#[test]
fn fallback_triggers_on_near_ties() {
    let c = IntentClassifier::builtin();
    let text = "退货退款";
    let r = c.classify_with(text, &ClassifierConfig::default());
    let margin = r.ranked[0].1 - r.ranked[1].1;
    let tight = ClassifierConfig {
        threshold: 0.0,
        min_margin: margin + 0.01,
    };
    assert!(c.classify_with(text, &tight).fallback);
    let loose = ClassifierConfig {
        threshold: 0.0,
        min_margin: (margin - 0.01).max(0.0),
    };
    assert!(!c.classify_with(text, &loose).fallback);
}

#[test]
fn fallback_threshold_is_configurable() {
    let c = IntentClassifier::builtin();
    let text = "怎么开发票";
    let p = c.classify(text).top().1;
    let above = ClassifierConfig {
        threshold: p + 0.01,
        min_margin: 0.0,
    };
    let below = ClassifierConfig {
        threshold: p - 0.01,
        min_margin: 0.0,
    };
    assert!(c.classify_with(text, &above).fallback);
    assert!(!c.classify_with(text, &below).fallback);
}

#[test]
fn confidences_are_calibrated_with_a_fitted_temperature() {
    let t = IntentClassifier::builtin().temperature();
    assert!(t.is_finite() && t > 0.05 && t < 20.0, "temperature {t}");
}

#[test]
fn training_data_has_at_least_40_lines_per_label() {
    let data = builtin_training_data();
    for label in LABELS {
        let n = data.iter().filter(|d| d.intent == label).count();
        assert!(n >= 40, "{label}: {n}");
    }
}

#[test]
fn training_data_and_heldout_do_not_share_lines() {
    let heldout: std::collections::HashSet<String> = parse_labelled_jsonl(HELDOUT_JSONL)
        .unwrap()
        .into_iter()
        .map(|l| l.text)
        .collect();
    for line in builtin_training_data() {
        assert!(!heldout.contains(&line.text), "{:?} is in both", line.text);
    }
}

#[test]
fn a_bad_dataset_line_is_named() {
    let err =
        parse_labelled_jsonl("{\"text\": \"a\", \"intent\": \"greeting\"}\n{oops\n").unwrap_err();
    assert!(err.to_string().starts_with("line 2:"), "{err}");
    let err = parse_labelled_jsonl("\n{\"text\": \"a\", \"intent\": \"nope\"}\n").unwrap_err();
    assert!(err.to_string().starts_with("line 2:"), "{err}");
    assert!(err.to_string().contains("nope"));
    let err = parse_labelled_jsonl("{\"text\": \"a\", \"intent\": \"greeting\", \"x\": 1}\n")
        .unwrap_err();
    assert!(err.to_string().starts_with("line 1:"), "{err}");
}

#[test]
fn classifier_config_deserialises_with_defaults() {
    let c: ClassifierConfig = serde_json::from_str(r#"{"threshold": 0.5}"#).unwrap();
    assert_eq!(c.threshold, 0.5);
    assert_eq!(c.min_margin, ClassifierConfig::default().min_margin);
    assert!(serde_json::from_str::<ClassifierConfig>(r#"{"treshold": 0.5}"#).is_err());
}

#[test]
fn a_rewritten_text_is_classified_from_both_texts() {
    let c = IntentClassifier::builtin();
    let config = ClassifierConfig::default();
    let (rewritten, original) = ("我想退款", "我想退款啊唔该");
    let both = c.classify_rewritten_with(rewritten, original, &config);
    let (a, b) = (c.probabilities(rewritten), c.probabilities(original));
    for (label, p) in &both.ranked {
        let i = label_index(label).unwrap();
        assert!((p - (a[i] + b[i]) / 2.0).abs() < 1e-6, "{label}");
    }
    // Nothing was rewritten: the plain classification.
    assert_eq!(
        c.classify_rewritten_with(rewritten, rewritten, &config),
        c.classify_with(rewritten, &config)
    );
}
