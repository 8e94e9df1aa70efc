//! Trains the nlp-upgrade intent model and measures it.
//!
//! ```text
//! trainer [--out data/model.bin] [options] TRAIN.jsonl...    train (CV grid → temperature → final model)
//! trainer eval [--model data/model.bin] [--errors] FILE.jsonl...   accuracy of a model file
//! ```
//!
//! Training is deterministic: one thread, fixed-seed shuffles, no hash-map iteration on any path
//! that touches the numbers. Steps:
//! 1. read every `{"text", "intent"}` line (a `mandarin` field, as in the dialect dataset, adds
//!    its Mandarin rendering as a second example of the same group);
//! 2. stratified k-fold cross-validation by group over a small grid of (epochs, learning rate,
//!    L2); the best mean accuracy wins (ties: lower log-loss);
//! 3. a softmax temperature fitted on the out-of-fold logits of the winner (minimum log-loss);
//! 4. the final model trained on everything with the winner's parameters, quantised, checked
//!    against its float weights, and written.
//!
//! The feature tables are read from the plugin's `data/` (`--data DIR` to override), and their
//! fingerprint is stored in the model so the plugin refuses a model trained on other tables.

// Label-indexed loops over fixed-size arrays read clearer with indices here.
#![allow(clippy::needless_range_loop)]

#[allow(dead_code)]
#[path = "../../src/classifier.rs"]
mod classifier;
#[allow(dead_code)]
#[path = "../../src/features.rs"]
mod features;
#[allow(dead_code)]
#[path = "../../src/model.rs"]
mod model;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use features::{FeatureConfig, Tables};
use model::{Model, softmax};

/// The 27 standard labels of intents.md, in its order.
const LABELS: [&str; 27] = [
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
const N: usize = LABELS.len();

/// Defaults chosen by cross-validation on the training data (see README).
const DEFAULT_BITS: u8 = 16;
const DEFAULT_FLAGS: u32 = features::FLAG_LAST_CLAUSE;
const DEFAULT_PRECISION: u8 = 1;
const DEFAULT_FOLDS: usize = 5;
const SEED: u64 = 0x6b65_6675_6e6c_7075;

struct Example {
    /// Read from a file, not made by [`augment`]; only these are scored in CV.
    original: bool,
    label: usize,
    group: usize,
    features: Vec<(u32, f32)>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Params {
    epochs: usize,
    learning_rate: f32,
    l2: f32,
    /// Models trained on differently shuffled data and averaged (still one linear model).
    bag: usize,
    /// Each feature of each example is dropped with this probability in every epoch (then the
    /// rest is rescaled to unit length), so that no single n-gram carries a label alone.
    dropout: f32,
    /// Weight of naive-Bayes log-likelihoods added to the trained weights (0: none).
    nb: f32,
}

/// splitmix64.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

/// Float weights during training: `buckets × N`, bucket-major, plus biases.
struct Linear {
    w: Vec<f32>,
    b: Vec<f32>,
}

impl Linear {
    fn logits(&self, x: &[(u32, f32)]) -> [f32; N] {
        let mut out = [0.0f32; N];
        out.copy_from_slice(&self.b);
        for &(f, v) in x {
            let row = &self.w[f as usize * N..(f as usize + 1) * N];
            for (o, w) in out.iter_mut().zip(row) {
                *o += v * w;
            }
        }
        out
    }
}

/// `p.bag` models, each trained on its own shuffles, averaged weight by weight.
fn train(examples: &[&Example], buckets: usize, p: Params, seed: u64) -> Linear {
    let mut avg = train_one(examples, buckets, p, seed);
    for k in 1..p.bag {
        let m = train_one(
            examples,
            buckets,
            p,
            seed ^ (0x5851_f42d_4c95_7f2d_u64.wrapping_mul(k as u64)),
        );
        for (a, w) in avg.w.iter_mut().zip(&m.w) {
            *a += w;
        }
        for (a, b) in avg.b.iter_mut().zip(&m.b) {
            *a += b;
        }
    }
    let inv = 1.0 / p.bag.max(1) as f32;
    avg.w.iter_mut().for_each(|w| *w *= inv);
    avg.b.iter_mut().for_each(|b| *b *= inv);
    if p.nb > 0.0 {
        add_naive_bayes(&mut avg, examples, buckets, p.nb);
    }
    avg
}

/// Adds `beta` × multinomial naive-Bayes log-likelihoods (centred across labels, add-½
/// smoothing, binary counts) to the weights of every feature seen in training.
fn add_naive_bayes(m: &mut Linear, examples: &[&Example], buckets: usize, beta: f32) {
    let mut count = vec![0.0f32; buckets * N];
    let mut seen = vec![false; buckets];
    let mut total = [0.0f32; N];
    for e in examples {
        for &(f, _) in &e.features {
            count[f as usize * N + e.label] += 1.0;
            seen[f as usize] = true;
            total[e.label] += 1.0;
        }
    }
    let vocabulary = seen.iter().filter(|s| **s).count() as f32;
    let alpha = 0.5f32;
    for f in 0..buckets {
        if !seen[f] {
            continue;
        }
        let row = &count[f * N..(f + 1) * N];
        let logs: Vec<f32> = (0..N)
            .map(|c| ((row[c] + alpha) / (total[c] + alpha * vocabulary)).ln())
            .collect();
        let mean = logs.iter().sum::<f32>() / N as f32;
        for c in 0..N {
            m.w[f * N + c] += beta * (logs[c] - mean);
        }
    }
}

/// Softmax regression with AdaGrad and L2 on the active weights.
fn train_one(examples: &[&Example], buckets: usize, p: Params, seed: u64) -> Linear {
    let mut m = Linear {
        w: vec![0.0; buckets * N],
        b: vec![0.0; N],
    };
    let mut gw = vec![0.0f32; buckets * N];
    let mut gb = [0.0f32; N];
    let eps = 1e-6f32;
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let mut rng = Rng(seed);
    for _ in 0..p.epochs {
        rng.shuffle(&mut order);
        for &i in &order {
            let ex = examples[i];
            let kept: Vec<(u32, f32)>;
            let features: &[(u32, f32)] = if p.dropout > 0.0 {
                let threshold = (p.dropout * 1_000_000.0) as u64;
                let mut k: Vec<(u32, f32)> = ex
                    .features
                    .iter()
                    .copied()
                    .filter(|_| rng.next_u64() % 1_000_000 >= threshold)
                    .collect();
                if k.is_empty() {
                    k = ex.features.clone();
                }
                let n2: f32 = k.iter().map(|f| f.1 * f.1).sum();
                let inv = 1.0 / n2.sqrt();
                k.iter_mut().for_each(|f| f.1 *= inv);
                kept = k;
                &kept
            } else {
                &ex.features
            };
            let probs = softmax(&m.logits(features), 1.0);
            let mut g = [0.0f32; N];
            for c in 0..N {
                g[c] = probs[c] - if c == ex.label { 1.0 } else { 0.0 };
                gb[c] += g[c] * g[c];
                m.b[c] -= p.learning_rate * g[c] / (gb[c] + eps).sqrt();
            }
            for &(f, v) in features {
                let base = f as usize * N;
                for c in 0..N {
                    let k = base + c;
                    let grad = g[c] * v + p.l2 * m.w[k];
                    gw[k] += grad * grad;
                    m.w[k] -= p.learning_rate * grad / (gw[k] + eps).sqrt();
                }
            }
        }
    }
    m
}

fn argmax(xs: &[f32]) -> usize {
    let mut best = 0;
    for (i, &x) in xs.iter().enumerate() {
        if x > xs[best] {
            best = i;
        }
    }
    best
}

fn nll(logits: &[[f32; N]], labels: &[usize], t: f32) -> f64 {
    let mut total = 0.0f64;
    for (l, &y) in logits.iter().zip(labels) {
        let p = softmax(l, t);
        total -= f64::from(p[y].max(1e-12)).ln();
    }
    total / logits.len().max(1) as f64
}

/// Expected calibration error over 10 equal-width confidence bins of the top label.
fn ece(probs: &[Vec<f32>], labels: &[usize]) -> f64 {
    let mut bins = [(0usize, 0.0f64, 0.0f64); 10];
    for (p, &y) in probs.iter().zip(labels) {
        let top = argmax(p);
        let conf = f64::from(p[top]);
        let b = ((conf * 10.0) as usize).min(9);
        bins[b].0 += 1;
        bins[b].1 += conf;
        bins[b].2 += if top == y { 1.0 } else { 0.0 };
    }
    let n = probs.len().max(1) as f64;
    bins.iter()
        .filter(|b| b.0 > 0)
        .map(|&(_, conf, acc)| (conf - acc).abs() / n)
        .sum()
}

/// The temperature with the least log-loss: a coarse scan, then golden-section refinement.
fn fit_temperature(logits: &[[f32; N]], labels: &[usize]) -> f32 {
    let mut best = (f64::INFINITY, 1.0f32);
    let mut t = 0.2f32;
    while t <= 5.0 {
        let l = nll(logits, labels, t);
        if l < best.0 {
            best = (l, t);
        }
        t += 0.1;
    }
    let (mut lo, mut hi) = ((best.1 - 0.1).max(0.05), best.1 + 0.1);
    let phi = 0.618_034f32;
    for _ in 0..40 {
        let a = hi - phi * (hi - lo);
        let b = lo + phi * (hi - lo);
        if nll(logits, labels, a) < nll(logits, labels, b) {
            hi = b;
        } else {
            lo = a;
        }
    }
    (lo + hi) / 2.0
}

/// Stratified fold of every group: groups of each label, shuffled, dealt round-robin.
fn fold_of_groups(examples: &[Example], folds: usize) -> Vec<usize> {
    let n_groups = examples.iter().map(|e| e.group + 1).max().unwrap_or(0);
    let mut label_of = vec![0usize; n_groups];
    for e in examples {
        label_of[e.group] = e.label;
    }
    let mut fold = vec![0usize; n_groups];
    let mut rng = Rng(SEED ^ 0xf01d);
    for label in 0..N {
        let mut groups: Vec<usize> = (0..n_groups).filter(|&g| label_of[g] == label).collect();
        rng.shuffle(&mut groups);
        for (i, g) in groups.into_iter().enumerate() {
            fold[g] = i % folds;
        }
    }
    fold
}

struct CvResult {
    accuracy: f64,
    nll: f64,
    logits: Vec<[f32; N]>,
}

fn cross_validate(examples: &[Example], buckets: usize, p: Params, folds: usize) -> CvResult {
    let fold = fold_of_groups(examples, folds);
    let mut logits = vec![[0.0f32; N]; examples.len()];
    for k in 0..folds {
        let train_set: Vec<&Example> = examples.iter().filter(|e| fold[e.group] != k).collect();
        let m = train(&train_set, buckets, p, SEED.wrapping_add(k as u64));
        for (i, e) in examples.iter().enumerate() {
            if fold[e.group] == k {
                logits[i] = m.logits(&e.features);
            }
        }
    }
    let originals = examples.iter().take_while(|e| e.original).count();
    logits.truncate(originals);
    let labels: Vec<usize> = examples[..originals].iter().map(|e| e.label).collect();
    let correct = logits
        .iter()
        .zip(&labels)
        .filter(|(l, y)| argmax(&l[..]) == **y)
        .count();
    CvResult {
        accuracy: correct as f64 / originals as f64,
        nll: nll(&logits, &labels, 1.0),
        logits,
    }
}

fn read_tables(data: &Path) -> Result<Tables, String> {
    let read = |name: &str| {
        std::fs::read_to_string(data.join(name))
            .map_err(|e| format!("cannot read {}: {e}", data.join(name).display()))
    };
    Tables::parse(
        &read("t2s.txt")?,
        &read("rewrites.txt")?,
        &read("lexicon.txt")?,
    )
    .map_err(|e| e.to_string())
}

/// `(text, label, group)` of every line of the files; a `mandarin` field adds a second text.
fn read_lines(files: &[PathBuf]) -> Result<Vec<(String, usize, usize)>, String> {
    let mut out = Vec::new();
    let mut group = 0;
    for file in files {
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let where_ = || format!("{}:{}", file.display(), i + 1);
            let v: serde_json::Value =
                serde_json::from_str(line).map_err(|e| format!("{}: {e}", where_()))?;
            let (Some(text), Some(intent)) = (v["text"].as_str(), v["intent"].as_str()) else {
                return Err(format!("{}: needs string fields text and intent", where_()));
            };
            let label = LABELS
                .iter()
                .position(|l| *l == intent)
                .ok_or_else(|| format!("{}: unknown intent {intent:?}", where_()))?;
            out.push((text.to_owned(), label, group));
            if let Some(mandarin) = v["mandarin"].as_str()
                && mandarin != text
            {
                out.push((mandarin.to_owned(), label, group));
            }
            group += 1;
        }
    }
    Ok(out)
}

/// Openers and closers customers wrap around a request. Each line of a request label gets one
/// (chosen by its index), as an extra example of the same group, so that a greeting or a thanks
/// around a request does not pull it towards `greeting` or `thanks_goodbye`.
const PREFIXES: [&str; 10] = [
    "你好，",
    "您好，",
    "在吗？",
    "亲，",
    "你好，请问一下，",
    "hi，",
    "打扰一下，",
    "在吗 ",
    "谢谢！还有个问题，",
    "好的谢谢，另外",
];
const SUFFIXES: [&str; 8] = [
    "，谢谢",
    " 谢谢",
    "，麻烦了",
    "，急",
    "🙏",
    "，谢谢啦",
    "？？",
    "，辛苦了",
];
const NO_AUGMENT: [&str; 3] = ["greeting", "thanks_goodbye", "chitchat_other"];

fn augment(lines: &[(String, usize, usize)]) -> Vec<(String, usize, usize)> {
    lines
        .iter()
        .enumerate()
        .filter(|(_, (_, label, _))| !NO_AUGMENT.contains(&LABELS[*label]))
        .map(|(i, (text, label, group))| {
            let text = if (i / 2) % 2 == 0 {
                format!("{}{}", PREFIXES[i % PREFIXES.len()], text)
            } else {
                format!("{}{}", text, SUFFIXES[i % SUFFIXES.len()])
            };
            (text, *label, *group)
        })
        .collect()
}

struct Options {
    /// Also train on a keyword-only view of every line (see `run_train`).
    keyword_view: bool,
    augment: bool,
    out: PathBuf,
    data: PathBuf,
    model: PathBuf,
    bits: u8,
    flags: u32,
    precision: u8,
    folds: usize,
    grid: Vec<Params>,
    errors: bool,
    files: Vec<PathBuf>,
}

fn default_grid() -> Vec<Params> {
    let mut grid = Vec::new();
    for epochs in [20, 30, 40] {
        for learning_rate in [0.3, 0.5] {
            for l2 in [3e-6, 1e-5, 3e-5] {
                grid.push(Params {
                    epochs,
                    learning_rate,
                    l2,
                    bag: 1,
                    dropout: 0.0,
                    nb: 0.0,
                });
            }
        }
    }
    grid
}

fn parse_args(args: &[String]) -> Result<Options, String> {
    let plugin_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut o = Options {
        augment: true,
        keyword_view: false,
        out: plugin_dir.join("data/model.bin"),
        data: plugin_dir.join("data"),
        model: plugin_dir.join("data/model.bin"),
        bits: DEFAULT_BITS,
        flags: DEFAULT_FLAGS,
        precision: DEFAULT_PRECISION,
        folds: DEFAULT_FOLDS,
        grid: default_grid(),
        errors: false,
        files: Vec::new(),
    };
    let mut epochs = None;
    let mut bag = None;
    let mut dropout = None;
    let mut nb = None;
    let mut lr = None;
    let mut l2 = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        let num = |s: String| s.parse::<f64>().map_err(|e| format!("{s}: {e}"));
        match a.as_str() {
            "--out" => o.out = value("--out")?.into(),
            "--data" => o.data = value("--data")?.into(),
            "--model" => o.model = value("--model")?.into(),
            "--bits" => o.bits = num(value("--bits")?)? as u8,
            "--flags" => o.flags = num(value("--flags")?)? as u32,
            "--precision" => o.precision = num(value("--precision")?)? as u8,
            "--folds" => o.folds = num(value("--folds")?)? as usize,
            "--epochs" => epochs = Some(num(value("--epochs")?)? as usize),
            "--lr" => lr = Some(num(value("--lr")?)? as f32),
            "--l2" => l2 = Some(num(value("--l2")?)? as f32),
            "--bag" => bag = Some(num(value("--bag")?)? as usize),
            "--dropout" => dropout = Some(num(value("--dropout")?)? as f32),
            "--nb" => nb = Some(num(value("--nb")?)? as f32),
            "--errors" => o.errors = true,
            "--no-augment" => o.augment = false,
            "--keyword-view" => o.keyword_view = true,
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            f => o.files.push(f.into()),
        }
    }
    if epochs.is_some() || lr.is_some() || l2.is_some() {
        o.grid = vec![Params {
            epochs: epochs.unwrap_or(30),
            learning_rate: lr.unwrap_or(0.3),
            l2: l2.unwrap_or(5e-5),
            bag: 1,
            dropout: 0.0,
            nb: 0.0,
        }];
    }
    if let Some(nb) = nb {
        for p in &mut o.grid {
            p.nb = nb;
        }
    }
    if let Some(dropout) = dropout {
        for p in &mut o.grid {
            p.dropout = dropout;
        }
    }
    if let Some(bag) = bag {
        for p in &mut o.grid {
            p.bag = bag.max(1);
        }
    }
    if !(10..=22).contains(&o.bits) || !(1..=2).contains(&o.precision) || o.folds < 2 {
        return Err("--bits 10..=22, --precision 1|2, --folds >= 2".into());
    }
    if o.files.is_empty() {
        return Err("no JSONL files given".into());
    }
    Ok(o)
}

fn run_train(o: &Options) -> Result<(), String> {
    let t0 = Instant::now();
    let tables = read_tables(&o.data)?;
    let cfg = FeatureConfig {
        bits: o.bits,
        flags: o.flags,
    };
    let lines = read_lines(&o.files)?;
    let extra = if o.augment {
        augment(&lines)
    } else {
        Vec::new()
    };
    let examples: Vec<Example> = lines
        .iter()
        .map(|l| (l, true))
        .chain(extra.iter().map(|l| (l, false)))
        .map(|((text, label, group), original)| Example {
            original,
            label: *label,
            group: *group,
            features: tables.features(text, &cfg),
        })
        .collect();
    // A keyword-only view of each original line: without it the n-grams, which alone separate
    // the training lines, leave the keyword classes small weights; with it the classes must
    // carry a message on their own, as they have to for wording the n-grams never saw.
    let mut examples = examples;
    if o.keyword_view {
        let view = FeatureConfig {
            bits: cfg.bits,
            flags: cfg.flags | features::FLAG_NO_NGRAMS,
        };
        let extra: Vec<Example> = lines
            .iter()
            .map(|(text, label, group)| Example {
                original: false,
                label: *label,
                group: *group,
                features: tables.features(text, &view),
            })
            .filter(|e| !e.features.is_empty())
            .collect();
        examples.extend(extra);
    }
    let mut counts = [0usize; N];
    for e in &examples {
        counts[e.label] += 1;
    }
    eprintln!(
        "{} examples ({} augmented, {} groups) from {} files; per label {}..{}; {} buckets, flags {:#x}",
        examples.len(),
        extra.len(),
        examples.iter().map(|e| e.group + 1).max().unwrap_or(0),
        o.files.len(),
        counts.iter().min().unwrap(),
        counts.iter().max().unwrap(),
        cfg.buckets(),
        cfg.flags
    );

    // 2. Grid search by k-fold CV.
    let mut best: Option<(Params, CvResult)> = None;
    for &p in &o.grid {
        let r = cross_validate(&examples, cfg.buckets(), p, o.folds);
        eprintln!(
            "cv {}-fold  epochs {:>3}  lr {:<4}  l2 {:<7}  accuracy {:.4}  nll {:.4}",
            o.folds, p.epochs, p.learning_rate, p.l2, r.accuracy, r.nll
        );
        let better = match &best {
            None => true,
            Some((_, b)) => {
                r.accuracy > b.accuracy + 1e-9
                    || ((r.accuracy - b.accuracy).abs() < 1e-9 && r.nll < b.nll)
            }
        };
        if better {
            best = Some((p, r));
        }
    }
    let (params, cv) = best.expect("a non-empty grid");

    // 3. Temperature on the out-of-fold logits of the original lines.
    let labels: Vec<usize> = lines.iter().map(|l| l.1).collect();
    let temperature = fit_temperature(&cv.logits, &labels);
    let probs_t1: Vec<Vec<f32>> = cv.logits.iter().map(|l| softmax(l, 1.0)).collect();
    let probs_t: Vec<Vec<f32>> = cv.logits.iter().map(|l| softmax(l, temperature)).collect();
    eprintln!(
        "best {:?}: cv accuracy {:.4}; temperature {:.3} (oof nll {:.4} → {:.4}, ece {:.4} → {:.4})",
        params,
        cv.accuracy,
        temperature,
        nll(&cv.logits, &labels, 1.0),
        nll(&cv.logits, &labels, temperature),
        ece(&probs_t1, &labels),
        ece(&probs_t, &labels)
    );
    let mut per_label: Vec<(f64, usize)> = (0..N)
        .map(|c| {
            let total = labels.iter().filter(|&&y| y == c).count();
            let right = cv
                .logits
                .iter()
                .zip(&labels)
                .filter(|(l, y)| **y == c && argmax(&l[..]) == c)
                .count();
            (right as f64 / total.max(1) as f64, c)
        })
        .collect();
    per_label.sort_by(|a, b| a.0.total_cmp(&b.0));
    let weakest: Vec<String> = per_label
        .iter()
        .take(6)
        .map(|(r, c)| format!("{} {:.3}", LABELS[*c], r))
        .collect();
    eprintln!("weakest cv recall: {}", weakest.join(", "));

    if o.errors {
        // Out-of-fold mistakes of the winner, for reading the training data's hard cases.
        for ((text, label, _), l) in lines.iter().zip(&cv.logits) {
            let p = softmax(l, temperature);
            let top = argmax(&p);
            if top != *label {
                println!(
                    "{}\t→ {} ({:.2})\t{}",
                    LABELS[*label], LABELS[top], p[top], text
                );
            }
        }
    }

    // 4. Final model on everything.
    let all: Vec<&Example> = examples.iter().collect();
    let m = train(&all, cfg.buckets(), params, SEED);
    let model = Model::quantize(
        LABELS.iter().map(|s| s.to_string()).collect(),
        cfg,
        tables.fingerprint(),
        temperature,
        m.b.clone(),
        &m.w,
        o.precision,
    );
    let agree = examples
        .iter()
        .filter(|e| argmax(&m.logits(&e.features)) == argmax(&model.logits(&e.features)))
        .count();
    let train_acc = examples
        .iter()
        .filter(|e| argmax(&model.logits(&e.features)) == e.label)
        .count();
    let bytes = model.to_bytes();
    std::fs::write(&o.out, &bytes).map_err(|e| format!("cannot write {}: {e}", o.out.display()))?;
    eprintln!(
        "wrote {} ({} bytes); quantised agrees with float on {}/{}; training accuracy {:.4}; {:.1}s",
        o.out.display(),
        bytes.len(),
        agree,
        examples.len(),
        train_acc as f64 / examples.len() as f64,
        t0.elapsed().as_secs_f64()
    );
    println!(
        "{{\"cv_accuracy\": {:.4}, \"folds\": {}, \"epochs\": {}, \"learning_rate\": {}, \"l2\": {}, \"temperature\": {:.4}, \"bytes\": {}}}",
        cv.accuracy,
        o.folds,
        params.epochs,
        params.learning_rate,
        params.l2,
        temperature,
        bytes.len()
    );
    Ok(())
}

fn run_eval(o: &Options) -> Result<(), String> {
    let read = |name: &str| {
        std::fs::read_to_string(o.data.join(name))
            .map_err(|e| format!("cannot read {}: {e}", o.data.join(name).display()))
    };
    let bytes =
        std::fs::read(&o.model).map_err(|e| format!("cannot read {}: {e}", o.model.display()))?;
    // The plugin's own loading and scoring path.
    let classifier = classifier::Classifier::load(
        &read("t2s.txt")?,
        &read("rewrites.txt")?,
        &read("lexicon.txt")?,
        &bytes,
    )
    .map_err(|e| e.to_string())?;
    if classifier.labels() != LABELS {
        return Err("the model's labels are not the 27 standard labels in order".into());
    }
    for file in &o.files {
        let lines = read_lines(std::slice::from_ref(file))?;
        // Only the `text` of each line counts here, not a `mandarin` rendering.
        let mut seen = std::collections::BTreeSet::new();
        let lines: Vec<_> = lines.into_iter().filter(|l| seen.insert(l.2)).collect();
        let mut confusion = vec![[0usize; N]; N];
        let mut probs = Vec::with_capacity(lines.len());
        let mut labels = Vec::with_capacity(lines.len());
        let t0 = Instant::now();
        for (text, label, _) in &lines {
            let p = classifier.probabilities(text);
            let top = argmax(&p);
            confusion[*label][top] += 1;
            if o.errors && top != *label {
                println!(
                    "{}\t→ {} ({:.2})\t{}",
                    LABELS[*label], LABELS[top], p[top], text
                );
            }
            probs.push(p);
            labels.push(*label);
        }
        let per_msg_us = t0.elapsed().as_secs_f64() * 1e6 / lines.len().max(1) as f64;
        // The host's default fallback rule: top < 0.35 or top − second < 0.08.
        let mut fallbacks = 0usize;
        let mut kept_right = 0usize;
        for (p, y) in probs.iter().zip(&labels) {
            let mut sorted = p.clone();
            sorted.sort_by(|a, b| b.total_cmp(a));
            if sorted[0] < 0.35 || sorted[0] - sorted[1] < 0.08 {
                fallbacks += 1;
            } else if argmax(p) == *y {
                kept_right += 1;
            }
        }
        let correct: usize = (0..N).map(|c| confusion[c][c]).sum();
        let n = lines.len();
        println!(
            "{}: accuracy {:.4} ({}/{}), ece {:.4}, {:.1} µs/message",
            file.display(),
            correct as f64 / n.max(1) as f64,
            correct,
            n,
            ece(&probs, &labels),
            per_msg_us
        );
        println!(
            "host default fallback (top < 0.35 or margin < 0.08): {:.4} of lines; accuracy of the rest {:.4}",
            fallbacks as f64 / n.max(1) as f64,
            kept_right as f64 / (n - fallbacks).max(1) as f64
        );
        let mut rows: Vec<(f64, String)> = (0..N)
            .map(|c| {
                let support: usize = confusion[c].iter().sum();
                let predicted: usize = (0..N).map(|g| confusion[g][c]).sum();
                let tp = confusion[c][c] as f64;
                let p = if predicted > 0 {
                    tp / predicted as f64
                } else {
                    0.0
                };
                let r = if support > 0 {
                    tp / support as f64
                } else {
                    0.0
                };
                let f1 = if p + r > 0.0 {
                    2.0 * p * r / (p + r)
                } else {
                    0.0
                };
                (
                    f1,
                    format!(
                        "  {:<22} p {:.2} r {:.2} f1 {:.2} n {}",
                        LABELS[c], p, r, f1, support
                    ),
                )
            })
            .collect();
        rows.sort_by(|a, b| a.0.total_cmp(&b.0));
        println!("weakest labels (f1):");
        for (_, row) in rows.iter().take(8) {
            println!("{row}");
        }
        let mut pairs: Vec<(usize, usize, usize)> = Vec::new();
        for g in 0..N {
            for p in 0..N {
                if g != p && confusion[g][p] > 0 {
                    pairs.push((confusion[g][p], g, p));
                }
            }
        }
        pairs.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let top: Vec<String> = pairs
            .iter()
            .take(10)
            .map(|(k, g, p)| format!("{}→{} {}", LABELS[*g], LABELS[*p], k))
            .collect();
        println!("most frequent confusions: {}", top.join(", "));
    }
    Ok(())
}

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let eval = args.first().is_some_and(|a| a == "eval");
    if eval {
        args.remove(0);
    }
    let result = parse_args(&args).and_then(|o| if eval { run_eval(&o) } else { run_train(&o) });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            eprintln!(
                "usage: trainer [--out FILE] [--data DIR] [--bits N] [--flags N] [--precision 1|2] [--folds K] \
                 [--epochs N --lr X --l2 X] TRAIN.jsonl...\n       trainer eval [--model FILE] [--data DIR] [--errors] FILE.jsonl..."
            );
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temperature_fit_recovers_a_known_temperature() {
        // Labels drawn (deterministically) from softmax(logits / 2): the fit should land near 2.
        let mut rng = Rng(7);
        let mut logits = Vec::new();
        let mut labels = Vec::new();
        for _ in 0..4000 {
            let mut l = [0.0f32; N];
            for x in l.iter_mut() {
                *x = (rng.next_u64() % 1000) as f32 / 100.0;
            }
            let p = softmax(&l, 2.0);
            let u = (rng.next_u64() % 1_000_000) as f32 / 1_000_000.0;
            let mut acc = 0.0;
            let mut y = N - 1;
            for (c, pc) in p.iter().enumerate() {
                acc += pc;
                if u < acc {
                    y = c;
                    break;
                }
            }
            logits.push(l);
            labels.push(y);
        }
        let t = fit_temperature(&logits, &labels);
        assert!((t - 2.0).abs() < 0.25, "fitted {t}");
    }

    #[test]
    fn folds_keep_groups_together_and_are_stratified() {
        let examples: Vec<Example> = (0..270)
            .map(|i| Example {
                original: true,
                label: (i / 2) % N,
                group: i / 2,
                features: Vec::new(),
            })
            .collect();
        let fold = fold_of_groups(&examples, 5);
        for label in 0..N {
            let mut per_fold = [0usize; 5];
            for e in examples.iter().filter(|e| e.label == label) {
                per_fold[fold[e.group]] += 1;
            }
            let (lo, hi) = (
                per_fold.iter().min().unwrap(),
                per_fold.iter().max().unwrap(),
            );
            assert!(hi - lo <= 2, "{per_fold:?}");
        }
    }

    #[test]
    fn training_separates_two_toy_labels() {
        let ex = |label, f| Example {
            original: true,
            label,
            group: 0,
            features: vec![(f, 1.0)],
        };
        let data = [ex(0, 1), ex(1, 2), ex(0, 1), ex(1, 2)];
        let refs: Vec<&Example> = data.iter().collect();
        let p = Params {
            epochs: 10,
            learning_rate: 0.5,
            l2: 0.0,
            bag: 2,
            dropout: 0.1,
            nb: 0.0,
        };
        let m = train(&refs, 8, p, 1);
        assert_eq!(argmax(&m.logits(&[(1, 1.0)])), 0);
        assert_eq!(argmax(&m.logits(&[(2, 1.0)])), 1);
        // Deterministic: the same data and seed give the same weights.
        assert_eq!(train(&refs, 8, p, 1).w, m.w);
    }
}
