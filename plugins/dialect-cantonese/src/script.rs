//! Characters: the Traditional → Simplified table and the character classes the lexicon's
//! conditions test.
//!
//! Pure code with no SDK calls, so it runs natively in tests and in the evaluation harness.
//! The table comes from `data/t2s.txt` (generated from OpenCC's TSCharacters, see the README).
//! It is applied one character at a time; words whose reading depends on context (關係 vs 係)
//! are the lexicon's job, which is why 係 is not in the table.

use std::collections::HashMap;

/// A Traditional → Simplified character table.
#[derive(Debug, Default, Clone)]
pub struct T2s {
    map: HashMap<char, char>,
    /// The same table for the Basic Multilingual Plane, indexed by code point, holding the
    /// Simplified code point + 1 (0 = no entry): one array read per character instead of a
    /// hash lookup.
    bmp: Vec<u32>,
}

impl T2s {
    /// Parses the compact table format: whitespace-separated tokens of exactly two characters,
    /// the Traditional one first; `#` starts a comment line.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut map = HashMap::with_capacity(3000);
        for (n, line) in text.lines().enumerate() {
            if line.starts_with('#') {
                continue;
            }
            for token in line.split_whitespace() {
                let mut chars = token.chars();
                match (chars.next(), chars.next(), chars.next()) {
                    (Some(t), Some(s), None) => {
                        map.insert(t, s);
                    }
                    _ => return Err(format!("t2s.txt:{}: bad pair `{token}`", n + 1)),
                }
            }
        }
        let mut bmp = vec![0u32; 0x1_0000];
        for (&t, &s) in &map {
            if let Some(slot) = bmp.get_mut(t as usize) {
                *slot = s as u32 + 1;
            }
        }
        Ok(T2s { map, bmp })
    }

    /// The Simplified form of one character (itself when the table has none).
    #[inline]
    pub fn char(&self, c: char) -> char {
        match self.bmp.get(c as usize) {
            Some(&0) => c,
            Some(&s) => char::from_u32(s - 1).unwrap_or(c),
            None => self.map.get(&c).copied().unwrap_or(c),
        }
    }

    /// Converts a whole string character by character.
    pub fn convert(&self, s: &str) -> String {
        s.chars().map(|c| self.char(c)).collect()
    }

    /// How many pairs the table holds.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// A CJK ideograph (the unified blocks, extensions A to G, compatibility ideographs) or `〇`.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3007
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xF900..=0xFAFF
        | 0x20000..=0x3134F)
}

/// The ASCII form of a full-width letter or digit (`６` → `6`); other characters unchanged.
/// The host folds these before plugins run, but raw text may still carry them.
pub fn half_width(c: char) -> char {
    match c {
        '\u{FF10}'..='\u{FF19}' | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}' => {
            char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
        }
        _ => c,
    }
}

/// A digit or a Chinese numeral, as in 十蚊, 3堂, 兩舊.
pub fn is_numeral(c: char) -> bool {
    half_width(c).is_ascii_digit() || "一二三四五六七八九十百千万萬两兩几幾半〇零廿卅".contains(c)
}

/// What stands between words: nothing (start or end of text), whitespace, punctuation, symbols
/// and emoji — anything that is neither an ideograph nor an ASCII letter or digit.
pub fn is_boundary(c: Option<char>) -> bool {
    match c {
        None => true,
        Some(c) => !is_cjk(c) && !half_width(c).is_ascii_alphanumeric(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> T2s {
        T2s::parse(include_str!("../data/t2s.txt")).expect("bundled table parses")
    }

    #[test]
    fn bundled_table_covers_the_common_characters() {
        let t = table();
        assert!(t.len() > 2500, "only {} pairs", t.len());
        assert_eq!(t.convert("點解我嘅訂單還沒發貨"), "点解我嘅订单还没发货");
        assert_eq!(t.convert("請問這個商品還有貨嗎"), "请问这个商品还有货吗");
    }

    #[test]
    fn table_keeps_cantonese_characters_typed_in_simplified_text() {
        let t = table();
        // OpenCC maps these to rare characters nobody types; the generator drops those pairs.
        assert_eq!(t.convert("嗰個喎"), "嗰个喎");
        // 係 is decided by the lexicon, not by the table.
        assert_eq!(t.char('係'), '係');
        assert_eq!(t.char('咗'), '咗');
    }

    #[test]
    fn table_leaves_latin_digits_and_emoji_alone() {
        let t = table();
        assert_eq!(
            t.convert("SF1234567890 book 9123 4567 🙏"),
            "SF1234567890 book 9123 4567 🙏"
        );
    }

    #[test]
    fn parse_rejects_a_malformed_pair() {
        assert!(T2s::parse("訂订 計").is_err());
        assert!(T2s::parse("# comment only\n").unwrap().is_empty());
    }

    #[test]
    fn boundaries_are_neither_ideographs_nor_ascii_alphanumerics() {
        assert!(is_boundary(None));
        assert!(is_boundary(Some('？')));
        assert!(is_boundary(Some(' ')));
        assert!(is_boundary(Some('😂')));
        assert!(!is_boundary(Some('唔')));
        assert!(!is_boundary(Some('a')));
        assert!(is_cjk('𨋢'));
        assert!(is_numeral('兩') && is_numeral('7') && !is_numeral('个'));
        assert!(!is_boundary(Some('６')) && is_numeral('６') && half_width('Ａ') == 'A');
    }

    #[test]
    fn characters_outside_the_basic_plane_are_converted_too() {
        let t = T2s::parse("𠮷吉 點点").unwrap();
        assert_eq!(t.convert("𠮷點a"), "吉点a");
        assert_eq!(T2s::default().char('點'), '點');
    }
}
