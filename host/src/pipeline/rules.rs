//! Decision rules (N3): a tenant's declarative "if this message, then that strategy" list.
//!
//! After a message is normalized, classified and analyzed, the tenant's rule set decides what
//! to do with it: answer from a template, let a skill-pack plugin answer, ask a clarifying
//! question, hand off to an agent queue, tag the customer, set a profile field. Rules are data
//! (JSON through the API, or TOML), validated once into a [`RuleSet`] (regexes compiled,
//! templates parsed, intents resolved to bits) so that evaluating one message is a few
//! microseconds of comparisons. This module is pure logic: no I/O, no clock, no globals.
//!
//! # Format
//!
//! A rule set is `{"rules": [...]}`. Rules are tried **in order**; the first rule whose
//! conditions all hold decides and evaluation stops, unless that rule says `"continue": true`,
//! in which case later rules are tried too. Tags and profile fields accumulate across every
//! matched rule; of the *strategy* actions (`reply`, `plugin`, `ask`, `handoff`) only the first
//! one met counts, and a rule may carry at most one.
//!
//! A rule is `id` (unique, `[a-z0-9_-]{1,64}`), optional `description`, `when` (conditions;
//! all present ones must hold, none = always), `then` (at least one action) and `continue`.
//!
//! Conditions (`when`; a list also accepts a single string):
//!
//! | key | holds when |
//! |---|---|
//! | `intent` | the classified intent is one of these (the 27 labels of `intents.md`); `"fallback"` matches a classification too unsure to act on, which matches no label |
//! | `min_confidence` | the intent's confidence is at least this (0–1) |
//! | `keywords_any` / `keywords_all` / `keywords_none` | any / all / none of these occur in the text (substring, ASCII case-insensitive) |
//! | `regex` | the regex matches the text as written (use `(?i)` for case-insensitivity) |
//! | `has_order_number` | the text contains an order or waybill number ([`extract_order_number`]) or not |
//! | `customer_tags_any` | the customer has any of these tags |
//! | `segment` | the customer's segment is one of these |
//! | `vip` | the customer is (not) a VIP |
//! | `profile` | every listed profile field has exactly this value (a missing field is `""`) |
//! | `sentiment` | the analyzed sentiment is one of `negative`, `neutral`, `positive` |
//! | `escalate` | an analyzer did (not) flag the message for escalation |
//! | `channel` | the message came in on one of these channels |
//! | `business_hours` | `true`: inside the tenant's business hours; `false`: outside (a tenant without business hours is always open) |
//! | `time` | local time is inside `{days, from, to}` (`days` empty = every day; `to` before `from` runs past midnight and belongs to the day it starts; midnight is `00:00` or `24:00`) |
//!
//! Times are local to the tenant's time zone: the one of its [`BusinessHours`], else China
//! Standard Time (UTC+8). Days are `mon` … `sun` or a range such as `mon-fri`.
//!
//! Actions (`then`, each tagged by `type`):
//!
//! | type | fields | effect |
//! |---|---|---|
//! | `reply` | `template` | answer with the rendered template |
//! | `plugin` | `plugin` | let this respond plugin (e.g. a skill pack) answer |
//! | `ask` | `question` (template) | ask the customer a clarifying question |
//! | `handoff` | `queue`, optional `note` (template, for the agent) | hand the conversation to an agent queue |
//! | `tag` | `tag` | tag the customer |
//! | `set_profile` | `field`, `value` (template) | set a profile field |
//!
//! Templates are plain text (nothing is escaped) with variables `{{customer_name}}`,
//! `{{order_number}}`, `{{phone}}`, `{{channel}}`, `{{intent}}`, `{{tenant_name}}` and
//! `{{profile.FIELD}}`; `{{customer_name|您好}}` renders `您好` when the value is missing or
//! empty (without a default: nothing). `order_number` is taken from the text, else the
//! `order_number` profile field; `phone` from the `phone` profile field, else a mainland mobile
//! number in the text.
//!
//! A rule set that does not validate is refused with a [`RuleError`] naming the rule (its id,
//! or `#N`, its index from 0, when it has none) and the field (`when.intent[0]`,
//! `then[1].template`, …). Limits: 500 rules, 20 actions a rule, 200 entries a list,
//! keywords ≤ 100 characters, templates ≤ 2000, 32 regexes of ≤ 1000 characters and 512 KiB
//! compiled each (a Unicode `\w` takes 50 KiB: prefer `.` or `\S`, or `(?-u:\w)` for ASCII).
//! The regex engine matches in linear time, so no pattern can hang a worker.
//!
//! # Example: an education tenant
//!
//! ```json
//! {
//!   "rules": [
//!     {
//!       "id": "web-visitor",
//!       "description": "Customers who found us through the website",
//!       "when": { "channel": ["web"] },
//!       "then": [{ "type": "tag", "tag": "官网用户" }],
//!       "continue": true
//!     },
//!     {
//!       "id": "refund-vip",
//!       "when": { "intent": ["refund_request"], "min_confidence": 0.6, "vip": true },
//!       "then": [
//!         { "type": "handoff", "queue": "vip-care",
//!           "note": "VIP {{customer_name}} 要退款，订单 {{order_number|未提供}}" },
//!         { "type": "set_profile", "field": "last_refund_order", "value": "{{order_number}}" }
//!       ]
//!     },
//!     {
//!       "id": "complaint",
//!       "when": { "keywords_any": ["投诉", "12315"] },
//!       "then": [
//!         { "type": "handoff", "queue": "store-manager" },
//!         { "type": "tag", "tag": "投诉客户" }
//!       ]
//!     },
//!     {
//!       "id": "course-after-hours",
//!       "when": { "intent": ["course_inquiry", "enrollment_schedule"], "business_hours": false },
//!       "then": [{ "type": "reply",
//!                  "template": "{{customer_name|您好}}，课程顾问的服务时间是周一至周六 09:00–21:00，上班后第一时间回复您。" }]
//!     },
//!     {
//!       "id": "discount",
//!       "when": { "keywords_any": ["优惠"] },
//!       "then": [{ "type": "plugin", "plugin": "edu-skill-pack" }]
//!     },
//!     {
//!       "id": "order-number-missing",
//!       "when": { "intent": ["order_tracking"], "has_order_number": false },
//!       "then": [{ "type": "ask", "question": "{{customer_name|您好}}，请发一下订单号，我马上帮您查。" }]
//!     }
//!   ]
//! }
//! ```
//!
//! The same rule set in TOML:
//!
//! ```toml
//! [[rules]]
//! id = "web-visitor"
//! description = "Customers who found us through the website"
//! when = { channel = "web" }
//! then = [{ type = "tag", tag = "官网用户" }]
//! continue = true
//!
//! [[rules]]
//! id = "refund-vip"
//! when = { intent = "refund_request", min_confidence = 0.6, vip = true }
//! [[rules.then]]
//! type = "handoff"
//! queue = "vip-care"
//! note = "VIP {{customer_name}} 要退款，订单 {{order_number|未提供}}"
//! [[rules.then]]
//! type = "set_profile"
//! field = "last_refund_order"
//! value = "{{order_number}}"
//!
//! [[rules]]
//! id = "complaint"
//! when = { keywords_any = ["投诉", "12315"] }
//! then = [{ type = "handoff", queue = "store-manager" }, { type = "tag", tag = "投诉客户" }]
//!
//! [[rules]]
//! id = "course-after-hours"
//! when = { intent = ["course_inquiry", "enrollment_schedule"], business_hours = false }
//! then = [{ type = "reply", template = "{{customer_name|您好}}，课程顾问的服务时间是周一至周六 09:00–21:00，上班后第一时间回复您。" }]
//!
//! [[rules]]
//! id = "discount"
//! when = { keywords_any = ["优惠"] }
//! then = [{ type = "plugin", plugin = "edu-skill-pack" }]
//!
//! [[rules]]
//! id = "order-number-missing"
//! when = { intent = "order_tracking", has_order_number = false }
//! then = [{ type = "ask", question = "{{customer_name|您好}}，请发一下订单号，我马上帮您查。" }]
//! ```
//!
//! The tenant's business hours, a tenant setting passed to [`RuleSet::evaluate`] (time zones:
//! the no-DST zones of [`UtcOffset::parse`], or an offset such as `UTC+8` or `+08:00`):
//!
//! ```json
//! { "timezone": "Asia/Shanghai", "days": ["mon-sat"], "from": "09:00", "to": "21:00" }
//! ```

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The 27 standard intent labels (`intents.md`): the classifier's list is the one source.
use crate::classifier::LABELS as INTENTS;

/// The pseudo-intent of a classification too unsure to act on.
pub const FALLBACK: &str = "fallback";
const FALLBACK_BIT: u32 = 1 << INTENTS.len();

/// Most rules in one rule set.
pub const MAX_RULES: usize = 500;
const MAX_ACTIONS: usize = 20;
const MAX_LIST: usize = 200;
const MAX_NAME: usize = 64;
const MAX_KEYWORD: usize = 100;
const MAX_PROFILE_VALUE: usize = 500;
const MAX_DESCRIPTION: usize = 500;
const MAX_TEMPLATE: usize = 2000;
const MAX_REGEX: usize = 1000;
/// Compiled program size of one regex. Keyword alternations need a few KiB, `.{0,20}` 21 KiB,
/// a Unicode `\w` 50 KiB (`\w{8,}` 400 KiB); `(\w{100}){100}` would need 500 MB.
const REGEX_SIZE_LIMIT: usize = 512 * 1024;
/// The lazy DFA's cache per regex (per concurrent use); when it thrashes the engine falls back
/// to a slower search that is still linear.
const REGEX_DFA_SIZE_LIMIT: usize = 512 * 1024;
/// Rules with a regex in one rule set, so that a rule set's regexes stay below 16 MiB.
const MAX_REGEXES: usize = 32;

/// China Standard Time, for tenants without business hours: every WeChat tenant is there.
const DEFAULT_OFFSET: UtcOffset = UtcOffset { minutes: 8 * 60 };

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const SENTIMENTS: [&str; 3] = ["negative", "neutral", "positive"];
const VARIABLES: &str =
    "customer_name, order_number, phone, channel, intent, tenant_name, profile.FIELD";

// ---------------------------------------------------------------------------------------------
// The format: what tenants write (and what the API returns).
// ---------------------------------------------------------------------------------------------

/// One rule as written by the tenant.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub when: Conditions,
    pub then: Vec<Action>,
    /// Keep trying later rules after this one matched.
    #[serde(default, rename = "continue", skip_serializing_if = "is_false")]
    pub continues: bool,
}

/// A rule's conditions; every one present must hold. See the module docs for each.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Conditions {
    #[serde(
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub intent: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_confidence: Option<f32>,
    #[serde(
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub keywords_any: Vec<String>,
    #[serde(
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub keywords_all: Vec<String>,
    #[serde(
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub keywords_none: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_order_number: Option<bool>,
    #[serde(
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub customer_tags_any: Vec<String>,
    #[serde(
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub segment: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vip: Option<bool>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub profile: BTreeMap<String, String>,
    #[serde(
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub sentiment: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub escalate: Option<bool>,
    #[serde(
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub channel: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub business_hours: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<TimeWindow>,
}

/// Local days and hours, `"HH:MM"`; `to` before `from` runs past midnight.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeWindow {
    /// `mon` … `sun` or ranges like `mon-fri`; empty = every day.
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub days: Vec<String>,
    pub from: String,
    pub to: String,
}

/// What a matching rule does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Answer with a rendered template.
    Reply { template: String },
    /// Let this respond plugin answer.
    Plugin { plugin: String },
    /// Ask a clarifying question (a template).
    Ask { question: String },
    /// Hand the conversation to an agent queue, with an optional note (a template) for the agent.
    Handoff {
        queue: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// Tag the customer.
    Tag { tag: String },
    /// Set a customer profile field to a rendered template.
    SetProfile { field: String, value: String },
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A list of strings that may also be written as one string (`channel = "web"`).
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    struct OneOrMany;
    impl<'de> serde::de::Visitor<'de> for OneOrMany {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string or a list of strings")
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Vec<String>, E> {
            Ok(vec![s.to_owned()])
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Vec<String>, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(MAX_LIST));
            while let Some(s) = seq.next_element()? {
                out.push(s);
            }
            Ok(out)
        }
    }
    d.deserialize_any(OneOrMany)
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// Why a rule set (or business hours) was refused: which rule, which field, what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuleError {
    /// The rule's id, or `#N` (its index from 0) when it has none; empty for errors outside
    /// any rule (syntax, too many rules, business hours).
    pub rule: String,
    /// Path inside the rule (`when.intent[0]`, `then[1].template`), or outside it
    /// (`rules`, `business_hours.timezone`); empty when there is none.
    pub field: String,
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.rule.is_empty(), self.field.is_empty()) {
            (false, false) => write!(
                f,
                "rule \"{}\", field \"{}\": {}",
                self.rule, self.field, self.message
            ),
            (false, true) => write!(f, "rule \"{}\": {}", self.rule, self.message),
            (true, false) => write!(f, "field \"{}\": {}", self.field, self.message),
            (true, true) => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for RuleError {}

/// Builds errors for one rule (or for no rule, with an empty name).
struct At<'a> {
    rule: &'a str,
}

impl At<'_> {
    fn err(&self, field: impl Into<String>, message: impl Into<String>) -> RuleError {
        RuleError {
            rule: self.rule.to_owned(),
            field: field.into(),
            message: message.into(),
        }
    }
}

/// How a rule is named in errors: its id when it has a usable one, else its index.
fn rule_name(id: Option<&str>, index: usize) -> String {
    match id.map(str::trim) {
        Some(id) if !id.is_empty() => {
            // An absurd id is still named, but not echoed in full.
            let mut name: String = id.chars().take(MAX_NAME).collect();
            if name.len() < id.len() {
                name.push('…');
            }
            name
        }
        _ => format!("#{index}"),
    }
}

/// Turns serde's error on rule `index` into a [`RuleError`] with the field path.
fn serde_error(
    index: usize,
    raw: &Value,
    e: serde_path_to_error::Error<serde_json::Error>,
) -> RuleError {
    let mut field = e.path().to_string();
    if field == "." {
        field.clear();
    }
    let message = e.inner().to_string();
    // serde names a missing or unknown key only in its message (and, inside a tagged action,
    // the path stops at the action): put the key into the path.
    let key = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|p| message.strip_prefix(p)?.split('`').next());
    if let Some(key) = key {
        let already = field == key || field.ends_with(&format!(".{key}"));
        if !already {
            field = if field.is_empty() {
                key.to_owned()
            } else {
                format!("{field}.{key}")
            };
        }
    }
    RuleError {
        rule: rule_name(raw.get("id").and_then(Value::as_str), index),
        field,
        message,
    }
}

// ---------------------------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------------------------

/// A fixed offset from UTC. Only zones without daylight saving time are named, so one
/// offset is always right for them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UtcOffset {
    minutes: i16,
}

/// Named zones without DST (as of 2026) and their offsets in minutes.
const ZONES: [(&str, i16); 19] = [
    ("UTC", 0),
    ("Etc/UTC", 0),
    ("GMT", 0),
    ("Asia/Shanghai", 480),
    ("Asia/Chongqing", 480),
    ("Asia/Hong_Kong", 480),
    ("Asia/Macau", 480),
    ("Asia/Taipei", 480),
    ("Asia/Singapore", 480),
    ("Asia/Kuala_Lumpur", 480),
    ("Asia/Manila", 480),
    ("Asia/Tokyo", 540),
    ("Asia/Seoul", 540),
    ("Asia/Bangkok", 420),
    ("Asia/Ho_Chi_Minh", 420),
    ("Asia/Jakarta", 420),
    ("Asia/Kolkata", 330),
    ("Asia/Dubai", 240),
    ("PRC", 480),
];

/// A local weekday and time of day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalTime {
    /// 0 = Monday … 6 = Sunday.
    pub weekday: u8,
    /// Minutes since local midnight, 0..1440.
    pub minute: u16,
}

impl UtcOffset {
    pub const UTC: UtcOffset = UtcOffset { minutes: 0 };

    /// A named zone from a fixed table of zones without DST (`Asia/Shanghai`, `Asia/Hong_Kong`,
    /// `Asia/Taipei`, `Asia/Macau`, `Asia/Singapore`, `Asia/Tokyo`, `Asia/Seoul`, `UTC`, and a
    /// few more of the region), or an explicit offset: `UTC+8`, `UTC+08:00`, `GMT-5`, `+08:00`,
    /// `+0800`, `-05:30` (at most ±14:00).
    pub fn parse(s: &str) -> Option<UtcOffset> {
        let s = s.trim();
        if let Some(&(_, minutes)) = ZONES.iter().find(|(name, _)| name.eq_ignore_ascii_case(s)) {
            return Some(UtcOffset { minutes });
        }
        let rest = ["UTC", "GMT"]
            .iter()
            .find_map(|p| {
                s.get(..3)
                    .filter(|h| h.eq_ignore_ascii_case(p))
                    .map(|_| &s[3..])
            })
            .unwrap_or(s);
        let (sign, rest) = match rest.as_bytes().first()? {
            b'+' => (1, &rest[1..]),
            b'-' => (-1, &rest[1..]),
            _ => return None,
        };
        let (h, m) = match rest.split_once(':') {
            Some((h, m)) if (1..=2).contains(&h.len()) && m.len() == 2 => (h, m),
            None if (1..=2).contains(&rest.len()) => (rest, "00"),
            None if rest.len() == 4 => rest.split_at(2),
            _ => return None,
        };
        let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        if !digits(h) || !digits(m) {
            return None;
        }
        let (h, m): (i16, i16) = (h.parse().ok()?, m.parse().ok()?);
        let minutes = h * 60 + m;
        (m < 60 && minutes <= 14 * 60).then_some(UtcOffset {
            minutes: sign * minutes,
        })
    }

    /// Minutes east of UTC.
    pub fn minutes(self) -> i16 {
        self.minutes
    }

    /// The local weekday and time of day at a unix-millisecond instant.
    pub fn local_time(self, unix_ms: i64) -> LocalTime {
        const DAY_MS: i64 = 86_400_000;
        let local = unix_ms.saturating_add(i64::from(self.minutes) * 60_000);
        let days = local.div_euclid(DAY_MS);
        LocalTime {
            // 1970-01-01 was a Thursday (3 when Monday is 0).
            weekday: (days + 3).rem_euclid(7) as u8,
            minute: (local.rem_euclid(DAY_MS) / 60_000) as u16,
        }
    }
}

/// Days (bit 0 = Monday) and a time span in minutes; `from > to` runs past midnight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Window {
    days: u8,
    from: u16,
    to: u16,
}

impl Window {
    fn contains(self, t: LocalTime) -> bool {
        let on = |day: u8| self.days & (1 << day) != 0;
        if self.from < self.to {
            on(t.weekday) && (self.from..self.to).contains(&t.minute)
        } else {
            // Past midnight the window still belongs to the day it started.
            (on(t.weekday) && t.minute >= self.from)
                || (on((t.weekday + 6) % 7) && t.minute < self.to)
        }
    }

    /// Validates days and times; errors name `{prefix}.days[i]`, `{prefix}.from`, `{prefix}.to`.
    fn compile(
        days: &[String],
        from: &str,
        to: &str,
        prefix: &str,
        at: &At,
    ) -> Result<Window, RuleError> {
        check_list(days, &format!("{prefix}.days"), at)?;
        let mut mask = 0u8;
        for (i, day) in days.iter().enumerate() {
            mask |= parse_days(day).ok_or_else(|| {
                at.err(
                    format!("{prefix}.days[{i}]"),
                    format!("unknown day \"{day}\" (use mon, tue, wed, thu, fri, sat, sun or a range such as mon-fri)"),
                )
            })?;
        }
        if days.is_empty() {
            mask = 0x7f;
        }
        let from_m = parse_hhmm(from, false).ok_or_else(|| {
            at.err(
                format!("{prefix}.from"),
                format!("invalid time \"{from}\" (expected HH:MM, 00:00 to 23:59)"),
            )
        })?;
        let to_m = parse_hhmm(to, true).ok_or_else(|| {
            at.err(
                format!("{prefix}.to"),
                format!("invalid time \"{to}\" (expected HH:MM, 00:00 to 24:00)"),
            )
        })?;
        if from_m == to_m {
            return Err(at.err(
                format!("{prefix}.to"),
                "the window is empty: \"to\" equals \"from\" (use 00:00 to 24:00 for a whole day)",
            ));
        }
        Ok(Window {
            days: mask,
            from: from_m,
            to: to_m,
        })
    }
}

/// `mon` or a range `mon-fri` (ranges may wrap: `sat-mon`) as a day mask.
fn parse_days(s: &str) -> Option<u8> {
    let index = |d: &str| DAYS.iter().position(|n| n.eq_ignore_ascii_case(d.trim()));
    match s.split_once('-') {
        None => index(s).map(|i| 1 << i),
        Some((a, b)) => {
            let (mut i, end) = (index(a)?, index(b)?);
            let mut mask = 1 << i;
            while i != end {
                i = (i + 1) % 7;
                mask |= 1 << i;
            }
            Some(mask)
        }
    }
}

/// `H:MM` or `HH:MM` as minutes since midnight; `24:00` only when `end` is set.
fn parse_hhmm(s: &str, end: bool) -> Option<u16> {
    let (h, m) = s.trim().split_once(':')?;
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !(1..=2).contains(&h.len()) || m.len() != 2 || !digits(h) || !digits(m) {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (24, 0) if end => Some(1440),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

/// A tenant's business hours, as configured.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusinessHoursConfig {
    /// See [`UtcOffset::parse`].
    pub timezone: String,
    /// `mon` … `sun` or ranges like `mon-fri`; empty = every day.
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub days: Vec<String>,
    /// `HH:MM`; `to` before `from` runs past midnight, midnight is `00:00` or `24:00`.
    pub from: String,
    pub to: String,
}

/// A tenant's validated business hours: when its people are at work. Deserializes from (and
/// serializes to) a [`BusinessHoursConfig`], refusing an invalid one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "BusinessHoursConfig", into = "BusinessHoursConfig")]
pub struct BusinessHours {
    config: BusinessHoursConfig,
    offset: UtcOffset,
    window: Window,
}

impl BusinessHours {
    /// Validates the configuration; errors name `business_hours.<field>`.
    pub fn new(config: BusinessHoursConfig) -> Result<BusinessHours, RuleError> {
        let at = At { rule: "" };
        let offset = UtcOffset::parse(&config.timezone).ok_or_else(|| {
            at.err(
                "business_hours.timezone",
                format!(
                    "unknown time zone \"{}\" (use a zone without daylight saving time such as Asia/Shanghai, or an offset such as UTC+8)",
                    config.timezone
                ),
            )
        })?;
        let window = Window::compile(
            &config.days,
            &config.from,
            &config.to,
            "business_hours",
            &at,
        )?;
        Ok(BusinessHours {
            config,
            offset,
            window,
        })
    }

    pub fn config(&self) -> &BusinessHoursConfig {
        &self.config
    }

    /// The tenant's time zone.
    pub fn offset(&self) -> UtcOffset {
        self.offset
    }

    /// Whether the tenant is open at this unix-millisecond instant.
    pub fn is_open(&self, unix_ms: i64) -> bool {
        self.window.contains(self.offset.local_time(unix_ms))
    }
}

impl TryFrom<BusinessHoursConfig> for BusinessHours {
    type Error = RuleError;
    fn try_from(config: BusinessHoursConfig) -> Result<Self, RuleError> {
        BusinessHours::new(config)
    }
}

impl From<BusinessHours> for BusinessHoursConfig {
    fn from(hours: BusinessHours) -> Self {
        hours.config
    }
}

// ---------------------------------------------------------------------------------------------
// Templates
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Var {
    CustomerName,
    OrderNumber,
    Phone,
    Channel,
    Intent,
    TenantName,
    Profile(String),
}

#[derive(Clone, Debug)]
enum Part {
    Text(String),
    Var { var: Var, default: String },
}

/// A parsed template: text and `{{variable|default}}` slots.
#[derive(Clone, Debug)]
struct Template {
    parts: Vec<Part>,
}

impl Template {
    fn parse(src: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut rest = src;
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                parts.push(Part::Text(rest[..start].to_owned()));
            }
            let inside = &rest[start + 2..];
            let Some(end) = inside.find("}}") else {
                return Err(format!(
                    "unclosed \"{{{{\" in \"{}\"",
                    preview(&rest[start..])
                ));
            };
            let (name, default) = inside[..end]
                .split_once('|')
                .unwrap_or((&inside[..end], ""));
            let name = name.trim();
            let var = match name {
                "customer_name" => Var::CustomerName,
                "order_number" => Var::OrderNumber,
                "phone" => Var::Phone,
                "channel" => Var::Channel,
                "intent" => Var::Intent,
                "tenant_name" => Var::TenantName,
                _ => match name.strip_prefix("profile.").map(str::trim) {
                    Some(field) if !field.is_empty() => Var::Profile(field.to_owned()),
                    _ => {
                        return Err(format!(
                            "unknown template variable \"{name}\" (known: {VARIABLES})"
                        ));
                    }
                },
            };
            parts.push(Part::Var {
                var,
                default: default.to_owned(),
            });
            rest = &inside[end + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Ok(Template { parts })
    }

    fn render(&self, facts: &Facts) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Var { var, default } => {
                    let value = facts.variable(var).filter(|v| !v.is_empty());
                    out.push_str(value.unwrap_or(default));
                }
            }
        }
        out
    }
}

fn preview(s: &str) -> String {
    let mut p: String = s.chars().take(30).collect();
    if p.len() < s.len() {
        p.push('…');
    }
    p
}

// ---------------------------------------------------------------------------------------------
// Order numbers and phones in text
// ---------------------------------------------------------------------------------------------

/// The first order or waybill number in a message, if any: a run of at least 10 digits that
/// is not a mainland mobile number (`13812345678`, `+8613812345678`); `JD` and at least 8 more
/// letters or digits, one a digit (`JDVA01234567`); or letters and digits with at least 6
/// digits and 8 characters (`SF1234567890`, `DD20231125001`, `E2023112500012`). Numbers are
/// whole runs of ASCII letters and digits, so `订单号1234567890` finds `1234567890`.
pub fn extract_order_number(text: &str) -> Option<String> {
    ascii_runs(text, |b| b.is_ascii_alphanumeric())
        .find(|&(start, run)| looks_like_order(run, text.as_bytes()[..start].ends_with(b"+")))
        .map(|(_, run)| run.to_owned())
}

fn looks_like_order(run: &str, after_plus: bool) -> bool {
    let len = run.len();
    if len > 40 {
        return false;
    }
    let digits = run.bytes().filter(u8::is_ascii_digit).count();
    if digits == len {
        return len >= 10 && !after_plus && !is_mobile(run);
    }
    let jd = run.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("JD"));
    (jd && len >= 10 && digits >= 1) || (digits >= 6 && len >= 8)
}

/// `1[3-9]` and 9 more digits, or the same after `86`.
fn is_mobile(digits: &str) -> bool {
    let national = match digits.len() {
        11 => digits,
        13 if digits.starts_with("86") => &digits[2..],
        _ => return false,
    };
    let b = national.as_bytes();
    b[0] == b'1' && (b'3'..=b'9').contains(&b[1])
}

/// A mainland mobile number in the text (with its `+` when written in E.164).
fn find_mobile(text: &str) -> Option<&str> {
    ascii_runs(text, |b| b.is_ascii_digit()).find_map(|(start, run)| {
        if !is_mobile(run) {
            return None;
        }
        if run.len() == 13 && start > 0 && text.as_bytes()[start - 1] == b'+' {
            Some(&text[start - 1..start + run.len()])
        } else {
            Some(run)
        }
    })
}

/// Maximal runs of ASCII bytes satisfying `keep`, with their byte offsets. ASCII bytes never
/// occur inside a multi-byte UTF-8 character, so every run is a valid `str` slice.
fn ascii_runs(text: &str, keep: fn(&u8) -> bool) -> impl Iterator<Item = (usize, &str)> {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() && !keep(&bytes[i]) {
            i += 1;
        }
        let start = i;
        while i < bytes.len() && keep(&bytes[i]) {
            i += 1;
        }
        (start < i).then(|| (start, &text[start..i]))
    })
}

// ---------------------------------------------------------------------------------------------
// Validation: the format compiled for evaluation
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct Compiled {
    id: String,
    when: Cond,
    then: Vec<Act>,
    continues: bool,
}

/// Conditions resolved for fast checks: intents and sentiments as bit sets, keywords
/// lowercased, the regex compiled.
#[derive(Clone, Debug)]
struct Cond {
    /// Bit i = `INTENTS[i]`, plus `FALLBACK_BIT`; 0 = no condition.
    intents: u32,
    min_confidence: Option<f32>,
    keywords_any: Vec<String>,
    keywords_all: Vec<String>,
    keywords_none: Vec<String>,
    regex: Option<Regex>,
    has_order_number: Option<bool>,
    tags_any: Vec<String>,
    segment: Vec<String>,
    vip: Option<bool>,
    profile: Vec<(String, String)>,
    /// Bit i = `SENTIMENTS[i]`; 0 = no condition.
    sentiments: u8,
    escalate: Option<bool>,
    channel: Vec<String>,
    business_hours: Option<bool>,
    time: Option<Window>,
}

#[derive(Clone, Debug)]
enum Act {
    Reply(Template),
    Plugin(String),
    Ask(Template),
    Handoff {
        queue: String,
        note: Option<Template>,
    },
    Tag(String),
    SetProfile {
        field: String,
        value: Template,
    },
}

impl Act {
    fn is_strategy(&self) -> bool {
        matches!(
            self,
            Act::Reply(_) | Act::Plugin(_) | Act::Ask(_) | Act::Handoff { .. }
        )
    }
}

fn check_list(list: &[String], field: &str, at: &At) -> Result<(), RuleError> {
    if list.len() > MAX_LIST {
        return Err(at.err(
            field,
            format!("at most {MAX_LIST} entries (got {})", list.len()),
        ));
    }
    Ok(())
}

/// A non-empty, trimmed, single-line string of at most `max` characters.
fn check_text(s: &str, max: usize, field: &str, at: &At) -> Result<(), RuleError> {
    if s.trim().is_empty() {
        return Err(at.err(field, "must not be empty"));
    }
    let n = s.chars().count();
    if n > max {
        return Err(at.err(field, format!("at most {max} characters (got {n})")));
    }
    if s.chars().any(char::is_control) {
        return Err(at.err(field, "must not contain control characters"));
    }
    Ok(())
}

/// `[a-z0-9_-]{1,64}`: rule ids and queue names.
fn check_id(s: &str, field: &str, at: &At) -> Result<(), RuleError> {
    let ok = (1..=MAX_NAME).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(at.err(
            field,
            format!(
                "\"{}\" is not a valid name ([a-z0-9_-], 1 to 64 characters)",
                preview(s)
            ),
        ))
    }
}

/// A profile field name: usable in `{{profile.FIELD}}`.
fn check_field_name(s: &str, field: &str, at: &At) -> Result<(), RuleError> {
    check_text(s, MAX_NAME, field, at)?;
    if s.trim() != s || s.contains(['{', '}', '|']) {
        return Err(at.err(
            field,
            format!("invalid profile field name \"{s}\" (no surrounding spaces, no {{, }} or |)"),
        ));
    }
    Ok(())
}

fn compile_strings(
    list: &[String],
    max: usize,
    field: &str,
    at: &At,
) -> Result<Vec<String>, RuleError> {
    check_list(list, field, at)?;
    list.iter()
        .enumerate()
        .map(|(i, s)| {
            check_text(s, max, &format!("{field}[{i}]"), at)?;
            Ok(s.trim().to_owned())
        })
        .collect()
}

fn compile_keywords(list: &[String], field: &str, at: &At) -> Result<Vec<String>, RuleError> {
    let mut keywords = compile_strings(list, MAX_KEYWORD, field, at)?;
    for k in &mut keywords {
        k.make_ascii_lowercase();
    }
    Ok(keywords)
}

fn compile_template(
    src: &str,
    field: &str,
    required: bool,
    at: &At,
) -> Result<Template, RuleError> {
    if required && src.trim().is_empty() {
        return Err(at.err(field, "must not be empty"));
    }
    let n = src.chars().count();
    if n > MAX_TEMPLATE {
        return Err(at.err(
            field,
            format!("at most {MAX_TEMPLATE} characters (got {n})"),
        ));
    }
    Template::parse(src).map_err(|m| at.err(field, m))
}

fn intent_bit(name: &str) -> Option<u32> {
    if name == FALLBACK {
        return Some(FALLBACK_BIT);
    }
    INTENTS.iter().position(|l| *l == name).map(|i| 1 << i)
}

fn compile_conditions(c: &Conditions, at: &At) -> Result<Cond, RuleError> {
    check_list(&c.intent, "when.intent", at)?;
    let mut intents = 0;
    for (i, name) in c.intent.iter().enumerate() {
        intents |= intent_bit(name).ok_or_else(|| {
            at.err(
                format!("when.intent[{i}]"),
                format!(
                    "unknown intent \"{}\" (one of the 27 labels of intents.md, or \"fallback\")",
                    preview(name)
                ),
            )
        })?;
    }
    if let Some(min) = c.min_confidence
        && !(0.0..=1.0).contains(&min)
    {
        return Err(at.err(
            "when.min_confidence",
            format!("must be between 0 and 1 (got {min})"),
        ));
    }
    let regex = match &c.regex {
        None => None,
        Some(pattern) => {
            check_text(pattern, MAX_REGEX, "when.regex", at)?;
            let re = RegexBuilder::new(pattern)
                .size_limit(REGEX_SIZE_LIMIT)
                .dfa_size_limit(REGEX_DFA_SIZE_LIMIT)
                .build()
                .map_err(|e| at.err("when.regex", format!("invalid regex: {e}")))?;
            Some(re)
        }
    };
    let mut profile = Vec::with_capacity(c.profile.len());
    if c.profile.len() > MAX_LIST {
        return Err(at.err(
            "when.profile",
            format!("at most {MAX_LIST} entries (got {})", c.profile.len()),
        ));
    }
    for (field, value) in &c.profile {
        check_field_name(field, &format!("when.profile.{field}"), at)?;
        let n = value.chars().count();
        if n > MAX_PROFILE_VALUE {
            return Err(at.err(
                format!("when.profile.{field}"),
                format!("at most {MAX_PROFILE_VALUE} characters (got {n})"),
            ));
        }
        profile.push((field.clone(), value.clone()));
    }
    check_list(&c.sentiment, "when.sentiment", at)?;
    let mut sentiments = 0;
    for (i, s) in c.sentiment.iter().enumerate() {
        let bit = SENTIMENTS.iter().position(|n| n == s).ok_or_else(|| {
            at.err(
                format!("when.sentiment[{i}]"),
                format!(
                    "unknown sentiment \"{}\" (negative, neutral or positive)",
                    preview(s)
                ),
            )
        })?;
        sentiments |= 1 << bit;
    }
    let time = match &c.time {
        None => None,
        Some(w) => Some(Window::compile(&w.days, &w.from, &w.to, "when.time", at)?),
    };
    Ok(Cond {
        intents,
        min_confidence: c.min_confidence,
        keywords_any: compile_keywords(&c.keywords_any, "when.keywords_any", at)?,
        keywords_all: compile_keywords(&c.keywords_all, "when.keywords_all", at)?,
        keywords_none: compile_keywords(&c.keywords_none, "when.keywords_none", at)?,
        regex,
        has_order_number: c.has_order_number,
        tags_any: compile_strings(&c.customer_tags_any, MAX_NAME, "when.customer_tags_any", at)?,
        segment: compile_strings(&c.segment, MAX_NAME, "when.segment", at)?,
        vip: c.vip,
        profile,
        sentiments,
        escalate: c.escalate,
        channel: compile_strings(&c.channel, MAX_NAME, "when.channel", at)?,
        business_hours: c.business_hours,
        time,
    })
}

fn compile_actions(then: &[Action], at: &At) -> Result<Vec<Act>, RuleError> {
    if then.is_empty() {
        return Err(at.err("then", "a rule needs at least one action"));
    }
    if then.len() > MAX_ACTIONS {
        return Err(at.err(
            "then",
            format!("at most {MAX_ACTIONS} actions (got {})", then.len()),
        ));
    }
    let mut strategy: Option<usize> = None;
    let mut acts = Vec::with_capacity(then.len());
    for (i, action) in then.iter().enumerate() {
        let f = |name: &str| format!("then[{i}].{name}");
        let act = match action {
            Action::Reply { template } => {
                Act::Reply(compile_template(template, &f("template"), true, at)?)
            }
            Action::Plugin { plugin } => {
                // The manifest's id grammar: `^[a-z][a-z0-9-]{1,63}$`.
                let ok = (2..=MAX_NAME).contains(&plugin.len())
                    && plugin.starts_with(|c: char| c.is_ascii_lowercase())
                    && plugin
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
                if !ok {
                    return Err(at.err(
                        f("plugin"),
                        format!(
                            "\"{}\" is not a plugin id ([a-z][a-z0-9-], 2 to 64 characters)",
                            preview(plugin)
                        ),
                    ));
                }
                Act::Plugin(plugin.clone())
            }
            Action::Ask { question } => {
                Act::Ask(compile_template(question, &f("question"), true, at)?)
            }
            Action::Handoff { queue, note } => {
                check_id(queue, &f("queue"), at)?;
                let note = match note {
                    Some(n) => Some(compile_template(n, &f("note"), false, at)?),
                    None => None,
                };
                Act::Handoff {
                    queue: queue.clone(),
                    note,
                }
            }
            Action::Tag { tag } => {
                check_text(tag, MAX_NAME, &f("tag"), at)?;
                Act::Tag(tag.trim().to_owned())
            }
            Action::SetProfile { field, value } => {
                check_field_name(field, &f("field"), at)?;
                Act::SetProfile {
                    field: field.clone(),
                    value: compile_template(value, &f("value"), false, at)?,
                }
            }
        };
        if act.is_strategy() {
            if let Some(first) = strategy {
                return Err(at.err(
                    format!("then[{i}]"),
                    format!("a rule has at most one reply, plugin, ask or handoff action (then[{first}] is one)"),
                ));
            }
            strategy = Some(i);
        }
        acts.push(act);
    }
    Ok(acts)
}

fn compile_rule(rule: &Rule, index: usize) -> Result<Compiled, RuleError> {
    let name = rule_name(Some(&rule.id), index);
    let at = At { rule: &name };
    check_id(&rule.id, "id", &at)?;
    if let Some(d) = &rule.description {
        let n = d.chars().count();
        if n > MAX_DESCRIPTION {
            return Err(at.err(
                "description",
                format!("at most {MAX_DESCRIPTION} characters (got {n})"),
            ));
        }
    }
    Ok(Compiled {
        id: rule.id.clone(),
        when: compile_conditions(&rule.when, &at)?,
        then: compile_actions(&rule.then, &at)?,
        continues: rule.continues,
    })
}

// ---------------------------------------------------------------------------------------------
// The rule set
// ---------------------------------------------------------------------------------------------

/// A tenant's validated rule set, ready to evaluate. Serializes as `{"rules": [...]}`, which
/// [`RuleSet::parse_json`] reads back.
#[derive(Clone, Debug, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    compiled: Vec<Compiled>,
}

impl RuleSet {
    /// Reads `{"rules": [...]}` (a missing `rules` is an empty rule set).
    pub fn parse_json(value: &Value) -> Result<RuleSet, RuleError> {
        let top = At { rule: "" };
        let Some(object) = value.as_object() else {
            return Err(top.err("", "a rule set is an object with a \"rules\" list"));
        };
        if let Some(key) = object.keys().find(|k| *k != "rules") {
            return Err(top.err(
                preview(key),
                "unknown field (a rule set has only \"rules\")",
            ));
        }
        let raw = match object.get("rules") {
            None => return Ok(RuleSet::default()),
            Some(Value::Array(raw)) => raw,
            Some(_) => return Err(top.err("rules", "must be a list of rules")),
        };
        if raw.len() > MAX_RULES {
            return Err(top.err(
                "rules",
                format!("at most {MAX_RULES} rules (got {})", raw.len()),
            ));
        }
        let rules = raw
            .iter()
            .enumerate()
            .map(|(i, v)| serde_path_to_error::deserialize(v).map_err(|e| serde_error(i, v, e)))
            .collect::<Result<Vec<Rule>, _>>()?;
        RuleSet::from_rules(rules)
    }

    /// Reads TOML: one `[[rules]]` table per rule.
    pub fn parse_toml(text: &str) -> Result<RuleSet, RuleError> {
        let value: Value = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map_or((0, 0), |span| {
                let before = &text[..span.start.min(text.len())];
                let line_start = before.rfind('\n').map_or(0, |i| i + 1);
                (
                    before.matches('\n').count() + 1,
                    before[line_start..].chars().count() + 1,
                )
            });
            RuleError {
                rule: String::new(),
                field: String::new(),
                message: format!(
                    "TOML syntax error at line {line}, column {column}: {}",
                    e.message()
                ),
            }
        })?;
        RuleSet::parse_json(&value)
    }

    /// Validates rules built in code (or deserialized by the caller).
    pub fn from_rules(rules: Vec<Rule>) -> Result<RuleSet, RuleError> {
        if rules.len() > MAX_RULES {
            let top = At { rule: "" };
            return Err(top.err(
                "rules",
                format!("at most {MAX_RULES} rules (got {})", rules.len()),
            ));
        }
        let regexes = rules.iter().filter(|r| r.when.regex.is_some()).count();
        if regexes > MAX_REGEXES {
            let top = At { rule: "" };
            return Err(top.err(
                "rules",
                format!("at most {MAX_REGEXES} rules with a regex (got {regexes})"),
            ));
        }
        let mut seen: HashMap<&str, usize> = HashMap::with_capacity(rules.len());
        let mut compiled = Vec::with_capacity(rules.len());
        for (i, rule) in rules.iter().enumerate() {
            let c = compile_rule(rule, i)?;
            if let Some(first) = seen.insert(&rule.id, i) {
                let at = At { rule: &rule.id };
                return Err(at.err("id", format!("duplicate id (rule #{first} has it too)")));
            }
            compiled.push(c);
        }
        Ok(RuleSet { rules, compiled })
    }

    /// The rules as written.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Decides what to do with one message.
    pub fn evaluate(&self, input: &RuleInput<'_>) -> Decision {
        let facts = Facts::new(input);
        let mut decision = Decision::default();
        for rule in &self.compiled {
            if !rule.when.holds(&facts) {
                continue;
            }
            decision.matched.push(rule.id.clone());
            for act in &rule.then {
                match act {
                    Act::Tag(tag) => {
                        if !decision.tags.contains(tag) {
                            decision.tags.push(tag.clone());
                        }
                    }
                    Act::SetProfile { field, value } => {
                        let value = value.render(&facts);
                        match decision.profile.iter_mut().find(|(f, _)| f == field) {
                            Some(slot) => slot.1 = value,
                            None => decision.profile.push((field.clone(), value)),
                        }
                    }
                    _ if decision.action.is_some() => {}
                    Act::Reply(t) => {
                        decision.action = Some(Strategy::Reply {
                            text: t.render(&facts),
                        })
                    }
                    Act::Ask(t) => {
                        decision.action = Some(Strategy::Ask {
                            question: t.render(&facts),
                        })
                    }
                    Act::Plugin(p) => {
                        decision.action = Some(Strategy::Plugin { plugin: p.clone() })
                    }
                    Act::Handoff { queue, note } => {
                        let note = note
                            .as_ref()
                            .map(|n| n.render(&facts))
                            .filter(|n| !n.trim().is_empty());
                        decision.action = Some(Strategy::Handoff {
                            queue: queue.clone(),
                            note,
                        });
                    }
                }
            }
            if !rule.continues {
                break;
            }
        }
        decision
    }
}

impl Serialize for RuleSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Wire<'a> {
            rules: &'a [Rule],
        }
        Wire { rules: &self.rules }.serialize(s)
    }
}

impl PartialEq for RuleSet {
    fn eq(&self, other: &Self) -> bool {
        self.rules == other.rules
    }
}

// ---------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------

/// What the rules see of a message.
#[derive(Clone, Copy, Debug, Default)]
pub struct RuleInput<'a> {
    /// The normalized text (N1).
    pub text: &'a str,
    /// The classified intent and its confidence.
    pub intent: Option<(&'a str, f32)>,
    /// The classification was too unsure to act on: only `intent = "fallback"` matches.
    pub fallback: bool,
    pub customer: CustomerFacts<'a>,
    /// `negative`, `neutral` or `positive`, when an analyzer judged it.
    pub sentiment: Option<&'a str>,
    pub escalate: bool,
    pub channel: &'a str,
    /// The message's time, unix milliseconds.
    pub now_ms: i64,
    /// The tenant's business hours; `None` = always open.
    pub business_hours: Option<&'a BusinessHours>,
    pub tenant_name: &'a str,
}

/// What the rules see of the customer.
#[derive(Clone, Copy, Debug)]
pub struct CustomerFacts<'a> {
    pub name: Option<&'a str>,
    pub tags: &'a [String],
    pub segment: Option<&'a str>,
    pub vip: bool,
    pub profile: &'a BTreeMap<String, String>,
}

static NO_PROFILE: BTreeMap<String, String> = BTreeMap::new();

impl Default for CustomerFacts<'_> {
    fn default() -> Self {
        CustomerFacts {
            name: None,
            tags: &[],
            segment: None,
            vip: false,
            profile: &NO_PROFILE,
        }
    }
}

/// The chosen response strategy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Strategy {
    /// Send this text.
    Reply { text: String },
    /// Ask the customer this.
    Ask { question: String },
    /// Hand the conversation to this agent queue.
    Handoff {
        queue: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// Let this respond plugin answer.
    Plugin { plugin: String },
}

/// What the rules decided for one message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Ids of the rules that matched, in order.
    pub matched: Vec<String>,
    /// The first strategy among the matched rules' actions; `None` = the rules leave the
    /// message to the default path.
    pub action: Option<Strategy>,
    /// Tags to add to the customer, without duplicates.
    pub tags: Vec<String>,
    /// Profile fields to set, in order (a field set twice keeps the later value).
    pub profile: Vec<(String, String)>,
}

/// Everything about a message worked out once, not once per rule.
struct Facts<'a> {
    input: &'a RuleInput<'a>,
    /// ASCII-lowercased text (borrowed when already lowercase).
    lower: Cow<'a, str>,
    intent_bit: u32,
    sentiment_bit: u8,
    local: LocalTime,
    open: bool,
    order_number: OnceCell<Option<String>>,
}

impl<'a> Facts<'a> {
    fn new(input: &'a RuleInput<'a>) -> Facts<'a> {
        let lower = if input.text.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(input.text.to_ascii_lowercase())
        } else {
            Cow::Borrowed(input.text)
        };
        let intent_bit = if input.fallback {
            FALLBACK_BIT
        } else {
            input
                .intent
                .and_then(|(label, _)| INTENTS.iter().position(|l| *l == label))
                .map_or(0, |i| 1 << i)
        };
        let sentiment_bit = input
            .sentiment
            .and_then(|s| SENTIMENTS.iter().position(|n| *n == s))
            .map_or(0, |i| 1 << i);
        let offset = input
            .business_hours
            .map_or(DEFAULT_OFFSET, BusinessHours::offset);
        let local = offset.local_time(input.now_ms);
        Facts {
            input,
            lower,
            intent_bit,
            sentiment_bit,
            local,
            open: input
                .business_hours
                .is_none_or(|h| h.window.contains(local)),
            order_number: OnceCell::new(),
        }
    }

    fn order_number(&self) -> Option<&str> {
        self.order_number
            .get_or_init(|| {
                extract_order_number(self.input.text)
                    .or_else(|| self.input.customer.profile.get("order_number").cloned())
            })
            .as_deref()
    }

    fn variable(&self, var: &Var) -> Option<&str> {
        let input = self.input;
        match var {
            Var::CustomerName => input.customer.name,
            Var::OrderNumber => self.order_number(),
            Var::Phone => input
                .customer
                .profile
                .get("phone")
                .map(String::as_str)
                .or_else(|| find_mobile(input.text)),
            Var::Channel => Some(input.channel),
            Var::Intent => input.intent.map(|(label, _)| label),
            Var::TenantName => Some(input.tenant_name),
            Var::Profile(field) => input.customer.profile.get(field).map(String::as_str),
        }
    }
}

impl Cond {
    /// Cheap checks first, text searches last.
    fn holds(&self, f: &Facts) -> bool {
        let input = f.input;
        let customer = &input.customer;
        let any_eq = |list: &[String], value: &str| list.iter().any(|x| x == value);
        (self.intents == 0 || self.intents & f.intent_bit != 0)
            && self
                .min_confidence
                .is_none_or(|min| input.intent.is_some_and(|(_, c)| c >= min))
            && self.vip.is_none_or(|v| v == customer.vip)
            && self.escalate.is_none_or(|e| e == input.escalate)
            && (self.sentiments == 0 || self.sentiments & f.sentiment_bit != 0)
            && self.business_hours.is_none_or(|b| b == f.open)
            && self.time.is_none_or(|w| w.contains(f.local))
            && (self.channel.is_empty() || any_eq(&self.channel, input.channel))
            && (self.segment.is_empty()
                || customer.segment.is_some_and(|s| any_eq(&self.segment, s)))
            && (self.tags_any.is_empty() || customer.tags.iter().any(|t| any_eq(&self.tags_any, t)))
            && self.profile.iter().all(|(field, want)| {
                customer.profile.get(field).map_or("", String::as_str) == want.as_str()
            })
            && !self
                .keywords_none
                .iter()
                .any(|k| f.lower.contains(k.as_str()))
            && (self.keywords_any.is_empty()
                || self
                    .keywords_any
                    .iter()
                    .any(|k| f.lower.contains(k.as_str())))
            && self
                .keywords_all
                .iter()
                .all(|k| f.lower.contains(k.as_str()))
            && self
                .has_order_number
                .is_none_or(|want| want == f.order_number().is_some())
            && self.regex.as_ref().is_none_or(|re| re.is_match(input.text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The fenced blocks of this module's docs, in order: JSON rules, TOML rules, JSON hours.
    fn doc_blocks() -> Vec<String> {
        let src = include_str!("rules.rs");
        let mut blocks = Vec::new();
        let mut current: Option<String> = None;
        for line in src.lines().take_while(|l| l.starts_with("//!")) {
            let body = line
                .strip_prefix("//! ")
                .or_else(|| line.strip_prefix("//!"))
                .unwrap_or("");
            match (&mut current, body.starts_with("```")) {
                (None, true) => current = Some(String::new()),
                (Some(_), true) => blocks.push(current.take().unwrap()),
                (Some(block), false) => {
                    block.push_str(body);
                    block.push('\n');
                }
                (None, false) => {}
            }
        }
        blocks
    }

    fn example() -> RuleSet {
        let json: Value = serde_json::from_str(&doc_blocks()[0]).unwrap();
        RuleSet::parse_json(&json).unwrap()
    }

    fn shanghai_hours() -> BusinessHours {
        serde_json::from_str(&doc_blocks()[2]).unwrap()
    }

    fn set(rules: Value) -> RuleSet {
        RuleSet::parse_json(&json!({ "rules": rules })).unwrap()
    }

    fn one(when: Value) -> RuleSet {
        set(json!([{ "id": "r", "when": when, "then": [{ "type": "tag", "tag": "hit" }] }]))
    }

    fn refused(rules: Value) -> RuleError {
        RuleSet::parse_json(&json!({ "rules": rules })).unwrap_err()
    }

    fn matches(rules: &RuleSet, input: &RuleInput) -> bool {
        !rules.evaluate(input).matched.is_empty()
    }

    fn msg(t: &str) -> RuleInput<'_> {
        RuleInput {
            text: t,
            channel: "wechat",
            ..Default::default()
        }
    }

    /// 2026-11-25T01:30:00Z, by hand: 56 years since 1970 with 14 leap days = 20 454 days to
    /// 2026-01-01, + 304 to 1 November, + 24 = day 20 782; (20 782 + 3) mod 7 = 2, a Wednesday.
    const WED_0130_UTC: i64 = 20_782 * 86_400_000 + 90 * 60_000;
    const HOUR: i64 = 3_600_000;

    #[test]
    fn parses_the_documented_json_example() {
        let rules = example();
        let ids: Vec<_> = rules.rules().iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "web-visitor",
                "refund-vip",
                "complaint",
                "course-after-hours",
                "discount",
                "order-number-missing"
            ]
        );
        assert!(rules.rules()[0].continues);
    }

    #[test]
    fn parses_the_documented_toml_example_into_the_same_rules() {
        let toml = RuleSet::parse_toml(&doc_blocks()[1]).unwrap();
        assert_eq!(toml, example());
    }

    #[test]
    fn parses_the_documented_business_hours() {
        let hours = shanghai_hours();
        assert_eq!(hours.offset().minutes(), 480);
        assert_eq!(hours.config().days, ["mon-sat"]);
    }

    #[test]
    fn serializes_back_to_json_that_parses_to_the_same_rules() {
        let rules = example();
        let again = RuleSet::parse_json(&serde_json::to_value(&rules).unwrap()).unwrap();
        assert_eq!(again, rules);
    }

    #[test]
    fn the_example_hands_vip_refunds_to_vip_care_with_a_note_and_a_profile_field() {
        let rules = example();
        let customer = CustomerFacts {
            name: Some("王女士"),
            vip: true,
            ..Default::default()
        };
        let input = RuleInput {
            text: "网课不想上了，订单 DD2026112500017 退款",
            intent: Some(("refund_request", 0.9)),
            customer,
            channel: "web",
            ..Default::default()
        };
        let d = rules.evaluate(&input);
        assert_eq!(d.matched, ["web-visitor", "refund-vip"]);
        assert_eq!(
            d.action,
            Some(Strategy::Handoff {
                queue: "vip-care".into(),
                note: Some("VIP 王女士 要退款，订单 DD2026112500017".into())
            })
        );
        assert_eq!(d.tags, ["官网用户"]);
        assert_eq!(
            d.profile,
            [("last_refund_order".to_owned(), "DD2026112500017".to_owned())]
        );
    }

    #[test]
    fn the_example_answers_course_questions_after_hours_and_asks_for_missing_order_numbers() {
        let rules = example();
        let hours = shanghai_hours();
        // 23:30 in Shanghai (15:30 UTC): closed.
        let late = RuleInput {
            text: "新概念英语一共几册",
            intent: Some(("course_inquiry", 0.8)),
            now_ms: WED_0130_UTC + 14 * HOUR,
            business_hours: Some(&hours),
            channel: "wechat",
            ..Default::default()
        };
        let d = rules.evaluate(&late);
        assert_eq!(d.matched, ["course-after-hours"]);
        let Some(Strategy::Reply { text }) = d.action else {
            panic!("{d:?}")
        };
        assert!(text.starts_with("您好，课程顾问"), "{text}");
        // 09:30 in Shanghai: open, no rule.
        let open = RuleInput {
            now_ms: WED_0130_UTC,
            ..late
        };
        assert_eq!(rules.evaluate(&open), Decision::default());

        let tracking = RuleInput {
            text: "教材到哪了",
            intent: Some(("order_tracking", 0.9)),
            ..msg("")
        };
        let d = rules.evaluate(&tracking);
        assert_eq!(
            d.action,
            Some(Strategy::Ask {
                question: "您好，请发一下订单号，我马上帮您查。".into()
            })
        );
        let with_number = RuleInput {
            text: "教材 SF1234567890 到哪了",
            ..tracking
        };
        assert!(rules.evaluate(&with_number).matched.is_empty());
    }

    #[test]
    fn the_example_routes_complaints_and_discounts() {
        let rules = example();
        let d = rules.evaluate(&msg("我要投诉你们老师"));
        assert_eq!(
            d.action,
            Some(Strategy::Handoff {
                queue: "store-manager".into(),
                note: None
            })
        );
        assert_eq!(d.tags, ["投诉客户"]);
        let d = rules.evaluate(&msg("老学员续报有优惠吗"));
        assert_eq!(
            d.action,
            Some(Strategy::Plugin {
                plugin: "edu-skill-pack".into()
            })
        );
    }

    // --- validation -------------------------------------------------------------------------

    fn assert_refused(e: &RuleError, rule: &str, field: &str, message_part: &str) {
        assert_eq!((e.rule.as_str(), e.field.as_str()), (rule, field), "{e}");
        assert!(e.message.contains(message_part), "{e}");
    }

    #[test]
    fn refuses_an_unknown_intent_naming_rule_and_field() {
        let e = refused(
            json!([{ "id": "refund-vip", "when": { "intent": ["refnd"] }, "then": [{ "type": "tag", "tag": "x" }] }]),
        );
        assert_eq!(
            e.to_string(),
            r#"rule "refund-vip", field "when.intent[0]": unknown intent "refnd" (one of the 27 labels of intents.md, or "fallback")"#
        );
    }

    #[test]
    fn refuses_a_bad_regex_and_a_huge_one() {
        let e = refused(
            json!([{ "id": "a", "when": { "regex": "退款(" }, "then": [{ "type": "tag", "tag": "x" }] }]),
        );
        assert_refused(&e, "a", "when.regex", "invalid regex");
        let e = refused(
            json!([{ "id": "b", "when": { "regex": r"(\w{100}){100}" }, "then": [{ "type": "tag", "tag": "x" }] }]),
        );
        assert_refused(&e, "b", "when.regex", "size limit");
    }

    #[test]
    fn accepts_ordinary_regexes_within_the_size_limit() {
        let rules = one(json!({ "regex": r"(?i)(退款|退钱|refund)\s*.{0,20}\d{6,}" }));
        one(json!({ "regex": r"JD\w{8,}" }));
        assert!(matches(&rules, &msg("REFUND 订单 123456")));
        assert!(!matches(&rules, &msg("退款")));
    }

    #[test]
    fn refuses_unknown_template_variables_and_unclosed_braces() {
        let e = refused(
            json!([{ "id": "a", "then": [{ "type": "tag", "tag": "x" }, { "type": "reply", "template": "您好 {{custmer_name}}" }] }]),
        );
        assert_refused(
            &e,
            "a",
            "then[1].template",
            "unknown template variable \"custmer_name\"",
        );
        let e = refused(
            json!([{ "id": "a", "then": [{ "type": "handoff", "queue": "q", "note": "{{phone" }] }]),
        );
        assert_refused(&e, "a", "then[0].note", "unclosed");
        let e = refused(
            json!([{ "id": "a", "then": [{ "type": "set_profile", "field": "f", "value": "{{profile.}}" }] }]),
        );
        assert_refused(&e, "a", "then[0].value", "unknown template variable");
    }

    #[test]
    fn refuses_bad_times_and_days() {
        let rule = |time: Value| json!([{ "id": "t", "when": { "time": time }, "then": [{ "type": "tag", "tag": "x" }] }]);
        let e = refused(rule(json!({ "from": "25:00", "to": "10:00" })));
        assert_refused(&e, "t", "when.time.from", "invalid time \"25:00\"");
        let e = refused(rule(json!({ "from": "09:00", "to": "9.30" })));
        assert_refused(&e, "t", "when.time.to", "invalid time");
        let e = refused(rule(json!({ "from": "09:00", "to": "09:00" })));
        assert_refused(&e, "t", "when.time.to", "empty");
        let e = refused(rule(
            json!({ "days": ["mon", "funday"], "from": "09:00", "to": "10:00" }),
        ));
        assert_refused(&e, "t", "when.time.days[1]", "unknown day \"funday\"");
        let e = refused(rule(json!({ "from": "24:00", "to": "10:00" })));
        assert_refused(&e, "t", "when.time.from", "invalid time");
    }

    #[test]
    fn refuses_a_duplicate_id_naming_the_first() {
        let e = refused(json!([
            { "id": "a", "then": [{ "type": "tag", "tag": "x" }] },
            { "id": "b", "then": [{ "type": "tag", "tag": "x" }] },
            { "id": "a", "then": [{ "type": "tag", "tag": "y" }] }
        ]));
        assert_refused(&e, "a", "id", "duplicate id (rule #0");
    }

    #[test]
    fn refuses_unknown_fields_with_their_path() {
        let e = refused(json!([{ "id": "a", "when": { "intnt": ["complaint"] }, "then": [] }]));
        assert_refused(&e, "a", "when.intnt", "unknown field `intnt`");
        let e = refused(json!([{ "id": "a", "then": [{ "type": "reply", "tmpl": "hi" }] }]));
        assert_refused(&e, "a", "then[0].tmpl", "unknown field `tmpl`");
        let e = refused(json!([{ "id": "a", "thn": [] }]));
        assert_refused(&e, "a", "thn", "unknown field");
        let e = RuleSet::parse_json(&json!({ "rules": [], "version": 2 })).unwrap_err();
        assert_refused(&e, "", "version", "unknown field");
    }

    #[test]
    fn refuses_an_unknown_action_type() {
        let e = refused(
            json!([{ "id": "a", "then": [{ "type": "tag", "tag": "x" }, { "type": "email", "to": "x" }] }]),
        );
        assert_refused(&e, "a", "then[1].type", "unknown variant `email`");
    }

    #[test]
    fn names_rules_without_an_id_by_index_and_reports_wrong_types() {
        let e = refused(
            json!([{ "id": "a", "then": [{ "type": "tag", "tag": "x" }] }, { "then": [{ "type": "tag", "tag": "x" }] }]),
        );
        assert_refused(&e, "#1", "id", "missing field `id`");
        let e = refused(json!([{ "id": "a", "when": { "min_confidence": "high" }, "then": [] }]));
        assert_refused(&e, "a", "when.min_confidence", "invalid type");
        let e =
            refused(json!([{ "id": "a", "when": { "keywords_any": ["退款", 3] }, "then": [] }]));
        assert_refused(&e, "a", "when.keywords_any[1]", "invalid type");
        let e = refused(json!([{ "id": "a", "then": [{ "type": "handoff" }] }]));
        assert_refused(&e, "a", "then[0].queue", "missing field `queue`");
    }

    #[test]
    fn refuses_a_bad_timezone_in_business_hours() {
        let config = BusinessHoursConfig {
            timezone: "Asia/Shangai".into(),
            days: vec![],
            from: "09:00".into(),
            to: "18:00".into(),
        };
        let e = BusinessHours::new(config).unwrap_err();
        assert_refused(
            &e,
            "",
            "business_hours.timezone",
            "unknown time zone \"Asia/Shangai\"",
        );
        assert!(
            e.to_string()
                .starts_with(r#"field "business_hours.timezone": unknown time zone"#)
        );
        let e = serde_json::from_value::<BusinessHours>(
            json!({ "timezone": "America/New_York", "from": "09:00", "to": "18:00" }),
        )
        .unwrap_err();
        assert!(e.to_string().contains("unknown time zone"), "{e}");
        let e = serde_json::from_value::<BusinessHours>(
            json!({ "timezone": "UTC+8", "days": ["mon-xyz"], "from": "09:00", "to": "18:00" }),
        )
        .unwrap_err();
        assert!(e.to_string().contains("business_hours.days[0]"), "{e}");
    }

    #[test]
    fn refuses_out_of_range_values_and_empty_strings() {
        let tag = json!([{ "type": "tag", "tag": "x" }]);
        let e = refused(json!([{ "id": "a", "when": { "min_confidence": 1.5 }, "then": tag }]));
        assert_refused(&e, "a", "when.min_confidence", "between 0 and 1");
        let e =
            refused(json!([{ "id": "a", "when": { "keywords_any": ["退款", " "] }, "then": tag }]));
        assert_refused(&e, "a", "when.keywords_any[1]", "must not be empty");
        let e = refused(
            json!([{ "id": "a", "when": { "keywords_all": ["长".repeat(101)] }, "then": tag }]),
        );
        assert_refused(&e, "a", "when.keywords_all[0]", "at most 100 characters");
        let e = refused(json!([{ "id": "a", "when": { "sentiment": ["angry"] }, "then": tag }]));
        assert_refused(&e, "a", "when.sentiment[0]", "unknown sentiment");
        let e = refused(
            json!([{ "id": "a", "then": [{ "type": "reply", "template": "好".repeat(2001) }] }]),
        );
        assert_refused(&e, "a", "then[0].template", "at most 2000 characters");
        let e = refused(json!([{ "id": "a", "then": [{ "type": "reply", "template": "  " }] }]));
        assert_refused(&e, "a", "then[0].template", "must not be empty");
        let e = refused(json!([{ "id": "a", "then": [] }]));
        assert_refused(&e, "a", "then", "at least one action");
        let e = refused(json!([{ "id": "Refund VIP", "then": tag }]));
        assert_refused(&e, "Refund VIP", "id", "not a valid name");
        let e =
            refused(json!([{ "id": "a", "then": [{ "type": "plugin", "plugin": "Edu Pack" }] }]));
        assert_refused(&e, "a", "then[0].plugin", "not a plugin id");
        let e = refused(json!([{ "id": "a", "then": [{ "type": "handoff", "queue": "" }] }]));
        assert_refused(&e, "a", "then[0].queue", "not a valid name");
    }

    #[test]
    fn refuses_two_strategies_in_one_rule() {
        let e = refused(json!([{ "id": "a", "then": [
            { "type": "reply", "template": "hi" }, { "type": "tag", "tag": "x" }, { "type": "handoff", "queue": "q" }
        ] }]));
        assert_refused(
            &e,
            "a",
            "then[2]",
            "at most one reply, plugin, ask or handoff action (then[0]",
        );
    }

    #[test]
    fn refuses_more_than_500_rules() {
        let rules: Vec<Value> = (0..501)
            .map(|i| json!({ "id": format!("r{i}"), "then": [{ "type": "tag", "tag": "x" }] }))
            .collect();
        let e = refused(Value::Array(rules));
        assert_refused(&e, "", "rules", "at most 500 rules");
    }

    #[test]
    fn refuses_more_than_32_regexes() {
        let rules: Vec<Value> = (0..33)
            .map(|i| json!({ "id": format!("r{i}"), "when": { "regex": "退款" }, "then": [{ "type": "tag", "tag": "x" }] }))
            .collect();
        let e = refused(Value::Array(rules));
        assert_refused(&e, "", "rules", "at most 32 rules with a regex");
    }

    #[test]
    fn refuses_toml_syntax_errors_with_the_line() {
        let e = RuleSet::parse_toml("[[rules]]\nid = \"a\nthen = []\n").unwrap_err();
        assert!(e.message.starts_with("TOML syntax error at line 2"), "{e}");
        let e = RuleSet::parse_toml(
            "[[rules]]\nid = \"a\"\nthen = [{ type = \"tag\", tag = \"x\" }]\nprio = 1\n",
        )
        .unwrap_err();
        assert_refused(&e, "a", "prio", "unknown field");
    }

    #[test]
    fn accepts_an_empty_rule_set_and_decides_nothing() {
        let rules = RuleSet::parse_toml("").unwrap();
        assert!(rules.is_empty());
        assert_eq!(rules.evaluate(&msg("你好")), Decision::default());
    }

    // --- evaluation order -------------------------------------------------------------------

    fn ordered(continue_first: bool) -> RuleSet {
        set(json!([
            { "id": "tag-web", "when": { "channel": "web" }, "then": [{ "type": "tag", "tag": "官网用户" }], "continue": true },
            { "id": "refund", "when": { "keywords_any": ["退款"] },
              "then": [{ "type": "reply", "template": "退款请提供订单号" }, { "type": "tag", "tag": "退款" }],
              "continue": continue_first },
            { "id": "angry", "when": { "sentiment": "negative" },
              "then": [{ "type": "handoff", "queue": "care" }, { "type": "tag", "tag": "不满" },
                       { "type": "set_profile", "field": "mood", "value": "angry" }] },
            { "id": "never", "then": [{ "type": "tag", "tag": "never" }] }
        ]))
    }

    #[test]
    fn the_first_matching_rule_wins_and_stops_evaluation() {
        let input = RuleInput {
            text: "我要退款",
            sentiment: Some("negative"),
            channel: "web",
            ..Default::default()
        };
        let d = ordered(false).evaluate(&input);
        assert_eq!(d.matched, ["tag-web", "refund"]);
        assert_eq!(
            d.action,
            Some(Strategy::Reply {
                text: "退款请提供订单号".into()
            })
        );
        assert_eq!(d.tags, ["官网用户", "退款"]);
        assert!(d.profile.is_empty());
    }

    #[test]
    fn continue_accumulates_tags_and_profile_but_keeps_the_first_strategy() {
        let input = RuleInput {
            text: "我要退款",
            sentiment: Some("negative"),
            channel: "web",
            ..Default::default()
        };
        let d = ordered(true).evaluate(&input);
        assert_eq!(d.matched, ["tag-web", "refund", "angry"]);
        assert_eq!(
            d.action,
            Some(Strategy::Reply {
                text: "退款请提供订单号".into()
            })
        );
        assert_eq!(d.tags, ["官网用户", "退款", "不满"]);
        assert_eq!(d.profile, [("mood".to_owned(), "angry".to_owned())]);
    }

    #[test]
    fn a_rule_without_conditions_always_matches() {
        let d = ordered(false).evaluate(&msg("在吗"));
        assert_eq!(d.matched, ["never"]);
        assert_eq!(d.tags, ["never"]);
    }

    #[test]
    fn a_later_set_profile_of_the_same_field_wins() {
        let rules = set(json!([
            { "id": "a", "then": [{ "type": "set_profile", "field": "stage", "value": "one" }], "continue": true },
            { "id": "b", "then": [{ "type": "set_profile", "field": "stage", "value": "two" }] }
        ]));
        assert_eq!(
            rules.evaluate(&msg("x")).profile,
            [("stage".to_owned(), "two".to_owned())]
        );
    }

    // --- conditions -------------------------------------------------------------------------

    #[test]
    fn intent_condition_matches_listed_labels_and_fallback() {
        let rules = one(json!({ "intent": ["complaint", "refund_request"] }));
        let refund = RuleInput {
            intent: Some(("refund_request", 0.5)),
            ..msg("")
        };
        assert!(matches(&rules, &refund));
        assert!(!matches(
            &rules,
            &RuleInput {
                intent: Some(("greeting", 0.9)),
                ..msg("")
            }
        ));
        assert!(!matches(&rules, &msg("")));
        // An unsure classification matches only "fallback", never its label.
        assert!(!matches(
            &rules,
            &RuleInput {
                fallback: true,
                ..refund
            }
        ));
        let fallback = one(json!({ "intent": "fallback" }));
        assert!(matches(
            &fallback,
            &RuleInput {
                fallback: true,
                ..refund
            }
        ));
        assert!(!matches(&fallback, &refund));
    }

    #[test]
    fn min_confidence_needs_an_intent_at_least_that_sure() {
        let rules = one(json!({ "min_confidence": 0.7 }));
        assert!(matches(
            &rules,
            &RuleInput {
                intent: Some(("complaint", 0.7)),
                ..msg("")
            }
        ));
        assert!(!matches(
            &rules,
            &RuleInput {
                intent: Some(("complaint", 0.69)),
                ..msg("")
            }
        ));
        assert!(!matches(&rules, &msg("")));
    }

    #[test]
    fn keyword_conditions_are_substrings_and_ascii_case_insensitive() {
        let any = one(json!({ "keywords_any": ["VIP", "退款"] }));
        assert!(matches(&any, &msg("我是vip会员")));
        assert!(matches(&any, &msg("能退款吗")));
        assert!(!matches(&any, &msg("能退货吗")));
        let all = one(json!({ "keywords_all": ["app", "闪退"] }));
        assert!(matches(&all, &msg("APP一打开就闪退")));
        assert!(!matches(&all, &msg("app打不开")));
        let none = one(json!({ "keywords_any": "投诉", "keywords_none": ["不是投诉", "不投诉"] }));
        assert!(matches(&none, &msg("我要投诉")));
        assert!(!matches(&none, &msg("我不是投诉，只是建议")));
    }

    #[test]
    fn regex_matches_the_text_as_written() {
        let rules = one(json!({ "regex": r"^退\S{0,2}款" }));
        assert!(matches(&rules, &msg("退个款")));
        assert!(!matches(&rules, &msg("我要退款")));
        let case = one(json!({ "regex": "Refund" }));
        assert!(!matches(&case, &msg("refund please")));
    }

    #[test]
    fn customer_conditions_match_tags_segment_vip_and_profile() {
        let tags = vec!["老学员".to_owned(), "官网用户".to_owned()];
        let mut profile = BTreeMap::new();
        profile.insert("grade".to_owned(), "五年级".to_owned());
        let customer = CustomerFacts {
            tags: &tags,
            segment: Some("k12_parent"),
            vip: true,
            profile: &profile,
            ..Default::default()
        };
        let known = RuleInput {
            customer,
            ..msg("")
        };
        let cases = [
            (json!({ "customer_tags_any": ["老学员", "转介绍"] }), true),
            (json!({ "customer_tags_any": "转介绍" }), false),
            (json!({ "segment": ["k12_parent"] }), true),
            (json!({ "segment": ["adult"] }), false),
            (json!({ "vip": true }), true),
            (json!({ "vip": false }), false),
            (json!({ "profile": { "grade": "五年级" } }), true),
            (json!({ "profile": { "grade": "六年级" } }), false),
            (json!({ "profile": { "city": "" } }), true),
        ];
        for (when, expected) in cases {
            assert_eq!(matches(&one(when.clone()), &known), expected, "{when}");
        }
        // A customer we know nothing about.
        assert!(!matches(
            &one(json!({ "segment": ["k12_parent"] })),
            &msg("")
        ));
        assert!(!matches(
            &one(json!({ "customer_tags_any": ["老学员"] })),
            &msg("")
        ));
        assert!(matches(&one(json!({ "vip": false })), &msg("")));
    }

    #[test]
    fn sentiment_escalate_and_channel_conditions_match() {
        let negative = RuleInput {
            sentiment: Some("negative"),
            escalate: true,
            channel: "wecom",
            ..Default::default()
        };
        assert!(matches(
            &one(json!({ "sentiment": ["negative", "neutral"] })),
            &negative
        ));
        assert!(!matches(
            &one(json!({ "sentiment": ["positive"] })),
            &negative
        ));
        assert!(!matches(
            &one(json!({ "sentiment": ["negative"] })),
            &msg("")
        ));
        assert!(matches(&one(json!({ "escalate": true })), &negative));
        assert!(!matches(&one(json!({ "escalate": false })), &negative));
        assert!(matches(
            &one(json!({ "channel": ["wechat-oa", "wecom"] })),
            &negative
        ));
        assert!(!matches(&one(json!({ "channel": "web" })), &negative));
    }

    #[test]
    fn has_order_number_looks_in_the_text() {
        let rules = one(json!({ "has_order_number": true }));
        assert!(matches(&rules, &msg("单号JD0123456789查一下")));
        assert!(!matches(&rules, &msg("我的手机13812345678")));
        assert!(matches(
            &one(json!({ "has_order_number": false })),
            &msg("查一下物流")
        ));
    }

    // --- time -------------------------------------------------------------------------------

    #[test]
    fn converts_a_utc_instant_to_shanghai_local_time() {
        let sh = UtcOffset::parse("Asia/Shanghai").unwrap();
        // Wednesday 09:30 in Shanghai.
        assert_eq!(
            sh.local_time(WED_0130_UTC),
            LocalTime {
                weekday: 2,
                minute: 9 * 60 + 30
            }
        );
        assert_eq!(
            UtcOffset::UTC.local_time(WED_0130_UTC),
            LocalTime {
                weekday: 2,
                minute: 90
            }
        );
        // 17:00 UTC on Wednesday is 01:00 on Thursday in Shanghai.
        assert_eq!(
            sh.local_time(WED_0130_UTC + 15 * HOUR + 30 * 60_000),
            LocalTime {
                weekday: 3,
                minute: 60
            }
        );
        // Before 1970: 1969-12-31T23:00Z was a Wednesday, 07:00 on Thursday in Shanghai.
        assert_eq!(
            UtcOffset::UTC.local_time(-HOUR),
            LocalTime {
                weekday: 2,
                minute: 23 * 60
            }
        );
        assert_eq!(
            sh.local_time(-HOUR),
            LocalTime {
                weekday: 3,
                minute: 7 * 60
            }
        );
    }

    #[test]
    fn parses_named_zones_and_explicit_offsets() {
        let minutes = |s: &str| UtcOffset::parse(s).map(UtcOffset::minutes);
        assert_eq!(minutes("Asia/Hong_Kong"), Some(480));
        assert_eq!(minutes("asia/tokyo"), Some(540));
        assert_eq!(minutes("UTC"), Some(0));
        assert_eq!(minutes("UTC+8"), Some(480));
        assert_eq!(minutes("UTC+08:00"), Some(480));
        assert_eq!(minutes("+08:00"), Some(480));
        assert_eq!(minutes("+0800"), Some(480));
        assert_eq!(minutes("GMT-5"), Some(-300));
        assert_eq!(minutes("+05:30"), Some(330));
        for bad in [
            "America/New_York",
            "Europe/Berlin",
            "UTC+15",
            "+08:60",
            "8",
            "UTC+",
            "+8:0",
            "",
        ] {
            assert_eq!(minutes(bad), None, "{bad}");
        }
    }

    #[test]
    fn business_hours_follow_weekdays_in_the_tenant_zone() {
        let hours = shanghai_hours(); // mon-sat 09:00-21:00, Asia/Shanghai
        assert!(hours.is_open(WED_0130_UTC)); // Wed 09:30
        assert!(!hours.is_open(WED_0130_UTC - HOUR)); // Wed 08:30
        assert!(hours.is_open(WED_0130_UTC + 11 * HOUR)); // Wed 20:30
        assert!(!hours.is_open(WED_0130_UTC + 11 * HOUR + 30 * 60_000)); // Wed 21:00
        assert!(hours.is_open(WED_0130_UTC + 3 * 24 * HOUR)); // Sat 09:30
        assert!(!hours.is_open(WED_0130_UTC + 4 * 24 * HOUR)); // Sun 09:30
    }

    #[test]
    fn business_hours_across_midnight_belong_to_the_day_they_start() {
        let night = BusinessHours::new(BusinessHoursConfig {
            timezone: "Asia/Shanghai".into(),
            days: vec!["fri".into(), "sat".into()],
            from: "18:00".into(),
            to: "02:00".into(),
        })
        .unwrap();
        let fri_0930 = WED_0130_UTC + 2 * 24 * HOUR;
        assert!(!night.is_open(fri_0930));
        assert!(night.is_open(fri_0930 + 9 * HOUR)); // Fri 18:30
        assert!(night.is_open(fri_0930 + 16 * HOUR)); // Sat 01:30, Friday's night
        assert!(!night.is_open(fri_0930 + 17 * HOUR)); // Sat 02:30
        assert!(night.is_open(fri_0930 + 40 * HOUR)); // Sun 01:30, Saturday's night
        assert!(!night.is_open(fri_0930 + 64 * HOUR)); // Mon 01:30: Sunday is closed
        assert!(!night.is_open(fri_0930 - 32 * HOUR)); // Fri 01:30: Thursday is closed
    }

    #[test]
    fn business_hours_condition_uses_the_tenant_hours_and_treats_none_as_open() {
        let hours = shanghai_hours();
        let inside = one(json!({ "business_hours": true }));
        let outside = one(json!({ "business_hours": false }));
        let at = |now_ms| RuleInput {
            now_ms,
            business_hours: Some(&hours),
            ..msg("")
        };
        assert!(matches(&inside, &at(WED_0130_UTC)));
        assert!(!matches(&outside, &at(WED_0130_UTC)));
        assert!(matches(&outside, &at(WED_0130_UTC - 2 * HOUR)));
        let always = RuleInput {
            now_ms: WED_0130_UTC - 2 * HOUR,
            ..msg("")
        };
        assert!(matches(&inside, &always));
        assert!(!matches(&outside, &always));
    }

    #[test]
    fn time_windows_use_the_tenant_zone_or_china_time() {
        let lunch = one(json!({ "time": { "days": ["mon-fri"], "from": "12:00", "to": "13:30" } }));
        let wed_1230_cst = WED_0130_UTC + 3 * HOUR;
        assert!(matches(
            &lunch,
            &RuleInput {
                now_ms: wed_1230_cst,
                ..msg("")
            }
        ));
        assert!(!matches(
            &lunch,
            &RuleInput {
                now_ms: wed_1230_cst + 4 * 24 * HOUR,
                ..msg("")
            }
        )); // Sunday
        let tokyo = BusinessHours::new(BusinessHoursConfig {
            timezone: "Asia/Tokyo".into(),
            days: vec![],
            from: "00:00".into(),
            to: "24:00".into(),
        })
        .unwrap();
        // 12:30 in Shanghai is 13:30 in Tokyo: the window has just closed.
        assert!(!matches(
            &lunch,
            &RuleInput {
                now_ms: wed_1230_cst,
                business_hours: Some(&tokyo),
                ..msg("")
            }
        ));
        let late = one(json!({ "time": { "from": "22:00", "to": "06:00" } }));
        assert!(matches(
            &late,
            &RuleInput {
                now_ms: WED_0130_UTC - 4 * HOUR,
                ..msg("")
            }
        )); // 05:30
        assert!(!matches(
            &late,
            &RuleInput {
                now_ms: WED_0130_UTC,
                ..msg("")
            }
        )); // 09:30
    }

    #[test]
    fn a_window_ending_at_midnight_can_say_00_00_or_24_00() {
        let at = |h: i64| RuleInput {
            now_ms: WED_0130_UTC - 90 * 60_000 + (h - 8) * HOUR,
            ..msg("")
        }; // Wed h:00 in Shanghai
        for to in ["00:00", "24:00"] {
            let evening = one(json!({ "time": { "days": "wed", "from": "22:00", "to": to } }));
            assert!(!matches(&evening, &at(21)), "{to}");
            assert!(matches(&evening, &at(23)), "{to}");
            assert!(!matches(&evening, &at(24)), "{to}"); // Thursday 00:00
        }
    }

    #[test]
    fn day_ranges_may_wrap_around_the_week() {
        assert_eq!(parse_days("mon-fri"), Some(0b001_1111));
        assert_eq!(parse_days("sat-mon"), Some(0b110_0001));
        assert_eq!(parse_days("SUN"), Some(0b100_0000));
        assert_eq!(parse_days("mon-"), None);
    }

    // --- templates and extraction -----------------------------------------------------------

    fn render(template: &str, input: &RuleInput) -> String {
        let rules =
            set(json!([{ "id": "r", "then": [{ "type": "reply", "template": template }] }]));
        match rules.evaluate(input).action {
            Some(Strategy::Reply { text }) => text,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn templates_fill_variables_and_fall_back_to_defaults() {
        let mut profile = BTreeMap::new();
        profile.insert("course".to_owned(), "新概念英语二册".to_owned());
        profile.insert("phone".to_owned(), "+8613900001111".to_owned());
        let customer = CustomerFacts {
            name: Some("李同学"),
            profile: &profile,
            ..Default::default()
        };
        let input = RuleInput {
            text: "订单号 1234567890123 的教材",
            intent: Some(("order_tracking", 0.9)),
            customer,
            channel: "wechat-oa",
            tenant_name: "新东方",
            ..Default::default()
        };
        assert_eq!(
            render(
                "{{customer_name|您}}好，{{tenant_name}}收到（{{intent}}/{{channel}}）：{{ order_number }}，{{profile.course}}，{{phone}}",
                &input
            ),
            "李同学好，新东方收到（order_tracking/wechat-oa）：1234567890123，新概念英语二册，+8613900001111"
        );
        let stranger = RuleInput {
            text: "在吗 +8613812345678",
            ..msg("")
        };
        assert_eq!(
            render(
                "{{customer_name|您好}}！{{profile.course|课程}} {{order_number}}|{{phone|无}}",
                &stranger
            ),
            "您好！课程 |+8613812345678"
        );
        assert_eq!(render("{{customer_name}}请稍等", &msg("")), "请稍等");
        // Plain text: nothing is escaped, lone braces stay.
        assert_eq!(render("<b>{x}</b> & }}", &msg("")), "<b>{x}</b> & }}");
    }

    #[test]
    fn handoff_notes_and_profile_values_are_templates() {
        let rules = set(json!([{ "id": "h", "then": [
            { "type": "set_profile", "field": "last_order", "value": "{{order_number|无}}" },
            { "type": "handoff", "queue": "care", "note": "{{order_number}}" }
        ] }]));
        let d = rules.evaluate(&msg("退款"));
        assert_eq!(d.profile, [("last_order".to_owned(), "无".to_owned())]);
        // A note that renders empty is no note.
        assert_eq!(
            d.action,
            Some(Strategy::Handoff {
                queue: "care".into(),
                note: None
            })
        );
    }

    #[test]
    fn extracts_order_numbers_but_not_phone_numbers() {
        let cases = [
            ("订单号1234567890请查一下", Some("1234567890")),
            ("顺丰 SF1234567890123 到哪了", Some("SF1234567890123")),
            ("京东单号JDVA01234567", Some("JDVA01234567")),
            ("jdx000123456789", Some("jdx000123456789")),
            ("订单DD20231125001，电话13812345678", Some("DD20231125001")),
            (
                "电话13812345678，订单 98765432101234",
                Some("98765432101234"),
            ),
            ("+8613812345678 找一下", None),
            ("8613812345678", None),
            ("123456789 不够长", None),
            ("iPhone15ProMax 256GB", None),
            ("20231125 下的单", None),
            ("没有单号", None),
            ("", None),
        ];
        for (text, expected) in cases {
            assert_eq!(extract_order_number(text).as_deref(), expected, "{text}");
        }
    }

    #[test]
    fn order_number_falls_back_to_the_profile() {
        let mut profile = BTreeMap::new();
        profile.insert("order_number".to_owned(), "E2026000001".to_owned());
        let customer = CustomerFacts {
            profile: &profile,
            ..Default::default()
        };
        assert_eq!(
            render(
                "{{order_number}}",
                &RuleInput {
                    customer,
                    ..msg("到哪了")
                }
            ),
            "E2026000001"
        );
        assert_eq!(
            render(
                "{{order_number}}",
                &RuleInput {
                    customer,
                    ..msg("SF1234567890")
                }
            ),
            "SF1234567890"
        );
    }
}
