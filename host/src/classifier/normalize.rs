//! Text normalisation for the classifier's features.
//!
//! Customers type the same request in many surface forms: full-width letters, Traditional
//! characters, written Cantonese, Taiwan wording, common homophone typos. The classifier learns
//! from about two thousand lines, so every form it can fold onto one spelling is a form it does
//! not have to see in training. This module folds, in order:
//!
//! 1. full-width ASCII → half-width, ideographic space → space, ASCII → lower-case, emoji
//!    variation selectors and skin tones dropped;
//! 2. Traditional → Simplified characters ([`super::t2s`]);
//! 3. words: written Cantonese → Mandarin (唔 → 不, 咗 → 了, 點解 → 为什么, 係 → 是 unless in
//!    关係), Taiwan → Mainland wording (登入 → 登录, 簡訊 → 短信), and frequent typos
//!    (登陆 → 登录, 定单 → 订单, 优惠卷 → 优惠券);
//! 4. whitespace runs → one space, and the spaces or dashes inside a phone or order number
//!    removed (`138 0013 8000` → `13800138000`).
//!
//! Digits stay digits here; the feature extractor maps long runs to class tokens.

use std::collections::HashMap;
use std::sync::OnceLock;

/// Word rewrites applied after Traditional → Simplified, as `from → to` (simplified script).
/// At each position the longest matching `from` wins, so `唔该` is seen before `唔`.
const REWRITES: &[(&str, &str)] = &[
    // Written Cantonese. 係 means 是 except inside 关係 / 联係 (Traditional 關係 / 聯係).
    ("关係", "关系"),
    ("联係", "联系"),
    ("係统", "系统"),
    ("係咪", "是不是"),
    ("係唔係", "是不是"),
    ("係", "是"),
    ("唔该晒", "谢谢"),
    ("唔该", "谢谢"),
    ("多谢晒", "谢谢"),
    ("唔使", "不用"),
    ("唔好", "不要"),
    ("唔记得", "忘记"),
    ("唔", "不"),
    ("点解", "为什么"),
    ("点样", "怎么"),
    ("点算", "怎么办"),
    ("点搞", "怎么办"),
    ("点知", "怎么知道"),
    ("点去", "怎么去"),
    ("点买", "怎么买"),
    ("点落单", "怎么下单"),
    ("几时", "什么时候"),
    ("几耐", "多久"),
    ("几多钱", "多少钱"),
    ("几钱", "多少钱"),
    ("几多", "多少"),
    ("边度", "哪里"),
    ("边个", "谁"),
    ("边间", "哪家"),
    ("边位", "哪位"),
    ("边区", "哪个区"),
    ("边款", "哪款"),
    ("而家", "现在"),
    ("宜家", "现在"),
    ("乜嘢", "什么"),
    ("咩嘢", "什么"),
    ("乜", "什么"),
    ("咩", "什么"),
    ("嘢", "东西"),
    ("咗", "了"),
    ("有冇", "有没有"),
    ("冇", "没"),
    ("嘅", "的"),
    ("喺", "在"),
    ("佢哋", "他们"),
    ("我哋", "我们"),
    ("你哋", "你们"),
    ("哋", "们"),
    ("佢", "他"),
    ("畀", "给"),
    ("俾", "给"),
    ("睇", "看"),
    ("攞", "拿"),
    ("拎", "拿"),
    ("搵", "找"),
    ("揾", "找"),
    ("啲", "些"),
    ("嚟", "来"),
    ("咁", "这样"),
    ("噉", "这样"),
    ("嗰", "那"),
    ("呢个", "这个"),
    ("呢度", "这里"),
    ("呢间", "这家"),
    ("呢款", "这款"),
    ("呢只", "这只"),
    ("呢件", "这件"),
    ("呢部", "这部"),
    ("呢张", "这张"),
    ("呢单", "这单"),
    ("呢位", "这位"),
    ("呢套", "这套"),
    ("呢排", "最近"),
    ("呢几日", "这几天"),
    ("仲未", "还没"),
    ("仲", "还"),
    ("听日", "明天"),
    ("听朝", "明天早上"),
    ("听晚", "明晚"),
    ("琴日", "昨天"),
    ("寻日", "昨天"),
    ("今朝", "今天早上"),
    ("下昼", "下午"),
    ("朝早", "早上"),
    ("收工", "下班"),
    ("落错单", "下错单"),
    ("落单", "下单"),
    ("埋单", "结账"),
    ("啱啱", "刚刚"),
    ("啱", "合适"),
    ("机械人", "机器人"),
    ("个仔", "儿子"),
    ("个女", "女儿"),
    ("老细", "老板"),
    ("嬲", "生气"),
    ("雪柜", "冰箱"),
    ("喇", "了"),
    ("㗎", ""),
    ("喎", ""),
    ("啫", ""),
    // Taiwan wording.
    ("网路", "网络"),
    ("软体", "软件"),
    ("简讯", "短信"),
    ("短讯", "短信"),
    ("登入", "登录"),
    ("萤幕", "屏幕"),
    ("影片", "视频"),
    ("视讯", "视频"),
    ("当机", "死机"),
    ("程式", "程序"),
    ("载入", "加载"),
    ("宅配", "快递"),
    ("点数", "积分"),
    ("折价券", "优惠券"),
    ("甚么", "什么"),
    // Frequent typos and homophones.
    ("登陆", "登录"),
    ("定单", "订单"),
    ("优惠卷", "优惠券"),
    ("发漂", "发票"),
    ("快第", "快递"),
    ("帐号", "账号"),
    ("帐户", "账户"),
    ("帐单", "账单"),
];

type RewriteIndex = HashMap<char, Vec<(&'static str, &'static str)>>;

/// The rewrites indexed by first character, longest first.
fn rewrite_index() -> &'static RewriteIndex {
    static INDEX: OnceLock<RewriteIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut index: RewriteIndex = HashMap::new();
        for &(from, to) in REWRITES {
            let first = from.chars().next().expect("empty rewrite");
            index.entry(first).or_default().push((from, to));
        }
        for list in index.values_mut() {
            list.sort_by_key(|(from, _)| std::cmp::Reverse(from.len()));
        }
        index
    })
}

/// Folds one character: width, case, script. `None` drops it.
fn fold_char(c: char, t2s: &HashMap<char, char>) -> Option<char> {
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        '\u{FFE5}' => '¥',
        // Variation selectors, zero-width joiners and emoji skin tones carry no meaning here.
        '\u{FE00}'..='\u{FE0F}' | '\u{200B}'..='\u{200D}' | '\u{1F3FB}'..='\u{1F3FF}' => {
            return None;
        }
        c if c.is_whitespace() => ' ',
        c => c,
    };
    let c = c.to_ascii_lowercase();
    Some(*t2s.get(&c).unwrap_or(&c))
}

/// Normalises a customer message as described in the module docs.
pub fn normalize(text: &str) -> String {
    let t2s = super::t2s::table();
    let folded: String = text.chars().filter_map(|c| fold_char(c, t2s)).collect();

    let index = rewrite_index();
    let mut rewritten = String::with_capacity(folded.len() + 8);
    let mut rest = folded.as_str();
    while let Some(c) = rest.chars().next() {
        let hit = index
            .get(&c)
            .and_then(|list| list.iter().find(|(from, _)| rest.starts_with(from)));
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

    // Whitespace: collapse runs, trim, and join digit groups split by spaces or dashes.
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
                // A grouped number such as `138 0013 8000` or `400-820-8820`.
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

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn full_width_becomes_half_width_and_lower_case() {
        assert_eq!(normalize("ＡＰＰ闪退！？"), "app闪退!?");
        assert_eq!(normalize("ＶＩＰ　会员"), "vip 会员");
    }

    #[test]
    fn whitespace_collapses_and_trims() {
        assert_eq!(normalize("  你好 \t\n 在吗  "), "你好 在吗");
    }

    #[test]
    fn grouped_phone_numbers_are_joined() {
        assert_eq!(normalize("电话 138 0013 8000"), "电话 13800138000");
        assert_eq!(normalize("打400-820-8820"), "打4008208820");
        assert_eq!(normalize("wi-fi"), "wi-fi");
    }

    #[test]
    fn traditional_becomes_simplified() {
        assert_eq!(normalize("請問訂單號碼"), "请问订单号码");
        assert_eq!(normalize("沒關係"), "没关系");
    }

    #[test]
    fn written_cantonese_becomes_mandarin() {
        assert_eq!(normalize("點解仲未到"), "为什么还没到");
        assert_eq!(normalize("有冇優惠"), "有没有优惠");
        assert_eq!(normalize("係咪寄咗"), "是不是寄了");
        assert_eq!(normalize("唔該轉人工"), "谢谢转人工");
        assert_eq!(normalize("收唔到"), "收不到");
    }

    #[test]
    fn typos_and_taiwan_words_are_folded() {
        assert_eq!(normalize("登陸不了"), "登录不了");
        assert_eq!(normalize("定单查一下"), "订单查一下");
        assert_eq!(normalize("收不到簡訊"), "收不到短信");
    }

    #[test]
    fn emoji_are_kept_without_variation_selectors() {
        assert_eq!(normalize("好的👍🏻"), "好的👍");
        assert_eq!(normalize("❤️"), "❤");
    }
}
