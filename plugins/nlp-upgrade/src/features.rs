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
//!
//! ## Speed
//! The plugin runs this for every message in a sandbox without SIMD, so the hot paths avoid
//! hashing and string scans: folding is one table look-up per character, rewrites and keywords
//! are found by walking tries, normalisation is one pass, units are hashed as they are found,
//! and [`Tables::features_into`] reuses its buffers ([`FeatureBuffers`]). The tests compare the
//! tables with their definitions and with a plain scan of the word lists, so the features (and
//! thus a trained model) do not depend on these choices.

use std::collections::BTreeMap;
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
///
/// Laid out for the per-message hot paths (no hashing, no per-entry string comparison): steps 1
/// and 2 of the normalisation are one [`CharMap`] look-up per character, and the rewrites and
/// the lexicon are character tries walked once per position.
pub struct Tables {
    /// Every character that step 1 and 2 of the normalisation change (width, case, dropped
    /// characters, Traditional → Simplified): the result's code point, or [`DROP`].
    fold: CharMap,
    /// Rewrites: a node's value indexes `rewrite_to`.
    rewrites: Trie,
    /// The replacement of each rewrite.
    rewrite_to: Vec<String>,
    /// Keywords: a node's value is where its entry starts in `keyword_classes`.
    lexicon: Trie,
    /// Each keyword's entry: the number of its classes, then their ids in file order (a word
    /// may be listed more than once).
    keyword_classes: Vec<u16>,
    classes: Vec<String>,
    fingerprint: u64,
}

/// "No value" in a [`CharMap`] or a [`Trie`].
const NONE: u32 = u32::MAX;
/// A character the normalisation drops (in [`Tables::fold`]).
const DROP: u32 = u32::MAX - 1;

/// A map from characters to `u32` values: 256-entry pages for the Basic Multilingual Plane and
/// sorted pairs beyond it, so a look-up is two array reads (wasm has no fast hashing).
struct CharMap {
    /// The offset in `slots` of the page of each BMP high byte, or [`NONE`].
    pages: Vec<u32>,
    slots: Vec<u32>,
    /// Characters beyond the BMP, sorted.
    astral: Vec<(char, u32)>,
}

impl CharMap {
    fn new() -> CharMap {
        CharMap {
            pages: vec![NONE; 256],
            slots: Vec::new(),
            astral: Vec::new(),
        }
    }

    /// Sets the value of `c` (a later insert replaces an earlier one, as in a map).
    fn insert(&mut self, c: char, value: u32) {
        let cp = c as u32;
        if cp < 0x1_0000 {
            let page = &mut self.pages[(cp >> 8) as usize];
            if *page == NONE {
                *page = self.slots.len() as u32;
                self.slots.resize(self.slots.len() + 256, NONE);
            }
            self.slots[*page as usize + (cp & 0xff) as usize] = value;
        } else {
            match self.astral.binary_search_by_key(&c, |e| e.0) {
                Ok(i) => self.astral[i].1 = value,
                Err(i) => self.astral.insert(i, (c, value)),
            }
        }
    }

    /// The value of `c`, or [`NONE`].
    #[inline]
    fn get(&self, c: char) -> u32 {
        let cp = c as u32;
        if cp < 0x1_0000 {
            match self.pages[(cp >> 8) as usize] {
                NONE => NONE,
                page => self.slots[page as usize + (cp & 0xff) as usize],
            }
        } else {
            self.astral
                .binary_search_by_key(&c, |e| e.0)
                .map_or(NONE, |i| self.astral[i].1)
        }
    }
}

/// A character trie: the first character through a [`CharMap`], the others through each
/// node's sorted edges. Nodes carry a `u32` value ([`NONE`] if no word ends there).
struct Trie {
    root: CharMap,
    nodes: Vec<TrieNode>,
    /// `(character, child)`; each node's edges are adjacent and sorted by character.
    edges: Vec<(char, u32)>,
}

#[derive(Clone, Copy)]
struct TrieNode {
    first_edge: u32,
    edge_count: u32,
    value: u32,
}

/// Builds a [`Trie`]: each node's children as a linked list (no allocation per node),
/// flattened into sorted edge lists by [`TrieBuilder::finish`].
struct TrieBuilder {
    root: CharMap,
    /// Per node: its character, first child, next sibling ([`NONE`] for none) and value.
    nodes: Vec<BuilderNode>,
}

#[derive(Clone, Copy)]
struct BuilderNode {
    c: char,
    first_child: u32,
    next_sibling: u32,
    value: u32,
}

impl TrieBuilder {
    fn new() -> TrieBuilder {
        TrieBuilder {
            root: CharMap::new(),
            nodes: Vec::new(),
        }
    }

    fn new_node(&mut self, c: char, next_sibling: u32) -> u32 {
        self.nodes.push(BuilderNode {
            c,
            first_child: NONE,
            next_sibling,
            value: NONE,
        });
        (self.nodes.len() - 1) as u32
    }

    /// The node of `word` (non-empty), created if needed.
    fn node(&mut self, word: &str) -> u32 {
        let mut chars = word.chars();
        let first = chars.next().expect("non-empty word");
        let mut node = match self.root.get(first) {
            NONE => {
                let n = self.new_node(first, NONE);
                self.root.insert(first, n);
                n
            }
            n => n,
        };
        for c in chars {
            let mut child = self.nodes[node as usize].first_child;
            while child != NONE && self.nodes[child as usize].c != c {
                child = self.nodes[child as usize].next_sibling;
            }
            if child == NONE {
                child = self.new_node(c, self.nodes[node as usize].first_child);
                self.nodes[node as usize].first_child = child;
            }
            node = child;
        }
        node
    }

    fn value_mut(&mut self, node: u32) -> &mut u32 {
        &mut self.nodes[node as usize].value
    }

    fn finish(self) -> Trie {
        let mut nodes = Vec::with_capacity(self.nodes.len());
        let mut edges = Vec::with_capacity(self.nodes.len());
        for node in &self.nodes {
            let first_edge = edges.len();
            let mut child = node.first_child;
            while child != NONE {
                edges.push((self.nodes[child as usize].c, child));
                child = self.nodes[child as usize].next_sibling;
            }
            edges[first_edge..].sort_unstable_by_key(|e| e.0);
            nodes.push(TrieNode {
                first_edge: first_edge as u32,
                edge_count: (edges.len() - first_edge) as u32,
                value: node.value,
            });
        }
        Trie {
            root: self.root,
            nodes,
            edges,
        }
    }
}

impl Trie {
    /// The node of the one-character word `c`, or [`NONE`].
    #[inline]
    fn start(&self, c: char) -> u32 {
        self.root.get(c)
    }

    /// The child of `node` by `c`, or [`NONE`].
    #[inline]
    fn step(&self, node: u32, c: char) -> u32 {
        let n = self.nodes[node as usize];
        let edges = &self.edges[n.first_edge as usize..(n.first_edge + n.edge_count) as usize];
        if edges.len() <= 8 {
            edges.iter().find(|e| e.0 == c).map_or(NONE, |e| e.1)
        } else {
            edges
                .binary_search_by_key(&c, |e| e.0)
                .map_or(NONE, |i| edges[i].1)
        }
    }

    #[inline]
    fn value(&self, node: u32) -> u32 {
        self.nodes[node as usize].value
    }

    /// The node of exactly `word`, or [`NONE`].
    fn find(&self, word: &str) -> u32 {
        let mut chars = word.chars();
        let Some(first) = chars.next() else {
            return NONE;
        };
        let mut node = self.start(first);
        for c in chars {
            if node == NONE {
                break;
            }
            node = self.step(node, c);
        }
        node
    }
}

/// Collapses runs of spaces and dashes as they are pushed (see [`Tables::normalize`]).
struct Collapse<'s> {
    out: &'s mut String,
    in_run: bool,
    dash: bool,
}

impl Collapse<'_> {
    #[inline]
    fn push(&mut self, c: char) {
        if c == ' ' || c == '-' {
            if !self.in_run {
                self.in_run = true;
                self.dash = false;
            }
            self.dash |= c == '-';
            return;
        }
        if self.in_run {
            self.end_run(Some(c));
        }
        self.out.push(c);
    }

    /// A run of spaces and dashes ends before `after` (`None`: at the end of the text).
    fn end_run(&mut self, after: Option<char>) {
        self.in_run = false;
        let digit_before = self.out.as_bytes().last().is_some_and(u8::is_ascii_digit);
        let digit_after = after.is_some_and(|c| c.is_ascii_digit());
        if digit_before && digit_after {
            // A grouped number such as `138 0013 8000`.
        } else if self.dash {
            self.out.push('-');
        } else if !self.out.is_empty() && after.is_some() {
            self.out.push(' ');
        }
    }

    fn finish(mut self) {
        if self.in_run {
            self.end_run(None);
        }
    }
}

/// Reusable buffers for [`Tables::features_into`]: a caller that scores many messages with one
/// of these allocates nothing per message once the buffers have grown.
#[derive(Debug, Default)]
pub struct FeatureBuffers {
    /// The normalised text.
    norm: String,
    /// Features as sortable keys (see [`Tables::features_of_normalized_into`]).
    keys: Vec<u64>,
    /// Keywords found at one position (see [`Tables::keywords_in`]).
    found: Vec<(u32, usize, char)>,
    /// Unit hashes of the current clause (for [`FLAG_LAST_CLAUSE_NGRAMS`]).
    clause: Vec<u64>,
    /// Keyword classes (for [`FLAG_CLASS_PAIRS`]).
    classes: Vec<u16>,
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a, the same on every platform.
pub fn fnv(bytes: &[u8]) -> u64 {
    let step = |h: u64, &b: &u8| (h ^ u64::from(b)).wrapping_mul(FNV_PRIME);
    // Eight bytes a round: the same value with less loop overhead on long inputs (the
    // model file's checksum).
    let mut chunks = bytes.chunks_exact(8);
    let h = chunks
        .by_ref()
        .fold(FNV_OFFSET, |h, chunk| chunk.iter().fold(h, step));
    chunks.remainder().iter().fold(h, step)
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

/// The Traditional → Simplified pairs of `data/t2s.txt` (a later pair for the same character
/// wins).
fn parse_t2s(t2s: &str) -> Result<BTreeMap<char, char>, TableError> {
    let mut map = BTreeMap::new();
    for (line, l) in content_lines(t2s) {
        for pair in l.split_whitespace() {
            let mut cs = pair.chars();
            match (cs.next(), cs.next(), cs.next()) {
                (Some(t), Some(s), None) => {
                    map.insert(t, s);
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
    Ok(map)
}

impl Tables {
    /// Parses the three table files (see `data/*.txt` for their formats).
    pub fn parse(t2s: &str, rewrites: &str, lexicon: &str) -> Result<Tables, TableError> {
        let t2s_map = parse_t2s(t2s)?;

        // At each position the longest `from` wins; of equal ones, the first in the file.
        let mut rewrite_trie = TrieBuilder::new();
        let mut rewrite_to = Vec::new();
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
            let node = rewrite_trie.node(from);
            if *rewrite_trie.value_mut(node) == NONE {
                *rewrite_trie.value_mut(node) = rewrite_to.len() as u32;
                rewrite_to.push(to.to_owned());
            }
        }

        let mut classes = Vec::new();
        let mut lexicon_trie = TrieBuilder::new();
        // (node, class id) of every listed word, in file order.
        let mut listed: Vec<(u32, u16)> = Vec::new();
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
                listed.push((lexicon_trie.node(&word), id as u16));
            }
        }
        // Stable: each word's classes stay in file order.
        listed.sort_by_key(|&(node, _)| node);
        let mut keyword_classes = Vec::with_capacity(listed.len() * 2);
        for group in listed.chunk_by(|a, b| a.0 == b.0) {
            *lexicon_trie.value_mut(group[0].0) = keyword_classes.len() as u32;
            keyword_classes.push(group.len() as u16);
            keyword_classes.extend(group.iter().map(|&(_, id)| id));
        }

        // The characters that folding can change: the ones `fold_char` names, Unicode
        // white space (all below U+3001), ASCII upper case and the Traditional characters.
        let mut fold = CharMap::new();
        let candidates = ('\u{0}'..='\u{3000}')
            .filter(|c| c.is_whitespace() || c.is_ascii_uppercase())
            .chain('\u{FF01}'..='\u{FF5E}')
            .chain(['\u{FFE5}', '\u{FEFF}'])
            .chain('\u{FE00}'..='\u{FE0F}')
            .chain('\u{200B}'..='\u{200F}')
            .chain('\u{2060}'..='\u{206F}')
            .chain('\u{1F3FB}'..='\u{1F3FF}')
            .chain(t2s_map.keys().copied());
        for c in candidates {
            match fold_char(&t2s_map, c) {
                None => fold.insert(c, DROP),
                Some(f) if f != c => fold.insert(c, f as u32),
                Some(_) => {}
            }
        }

        let fingerprint = mix(
            mix(fnv(t2s.as_bytes()), fnv(rewrites.as_bytes())),
            fnv(lexicon.as_bytes()),
        );
        Ok(Tables {
            fold,
            rewrites: rewrite_trie.finish(),
            rewrite_to,
            lexicon: lexicon_trie.finish(),
            keyword_classes,
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

    /// The class ids of a lexicon node's word (its value: a count, then the ids).
    #[inline]
    fn keyword_ids(&self, value: u32) -> &[u16] {
        let start = value as usize;
        let count = usize::from(self.keyword_classes[start]);
        &self.keyword_classes[start + 1..start + 1 + count]
    }

    /// Steps 1 and 2 of the normalisation for one character (`None`: dropped).
    #[inline]
    fn fold_char(&self, c: char) -> Option<char> {
        match self.fold.get(c) {
            NONE => Some(c),
            DROP => None,
            f => Some(char::from_u32(f).unwrap_or(c)),
        }
    }

    /// The next character of `chars` after folding.
    #[inline]
    fn next_folded(&self, chars: &mut std::str::Chars<'_>) -> Option<char> {
        chars.find_map(|c| self.fold_char(c))
    }

    /// Normalises a message (see the module docs).
    pub fn normalize(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len() + 8);
        self.normalize_into(text, &mut out);
        out
    }

    /// [`Tables::normalize`] into `out` (cleared first).
    pub fn normalize_into(&self, text: &str, out: &mut String) {
        out.clear();
        // One pass: folding, rewrites (longest match first), then whitespace collapsed and digit
        // groups split by spaces or dashes joined.
        let mut out = Collapse {
            out,
            in_run: false,
            dash: false,
        };
        let mut chars = text.chars();
        while let Some(c) = self.next_folded(&mut chars) {
            let mut node = self.rewrites.start(c);
            if node != NONE {
                // Walk the trie on a copy of the iterator; remember where the longest match ends.
                let mut ahead = chars.clone();
                let mut best = NONE;
                let mut after_best = chars.clone();
                loop {
                    let value = self.rewrites.value(node);
                    if value != NONE {
                        best = value;
                        after_best = ahead.clone();
                    }
                    let Some(d) = self.next_folded(&mut ahead) else {
                        break;
                    };
                    node = self.rewrites.step(node, d);
                    if node == NONE {
                        break;
                    }
                }
                if best != NONE {
                    for d in self.rewrite_to[best as usize].chars() {
                        out.push(d);
                    }
                    chars = after_best;
                    continue;
                }
            }
            out.push(c);
        }
        out.finish();
    }

    /// Calls `emit(class, start, end)` (byte offsets) for every keyword occurrence in
    /// normalised text. ASCII keywords match whole words only, digit keywords only outside
    /// longer numbers.
    pub fn keywords_in(&self, norm: &str, emit: impl FnMut(u16, usize, usize)) {
        self.keywords_with(norm, &mut Vec::new(), emit);
    }

    /// [`Tables::keywords_in`] with a reusable buffer.
    fn keywords_with(
        &self,
        norm: &str,
        found: &mut Vec<(u32, usize, char)>,
        mut emit: impl FnMut(u16, usize, usize),
    ) {
        let mut before: Option<char> = None;
        for (start, c) in norm.char_indices() {
            let mut node = self.lexicon.start(c);
            if node != NONE {
                // The words starting here: (node value, end, last character).
                found.clear();
                let mut end = start + c.len_utf8();
                let mut last = c;
                let mut rest = norm[end..].chars();
                loop {
                    let value = self.lexicon.value(node);
                    if value != NONE {
                        found.push((value, end, last));
                    }
                    let Some(d) = rest.next() else {
                        break;
                    };
                    node = self.lexicon.step(node, d);
                    if node == NONE {
                        break;
                    }
                    end += d.len_utf8();
                    last = d;
                }
                // Longest first, as the words were listed.
                if !clash(c, before) {
                    for &(value, end, last) in found.iter().rev() {
                        if !clash(last, norm[end..].chars().next()) {
                            for &id in self.keyword_ids(value) {
                                emit(id, start, end);
                            }
                        }
                    }
                }
            }
            before = Some(c);
        }
    }

    fn is_lexicon_number(&self, digits: &str) -> bool {
        match self.lexicon.find(digits) {
            NONE => false,
            node => self.lexicon.value(node) != NONE,
        }
    }

    /// The units of normalised text (see the module docs), each with its clause number.
    pub fn units<'a>(&self, norm: &'a str) -> Vec<Unit<'a>> {
        let mut out = Vec::with_capacity(norm.len() / 2 + 2);
        self.for_each_unit(norm, |u| out.push(u));
        out
    }

    /// Calls `f` for each unit of normalised text, in order.
    #[inline]
    fn for_each_unit<'a>(&self, norm: &'a str, mut f: impl FnMut(Unit<'a>)) {
        let bytes = norm.as_bytes();
        let mut clause = 0u16;
        let mut any = false;
        let mut pending_break = false;
        let mut word_start: Option<usize> = None;
        let mut push = |text: &'a str, start: usize, pending: &mut bool| {
            if *pending && any {
                clause += 1;
            }
            *pending = false;
            any = true;
            f(Unit {
                text,
                start,
                clause,
            });
        };
        let mut it = norm.char_indices();
        while let Some((i, c)) = it.next() {
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
                let plus = start > 0 && bytes[start - 1] == b'+';
                push(
                    self.word_unit(&norm[start..i], plus),
                    start,
                    &mut pending_break,
                );
            }
            // Runs of the same tone mark are one unit: `?`, or `??` for two and more. `run`
            // counts `c` and its repeats; `skip_run` moves past the repeats.
            let run = |it: &std::str::CharIndices<'_>| {
                1 + it.as_str().chars().take_while(|&d| d == c).count()
            };
            let skip_run = |it: &mut std::str::CharIndices<'_>, run: usize| {
                for _ in 1..run {
                    it.next();
                }
            };
            match c {
                ' ' | '+' => {}
                '?' | '!' => {
                    let run = run(&it);
                    let unit: &'static str = match (c, run) {
                        ('?', 1) => "?",
                        ('?', _) => "??",
                        ('!', 1) => "!",
                        _ => "!!",
                    };
                    push(unit, i, &mut pending_break);
                    skip_run(&mut it, run);
                }
                '~' | '¥' | '$' | '%' => push(&norm[i..i + c.len_utf8()], i, &mut pending_break),
                '…' | '.' | '。' if c == '…' || run(&it) >= 2 => {
                    push("…", i, &mut pending_break);
                    let run = run(&it);
                    skip_run(&mut it, run);
                }
                c if is_alphanumeric(c) || is_emoji(c) => {
                    push(&norm[i..i + c.len_utf8()], i, &mut pending_break);
                }
                _ => pending_break = true,
            }
        }
        if let Some(start) = word_start {
            let plus = start > 0 && bytes[start - 1] == b'+';
            push(
                self.word_unit(&norm[start..], plus),
                start,
                &mut pending_break,
            );
        }
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
        let mut out = Vec::new();
        self.features_into(text, cfg, &mut FeatureBuffers::default(), &mut out);
        out
    }

    /// [`Tables::features`] into `out` (cleared first), with reusable buffers.
    pub fn features_into(
        &self,
        text: &str,
        cfg: &FeatureConfig,
        buffers: &mut FeatureBuffers,
        out: &mut Vec<(u32, f32)>,
    ) {
        let mut norm = std::mem::take(&mut buffers.norm);
        self.normalize_into(text, &mut norm);
        self.features_of_normalized_into(&norm, cfg, buffers, out);
        buffers.norm = norm;
    }

    /// [`Tables::features`] on text that is already [`Tables::normalize`]d.
    pub fn features_of_normalized(&self, norm: &str, cfg: &FeatureConfig) -> Vec<(u32, f32)> {
        let mut out = Vec::new();
        self.features_of_normalized_into(norm, cfg, &mut FeatureBuffers::default(), &mut out);
        out
    }

    /// [`Tables::features_of_normalized`] into `out` (cleared first), with reusable buffers.
    pub fn features_of_normalized_into(
        &self,
        norm: &str,
        cfg: &FeatureConfig,
        buffers: &mut FeatureBuffers,
        out: &mut Vec<(u32, f32)>,
    ) {
        let FeatureBuffers {
            keys,
            found,
            clause: clause_hashes,
            classes,
            ..
        } = buffers;
        keys.clear();
        clause_hashes.clear();
        classes.clear();
        let mask = (cfg.buckets() - 1) as u64;
        debug_assert!(cfg.bits <= 32, "bucket ids are u32");
        // Weights are positive, so each feature is one sortable key: the bucket, then the
        // weight's bits inverted (the largest weight of a bucket first).
        let key = |h: u64, weight: f32| ((h & mask) << 32) | u64::from(!weight.to_bits());

        // One pass over the units, as the sequence `^ unit… $`: unigrams of the units, and
        // bigrams, trigrams and skip-bigrams of its windows.
        let ngrams = !cfg.has(FLAG_NO_NGRAMS);
        let trigrams = cfg.has(FLAG_TRIGRAMS);
        let skips = cfg.has(FLAG_SKIP_BIGRAMS);
        let last_clause_ngrams = cfg.has(FLAG_LAST_CLAUSE_NGRAMS);
        let window = |keys: &mut Vec<u64>, prev2: Option<u64>, prev: u64, h: u64| {
            if ngrams {
                keys.push(key(mix(mix(2, prev), h), 1.0));
            }
            if let Some(p2) = prev2 {
                if trigrams {
                    keys.push(key(mix(mix(mix(3, p2), prev), h), 1.0));
                }
                if skips {
                    keys.push(key(mix(mix(8, p2), h), 1.0));
                }
            }
        };
        let mut count = 0usize;
        let mut prev = fnv(b"^");
        let mut prev2: Option<u64> = None;
        // The clause of the last unit, where that clause starts, and where clause 1 starts.
        let mut last_clause = 0u16;
        let mut last_clause_start = 0usize;
        let mut clause1_start = usize::MAX;
        self.for_each_unit(norm, |u| {
            let h = fnv(u.text.as_bytes());
            if ngrams {
                keys.push(key(mix(1, h), 1.0));
            }
            window(keys, prev2, prev, h);
            prev2 = Some(prev);
            prev = h;
            count += 1;
            if u.clause != last_clause {
                last_clause = u.clause;
                last_clause_start = u.start;
                clause1_start = clause1_start.min(u.start);
                clause_hashes.clear();
            }
            if last_clause_ngrams {
                clause_hashes.push(h);
            }
        });
        window(keys, prev2, prev, fnv(b"$"));
        if last_clause_ngrams && last_clause > 0 {
            for (i, &h) in clause_hashes.iter().enumerate() {
                keys.push(key(mix(10, h), 1.0));
                if i > 0 {
                    keys.push(key(mix(mix(11, clause_hashes[i - 1]), h), 1.0));
                }
            }
        }
        if cfg.has(FLAG_LENGTH) {
            let bucket = match count {
                0 => 0,
                1 => 1,
                2 => 2,
                3..=4 => 3,
                5..=8 => 4,
                9..=16 => 5,
                17..=32 => 6,
                _ => 7,
            };
            keys.push(key(mix(16, bucket), 1.0));
        }

        // Each keyword hit belongs to the clause of the last unit starting at or before it:
        // the last clause from `last_clause_start` on, clause 0 before `clause1_start`.
        let lexical_weight: f32 = if cfg.has(FLAG_LEX_BOOST) { 2.0 } else { 1.0 };
        self.keywords_with(norm, found, |id, start, end| {
            if cfg.has(FLAG_CLASS_PAIRS) {
                classes.push(id);
            }
            keys.push(key(mix(4, u64::from(id)), lexical_weight));
            if cfg.has(FLAG_LEX_WORDS) {
                keys.push(key(
                    mix(5, fnv(&norm.as_bytes()[start..end])),
                    lexical_weight,
                ));
            }
            if cfg.has(FLAG_LAST_CLAUSE) && last_clause > 0 && start >= last_clause_start {
                keys.push(key(mix(6, u64::from(id)), lexical_weight));
            }
            if cfg.has(FLAG_FIRST_CLAUSE) && last_clause > 0 && start < clause1_start {
                keys.push(key(mix(7, u64::from(id)), lexical_weight));
            }
        });
        if cfg.has(FLAG_CLASS_PAIRS) {
            classes.sort_unstable();
            classes.dedup();
            for (i, &a) in classes.iter().enumerate() {
                for &b in &classes[i + 1..] {
                    keys.push(key(mix(mix(9, u64::from(a)), u64::from(b)), lexical_weight));
                }
            }
        }

        // One value per bucket: the largest weight that landed there (binary features).
        keys.sort_unstable();
        keys.dedup_by_key(|k| *k >> 32);
        out.clear();
        out.extend(
            keys.iter()
                .map(|&k| ((k >> 32) as u32, f32::from_bits(!(k as u32)))),
        );
        let norm2: f32 = out.iter().map(|(_, v)| v * v).sum();
        if norm2 > 0.0 {
            let inv = 1.0 / norm2.sqrt();
            for f in out.iter_mut() {
                f.1 *= inv;
            }
        }
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

/// Steps 1 and 2 of the normalisation for one character (`None`: dropped): the definition that
/// [`Tables::parse`] tabulates.
fn fold_char(t2s: &BTreeMap<char, char>, c: char) -> Option<char> {
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
    Some(*t2s.get(&c).unwrap_or(&c))
}

/// `char::is_alphanumeric`, without the table look-up for the common CJK Unified Ideographs
/// (all alphabetic; a test checks this against the standard library).
#[inline]
fn is_alphanumeric(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}') || c.is_alphanumeric()
}

/// Whether a keyword's first or last character `edge` runs on into its `neighbour`: ASCII
/// keywords match whole words only, digit keywords only outside longer numbers.
#[inline]
fn clash(edge: char, neighbour: Option<char>) -> bool {
    match neighbour {
        Some(n) if edge.is_ascii_digit() => n.is_ascii_digit(),
        Some(n) if edge.is_ascii_alphabetic() => n.is_ascii_alphanumeric(),
        _ => false,
    }
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

    fn shipped() -> Tables {
        Tables::parse(
            include_str!("../data/t2s.txt"),
            include_str!("../data/rewrites.txt"),
            include_str!("../data/lexicon.txt"),
        )
        .unwrap()
    }

    #[test]
    fn the_fast_paths_unicode_assumptions_hold() {
        // `is_alphanumeric` skips the table look-up for the CJK Unified Ideographs block.
        assert!(('\u{4E00}'..='\u{9FFF}').all(char::is_alphanumeric));
        // The fold table lists white space from U+0000 to U+3000 only.
        assert!(!('\u{3001}'..=char::MAX).any(char::is_whitespace));
    }

    #[test]
    fn the_fold_table_matches_its_definition_for_every_character() {
        let t = shipped();
        let t2s = parse_t2s(include_str!("../data/t2s.txt")).unwrap();
        for c in '\u{0}'..=char::MAX {
            assert_eq!(t.fold_char(c), fold_char(&t2s, c), "U+{:04X}", c as u32);
        }
    }

    /// The tables as plain lists, matched the straightforward way (the plugin's original
    /// implementation): the tries must find exactly the same words.
    struct Reference {
        t2s: BTreeMap<char, char>,
        /// Longest `from` first; of equal lengths, file order.
        rewrites: Vec<(String, String)>,
        /// Longest first; of equal lengths, file order.
        lexicon: Vec<(String, u16)>,
    }

    impl Reference {
        fn shipped() -> Reference {
            let mut rewrites: Vec<(String, String)> =
                content_lines(include_str!("../data/rewrites.txt"))
                    .map(|(_, l)| {
                        let mut p = l.split_whitespace();
                        let (from, to) = (p.next().unwrap(), p.next().unwrap());
                        (from.to_owned(), if to == "_" { "" } else { to }.to_owned())
                    })
                    .collect();
            rewrites.sort_by_key(|(from, _)| std::cmp::Reverse(from.chars().count()));
            let t = shipped();
            let mut lexicon = Vec::new();
            for (_, l) in content_lines(include_str!("../data/lexicon.txt")) {
                let (name, words) = l.split_once(':').unwrap();
                let id = t
                    .class_names()
                    .iter()
                    .position(|c| c == name.trim())
                    .unwrap();
                for w in words.split_whitespace() {
                    lexicon.push((w.replace('_', " "), id as u16));
                }
            }
            lexicon.sort_by_key(|(w, _)| std::cmp::Reverse(w.chars().count()));
            Reference {
                t2s: parse_t2s(include_str!("../data/t2s.txt")).unwrap(),
                rewrites,
                lexicon,
            }
        }

        fn normalize(&self, text: &str) -> String {
            let folded: String = text
                .chars()
                .filter_map(|c| fold_char(&self.t2s, c))
                .collect();
            let mut rewritten = String::new();
            let mut rest = folded.as_str();
            while let Some(c) = rest.chars().next() {
                match self
                    .rewrites
                    .iter()
                    .find(|(from, _)| rest.starts_with(from.as_str()))
                {
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
            let chars: Vec<char> = rewritten.chars().collect();
            let mut out = String::new();
            let mut i = 0;
            while i < chars.len() {
                if chars[i] == ' ' || chars[i] == '-' {
                    let mut j = i;
                    while j < chars.len() && (chars[j] == ' ' || chars[j] == '-') {
                        j += 1;
                    }
                    let digit_before = out.chars().next_back().is_some_and(|p| p.is_ascii_digit());
                    let digit_after = chars.get(j).is_some_and(char::is_ascii_digit);
                    if digit_before && digit_after {
                    } else if chars[i..j].contains(&'-') {
                        out.push('-');
                    } else if !out.is_empty() && j < chars.len() {
                        out.push(' ');
                    }
                    i = j;
                    continue;
                }
                out.push(chars[i]);
                i += 1;
            }
            out
        }

        fn keywords(&self, norm: &str) -> Vec<(u16, usize, usize)> {
            let mut out = Vec::new();
            for (start, _) in norm.char_indices() {
                for (word, id) in &self.lexicon {
                    if norm[start..].starts_with(word.as_str()) {
                        let end = start + word.len();
                        let first = word.chars().next().unwrap();
                        let last = word.chars().next_back().unwrap();
                        if !clash(first, norm[..start].chars().next_back())
                            && !clash(last, norm[end..].chars().next())
                        {
                            out.push((*id, start, end));
                        }
                    }
                }
            }
            out
        }
    }

    #[test]
    fn tries_find_the_same_rewrites_and_keywords_as_a_scan_of_the_lists() {
        let t = shipped();
        let r = Reference::shipped();
        // Texts made of table words, their prefixes and separators, by a fixed-seed generator.
        let mut pieces: Vec<String> = r.rewrites.iter().map(|(f, _)| f.clone()).collect();
        pieces.extend(r.lexicon.iter().map(|(w, _)| w.clone()));
        pieces.extend(r.t2s.keys().take(300).map(|c| c.to_string()));
        let prefixes: Vec<String> = pieces
            .iter()
            .filter_map(|p| p.char_indices().nth(1).map(|(i, _)| p[..i].to_owned()))
            .collect();
        pieces.extend(prefixes);
        for sep in [
            " ", "-", " - ", "1", "23", "a", "Ｂ", "，", "\u{FE0F}", "\u{200B}", "？",
        ] {
            pieces.push(sep.to_owned());
        }
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..3000 {
            let mut text = String::new();
            for _ in 0..1 + seed % 9 {
                seed = mix(seed, 1);
                text.push_str(&pieces[(seed % pieces.len() as u64) as usize]);
            }
            let norm = t.normalize(&text);
            assert_eq!(norm, r.normalize(&text), "{text:?}");
            let mut found = Vec::new();
            t.keywords_in(&norm, |id, start, end| found.push((id, start, end)));
            assert_eq!(found, r.keywords(&norm), "{norm:?}");
        }
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
