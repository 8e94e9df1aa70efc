//! Scale: host memory with 1,000 tenants × 4 enabled plugins, and start-to-ready time with 4
//! installed plugins (compile cache cold, then warm).
//!
//! Run: `cargo bench -p kefu-tests --bench scale` (options: `-- --tenants N --max-warm N`).
//!
//! Memory is the process's resident set (VmRSS) and its peak (VmHWM) from /proc, read after
//! every tenant has sent messages through its whole pipeline (so every tenant has had live
//! instances of all four plugins) — the in-process host, without a load generator.

use std::path::Path;
use std::time::{Duration, Instant};

use kefu_host::App;
use kefu_host::config::Config;
use kefu_host::runtime::contract::{Context, Customer, Message, MessageKind, Owner, Session};
use kefu_host::runtime::{HookCall, Outcome};
use kefu_tests::{pack_with, plugin_variant, publisher_key, publisher_public, repo_root, wasm};

fn proc_status(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0)
        / 1024
}

fn packages() -> Vec<Vec<u8>> {
    let root = repo_root();
    let second = plugin_variant(&root.join("tests/plugins/well-behaved"), |m| {
        m.replace("id = \"well-behaved\"", "id = \"echo-two\"")
    });
    vec![
        pack_with(
            &root.join("plugins/example"),
            &wasm("kefu_example_plugin"),
            publisher_key(),
        ),
        pack_with(
            &root.join("tests/plugins/well-behaved"),
            &wasm("kefu_test_well_behaved"),
            publisher_key(),
        ),
        pack_with(
            second.path(),
            &wasm("kefu_test_well_behaved"),
            publisher_key(),
        ),
        pack_with(
            &root.join("tests/plugins/bench-realistic"),
            &wasm("kefu_test_bench_realistic"),
            publisher_key(),
        ),
    ]
}

fn config(dir: &Path) -> Config {
    let mut c = Config::for_data_dir(dir);
    c.operator_key = Some("kefu_op_bench".into());
    c.trusted_keys = vec![publisher_public()];
    c
}

fn ctx(tenant: &str, round: usize) -> Context {
    Context {
        message: Message {
            tenant: tenant.into(),
            channel: "bench".into(),
            customer_id: format!("c{round}"),
            text: "你好，我的快递到哪了？".into(),
            kind: MessageKind::Text,
            timestamp: 1_700_000_000_000,
        },
        customer: Customer {
            id: format!("c{round}"),
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

async fn ready_time(dir: &Path) -> Duration {
    let cfg = config(dir);
    let t = Instant::now();
    let app = App::build(&cfg).await.unwrap();
    app.prepare(&cfg).await.unwrap();
    let elapsed = t.elapsed();
    app.state.store.close().await;
    elapsed
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let tenants: usize = std::env::args()
        .skip_while(|a| a != "--tenants")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    let max_warm: Option<usize> = std::env::args()
        .skip_while(|a| a != "--max-warm")
        .nth(1)
        .and_then(|n| n.parse().ok());
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("data");
    let mut cfg = config(&dir);
    if let Some(n) = max_warm {
        cfg.max_warm_instances = n;
    }
    println!("max warm instances: {}", cfg.max_warm_instances);
    let rss_start = proc_status("VmRSS:");

    let app = App::build(&cfg).await.unwrap();
    let registry = app.state.registry.clone();
    let mut ids = Vec::new();
    for p in packages() {
        let installed = registry.install(&p).await.unwrap();
        ids.push(installed.plugin_id);
    }
    let t = Instant::now();
    for n in 0..tenants {
        let tenant = format!("t{n:04}");
        app.state
            .store
            .create_tenant(&tenant, &tenant, "Asia/Shanghai")
            .await
            .unwrap();
        for id in &ids {
            registry.enable(&tenant, id, None).await.unwrap();
        }
    }
    println!(
        "set-up: {tenants} tenants × {} plugins in {:?}",
        ids.len(),
        t.elapsed()
    );
    let rss_setup = proc_status("VmRSS:");

    // Every tenant calls every hook of each of its 4 plugins, twice, so each tenant has had
    // live instances of all four (the pipeline alone stops at the first classifier and the
    // first reply).
    let t = Instant::now();
    let mut sent = 0;
    for round in 0..2 {
        let mut handles = Vec::new();
        for n in 0..tenants {
            let tenant = format!("t{n:04}");
            let active = registry.active(&tenant).await.unwrap();
            assert_eq!(active.plugins.len(), 4);
            let registry = registry.clone();
            handles.push(tokio::task::spawn_blocking(move || {
                let mut calls = 0;
                for p in &active.plugins {
                    for hook in p.plugin.hooks.clone() {
                        let call = HookCall::for_hook(hook, ctx(&tenant, round));
                        let r = registry
                            .pool()
                            .call(&p.plugin, &tenant, call, 0, p.config.clone());
                        assert_eq!(r.outcome, Outcome::Ok, "{:?}", r.error);
                        calls += 1;
                    }
                }
                calls
            }));
            if handles.len() >= 8 {
                for h in handles.drain(..) {
                    sent += h.await.unwrap();
                }
            }
        }
        for h in handles {
            sent += h.await.unwrap();
        }
    }
    let elapsed = t.elapsed();
    app.state.meter.flush().await;
    let rss_after = proc_status("VmRSS:");
    let peak = proc_status("VmHWM:");
    let stats = registry.pool().stats();
    println!(
        "hook calls: {sent} over {tenants} tenants × 4 plugins in {elapsed:?} ({:.0}/s)",
        sent as f64 / elapsed.as_secs_f64()
    );
    println!(
        "instances: created {}, reused {}, evicted {}, idle {}",
        stats.created, stats.reused, stats.evicted, stats.idle
    );
    println!("| moment | resident (MiB) |");
    println!("|---|---|");
    println!("| process start | {rss_start} |");
    println!("| {tenants} tenants × 4 plugins enabled | {rss_setup} |");
    println!("| after {sent} hook calls | {rss_after} |");
    println!("| peak (VmHWM) | {peak} |");
    app.state.store.close().await;
    drop(app);

    // Start to ready, 4 installed plugins: the cache written above is warm.
    let mut warm: Vec<Duration> = Vec::new();
    for _ in 0..5 {
        warm.push(ready_time(&dir).await);
    }
    warm.sort();
    std::fs::remove_dir_all(dir.join("cache")).unwrap();
    let cold = ready_time(&dir).await;
    println!(
        "start to ready with 4 installed plugins: warm cache median {:?} (of 5: {:?}); cold cache {:?}",
        warm[2], warm, cold
    );
}
