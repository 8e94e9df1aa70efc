//! Word tables and the longest-match scanner that the sentiment and QA modules share.
//!
//! Chinese has no spaces, so the text is read left to right and, at every position, the longest
//! table entry that starts there wins (`不错` beats `不` + `错`, `人工客服几点` beats `人工`). A
//! position where no entry starts is skipped. ASCII entries (`sb`, `12315`, `nice`) only match as
//! whole words, so `usb` and an order number `412315` do not fire.
//!
//! Pure code: no SDK, no I/O. The tables are parsed from the TSV files in the plugin's `data/`.

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
/// dropped, with the byte offset of every character so that slices need no allocation, and a
/// small filter of the characters it contains so that most phrase searches end at once.
pub struct Text {
    pub s: String,
    pub chars: Vec<char>,
    offs: Vec<usize>,
    /// One bit per character hash: a character whose bit is clear is not in the text.
    seen: [u64; 8],
    /// How many `!`/`！` and `?`/`？` the text has.
    exclaims: usize,
    questions: usize,
}

/// A short phrase as characters, on the stack (`None`: longer than 8 characters).
pub fn phrase_chars(phrase: &str) -> Option<([char; 8], usize)> {
    let mut buf = ['\0'; 8];
    let mut n = 0;
    for c in phrase.chars() {
        *buf.get_mut(n)? = c;
        n += 1;
    }
    Some((buf, n))
}

/// The first position of `needle` in `hay`, in characters. A plain scan: the phrases and
/// windows searched this way are a few characters long, where the standard substring search
/// spends more on its setup than on the search.
pub fn find_chars(hay: &[char], needle: &[char]) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    let last = hay.len().checked_sub(needle.len())?;
    (0..=last).find(|&i| hay[i] == first && hay[i + 1..i + needle.len()] == *rest)
}

/// The last position of `needle` in `hay`, in characters (see [`find_chars`]).
pub fn rfind_chars(hay: &[char], needle: &[char]) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    let last = hay.len().checked_sub(needle.len())?;
    (0..=last)
        .rev()
        .find(|&i| hay[i] == first && hay[i + 1..i + needle.len()] == *rest)
}

/// Texts longer than this (in characters) are searched with the standard substring search.
const SHORT_RANGE: usize = 256;

/// What [`Text`] makes of a character: ASCII lower-cased, full-width ASCII (but the Chinese
/// punctuation) made half-width, emoji variation selectors, zero-width characters and skin
/// tones dropped (`None`).
#[inline]
fn fold(c: char) -> Option<char> {
    match c {
        '\u{FE0F}' | '\u{FE0E}' | '\u{200B}' | '\u{200D}' | '\u{FEFF}' => None,
        '\u{1F3FB}'..='\u{1F3FF}' => None,
        // Full-width ASCII, in case the host did not normalise the text.
        '\u{FF01}'..='\u{FF5E}'
            if !matches!(c, '！' | '？' | '，' | '：' | '；' | '（' | '）' | '～') =>
        {
            let half = char::from_u32(c as u32 - 0xFEE0).unwrap_or(c);
            Some(half.to_ascii_lowercase())
        }
        _ => Some(c.to_ascii_lowercase()),
    }
}

/// The bit of a character in [`Text`]'s filter.
#[inline]
fn char_bit(c: char) -> usize {
    ((c as u32).wrapping_mul(0x9E37_79B9) >> 23) as usize
}

impl Text {
    pub fn new(raw: &str) -> Text {
        let mut text = Text {
            s: String::new(),
            chars: Vec::with_capacity(raw.len()),
            offs: Vec::with_capacity(raw.len() + 1),
            seen: [0; 8],
            exclaims: 0,
            questions: 0,
        };
        // Most texts need no folding: then the text is a copy of `raw`, offsets included.
        for (i, c) in raw.char_indices() {
            if fold(c) != Some(c) {
                return Text::folded(raw);
            }
            text.offs.push(i);
            text.chars.push(c);
            text.note(c);
        }
        text.offs.push(raw.len());
        text.s = raw.to_owned();
        text
    }

    /// [`Text::new`] for a text with characters to fold or drop.
    fn folded(raw: &str) -> Text {
        let mut text = Text {
            s: String::with_capacity(raw.len()),
            chars: Vec::with_capacity(raw.len()),
            offs: Vec::with_capacity(raw.len() + 1),
            seen: [0; 8],
            exclaims: 0,
            questions: 0,
        };
        for c in raw.chars().filter_map(fold) {
            text.offs.push(text.s.len());
            text.chars.push(c);
            text.s.push(c);
            text.note(c);
        }
        text.offs.push(text.s.len());
        text
    }

    /// Records a character in the filter and the punctuation counts.
    #[inline]
    fn note(&mut self, c: char) {
        let b = char_bit(c);
        self.seen[b >> 6] |= 1 << (b & 63);
        match c {
            '!' | '！' => self.exclaims += 1,
            '?' | '？' => self.questions += 1,
            _ => {}
        }
    }

    /// How many exclamation marks (`!`, `！`) the text has.
    pub fn exclaims(&self) -> usize {
        self.exclaims
    }

    /// How many question marks (`?`, `？`) the text has.
    pub fn questions(&self) -> usize {
        self.questions
    }

    /// Whether `c` may occur in the text (`false`: it certainly does not).
    #[inline]
    pub fn has_char(&self, c: char) -> bool {
        let b = char_bit(c);
        self.seen[b >> 6] & (1 << (b & 63)) != 0
    }

    /// Whether every character of `needle` may occur in the text (`false`: neither the text nor
    /// any slice of it contains `needle`). A quick filter before a real substring search.
    #[inline]
    pub fn may_contain(&self, needle: &str) -> bool {
        needle.chars().all(|c| self.has_char(c))
    }

    /// Whether the text contains `needle`.
    pub fn contains(&self, needle: &str) -> bool {
        self.range_contains(0, self.len(), needle)
    }

    pub fn len(&self) -> usize {
        self.chars.len()
    }

    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }

    /// The index of the character that starts at byte `byte` of [`Text::s`] (or the length,
    /// at the end): `s[..byte].chars().count()` without the count.
    pub fn char_index(&self, byte: usize) -> usize {
        match self.offs.binary_search(&byte) {
            Ok(i) => i,
            // Not a boundary (never the case for a match of a whole phrase): count.
            Err(_) => self.s[..byte].chars().count(),
        }
    }

    /// Characters `i..j`.
    pub fn slice(&self, i: usize, j: usize) -> &str {
        &self.s[self.offs[i]..self.offs[j]]
    }

    /// Whether characters `i..j` contain `needle`.
    pub fn range_contains(&self, i: usize, j: usize, needle: &str) -> bool {
        if !self.may_contain(needle) {
            return false;
        }
        match phrase_chars(needle) {
            Some((_, 0)) => i <= j,
            Some((buf, n)) if j.saturating_sub(i) <= SHORT_RANGE => {
                find_chars(&self.chars[i..j], &buf[..n]).is_some()
            }
            _ => self.slice(i, j).contains(needle),
        }
    }
}

/// A character trie: the keys share their prefixes, so every key that starts at a position of
/// a text is found in one walk forward from it (no key strings built or sliced). A step is one
/// array read for the first character and one probe of a hash table for each further one.
#[derive(Clone, Debug)]
pub struct CharTrie<V> {
    /// Each node's value; node 0 is the root.
    values: Vec<Option<V>>,
    /// The edges, `(parent, character) → child`.
    edges: EdgeMap,
    /// The root's children in the Basic Multilingual Plane again, indexed by code point (0 =
    /// none: the root is never a child). Empty until the first such key is added.
    root: Vec<u32>,
}

impl<V> Default for CharTrie<V> {
    fn default() -> Self {
        CharTrie {
            values: vec![None],
            edges: EdgeMap::default(),
            root: Vec::new(),
        }
    }
}

/// No edge has this key (see [`edge_key`]).
const NO_EDGE: u64 = u64::MAX;

/// An edge as one integer: the parent node and the character.
#[inline]
fn edge_key(node: usize, c: char) -> u64 {
    ((node as u64) << 21) | u64::from(c)
}

/// An open-addressing hash table of edges (linear probing, at most half full). The keys come
/// from the bundled data and the tenant's configuration, so a multiplicative hash is enough.
#[derive(Clone, Debug, Default)]
struct EdgeMap {
    keys: Vec<u64>,
    nodes: Vec<u32>,
    shift: u32,
    len: usize,
}

impl EdgeMap {
    #[inline]
    fn home(&self, key: u64) -> usize {
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    #[inline]
    fn get(&self, key: u64) -> Option<u32> {
        if self.keys.is_empty() {
            return None;
        }
        let mask = self.keys.len() - 1;
        let mut i = self.home(key);
        loop {
            let k = self.keys[i];
            if k == key {
                return Some(self.nodes[i]);
            }
            if k == NO_EDGE {
                return None;
            }
            i = (i + 1) & mask;
        }
    }

    /// Adds an edge that is not there yet.
    fn insert(&mut self, key: u64, node: u32) {
        if (self.len + 1) * 2 > self.keys.len() {
            let size = ((self.len + 1) * 2).next_power_of_two().max(64);
            let old = std::mem::replace(
                self,
                EdgeMap {
                    keys: vec![NO_EDGE; size],
                    nodes: vec![0; size],
                    shift: 64 - size.trailing_zeros(),
                    len: 0,
                },
            );
            for (k, n) in old.keys.into_iter().zip(old.nodes) {
                if k != NO_EDGE {
                    self.insert(k, n);
                }
            }
        }
        let mask = self.keys.len() - 1;
        let mut i = self.home(key);
        while self.keys[i] != NO_EDGE {
            i = (i + 1) & mask;
        }
        self.keys[i] = key;
        self.nodes[i] = node;
        self.len += 1;
    }
}

impl<V> CharTrie<V> {
    /// The value slot of a key (created empty when the key is new).
    pub fn slot(&mut self, key: impl IntoIterator<Item = char>) -> &mut Option<V> {
        let mut node = 0usize;
        for c in key {
            node = match self.child(node, c) {
                Some(next) => next,
                None => {
                    let id = self.values.len();
                    self.values.push(None);
                    self.edges.insert(edge_key(node, c), id as u32);
                    if node == 0 && (c as usize) < 0x1_0000 {
                        if self.root.is_empty() {
                            self.root = vec![0; 0x1_0000];
                        }
                        self.root[c as usize] = id as u32;
                    }
                    id
                }
            };
        }
        &mut self.values[node]
    }

    /// The value of exactly this key.
    pub fn get(&self, key: impl IntoIterator<Item = char>) -> Option<&V> {
        let mut node = 0usize;
        for c in key {
            node = self.child(node, c)?;
        }
        self.values[node].as_ref()
    }

    #[inline]
    fn child(&self, node: usize, c: char) -> Option<usize> {
        if node == 0
            && let Some(&id) = self.root.get(c as usize)
        {
            return (id != 0).then_some(id as usize);
        }
        self.edges.get(edge_key(node, c)).map(|n| n as usize)
    }

    /// Calls `f(length, value)` for every key that is a prefix of `chars[start..]`, shortest
    /// first.
    #[inline]
    pub fn prefixes<'a>(&'a self, chars: &[char], start: usize, mut f: impl FnMut(usize, &'a V)) {
        let mut node = 0usize;
        for (k, &c) in chars[start..].iter().enumerate() {
            let Some(next) = self.child(node, c) else {
                return;
            };
            node = next;
            if let Some(v) = &self.values[node] {
                f(k + 1, v);
            }
        }
    }
}

/// A term table with longest-match lookup.
#[derive(Clone)]
pub struct Table<V> {
    trie: CharTrie<V>,
    len: usize,
}

impl<V> Default for Table<V> {
    fn default() -> Self {
        Table {
            trie: CharTrie::default(),
            len: 0,
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

/// Whether `len` characters at `i` may be an entry: an all-ASCII word only as a whole word.
fn whole_word(text: &Text, i: usize, len: usize) -> bool {
    let word = &text.chars[i..i + len];
    if word.iter().all(|c| ascii_word(*c)) {
        let before = i > 0 && ascii_word(text.chars[i - 1]);
        let after = i + len < text.len() && ascii_word(text.chars[i + len]);
        if before || after {
            return false;
        }
    }
    true
}

impl<V> Table<V> {
    /// Adds (or replaces) a term. Terms are lower-cased like the text.
    pub fn insert(&mut self, term: &str, value: V) {
        let term = Text::new(term.trim()).s;
        if term.is_empty() {
            return;
        }
        let slot = self.trie.slot(term.chars());
        if slot.is_none() {
            self.len += 1;
        }
        *slot = Some(value);
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn get(&self, term: &str) -> Option<&V> {
        self.trie.get(term.chars())
    }

    /// The segmentation that covers the most characters with entries, and among those the one
    /// with the fewest entries; on a tie the earlier match wins. Unlike plain left-to-right
    /// longest match, `都不知道说什么好` reads as 都 + 不知道说什么好, not 都不 + 知道….
    pub fn scan<'a>(&'a self, text: &Text) -> Vec<Match<'a, V>> {
        let n = text.len();
        // best[i] = (covered characters, entries) for the suffix from i; pick[i] = the match
        // chosen at i (length and value; length 0 = none).
        let mut best = vec![(0usize, 0usize); n + 1];
        let mut pick: Vec<(usize, Option<&'a V>)> = vec![(0, None); n];
        for i in (0..n).rev() {
            let mut b = best[i + 1];
            let mut p = (0, None);
            // Every entry starting at i, shortest first. The best is the one that covers the
            // most, then with the fewest entries; on a full tie the longer match wins, and a
            // match wins over starting later (舒服了 is 舒服 + 了, not 舒 + 服了).
            self.trie.prefixes(&text.chars, i, |len, value| {
                if !whole_word(text, i, len) {
                    return;
                }
                let (cov, toks) = best[i + len];
                let cand = (cov + len, toks + 1);
                if cand.0 > b.0 || (cand.0 == b.0 && cand.1 <= b.1) {
                    b = cand;
                    p = (len, Some(value));
                }
            });
            best[i] = b;
            pick[i] = p;
        }
        let mut out = Vec::new();
        let mut i = 0;
        while i < n {
            match pick[i] {
                (len, Some(value)) if len > 0 => {
                    out.push(Match {
                        start: i,
                        len,
                        value,
                    });
                    i += len;
                }
                _ => i += 1,
            }
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

    #[test]
    fn texts_with_and_without_folding_keep_offsets_consistent() {
        for raw in [
            "投诉你们",
            "ＮＩＣＥ服务Good",
            "好评👍🏻\u{FE0F}！？!?",
            "",
            "a\u{200B}b",
        ] {
            let t = Text::new(raw);
            assert_eq!(t.chars.iter().collect::<String>(), t.s, "{raw}");
            for (i, c) in t.chars.iter().enumerate() {
                assert_eq!(t.slice(i, i + 1), c.to_string(), "{raw}");
                assert!(t.has_char(*c));
            }
            assert_eq!(t.slice(0, t.len()), t.s);
        }
        let t = Text::new("好评👍🏻\u{FE0F}！？!?");
        assert_eq!(t.s, "好评👍！？!?");
        assert_eq!((t.exclaims(), t.questions()), (2, 2));
        assert_eq!(Text::new("ＮＩＣＥ服务Good").s, "nice服务good");
    }

    #[test]
    fn the_character_filter_never_hides_a_substring() {
        let t = Text::new("说好48小时内回电，这都一个礼拜了🙂");
        for i in 0..t.len() {
            for j in i..=t.len() {
                assert!(t.contains(t.slice(i, j)));
                assert!(t.range_contains(0, t.len(), t.slice(i, j)));
            }
        }
        assert!(!t.contains("投诉") && !t.contains("回电话"));
    }

    #[test]
    fn the_trie_finds_every_prefix_shortest_first() {
        let mut trie: CharTrie<usize> = CharTrie::default();
        let keys = ["不", "不错", "不错啊", "𠮷", "𠮷野", "x"];
        for (i, k) in keys.iter().enumerate() {
            *trie.slot(k.chars()) = Some(i);
        }
        // Enough keys to make the edge table grow several times.
        for i in 0..3000u32 {
            let k: String = [
                char::from_u32(0x4E00 + i % 500).unwrap(),
                char::from_u32(0x5000 + i).unwrap(),
            ]
            .iter()
            .collect();
            *trie.slot(k.chars()) = Some(100 + i as usize);
        }
        let chars: Vec<char> = "不错啊呀".chars().collect();
        let mut seen = Vec::new();
        trie.prefixes(&chars, 0, |len, &v| seen.push((len, v)));
        assert_eq!(seen, [(1, 0), (2, 1), (3, 2)]);
        let astral: Vec<char> = "𠮷野".chars().collect();
        let mut seen = Vec::new();
        trie.prefixes(&astral, 0, |len, &v| seen.push((len, v)));
        assert_eq!(seen, [(1, 3), (2, 4)]);
        assert_eq!(trie.get("不错".chars()), Some(&1));
        assert_eq!(trie.get("错".chars()), None);
        assert_eq!(
            trie.get([
                char::from_u32(0x4E00 + 7).unwrap(),
                char::from_u32(0x5000 + 7).unwrap()
            ]),
            Some(&107)
        );
    }

    #[test]
    fn a_replaced_term_is_counted_once() {
        let mut t = table(&["好", "不错"]);
        t.insert("好", 1);
        t.insert("  ", 1);
        assert_eq!(t.len(), 2);
        assert_eq!(t.get("好"), Some(&1));
    }

    #[test]
    fn char_index_maps_byte_offsets_back() {
        let t = Text::new("说好48小时内回电，说好的呢？");
        for (i, &o) in t.offs.iter().enumerate() {
            assert_eq!(t.char_index(o), i);
            assert_eq!(t.char_index(o), t.s[..o].chars().count());
        }
    }
}
