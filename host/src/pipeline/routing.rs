//! Routing (SPEC N4): who handles a conversation — a human queue or the bot (optionally a named
//! bot plugin) — decided after the rules and before the reply.
//!
//! A tenant's routing configuration is a list of routes, tried in order, and an optional
//! weighted bot/human split for the messages no route claims:
//!
//! ```json
//! {"routes": [
//!    {"id": "complaints", "keywords": ["投诉"], "to": {"queue": "store-manager"}},
//!    {"id": "coupons", "keywords": ["优惠券"], "to": {"bot": "marketing-bot"}},
//!    {"id": "vip", "vip": true, "to": {"queue": "vip"}},
//!    {"id": "evening-peak", "hours": {"timezone": "Asia/Shanghai", "days": "mon-fri",
//!      "from": "18:00", "to": "21:00"}, "intents": ["booking"], "to": {"queue": "front-desk"}}],
//!  "split": {"bot_percent": 30, "human_queue": "general"}}
//! ```
//!
//! A route matches when every condition it gives holds: any of `keywords` in the text
//! (case-insensitive), the top intent among `intents`, `vip`, any of `tags`, the `segment`,
//! the `escalate` flag from the analyze plugins, the `channel`, the time inside `hours` (peak
//! hours, in the given time zone). The split puts each customer in one arm for good: the arm
//! is a hash of the tenant, the split's `salt` and the customer id, so a customer never flips
//! between bot and human from one message to the next.
//!
//! Configurations are versioned (see `store::routing`): a new version can be rolled out to a
//! share of customers first (gray), chosen by another hash of the customer id, so each
//! customer consistently sees one version; one step rolls back.

use serde::{Deserialize, Serialize};

use super::rules::{BusinessHours, BusinessHoursConfig, RuleError};

/// Most routes in one configuration.
pub const MAX_ROUTES: usize = 200;

/// A routing configuration as written.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RoutingConfig {
    #[serde(default)]
    pub routes: Vec<RouteConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split: Option<SplitConfig>,
}

/// One route.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    pub id: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub intents: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vip: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<String>,
    /// Peak hours: the route applies only inside this window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<BusinessHoursConfig>,
    pub to: Target,
}

/// Where a route sends the conversation: exactly one of `queue` (a human queue) or `bot`
/// (`"default"` for the tenant's respond plugins, or a respond plugin's id).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Target {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot: Option<String>,
    /// What the customer is told on a handoff.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The weighted bot/human split.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SplitConfig {
    /// Share of customers (0–100) the bot answers.
    pub bot_percent: u8,
    /// Where the others go.
    pub human_queue: String,
    /// Changing the salt reshuffles the arms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

struct CompiledRoute {
    config: RouteConfig,
    keywords: Vec<String>,
    hours: Option<BusinessHours>,
}

/// A validated configuration, ready to evaluate.
pub struct Routing {
    pub version: i64,
    routes: Vec<CompiledRoute>,
    split: Option<SplitConfig>,
}

/// What routing decided for a message.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct RouteOut {
    /// The configuration version that decided.
    pub version: i64,
    /// Whether that version is the one in gray rollout.
    pub gray: bool,
    /// The route that matched, or `split`.
    pub route: String,
    /// `bot` or `human` when the split decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arm: Option<String>,
    pub to: Target,
}

/// The facts routing looks at.
pub struct RouteInput<'a> {
    pub tenant: &'a str,
    pub customer_id: &'a str,
    pub text: &'a str,
    pub intent: Option<&'a str>,
    pub vip: bool,
    pub tags: &'a [String],
    pub segment: Option<&'a str>,
    pub escalate: bool,
    pub channel: &'a str,
    pub now_ms: i64,
}

fn err(rule: &str, field: impl Into<String>, message: impl Into<String>) -> RuleError {
    RuleError {
        rule: rule.to_owned(),
        field: field.into(),
        message: message.into(),
    }
}

/// Whether `name` is a valid queue name: 1–64 ASCII letters, digits, `-` or `_` (routes,
/// agents and transfers all use this).
pub fn valid_queue_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn check_queue(name: &str, rule: &str, field: &str) -> Result<(), RuleError> {
    if !valid_queue_name(name) {
        return Err(err(
            rule,
            field,
            format!("queue {name:?} must be 1-64 letters, digits, - or _"),
        ));
    }
    Ok(())
}

impl Target {
    fn validate(&self, rule: &str) -> Result<(), RuleError> {
        match (&self.queue, &self.bot) {
            (Some(q), None) => check_queue(q, rule, "to.queue"),
            (None, Some(b)) if !b.is_empty() => Ok(()),
            (None, Some(_)) => Err(err(rule, "to.bot", "name a plugin id or \"default\"")),
            _ => Err(err(
                rule,
                "to",
                "give exactly one of \"queue\" (a human queue) or \"bot\"",
            )),
        }
    }
}

impl Routing {
    /// Validates a configuration (JSON); errors name the route and the field.
    pub fn parse(value: &serde_json::Value, version: i64) -> Result<Routing, RuleError> {
        let config: RoutingConfig = serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            let rule = value
                .get("routes")
                .and_then(|r| r.as_array())
                .and_then(|routes| {
                    let idx: usize = path
                        .strip_prefix("routes[")?
                        .split(']')
                        .next()?
                        .parse()
                        .ok()?;
                    let r = routes.get(idx)?;
                    Some(
                        r.get("id")
                            .and_then(|i| i.as_str())
                            .map(str::to_owned)
                            .unwrap_or_else(|| format!("#{idx}")),
                    )
                })
                .unwrap_or_default();
            err(&rule, path, e.inner().to_string())
        })?;
        Routing::compile(config, version)
    }

    pub fn compile(config: RoutingConfig, version: i64) -> Result<Routing, RuleError> {
        if config.routes.len() > MAX_ROUTES {
            return Err(err("", "routes", format!("at most {MAX_ROUTES} routes")));
        }
        let mut seen = std::collections::HashSet::new();
        let mut routes = Vec::with_capacity(config.routes.len());
        for (i, r) in config.routes.into_iter().enumerate() {
            let rule = if r.id.is_empty() {
                format!("#{i}")
            } else {
                r.id.clone()
            };
            if r.id.is_empty() || r.id.len() > 64 {
                return Err(err(
                    &rule,
                    "id",
                    "every route needs an id of 1-64 characters",
                ));
            }
            if r.id == "split" {
                return Err(err(
                    &rule,
                    "id",
                    "\"split\" is reserved for the bot/human split",
                ));
            }
            if !seen.insert(r.id.clone()) {
                return Err(err(&rule, "id", "two routes have this id"));
            }
            for (j, k) in r.keywords.iter().enumerate() {
                if k.trim().is_empty() {
                    return Err(err(&rule, format!("keywords[{j}]"), "empty keyword"));
                }
            }
            for (j, intent) in r.intents.iter().enumerate() {
                if crate::classifier::label_index(intent).is_none() {
                    return Err(err(
                        &rule,
                        format!("intents[{j}]"),
                        format!("unknown intent {intent:?} (see intents.md for the 27 labels)"),
                    ));
                }
            }
            r.to.validate(&rule)?;
            let hours = match &r.hours {
                Some(h) => Some(BusinessHours::new(h.clone()).map_err(|e| {
                    err(
                        &rule,
                        e.field.replacen("business_hours", "hours", 1),
                        e.message,
                    )
                })?),
                None => None,
            };
            let conditions = !r.keywords.is_empty()
                || !r.intents.is_empty()
                || r.vip.is_some()
                || !r.tags.is_empty()
                || r.segment.is_some()
                || r.escalate.is_some()
                || !r.channels.is_empty()
                || hours.is_some();
            if !conditions {
                return Err(err(
                    &rule,
                    "",
                    "a route needs at least one condition (keywords, intents, vip, tags, segment, escalate, channels or hours); use split for everything else",
                ));
            }
            routes.push(CompiledRoute {
                keywords: r.keywords.iter().map(|k| k.to_lowercase()).collect(),
                hours,
                config: r,
            });
        }
        if let Some(s) = &config.split {
            if s.bot_percent > 100 {
                return Err(err("split", "split.bot_percent", "must be 0-100"));
            }
            check_queue(&s.human_queue, "split", "split.human_queue")?;
        }
        Ok(Routing {
            version,
            routes,
            split: config.split,
        })
    }

    /// The configuration as written (canonical form: defaults left out).
    pub fn config(&self) -> RoutingConfig {
        RoutingConfig {
            routes: self.routes.iter().map(|r| r.config.clone()).collect(),
            split: self.split.clone(),
        }
    }

    /// The first matching route, else the split's arm, else `None` (routing has no say).
    pub fn route(&self, input: &RouteInput<'_>) -> Option<RouteOut> {
        let lower = input.text.to_lowercase();
        for r in &self.routes {
            let c = &r.config;
            let ok = (r.keywords.is_empty() || r.keywords.iter().any(|k| lower.contains(k)))
                && (c.intents.is_empty()
                    || input
                        .intent
                        .is_some_and(|i| c.intents.iter().any(|x| x == i)))
                && c.vip.is_none_or(|v| v == input.vip)
                && (c.tags.is_empty() || c.tags.iter().any(|t| input.tags.contains(t)))
                && c.segment
                    .as_deref()
                    .is_none_or(|s| input.segment == Some(s))
                && c.escalate.is_none_or(|e| e == input.escalate)
                && (c.channels.is_empty() || c.channels.iter().any(|x| x == input.channel))
                && r.hours.as_ref().is_none_or(|h| h.is_open(input.now_ms));
            if ok {
                return Some(RouteOut {
                    version: self.version,
                    gray: false,
                    route: c.id.clone(),
                    arm: None,
                    to: c.to.clone(),
                });
            }
        }
        let s = self.split.as_ref()?;
        let salt = s.salt.as_deref().unwrap_or("");
        let bucket = bucket(&[input.tenant, "split", salt, input.customer_id]);
        let bot = bucket < u32::from(s.bot_percent);
        Some(RouteOut {
            version: self.version,
            gray: false,
            route: "split".into(),
            arm: Some(if bot { "bot" } else { "human" }.into()),
            to: if bot {
                Target {
                    bot: Some("default".into()),
                    ..Target::default()
                }
            } else {
                Target {
                    queue: Some(s.human_queue.clone()),
                    bot: None,
                    note: s.note.clone(),
                }
            },
        })
    }
}

/// A stable bucket in 0..100 for these parts (FNV-1a, 64 bit): the same customer always lands
/// in the same bucket, whatever the process or machine.
pub fn bucket(parts: &[&str]) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0xff)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    (h % 100) as u32
}

/// A tenant's routing as it is live: the stable version and, in gray rollout, the candidate
/// and its share.
#[derive(Default)]
pub struct TenantRouting {
    pub stable: Option<Routing>,
    pub candidate: Option<(Routing, u8)>,
}

impl TenantRouting {
    /// The version this customer sees: the candidate for the customers in its share.
    pub fn for_customer(&self, tenant: &str, customer_id: &str) -> Option<(&Routing, bool)> {
        if let Some((c, percent)) = &self.candidate
            && bucket(&[tenant, "gray", customer_id]) < u32::from(*percent)
        {
            return Some((c, true));
        }
        self.stable.as_ref().map(|s| (s, false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input<'a>(text: &'a str, customer: &'a str) -> RouteInput<'a> {
        RouteInput {
            tenant: "t",
            customer_id: customer,
            text,
            intent: None,
            vip: false,
            tags: &[],
            segment: None,
            escalate: false,
            channel: "web",
            now_ms: 0,
        }
    }

    fn routing(v: serde_json::Value) -> Routing {
        Routing::parse(&v, 1).unwrap()
    }

    #[test]
    fn keyword_routes_send_to_a_queue_or_a_bot() {
        let r = routing(json!({"routes": [
            {"id": "complaints", "keywords": ["投诉"], "to": {"queue": "store-manager"}},
            {"id": "coupons", "keywords": ["优惠券", "Coupon"], "to": {"bot": "marketing-bot"}}]}));
        let out = r.route(&input("我要投诉你们店长", "c1")).unwrap();
        assert_eq!(out.route, "complaints");
        assert_eq!(out.to.queue.as_deref(), Some("store-manager"));
        let out = r.route(&input("有COUPON吗", "c1")).unwrap();
        assert_eq!(out.to.bot.as_deref(), Some("marketing-bot"));
        assert!(r.route(&input("你好", "c1")).is_none());
    }

    #[test]
    fn every_condition_of_a_route_must_hold() {
        let r = routing(json!({"routes": [
            {"id": "vip-refund", "vip": true, "intents": ["refund_request"], "to": {"queue": "vip"}}]}));
        let mut i = input("退款", "c");
        i.intent = Some("refund_request");
        assert!(r.route(&i).is_none(), "not VIP");
        i.vip = true;
        assert_eq!(r.route(&i).unwrap().route, "vip-refund");
        i.intent = Some("greeting");
        assert!(r.route(&i).is_none(), "other intent");
    }

    #[test]
    fn peak_hours_use_the_time_zone() {
        let r = routing(json!({"routes": [{"id": "peak", "hours":
            {"timezone": "Asia/Shanghai", "from": "18:00", "to": "21:00"}, "to": {"queue": "front"}}]}));
        // 2026-01-05 11:00 UTC = 19:00 in Shanghai; 05:00 UTC = 13:00.
        let mut i = input("在吗", "c");
        i.now_ms = 1_767_610_800_000;
        assert_eq!(r.route(&i).unwrap().route, "peak");
        i.now_ms = 1_767_589_200_000;
        assert!(r.route(&i).is_none());
    }

    #[test]
    fn the_split_keeps_each_customer_in_one_arm_and_honours_the_weight() {
        let r = routing(json!({"split": {"bot_percent": 30, "human_queue": "general"}}));
        let mut bot = 0;
        for n in 0..2000 {
            let id = format!("customer-{n}");
            let first = r.route(&input("你好", &id)).unwrap();
            for text in ["价格多少", "怎么退款"] {
                assert_eq!(r.route(&input(text, &id)).unwrap().arm, first.arm);
            }
            if first.arm.as_deref() == Some("bot") {
                bot += 1;
            } else {
                assert_eq!(first.to.queue.as_deref(), Some("general"));
            }
        }
        // 30 % of 2,000 = 600; the hash spreads customers evenly enough.
        assert!((520..=680).contains(&bot), "{bot} of 2000 in the bot arm");
    }

    #[test]
    fn the_gray_share_picks_the_candidate_for_a_stable_set_of_customers() {
        let t = TenantRouting {
            stable: Some(routing(json!({"routes": []}))),
            candidate: Some((Routing::parse(&json!({"routes": []}), 2).unwrap(), 20)),
        };
        let picked: Vec<bool> = (0..1000)
            .map(|n| t.for_customer("t", &format!("c{n}")).unwrap().1)
            .collect();
        let again: Vec<bool> = (0..1000)
            .map(|n| t.for_customer("t", &format!("c{n}")).unwrap().1)
            .collect();
        assert_eq!(picked, again);
        let n = picked.iter().filter(|g| **g).count();
        assert!((140..=260).contains(&n), "{n} of 1000 on the candidate");
    }

    #[test]
    fn invalid_configurations_name_the_route_and_field() {
        let cases = [
            (
                json!({"routes": [{"id": "a", "keywords": ["x"], "to": {}}]}),
                "a",
                "to",
            ),
            (
                json!({"routes": [{"id": "a", "keywords": ["x"], "to": {"queue": "q", "bot": "b"}}]}),
                "a",
                "to",
            ),
            (
                json!({"routes": [{"id": "b", "to": {"queue": "q"}}]}),
                "b",
                "",
            ),
            (
                json!({"routes": [{"id": "c", "intents": ["nope"], "to": {"queue": "q"}}]}),
                "c",
                "intents[0]",
            ),
            (
                json!({"routes": [{"id": "d", "keywords": ["x"], "to": {"queue": "bad queue"}}]}),
                "d",
                "to.queue",
            ),
            (
                json!({"routes": [{"id": "e", "hours": {"timezone": "Mars/Base", "from": "09:00", "to": "10:00"}, "to": {"queue": "q"}}]}),
                "e",
                "hours.timezone",
            ),
            (
                json!({"routes": [{"id": "f", "keywords": ["x"], "to": {"queue": "q"}, "colour": 1}]}),
                "f",
                "routes[0]",
            ),
            (
                json!({"split": {"bot_percent": 130, "human_queue": "q"}}),
                "split",
                "split.bot_percent",
            ),
        ];
        for (v, rule, field) in cases {
            let e = Routing::parse(&v, 1)
                .err()
                .unwrap_or_else(|| panic!("{v} accepted"));
            assert_eq!(e.rule, rule, "{v}: {e}");
            assert!(e.field.starts_with(field), "{v}: field {:?}", e.field);
        }
    }
}
