//! The education skill pack's logic, free of the SDK so it can be tested natively.
//!
//! [`analyze`] reads the learner's age or grade from a message and writes the K12 segment back
//! as annotations; [`Tenant::respond`] picks a script from the library, fills its variables
//! from the tenant's catalog and the customer, and answers — or stays silent so the host's
//! other responders can.

pub mod catalog;
pub mod config;
pub mod lexicon;
pub mod scripts;
pub mod segment;
pub mod template;
pub mod text;
pub mod words;

use std::cell::OnceCell;
use std::collections::HashMap;

use catalog::{Prepared, Selection};
use config::{Course, EduConfig};
use scripts::{Library, ScriptError};
use segment::{Grade, Learner, Segment};

/// Annotation written with the customer's segment (the host copies it onto the customer).
pub const ANN_SEGMENT: &str = "customer.segment";
/// Annotation written with the child's age in years.
pub const ANN_CHILD_AGE: &str = "customer.profile.child_age";
/// Annotation written with the child's grade (`小学三年级`, `初二`).
pub const ANN_CHILD_GRADE: &str = "customer.profile.child_grade";
/// Tag added to a customer who asks about a child.
pub const TAG_K12_PARENT: &str = "k12_parent";

/// Appended to the text a script is matched against when the message names a subject or a
/// course (keyword `#科目`).
pub const CUE_SUBJECT: &str = "\u{1}#科目";
/// Appended when the message states the learner's age or grade (keyword `#学员`).
pub const CUE_LEARNER: &str = "\u{1}#学员";

/// The script whose answer leads a reply with the returning-student offer.
pub const RETURNING_LEAD_SCRIPT: &str = "promo.returning_lead";

/// What a hook sees, in plain types.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub text: String,
    pub customer_name: Option<String>,
    pub tags: Vec<String>,
    pub segment: Option<String>,
    pub profile: Vec<(String, String)>,
    /// Ranked intents, best first.
    pub intents: Vec<(String, f32)>,
    /// Annotations left by earlier stages (including this plugin's analyze).
    pub annotations: Vec<(String, String)>,
    /// Earlier customer turns of the conversation, oldest first.
    pub history: Vec<String>,
}

impl Request {
    fn profile(&self, key: &str) -> Option<&str> {
        self.profile
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.trim().is_empty())
    }

    fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.trim().is_empty())
    }
}

/// The analyze hook's result.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Analysis {
    pub tags: Vec<String>,
    pub annotations: Vec<(String, String)>,
}

/// Reads the learner from the message and returns the segment annotations and tags. A message
/// that says nothing about the learner changes nothing (the stored segment stays).
pub fn analyze(req: &Request) -> Analysis {
    let learner = segment::detect(&req.text);
    let mut out = Analysis::default();
    if let Some(seg) = learner.segment() {
        out.annotations
            .push((ANN_SEGMENT.into(), seg.as_str().into()));
        if learner.child {
            if let Some(age) = learner.age.filter(|a| *a < 18.0) {
                out.annotations
                    .push((ANN_CHILD_AGE.into(), segment::format_age(age)));
            }
            if let Some(g) = &learner.grade {
                out.annotations
                    .push((ANN_CHILD_GRADE.into(), g.label.clone()));
            }
        }
    }
    if learner.child {
        out.tags.push(TAG_K12_PARENT.into());
    }
    out
}

/// What the learner is, from the freshest source that says: the message, this turn's
/// annotations, earlier turns, the stored profile, the stored segment.
pub fn learner_of(req: &Request) -> Learner {
    learner_given(req, segment::detect(&req.text))
}

/// [`learner_of`], given what the message itself says (`now`).
fn learner_given(req: &Request, now: Learner) -> Learner {
    if now.is_known() {
        return now;
    }
    let from_annotations = segment::from_profile(
        req.annotation(ANN_CHILD_GRADE),
        req.annotation(ANN_CHILD_AGE),
    );
    if from_annotations.is_known() {
        return from_annotations;
    }
    for turn in req.history.iter().rev() {
        let l = segment::detect(turn);
        if l.is_known() {
            return l;
        }
    }
    let stored = segment::from_profile(req.profile("child_grade"), req.profile("child_age"));
    if stored.is_known() {
        return stored;
    }
    let seg = req
        .annotation(ANN_SEGMENT)
        .or(req.segment.as_deref())
        .and_then(Segment::parse);
    match seg {
        Some(s) => {
            let (min, max) = s.grades();
            let label = match s {
                Segment::Preschool => "学龄前",
                Segment::Primary => "小学",
                Segment::Junior => "初中",
                Segment::Senior => "高中",
                Segment::Adult => "成人",
            };
            Learner {
                age: None,
                grade: Some(Grade {
                    min,
                    max,
                    label: label.into(),
                }),
                child: s != Segment::Adult,
            }
        }
        None => Learner::default(),
    }
}

/// A reply with its annotations.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub text: String,
    pub annotations: Vec<(String, String)>,
}

/// Intents another part of the pipeline must handle: a grievance or a wish for a person.
const DEFER_INTENTS: &[&str] = &["complaint", "human_agent"];
/// Words that mean the same, whatever the classifier said.
pub(crate) const DEFER_WORDS: &[&str] = &[
    "投诉",
    "人工",
    "真人",
    "12315",
    "消协",
    "举报",
    "曝光",
    "报警",
    "律师",
    "起诉",
    "骗子",
    "欺诈",
    "说法",
    "要一个解释",
    "给个解释",
    "道歉",
    "负责人",
    "恶心",
    "骂",
    "滚",
    "换人",
    "叫人来",
    "说话不算话",
    "愤怒",
    "气死",
    "虚假宣传",
    "坑人",
    "不要机器人",
    "别让机器人",
    "找你们领导",
    "经理",
];
/// Words that ask about a discount (the returning-student offer comes first).
pub(crate) const DISCOUNT_WORDS: &[&str] = &[
    "优惠", "折扣", "打折", "便宜", "活动", "几折", "特价", "福利", "减免", "让利", "优待", "折",
];

/// Collapses the punctuation that meets where a tenant's text ends with a full stop and the
/// template adds one (`……退回。。` → `……退回。`).
pub fn tidy(text: &str) -> String {
    let mut out = text.trim().to_owned();
    if !needs_tidying(&out) {
        return out;
    }
    loop {
        let before = out.len();
        for (from, to) in [
            ("。。", "。"),
            ("，。", "。"),
            ("！。", "！"),
            ("？。", "？"),
            ("；。", "。"),
            ("。，", "。"),
            (".。", "。"),
        ] {
            out = out.replace(from, to);
        }
        if out.len() == before {
            return out;
        }
    }
}

/// Whether [`tidy`] has anything to collapse: every pair it replaces is `。` after one of
/// `。，！？；.` or `，` after `。`.
fn needs_tidying(text: &str) -> bool {
    let mut prev = '\0';
    for c in text.chars() {
        if (c == '。' && matches!(prev, '。' | '，' | '！' | '？' | '；' | '.'))
            || (c == '，' && prev == '。')
        {
            return true;
        }
        prev = c;
    }
    false
}

/// The library and configuration of one tenant, prepared once per configuration.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub cfg: EduConfig,
    pub library: Library,
    /// Tenant scripts that were skipped, for the log.
    pub errors: Vec<ScriptError>,
    /// The catalog prepared for matching.
    catalog: Prepared,
    /// The template variables that depend only on the configuration: computed ones first
    /// (`institution`, `campus_list` …), then the tenant's `vars` they leave open.
    fixed_vars: FixedVars,
}

impl Tenant {
    pub fn new(bundled: &Library, cfg: EduConfig) -> Tenant {
        let (library, errors) = bundled.with_tenant(&cfg);
        Tenant {
            catalog: Prepared::new(&cfg),
            fixed_vars: fixed_vars(&cfg),
            cfg,
            library,
            errors,
        }
    }

    fn is_returning(&self, req: &Request) -> bool {
        let tag = self.cfg.returning_tag();
        req.tags.iter().any(|t| t == tag)
            || req
                .profile("returning")
                .is_some_and(|v| matches!(v.trim(), "true" | "1" | "yes" | "是"))
    }

    /// Answers the message, or `None` when no script fits (or the message is for a human).
    pub fn respond(&self, req: &Request) -> Option<Reply> {
        let t = text::normalize(&req.text);
        if t.is_empty() {
            return None;
        }
        let deferred = req
            .intents
            .first()
            .is_some_and(|(l, c)| DEFER_INTENTS.contains(&l.as_str()) && *c >= 0.5);
        if deferred {
            return None;
        }
        let lex = lexicon::lexicon();
        let lex_hits = lex.scan(&t);
        if lex_hits.any(&lex.defer) {
            return None;
        }
        let now = segment::detect_normalized(&t, lex, &lex_hits);
        let learner_stated = now.is_known();
        let learner = learner_given(req, now);
        let catalog_hits = self.catalog.scan(&t);
        let sel = self
            .catalog
            .select(&self.cfg, &catalog_hits, lex, &lex_hits, &learner);
        let returning = self.is_returning(req);
        let recommended = catalog::recommend(&sel, self.cfg.recommend_limit());
        let vars = Vars::new(self, req, &learner, &sel, &recommended, returning);
        let lookup = |k: &str| vars.get(k);

        let lead =
            returning && vars.get("returning_discount").is_some() && lex_hits.any(&lex.discount);
        let lead_text = if lead {
            self.library
                .get(RETURNING_LEAD_SCRIPT)
                .and_then(|s| s.render(&lookup).ok())
        } else {
            None
        };

        let mut masked = self.catalog.mask_course_names(&t, &catalog_hits);
        // Cues scripts can use as keywords: a subject or course is named, a learner is known.
        if sel.subject.is_some() || sel.named {
            masked.push_str(CUE_SUBJECT);
        }
        if learner_stated {
            masked.push_str(CUE_LEARNER);
        }
        let chosen = self
            .library
            .rank(&masked, &req.intents, self.cfg.min_score())
            .into_iter()
            .find_map(|(s, _)| s.render(&lookup).ok().map(|text| (s, text)));

        let (script_id, topic, mut text) = match (chosen, &lead_text) {
            (Some((s, body)), Some(lead)) => {
                let offer = vars.get("returning_discount").unwrap_or_default();
                // A promotion script that already leads with the offer needs no second mention.
                let text = if body.starts_with(lead.as_str())
                    || body.find(offer).is_some_and(|i| i < 40)
                {
                    body
                } else {
                    format!("{lead}{body}")
                };
                (s.id.clone(), s.topic.clone(), text)
            }
            (Some((s, body)), None) => (s.id.clone(), s.topic.clone(), body),
            (None, Some(lead)) => (
                RETURNING_LEAD_SCRIPT.to_owned(),
                "promotion".to_owned(),
                lead.clone(),
            ),
            (None, None) => return None,
        };
        text = tidy(&text);
        let mut annotations = vec![
            ("script_id".to_owned(), script_id),
            ("topic".to_owned(), topic),
        ];
        // (The list is only worth composing, if no template did, when the text can hold it.)
        let list = if recommended.is_empty()
            || vars.has_computed("recommendations")
            || may_hold_recommendations(&text, recommended.len())
        {
            vars.get("recommendations")
        } else {
            None
        };
        if let Some(list) = list
            && words::contains(&text, list)
        {
            let ids: Vec<&str> = recommended.iter().map(|c| c.key()).collect();
            annotations.push(("recommended".into(), ids.join(",")));
        }
        if lead_text.is_some() {
            annotations.push(("returning_offer".into(), "true".into()));
        }
        Some(Reply { text, annotations })
    }
}

/// A template variable's value as the pack stores it: trimmed, and absent when empty.
fn value(val: Option<String>) -> Option<String> {
    val.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// The variables that depend only on the configuration: `institution`, `hotline`,
/// `campus_list`, `course_list`, `has_catalog`, `returning_offer`, then each of the tenant's
/// `vars` not already set.
fn fixed_vars(cfg: &EduConfig) -> FixedVars {
    let mut v = FixedVars::default();
    let mut put = |k: &str, val: Option<String>| {
        if let Some(val) = value(val) {
            v.insert(k.to_owned(), val);
        }
    };
    put("institution", cfg.institution.clone());
    put("hotline", cfg.hotline.clone());
    let campuses: Vec<String> = cfg
        .campuses
        .iter()
        .filter(|c| !c.name.trim().is_empty())
        .map(|c| {
            match c
                .address
                .as_deref()
                .map(str::trim)
                .filter(|a| !a.is_empty())
            {
                Some(a) => format!("{}（{}）", c.name.trim(), a),
                None => c.name.trim().to_owned(),
            }
        })
        .collect();
    put(
        "campus_list",
        (!campuses.is_empty()).then(|| campuses.join("；")),
    );
    let names: Vec<&str> = cfg
        .courses
        .iter()
        .map(|c| c.name.trim())
        .filter(|n| !n.is_empty())
        .take(8)
        .collect();
    put("course_list", (!names.is_empty()).then(|| names.join("、")));
    put(
        "has_catalog",
        (!cfg.courses.is_empty()).then(|| "1".to_owned()),
    );
    // The offer is named to a returning customer; anyone asking about it may learn it.
    put("returning_offer", cfg.returning_discount.clone());
    for (k, val) in &cfg.vars {
        if !v.contains_key(k) && !val.trim().is_empty() {
            v.insert(k.clone(), val.trim().to_owned());
        }
    }
    v
}

/// The variables computed for each message (from the customer, the course and campus the
/// message is about, the learner), each computed only when a template asks for it.
const MESSAGE_VARS: [&str; 27] = [
    "customer_name",
    "course",
    "price",
    "seats_left",
    "full_course",
    "schedule",
    "teacher",
    "subject",
    "course_info",
    "course_desc",
    "course_class_size",
    "course_ages",
    "course_prices",
    "course_seats",
    "course_schedules",
    "course_teachers",
    "campus",
    "campus_address",
    "campus_phone",
    "campus_hours",
    "child",
    "learner",
    "grade",
    "age",
    "recommendations",
    "full_courses",
    "returning_discount",
];

/// The cell after the [`MESSAGE_VARS`]: the learner's description, which `child` and
/// `learner` share.
const DESCRIBE: usize = MESSAGE_VARS.len();

/// Every template variable the tenant's data and the customer supply, for one message.
/// Anything unknown is left out, so templates fall back instead of inventing it.
///
/// A variable is one of the [`MESSAGE_VARS`] when this message gives it a value, else one of
/// the tenant's fixed ones (computed, then `vars`): the same precedence as setting them all
/// and letting `vars` fill only the names left open.
struct Vars<'t, 'a> {
    cells: [OnceCell<Option<String>>; MESSAGE_VARS.len() + 1],
    req: &'t Request,
    learner: &'t Learner,
    sel: &'t Selection<'a>,
    recommended: &'t [&'a Course],
    returning: bool,
    cfg: &'t EduConfig,
    fixed: &'t FixedVars,
}

impl<'t, 'a> Vars<'t, 'a> {
    fn new(
        tenant: &'t Tenant,
        req: &'t Request,
        learner: &'t Learner,
        sel: &'t Selection<'a>,
        recommended: &'t [&'a Course],
        returning: bool,
    ) -> Self {
        Vars {
            cells: Default::default(),
            req,
            learner,
            sel,
            recommended,
            returning,
            cfg: &tenant.cfg,
            fixed: &tenant.fixed_vars,
        }
    }

    fn get(&self, k: &str) -> Option<&str> {
        if let Some(i) = MESSAGE_VARS.iter().position(|v| *v == k)
            && let Some(v) = self.message_var(i)
        {
            return Some(v);
        }
        self.fixed.get(k).map(String::as_str)
    }

    /// Whether the message variable `k` was already computed (a template asked for it).
    fn has_computed(&self, k: &str) -> bool {
        MESSAGE_VARS
            .iter()
            .position(|v| *v == k)
            .is_some_and(|i| self.cells[i].get().is_some())
    }

    fn message_var(&self, i: usize) -> Option<&str> {
        self.cells[i].get_or_init(|| self.compute(i)).as_deref()
    }

    /// The value of `MESSAGE_VARS[i]`, trimmed, `None` when unknown or empty (and for
    /// [`DESCRIBE`], the learner's description as it is).
    fn compute(&self, i: usize) -> Option<String> {
        if i == DESCRIBE {
            return self.learner.describe();
        }
        let sel = self.sel;
        let single = match sel.courses.as_slice() {
            [course] => Some(*course),
            _ => None,
        };
        let list = |f: &dyn Fn(&Course) -> Option<String>| {
            if !(2..=5).contains(&sel.courses.len()) {
                return None;
            }
            let items: Vec<String> = sel
                .courses
                .iter()
                .filter_map(|c| f(c).map(|x| format!("{}：{}", c.name, x)))
                .collect();
            (!items.is_empty()).then(|| items.join("；"))
        };
        let v = match MESSAGE_VARS[i] {
            "customer_name" => self.req.customer_name.clone(),
            "course" => single.map(|c| c.name.clone()),
            "price" => single.and_then(|c| c.price.as_ref().and_then(|p| p.display())),
            "seats_left" => single
                .and_then(|c| c.seats_left)
                .filter(|n| *n > 0)
                .map(|n| n.to_string()),
            "full_course" => single
                .filter(|c| c.seats_left == Some(0))
                .map(|c| c.name.clone()),
            "schedule" => single.and_then(|c| c.schedule.clone()),
            "teacher" => single.and_then(|c| c.teacher.clone()),
            // The subject asked about, else the one course's.
            "subject" => {
                return value(sel.subject.clone())
                    .or_else(|| value(single.and_then(|c| c.subject.clone())));
            }
            "course_info" => single.map(catalog::describe),
            "course_desc" => single.and_then(|c| c.description.clone()),
            "course_class_size" => single.and_then(|c| c.class_size.clone()),
            "course_ages" => single.and_then(catalog::suitable_for),
            "course_prices" => list(&|c| c.price.as_ref().and_then(|p| p.display())),
            "course_seats" => list(&|c| {
                c.seats_left.map(|n| {
                    if n > 0 {
                        format!("还剩{n}个名额")
                    } else {
                        "本期已满".to_owned()
                    }
                })
            }),
            "course_schedules" => list(&|c| c.schedule.clone().filter(|s| !s.trim().is_empty())),
            "course_teachers" => list(&|c| c.teacher.clone().filter(|s| !s.trim().is_empty())),
            "campus" => sel.campus_name.clone(),
            "campus_address" => sel.campus.and_then(|c| c.address.clone()),
            "campus_phone" => sel.campus.and_then(|c| c.phone.clone()),
            "campus_hours" => sel.campus.and_then(|c| c.hours.clone()),
            "child" => self.message_var(DESCRIBE).map(str::to_owned),
            "learner" => self.message_var(DESCRIBE).map(|d| {
                // `trim_end_matches("的孩子")`, without setting up a searcher.
                let mut d = d;
                while let Some(rest) = d.strip_suffix("的孩子") {
                    d = rest;
                }
                d.to_owned()
            }),
            "grade" => self.learner.grade.as_ref().map(|g| g.label.clone()),
            "age" => self.learner.age.map(segment::format_age),
            "recommendations" => (!self.recommended.is_empty()).then(|| {
                let lines: Vec<String> = self
                    .recommended
                    .iter()
                    .enumerate()
                    .map(|(i, c)| format!("{}. {}", i + 1, catalog::describe(c)))
                    .collect();
                lines.join("\n")
            }),
            "full_courses" => {
                let full: Vec<&str> = sel.full.iter().map(|c| c.name.as_str()).collect();
                (!full.is_empty()).then(|| full.join("、"))
            }
            "returning_discount" => self
                .returning
                .then(|| self.cfg.returning_discount.clone())
                .flatten(),
            _ => None,
        };
        value(v)
    }
}

/// Whether a reply `text` can contain the `recommendations` list of `n` (≥ 1) courses: the
/// list starts with `1. ` and, with two or more courses, holds a line break.
fn may_hold_recommendations(text: &str, n: usize) -> bool {
    (n < 2 || text.contains('\n')) && text.as_bytes().windows(3).any(|w| w == b"1. ")
}

/// A fast hash for the short variable names of [`FixedVars`] (FNV-1a).
#[derive(Default, Clone, Copy)]
struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// The tenant's fixed variables by name.
type FixedVars = HashMap<String, String, std::hash::BuildHasherDefault<Fnv>>;

#[cfg(test)]
mod tests;
