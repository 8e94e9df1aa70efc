//! The education skill pack's logic, free of the SDK so it can be tested natively.
//!
//! [`analyze`] reads the learner's age or grade from a message and writes the K12 segment back
//! as annotations; [`Tenant::respond`] picks a script from the library, fills its variables
//! from the tenant's catalog and the customer, and answers — or stays silent so the host's
//! other responders can.

pub mod catalog;
pub mod config;
pub mod scripts;
pub mod segment;
pub mod template;
pub mod text;

use std::collections::HashMap;

use catalog::Selection;
use config::EduConfig;
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
    let now = segment::detect(&req.text);
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
const DEFER_WORDS: &[&str] = &[
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
const DISCOUNT_WORDS: &[&str] = &[
    "优惠", "折扣", "打折", "便宜", "活动", "几折", "特价", "福利", "减免", "让利", "优待", "折",
];

/// Collapses the punctuation that meets where a tenant's text ends with a full stop and the
/// template adds one (`……退回。。` → `……退回。`).
pub fn tidy(text: &str) -> String {
    let mut out = text.trim().to_owned();
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

/// The library and configuration of one tenant, prepared once per configuration.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub cfg: EduConfig,
    pub library: Library,
    /// Tenant scripts that were skipped, for the log.
    pub errors: Vec<ScriptError>,
}

impl Tenant {
    pub fn new(bundled: &Library, cfg: EduConfig) -> Tenant {
        let (library, errors) = bundled.with_tenant(&cfg);
        Tenant {
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
        if deferred || DEFER_WORDS.iter().any(|w| t.contains(w)) {
            return None;
        }
        let learner = learner_of(req);
        let sel = catalog::select(&self.cfg, &t, &learner);
        let returning = self.is_returning(req);
        let recommended = catalog::recommend(&sel, self.cfg.recommend_limit());
        let vars = self.vars(req, &learner, &sel, &recommended, returning);
        let lookup = |k: &str| vars.get(k).map(String::as_str);

        let lead = returning
            && vars.contains_key("returning_discount")
            && DISCOUNT_WORDS.iter().any(|w| t.contains(w));
        let lead_text = if lead {
            self.library
                .get(RETURNING_LEAD_SCRIPT)
                .and_then(|s| template::render(&s.answer, &lookup).ok())
        } else {
            None
        };

        let mut masked = catalog::mask_course_names(&self.cfg, &t);
        // Cues scripts can use as keywords: a subject or course is named, a learner is known.
        if sel.subject.is_some() || sel.named {
            masked.push_str(CUE_SUBJECT);
        }
        if segment::detect(&req.text).is_known() {
            masked.push_str(CUE_LEARNER);
        }
        let chosen = self
            .library
            .rank(&masked, &req.intents, self.cfg.min_score())
            .into_iter()
            .find_map(|(s, _)| {
                template::render(&s.answer, &lookup)
                    .ok()
                    .map(|text| (s, text))
            });

        let (script_id, topic, mut text) = match (chosen, &lead_text) {
            (Some((s, body)), Some(lead)) => {
                let offer = &vars["returning_discount"];
                // A promotion script that already leads with the offer needs no second mention.
                let text = if body.starts_with(lead.as_str())
                    || body.find(offer.as_str()).is_some_and(|i| i < 40)
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
        if let Some(list) = vars.get("recommendations")
            && text.contains(list.as_str())
        {
            let ids: Vec<&str> = recommended.iter().map(|c| c.key()).collect();
            annotations.push(("recommended".into(), ids.join(",")));
        }
        if lead_text.is_some() {
            annotations.push(("returning_offer".into(), "true".into()));
        }
        Some(Reply { text, annotations })
    }

    /// Every template variable the tenant's data and the customer supply. Anything unknown is
    /// left out, so templates fall back instead of inventing it.
    fn vars(
        &self,
        req: &Request,
        learner: &Learner,
        sel: &Selection<'_>,
        recommended: &[&config::Course],
        returning: bool,
    ) -> HashMap<String, String> {
        let cfg = &self.cfg;
        let mut v: HashMap<String, String> = HashMap::new();
        let mut put = |k: &str, val: Option<String>| {
            if let Some(val) = val.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()) {
                v.insert(k.to_owned(), val);
            }
        };
        put("customer_name", req.customer_name.clone());
        put("institution", cfg.institution.clone());
        put("hotline", cfg.hotline.clone());
        if let [course] = sel.courses.as_slice() {
            put("course", Some(course.name.clone()));
            put("price", course.price.as_ref().and_then(|p| p.display()));
            put(
                "seats_left",
                course.seats_left.filter(|n| *n > 0).map(|n| n.to_string()),
            );
            put(
                "full_course",
                (course.seats_left == Some(0)).then(|| course.name.clone()),
            );
            put("schedule", course.schedule.clone());
            put("teacher", course.teacher.clone());
            put("subject", course.subject.clone());
            put("course_info", Some(catalog::describe(course)));
            put("course_desc", course.description.clone());
            put("course_class_size", course.class_size.clone());
            put("course_ages", catalog::suitable_for(course));
        }
        put("subject", sel.subject.clone());
        if (2..=5).contains(&sel.courses.len()) {
            let list = |f: &dyn Fn(&config::Course) -> Option<String>| {
                let items: Vec<String> = sel
                    .courses
                    .iter()
                    .filter_map(|c| f(c).map(|x| format!("{}：{}", c.name, x)))
                    .collect();
                (!items.is_empty()).then(|| items.join("；"))
            };
            put(
                "course_prices",
                list(&|c| c.price.as_ref().and_then(|p| p.display())),
            );
            put(
                "course_seats",
                list(&|c| {
                    c.seats_left.map(|n| {
                        if n > 0 {
                            format!("还剩{n}个名额")
                        } else {
                            "本期已满".to_owned()
                        }
                    })
                }),
            );
            put(
                "course_schedules",
                list(&|c| c.schedule.clone().filter(|s| !s.trim().is_empty())),
            );
            put(
                "course_teachers",
                list(&|c| c.teacher.clone().filter(|s| !s.trim().is_empty())),
            );
        }
        put("campus", sel.campus_name.clone());
        if let Some(c) = sel.campus {
            put("campus_address", c.address.clone());
            put("campus_phone", c.phone.clone());
            put("campus_hours", c.hours.clone());
        }
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
        put("child", learner.describe());
        put(
            "learner",
            learner
                .describe()
                .map(|d| d.trim_end_matches("的孩子").to_owned()),
        );
        put("grade", learner.grade.as_ref().map(|g| g.label.clone()));
        put("age", learner.age.map(segment::format_age));
        if !recommended.is_empty() {
            let lines: Vec<String> = recommended
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{}. {}", i + 1, catalog::describe(c)))
                .collect();
            put("recommendations", Some(lines.join("\n")));
        }
        let full: Vec<&str> = sel.full.iter().map(|c| c.name.as_str()).collect();
        put("full_courses", (!full.is_empty()).then(|| full.join("、")));
        // The offer is named to a returning customer; anyone asking about it may learn it.
        put("returning_offer", cfg.returning_discount.clone());
        if returning {
            put("returning_discount", cfg.returning_discount.clone());
        }
        for (k, val) in &cfg.vars {
            if !v.contains_key(k) && !val.trim().is_empty() {
                v.insert(k.clone(), val.trim().to_owned());
            }
        }
        v
    }
}

#[cfg(test)]
mod tests;
