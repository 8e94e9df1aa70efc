//! Answer templates: `{var}` fills a variable, `[a|b|c]` renders the first alternative whose
//! variables are all known (or nothing), `{?var}` renders nothing but needs `var`, and
//! `{!var}` renders nothing but needs `var` to be unknown.
//!
//! This is how the skill pack keeps its promise never to invent a price or a seat count: a
//! variable the tenant's data does not hold is simply absent, so a template either picks an
//! alternative that does not need it or fails to render as a whole (and the script is skipped).
//! Nothing is ever filled with a guess.

use std::fmt;

/// Why a template could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateError {
    /// A variable outside any `[…]` alternative has no value.
    Missing(String),
    /// The template is malformed (unbalanced brackets, an unclosed `{`).
    Syntax(String),
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TemplateError::Missing(v) => write!(f, "variable {{{v}}} has no value"),
            TemplateError::Syntax(s) => write!(f, "malformed template: {s}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Text(String),
    Var(String),
    /// Needs the variable, renders nothing.
    Has(String),
    /// Needs the variable to be unknown, renders nothing.
    Lacks(String),
    /// `[alt|alt|…]`: the first alternative that renders.
    Choice(Vec<Vec<Node>>),
}

/// A parsed template, ready to render many times.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    nodes: Vec<Node>,
    /// The length of the text parts, a first guess at the rendered length.
    text_len: usize,
}

impl Template {
    pub fn parse(template: &str) -> Result<Template, TemplateError> {
        let nodes = parse(template)?;
        Ok(Template {
            text_len: text_len(&nodes),
            nodes,
        })
    }

    /// Renders the template, looking variables up with `lookup` (which returns `None` for
    /// unknown or empty values).
    pub fn render<'a>(
        &self,
        lookup: &dyn Fn(&str) -> Option<&'a str>,
    ) -> Result<String, TemplateError> {
        let mut out = String::with_capacity(self.text_len + 64);
        match render_seq(&self.nodes, lookup, &mut out) {
            Ok(()) => Ok(out),
            Err(node) => Err(match node {
                Node::Lacks(v) => TemplateError::Missing(format!("!{v}")),
                Node::Var(v) | Node::Has(v) => TemplateError::Missing(v.clone()),
                _ => unreachable!("only variables fail"),
            }),
        }
    }
}

fn text_len(nodes: &[Node]) -> usize {
    nodes
        .iter()
        .map(|n| match n {
            Node::Text(t) => t.len(),
            Node::Choice(alts) => alts.first().map_or(0, |a| text_len(a)),
            _ => 0,
        })
        .sum()
}

/// Checks a template's syntax without rendering it.
pub fn validate(template: &str) -> Result<(), TemplateError> {
    parse(template).map(|_| ())
}

/// Renders `template`, looking variables up with `lookup` (which returns `None` for unknown
/// or empty values).
pub fn render<'a>(
    template: &str,
    lookup: &dyn Fn(&str) -> Option<&'a str>,
) -> Result<String, TemplateError> {
    Template::parse(template)?.render(lookup)
}

/// Renders `nodes` onto `out`; on failure returns the node that failed (and `out` holds a
/// partial rendering the caller discards).
fn render_seq<'n, 'a>(
    nodes: &'n [Node],
    lookup: &dyn Fn(&str) -> Option<&'a str>,
    out: &mut String,
) -> Result<(), &'n Node> {
    for node in nodes {
        match node {
            Node::Text(t) => out.push_str(t),
            Node::Var(v) => match lookup(v) {
                Some(value) if !value.is_empty() => out.push_str(value),
                _ => return Err(node),
            },
            Node::Has(v) => {
                if lookup(v).is_none_or(str::is_empty) {
                    return Err(node);
                }
            }
            Node::Lacks(v) => {
                if lookup(v).is_some_and(|s| !s.is_empty()) {
                    return Err(node);
                }
            }
            Node::Choice(alternatives) => {
                let start = out.len();
                for alt in alternatives {
                    if render_seq(alt, lookup, out).is_ok() {
                        break;
                    }
                    out.truncate(start);
                }
            }
        }
    }
    Ok(())
}

fn parse(template: &str) -> Result<Vec<Node>, TemplateError> {
    let chars: Vec<char> = template.chars().collect();
    let mut pos = 0;
    let (nodes, end) = parse_seq(&chars, &mut pos, 0)?;
    match end {
        None => Ok(nodes),
        Some(c) => Err(TemplateError::Syntax(format!("unexpected `{c}`"))),
    }
}

/// Parses until the end, or (inside brackets) until `|` or `]`, which it returns.
fn parse_seq(
    chars: &[char],
    pos: &mut usize,
    depth: usize,
) -> Result<(Vec<Node>, Option<char>), TemplateError> {
    let mut nodes = Vec::new();
    let mut text = String::new();
    while *pos < chars.len() {
        let c = chars[*pos];
        *pos += 1;
        match c {
            '\\' if *pos < chars.len() => {
                text.push(chars[*pos]);
                *pos += 1;
            }
            '{' => {
                let start = *pos;
                while *pos < chars.len() && chars[*pos] != '}' {
                    *pos += 1;
                }
                if *pos >= chars.len() {
                    return Err(TemplateError::Syntax("unclosed `{`".into()));
                }
                let name: String = chars[start..*pos].iter().collect();
                *pos += 1;
                let name = name.trim();
                let node = if let Some(n) = name.strip_prefix('?') {
                    Node::Has(n.to_owned())
                } else if let Some(n) = name.strip_prefix('!') {
                    Node::Lacks(n.to_owned())
                } else {
                    Node::Var(name.to_owned())
                };
                if name.trim_start_matches(['?', '!']).is_empty() {
                    return Err(TemplateError::Syntax("empty `{}`".into()));
                }
                flush(&mut text, &mut nodes);
                nodes.push(node);
            }
            '[' => {
                flush(&mut text, &mut nodes);
                let mut alternatives = Vec::new();
                loop {
                    let (alt, end) = parse_seq(chars, pos, depth + 1)?;
                    alternatives.push(alt);
                    match end {
                        Some('|') => continue,
                        Some(']') => break,
                        _ => return Err(TemplateError::Syntax("unclosed `[`".into())),
                    }
                }
                nodes.push(Node::Choice(alternatives));
            }
            '|' | ']' if depth > 0 => {
                flush(&mut text, &mut nodes);
                return Ok((nodes, Some(c)));
            }
            ']' => return Err(TemplateError::Syntax("`]` without `[`".into())),
            _ => text.push(c),
        }
    }
    flush(&mut text, &mut nodes);
    Ok((nodes, None))
}

fn flush(text: &mut String, nodes: &mut Vec<Node>) {
    if !text.is_empty() {
        nodes.push(Node::Text(std::mem::take(text)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn r(t: &str, vars: &[(&str, &str)]) -> Result<String, TemplateError> {
        let map: HashMap<&str, &str> = vars.iter().copied().collect();
        render(t, &|k| map.get(k).copied())
    }

    #[test]
    fn fills_known_variables() {
        assert_eq!(
            r(
                "{customer_name}您好，{course}在{campus}上课",
                &[
                    ("customer_name", "王女士"),
                    ("course", "少儿英语"),
                    ("campus", "天河校区")
                ]
            )
            .unwrap(),
            "王女士您好，少儿英语在天河校区上课"
        );
    }

    #[test]
    fn unknown_variable_outside_brackets_fails_instead_of_guessing() {
        assert_eq!(
            r("学费是{price}", &[]),
            Err(TemplateError::Missing("price".into()))
        );
        assert_eq!(
            r("学费是{price}", &[("price", "")]),
            Err(TemplateError::Missing("price".into()))
        );
    }

    #[test]
    fn alternatives_fall_back_when_data_is_missing() {
        let t = "[学费是{price}|具体收费以校区顾问报价为准]。";
        assert_eq!(r(t, &[("price", "2980元")]).unwrap(), "学费是2980元。");
        assert_eq!(r(t, &[]).unwrap(), "具体收费以校区顾问报价为准。");
        // No alternative fits: the choice renders nothing.
        assert_eq!(r("好的[，{teacher}老师]。", &[]).unwrap(), "好的。");
    }

    #[test]
    fn guards_need_or_refuse_a_variable_without_printing_it() {
        let t = "[{?child}为孩子推荐：|方便告诉我孩子几岁吗？]";
        assert_eq!(r(t, &[("child", "8岁")]).unwrap(), "为孩子推荐：");
        assert_eq!(r(t, &[]).unwrap(), "方便告诉我孩子几岁吗？");
        assert_eq!(r("[{!x}没有x|有x]", &[("x", "1")]).unwrap(), "有x");
    }

    #[test]
    fn nested_choices_and_escapes() {
        let t = r"[{a}[和{b}]|无]\[注\]";
        assert_eq!(r(t, &[("a", "A"), ("b", "B")]).unwrap(), "A和B[注]");
        assert_eq!(r(t, &[("a", "A")]).unwrap(), "A[注]");
        assert_eq!(r(t, &[]).unwrap(), "无[注]");
        // A literal `|` is fine at the top level.
        assert_eq!(r("a|b", &[]).unwrap(), "a|b");
    }

    #[test]
    fn rejects_malformed_templates() {
        assert!(matches!(validate("[a|b"), Err(TemplateError::Syntax(_))));
        assert!(matches!(validate("a]"), Err(TemplateError::Syntax(_))));
        assert!(matches!(validate("{price"), Err(TemplateError::Syntax(_))));
        assert!(matches!(validate("{}"), Err(TemplateError::Syntax(_))));
        assert!(validate("【温馨提示】[{x}|y]").is_ok());
    }
}
