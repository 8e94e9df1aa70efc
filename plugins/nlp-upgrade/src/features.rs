//! Text → hashed sparse features, shared by the plugin and its trainer (`trainer/`).
//!
//! Pure Rust with no dependencies, so the trainer can `#[path]`-include it and train on exactly
//! the features the plugin computes at run time. The tables it needs (Traditional → Simplified
//! characters, word rewrites, keyword classes) are plain text files in `data/`, parsed once into
//! [`Tables`]; their [`Tables::fingerprint`] is stored in the model file so that a model is never
//! scored with tables it was not trained with.
//!
//! ## Normalisation ([`Tables::normalize`])
//! 1. full-width ASCII → half-width, ideographic space → space, ASCII lower-case, emoji
//!    variation selectors, zero-width characters and skin tones dropped;
//! 2. Traditional → Simplified, one character at a time (`data/t2s.txt`);
//! 3. word rewrites, longest match first (`data/rewrites.txt`): written Cantonese → Mandarin
//!    (唔 → 不, 咗 → 了, 點解 → 为什么), Taiwan → Mainland wording (登入 → 登录), typos and
//!    homophones (定单 → 订单, 优惠卷 → 优惠券);
//! 4. spaces and dashes inside a digit group removed (`138 0013 8000` → `13800138000`).
//!
//! The host has usually normalised the text already (N1: script, width, phones as `+86…`); this
//! is idempotent on top of that and gives the same units for raw text.
//!
//! ## Units
//! One per CJK character, emoji or other letter; one per ASCII word; number classes for long
//! digit runs (`<num>` order numbers, `<phone>` mobiles and `+86…`/`+852…` numbers, `<code>`
//! letter-prefixed tracking numbers like `sf1234567890`) and short amounts (`<n>` for 3–5
//! digits, unless the lexicon names the number, like 12315 or 618); `?`, `!`, `~`, `¥`, `%` and
//! `…` as tone units. Other punctuation is a clause break.
//!
//! ## Features
//! Unit unigrams, bigrams with start/end markers (`^在`, `吗$`), optionally trigrams and
//! skip-bigrams ([`FeatureConfig::flags`]), the keyword classes of `data/lexicon.txt` (whole
//! message, and again for the last clause, which carries the request in messages like
//! "谢谢，想问下发票怎么开"), optionally the matched keywords themselves. Each feature is a
//! 64-bit hash folded into one of `2^bits` buckets; values are binary, then the vector is scaled
//! to unit length so a long message does not outvote a short one by its feature count.

use std::collections::HashMap;
use std::fmt;

/// Trigrams of units.
pub const FLAG_TRIGRAMS: u32 = 1;
/// The matched lexicon words themselves, beside their classes.
pub const FLAG_LEX_WORDS: u32 = 2;
/// Lexicon classes of the last clause, as separate features.
pub const FLAG_LAST_CLAUSE: u32 = 4;
/// Skip-bigrams (unit, one unit skipped, unit).
pub const FLAG_SKIP_BIGRAMS: u32 = 8;
/// A message-length bucket.
pub const FLAG_LENGTH: u32 = 16;
/// Lexicon classes of the first clause, as separate features.
pub const FLAG_FIRST_CLAUSE: u32 = 32;
/// Keyword-class features weigh twice as much as n-grams before scaling to unit length.
pub const FLAG_LEX_BOOST: u32 = 64;
/// Pairs of keyword classes that occur together (`money_back` + `edu`, …).
pub const FLAG_CLASS_PAIRS: u32 = 128;
/// Unigrams and bigrams of the last clause again, as separate features.
pub const FLAG_LAST_CLAUSE_NGRAMS: u32 = 256;
/// Training only: leave the n-grams out (a keyword-only view of a message, see the trainer).
pub const FLAG_NO_NGRAMS: u32 = 1 << 16;

/// Which features to extract and how many hash buckets they share. Stored in the model file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeatureConfig {
    /// log2 of the number of buckets.
    pub bits: u8,
    /// `FLAG_*` bits.
    pub flags: u32,
}

impl FeatureConfig {
    /// The number of buckets.
    pub fn buckets(&self) -> usize {
        1usize << self.bits
    }
    fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }
}

/// Why a table file could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableError {
    pub file: &'static str,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for TableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "data/{} line {}: {}", self.file, self.line, self.message)
    }
}

impl std::error::Error for TableError {}

/// The parsed text tables: script folding, rewrites and keyword classes.
pub struct Tables {
    t2s: HashMap<char, char>,
    /// Rewrites by first character, longest `from` first.
    rewrites: HashMap<char, Vec<(String, String)>>,
    /// Keywords by first character, longest first: (word, class id).
    lexicon: HashMap<char, Vec<(String, u16)>>,
    classes: Vec<String>,
    fingerprint: u64,
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a, the same on every platform.
pub fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(FNV_OFFSET, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(FNV_PRIME)
    })
}

/// Combines two hashes, order-sensitive, with an avalanche so nearby inputs spread.
fn mix(a: u64, b: u64) -> u64 {
    let mut z = a.rotate_left(23) ^ b.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn content_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
}

impl Tables {
    /// Parses the three table files (see `data/*.txt` for their formats).
    pub fn parse(t2s: &str, rewrites: &str, lexicon: &str) -> Result<Tables, TableError> {
        let mut t2s_map = HashMap::new();
        for (line, l) in content_lines(t2s) {
            for pair in l.split_whitespace() {
                let mut cs = pair.chars();
                match (cs.next(), cs.next(), cs.next()) {
                    (Some(t), Some(s), None) => {
                        t2s_map.insert(t, s);
                    }
                    _ => {
                        return Err(TableError {
                            file: "t2s.txt",
                            line,
                            message: format!("{pair:?} is not a pair of two characters"),
                        });
                    }
                }
            }
        }

        let mut rewrite_map: HashMap<char, Vec<(String, String)>> = HashMap::new();
        for (line, l) in content_lines(rewrites) {
            let mut parts = l.split_whitespace();
            let (Some(from), Some(to), None) = (parts.next(), parts.next(), parts.next()) else {
                return Err(TableError {
                    file: "rewrites.txt",
                    line,
                    message: "expected `from to` (`_` for an empty `to`)".into(),
                });
            };
            let to = if to == "_" { "" } else { to };
            let first = from
                .chars()
                .next()
                .expect("split_whitespace yields non-empty words");
            rewrite_map
                .entry(first)
                .or_default()
                .push((from.to_owned(), to.to_owned()));
        }
        for list in rewrite_map.values_mut() {
            // Stable: equal lengths keep file order.
            list.sort_by_key(|(from, _)| std::cmp::Reverse(from.chars().count()));
        }

        let mut classes = Vec::new();
        let mut lexicon_map: HashMap<char, Vec<(String, u16)>> = HashMap::new();
        for (line, l) in content_lines(lexicon) {
            let Some((name, words)) = l.split_once(':') else {
                return Err(TableError {
                    file: "lexicon.txt",
                    line,
                    message: "expected `class: word word …`".into(),
                });
            };
            let name = name.trim();
            let id = match classes.iter().position(|c| c == name) {
                Some(id) => id,
                None => {
                    classes.push(name.to_owned());
                    classes.len() - 1
                }
            };
            for word in words.split_whitespace() {
                // `_` stands for a space, for English phrases such as `how_much`.
                let word = word.replace('_', " ");
                let first = word.chars().next().expect("non-empty word");
                lexicon_map
                    .entry(first)
                    .or_default()
                    .push((word, id as u16));
            }
        }
        for list in lexicon_map.values_mut() {
            list.sort_by_key(|(w, _)| std::cmp::Reverse(w.chars().count()));
        }

        let fingerprint = mix(
            mix(fnv(t2s.as_bytes()), fnv(rewrites.as_bytes())),
            fnv(lexicon.as_bytes()),
        );
        Ok(Tables {
            t2s: t2s_map,
            rewrites: rewrite_map,
            lexicon: lexicon_map,
            classes,
            fingerprint,
        })
    }

    /// A hash of the three files' exact contents.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// The keyword class names, in file order.
    pub fn class_names(&self) -> &[String] {
        &self.classes
    }

    fn fold_char(&self, c: char) -> Option<char> {
        let c = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            '\u{FFE5}' => '¥',
            '\u{FE00}'..='\u{FE0F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2060}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{1F3FB}'..='\u{1F3FF}' => return None,
            c if c.is_whitespace() => ' ',
            c => c,
        };
        let c = c.to_ascii_lowercase();
        Some(*self.t2s.get(&c).unwrap_or(&c))
    }

    /// Normalises a message (see the module docs).
    pub fn normalize(&self, text: &str) -> String {
        let folded: String = text.chars().filter_map(|c| self.fold_char(c)).collect();

        let mut rewritten = String::with_capacity(folded.len() + 8);
        let mut rest = folded.as_str();
        while let Some(c) = rest.chars().next() {
            let hit = self.rewrites.get(&c).and_then(|list| {
                list.iter()
                    .find(|(from, _)| rest.starts_with(from.as_str()))
            });
            match hit {
                Some((from, to)) => {
                    rewritten.push_str(to);
                    rest = &rest[from.len()..];
                }
                None => {
                    rewritten.push(c);
                    rest = &rest[c.len_utf8()..];
                }
            }
        }

        // Collapse whitespace; join digit groups split by spaces or dashes.
        let chars: Vec<char> = rewritten.chars().collect();
        let mut out = String::with_capacity(rewritten.len());
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == ' ' || c == '-' {
                let mut j = i;
                while j < chars.len() && (chars[j] == ' ' || chars[j] == '-') {
                    j += 1;
                }
                let digit_before = out.chars().next_back().is_some_and(|p| p.is_ascii_digit());
                let digit_after = chars.get(j).is_some_and(char::is_ascii_digit);
                if digit_before && digit_after {
                    // A grouped number such as `138 0013 8000`.
                } else if chars[i..j].contains(&'-') {
                    out.push('-');
                } else if !out.is_empty() && j < chars.len() {
                    out.push(' ');
                }
                i = j;
                continue;
            }
            out.push(c);
            i += 1;
        }
        out
    }

    /// Calls `emit(class, start, end)` (byte offsets) for every keyword occurrence in
    /// normalised text. ASCII keywords match whole words only, digit keywords only outside
    /// longer numbers.
    pub fn keywords_in(&self, norm: &str, mut emit: impl FnMut(u16, usize, usize)) {
        for (start, c) in norm.char_indices() {
            let Some(list) = self.lexicon.get(&c) else {
                continue;
            };
            let rest = &norm[start..];
            for (word, id) in list {
                if rest.starts_with(word.as_str()) && boundary_ok(norm, start, word) {
                    emit(*id, start, start + word.len());
                }
            }
        }
    }

    fn is_lexicon_number(&self, digits: &str) -> bool {
        digits
            .chars()
            .next()
            .and_then(|c| self.lexicon.get(&c))
            .is_some_and(|list| list.iter().any(|(w, _)| w == digits))
    }

    /// The units of normalised text (see the module docs), each with its clause number.
    pub fn units<'a>(&self, norm: &'a str) -> Vec<Unit<'a>> {
        let mut out = Vec::with_capacity(norm.len() / 2 + 2);
        let bytes = norm.as_bytes();
        let mut clause = 0u16;
        let mut pending_break = false;
        let mut word_start: Option<usize> = None;
        let push = |out: &mut Vec<Unit<'a>>,
                    text: &'a str,
                    start: usize,
                    pending: &mut bool,
                    clause: &mut u16| {
            if *pending && !out.is_empty() {
                *clause += 1;
            }
            *pending = false;
            out.push(Unit {
                text,
                start,
                clause: *clause,
            });
        };
        let chars: Vec<(usize, char)> = norm.char_indices().collect();
        let mut k = 0;
        while k < chars.len() {
            let (i, c) = chars[k];
            let in_word = c.is_ascii_alphanumeric()
                || (c == '.'
                    && word_start.is_some()
                    && bytes[i - 1].is_ascii_digit()
                    && bytes.get(i + 1).is_some_and(u8::is_ascii_digit));
            if in_word {
                word_start.get_or_insert(i);
                k += 1;
                continue;
            }
            if let Some(start) = word_start.take() {
                let plus = start > 0 && bytes[start - 1] == b'+';
                let unit = self.word_unit(&norm[start..i], plus);
                push(&mut out, unit, start, &mut pending_break, &mut clause);
            }
            // Runs of the same tone mark are one unit: `?`, or `??` for two and more.
            let run = chars[k..].iter().take_while(|(_, d)| *d == c).count();
            match c {
                ' ' | '+' => {}
                '?' | '!' => {
                    let unit: &'static str = match (c, run) {
                        ('?', 1) => "?",
                        ('?', _) => "??",
                        ('!', 1) => "!",
                        _ => "!!",
                    };
                    push(&mut out, unit, i, &mut pending_break, &mut clause);
                    k += run;
                    continue;
                }
                '~' | '¥' | '$' | '%' => {
                    push(
                        &mut out,
                        &norm[i..i + c.len_utf8()],
                        i,
                        &mut pending_break,
                        &mut clause,
                    );
                }
                '…' | '.' | '。' if c == '…' || run >= 2 => {
                    push(&mut out, "…", i, &mut pending_break, &mut clause);
                    k += run;
                    continue;
                }
                c if c.is_alphanumeric() || is_emoji(c) => {
                    push(
                        &mut out,
                        &norm[i..i + c.len_utf8()],
                        i,
                        &mut pending_break,
                        &mut clause,
                    );
                }
                _ => pending_break = true,
            }
            k += 1;
        }
        if let Some(start) = word_start {
            let plus = start > 0 && bytes[start - 1] == b'+';
            let unit = self.word_unit(&norm[start..], plus);
            push(&mut out, unit, start, &mut pending_break, &mut clause);
        }
        out
    }

    /// An ASCII word, or the class token of a number.
    fn word_unit<'a>(&self, word: &'a str, after_plus: bool) -> &'a str {
        let digits = word.bytes().filter(u8::is_ascii_digit).count();
        let letters = word.bytes().filter(u8::is_ascii_alphabetic).count();
        if letters == 0 && digits > 0 {
            let plain = !word.contains('.');
            let phone = (after_plus && digits >= 7)
                || (plain && digits == 11 && word.starts_with('1'))
                || (plain && digits == 13 && word.starts_with("861"));
            if phone {
                "<phone>"
            } else if digits >= 6 {
                "<num>"
            } else if digits >= 3 && !self.is_lexicon_number(word) {
                "<n>"
            } else {
                word
            }
        } else if digits >= 6 {
            "<code>"
        } else {
            word
        }
    }

    /// The features of a raw or host-normalised message: sorted, deduplicated bucket ids with
    /// values, scaled to unit length.
    pub fn features(&self, text: &str, cfg: &FeatureConfig) -> Vec<(u32, f32)> {
        let norm = self.normalize(text);
        self.features_of_normalized(&norm, cfg)
    }

    /// [`Tables::features`] on text that is already [`Tables::normalize`]d.
    pub fn features_of_normalized(&self, norm: &str, cfg: &FeatureConfig) -> Vec<(u32, f32)> {
        let units = self.units(norm);
        let mut hashes: Vec<u64> = Vec::with_capacity(units.len() * 4 + 16);

        let mut seq: Vec<u64> = Vec::with_capacity(units.len() + 2);
        seq.push(fnv(b"^"));
        seq.extend(units.iter().map(|u| fnv(u.text.as_bytes())));
        seq.push(fnv(b"$"));

        if !cfg.has(FLAG_NO_NGRAMS) {
            for &u in &seq[1..seq.len() - 1] {
                hashes.push(mix(1, u));
            }
            for w in seq.windows(2) {
                hashes.push(mix(mix(2, w[0]), w[1]));
            }
        }
        if cfg.has(FLAG_TRIGRAMS) {
            for w in seq.windows(3) {
                hashes.push(mix(mix(mix(3, w[0]), w[1]), w[2]));
            }
        }
        if cfg.has(FLAG_SKIP_BIGRAMS) {
            for w in seq.windows(3) {
                hashes.push(mix(mix(8, w[0]), w[2]));
            }
        }
        if cfg.has(FLAG_LAST_CLAUSE_NGRAMS) {
            let last = units.last().map_or(0, |u| u.clause);
            if last > 0 {
                let tail: Vec<u64> = units
                    .iter()
                    .filter(|u| u.clause == last)
                    .map(|u| fnv(u.text.as_bytes()))
                    .collect();
                for &u in &tail {
                    hashes.push(mix(10, u));
                }
                for w in tail.windows(2) {
                    hashes.push(mix(mix(11, w[0]), w[1]));
                }
            }
        }
        if cfg.has(FLAG_LENGTH) {
            let bucket = match units.len() {
                0 => 0,
                1 => 1,
                2 => 2,
                3..=4 => 3,
                5..=8 => 4,
                9..=16 => 5,
                17..=32 => 6,
                _ => 7,
            };
            hashes.push(mix(16, bucket));
        }

        // Each keyword hit belongs to the clause of the last unit starting at or before it.
        let last_clause = units.last().map_or(0, |u| u.clause);
        let clause_at = |byte: usize| -> u16 {
            let after = units.partition_point(|u| u.start <= byte);
            after.checked_sub(1).map_or(0, |i| units[i].clause)
        };
        let mut lexical: Vec<u64> = Vec::new();
        let mut classes: Vec<u16> = Vec::new();
        self.keywords_in(norm, |id, start, end| {
            classes.push(id);
            lexical.push(mix(4, u64::from(id)));
            if cfg.has(FLAG_LEX_WORDS) {
                lexical.push(mix(5, fnv(&norm.as_bytes()[start..end])));
            }
            if cfg.has(FLAG_LAST_CLAUSE) || cfg.has(FLAG_FIRST_CLAUSE) {
                let clause = clause_at(start);
                if cfg.has(FLAG_LAST_CLAUSE) && last_clause > 0 && clause == last_clause {
                    lexical.push(mix(6, u64::from(id)));
                }
                if cfg.has(FLAG_FIRST_CLAUSE) && last_clause > 0 && clause == 0 {
                    lexical.push(mix(7, u64::from(id)));
                }
            }
        });
        if cfg.has(FLAG_CLASS_PAIRS) {
            classes.sort_unstable();
            classes.dedup();
            for (i, &a) in classes.iter().enumerate() {
                for &b in &classes[i + 1..] {
                    lexical.push(mix(mix(9, u64::from(a)), u64::from(b)));
                }
            }
        }

        let lexical_weight = if cfg.has(FLAG_LEX_BOOST) { 2.0 } else { 1.0 };
        let mask = (cfg.buckets() - 1) as u64;
        let mut weighted: Vec<(u32, f32)> = hashes
            .iter()
            .map(|h| ((h & mask) as u32, 1.0))
            .chain(lexical.iter().map(|h| ((h & mask) as u32, lexical_weight)))
            .collect();
        // One value per bucket: the largest weight that landed there (binary features).
        weighted.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
        weighted.dedup_by_key(|f| f.0);
        let norm2: f32 = weighted.iter().map(|(_, v)| v * v).sum();
        if norm2 > 0.0 {
            let inv = 1.0 / norm2.sqrt();
            for f in &mut weighted {
                f.1 *= inv;
            }
        }
        weighted
    }
}

/// One unit of a message and the clause it is in (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unit<'a> {
    /// The unit, or its class token (`<num>`, `??`).
    pub text: &'a str,
    /// Byte offset in the normalised text where it starts.
    pub start: usize,
    /// The clause it is in, counting from 0.
    pub clause: u16,
}

fn is_emoji(c: char) -> bool {
    matches!(c as u32, 0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0x3030 | 0x303D)
}

fn boundary_ok(text: &str, start: usize, word: &str) -> bool {
    let end = start + word.len();
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    let first = word.chars().next().unwrap_or(' ');
    let last = word.chars().next_back().unwrap_or(' ');
    let clash = |edge: char, neighbour: Option<char>| match neighbour {
        Some(n) if edge.is_ascii_digit() => n.is_ascii_digit(),
        Some(n) if edge.is_ascii_alphabetic() => n.is_ascii_alphanumeric(),
        _ => false,
    };
    !clash(first, before) && !clash(last, after)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables() -> Tables {
        Tables::parse(
            "訂订 單单 點点 嗎吗 還还 沒没 號号 發发 關关 該该 謝谢",
            "# test\n唔 不\n唔该 谢谢\n咗 了\n点解 为什么\n定单 订单\n㗎 _\n关係 关系\n係 是\n",
            "money: 退款 退钱 refund tk money_back\nthreat: 12315 投诉\nhello: 在吗 你好\nthanks: 谢谢\ninvoice: 发票\n",
        )
        .unwrap()
    }

    fn unit_texts(t: &Tables, text: &str) -> Vec<String> {
        let norm = t.normalize(text);
        t.units(&norm).iter().map(|u| u.text.to_owned()).collect()
    }

    #[test]
    fn normalisation_folds_width_case_script_and_dialect() {
        let t = tables();
        assert_eq!(t.normalize("ＡＰＰ　訂單"), "app 订单");
        assert_eq!(t.normalize("點解仲未到"), "为什么仲未到");
        assert_eq!(t.normalize("唔該"), "谢谢");
        assert_eq!(t.normalize("係咪㗎"), "是咪");
        assert_eq!(t.normalize("沒關係"), "没关系");
        assert_eq!(t.normalize("电话 138 0013 8000"), "电话 13800138000");
        assert_eq!(t.normalize("好的👍🏻"), "好的👍");
    }

    #[test]
    fn normalisation_is_idempotent() {
        let t = tables();
        for s in [
            "點解仲未到？？",
            "ＳＦ１２３ 退款",
            "唔該晒 138-0013-8000",
            "定单沒關係",
        ] {
            let once = t.normalize(s);
            assert_eq!(t.normalize(&once), once, "{s}");
        }
    }

    #[test]
    fn numbers_become_class_tokens() {
        let t = tables();
        assert_eq!(
            unit_texts(&t, "订单2024110512345678"),
            ["订", "单", "<num>"]
        );
        assert_eq!(unit_texts(&t, "电话13800138000"), ["电", "话", "<phone>"]);
        assert_eq!(
            unit_texts(&t, "电话+8613800138000"),
            ["电", "话", "<phone>"]
        );
        assert_eq!(unit_texts(&t, "单号SF1234567890"), ["单", "号", "<code>"]);
        assert_eq!(unit_texts(&t, "打12315"), ["打", "12315"]);
        assert_eq!(unit_texts(&t, "¥199"), ["¥", "<n>"]);
        assert_eq!(unit_texts(&t, "3q"), ["3q"]);
    }

    #[test]
    fn tone_marks_are_units_and_other_punctuation_breaks_clauses() {
        let t = tables();
        assert_eq!(unit_texts(&t, "人工！！！"), ["人", "工", "!!"]);
        assert_eq!(unit_texts(&t, "在吗?"), ["在", "吗", "?"]);
        assert_eq!(unit_texts(&t, "。。。"), ["…"]);
        let norm = t.normalize("好的，谢谢。发票呢");
        let clauses: Vec<u16> = t.units(&norm).iter().map(|u| u.clause).collect();
        assert_eq!(clauses, [0, 0, 1, 1, 2, 2, 2]);
    }

    #[test]
    fn ascii_keywords_match_whole_words_only() {
        let t = tables();
        let classes = |s: &str| {
            let mut v = Vec::new();
            t.keywords_in(&t.normalize(s), |id, _, _| {
                v.push(t.class_names()[id as usize].clone())
            });
            v
        };
        assert_eq!(classes("tk"), ["money"]);
        assert!(classes("tkx").is_empty());
        assert_eq!(classes("打12315"), ["threat"]);
        assert_eq!(classes("i want my money back"), ["money"]);
        assert!(classes("订单2012315888").is_empty());
    }

    #[test]
    fn features_are_deterministic_unit_length_and_script_blind() {
        let t = tables();
        let cfg = FeatureConfig {
            bits: 16,
            flags: FLAG_TRIGRAMS | FLAG_LAST_CLAUSE,
        };
        let a = t.features("訂單還沒到，謝謝", &cfg);
        assert_eq!(a, t.features("訂單還沒到，謝謝", &cfg));
        assert_eq!(a, t.features("订单还没到，谢谢", &cfg));
        let norm: f32 = a.iter().map(|(_, v)| v * v).sum();
        assert!((norm - 1.0).abs() < 1e-5);
        assert!(
            a.windows(2).all(|w| w[0].0 < w[1].0),
            "sorted and deduplicated"
        );
        assert!(a.iter().all(|(id, _)| (*id as usize) < cfg.buckets()));
        // An empty message is one feature: the start-end bigram.
        assert_eq!(t.features("", &cfg).len(), 1);
    }

    #[test]
    fn last_clause_features_mark_the_keywords_of_the_last_clause() {
        let t = tables();
        let with = FeatureConfig {
            bits: 20,
            flags: FLAG_LAST_CLAUSE,
        };
        let without = FeatureConfig { bits: 20, flags: 0 };
        let class = |name: &str| t.class_names().iter().position(|c| c == name).unwrap() as u64;
        let bucket = |h: u64| (h & ((1 << 20) - 1)) as u32;
        let extra = |text: &str| -> Vec<u32> {
            let plain: Vec<u32> = t.features(text, &without).iter().map(|f| f.0).collect();
            t.features(text, &with)
                .iter()
                .map(|f| f.0)
                .filter(|id| !plain.contains(id))
                .collect()
        };
        assert_eq!(extra("谢谢，发票呢"), [bucket(mix(6, class("invoice")))]);
        assert_eq!(extra("发票呢，谢谢"), [bucket(mix(6, class("thanks")))]);
        // One clause: no last-clause features at all.
        assert!(extra("发票谢谢").is_empty());
    }

    #[test]
    fn bad_table_lines_are_reported_with_their_line() {
        let err = Tables::parse("訂订 單", "", "").err().unwrap();
        assert_eq!((err.file, err.line), ("t2s.txt", 1));
        let err = Tables::parse("", "a b c", "").err().unwrap();
        assert_eq!(err.file, "rewrites.txt");
        let err = Tables::parse("", "", "\n\nno colon here").err().unwrap();
        assert_eq!((err.file, err.line), ("lexicon.txt", 3));
    }
}
