//! Feature extraction: normalised text → hashed sparse features.
//!
//! The text is cut into *units*: one per CJK character, emoji or kept punctuation mark, one per
//! ASCII word (`app`, `vip`, `3q`), and class tokens for numbers (`<num>` for order numbers and
//! other long digit runs, `<phone>` for mainland mobile numbers, `<code>` for letter-prefixed
//! tracking numbers such as `sf1234567890`). Commas, full stops and the like become one clause
//! break `,`; `?` and `!` are kept because they carry tone (`？？`, `人工！！！`).
//!
//! Features are unit unigrams and bigrams, the bigrams with start and end markers (`^在`, `吗$`:
//! short messages are mostly told apart by how they start and end), plus the keyword classes of
//! [`super::lexicon`]. Every feature is a 64-bit hash; the trained model keeps only the hashes
//! it saw in training. Trigrams, a length bucket, class-pair and last-clause features were tried
//! under 5-fold cross-validation: trigrams cost about two points (too sparse for ~2,500 lines),
//! the others changed nothing beyond noise, so they are not here.

use super::lexicon;
use super::normalize::normalize;

/// A 64-bit hash of a unit or feature.
pub(super) type Hash = u64;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn fnv(bytes: &[u8]) -> Hash {
    bytes.iter().fold(FNV_OFFSET, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(FNV_PRIME)
    })
}

/// Combines two hashes (order-sensitive), with a final avalanche so nearby inputs spread.
fn mix(a: Hash, b: Hash) -> Hash {
    let mut z = a.rotate_left(21) ^ b.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

const BOS: &str = "^";
const EOS: &str = "$";
const BREAK: &str = ",";

fn is_emoji(c: char) -> bool {
    matches!(c as u32, 0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0x3030 | 0x303D)
}

/// Classifies an ASCII alphanumeric run: long digit runs become class tokens.
fn word_unit(word: &str) -> &str {
    let digits = word.bytes().filter(u8::is_ascii_digit).count();
    let letters = word.len() - digits;
    if digits < 6 {
        word
    } else if letters == 0
        && ((digits == 11 && word.starts_with('1'))
            // E.164 as the normalize stage writes it: +86 then the mobile number.
            || (digits == 13 && word.starts_with("861")))
    {
        "<phone>"
    } else if letters == 0 {
        "<num>"
    } else {
        "<code>"
    }
}

/// Emits units, placing a clause break only between two units, never at either end.
struct UnitSink<F> {
    emit: F,
    seen_unit: bool,
    pending_break: bool,
}

impl<'a, F: FnMut(&'a str)> UnitSink<F> {
    fn unit(&mut self, unit: &'a str) {
        if self.pending_break {
            (self.emit)(BREAK);
            self.pending_break = false;
        }
        (self.emit)(unit);
        self.seen_unit = true;
    }

    fn clause_break(&mut self) {
        self.pending_break = self.seen_unit;
    }
}

/// Calls `emit` with each unit of normalised text (see the module docs), without allocating.
fn for_each_unit<'a>(text: &'a str, emit: impl FnMut(&'a str)) {
    let bytes = text.as_bytes();
    let mut sink = UnitSink {
        emit,
        seen_unit: false,
        pending_break: false,
    };
    let mut word_start: Option<usize> = None;
    for (i, c) in text.char_indices() {
        // A decimal point inside a number (3.5, ¥19.9) stays in the word.
        let in_word = c.is_ascii_alphanumeric()
            || (c == '.'
                && word_start.is_some()
                && bytes[i - 1].is_ascii_digit()
                && bytes.get(i + 1).is_some_and(u8::is_ascii_digit));
        if in_word {
            word_start.get_or_insert(i);
            continue;
        }
        if let Some(start) = word_start.take() {
            sink.unit(word_unit(&text[start..i]));
        }
        match c {
            ' ' => {}
            '?' | '!' | '¥' | '%' => sink.unit(&text[i..i + c.len_utf8()]),
            c if c.is_alphanumeric() || is_emoji(c) => sink.unit(&text[i..i + c.len_utf8()]),
            _ => sink.clause_break(),
        }
    }
    if let Some(start) = word_start {
        sink.unit(word_unit(&text[start..]));
    }
}

/// The units of normalised text, for tests and debugging.
#[cfg(test)]
pub(super) fn units(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_unit(text, |u| out.push(u.to_owned()));
    out
}

/// The features of a message, as hashes (with repeats; the model dedups).
pub(super) fn extract(text: &str) -> Vec<Hash> {
    let norm = normalize(text);
    let mut seq: Vec<Hash> = Vec::with_capacity(norm.len() / 2 + 2);
    seq.push(fnv(BOS.as_bytes()));
    for_each_unit(&norm, |u| seq.push(fnv(u.as_bytes())));
    seq.push(fnv(EOS.as_bytes()));

    let mut feats = Vec::with_capacity(seq.len() * 2 + 8);
    for pair in seq.windows(2) {
        feats.push(mix(mix(2, pair[0]), pair[1]));
    }
    for &unit in &seq[1..seq.len() - 1] {
        feats.push(mix(1, unit));
    }
    lexicon::classes_in(&norm, |id| feats.push(mix(4, u64::from(id))));
    feats
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_become_class_tokens() {
        assert_eq!(units("订单2024110512345678"), ["订", "单", "<num>"]);
        assert_eq!(units("电话13800138000"), ["电", "话", "<phone>"]);
        assert_eq!(units("单号sf1234567890"), ["单", "号", "<code>"]);
        assert_eq!(units("打12315"), ["打", "12315"]);
        assert_eq!(units("¥19.9"), ["¥", "19.9"]);
    }

    #[test]
    fn punctuation_becomes_clause_breaks_and_tone_marks() {
        assert_eq!(units("好的，谢谢。"), ["好", "的", ",", "谢", "谢"]);
        assert_eq!(units("人工!!!"), ["人", "工", "!", "!", "!"]);
        assert_eq!(units("app 闪退"), ["app", "闪", "退"]);
    }

    #[test]
    fn emoji_are_units() {
        assert_eq!(units("好的👍"), ["好", "的", "👍"]);
    }

    #[test]
    fn extraction_is_stable() {
        assert_eq!(extract("在吗"), extract("在吗"));
        assert_eq!(extract("在嗎"), extract("在吗"));
    }
}
