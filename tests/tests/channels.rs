//! Channels end to end: real signed (and encrypted) WeChat, WeCom and webhook requests to the
//! running server, its replies decrypted and verified, retries deduplicated, late replies
//! delivered through the outbox to a local server speaking WeChat's API, and bad input refused
//! with nothing stored.

use std::time::Duration;

use base64::Engine;
use kefu_host::channels::webhook;
use kefu_host::channels::wechat::{self, CallbackXml, MsgCrypt};
use kefu_tests::wechat_api::WechatApi;
use kefu_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const TOKEN: &str = "kefu-token";
const APPID: &str = "wx1234567890abcdef";
const CORPID: &str = "ww0123456789abcdef";

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn aes_key() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::STANDARD.encode(bytes)[..43].to_owned()
}

fn text_xml(from: &str, msg_id: u64, content: &str) -> String {
    format!(
        "<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[{from}]]></FromUserName>\
         <CreateTime>{}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>\
         <MsgId>{msg_id}</MsgId></xml>",
        now_secs()
    )
}

fn nonce() -> String {
    format!("{}", rand::random::<u32>())
}

async fn post(url: String, body: String) -> (StatusCode, String) {
    let resp = reqwest::Client::new()
        .post(url)
        .body(body)
        .send()
        .await
        .unwrap();
    (resp.status(), resp.text().await.unwrap())
}

/// A plaintext-mode POST, signed like WeChat signs it.
async fn post_plain(s: &TestServer, path: &str, body: &str) -> (StatusCode, String) {
    let (ts, n) = (now_secs().to_string(), nonce());
    let sig = wechat::plain_signature(TOKEN, &ts, &n);
    post(
        format!(
            "{}{path}?signature={sig}&timestamp={ts}&nonce={n}&openid=o1",
            s.base
        ),
        body.to_owned(),
    )
    .await
}

/// A safe-mode POST: the message encrypted, `msg_signature` over it.
async fn post_aes(
    s: &TestServer,
    path: &str,
    crypt: &MsgCrypt,
    inner: &str,
) -> (StatusCode, String) {
    let (ts, n) = (now_secs().to_string(), nonce());
    let enc = crypt.encrypt(inner, rand::random());
    let msig = crypt.signature(&ts, &n, &enc);
    let sig = wechat::plain_signature(TOKEN, &ts, &n);
    let body = format!(
        "<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><Encrypt><![CDATA[{enc}]]></Encrypt></xml>"
    );
    post(
        format!("{}{path}?signature={sig}&timestamp={ts}&nonce={n}&encrypt_type=aes&msg_signature={msig}", s.base),
        body,
    )
    .await
}

/// Verifies and decrypts an encrypted passive reply; returns the inner reply XML.
fn open_reply(crypt: &MsgCrypt, body: &str) -> CallbackXml {
    let outer = CallbackXml::parse(body.as_bytes()).unwrap_or_else(|e| panic!("{e}: {body}"));
    let enc = outer.encrypt().unwrap();
    crypt
        .verify_signature(
            outer.get("TimeStamp").unwrap(),
            outer.get("Nonce").unwrap(),
            enc,
            outer.get("MsgSignature").unwrap(),
        )
        .expect("the reply's MsgSignature verifies");
    let inner = crypt.decrypt(enc).expect("the reply decrypts").message;
    CallbackXml::parse(inner.as_bytes()).unwrap()
}

async fn add_channel(s: &TestServer, tenant: &str, body: Value) -> Value {
    let (st, res) = s
        .op(
            Method::POST,
            &format!("/v1/tenants/{tenant}/channels"),
            Some(body),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{res}");
    res
}

/// A tenant with the echo plugin enabled.
async fn echo_tenant(s: &TestServer, tenant: &str) {
    s.create_tenant(tenant).await;
    let (st, body) = s.install(test_package("well-behaved")).await;
    assert!(st == StatusCode::CREATED, "{body}");
    s.enable(tenant, "well-behaved").await;
}

async fn usage_calls(s: &TestServer, tenant: &str, hook: &str) -> i64 {
    let (_, usage) = s
        .op(Method::GET, &format!("/v1/tenants/{tenant}/usage"), None)
        .await;
    usage
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["hook"] == hook)
        .map(|r| r["calls"].as_i64().unwrap())
        .sum()
}

async fn inbound(s: &TestServer, tenant: &str, channel: &str) -> Vec<Value> {
    let (st, rows) = s
        .op(
            Method::GET,
            &format!("/v1/tenants/{tenant}/channels/{channel}/inbound"),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{rows}");
    rows.as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wechat_url_verification_answers_echostr_only_when_the_signature_checks() {
    let s = TestServer::start().await;
    s.create_tenant("shop").await;
    add_channel(
        &s,
        "shop",
        json!({"name": "oa", "kind": "wechat-oa", "token": TOKEN}),
    )
    .await;
    let ts = now_secs().to_string();
    let sig = wechat::plain_signature(TOKEN, &ts, "n1");
    let url = |sig: &str, ts: &str, path: &str| {
        format!(
            "{}{path}?signature={sig}&timestamp={ts}&nonce=n1&echostr=8745362910",
            s.base
        )
    };
    let resp = reqwest::get(url(&sig, &ts, "/wechat/shop/oa"))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.text().await.unwrap(),
        "8745362910",
        "verbatim, no quotes or newline"
    );

    let wrong = wechat::plain_signature("other-token", &ts, "n1");
    assert_eq!(
        reqwest::get(url(&wrong, &ts, "/wechat/shop/oa"))
            .await
            .unwrap()
            .status(),
        401
    );
    let old = (now_secs() - 3600).to_string();
    let old_sig = wechat::plain_signature(TOKEN, &old, "n1");
    assert_eq!(
        reqwest::get(url(&old_sig, &old, "/wechat/shop/oa"))
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        reqwest::get(url(&sig, &ts, "/wechat/nobody/oa"))
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        reqwest::get(url(&sig, &ts, "/wechat/shop/nope"))
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        reqwest::get(url(&sig, &ts, "/wecom/shop/oa"))
            .await
            .unwrap()
            .status(),
        404
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plaintext_message_gets_a_passive_reply_and_a_retry_gets_the_same_one_without_rerunning() {
    let s = TestServer::start().await;
    echo_tenant(&s, "shop").await;
    add_channel(
        &s,
        "shop",
        json!({"name": "oa", "kind": "wechat-oa", "token": TOKEN}),
    )
    .await;
    let body = text_xml("o_user_1", 6_354_162_397_164_355_601, "你好");
    let (st, reply) = post_plain(&s, "/wechat/shop/oa", &body).await;
    assert_eq!(st, StatusCode::OK, "{reply}");
    let x = CallbackXml::parse(reply.as_bytes()).unwrap();
    assert_eq!(x.to_user_name(), Some("o_user_1"));
    assert_eq!(x.from_user_name(), Some("gh_0123456789ab"));
    assert_eq!(x.msg_type(), Some("text"));
    assert_eq!(x.content(), Some("echo: 你好"));

    // WeChat's retry: the identical body with a new timestamp, nonce and signature.
    let (st, again) = post_plain(&s, "/wechat/shop/oa", &body).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        CallbackXml::parse(again.as_bytes()).unwrap().content(),
        Some("echo: 你好")
    );
    assert_eq!(
        usage_calls(&s, "shop", "respond").await,
        1,
        "the pipeline ran once"
    );
    let rows = inbound(&s, "shop", "oa").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["dedup_key"], "msgid:6354162397164355601");
    assert_eq!(rows[0]["replied_via"], "passive");
    assert_eq!(rows[0]["fields"]["Content"], "你好", "every field is kept");

    // Events dedupe on sender + time + event; a subscribe with no reply answers `success`.
    let event = format!(
        "<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[o_user_2]]></FromUserName>\
         <CreateTime>{}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>\
         <EventKey><![CDATA[qrscene_123]]></EventKey></xml>",
        now_secs()
    );
    let s2 = TestServer::start().await;
    s2.create_tenant("plain").await;
    add_channel(
        &s2,
        "plain",
        json!({"name": "oa", "kind": "wechat-oa", "token": TOKEN}),
    )
    .await;
    let (st, body) = post_plain(&s2, "/wechat/plain/oa", &event).await;
    assert_eq!((st, body.as_str()), (StatusCode::OK, "success"));
    let (_, _) = post_plain(&s2, "/wechat/plain/oa", &event).await;
    let rows = inbound(&s2, "plain", "oa").await;
    assert_eq!(rows.len(), 1);
    assert!(
        rows[0]["dedup_key"]
            .as_str()
            .unwrap()
            .starts_with("event:o_user_2:")
    );
    assert_eq!(rows[0]["kind"], "event");
    assert_eq!(rows[0]["text"], "subscribe:qrscene_123");
    s2.stop().await;
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn safe_mode_messages_are_decrypted_answered_encrypted_and_survive_a_key_rotation() {
    let s = TestServer::start().await;
    echo_tenant(&s, "edu").await;
    let k1 = aes_key();
    add_channel(
        &s,
        "edu",
        json!({"name": "oa", "kind": "wechat-oa", "token": TOKEN, "aes_key": k1, "appid": APPID}),
    )
    .await;
    let c1 = MsgCrypt::from_encoding_aes_keys(TOKEN, &k1, None, APPID).unwrap();
    let (st, body) = post_aes(&s, "/wechat/edu/oa", &c1, &text_xml("o_a", 1, "课程多少钱")).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let inner = open_reply(&c1, &body);
    assert_eq!(inner.content(), Some("echo: 课程多少钱"));
    assert_eq!(inner.to_user_name(), Some("o_a"));

    // Rotate: the old key stays accepted, and a reply goes back in the key the request used.
    let k2 = aes_key();
    let (st, view) = s
        .op(
            Method::PATCH,
            "/v1/tenants/edu/channels/oa",
            Some(json!({"aes_key": k2})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{view}");
    assert!(view["aes_key_previous"].as_str().unwrap().ends_with("***"));
    let (st, body) = post_aes(&s, "/wechat/edu/oa", &c1, &text_xml("o_a", 2, "旧钥匙")).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(open_reply(&c1, &body).content(), Some("echo: 旧钥匙"));
    let c2 = MsgCrypt::from_encoding_aes_keys(TOKEN, &k2, None, APPID).unwrap();
    let (st, body) = post_aes(&s, "/wechat/edu/oa", &c2, &text_xml("o_a", 3, "新钥匙")).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(open_reply(&c2, &body).content(), Some("echo: 新钥匙"));

    // Refused, with nothing stored: another app's message, a bad msg_signature, plaintext to
    // a safe-mode channel, an unknown key.
    let other_app =
        MsgCrypt::from_encoding_aes_keys(TOKEN, &k2, None, "wxffffffffffffffff").unwrap();
    let (st, body) = post_aes(&s, "/wechat/edu/oa", &other_app, &text_xml("o_a", 4, "x")).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("wrong_receive_id"), "{body}");
    let bad_sig = MsgCrypt::from_encoding_aes_keys("not-the-token", &k2, None, APPID).unwrap();
    let (st, _) = post_aes(&s, "/wechat/edu/oa", &bad_sig, &text_xml("o_a", 5, "x")).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, _) = post_plain(&s, "/wechat/edu/oa", &text_xml("o_a", 6, "x")).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let stranger = MsgCrypt::from_encoding_aes_keys(TOKEN, &aes_key(), None, APPID).unwrap();
    let (st, _) = post_aes(&s, "/wechat/edu/oa", &stranger, &text_xml("o_a", 7, "x")).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(inbound(&s, "edu", "oa").await.len(), 3);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wecom_verification_decrypts_echostr_and_messages_are_answered_encrypted() {
    let s = TestServer::start().await;
    echo_tenant(&s, "corp").await;
    let key = aes_key();
    add_channel(
        &s,
        "corp",
        json!({"name": "app", "kind": "wecom", "token": TOKEN, "aes_key": key, "corpid": CORPID}),
    )
    .await;
    let crypt = MsgCrypt::from_encoding_aes_keys(TOKEN, &key, None, CORPID).unwrap();
    let (ts, n) = (now_secs().to_string(), nonce());
    let echostr = crypt.encrypt("1616140317555161061", rand::random());
    let sig = crypt.signature(&ts, &n, &echostr);
    let enc_q = |v: &str| {
        v.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    let url = format!(
        "{}/wecom/corp/app?msg_signature={sig}&timestamp={ts}&nonce={n}&echostr={}",
        s.base,
        enc_q(&echostr)
    );
    let resp = reqwest::get(&url).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.text().await.unwrap(), "1616140317555161061");
    let bad = url.replace(&format!("msg_signature={sig}"), "msg_signature=0000");
    assert_eq!(
        reqwest::get(&bad).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );

    let inner = format!(
        "<xml><ToUserName><![CDATA[{CORPID}]]></ToUserName><FromUserName><![CDATA[zhangsan]]></FromUserName>\
         <CreateTime>{}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[报销怎么走流程]]></Content>\
         <MsgId>1234567890123456</MsgId><AgentID>1000002</AgentID></xml>",
        now_secs()
    );
    let (st, body) = post_aes(&s, "/wecom/corp/app", &crypt, &inner).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let reply = open_reply(&crypt, &body);
    assert_eq!(reply.content(), Some("echo: 报销怎么走流程"));
    assert_eq!(reply.to_user_name(), Some("zhangsan"));
    s.stop().await;
}

/// A WeCom customer-service (微信客服) page of `kf/sync_msg`.
fn kf_page(cursor: &str, more: bool, msgs: Vec<Value>) -> Value {
    json!({"errcode": 0, "errmsg": "ok", "next_cursor": cursor, "has_more": i32::from(more),
           "msg_list": msgs})
}

fn kf_text(msgid: &str, customer: &str, text: &str) -> Value {
    json!({"msgid": msgid, "open_kfid": "wkKF0001", "external_userid": customer,
           "send_time": now_secs(), "origin": 3, "msgtype": "text", "text": {"content": text}})
}

/// The encrypted `kf_msg_or_event` callback WeCom sends when a customer-service account has news.
async fn kf_event(s: &TestServer, crypt: &MsgCrypt, token: &str) -> (StatusCode, String) {
    let inner = format!(
        "<xml><ToUserName><![CDATA[{CORPID}]]></ToUserName><CreateTime>{}</CreateTime>\
         <MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event>\
         <Token><![CDATA[{token}]]></Token><OpenKfId><![CDATA[wkKF0001]]></OpenKfId></xml>",
        now_secs()
    );
    post_aes(s, "/wecom/kfcorp/kf", crypt, &inner).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wecom_customer_service_pulls_messages_by_cursor_answers_through_kf_send_msg_and_dedupes() {
    let api = WechatApi::start().await;
    let s = TestServer::start().await;
    echo_tenant(&s, "kfcorp").await;
    let key = aes_key();
    add_channel(
        &s,
        "kfcorp",
        json!({"name": "kf", "kind": "wecom", "token": TOKEN, "aes_key": key, "corpid": CORPID,
               "secret": "app-secret", "settings": {"api_base": api.base}}),
    )
    .await;
    let crypt = MsgCrypt::from_encoding_aes_keys(TOKEN, &key, None, CORPID).unwrap();
    {
        let mut st = api.state.lock().unwrap();
        st.kf_pages.push_back(kf_page(
            "CURSOR-1",
            true,
            vec![
                kf_text("msg-a1", "wm_parent_a", "请问周末有编程课吗"),
                // The agent's own message, sent from the WeCom app: not the customer's.
                json!({"msgid": "msg-s1", "open_kfid": "wkKF0001", "external_userid": "wm_parent_a",
                       "origin": 5, "servicer_userid": "teacher", "msgtype": "text",
                       "text": {"content": "您好"}}),
            ],
        ));
        st.kf_pages.push_back(kf_page(
            "CURSOR-2",
            false,
            vec![kf_text("msg-b1", "wm_parent_b", "学费多少")],
        ));
    }
    // The callback only signals; it is answered at once.
    let (st, body) = kf_event(&s, &crypt, "ENTER-TOKEN-1").await;
    assert_eq!((st, body.as_str()), (StatusCode::OK, "success"));
    let sends = api.wait_for_sends(2).await;
    let mut by_customer: Vec<(String, Value)> = sends
        .iter()
        .map(|r| {
            (
                r.body["touser"].as_str().unwrap().to_owned(),
                r.body.clone(),
            )
        })
        .collect();
    by_customer.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(by_customer[0].0, "wm_parent_a");
    assert_eq!(by_customer[0].1["open_kfid"], "wkKF0001");
    assert_eq!(by_customer[0].1["msgtype"], "text");
    assert_eq!(
        by_customer[0].1["text"]["content"],
        "echo: 请问周末有编程课吗"
    );
    let msgid = by_customer[0].1["msgid"].as_str().unwrap();
    assert!(msgid.len() <= 32 && msgid.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(by_customer[1].1["text"]["content"], "echo: 学费多少");
    let syncs = api.syncs();
    assert_eq!(syncs.len(), 2, "one request per page");
    assert_eq!(syncs[0].body["cursor"], "");
    assert_eq!(syncs[0].body["token"], "ENTER-TOKEN-1");
    assert_eq!(syncs[0].body["open_kfid"], "wkKF0001");
    assert_eq!(syncs[1].body["cursor"], "CURSOR-1");

    // The next event: the pull resumes at the stored cursor; a message WeCom hands out again
    // is not processed again.
    api.state.lock().unwrap().kf_pages.push_back(kf_page(
        "CURSOR-3",
        false,
        vec![
            kf_text("msg-b1", "wm_parent_b", "学费多少"),
            kf_text("msg-b2", "wm_parent_b", "有试听吗"),
        ],
    ));
    let (st, _) = kf_event(&s, &crypt, "TOKEN-2").await;
    assert_eq!(st, StatusCode::OK);
    let sends = api.wait_for_sends(3).await;
    assert_eq!(sends[2].body["text"]["content"], "echo: 有试听吗");
    assert_eq!(api.syncs()[2].body["cursor"], "CURSOR-2");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        api.sends().len(),
        3,
        "the repeated message is answered once"
    );
    assert_eq!(
        usage_calls(&s, "kfcorp", "respond").await,
        3,
        "processed once each"
    );
    let rows = inbound(&s, "kfcorp", "kf").await;
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r["replied_via"] == "outbox"));

    // An agent's reply to a customer-service customer goes out through kf/send_msg too.
    let (_, conversations) = s
        .op(Method::GET, "/v1/tenants/kfcorp/conversations", None)
        .await;
    let conversation = conversations
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["customer_id"] == "wm_parent_b")
        .expect("wm_parent_b's conversation")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (st, agent) = s
        .op(
            Method::POST,
            "/v1/tenants/kfcorp/agents",
            Some(json!({"id": "teacher-wu", "name": "吴老师", "queues": []})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{agent}");
    let key = agent["api_key"].as_str().unwrap().to_owned();
    let path = |action: &str| format!("/v1/tenants/kfcorp/conversations/{conversation}/{action}");
    let (st, body) = s.call(Method::POST, &path("claim"), Some(&key), None).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let (st, body) = s
        .call(
            Method::POST,
            &path("reply"),
            Some(&key),
            Some(json!({"text": "周六上午有试听课"})),
        )
        .await;
    assert!(st.is_success(), "{body}");
    let sends = api.wait_for_sends(4).await;
    assert_eq!(sends[3].path, "send");
    assert_eq!(sends[3].body["touser"], "wm_parent_b");
    assert_eq!(sends[3].body["open_kfid"], "wkKF0001");
    assert_eq!(sends[3].body["text"]["content"], "周六上午有试听课");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_reply_goes_through_the_outbox_with_token_fetch_and_refresh_and_every_attempt_recorded()
 {
    let api = WechatApi::start().await;
    let s = TestServer::start().await;
    echo_tenant(&s, "late").await;
    add_channel(
        &s,
        "late",
        json!({"name": "oa", "kind": "wechat-oa", "token": TOKEN, "appid": APPID, "secret": "app-secret",
               "settings": {"api_base": api.base, "reply_budget_ms": 0}}),
    )
    .await;
    // The pipeline cannot answer within a zero budget: `success` now, the reply later.
    let (st, body) = post_plain(&s, "/wechat/late/oa", &text_xml("o_late", 42, "在吗")).await;
    assert_eq!((st, body.as_str()), (StatusCode::OK, "success"));
    let sends = api.wait_for_sends(1).await;
    assert_eq!(sends[0].query["access_token"], "TOKEN-1");
    assert_eq!(
        sends[0].body,
        json!({"touser": "o_late", "msgtype": "text", "text": {"content": "echo: 在吗"}})
    );

    // The token expires: the next delivery gets 42001, refreshes, and succeeds.
    api.state.lock().unwrap().expire_next_token = true;
    post_plain(&s, "/wechat/late/oa", &text_xml("o_late", 43, "还在吗")).await;
    let sends = api.wait_for_sends(3).await;
    assert_eq!(sends[2].query["access_token"], "TOKEN-2");
    assert_eq!(sends[2].body["text"]["content"], "echo: 还在吗");

    // WeChat says the window closed (45015): final, not retried.
    api.state
        .lock()
        .unwrap()
        .scripted
        .push_back(json!({"errcode": 45015, "errmsg": "response out of time limit"}));
    post_plain(&s, "/wechat/late/oa", &text_xml("o_late", 44, "hello?")).await;
    api.wait_for_sends(4).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(api.sends().len(), 4, "a final error is not retried");

    let (_, outbox) = s.op(Method::GET, "/v1/tenants/late/outbox", None).await;
    let outbox = outbox.as_array().unwrap();
    assert_eq!(outbox.len(), 3);
    let by_text = |t: &str| {
        outbox
            .iter()
            .find(|o| o["payload"]["text"] == t)
            .unwrap()
            .clone()
    };
    assert_eq!(by_text("echo: 在吗")["status"], "sent");
    let refreshed = by_text("echo: 还在吗");
    assert_eq!(refreshed["status"], "sent");
    let failed = by_text("echo: hello?");
    assert_eq!(failed["status"], "failed");
    assert!(failed["last_error"].as_str().unwrap().contains("45015"));
    let (_, attempts) = s
        .op(
            Method::GET,
            &format!(
                "/v1/tenants/late/outbox/{}/attempts",
                refreshed["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    let codes: Vec<i64> = attempts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["errcode"].as_i64().unwrap())
        .collect();
    assert_eq!(codes, vec![42001, 0], "every attempt is recorded");
    for row in inbound(&s, "late", "oa").await {
        assert_eq!(row["replied_via"], "outbox");
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_reply_outside_the_reply_window_is_not_sent() {
    let api = WechatApi::start().await;
    let s = TestServer::start().await;
    echo_tenant(&s, "closed").await;
    // A window of 0 hours: by the time the late reply is due, the customer's message is too old.
    add_channel(
        &s,
        "closed",
        json!({"name": "oa", "kind": "wechat-oa", "token": TOKEN, "appid": APPID, "secret": "app-secret",
               "settings": {"api_base": api.base, "reply_budget_ms": 0, "window_hours": 0}}),
    )
    .await;
    let (st, body) = post_plain(&s, "/wechat/closed/oa", &text_xml("o_gone", 7, "在吗")).await;
    assert_eq!((st, body.as_str()), (StatusCode::OK, "success"));
    let mut outbox = Value::Null;
    for _ in 0..200 {
        outbox = s.op(Method::GET, "/v1/tenants/closed/outbox", None).await.1;
        if outbox[0]["status"] == "expired" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(outbox[0]["status"], "expired", "{outbox}");
    assert!(
        outbox[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("reply window")
    );
    assert!(api.sends().is_empty(), "nothing is sent outside the window");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_retries_of_one_message_run_the_pipeline_once_and_deliver_once() {
    let api = WechatApi::start().await;
    let s = TestServer::start().await;
    echo_tenant(&s, "busy").await;
    add_channel(
        &s,
        "busy",
        json!({"name": "oa", "kind": "wechat-oa", "token": TOKEN, "appid": APPID, "secret": "app-secret",
               "settings": {"api_base": api.base, "reply_budget_ms": 0}}),
    )
    .await;
    let body = text_xml("o_dup", 777, "重复");
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let base = s.base.clone();
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            let (ts, n) = (now_secs().to_string(), nonce());
            let sig = wechat::plain_signature(TOKEN, &ts, &n);
            let resp = reqwest::Client::new()
                .post(format!(
                    "{base}/wechat/busy/oa?signature={sig}&timestamp={ts}&nonce={n}"
                ))
                .body(body)
                .send()
                .await
                .unwrap();
            (resp.status(), resp.text().await.unwrap())
        }));
    }
    for t in tasks {
        let (st, body) = t.await.unwrap();
        assert_eq!(st, StatusCode::OK);
        assert_eq!(body, "success");
    }
    api.wait_for_sends(1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(api.sends().len(), 1, "delivered once");
    assert_eq!(
        usage_calls(&s, "busy", "respond").await,
        1,
        "processed once"
    );
    assert_eq!(inbound(&s, "busy", "oa").await.len(), 1);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_a_clear_error_and_stores_nothing() {
    let s = TestServer::start().await;
    echo_tenant(&s, "shop").await;
    add_channel(
        &s,
        "shop",
        json!({"name": "oa", "kind": "wechat-oa", "token": TOKEN}),
    )
    .await;
    let xxe = "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\
               <xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>\
               <MsgType>text</MsgType><Content>&xxe;</Content><MsgId>1</MsgId></xml>";
    let bomb = "<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">]><xml><Content>&lol2;</Content></xml>";
    for (name, body, want) in [
        ("malformed", "<xml><Content>unclosed".to_owned(), 400),
        ("not xml", "{\"json\": true}".to_owned(), 400),
        ("xxe", xxe.to_owned(), 400),
        ("entity expansion", bomb.to_owned(), 400),
        (
            "missing fields",
            "<xml><MsgType>text</MsgType></xml>".to_owned(),
            400,
        ),
        ("oversize", text_xml("o", 1, &"长".repeat(30_000)), 413),
    ] {
        let (st, resp) = post_plain(&s, "/wechat/shop/oa", &body).await;
        assert_eq!(st.as_u16(), want, "{name}: {resp}");
    }
    let (st, _) = post(
        format!(
            "{}/wechat/shop/oa?signature=bad&timestamp={}&nonce=1",
            s.base,
            now_secs()
        ),
        text_xml("o", 2, "hi"),
    )
    .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, _) = post(format!("{}/wechat/shop/oa", s.base), text_xml("o", 3, "hi")).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "no signature at all");
    assert_eq!(
        post_plain(&s, "/wechat/ghost/oa", &text_xml("o", 4, "hi"))
            .await
            .0,
        404
    );
    assert_eq!(
        post_plain(&s, "/wechat/shop/ghost", &text_xml("o", 5, "hi"))
            .await
            .0,
        404
    );
    assert!(
        inbound(&s, "shop", "oa").await.is_empty(),
        "nothing was stored"
    );
    assert_eq!(usage_calls(&s, "shop", "respond").await, 0);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_webhook_checks_its_hmac_and_replay_window_and_dedupes_by_message_id() {
    let s = TestServer::start().await;
    echo_tenant(&s, "api").await;
    let secret = "0123456789abcdef-secret";
    add_channel(
        &s,
        "api",
        json!({"name": "crm", "kind": "webhook", "hmac_secret": secret}),
    )
    .await;
    let send = |body: String, ts: i64, sig: Option<String>| {
        let url = format!("{}/webhook/api/crm", s.base);
        async move {
            let mut req = reqwest::Client::new()
                .post(url)
                .header("content-type", "application/json")
                .header("X-Kefu-Timestamp", ts.to_string());
            if let Some(sig) = sig {
                req = req.header("X-Kefu-Signature", sig);
            }
            let resp = req.body(body).send().await.unwrap();
            (
                resp.status(),
                resp.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let body = json!({"message_id": "m-1", "customer_id": "u-1", "text": "hello"}).to_string();
    let ts = now_secs();
    let sig = webhook::sign(secret.as_bytes(), ts, body.as_bytes());
    let (st, res) = send(body.clone(), ts, Some(sig.clone())).await;
    assert_eq!(st, StatusCode::OK, "{res}");
    assert_eq!(res["status"], "answered");
    assert_eq!(res["reply"]["text"], "echo: hello");
    assert_eq!(res["duplicate"], false);
    let (st, res) = send(body.clone(), ts, Some(sig.clone())).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(res["duplicate"], true);
    assert_eq!(
        res["reply"]["text"], "echo: hello",
        "the retry gets the same answer"
    );
    assert_eq!(usage_calls(&s, "api", "respond").await, 1);

    let tampered = body.replace("hello", "HELLO");
    assert_eq!(
        send(tampered, ts, Some(sig.clone())).await.0,
        StatusCode::UNAUTHORIZED
    );
    let old = ts - 600;
    let old_sig = webhook::sign(secret.as_bytes(), old, body.as_bytes());
    let (st, res) = send(body.clone(), old, Some(old_sig)).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert_eq!(res["error"]["code"], "stale_timestamp");
    assert_eq!(
        send(body.clone(), ts, None).await.0,
        StatusCode::UNAUTHORIZED
    );
    let junk = "{not json".to_owned();
    let junk_sig = webhook::sign(secret.as_bytes(), ts, junk.as_bytes());
    let (st, res) = send(junk, ts, Some(junk_sig)).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{res}");
    assert_eq!(inbound(&s, "api", "crm").await.len(), 1);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channel_secrets_are_never_returned_in_full_and_channels_are_per_tenant() {
    let s = TestServer::start().await;
    s.create_tenant("a").await;
    let b_key = s.create_tenant("b").await;
    let key = aes_key();
    let view = add_channel(
        &s,
        "a",
        json!({"name": "oa", "kind": "wechat-oa", "token": TOKEN, "aes_key": key, "appid": APPID,
               "secret": "app-secret"}),
    )
    .await;
    let text = view.to_string();
    for secret in [TOKEN, key.as_str(), "app-secret"] {
        assert!(!text.contains(secret), "{secret} leaked in {text}");
    }
    assert_eq!(view["callback_path"], "/wechat/a/oa");
    let (_, list) = s.op(Method::GET, "/v1/tenants/a/channels", None).await;
    assert!(!list.to_string().contains(TOKEN));
    let (st, _) = s
        .call(Method::GET, "/v1/tenants/a/channels", Some(&b_key), None)
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    for (body, field) in [
        (json!({"name": "x", "kind": "wechat-oa"}), "token"),
        (
            json!({"name": "x", "kind": "wecom", "token": "t", "aes_key": aes_key()}),
            "corpid",
        ),
        (
            json!({"name": "x", "kind": "wechat-oa", "token": "t", "aes_key": "short", "appid": APPID}),
            "aes_key",
        ),
        (
            json!({"name": "x", "kind": "webhook", "hmac_secret": "short"}),
            "hmac_secret",
        ),
        (json!({"name": "x", "kind": "telegram"}), "kind"),
    ] {
        let (st, res) = s
            .op(Method::POST, "/v1/tenants/a/channels", Some(body))
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{res}");
        assert!(
            res["error"]["message"].as_str().unwrap().contains(field),
            "{res}"
        );
    }
    let (st, _) = s
        .op(
            Method::POST,
            "/v1/tenants/a/channels",
            Some(json!({"name": "oa", "kind": "wechat-oa", "token": "t"})),
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
    let (st, _) = s
        .op(Method::DELETE, "/v1/tenants/a/channels/oa", None)
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    s.stop().await;
}
