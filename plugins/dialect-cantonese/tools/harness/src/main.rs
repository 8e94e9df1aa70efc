//! `dialect-eval`: measures the dialect-cantonese engine natively.
//!
//! ```text
//! dialect-eval eval FILE.jsonl [--threshold T] [--verbose] [--intent-out DIR]
//! dialect-eval scan FILE [--expect yue|cmn] [--show N] [--threshold T]     (JSON array, JSONL {"text"} or plain lines)
//! dialect-eval rewrite-all FILE                               (renderings of the detected lines)
//! dialect-eval show                                           (reads lines from stdin)
//! dialect-eval sweep FILE.jsonl...                            (precision/recall per threshold)
//! ```
use std::collections::HashMap;
use std::io::{BufRead, Write};

use dialect_cantonese_harness::bundled_engine;
use dialect_cantonese_harness::engine::{Engine, Options};
use serde_json::{Value, json};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let engine = bundled_engine();
    match args.first().map(String::as_str) {
        Some("eval") => eval(&engine, &args[1..]),
        Some("scan") => scan(&engine, &args[1..]),
        Some("sweep") => sweep(&engine, &args[1..]),
        Some("show") => show(&engine),
        Some("rewrite-all") => rewrite_all(&engine, &args[1..]),
        _ => {
            eprintln!("usage: dialect-eval eval|scan|sweep|show ...");
            std::process::exit(2);
        }
    }
}

fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

fn read_jsonl(path: &str) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("valid JSON line"))
        .collect()
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// Character-bigram F1 between two strings, on CJK/alnum characters only.
fn bigram_f1(a: &str, b: &str) -> f64 {
    fn grams(s: &str) -> HashMap<(char, char), usize> {
        let cs: Vec<char> = s.chars().filter(|c| c.is_alphanumeric()).collect();
        let mut m = HashMap::new();
        for w in cs.windows(2) {
            *m.entry((w[0], w[1])).or_insert(0) += 1;
        }
        m
    }
    let (ga, gb) = (grams(a), grams(b));
    let na: usize = ga.values().sum();
    let nb: usize = gb.values().sum();
    if na == 0 || nb == 0 {
        return if a == b { 1.0 } else { 0.0 };
    }
    let overlap: usize = ga
        .iter()
        .map(|(k, v)| (*v).min(*gb.get(k).unwrap_or(&0)))
        .sum();
    let (p, r) = (overlap as f64 / na as f64, overlap as f64 / nb as f64);
    if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    }
}

struct Counts {
    tp: usize,
    fp: usize,
    fn_: usize,
    tn: usize,
}

impl Counts {
    fn report(&self) -> Value {
        let p = self.tp as f64 / (self.tp + self.fp).max(1) as f64;
        let r = self.tp as f64 / (self.tp + self.fn_).max(1) as f64;
        let f1 = if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        };
        let fpr = self.fp as f64 / (self.fp + self.tn).max(1) as f64;
        json!({"precision": round(p), "recall": round(r), "f1": round(f1), "false_positive_rate": round(fpr),
               "tp": self.tp, "fp": self.fp, "fn": self.fn_, "tn": self.tn})
    }
}

fn round(x: f64) -> f64 {
    (x * 10000.0).round() / 10000.0
}

fn eval(engine: &Engine, args: &[String]) {
    let path = &args[0];
    let verbose = args.iter().any(|a| a == "--verbose");
    let opts = Options::new(
        flag(args, "--threshold").map(|t| t.parse().unwrap()),
        [],
        engine.t2s(),
    );
    let rows = read_jsonl(path);
    let mut c = Counts {
        tp: 0,
        fp: 0,
        fn_: 0,
        tn: 0,
    };
    let (mut sim_raw, mut sim_out, mut n_yue) = (0.0, 0.0, 0usize);
    let mut intent_files: Option<[std::fs::File; 3]> = flag(args, "--intent-out").map(|dir| {
        std::fs::create_dir_all(dir).unwrap();
        ["yue_raw.jsonl", "yue_plugin.jsonl", "cmn.jsonl"]
            .map(|f| std::fs::File::create(format!("{dir}/{f}")).unwrap())
    });
    for row in &rows {
        let text = s(row, "text");
        let gold_yue = s(row, "dialect") == "yue";
        let a = engine.analyze(text, &opts);
        let out = engine.preprocess(text, &opts).map(|a| a.rewritten);
        let after = out.clone().unwrap_or_else(|| text.to_owned());
        match (gold_yue, a.is_cantonese) {
            (true, true) => c.tp += 1,
            (false, true) => c.fp += 1,
            (true, false) => c.fn_ += 1,
            (false, false) => c.tn += 1,
        }
        if gold_yue {
            n_yue += 1;
            sim_raw += bigram_f1(&engine.t2s().convert(text), s(row, "mandarin"));
            sim_out += bigram_f1(&after, s(row, "mandarin"));
        }
        let wrong = gold_yue != a.is_cantonese;
        if verbose || wrong {
            let markers: Vec<String> = a
                .markers
                .iter()
                .map(|m| format!("{}:{}", m.phrase, m.weight))
                .collect();
            println!(
                "{} gold={} score={:.2} [{}]\n    {}\n  → {}\n  ≈ {}",
                if wrong { "MISS" } else { "ok  " },
                s(row, "dialect"),
                a.score,
                markers.join(" "),
                text,
                after,
                s(row, "mandarin")
            );
        }
        if let Some(files) = intent_files.as_mut() {
            let intent = s(row, "intent");
            if gold_yue {
                writeln!(files[0], "{}", json!({"text": text, "intent": intent})).unwrap();
                writeln!(files[1], "{}", json!({"text": after, "intent": intent})).unwrap();
            } else {
                writeln!(files[2], "{}", json!({"text": text, "intent": intent})).unwrap();
            }
        }
    }
    let mut report = c.report();
    report["yue_lines"] = json!(n_yue);
    report["bigram_f1_to_mandarin_raw"] = json!(round(sim_raw / n_yue.max(1) as f64));
    report["bigram_f1_to_mandarin_rewritten"] = json!(round(sim_out / n_yue.max(1) as f64));
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
}

fn load_texts(path: &str) -> Vec<String> {
    let raw = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    if raw.trim_start().starts_with('[') {
        let v: Vec<Value> = serde_json::from_str(&raw).unwrap();
        return v
            .iter()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect();
    }
    raw.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| match serde_json::from_str::<Value>(l) {
            Ok(v) if v.get("text").is_some() => s(&v, "text").to_owned(),
            _ => l.to_owned(),
        })
        .collect()
}

fn scan(engine: &Engine, args: &[String]) {
    let texts = load_texts(&args[0]);
    let show: usize = flag(args, "--show").map_or(20, |n| n.parse().unwrap());
    let expect = flag(args, "--expect").unwrap_or("yue");
    let opts = Options::new(
        flag(args, "--threshold").map(|t| t.parse().unwrap()),
        [],
        engine.t2s(),
    );
    let mut hits = 0;
    let mut shown = 0;
    let mut marker_counts: HashMap<String, usize> = HashMap::new();
    for t in &texts {
        let a = engine.analyze(t, &opts);
        if a.is_cantonese {
            hits += 1;
        }
        let unexpected = a.is_cantonese != (expect == "yue");
        if unexpected {
            for m in &a.markers {
                *marker_counts.entry(m.phrase.clone()).or_default() += 1;
            }
            if shown < show {
                shown += 1;
                let ms: Vec<String> = a
                    .markers
                    .iter()
                    .map(|m| format!("{}:{}", m.phrase, m.weight))
                    .collect();
                println!("{:.2} [{}] {}", a.score, ms.join(" "), t);
            }
        }
    }
    let mut mc: Vec<_> = marker_counts.into_iter().collect();
    mc.sort_by_key(|m| std::cmp::Reverse(m.1));
    println!("markers on unexpected lines: {:?}", &mc[..mc.len().min(40)]);
    println!(
        "{} lines, detected as yue: {} ({:.4})",
        texts.len(),
        hits,
        hits as f64 / texts.len().max(1) as f64
    );
}

fn sweep(engine: &Engine, args: &[String]) {
    let rows: Vec<Value> = args.iter().flat_map(|p| read_jsonl(p)).collect();
    let opts = Options::new(Some(f32::INFINITY), [], engine.t2s());
    let scored: Vec<(bool, f32)> = rows
        .iter()
        .map(|r| {
            (
                s(r, "dialect") == "yue",
                engine.analyze(s(r, "text"), &opts).score,
            )
        })
        .collect();
    for t in [
        0.3f32, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2, 1.4, 1.6, 2.0,
    ] {
        let mut c = Counts {
            tp: 0,
            fp: 0,
            fn_: 0,
            tn: 0,
        };
        for &(y, sc) in &scored {
            match (y, sc >= t) {
                (true, true) => c.tp += 1,
                (false, true) => c.fp += 1,
                (true, false) => c.fn_ += 1,
                (false, false) => c.tn += 1,
            }
        }
        println!("threshold {t:.1}: {}", c.report());
    }
}

fn show(engine: &Engine) {
    let opts = Options::default();
    for line in std::io::stdin().lock().lines() {
        let line = line.unwrap();
        let a = engine.analyze(&line, &opts);
        let ms: Vec<String> = a
            .markers
            .iter()
            .map(|m| format!("{}:{}", m.phrase, m.weight))
            .collect();
        println!(
            "{} score={:.2} [{}]\n  {}\n  → {}",
            if a.is_cantonese { "YUE" } else { "cmn" },
            a.score,
            ms.join(" "),
            line,
            a.rewritten
        );
    }
}

/// Prints the Mandarin rendering of every detected line of a corpus (one a line).
fn rewrite_all(engine: &Engine, args: &[String]) {
    let opts = Options::default();
    for t in load_texts(&args[0]) {
        if let Some(a) = engine.preprocess(&t, &opts) {
            println!("{}", a.rewritten.replace('\n', " "));
        }
    }
}
