//! Finding many words in a short text in one pass.
//!
//! Matching used to call `str::contains` once per keyword (thousands per message); in wasm,
//! with no SIMD substring search, that was most of the plugin's CPU time. A [`WordSet`] puts
//! every word into one Aho-Corasick automaton, built once, and [`WordSet::scan`] reports which
//! of them occur anywhere in the text — exactly what `text.contains(word)` answers, for all
//! words at once.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, MatchKind};

/// Distinct words, each with a dense id (its insertion order).
#[derive(Debug, Clone, Default)]
pub struct WordSetBuilder {
    words: Vec<String>,
    ids: HashMap<String, u32>,
}

impl WordSetBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// The id of `word`, adding it if new. `word` must not be empty.
    pub fn add(&mut self, word: &str) -> u32 {
        debug_assert!(!word.is_empty());
        if let Some(id) = self.ids.get(word) {
            return *id;
        }
        let id = self.words.len() as u32;
        self.words.push(word.to_owned());
        self.ids.insert(word.to_owned(), id);
        id
    }

    /// The id of `word` if it was added.
    pub fn get(&self, word: &str) -> Option<u32> {
        self.ids.get(word).copied()
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    pub fn build(&self) -> WordSet {
        WordSet::new(&self.words)
    }
}

/// An automaton over a fixed list of words.
#[derive(Debug, Clone)]
pub struct WordSet {
    ac: Option<AhoCorasick>,
    len: usize,
}

impl WordSet {
    /// `words[i]` gets id `i`. Words must be distinct and non-empty.
    pub fn new<S: AsRef<str>>(words: &[S]) -> WordSet {
        let ac = (!words.is_empty()).then(|| {
            AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .build(words.iter().map(|w| w.as_ref().as_bytes()))
                .expect("a word automaton builds")
        });
        WordSet {
            ac,
            len: words.len(),
        }
    }

    /// The number of words.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Which words occur in `text`, listing them in [`Hits::found`], with room for `extra`
    /// more ids after them (for words the caller checks itself).
    pub fn scan_listed(&self, text: &str, extra: usize) -> Hits {
        let mut hits = Hits::with_capacity(self.len + extra);
        hits.listed = true;
        self.scan_into(text, &mut hits);
        hits
    }

    /// Which words occur in `text`.
    pub fn scan(&self, text: &str) -> Hits {
        let mut hits = Hits::with_capacity(self.len);
        self.scan_into(text, &mut hits);
        hits
    }

    fn scan_into(&self, text: &str, hits: &mut Hits) {
        if let Some(ac) = &self.ac
            && !text.is_empty()
        {
            for m in ac.find_overlapping_iter(text) {
                hits.insert(m.pattern().as_u32());
            }
        }
    }
}

/// `hay.contains(needle)` without the searcher's set-up, which costs more than the search
/// itself on a short message (or with a long needle).
pub fn contains(hay: &str, needle: &str) -> bool {
    let (hay, needle) = (hay.as_bytes(), needle.as_bytes());
    let Some((first, rest)) = needle.split_first() else {
        return true;
    };
    hay.len() >= needle.len()
        && hay[..=hay.len() - needle.len()]
            .iter()
            .enumerate()
            .any(|(i, b)| b == first && hay[i + 1..i + needle.len()] == *rest)
}

/// The ids of the words found in a text.
#[derive(Debug, Clone, Default)]
pub struct Hits {
    bits: Vec<u64>,
    /// Each id found, once, in the order first found (when `listed`).
    found: Vec<u32>,
    listed: bool,
}

impl Hits {
    pub fn with_capacity(ids: usize) -> Hits {
        Hits {
            bits: vec![0; ids.div_ceil(64)],
            found: Vec::new(),
            listed: false,
        }
    }

    /// Records `id` (which must be below the capacity).
    pub fn insert(&mut self, id: u32) {
        let (w, b) = ((id / 64) as usize, id % 64);
        if self.bits[w] & (1 << b) == 0 {
            self.bits[w] |= 1 << b;
            if self.listed {
                self.found.push(id);
            }
        }
    }

    pub fn has(&self, id: u32) -> bool {
        self.bits
            .get((id / 64) as usize)
            .is_some_and(|w| w & (1 << (id % 64)) != 0)
    }

    /// Whether any of `ids` was found.
    pub fn any(&self, ids: &[u32]) -> bool {
        ids.iter().any(|id| self.has(*id))
    }

    pub fn is_empty(&self) -> bool {
        self.bits.iter().all(|w| *w == 0)
    }

    /// The ids found, each once (only for [`WordSet::scan_listed`]).
    pub fn found(&self) -> &[u32] {
        &self.found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains_answers_like_str_contains() {
        for (hay, needle) in [
            ("校车接送吗", "校车"),
            ("有班车吗", "校车"),
            ("车", "校车"),
            ("", "a"),
            ("a", ""),
            ("abc", "c"),
            ("abc", "abc"),
            ("abcd", "bd"),
        ] {
            assert_eq!(
                contains(hay, needle),
                hay.contains(needle),
                "{needle} in {hay}"
            );
        }
    }

    #[test]
    fn finds_every_contained_word_including_overlaps() {
        let words = ["试听", "试听课", "听课", "课", "收费", "x"];
        let set = WordSet::new(&words);
        let text = "试听课要收费吗";
        let hits = set.scan(text);
        for (i, w) in words.iter().enumerate() {
            assert_eq!(hits.has(i as u32), text.contains(w), "{w}");
        }
        assert!(WordSet::new::<&str>(&[]).scan("abc").is_empty());
    }
}
