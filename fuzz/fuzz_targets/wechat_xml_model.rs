//! Structure-aware, model-based test of `CallbackXml::parse`: generates *well-formed* callback
//! documents (declaration, BOM, comments, whitespace, nested elements with repeated names,
//! attributes, text with predefined entities and character references, CDATA sections with
//! `]]>` split across sections), serialises them, and compares the parse result with the
//! flattening the module documentation specifies, computed independently here:
//!
//! * every leaf is kept under its `.`-joined path below the root, repeated siblings from the
//!   second on get `[n]`, and the first occurrence is never overwritten;
//! * an element's value is the concatenation of its text and CDATA, except that whitespace-only
//!   text pieces are dropped when it also holds CDATA; an element with children keeps a value
//!   only when it is not whitespace;
//! * documents over `MAX_ELEMENTS` elements or nested deeper than `MAX_DEPTH` below the root
//!   are refused with exactly `TooManyElements` / `TooDeep` (whichever comes first in
//!   document order).
#![no_main]

use std::collections::{BTreeMap, HashMap, HashSet};

use arbitrary::Arbitrary;
use kefu_fuzz::channels::wechat::xml::{MAX_DEPTH, MAX_ELEMENTS};
use kefu_fuzz::channels::wechat::{CallbackXml, InboundMessage, XmlError};
use kefu_fuzz::reference::xml_clean;
use libfuzzer_sys::fuzz_target;

const KNOWN: &[&str] = &[
    "ToUserName",
    "FromUserName",
    "CreateTime",
    "MsgType",
    "Content",
    "MsgId",
    "MsgID",
    "Event",
    "EventKey",
    "Encrypt",
    "AgentID",
    "Location_X",
    "Location_Y",
    "Scale",
    "Label",
    "item",
    "Articles",
    "xml",
    "a",
    "b",
];

#[derive(Arbitrary, Debug)]
struct Doc {
    bom: bool,
    decl: bool,
    prolog: Vec<Misc>,
    root_attrs: Vec<Attr>,
    root: Vec<Content>,
    self_close_empty_root: bool,
    epilog: Vec<Misc>,
}

#[derive(Arbitrary, Debug)]
enum Misc {
    Ws(Vec<Ws>),
    Comment(String),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Ws {
    Space,
    Tab,
    Lf,
    Cr,
}

#[derive(Arbitrary, Debug)]
enum Content {
    Text(String),
    Ws(Vec<Ws>),
    Entity(Entity),
    CharRef { c: char, hex: bool },
    CData(String),
    Comment(String),
    Elem(Elem),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Entity {
    Amp,
    Lt,
    Gt,
    Quot,
    Apos,
}

#[derive(Arbitrary, Debug)]
struct Elem {
    name: Name,
    attrs: Vec<Attr>,
    content: Vec<Content>,
    self_close_if_empty: bool,
}

#[derive(Arbitrary, Debug)]
enum Name {
    Known(u8),
    Custom(String),
}

#[derive(Arbitrary, Debug)]
struct Attr {
    name: String,
    value: String,
    single_quoted: bool,
}

impl Ws {
    fn ch(self) -> char {
        match self {
            Ws::Space => ' ',
            Ws::Tab => '\t',
            Ws::Lf => '\n',
            Ws::Cr => '\r',
        }
    }
}

impl Entity {
    fn text(self) -> (&'static str, char) {
        match self {
            Entity::Amp => ("&amp;", '&'),
            Entity::Lt => ("&lt;", '<'),
            Entity::Gt => ("&gt;", '>'),
            Entity::Quot => ("&quot;", '"'),
            Entity::Apos => ("&apos;", '\''),
        }
    }
}

impl Name {
    fn get(&self) -> String {
        match self {
            Name::Known(i) => KNOWN[*i as usize % KNOWN.len()].to_owned(),
            Name::Custom(s) => {
                // [A-Za-z_][A-Za-z0-9_-]*
                let mut out: String = s
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                    .take(16)
                    .collect();
                if !out.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
                    out.insert(0, 'n');
                }
                out
            }
        }
    }
}

fn escape_text(s: &str) -> String {
    let mut out = String::new();
    for c in xml_clean(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            // `]]>` is not allowed in character data; `>` is escaped always, for simplicity.
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

fn comment(s: &str) -> String {
    let body: String = xml_clean(s).chars().filter(|&c| c != '-').collect();
    format!("<!--{body}-->")
}

fn write_attrs(out: &mut String, attrs: &[Attr]) {
    let mut seen = HashSet::new();
    for a in attrs {
        let name: String = a
            .name
            .chars()
            .filter(|c| c.is_ascii_alphabetic())
            .take(8)
            .collect();
        if name.is_empty() || name.eq_ignore_ascii_case("xmlns") || !seen.insert(name.clone()) {
            continue;
        }
        let q = if a.single_quoted { '\'' } else { '"' };
        let mut v = String::new();
        for c in xml_clean(&a.value).chars() {
            match c {
                '&' => v.push_str("&amp;"),
                '<' => v.push_str("&lt;"),
                c if c == q => v.push_str(if q == '"' { "&quot;" } else { "&apos;" }),
                c => v.push(c),
            }
        }
        out.push_str(&format!(" {name}={q}{v}{q}"));
    }
}

/// What the model expects the parser to produce.
struct Model {
    out: String,
    fields: BTreeMap<String, String>,
    elements: usize,
    error: Option<XmlError>,
}

impl Model {
    fn note_element(&mut self, depth: usize) {
        self.elements += 1;
        if self.error.is_none() {
            if self.elements > MAX_ELEMENTS {
                self.error = Some(XmlError::TooManyElements);
            } else if depth > MAX_DEPTH {
                self.error = Some(XmlError::TooDeep);
            }
        }
    }

    /// Serialises `content` and returns the (has_children, pieces) of the enclosing element;
    /// a piece is (is_cdata, text), adjacent character data merged as a reader reports it.
    fn content(
        &mut self,
        content: &[Content],
        path: &str,
        depth: usize,
    ) -> (bool, Vec<(bool, String)>) {
        let mut pieces: Vec<(bool, String)> = Vec::new();
        let mut text: Option<String> = None;
        let mut has_children = false;
        let mut counts: HashMap<String, usize> = HashMap::new();
        let flush = |text: &mut Option<String>, pieces: &mut Vec<(bool, String)>| {
            if let Some(t) = text.take() {
                pieces.push((false, t));
            }
        };
        for c in content {
            match c {
                Content::Text(s) => {
                    let s = xml_clean(s);
                    self.out.push_str(&escape_text(&s));
                    text.get_or_insert_with(String::new).push_str(&s);
                }
                Content::Ws(ws) => {
                    let s: String = ws.iter().map(|w| w.ch()).collect();
                    self.out.push_str(&s);
                    text.get_or_insert_with(String::new).push_str(&s);
                }
                Content::Entity(e) => {
                    let (lit, ch) = e.text();
                    self.out.push_str(lit);
                    text.get_or_insert_with(String::new).push(ch);
                }
                Content::CharRef { c, hex } => {
                    if !kefu_fuzz::reference::is_xml_char(*c) {
                        continue;
                    }
                    if *hex {
                        self.out.push_str(&format!("&#x{:X};", *c as u32));
                    } else {
                        self.out.push_str(&format!("&#{};", *c as u32));
                    }
                    text.get_or_insert_with(String::new).push(*c);
                }
                Content::CData(s) => {
                    flush(&mut text, &mut pieces);
                    let s = xml_clean(s);
                    // Split at every `]]>`: `]]` ends one section, `>` starts the next.
                    let parts: Vec<&str> = s.split("]]>").collect();
                    for (i, part) in parts.iter().enumerate() {
                        let mut piece = String::new();
                        if i > 0 {
                            piece.push('>');
                        }
                        piece.push_str(part);
                        if i + 1 < parts.len() {
                            piece.push_str("]]");
                        }
                        self.out.push_str(&format!("<![CDATA[{piece}]]>"));
                        pieces.push((true, piece));
                    }
                }
                Content::Comment(s) => {
                    flush(&mut text, &mut pieces);
                    self.out.push_str(&comment(s));
                }
                Content::Elem(e) => {
                    flush(&mut text, &mut pieces);
                    has_children = true;
                    let name = e.name.get();
                    let n = counts.entry(name.clone()).or_insert(0);
                    let seg = if *n == 0 {
                        name.clone()
                    } else {
                        format!("{name}[{n}]")
                    };
                    *n += 1;
                    let child_path = if path.is_empty() {
                        seg
                    } else {
                        format!("{path}.{seg}")
                    };
                    self.elem(e, &name, &child_path, depth + 1);
                }
            }
        }
        flush(&mut text, &mut pieces);
        (has_children, pieces)
    }

    fn elem(&mut self, e: &Elem, name: &str, path: &str, depth: usize) {
        self.note_element(depth);
        self.out.push('<');
        self.out.push_str(name);
        write_attrs(&mut self.out, &e.attrs);
        let (has_children, pieces) = if e.content.is_empty() && e.self_close_if_empty {
            self.out.push_str("/>");
            (false, Vec::new())
        } else {
            self.out.push('>');
            let r = self.content(&e.content, path, depth);
            self.out.push_str(&format!("</{name}>"));
            r
        };
        let has_cdata = pieces.iter().any(|(cdata, _)| *cdata);
        let value: String = pieces
            .into_iter()
            .filter(|(cdata, s)| !has_cdata || *cdata || !s.trim().is_empty())
            .map(|(_, s)| s)
            .collect();
        if !(has_children && value.trim().is_empty()) {
            self.fields.entry(path.to_owned()).or_insert(value);
        }
    }

    fn misc(&mut self, m: &Misc) {
        match m {
            Misc::Ws(ws) => self.out.extend(ws.iter().map(|w| w.ch())),
            Misc::Comment(s) => self.out.push_str(&comment(s)),
        }
    }
}

fuzz_target!(|doc: Doc| {
    let mut m = Model {
        out: String::new(),
        fields: BTreeMap::new(),
        elements: 0,
        error: None,
    };
    if doc.bom {
        m.out.push('\u{feff}');
    }
    if doc.decl {
        m.out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    }
    for p in &doc.prolog {
        m.misc(p);
    }
    m.note_element(0);
    m.out.push_str("<xml");
    write_attrs(&mut m.out, &doc.root_attrs);
    if doc.root.is_empty() && doc.self_close_empty_root {
        m.out.push_str("/>");
    } else {
        m.out.push('>');
        m.content(&doc.root, "", 0);
        m.out.push_str("</xml>");
    }
    for e in &doc.epilog {
        m.misc(e);
    }

    let got = CallbackXml::parse(m.out.as_bytes());
    let expected = match m.error {
        Some(e) => Err(e),
        None if m.out.len() > kefu_fuzz::channels::wechat::xml::MAX_BODY_BYTES => {
            Err(XmlError::TooLarge(m.out.len()))
        }
        None => Ok(CallbackXml { fields: m.fields }),
    };
    assert_eq!(got, expected, "document: {:?}", m.out);
    if let Ok(xml) = &got {
        let _ = InboundMessage::from_xml(xml);
    }
});
