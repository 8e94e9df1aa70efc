//! The built-in stages' cost per message, on the held-out intent lines: normalization (N1),
//! the built-in intent classifier (N2; target ≤ 50 µs) and a 50-rule decision set (N3).
//!
//! Run: `cargo bench -p kefu-tests --bench builtins`

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;

use kefu_host::classifier::IntentClassifier;
use kefu_host::pipeline::normalize::normalize;
use kefu_host::pipeline::rules::{CustomerFacts, RuleInput, RuleSet};
use serde_json::json;

fn median_us(mut v: Vec<u64>) -> (f64, f64) {
    v.sort_unstable();
    (
        v[v.len() / 2] as f64 / 1000.0,
        v[(v.len() - 1) * 99 / 100] as f64 / 1000.0,
    )
}

fn main() {
    let heldout =
        std::fs::read_to_string(kefu_tests::repo_root().join("datasets/intent/heldout.jsonl"))
            .unwrap();
    let texts: Vec<String> = heldout
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["text"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let classifier = IntentClassifier::builtin();
    // 50 rules of the usual kinds: keywords, intents with confidence, a few regexes, hours.
    let mut rules = Vec::new();
    let labels = kefu_host::classifier::LABELS;
    for i in 0..50 {
        let when = match i % 5 {
            0 => {
                json!({"keywords_any": [format!("关键词{i}"), "投诉"], "intent": [labels[i % 27]]})
            }
            1 => json!({"intent": [labels[i % 27]], "min_confidence": 0.9}),
            2 => json!({"regex": format!("订单{i}\\d+")}),
            3 => json!({"keywords_all": ["退款", format!("第{i}次")], "vip": true}),
            _ => json!({"segment": ["k12-parent"], "keywords_any": ["课程"], "channel": ["web"]}),
        };
        rules.push(json!({"id": format!("r{i}"), "when": when,
                          "then": [{"type": "reply", "template": "{{customer_name|您}}好，已收到。"}]}));
    }
    let set = RuleSet::parse_json(&json!({"rules": rules})).unwrap();
    let profile = BTreeMap::new();

    let mut norm = Vec::new();
    let mut classify = Vec::new();
    let mut decide = Vec::new();
    for _round in 0..20 {
        for text in &texts {
            let t = Instant::now();
            let n = normalize(black_box(text));
            norm.push(t.elapsed().as_nanos() as u64);
            let t = Instant::now();
            let c = classifier.classify(black_box(&n.text));
            classify.push(t.elapsed().as_nanos() as u64);
            let top = c.ranked.first().map(|(l, p)| (l.as_str(), *p));
            let t = Instant::now();
            let d = set.evaluate(&RuleInput {
                text: &n.text,
                intent: top,
                fallback: c.fallback,
                customer: CustomerFacts {
                    name: Some("王女士"),
                    tags: &[],
                    segment: None,
                    vip: false,
                    profile: &profile,
                },
                channel: "wechat",
                now_ms: 1_795_600_000_000,
                tenant_name: "bench",
                ..Default::default()
            });
            decide.push(t.elapsed().as_nanos() as u64);
            black_box(d);
        }
    }
    println!(
        "{} messages × 20 rounds (held-out intent lines)",
        texts.len()
    );
    println!("| built-in step | median | p99 |");
    println!("|---|---|---|");
    for (name, v) in [
        ("normalize", norm),
        ("classify (built-in)", classify),
        ("decide (50 rules)", decide),
    ] {
        let (m, p99) = median_us(v);
        println!("| {name} | {m:.1} µs | {p99:.1} µs |");
    }
}
