//! Measures the skill pack's script choice natively (no sandbox), from the plugin directory:
//!
//! ```sh
//! cargo run --example eval_scripts -- questions eval/demo-config.json eval/questions-3.jsonl
//! cargo run --example eval_scripts -- probe eval/demo-config.json < some-lines.txt
//! cargo run --example eval_scripts -- intents eval/demo-config.json ../../datasets/intent/train.jsonl course_inquiry,enrollment_schedule
//! ```
//!
//! `questions` reads `{"text", "expected_topic", "expected_script", "tags"?}` lines (a null topic
//! means the pack must stay silent) and prints the misses and one JSON summary line; `probe`
//! prints the top-ranked scripts and the reply for each input line; `intents` counts how many
//! lines of an intent dataset get an answer, per label. CONFIG is a tenant configuration file,
//! or `-` for `{}`.
use kefu_edu_skill_pack::skill::{self, Request, Tenant, config::EduConfig, scripts::Library};
use std::io::BufRead;

fn tenant(cfg_path: &str) -> Tenant {
    let bundled = Library::parse_jsonl(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/scripts.jsonl"))
            .unwrap(),
    )
    .unwrap();
    let cfg: EduConfig = if cfg_path == "-" {
        EduConfig::default()
    } else {
        serde_json::from_str(&std::fs::read_to_string(cfg_path).unwrap()).unwrap()
    };
    Tenant::new(&bundled, cfg)
}

fn req(text: &str, tags: &[&str]) -> Request {
    let mut r = Request {
        text: text.to_owned(),
        customer_name: Some("王女士".into()),
        tags: tags.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    };
    let a = skill::analyze(&r);
    r.annotations = a.annotations;
    r
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let t = tenant(&args[2]);
    match args[1].as_str() {
        "probe" => {
            for line in std::io::stdin().lock().lines() {
                let line = line.unwrap();
                if line.trim().is_empty() {
                    continue;
                }
                let r = req(&line, &[]);
                let tn = skill::text::normalize(&line);
                let ranked: Vec<String> = t
                    .library
                    .rank(&tn, &[], 0.0)
                    .iter()
                    .take(3)
                    .map(|(s, sc)| format!("{}:{:.2}", s.id, sc))
                    .collect();
                match t.respond(&r) {
                    Some(rep) => println!(
                        "{line}\n  [{}] {:?}\n  => {}\n",
                        ranked.join(" "),
                        r.annotations,
                        rep.text.replace('\n', " / ")
                    ),
                    None => println!("{line}\n  [{}] NONE\n", ranked.join(" ")),
                }
            }
        }
        "questions" => {
            let (mut n, mut answered, mut topic_ok, mut script_ok, mut neg, mut neg_ok) =
                (0, 0, 0, 0, 0, 0);
            for line in std::fs::read_to_string(&args[3]).unwrap().lines() {
                if line.trim().is_empty() {
                    continue;
                }
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                let text = v["text"].as_str().unwrap();
                let tags: Vec<&str> = v["tags"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|x| x.as_str()).collect())
                    .unwrap_or_default();
                let exp_topic = v["expected_topic"].as_str();
                let exp_script = v["expected_script"].as_str();
                let got = t.respond(&req(text, &tags));
                let got_script = got.as_ref().map(|r| {
                    r.annotations
                        .iter()
                        .find(|(k, _)| k == "script_id")
                        .unwrap()
                        .1
                        .clone()
                });
                let got_topic = got.as_ref().map(|r| {
                    r.annotations
                        .iter()
                        .find(|(k, _)| k == "topic")
                        .unwrap()
                        .1
                        .clone()
                });
                if exp_topic.is_none() {
                    neg += 1;
                    if got.is_none() {
                        neg_ok += 1
                    } else {
                        println!("FALSE ANSWER {text} -> {:?}", got_script)
                    }
                    continue;
                }
                n += 1;
                if got.is_some() {
                    answered += 1
                }
                let tok = got_topic.as_deref() == exp_topic;
                let sok = exp_script.is_none_or(|e| got_script.as_deref() == Some(e));
                if tok {
                    topic_ok += 1
                }
                if sok && tok {
                    script_ok += 1
                }
                if !(tok && sok) {
                    println!(
                        "MISS {text}: expected {:?}/{:?} got {:?}/{:?}",
                        exp_topic, exp_script, got_topic, got_script
                    )
                }
            }
            println!(
                "{{\"questions\": {n}, \"answered\": {answered}, \"coverage\": {:.3}, \"topic_accuracy\": {:.3}, \"script_accuracy\": {:.3}, \"negatives\": {neg}, \"negatives_declined\": {neg_ok}}}",
                answered as f64 / n as f64,
                topic_ok as f64 / n as f64,
                script_ok as f64 / n as f64
            );
        }
        "intents" => {
            let labels: Vec<&str> = args[4].split(',').collect();
            let mut per: std::collections::BTreeMap<String, (u32, u32)> = Default::default();
            for line in std::fs::read_to_string(&args[3]).unwrap().lines() {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                let label = v["intent"].as_str().unwrap();
                let text = v["text"].as_str().unwrap();
                let e = per.entry(label.to_owned()).or_default();
                let got = t.respond(&req(text, &[]));
                if labels.contains(&label) {
                    e.0 += 1;
                    if let Some(g) = &got {
                        e.1 += 1;
                        if args.len() > 5 {
                            println!("{label}\t{text}\t{}", g.annotations[0].1)
                        }
                    } else if args.len() > 5 {
                        println!("{label}\t{text}\tNONE")
                    }
                } else {
                    e.0 += 1;
                    if got.is_some() {
                        e.1 += 1
                    }
                }
            }
            for (l, (n, a)) in per {
                println!("{l:24} {a:4}/{n:4} answered")
            }
        }
        _ => panic!("mode"),
    }
}
