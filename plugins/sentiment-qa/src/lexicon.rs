//! Word tables and the longest-match scanner that the sentiment and QA modules share.
//!
//! Chinese has no spaces, so the text is read left to right and, at every position, the longest
//! table entry that starts there wins (`不错` beats `不` + `错`, `人工客服几点` beats `人工`). A
//! position where no entry starts is skipped. ASCII entries (`sb`, `12315`, `nice`) only match as
//! whole words, so `usb` and an order number `412315` do not fire.
//!
//! Pure code: no SDK, no I/O. The tables are parsed from the TSV files in the plugin's `data/`.

use std::collections::HashMap;

/// The emotion labels the plugin reports (see README).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Emotion {
    Angry,
    Anxious,
    Disappointed,
    Dissatisfied,
    Satisfied,
    Grateful,
    Happy,
    Neutral,
    Confused,
}

impl Emotion {
    pub fn as_str(self) -> &'static str {
        match self {
            Emotion::Angry => "angry",
            Emotion::Anxious => "anxious",
            Emotion::Disappointed => "disappointed",
            Emotion::Dissatisfied => "dissatisfied",
            Emotion::Satisfied => "satisfied",
            Emotion::Grateful => "grateful",
            Emotion::Happy => "happy",
            Emotion::Neutral => "neutral",
            Emotion::Confused => "confused",
        }
    }

    pub fn parse(s: &str) -> Option<Emotion> {
        Some(match s {
            "angry" => Emotion::Angry,
            "anxious" => Emotion::Anxious,
            "disappointed" => Emotion::Disappointed,
            "dissatisfied" => Emotion::Dissatisfied,
            "satisfied" => Emotion::Satisfied,
            "grateful" => Emotion::Grateful,
            "happy" => Emotion::Happy,
            "neutral" => Emotion::Neutral,
            "confused" => Emotion::Confused,
            _ => return None,
        })
    }

    /// Whether the label belongs to a negative message.
    pub fn is_negative(self) -> bool {
        matches!(
            self,
            Emotion::Angry | Emotion::Anxious | Emotion::Disappointed | Emotion::Dissatisfied
        )
    }

    /// Whether the label belongs to a positive message.
    pub fn is_positive(self) -> bool {
        matches!(
            self,
            Emotion::Satisfied | Emotion::Grateful | Emotion::Happy
        )
    }
}

/// What a sentiment-lexicon entry does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WordKind {
    /// A positive word; `value` is its strength.
    Pos,
    /// A negative word; `value` is its strength.
    Neg,
    /// A neutral word that only stops shorter entries from matching inside it.
    Neutral,
    /// Flips the next sentiment word of the clause; `value` is the strength of the flip.
    Negator,
    /// Multiplies the next sentiment word.
    Intensifier,
    /// Multiplies the next sentiment word by less than one.
    Diminisher,
    /// Multiplies the previous sentiment word of the clause (`多了`, `死了`, `了点`).
    Post,
    /// 但是 / 不过: the clauses after it count more, the ones before it less.
    Contrast,
    /// 虽然 / 除了: its clause counts less.
    Concession,
    /// 总体 / 总之: its clause counts more.
    Conclusion,
    /// A sarcasm cue; `value` is its own negative weight.
    Irony,
    /// 差点 / 本来想: the clause describes what did not happen.
    Irrealis,
    /// 之前 / 上次: a negative in the clause is history.
    Past,
}

/// One sentiment-lexicon entry.
#[derive(Clone, Copy, Debug)]
pub struct Word {
    pub kind: WordKind,
    pub value: f32,
    pub emotion: Option<Emotion>,
}

/// An escalation-trigger category (see `data/escalation.tsv`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Category {
    Human,
    Role,
    Phone,
    Complaint,
    Threat,
    Expose,
    Insult,
    Anger,
    Safety,
    Spoiled,
    Consumed,
    /// A body part; fires (as safety) with an `Injury` word in the same clause.
    Body,
    Injury,
    Money,
    Repeat,
    /// A tenant's own escalation keyword.
    Custom,
    /// The escalation backoff model (no listed words).
    Model,
    Block,
}

impl Category {
    pub fn parse(s: &str) -> Option<Category> {
        Some(match s {
            "human" => Category::Human,
            "role" => Category::Role,
            "phone" => Category::Phone,
            "complaint" => Category::Complaint,
            "threat" => Category::Threat,
            "expose" => Category::Expose,
            "insult" => Category::Insult,
            "anger" => Category::Anger,
            "safety" => Category::Safety,
            "spoiled" => Category::Spoiled,
            "consumed" => Category::Consumed,
            "body" => Category::Body,
            "injury" => Category::Injury,
            "money" => Category::Money,
            "repeat" => Category::Repeat,
            "custom" => Category::Custom,
            "block" => Category::Block,
            _ => return None,
        })
    }

    /// The prefix of the `escalate_reason` annotation.
    pub fn reason(self) -> &'static str {
        match self {
            Category::Human | Category::Role | Category::Phone => "asks_human",
            Category::Complaint => "complaint",
            Category::Threat | Category::Expose => "threat",
            Category::Insult => "insult",
            Category::Anger => "anger",
            Category::Safety
            | Category::Spoiled
            | Category::Consumed
            | Category::Body
            | Category::Injury => "safety",
            Category::Money => "money_at_risk",
            Category::Repeat => "repeated_contact",
            Category::Custom => "keyword",
            Category::Model => "model",
            Category::Block => "none",
        }
    }
}

/// Text prepared for matching: ASCII lower-cased, emoji variation selectors and skin tones
/// dropped, with the byte offset of every character so that slices need no allocation.
pub struct Text {
    pub s: String,
    pub chars: Vec<char>,
    offs: Vec<usize>,
}

impl Text {
    pub fn new(raw: &str) -> Text {
        let mut s = String::with_capacity(raw.len());
        for c in raw.chars() {
            match c {
                '\u{FE0F}' | '\u{FE0E}' | '\u{200B}' | '\u{200D}' | '\u{FEFF}' => {}
                '\u{1F3FB}'..='\u{1F3FF}' => {}
                // Full-width ASCII, in case the host did not normalise the text.
                '\u{FF01}'..='\u{FF5E}'
                    if !matches!(c, '！' | '？' | '，' | '：' | '；' | '（' | '）' | '～') =>
                {
                    let half = char::from_u32(c as u32 - 0xFEE0).unwrap_or(c);
                    s.push(half.to_ascii_lowercase());
                }
                _ => s.push(c.to_ascii_lowercase()),
            }
        }
        let mut chars = Vec::with_capacity(s.len());
        let mut offs = Vec::with_capacity(s.len() + 1);
        for (i, c) in s.char_indices() {
            offs.push(i);
            chars.push(c);
        }
        offs.push(s.len());
        Text { s, chars, offs }
    }

    pub fn len(&self) -> usize {
        self.chars.len()
    }

    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }

    /// Characters `i..j`.
    pub fn slice(&self, i: usize, j: usize) -> &str {
        &self.s[self.offs[i]..self.offs[j]]
    }

    /// Whether characters `i..j` contain `needle`.
    pub fn range_contains(&self, i: usize, j: usize, needle: &str) -> bool {
        self.slice(i, j).contains(needle)
    }
}

/// A term table with longest-match lookup.
#[derive(Clone)]
pub struct Table<V> {
    map: HashMap<String, V>,
    max_chars: usize,
}

impl<V> Default for Table<V> {
    fn default() -> Self {
        Table {
            map: HashMap::new(),
            max_chars: 0,
        }
    }
}

/// One match of a table entry in a text.
#[derive(Clone, Copy, Debug)]
pub struct Match<'a, V> {
    /// First character.
    pub start: usize,
    /// Length in characters.
    pub len: usize,
    pub value: &'a V,
}

impl<V> Match<'_, V> {
    pub fn end(&self) -> usize {
        self.start + self.len
    }
}

fn ascii_word(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

impl<V> Table<V> {
    /// Adds (or replaces) a term. Terms are lower-cased like the text.
    pub fn insert(&mut self, term: &str, value: V) {
        let term = Text::new(term.trim()).s;
        let n = term.chars().count();
        if n == 0 {
            return;
        }
        self.max_chars = self.max_chars.max(n);
        self.map.insert(term, value);
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn get(&self, term: &str) -> Option<&V> {
        self.map.get(term)
    }

    /// Whether `len` characters at `i` are an entry (ASCII entries only as whole words).
    fn entry_at<'a>(&'a self, text: &Text, i: usize, len: usize) -> Option<&'a V> {
        let value = self.map.get(text.slice(i, i + len))?;
        let word = &text.chars[i..i + len];
        if word.iter().all(|c| ascii_word(*c)) {
            let before = i > 0 && ascii_word(text.chars[i - 1]);
            let after = i + len < text.len() && ascii_word(text.chars[i + len]);
            if before || after {
                return None;
            }
        }
        Some(value)
    }

    /// The segmentation that covers the most characters with entries, and among those the one
    /// with the fewest entries; on a tie the earlier match wins. Unlike plain left-to-right
    /// longest match, `都不知道说什么好` reads as 都 + 不知道说什么好, not 都不 + 知道….
    pub fn scan<'a>(&'a self, text: &Text) -> Vec<Match<'a, V>> {
        let n = text.len();
        // best[i] = (covered characters, entries) for the suffix from i; pick[i] = match length.
        let mut best = vec![(0usize, 0usize); n + 1];
        let mut pick = vec![0usize; n + 1];
        for i in (0..n).rev() {
            let mut b = best[i + 1];
            let mut p = 0;
            for len in (1..=self.max_chars.min(n - i)).rev() {
                if self.entry_at(text, i, len).is_none() {
                    continue;
                }
                let (cov, toks) = best[i + len];
                let cand = (cov + len, toks + 1);
                // On a tie the match that starts here wins over one further on (舒服了 is
                // 舒服 + 了, not 舒 + 服了), and a longer match over a shorter one.
                if cand.0 > b.0 || (cand.0 == b.0 && (cand.1 < b.1 || (cand.1 == b.1 && p == 0))) {
                    b = cand;
                    p = len;
                }
            }
            best[i] = b;
            pick[i] = p;
        }
        let mut out = Vec::new();
        let mut i = 0;
        while i < n {
            if pick[i] == 0 {
                i += 1;
                continue;
            }
            let len = pick[i];
            if let Some(value) = self.entry_at(text, i, len) {
                out.push(Match {
                    start: i,
                    len,
                    value,
                });
            }
            i += len;
        }
        out
    }
}

/// Data lines: comments (`#`) and blank lines dropped, fields split on tabs.
fn rows(tsv: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    tsv.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|(n, l)| (n + 1, l.split('\t').map(str::trim).collect()))
}

/// Parses `data/sentiment.tsv`: `term, kind, value[, emotion]`.
pub fn parse_sentiment(tsv: &str) -> Result<Table<Word>, String> {
    let mut table = Table::default();
    for (n, f) in rows(tsv) {
        if f.len() < 3 {
            return Err(format!("sentiment.tsv:{n}: expected term, kind, value"));
        }
        let kind = match f[1] {
            "pos" => WordKind::Pos,
            "neg" => WordKind::Neg,
            "neu" => WordKind::Neutral,
            "not" => WordKind::Negator,
            "int" => WordKind::Intensifier,
            "dim" => WordKind::Diminisher,
            "post" => WordKind::Post,
            "but" => WordKind::Contrast,
            "though" => WordKind::Concession,
            "sum" => WordKind::Conclusion,
            "iron" => WordKind::Irony,
            "irreal" => WordKind::Irrealis,
            "past" => WordKind::Past,
            other => return Err(format!("sentiment.tsv:{n}: unknown kind {other:?}")),
        };
        let value: f32 = f[2]
            .parse()
            .map_err(|_| format!("sentiment.tsv:{n}: bad value {:?}", f[2]))?;
        let emotion = match f.get(3) {
            Some(e) if !e.is_empty() => Some(
                Emotion::parse(e)
                    .ok_or_else(|| format!("sentiment.tsv:{n}: unknown emotion {e:?}"))?,
            ),
            _ => None,
        };
        table.insert(
            f[0],
            Word {
                kind,
                value,
                emotion,
            },
        );
    }
    Ok(table)
}

/// Parses `data/escalation.tsv`: `term, category`.
pub fn parse_escalation(tsv: &str) -> Result<Table<Category>, String> {
    let mut table = Table::default();
    for (n, f) in rows(tsv) {
        if f.len() < 2 {
            return Err(format!("escalation.tsv:{n}: expected term, category"));
        }
        let cat = Category::parse(f[1])
            .ok_or_else(|| format!("escalation.tsv:{n}: unknown category {:?}", f[1]))?;
        table.insert(f[0], cat);
    }
    Ok(table)
}

/// Parses `kind, phrase` rows (`data/qa.tsv`) into (kind, phrase) pairs.
pub fn parse_pairs(tsv: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for (n, f) in rows(tsv) {
        if f.len() < 2 || f[1].is_empty() {
            return Err(format!("qa.tsv:{n}: expected kind, phrase"));
        }
        out.push((f[0].to_owned(), Text::new(f[1]).s));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(entries: &[&str]) -> Table<u8> {
        let mut t = Table::default();
        for e in entries {
            t.insert(e, 0);
        }
        t
    }

    fn words(t: &Table<u8>, s: &str) -> Vec<String> {
        let text = Text::new(s);
        t.scan(&text)
            .iter()
            .map(|m| text.slice(m.start, m.end()).to_owned())
            .collect()
    }

    #[test]
    fn longest_entry_wins() {
        let t = table(&["不", "错", "不错", "人工", "人工客服几点"]);
        assert_eq!(
            words(&t, "不错，人工客服几点上班"),
            ["不错", "人工客服几点"]
        );
    }

    #[test]
    fn segmentation_covers_the_most_text() {
        let t = table(&["都不", "不知道说什么好", "舒服", "服了"]);
        assert_eq!(words(&t, "我都不知道说什么好了"), ["不知道说什么好"]);
        assert_eq!(words(&t, "太舒服了"), ["舒服"]);
    }

    #[test]
    fn ascii_terms_match_whole_words_only() {
        let t = table(&["sb", "12315"]);
        assert!(t.scan(&Text::new("usb线坏了")).is_empty());
        assert!(t.scan(&Text::new("订单412315678")).is_empty());
        assert_eq!(t.scan(&Text::new("我要打12315")).len(), 1);
        assert_eq!(t.scan(&Text::new("你SB吧")).len(), 1);
    }

    #[test]
    fn emoji_variation_selectors_and_full_width_letters_are_folded() {
        let text = Text::new("❤\u{FE0F}👍🏻ＮＩＣＥ");
        assert_eq!(text.s, "❤👍nice");
    }

    #[test]
    fn the_bundled_tables_parse() {
        let s = parse_sentiment(include_str!("../data/sentiment.tsv")).unwrap();
        let e = parse_escalation(include_str!("../data/escalation.tsv")).unwrap();
        let q = parse_pairs(include_str!("../data/qa.tsv")).unwrap();
        assert!(s.len() > 500 && e.len() > 200 && q.len() > 50);
    }

    #[test]
    fn the_bundled_tables_have_no_duplicate_terms() {
        for (name, tsv) in [
            ("sentiment", include_str!("../data/sentiment.tsv")),
            ("escalation", include_str!("../data/escalation.tsv")),
        ] {
            let mut seen = std::collections::HashSet::new();
            for (n, f) in rows(tsv) {
                assert!(
                    seen.insert(f[0].to_owned()),
                    "{name}.tsv:{n}: duplicate {}",
                    f[0]
                );
            }
        }
    }

    #[test]
    fn a_bad_row_names_its_line() {
        let err = parse_sentiment("# c\n好\tgood\t1\n").err().unwrap();
        assert!(err.contains(":2:"), "{err}");
    }
}
