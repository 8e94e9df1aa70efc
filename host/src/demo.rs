//! The seeded demo tenant (`kefu serve --demo`): a realistic education and training school
//! (`demo`, 演示教育机构) that answers, routes and hands off out of the box.
//!
//! - every add-on subscribed, and every installed first-party add-on plugin (a plugin whose
//!   manifest names an add-on) enabled: dialect, NLP upgrade, sentiment & QA, the education
//!   skill pack, with a course catalog and two campuses;
//! - decision rules: angry or escalated messages and complaints go to the managers' queue,
//!   refund and invoice questions to the front desk, greetings answered from a template, and
//!   course questions left to the skill pack; business hours 09:00–21:00;
//! - routing: VIP customers to the VIP queue, 优惠券 questions to the skill pack;
//! - two agents (`teacher-li` on the front desk, `manager-wang` for managers), a JSON webhook
//!   channel `web`; their keys and the webhook secret are written to the data directory.
//!
//! Seeding is idempotent: what exists is left as it is.

use std::path::Path;

use serde_json::{Value, json};

use crate::http::auth::{AGENT_KEY_PREFIX, generate_key, hash_key};
use crate::store::{AgentRow, ChannelRow, RoutingChange, Store, StoreError, now_ms};

/// The demo tenant's id.
pub const DEMO_TENANT: &str = "demo";

/// The education skill pack's configuration for the demo school.
pub fn edu_config() -> Value {
    json!({
        "institution": "启航教育",
        "hotline": "400-820-1688",
        "vars": {
            "trial_policy": "每位新学员可免费试听一节课，需提前一天预约",
            "refund_policy": "未上的课时可以申请退费，扣除已上课时和已领教材费用后，剩余学费原路退回",
            "leave_policy": "请假请至少提前24小时告诉班主任",
            "makeup_policy": "请假的课可在4周内到同进度班级补课，或预约老师30分钟线上答疑",
            "instalment_policy": "学期课支持分3期缴费，免手续费",
            "promotions": "暑期班7月15日前报名立减300元"
        },
        "returning_discount": "老学员续报享9折，再送2节外教口语课",
        "campuses": [
            {"name": "天河校区", "address": "广州市天河区体育西路101号3楼", "phone": "020-38880001"},
            {"name": "越秀校区", "address": "广州市越秀区中山五路68号5楼", "phone": "020-83330002"}
        ],
        "courses": [
            {"id": "eng-phonics", "name": "少儿英语自然拼读", "subject": "英语", "min_age": 5, "max_age": 7,
             "campus": "天河校区", "price": "2980元/24课时", "seats_left": 4, "schedule": "周六 9:30-11:00", "teacher": "Amy老师"},
            {"id": "eng-primary", "name": "小学英语同步提升", "subject": "英语", "min_age": 7, "max_age": 12,
             "campus": "天河校区", "price": "3680元/30课时", "seats_left": 6, "schedule": "周六 14:00-15:30", "teacher": "陈老师"},
            {"id": "eng-primary-yx", "name": "小学英语同步提升（越秀）", "subject": "英语", "min_age": 7, "max_age": 12,
             "campus": "越秀校区", "price": "3680元/30课时", "seats_left": 0, "schedule": "周日 9:30-11:00", "teacher": "林老师"},
            {"id": "math-olympiad", "name": "小学数学思维", "subject": "数学", "min_age": 8, "max_age": 12,
             "campus": "越秀校区", "price": "3280元/24课时", "seats_left": 3, "schedule": "周日 14:00-15:30", "teacher": "王老师"},
            {"id": "junior-physics", "name": "初中物理培优", "subject": "物理", "min_age": 12, "max_age": 15,
             "campus": "天河校区", "seats_left": 8, "schedule": "周六 18:30-20:30", "teacher": "赵老师"},
            {"id": "art-sketch", "name": "少儿素描", "subject": "美术", "min_age": 6, "max_age": 12,
             "campus": "越秀校区", "price": "2400元/20课时", "schedule": "周六 10:00-11:30", "teacher": "周老师"}
        ]
    })
}

/// The demo school's decision rules.
pub fn rules() -> Value {
    json!({
        "rules": [
            {"id": "escalate", "description": "angry customers and complaints go to a manager at once",
             "when": {"escalate": true},
             "then": [{"type": "handoff", "queue": "managers",
                       "note": "{{customer_name|家长}}您好，非常抱歉给您带来不好的体验，已为您转接教务主管，请稍候。"},
                      {"type": "tag", "tag": "投诉客户"}]},
            {"id": "complaint", "when": {"intent": ["complaint"]},
             "then": [{"type": "handoff", "queue": "managers",
                       "note": "{{customer_name|家长}}您好，您的反馈很重要，已为您转接教务主管处理。"},
                      {"type": "tag", "tag": "投诉客户"}]},
            {"id": "human", "when": {"intent": ["human_agent"]},
             "then": [{"type": "handoff", "queue": "front-desk", "note": "好的，正在为您转接课程顾问，请稍候。"}]},
            {"id": "invoice", "when": {"intent": ["invoice"]},
             "then": [{"type": "handoff", "queue": "front-desk", "note": "开具发票需要核对缴费信息，已为您转接前台老师。"}]},
            {"id": "greeting", "when": {"intent": ["greeting"], "keywords_none": ["课", "价", "报名", "试听"]},
             "then": [{"type": "reply", "template": "{{customer_name|您}}好，欢迎咨询{{tenant_name}}！请问想了解哪门课程，孩子今年几岁或读几年级呢？"}]},
            {"id": "after-hours", "when": {"business_hours": false, "intent": ["human_agent", "complaint"]},
             "then": [{"type": "reply", "template": "现在是非工作时间（每天 9:00-21:00），课程顾问明早会第一时间联系您。"}]},
            {"id": "unsure", "when": {"intent": ["fallback"]},
             "then": [{"type": "plugin", "plugin": "edu-skill-pack"}]}
        ],
        "business_hours": {"timezone": "Asia/Shanghai", "days": "mon-sun", "from": "09:00", "to": "21:00"}
    })
}

/// The demo school's routing.
pub fn routing() -> Value {
    json!({"routes": [
        {"id": "vip", "vip": true, "to": {"queue": "vip", "note": "尊敬的VIP家长，专属顾问马上为您服务。"}},
        {"id": "coupons", "keywords": ["优惠券", "优惠码"], "to": {"bot": "edu-skill-pack"}}
    ]})
}

/// Seeds what is missing. Plugins are enabled by the caller; this configures them.
pub async fn seed(
    store: &Store,
    registry: &crate::registry::Registry,
    data_dir: &Path,
) -> anyhow::Result<()> {
    if store.tenant_rules(DEMO_TENANT).await?.is_none() {
        let r = rules();
        let hours = r.get("business_hours").cloned();
        let rules = json!({"rules": r["rules"]});
        // Validated like any tenant's rules.
        crate::pipeline::compile_rules(&rules, hours.as_ref(), String::new(), 0)
            .map_err(|e| anyhow::anyhow!("the demo rules do not validate: {e}"))?;
        store
            .put_tenant_rules(DEMO_TENANT, &rules, hours.as_ref(), "demo-seed")
            .await?;
    }
    if store.routing_state(DEMO_TENANT).await?.stable.is_none() {
        let config = routing();
        crate::pipeline::routing::Routing::parse(&config, 0)
            .map_err(|e| anyhow::anyhow!("the demo routing does not validate: {e}"))?;
        store
            .change_routing(
                DEMO_TENANT,
                RoutingChange::Create {
                    config,
                    note: Some("demo".into()),
                    gray_percent: 100,
                },
                "demo-seed",
            )
            .await?;
    }
    for (id, name, queues) in [
        ("teacher-li", "李老师（前台）", vec!["front-desk", "vip"]),
        (
            "manager-wang",
            "王主管（教务）",
            vec!["managers", "front-desk", "vip"],
        ),
    ] {
        match store.agent(DEMO_TENANT, id).await {
            Ok(_) => {}
            Err(StoreError::NotFound(_)) => {
                let key = generate_key(AGENT_KEY_PREFIX);
                store
                    .insert_agent(&AgentRow {
                        tenant_id: DEMO_TENANT.into(),
                        id: id.into(),
                        name: name.into(),
                        key_hash: hash_key(&key),
                        queues: queues.into_iter().map(str::to_owned).collect(),
                        active: true,
                        created_at: now_ms(),
                    })
                    .await?;
                crate::write_private(&data_dir.join(format!("demo-agent-{id}.key")), &key)?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    if matches!(
        store.channel(DEMO_TENANT, "web").await,
        Err(StoreError::NotFound(_))
    ) {
        let secret = generate_key("whsec_");
        let now = now_ms();
        let row = ChannelRow {
            id: crate::store::new_id(),
            tenant_id: DEMO_TENANT.into(),
            name: "web".into(),
            kind: "webhook".into(),
            token: None,
            aes_key: None,
            aes_key_previous: None,
            app_id: None,
            secret: None,
            hmac_secret: Some(secret.clone()),
            callback_url: None,
            settings: json!({}),
            created_at: now,
            updated_at: now,
        };
        store.insert_channel(&row).await?;
        crate::write_private(&data_dir.join("demo-webhook.secret"), &secret)?;
    }
    // The skill pack's catalog, unless the tenant configured it already.
    if let Some(tp) = store.tenant_plugin(DEMO_TENANT, "edu-skill-pack").await?
        && tp.config.as_object().is_none_or(|o| o.is_empty())
        && let Err(e) = registry
            .configure(DEMO_TENANT, "edu-skill-pack", edu_config())
            .await
    {
        tracing::warn!(error = %e, "cannot configure the demo skill pack");
    }
    Ok(())
}
