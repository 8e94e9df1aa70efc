//! The phrase lexicon: what counts as written-Cantonese evidence, how much, and what each
//! phrase becomes in Mandarin.
//!
//! `data/lexicon.tsv` has one entry per line, tab-separated:
//!
//! ```text
//! from    to        weight   conditions (optional, space-separated)
//! 唔该    谢谢      1.0      end
//! 唔该    麻烦      1.0
//! 系统    =         keep
//! ```
//!
//! - `from` may be written in either script: keys are folded to Simplified with the same table
//!   as the text, so `點解` and `点解` are one entry. 系 and 係 are interchangeable inside a key
//!   (people type both), so every key is also registered with the other spelling unless that
//!   spelling has an entry of its own; a copy spelled with 係 weighs at least 1, like 係 alone.
//!   Shielded words are not copied (體係 is usually 具體 + 係), so their 係 spellings are listed.
//! - `to` is the Mandarin rendering; `=` keeps the phrase as it is and `-` deletes it (sentence
//!   particles such as 㗎 喎).
//! - `weight` is the detection evidence the phrase adds (0 for rewrite-only entries), or `keep`
//!   for a Mandarin word that contains a Cantonese-looking character (系统, 食品, 好耐用 → 耐用):
//!   such words are matched first and shield their characters from every other entry.
//! - conditions look at the characters just before and after the phrase: `start` / `end`
//!   (a boundary: text edge, space, punctuation, emoji), `prev=X` / `next=X` and their negations
//!   `!prev=X` / `!next=X`, where X is `cjk`, `ascii` (letter or digit), `letter`, `digit`,
//!   `num` (digit or Chinese numeral), `edge` (a boundary), `fin` (a boundary or a sentence
//!   particle: the clause ends here, as in `冇嘢喇`, `食咗飯未呀`) or a literal set of characters.
//!
//!   `stop` is a boundary that ends the message or a sentence (not `，、；：`).
//! - a line `@NAME<TAB>characters` names a set for later conditions: `!prev=@ADJ`.
//!
//! When several entries share a key, the first one (in file order) whose conditions hold wins.

use std::collections::HashMap;

use crate::script::{T2s, half_width, is_boundary, is_cjk, is_numeral};

/// What a matched phrase becomes.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// The phrase stays as written (in Simplified script).
    Keep,
    /// The phrase is dropped.
    Delete,
    /// The phrase is replaced.
    Text(String),
}

/// A class of characters a condition tests.
#[derive(Debug, Clone, PartialEq)]
enum Class {
    Cjk,
    Ascii,
    Letter,
    Digit,
    Numeral,
    Edge,
    Stop,
    Final,
    Set(Vec<char>),
}

/// Sentence particles that close a clause (`fin` = a boundary or one of these).
const PARTICLES: &str = "呀啊吖呢㗎嘅啦喇嘞啰囉嘛吗嗎喎噃啩啫咩先未添咧喔哦吧了";

impl Class {
    fn holds(&self, c: Option<char>) -> bool {
        match self {
            Class::Edge => is_boundary(c),
            Class::Stop => is_boundary(c) && !c.is_some_and(|c| "，,、；;：:".contains(c)),
            Class::Final => is_boundary(c) || c.is_some_and(|c| PARTICLES.contains(c)),
            _ => {
                let Some(c) = c.map(half_width) else {
                    return false;
                };
                match self {
                    Class::Cjk => is_cjk(c),
                    Class::Ascii => c.is_ascii_alphanumeric(),
                    Class::Letter => c.is_ascii_alphabetic(),
                    Class::Digit => c.is_ascii_digit(),
                    Class::Numeral => is_numeral(c),
                    Class::Set(set) => set.contains(&c),
                    Class::Edge | Class::Stop | Class::Final => unreachable!(),
                }
            }
        }
    }
}

/// One test on a neighbouring character.
#[derive(Debug, Clone, PartialEq)]
struct Cond {
    /// `true` for the character after the phrase, `false` for the one before.
    next: bool,
    negate: bool,
    class: Class,
}

/// One lexicon line.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The key, in Simplified script.
    pub from: String,
    /// The Mandarin rendering.
    pub to: Output,
    /// Detection evidence.
    pub weight: f32,
    /// A Mandarin word that shields its characters.
    pub protect: bool,
    conds: Vec<Cond>,
}

impl Entry {
    /// Whether the entry's conditions hold for a phrase with these neighbours.
    pub fn applies(&self, prev: Option<char>, next: Option<char>) -> bool {
        self.conds.iter().all(|c| {
            let ch = if c.next { next } else { prev };
            c.class.holds(ch) != c.negate
        })
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

    #[inline]
    fn child(&self, node: usize, c: char) -> Option<usize> {
        if node == 0
            && let Some(&id) = self.root.get(c as usize)
        {
            return (id != 0).then_some(id as usize);
        }
        self.edges.get(edge_key(node, c)).map(|n| n as usize)
    }

    /// The first `Some` that `f` returns for the keys that are a prefix of `chars[start..end]`,
    /// tried longest first; `f` gets the key's length in characters and its value.
    pub fn longest<'a, R>(
        &'a self,
        chars: &[char],
        start: usize,
        end: usize,
        mut f: impl FnMut(usize, &'a V) -> Option<R>,
    ) -> Option<R> {
        let end = end.min(chars.len());
        // Walk down once, remembering the nodes that hold a value, then try them deepest first.
        const KEPT: usize = 8;
        let mut hits = [(0u32, 0u32); KEPT];
        let mut count = 0;
        let mut node = 0usize;
        let mut pos = start;
        while pos < end {
            let Some(next) = self.child(node, chars[pos]) else {
                break;
            };
            node = next;
            pos += 1;
            if self.values[node].is_some() {
                if count == KEPT {
                    // Keys this long are unusual (tenant phrases): the general walk.
                    return self.descend(0, chars, start, end, 0, &mut f);
                }
                hits[count] = ((pos - start) as u32, node as u32);
                count += 1;
            }
        }
        hits[..count].iter().rev().find_map(|&(len, node)| {
            let value = self.values[node as usize].as_ref()?;
            f(len as usize, value)
        })
    }

    /// [`CharTrie::longest`] by recursion, for any depth.
    fn descend<'a, R>(
        &'a self,
        node: usize,
        chars: &[char],
        pos: usize,
        end: usize,
        depth: usize,
        f: &mut impl FnMut(usize, &'a V) -> Option<R>,
    ) -> Option<R> {
        if pos < end
            && let Some(next) = self.child(node, chars[pos])
            && let Some(r) = self.descend(next, chars, pos + 1, end, depth + 1, f)
        {
            return Some(r);
        }
        match &self.values[node] {
            Some(v) if depth > 0 => f(depth, v),
            _ => None,
        }
    }
}

/// The parsed lexicon, indexed by key.
#[derive(Debug, Default)]
pub struct Lexicon {
    entries: Vec<Entry>,
    by_key: HashMap<String, Vec<usize>>,
    /// The same index as two tries over the keys' characters, for matching in text: the
    /// shielded Mandarin words and the other entries (each list in file order).
    shielded: CharTrie<Vec<usize>>,
    plain: CharTrie<Vec<usize>>,
    max_len: usize,
}

impl Lexicon {
    /// Parses `lexicon.tsv`, folding every key to Simplified with `t2s`.
    pub fn parse(text: &str, t2s: &T2s) -> Result<Self, String> {
        let mut lex = Lexicon::default();
        let mut sets: HashMap<String, String> = HashMap::new();
        for (n, raw) in text.lines().enumerate() {
            let line = n + 1;
            if raw.trim().is_empty() || raw.starts_with('#') {
                continue;
            }
            if raw.starts_with('@') {
                let (name, chars) = raw
                    .split_once('\t')
                    .ok_or_else(|| format!("lexicon.tsv:{line}: a set needs `@NAME<TAB>chars`"))?;
                sets.insert(name.to_owned(), chars.trim().to_owned());
                continue;
            }
            let cols: Vec<&str> = raw.split('\t').collect();
            if cols.len() < 3 || cols.len() > 4 {
                return Err(format!(
                    "lexicon.tsv:{line}: expected 3 or 4 tab-separated columns"
                ));
            }
            let from = t2s.convert(cols[0].trim());
            if from.is_empty() {
                return Err(format!("lexicon.tsv:{line}: empty key"));
            }
            let to = match cols[1].trim() {
                "=" => Output::Keep,
                "-" => Output::Delete,
                t => Output::Text(t.to_owned()),
            };
            let (weight, protect) = match cols[2].trim() {
                "keep" => (0.0, true),
                w => (
                    w.parse::<f32>()
                        .map_err(|_| format!("lexicon.tsv:{line}: bad weight `{w}`"))?,
                    false,
                ),
            };
            let conds = match cols.get(3) {
                Some(c) => {
                    parse_conds(c, &sets, t2s).map_err(|e| format!("lexicon.tsv:{line}: {e}"))?
                }
                None => Vec::new(),
            };
            lex.push(Entry {
                from,
                to,
                weight,
                protect,
                conds,
            });
        }
        lex.add_xi_variants();
        for (key, indices) in &lex.by_key {
            for protect in [true, false] {
                let kept: Vec<usize> = indices
                    .iter()
                    .copied()
                    .filter(|&i| lex.entries[i].protect == protect)
                    .collect();
                if !kept.is_empty() {
                    let trie = if protect {
                        &mut lex.shielded
                    } else {
                        &mut lex.plain
                    };
                    *trie.slot(key.chars()) = Some(kept);
                }
            }
        }
        Ok(lex)
    }

    fn push(&mut self, entry: Entry) {
        self.max_len = self.max_len.max(entry.from.chars().count());
        self.by_key
            .entry(entry.from.clone())
            .or_default()
            .push(self.entries.len());
        self.entries.push(entry);
    }

    /// Registers every key containing 系 or 係 under its other spellings too, unless that
    /// spelling has entries of its own (so an explicit `係` line beats the copy of `系`).
    /// Shielded Mandarin words are not copied: 體系 is a word but 體係 is mostly 具體 + 係
    /// ("is"), so the real 係 spellings (關係, 係數) are listed by hand.
    fn add_xi_variants(&mut self) {
        let explicit: Vec<String> = self.by_key.keys().cloned().collect();
        let mut copies = Vec::new();
        for entry in self.entries.iter().filter(|e| !e.protect) {
            for variant in xi_variants(&entry.from) {
                if !explicit.contains(&variant) {
                    let mut copy = entry.clone();
                    // 係 for "is" is Cantonese wherever it is not part of a shielded Mandarin
                    // word (關係, 聯係), so a phrase spelled with it is at least as strong as 係
                    // alone: 都係 must not count for less than 都 + 係.
                    if variant.contains('係') && !copy.protect && copy.weight > 0.0 {
                        copy.weight = copy.weight.max(1.0);
                    }
                    copy.from = variant;
                    copies.push(copy);
                }
            }
        }
        for copy in copies {
            self.push(copy);
        }
    }

    /// The entries registered under exactly this key, in file order.
    pub fn candidates(&self, key: &str) -> impl Iterator<Item = &Entry> {
        self.by_key
            .get(key)
            .into_iter()
            .flatten()
            .map(|&i| &self.entries[i])
    }

    /// The longest entry, shielding (`protect`) or not, whose key starts at `chars[start]`,
    /// ends by `end` and for which `f` holds; among entries sharing a key, the first in file
    /// order. `f` gets the key's length.
    pub fn longest_where(
        &self,
        chars: &[char],
        start: usize,
        end: usize,
        protect: bool,
        mut f: impl FnMut(usize, &Entry) -> bool,
    ) -> Option<(usize, &Entry)> {
        let trie = if protect { &self.shielded } else { &self.plain };
        trie.longest(chars, start, end, |len, indices| {
            indices
                .iter()
                .map(|&i| &self.entries[i])
                .find(|e| f(len, e))
                .map(|e| (len, e))
        })
    }

    /// The longest key, in characters.
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// How many entries there are (variants included).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The other 系/係 spellings of a key (not the key itself).
fn xi_variants(key: &str) -> Vec<String> {
    let positions: Vec<usize> = key
        .chars()
        .enumerate()
        .filter(|(_, c)| *c == '系' || *c == '係')
        .map(|(i, _)| i)
        .collect();
    if positions.is_empty() || positions.len() > 3 {
        return Vec::new();
    }
    let chars: Vec<char> = key.chars().collect();
    let mut out = Vec::new();
    for mask in 0..(1u32 << positions.len()) {
        let mut v = chars.clone();
        for (bit, &p) in positions.iter().enumerate() {
            v[p] = if mask & (1 << bit) != 0 { '係' } else { '系' };
        }
        let s: String = v.into_iter().collect();
        if s != key {
            out.push(s);
        }
    }
    out
}

fn parse_conds(spec: &str, sets: &HashMap<String, String>, t2s: &T2s) -> Result<Vec<Cond>, String> {
    spec.split_whitespace()
        .map(|tok| {
            let (negate, tok) = match tok.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, tok),
            };
            let (next, value) = match tok {
                "start" => (false, "edge"),
                "end" => (true, "edge"),
                _ => {
                    if let Some(v) = tok.strip_prefix("prev=") {
                        (false, v)
                    } else if let Some(v) = tok.strip_prefix("next=") {
                        (true, v)
                    } else {
                        return Err(format!("unknown condition `{tok}`"));
                    }
                }
            };
            let class = match value {
                "cjk" => Class::Cjk,
                "ascii" => Class::Ascii,
                "letter" => Class::Letter,
                "digit" => Class::Digit,
                "num" => Class::Numeral,
                "edge" => Class::Edge,
                "stop" => Class::Stop,
                "fin" => Class::Final,
                "" => return Err(format!("empty set in `{tok}`")),
                name if name.starts_with('@') => match sets.get(name) {
                    Some(chars) => Class::Set(t2s.convert(chars).chars().collect()),
                    None => return Err(format!("unknown set `{name}`")),
                },
                set => Class::Set(t2s.convert(set).chars().collect()),
            };
            Ok(Cond {
                next,
                negate,
                class,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t2s() -> T2s {
        T2s::parse("點点 個个 該该").unwrap()
    }

    #[test]
    fn keys_are_folded_to_simplified() {
        let lex = Lexicon::parse("點解\t为什么\t1.0\n", &t2s()).unwrap();
        let e: Vec<_> = lex.candidates("点解").collect();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].to, Output::Text("为什么".into()));
        assert_eq!(lex.candidates("點解").count(), 0);
    }

    #[test]
    fn keep_delete_and_protect_are_read() {
        let lex = Lexicon::parse("系统\t=\tkeep\n㗎\t-\t1\tend\n", &t2s()).unwrap();
        let sys = lex.candidates("系统").next().unwrap();
        assert!(sys.protect && sys.to == Output::Keep && sys.weight == 0.0);
        let ga = lex.candidates("㗎").next().unwrap();
        assert_eq!(ga.to, Output::Delete);
        assert!(!ga.protect && ga.weight == 1.0);
    }

    #[test]
    fn xi_variants_are_added_unless_explicit() {
        let lex = Lexicon::parse(
            "系咪\t是不是\t1\n系\t是\t0.3\n係\t是\t1\n都系\t都是\t0.6\n关系\t=\tkeep\n",
            &t2s(),
        )
        .unwrap();
        assert_eq!(lex.candidates("係咪").count(), 1);
        assert_eq!(lex.candidates("都系").next().unwrap().weight, 0.6);
        assert_eq!(lex.candidates("都係").next().unwrap().weight, 1.0);
        // a shielded word gets no automatic 係 spelling
        assert_eq!(lex.candidates("关係").count(), 0);
        // the explicit 係 line is the only one under 係; the copy of 系 was not added
        let xi: Vec<_> = lex.candidates("係").collect();
        assert_eq!(xi.len(), 1);
        assert_eq!(xi[0].weight, 1.0);
    }

    #[test]
    fn conditions_test_the_neighbours() {
        let lex = Lexicon::parse(
            "唔该\t谢谢\t1\tend\n唔\t不\t1\tnext=cjk\n蚊\t块\t1\tprev=num !next=子\n",
            &t2s(),
        )
        .unwrap();
        let thanks = lex.candidates("唔该").next().unwrap();
        assert!(thanks.applies(Some('好'), None));
        assert!(thanks.applies(Some('好'), Some('！')));
        assert!(!thanks.applies(None, Some('帮')));
        let m = lex.candidates("唔").next().unwrap();
        assert!(m.applies(None, Some('系')));
        assert!(!m.applies(None, Some('…')));
        let fin = Lexicon::parse("冇嘢\t没事\t1\tnext=fin\n", &t2s()).unwrap();
        let fin = fin.candidates("冇嘢").next().unwrap();
        assert!(fin.applies(None, None) && fin.applies(None, Some('喇')));
        assert!(!fin.applies(None, Some('食')));
        let man = lex.candidates("蚊").next().unwrap();
        assert!(man.applies(Some('十'), None));
        assert!(man.applies(Some('5'), Some('？')));
        assert!(!man.applies(Some('只'), None));
        assert!(!man.applies(Some('三'), Some('子')));
    }

    #[test]
    fn named_sets_and_stop_work() {
        let lex = Lexicon::parse(
            "@ADJ\t快慢\n点用\t怎么用\t1\t!prev=@ADJ\n早晨\t早上好\t1\tstart next=stop\n",
            &t2s(),
        )
        .unwrap();
        let e = lex.candidates("点用").next().unwrap();
        assert!(!e.applies(Some('快'), None) && e.applies(Some('会'), None));
        let m = lex.candidates("早晨").next().unwrap();
        assert!(m.applies(None, None) && m.applies(None, Some('！')));
        assert!(!m.applies(None, Some('，')));
        assert!(Lexicon::parse("a\tb\t1\tprev=@NOPE\n", &t2s()).is_err());
    }

    #[test]
    fn full_width_digits_count_as_digits() {
        let lex = Lexicon::parse("个\t这个\t1\tstart\n蚊\t块\t1\tprev=num\n", &t2s()).unwrap();
        let ge = lex.candidates("个").next().unwrap();
        assert!(!ge.applies(Some('６'), Some('地')));
        assert!(
            lex.candidates("蚊")
                .next()
                .unwrap()
                .applies(Some('５'), None)
        );
    }

    #[test]
    fn condition_sets_are_folded_too() {
        let lex = Lexicon::parse("呢\t这\t1\tnext=個\n", &t2s()).unwrap();
        let e = lex.candidates("呢").next().unwrap();
        assert!(e.applies(None, Some('个')));
    }

    #[test]
    fn malformed_lines_are_reported_with_their_number() {
        let err = Lexicon::parse("# c\n唔\t不\n", &t2s()).unwrap_err();
        assert!(err.contains(":2:"), "{err}");
        assert!(Lexicon::parse("唔\t不\tx\n", &t2s()).is_err());
        assert!(Lexicon::parse("唔\t不\t1\tsideways=cjk\n", &t2s()).is_err());
    }

    #[test]
    fn bundled_lexicon_parses() {
        let t = T2s::parse(include_str!("../data/t2s.txt")).unwrap();
        let lex = Lexicon::parse(include_str!("../data/lexicon.tsv"), &t).unwrap();
        assert!(lex.len() > 500, "only {} entries", lex.len());
        assert!(lex.max_len() >= 4);
    }

    #[test]
    fn the_trie_tries_the_longest_key_first_at_any_depth() {
        let mut trie: CharTrie<usize> = CharTrie::default();
        // Twenty nested keys: deeper than the walk keeps on the stack.
        for n in 1..=20 {
            *trie.slot(std::iter::repeat_n('啊', n)) = Some(n);
        }
        *trie.slot("𠮷野".chars()) = Some(99);
        let text: Vec<char> = std::iter::repeat_n('啊', 25).collect();
        assert_eq!(
            trie.longest(&text, 0, 25, |len, &v| Some((len, v))),
            Some((20, 20))
        );
        assert_eq!(
            trie.longest(&text, 0, 7, |len, &v| Some((len, v))),
            Some((7, 7))
        );
        assert_eq!(
            trie.longest(&text, 3, 25, |_, &v| (v % 2 == 1).then_some(v)),
            Some(19)
        );
        assert_eq!(
            trie.longest(&text, 0, 25, |_, &v| (v < 3).then_some(v)),
            Some(2)
        );
        let astral: Vec<char> = "𠮷野".chars().collect();
        assert_eq!(trie.longest(&astral, 0, 2, |_, &v| Some(v)), Some(99));
        assert_eq!(trie.longest(&astral, 1, 2, |_, &v| Some(v)), None);
    }
}
