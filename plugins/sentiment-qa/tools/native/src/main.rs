//! Measures the plugin's pure models on the JSONL formats of shared/quality.md (the figures
//! `kefu eval sentiment|qa` reports), and explains single messages.
use sentiment_qa_native::sentiment::{Analyzer, Polarity};
use std::collections::BTreeMap;

fn analyzer() -> Analyzer {
    let d = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data");
    let a = Analyzer::from_data(
        &std::fs::read_to_string(format!("{d}/sentiment.tsv")).unwrap(),
        &std::fs::read_to_string(format!("{d}/escalation.tsv")).unwrap(),
    )
    .unwrap();
    if std::env::var("NO_NB").is_ok() {
        return a;
    }
    a.with_backoff(
        sentiment_qa_native::nb::NaiveBayes::parse(
            &std::fs::read_to_string(format!("{d}/nb.tsv")).unwrap(),
            3,
        )
        .unwrap(),
        sentiment_qa_native::nb::NaiveBayes::parse(
            &std::fs::read_to_string(format!("{d}/nb_escalate.tsv")).unwrap(),
            2,
        )
        .unwrap(),
    )
}

#[derive(serde::Deserialize)]
struct SLine {
    text: String,
    sentiment: String,
    escalate: bool,
}

fn prf(tp: f64, fp: f64, fn_: f64) -> (f64, f64, f64) {
    let p = if tp + fp > 0.0 { tp / (tp + fp) } else { 0.0 };
    let r = if tp + fn_ > 0.0 { tp / (tp + fn_) } else { 0.0 };
    let f = if p + r > 0.0 {
        2.0 * p * r / (p + r)
    } else {
        0.0
    };
    (p, r, f)
}

fn eval_sentiment(path: &str, verbose: bool) {
    let a = analyzer();
    let labels = ["negative", "neutral", "positive"];
    let mut conf: BTreeMap<(String, String), usize> = BTreeMap::new();
    let (mut tp, mut fp, mut fn_, mut n, mut correct) = (0.0, 0.0, 0.0, 0, 0);
    for line in std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
    {
        let l: SLine = serde_json::from_str(line).unwrap();
        let v = a.analyze(&l.text);
        let pred = v.polarity.as_str();
        n += 1;
        if pred == l.sentiment {
            correct += 1;
        }
        *conf
            .entry((l.sentiment.clone(), pred.to_owned()))
            .or_default() += 1;
        match (l.escalate, v.escalate) {
            (true, true) => tp += 1.0,
            (false, true) => fp += 1.0,
            (true, false) => fn_ += 1.0,
            _ => {}
        }
        if verbose && (pred != l.sentiment || l.escalate != v.escalate) {
            let tag = if pred != l.sentiment {
                format!("S {}→{}", &l.sentiment[..3], &pred[..3])
            } else {
                "     ".into()
            };
            let etag = if l.escalate != v.escalate {
                format!("E {}→{} {:?}", l.escalate as u8, v.escalate as u8, v.reason)
            } else {
                String::new()
            };
            println!("{tag:10} {etag:30} {}  {}", l.text, a.explain(&l.text));
        }
    }
    let mut f1s = 0.0;
    println!("{path}: n={n} accuracy {:.3}", correct as f64 / n as f64);
    for lab in labels {
        let tpl = *conf.get(&(lab.into(), lab.into())).unwrap_or(&0) as f64;
        let fpl: f64 = labels
            .iter()
            .filter(|g| **g != lab)
            .map(|g| *conf.get(&((*g).into(), lab.into())).unwrap_or(&0) as f64)
            .sum();
        let fnl: f64 = labels
            .iter()
            .filter(|p| **p != lab)
            .map(|p| *conf.get(&(lab.into(), (*p).into())).unwrap_or(&0) as f64)
            .sum();
        let (p, r, f) = prf(tpl, fpl, fnl);
        f1s += f;
        println!(
            "  {lab:9} P {p:.3} R {r:.3} F1 {f:.3} support {}",
            tpl + fnl
        );
    }
    println!("  macro-F1 {:.3}", f1s / 3.0);
    let (p, r, f) = prf(tp, fp, fn_);
    println!("  escalate P {p:.3} R {r:.3} F1 {f:.3} (tp {tp} fp {fp} fn {fn_})");
    let _ = Polarity::Neutral;
}

#[derive(serde::Deserialize)]
struct QTurn {
    role: String,
    text: String,
    ts: u64,
}
#[derive(serde::Deserialize)]
struct QLine {
    session_id: String,
    turns: Vec<QTurn>,
    expected: serde_json::Value,
}

fn eval_qa(path: &str, verbose: bool) {
    use sentiment_qa_native::qa::*;
    let a = analyzer();
    let phrases = Phrases::from_data(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/qa.tsv"))
            .unwrap(),
    )
    .unwrap();
    let th = Thresholds::default();
    let flags = [
        "response_timeout",
        "missed_escalation",
        "missing_closing",
        "forbidden_phrase",
    ];
    let mut counts = [[0usize; 4]; 4]; // tp fp fn tn
    let mut csat: Vec<(String, String)> = Vec::new();
    for line in std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
    {
        let l: QLine = serde_json::from_str(line).unwrap();
        let turns: Vec<Turn> = l
            .turns
            .iter()
            .map(|t| Turn {
                role: match t.role.as_str() {
                    "customer" => Role::Customer,
                    "agent" => Role::Agent,
                    _ => Role::Bot,
                },
                text: t.text.clone(),
                ts_ms: 1_700_000_000_000 + t.ts * 1000,
            })
            .collect();
        let r = inspect(&a, &phrases, &th, &turns);
        let mut errs = Vec::new();
        for (k, f) in flags.iter().enumerate() {
            let gold = l.expected[*f].as_bool().unwrap();
            let pred = r.findings.iter().any(|x| x.kind == *f);
            let c = match (gold, pred) {
                (true, true) => 0,
                (false, true) => 1,
                (true, false) => 2,
                _ => 3,
            };
            counts[k][c] += 1;
            if gold != pred {
                errs.push(format!("{f}:{}→{}", gold as u8, pred as u8));
            }
        }
        let gc = l.expected["csat_risk"].as_str().unwrap().to_owned();
        if gc != r.csat.as_str() {
            errs.push(format!(
                "csat:{}→{} ({})",
                gc,
                r.csat.as_str(),
                r.csat_reason
            ));
        }
        csat.push((gc, r.csat.as_str().to_owned()));
        if verbose && !errs.is_empty() {
            println!("== {} {}", l.session_id, errs.join(" "));
            for (i, t) in l.turns.iter().enumerate() {
                let v = if t.role == "customer" {
                    let v = a.analyze(&t.text);
                    format!(
                        "[{} {}{}]",
                        &v.polarity.as_str()[..3],
                        if v.escalate { "E" } else { "" },
                        if is_trigger(&v) { "T" } else { "" }
                    )
                } else {
                    String::new()
                };
                println!("   {i:2} {:4} {:8} {} {}", t.ts, t.role, t.text, v);
            }
            for f in &r.findings {
                println!("   -> {} @{} {:?} {}", f.kind, f.turn, f.severity, f.detail);
            }
        }
    }
    println!("{path}: sessions {}", csat.len());
    for (k, f) in flags.iter().enumerate() {
        let [tp, fp, fn_, tn] = counts[k];
        let (p, r, _) = prf(tp as f64, fp as f64, fn_ as f64);
        println!(
            "  {f:18} P {p:.3} R {r:.3} acc {:.3} (tp {tp} fp {fp} fn {fn_} tn {tn})",
            (tp + tn) as f64 / (tp + fp + fn_ + tn) as f64
        );
    }
    let labels = ["low", "medium", "high"];
    let acc = csat.iter().filter(|(g, p)| g == p).count() as f64 / csat.len() as f64;
    let mut f1s = 0.0;
    for lab in labels {
        let tp = csat.iter().filter(|(g, p)| g == lab && p == lab).count() as f64;
        let fp = csat.iter().filter(|(g, p)| g != lab && p == lab).count() as f64;
        let fn_ = csat.iter().filter(|(g, p)| g == lab && p != lab).count() as f64;
        f1s += prf(tp, fp, fn_).2;
    }
    println!("  csat_risk acc {acc:.3} macro-F1 {:.3}", f1s / 3.0);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("sentiment") => {
            eval_sentiment(&args[2], args.get(3).map(|s| s == "-v").unwrap_or(false))
        }
        Some("qa") => eval_qa(&args[2], args.get(3).map(|s| s == "-v").unwrap_or(false)),
        Some("dump") => {
            let a = analyzer();
            for line in std::fs::read_to_string(&args[2])
                .unwrap()
                .lines()
                .filter(|l| !l.trim().is_empty())
            {
                let l: SLine = serde_json::from_str(line).unwrap();
                let v = a.analyze(&l.text);
                println!(
                    "{}",
                    serde_json::json!({"text": l.text, "gold": l.sentiment, "raw": v.raw, "pred": v.polarity.as_str(), "esc": v.escalate, "gold_esc": l.escalate, "evidence": a.evidence(&l.text)})
                );
            }
        }
        Some("explain") => {
            let a = analyzer();
            for t in &args[2..] {
                let v = a.analyze(t);
                println!(
                    "{t}: {:?} esc={} {:?} emo={:?} {}",
                    v.polarity,
                    v.escalate,
                    v.reason,
                    v.emotion,
                    a.explain(t)
                );
            }
        }
        _ => eprintln!(
            "usage: sentiment-qa-eval sentiment FILE [-v] | qa FILE [-v] | explain TEXT... | dump FILE"
        ),
    }
}
