//! Session quality inspection (quality.md, "Session quality inspection").
//!
//! Four flags, each a finding on the turn that proves it, and a CSAT risk:
//! - `response_timeout`: a customer turn whose next agent/bot turn comes more than the threshold
//!   later (45 s by default; exactly 45 s is fine), or never. Each turn of a burst is measured on
//!   its own; a transfer queue without a new customer message is not measured, because the bot's
//!   transfer notice already answered.
//! - `missed_escalation`: a customer turn that asks for a human or a manager, complains,
//!   threatens or shows strong anger, where neither of the next two agent/bot turns is a human
//!   agent's or a bot's transfer notice that a human turn actually follows. A session that no bot
//!   takes part in is run by a human throughout, so its triggers count as handled. Every trigger
//!   is judged on its own: a later handled one does not cancel an earlier miss.
//! - `missing_closing`: the last agent/bot turn has none of the closing phrases.
//! - `forbidden_phrase`: an agent/bot turn brushes the customer off (不知道, 没办法, 爱买不买 …).
//!   Polite uses are recognised: `不知道您…吗`, `暂时没办法…，不过我可以…`, `您可以自己查看`.
//! - `csat_risk`: `high` when a brush-off went unrepaired, an escalation was missed, or the
//!   customer was left unanswered, on hold or unhappy; `medium` when there was friction (a wait of
//!   60 s or more for a real answer, a curt exchange, a repaired brush-off, an angry customer) but
//!   the issue was handled; `low` otherwise.
//!
//! Pure code: no SDK. Customer turns are judged with [`Analyzer`].

use std::cell::OnceCell;

use crate::lexicon::{Category, Text};
use crate::sentiment::{Analyzer, Polarity, Verdict};

/// Who wrote a turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Customer,
    Agent,
    Bot,
}

/// One turn; `ts_ms` is milliseconds (any origin).
#[derive(Clone, Debug)]
pub struct Turn {
    pub role: Role,
    pub text: String,
    pub ts_ms: u64,
}

/// A severity or a risk level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Low,
    Medium,
    High,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
        }
    }
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// `response_timeout`, `missed_escalation`, `missing_closing`, `forbidden_phrase`, `csat_risk`.
    pub kind: &'static str,
    /// The index of the turn that proves it.
    pub turn: usize,
    pub severity: Level,
    pub detail: String,
}

/// The inspection of one session.
#[derive(Clone, Debug)]
pub struct Report {
    /// Every finding, in turn order (the `csat_risk` one last).
    pub findings: Vec<Finding>,
    pub csat: Level,
    /// Why the CSAT risk is what it is, in a few words.
    pub csat_reason: String,
    /// Seconds from the first customer turn to the first agent/bot turn after it.
    pub first_response_secs: Option<u64>,
    /// The longest wait of a customer turn for the next agent/bot turn (answered turns only).
    pub max_wait_secs: Option<u64>,
    /// Customer turns that never got an agent/bot turn after them.
    pub unanswered: usize,
}

/// Thresholds of the inspection (tenant configuration).
#[derive(Clone, Debug)]
pub struct Thresholds {
    /// A wait longer than this is a `response_timeout` (45 s; 45 s itself is fine).
    pub response_timeout_secs: u64,
    /// A wait of this long for a real answer is friction for the CSAT risk (60 s).
    pub friction_wait_secs: u64,
    /// Do not flag a trailing customer acknowledgement (`好的谢谢`) that nobody answered.
    pub ignore_trailing_ack: bool,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            response_timeout_secs: 45,
            friction_wait_secs: 60,
            ignore_trailing_ack: false,
        }
    }
}

/// The phrase lists of `data/qa.tsv`, extended by the tenant.
#[derive(Clone, Debug, Default)]
pub struct Phrases {
    /// Closing patterns, split at `…` (a gap of at most [`GAP`] characters).
    closing: Vec<Vec<String>>,
    forbidden: Vec<String>,
    transfer: Vec<String>,
    nohuman: Vec<String>,
    hold: Vec<String>,
    apology: Vec<String>,
    ack: Vec<String>,
}

/// The widest gap `…` stands for in a closing pattern.
const GAP: usize = 12;

/// After these, 没办法 comes with an alternative and is polite.
const OFFERS: [&str; 11] = [
    "不过",
    "但是",
    "但",
    "您可以",
    "我可以",
    "我们可以",
    "可以帮您",
    "为您",
    "帮您",
    "建议您",
    "可以给您",
];

impl Phrases {
    /// Parses `data/qa.tsv`.
    pub fn from_data(tsv: &str) -> Result<Phrases, String> {
        let mut p = Phrases::default();
        for (kind, phrase) in crate::lexicon::parse_pairs(tsv)? {
            match kind.as_str() {
                "closing" => p.add_closing(&phrase),
                "forbidden" => p.forbidden.push(phrase),
                "transfer" => p.transfer.push(phrase),
                "nohuman" => p.nohuman.push(phrase),
                "hold" => p.hold.push(phrase),
                "apology" => p.apology.push(phrase),
                "ack" => p.ack.push(phrase),
                other => return Err(format!("qa.tsv: unknown kind {other:?}")),
            }
        }
        Ok(p)
    }

    fn add_closing(&mut self, phrase: &str) {
        let parts: Vec<String> = phrase
            .split('…')
            .map(|s| Text::new(s.trim()).s)
            .filter(|s| !s.is_empty())
            .collect();
        if !parts.is_empty() {
            self.closing.push(parts);
        }
    }

    /// Adds a tenant's closing and forbidden phrases; `replace_forbidden` drops the defaults.
    pub fn extend(&mut self, closing: &[String], forbidden: &[String], replace_forbidden: bool) {
        for c in closing {
            self.add_closing(c);
        }
        if replace_forbidden {
            self.forbidden.clear();
        }
        for f in forbidden {
            let f = Text::new(f.trim()).s;
            if !f.is_empty() {
                self.forbidden.push(f);
            }
        }
    }

    /// Whether a turn contains a proper closing.
    pub fn is_closing(&self, text: &str) -> bool {
        self.closing_in(&Text::new(text))
    }

    fn closing_in(&self, t: &Text) -> bool {
        self.closing.iter().any(|parts| matches_with_gaps(t, parts))
    }

    /// The forbidden phrases of an agent/bot turn used as a brush-off (polite uses left out).
    pub fn brush_offs(&self, text: &str) -> Vec<String> {
        self.brush_offs_in(&Text::new(text))
    }

    fn brush_offs_in(&self, t: &Text) -> Vec<String> {
        let mut found: Vec<String> = Vec::new();
        for phrase in &self.forbidden {
            if !t.may_contain(phrase) {
                continue;
            }
            let mut from = 0;
            while let Some(p) = t.s[from..].find(phrase.as_str()) {
                let byte = from + p;
                from = byte + phrase.len();
                if !polite_use(&t.s, byte, phrase) && !found.contains(phrase) {
                    found.push(phrase.clone());
                }
            }
        }
        // A longer phrase covers the shorter one inside it (我哪知道 / 不知道).
        let all = found.clone();
        found.retain(|f| !all.iter().any(|g| g != f && g.contains(f.as_str())));
        found
    }

    /// A bot turn that announces a transfer to a human.
    pub fn is_transfer(&self, text: &str) -> bool {
        self.transfer_in(&Text::new(text))
    }

    fn transfer_in(&self, t: &Text) -> bool {
        self.transfer.iter().any(|p| t.contains(p)) && !self.nohuman.iter().any(|p| t.contains(p))
    }

    /// A holding notice (请稍等, a queue position, a transfer notice): not an answer.
    pub fn is_hold(&self, text: &str) -> bool {
        self.hold_in(&Text::new(text))
    }

    fn hold_in(&self, t: &Text) -> bool {
        let short = t.len() <= 40;
        short && (self.hold.iter().any(|p| t.contains(p)) || self.transfer_in(t))
    }

    /// An apology (it repairs an earlier brush-off).
    pub fn is_apology(&self, text: &str) -> bool {
        self.apology_in(&Text::new(text))
    }

    fn apology_in(&self, t: &Text) -> bool {
        self.apology.iter().any(|p| t.contains(p))
    }

    /// A customer turn that needs no real answer (好的, 谢谢, [图片]).
    pub fn is_ack(&self, text: &str) -> bool {
        self.ack_in(&Text::new(text))
    }

    fn ack_in(&self, text: &Text) -> bool {
        let t: String = text
            .chars
            .iter()
            .filter(|c| !c.is_whitespace() && !is_punct(**c))
            .collect();
        t.is_empty()
            || self.ack.contains(&t)
            || (t.chars().count() <= 6
                && self
                    .ack
                    .iter()
                    .any(|a| a.chars().count() >= 2 && t.starts_with(a.as_str()))
                && !t.contains('吗')
                && !t.contains('?'))
    }
}

fn is_punct(c: char) -> bool {
    matches!(
        c,
        '，' | ','
            | '。'
            | '.'
            | '！'
            | '!'
            | '？'
            | '?'
            | '～'
            | '~'
            | '…'
            | '、'
            | '；'
            | ';'
            | '：'
            | ':'
    )
}

/// `parts` in order, each within [`GAP`] characters of the previous one.
fn matches_with_gaps(t: &Text, parts: &[String]) -> bool {
    // Every part must occur somewhere: most texts fail this at once.
    if !parts.iter().all(|p| t.may_contain(p)) {
        return false;
    }
    let mut starts: Vec<usize> = Vec::new();
    let first = &parts[0];
    let mut from = 0;
    while let Some(p) = t.s[from..].find(first.as_str()) {
        starts.push(from + p + first.len());
        from += p + first.len();
    }
    'outer: for start in starts {
        let mut pos = start;
        for part in &parts[1..] {
            let window_end = t.s[pos..]
                .char_indices()
                .nth(GAP)
                .map_or(t.s.len(), |(i, _)| pos + i);
            let limit = (window_end + part.len()).min(t.s.len());
            match t.s[pos..limit].find(part.as_str()) {
                Some(p) => pos += p + part.len(),
                None => continue 'outer,
            }
        }
        return true;
    }
    false
}

/// Whether a forbidden phrase at byte `at` is used politely.
fn polite_use(s: &str, at: usize, phrase: &str) -> bool {
    let before: String = {
        let chars: Vec<char> = s[..at].chars().collect();
        chars[chars.len().saturating_sub(4)..].iter().collect()
    };
    let after = &s[at + phrase.len()..];
    let sentence_end = after.find(['。', '！', '!', '\n']).unwrap_or(after.len());
    let sentence = &after[..sentence_end];
    match phrase {
        // 不知道您是自己用还是送人呢？ asks; 我也不知道 brushes off.
        "不知道" => {
            let asks = [
                "您",
                "是否",
                "方不方便",
                "能否",
                "可否",
                "哪",
                "孩子",
                "宝宝",
                "这边",
            ]
            .iter()
            .any(|w| after.starts_with(w));
            let question = sentence.contains('？')
                || sentence.contains('?')
                || sentence.contains('吗')
                || sentence.contains('呢');
            let subject_is_customer = before.ends_with('您') || before.contains("如果您");
            (asks && question && !before.ends_with('我') && !before.ends_with('也'))
                || subject_is_customer
        }
        // 系统暂时没办法预留，不过我可以…通知您: an explanation with an alternative.
        "没办法" => OFFERS.iter().any(|o| after.contains(o)),
        // 您可以自己查看 / 您也可以自己去查.
        _ if phrase.contains("自己") => {
            before.contains("您可以") || before.contains("您也可以") || before.contains("也可以")
        }
        _ => false,
    }
}

/// Whether a customer turn is an escalation trigger in the QA sense: it asks for a human or a
/// manager, complains, threatens, or shows strong anger.
pub fn is_trigger(v: &Verdict) -> bool {
    v.triggers.iter().any(|t| {
        matches!(
            t.category,
            Category::Human
                | Category::Role
                | Category::Phone
                | Category::Complaint
                | Category::Threat
                | Category::Expose
                | Category::Insult
                | Category::Anger
                | Category::Custom
        )
    })
}

/// Whether a customer turn starts friction (for the CSAT risk): a complaint, a threat, anger,
/// harm or repeated contact — but not a calm request for a human or a calm fraud check.
fn is_angry(v: &Verdict) -> bool {
    v.triggers.iter().any(|t| {
        matches!(
            t.category,
            Category::Complaint
                | Category::Threat
                | Category::Expose
                | Category::Insult
                | Category::Anger
                | Category::Safety
                | Category::Repeat
        )
    }) || (v.polarity == Polarity::Negative && v.angry)
        || (v.polarity == Polarity::Negative && v.exclaims >= 2)
}

/// Whether the customer's last word is unhappy: clearly negative, or resigned or angry
/// (算了，以后不在你们家买了 / 唉，行吧), not just a grumble on the way out (好吧，下次注意点).
fn leaves_unhappy(v: &Verdict) -> bool {
    v.polarity == Polarity::Negative
        && (v.raw <= -1.3
            || matches!(
                v.emotion,
                crate::lexicon::Emotion::Angry | crate::lexicon::Emotion::Disappointed
            ))
}

/// A curt agent/bot answer: a few characters with no courtesy at all (有 / 398 / 不含).
fn is_curt(text: &Text) -> bool {
    let t: String = text
        .chars
        .iter()
        .filter(|c| !c.is_whitespace() && !is_punct(**c))
        .collect();
    let courteous = [
        "您",
        "亲",
        "哦",
        "呢",
        "哈",
        "呀",
        "啦",
        "嘛",
        "好的",
        "不客气",
        "收到",
        "谢谢",
        "好嘞",
        "可以的",
        "～",
        "😊",
        "🌹",
    ];
    let n = t.chars().count();
    n > 0 && n <= 4 && !courteous.iter().any(|c| t.contains(c))
}

fn secs(ms: u64) -> u64 {
    (ms + 500) / 1000
}

/// Inspects one session.
pub fn inspect(analyzer: &Analyzer, phrases: &Phrases, th: &Thresholds, turns: &[Turn]) -> Report {
    let verdicts: Vec<Option<Verdict>> = turns
        .iter()
        .map(|t| (t.role == Role::Customer).then(|| analyzer.analyze(&t.text)))
        .collect();
    let next_reply = |i: usize| (i + 1..turns.len()).find(|&j| turns[j].role != Role::Customer);
    let mut findings: Vec<Finding> = Vec::new();
    // Each turn's text and phrase classes are worked out at most once, when first needed.
    let texts: Vec<OnceCell<Text>> = turns.iter().map(|_| OnceCell::new()).collect();
    let text = |j: usize| texts[j].get_or_init(|| Text::new(&turns[j].text));
    let memo = |cells: &Vec<OnceCell<bool>>, j: usize, f: &dyn Fn(&Text) -> bool| {
        *cells[j].get_or_init(|| f(text(j)))
    };
    let cells = || -> Vec<OnceCell<bool>> { turns.iter().map(|_| OnceCell::new()).collect() };
    let (acks, holds, transfers, apologies, closings) =
        (cells(), cells(), cells(), cells(), cells());
    let is_ack = |j: usize| memo(&acks, j, &|t| phrases.ack_in(t));
    let is_hold = |j: usize| memo(&holds, j, &|t| phrases.hold_in(t));
    let is_transfer = |j: usize| memo(&transfers, j, &|t| phrases.transfer_in(t));
    let is_apology = |j: usize| memo(&apologies, j, &|t| phrases.apology_in(t));
    let is_closing = |j: usize| memo(&closings, j, &|t| phrases.closing_in(t));

    // response_timeout
    let timeout_ms = th.response_timeout_secs * 1000;
    let mut max_wait: Option<u64> = None;
    let mut first_response: Option<u64> = None;
    let mut unanswered = 0;
    let first_customer = turns.iter().position(|t| t.role == Role::Customer);
    for (i, t) in turns.iter().enumerate() {
        if t.role != Role::Customer {
            continue;
        }
        match next_reply(i) {
            Some(j) => {
                let wait = turns[j].ts_ms.saturating_sub(t.ts_ms);
                max_wait = Some(max_wait.map_or(wait, |m| m.max(wait)));
                if Some(i) == first_customer {
                    first_response = Some(wait);
                }
                if wait > timeout_ms {
                    findings.push(Finding {
                        kind: "response_timeout",
                        turn: i,
                        severity: if wait > 2 * timeout_ms {
                            Level::Medium
                        } else {
                            Level::Low
                        },
                        detail: format!(
                            "客户消息等待 {} 秒才得到回复（阈值 {} 秒）",
                            secs(wait),
                            th.response_timeout_secs
                        ),
                    });
                }
            }
            None => {
                unanswered += 1;
                let trailing_ack = th.ignore_trailing_ack && is_ack(i);
                if !trailing_ack {
                    findings.push(Finding {
                        kind: "response_timeout",
                        turn: i,
                        severity: Level::High,
                        detail: "客户消息始终没有得到回复".to_owned(),
                    });
                }
            }
        }
    }

    // missed_escalation
    let bot_takes_part = turns.iter().any(|t| t.role == Role::Bot);
    let mut missed_any = false;
    for (i, v) in verdicts.iter().enumerate() {
        let Some(v) = v else { continue };
        if !is_trigger(v) || !bot_takes_part {
            continue;
        }
        let later: Vec<usize> = (i + 1..turns.len())
            .filter(|&j| turns[j].role != Role::Customer)
            .take(2)
            .collect();
        let human_after = |j: usize| turns[j + 1..].iter().any(|t| t.role == Role::Agent);
        let handled = if later.is_empty() {
            // Nothing answered it: handled only if a human already owned the conversation.
            turns[..i]
                .iter()
                .rev()
                .find(|t| t.role != Role::Customer)
                .is_some_and(|t| t.role == Role::Agent)
        } else {
            later.iter().any(|&j| {
                turns[j].role == Role::Agent
                    || (turns[j].role == Role::Bot && is_transfer(j) && human_after(j))
            })
        };
        if !handled {
            missed_any = true;
            let why = v.reason.clone().unwrap_or_else(|| "escalation".to_owned());
            findings.push(Finding {
                kind: "missed_escalation",
                turn: i,
                severity: Level::High,
                detail: format!(
                    "客户需要人工介入（{why}），后续两轮客服/机器人回复中没有人工接手或有效转接"
                ),
            });
        }
    }

    // missing_closing
    let last_reply = turns.iter().rposition(|t| t.role != Role::Customer);
    match last_reply {
        Some(j) if is_closing(j) => {}
        Some(j) => findings.push(Finding {
            kind: "missing_closing",
            turn: j,
            severity: Level::Low,
            detail: "最后一条客服/机器人消息没有规范的结束语".to_owned(),
        }),
        None if !turns.is_empty() => findings.push(Finding {
            kind: "missing_closing",
            turn: turns.len() - 1,
            severity: Level::Low,
            detail: "会话中没有任何客服/机器人回复".to_owned(),
        }),
        None => {}
    }

    // forbidden_phrase
    let mut unrepaired: Option<usize> = None;
    let mut repaired: Option<usize> = None;
    for (j, t) in turns.iter().enumerate() {
        if t.role == Role::Customer {
            continue;
        }
        let found = phrases.brush_offs_in(text(j));
        if found.is_empty() {
            continue;
        }
        let fixed = (j + 1..turns.len()).any(|k| turns[k].role != Role::Customer && is_apology(k));
        if fixed {
            repaired.get_or_insert(j);
        } else {
            unrepaired.get_or_insert(j);
        }
        findings.push(Finding {
            kind: "forbidden_phrase",
            turn: j,
            severity: if fixed { Level::Medium } else { Level::High },
            detail: format!(
                "客服使用了不当用语：{}{}",
                found.join("、"),
                if fixed {
                    "（之后已道歉纠正）"
                } else {
                    ""
                }
            ),
        });
    }

    // csat_risk
    let last = turns.len().checked_sub(1);
    let last_customer = turns.iter().rposition(|t| t.role == Role::Customer);
    let mut csat = Level::Low;
    let mut reason = "smooth".to_owned();
    let mut evidence = last.unwrap_or(0);
    let mut raise = |level: Level, why: &str, turn: usize| {
        if level > csat {
            csat = level;
            reason = why.to_owned();
            evidence = turn;
        }
    };
    // Friction first, so that a high reason overrides it.
    for (i, t) in turns.iter().enumerate() {
        if t.role != Role::Customer || is_ack(i) {
            continue;
        }
        let answer = (i + 1..turns.len()).find(|&j| turns[j].role != Role::Customer && !is_hold(j));
        if let Some(j) = answer
            && turns[j].ts_ms.saturating_sub(t.ts_ms) >= th.friction_wait_secs * 1000
        {
            raise(Level::Medium, "long_wait", i);
        }
    }
    let curt: Vec<usize> = turns
        .iter()
        .enumerate()
        .filter(|&(j, t)| t.role != Role::Customer && is_curt(text(j)))
        .map(|(j, _)| j)
        .collect();
    if curt.len() >= 2 {
        raise(Level::Medium, "curt_replies", curt[0]);
    }
    if let Some(j) = repaired {
        raise(Level::Medium, "repaired_brush_off", j);
    }
    if let Some((i, _)) = verdicts
        .iter()
        .enumerate()
        .find(|(_, v)| v.as_ref().is_some_and(is_angry))
    {
        raise(Level::Medium, "angry_customer", i);
    }
    if let Some(j) = unrepaired {
        raise(Level::High, "unrepaired_brush_off", j);
    }
    if missed_any && let Some(f) = findings.iter().find(|f| f.kind == "missed_escalation") {
        raise(Level::High, "missed_escalation", f.turn);
    }
    if let Some(l) = last
        && turns[l].role == Role::Customer
        && !is_ack(l)
    {
        raise(Level::High, "left_unanswered", l);
    }
    if let Some(j) = last_reply
        && is_hold(j)
        && !is_closing(j)
    {
        raise(Level::High, "left_on_hold", j);
    }
    if let Some(lc) = last_customer
        && let Some(v) = &verdicts[lc]
        && leaves_unhappy(v)
        && (Some(lc) != first_customer || next_reply(lc).is_none())
    {
        raise(Level::High, "left_unhappy", lc);
    }
    if csat > Level::Low {
        findings.push(Finding {
            kind: "csat_risk",
            turn: evidence,
            severity: if csat == Level::High {
                Level::High
            } else {
                Level::Medium
            },
            detail: csat.as_str().to_owned(),
        });
    }
    findings.sort_by_key(|f| (f.kind == "csat_risk", f.turn));

    Report {
        findings,
        csat,
        csat_reason: reason,
        first_response_secs: first_response.map(secs),
        max_wait_secs: max_wait.map(secs),
        unanswered,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> (Analyzer, Phrases) {
        (
            Analyzer::from_data(
                include_str!("../data/sentiment.tsv"),
                include_str!("../data/escalation.tsv"),
            )
            .unwrap(),
            Phrases::from_data(include_str!("../data/qa.tsv")).unwrap(),
        )
    }

    /// Turns from `(seconds, role, text)`, role `c` / `a` / `b`.
    fn session(turns: &[(u64, char, &str)]) -> Vec<Turn> {
        turns
            .iter()
            .map(|&(ts, r, text)| Turn {
                role: match r {
                    'c' => Role::Customer,
                    'a' => Role::Agent,
                    _ => Role::Bot,
                },
                text: text.to_owned(),
                ts_ms: 1_700_000_000_000 + ts * 1000,
            })
            .collect()
    }

    fn run_with(turns: &[(u64, char, &str)], th: &Thresholds) -> Report {
        let (a, p) = model();
        inspect(&a, &p, th, &session(turns))
    }

    fn run(turns: &[(u64, char, &str)]) -> Report {
        run_with(turns, &Thresholds::default())
    }

    fn at(r: &Report, kind: &str) -> Vec<usize> {
        r.findings
            .iter()
            .filter(|f| f.kind == kind)
            .map(|f| f.turn)
            .collect()
    }

    const CLOSE: &str = "好的，感谢您的咨询，祝您生活愉快";

    #[test]
    fn forty_five_seconds_is_fine_and_forty_six_is_a_timeout() {
        let ok = run(&[
            (0, 'c', "请问几点开门"),
            (45, 'a', "十点开门哦"),
            (50, 'c', "好的"),
            (55, 'a', CLOSE),
        ]);
        assert!(at(&ok, "response_timeout").is_empty());
        assert_eq!(ok.max_wait_secs, Some(45));
        let late = run(&[
            (0, 'c', "请问几点开门"),
            (46, 'a', "十点开门哦"),
            (50, 'c', "好的"),
            (55, 'a', CLOSE),
        ]);
        assert_eq!(at(&late, "response_timeout"), [0]);
        // A lone 46-59 s slip with a satisfied customer is still low risk.
        assert_eq!(late.csat, Level::Low);
        assert_eq!(late.first_response_secs, Some(46));
    }

    #[test]
    fn every_message_of_a_burst_is_measured() {
        let r = run(&[
            (0, 'c', "你好"),
            (5, 'c', "这个粉底液有小样吗"),
            (48, 'a', "您好，有的，9.9元三个色号"),
            (60, 'c', "好的"),
            (65, 'a', CLOSE),
        ]);
        assert_eq!(at(&r, "response_timeout"), [0]);
    }

    #[test]
    fn a_transfer_queue_without_a_new_message_is_not_a_timeout_but_is_friction() {
        let r = run(&[
            (0, 'c', "我想改一下课程时间，能找人工吗"),
            (1, 'b', "好的，正在为您转接人工客服，请稍候"),
            (151, 'a', "您好，我是班主任，帮您改到周日上午可以吗"),
            (160, 'c', "可以"),
            (170, 'a', "已改好，祝您和孩子学习愉快"),
        ]);
        assert!(at(&r, "response_timeout").is_empty());
        assert!(at(&r, "missed_escalation").is_empty());
        assert_eq!(r.csat, Level::Medium);
    }

    #[test]
    fn a_bot_answer_to_how_long_during_the_queue_counts_as_a_reply() {
        let r = run(&[
            (0, 'c', "转人工"),
            (1, 'b', "正在为您转接人工客服，请稍候"),
            (60, 'c', "还要多久"),
            (61, 'b', "您前面还有3位客户，请耐心等待"),
            (120, 'a', "您好，请问有什么可以帮您"),
            (130, 'c', "查一下积分"),
            (140, 'a', "您有2300积分，感谢您的耐心"),
        ]);
        assert!(at(&r, "response_timeout").is_empty());
    }

    #[test]
    fn a_session_ending_on_a_customer_turn_is_a_timeout_and_high_risk() {
        let r = run(&[
            (0, 'c', "在吗"),
            (10, 'a', "在的，请问有什么可以帮您"),
            (20, 'c', "我的快递到哪了"),
        ]);
        assert_eq!(at(&r, "response_timeout"), [2]);
        assert_eq!(r.unanswered, 1);
        assert_eq!(r.csat, Level::High);
    }

    #[test]
    fn a_trailing_thanks_can_be_forgiven_by_configuration() {
        let turns = [
            (0, 'c', "几点关门"),
            (10, 'a', "晚上十点，欢迎随时光临"),
            (20, 'c', "好的谢谢"),
        ];
        assert_eq!(at(&run(&turns), "response_timeout"), [2]);
        let th = Thresholds {
            ignore_trailing_ack: true,
            ..Thresholds::default()
        };
        let r = run_with(&turns, &th);
        assert!(at(&r, "response_timeout").is_empty());
        assert_eq!(r.csat, Level::Low);
    }

    #[test]
    fn the_timeout_threshold_is_configurable() {
        let th = Thresholds {
            response_timeout_secs: 30,
            ..Thresholds::default()
        };
        let r = run_with(
            &[(0, 'c', "能开发票吗"), (40, 'a', "可以的，感谢您的支持")],
            &th,
        );
        assert_eq!(at(&r, "response_timeout"), [0]);
    }

    #[test]
    fn a_transfer_notice_as_the_second_bot_turn_is_handled() {
        let r = run(&[
            (0, 'c', "我要投诉你们的配送员"),
            (1, 'b', "很抱歉，请问是哪个订单呢"),
            (10, 'c', "尾号2231"),
            (11, 'b', "已查到，正在为您转接人工客服，请稍候"),
            (40, 'a', "您好，我是售后主管，马上为您处理，感谢您的理解"),
        ]);
        assert!(at(&r, "missed_escalation").is_empty());
    }

    #[test]
    fn a_transfer_notice_as_the_third_bot_turn_is_missed() {
        let r = run(&[
            (0, 'c', "转人工"),
            (1, 'b', "请问您要咨询什么问题呢"),
            (2, 'b', "您可以描述一下您的问题"),
            (3, 'b', "正在为您转接人工客服，请稍候"),
            (30, 'a', "您好，我是小王，感谢您的耐心"),
        ]);
        assert_eq!(at(&r, "missed_escalation"), [0]);
        assert_eq!(r.csat, Level::High);
    }

    #[test]
    fn a_transfer_that_no_human_follows_is_missed() {
        let r = run(&[
            (0, 'c', "我要人工"),
            (1, 'b', "正在为您转接人工客服，请稍候"),
            (30, 'b', "人工客服暂时无法接入，请您留言"),
        ]);
        assert_eq!(at(&r, "missed_escalation"), [0]);
    }

    #[test]
    fn a_later_handled_trigger_does_not_cancel_an_earlier_missed_one() {
        let r = run(&[
            (0, 'c', "退款一直不到账，我要投诉"),
            (1, 'b', "退款一般1-3个工作日到账哦"),
            (2, 'b', "请耐心等待"),
            (20, 'c', "转人工！"),
            (21, 'b', "正在为您转接人工客服，请稍候"),
            (50, 'a', "您好，马上帮您查，感谢您的耐心"),
        ]);
        assert_eq!(at(&r, "missed_escalation"), [0]);
    }

    #[test]
    fn a_session_a_human_runs_throughout_counts_its_triggers_as_handled() {
        let r = run(&[
            (0, 'c', "你们这个破手机壳装上就裂了，我要投诉你"),
            (20, 'a', "投诉也没用，这是人为损坏"),
            (40, 'c', "好，我打12315"),
        ]);
        assert!(at(&r, "missed_escalation").is_empty());
        assert_eq!(at(&r, "forbidden_phrase"), [1]);
        assert_eq!(r.csat, Level::High);
    }

    #[test]
    fn a_calm_request_for_a_human_that_the_bot_ignores_is_missed() {
        let r = run(&[
            (0, 'c', "我想跟人工沟通一下保单的事"),
            (1, 'b', "您好，保单信息可在APP「我的保单」查看"),
            (10, 'c', "好的"),
            (11, 'b', "感谢您的咨询，再见"),
        ]);
        assert_eq!(at(&r, "missed_escalation"), [0]);
        assert!(at(&r, "missing_closing").is_empty());
    }

    #[test]
    fn a_negated_request_for_a_human_is_not_a_trigger() {
        let r = run(&[
            (0, 'c', "不用转人工，我就问问运费"),
            (1, 'b', "满99包邮哦，感谢您的咨询"),
        ]);
        assert!(at(&r, "missed_escalation").is_empty());
    }

    #[test]
    fn holding_notices_greetings_and_bare_answers_are_not_closings() {
        for last in [
            "请稍等，我帮您查一下",
            "正在为您转接人工客服",
            "您好，请问有什么可以帮您",
            "不客气",
            "嗯",
            "周五发货",
        ] {
            let r = run(&[(0, 'c', "问个事"), (10, 'a', last)]);
            assert_eq!(at(&r, "missing_closing"), [1], "{last}");
        }
        for last in [
            "感谢您的耐心等待",
            "还有什么可以帮您的吗？",
            "祝您和孩子学习愉快",
            "期待您的光临～",
            "有需要随时联系我",
            "欢迎再次光临",
            "再见",
        ] {
            let r = run(&[(0, 'c', "问个事"), (10, 'a', last)]);
            assert!(at(&r, "missing_closing").is_empty(), "{last}");
        }
    }

    #[test]
    fn missing_closing_points_at_the_last_agent_turn_or_the_last_turn() {
        let r = run(&[
            (0, 'c', "在吗"),
            (10, 'a', "在的"),
            (20, 'c', "发什么快递"),
            (30, 'a', "中通"),
        ]);
        assert_eq!(at(&r, "missing_closing"), [3]);
        let r = run(&[(0, 'c', "在吗"), (100, 'c', "有人吗")]);
        assert_eq!(at(&r, "missing_closing"), [1]);
    }

    #[test]
    fn forbidden_words_typed_by_the_customer_do_not_count() {
        let r = run(&[
            (0, 'c', "我不知道怎么用优惠券，没办法，眼神不好"),
            (10, 'a', "结算页往下拉就能选券啦，感谢您的支持"),
        ]);
        assert!(at(&r, "forbidden_phrase").is_empty());
    }

    #[test]
    fn polite_uses_of_forbidden_words_do_not_count() {
        for polite in [
            "有两种容量，不知道您是自己用还是给孩子用呢？",
            "系统暂时没办法预留，不过我可以到货后第一时间通知您",
            "亏损没办法补偿，您可以选择继续持有或者转换产品",
            "您也可以自己去查一下物流详情",
        ] {
            let r = run(&[
                (0, 'c', "问一下"),
                (10, 'a', polite),
                (20, 'c', "好"),
                (30, 'a', CLOSE),
            ]);
            assert!(at(&r, "forbidden_phrase").is_empty(), "{polite}");
        }
    }

    #[test]
    fn a_brush_off_is_flagged_on_its_turn_and_a_repair_makes_it_medium() {
        let repaired = run(&[
            (0, 'c', "周日还能约烫发吗"),
            (20, 'a', "不知道，你自己看小程序吧"),
            (30, 'c', "我就是看不到才问的"),
            (45, 'a', "抱歉刚才回复太随意了，周日下午三点可以，帮您约上"),
            (55, 'c', "好的"),
            (60, 'a', "已约好，期待您的光临"),
        ]);
        assert_eq!(at(&repaired, "forbidden_phrase"), [1]);
        assert_eq!(repaired.csat, Level::Medium);
        let unrepaired = run(&[
            (0, 'c', "能便宜点吗"),
            (20, 'a', "不议价，爱买不买"),
            (30, 'c', "行吧"),
            (40, 'a', "感谢您的支持"),
        ]);
        assert_eq!(at(&unrepaired, "forbidden_phrase"), [1]);
        assert_eq!(unrepaired.csat, Level::High);
    }

    #[test]
    fn tenant_phrases_extend_or_replace_the_lists() {
        let (a, mut p) = model();
        let turns = session(&[(0, 'c', "在吗"), (10, 'a', "你看着办吧，下次见")]);
        let r = inspect(&a, &p, &Thresholds::default(), &turns);
        assert!(at(&r, "forbidden_phrase").is_empty());
        assert_eq!(at(&r, "missing_closing"), [1]);
        p.extend(&["下次见".into()], &["你看着办".into()], true);
        let r = inspect(&a, &p, &Thresholds::default(), &turns);
        assert_eq!(at(&r, "forbidden_phrase"), [1]);
        assert!(at(&r, "missing_closing").is_empty());
        // Replaced: the default list no longer applies.
        let turns = session(&[(0, 'c', "在吗"), (10, 'a', "不知道，下次见")]);
        assert!(
            at(
                &inspect(&a, &p, &Thresholds::default(), &turns),
                "forbidden_phrase"
            )
            .is_empty()
        );
    }

    #[test]
    fn a_customer_who_leaves_unhappy_is_high_risk_even_without_flags() {
        let r = run(&[
            (0, 'c', "买了三天就降价了，能退差价吗"),
            (20, 'a', "您好，秒杀价不在价保范围内，非常抱歉"),
            (35, 'c', "算了，以后不在你们家买了，坑"),
            (45, 'a', "非常抱歉没能帮到您，感谢您的理解，祝您生活愉快"),
        ]);
        assert!(r.findings.iter().all(|f| f.kind == "csat_risk"));
        assert_eq!(r.csat, Level::High);
    }

    #[test]
    fn an_agent_who_says_please_wait_and_never_returns_is_high_risk() {
        let r = run(&[
            (0, 'c', "今晚有4人位吗"),
            (20, 'a', "有的，大厅还是包间"),
            (30, 'c', "包间"),
            (40, 'a', "请稍等，我看一下包间"),
        ]);
        assert_eq!(r.csat, Level::High);
    }

    #[test]
    fn an_angry_start_handled_well_is_medium_and_a_long_wait_is_medium() {
        let r = run(&[
            (0, 'c', "电饭煲用三天就跳闸，再不处理我就打12315了"),
            (20, 'a', "非常抱歉，马上为您换新，今天发出"),
            (40, 'c', "那还行"),
            (50, 'a', "感谢您的理解，祝您生活愉快"),
        ]);
        assert_eq!(r.csat, Level::Medium);
        let r = run(&[
            (0, 'c', "沙发什么时候送到"),
            (95, 'a', "您好，久等了，周四送达"),
            (110, 'c', "好"),
            (120, 'a', CLOSE),
        ]);
        assert_eq!(r.csat, Level::Medium);
        assert_eq!(at(&r, "csat_risk"), [0]);
    }

    #[test]
    fn a_curt_exchange_is_friction() {
        let r = run(&[
            (0, 'c', "染发多少钱"),
            (20, 'a', "看长度"),
            (30, 'c', "齐肩"),
            (45, 'a', "398"),
            (55, 'c', "好吧，约周五"),
            (60, 'a', "好的，周五下午两点，期待您的光临"),
        ]);
        assert_eq!(r.csat, Level::Medium);
    }

    #[test]
    fn a_smooth_session_is_low_risk_with_no_findings() {
        let r = run(&[
            (0, 'c', "这件风衣165穿S还是M"),
            (18, 'a', "您好亲，建议S码"),
            (40, 'c', "好的那我拍了"),
            (50, 'a', "好的亲，48小时内发货，还有什么可以帮您的吗？"),
        ]);
        assert!(r.findings.is_empty());
        assert_eq!(r.csat, Level::Low);
    }
}
