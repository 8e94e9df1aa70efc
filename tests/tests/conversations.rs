//! Conversations and the built-in classifier through the message API: one conversation per
//! customer per channel, turns recorded with their annotations, ended by the idle time.

use std::time::Duration;

use kefu_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn say(s: &TestServer, tenant: &str, customer: &str, text: &str) -> Value {
    let (st, res) = s
        .op(
            Method::POST,
            &format!("/v1/tenants/{tenant}/messages"),
            Some(json!({"channel": "wechat", "customer_id": customer, "text": text})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{res}");
    res
}

async fn conversations(s: &TestServer, tenant: &str) -> Vec<Value> {
    let (_, list) = s
        .op(
            Method::GET,
            &format!("/v1/tenants/{tenant}/conversations"),
            None,
        )
        .await;
    list.as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customers_messages_form_one_conversation_with_every_turn_recorded() {
    let s = TestServer::start().await;
    s.create_tenant("edu").await;
    s.install(test_package("well-behaved")).await;
    s.enable("edu", "well-behaved").await;
    say(&s, "edu", "o_1", "你好").await;
    say(&s, "edu", "o_1", "孩子8岁能上什么课").await;
    say(&s, "edu", "o_2", "在吗").await;
    let list = conversations(&s, "edu").await;
    assert_eq!(list.len(), 2, "one per customer: {list:?}");
    let mine = list.iter().find(|c| c["customer_id"] == "o_1").unwrap();
    assert_eq!(mine["status"], "open");
    assert_eq!(mine["owner"], "bot");
    let (_, conv) = s
        .op(
            Method::GET,
            &format!(
                "/v1/tenants/edu/conversations/{}",
                mine["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    let turns: Vec<(String, String)> = conv["turns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["role"].as_str().unwrap().to_owned(),
                t["text"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        turns,
        vec![
            ("customer".into(), "你好".into()),
            ("bot".into(), "echo: 你好".into()),
            ("customer".into(), "孩子8岁能上什么课".into()),
            ("bot".into(), "echo: 孩子8岁能上什么课".into()),
        ]
    );
    assert_eq!(conv["turns"][0]["annotations"]["intent"], "greeting");
    assert!(
        conv["turns"][0]["message_id"].is_string(),
        "each turn links to its explanation"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conversation_ends_after_the_idle_time_and_the_next_message_starts_another() {
    let s = TestServer::start_with(|c| c.conversation_idle_secs = 1).await;
    s.create_tenant("shop").await;
    say(&s, "shop", "o_1", "你好").await;
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    say(&s, "shop", "o_1", "还在吗").await;
    let list = conversations(&s, "shop").await;
    assert_eq!(list.len(), 2, "{list:?}");
    let statuses: Vec<&str> = list.iter().map(|c| c["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, vec!["open", "closed"], "newest first");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_classifier_plugin_the_built_in_classifier_ranks_the_intents() {
    let s = TestServer::start().await;
    s.create_tenant("shop").await;
    let res = say(
        &s,
        "shop",
        "o_9",
        "我的快递到哪了？单号SF1234567890，三天没动了",
    )
    .await;
    assert_eq!(res["intents"][0]["label"], "order_tracking", "{res}");
    assert!(res["intents"][0]["confidence"].as_f64().unwrap() > 0.35);
    assert_eq!(res["intent_fallback"], false);
    let stage = res["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|st| st["stage"] == "classify")
        .unwrap();
    assert_eq!(
        (stage["stage"].as_str(), stage["plugin"].as_str()),
        (Some("classify"), Some("builtin"))
    );
    let res = say(&s, "shop", "o_9", "qwzx").await;
    assert_eq!(res["intent_fallback"], true, "gibberish falls back: {res}");
    s.stop().await;
}
