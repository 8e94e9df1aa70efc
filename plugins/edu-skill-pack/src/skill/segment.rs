//! K12 segmentation: the child's age or school grade as the customer states it
//! (`孩子今年8岁`, `五岁半`, `小学三年级`, `初二`, `幼儿园大班`), and the segment that follows.
//!
//! Grades live on one scale so ages, grades and a course's range compare: 托班 −3, 小班 −2,
//! 中班 −1, 大班/学前班 0, 小学 1–6, 初中 7–9, 高中 10–12, adults 13.

use super::lexicon::{Lexicon, lexicon};
use super::text::{is_numeral, normalize, parse_number};
use super::words::Hits;

/// The customer segments the skill pack writes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    Preschool,
    Primary,
    Junior,
    Senior,
    Adult,
}

impl Segment {
    /// The value written to `customer.segment`.
    pub fn as_str(self) -> &'static str {
        match self {
            Segment::Preschool => "preschool",
            Segment::Primary => "k12-primary",
            Segment::Junior => "k12-junior",
            Segment::Senior => "k12-senior",
            Segment::Adult => "adult",
        }
    }

    /// Reads a stored segment back (ours, or a few common spellings).
    pub fn parse(s: &str) -> Option<Segment> {
        Some(match s.trim() {
            "preschool" | "k12-preschool" => Segment::Preschool,
            "k12-primary" | "primary" => Segment::Primary,
            "k12-junior" | "junior" => Segment::Junior,
            "k12-senior" | "senior" => Segment::Senior,
            "adult" => Segment::Adult,
            _ => return None,
        })
    }

    /// The segment of a grade on the shared scale.
    pub fn of_grade(grade: i32) -> Segment {
        match grade {
            ..=0 => Segment::Preschool,
            1..=6 => Segment::Primary,
            7..=9 => Segment::Junior,
            10..=12 => Segment::Senior,
            _ => Segment::Adult,
        }
    }

    /// The segment of an age in years.
    pub fn of_age(age: f32) -> Segment {
        match age {
            a if a < 6.0 => Segment::Preschool,
            a if a < 12.0 => Segment::Primary,
            a if a < 15.0 => Segment::Junior,
            a if a < 18.0 => Segment::Senior,
            _ => Segment::Adult,
        }
    }

    /// The grade range a segment covers.
    pub fn grades(self) -> (i32, i32) {
        match self {
            Segment::Preschool => (-3, 0),
            Segment::Primary => (1, 6),
            Segment::Junior => (7, 9),
            Segment::Senior => (10, 12),
            Segment::Adult => (13, 13),
        }
    }
}

/// A school grade or a span of grades (`初中` is 7–9), with its display label.
#[derive(Debug, Clone, PartialEq)]
pub struct Grade {
    pub min: i32,
    pub max: i32,
    pub label: String,
}

/// What a message (or a stored profile) says about the learner.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Learner {
    /// Age in years (5.5 for 五岁半).
    pub age: Option<f32>,
    pub grade: Option<Grade>,
    /// A child is mentioned (孩子, 女儿, 我家宝宝…) or a school grade is given by a parent.
    pub child: bool,
}

impl Learner {
    /// Whether anything about the learner is known.
    pub fn is_known(&self) -> bool {
        self.age.is_some() || self.grade.is_some()
    }

    /// The segment: the grade decides when both are known.
    pub fn segment(&self) -> Option<Segment> {
        if let Some(g) = &self.grade {
            return Some(Segment::of_grade(g.min));
        }
        self.age.map(Segment::of_age)
    }

    /// The grade span, estimated from the age when no grade was given.
    pub fn grade_span(&self) -> Option<(i32, i32)> {
        if let Some(g) = &self.grade {
            return Some((g.min, g.max));
        }
        let age = self.age?;
        if age >= 18.0 {
            return Some((13, 13));
        }
        let a = age.floor() as i32;
        Some(((a - 7).max(-3), (a - 5).min(12)))
    }

    /// A short description for answers: `小学三年级的孩子`, `8岁的孩子`.
    pub fn describe(&self) -> Option<String> {
        if self.segment() == Some(Segment::Adult) {
            return None;
        }
        if let Some(g) = &self.grade {
            return Some(format!("{}的孩子", g.label));
        }
        self.age.map(|a| {
            if (a.fract() - 0.5).abs() < 0.01 {
                format!("{}岁半的孩子", a.floor() as i32)
            } else {
                format!("{}岁的孩子", format_age(a))
            }
        })
    }
}

/// `8`, `5.5`: the value written to `customer.profile.child_age`.
pub fn format_age(age: f32) -> String {
    if (age - age.round()).abs() < 0.01 {
        format!("{}", age.round() as i32)
    } else {
        format!("{:.1}", age)
    }
}

pub(crate) const CHILD_WORDS: &[&str] = &[
    "孩子",
    "小孩",
    "女儿",
    "儿子",
    "闺女",
    "宝宝",
    "宝贝",
    "娃",
    "小朋友",
    "我家",
    "我个女",
    "我个仔",
    "个仔",
    "个女",
    "仔仔",
    "囡",
    "孙子",
    "孙女",
    "外孙",
    "侄子",
    "侄女",
    "男孩",
    "女孩",
    "小女",
    "犬子",
    "小儿",
    "学生家长",
    "家长",
];

/// First-person wording of a student describing themself (`我读初二`).
pub(crate) const SELF_STUDENT: &[&str] = &[
    "我上",
    "我读",
    "我在读",
    "我是初",
    "我是高",
    "我是小学",
    "我今年上",
    "我今年读",
    "本人",
];

pub(crate) const ADULT_WORDS: &[&str] = &[
    "成人",
    "成年人",
    "大学生",
    "研究生",
    "考研",
    "上班族",
    "职场",
    "在职",
    "宝妈自己",
    "我自己学",
    "自己想学",
    "大学",
];

/// Words after a number that make it anything but an age or grade (`小一点`, `大一号`).
const NOT_AFTER_SHORT: &[char] = &['点', '些', '号', '码', '倍', '下', '截', '份'];

/// Reads what a message says about the learner.
pub fn detect(text: &str) -> Learner {
    let t = normalize(text);
    let lex = lexicon();
    detect_normalized(&t, lex, &lex.scan(&t))
}

/// [`detect`] on a text already in normal form, with the [`Lexicon`] words found in it.
pub fn detect_normalized(t: &str, lex: &Lexicon, hits: &Hits) -> Learner {
    let chars: Vec<char> = t.chars().collect();
    let has_child_word = hits.any(&lex.child);
    let grade = detect_grade(&chars, t, lex, hits);
    let age = detect_age(&chars, has_child_word);
    let mut learner = Learner {
        age,
        grade,
        child: false,
    };
    let adult_words = hits.any(&lex.adult) && !has_child_word;
    if adult_words && learner.grade.is_none() && learner.age.is_none_or(|a| a >= 18.0) {
        learner.grade = Some(Grade {
            min: 13,
            max: 13,
            label: "成人".into(),
        });
    }
    let segment = learner.segment();
    let self_student = !has_child_word && hits.any(&lex.self_student);
    learner.child =
        segment != Some(Segment::Adult) && (has_child_word || (segment.is_some() && !self_student));
    learner
}

/// Reads a stored profile back: `child_grade` (any grade wording) and `child_age`.
pub fn from_profile(grade: Option<&str>, age: Option<&str>) -> Learner {
    let grade = grade.and_then(|g| {
        let t = normalize(g);
        let chars: Vec<char> = t.chars().collect();
        let lex = lexicon();
        detect_grade(&chars, &t, lex, &lex.scan(&t)).or_else(|| {
            parse_grade_range(g).map(|(min, max)| Grade {
                min,
                max,
                label: g.trim().to_owned(),
            })
        })
    });
    let age = age
        .and_then(|a| a.trim().trim_end_matches('岁').parse::<f32>().ok())
        .filter(|a| (0.0..120.0).contains(a));
    Learner {
        child: grade.as_ref().is_some_and(|g| g.min < 13) || age.is_some_and(|a| a < 18.0),
        age,
        grade,
    }
}

fn grade(min: i32, max: i32, label: impl Into<String>) -> Grade {
    Grade {
        min,
        max,
        label: label.into(),
    }
}

const CN_ORDINAL: [&str; 13] = [
    "", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二",
];

fn primary_label(n: i32) -> String {
    format!("小学{}年级", CN_ORDINAL[n as usize])
}

/// Kindergarten years: the word, the grade and its label.
pub(crate) const KINDER_YEARS: [(&str, i32, &str); 4] = [
    ("托班", -3, "幼儿园托班"),
    ("小班", -2, "幼儿园小班"),
    ("中班", -1, "幼儿园中班"),
    ("大班", 0, "幼儿园大班"),
];

/// Words that state a stage of school: the word, the grade span and its label (the first
/// found wins).
pub(crate) const STAGE_WORDS: [(&str, i32, i32, &str); 12] = [
    ("学前班", 0, 0, "学前班"),
    ("幼小衔接", 0, 0, "幼儿园大班"),
    ("小升初", 6, 6, "小学六年级"),
    ("初升高", 9, 9, "初三"),
    ("中考", 9, 9, "初三"),
    ("高考", 12, 12, "高三"),
    ("幼儿园", -3, 0, "幼儿园"),
    ("初中", 7, 9, "初中"),
    ("高中", 10, 12, "高中"),
    ("小学", 1, 6, "小学"),
    ("托育", -3, -3, "幼儿园托班"),
    ("早教", -3, -2, "幼儿园"),
];

/// The first grade the text states, skipping ranges such as `1-3年级` (those describe a course,
/// not the child). `c` is the normalized text `s` as characters, `hits` the [`Lexicon`] words
/// found in it.
fn detect_grade(c: &[char], s: &str, lex: &Lexicon, hits: &Hits) -> Option<Grade> {
    let at = |i: usize| c.get(i).copied();
    for i in 0..c.len() {
        // 初一 初二 初三 (初四), 高一 高二 高三, 小一…小六, 大一…大四.
        if let (Some(p), Some(d)) = (at(i), at(i + 1))
            && matches!(p, '初' | '高' | '小' | '大')
            && let Some(n) = super::text::digit_value(d)
            && !at(i + 2).is_some_and(|x| NOT_AFTER_SHORT.contains(&x) || is_numeral(x))
            && !(p == '小' && (at(i + 2) == Some('时') || at(i + 2) == Some('节')))
            && !at(i + 2).is_some_and(|x| x == '年' || x == '岁' || x == '个')
            // 大年初一, 正月初三 are dates.
            && !(p == '初' && i > 0 && matches!(c[i - 1], '年' | '月'))
        {
            let n = n as i32;
            let found = match p {
                '初' if (1..=4).contains(&n) => Some(grade(
                    6 + n.min(3),
                    6 + n.min(3),
                    format!("初{}", CN_ORDINAL[n as usize]),
                )),
                '高' if (1..=3).contains(&n) => {
                    Some(grade(9 + n, 9 + n, format!("高{}", CN_ORDINAL[n as usize])))
                }
                '小' if (1..=6).contains(&n) => Some(grade(n, n, primary_label(n))),
                '大' if (1..=4).contains(&n) => {
                    Some(grade(13, 13, format!("大{}", CN_ORDINAL[n as usize])))
                }
                _ => None,
            };
            if found.is_some() {
                return found;
            }
        }
        // N年级 (1–12), unless it is the end of a range.
        if at(i) == Some('年') && at(i + 1) == Some('级') && i > 0 {
            let mut j = i;
            while j > 0 && is_numeral(c[j - 1]) {
                j -= 1;
            }
            let is_range = j > 0 && matches!(c[j - 1], '-' | '~' | '到' | '至' | '—' | '–' | '、');
            // 初中二年级 is the eighth grade.
            let prefix: String = c[j.saturating_sub(2)..j].iter().collect();
            let offset = match prefix.as_str() {
                "初中" => 6,
                "高中" => 9,
                _ => 0,
            };
            if let Some(n) = parse_number(&c[j..i]).map(|n| n as i32 + offset)
                && (1..=12).contains(&n)
                && !is_range
                && !at(i + 2).is_some_and(|x| x == '-' || x == '到' || x == '至')
            {
                return Some(match n {
                    1..=6 => grade(n, n, primary_label(n)),
                    7..=9 => grade(n, n, format!("初{}", CN_ORDINAL[(n - 6) as usize])),
                    _ => grade(n, n, format!("高{}", CN_ORDINAL[(n - 9) as usize])),
                });
            }
        }
    }
    // Kindergarten years need a kindergarten context: 小班课 is a small class, not a year.
    for ((word, g, label), id) in KINDER_YEARS.iter().zip(&lex.kinder_years) {
        if !hits.has(*id) {
            continue;
        }
        if let Some(pos) = s.find(word) {
            let before: String = s[..pos]
                .chars()
                .rev()
                .take(3)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            let after = s[pos + word.len()..].chars().next();
            let kinder_context = hits.has(lex.kindergarten)
                || ["上", "读", "在"].iter().any(|w| before.ends_with(w));
            let course_word =
                after.is_some_and(|a| matches!(a, '课' | '教' | '制' | '授' | '上' | '模' | '形'));
            if kinder_context && !course_word {
                return Some(grade(*g, *g, *label));
            }
        }
    }
    STAGE_WORDS
        .iter()
        .zip(&lex.stage_words)
        .find(|(_, id)| hits.has(**id))
        .map(|((_, min, max, label), _)| grade(*min, *max, *label))
}

/// The child's age: `8岁`, `五岁半`, `三周岁`, `18个月`. Ranges (`3-6岁`) and requirements
/// (`5岁以上`) describe a course, not the child, and are skipped. With a child word in the
/// message the youngest age under 18 wins (`我35岁，孩子8岁`).
fn detect_age(c: &[char], has_child_word: bool) -> Option<f32> {
    let mut ages = Vec::new();
    let mut i = 0;
    while i < c.len() {
        if !is_numeral(c[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < c.len() && is_numeral(c[i]) {
            i += 1;
        }
        // `老二两岁`: the number is the longest suffix of the run that parses.
        let Some(n) = (start..i).find_map(|s| parse_number(&c[s..i])) else {
            continue;
        };
        let start = (start..i)
            .find(|s| parse_number(&c[*s..i]).is_some())
            .unwrap_or(start);
        let before = start.checked_sub(1).map(|b| c[b]);
        let in_range =
            before.is_some_and(|b| matches!(b, '-' | '~' | '到' | '至' | '—' | '–' | '、'));
        let mut j = i;
        if c.get(j) == Some(&'周') {
            j += 1;
        }
        let (age, end) = if c.get(j) == Some(&'岁') {
            let half = c.get(j + 1) == Some(&'半');
            (
                n as f32 + if half { 0.5 } else { 0.0 },
                j + 1 + half as usize,
            )
        } else if c.get(i) == Some(&'个')
            && c.get(i + 1) == Some(&'月')
            && has_child_word
            && n <= 36
        {
            ((n as f32 / 12.0 * 10.0).round() / 10.0, i + 2)
        } else {
            continue;
        };
        let rest: String = c[end.min(c.len())..].iter().take(3).collect();
        let is_requirement = [
            "以上",
            "以下",
            "以内",
            "及以上",
            "之前",
            "前",
            "-",
            "到",
            "至",
            "~",
        ]
        .iter()
        .any(|w| rest.starts_with(w));
        let followed_by_range =
            c.get(i) == Some(&'-') || c.get(i) == Some(&'到') || c.get(i) == Some(&'至');
        if !in_range && !is_requirement && !followed_by_range && age < 100.0 {
            ages.push(age);
        }
        i = end.max(i);
    }
    if has_child_word && let Some(a) = ages.iter().copied().filter(|a| *a < 18.0).reduce(f32::min) {
        return Some(a);
    }
    ages.first().copied()
}

/// Parses a course's grade wording into a span on the shared scale: `小学1-3年级` (1–3),
/// `初一至初二` (7–8), `7-9年级`, `初中`, `幼儿园大班`, `成人`.
pub fn parse_grade_range(s: &str) -> Option<(i32, i32)> {
    let t = normalize(s);
    let c: Vec<char> = t.chars().collect();
    let offset = if t.contains("初中") {
        6
    } else if t.contains("高中") {
        9
    } else {
        0
    };
    let mut values = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        if matches!(ch, '初' | '高' | '小')
            && let Some(n) = c.get(i + 1).copied().and_then(super::text::digit_value)
        {
            let n = n as i32;
            values.push(match ch {
                '初' => 6 + n.min(3),
                '高' => 9 + n,
                _ => n,
            });
            i += 2;
            continue;
        }
        if is_numeral(ch) {
            let start = i;
            while i < c.len() && is_numeral(c[i]) {
                i += 1;
            }
            if let Some(n) = parse_number(&c[start..i]).map(|n| n as i32)
                && (1..=12).contains(&n)
                && (offset + n) <= 12
            {
                values.push(offset + n);
            }
            continue;
        }
        i += 1;
    }
    for (w, g) in [
        ("托班", -3),
        ("小班", -2),
        ("中班", -1),
        ("大班", 0),
        ("学前", 0),
    ] {
        if t.contains(w) {
            values.push(g);
        }
    }
    if let (Some(min), Some(max)) = (values.iter().min(), values.iter().max()) {
        return Some((*min, *max));
    }
    if t.contains("低年级") {
        return Some((1, 3));
    }
    if t.contains("高年级") {
        return Some((4, 6));
    }
    [
        ("幼儿园", -3, 0),
        ("学龄前", -3, 0),
        ("小学", 1, 6),
        ("初中", 7, 9),
        ("高中", 10, 12),
        ("k12", 1, 12),
        ("成人", 13, 13),
        ("成年", 13, 13),
        ("大学", 13, 13),
    ]
    .iter()
    .find(|(w, ..)| t.contains(w))
    .map(|(_, a, b)| (*a, *b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(text: &str) -> Option<&'static str> {
        detect(text).segment().map(Segment::as_str)
    }

    #[test]
    fn reads_ages_in_digits_and_chinese_numerals() {
        assert_eq!(detect("孩子今年8岁了").age, Some(8.0));
        assert_eq!(detect("我家宝宝五岁半").age, Some(5.5));
        assert_eq!(detect("女儿十二岁").age, Some(12.0));
        assert_eq!(detect("儿子三周岁").age, Some(3.0));
        assert_eq!(detect("宝宝18个月能上早教吗").age, Some(1.5));
        assert_eq!(detect("我家老二两岁半").age, Some(2.5));
        assert_eq!(seg("孩子今年8岁了"), Some("k12-primary"));
        assert_eq!(seg("我家宝宝五岁半"), Some("preschool"));
        assert_eq!(seg("儿子十四岁"), Some("k12-junior"));
        assert_eq!(seg("女儿16岁"), Some("k12-senior"));
    }

    #[test]
    fn reads_school_grades() {
        let g = detect("我个女今年读小学三年级，你们有没有适合她的英语课？");
        assert_eq!(
            g.grade.as_ref().map(|g| (g.min, g.label.as_str())),
            Some((3, "小学三年级"))
        );
        assert_eq!(g.segment(), Some(Segment::Primary));
        assert!(g.child);
        assert_eq!(detect("孩子一年级").grade.map(|g| g.min), Some(1));
        assert_eq!(detect("儿子5年级数学不好").grade.map(|g| g.min), Some(5));
        assert_eq!(seg("孩子初二了物理跟不上"), Some("k12-junior"));
        assert_eq!(detect("孩子初二").grade.unwrap().label, "初二");
        assert_eq!(seg("女儿高一"), Some("k12-senior"));
        assert_eq!(seg("孩子八年级"), Some("k12-junior"));
        assert_eq!(seg("孩子在幼儿园大班"), Some("preschool"));
        assert_eq!(detect("孩子上中班").grade.unwrap().label, "幼儿园中班");
        assert_eq!(seg("明年要中考了"), Some("k12-junior"));
        assert_eq!(seg("孩子小五"), Some("k12-primary"));
        assert_eq!(detect("孩子初中二年级").grade.unwrap().label, "初二");
        assert_eq!(detect("大年初一上课吗").grade, None);
    }

    #[test]
    fn the_grade_wins_over_the_age() {
        let l = detect("孩子6岁，已经上一年级了");
        assert_eq!(l.age, Some(6.0));
        assert_eq!(l.segment(), Some(Segment::Primary));
        assert_eq!(l.grade_span(), Some((1, 1)));
    }

    #[test]
    fn ignores_course_ranges_requirements_and_class_sizes() {
        assert_eq!(detect("你们3-6岁的课有哪些").age, None);
        assert_eq!(detect("5岁以上才能报吗").age, None);
        assert_eq!(detect("1-3年级的班还有位置吗").grade, None);
        assert_eq!(detect("小班课一个班几个人").grade, None);
        assert_eq!(detect("是大班教学吗").grade, None);
        assert_eq!(detect("能不能小一点的班").grade, None);
        assert_eq!(seg("试听课要收钱吗"), None);
        assert!(!detect("试听课要收钱吗").child);
    }

    #[test]
    fn adults_and_students_themselves() {
        assert_eq!(seg("我今年30岁了想学英语"), Some("adult"));
        assert!(!detect("我今年30岁了想学英语").child);
        assert_eq!(seg("成人可以报雅思吗"), Some("adult"));
        let me = detect("我读初二，想补数学");
        assert_eq!(me.segment(), Some(Segment::Junior));
        assert!(!me.child, "a student asking for themself is not a parent");
        // A parent's own age does not hide the child's.
        assert_eq!(detect("我35岁，孩子8岁").age, Some(8.0));
    }

    #[test]
    fn a_child_word_alone_marks_a_parent() {
        let l = detect("我家孩子想学编程");
        assert!(l.child);
        assert!(!l.is_known());
    }

    #[test]
    fn reads_profiles_back() {
        let l = from_profile(Some("小学三年级"), Some("8"));
        assert_eq!(l.grade.map(|g| g.min), Some(3));
        assert_eq!(l.age, Some(8.0));
        assert_eq!(
            from_profile(None, Some("5.5")).segment(),
            Some(Segment::Preschool)
        );
        assert_eq!(from_profile(Some("garbage"), None), Learner::default());
    }

    #[test]
    fn parses_course_grade_wording() {
        assert_eq!(parse_grade_range("小学1-3年级"), Some((1, 3)));
        assert_eq!(parse_grade_range("一至三年级"), Some((1, 3)));
        assert_eq!(parse_grade_range("初一至初二"), Some((7, 8)));
        assert_eq!(parse_grade_range("初中1-2年级"), Some((7, 8)));
        assert_eq!(parse_grade_range("7-9年级"), Some((7, 9)));
        assert_eq!(parse_grade_range("高中"), Some((10, 12)));
        assert_eq!(parse_grade_range("幼儿园大班"), Some((0, 0)));
        assert_eq!(parse_grade_range("小学高年级"), Some((4, 6)));
        assert_eq!(parse_grade_range("成人"), Some((13, 13)));
        assert_eq!(parse_grade_range("不限"), None);
    }

    #[test]
    fn estimates_a_grade_span_from_an_age() {
        let l = Learner {
            age: Some(8.0),
            ..Default::default()
        };
        assert_eq!(l.grade_span(), Some((1, 3)));
        assert_eq!(l.describe().as_deref(), Some("8岁的孩子"));
        let l = Learner {
            age: Some(5.5),
            ..Default::default()
        };
        assert_eq!(l.describe().as_deref(), Some("5岁半的孩子"));
    }
}
