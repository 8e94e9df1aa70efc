//! Text helpers shared by matching and segmentation: one normal form for comparisons and a
//! parser for Chinese and Arabic numerals.

use std::sync::OnceLock;

/// The form every comparison uses: lower-case ASCII, full-width ASCII folded to half-width,
/// whitespace removed, and the Traditional characters common in course questions folded to
/// Simplified (the host's normaliser usually did this already; `kefu plugin run` does not).
pub fn normalize(text: &str) -> String {
    let tables = tables();
    let mut out = String::with_capacity(text.len());
    // Whether a colloquial word can occur: every one starts with a [`COLLOQUIAL_FIRST`].
    let mut colloquial = false;
    for c in text.chars() {
        let c = match c {
            '\u{3000}' => continue,
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        };
        if c.is_whitespace() {
            continue;
        }
        let c = tables.simplify(c.to_ascii_lowercase());
        colloquial |= tables.colloquial_first(c);
        out.push(c);
    }
    // Nothing to replace unless a colloquial word occurs (no replacement creates another).
    if colloquial && has_colloquial(tables, &out) {
        for (from, to) in COLLOQUIAL {
            if out.contains(from) {
                out = out.replace(from, to);
            }
        }
    }
    out
}

/// Whether any [`COLLOQUIAL`] word occurs in `t`.
fn has_colloquial(tables: &Tables, t: &str) -> bool {
    t.char_indices().any(|(i, c)| {
        tables.colloquial_first(c) && COLLOQUIAL.iter().any(|(w, _)| t[i..].starts_with(w))
    })
}

/// The first character of every [`COLLOQUIAL`] word (checked by a test; all in
/// [`CJK_FROM`]–[`CJK_TO`]).
const COLLOQUIAL_FIRST: &[char] = &[
    '啥', '咋', '咩', '点', '几', '边', '而', '系', '使', '冇', '唔', '嘅', '咗', '喺', '畀', '俾',
    '睇', '搵', '啲', '仲', '嚟',
];

/// Colloquial and Cantonese words folded to the Mandarin the keywords use, so `都教些啥` and
/// `幾時開課` (when no dialect plugin rewrote it) match like `都教些什么` and `什么时候开课`.
const COLLOQUIAL: &[(&str, &str)] = &[
    ("啥", "什么"),
    ("咋", "怎么"),
    ("咩", "什么"),
    ("点样", "怎么"),
    ("几多", "多少"),
    ("边度", "哪里"),
    ("边个", "哪个"),
    ("几时", "什么时候"),
    ("而家", "现在"),
    ("系唔系", "是不是"),
    ("使唔使", "要不要"),
    ("冇", "没有"),
    ("唔", "不"),
    ("嘅", "的"),
    ("咗", "了"),
    ("喺", "在"),
    ("畀", "给"),
    ("俾", "给"),
    ("睇", "看"),
    ("搵", "找"),
    ("啲", "些"),
    ("仲", "还"),
    ("嚟", "来"),
];

/// Traditional → Simplified for the characters that matter to the skill pack's keywords.
const TRAD: &str = "課費試聽報錢學師補請時間幾點區優導級歲讀線網給嗎們麼這個後會說來對還沒與幫開關於當應該場東車門問題買賣價機構體驗預約電話號碼園選擇輔經專業過讓樣裡裏週準備書練習長語數寫閱團將從帶續參觀屆測標認證內適齡兒孫連絡聯繫顧談餘頁隊員歷換轉計劃館庫節雙單寶貝倆兩額實礎鐘歡樓層紹變舊為進邊遠運達遲錯難順領類風養馬髮齊係囉講務憑據稅發貨壞態總負責處戶產質營環衛設監視護險啟興藝術繪畫鋼圍編腦識詞彙簡貴銷購獎勵簽協議績紀錄軟載鏈結戲遊範圖滿調頭獨異別屬衝國際賽頒動飯誤靜鬧嚴厲罵氣懷騙惡緊掛臺灣無華麗鎮縣廣塊";
const SIMP: &str = "课费试听报钱学师补请时间几点区优导级岁读线网给吗们么这个后会说来对还没与帮开关于当应该场东车门问题买卖价机构体验预约电话号码园选择辅经专业过让样里里周准备书练习长语数写阅团将从带续参观届测标认证内适龄儿孙连络联系顾谈余页队员历换转计划馆库节双单宝贝俩两额实础钟欢楼层绍变旧为进边远运达迟错难顺领类风养马发齐系啰讲务凭据税发货坏态总负责处户产质营环卫设监视护险启兴艺术绘画钢围编脑识词汇简贵销购奖励签协议绩纪录软载链结戏游范图满调头独异别属冲国际赛颁动饭误静闹严厉骂气怀骗恶紧挂台湾无华丽镇县广块";

#[cfg(test)]
fn simplify(c: char) -> char {
    tables().simplify(c)
}

/// The CJK Unified Ideographs block, where the characters looked up per character lie.
const CJK_FROM: u32 = 0x4E00;
const CJK_TO: u32 = 0x9FFF;

/// Lookup tables for [`normalize`], built once.
struct Tables {
    /// Traditional → Simplified, sorted.
    pairs: Vec<(char, char)>,
    /// Bitmaps over [`CJK_FROM`]–[`CJK_TO`]: the Traditional characters of `pairs` (so an
    /// already Simplified character needs no search) and [`COLLOQUIAL_FIRST`].
    traditional: Vec<u64>,
    colloquial_first: Vec<u64>,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut pairs: Vec<(char, char)> = TRAD.chars().zip(SIMP.chars()).collect();
        pairs.sort_unstable();
        let bitmap = |chars: &mut dyn Iterator<Item = char>| {
            let mut map = vec![0u64; ((CJK_TO - CJK_FROM) / 64 + 1) as usize];
            for c in chars {
                let code = c as u32;
                if (CJK_FROM..=CJK_TO).contains(&code) {
                    map[((code - CJK_FROM) / 64) as usize] |= 1 << ((code - CJK_FROM) % 64);
                }
            }
            map
        };
        Tables {
            traditional: bitmap(&mut pairs.iter().map(|(t, _)| *t)),
            colloquial_first: bitmap(&mut COLLOQUIAL_FIRST.iter().copied()),
            pairs,
        }
    })
}

/// `Some(whether c is in map)` for a character of the CJK block, `None` outside it.
fn in_bitmap(map: &[u64], c: char) -> Option<bool> {
    let code = c as u32;
    (CJK_FROM..=CJK_TO)
        .contains(&code)
        .then(|| map[((code - CJK_FROM) / 64) as usize] & (1 << ((code - CJK_FROM) % 64)) != 0)
}

impl Tables {
    fn simplify(&self, c: char) -> char {
        if (c as u32) < CJK_FROM || in_bitmap(&self.traditional, c) == Some(false) {
            return c;
        }
        self.pairs
            .binary_search_by_key(&c, |(t, _)| *t)
            .map_or(c, |i| self.pairs[i].1)
    }

    fn colloquial_first(&self, c: char) -> bool {
        in_bitmap(&self.colloquial_first, c) == Some(true)
    }
}

/// The value of one Chinese or Arabic digit character (两 counts as 2, 〇 and 零 as 0).
pub fn digit_value(c: char) -> Option<u32> {
    Some(match c {
        '0'..='9' => c as u32 - '0' as u32,
        '零' | '〇' => 0,
        '一' => 1,
        '二' | '两' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

/// Whether `c` can be part of a number (a digit, or 十 as in 十二).
pub fn is_numeral(c: char) -> bool {
    c == '十' || digit_value(c).is_some()
}

/// Parses a run of numeral characters: `8`, `12`, `八`, `十`, `十二`, `二十一`, `两`.
/// Returns `None` for anything else (including values above 99).
pub fn parse_number(run: &[char]) -> Option<u32> {
    if run.is_empty() {
        return None;
    }
    if run.iter().all(|c| c.is_ascii_digit()) {
        return run
            .iter()
            .try_fold(0u32, |acc, c| {
                acc.checked_mul(10)?.checked_add(*c as u32 - '0' as u32)
            })
            .filter(|n| *n < 1000);
    }
    match run.iter().position(|c| *c == '十') {
        None if run.len() == 1 => digit_value(run[0]),
        None => None,
        Some(i) => {
            let tens = match i {
                0 => 1,
                1 => digit_value(run[0]).filter(|d| *d > 0)?,
                _ => return None,
            };
            let units = match run.len() - i - 1 {
                0 => 0,
                1 => digit_value(run[i + 1])?,
                _ => return None,
            };
            Some(tens * 10 + units)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Option<u32> {
        parse_number(&s.chars().collect::<Vec<_>>())
    }

    #[test]
    fn parses_chinese_and_arabic_numerals() {
        assert_eq!(n("8"), Some(8));
        assert_eq!(n("12"), Some(12));
        assert_eq!(n("八"), Some(8));
        assert_eq!(n("两"), Some(2));
        assert_eq!(n("十"), Some(10));
        assert_eq!(n("十二"), Some(12));
        assert_eq!(n("二十一"), Some(21));
        assert_eq!(n("三十"), Some(30));
        assert_eq!(n("一二"), None);
        assert_eq!(n(""), None);
    }

    #[test]
    fn every_colloquial_word_starts_with_a_listed_character() {
        for (from, _) in COLLOQUIAL {
            let first = from.chars().next().unwrap();
            assert!(COLLOQUIAL_FIRST.contains(&first), "{from}");
        }
        for c in COLLOQUIAL_FIRST {
            assert!((CJK_FROM..=CJK_TO).contains(&(*c as u32)), "{c}");
            assert!(tables().colloquial_first(*c));
        }
        assert!(!tables().colloquial_first('课'));
    }

    #[test]
    fn the_traditional_table_is_aligned() {
        assert_eq!(TRAD.chars().count(), SIMP.chars().count());
        assert_eq!(simplify('額'), '额');
        assert_eq!(simplify('礎'), '础');
    }

    #[test]
    fn normalizes_width_case_space_and_traditional_script() {
        assert_eq!(normalize("ＫＥＴ 課程  幾錢？"), "ket课程几钱?");
        assert_eq!(normalize("試聽課要收費嗎"), "试听课要收费吗");
        assert_eq!(normalize("Python班"), "python班");
        assert_eq!(normalize("都教些啥"), "都教些什么");
        assert_eq!(normalize("幾時開課啊"), "什么时候开课啊");
        assert_eq!(normalize("仲有冇位"), "还有没有位");
    }
}
