//! Upgrading a plugin while messages flow: nothing is lost, in-flight calls finish on the
//! version they started with, and the switch is immediate for the next message.

use kefu_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_keep_being_answered_while_a_version_is_installed_upgraded_and_rolled_back() {
    let s = TestServer::start().await;
    s.create_tenant("live").await;
    s.install(test_package("well-behaved")).await;
    s.enable("live", "well-behaved").await;

    let mut senders = Vec::new();
    for worker in 0..4 {
        let base = s.base.clone();
        let key = s.operator_key.clone();
        senders.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut versions = Vec::new();
            for i in 0..60 {
                let text = format!("w{worker}-{i}");
                let resp = http
                    .post(format!("{base}/v1/tenants/live/messages"))
                    .bearer_auth(&key)
                    .json(
                        &json!({"channel": "c", "customer_id": format!("u{worker}"), "text": text}),
                    )
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status(), StatusCode::OK);
                let res: Value = resp.json().await.unwrap();
                let reply = res["reply"]["text"]
                    .as_str()
                    .unwrap_or_else(|| panic!("lost: {res}"));
                let v = if reply == format!("echo: {text}") {
                    1
                } else if reply == format!("echo v2: {text}") {
                    2
                } else {
                    panic!("unexpected reply {reply}")
                };
                versions.push(v);
            }
            versions
        }));
    }

    let (st, body) = s.install(test_package("well-behaved-v2")).await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    let (st, _) = s
        .op(
            Method::POST,
            "/v1/tenants/live/plugins/well-behaved/upgrade",
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        s.send("live", "now").await.1["reply"]["text"],
        "echo v2: now"
    );
    let (st, _) = s
        .op(
            Method::POST,
            "/v1/tenants/live/plugins/well-behaved/rollback",
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        s.send("live", "back").await.1["reply"]["text"],
        "echo: back"
    );

    let mut total = 0;
    for h in senders {
        let versions = h.await.unwrap();
        total += versions.len();
    }
    assert_eq!(total, 240, "every message was answered");
    let (_, usage) = s.op(Method::GET, "/v1/tenants/live/usage", None).await;
    let responds: i64 = usage
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["hook"] == "respond" && r["outcome"] == "ok")
        .map(|r| r["calls"].as_i64().unwrap())
        .sum();
    assert_eq!(
        responds, 242,
        "every call was metered under its version: {usage}"
    );
    s.stop().await;
}
