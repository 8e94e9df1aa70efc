//! # Message normalisation (SPEC N1)
//!
//! The first step of the message path. It gives plugins, rules and the classifier one spelling of
//! what the customer wrote, and it finds the phone numbers and the emoji. These are pure
//! functions with no I/O. [`normalize`] never fails, never panics and is idempotent:
//! `normalize(&normalize(x).text).text == normalize(x).text`.
//!
//! ```text
//! let n = normalize("請問 ＳＦ１２３４５６７８９０ 到咗未？電話 138 0013 8000 🙏🏻");
//! n.text   == "请问 SF1234567890 到咗未？电话 +8613800138000 🙏🏻"
//! n.phones == ["+8613800138000"]
//! n.emoji  == ["🙏🏻"]
//! strip_emoji(&n.text) == "请问 SF1234567890 到咗未？电话 +8613800138000"   // for CRM exports (U4)
//! ```
//!
//! The stages run in this order. Each stage works on the output of the one before it.
//!
//! 1. **Invisible characters are removed.** These are the zero-width characters U+200B, U+200C
//!    and U+FEFF (BOM), the word joiner and invisible operators U+2060..U+206F, the direction
//!    marks and embeddings U+200E, U+200F and U+202A..U+202E, the soft hyphen, and control
//!    characters other than whitespace. They come with pasted text and break matching: `退\u{200B}款`
//!    would not contain `退款`. The zero-width joiner U+200D is removed too, except between two
//!    parts of an emoji sequence (👨‍👩‍👧), where it is part of the emoji.
//! 2. **Whitespace.** Every run of whitespace becomes one character. This includes tabs, U+3000
//!    (ideographic space), NBSP and the U+2005 that WeChat puts after an @mention. A run that
//!    contains a line break becomes one `\n`. Any other run becomes one space. Whitespace at
//!    the start and end is trimmed. Line breaks are kept on purpose: customers type an address,
//!    an order list or a few questions on separate lines, agents read the text in the console,
//!    and every matcher treats `\n` as whitespace. Blank lines are not kept. Spaces inside Chinese
//!    text are not removed (`我 要 退款` stays), because that would be a guess about intent.
//! 3. **Some full-width forms become half-width**, where this helps matching:
//!    - ASCII letters and digits: `ＡＢＣ１２３` → `ABC123`;
//!    - symbols that have no separate Chinese use: `＠ ＃ ＄ ％ ＆ ＊ ＋ － ／ ＝ ＿ ＜ ＞ ［ ］` and
//!      the rest of U+FF01..U+FF5E except the marks listed below, plus `￥ ￡ ￠ ￦` → `¥ £ ¢ ₩`
//!      (`￥199` → `¥199`);
//!    - `．` between two ASCII letters or digits (`１２．５`, `ｑｑ．ｃｏｍ`), `：` and `～` between two
//!      digits (`10：30` → `10:30`, `3～5天` → `3~5天`), and a pair of `（ ）` whose content is
//!      ASCII with a letter or digit (`（ＳＦ１２３）` → `(SF123)`, `（010）` → `(010)`).
//!
//!    Chinese punctuation stays as it is, because it is the normal written form and plugins
//!    and scripts match on it: `，。？！：；、「」『』《》【】…～（）`. A `？` after Chinese text is
//!    still `？`. Latin letters are not lower-cased, because case matters in replies and codes.
//!    The classifier folds case itself.
//! 4. **Protected spans** are found. Stages 5 and 6 do not change them.
//!    - URLs start with `http://`, `https://` or `www.` and end at whitespace or the first
//!      non-ASCII character. Trailing `.,;:!?'` and an unbalanced `)` are not part of the URL.
//!    - Email addresses have the form `local@domain.tld`. `13800138000@qq.com` is an email
//!      address, not a phone number.
//!    - An @mention is `@` followed by 1 to 16 letters, digits, CJK characters or `_ - . ·`. It
//!      ends at whitespace, punctuation or an emoji. The `@` must not follow an ASCII letter or
//!      digit. A longer run is not taken as a mention. Names are identities, so `@張三` stays
//!      `@張三`.
//! 5. **Traditional → Simplified**, one character at a time, with the classifier's hand-written
//!    table (`crate::classifier::t2s`). There is only one table, so N1 and the classifier
//!    always agree. Seven characters depend on their neighbours. For them the table's choice is
//!    kept, except in the common words where it would be wrong:
//!    - `著` → `着` (看著 → 看着). It stays `著` in 著名, 著作, 著称, 著者, 著述, 显著, 名著,
//!      原著, 土著, 卓著, 昭著, 巨著, 专著, 合著, 编著, 论著, 遗著, 译著 and 拙著. It does not stay
//!      `著` in 著名字, 著名单, 著名片 or 著作业.
//!    - `乾` → `干` (乾淨 → 干净). It stays `乾` in 乾隆 and 乾坤.
//!    - `瞭` → `了` (瞭解 → 了解). It stays `瞭` in 瞭望.
//!    - `帳` → `账` (帳號 → 账号). It becomes `帐` in 帳篷, 帳幕, 蚊帳, 營帳, 紗帳 and 床帳.
//!    - `鍊` → `炼` (鍛鍊 → 锻炼). It becomes `链` in 項鍊, 手鍊, 腳鍊, 頸鍊, 鎖鍊, 拉鍊, 錶鍊,
//!      金鍊, 銀鍊, 鍊子 and 鍊條.
//!    - `係` is not in the table on purpose. In written Cantonese it means 是, and the dialect
//!      plugin (A2) and the classifier both rely on seeing it. It becomes `系` only in 關係,
//!      聯係, 體係, 係統 and 係列 (also when those are half converted, as in `关係`). Otherwise it
//!      stays `係`. `繫` → `系` comes from the table.
//!    - `覆` is not in the table either, because 覆盖 is Simplified too. After 回 it becomes `复`:
//!      回覆, the Taiwan spelling of "reply", becomes 回复.
//!
//!    Cantonese stays Cantonese: `唔係嘅`, `咗`, `冇`, `喺` and `佢哋` are not rewritten to
//!    Mandarin here. Dialect → Mandarin is the job of the dialect plugin, a paid add-on. N1 only
//!    simplifies the script: `點解` → `点解`.
//! 6. **Phone numbers** are rewritten in E.164 and listed in [`Normalized::phones`] in the order
//!    they appear. A separator is one space or `-`. It must be the same within the number; the
//!    space or `-` after a country prefix can differ.
//!    - Mainland mobiles `1[3-9]` + 9 digits, written `13800138000`, `138 0013 8000`,
//!      `138-0013-8000` or `138 00138000` → `+8613800138000`.
//!    - Mainland landlines: `0` + area code + a local number of 7 or 8 digits starting with
//!      2-9. The area code is `10`, `2x` or a 3-digit code `[3-9]xx`. The number can be written
//!      `010-62345678`, `021 6123 4567`, `(0755)23456789` or `01062345678`. The result is `+86`,
//!      then the area code without its `0`, then the local number: `+861062345678`.
//!    - A country prefix is `+86`, `(+86)`, `(86)`, `0086` or `86`. A bare `86`, and `0086`,
//!      must be followed by a separator, and a bare `86` only introduces a mobile. After `+86`
//!      a landline may keep or drop its `0`.
//!    - Hong Kong numbers are taken only with a prefix: `+852`, `(+852)`, `(852)`, `00852` or
//!      `852`, followed by 8 digits starting with 2-9 (`+852 9123 4567` → `+85291234567`). A
//!      bare 8-digit number could be anything: an order number, a date such as 20241105, or an
//!      amount. A dialect marker is no evidence that a number is from Hong Kong either.
//!
//!    The rewriting is conservative. A number is left as written if any of these is true:
//!    - it touches an ASCII letter, digit, `_`, `@` or `%`;
//!    - it follows `+ . / \ # & = ¥ $ € £` (as in `SF1234567890`, `¥13800138000` or a URL);
//!    - it has a decimal point or a thousands comma next to it;
//!    - it is followed by `元`, `块` or `円`;
//!    - it is joined by `-` or by its own separator to more digit groups (`13800138000-01`,
//!      `138 0013 8000 1234`), which makes it part of a longer code;
//!    - it comes right after 单号, 订单, 运单, 编号, 卡号, 工单, 流水号, 序列号, `order`, `id` or
//!      `no` (an optional `:`, `：`, `#` or space can stand between them);
//!    - it is a run of 12 or more digits without separators and without a `+`. Order numbers
//!      (Taobao has 18 or 19 digits) and tracking numbers (12 to 15) are such runs. So a
//!      4-digit area code with an 8-digit local number must be written with a separator:
//!      `0755-23456789` or `+8675523456789`, not `075523456789`.
//!
//!    Service numbers such as `400-820-8820` and `95588`, dates (`2024-11-05`), times and
//!    amounts are not phone shapes, so they are never rewritten.
//!
//! The text keeps its **emoji**. They carry sentiment, and replies often mirror them. Each emoji
//! is listed in [`Normalized::emoji`] as a whole grapheme. This includes a base with its skin
//! tone (👍🏻), a ZWJ sequence (👨‍👩‍👧), a flag (🇨🇳, and 🏴󠁧󠁢󠁳󠁣󠁴󠁿 with tags), a keycap (1️⃣) and a
//! text symbol written with U+FE0F (©️). Which characters count comes from Unicode's
//! emoji data, in the range table below. Characters with emoji presentation count on their
//! own, as do the pictographs of the Miscellaneous Symbols and Dingbats blocks (☀ ☎ ✈ ✔ ❤).
//! Symbols that are also ordinary typography count only when U+FE0F follows them: © ® ™ ‼,
//! arrows, ▶ ◀ ▪, ♀ ♂ and ♠ ♣ ♦. Decorative characters that are not emoji are never counted,
//! even though customers use them: ★ ☆ ✿ ❀ ♪ ✓ ❶ and ㊣. [`strip_emoji`] removes exactly the
//! graphemes that [`normalize`] lists.

use std::collections::HashMap;

use crate::classifier::t2s;

/// A customer message after normalisation (see the module docs).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Normalized {
    /// The text for the pipeline: plugins, rules, classifier and the stored message.
    pub text: String,
    /// The phone numbers found, in E.164 (`+8613800138000`), in text order, with repeats.
    pub phones: Vec<String>,
    /// The emoji in `text`, one full grapheme each, in text order, with repeats.
    pub emoji: Vec<String>,
    /// Whether `text` differs from the input.
    pub changed: bool,
}

/// Normalises one customer message: invisible characters, width, whitespace, Traditional →
/// Simplified, phone numbers to E.164, and the list of emoji. See the module docs for the
/// rules.
pub fn normalize(input: &str) -> Normalized {
    let mut chars = collapse_whitespace(&without_invisibles(input));
    fold_width(&mut chars);
    let protected = protected_spans(&chars);
    let chars = to_simplified(&chars, &protected);
    let emoji = emoji_in(&chars);
    let (text, phones) = rewrite_phones(&chars, &protected);
    Normalized {
        changed: text != input,
        text,
        phones,
        emoji,
    }
}

/// Removes the emoji that [`normalize`] would list, for exports that cannot store them (CRM
/// sync, U4). When removing an emoji would leave two whitespace characters side by side, one of
/// them is dropped. Whitespace that removing an emoji leaves at the start or end is dropped
/// too: `"好的 👍 谢谢"` → `"好的 谢谢"` and `"👍 好的"` → `"好的"`. All other text is kept,
/// including decorative symbols such as ★.
pub fn strip_emoji(text: &str) -> String {
    let s: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    // An emoji was removed since the last kept character that is not whitespace.
    let mut removed = false;
    let mut i = 0;
    while i < s.len() {
        let n = emoji_len(&s, i);
        if n > 0 {
            removed = true;
            i += n;
            continue;
        }
        let c = s[i];
        i += 1;
        if c.is_whitespace() {
            if removed {
                match out.chars().next_back() {
                    None => continue,
                    Some(last) if last.is_whitespace() => {
                        // Keep a line break rather than the space before it.
                        if is_line_break(c) && !is_line_break(last) {
                            out.pop();
                            out.push(c);
                        }
                        continue;
                    }
                    Some(_) => {}
                }
            }
        } else {
            removed = false;
        }
        out.push(c);
    }
    if removed {
        out.truncate(out.trim_end().len());
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Stage 1: invisible characters.

const ZWJ: char = '\u{200D}';
const VS15: char = '\u{FE0E}';
const VS16: char = '\u{FE0F}';
const KEYCAP: char = '\u{20E3}';

fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{FEFF}'
    ) || (c.is_control() && !c.is_whitespace())
}

fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

fn without_invisibles(input: &str) -> Vec<char> {
    let mut out: Vec<char> = Vec::with_capacity(input.len());
    let mut it = input.chars().peekable();
    while let Some(c) = it.next() {
        if c == ZWJ {
            let joins = out.last().is_some_and(|&p| continues_emoji(p))
                && it.peek().is_some_and(|&n| pictograph(n) != Pictograph::No);
            if joins {
                out.push(c);
            }
        } else if !is_invisible(c) {
            out.push(c);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Stage 2: whitespace.

fn collapse_whitespace(chars: &[char]) -> Vec<char> {
    let mut out = Vec::with_capacity(chars.len());
    let mut pending: Option<char> = None;
    for &c in chars {
        if c.is_whitespace() {
            pending = Some(if pending == Some('\n') || is_line_break(c) {
                '\n'
            } else {
                ' '
            });
        } else {
            if let Some(p) = pending.take()
                && !out.is_empty()
            {
                out.push(p);
            }
            out.push(c);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Stage 3: full-width → half-width.

/// The full-width marks that stay full-width unless their context says otherwise.
fn is_kept_full_width(c: char) -> bool {
    matches!(
        c,
        '！' | '？' | '，' | '；' | '：' | '．' | '～' | '（' | '）'
    )
}

/// The context-free part of the width fold.
fn fold_plain(c: char) -> char {
    match c {
        c if is_kept_full_width(c) => c,
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{FFE0}' => '¢',
        '\u{FFE1}' => '£',
        '\u{FFE5}' => '¥',
        '\u{FFE6}' => '₩',
        c => c,
    }
}

fn fold_width(chars: &mut [char]) {
    for c in chars.iter_mut() {
        *c = fold_plain(*c);
    }
    for i in 0..chars.len() {
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1).copied();
        let both =
            |f: fn(&char) -> bool| prev.as_ref().is_some_and(f) && next.as_ref().is_some_and(f);
        match chars[i] {
            '．' if both(char::is_ascii_alphanumeric) => chars[i] = '.',
            '：' if both(char::is_ascii_digit) => chars[i] = ':',
            '～' if both(char::is_ascii_digit) => chars[i] = '~',
            _ => {}
        }
    }
    // After the marks above, so that `（１２．５）` is seen as ASCII on the first pass.
    for i in 0..chars.len() {
        if chars[i] == '（'
            && let Some(close) = ascii_paren_close(chars, i)
        {
            chars[i] = '(';
            chars[close] = ')';
        }
    }
}

/// The `）` closing the `（` at `open` when everything between them is ASCII with at least one
/// letter or digit (at most 32 characters, no line break, no other parenthesis).
fn ascii_paren_close(chars: &[char], open: usize) -> Option<usize> {
    let mut alnum = false;
    for (j, &c) in chars.iter().enumerate().skip(open + 1).take(33) {
        if c == '）' {
            return alnum.then_some(j);
        }
        if !c.is_ascii() || is_line_break(c) || c == '(' || c == ')' {
            return None;
        }
        alnum |= c.is_ascii_alphanumeric();
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Stage 4: URLs, emails and @mentions.

/// Marks the characters inside URLs, email addresses and @mentions.
fn protected_spans(s: &[char]) -> Vec<bool> {
    let mut mask = vec![false; s.len()];
    let mut i = 0;
    while i < s.len() {
        let span = url_at(s, i)
            .or_else(|| email_at(s, i))
            .or_else(|| mention_at(s, i));
        match span {
            Some(end) => {
                mask[i..end].fill(true);
                i = end;
            }
            None => i += 1,
        }
    }
    mask
}

fn starts_with_ignore_case(s: &[char], at: usize, prefix: &str) -> bool {
    let mut k = at;
    for p in prefix.chars() {
        match s.get(k) {
            Some(c) if c.eq_ignore_ascii_case(&p) => k += 1,
            _ => return false,
        }
    }
    true
}

fn url_at(s: &[char], i: usize) -> Option<usize> {
    if !matches!(s[i], 'h' | 'H' | 'w' | 'W') || (i > 0 && s[i - 1].is_ascii_alphanumeric()) {
        return None;
    }
    let body = ["https://", "http://", "www."]
        .iter()
        .find(|p| starts_with_ignore_case(s, i, p))
        .map(|p| i + p.len())?;
    let mut end = body;
    while end < s.len() && is_url_char(s[end]) {
        end += 1;
    }
    // Trailing punctuation belongs to the sentence, and so does an unbalanced `)`.
    while end > body {
        let last = s[end - 1];
        let unbalanced_paren = last == ')' && {
            let span = &s[i..end];
            span.iter().filter(|&&c| c == ')').count() > span.iter().filter(|&&c| c == '(').count()
        };
        if matches!(last, '.' | ',' | ';' | ':' | '!' | '?' | '\'') || unbalanced_paren {
            end -= 1;
        } else {
            break;
        }
    }
    (end > body).then_some(end)
}

fn is_url_char(c: char) -> bool {
    c.is_ascii_graphic() && !matches!(c, '<' | '>' | '"' | '`' | '{' | '}' | '|' | '\\' | '^')
}

fn is_email_local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

fn email_at(s: &[char], i: usize) -> Option<usize> {
    if !is_email_local_char(s[i]) || (i > 0 && is_email_local_char(s[i - 1])) {
        return None;
    }
    let at = i + s[i..]
        .iter()
        .take_while(|&&c| is_email_local_char(c))
        .count();
    if s.get(at) != Some(&'@') {
        return None;
    }
    let mut end = at + 1;
    while end < s.len() && (s[end].is_ascii_alphanumeric() || matches!(s[end], '.' | '-')) {
        end += 1;
    }
    while end > at + 1 && matches!(s[end - 1], '.' | '-') {
        end -= 1;
    }
    let domain: String = s[at + 1..end].iter().collect();
    let labels: Vec<&str> = domain.split('.').collect();
    let tld = labels.last().copied().unwrap_or("");
    let valid = labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty())
        && tld.len() >= 2
        && tld.bytes().all(|b| b.is_ascii_alphabetic());
    valid.then_some(end)
}

/// The longest name an @mention may have, in characters.
const MENTION_MAX: usize = 16;

fn is_mention_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '·')
}

fn mention_at(s: &[char], i: usize) -> Option<usize> {
    if s[i] != '@' || (i > 0 && s[i - 1].is_ascii_alphanumeric()) {
        return None;
    }
    let run = s[i + 1..]
        .iter()
        .take_while(|&&c| is_mention_char(c))
        .count();
    // A trailing `.` or `-` ends the sentence, not the name.
    let name = s[i + 1..i + 1 + run]
        .iter()
        .rposition(|&c| !matches!(c, '.' | '-'))
        .map_or(0, |p| p + 1);
    (name > 0 && run <= MENTION_MAX).then_some(i + 1 + name)
}

// ---------------------------------------------------------------------------------------------
// Stage 5: Traditional → Simplified.

fn simp(table: &HashMap<char, char>, c: char) -> char {
    table.get(&c).copied().unwrap_or(c)
}

fn to_simplified(s: &[char], protected: &[bool]) -> Vec<char> {
    let table = t2s::table();
    let at = |k: Option<usize>| k.and_then(|k| s.get(k)).map(|&c| simp(table, c));
    s.iter()
        .enumerate()
        .map(|(i, &c)| {
            if c.is_ascii() || protected[i] {
                c
            } else if CONTEXTUAL.contains(c) {
                let (prev, next, next2) = (at(i.checked_sub(1)), at(Some(i + 1)), at(Some(i + 2)));
                contextual(c, prev, next, next2).unwrap_or_else(|| simp(table, c))
            } else {
                simp(table, c)
            }
        })
        .collect()
}

/// The characters [`contextual`] decides about.
const CONTEXTUAL: &str = "著乾瞭帳鍊係覆";

/// The simplification of the characters the table gets wrong in some common words, given the
/// (already simplified) neighbours; `None` leaves the character to the table.
fn contextual(
    c: char,
    prev: Option<char>,
    next: Option<char>,
    next2: Option<char>,
) -> Option<char> {
    let is = |x: Option<char>, set: &str| x.is_some_and(|x| set.contains(x));
    match c {
        '著' => {
            let word_after = (next == Some('名') && !is(next2, "字单片"))
                || (next == Some('作') && !is(next2, "业業"))
                || is(next, "称者述");
            let word_before = is(prev, "显名原土卓昭巨专合编论遗译拙");
            (word_after || word_before).then_some('著')
        }
        '乾' => is(next, "隆坤").then_some('乾'),
        '瞭' => (next == Some('望')).then_some('瞭'),
        '帳' => (is(next, "篷幕") || is(prev, "蚊营纱床")).then_some('帐'),
        '鍊' => (is(next, "子条") || is(prev, "项手脚腳颈锁拉表金银")).then_some('链'),
        '覆' => (prev == Some('回')).then_some('复'),
        '係' => (is(prev, "关联体") || is(next, "统列")).then_some('系'),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Stage 6: phone numbers.

fn rewrite_phones(s: &[char], protected: &[bool]) -> (String, Vec<String>) {
    let mut text = String::with_capacity(s.len() * 3);
    let mut phones = Vec::new();
    let mut i = 0;
    while i < s.len() {
        if !protected[i]
            && (s[i].is_ascii_digit() || s[i] == '+' || s[i] == '(')
            && let Some((end, e164)) = phone_at(s, i)
            && !protected[i..end].contains(&true)
        {
            text.push_str(&e164);
            phones.push(e164);
            i = end;
            continue;
        }
        text.push(s[i]);
        i += 1;
    }
    (text, phones)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Country {
    Cn,
    Hk,
}

/// What stood before the national number.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Prefix {
    None,
    /// `+86`, `(86)`, `0086` …: unambiguous.
    Marked(Country),
    /// A bare `86 ` / `852 `: only the most certain national shapes follow it.
    Bare(Country),
}

/// A phone number found in the text: where it ends, its E.164 form, and whether a space
/// separated its parts.
struct Found {
    end: usize,
    e164: String,
    spaced: bool,
}

fn phone_at(s: &[char], i: usize) -> Option<(usize, String)> {
    let digit_at = |k: usize| s.get(k).is_some_and(char::is_ascii_digit);
    let prev = i.checked_sub(1).map(|j| s[j]);
    if let Some(p) = prev
        && (p.is_ascii_alphanumeric() || "+_./\\#&=@%¥$€£".contains(p))
    {
        return None;
    }
    if after_order_keyword(s, i) {
        return None;
    }
    let found = [
        Prefix::Marked(Country::Cn),
        Prefix::Marked(Country::Hk),
        Prefix::Bare(Country::Cn),
        Prefix::Bare(Country::Hk),
        Prefix::None,
    ]
    .into_iter()
    .find_map(|prefix| {
        let start = match prefix {
            Prefix::None => i,
            _ => prefix_end(s, i, prefix)?,
        };
        national(s, start, prefix)
    })
    .or_else(|| parenthesised_area(s, i))?;

    // The number must not run on into a code, a decimal, an amount or a longer grouping.
    let next = s.get(found.end).copied();
    let runs_on = next.is_some_and(|n| {
        n.is_ascii_alphanumeric()
            || matches!(n, '_' | '@' | '%' | '元' | '块' | '円')
            || (matches!(n, '.' | ',' | '-') && digit_at(found.end + 1))
            || (n == ' ' && found.spaced && digit_at(found.end + 1))
    });
    let runs_in = i >= 2
        && digit_at(i - 2)
        && (matches!(prev, Some('-' | '.' | ',')) || (prev == Some(' ') && found.spaced));
    (!runs_on && !runs_in).then_some((found.end, found.e164))
}

/// Whether the text before `i` ends with a word that introduces an order, tracking or other
/// reference number (ignoring a `:`, `#` or space in between).
fn after_order_keyword(s: &[char], i: usize) -> bool {
    let mut k = i;
    while k > 0 && i - k < 3 && matches!(s[k - 1], ' ' | ':' | '：' | '#' | '＃' | '=') {
        k -= 1;
    }
    let before = &s[..k];
    const WORDS: [&str; 11] = [
        "单号",
        "订单",
        "运单",
        "编号",
        "卡号",
        "工单",
        "流水号",
        "序列号",
        "order",
        "id",
        "no",
    ];
    WORDS.iter().any(|w| {
        let n = w.chars().count();
        if n > before.len() {
            return false;
        }
        let tail = &before[before.len() - n..];
        let ascii = w.is_ascii();
        tail.iter()
            .zip(w.chars())
            .all(|(a, b)| a.eq_ignore_ascii_case(&b))
            && !(ascii && before.len() > n && before[before.len() - n - 1].is_ascii_alphanumeric())
    })
}

fn match_str(s: &[char], at: usize, lit: &str) -> Option<usize> {
    let mut k = at;
    for c in lit.chars() {
        if s.get(k) != Some(&c) {
            return None;
        }
        k += 1;
    }
    Some(k)
}

/// Where the national number starts after a country prefix at `i`, if `prefix` is there.
fn prefix_end(s: &[char], i: usize, prefix: Prefix) -> Option<usize> {
    let is_sep = |k: usize| matches!(s.get(k), Some(' ' | '-'));
    let (code, marked) = match prefix {
        Prefix::Marked(Country::Cn) => ("86", true),
        Prefix::Marked(Country::Hk) => ("852", true),
        Prefix::Bare(Country::Cn) => ("86", false),
        Prefix::Bare(Country::Hk) => ("852", false),
        Prefix::None => return None,
    };
    let code_end = |k: usize| match_str(s, k, code);
    let end = if marked {
        match s[i] {
            '+' => code_end(i + 1)?,
            '(' => {
                let k = if s.get(i + 1) == Some(&'+') {
                    i + 2
                } else {
                    i + 1
                };
                let close = code_end(k)?;
                match_str(s, close, ")")?
            }
            _ => {
                // `0086 ` / `00852 `: a separator must follow.
                let end = code_end(match_str(s, i, "00")?)?;
                if !is_sep(end) {
                    return None;
                }
                end
            }
        }
    } else {
        let end = code_end(i)?;
        if !is_sep(end) {
            return None;
        }
        end
    };
    Some(if is_sep(end) { end + 1 } else { end })
}

/// Digit groups from `at`, joined by one separator (` ` or `-`, the same throughout); at most
/// four groups. Returns each group's (start, len) and the separator.
fn digit_groups(s: &[char], at: usize) -> (Vec<(usize, usize)>, Option<char>) {
    let run = |k: usize| s[k..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mut groups = Vec::with_capacity(4);
    let mut sep = None;
    let first = run(at);
    if first == 0 {
        return (groups, sep);
    }
    groups.push((at, first));
    let mut end = at + first;
    while groups.len() < 4 {
        match s.get(end) {
            Some(&c @ (' ' | '-'))
                if sep.is_none_or(|p| p == c)
                    && s.get(end + 1).is_some_and(char::is_ascii_digit) =>
            {
                let len = run(end + 1);
                groups.push((end + 1, len));
                sep = Some(c);
                end += 1 + len;
            }
            _ => break,
        }
    }
    (groups, sep)
}

fn is_mobile(d: &str) -> bool {
    let b = d.as_bytes();
    b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1])
}

/// The length of the area code (without its `0`) that `nat` starts with.
fn area_len(nat: &str) -> Option<usize> {
    match nat.as_bytes() {
        [b'1', b'0', ..] => Some(2),
        [b'2', _, ..] => Some(2),
        [b'3'..=b'9', _, _, ..] => Some(3),
        _ => None,
    }
}

fn is_local(d: &str) -> bool {
    (7..=8).contains(&d.len()) && d.as_bytes()[0] >= b'2'
}

/// A national number at `at`, shaped as `prefix` allows.
fn national(s: &[char], at: usize, prefix: Prefix) -> Option<Found> {
    let (groups, sep) = digit_groups(s, at);
    let spaced_prefix = at > 0 && s[at - 1] == ' ' && prefix != Prefix::None;
    for k in 1..=groups.len().min(3) {
        // A number written in groups must not be followed by another group.
        if k < groups.len() && (k > 1 || sep == Some('-')) {
            continue;
        }
        let lens: Vec<usize> = groups[..k].iter().map(|g| g.1).collect();
        let digits: String = groups[..k]
            .iter()
            .flat_map(|&(st, len)| s[st..st + len].iter())
            .collect();
        let (last_start, last_len) = groups[k - 1];
        let found = |cc: &str, nat: &str| Found {
            end: last_start + last_len,
            e164: format!("+{cc}{nat}"),
            spaced: spaced_prefix || (k > 1 && sep == Some(' ')),
        };
        let country = match prefix {
            Prefix::None => Country::Cn,
            Prefix::Marked(c) | Prefix::Bare(c) => c,
        };
        match country {
            Country::Hk => {
                let shape = matches!(lens[..], [8] | [4, 4]);
                if shape && digits.as_bytes()[0] >= b'2' {
                    return Some(found("852", &digits));
                }
            }
            Country::Cn => {
                if matches!(lens[..], [11] | [3, 4, 4] | [3, 8]) && is_mobile(&digits) {
                    return Some(found("86", &digits));
                }
                if let Prefix::Bare(_) = prefix {
                    continue;
                }
                // Landline: [0]area local, contiguous or as area + local (+ local split 3/4 + 4).
                let trunk = usize::from(digits.starts_with('0'));
                if prefix == Prefix::None && (trunk == 0 || (k == 1 && digits.len() > 11)) {
                    continue;
                }
                let nat = &digits[trunk..];
                let Some(area) = area_len(nat) else { continue };
                let shape_ok = match lens[..] {
                    [_] => true,
                    [a, _] => a == trunk + area,
                    [a, l1, 4] => a == trunk + area && (3..=4).contains(&l1),
                    _ => false,
                };
                if shape_ok && is_local(&nat[area..]) {
                    return Some(found("86", nat));
                }
            }
        }
    }
    None
}

/// A landline with its area code in parentheses: `(010)62345678`, `(0755) 2345 6789`.
fn parenthesised_area(s: &[char], i: usize) -> Option<Found> {
    if s[i] != '(' || s.get(i + 1) != Some(&'0') {
        return None;
    }
    let area_digits = s[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
    let close = i + 1 + area_digits;
    if s.get(close) != Some(&')') {
        return None;
    }
    let area: String = s[i + 2..close].iter().collect();
    if area_len(&area) != Some(area.len()) {
        return None;
    }
    let spaced = s.get(close + 1) == Some(&' ');
    let at = close + 1 + usize::from(spaced);
    let (groups, sep) = digit_groups(s, at);
    for k in 1..=groups.len().min(2) {
        if k < groups.len() && (k > 1 || sep == Some('-')) {
            continue;
        }
        let lens: Vec<usize> = groups[..k].iter().map(|g| g.1).collect();
        let local: String = groups[..k]
            .iter()
            .flat_map(|&(st, len)| s[st..st + len].iter())
            .collect();
        let shape_ok = match lens[..] {
            [_] => true,
            [l1, 4] => (3..=4).contains(&l1),
            _ => false,
        };
        if shape_ok && is_local(&local) {
            let (st, len) = groups[k - 1];
            return Some(Found {
                end: st + len,
                e164: format!("+86{area}{local}"),
                spaced: spaced || (k > 1 && sep == Some(' ')),
            });
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Emoji.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Pictograph {
    No,
    /// An emoji on its own.
    Emoji,
    /// Ordinary typography unless U+FE0F (or a skin tone) follows.
    TextDefault,
}

/// Code point ranges (inclusive) of emoji characters, sorted, from Unicode's emoji data
/// (`Emoji=Yes`, excluding the components handled apart: digits, `#`, `*`, regional indicators
/// are listed, skin tones fall inside 1F300..1F64F). `true`: an emoji on its own; `false`:
/// text-style until U+FE0F. Whole blocks where every assigned character is a pictograph are
/// one range.
const EMOJI_RANGES: &[(u32, u32, bool)] = &[
    (0x00A9, 0x00A9, false),
    (0x00AE, 0x00AE, false),
    (0x203C, 0x203C, false),
    (0x2049, 0x2049, false),
    (0x2122, 0x2122, false),
    (0x2139, 0x2139, false),
    (0x2194, 0x2199, false),
    (0x21A9, 0x21AA, false),
    (0x231A, 0x231B, true),
    (0x2328, 0x2328, true),
    (0x23CF, 0x23CF, true),
    (0x23E9, 0x23F3, true),
    (0x23F8, 0x23FA, true),
    (0x24C2, 0x24C2, false),
    (0x25AA, 0x25AB, false),
    (0x25B6, 0x25B6, false),
    (0x25C0, 0x25C0, false),
    (0x25FB, 0x25FC, false),
    (0x25FD, 0x25FE, true),
    (0x2600, 0x2604, true),
    (0x260E, 0x260E, true),
    (0x2611, 0x2611, true),
    (0x2614, 0x2615, true),
    (0x2618, 0x2618, true),
    (0x261D, 0x261D, true),
    (0x2620, 0x2620, true),
    (0x2622, 0x2623, true),
    (0x2626, 0x2626, true),
    (0x262A, 0x262A, true),
    (0x262E, 0x262F, true),
    (0x2638, 0x263A, true),
    (0x2640, 0x2640, false),
    (0x2642, 0x2642, false),
    (0x2648, 0x2653, true),
    (0x265F, 0x2660, false),
    (0x2663, 0x2663, false),
    (0x2665, 0x2665, true),
    (0x2666, 0x2666, false),
    (0x2668, 0x2668, true),
    (0x267B, 0x267B, true),
    (0x267E, 0x267F, true),
    (0x2692, 0x2697, true),
    (0x2699, 0x2699, true),
    (0x269B, 0x269C, true),
    (0x26A0, 0x26A1, true),
    (0x26A7, 0x26A7, false),
    (0x26AA, 0x26AB, true),
    (0x26B0, 0x26B1, true),
    (0x26BD, 0x26BE, true),
    (0x26C4, 0x26C5, true),
    (0x26C8, 0x26C8, true),
    (0x26CE, 0x26CF, true),
    (0x26D1, 0x26D1, true),
    (0x26D3, 0x26D4, true),
    (0x26E9, 0x26EA, true),
    (0x26F0, 0x26F5, true),
    (0x26F7, 0x26FA, true),
    (0x26FD, 0x26FD, true),
    (0x2702, 0x2702, true),
    (0x2705, 0x2705, true),
    (0x2708, 0x270D, true),
    (0x270F, 0x270F, true),
    (0x2712, 0x2712, true),
    (0x2714, 0x2714, true),
    (0x2716, 0x2716, true),
    (0x271D, 0x271D, true),
    (0x2721, 0x2721, true),
    (0x2728, 0x2728, true),
    (0x2733, 0x2734, true),
    (0x2744, 0x2744, true),
    (0x2747, 0x2747, true),
    (0x274C, 0x274C, true),
    (0x274E, 0x274E, true),
    (0x2753, 0x2755, true),
    (0x2757, 0x2757, true),
    (0x2763, 0x2764, true),
    (0x2795, 0x2797, true),
    (0x27A1, 0x27A1, false),
    (0x27B0, 0x27B0, true),
    (0x27BF, 0x27BF, true),
    (0x2934, 0x2935, false),
    (0x2B05, 0x2B07, false),
    (0x2B1B, 0x2B1C, true),
    (0x2B50, 0x2B50, true),
    (0x2B55, 0x2B55, true),
    (0x3030, 0x3030, false),
    (0x303D, 0x303D, false),
    (0x3297, 0x3297, false),
    (0x3299, 0x3299, false),
    (0x1F004, 0x1F004, true),
    (0x1F0CF, 0x1F0CF, true),
    (0x1F170, 0x1F171, false),
    (0x1F17E, 0x1F17F, false),
    (0x1F18E, 0x1F18E, true),
    (0x1F191, 0x1F19A, true),
    (0x1F1E6, 0x1F1FF, true),
    (0x1F201, 0x1F201, true),
    (0x1F202, 0x1F202, false),
    (0x1F21A, 0x1F21A, true),
    (0x1F22F, 0x1F22F, true),
    (0x1F232, 0x1F236, true),
    (0x1F237, 0x1F237, false),
    (0x1F238, 0x1F23A, true),
    (0x1F250, 0x1F251, true),
    (0x1F300, 0x1F64F, true),
    (0x1F680, 0x1F6FF, true),
    (0x1F7E0, 0x1F7FF, true),
    (0x1F90C, 0x1F9FF, true),
    (0x1FA70, 0x1FAFF, true),
];

fn pictograph(c: char) -> Pictograph {
    let cp = c as u32;
    if cp < 0xA9 {
        return Pictograph::No;
    }
    let i = EMOJI_RANGES.partition_point(|&(_, hi, _)| hi < cp);
    match EMOJI_RANGES.get(i) {
        Some(&(lo, _, own)) if lo <= cp => {
            if own {
                Pictograph::Emoji
            } else {
                Pictograph::TextDefault
            }
        }
        _ => Pictograph::No,
    }
}

fn is_skin_tone(c: char) -> bool {
    matches!(c, '\u{1F3FB}'..='\u{1F3FF}')
}

fn is_regional_indicator(c: char) -> bool {
    matches!(c, '\u{1F1E6}'..='\u{1F1FF}')
}

fn is_tag(c: char) -> bool {
    matches!(c, '\u{E0020}'..='\u{E007F}')
}

/// Whether `c` can be followed by a ZWJ inside an emoji sequence.
fn continues_emoji(c: char) -> bool {
    pictograph(c) != Pictograph::No || c == VS16 || is_tag(c) || c == KEYCAP
}

/// The length in characters of the emoji grapheme starting at `i`, or 0.
fn emoji_len(s: &[char], i: usize) -> usize {
    let at = |k: usize| s.get(k).copied();
    let c = s[i];
    // `j`: the end of the base (a keycap, a flag or a pictograph).
    let mut j = if matches!(c, '0'..='9' | '#' | '*') {
        let k = if at(i + 1) == Some(VS16) {
            i + 2
        } else {
            i + 1
        };
        if at(k) != Some(KEYCAP) {
            return 0;
        }
        k + 1
    } else if is_regional_indicator(c) {
        if at(i + 1).is_some_and(is_regional_indicator) {
            i + 2
        } else {
            i + 1
        }
    } else {
        let next = at(i + 1);
        match pictograph(c) {
            Pictograph::No => return 0,
            Pictograph::TextDefault if next != Some(VS16) && !next.is_some_and(is_skin_tone) => {
                return 0;
            }
            _ if next == Some(VS15) => return 0,
            _ => i + 1,
        }
    };
    // Modifiers, then any number of `ZWJ pictograph` links.
    loop {
        while at(j).is_some_and(|n| n == VS16 || is_skin_tone(n) || is_tag(n) || n == KEYCAP) {
            j += 1;
        }
        if at(j) == Some(ZWJ) && at(j + 1).is_some_and(|n| pictograph(n) != Pictograph::No) {
            j += 2;
        } else {
            return j - i;
        }
    }
}

fn emoji_in(s: &[char]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        match emoji_len(s, i) {
            0 => i += 1,
            n => {
                out.push(s[i..i + n].iter().collect());
                i += n;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{normalize, strip_emoji};

    fn text(input: &str) -> String {
        normalize(input).text
    }

    fn phones(input: &str) -> Vec<String> {
        normalize(input).phones
    }

    // Whitespace and invisible characters.

    #[test]
    fn whitespace_runs_collapse_to_one_space_and_the_ends_are_trimmed() {
        assert_eq!(text("  你好 \t  在吗  "), "你好 在吗");
        assert_eq!(text("你好\u{3000}\u{3000}在吗\u{00A0}?"), "你好 在吗 ?");
    }

    #[test]
    fn a_run_with_a_line_break_becomes_one_newline() {
        assert_eq!(
            text("收货人：王女士 \r\n\r\n  电话见下\n\n地址：深圳"),
            "收货人：王女士\n电话见下\n地址：深圳"
        );
        assert_eq!(text("\n\n你好\n"), "你好");
    }

    #[test]
    fn zero_width_and_direction_characters_are_removed() {
        assert_eq!(
            text("\u{FEFF}退\u{200B}款\u{200C}呀\u{200E}\u{2060}"),
            "退款呀"
        );
        assert_eq!(text("a\u{200D}b"), "ab");
        assert_eq!(text("退\u{00AD}款\u{0007}"), "退款");
    }

    #[test]
    fn the_wechat_space_after_a_mention_becomes_a_plain_space() {
        assert_eq!(text("@小王\u{2005}在吗"), "@小王 在吗");
    }

    // Width.

    #[test]
    fn full_width_letters_digits_and_matching_symbols_become_ascii() {
        assert_eq!(text("ＡＢＣ１２３"), "ABC123");
        assert_eq!(text("ＶＩＰ会员打８折，５０％"), "VIP会员打8折，50%");
        assert_eq!(text("￥１９９＋运费"), "¥199+运费");
        assert_eq!(text("＃活动＃ ａ＠ｂ"), "#活动# a@b");
    }

    #[test]
    fn chinese_full_width_punctuation_is_kept() {
        let s = "好的，谢谢。可以吗？太好了！时间：明天；「包邮」、《说明》【活动】～";
        assert_eq!(text(s), s);
        assert!(!normalize(s).changed);
    }

    #[test]
    fn full_stops_colons_and_tildes_between_digits_become_ascii() {
        assert_eq!(text("１２．５元"), "12.5元");
        assert_eq!(text("ｗｗｗ．ｑｑ．ｃｏｍ"), "www.qq.com");
        assert_eq!(text("１０：３０到"), "10:30到");
        assert_eq!(text("３～５天"), "3~5天");
        assert_eq!(text("好的．"), "好的．");
        assert_eq!(text("时间：１０点"), "时间：10点");
    }

    #[test]
    fn full_width_parentheses_around_ascii_become_ascii_and_around_chinese_stay() {
        assert_eq!(text("单号（ＳＦ１２３）"), "单号(SF123)");
        assert_eq!(text("快递（顺丰）"), "快递（顺丰）");
        assert_eq!(text("（　）"), "（ ）");
    }

    // Traditional → Simplified.

    #[test]
    fn traditional_characters_become_simplified() {
        assert_eq!(text("請問訂單幾時發貨？"), "请问订单几时发货？");
    }

    #[test]
    fn the_words_with_merged_characters_convert_correctly() {
        assert_eq!(text("關係"), "关系");
        assert_eq!(text("沒關係"), "没关系");
        assert_eq!(text("頭髮"), "头发");
        assert_eq!(text("後面"), "后面");
        assert_eq!(text("裡面"), "里面");
        assert_eq!(text("聯繫客服"), "联系客服");
        assert_eq!(text("係統升級"), "系统升级");
        assert_eq!(text("乾淨"), "干净");
    }

    #[test]
    fn context_dependent_characters_keep_the_common_words_intact() {
        assert_eq!(text("著名品牌"), "著名品牌");
        assert_eq!(text("效果顯著"), "效果显著");
        assert_eq!(text("看著辦"), "看着办");
        assert_eq!(text("上面寫著名字"), "上面写着名字");
        assert_eq!(text("等著作业"), "等着作业");
        assert_eq!(text("請回覆"), "请回复");
        assert_eq!(text("覆蓋"), "覆盖");
        assert_eq!(text("乾隆"), "乾隆");
        assert_eq!(text("瞭解"), "了解");
        assert_eq!(text("帳號"), "账号");
        assert_eq!(text("露營帳篷"), "露营帐篷");
        assert_eq!(text("項鍊"), "项链");
        assert_eq!(text("鍛鍊身體"), "锻炼身体");
    }

    #[test]
    fn cantonese_stays_cantonese_with_its_characters_simplified() {
        assert_eq!(text("唔係嘅"), "唔係嘅");
        assert_eq!(text("點解仲未發貨？係咪寄咗"), "点解仲未发货？係咪寄咗");
        assert_eq!(text("佢哋話冇貨喎"), "佢哋话冇货喎");
        assert_eq!(text("有冇關係"), "有冇关系");
    }

    #[test]
    fn simplified_text_is_left_alone() {
        let s = "你好，我想查一下订单，着急用";
        assert_eq!(text(s), s);
        assert!(!normalize(s).changed);
    }

    // Protected spans.

    #[test]
    fn urls_are_not_simplified_or_rewritten() {
        let n = normalize("看這個https://shop.example.com/p?tel=13800138000&q=1，點解打唔開");
        assert_eq!(
            n.text,
            "看这个https://shop.example.com/p?tel=13800138000&q=1，点解打唔开"
        );
        assert!(n.phones.is_empty());
        assert_eq!(text("網址 www.example.tw/訂單"), "网址 www.example.tw/订单");
    }

    #[test]
    fn email_addresses_are_not_phone_numbers() {
        let n = normalize("郵箱13800138000@qq.com，電話13900139000");
        assert_eq!(n.text, "邮箱13800138000@qq.com，电话+8613900139000");
        assert_eq!(n.phones, ["+8613900139000"]);
        assert_eq!(
            text("Ｓｕｐｐｏｒｔ＠ｅｘａｍｐｌｅ．ｃｏｍ"),
            "Support@example.com"
        );
    }

    #[test]
    fn mentions_keep_their_traditional_names() {
        assert_eq!(text("@張三 請問幾點開門"), "@張三 请问几点开门");
        assert_eq!(text("@陳美玲，謝謝"), "@陳美玲，谢谢");
    }

    // Emoji.

    #[test]
    fn emoji_stay_in_the_text_and_are_listed_as_whole_graphemes() {
        let family = "👨\u{200D}👩\u{200D}👧";
        let input = format!("好的👍🏻{family}🇨🇳1️⃣❤️😂😂");
        let n = normalize(&input);
        assert_eq!(n.text, input);
        assert_eq!(n.emoji, ["👍🏻", family, "🇨🇳", "1️⃣", "❤️", "😂", "😂"]);
        assert!(!n.changed);
    }

    #[test]
    fn zwj_sequences_with_gender_and_profession_signs_are_one_emoji() {
        let n = normalize("客服小姐姐🙋\u{200D}♀\u{FE0F}和👩🏽\u{200D}💻");
        assert_eq!(n.emoji, ["🙋\u{200D}♀\u{FE0F}", "👩🏽\u{200D}💻"]);
        let scotland = "🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}";
        assert_eq!(normalize(scotland).emoji, [scotland]);
    }

    #[test]
    fn decorative_symbols_and_text_style_characters_are_not_emoji() {
        let n = normalize("★★★★☆好评✿❶ ✓ ♪ ©2024 #1 ▶下一步 ♂");
        assert!(n.emoji.is_empty(), "{:?}", n.emoji);
        assert_eq!(normalize("©\u{FE0F} ☀ ❤").emoji, ["©\u{FE0F}", "☀", "❤"]);
    }

    #[test]
    fn strip_emoji_removes_emoji_and_the_space_they_leave() {
        assert_eq!(strip_emoji("好的 👍 谢谢"), "好的 谢谢");
        assert_eq!(strip_emoji("👍🏻 好的"), "好的");
        assert_eq!(strip_emoji("收到了😂😂"), "收到了");
        assert_eq!(
            strip_emoji("好的 🙏🏻\n明天见 👨\u{200D}👩\u{200D}👧"),
            "好的\n明天见"
        );
        assert_eq!(strip_emoji("🇨🇳1️⃣"), "");
    }

    #[test]
    fn strip_emoji_keeps_text_numbers_and_decorative_symbols() {
        let s = "★好评 订单123 #1 ©2024 @小王 +8613800138000";
        assert_eq!(strip_emoji(s), s);
    }

    // Phone numbers.

    #[test]
    fn mainland_mobiles_in_any_common_spelling_become_e164() {
        for written in [
            "13800138000",
            "138 0013 8000",
            "138-0013-8000",
            "138 00138000",
            "+8613800138000",
            "+86 138 0013 8000",
            "+86-13800138000",
            "(+86)13800138000",
            "0086 13800138000",
            "86 138-0013-8000",
            "１３８－００１３－８０００",
            "138　0013　8000",
        ] {
            let n = normalize(&format!("电话{written}，谢谢"));
            assert_eq!(n.text, "电话+8613800138000，谢谢", "{written}");
            assert_eq!(n.phones, ["+8613800138000"], "{written}");
        }
    }

    #[test]
    fn mainland_landlines_become_e164_without_the_trunk_zero() {
        assert_eq!(phones("010-62345678"), ["+861062345678"]);
        assert_eq!(phones("座机 021 6123 4567"), ["+862161234567"]);
        assert_eq!(phones("0755-23456789"), ["+8675523456789"]);
        assert_eq!(phones("（0755）2345 6789"), ["+8675523456789"]);
        assert_eq!(phones("(010)62345678"), ["+861062345678"]);
        assert_eq!(phones("01062345678"), ["+861062345678"]);
        assert_eq!(phones("+86 10 6234 5678"), ["+861062345678"]);
        assert_eq!(phones("+86 0755-23456789"), ["+8675523456789"]);
        assert_eq!(phones("0571-8765432"), ["+865718765432"]);
    }

    #[test]
    fn hong_kong_numbers_are_taken_only_with_their_prefix() {
        assert_eq!(phones("+852 9123 4567"), ["+85291234567"]);
        assert_eq!(phones("852-91234567"), ["+85291234567"]);
        assert_eq!(phones("(852) 2345 6789"), ["+85223456789"]);
        assert_eq!(phones("00852 6123 4567"), ["+85261234567"]);
        let n = normalize("我電話係9123 4567，唔該");
        assert_eq!(n.text, "我电话係9123 4567，唔该");
        assert!(n.phones.is_empty());
    }

    #[test]
    fn order_and_tracking_numbers_are_untouched() {
        for s in [
            "单号SF1234567890",
            "订单号：202411051380013800",
            "订单13800138000",
            "运单号 13800138000",
            "order #13800138000",
            "JD0012345678901",
            "快递YT1380013800012",
            "卡号 6222 0213 8001 3800",
        ] {
            let n = normalize(s);
            assert!(n.phones.is_empty(), "{s}: {:?}", n.phones);
            assert_eq!(n.text, s);
        }
    }

    #[test]
    fn amounts_dates_times_and_long_digit_runs_are_untouched() {
        for s in [
            "¥199",
            "¥13800138000",
            "13800138000元",
            "2024-11-05 13:00",
            "20241105",
            "075523456789",
            "8613800138000",
            "008613800138000",
            "1380013800012345",
            "1.3800138000",
            "3.5折",
        ] {
            let n = normalize(s);
            assert!(n.phones.is_empty(), "{s}: {:?}", n.phones);
            assert_eq!(n.text, s);
        }
    }

    #[test]
    fn a_number_joined_to_more_digit_groups_is_part_of_a_longer_code() {
        for s in [
            "138 0013 8000 1234",
            "13800138000-01",
            "0755-2345 6789-8001",
            "1234-13800138000",
        ] {
            assert!(phones(s).is_empty(), "{s}");
        }
    }

    #[test]
    fn service_numbers_are_left_as_written() {
        assert_eq!(
            text("客服热线400-820-8820或95588"),
            "客服热线400-820-8820或95588"
        );
    }

    #[test]
    fn several_phone_numbers_are_all_found_in_order() {
        let n = normalize("手机13800138000 13900139000，座机010-62345678");
        assert_eq!(
            n.text,
            "手机+8613800138000 +8613900139000，座机+861062345678"
        );
        assert_eq!(
            n.phones,
            ["+8613800138000", "+8613900139000", "+861062345678"]
        );
    }

    // The whole.

    #[test]
    fn the_changed_flag_says_whether_the_text_differs_from_the_input() {
        assert!(!normalize("好的").changed);
        assert!(normalize(" 好的").changed);
        assert!(normalize("13800138000").changed);
        assert!(!normalize("").changed);
        let blank = normalize("  \u{3000}\n ");
        assert_eq!((blank.text.as_str(), blank.changed), ("", true));
    }

    #[test]
    fn the_example_in_the_module_docs_holds() {
        let n = normalize("請問 ＳＦ１２３４５６７８９０ 到咗未？電話 138 0013 8000 🙏🏻");
        assert_eq!(n.text, "请问 SF1234567890 到咗未？电话 +8613800138000 🙏🏻");
        assert_eq!(n.phones, ["+8613800138000"]);
        assert_eq!(n.emoji, ["🙏🏻"]);
        assert!(n.changed);
        assert_eq!(
            strip_emoji(&n.text),
            "请问 SF1234567890 到咗未？电话 +8613800138000"
        );
    }

    const SAMPLES: &[&str] = &[
        "請問 ＳＦ１２３４５６７８９０ 到咗未？電話 138 0013 8000 🙏🏻",
        "  ＶＩＰ　會員（ＡＢＣ）\n\n\n  打８折 ￥１９９～２９９ ",
        "@張三\u{2005}點解仲未發貨 +852 9123 4567 https://a.hk/查詢?id=1",
        "顯著著名乾隆帳篷項鍊關係係統唔係 13800138000@qq.com (010)62345678",
        "👨\u{200D}👩\u{200D}👧\u{200D}好\u{200D}的\u{200B}👍🏻 ❤ ©\u{FE0F} 1️⃣",
        "（+86）13800138000）０７５５－２３４５６７８９．",
    ];

    #[test]
    fn normalizing_twice_changes_nothing() {
        for s in SAMPLES {
            let once = normalize(s);
            let twice = normalize(&once.text);
            assert_eq!(twice.text, once.text, "{s}");
            assert_eq!(twice.phones, once.phones, "{s}");
            assert_eq!(twice.emoji, once.emoji, "{s}");
        }
    }

    #[test]
    fn normalizing_twice_changes_nothing_on_the_datasets() {
        let data = [
            include_str!("../../../datasets/dialect/train.jsonl"),
            include_str!("../../../datasets/intent/train.jsonl"),
            include_str!("../../../datasets/intent/train_extra.jsonl"),
        ];
        let mut n = 0;
        for line in data.iter().flat_map(|d| d.lines()) {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            let Some(s) = v["text"].as_str() else {
                continue;
            };
            let once = normalize(s).text;
            assert_eq!(normalize(&once).text, once, "{s}");
            n += 1;
        }
        assert!(n > 1000, "only {n} lines");
    }
}
