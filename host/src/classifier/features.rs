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
    bytes
        .iter()
        .fold(FNV_OFFSET, |h, &b| (h ^ u64::from(b)).wrapping_mul(FNV_PRIME))
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

/// Classifies an ASCII alphanumeric run.
fn word_unit(word: &str) -> String {
    let digits = word.bytes().filter(u8::is_ascii_digit).count();
    let letters = word.len() - digits;
    if digits >= 6 {
        if letters == 0 && digits == 11 && word.starts_with('1') {
            "<phone>".to_owned()
        } else if letters == 0 {
            "<num>".to_owned()
        } else {
            "<code>".to_owned()
        }
    } else {
        word.to_owned()
    }
}

/// Cuts normalised text into units (see the module docs).
pub(super) fn units(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut Vec<String>| {
        if !word.is_empty() {
            out.push(word_unit(word));
            word.clear();
        }
    };
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_alphanumeric() {
            word.push(c);
            continue;
        }
        // A decimal point inside a number (3.5, ¥19.9) stays in the word.
        if c == '.'
            && word.bytes().last().is_some_and(|b| b.is_ascii_digit())
            && chars.peek().is_some_and(char::is_ascii_digit)
        {
            word.push(c);
            continue;
        }
        flush(&mut word, &mut out);
        match c {
            ' ' => {}
            '?' | '!' => out.push(c.to_string()),
            c if c.is_alphanumeric() || is_emoji(c) || c == '¥' || c == '%' => {
                out.push(c.to_string());
            }
            _ => {
                if out.last().is_some_and(|u| u != BREAK) {
                    out.push(BREAK.to_owned());
                }
            }
        }
    }
    flush(&mut word, &mut out);
    while out.last().is_some_and(|u| u == BREAK) {
        out.pop();
    }
    out
}

/// The features of a message, as hashes (with repeats; the model dedups).
pub(super) fn extract(text: &str) -> Vec<Hash> {
    let norm = normalize(text);
    let units = units(&norm);
    let mut seq: Vec<Hash> = Vec::with_capacity(units.len() + 2);
    seq.push(fnv(BOS.as_bytes()));
    seq.extend(units.iter().map(|u| fnv(u.as_bytes())));
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
