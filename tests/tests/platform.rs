//! The platform core end to end: tenants and keys, the add-on catalog, installing signed
//! packages (and refusing bad ones), enablement behind subscriptions, configuration,
//! upgrade and rollback, metering and the OpenAPI document — all over HTTP.

use kefu_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_key_reaches_only_its_own_tenant() {
    let s = TestServer::start().await;
    let a = s.create_tenant("school-a").await;
    let _b = s.create_tenant("salon-b").await;

    let (st, body) = s
        .call(Method::GET, "/v1/tenants/school-a", Some(&a), None)
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["id"], "school-a");

    for (method, path, payload) in [
        (Method::GET, "/v1/tenants/salon-b", None),
        (Method::GET, "/v1/tenants/salon-b/plugins", None),
        (Method::GET, "/v1/tenants/salon-b/subscriptions", None),
        (
            Method::POST,
            "/v1/tenants/salon-b/subscriptions",
            Some(json!({"addon": "nlp-upgrade"})),
        ),
        (Method::GET, "/v1/tenants/salon-b/usage", None),
        (
            Method::POST,
            "/v1/tenants/salon-b/messages",
            Some(json!({"channel": "x", "customer_id": "c", "text": "hi"})),
        ),
        (Method::POST, "/v1/tenants/salon-b/keys", None),
    ] {
        let (st, body) = s.call(method.clone(), path, Some(&a), payload).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{method} {path}: {body}");
        assert_eq!(code(&body), "forbidden");
    }
    // Listing tenants with a tenant key shows only that tenant.
    let (_, list) = s.call(Method::GET, "/v1/tenants", Some(&a), None).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], "school-a");
    // Operator-only actions.
    let (st, _) = s
        .call(
            Method::POST,
            "/v1/tenants",
            Some(&a),
            Some(json!({"id": "x1", "name": "x"})),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // Nothing was subscribed for salon-b by the refused request.
    let (_, subs) = s
        .op(Method::GET, "/v1/tenants/salon-b/subscriptions", None)
        .await;
    assert_eq!(subs, json!([]));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_without_a_valid_key_are_refused() {
    let s = TestServer::start().await;
    s.create_tenant("t1").await;
    for key in [None, Some("wrong"), Some("")] {
        let (st, body) = s.call(Method::GET, "/v1/tenants", key, None).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED, "{key:?}");
        assert_eq!(code(&body), "unauthorized");
    }
    // A rotated key stops working; the new one works.
    let (st, body) = s.op(Method::POST, "/v1/tenants/t1/keys", None).await;
    assert_eq!(st, StatusCode::CREATED);
    let new_key = body["api_key"].as_str().unwrap().to_owned();
    let (st, _) = s
        .call(Method::GET, "/v1/tenants/t1", Some(&new_key), None)
        .await;
    assert_eq!(st, StatusCode::OK);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_creation_validates_and_refuses_duplicates() {
    let s = TestServer::start().await;
    s.create_tenant("shop-1").await;
    let (st, body) = s
        .op(
            Method::POST,
            "/v1/tenants",
            Some(json!({"id": "shop-1", "name": "again"})),
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT, "{body}");
    for bad in ["A", "-x", "has space", "ünïcode"] {
        let (st, body) = s
            .op(
                Method::POST,
                "/v1/tenants",
                Some(json!({"id": bad, "name": "x"})),
            )
            .await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(code(&body), "invalid_tenant_id");
    }
    let (st, _) = s
        .op(
            Method::POST,
            "/v1/tenants",
            Some(json!({"id": "ok-id", "name": "x", "color": 1})),
        )
        .await;
    assert_eq!(
        st,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown fields are refused"
    );
    let (_, list) = s.op(Method::GET, "/v1/tenants", None).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalog_lists_the_paid_addons_with_the_seed_prices() {
    let s = TestServer::start().await;
    let (st, body) = s.op(Method::GET, "/v1/addons", None).await;
    assert_eq!(st, StatusCode::OK);
    let price = |id: &str| {
        let a = body
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == id)
            .unwrap_or_else(|| panic!("{id} missing from {body}"));
        (
            a["price_cents"].as_i64().unwrap(),
            a["period"].as_str().unwrap().to_owned(),
        )
    };
    assert_eq!(price("dialect-pack"), (2_000_000, "year".into()));
    assert_eq!(price("quality-inspection"), (80_000, "month".into()));
    assert_eq!(price("emotion-recognition"), (300_000, "once".into()));
    assert_eq!(price("nlp-upgrade"), (6_000_000, "year".into()));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_plugin_runs_every_hook_on_a_message_and_the_message_explains_itself() {
    let s = TestServer::start().await;
    s.create_tenant("edu").await;
    let (st, body) = s.install(example_package()).await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    assert_eq!(body["plugin_id"], "example");
    s.enable("edu", "example").await;

    let (st, res) = s
        .op(
            Method::POST,
            "/v1/tenants/edu/messages",
            Some(
                json!({"channel": "wechat", "customer_id": "o1", "text": "  你好，在吗  ",
                        "customer": {"name": "王女士"}}),
            ),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{res}");
    assert_eq!(res["text"], "你好，在吗", "preprocess trimmed the text");
    assert_eq!(res["intents"][0]["label"], "greeting");
    assert_eq!(res["reply"]["text"], "你好，王女士！请问有什么可以帮您？");
    assert_eq!(res["reply"]["source"], "example");
    let stages: Vec<(&str, &str)> = res["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["stage"].as_str().unwrap(), s["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        stages,
        [
            ("normalize", "ok"),
            ("preprocess", "ok"),
            ("classify", "ok"),
            ("analyze", "ok"),
            ("respond", "ok")
        ]
    );
    // The key/value store keeps state across messages for the same customer.
    assert_eq!(res["analysis"]["annotations"]["messages_seen"], "1");
    let (_, res2) = s
        .op(
            Method::POST,
            "/v1/tenants/edu/messages",
            Some(json!({"channel": "wechat", "customer_id": "o1", "text": "我要投诉😡"})),
        )
        .await;
    assert_eq!(res2["analysis"]["annotations"]["messages_seen"], "2");
    assert_eq!(res2["analysis"]["escalate"], true);
    assert_eq!(
        res2["reply"],
        Value::Null,
        "the example answers greetings only"
    );

    let id = res["message_id"].as_str().unwrap();
    let (st, stored) = s
        .op(Method::GET, &format!("/v1/tenants/edu/messages/{id}"), None)
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(stored["result"]["reply"]["text"], res["reply"]["text"]);
    assert_eq!(stored["result"]["stages"].as_array().unwrap().len(), 5);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn install_refuses_bad_packages_with_a_named_reason_and_changes_nothing() {
    let s = TestServer::start().await;
    let good = example_package();

    let unsigned = rewrite_package(&good, |e| {
        e.into_iter()
            .filter(|(p, _)| p != "signature.json")
            .collect()
    });
    let tampered = rewrite_package(&good, |e| {
        e.into_iter()
            .map(|(p, mut b)| {
                if p == "plugin.wasm" {
                    let n = b.len() / 2;
                    b[n] ^= 0xff;
                }
                (p, b)
            })
            .collect()
    });
    let added_file = rewrite_package(&good, |mut e| {
        e.push(("data/extra.txt".into(), b"smuggled".to_vec()));
        e
    });
    let other_key = kefu_host::package::generate_signing_key();
    let untrusted = pack_with(
        &repo_root().join("plugins/example"),
        &wasm("kefu_example_plugin"),
        &other_key,
    );
    let future_contract = plugin_variant(&repo_root().join("plugins/example"), |m| {
        m.replace("kefu:plugin@0.1.0", "kefu:plugin@9.0.0")
    });
    let incompatible = pack_with(
        future_contract.path(),
        &wasm("kefu_example_plugin"),
        publisher_key(),
    );
    let unknown_addon_dir = plugin_variant(&repo_root().join("tests/plugins/well-behaved"), |m| {
        format!("{m}addon = \"no-such-addon\"\n")
    });
    let unknown_addon = pack_with(
        unknown_addon_dir.path(),
        &wasm("kefu_test_well_behaved"),
        publisher_key(),
    );

    for (name, bytes, want_status, want_code) in [
        ("unsigned", unsigned, 422, "package_unsigned"),
        ("tampered", tampered, 422, "package_tampered"),
        ("added file", added_file, 422, "package_tampered"),
        ("untrusted", untrusted, 422, "package_untrusted_key"),
        (
            "incompatible",
            incompatible,
            422,
            "package_incompatible_contract",
        ),
        (
            "garbage",
            b"not a package at all".to_vec(),
            422,
            "package_malformed",
        ),
        (
            "bad import",
            test_package("hostile-import"),
            422,
            "package_unsupported_imports",
        ),
        ("unknown add-on", unknown_addon, 422, "unknown_addon"),
    ] {
        let (st, body) = s.install(bytes).await;
        assert_eq!(st.as_u16(), want_status, "{name}: {body}");
        assert_eq!(code(&body), want_code, "{name}: {body}");
        assert!(!body["error"]["message"].as_str().unwrap().is_empty());
    }
    let (_, list) = s.op(Method::GET, "/v1/plugins", None).await;
    assert_eq!(list, json!([]), "nothing was installed");

    // A tenant key cannot install, even a good package.
    let t = s.create_tenant("t1").await;
    let resp = reqwest::Client::new()
        .post(format!("{}/v1/plugins", s.base))
        .bearer_auth(&t)
        .body(good.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    // The good package installs; installing it again is idempotent; the same version with
    // other content is a conflict.
    assert_eq!(s.install(good.clone()).await.0, StatusCode::CREATED);
    assert_eq!(s.install(good).await.0, StatusCode::CREATED);
    let changed = plugin_variant(&repo_root().join("plugins/example"), |m| {
        m.replace("timeout_ms = 200", "timeout_ms = 150")
    });
    let (st, body) = s
        .install(pack_with(
            changed.path(),
            &wasm("kefu_example_plugin"),
            publisher_key(),
        ))
        .await;
    assert_eq!(st, StatusCode::CONFLICT, "{body}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paid_addon_plugins_need_an_active_subscription_and_cancelling_stops_them() {
    let s = TestServer::start().await;
    let tenant_key = s.create_tenant("shop").await;
    let paid = plugin_variant(&repo_root().join("tests/plugins/well-behaved"), |m| {
        format!("{m}addon = \"nlp-upgrade\"\n")
    });
    let (st, body) = s
        .install(pack_with(
            paid.path(),
            &wasm("kefu_test_well_behaved"),
            publisher_key(),
        ))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    assert_eq!(body["addon_id"], "nlp-upgrade");

    let enable = "/v1/tenants/shop/plugins/well-behaved/enable";
    let (st, body) = s.call(Method::POST, enable, Some(&tenant_key), None).await;
    assert_eq!(st, StatusCode::PAYMENT_REQUIRED, "{body}");
    assert_eq!(code(&body), "addon_subscription_required");
    let (_, plugins) = s.op(Method::GET, "/v1/tenants/shop/plugins", None).await;
    assert_eq!(plugins, json!([]), "a refused enable changes nothing");

    let (st, _) = s
        .call(
            Method::POST,
            "/v1/tenants/shop/subscriptions",
            Some(&tenant_key),
            Some(json!({"addon": "nlp-upgrade"})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
    let (st, body) = s.call(Method::POST, enable, Some(&tenant_key), None).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let (_, res) = s.send("shop", "hello").await;
    assert_eq!(res["reply"]["text"], "echo: hello");

    let (st, body) = s
        .call(
            Method::DELETE,
            "/v1/tenants/shop/subscriptions/nlp-upgrade",
            Some(&tenant_key),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "cancelled");
    let (_, res) = s.send("shop", "hello again").await;
    assert_eq!(res["reply"], Value::Null, "{res}");
    assert_eq!(res["skipped_plugins"], json!(["well-behaved"]));
    // Only built-in steps ran: no call of the cancelled add-on's plugin.
    assert!(
        res["stages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|st| st["plugin"] == "builtin"),
        "{res}"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugin_configuration_is_validated_against_the_manifest_schema() {
    let s = TestServer::start().await;
    s.create_tenant("edu").await;
    s.install(example_package()).await;
    s.enable("edu", "example").await;
    let path = "/v1/tenants/edu/plugins/example/config";
    for bad in [
        json!({"greeting": 5}),
        json!({"colour": "red"}),
        json!({"greeting": "x".repeat(300)}),
    ] {
        let (st, body) = s.op(Method::PUT, path, Some(bad.clone())).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert_eq!(code(&body), "invalid_config");
    }
    let (st, body) = s
        .op(
            Method::PUT,
            path,
            Some(json!({"greeting": "您好", "shout": true})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let (_, res) = s.send("edu", "你好").await;
    assert_eq!(res["reply"]["text"], "您好，您！请问有什么可以帮您？！！");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_and_rollback_switch_a_tenants_version_in_one_step() {
    let s = TestServer::start().await;
    s.create_tenant("t").await;
    s.create_tenant("other").await;
    s.install(test_package("well-behaved")).await;
    s.enable("t", "well-behaved").await;
    s.enable("other", "well-behaved").await;
    assert_eq!(s.send("t", "hi").await.1["reply"]["text"], "echo: hi");

    let (st, body) = s.install(test_package("well-behaved-v2")).await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    // Installing does not move anyone.
    assert_eq!(s.send("t", "hi").await.1["reply"]["text"], "echo: hi");

    let (st, body) = s
        .op(
            Method::POST,
            "/v1/tenants/t/plugins/well-behaved/upgrade",
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["version"], "0.2.0");
    assert_eq!(body["previous_version"], "0.1.0");
    assert_eq!(s.send("t", "hi").await.1["reply"]["text"], "echo v2: hi");
    assert_eq!(
        s.send("other", "hi").await.1["reply"]["text"],
        "echo: hi",
        "other tenants stay"
    );

    // v1 is still some tenant's (and t's previous) version: it cannot be removed.
    let (st, body) = s
        .op(
            Method::DELETE,
            "/v1/plugins/well-behaved/versions/0.1.0",
            None,
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT, "{body}");

    let (st, body) = s
        .op(
            Method::POST,
            "/v1/tenants/t/plugins/well-behaved/rollback",
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["version"], "0.1.0");
    assert_eq!(s.send("t", "hi").await.1["reply"]["text"], "echo: hi");

    let (st, body) = s
        .op(
            Method::POST,
            "/v1/tenants/other/plugins/well-behaved/rollback",
            None,
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT, "{body}");
    assert_eq!(code(&body), "nothing_to_roll_back");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_and_metrics_count_every_plugin_call() {
    let s = TestServer::start().await;
    s.create_tenant("m").await;
    s.install(example_package()).await;
    s.enable("m", "example").await;
    for i in 0..5 {
        let (st, _) = s.send("m", &format!("你好 {i}")).await;
        assert_eq!(st, StatusCode::OK);
    }
    let (st, usage) = s.op(Method::GET, "/v1/tenants/m/usage", None).await;
    assert_eq!(st, StatusCode::OK, "{usage}");
    let rows = usage.as_array().unwrap();
    for hook in ["preprocess", "classify", "analyze", "respond"] {
        let row = rows
            .iter()
            .find(|r| r["hook"] == hook)
            .unwrap_or_else(|| panic!("no {hook} row in {usage}"));
        assert_eq!(row["plugin_id"], "example");
        assert_eq!(row["version"], "0.1.0");
        assert_eq!(row["outcome"], "ok");
        assert_eq!(row["calls"], 5, "{row}");
        assert!(row["fuel"].as_i64().unwrap() > 0);
        assert!(row["duration_us"].as_i64().unwrap() > 0);
    }
    let (_, calls) = s
        .op(Method::GET, "/v1/tenants/m/plugin-calls?limit=3", None)
        .await;
    assert_eq!(calls.as_array().unwrap().len(), 3);

    let metrics = reqwest::get(format!("{}/metrics", s.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(
            "kefu_plugin_calls_total{tenant=\"m\",plugin=\"example\",hook=\"respond\",outcome=\"ok\"} 5"
        ),
        "{metrics}"
    );
    assert!(metrics.contains(
        "kefu_plugin_call_duration_seconds_count{plugin=\"example\",hook=\"classify\"} 5"
    ));
    assert!(metrics.contains("kefu_instances_reused_total"));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_clear_errors() {
    let s = TestServer::start().await;
    s.create_tenant("t").await;
    let (st, body) = s.send("nobody", "hi").await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{body}");
    let big = "好".repeat(40_000);
    let (st, _) = s.send("t", &big).await;
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE);
    let (st, body) = s
        .op(
            Method::POST,
            "/v1/tenants/t/messages",
            Some(json!({"channel": "x", "customer_id": "c", "text": "hi", "kind": "hologram"})),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(code(&body), "invalid_message");
    let (st, _) = s
        .op(Method::POST, "/v1/tenants/t/plugins/nope/enable", None)
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_describes_the_api() {
    let s = TestServer::start().await;
    let doc: Value = reqwest::get(format!("{}/openapi.json", s.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/v1/tenants",
        "/v1/plugins",
        "/v1/tenants/{tenant}/plugins/{plugin}/rollback",
        "/v1/tenants/{tenant}/usage",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    s.stop().await;
}
