//! End-to-end tests of the skill pack's logic against the bundled script library.

use super::*;

const BUNDLE: &str = include_str!("../../data/scripts.jsonl");

/// Every intent label of the project (intents.md).
const LABELS: &[&str] = &[
    "order_tracking",
    "product_inquiry",
    "price_inquiry",
    "promotion_coupon",
    "place_order",
    "payment_issue",
    "invoice",
    "refund_request",
    "return_exchange",
    "cancel_order",
    "modify_order",
    "shipping_delivery",
    "complaint",
    "after_sales_repair",
    "account_login",
    "membership_points",
    "course_inquiry",
    "enrollment_schedule",
    "store_location_hours",
    "booking_appointment",
    "human_agent",
    "greeting",
    "thanks_goodbye",
    "technical_support",
    "privacy_data",
    "feedback_suggestion",
    "chitchat_other",
];

fn bundled() -> Library {
    Library::parse_jsonl(BUNDLE).expect("the bundled library parses")
}

fn tenant(json: &str) -> Tenant {
    Tenant::new(&bundled(), serde_json::from_str(json).unwrap())
}

/// A demo tenant: two campuses, a small catalog, a returning offer and some policies.
fn demo() -> Tenant {
    tenant(
        r#"{
          "institution": "启明星教育",
          "returning_discount": "老学员续报9折",
          "campuses": [
            {"name": "天河校区", "address": "天河路100号3楼", "phone": "020-12345678"},
            {"name": "番禺校区", "address": "市桥街8号"}
          ],
          "courses": [
            {"id": "en-a", "name": "剑桥少儿英语预备级", "subject": "英语", "grades": ["小学1-3年级"], "campus": "天河校区", "price": "3280元/学期", "seats_left": 0, "schedule": "每周六 9:00-10:30"},
            {"id": "en-b", "name": "自然拼读进阶班", "subject": "英语", "min_age": 7, "max_age": 9, "campus": "番禺校区", "seats_left": 4, "schedule": "每周日 14:00-15:30"},
            {"id": "en-c", "name": "新概念英语第一册", "subject": "英语", "grades": ["小学4-6年级"], "campus": "天河校区", "price": 3600, "teacher": "陈老师"},
            {"id": "math-a", "name": "思维数学", "subject": "数学", "grades": [1, 2, 3], "seats_left": 6, "schedule": "每周三 17:00-18:30"}
          ],
          "vars": {"trial_policy": "新学员可免费试听一节课"}
        }"#,
    )
}

fn ask(t: &Tenant, text: &str) -> Option<Reply> {
    let mut req = Request {
        text: text.into(),
        customer_name: Some("王女士".into()),
        ..Default::default()
    };
    req.annotations = analyze(&req).annotations;
    t.respond(&req)
}

fn ann<'a>(r: &'a Reply, key: &str) -> Option<&'a str> {
    r.annotations
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn script_of(t: &Tenant, text: &str) -> Option<String> {
    ask(t, text).map(|r| ann(&r, "script_id").unwrap().to_owned())
}

#[test]
fn the_bundle_has_at_least_150_scripts_with_valid_intents() {
    let lib = bundled();
    assert!(lib.len() >= 150, "only {} scripts", lib.len());
    for s in lib.iter() {
        assert!(!s.intents.is_empty(), "{} serves no intent", s.id);
        for i in &s.intents {
            assert!(LABELS.contains(&i.as_str()), "{}: unknown intent {i}", s.id);
        }
    }
    let topics: std::collections::BTreeSet<&str> = lib.iter().map(|s| s.topic.as_str()).collect();
    for required in [
        "course",
        "age",
        "teacher",
        "class_size",
        "schedule",
        "trial",
        "signup",
        "price",
        "payment",
        "refund",
        "leave",
        "makeup",
        "homework",
        "online",
        "campus",
        "promotion",
        "recommend",
    ] {
        assert!(topics.contains(required), "no script for topic {required}");
    }
}

#[test]
fn every_bundled_script_renders_without_any_tenant_data() {
    // With nothing configured every script must still say something true: no variable left
    // that only the tenant's data could fill.
    let none: HashMap<String, String> = HashMap::new();
    for s in bundled().iter() {
        let r = template::render(&s.answer, &|k| none.get(k).map(String::as_str));
        if s.id == RETURNING_LEAD_SCRIPT {
            assert!(r.is_err(), "used only when the offer is configured");
            continue;
        }
        let text = r.unwrap_or_else(|e| panic!("{} does not render without data: {e}", s.id));
        assert!(
            !text.contains('{') && !text.contains('['),
            "{}: {text}",
            s.id
        );
        assert!(text.chars().count() >= 10, "{}: too short: {text}", s.id);
    }
}

#[test]
fn picks_scripts_for_questions_of_each_topic() {
    let t = tenant("{}");
    let cases = [
        ("孩子在你们这主要学些什么内容", "course.content"),
        ("我们家完全零基础能跟上吗", "course.zero_basis"),
        ("四岁的小朋友可以来上吗，会不会太早", "age.young"),
        ("你们这个课多大的孩子能上", "age.suitable"),
        ("任课老师是谁", "teacher.who"),
        ("老师都有教师资格证吗", "teacher.qualification"),
        ("一个班大概多少个学生", "size.count"),
        ("上课时间是怎么安排的", "schedule.time"),
        ("一节课上多少分钟", "schedule.duration"),
        ("试听课要收钱吗", "trial.fee"),
        ("能不能先带孩子来体验一下", "trial.book"),
        ("想给孩子报个名，流程是怎样的", "signup.how"),
        ("学费怎么收", "price.general"),
        ("可以分期付吗", "pay.instalment"),
        ("孩子不想学了，剩下的课时费能退吗", "refund.unused"),
        ("下周六家里有事要请个假", "leave.how"),
        ("缺的课后面怎么补", "makeup.how"),
        ("每次课后作业多不多", "hw.amount"),
        ("有没有网课可以在家上", "online.available"),
        ("你们校区在什么位置", "campus.address"),
        ("有什么优惠活动吗", "promo.general"),
        ("孩子8岁，有什么课推荐", "recommend.course"),
        ("直播课老是卡顿", "online.tech"),
    ];
    let mut wrong = Vec::new();
    for (q, want) in cases {
        let got = script_of(&t, q);
        if got.as_deref() != Some(want) {
            wrong.push(format!("{q}: want {want}, got {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn stays_silent_on_unrelated_or_human_matters() {
    let t = demo();
    for q in [
        "你好",
        "快递到哪了",
        "哈哈哈",
        "我要投诉你们前台",
        "转人工",
        "😀",
    ] {
        assert_eq!(script_of(&t, q), None, "{q}");
    }
    // The classifier says it is a complaint: leave it to escalation.
    let req = Request {
        text: "老师上课一直看手机，学费白交了".into(),
        intents: vec![("complaint".into(), 0.8)],
        ..Default::default()
    };
    assert_eq!(t.respond(&req), None);
}

#[test]
fn answers_the_cantonese_demo_questions_rewritten_to_mandarin() {
    let t = demo();
    let r = ask(&t, "我个女今年读小学三年级，你们有没有适合她的英语课？").unwrap();
    assert_eq!(ann(&r, "script_id"), Some("recommend.course"));
    assert_eq!(ann(&r, "recommended"), Some("en-b"));
    assert!(r.text.contains("自然拼读进阶班"), "{}", r.text);
    let r = ask(&t, "试听课要收钱吗").unwrap();
    assert_eq!(ann(&r, "script_id"), Some("trial.fee"));
    assert!(r.text.contains("新学员可免费试听一节课"), "{}", r.text);
}

#[test]
fn recommendations_respect_age_seats_and_the_limit() {
    let t = demo();
    let r = ask(&t, "孩子今年8岁，有什么适合他的课").unwrap();
    let ids = ann(&r, "recommended").unwrap();
    // en-a fits but is full; en-c is for grades 4–6.
    assert_eq!(ids, "en-b,math-a");
    assert!(
        !r.text.contains("剑桥少儿英语预备级（"),
        "a full course is never offered: {}",
        r.text
    );
    assert!(r.text.contains("本期已满"), "{}", r.text);
    assert!(r.text.contains("还剩4个名额") && r.text.contains("还剩6个名额"));

    let one = tenant(&demo_with(r#""recommend_limit": 1"#));
    let r = ask(&one, "孩子今年8岁，有什么适合他的课").unwrap();
    assert_eq!(ann(&r, "recommended"), Some("en-b"));
}

fn demo_with(extra: &str) -> String {
    format!(
        r#"{{ {extra}, "courses": [
            {{"id": "en-b", "name": "自然拼读进阶班", "subject": "英语", "min_age": 7, "max_age": 9, "seats_left": 4}},
            {{"id": "math-a", "name": "思维数学", "subject": "数学", "grades": [1, 2, 3], "seats_left": 6}}
        ]}}"#
    )
}

#[test]
fn recommendations_use_the_stored_profile_when_the_message_says_nothing() {
    let t = demo();
    let req = Request {
        text: "有什么课推荐吗".into(),
        profile: vec![("child_grade".into(), "小学五年级".into())],
        ..Default::default()
    };
    let r = t.respond(&req).unwrap();
    assert_eq!(ann(&r, "recommended"), Some("en-c"));
    // An earlier turn counts too.
    let req = Request {
        text: "有什么课推荐吗".into(),
        history: vec!["你好".into(), "孩子上五年级".into()],
        ..Default::default()
    };
    assert_eq!(ann(&t.respond(&req).unwrap(), "recommended"), Some("en-c"));
}

#[test]
fn never_invents_a_price_or_a_seat_count() {
    // No catalog at all.
    let t = tenant("{}");
    let r = ask(&t, "学费多少钱").unwrap();
    assert!(r.text.contains("以校区顾问的报价为准"), "{}", r.text);
    assert!(!r.text.chars().any(|c| c.is_ascii_digit()), "{}", r.text);
    let r = ask(&t, "还有名额吗").unwrap();
    assert!(!r.text.chars().any(|c| c.is_ascii_digit()), "{}", r.text);
    let r = ask(&t, "孩子8岁，有什么课推荐").unwrap();
    assert_eq!(ann(&r, "recommended"), None);
    assert!(r.text.contains("课程顾问"), "{}", r.text);

    // A course without a price or seat data.
    let t = demo();
    let r = ask(&t, "自然拼读进阶班多少钱").unwrap();
    assert!(!r.text.contains("元"), "no price configured: {}", r.text);
    assert!(r.text.contains("报价为准"), "{}", r.text);
    let r = ask(&t, "新概念英语第一册还有位置吗").unwrap();
    assert!(
        !r.text.contains("名额已经报满") && !r.text.contains("还剩"),
        "{}",
        r.text
    );
    // A configured price is given as configured.
    let r = ask(&t, "新概念英语第一册多少钱").unwrap();
    assert!(r.text.contains("3600元"), "{}", r.text);
    // A full course is said to be full, not given a seat count.
    let r = ask(&t, "剑桥少儿英语预备级还有位置吗").unwrap();
    assert!(
        r.text.contains("报满") && !r.text.contains("还剩"),
        "{}",
        r.text
    );
}

#[test]
fn fills_customer_course_and_campus_variables() {
    let t = demo();
    let r = ask(&t, "新概念英语第一册是哪个老师教").unwrap();
    assert!(r.text.contains("陈老师"), "{}", r.text);
    let r = ask(&t, "番禺那边的地址发我一下").unwrap();
    assert!(r.text.contains("市桥街8号"), "{}", r.text);
    let r = ask(&t, "怎么报名").unwrap();
    assert!(r.text.starts_with("王女士您好"), "{}", r.text);
}

#[test]
fn a_returning_customer_hears_the_returning_discount_first() {
    let t = demo();
    let req = |tags: Vec<String>, profile: Vec<(String, String)>| Request {
        text: "现在报名有什么优惠吗".into(),
        customer_name: Some("李先生".into()),
        tags,
        profile,
        ..Default::default()
    };
    let r = t
        .respond(&req(vec!["returning_student".into()], vec![]))
        .unwrap();
    assert!(
        r.text
            .starts_with("李先生，感谢您一直以来的信任！作为老学员"),
        "{}",
        r.text
    );
    let offer = r.text.find("老学员续报9折").unwrap();
    let other = r.text.find("优惠活动").unwrap();
    assert!(
        offer < other,
        "the returning offer comes before other promotions: {}",
        r.text
    );
    assert_eq!(ann(&r, "returning_offer"), Some("true"));
    // Marked by the profile instead of a tag.
    let r = t
        .respond(&req(vec![], vec![("returning".into(), "true".into())]))
        .unwrap();
    assert!(r.text.contains("老学员续报9折"));
    // A new customer does not get the returning lead.
    let r = t.respond(&req(vec![], vec![])).unwrap();
    assert!(!r.text.contains("作为老学员"), "{}", r.text);
    assert_eq!(ann(&r, "returning_offer"), None);
    // A returning customer asking something else gets no sales pitch.
    let r = t
        .respond(&Request {
            text: "下周请假".into(),
            tags: vec!["returning_student".into()],
            ..Default::default()
        })
        .unwrap();
    assert!(!r.text.contains("老学员"), "{}", r.text);
    // A custom returning tag.
    let t = tenant(r#"{"returning_tag": "老生", "returning_discount": "续报送2节课"}"#);
    let r = t
        .respond(&Request {
            text: "有折扣吗".into(),
            tags: vec!["老生".into()],
            ..Default::default()
        })
        .unwrap();
    assert!(r.text.contains("续报送2节课"), "{}", r.text);
}

#[test]
fn tenants_override_extend_and_disable_bundled_scripts() {
    let t = tenant(
        r#"{
          "scripts": [
            {"id": "trial.fee", "answer": "{institution}的试听课统一收费99元，报名后抵学费。"},
            {"id": "campus.bus", "topic": "campus", "intents": ["store_location_hours"], "keywords": ["校车|班车"], "answer": "我们提供周末班车接送，具体站点请咨询班主任。"}
          ],
          "disabled_scripts": ["hw.amount"],
          "institution": "小树苗学堂"
        }"#,
    );
    assert_eq!(
        ask(&t, "试听课要收钱吗").unwrap().text,
        "小树苗学堂的试听课统一收费99元，报名后抵学费。"
    );
    assert_eq!(script_of(&t, "有没有班车").as_deref(), Some("campus.bus"));
    assert_ne!(
        script_of(&t, "每次课后作业多不多").as_deref(),
        Some("hw.amount")
    );
}

#[test]
fn an_overridden_script_that_cannot_render_falls_back_to_the_next() {
    // The tenant's answer needs {price}, which no course holds: the next script answers.
    let t = tenant(r#"{"scripts": [{"id": "trial.fee", "answer": "试听课{price}"}]}"#);
    let r = ask(&t, "试听课要收钱吗").unwrap();
    assert_eq!(ann(&r, "script_id"), Some("trial.book"));
}

#[test]
fn analyze_writes_the_segment_and_the_child_profile() {
    let a = analyze(&Request {
        text: "我个女今年读小学三年级，你们有没有适合她的英语课？".into(),
        ..Default::default()
    });
    assert_eq!(
        a.annotations,
        vec![
            (ANN_SEGMENT.to_owned(), "k12-primary".to_owned()),
            (ANN_CHILD_GRADE.to_owned(), "小学三年级".to_owned()),
        ]
    );
    assert_eq!(a.tags, vec![TAG_K12_PARENT.to_owned()]);
    let a = analyze(&Request {
        text: "宝宝五岁半了".into(),
        ..Default::default()
    });
    assert!(
        a.annotations
            .contains(&(ANN_SEGMENT.to_owned(), "preschool".to_owned()))
    );
    assert!(
        a.annotations
            .contains(&(ANN_CHILD_AGE.to_owned(), "5.5".to_owned()))
    );
    // Nothing said: nothing changed.
    assert_eq!(
        analyze(&Request {
            text: "试听课要收钱吗".into(),
            ..Default::default()
        }),
        Analysis::default()
    );
    // An adult learner: a segment, no child fields, no parent tag.
    let a = analyze(&Request {
        text: "我今年32岁，想学商务英语".into(),
        ..Default::default()
    });
    assert_eq!(
        a.annotations,
        vec![(ANN_SEGMENT.to_owned(), "adult".to_owned())]
    );
    assert!(a.tags.is_empty());
}

#[test]
fn an_empty_config_works_end_to_end() {
    let t = tenant("{}");
    assert!(ask(&t, "试听课要收钱吗").is_some());
    assert!(ask(&t, "你们地址在哪").is_some());
    assert!(ask(&t, "有什么优惠").is_some());
}

#[test]
fn tidies_doubled_punctuation() {
    assert_eq!(tidy("退费按协议执行。。麻烦"), "退费按协议执行。麻烦");
    assert_eq!(tidy("好的！。"), "好的！");
}
