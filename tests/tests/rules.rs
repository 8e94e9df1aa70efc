//! Decision rules through HTTP: a rule set is validated (the offending rule and field named),
//! then steers whole conversations that come in over the JSON webhook — template replies,
//! handoff to a human queue (after which the bot stays quiet), and plugin choice.

use kefu_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const SECRET: &str = "rules-test-secret-0123456789";

async fn webhook_say(s: &TestServer, tenant: &str, id: &str, customer: &str, text: &str) -> Value {
    let body = json!({"message_id": id, "customer_id": customer, "text": text,
                      "customer": {"name": "王女士"}});
    webhook_post(s, tenant, "crm", SECRET, &body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_are_validated_and_then_steer_a_whole_conversation_over_the_webhook() {
    let s = TestServer::start().await;
    s.create_tenant("edu").await;
    s.install(test_package("well-behaved")).await;
    s.enable("edu", "well-behaved").await;
    let (st, _) = s
        .op(
            Method::POST,
            "/v1/tenants/edu/channels",
            Some(json!({"name": "crm", "kind": "webhook", "hmac_secret": SECRET})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);

    let bad = json!({"rules": [
        {"id": "ok", "when": {"keywords_any": ["你好"]}, "then": [{"type": "reply", "template": "hi"}]},
        {"id": "refund-vip", "when": {"intent": ["refnd"]}, "then": [{"type": "handoff", "queue": "vip"}]}
    ]});
    let (st, res) = s.op(Method::PUT, "/v1/tenants/edu/rules", Some(bad)).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{res}");
    assert_eq!(res["error"]["code"], "invalid_rules");
    let msg = res["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("refund-vip") && msg.contains("when.intent[0]"),
        "{msg}"
    );
    let bad_template =
        json!({"rules": [{"id": "t", "then": [{"type": "reply", "template": "{{nope}}"}]}]});
    let (st, res) = s
        .op(Method::PUT, "/v1/tenants/edu/rules", Some(bad_template))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res["error"]["message"]
            .as_str()
            .unwrap()
            .contains("then[0]"),
        "{res}"
    );
    let (_, current) = s.op(Method::GET, "/v1/tenants/edu/rules", None).await;
    assert_eq!(current["version"], 0, "refused rule sets change nothing");

    let rules = json!({"rules": [
        {"id": "complaint", "when": {"keywords_any": ["投诉", "12315"]},
         "then": [{"type": "handoff", "queue": "store-manager", "note": "{{customer_name|您}}，已为您转接店长，请稍候。"},
                  {"type": "tag", "tag": "投诉客户"}]},
        {"id": "hours", "when": {"keywords_any": ["营业时间", "几点开门"]},
         "then": [{"type": "reply", "template": "{{customer_name|您}}好，我们每天 9:00-21:00 营业。"}]}
    ]});
    let (st, res) = s
        .op(Method::PUT, "/v1/tenants/edu/rules", Some(rules))
        .await;
    assert_eq!(st, StatusCode::OK, "{res}");
    assert_eq!(res["version"], 1);

    // A rule answers from its template.
    let r = webhook_say(&s, "edu", "m1", "u1", "你们营业时间是？").await;
    assert_eq!(r["reply"]["text"], "王女士好，我们每天 9:00-21:00 营业。");
    // No rule matches: the default path (the respond plugin) answers.
    let r = webhook_say(&s, "edu", "m2", "u1", "谢谢").await;
    assert_eq!(r["reply"]["text"], "echo: 谢谢");
    // A complaint goes to the store manager's queue; the customer is told.
    let r = webhook_say(&s, "edu", "m3", "u1", "我要投诉你们老师").await;
    assert_eq!(r["reply"]["text"], "王女士，已为您转接店长，请稍候。");
    let (_, convs) = s
        .op(Method::GET, "/v1/tenants/edu/conversations", None)
        .await;
    let conv = convs
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["customer_id"] == "u1")
        .unwrap_or_else(|| panic!("{convs}"))
        .clone();
    assert_eq!(conv["owner"], "human");
    assert_eq!(conv["queue"], "store-manager");
    // From now on a human owns it: the bot stays quiet.
    let r = webhook_say(&s, "edu", "m4", "u1", "人呢？").await;
    assert_eq!(r["reply"], Value::Null, "{r}");
    // Another customer is still answered by the bot.
    let r = webhook_say(&s, "edu", "m5", "u2", "你好").await;
    assert_eq!(r["reply"]["text"], "echo: 你好");

    // The explanation says which rule decided.
    let (_, inbound) = s
        .op(Method::GET, "/v1/tenants/edu/channels/crm/inbound", None)
        .await;
    let m3 = inbound
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["dedup_key"] == "id:m3")
        .unwrap()
        .clone();
    let (_, explained) = s
        .op(
            Method::GET,
            &format!(
                "/v1/tenants/edu/messages/{}",
                m3["message_id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(
        explained["result"]["decision"]["matched"],
        json!(["complaint"])
    );
    assert_eq!(explained["result"]["decision"]["tags"], json!(["投诉客户"]));
    assert_eq!(explained["result"]["handoff"]["queue"], "store-manager");

    let (_, audit) = s.op(Method::GET, "/v1/tenants/edu/audit", None).await;
    assert_eq!(audit.as_array().unwrap().len(), 1, "{audit}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_can_be_written_in_toml() {
    let s = TestServer::start().await;
    s.create_tenant("shop").await;
    let toml = r#"
[business_hours]
timezone = "Asia/Shanghai"
days = "mon-sun"
from = "00:00"
to = "24:00"

[[rules]]
id = "coupon"
[rules.when]
keywords_any = ["优惠券"]
[[rules.then]]
type = "reply"
template = "本月满200减30，结账自动使用。"
"#;
    let resp = reqwest::Client::new()
        .put(format!("{}/v1/tenants/shop/rules", s.base))
        .bearer_auth(&s.operator_key)
        .header("content-type", "application/toml")
        .body(toml)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "{}",
        resp.text().await.unwrap()
    );
    let (_, res) = s.send("shop", "有优惠券吗").await;
    assert_eq!(res["reply"]["text"], "本月满200减30，结账自动使用。");
    assert_eq!(res["reply"]["source"], "rule:coupon");
    s.stop().await;
}
