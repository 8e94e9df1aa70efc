//! Routing and human handoff through HTTP (SPEC N4, N5): routes by keyword and VIP, a weighted
//! bot/human split, versioned routing configurations with a gray rollout, promotion and
//! one-step rollback, all audited; agents with their own keys claiming, answering (delivered
//! through the channel's outbox to a local server speaking WeChat's API), transferring and
//! closing conversations while the bot stays quiet; customer profiles kept across messages.

use kefu_host::channels::wechat;
use kefu_tests::wechat_api::WechatApi;
use kefu_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const TOKEN: &str = "handoff-token";
const APPID: &str = "wx0123456789abcdef";

/// A customer's message through the JSON message API; returns the pipeline's result.
async fn say(s: &TestServer, tenant: &str, customer: &str, text: &str, vip: bool) -> Value {
    let (st, r) = s
        .op(
            Method::POST,
            &format!("/v1/tenants/{tenant}/messages"),
            Some(
                json!({"channel": "web", "customer_id": customer, "text": text,
                        "customer": {"vip": vip}}),
            ),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    r
}

async fn echo_tenant(s: &TestServer, tenant: &str) -> String {
    let key = s.create_tenant(tenant).await;
    s.install(test_package("well-behaved")).await;
    s.enable(tenant, "well-behaved").await;
    key
}

async fn routing(s: &TestServer, tenant: &str, body: Value) -> (StatusCode, Value) {
    s.op(
        Method::POST,
        &format!("/v1/tenants/{tenant}/routing"),
        Some(body),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_split_gray_rollout_promotion_and_rollback_are_versioned_and_audited() {
    let s = TestServer::start().await;
    let key = echo_tenant(&s, "shop").await;
    let other = s.create_tenant("other").await;

    // A configuration that does not validate changes nothing and names the route and field.
    let (st, res) = routing(
        &s,
        "shop",
        json!({"config": {"routes": [
            {"id": "ok", "keywords": ["投诉"], "to": {"queue": "store-manager"}},
            {"id": "broken", "intents": ["refnd"], "to": {"queue": "vip"}}]}}),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{res}");
    assert_eq!(res["error"]["code"], "invalid_routing");
    let msg = res["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("broken") && msg.contains("intents[0]"),
        "{msg}"
    );
    let (_, view) = s.op(Method::GET, "/v1/tenants/shop/routing", None).await;
    assert_eq!(view["state"]["stable"], Value::Null, "{view}");

    // Version 1 goes live at once.
    let v1 = json!({"config": {"routes": [
        {"id": "complaints", "keywords": ["投诉"], "to": {"queue": "store-manager", "note": "已为您转接店长"}},
        {"id": "coupons", "keywords": ["优惠券"], "to": {"bot": "well-behaved"}},
        {"id": "vip", "vip": true, "to": {"queue": "vip"}}]}, "note": "first routes"});
    let (st, res) = s
        .call(
            Method::POST,
            "/v1/tenants/shop/routing",
            Some(&key),
            Some(v1),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{res}");
    assert_eq!(res["version"], 1);
    assert_eq!(res["state"]["stable"], 1);
    // Tenants are isolated.
    let (st, _) = s
        .call(Method::GET, "/v1/tenants/shop/routing", Some(&other), None)
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    let r = say(&s, "shop", "c-angry", "我要投诉你们的服务", false).await;
    assert_eq!(r["handoff"]["queue"], "store-manager", "{r}");
    assert_eq!(r["reply"]["text"], "已为您转接店长");
    assert_eq!(r["route"]["route"], "complaints");
    assert_eq!(r["route"]["version"], 1);
    let r = say(&s, "shop", "c-vip", "你好", true).await;
    assert_eq!(r["handoff"]["queue"], "vip", "{r}");
    let r = say(&s, "shop", "c-coupon", "有优惠券吗", false).await;
    assert_eq!(r["route"]["route"], "coupons");
    assert_eq!(r["reply"]["text"], "echo: 有优惠券吗");
    assert_eq!(r["handoff"], Value::Null);
    let r = say(&s, "shop", "c-plain", "你好", false).await;
    assert_eq!(
        r["route"],
        Value::Null,
        "no route, no split: routing has no say"
    );
    assert_eq!(r["reply"]["text"], "echo: 你好");

    // Version 2 sends everyone else to humans; it starts as a 50 % gray rollout.
    let v2 = json!({"config": {"routes": [], "split": {"bot_percent": 0, "human_queue": "general"}},
                    "gray_percent": 50});
    let (st, res) = routing(&s, "shop", v2).await;
    assert_eq!(st, StatusCode::CREATED, "{res}");
    assert_eq!(res["state"]["stable"], 1);
    assert_eq!(res["state"]["candidate"], 2);
    assert_eq!(res["state"]["gray_percent"], 50);
    let (mut gray, mut stable) = (Vec::new(), Vec::new());
    for n in 0..40 {
        let c = format!("g{n}");
        let r = say(&s, "shop", &c, "请问在吗", false).await;
        if r["route"]["gray"] == true {
            assert_eq!(r["route"]["version"], 2);
            assert_eq!(r["handoff"]["queue"], "general", "{r}");
            gray.push(c);
        } else {
            assert_eq!(r["reply"]["text"], "echo: 请问在吗", "{r}");
            stable.push(c);
        }
    }
    assert!(
        gray.len() >= 8 && stable.len() >= 8,
        "50 % gray: {} gray, {} stable",
        gray.len(),
        stable.len()
    );
    // A customer stays with the version it was given.
    for c in stable.iter().take(5) {
        let r = say(&s, "shop", c, "再问一下", false).await;
        assert_eq!(r["reply"]["text"], "echo: 再问一下", "{c}: {r}");
    }

    // Promote: everyone gets version 2.
    let (st, state) = s
        .op(Method::POST, "/v1/tenants/shop/routing/promote", None)
        .await;
    assert_eq!(st, StatusCode::OK, "{state}");
    assert_eq!(
        (state["stable"].clone(), state["previous"].clone()),
        (json!(2), json!(1))
    );
    let r = say(&s, "shop", "after-promote", "在吗", false).await;
    assert_eq!(r["handoff"]["queue"], "general", "{r}");
    assert_eq!(r["route"]["arm"], "human");

    // One step back: version 1 is live again.
    let (st, state) = s
        .op(Method::POST, "/v1/tenants/shop/routing/rollback", None)
        .await;
    assert_eq!(st, StatusCode::OK, "{state}");
    assert_eq!(state["stable"], 1);
    let r = say(&s, "shop", "after-rollback", "在吗", false).await;
    assert_eq!(r["reply"]["text"], "echo: 在吗", "{r}");
    assert_eq!(r["handoff"], Value::Null);
    // Nowhere further to go: refused, nothing changes.
    let (st, _) = s
        .op(Method::POST, "/v1/tenants/shop/routing/rollback", None)
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
    let (st, _) = s
        .op(
            Method::POST,
            "/v1/tenants/shop/routing/gray",
            Some(json!({"percent": 10})),
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT, "no candidate to roll out");

    // A candidate can also be withdrawn by a rollback.
    let (st, _) = routing(
        &s,
        "shop",
        json!({"config": {"split": {"bot_percent": 100, "human_queue": "general"}}, "gray_percent": 5}),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED);
    let (_, state) = s
        .op(
            Method::POST,
            "/v1/tenants/shop/routing/gray",
            Some(json!({"percent": 20})),
        )
        .await;
    assert_eq!(state["gray_percent"], 20);
    let (_, state) = s
        .op(Method::POST, "/v1/tenants/shop/routing/rollback", None)
        .await;
    assert_eq!(
        (state["stable"].clone(), state["candidate"].clone()),
        (json!(1), Value::Null)
    );

    let (_, versions) = s
        .op(Method::GET, "/v1/tenants/shop/routing/versions", None)
        .await;
    assert_eq!(versions.as_array().unwrap().len(), 3, "{versions}");
    let (_, audit) = s.op(Method::GET, "/v1/tenants/shop/audit", None).await;
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    for (action, n) in [
        ("routing.create", 3),
        ("routing.promote", 1),
        ("routing.rollback", 2),
        ("routing.gray", 1),
    ] {
        assert_eq!(
            actions.iter().filter(|a| **a == action).count(),
            n,
            "{action}: {actions:?}"
        );
    }
    let first = audit
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "routing.create" && a["detail"]["version"] == 1)
        .unwrap();
    assert_eq!(first["actor"], "tenant:shop");
    s.stop().await;
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A customer's text message to the Official Account callback, signed like WeChat signs it.
async fn oa_say(s: &TestServer, tenant: &str, from: &str, msg_id: u64, text: &str) -> String {
    let xml = format!(
        "<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[{from}]]></FromUserName>\
         <CreateTime>{}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{text}]]></Content>\
         <MsgId>{msg_id}</MsgId></xml>",
        now_secs()
    );
    let (ts, nonce) = (now_secs().to_string(), format!("{}", rand::random::<u32>()));
    let sig = wechat::plain_signature(TOKEN, &ts, &nonce);
    let resp = reqwest::Client::new()
        .post(format!(
            "{}/wechat/{tenant}/oa?signature={sig}&timestamp={ts}&nonce={nonce}&openid={from}",
            s.base
        ))
        .body(xml)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    resp.text().await.unwrap()
}

async fn new_agent(s: &TestServer, tenant: &str, id: &str, queues: Value) -> String {
    let (st, res) = s
        .op(
            Method::POST,
            &format!("/v1/tenants/{tenant}/agents"),
            Some(json!({"id": id, "name": format!("Agent {id}"), "queues": queues})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{res}");
    assert_eq!(
        res["agent"].get("key_hash"),
        None,
        "the key is never shown again"
    );
    res["api_key"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agents_claim_answer_through_the_outbox_transfer_and_close_while_the_bot_stays_quiet() {
    let api = WechatApi::start().await;
    let s = TestServer::start().await;
    echo_tenant(&s, "school").await;
    let (st, res) = s
        .op(
            Method::POST,
            "/v1/tenants/school/channels",
            Some(
                json!({"name": "oa", "kind": "wechat-oa", "token": TOKEN, "appid": APPID,
                        "secret": "app-secret", "settings": {"api_base": api.base}}),
            ),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{res}");
    let (st, res) = s
        .op(
            Method::PUT,
            "/v1/tenants/school/rules",
            Some(json!({"rules": [{"id": "complaint", "when": {"keywords_any": ["投诉"]},
                "then": [{"type": "handoff", "queue": "front-desk"}, {"type": "tag", "tag": "投诉客户"}]}]})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{res}");
    let alice = new_agent(&s, "school", "alice", json!(["front-desk"])).await;
    let bob = new_agent(&s, "school", "bob", json!(["managers"])).await;
    let carol = new_agent(&s, "school", "carol", json!([])).await;

    // Agent keys work the queues, nothing else.
    let (st, _) = s
        .call(Method::GET, "/v1/tenants/school/rules", Some(&alice), None)
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = s
        .call(Method::GET, "/v1/tenants/school/queues", Some(&alice), None)
        .await;
    assert_eq!(st, StatusCode::OK);

    // The bot answers until the customer complains; then the conversation waits for a human.
    let reply = oa_say(&s, "school", "o_parent", 1, "你好").await;
    assert!(reply.contains("echo: 你好"), "{reply}");
    let reply = oa_say(&s, "school", "o_parent", 2, "我要投诉上课的老师").await;
    assert!(reply.contains("正在为您转接人工客服"), "{reply}");
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    let (_, q) = s
        .call(Method::GET, "/v1/tenants/school/queues", Some(&alice), None)
        .await;
    let front = &q["queues"][0];
    assert_eq!(front["queue"], "front-desk", "{q}");
    assert_eq!(front["waiting"], 1);
    assert!(front["oldest_wait_ms"].as_i64().unwrap() >= 20, "{q}");
    let conv = front["conversations"][0]["id"].as_str().unwrap().to_owned();
    // While it waits the bot says nothing.
    assert_eq!(
        oa_say(&s, "school", "o_parent", 3, "人呢？").await,
        "success"
    );

    let claim = |key: String| {
        let s = &s;
        let conv = conv.clone();
        async move {
            s.call(
                Method::POST,
                &format!("/v1/tenants/school/conversations/{conv}/claim"),
                Some(&key),
                None,
            )
            .await
        }
    };
    // Not bob's queue; alice and carol race for it: exactly one wins.
    assert_eq!(claim(bob.clone()).await.0, StatusCode::FORBIDDEN);
    let ((a, ares), (c, cres)) = tokio::join!(claim(alice.clone()), claim(carol.clone()));
    let (winner, winner_key) = match (a, c) {
        (StatusCode::OK, StatusCode::CONFLICT) => ("alice", alice.clone()),
        (StatusCode::CONFLICT, StatusCode::OK) => ("carol", carol.clone()),
        other => panic!("{other:?}: {ares} {cres}"),
    };
    let (_, q) = s.op(Method::GET, "/v1/tenants/school/queues", None).await;
    assert_eq!(q["queues"][0]["waiting"], 0);
    assert_eq!(q["queues"][0]["claimed"], 1);
    assert_eq!(q["queues"][0]["conversations"][0]["agent_id"], winner);

    // Only the owner answers; the answer goes out through the outbox.
    let loser = if winner == "alice" {
        carol.clone()
    } else {
        alice.clone()
    };
    let path = format!("/v1/tenants/school/conversations/{conv}/reply");
    let (st, _) = s
        .call(
            Method::POST,
            &path,
            Some(&loser),
            Some(json!({"text": "我来"})),
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
    let (st, res) = s
        .call(
            Method::POST,
            &path,
            Some(&winner_key),
            Some(json!({"text": "您好，我是教务老师，请问是哪位老师的课？"})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{res}");
    assert_eq!(res["delivery"], "outbox");
    let sends = api.wait_for_sends(1).await;
    assert_eq!(
        sends[0].body,
        json!({"touser": "o_parent", "msgtype": "text",
               "text": {"content": "您好，我是教务老师，请问是哪位老师的课？"}})
    );
    // The customer answers the agent: still no bot reply.
    assert_eq!(
        oa_say(&s, "school", "o_parent", 4, "数学王老师").await,
        "success"
    );

    // Transfer to the managers' queue: bob may claim it now, the old owner may not answer.
    let (st, res) = s
        .call(
            Method::POST,
            &format!("/v1/tenants/school/conversations/{conv}/transfer"),
            Some(&winner_key),
            Some(json!({"queue": "managers"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{res}");
    assert_eq!(res["agent_id"], Value::Null);
    assert_eq!(claim(bob.clone()).await.0, StatusCode::OK);
    let (st, _) = s
        .call(
            Method::POST,
            &path,
            Some(&winner_key),
            Some(json!({"text": "x"})),
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
    let (st, _) = s
        .call(
            Method::POST,
            &path,
            Some(&bob),
            Some(json!({"text": "我是校长，这件事我来处理，感谢您的反馈。"})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
    api.wait_for_sends(2).await;

    // The conversation records every turn with its role.
    let (_, view) = s
        .call(
            Method::GET,
            &format!("/v1/tenants/school/conversations/{conv}"),
            Some(&bob),
            None,
        )
        .await;
    let roles: Vec<&str> = view["turns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["role"].as_str().unwrap())
        .collect();
    assert_eq!(
        roles,
        [
            "customer", "bot", "customer", "bot", "customer", "agent", "customer", "agent"
        ],
        "{view}"
    );

    // Closed: the customer's next message starts a new conversation the bot answers.
    let (st, res) = s
        .call(
            Method::POST,
            &format!("/v1/tenants/school/conversations/{conv}/close"),
            Some(&bob),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{res}");
    assert_eq!(res["status"], "closed");
    let reply = oa_say(&s, "school", "o_parent", 5, "谢谢").await;
    assert!(reply.contains("echo: 谢谢"), "{reply}");

    // The complaint tag stayed on the customer's profile.
    let (st, profile) = s
        .op(Method::GET, "/v1/tenants/school/customers/o_parent", None)
        .await;
    assert_eq!(st, StatusCode::OK, "{profile}");
    assert_eq!(profile["tags"], json!(["投诉客户"]));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_changes_from_rules_persist_and_steer_later_messages() {
    let s = TestServer::start().await;
    echo_tenant(&s, "edu").await;
    let (st, res) = s
        .op(
            Method::PUT,
            "/v1/tenants/edu/rules",
            Some(json!({"rules": [
                {"id": "grade", "when": {"keywords_any": ["三年级"]},
                 "then": [{"type": "tag", "tag": "k12"}, {"type": "set_profile", "field": "grade", "value": "3"},
                          {"type": "reply", "template": "好的，已记下孩子读三年级。"}]},
                {"id": "k12-courses", "when": {"customer_tags_any": ["k12"], "keywords_any": ["课程"]},
                 "then": [{"type": "reply", "template": "{{profile.grade|?}}年级适合我们的小学英语课。"}]}
            ], "classifier": {"threshold": 0.2, "min_margin": 0.05}})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{res}");
    assert_eq!(res["classifier"]["threshold"].as_f64().unwrap() as f32, 0.2);
    let r = say(&s, "edu", "p1", "有什么课程", false).await;
    assert_eq!(r["reply"]["text"], "echo: 有什么课程", "no tag yet: {r}");
    say(&s, "edu", "p1", "孩子三年级", false).await;
    let r = say(&s, "edu", "p1", "有什么课程", false).await;
    assert_eq!(r["reply"]["text"], "3年级适合我们的小学英语课。", "{r}");
    let (_, c) = s
        .op(Method::GET, "/v1/tenants/edu/customers/p1", None)
        .await;
    assert_eq!(c["tags"], json!(["k12"]));
    assert_eq!(c["profile"]["grade"], "3");

    // The tenant edits the profile (a CRM sync); the pipeline sees the change at once.
    let (st, _) = s
        .op(
            Method::PUT,
            "/v1/tenants/edu/customers/p1",
            Some(json!({"name": "李先生", "tags": [], "profile": {}})),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let r = say(&s, "edu", "p1", "有什么课程", false).await;
    assert_eq!(r["reply"]["text"], "echo: 有什么课程", "{r}");

    // Invalid classifier settings are refused.
    let (st, res) = s
        .op(
            Method::PUT,
            "/v1/tenants/edu/rules",
            Some(json!({"rules": [], "classifier": {"threshold": 1.5}})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res["error"]["message"]
            .as_str()
            .unwrap()
            .contains("classifier.threshold"),
        "{res}"
    );
    s.stop().await;
}
