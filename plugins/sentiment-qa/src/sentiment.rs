//! Per-message sentiment, emotion and escalation (quality.md, "Sentiment and escalation").
//!
//! A lexicon-and-rules model, chosen because it generalises to shops and phrasings the training
//! data never saw and because every decision can be explained to a supervisor:
//!
//! 1. The text is split into clauses at punctuation and at contrast words (但是, 不过, 就是…).
//! 2. In each clause, sentiment words are scored, scaled by a preceding intensifier (很, 太) or
//!    diminisher (有点), flipped by a preceding negator within a few characters (不, 没有, 一点都不),
//!    and rescaled by a following post-modifier (多了, 死了, 了点). A negated negative becomes a
//!    weaker positive (`不难吃`); a negated threat becomes nothing (`我不会去12315的`).
//! 3. Clauses are weighted: after a contrast the later clauses count more and the earlier ones
//!    less, a concession (虽然, 除了) counts less, a conclusion (总体, 总之) more, a counterfactual
//!    (差点, 本来想) hardly at all, and a complaint marked as history (之前, 上次) little.
//! 4. Sarcasm: a positive word in quotes (真是‘好’服务), a sarcasm cue (呵呵, 好一个, 谢谢你们让我)
//!    or a short positive exclamation followed by a bad fact (真棒，头发被剪成了狗啃的) turns the
//!    positive words negative when the message also reports something bad.
//! 5. Waiting durations (一个星期了, 半小时才), repeated `？？` and `！！` add to a negative score.
//!
//! Escalation is a separate rule set over `data/escalation.tsv` with negation (`不用转人工`),
//! history (`之前说要去12315是我冲动了`), request context for roles (`叫你们经理出来` but not
//! `客户经理很专业`) and exposure context for social media (`发小红书` but not `小红书上看到的`).

use crate::lexicon::{Category, Emotion, Table, Text, Word, WordKind, phrase_chars, rfind_chars};
use crate::nb::NaiveBayes;

/// The three sentiment classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Polarity {
    Negative,
    Neutral,
    Positive,
}

impl Polarity {
    pub fn as_str(self) -> &'static str {
        match self {
            Polarity::Negative => "negative",
            Polarity::Neutral => "neutral",
            Polarity::Positive => "positive",
        }
    }
}

/// One escalation trigger found in a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trigger {
    pub category: Category,
    /// The words that fired it.
    pub term: String,
}

/// Everything the plugin says about one message.
#[derive(Clone, Debug)]
pub struct Verdict {
    pub polarity: Polarity,
    /// The raw score: the sum of the weighted word contributions.
    pub raw: f32,
    /// The score squashed into [-1, 1].
    pub score: f32,
    pub emotion: Emotion,
    pub escalate: bool,
    /// Why, as `category:term` (`threat:12315`, `asks_human`).
    pub reason: Option<String>,
    /// Every trigger that fired.
    pub triggers: Vec<Trigger>,
    /// A grievance (complaint, threat, insult, anger, harm, money at risk, repeated contact).
    pub complaint: bool,
    /// Strong anger: an insult, a threat, angry words or an angry complaint.
    pub angry: bool,
    /// How many exclamation marks the message has.
    pub exclaims: usize,
}

/// Decision thresholds on the raw score.
const POSITIVE_AT: f32 = 0.95;
const NEGATIVE_AT: f32 = -0.75;
/// Longer messages are judged on their first this many characters.
const MAX_CHARS: usize = 2000;
/// How many characters a negator reaches forward.
const NEGATION_REACH: usize = 6;
/// How many characters an intensifier reaches forward.
const INTENSIFIER_REACH: usize = 3;

fn is_boundary(c: char) -> bool {
    matches!(
        c,
        '，' | ','
            | '。'
            | '.'
            | '！'
            | '!'
            | '？'
            | '?'
            | '；'
            | ';'
            | '、'
            | '~'
            | '～'
            | '…'
            | '：'
            | ':'
            | '\n'
            | ' '
            | '\t'
    )
}

fn is_open_quote(c: char) -> bool {
    matches!(c, '‘' | '“' | '「' | '『' | '《')
}

fn is_close_quote(c: char) -> bool {
    matches!(c, '’' | '”' | '」' | '』' | '》')
}

/// Number characters of a duration or a count (`三天`, `48小时`, `好几次`).
fn is_num(c: char) -> bool {
    c.is_ascii_digit()
        || matches!(
            c,
            '一' | '二'
                | '三'
                | '四'
                | '五'
                | '六'
                | '七'
                | '八'
                | '九'
                | '十'
                | '两'
                | '几'
                | '半'
                | '多'
                | '百'
                | '千'
                | '俩'
                | '好'
        )
}

/// A count of at least two (`二`…`十`, `两`, `几`, `好几`, `2`+, `无数`, `多少`).
fn is_count_two_plus(s: &str) -> bool {
    if s.is_empty() {
        return false;
    }
    if let Ok(n) = s.parse::<u32>() {
        return n >= 2;
    }
    if matches!(s, "无数" | "多少" | "好几" | "好多" | "n") {
        return true;
    }
    s != "一" && s.chars().all(|c| is_num(c) && c != '半')
}

const DURATION_UNITS: [&str; 14] = [
    "个工作日",
    "工作日",
    "个小时",
    "小时",
    "分钟",
    "个星期",
    "星期",
    "个礼拜",
    "礼拜",
    "个月",
    "天",
    "周",
    "月",
    "年",
];

/// One scored word occurrence.
#[derive(Clone, Copy, Debug)]
struct Contribution {
    value: f32,
    emotion: Option<Emotion>,
    in_quote: bool,
    clause: usize,
}

#[derive(Clone, Copy, Debug, Default)]
struct ClauseInfo {
    start: usize,
    weight: f32,
    /// Where a counterfactual marker (差点, 本来想, 如果) stands: later words hardly count.
    irreal_at: Option<usize>,
    /// Where a history marker (之前, 上次) stands: later words count little.
    past_at: Option<usize>,
    /// The clause compares (比): 这次比上次慢 is about now.
    comparative: bool,
}

fn count_exclaims(text: &Text) -> usize {
    text.exclaims()
}

fn count_questions(text: &Text) -> usize {
    text.questions()
}

/// The sentiment and escalation model: the two tables and nothing else.
#[derive(Clone)]
pub struct Analyzer {
    words: Table<Word>,
    triggers: Table<Category>,
    /// Decides messages the rules find neutral, when it is confident (see `nb.rs`).
    backoff: Option<NaiveBayes>,
    /// Escalates negative messages the rules do not escalate, when it is confident.
    escalation_backoff: Option<NaiveBayes>,
}

/// How sure the sentiment backoff must be to overrule a neutral rule decision.
const BACKOFF_CONFIDENCE: f32 = 0.9;
/// How sure the escalation backoff must be to escalate a negative message.
const ESCALATION_CONFIDENCE: f32 = 0.7;

/// Negators that cancel an escalation trigger right after them (`不用转人工`, `不是要投诉`).
const ESCALATION_NEGATORS: [&str; 17] = [
    "不用",
    "不需要",
    "不要",
    "不是",
    "不会",
    "没想",
    "不想",
    "并不",
    "不打算",
    "没打算",
    "不必",
    "无需",
    "没有要",
    "没说要",
    "不至于",
    "没必要",
    "用不着",
];
/// What may stand between such a negator and the trigger.
const NEGATION_GAP: &str = "要去说找跟和再打用转是想会的了让叫向给帮你们先真来";
/// History markers: the trigger is about the past.
const HISTORY: [&str; 10] = [
    "之前", "上次", "上周", "以前", "当时", "刚才", "本来", "曾经", "早先", "那时",
];
/// A request around a manager or role.
const ROLE_BEFORE: [&str; 14] = [
    "找", "叫", "让", "请", "要", "见", "接", "转", "联系", "安排", "喊", "换", "麻烦", "约",
];
const ROLE_AFTER: [&str; 17] = [
    "出来",
    "联系我",
    "打给我",
    "给我打",
    "回电",
    "来一下",
    "跟我",
    "和我",
    "在吗",
    "在不在",
    "呢",
    "电话",
    "过来",
    "出面",
    "来处理",
    "处理一下",
    "给我个说法",
];
/// Exposure wording that makes a social-media or press mention a threat.
const EXPOSURE: [&str; 21] = [
    "发到",
    "发在",
    "发一遍",
    "都发",
    "发帖",
    "发出去",
    "曝光",
    "挂到",
    "挂在",
    "晒到",
    "晒在",
    "让大家",
    "让所有人",
    "爆料",
    "评评理",
    "公之于众",
    "说清楚",
    "说道说道",
    "讲清楚",
    "评理",
    "说出来",
];
/// A calm check of a suspicious contact (有人自称…，是真的吗).
const VERIFY: [&str; 5] = [
    "是真的吗",
    "是你们吗",
    "是不是你们",
    "是你们的人吗",
    "是真的假的",
];

/// Negators that ask the company to stop something: the complaint stays a complaint.
const IMPERATIVE_NEGATORS: [&str; 4] = ["别", "别再", "不要再", "不要"];

/// Whether characters `cs..ce` are an information question (哪款合适, 好用吗) rather than a
/// rhetorical one (怎么还没到, 为什么不发货).
fn is_question_clause(text: &Text, cs: usize, ce: usize) -> bool {
    let ends_with_question = text.chars.get(ce).is_some_and(|&c| c == '?' || c == '？');
    let asks = [
        "吗",
        "哪",
        "什么",
        "多少",
        "是否",
        "能不能",
        "可不可以",
        "有没有",
        "会不会",
        "呢",
        "如何",
        "怎么样",
    ]
    .iter()
    .any(|q| text.range_contains(cs, ce, q));
    let rhetorical = ["怎么还", "为什么", "凭什么", "到底", "难道", "不是说"]
        .iter()
        .any(|q| text.range_contains(cs, ce, q));
    (asks || ends_with_question) && !rhetorical
}

/// Words after 人工客服 that make it a question about opening hours.
const SCHEDULE: [&str; 8] = [
    "几点",
    "上班",
    "下班",
    "时间",
    "周末",
    "节假日",
    "什么时候",
    "营业",
];
/// Promise words that, with a long wait, make a broken promise.
const PROMISE: [&str; 4] = ["说好", "答应", "承诺", "保证"];
/// Contact verbs of repeated contact (`问了三次`, `反馈过两次`).
const CONTACT_VERBS: [&str; 15] = [
    "打电话",
    "问",
    "找",
    "联系",
    "反馈",
    "反映",
    "打",
    "催",
    "说",
    "投诉",
    "申请",
    "报修",
    "来电",
    "咨询",
    "提交",
];

impl Analyzer {
    pub fn new(words: Table<Word>, triggers: Table<Category>) -> Analyzer {
        Analyzer {
            words,
            triggers,
            backoff: None,
            escalation_backoff: None,
        }
    }

    /// Adds the naive-Bayes backoffs: sentiment (negative, neutral, positive) and escalation
    /// (no, yes).
    pub fn with_backoff(mut self, sentiment: NaiveBayes, escalation: NaiveBayes) -> Analyzer {
        self.backoff = Some(sentiment);
        self.escalation_backoff = Some(escalation);
        self
    }

    /// Builds the model from the contents of `data/sentiment.tsv` and `data/escalation.tsv`.
    pub fn from_data(sentiment_tsv: &str, escalation_tsv: &str) -> Result<Analyzer, String> {
        Ok(Analyzer::new(
            crate::lexicon::parse_sentiment(sentiment_tsv)?,
            crate::lexicon::parse_escalation(escalation_tsv)?,
        ))
    }

    /// Adds a tenant's own words: positive and negative words (strength 1.5) and escalation
    /// keywords.
    pub fn extend(&mut self, positive: &[String], negative: &[String], escalation: &[String]) {
        for (list, kind) in [(positive, WordKind::Pos), (negative, WordKind::Neg)] {
            for w in list {
                self.words.insert(
                    w,
                    Word {
                        kind,
                        value: 1.5,
                        emotion: None,
                    },
                );
            }
        }
        for w in escalation {
            self.triggers.insert(w, Category::Custom);
        }
    }

    /// Judges one customer message.
    pub fn analyze(&self, raw: &str) -> Verdict {
        // A pasted essay is judged on its first part; the cost stays bounded.
        let raw = match raw.char_indices().nth(MAX_CHARS) {
            Some((cut, _)) => &raw[..cut],
            None => raw,
        };
        let text = Text::new(raw);
        let (mut raw_score, contributions) = self.score(&text);
        let mut triggers = self.triggers_in(&text, raw_score);
        // A threat, an insult, strong anger, harm or repeated contact is a negative message even
        // in neutral words (我要发抖音让大家看看); so is any escalation shouted (叫经理出来！马上！).
        let grave = triggers.iter().any(|t| {
            matches!(
                t.category,
                Category::Threat
                    | Category::Expose
                    | Category::Insult
                    | Category::Anger
                    | Category::Safety
                    | Category::Repeat
            )
        });
        let shouted = !triggers.is_empty() && count_exclaims(&text) >= 2;
        if (grave || shouted) && raw_score > NEGATIVE_AT && raw_score < POSITIVE_AT {
            raw_score = NEGATIVE_AT - 0.25;
        } else if triggers.iter().any(|t| t.category == Category::Money)
            && raw_score < POSITIVE_AT
            && !VERIFY.iter().any(|q| text.contains(q))
        {
            // Money at risk is bad news, unless the customer calmly checks a suspicious contact.
            raw_score -= 0.8;
        }
        let mut polarity = if raw_score >= POSITIVE_AT {
            Polarity::Positive
        } else if raw_score <= NEGATIVE_AT {
            Polarity::Negative
        } else {
            Polarity::Neutral
        };
        if polarity == Polarity::Neutral
            && let Some(nb) = &self.backoff
            && let Some((p, confidence)) = nb.confident(&text, BACKOFF_CONFIDENCE)
            && p != Polarity::Neutral
        {
            polarity = p;
            // Keep the score on the side of the label, scaled by the model's confidence.
            let edge = if p == Polarity::Positive {
                POSITIVE_AT
            } else {
                NEGATIVE_AT
            };
            raw_score = edge * (0.5 + confidence);
        }
        if triggers.is_empty()
            && polarity == Polarity::Negative
            && let Some(nb) = &self.escalation_backoff
            && nb
                .probabilities(&text)
                .get(1)
                .is_some_and(|p| *p >= ESCALATION_CONFIDENCE)
        {
            triggers.push(Trigger {
                category: Category::Model,
                term: "model".to_owned(),
            });
        }
        let escalate = !triggers.is_empty();
        let reason = triggers.first().map(|t| match t.category {
            Category::Human | Category::Role | Category::Phone => "asks_human".to_owned(),
            Category::Model => "model".to_owned(),
            c => format!("{}:{}", c.reason(), t.term),
        });
        let grievance = |c: Category| {
            !matches!(
                c,
                Category::Human | Category::Role | Category::Phone | Category::Custom
            )
        };
        let complaint = triggers.iter().any(|t| t.category == Category::Complaint)
            || (polarity == Polarity::Negative && triggers.iter().any(|t| grievance(t.category)));
        let angry = triggers.iter().any(|t| {
            matches!(
                t.category,
                Category::Insult | Category::Anger | Category::Threat | Category::Expose
            )
        }) || (polarity == Polarity::Negative
            && triggers.iter().any(|t| t.category == Category::Complaint));
        let emotion = emotion_of(polarity, &contributions, &triggers, &text);
        Verdict {
            polarity,
            raw: raw_score,
            score: (raw_score / 2.0).tanh(),
            emotion,
            escalate,
            reason,
            triggers,
            complaint,
            angry,
            exclaims: count_exclaims(&text),
        }
    }

    /// How much lexicon evidence the message has: the sum of the absolute word contributions.
    pub fn evidence(&self, raw: &str) -> f32 {
        let text = Text::new(raw);
        self.score(&text).1.iter().map(|c| c.value.abs()).sum()
    }

    /// A one-line trace of the scoring, for tuning and for support questions ("why negative?").
    pub fn explain(&self, raw: &str) -> String {
        let text = Text::new(raw);
        let (total, contributions) = self.score(&text);
        let words: Vec<String> = self
            .words
            .scan(&text)
            .iter()
            .map(|m| format!("{}:{:?}", text.slice(m.start, m.end()), m.value.kind))
            .collect();
        let parts: Vec<String> = contributions
            .iter()
            .map(|c| format!("{:+.2}@{}", c.value, c.clause))
            .collect();
        format!("{total:+.2} [{}] {{{}}}", parts.join(" "), words.join(" "))
    }

    /// The weighted sum of the word contributions, and the contributions themselves.
    fn score(&self, text: &Text) -> (f32, Vec<Contribution>) {
        let n = text.len();
        let matches = self.words.scan(text);

        // Quotes: which characters are inside a quoted span.
        let mut in_quote = vec![false; n];
        let mut open: Option<usize> = None;
        let mut ascii_open: Option<usize> = None;
        for (i, &c) in text.chars.iter().enumerate() {
            if is_open_quote(c) {
                open = Some(i);
            } else if is_close_quote(c) {
                if let Some(s) = open.take() {
                    in_quote[s..i].iter_mut().for_each(|q| *q = true);
                }
            } else if c == '\'' || c == '"' {
                match ascii_open.take() {
                    Some(s) => in_quote[s..i].iter_mut().for_each(|q| *q = true),
                    None => ascii_open = Some(i),
                }
            }
        }

        // Clauses: split at punctuation and before contrast / concession / conclusion words.
        let mut clauses = vec![ClauseInfo {
            start: 0,
            weight: 1.0,
            ..Default::default()
        }];
        let mut contrasts: Vec<usize> = Vec::new();
        let mut clause_of_char = vec![0usize; n];
        let mut tokens: Vec<(usize, usize)> = Vec::new(); // (match index, clause)
        let mut next_match = 0;
        let mut has_content = false;
        let mut i = 0;
        while i < n {
            if next_match < matches.len() && matches[next_match].start == i {
                let m = matches[next_match];
                let kind = m.value.kind;
                let splits = matches!(
                    kind,
                    WordKind::Contrast | WordKind::Concession | WordKind::Conclusion
                );
                if splits && has_content {
                    clauses.push(ClauseInfo {
                        start: i,
                        weight: 1.0,
                        ..Default::default()
                    });
                }
                let k = clauses.len() - 1;
                match kind {
                    WordKind::Contrast => contrasts.push(k),
                    WordKind::Concession => clauses[k].weight *= 0.5,
                    WordKind::Conclusion => clauses[k].weight *= 1.8,
                    WordKind::Irrealis => clauses[k].irreal_at = Some(m.start),
                    WordKind::Past => clauses[k].past_at = Some(m.start),
                    _ => {}
                }
                clause_of_char[i..m.end()].iter_mut().for_each(|c| *c = k);
                tokens.push((next_match, k));
                has_content = true;
                next_match += 1;
                i = m.end();
                continue;
            }
            let c = text.chars[i];
            clause_of_char[i] = clauses.len() - 1;
            if is_boundary(c) {
                if has_content {
                    clauses.push(ClauseInfo {
                        start: i + 1,
                        weight: 1.0,
                        ..Default::default()
                    });
                    has_content = false;
                }
            } else {
                has_content = true;
                if c == '比' {
                    let k = clauses.len() - 1;
                    clauses[k].comparative = true;
                }
            }
            i += 1;
        }

        // Score the words.
        let mut contributions: Vec<Contribution> = Vec::new();
        let mut negator: Option<(f32, usize, usize)> = None; // (strength, end, clause)
        let mut negator_term: Option<&str> = None;
        let mut intensifier: Option<(f32, usize, usize)> = None; // (factor, end, clause)
        let mut last_in_clause: Option<(usize, usize)> = None; // (contribution, clause)
        // The last clause asked about (the words of a clause share the answer).
        let mut question: Option<((usize, usize), bool)> = None;
        for (idx, &(mi, clause)) in tokens.iter().enumerate() {
            let m = matches[mi];
            let w = m.value;
            match w.kind {
                WordKind::Negator => {
                    let term = text.slice(m.start, m.end());
                    // 一点进步都没有, 什么用也没有: the negation follows the word it negates.
                    let trailing = matches!(
                        term,
                        "都没有" | "也没有" | "都没" | "也没" | "都不" | "也不"
                    ) && !tokens[idx + 1..].iter().any(|&(nmi, nc)| {
                        nc == clause
                            && matches!(matches[nmi].value.kind, WordKind::Pos | WordKind::Neg)
                    });
                    if trailing
                        && let Some((ci, c)) = last_in_clause
                        && c == clause
                        && contributions[ci].value > 0.0
                    {
                        contributions[ci].value *= -0.9;
                        last_in_clause = None;
                        continue;
                    }
                    negator = match negator {
                        // 也不是说不好: a double negation is a weak positive hedge.
                        Some((s, end, c))
                            if c == clause && m.start - end <= NEGATION_REACH && s > 0.0 =>
                        {
                            Some((-0.3, m.end(), clause))
                        }
                        _ => Some((w.value, m.end(), clause)),
                    };
                    negator_term = Some(term);
                }
                WordKind::Intensifier | WordKind::Diminisher => {
                    let f = match intensifier {
                        Some((f0, end, c)) if c == clause && m.start - end <= 1 => f0 * w.value,
                        _ => w.value,
                    };
                    intensifier = Some((f.min(2.6), m.end(), clause));
                }
                WordKind::Post => {
                    if let Some((ci, c)) = last_in_clause
                        && c == clause
                    {
                        let f = if contributions[ci].value < 0.0 && w.value < 1.0 {
                            (1.0 + w.value) / 2.0
                        } else {
                            w.value
                        };
                        contributions[ci].value *= f;
                    }
                }
                WordKind::Irony => {
                    contributions.push(Contribution {
                        value: -w.value,
                        emotion: w.emotion,
                        in_quote: in_quote[m.start],
                        clause,
                    });
                }
                WordKind::Pos | WordKind::Neg => {
                    let term = text.slice(m.start, m.end());
                    // 快一个小时 is "almost an hour", not "fast".
                    if term == "快" && text.chars.get(m.end()).is_some_and(|&c| is_num(c)) {
                        continue;
                    }
                    // `好` right before an adjective is an intensifier (好快, 好慢, 好贴心),
                    // unless it is itself the adjective of an intensifier (这么好).
                    if term == "好"
                        && !matches!(intensifier, Some((_, end, c)) if c == clause && end == m.start)
                        && let Some(&(nmi, nc)) = tokens.get(idx + 1)
                        && nc == clause
                        && matches[nmi].start == m.end()
                        && matches!(matches[nmi].value.kind, WordKind::Pos | WordKind::Neg)
                        && !text
                            .slice(matches[nmi].start, matches[nmi].end())
                            .starts_with('就')
                    {
                        intensifier = Some((1.5, m.end(), clause));
                        continue;
                    }
                    // A bare 好 / 哦，好 is an acknowledgement.
                    let (cs, ce) = clause_bounds(text, m.start, m.end());
                    if term == "好"
                        && ce - cs <= 2
                        && !matches!(intensifier, Some((_, end, c)) if c == clause && end == m.start)
                    {
                        continue;
                    }
                    let sign = if w.kind == WordKind::Pos { 1.0 } else { -1.0 };
                    let mut v = sign * w.value;
                    // 吃哪款合适？效果好吗？ asks; it does not praise.
                    if v > 0.0 {
                        let asks = match question {
                            Some((bounds, asks)) if bounds == (cs, ce) => asks,
                            _ => {
                                let asks = is_question_clause(text, cs, ce);
                                question = Some(((cs, ce), asks));
                                asks
                            }
                        };
                        if asks {
                            v *= 0.2;
                        }
                    }
                    if let Some((f, end, c)) = intensifier
                        && c == clause
                        && m.start - end <= INTENSIFIER_REACH
                    {
                        // 有点慢 is still a complaint: diminishers soften negatives less.
                        v *= if v < 0.0 && f < 1.0 {
                            (1.0 + f) / 2.0
                        } else {
                            f
                        };
                    }
                    intensifier = None;
                    let mut flipped = false;
                    if let Some((s, end, c)) = negator
                        && c == clause
                        && m.start - end <= NEGATION_REACH
                    {
                        let neg_term = negator_term.unwrap_or("");
                        v = if s < 0.0 {
                            // Double negation: a weak version of the word.
                            v.abs() * -s
                        } else if v < 0.0 && IMPERATIVE_NEGATORS.contains(&neg_term) {
                            // 别再敷衍了, 别用模板回复: asking the company to stop is a complaint.
                            v * 0.6
                        } else if v > 0.0 {
                            -v * s * 0.9
                        } else if is_threat_word(term) || w.emotion == Some(Emotion::Angry) {
                            // 我不会去12315的, 不是骗子: no threat, but no praise either.
                            0.0
                        } else {
                            -v * s * 0.8
                        };
                        negator = None;
                        flipped = true;
                    }
                    let info = clauses[clause];
                    if info.irreal_at.is_some_and(|p| p < m.start) {
                        v *= 0.2;
                    } else if info.past_at.is_some_and(|p| p < m.start)
                        && !info.comparative
                        && !flipped
                    {
                        v *= 0.3;
                    }
                    contributions.push(Contribution {
                        value: v,
                        emotion: w.emotion,
                        in_quote: in_quote[m.start],
                        clause,
                    });
                    last_in_clause = Some((contributions.len() - 1, clause));
                }
                WordKind::Neutral
                | WordKind::Contrast
                | WordKind::Concession
                | WordKind::Conclusion
                | WordKind::Irrealis
                | WordKind::Past => {}
            }
        }

        // 连个道歉都没有, 连发票都不给: not even the least.
        let has_lian = text.has_char('连');
        for (k, info) in clauses.iter().enumerate().filter(|_| has_lian) {
            let end = clauses.get(k + 1).map_or(n, |c| c.start);
            let start = info.start.min(end);
            if let Some(p) = text.chars[start..end].iter().position(|&c| c == '连')
                && ["都没", "也没", "都不", "也不"]
                    .iter()
                    .any(|x| text.range_contains(start + p, end, x))
            {
                contributions.push(Contribution {
                    value: -1.0,
                    emotion: Some(Emotion::Dissatisfied),
                    in_quote: false,
                    clause: k,
                });
            }
        }

        // Waiting durations: 一个星期了, 半小时才, 都五天了.
        for (pos, v) in duration_complaints(text) {
            contributions.push(Contribution {
                value: v,
                emotion: Some(Emotion::Dissatisfied),
                in_quote: false,
                clause: clause_of_char.get(pos).copied().unwrap_or(0),
            });
        }

        // Sarcasm.
        let quote_sum: f32 = contributions
            .iter()
            .filter(|c| c.in_quote)
            .map(|c| c.value)
            .sum();
        let has_quote = in_quote.iter().any(|&q| q);
        let outside: f32 = contributions
            .iter()
            .filter(|c| !c.in_quote)
            .map(|c| c.value)
            .sum();
        let mut sarcastic = false;
        let outside_bad = contributions.iter().any(|c| !c.in_quote && c.value <= -0.5);
        if has_quote && quote_sum >= 0.0 && (outside <= 0.3 || outside_bad) {
            // A claim or a praise word in quotes, in a message that is not otherwise positive:
            // 真是‘好’服务啊, 这就是你们说的‘当日达’？三天了.
            let clause = contributions
                .iter()
                .find(|c| c.in_quote)
                .map_or(0, |c| c.clause);
            contributions.retain(|c| !c.in_quote);
            contributions.push(Contribution {
                value: -(1.0 + quote_sum),
                emotion: Some(Emotion::Dissatisfied),
                in_quote: true,
                clause,
            });
            sarcastic = true;
        }
        let irony_cue = tokens
            .iter()
            .any(|&(mi, _)| matches[mi].value.kind == WordKind::Irony);
        // 这就是五星酒店的服务？ — a rhetorical question about a claim is a complaint.
        let rhetorical_claim = ["这就是", "这叫", "这也叫", "这就叫"]
            .iter()
            .any(|p| text.contains(p))
            && text.chars.last().is_some_and(|&c| c == '?' || c == '？');
        if rhetorical_claim {
            contributions.push(Contribution {
                value: -0.8,
                emotion: Some(Emotion::Dissatisfied),
                in_quote: false,
                clause: clauses.len() - 1,
            });
        }
        let has_bad = contributions.iter().any(|c| c.value <= -0.5);
        let structured = !contrasts.is_empty()
            || tokens.iter().any(|&(mi, _)| {
                matches!(
                    matches[mi].value.kind,
                    WordKind::Concession | WordKind::Conclusion
                )
            });
        if (sarcastic || irony_cue) && has_bad {
            for c in contributions.iter_mut().filter(|c| c.value > 0.0) {
                c.value = -c.value * 0.8;
            }
        } else if clauses.len() >= 2 && !structured {
            // Short positive exclamations followed by a bad fact: 真棒，头发被剪成了狗啃的 /
            // 牛，真牛，一个月了还没退款 / 真是谢谢你们了，让我白等一下午.
            let first_bad = contributions
                .iter()
                .filter(|c| c.value < 0.0)
                .map(|c| c.clause)
                .min();
            if let Some(split) = first_bad
                && split > 0
            {
                let prefix_len = clauses[split].start;
                let head: f32 = contributions
                    .iter()
                    .filter(|c| c.clause < split)
                    .map(|c| c.value)
                    .sum();
                let rest: f32 = contributions
                    .iter()
                    .filter(|c| c.clause >= split)
                    .map(|c| c.value)
                    .sum();
                let rest_has_positive = contributions
                    .iter()
                    .any(|c| c.clause >= split && c.value > 0.3);
                if prefix_len <= 10 && head > 0.0 && rest <= -1.0 && !rest_has_positive {
                    for c in contributions.iter_mut().filter(|c| c.clause < split) {
                        c.value = -c.value * 0.8;
                    }
                }
            }
        }

        // Contrast: when the two sides disagree, the side after the contrast word wins.
        for &k in &contrasts {
            let before: f32 = contributions
                .iter()
                .filter(|c| c.clause < k)
                .map(|c| c.value * clauses[c.clause].weight)
                .sum();
            let after: f32 = contributions
                .iter()
                .filter(|c| c.clause >= k)
                .map(|c| c.value * clauses[c.clause].weight)
                .sum();
            if before * after < 0.0 {
                for (j, c) in clauses.iter_mut().enumerate() {
                    c.weight *= if j < k { 0.6 } else { 1.3 };
                }
            }
        }

        let mut total: f32 = contributions
            .iter()
            .map(|c| c.value * clauses[c.clause].weight)
            .sum();

        // Punctuation: ！！ strengthens a negative message, ？？ makes a question a complaint.
        let exclaims = count_exclaims(text);
        let questions = count_questions(text);
        let any_positive = contributions.iter().any(|c| c.value > 0.0);
        if total < 0.0 && exclaims >= 2 {
            total *= 1.3;
        }
        if questions >= 2 && !any_positive {
            total -= if questions >= 3 { 1.0 } else { 0.6 };
        }
        if ["?!", "？！", "!?", "！？"]
            .iter()
            .any(|p| text.contains(p))
        {
            total -= 0.4;
        }
        (total, contributions)
    }

    /// The escalation triggers in a message whose sentiment score is `score`.
    fn triggers_in(&self, text: &Text, score: f32) -> Vec<Trigger> {
        let mut out: Vec<Trigger> = Vec::new();
        let mut spoiled: Option<String> = None;
        let mut consumed = false;
        let mut bodies: Vec<usize> = Vec::new(); // clause starts with a body part
        let mut injuries: Vec<(usize, String)> = Vec::new();
        let mut exposure: Option<bool> = None;
        for m in self.triggers.scan(text) {
            let cat = *m.value;
            let term = text.slice(m.start, m.end()).to_owned();
            if cat == Category::Block {
                continue;
            }
            let (cs, ce) = clause_bounds(text, m.start, m.end());
            if negated(text, cs, m.start) {
                continue;
            }
            if score >= 0.0 && history(text, cs, m.start) {
                // Praise that mentions an earlier complaint or threat.
                continue;
            }
            match cat {
                Category::Role if !role_request(text, cs, ce, m.start, m.end()) => continue,
                Category::Expose => {
                    let before =
                        m.start > 0 && matches!(text.chars[m.start - 1], '发' | '晒' | '挂');
                    let after_see = text.chars.get(m.end()) == Some(&'见');
                    let by_press = text.range_contains(cs, m.start, "找")
                        || text.range_contains(cs, m.start, "联系")
                        || text.range_contains(cs, m.start, "告诉");
                    // Exposure wording anywhere in the message (looked for once).
                    let mut exposed = || {
                        *exposure.get_or_insert_with(|| EXPOSURE.iter().any(|e| text.contains(e)))
                    };
                    if !(before || after_see || by_press || exposed()) {
                        continue;
                    }
                }
                Category::Spoiled => {
                    spoiled.get_or_insert(term);
                    continue;
                }
                Category::Consumed => {
                    consumed = true;
                    continue;
                }
                Category::Body => {
                    bodies.push(cs);
                    continue;
                }
                Category::Injury => {
                    injuries.push((cs, term));
                    continue;
                }
                // 人工客服几点上班 / 周末上班吗: a question about the service, not a request.
                Category::Human if SCHEDULE.iter().any(|w| text.range_contains(m.end(), ce, w)) => {
                    continue;
                }
                Category::Repeat if score > 0.0 => continue,
                _ => {}
            }
            out.push(Trigger {
                category: cat,
                term,
            });
        }
        if let Some((_, t)) = injuries.iter().find(|(c, _)| bodies.contains(c)) {
            out.push(Trigger {
                category: Category::Safety,
                term: t.clone(),
            });
        }
        if let Some(s) = spoiled
            && consumed
        {
            out.push(Trigger {
                category: Category::Safety,
                term: s,
            });
        }
        if score <= 0.0 {
            if let Some(t) = repeated_contact(text) {
                out.push(Trigger {
                    category: Category::Repeat,
                    term: t,
                });
            }
            if let Some(t) = broken_promise(text) {
                out.push(Trigger {
                    category: Category::Repeat,
                    term: t,
                });
            }
        }
        if out.iter().filter(|t| t.category == Category::Human).count() >= 2 {
            out.push(Trigger {
                category: Category::Anger,
                term: "repeated_demand".to_owned(),
            });
        }
        if let Some(t) = leaves_group(text) {
            out.push(Trigger {
                category: Category::Threat,
                term: t,
            });
        }
        // Strong anger without a listed word: a clearly negative message shouted.
        let exclaims = count_exclaims(text);
        let questions = count_questions(text);
        if score <= -2.5 && (exclaims >= 2 || questions >= 3) {
            out.push(Trigger {
                category: Category::Anger,
                term: "strong_negative".to_owned(),
            });
        }
        out
    }
}

/// Escalation words whose negation means "no threat", not "praise".
fn is_threat_word(term: &str) -> bool {
    matches!(
        term,
        "投诉"
            | "举报"
            | "曝光"
            | "律师"
            | "报警"
            | "12315"
            | "消协"
            | "退群"
            | "要求赔偿"
            | "说法"
            | "交代"
            | "差评"
    )
}

/// The clause (between boundaries) around characters `start..end`.
fn clause_bounds(text: &Text, start: usize, end: usize) -> (usize, usize) {
    let mut cs = start;
    while cs > 0 && !is_boundary(text.chars[cs - 1]) {
        cs -= 1;
    }
    let mut ce = end;
    while ce < text.len() && !is_boundary(text.chars[ce]) {
        ce += 1;
    }
    (cs, ce)
}

/// Whether an escalation negator stands right before `start` in the clause.
fn negated(text: &Text, cs: usize, start: usize) -> bool {
    let from = cs.max(start.saturating_sub(7));
    let window = &text.chars[from..start];
    // 不投诉, 不转人工: a bare 不 or 没 right before the trigger.
    if let Some(&c) = window.last()
        && (c == '不' || c == '没')
    {
        return true;
    }
    for neg in ESCALATION_NEGATORS {
        if !text.may_contain(neg) {
            continue;
        }
        let Some((neg, len)) = phrase_chars(neg) else {
            continue;
        };
        if let Some(pos) = rfind_chars(window, &neg[..len]) {
            // 是不是, 要不要: an A-not-A question, not a negation.
            let before = pos.checked_sub(1).map(|p| window[p]);
            let after_not = neg[..len].get(1).copied();
            if before.is_some() && before == after_not {
                continue;
            }
            let gap = &window[pos + len..];
            if gap.len() <= 3 && gap.iter().all(|&c| NEGATION_GAP.contains(c)) {
                return true;
            }
        }
    }
    false
}

/// Whether a history marker stands shortly before `start` in the clause.
fn history(text: &Text, cs: usize, start: usize) -> bool {
    let from = cs.max(start.saturating_sub(6));
    HISTORY.iter().any(|h| text.range_contains(from, start, h))
}

/// Whether a manager or role is asked for (`叫你们经理出来`), not just mentioned.
fn role_request(text: &Text, cs: usize, ce: usize, start: usize, end: usize) -> bool {
    let from = cs.max(start.saturating_sub(10));
    if text.range_contains(from, start, "谢谢") || text.range_contains(from, start, "感谢") {
        return false;
    }
    if ROLE_BEFORE
        .iter()
        .any(|v| text.range_contains(from, start, v))
    {
        return true;
    }
    let after_end = ce.min(end + 8).max(end);
    let after = text.slice(end, after_end);
    let after_with_punct = text.slice(end, (end + 2).min(text.len()));
    ROLE_AFTER
        .iter()
        .any(|v| after.starts_with(v) || text.range_contains(end, after_end, v))
        || after_with_punct.starts_with('呢')
}

/// `第三次找你们`, `反馈过两次`, `问了五天`, `三次了`, `说了多少遍`: repeated unresolved contact.
fn repeated_contact(text: &Text) -> Option<String> {
    let c = &text.chars;
    let n = c.len();
    let count_at = |i: usize| -> (&str, usize) {
        let mut j = i;
        while j < n && (is_num(c[j]) || c[j] == '无' || c[j] == '数' || c[j] == '少') {
            j += 1;
        }
        (text.slice(i, j), j)
    };
    for i in 0..n {
        // 第N次 / 第N回 (第二次回购了 is praise, which the caller rules out by the score)
        if c[i] == '第' {
            let (num, j) = count_at(i + 1);
            if is_count_two_plus(num) && j < n && matches!(c[j], '次' | '回') {
                return Some(text.slice(i, j + 1).to_owned());
            }
        }
        // N次了
        if is_num(c[i]) && (i == 0 || !is_num(c[i - 1])) {
            let (num, j) = count_at(i);
            if is_count_two_plus(num)
                && j + 1 < n
                && matches!(c[j], '次' | '回')
                && c[j + 1] == '了'
            {
                return Some(text.slice(i, j + 2).to_owned());
            }
        }
    }
    // VERB(了|过)?COUNT(次|回|天|遍)
    for verb in CONTACT_VERBS {
        if !text.may_contain(verb) {
            continue;
        }
        let mut from = 0;
        while let Some(p) = text.s[from..].find(verb) {
            let byte = from + p;
            from = byte + verb.len();
            let i = text.char_index(byte) + verb.chars().count();
            let mut j = i;
            if j < n && matches!(c[j], '了' | '过') {
                j += 1;
            }
            let (num, k) = count_at(j);
            let half_month = num == "半" && text.slice(k, n).starts_with("个月");
            if k < n && (is_count_two_plus(num) || half_month) {
                let unit = c[k];
                let rest = text.slice(k, n);
                // 问了五天, 反映三个星期: contact over days is repeated contact too.
                let days = verb != "说"
                    && ["天", "周", "个星期", "星期", "个礼拜", "礼拜", "个月"]
                        .iter()
                        .any(|u| rest.starts_with(u));
                let ok = matches!(unit, '次' | '回') || days || (unit == '遍' && verb == "说");
                if ok {
                    let s = text.char_index(byte);
                    return Some(text.slice(s, k + 1).to_owned());
                }
            }
        }
    }
    None
}

/// `说好48小时内回电，这都一个礼拜了`: a promise and a long wait since.
fn broken_promise(text: &Text) -> Option<String> {
    let promise = PROMISE.iter().find(|p| text.contains(p))?;
    let waited = duration_complaints(text).iter().any(|&(pos, _)| {
        pos > 0 && {
            let before = text.slice(pos.saturating_sub(2), pos);
            before.contains('都') || before.contains("已经") || before.contains('经')
        }
    });
    waited.then(|| (*promise).to_owned())
}

/// `退出你们这个家长群`: leaving the group (quality.md lists it as a threat).
fn leaves_group(text: &Text) -> Option<String> {
    if !text.may_contain("退出") {
        return None;
    }
    let p = text.s.find("退出")?;
    let i = text.char_index(p);
    let end = (i + 12).min(text.len());
    (i + 2..end)
        .find(|&j| text.chars[j] == '群')
        .map(|j| text.slice(i, j + 1).to_owned())
}

/// Waiting durations with their position and weight: `一个星期了` / `三天了还` (-0.8),
/// `半小时才` (-0.8), `都五天` (-0.5).
fn duration_complaints(text: &Text) -> Vec<(usize, f32)> {
    let c = &text.chars;
    let n = c.len();
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        if !is_num(c[i]) || (i > 0 && is_num(c[i - 1])) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < n && is_num(c[j]) {
            j += 1;
        }
        let num = text.slice(i, j);
        if num == "好" || num == "多" {
            i = j;
            continue;
        }
        let rest = text.slice(j, n);
        let Some(unit) = DURATION_UNITS.iter().find(|u| rest.starts_with(*u)) else {
            i = j;
            continue;
        };
        let k = j + unit.chars().count();
        let next = c.get(k).copied();
        let before = if i >= 1 { c[i - 1] } else { ' ' };
        let before2 = if i >= 2 { text.slice(i - 2, i) } else { "" };
        // 满一年了, 超过七天了: a condition that is met, not a wait.
        if matches!(before, '满' | '够' | '过' | '超') {
            i = k;
            continue;
        }
        let v = if next == Some('了') || next == Some('才') || before == '等' {
            -0.8
        } else if before == '都' || before2 == "已经" {
            -0.5
        } else {
            0.0
        };
        if v < 0.0 {
            out.push((i, v));
        }
        i = k;
    }
    out
}

/// The finer emotion label, from the emotions of the words and the kind of trigger.
fn emotion_of(
    polarity: Polarity,
    contributions: &[Contribution],
    triggers: &[Trigger],
    text: &Text,
) -> Emotion {
    let mut weights: Vec<(Emotion, f32)> = Vec::new();
    let mut add = |e: Emotion, w: f32| match weights.iter_mut().find(|(x, _)| *x == e) {
        Some((_, v)) => *v += w,
        None => weights.push((e, w)),
    };
    for c in contributions {
        let Some(e) = c.emotion else { continue };
        // A flipped word keeps the sign of its new value: 不满意 is not "satisfied".
        if (c.value < 0.0 && e.is_negative()) || (c.value > 0.0 && e.is_positive()) {
            add(e, c.value.abs());
        } else if e == Emotion::Confused {
            add(e, 0.5);
        }
    }
    for t in triggers {
        match t.category {
            Category::Insult | Category::Anger => add(Emotion::Angry, 2.0),
            Category::Threat | Category::Expose | Category::Complaint => add(Emotion::Angry, 1.0),
            Category::Safety | Category::Money => add(Emotion::Anxious, 2.0),
            Category::Repeat => add(Emotion::Angry, 1.0),
            _ => {}
        }
    }
    if count_exclaims(text) >= 2 && polarity == Polarity::Negative {
        add(Emotion::Angry, 0.8);
    }
    let best = |keep: fn(Emotion) -> bool| {
        weights
            .iter()
            .filter(|(e, _)| keep(*e))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(e, _)| *e)
    };
    match polarity {
        Polarity::Negative => best(Emotion::is_negative).unwrap_or(Emotion::Dissatisfied),
        Polarity::Positive => best(Emotion::is_positive).unwrap_or(Emotion::Satisfied),
        Polarity::Neutral => {
            if weights.iter().any(|(e, _)| *e == Emotion::Confused)
                || text.contains("🤔")
                || text.contains("[疑问]")
            {
                Emotion::Confused
            } else {
                Emotion::Neutral
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> Analyzer {
        Analyzer::from_data(
            include_str!("../data/sentiment.tsv"),
            include_str!("../data/escalation.tsv"),
        )
        .unwrap()
    }

    fn polarity(text: &str) -> Polarity {
        model().analyze(text).polarity
    }

    fn escalates(text: &str) -> bool {
        model().analyze(text).escalate
    }

    #[test]
    fn plain_questions_and_acknowledgements_are_neutral() {
        for t in [
            "请问你们周日几点开门？",
            "好的",
            "收到",
            "订单号4400123987，帮我查下到哪了",
            "👌",
            "？",
        ] {
            assert_eq!(polarity(t), Polarity::Neutral, "{t}");
        }
    }

    #[test]
    fn sarcasm_in_quotes_is_negative_without_escalating() {
        for t in [
            "这就是你们的‘极速退款’？两周了",
            "真是“贴心”，快递直接扔门口",
            "呵呵，说好的包邮呢",
        ] {
            let v = model().analyze(t);
            assert_eq!(v.polarity, Polarity::Negative, "{t}");
            assert!(!v.escalate, "{t}");
        }
    }

    #[test]
    fn a_short_exclamation_before_a_bad_fact_is_sarcastic() {
        assert_eq!(polarity("太棒了，刚穿一次就开线了"), Polarity::Negative);
        assert_eq!(
            polarity("太棒了，刚穿一次就收到好多夸奖"),
            Polarity::Positive
        );
    }

    #[test]
    fn negated_positives_are_negative_and_negated_negatives_positive() {
        assert_eq!(polarity("这个面膜没有宣传的那么好用"), Polarity::Negative);
        assert_eq!(polarity("不太满意，做工粗糙"), Polarity::Negative);
        assert_eq!(polarity("一点都不腥，孩子吃得很香"), Polarity::Positive);
        assert_eq!(polarity("完全不用担心，师傅很专业"), Polarity::Positive);
    }

    #[test]
    fn mirrored_pairs_get_opposite_labels() {
        assert_eq!(polarity("这次客服回得很快"), Polarity::Positive);
        assert_eq!(polarity("这次客服回得很慢"), Polarity::Negative);
    }

    #[test]
    fn the_clause_after_a_contrast_weighs_more() {
        assert_eq!(polarity("包装挺好看的，但是味道很难吃"), Polarity::Negative);
        assert_eq!(
            polarity("虽然等了一会儿，但是师傅手艺真的好"),
            Polarity::Positive
        );
        assert_eq!(
            polarity("衣服不错，就是发货慢了点，总体满意"),
            Polarity::Positive
        );
    }

    #[test]
    fn praise_that_mentions_an_earlier_complaint_is_positive_and_calm() {
        for t in [
            "上次投诉的问题已经解决了，谢谢你们",
            "之前说要找律师是我太激动了，处理得挺好，感谢",
        ] {
            let v = model().analyze(t);
            assert_eq!(v.polarity, Polarity::Positive, "{t}");
            assert!(!v.escalate, "{t}");
        }
    }

    #[test]
    fn emoji_only_messages_take_the_emoji_polarity() {
        assert_eq!(polarity("👍👍"), Polarity::Positive);
        assert_eq!(polarity("[玫瑰]"), Polarity::Positive);
        assert_eq!(polarity("😤😤"), Polarity::Negative);
        assert_eq!(polarity("🤔"), Polarity::Neutral);
    }

    #[test]
    fn a_single_angry_emoji_is_negative_but_does_not_escalate() {
        let v = model().analyze("😡");
        assert_eq!(v.polarity, Polarity::Negative);
        assert!(!v.escalate);
    }

    #[test]
    fn calm_requests_for_a_human_escalate_and_negated_ones_do_not() {
        assert!(escalates("麻烦帮我转一下人工客服"));
        assert!(escalates("能让你们店长给我回个电话吗"));
        assert!(!escalates("不用转人工了，问题解决了"));
        assert!(!escalates("我不是要人工，就问问人工客服几点上班"));
        assert!(!escalates("客户经理很耐心，讲得很清楚"));
    }

    #[test]
    fn threats_escalate_but_bad_reviews_and_vague_warnings_do_not() {
        assert!(escalates("再不退款我就去消协"));
        assert!(escalates("不给处理我就发微博曝光"));
        assert!(escalates("我已经咨询律师了"));
        assert!(!escalates("再这样我就给差评了"));
        assert!(!escalates("你们等着后悔吧，这事没完"));
        assert!(!escalates("我不会去12315的，就是提个意见"));
        assert!(!escalates("我在小红书上看到你们家的"));
    }

    #[test]
    fn insults_safety_and_money_incidents_escalate() {
        let v = model().analyze("你们这帮骗子！！");
        assert!(v.escalate && v.angry);
        assert_eq!(v.emotion, Emotion::Angry);
        let v = model().analyze("宝宝用了你们的湿巾全身起红疹");
        assert!(v.escalate);
        assert_eq!(v.emotion, Emotion::Anxious);
        assert!(escalates("我的卡被盗刷了三千"));
        assert!(escalates("酸奶过期了，孩子已经喝了"));
        assert!(!escalates("优惠券过期了，能补一张吗"));
    }

    #[test]
    fn repeated_contact_escalates_but_repeated_questions_in_one_chat_do_not() {
        assert!(escalates("这是我第三次联系你们了，还是没人处理"));
        assert!(escalates("我已经反馈过两次了，到现在没消息"));
        assert!(!escalates("第二次回购了，还是那么好用"));
        assert!(!escalates("一个问题问了三遍都没说明白"));
    }

    #[test]
    fn disappointment_and_churn_are_negative_without_escalating() {
        for t in ["有点失望，下次不来了", "年卡到期就不续了"] {
            let v = model().analyze(t);
            assert_eq!(v.polarity, Polarity::Negative, "{t}");
            assert!(!v.escalate, "{t}");
            assert_eq!(v.emotion, Emotion::Disappointed, "{t}");
        }
    }

    #[test]
    fn score_and_reason_are_reported() {
        let v = model().analyze("不处理我就打12315");
        assert!(v.score < 0.0 && v.score >= -1.0);
        assert_eq!(v.reason.as_deref(), Some("threat:12315"));
        assert!(v.complaint);
        let v = model().analyze("转人工");
        assert_eq!(v.reason.as_deref(), Some("asks_human"));
        assert!(!v.complaint);
    }

    #[test]
    fn tenant_words_extend_the_lexicon() {
        let mut m = model();
        assert_eq!(m.analyze("这个口味很上头").polarity, Polarity::Neutral);
        assert!(!m.analyze("我要找消费者之家").escalate);
        m.extend(&["上头".into()], &[], &["消费者之家".into()]);
        assert_eq!(m.analyze("这个口味很上头").polarity, Polarity::Positive);
        assert!(m.analyze("我要找消费者之家").escalate);
    }
}
