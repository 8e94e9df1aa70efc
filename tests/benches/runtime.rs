//! Plugin call cost, measured side by side in one run with the variants interleaved in a
//! shuffled order each round (a fixed order favours whichever runs first after a switch):
//!
//! - `warm trivial`: a trivial hook through the instance pool — the production path: check an
//!   instance out, set fuel, deadline, clock and config, call, classify the outcome, check it in.
//! - `fresh trivial`: the same with a new Store and instance for every call (the cost the pool
//!   avoids; what "sandbox set-up per call" would cost).
//! - `warm realistic` vs `native realistic`: a keyword intent scorer, in the sandbox and the
//!   same source compiled natively and called directly.
//!
//! Run: `cargo bench -p kefu-tests --bench runtime`

#[path = "../plugins/bench-realistic/src/logic.rs"]
mod logic;

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use kefu_host::package::{Package, ReadLimits};
use kefu_host::runtime::contract::{Context, Customer, Message, MessageKind, Owner, Session};
use kefu_host::runtime::{
    HookCall, InstancePool, Limits, LoadedPlugin, MemoryKv, Outcome, PluginScope, PluginSpec,
    Runtime, RuntimeConfig,
};
use kefu_tests::test_package;

const ROUNDS: usize = 40;
const BATCH: usize = 250;
const TEXTS: [&str; 8] = [
    "你好，在吗",
    "我的快递到哪了？单号SF1234567890，三天了还没收到",
    "这个课程适合几岁的孩子？老师是外教吗",
    "我要投诉！你们客服态度太差了，再不处理我就打12315",
    "优惠券领了结账用不了，是不是活动结束了",
    "ＡＰＰ登录一直提示验证码错误，怎么办",
    "想预约周六下午两点剪发，还有位置吗",
    "谢谢，没别的问题了，再见",
];

fn load(runtime: &Runtime, dir: &str, data_root: &std::path::Path) -> Arc<LoadedPlugin> {
    let pkg = Package::read(&test_package(dir), &ReadLimits::default()).unwrap();
    let data_dir = data_root.join(dir);
    std::fs::create_dir_all(&data_dir).unwrap();
    let cap = cap_std::fs::Dir::open_ambient_dir(&data_dir, cap_std::ambient_authority()).unwrap();
    pkg.write_data(&cap).unwrap();
    runtime
        .load(PluginSpec {
            id: &pkg.manifest.id,
            version: &pkg.manifest.version.to_string(),
            component: &pkg.component,
            hooks: pkg.manifest.hooks.clone(),
            limits: Limits::default(),
            data_dir: Some(data_dir),
        })
        .unwrap()
}

fn ctx(text: &str) -> Context {
    Context {
        message: Message {
            tenant: "bench".into(),
            channel: "bench".into(),
            customer_id: "c1".into(),
            text: text.into(),
            kind: MessageKind::Text,
            timestamp: 1_700_000_000_000,
        },
        customer: Customer {
            id: "c1".into(),
            name: None,
            tags: vec![],
            segment: None,
            vip: false,
            profile: vec![],
        },
        session: Session {
            id: "s".into(),
            turns: vec![],
            intent: None,
            owner: Owner::Bot,
        },
        intents: vec![],
        annotations: vec![],
    }
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// A small deterministic shuffle (xorshift), so runs are repeatable.
fn shuffle<T>(v: &mut [T], seed: &mut u64) {
    for i in (1..v.len()).rev() {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        v.swap(i, (*seed % (i as u64 + 1)) as usize);
    }
}

fn main() {
    let work = tempfile::tempdir().unwrap();
    let runtime = Runtime::new(RuntimeConfig::new(work.path().join("cache"))).unwrap();
    let trivial = load(&runtime, "well-behaved", work.path());
    let realistic = load(&runtime, "bench-realistic", work.path());
    let pool = InstancePool::new(runtime.clone(), Arc::new(MemoryKv::default()));
    let config: Arc<str> = Arc::from("{}");
    let model = logic::parse(
        &std::fs::read_to_string(
            kefu_tests::repo_root().join("tests/plugins/bench-realistic/data/keywords.tsv"),
        )
        .unwrap(),
    );
    let contexts: Vec<Context> = TEXTS.iter().map(|t| ctx(t)).collect();

    // Warm up: compile caches, first-call init, branch predictors.
    for c in &contexts {
        for p in [&trivial, &realistic] {
            let r = pool.call(p, "bench", HookCall::Classify(c.clone()), 0, config.clone());
            assert_eq!(r.outcome, Outcome::Ok, "{:?}", r.error);
        }
    }
    // The sandbox and the native build must agree before their speed is compared.
    for c in &contexts {
        let r = pool.call(
            &realistic,
            "bench",
            HookCall::Classify(c.clone()),
            0,
            config.clone(),
        );
        let Some(kefu_host::runtime::HookOutput::Classify(scores)) = r.output else {
            panic!("no output")
        };
        let native = logic::classify(&model, &c.message.text);
        assert_eq!(scores[0].label, native[0].0);
    }

    let names = [
        "warm trivial",
        "fresh trivial",
        "warm realistic",
        "native realistic",
    ];
    let mut samples: Vec<Vec<u64>> = vec![Vec::new(); names.len()];
    let mut order: Vec<usize> = (0..names.len()).collect();
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    for _round in 0..ROUNDS {
        shuffle(&mut order, &mut seed);
        for &v in &order {
            for i in 0..BATCH {
                let c = &contexts[i % contexts.len()];
                let t = Instant::now();
                match v {
                    0 => {
                        let r = pool.call(
                            &trivial,
                            "bench",
                            HookCall::Classify(c.clone()),
                            0,
                            config.clone(),
                        );
                        black_box(r);
                    }
                    1 => {
                        let scope = PluginScope {
                            tenant: "bench".into(),
                            plugin: "well-behaved".into(),
                        };
                        let mut inst = runtime
                            .instantiate(&trivial, scope, Arc::new(MemoryKv::default()))
                            .unwrap();
                        let r = inst.call(HookCall::Classify(c.clone()), 0, config.clone());
                        black_box(r);
                    }
                    2 => {
                        let r = pool.call(
                            &realistic,
                            "bench",
                            HookCall::Classify(c.clone()),
                            0,
                            config.clone(),
                        );
                        black_box(r);
                    }
                    _ => {
                        black_box(logic::classify(&model, black_box(&c.message.text)));
                    }
                }
                samples[v].push(t.elapsed().as_nanos() as u64);
            }
        }
    }
    println!("| variant | calls | median | p90 | p99 |");
    println!("|---|---|---|---|---|");
    let mut medians = Vec::new();
    for (name, s) in names.iter().zip(samples.iter_mut()) {
        s.sort_unstable();
        let (m, p90, p99) = (percentile(s, 0.5), percentile(s, 0.9), percentile(s, 0.99));
        medians.push(m);
        println!(
            "| {name} | {} | {:.1} µs | {:.1} µs | {:.1} µs |",
            s.len(),
            m as f64 / 1000.0,
            p90 as f64 / 1000.0,
            p99 as f64 / 1000.0
        );
    }
    println!();
    println!(
        "realistic hook in the sandbox / native: {:.2}x (medians {:.1} µs / {:.1} µs)",
        medians[2] as f64 / medians[3] as f64,
        medians[2] as f64 / 1000.0,
        medians[3] as f64 / 1000.0
    );
    println!(
        "fresh instance per call / warm pool: {:.1}x",
        medians[1] as f64 / medians[0] as f64
    );
    let stats = pool.stats();
    println!("pool: created {}, reused {}", stats.created, stats.reused);
}
