//! The tenant's course catalog: which courses a message is about, which fit the learner, and
//! recommendations that never offer a full course.

use super::config::{Campus, Course, EduConfig, GradeSpec};
use super::lexicon::{Lexicon, lexicon};
use super::segment::{Learner, parse_grade_range};
use super::text::normalize;
use super::words::{Hits, WordSet, WordSetBuilder};

/// Subject words customers use, grouped by a canonical subject. A course belongs to the
/// subjects whose words appear in its subject, name or keywords.
pub(crate) const SUBJECTS: &[(&str, &[&str])] = &[
    (
        "英语",
        &[
            "英语",
            "英文",
            "english",
            "口语",
            "新概念",
            "剑桥",
            "ket",
            "pet",
            "雅思",
            "托福",
            "自然拼读",
            "phonics",
            "牛津",
            "fce",
        ],
    ),
    (
        "数学",
        &[
            "数学",
            "奥数",
            "思维",
            "计算",
            "珠心算",
            "心算",
            "算术",
            "几何",
        ],
    ),
    (
        "语文",
        &[
            "语文",
            "阅读",
            "作文",
            "写作",
            "国学",
            "古诗",
            "拼音",
            "识字",
            "文言文",
        ],
    ),
    (
        "编程",
        &[
            "编程",
            "程序",
            "scratch",
            "python",
            "c++",
            "机器人",
            "乐高",
            "信息学",
            "信奥",
            "人工智能",
            "coding",
            "少儿编程",
        ],
    ),
    ("物理", &["物理"]),
    ("化学", &["化学"]),
    ("生物", &["生物"]),
    ("科学", &["科学", "stem", "steam", "实验课"]),
    (
        "美术",
        &[
            "美术",
            "画画",
            "绘画",
            "素描",
            "国画",
            "创意画",
            "水彩",
            "漫画",
        ],
    ),
    ("书法", &["书法", "练字", "硬笔", "软笔", "毛笔字"]),
    ("钢琴", &["钢琴"]),
    ("音乐", &["音乐", "声乐", "唱歌", "合唱", "乐理"]),
    (
        "舞蹈",
        &["舞蹈", "跳舞", "芭蕾", "街舞", "中国舞", "拉丁舞", "民族舞"],
    ),
    ("围棋", &["围棋"]),
    ("象棋", &["象棋"]),
    ("口才", &["口才", "演讲", "主持", "表达"]),
    ("托管", &["托管", "晚托", "午托", "作业辅导"]),
    ("日语", &["日语"]),
    (
        "体育",
        &[
            "体能",
            "篮球",
            "足球",
            "游泳",
            "跆拳道",
            "武术",
            "羽毛球",
            "乒乓球",
            "跳绳",
        ],
    ),
];

/// The canonical subjects a (normalized) text mentions.
pub fn subjects_in(t: &str) -> Vec<&'static str> {
    SUBJECTS
        .iter()
        .filter(|(_, words)| words.iter().any(|w| t.contains(w)))
        .map(|(s, _)| *s)
        .collect()
}

/// A course with its searchable text prepared (once per configuration).
#[derive(Debug, Clone)]
struct Entry {
    /// Ids of the normalized name and keywords (at least 2 characters) in [`Prepared::words`].
    names: Vec<u32>,
    /// Id of the normalized literal subject when it has at least 2 characters.
    subject_word: Option<u32>,
    subjects: Vec<&'static str>,
    spans: Vec<(i32, i32)>,
    /// The normalized campus name the course gives.
    campus: Option<String>,
    /// The campus of [`EduConfig::campuses`] with that name.
    campus_index: Option<usize>,
}

impl Entry {
    fn new(course: &Course, words: &mut WordSetBuilder, campus_names: &[String]) -> Self {
        let mut names: Vec<String> = std::iter::once(&course.name)
            .chain(course.keywords.iter())
            .map(|n| normalize(n))
            .filter(|n| n.chars().count() >= 2)
            .collect();
        names.dedup();
        let subject = course
            .subject
            .as_deref()
            .map(normalize)
            .filter(|s| !s.is_empty());
        let all = format!(
            "{}{}{}",
            subject.as_deref().unwrap_or(""),
            normalize(&course.name),
            normalize(&course.keywords.join(" "))
        );
        let lex = lexicon();
        let spans = course
            .grades
            .iter()
            .filter_map(|g| match g {
                GradeSpec::Number(n) => Some((*n, *n)),
                GradeSpec::Text(t) => parse_grade_range(t),
            })
            .collect();
        let campus = course.campus.as_deref().map(normalize);
        let campus_index = campus
            .as_ref()
            .and_then(|n| campus_names.iter().position(|c| c == n));
        Entry {
            names: names.iter().map(|n| words.add(n)).collect(),
            subject_word: subject
                .as_deref()
                .filter(|s| s.chars().count() >= 2)
                .map(|s| words.add(s)),
            subjects: lex.subjects(&lex.scan(&all)),
            spans,
            campus,
            campus_index,
        }
    }

    fn named_in(&self, hits: &Hits) -> bool {
        hits.any(&self.names)
    }

    fn subject_in(&self, hits: &Hits, mentioned: &[&str]) -> bool {
        self.subject_word.is_some_and(|w| hits.has(w))
            || self.subjects.iter().any(|s| mentioned.contains(s))
    }

    /// Whether the course suits the learner: `None` when the course states no ages or grades
    /// or nothing is known about the learner.
    fn fits(&self, c: &Course, learner: &Learner) -> Option<bool> {
        let has_ages = c.min_age.is_some() || c.max_age.is_some();
        let (lo, hi) = (c.min_age.unwrap_or(0.0), c.max_age.unwrap_or(200.0));
        let overlaps = |a: (i32, i32)| self.spans.iter().any(|s| s.0 <= a.1 && a.0 <= s.1);
        if let (Some(g), false) = (&learner.grade, self.spans.is_empty()) {
            return Some(overlaps((g.min, g.max)));
        }
        if let (Some(age), true) = (learner.age, has_ages) {
            return Some(lo <= age && age < hi.floor() + 1.0);
        }
        if let (Some(g), true) = (&learner.grade, has_ages) {
            // Roughly: grade 1 children are 6–7, adults any age from 18.
            let (a, b) = if g.min >= 13 {
                (18.0, 200.0)
            } else {
                ((g.min + 5) as f32, (g.max + 7) as f32)
            };
            return Some(lo <= b && a <= hi);
        }
        if let (Some(span), false) = (learner.grade_span(), self.spans.is_empty()) {
            return Some(overlaps(span));
        }
        None
    }
}

/// A campus with its searchable names prepared.
#[derive(Debug, Clone)]
struct CampusEntry {
    /// The normalized name (empty names never match).
    name: String,
    /// Id of the normalized name, when not empty.
    full: Option<u32>,
    /// Id of the name without its suffix (`天河` for `天河校区`) when it has 2+ characters.
    short: Option<u32>,
}

/// The catalog of one configuration prepared for matching: every course name, keyword,
/// subject and campus name in one automaton, scanned once per message.
#[derive(Debug, Clone)]
pub struct Prepared {
    words: WordSet,
    entries: Vec<Entry>,
    campuses: Vec<CampusEntry>,
    /// Course names and keywords to mask, longest first, with their ids.
    masks: Vec<(String, u32)>,
}

impl Prepared {
    pub fn new(cfg: &EduConfig) -> Prepared {
        let mut words = WordSetBuilder::new();
        let campuses: Vec<CampusEntry> = cfg
            .campuses
            .iter()
            .map(|c| {
                let name = normalize(&c.name);
                if name.is_empty() {
                    return CampusEntry {
                        name,
                        full: None,
                        short: None,
                    };
                }
                let short = ["校区", "分校", "中心", "教学点", "校", "店"]
                    .iter()
                    .find_map(|s| name.strip_suffix(s))
                    .unwrap_or(&name);
                let short = (short.chars().count() >= 2).then(|| words.add(short));
                CampusEntry {
                    full: Some(words.add(&name)),
                    short,
                    name,
                }
            })
            .collect();
        let campus_names: Vec<String> = campuses.iter().map(|c| c.name.clone()).collect();
        let entries = cfg
            .courses
            .iter()
            .map(|c| Entry::new(c, &mut words, &campus_names))
            .collect();
        let mut masks: Vec<(String, u32)> = cfg
            .courses
            .iter()
            .flat_map(|c| std::iter::once(&c.name).chain(c.keywords.iter()))
            .map(|n| normalize(n))
            .filter(|n| n.chars().count() >= 2)
            .map(|n| {
                let id = words.add(&n);
                (n, id)
            })
            .collect();
        // Longest first, so a name is masked whole before a keyword inside it.
        masks.sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));
        Prepared {
            words: words.build(),
            entries,
            campuses,
            masks,
        }
    }

    /// The catalog words found in `t` (a normalized text).
    pub fn scan(&self, t: &str) -> Hits {
        self.words.scan(t)
    }

    /// [`campus_in`] as an index into `cfg.campuses`.
    fn campus_in(&self, hits: &Hits) -> Option<usize> {
        self.campuses.iter().position(|c| {
            c.full.is_some_and(|id| hits.has(id)) || c.short.is_some_and(|id| hits.has(id))
        })
    }

    /// [`mask_course_names`] with the catalog words found in `t`.
    pub fn mask_course_names(&self, t: &str, hits: &Hits) -> String {
        let mut out = t.to_owned();
        if !self.masks.iter().any(|(_, id)| hits.has(*id)) {
            return out;
        }
        for (n, _) in &self.masks {
            if super::words::contains(&out, n) {
                out = out.replace(n.as_str(), "□");
            }
        }
        out
    }

    /// [`select`] with the catalog words (`hits`) and the [`Lexicon`] words (`lex_hits`)
    /// found in `t`.
    pub fn select<'a>(
        &self,
        cfg: &'a EduConfig,
        hits: &Hits,
        lex: &Lexicon,
        lex_hits: &Hits,
        learner: &Learner,
    ) -> Selection<'a> {
        let entry = |i: usize| &self.entries[i];
        let n = cfg.courses.len().min(self.entries.len());
        let mentioned = lex.subjects(lex_hits);
        let campus = self.campus_in(hits);
        // Indices into the catalog, in catalog order.
        let mut pool: Vec<usize> = (0..n).filter(|i| entry(*i).named_in(hits)).collect();
        let mut sel = Selection {
            named: !pool.is_empty(),
            subject: mentioned.first().map(|s| (*s).to_owned()),
            ..Default::default()
        };
        if !sel.named {
            let literal = (0..n).find(|i| entry(*i).subject_word.is_some_and(|w| hits.has(w)));
            if let Some(i) = literal {
                sel.subject = cfg.courses[i].subject.clone();
            }
            let subject_asked = sel.subject.is_some();
            pool.extend(
                (0..n).filter(|i| !subject_asked || entry(*i).subject_in(hits, &mentioned)),
            );
            if let Some(c) = campus {
                let name = &self.campuses[c].name;
                let here = |i: &usize| entry(*i).campus.as_ref() == Some(name);
                if pool.iter().any(here) {
                    pool.retain(here);
                }
            }
            if learner.is_known() {
                // Courses known to suit first, then those that state no ages or grades.
                let fits = |i: usize| entry(i).fits(&cfg.courses[i], learner);
                let mut fit: Vec<usize> = Vec::with_capacity(pool.len());
                fit.extend(pool.iter().copied().filter(|i| fits(*i) == Some(true)));
                fit.extend(pool.iter().copied().filter(|i| fits(*i).is_none()));
                pool = fit;
            }
        }
        let mut only_campus = None;
        for &i in &pool {
            let c = &cfg.courses[i];
            if c.seats_left == Some(0) {
                sel.full.push(c);
            }
            sel.courses.push(c);
            only_campus = entry(i).campus_index;
        }
        sel.campus = campus
            .or(match sel.courses.as_slice() {
                [_] => only_campus,
                _ if cfg.campuses.len() == 1 => Some(0),
                _ => None,
            })
            .map(|i| &cfg.campuses[i]);
        sel.campus_name =
            sel.campus
                .map(|c| c.name.clone())
                .or_else(|| match sel.courses.as_slice() {
                    [one] => one.campus.clone().filter(|c| !c.trim().is_empty()),
                    _ => None,
                });
        sel
    }
}

/// Which courses and campus a message is about.
#[derive(Debug, Default)]
pub struct Selection<'a> {
    /// The courses the message can mean, best first (one when it is unambiguous).
    pub courses: Vec<&'a Course>,
    /// Full courses left out of [`Selection::courses`] for recommendations.
    pub full: Vec<&'a Course>,
    /// The customer named a course outright.
    pub named: bool,
    /// The subject the customer asked about, in their words or the canonical one.
    pub subject: Option<String>,
    /// The campus named in the message, or the only one the courses point to.
    pub campus: Option<&'a Campus>,
    /// The campus name, even when the tenant did not list it among `campuses`.
    pub campus_name: Option<String>,
}

/// The campus a (normalized) text names: the full name or the name without its suffix
/// (`天河` for `天河校区`).
pub fn campus_in<'a>(cfg: &'a EduConfig, t: &str) -> Option<&'a Campus> {
    let p = Prepared::new(cfg);
    p.campus_in(&p.scan(t)).map(|i| &cfg.campuses[i])
}

/// The text with course names (and their keywords) masked, so that the words inside a name
/// (`自然拼读进阶班`) do not pass for a question about pronunciation or changing level.
pub fn mask_course_names(cfg: &EduConfig, t: &str) -> String {
    let p = Prepared::new(cfg);
    p.mask_course_names(t, &p.scan(t))
}

/// Finds the courses a message is about. `t` is the normalized message. (A tenant prepares
/// its catalog once and calls [`Prepared::select`].)
pub fn select<'a>(cfg: &'a EduConfig, t: &str, learner: &Learner) -> Selection<'a> {
    let p = Prepared::new(cfg);
    let lex = lexicon();
    p.select(cfg, &p.scan(t), lex, &lex.scan(t), learner)
}

/// Courses to recommend: those that suit the learner (or state no limits), with seats left
/// first, never a full one, at most `limit`.
pub fn recommend<'a>(sel: &Selection<'a>, limit: usize) -> Vec<&'a Course> {
    let mut open: Vec<&Course> = sel
        .courses
        .iter()
        .copied()
        .filter(|c| c.seats_left.is_none_or(|n| n > 0))
        .collect();
    // Stable: catalog order within "seats known and left" and "seats unknown".
    open.sort_by_key(|c| c.seats_left.is_none());
    open.truncate(limit);
    open
}

/// One course as a line of a reply, with only the details the tenant configured.
pub fn describe(course: &Course) -> String {
    // Built with `push_str` (this runs for every recommended course of a reply).
    let mut out = String::with_capacity(course.name.len() + 128);
    out.push_str(&course.name);
    let mut parts = 0;
    let mut part = |out: &mut String, pieces: &[&str]| {
        out.push_str(if parts == 0 { "（" } else { "，" });
        parts += 1;
        for p in pieces {
            out.push_str(p);
        }
    };
    if let Some(s) = suitable_for(course) {
        part(&mut out, &["适合", &s]);
    }
    fn text(o: &Option<String>) -> Option<&str> {
        o.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }
    if let Some(c) = text(&course.campus) {
        part(&mut out, &[c]);
    }
    if let Some(s) = text(&course.schedule) {
        part(&mut out, &[s]);
    }
    if let Some(t) = text(&course.teacher) {
        part(&mut out, &["授课老师：", t]);
    }
    if let Some(p) = course.price.as_ref().and_then(|p| p.display()) {
        part(&mut out, &["学费", &p]);
    }
    if let Some(n) = course.seats_left.filter(|n| *n > 0) {
        part(&mut out, &["还剩", &n.to_string(), "个名额"]);
    }
    if parts > 0 {
        out.push('）');
    }
    out
}

/// Who the course is for, as the tenant stated it: `小学1-3年级`, `7-9岁`.
pub fn suitable_for(course: &Course) -> Option<String> {
    let numbers: Vec<i32> = course
        .grades
        .iter()
        .filter_map(|g| match g {
            GradeSpec::Number(n) => Some(*n),
            GradeSpec::Text(_) => None,
        })
        .collect();
    if !numbers.is_empty() && numbers.len() == course.grades.len() {
        let (lo, hi) = (numbers.iter().min()?, numbers.iter().max()?);
        return Some(if lo == hi {
            format!("{lo}年级")
        } else {
            format!("{lo}-{hi}年级")
        });
    }
    let mut grades: Vec<String> = course
        .grades
        .iter()
        .map(|g| match g {
            GradeSpec::Number(n) => format!("{n}年级"),
            GradeSpec::Text(t) => t.clone(),
        })
        .collect();
    grades.retain(|g| !g.trim().is_empty());
    if !grades.is_empty() {
        return Some(grades.join("、"));
    }
    match (course.min_age, course.max_age) {
        (Some(a), Some(b)) => Some(format!("{}-{}岁", fmt_num(a), fmt_num(b))),
        (Some(a), None) => Some(format!("{}岁以上", fmt_num(a))),
        (None, Some(b)) => Some(format!("{}岁以下", fmt_num(b))),
        (None, None) => None,
    }
}

fn fmt_num(n: f32) -> String {
    if n.fract() == 0.0 {
        format!("{}", n as i32)
    } else {
        format!("{n}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::skill::segment::detect;

    fn catalog() -> EduConfig {
        serde_json::from_str(
            r#"{
              "campuses": [
                {"name": "天河校区", "address": "天河路100号3楼", "phone": "020-12345678"},
                {"name": "番禺校区", "address": "市桥街8号"}
              ],
              "courses": [
                {"id": "en-a", "name": "剑桥少儿英语预备级", "subject": "英语", "grades": ["小学1-3年级"], "campus": "天河校区", "price": "2980元/期", "seats_left": 0, "schedule": "周六 9:00-10:30"},
                {"id": "en-b", "name": "自然拼读进阶班", "subject": "英语", "min_age": 7, "max_age": 9, "campus": "番禺校区", "seats_left": 4, "schedule": "周日 14:00-15:30"},
                {"id": "en-c", "name": "新概念英语一册", "subject": "英语", "grades": ["小学4-6年级"], "campus": "天河校区", "price": 3600},
                {"id": "en-d", "name": "KET备考班", "subject": "英语", "grades": ["小学3-6年级"], "seats_left": 2},
                {"id": "math-a", "name": "思维数学", "subject": "数学", "grades": [1, 2, 3], "seats_left": 6},
                {"id": "code-a", "name": "Scratch创意编程", "subject": "编程", "min_age": 7, "max_age": 10},
                {"id": "adult-en", "name": "成人商务英语", "subject": "英语", "grades": ["成人"], "seats_left": 8}
              ]
            }"#,
        )
        .unwrap()
    }

    fn ids(courses: &[&Course]) -> Vec<String> {
        courses.iter().map(|c| c.id.clone()).collect()
    }

    #[test]
    fn recommends_by_grade_and_subject_with_seats_first_and_never_a_full_course() {
        let cfg = catalog();
        let text = "我女儿今年读小学三年级，你们有没有适合她的英语课？";
        let sel = select(&cfg, &normalize(text), &detect(text));
        // en-a suits grade 3 but is full; en-b (ages 7–9) and en-d (grades 3–6) suit and have
        // seats; en-c (grades 4–6) and the adult course do not suit.
        assert_eq!(ids(&recommend(&sel, 3)), vec!["en-b", "en-d"]);
        assert_eq!(ids(&sel.full), vec!["en-a"]);
    }

    #[test]
    fn recommends_by_age_and_respects_the_limit() {
        let cfg = catalog();
        let text = "孩子8岁，有什么课推荐";
        let sel = select(&cfg, &normalize(text), &detect(text));
        let rec = recommend(&sel, 2);
        assert_eq!(ids(&rec), vec!["en-b", "en-d"]);
        let all = recommend(&sel, 10);
        assert!(ids(&all).contains(&"code-a".to_owned()), "8 is within 7–10");
        assert!(!ids(&all).contains(&"adult-en".to_owned()));
        assert!(!ids(&all).contains(&"en-a".to_owned()), "full");
        // Seats known and left come before unknown seats.
        let pos = |id: &str| ids(&all).iter().position(|x| x == id).unwrap();
        assert!(pos("math-a") < pos("code-a"));
    }

    #[test]
    fn a_named_course_is_selected_with_its_campus() {
        let cfg = catalog();
        let sel = select(
            &cfg,
            &normalize("新概念英语一册在哪上课"),
            &Learner::default(),
        );
        assert_eq!(ids(&sel.courses), vec!["en-c"]);
        assert!(sel.named);
        assert_eq!(sel.campus.unwrap().name, "天河校区");
    }

    #[test]
    fn a_campus_is_found_by_its_short_name() {
        let cfg = catalog();
        assert_eq!(
            campus_in(&cfg, "番禺那边地址在哪").unwrap().name,
            "番禺校区"
        );
        assert!(campus_in(&cfg, "你们地址在哪").is_none());
    }

    #[test]
    fn describes_only_configured_details() {
        let cfg = catalog();
        let b = describe(&cfg.courses[1]);
        assert_eq!(
            b,
            "自然拼读进阶班（适合7-9岁，番禺校区，周日 14:00-15:30，还剩4个名额）"
        );
        let c = describe(&cfg.courses[2]);
        assert!(c.contains("学费3600元") && !c.contains("名额"), "{c}");
        let d = describe(&cfg.courses[3]);
        assert!(!d.contains("学费"), "no price configured: {d}");
    }

    #[test]
    fn adults_get_adult_courses() {
        let cfg = catalog();
        let text = "我今年30岁，想学英语，推荐个课";
        let sel = select(&cfg, &normalize(text), &detect(text));
        assert_eq!(ids(&recommend(&sel, 3)), vec!["adult-en"]);
    }
}
