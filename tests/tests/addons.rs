//! The four paid add-ons end to end (issue 5), through HTTP on the seeded demo school: a
//! Cantonese course question is rewritten by the dialect plugin, classified by the NLP
//! upgrade and answered from the education skill pack (which also segments the parent); an
//! angry complaint is flagged by sentiment analysis and escalated to a human; the agent's
//! poor handling is flagged by the session inspection when the conversation is closed.

use kefu_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn webhook_say(s: &TestServer, secret: &str, id: &str, customer: &str, text: &str) -> Value {
    let body = json!({"message_id": id, "customer_id": customer, "text": text});
    webhook_post(s, "demo", "web", secret, &body).await
}

/// The stored explanation of the message a webhook call produced.
async fn explain(s: &TestServer, dedup: &str) -> Value {
    let (_, inbound) = s
        .op(Method::GET, "/v1/tenants/demo/channels/web/inbound", None)
        .await;
    let row = inbound
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["dedup_key"] == format!("id:{dedup}"))
        .unwrap_or_else(|| panic!("{inbound}"))
        .clone();
    let (_, m) = s
        .op(
            Method::GET,
            &format!(
                "/v1/tenants/demo/messages/{}",
                row["message_id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    m["result"].clone()
}

fn stage<'a>(result: &'a Value, stage: &str, plugin: &str) -> &'a Value {
    result["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stage"] == stage && s["plugin"] == plugin)
        .unwrap_or_else(|| panic!("no {stage} by {plugin}: {result}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_school_answers_cantonese_escalates_anger_and_inspects_the_agent() {
    let packages = first_party_install_dir();
    let dir = packages.path().to_path_buf();
    let s = TestServer::start_with(move |c| {
        c.install_dir = Some(dir);
        c.demo = true;
    })
    .await;
    let secret = std::fs::read_to_string(s.data_dir.join("demo-webhook.secret"))
        .unwrap()
        .trim()
        .to_owned();
    let agent_key = std::fs::read_to_string(s.data_dir.join("demo-agent-manager-wang.key"))
        .unwrap()
        .trim()
        .to_owned();

    // Every add-on is subscribed and its plugin enabled and active.
    let (_, plugins) = s.op(Method::GET, "/v1/tenants/demo/plugins", None).await;
    for p in FIRST_PARTY_ADDONS {
        assert!(
            plugins
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["plugin_id"] == p && x["enabled"] == true),
            "{p} not enabled: {plugins}"
        );
    }

    // A Cantonese-speaking parent asks about an English class for her daughter.
    let r = webhook_say(
        &s,
        &secret,
        "yue-1",
        "parent-hk",
        "我個女今年讀小學三年級，你哋有冇啱佢嘅英文班？",
    )
    .await;
    let text = r["reply"]["text"].as_str().unwrap_or_default().to_owned();
    let result = explain(&s, "yue-1").await;
    assert_eq!(result["reply"]["source"], "edu-skill-pack", "{result}");
    assert!(
        text.contains("小学英语同步提升"),
        "the catalog's English course for a third-grader: {text}"
    );
    assert!(
        !text.contains("越秀") || text.contains("满"),
        "a full class is never offered as available: {text}"
    );
    let rewritten = &stage(&result, "preprocess", "dialect-cantonese")["output"]["text"];
    let rewritten = rewritten.as_str().unwrap_or_else(|| panic!("{result}"));
    assert!(
        !rewritten.contains('哋') && !rewritten.contains('嘅'),
        "rewritten to Mandarin: {rewritten}"
    );
    assert_eq!(
        stage(&result, "classify", "nlp-upgrade")["outcome"],
        "ok",
        "{result}"
    );
    let (_, parent) = s
        .op(Method::GET, "/v1/tenants/demo/customers/parent-hk", None)
        .await;
    assert_eq!(parent["segment"], "k12-primary", "{parent}");

    // An angry parent threatens a complaint: escalated to the managers' queue.
    let r = webhook_say(
        &s,
        &secret,
        "angry-1",
        "parent-angry",
        "你们老师上课一直玩手机，太不负责了！再不处理我就去12315投诉你们！",
    )
    .await;
    let result = explain(&s, "angry-1").await;
    assert_eq!(result["analysis"]["escalate"], true, "{result}");
    assert_eq!(result["analysis"]["sentiment"], "negative");
    assert_eq!(result["handoff"]["queue"], "managers", "{result}");
    assert!(r["reply"]["text"].as_str().unwrap().contains("转接"), "{r}");
    let (_, q) = s
        .call(
            Method::GET,
            "/v1/tenants/demo/queues",
            Some(&agent_key),
            None,
        )
        .await;
    let managers = q["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["queue"] == "managers")
        .unwrap_or_else(|| panic!("{q}"));
    let conv = managers["conversations"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // The manager handles it badly: a brush-off, and no closing.
    let base = format!("/v1/tenants/demo/conversations/{conv}");
    let (st, _) = s
        .call(
            Method::POST,
            &format!("{base}/claim"),
            Some(&agent_key),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = s
        .call(
            Method::POST,
            &format!("{base}/reply"),
            Some(&agent_key),
            Some(json!({"text": "这个我不知道，你自己去看合同"})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
    let r = webhook_say(&s, &secret, "angry-2", "parent-angry", "你这是什么态度？").await;
    assert_eq!(r["reply"], Value::Null, "the bot stays quiet: {r}");
    let (st, _) = s
        .call(
            Method::POST,
            &format!("{base}/close"),
            Some(&agent_key),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK);

    // Closing ran the inspection in the background.
    let mut found = Value::Null;
    for _ in 0..100 {
        let (_, ins) = s
            .call(
                Method::GET,
                &format!("{base}/inspection"),
                Some(&agent_key),
                None,
            )
            .await;
        if let Some(i) = ins.as_array().and_then(|a| a.first()) {
            found = i.clone();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(found["plugin"], "sentiment-qa", "{found}");
    let findings = found["result"]["findings"].as_array().unwrap();
    let kinds: Vec<&str> = findings
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"forbidden_phrase"), "{found}");
    assert!(kinds.contains(&"missing_closing"), "{found}");
    // The brush-off finding points at the agent's turn.
    let (_, view) = s.call(Method::GET, &base, Some(&agent_key), None).await;
    let brush = findings
        .iter()
        .find(|f| f["kind"] == "forbidden_phrase")
        .unwrap();
    let turn = &view["turns"][brush["turn_index"].as_u64().unwrap() as usize];
    assert_eq!(turn["role"], "agent", "{view}");
    assert!(turn["text"].as_str().unwrap().contains("不知道"));
    assert_ne!(
        found["result"]["annotations"]["csat_risk"], "low",
        "{found}"
    );
    s.stop().await;
}
