//! Detection and rewriting: one pass over the text that both scores the Cantonese evidence and
//! builds the Mandarin rendering.
//!
//! 1. The text is folded to Simplified, one character at a time (係 stays: see [`crate::script`]).
//! 2. Mandarin words that contain Cantonese-looking characters (系统, 关係, 食品, 耐用, 一点用)
//!    are found first, leftmost-longest, and their characters are shielded: `但系统` is 但 +
//!    系统, not 但系 + 统.
//! 3. The rest is matched leftmost-longest against the lexicon (tenant phrases first). Each
//!    match adds its weight to the score and writes its Mandarin rendering; unmatched characters
//!    are copied. One construction is a rule rather than an entry: `X唔X得` → `能不能X`.
//! 4. The text is Cantonese when the score reaches the threshold; only then is the rendering
//!    used. Digits, Latin words, phone and order numbers and emoji are copied unchanged.

use std::collections::HashMap;

use crate::lexicon::{CharTrie, Entry, Lexicon, Output};
use crate::script::{T2s, is_cjk};

/// The default detection threshold: one strong marker (weight 1.0), or weaker ones adding up.
/// Tuned on the training lines only (see the README).
pub const DEFAULT_THRESHOLD: f32 = 1.0;

/// Per-call settings, built from the tenant's configuration.
#[derive(Debug, Clone)]
pub struct Options {
    /// The score at which a text counts as Cantonese.
    pub threshold: f32,
    /// Tenant phrases (Simplified key → Mandarin), tried before the lexicon. Rewrite only: they
    /// add no detection evidence.
    pub phrases: HashMap<String, String>,
    /// `phrases` as a trie, to find the longest phrase at a position in one walk.
    phrase_trie: CharTrie<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            threshold: DEFAULT_THRESHOLD,
            phrases: HashMap::new(),
            phrase_trie: CharTrie::default(),
        }
    }
}

impl Options {
    /// Options with a threshold and tenant phrases (keys folded to Simplified with `t2s`).
    pub fn new<'a>(
        threshold: Option<f32>,
        phrases: impl IntoIterator<Item = (&'a str, &'a str)>,
        t2s: &T2s,
    ) -> Self {
        let phrases: HashMap<String, String> = phrases
            .into_iter()
            .filter(|(k, _)| !k.trim().is_empty())
            .map(|(k, v)| (t2s.convert(k.trim()), v.to_owned()))
            .collect();
        let mut phrase_trie = CharTrie::default();
        for (k, v) in &phrases {
            *phrase_trie.slot(k.chars()) = Some(v.clone());
        }
        Options {
            threshold: threshold.unwrap_or(DEFAULT_THRESHOLD),
            phrases,
            phrase_trie,
        }
    }
}

/// One piece of evidence found in the text.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    /// The phrase as matched (Simplified).
    pub phrase: String,
    /// Its weight.
    pub weight: f32,
}

/// The result of analysing one text.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// The summed evidence.
    pub score: f32,
    /// What contributed to it, in text order.
    pub markers: Vec<Marker>,
    /// The Mandarin rendering (meaningful when [`Analysis::is_cantonese`]).
    pub rewritten: String,
    /// Whether the score reached the threshold.
    pub is_cantonese: bool,
}

/// The loaded data: character table and lexicon.
#[derive(Debug)]
pub struct Engine {
    t2s: T2s,
    lexicon: Lexicon,
}

impl Engine {
    /// Builds the engine from the contents of `t2s.txt` and `lexicon.tsv`.
    pub fn new(t2s_text: &str, lexicon_text: &str) -> Result<Self, String> {
        let t2s = T2s::parse(t2s_text)?;
        let lexicon = Lexicon::parse(lexicon_text, &t2s)?;
        if t2s.is_empty() || lexicon.is_empty() {
            return Err("t2s.txt or lexicon.tsv has no entries".into());
        }
        Ok(Engine { t2s, lexicon })
    }

    /// How many character pairs and lexicon entries were loaded.
    pub fn size(&self) -> (usize, usize) {
        (self.t2s.len(), self.lexicon.len())
    }

    /// The character table, to fold tenant phrases with.
    pub fn t2s(&self) -> &T2s {
        &self.t2s
    }

    /// The preprocess decision: the analysis (with the Mandarin rendering) when the text is
    /// Cantonese and the rendering differs from it, else `None`.
    pub fn preprocess(&self, text: &str, opts: &Options) -> Option<Analysis> {
        let a = self.analyze(text, opts);
        (a.is_cantonese && a.rewritten != text).then_some(a)
    }

    /// Scores the text and renders it in Mandarin.
    pub fn analyze(&self, text: &str, opts: &Options) -> Analysis {
        let chars: Vec<char> = text.chars().map(|c| self.t2s.char(c)).collect();
        let shields = self.shields(&chars);
        let mut out = String::with_capacity(text.len() + 16);
        let mut markers = Vec::new();
        let mut score = 0.0f32;
        let mut shield = shields.iter().peekable();
        let mut i = 0;
        while i < chars.len() {
            if let Some(&&(start, len, entry)) = shield.peek()
                && start == i
            {
                write_output(&mut out, &chars[i..i + len], &entry.to);
                i += len;
                shield.next();
                continue;
            }
            // A match may not run into the next shielded word.
            let limit = shield.peek().map_or(chars.len(), |&&(s, _, _)| s);
            if let Some((len, replacement)) = tenant_phrase(&chars, i, limit, opts) {
                out.push_str(replacement);
                i += len;
                continue;
            }
            if let Some(len) = a_not_a_de(&chars, i, limit) {
                out.push_str("能不能");
                out.push(chars[i]);
                markers.push(Marker {
                    phrase: chars[i..i + len].iter().collect(),
                    weight: 1.0,
                });
                score += 1.0;
                i += len;
                continue;
            }
            match self.longest(&chars, i, limit, false) {
                Some((len, entry)) => {
                    write_output(&mut out, &chars[i..i + len], &entry.to);
                    if entry.weight != 0.0 {
                        score += entry.weight;
                        markers.push(Marker {
                            phrase: chars[i..i + len].iter().collect(),
                            weight: entry.weight,
                        });
                    }
                    i += len;
                }
                None => {
                    out.push(chars[i]);
                    i += 1;
                }
            }
        }
        Analysis {
            score,
            markers,
            rewritten: tidy(&out),
            is_cantonese: score >= opts.threshold,
        }
    }

    /// The shielded Mandarin words, leftmost-longest: `(start, len, entry)` in text order.
    fn shields(&self, chars: &[char]) -> Vec<(usize, usize, &Entry)> {
        let mut found = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            match self.longest(chars, i, chars.len(), true) {
                Some((len, entry)) => {
                    found.push((i, len, entry));
                    i += len;
                }
                None => i += 1,
            }
        }
        found
    }

    /// The longest entry (shielding ones or the others) starting at `i` and ending by `limit`
    /// whose conditions hold.
    fn longest(
        &self,
        chars: &[char],
        i: usize,
        limit: usize,
        protect: bool,
    ) -> Option<(usize, &Entry)> {
        let prev = i.checked_sub(1).map(|p| chars[p]);
        self.lexicon
            .longest_where(chars, i, limit, protect, |len, e| {
                e.applies(prev, chars.get(i + len).copied())
            })
    }
}

fn write_output(out: &mut String, matched: &[char], to: &Output) {
    match to {
        Output::Keep => out.extend(matched),
        Output::Delete => {}
        Output::Text(t) => out.push_str(t),
    }
}

/// The longest tenant phrase starting at `i`.
fn tenant_phrase<'a>(
    chars: &[char],
    i: usize,
    limit: usize,
    opts: &'a Options,
) -> Option<(usize, &'a str)> {
    opts.phrase_trie
        .longest(chars, i, limit, |len, v| Some((len, v.as_str())))
}

/// `X唔X得` (退唔退得, 用唔用得): "can it be X-ed", rendered 能不能X. Returns the length matched.
fn a_not_a_de(chars: &[char], i: usize, limit: usize) -> Option<usize> {
    if i + 4 > limit {
        return None;
    }
    let x = chars[i];
    (is_cjk(x) && chars[i + 1] == '唔' && chars[i + 2] == x && chars[i + 3] == '得').then_some(4)
}

/// Cleans what the rewriting can leave behind: doubled 了 (`咗喇` → 了了) and doubled 的.
fn tidy(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last: Option<char> = None;
    for c in s.chars() {
        if (c == '了' || c == '的') && last == Some(c) {
            continue;
        }
        out.push(c);
        last = Some(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> Engine {
        Engine::new(
            include_str!("../data/t2s.txt"),
            include_str!("../data/lexicon.tsv"),
        )
        .expect("bundled data loads")
    }

    fn detect(e: &Engine, text: &str) -> bool {
        e.analyze(text, &Options::default()).is_cantonese
    }

    fn rewrite(e: &Engine, text: &str) -> Option<String> {
        e.preprocess(text, &Options::default()).map(|a| a.rewritten)
    }

    #[test]
    fn detects_cantonese_in_either_script() {
        let e = engine();
        for text in [
            "我個單寄咗三日都未到，可唔可以幫我睇下去到邊？",
            "点解我嘅包裹喺深圳转运中心停咗成个礼拜都唔郁嘅？",
            "唔該轉真人",
            "有冇人喺度？",
            "佢哋幾時返工？",
            "呢件衫幾多錢呀",
            "我要同真人講，唔好再覆啲罐頭回覆",
            "好嘞，收到晒，唔該晒你",
            "而家仲有冇位？",
            "聽日下晝三點得唔得",
            "搵陳經理聽電話",
            "乜你哋星期日都開㗎",
            "单号SF1234567890，显示签收咗但系我冇收到喎",
        ] {
            assert!(detect(&e, text), "missed: {text}");
        }
    }

    #[test]
    fn taiwan_mandarin_in_traditional_script_is_not_cantonese() {
        let e = engine();
        for text in [
            "請問這個商品還有貨嗎？",
            "為什麼我的訂單還沒有出貨？",
            "謝謝你喔，問題解決了",
            "包裹顯示已送達，可是我沒收到，跟管理室有沒有關係？",
            "系統一直顯示付款失敗，可是錢已經扣了",
            "這款包包有沒有其他顏色？想要黑的",
            "沒關係，我再等等",
            "發票載具可以改嗎？",
        ] {
            assert!(!detect(&e, text), "false positive: {text}");
            assert_eq!(rewrite(&e, text), None, "{text}");
        }
    }

    #[test]
    fn mandarin_with_cantonese_looking_characters_is_not_cantonese() {
        let e = engine();
        for text in [
            "这个跟我的会员等级有关系吗？",
            "系统一直提示网络错误，没法上传作业",
            "但系统显示已发货",
            "跟上次买的是一个系列的吗？",
            "唔……这个价格包含安装吗？",
            "唔，好的，那就这样吧，谢谢",
            "这款食品保质期多久？",
            "这个包耐用吗，好耐用的话我就买",
            "一点用都没有",
            "晒单有返现吗",
            "你们的饮料有什么口味",
        ] {
            assert!(!detect(&e, text), "false positive: {text}");
        }
    }

    #[test]
    fn northern_colloquial_mandarin_is_not_cantonese() {
        let e = engine();
        for text in [
            "咋还不发货啊，俺都等三天了",
            "你家发货一般啥时候能到东北？",
            "咱们这优惠券咋用啊？",
            "整了半天也登不上去，咋整？",
            "好嘞，那我等着",
        ] {
            assert!(!detect(&e, text), "false positive: {text}");
        }
    }

    #[test]
    fn one_ambiguous_character_does_not_trigger_alone() {
        let e = engine();
        for text in [
            "我系计算机系的",
            "食了吗",
            "靓",
            "几时到",
            "成日下雨",
            "我个人觉得不行",
        ] {
            assert!(!detect(&e, text), "false positive: {text}");
        }
    }

    #[test]
    fn rewrites_common_words_and_particles() {
        let e = engine();
        let cases = [
            ("點解我仲未收到貨？", "为什么我还没收到货？"),
            ("呢個幾多錢？", "这个多少钱？"),
            ("佢哋而家喺邊度？", "他们现在在哪里？"),
            ("我琴日落咗單", "我昨天下了单"),
            ("聽日得唔得", "明天可以吗"),
            ("可唔可以幫我查下", "能不能帮我查一下"),
            ("係咪包郵㗎？", "是不是包邮？"),
            ("唔該晒", "太谢谢了"),
            ("唔該幫我查下", "麻烦帮我查一下"),
            ("退唔退得？", "能不能退？"),
            ("冇問題", "没问题"),
            ("我唔要喇", "我不要了"),
        ];
        for (yue, cmn) in cases {
            assert_eq!(rewrite(&e, yue).as_deref(), Some(cmn), "{yue}");
        }
    }

    #[test]
    fn keeps_numbers_latin_words_and_emoji() {
        let e = engine();
        let out = rewrite(&e, "幫我cancel咗張單SF1234567890唔該🙏 電話9123 4567").unwrap();
        assert!(out.contains("cancel"), "{out}");
        assert!(out.contains("SF1234567890"), "{out}");
        assert!(out.contains("🙏"), "{out}");
        assert!(out.contains("9123 4567"), "{out}");
        assert!(!out.contains('咗') && !out.contains('唔'), "{out}");
    }

    #[test]
    fn shielded_words_survive_inside_cantonese() {
        let e = engine();
        let out = rewrite(&e, "但系统话我冇付款，同我有乜关系？").unwrap();
        assert!(out.contains("但系统"), "{out}");
        assert!(out.contains("关系"), "{out}");
        assert!(out.contains("没付款"), "{out}");
    }

    #[test]
    fn interjection_stays_but_negation_is_rewritten() {
        let e = engine();
        // not Cantonese at all: no rewrite
        assert_eq!(rewrite(&e, "唔……我再想想吧"), None);
        // Cantonese negation
        let out = rewrite(&e, "我唔想等").unwrap();
        assert_eq!(out, "我不想等");
    }

    #[test]
    fn mandarin_returns_none() {
        let e = engine();
        for text in [
            "我的快递到哪了？单号YT2398471203",
            "转人工",
            "在吗？",
            "好的谢谢",
        ] {
            assert_eq!(rewrite(&e, text), None, "{text}");
        }
    }

    #[test]
    fn sentence_final_ne_stays_but_demonstrative_ne_is_this() {
        let e = engine();
        let out = rewrite(&e, "呢件衫有冇大碼呢？").unwrap();
        assert!(out.starts_with("这件"), "{out}");
        assert!(out.ends_with("呢？"), "{out}");
    }

    #[test]
    fn threshold_and_tenant_phrases_come_from_options() {
        let e = engine();
        let strict = Options::new(Some(5.0), [], e.t2s());
        assert!(!e.analyze("唔該轉真人", &strict).is_cantonese);
        let shop = Options::new(None, [("金鐘店", "金钟门店")], e.t2s());
        let out = e
            .preprocess("金鐘店幾點開門？係咪十點", &shop)
            .unwrap()
            .rewritten;
        assert!(out.starts_with("金钟门店"), "{out}");
    }

    #[test]
    fn hong_kong_typing_habits_are_understood() {
        let e = engine();
        // 左 for 咗, 地 for 哋, D for 啲, 係 compounds in Traditional text
        assert_eq!(rewrite(&e, "我去左銀行").as_deref(), Some("我去了银行"));
        assert_eq!(rewrite(&e, "平D啦").as_deref(), Some("便宜一点啦"));
        assert!(detect(&e, "你地幾點收工"));
        assert!(detect(&e, "真係好正"));
        // ...but 左 as "left" and 地址 stay Mandarin
        assert!(!detect(&e, "去左边的门口等我"));
        assert!(!detect(&e, "你地址发我一下"));
    }

    #[test]
    fn how_to_questions_count_only_as_questions() {
        let e = engine();
        assert!(detect(&e, "年费会员点续费？"));
        assert!(detect(&e, "公司想訂五十份月餅，點訂呀？"));
        // 点 after an adjective or a clock time is Mandarin
        assert!(!detect(&e, "请冷静点处理，谢谢"));
        assert!(!detect(&e, "下午四点退了房间"));
        assert!(!detect(&e, "这点算是一个小惊喜"));
    }

    #[test]
    fn full_width_text_behaves_like_half_width() {
        let e = engine();
        assert!(!detect(&e, "西藏６个地区降雪"));
        assert!(detect(&e, "我哋要５個"));
    }

    #[test]
    fn empty_data_is_refused() {
        assert!(Engine::new("", "唔\t不\t1\n").is_err());
        assert!(Engine::new("訂订", "# nothing\n").is_err());
        let (pairs, entries) = engine().size();
        assert!(pairs > 2500 && entries > 500);
    }

    #[test]
    fn tidy_collapses_doubled_particles() {
        assert_eq!(tidy("退了了货的的"), "退了货的");
    }

    #[test]
    fn long_nested_tenant_phrases_pick_the_longest() {
        let e = engine();
        let phrases: Vec<(String, String)> = (1..=12)
            .map(|n| ("阿".repeat(n), format!("P{n}")))
            .collect();
        let opts = Options::new(
            None,
            phrases.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            e.t2s(),
        );
        let out = e
            .analyze(&format!("{}喺边度", "阿".repeat(14)), &opts)
            .rewritten;
        assert!(out.starts_with("P12P2"), "{out}");
    }
}
