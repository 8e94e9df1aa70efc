//! The hostile-plugin suite: each misbehaving plugin loses its own call only, with the right
//! outcome recorded, while the message goes on and another tenant keeps being answered.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use kefu_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const HOSTILE: [&str; 10] = [
    "hostile-fs",
    "hostile-write",
    "hostile-net",
    "hostile-loop",
    "hostile-recursion",
    "hostile-output",
    "hostile-alloc",
    "hostile-kv",
    "hostile-panic",
    "well-behaved",
];

/// The first stage record of a plugin.
fn plugin_stage<'a>(res: &'a Value, plugin: &str) -> &'a Value {
    res["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["plugin"] == plugin)
        .unwrap_or_else(|| panic!("no stage of {plugin} in {res}"))
}

/// (plugin, stage) → (outcome, error, output) of a pipeline result.
fn stages(res: &Value) -> HashMap<(String, String), (String, String, Value)> {
    res["stages"]
        .as_array()
        .unwrap_or_else(|| panic!("no stages in {res}"))
        .iter()
        .map(|s| {
            (
                (
                    s["plugin"].as_str().unwrap().to_owned(),
                    s["stage"].as_str().unwrap().to_owned(),
                ),
                (
                    s["outcome"].as_str().unwrap().to_owned(),
                    s["error"].as_str().unwrap_or("").to_owned(),
                    s["output"].clone(),
                ),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_plugins_lose_only_their_own_call_while_another_tenant_is_served() {
    let s = TestServer::start().await;
    s.create_tenant("victim").await;
    s.create_tenant("bystander").await;
    for dir in HOSTILE {
        let (st, body) = s.install(test_package(dir)).await;
        assert_eq!(st, StatusCode::CREATED, "{dir}: {body}");
        s.enable("victim", body["plugin_id"].as_str().unwrap())
            .await;
    }
    s.enable("bystander", "well-behaved").await;

    // The bystander keeps talking while the victim's hostile pipeline runs.
    let base = s.base.clone();
    let key = s.operator_key.clone();
    let bystander = tokio::spawn(async move {
        let http = reqwest::Client::new();
        let mut answered = 0;
        let mut slowest = Duration::ZERO;
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            let t = Instant::now();
            let res: Value = http
                .post(format!("{base}/v1/tenants/bystander/messages"))
                .bearer_auth(&key)
                .json(&json!({"channel": "c", "customer_id": "b", "text": format!("n{answered}")}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(res["reply"]["text"], format!("echo: n{answered}"), "{res}");
            slowest = slowest.max(t.elapsed());
            answered += 1;
        }
        (answered, slowest)
    });

    let (st, res) = s.send("victim", "hello").await;
    assert_eq!(st, StatusCode::OK, "{res}");
    let got = stages(&res);
    let outcome = |plugin: &str, stage: &str| -> &(String, String, Value) {
        got.get(&(plugin.to_owned(), stage.to_owned()))
            .unwrap_or_else(|| panic!("no {plugin}/{stage} stage in {res}"))
    };

    assert_eq!(outcome("hostile-loop", "classify").0, "timeout");
    assert_eq!(outcome("hostile-recursion", "classify").0, "trap");
    let (o, e, _) = outcome("hostile-output", "classify");
    assert_eq!(o, "error");
    assert!(e.contains("over the limit"), "{e}");
    assert_eq!(outcome("hostile-alloc", "analyze").0, "out_of_memory");
    let (o, e, _) = outcome("hostile-panic", "respond");
    assert_eq!(o, "trap");
    assert!(
        e.contains("hostile plugin panicked on purpose"),
        "the panic message is kept: {e}"
    );
    assert_eq!(outcome("hostile-output", "respond").0, "out_of_memory");

    // The sandbox held: every escape attempt was refused, and the bundled data stayed readable.
    for plugin in ["hostile-fs", "hostile-write", "hostile-net"] {
        let (o, _, out) = outcome(plugin, "preprocess");
        assert_eq!(o, "ok");
        let report = out["text"].as_str().unwrap();
        assert!(!report.contains("LEAKED"), "{plugin} escaped: {report}");
        assert!(report.contains("denied"), "{plugin}: {report}");
    }
    let (_, _, fs) = outcome("hostile-fs", "preprocess");
    let fs = fs["text"].as_str().unwrap();
    assert!(fs.contains("/data/readme.txt: ok"), "{fs}");
    assert!(fs.contains("env=0 args=0"), "{fs}");

    // The key/value flood stopped at the quota the manifest asked for.
    let (o, _, out) = outcome("hostile-kv", "analyze");
    assert_eq!(o, "ok");
    assert!(
        out["annotations"]["error"]
            .as_str()
            .unwrap()
            .contains("QuotaExceeded"),
        "{out}"
    );
    let written: u64 = out["annotations"]["written"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=16).contains(&written),
        "64 KiB holds at most 16 values of 4 KiB: {written}"
    );

    // The message went on: the well-behaved plugin classified it and answered the text the
    // preprocessors left (they rewrite it into their reports).
    assert_eq!(
        res["reply"]["text"],
        format!("echo: {}", res["text"].as_str().unwrap())
    );
    assert_eq!(res["reply"]["source"], "well-behaved");
    assert_eq!(res["intents"][0]["label"], "greeting");

    let (answered, slowest) = bystander.await.unwrap();
    assert!(
        answered >= 5,
        "the bystander was starved: {answered} answers"
    );
    assert!(
        slowest < Duration::from_secs(2),
        "a bystander message took {slowest:?}"
    );

    // Outcomes are metered per plugin.
    let (_, calls) = s
        .op(
            Method::GET,
            "/v1/tenants/victim/plugin-calls?limit=100",
            None,
        )
        .await;
    let metered: HashMap<(String, String), String> = calls
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                (
                    c["plugin_id"].as_str().unwrap().to_owned(),
                    c["hook"].as_str().unwrap().to_owned(),
                ),
                c["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        metered[&("hostile-loop".into(), "classify".into())],
        "timeout"
    );
    assert_eq!(
        metered[&("hostile-alloc".into(), "analyze".into())],
        "out_of_memory"
    );
    assert_eq!(metered[&("hostile-panic".into(), "respond".into())], "trap");

    // A trapped instance is replaced: the next message gets the same containment, not a
    // poisoned instance.
    let (st, res) = s.send("victim", "again").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        res["reply"]["text"],
        format!("echo: {}", res["text"].as_str().unwrap())
    );
    assert_eq!(
        stages(&res)[&("hostile-panic".into(), "respond".into())].0,
        "trap"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_loop_is_stopped_by_the_wall_clock_deadline_when_fuel_would_allow_more() {
    let s = TestServer::start_with(|c| {
        c.limits.fuel = 1_000_000_000_000_000;
        c.limits.timeout_ms = 10;
    })
    .await;
    s.create_tenant("t").await;
    s.install(test_package("hostile-loop")).await;
    s.enable("t", "hostile-loop").await;
    let (_, res) = s.send("t", "spin").await;
    let (outcome, error, _) = &stages(&res)[&("hostile-loop".into(), "classify".into())];
    assert_eq!(outcome, "timeout", "{res}");
    assert!(
        error.contains("interrupt"),
        "an epoch interrupt, not fuel: {error}"
    );
    // The first call of an instance gets 20x the deadline for init: 200 ms here.
    let took = plugin_stage(&res, "hostile-loop")["duration_us"]
        .as_u64()
        .unwrap();
    assert!(
        (150_000..1_000_000).contains(&took),
        "stopped after {took} µs"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_megabyte_result_is_refused_by_the_output_cap_when_memory_allows_it() {
    // Room to build the reply (memory, and time: classify's 10 MB runs first).
    let s = TestServer::start_with(|c| {
        c.limits.memory_bytes = 512 * 1024 * 1024;
        c.limits.timeout_ms = 5_000;
    })
    .await;
    s.create_tenant("t").await;
    s.install(test_package("hostile-output")).await;
    s.enable("t", "hostile-output").await;
    let (st, res) = s.send("t", "big").await;
    assert_eq!(st, StatusCode::OK);
    let (outcome, error, _) = &stages(&res)[&("hostile-output".into(), "respond".into())];
    assert_eq!(outcome, "error", "{error} {res}");
    assert!(error.contains("over the limit"), "{error}");
    assert_eq!(res["reply"], Value::Null);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugin_init_gets_a_larger_budget_once_and_later_calls_reuse_the_loaded_instance() {
    let s = TestServer::start().await;
    s.create_tenant("t").await;
    s.install(test_package("slow-start")).await;
    s.enable("t", "slow-start").await;
    let (_, first) = s.send("t", "one").await;
    let (_, second) = s.send("t", "two").await;
    let fuel = |res: &Value| plugin_stage(res, "slow-start")["fuel"].as_u64().unwrap();
    assert_eq!(
        plugin_stage(&first, "slow-start")["outcome"],
        "ok",
        "{first}"
    );
    assert_eq!(
        plugin_stage(&second, "slow-start")["outcome"],
        "ok",
        "{second}"
    );
    // init's work (over the per-call fuel limit) ran once, on the first call only.
    assert!(fuel(&first) > 500_000_000, "{}", fuel(&first));
    assert!(fuel(&second) < 1_000_000, "{}", fuel(&second));
    s.stop().await;
}
