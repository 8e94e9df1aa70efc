//! A deliberately small, hostile-input-safe reader for WeChat / WeCom callback bodies.
//!
//! Accepted shape: an optional `<?xml …?>` declaration, then one `<xml>` root whose children
//! hold text and/or CDATA. Every leaf is kept in [`CallbackXml::fields`] under its path below
//! the root, nested names joined with `.` (`ScanCodeInfo.ScanType`); a repeated sibling gets
//! its 0-based occurrence index from the second one on (`Articles.item`, `Articles.item[1]`),
//! so a duplicated field can never overwrite the first one.
//!
//! Rejected, never expanded: `<!DOCTYPE` (and so any `<!ENTITY` declaration), processing
//! instructions other than the leading XML declaration, entity references other than the five
//! predefined ones and numeric character references, a root other than `xml`, unbalanced tags,
//! content after the root, nesting more than [`MAX_DEPTH`] levels below the root, more than
//! [`MAX_ELEMENTS`] elements, and bodies over [`MAX_BODY_BYTES`].

use std::collections::{BTreeMap, HashMap};

use quick_xml::Reader;
use quick_xml::events::Event as XmlEvent;

/// Largest accepted body in bytes (64 KiB).
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Deepest accepted nesting below the `<xml>` root. 4 admits the deepest structure WeChat
/// sends (`SendPicsInfo.PicList.item.PicMd5Sum` of the `pic_*` menu events).
pub const MAX_DEPTH: usize = 4;
/// Most elements accepted, the root included.
pub const MAX_ELEMENTS: usize = 200;

/// Why a callback body was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    /// The body exceeds [`MAX_BODY_BYTES`].
    #[error("body of {0} bytes exceeds the {MAX_BODY_BYTES}-byte limit")]
    TooLarge(usize),
    /// The body is not UTF-8.
    #[error("body is not UTF-8")]
    NotUtf8,
    /// A document type declaration (`<!DOCTYPE …>`).
    #[error("DOCTYPE declarations are not allowed")]
    Doctype,
    /// An entity declaration (`<!ENTITY …>`), inside a DOCTYPE or not.
    #[error("entity declarations are not allowed")]
    EntityDeclaration,
    /// A processing instruction other than the leading XML declaration.
    #[error("processing instructions are not allowed")]
    ProcessingInstruction,
    /// A reference to an entity that is neither predefined nor numeric.
    #[error("undefined entity reference &{0};")]
    UndefinedEntity(String),
    /// The root element is not `<xml>`.
    #[error("root element must be <xml>, found <{0}>")]
    WrongRoot(String),
    /// Tags do not nest properly or are left open.
    #[error("unbalanced tags: {0}")]
    Unbalanced(String),
    /// Nesting deeper than [`MAX_DEPTH`] below the root.
    #[error("elements nested deeper than {MAX_DEPTH} levels below the root")]
    TooDeep,
    /// More than [`MAX_ELEMENTS`] elements.
    #[error("more than {MAX_ELEMENTS} elements")]
    TooManyElements,
    /// Text or elements after the root element, or text before it.
    #[error("content outside the root element")]
    ContentOutsideRoot,
    /// No root element at all.
    #[error("no root element")]
    NoRoot,
    /// An element name that cannot be flattened unambiguously (contains `.`, `[` or `]`).
    #[error("unsupported element name <{0}>")]
    BadName(String),
    /// Any other syntax error.
    #[error("malformed XML: {0}")]
    Malformed(String),
    /// A field required by the message type is absent.
    #[error("missing field {0}")]
    MissingField(&'static str),
    /// A field has a value of the wrong form (e.g. a non-numeric CreateTime).
    #[error("field {field} has an invalid value {value:?}")]
    BadField {
        /// The field name.
        field: &'static str,
        /// The offending value.
        value: String,
    },
}

impl XmlError {
    /// A stable machine-readable code for logs and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            XmlError::TooLarge(_) => "too_large",
            XmlError::NotUtf8 => "not_utf8",
            XmlError::Doctype => "doctype",
            XmlError::EntityDeclaration => "entity_declaration",
            XmlError::ProcessingInstruction => "processing_instruction",
            XmlError::UndefinedEntity(_) => "undefined_entity",
            XmlError::WrongRoot(_) => "wrong_root",
            XmlError::Unbalanced(_) => "unbalanced",
            XmlError::TooDeep => "too_deep",
            XmlError::TooManyElements => "too_many_elements",
            XmlError::ContentOutsideRoot => "content_outside_root",
            XmlError::NoRoot => "no_root",
            XmlError::BadName(_) => "bad_name",
            XmlError::Malformed(_) => "malformed",
            XmlError::MissingField(_) => "missing_field",
            XmlError::BadField { .. } => "bad_field",
        }
    }
}

fn map_quick_xml(err: quick_xml::Error) -> XmlError {
    use quick_xml::errors::{Error as QError, IllFormedError};
    use quick_xml::escape::EscapeError;
    match err {
        QError::Escape(EscapeError::UnrecognizedEntity(_, name)) => XmlError::UndefinedEntity(name),
        QError::IllFormed(
            e @ (IllFormedError::MismatchedEndTag { .. }
            | IllFormedError::UnmatchedEndTag(_)
            | IllFormedError::MissingEndTag(_)),
        ) => XmlError::Unbalanced(e.to_string()),
        other => XmlError::Malformed(other.to_string()),
    }
}

/// An open element while parsing.
struct Frame {
    path: String,
    /// Occurrences of each child name so far, to index repeated siblings.
    child_counts: HashMap<String, usize>,
    has_children: bool,
    has_cdata: bool,
    /// Text and CDATA pieces in order, flagged `true` for CDATA. Whitespace-only text pieces
    /// are dropped when the element also holds CDATA (`<Content>\n<![CDATA[x]]>\n</Content>`
    /// is `x`).
    pieces: Vec<(bool, String)>,
}

impl Frame {
    fn new(path: String) -> Frame {
        Frame {
            path,
            child_counts: HashMap::new(),
            has_children: false,
            has_cdata: false,
            pieces: Vec::new(),
        }
    }

    fn child_path(&mut self, name: &str) -> String {
        let count = self.child_counts.entry(name.to_owned()).or_insert(0);
        let segment = if *count == 0 {
            name.to_owned()
        } else {
            format!("{name}[{count}]")
        };
        *count += 1;
        if self.path.is_empty() {
            segment
        } else {
            format!("{}.{segment}", self.path)
        }
    }

    fn value(self) -> (String, Option<String>) {
        let has_cdata = self.has_cdata;
        let value: String = self
            .pieces
            .into_iter()
            .filter(|(is_cdata, s)| !has_cdata || *is_cdata || !s.trim().is_empty())
            .map(|(_, s)| s)
            .collect();
        // An element with children keeps its own text only when it is not layout whitespace.
        if self.has_children && value.trim().is_empty() {
            (self.path, None)
        } else {
            (self.path, Some(value))
        }
    }

    fn push_text(&mut self, s: &str) {
        self.pieces.push((false, s.to_owned()));
    }

    fn push_cdata(&mut self, s: &str) {
        self.has_cdata = true;
        self.pieces.push((true, s.to_owned()));
    }
}

/// Every field of a callback body, flattened (see the module docs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallbackXml {
    /// Path below `<xml>` → value.
    pub fields: BTreeMap<String, String>,
}

fn element_name(raw: &[u8]) -> Result<String, XmlError> {
    let name = std::str::from_utf8(raw).map_err(|_| XmlError::NotUtf8)?;
    // Empty names (`<>`, `< />`) and control characters would break the field paths.
    if name.is_empty() || name.contains(['.', '[', ']']) || name.chars().any(char::is_control) {
        return Err(XmlError::BadName(name.to_owned()));
    }
    Ok(name.to_owned())
}

/// Most attributes one element may carry. WeChat sends none; the cap keeps quick-xml's
/// duplicate-attribute check (quadratic in their number, found by fuzzing: 55 ms for one 64 KiB
/// tag) off an unauthenticated path.
const MAX_ATTRIBUTES: usize = 8;

fn check_attributes(start: &quick_xml::events::BytesStart<'_>) -> Result<(), XmlError> {
    // Refuse undefined entities in attribute values too.
    for (n, attr) in start.attributes().enumerate() {
        if n >= MAX_ATTRIBUTES {
            return Err(XmlError::Malformed(format!(
                "more than {MAX_ATTRIBUTES} attributes on one element"
            )));
        }
        let attr = attr.map_err(|e| XmlError::Malformed(e.to_string()))?;
        attr.unescape_value().map_err(map_quick_xml)?;
    }
    Ok(())
}

impl CallbackXml {
    /// Parses a raw request body (checked against [`MAX_BODY_BYTES`] before anything else).
    pub fn parse(body: &[u8]) -> Result<CallbackXml, XmlError> {
        if body.len() > MAX_BODY_BYTES {
            return Err(XmlError::TooLarge(body.len()));
        }
        let text = std::str::from_utf8(body).map_err(|_| XmlError::NotUtf8)?;
        CallbackXml::parse_str(text)
    }

    /// Parses a body already known to be UTF-8 (e.g. a decrypted message).
    pub fn parse_str(text: &str) -> Result<CallbackXml, XmlError> {
        if text.len() > MAX_BODY_BYTES {
            return Err(XmlError::TooLarge(text.len()));
        }
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut reader = Reader::from_str(text);
        let config = reader.config_mut();
        config.check_end_names = true;
        config.expand_empty_elements = false;
        config.trim_text(false);

        let mut fields = BTreeMap::new();
        let mut stack: Vec<Frame> = Vec::new();
        let mut elements = 0usize;
        let mut seen_root = false;
        let mut root_closed = false;
        // The XML declaration may only come first (leading whitespace tolerated).
        let mut decl_allowed = true;

        loop {
            let event = match reader.read_event() {
                Ok(event) => event,
                Err(err) => {
                    // quick-xml reports a stray `<!ENTITY` as a generic syntax error.
                    let at = usize::try_from(reader.error_position()).unwrap_or(usize::MAX);
                    let rest = text.get(at..).unwrap_or("");
                    if rest
                        .get(..8)
                        .is_some_and(|r| r.eq_ignore_ascii_case("<!ENTITY"))
                    {
                        return Err(XmlError::EntityDeclaration);
                    }
                    return Err(map_quick_xml(err));
                }
            };
            let was_decl_allowed = std::mem::replace(&mut decl_allowed, false);
            match event {
                XmlEvent::Decl(_) => {
                    if !was_decl_allowed {
                        return Err(XmlError::ProcessingInstruction);
                    }
                }
                XmlEvent::PI(_) => return Err(XmlError::ProcessingInstruction),
                XmlEvent::DocType(doctype) => {
                    let inner = String::from_utf8_lossy(doctype.as_ref()).to_ascii_uppercase();
                    if inner.contains("<!ENTITY") {
                        return Err(XmlError::EntityDeclaration);
                    }
                    return Err(XmlError::Doctype);
                }
                XmlEvent::Comment(_) => {}
                XmlEvent::Start(ref start) | XmlEvent::Empty(ref start) => {
                    let is_empty = matches!(event, XmlEvent::Empty(_));
                    elements += 1;
                    if elements > MAX_ELEMENTS {
                        return Err(XmlError::TooManyElements);
                    }
                    let name = element_name(start.name().as_ref())?;
                    // Attributes are not used by WeChat; still refuse undefined entities there.
                    check_attributes(start)?;
                    // `stack.len()` counts the root, so it is the new element's depth below it.
                    if stack.len() > MAX_DEPTH {
                        return Err(XmlError::TooDeep);
                    }
                    let frame = match stack.last_mut() {
                        None => {
                            if root_closed {
                                return Err(XmlError::ContentOutsideRoot);
                            }
                            if name != "xml" {
                                return Err(XmlError::WrongRoot(name));
                            }
                            seen_root = true;
                            Frame::new(String::new())
                        }
                        Some(parent) => {
                            parent.has_children = true;
                            Frame::new(parent.child_path(&name))
                        }
                    };
                    if is_empty {
                        if stack.is_empty() {
                            root_closed = true;
                        } else {
                            let (path, value) = frame.value();
                            if let Some(value) = value {
                                fields.entry(path).or_insert(value);
                            }
                        }
                    } else {
                        stack.push(frame);
                    }
                }
                XmlEvent::End(_) => {
                    // quick-xml has already checked the name against the open tag.
                    let frame = stack
                        .pop()
                        .ok_or_else(|| XmlError::Unbalanced("unexpected end tag".into()))?;
                    if stack.is_empty() {
                        root_closed = true;
                    } else {
                        let (path, value) = frame.value();
                        if let Some(value) = value {
                            fields.entry(path).or_insert(value);
                        }
                    }
                }
                XmlEvent::Text(text) => {
                    let value = text.unescape().map_err(map_quick_xml)?;
                    match stack.last_mut() {
                        Some(frame) => frame.push_text(&value),
                        None => {
                            if !value.trim().is_empty() {
                                return Err(XmlError::ContentOutsideRoot);
                            }
                            decl_allowed = was_decl_allowed;
                        }
                    }
                }
                XmlEvent::CData(cdata) => {
                    let value =
                        std::str::from_utf8(cdata.as_ref()).map_err(|_| XmlError::NotUtf8)?;
                    match stack.last_mut() {
                        Some(frame) => frame.push_cdata(value),
                        None => return Err(XmlError::ContentOutsideRoot),
                    }
                }
                XmlEvent::Eof => break,
            }
        }
        if !stack.is_empty() {
            return Err(XmlError::Unbalanced(
                "element left open at end of input".into(),
            ));
        }
        if !seen_root {
            return Err(XmlError::NoRoot);
        }
        Ok(CallbackXml { fields })
    }

    /// The value at `path` (see the module docs for the path form).
    pub fn get(&self, path: &str) -> Option<&str> {
        self.fields.get(path).map(String::as_str)
    }

    fn get_trimmed(&self, path: &str) -> Option<&str> {
        self.get(path).map(str::trim)
    }

    /// `ToUserName`: the account id (`gh_…`) or the corpid.
    pub fn to_user_name(&self) -> Option<&str> {
        self.get("ToUserName")
    }

    /// `FromUserName`: the user's OpenID (or WeCom UserID).
    pub fn from_user_name(&self) -> Option<&str> {
        self.get("FromUserName")
    }

    /// `CreateTime` in unix seconds, when present and numeric.
    pub fn create_time(&self) -> Option<i64> {
        self.get_trimmed("CreateTime")?.parse().ok()
    }

    /// `MsgType`.
    pub fn msg_type(&self) -> Option<&str> {
        self.get_trimmed("MsgType")
    }

    /// `Content` of text messages.
    pub fn content(&self) -> Option<&str> {
        self.get("Content")
    }

    /// `MsgId`, or `MsgID` as mass-send / template job events spell it.
    pub fn msg_id(&self) -> Option<&str> {
        self.get_trimmed("MsgId")
            .or_else(|| self.get_trimmed("MsgID"))
            .filter(|s| !s.is_empty())
    }

    /// `Event` of event pushes.
    pub fn event(&self) -> Option<&str> {
        self.get_trimmed("Event")
    }

    /// `EventKey` of event pushes.
    pub fn event_key(&self) -> Option<&str> {
        self.get("EventKey")
    }

    /// `Encrypt` of safe-mode bodies.
    pub fn encrypt(&self) -> Option<&str> {
        self.get_trimmed("Encrypt")
    }

    /// `AgentID` of WeCom app callbacks.
    pub fn agent_id(&self) -> Option<&str> {
        self.get_trimmed("AgentID")
    }

    fn required(&self, field: &'static str) -> Result<String, XmlError> {
        self.get(field)
            .map(str::to_owned)
            .ok_or(XmlError::MissingField(field))
    }

    fn optional(&self, field: &str) -> Option<String> {
        self.get(field).map(str::to_owned)
    }

    fn required_f64(&self, field: &'static str) -> Result<f64, XmlError> {
        let raw = self.get(field).ok_or(XmlError::MissingField(field))?;
        raw.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| XmlError::BadField {
                field,
                value: raw.to_owned(),
            })
    }
}

/// The event of an `event` push. Names are matched case-insensitively (WeCom apps send
/// `click` / `view` in lower case); anything else is kept verbatim in [`EventKind::Other`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// A user followed the account (`EventKey` = `qrscene_…` when via a parametric QR code).
    Subscribe,
    /// A user unfollowed.
    Unsubscribe,
    /// A follower scanned a parametric QR code (`SCAN`).
    Scan,
    /// A click menu item (`CLICK`).
    Click,
    /// A link menu item (`VIEW`; `EventKey` is the URL).
    View,
    /// Any other event (`LOCATION`, `TEMPLATESENDJOBFINISH`, `kf_msg_or_event`, …).
    Other(String),
}

impl EventKind {
    fn from_name(name: &str) -> EventKind {
        match name.to_ascii_lowercase().as_str() {
            "subscribe" => EventKind::Subscribe,
            "unsubscribe" => EventKind::Unsubscribe,
            "scan" => EventKind::Scan,
            "click" => EventKind::Click,
            "view" => EventKind::View,
            _ => EventKind::Other(name.to_owned()),
        }
    }
}

/// What an inbound callback carries.
#[derive(Debug, Clone, PartialEq)]
pub enum MessageKind {
    /// `text`.
    Text {
        /// `Content`.
        content: String,
    },
    /// `image`.
    Image {
        /// `PicUrl`.
        pic_url: String,
        /// `MediaId`.
        media_id: String,
    },
    /// `voice`.
    Voice {
        /// `MediaId`.
        media_id: String,
        /// `Format` (amr, speex, …).
        format: String,
        /// `Recognition`, when speech recognition is on.
        recognition: Option<String>,
    },
    /// `video`.
    Video {
        /// `MediaId`.
        media_id: String,
        /// `ThumbMediaId`.
        thumb_media_id: String,
    },
    /// `shortvideo`.
    ShortVideo {
        /// `MediaId`.
        media_id: String,
        /// `ThumbMediaId`.
        thumb_media_id: String,
    },
    /// `location`.
    Location {
        /// `Location_X` (latitude).
        location_x: f64,
        /// `Location_Y` (longitude).
        location_y: f64,
        /// `Scale` (map zoom), when present and numeric.
        scale: Option<i64>,
        /// `Label`, when present.
        label: Option<String>,
    },
    /// `link`.
    Link {
        /// `Title`.
        title: String,
        /// `Description`.
        description: String,
        /// `Url`.
        url: String,
    },
    /// `event`.
    Event {
        /// The event.
        event: EventKind,
        /// `Event` exactly as sent.
        event_name: String,
        /// `EventKey`, when present.
        event_key: Option<String>,
    },
    /// Any other `MsgType` (`file`, `miniprogrampage`, …); the fields stay in [`CallbackXml`].
    Other {
        /// `MsgType` as sent.
        msg_type: String,
    },
}

/// A typed inbound message or event.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundMessage {
    /// `ToUserName`: the account id (`gh_…`) or corpid.
    pub to_user_name: String,
    /// `FromUserName`: the user's OpenID (WeCom: UserID).
    pub from_user_name: String,
    /// `CreateTime` (unix seconds).
    pub create_time: i64,
    /// `MsgId` / `MsgID`, when present.
    pub msg_id: Option<String>,
    /// `AgentID` (WeCom apps), when present.
    pub agent_id: Option<String>,
    /// The type-specific part.
    pub kind: MessageKind,
}

impl InboundMessage {
    /// Parses a body and types it.
    pub fn parse(body: &[u8]) -> Result<InboundMessage, XmlError> {
        InboundMessage::from_xml(&CallbackXml::parse(body)?)
    }

    /// Types already-parsed fields. `ToUserName`, `FromUserName`, a numeric `CreateTime` and
    /// `MsgType` are required, as are the type's own fields (except `Recognition`, `Scale`
    /// and `Label`).
    pub fn from_xml(xml: &CallbackXml) -> Result<InboundMessage, XmlError> {
        let to_user_name = xml.required("ToUserName")?;
        let from_user_name = xml.required("FromUserName")?;
        let raw_time = xml
            .get("CreateTime")
            .ok_or(XmlError::MissingField("CreateTime"))?;
        let create_time = xml.create_time().ok_or_else(|| XmlError::BadField {
            field: "CreateTime",
            value: raw_time.to_owned(),
        })?;
        let msg_type = xml.msg_type().ok_or(XmlError::MissingField("MsgType"))?;
        let kind = match msg_type {
            "text" => MessageKind::Text {
                content: xml.required("Content")?,
            },
            "image" => MessageKind::Image {
                pic_url: xml.required("PicUrl")?,
                media_id: xml.required("MediaId")?,
            },
            "voice" => MessageKind::Voice {
                media_id: xml.required("MediaId")?,
                format: xml.required("Format")?,
                recognition: xml.optional("Recognition"),
            },
            "video" => MessageKind::Video {
                media_id: xml.required("MediaId")?,
                thumb_media_id: xml.required("ThumbMediaId")?,
            },
            "shortvideo" => MessageKind::ShortVideo {
                media_id: xml.required("MediaId")?,
                thumb_media_id: xml.required("ThumbMediaId")?,
            },
            "location" => MessageKind::Location {
                location_x: xml.required_f64("Location_X")?,
                location_y: xml.required_f64("Location_Y")?,
                scale: xml.get_trimmed("Scale").and_then(|s| s.parse().ok()),
                label: xml.optional("Label"),
            },
            "link" => MessageKind::Link {
                title: xml.required("Title")?,
                description: xml.required("Description")?,
                url: xml.required("Url")?,
            },
            "event" => {
                let event_name = xml.event().ok_or(XmlError::MissingField("Event"))?;
                MessageKind::Event {
                    event: EventKind::from_name(event_name),
                    event_name: event_name.to_owned(),
                    event_key: xml.event_key().map(str::to_owned),
                }
            }
            other => MessageKind::Other {
                msg_type: other.to_owned(),
            },
        };
        Ok(InboundMessage {
            to_user_name,
            from_user_name,
            create_time,
            msg_id: xml.msg_id().map(str::to_owned),
            agent_id: xml.agent_id().map(str::to_owned),
            kind,
        })
    }

    /// The key to deduplicate WeChat's retries (the same body up to 3 times):
    /// `msgid:<MsgId>` for ordinary messages and
    /// `event:<FromUserName>:<CreateTime>:<Event>:<EventKey>` for events (an empty
    /// `EventKey` when absent). An ordinary message without a MsgId falls back to
    /// `msg:<FromUserName>:<CreateTime>:<MsgType>`.
    pub fn dedup_key(&self) -> String {
        match (&self.kind, &self.msg_id) {
            (
                MessageKind::Event {
                    event_name,
                    event_key,
                    ..
                },
                _,
            ) => format!(
                "event:{}:{}:{}:{}",
                self.from_user_name,
                self.create_time,
                event_name,
                event_key.as_deref().unwrap_or("")
            ),
            (_, Some(id)) => format!("msgid:{id}"),
            (kind, None) => format!(
                "msg:{}:{}:{}",
                self.from_user_name,
                self.create_time,
                kind.msg_type()
            ),
        }
    }
}

impl MessageKind {
    /// The `MsgType` this kind stands for.
    pub fn msg_type(&self) -> &str {
        match self {
            MessageKind::Text { .. } => "text",
            MessageKind::Image { .. } => "image",
            MessageKind::Voice { .. } => "voice",
            MessageKind::Video { .. } => "video",
            MessageKind::ShortVideo { .. } => "shortvideo",
            MessageKind::Location { .. } => "location",
            MessageKind::Link { .. } => "link",
            MessageKind::Event { .. } => "event",
            MessageKind::Other { msg_type } => msg_type,
        }
    }
}

impl TryFrom<&CallbackXml> for InboundMessage {
    type Error = XmlError;

    fn try_from(xml: &CallbackXml) -> Result<InboundMessage, XmlError> {
        InboundMessage::from_xml(xml)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<CallbackXml, XmlError> {
        CallbackXml::parse(s.as_bytes())
    }

    fn inbound(s: &str) -> InboundMessage {
        InboundMessage::parse(s.as_bytes()).unwrap()
    }

    const HEAD: &str = "<ToUserName><![CDATA[gh_123456789abc]]></ToUserName>\
        <FromUserName><![CDATA[oUser_OpenID]]></FromUserName>\
        <CreateTime>1348831860</CreateTime>";

    fn body(rest: &str) -> String {
        format!("<xml>{HEAD}{rest}</xml>")
    }

    // Sample bodies follow the message formats in Tencent's documentation (接收普通消息 /
    // 接收事件推送) with our own values.

    // Regressions found by fuzzing (fuzz/regressions/wechat_xml/).
    #[test]
    fn rejects_empty_element_names() {
        for body in ["<xml><></></xml>", "<xml><a>< /></a></xml>"] {
            assert!(
                matches!(
                    CallbackXml::parse(body.as_bytes()),
                    Err(XmlError::BadName(_))
                ),
                "{body}"
            );
        }
    }

    #[test]
    fn rejects_elements_with_many_attributes() {
        let attrs: String = (0..MAX_ATTRIBUTES + 1)
            .map(|i| format!(" a{i}=\"\""))
            .collect();
        let body = format!("<xml{attrs}><Content>x</Content></xml>");
        assert!(matches!(
            CallbackXml::parse(body.as_bytes()),
            Err(XmlError::Malformed(_))
        ));
        let few: String = (0..2).map(|i| format!(" a{i}=\"\"")).collect();
        let body = format!("<xml{few}><Content>x</Content></xml>");
        assert_eq!(
            CallbackXml::parse(body.as_bytes()).unwrap().content(),
            Some("x")
        );
    }

    #[test]
    fn parses_text_message_with_common_accessors() {
        let xml = parse(&body(
            "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[this is a test]]></Content>\
             <MsgId>1234567890123456</MsgId>",
        ))
        .unwrap();
        assert_eq!(xml.to_user_name(), Some("gh_123456789abc"));
        assert_eq!(xml.from_user_name(), Some("oUser_OpenID"));
        assert_eq!(xml.create_time(), Some(1348831860));
        assert_eq!(xml.msg_type(), Some("text"));
        assert_eq!(xml.content(), Some("this is a test"));
        assert_eq!(xml.msg_id(), Some("1234567890123456"));
        assert_eq!(xml.event(), None);
        let msg = InboundMessage::from_xml(&xml).unwrap();
        assert_eq!(
            msg.kind,
            MessageKind::Text {
                content: "this is a test".into()
            }
        );
        assert_eq!(msg.create_time, 1348831860);
        assert_eq!(msg.dedup_key(), "msgid:1234567890123456");
    }

    #[test]
    fn parses_image_message() {
        let m = inbound(&body(
            "<MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://mmbiz/pic]]></PicUrl>\
             <MediaId><![CDATA[media_1]]></MediaId><MsgId>1</MsgId>",
        ));
        assert_eq!(
            m.kind,
            MessageKind::Image {
                pic_url: "http://mmbiz/pic".into(),
                media_id: "media_1".into()
            }
        );
    }

    #[test]
    fn parses_voice_message_with_and_without_recognition() {
        let m = inbound(&body(
            "<MsgType><![CDATA[voice]]></MsgType><MediaId><![CDATA[m]]></MediaId>\
             <Format><![CDATA[amr]]></Format><Recognition><![CDATA[腾讯微信团队]]></Recognition>\
             <MsgId>2</MsgId>",
        ));
        assert_eq!(
            m.kind,
            MessageKind::Voice {
                media_id: "m".into(),
                format: "amr".into(),
                recognition: Some("腾讯微信团队".into())
            }
        );
        let m = inbound(&body(
            "<MsgType>voice</MsgType><MediaId>m</MediaId><Format>speex</Format><MsgId>3</MsgId>",
        ));
        assert!(matches!(
            m.kind,
            MessageKind::Voice {
                recognition: None,
                ..
            }
        ));
    }

    #[test]
    fn parses_video_and_shortvideo_messages() {
        let m = inbound(&body(
            "<MsgType><![CDATA[video]]></MsgType><MediaId><![CDATA[v]]></MediaId>\
             <ThumbMediaId><![CDATA[t]]></ThumbMediaId><MsgId>4</MsgId>",
        ));
        assert_eq!(
            m.kind,
            MessageKind::Video {
                media_id: "v".into(),
                thumb_media_id: "t".into()
            }
        );
        let m = inbound(&body(
            "<MsgType><![CDATA[shortvideo]]></MsgType><MediaId><![CDATA[v]]></MediaId>\
             <ThumbMediaId><![CDATA[t]]></ThumbMediaId><MsgId>5</MsgId>",
        ));
        assert_eq!(m.kind.msg_type(), "shortvideo");
    }

    #[test]
    fn parses_location_message() {
        let m = inbound(&body(
            "<MsgType><![CDATA[location]]></MsgType><Location_X>23.134521</Location_X>\
             <Location_Y>113.358803</Location_Y><Scale>20</Scale>\
             <Label><![CDATA[位置信息]]></Label><MsgId>6</MsgId>",
        ));
        assert_eq!(
            m.kind,
            MessageKind::Location {
                location_x: 23.134521,
                location_y: 113.358803,
                scale: Some(20),
                label: Some("位置信息".into())
            }
        );
        let err = InboundMessage::parse(
            body("<MsgType>location</MsgType><Location_X>north</Location_X><Location_Y>1</Location_Y>")
                .as_bytes(),
        )
        .unwrap_err();
        assert_eq!(err.code(), "bad_field");
    }

    #[test]
    fn parses_link_message() {
        let m = inbound(&body(
            "<MsgType><![CDATA[link]]></MsgType><Title><![CDATA[公众平台官网链接]]></Title>\
             <Description><![CDATA[公众平台官网链接]]></Description>\
             <Url><![CDATA[https://mp.weixin.qq.com]]></Url><MsgId>7</MsgId>",
        ));
        assert_eq!(
            m.kind,
            MessageKind::Link {
                title: "公众平台官网链接".into(),
                description: "公众平台官网链接".into(),
                url: "https://mp.weixin.qq.com".into()
            }
        );
    }

    fn event_body(event: &str, key: Option<&str>) -> String {
        let key = key
            .map(|k| format!("<EventKey><![CDATA[{k}]]></EventKey>"))
            .unwrap_or_default();
        body(&format!(
            "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event>{key}"
        ))
    }

    #[test]
    fn parses_every_event_kind() {
        let cases = [
            ("subscribe", None, EventKind::Subscribe),
            ("subscribe", Some("qrscene_123123"), EventKind::Subscribe),
            ("unsubscribe", None, EventKind::Unsubscribe),
            ("SCAN", Some("123123"), EventKind::Scan),
            ("CLICK", Some("EVENTKEY"), EventKind::Click),
            ("click", Some("EVENTKEY"), EventKind::Click),
            ("VIEW", Some("https://www.qq.com/"), EventKind::View),
            ("LOCATION", None, EventKind::Other("LOCATION".into())),
            (
                "kf_msg_or_event",
                None,
                EventKind::Other("kf_msg_or_event".into()),
            ),
        ];
        for (name, key, expected) in cases {
            let m = inbound(&event_body(name, key));
            match &m.kind {
                MessageKind::Event {
                    event,
                    event_name,
                    event_key,
                } => {
                    assert_eq!(event, &expected, "{name}");
                    assert_eq!(event_name, name);
                    assert_eq!(event_key.as_deref(), key);
                }
                other => panic!("{other:?}"),
            }
            assert_eq!(m.msg_id, None);
        }
    }

    #[test]
    fn keeps_nested_event_fields_flattened() {
        let xml = parse(&body(
            "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[scancode_push]]></Event>\
             <EventKey><![CDATA[6]]></EventKey><ScanCodeInfo><ScanType><![CDATA[qrcode]]></ScanType>\
             <ScanResult><![CDATA[1]]></ScanResult></ScanCodeInfo>",
        ))
        .unwrap();
        assert_eq!(xml.get("ScanCodeInfo.ScanType"), Some("qrcode"));
        assert_eq!(xml.get("ScanCodeInfo.ScanResult"), Some("1"));
        assert_eq!(xml.get("ScanCodeInfo"), None);
        // pic_sysphoto: the deepest structure WeChat sends (4 levels below the root).
        let xml = parse(&body(
            "<MsgType>event</MsgType><Event>pic_sysphoto</Event><SendPicsInfo><Count>2</Count>\
             <PicList><item><PicMd5Sum>aaa</PicMd5Sum></item><item><PicMd5Sum>bbb</PicMd5Sum></item>\
             </PicList></SendPicsInfo>",
        ))
        .unwrap();
        assert_eq!(xml.get("SendPicsInfo.Count"), Some("2"));
        assert_eq!(xml.get("SendPicsInfo.PicList.item.PicMd5Sum"), Some("aaa"));
        assert_eq!(
            xml.get("SendPicsInfo.PicList.item[1].PicMd5Sum"),
            Some("bbb")
        );
    }

    #[test]
    fn accepts_msg_id_in_either_spelling() {
        let xml = parse(&body(
            "<MsgType>event</MsgType><Event>MASSSENDJOBFINISH</Event><MsgID>1000001625</MsgID>",
        ))
        .unwrap();
        assert_eq!(xml.msg_id(), Some("1000001625"));
        let xml = parse(&body(
            "<MsgType>text</MsgType><Content>x</Content><MsgId>42</MsgId>",
        ))
        .unwrap();
        assert_eq!(xml.msg_id(), Some("42"));
        let xml = parse(&body("<MsgType>text</MsgType><Content>x</Content>")).unwrap();
        assert_eq!(xml.msg_id(), None);
    }

    #[test]
    fn builds_dedup_keys() {
        let m = inbound(&body(
            "<MsgType>text</MsgType><Content>hi</Content><MsgId>987654321</MsgId>",
        ));
        assert_eq!(m.dedup_key(), "msgid:987654321");
        let m = inbound(&event_body("CLICK", Some("MENU_1")));
        assert_eq!(m.dedup_key(), "event:oUser_OpenID:1348831860:CLICK:MENU_1");
        let m = inbound(&event_body("subscribe", None));
        assert_eq!(m.dedup_key(), "event:oUser_OpenID:1348831860:subscribe:");
        // Events with a MsgID (mass-send results) still dedupe as events.
        let m = inbound(&body(
            "<MsgType>event</MsgType><Event>MASSSENDJOBFINISH</Event><MsgID>77</MsgID>",
        ));
        assert_eq!(m.msg_id.as_deref(), Some("77"));
        assert_eq!(
            m.dedup_key(),
            "event:oUser_OpenID:1348831860:MASSSENDJOBFINISH:"
        );
        let m = inbound(&body("<MsgType>text</MsgType><Content>hi</Content>"));
        assert_eq!(m.dedup_key(), "msg:oUser_OpenID:1348831860:text");
    }

    #[test]
    fn keeps_unknown_message_types_and_wecom_agent_id() {
        let m = inbound(&body(
            "<MsgType>file</MsgType><Title>a.pdf</Title><MsgId>9</MsgId><AgentID>1000002</AgentID>",
        ));
        assert_eq!(
            m.kind,
            MessageKind::Other {
                msg_type: "file".into()
            }
        );
        assert_eq!(m.agent_id.as_deref(), Some("1000002"));
    }

    #[test]
    fn reports_missing_required_fields() {
        let err = InboundMessage::parse(b"<xml><MsgType>text</MsgType></xml>").unwrap_err();
        assert_eq!(err, XmlError::MissingField("ToUserName"));
        let err = InboundMessage::parse(body("<MsgType>text</MsgType>").as_bytes()).unwrap_err();
        assert_eq!(err, XmlError::MissingField("Content"));
        let err = InboundMessage::parse(
            b"<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName>\
              <CreateTime>soon</CreateTime><MsgType>text</MsgType><Content>x</Content></xml>",
        )
        .unwrap_err();
        assert_eq!(err.code(), "bad_field");
    }

    #[test]
    fn reads_safe_mode_envelope() {
        let xml = parse(
            "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n\
             <Encrypt><![CDATA[RypEvHKD8QQ==]]></Encrypt>\n<AgentID><![CDATA[218]]></AgentID>\n</xml>",
        )
        .unwrap();
        assert_eq!(xml.encrypt(), Some("RypEvHKD8QQ=="));
        assert_eq!(xml.agent_id(), Some("218"));
    }

    #[test]
    fn handles_declaration_whitespace_entities_and_comments() {
        let xml = parse(
            "\u{feff}<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<xml>\n  <!-- note -->\n  \
             <Content>\n   <![CDATA[ spaced ]]>\n  </Content>\n  \
             <Title>a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#20013;&#x6587;</Title>\n\
             <Empty/>\n<Blank></Blank>\n</xml>\n",
        )
        .unwrap();
        assert_eq!(xml.content(), Some(" spaced "));
        assert_eq!(xml.get("Title"), Some("a & b <c> \"d\" 'e' 中文"));
        assert_eq!(xml.get("Empty"), Some(""));
        assert_eq!(xml.get("Blank"), Some(""));
    }

    #[test]
    fn cdata_split_around_terminator_round_trips() {
        let xml = parse("<xml><Content><![CDATA[a]]]]><![CDATA[>b]]></Content></xml>").unwrap();
        assert_eq!(xml.content(), Some("a]]>b"));
    }

    #[test]
    fn duplicate_fields_never_override_the_first() {
        let xml = parse("<xml><Content>first</Content><Content>second</Content></xml>").unwrap();
        assert_eq!(xml.content(), Some("first"));
        assert_eq!(xml.get("Content[1]"), Some("second"));
    }

    #[test]
    fn rejects_doctype() {
        let err = parse("<!DOCTYPE xml><xml><Content>x</Content></xml>").unwrap_err();
        assert_eq!(err, XmlError::Doctype);
        let err =
            parse("<?xml version=\"1.0\"?><!DOCTYPE xml SYSTEM \"file:///etc/passwd\"><xml/>")
                .unwrap_err();
        assert_eq!(err, XmlError::Doctype);
    }

    #[test]
    fn rejects_entity_declaration() {
        let xxe = "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\
                   <xml><Content>&xxe;</Content></xml>";
        assert_eq!(parse(xxe).unwrap_err(), XmlError::EntityDeclaration);
        let bomb = "<!DOCTYPE xml [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;\">]>\
                    <xml><Content>&b;</Content></xml>";
        assert_eq!(parse(bomb).unwrap_err(), XmlError::EntityDeclaration);
        // A bare entity declaration outside any DOCTYPE, before or inside the root.
        let bare = "<!ENTITY x \"y\"><xml><Content>&x;</Content></xml>";
        assert_eq!(parse(bare).unwrap_err(), XmlError::EntityDeclaration);
        let inside = "<xml><!ENTITY x \"y\"><Content>&x;</Content></xml>";
        assert_eq!(parse(inside).unwrap_err(), XmlError::EntityDeclaration);
    }

    #[test]
    fn rejects_undefined_entity_reference() {
        let err = parse("<xml><Content>&xxe;</Content></xml>").unwrap_err();
        assert_eq!(err, XmlError::UndefinedEntity("xxe".into()));
        assert_eq!(err.code(), "undefined_entity");
        let err = parse("<xml><Content>&nbsp;</Content></xml>").unwrap_err();
        assert_eq!(err.code(), "undefined_entity");
        let err = parse("<xml><Content a=\"&ext;\">x</Content></xml>").unwrap_err();
        assert_eq!(err.code(), "undefined_entity");
        // Broken numeric references and a bare ampersand are refused too.
        for bad in ["&#0;", "&#xD800;", "&#xZZ;", "AT&T", "&amp"] {
            let doc = format!("<xml><Content>{bad}</Content></xml>");
            assert!(parse(&doc).is_err(), "{bad}");
        }
        // Entity-looking text inside CDATA is just text.
        let xml = parse("<xml><Content><![CDATA[&xxe; <!DOCTYPE>]]></Content></xml>").unwrap();
        assert_eq!(xml.content(), Some("&xxe; <!DOCTYPE>"));
    }

    #[test]
    fn rejects_processing_instructions() {
        let err = parse("<?xml-stylesheet href=\"a\"?><xml/>").unwrap_err();
        assert_eq!(err, XmlError::ProcessingInstruction);
        let err = parse("<xml><?php echo 1; ?><Content>x</Content></xml>").unwrap_err();
        assert_eq!(err, XmlError::ProcessingInstruction);
        let err = parse("<xml><Content>x</Content><?xml version=\"1.0\"?></xml>").unwrap_err();
        assert_eq!(err, XmlError::ProcessingInstruction);
    }

    #[test]
    fn rejects_non_xml_root() {
        let err = parse("<root><Content>x</Content></root>").unwrap_err();
        assert_eq!(err, XmlError::WrongRoot("root".into()));
        assert_eq!(parse("<XML></XML>").unwrap_err().code(), "wrong_root");
        assert_eq!(parse("").unwrap_err(), XmlError::NoRoot);
        assert_eq!(parse("   ").unwrap_err(), XmlError::NoRoot);
        assert_eq!(parse("text").unwrap_err(), XmlError::ContentOutsideRoot);
        assert_eq!(
            parse("<xml/><xml/>").unwrap_err(),
            XmlError::ContentOutsideRoot
        );
        assert_eq!(
            parse("<xml></xml>trailing").unwrap_err(),
            XmlError::ContentOutsideRoot
        );
        assert!(parse("<xml/>\n").is_ok());
    }

    #[test]
    fn rejects_unbalanced_tags() {
        for bad in [
            "<xml><Content>x</xml>",
            "<xml><Content>x</Other></xml>",
            "<xml><Content>x</Content>",
            "<xml></Content></xml>",
            "</xml>",
        ] {
            let err = parse(bad).unwrap_err();
            assert_eq!(err.code(), "unbalanced", "{bad}: {err}");
        }
        assert!(parse("<xml><Content>x").is_err());
    }

    #[test]
    fn rejects_depth_beyond_four_levels_below_the_root() {
        assert!(parse("<xml><a><b><c><d>x</d></c></b></a></xml>").is_ok());
        let err = parse("<xml><a><b><c><d><e>x</e></d></c></b></a></xml>").unwrap_err();
        assert_eq!(err, XmlError::TooDeep);
        let err = parse("<xml><a><b><c><d><e/></d></c></b></a></xml>").unwrap_err();
        assert_eq!(err, XmlError::TooDeep);
    }

    #[test]
    fn rejects_more_than_two_hundred_elements() {
        let ok = format!("<xml>{}</xml>", "<a/>".repeat(MAX_ELEMENTS - 1));
        assert!(parse(&ok).is_ok());
        let too_many = format!("<xml>{}</xml>", "<a/>".repeat(MAX_ELEMENTS));
        assert_eq!(parse(&too_many).unwrap_err(), XmlError::TooManyElements);
    }

    #[test]
    fn rejects_oversize_body() {
        let filler = "x".repeat(MAX_BODY_BYTES);
        let doc = format!("<xml><Content>{filler}</Content></xml>");
        assert_eq!(parse(&doc).unwrap_err(), XmlError::TooLarge(doc.len()));
        assert_eq!(
            CallbackXml::parse_str(&doc).unwrap_err().code(),
            "too_large"
        );
        let fits = format!(
            "<xml><Content>{}</Content></xml>",
            "x".repeat(MAX_BODY_BYTES - 40)
        );
        assert!(parse(&fits).is_ok());
    }

    #[test]
    fn rejects_non_utf8_and_garbage_without_panicking() {
        assert_eq!(
            CallbackXml::parse(b"<xml>\xff</xml>").unwrap_err(),
            XmlError::NotUtf8
        );
        for junk in [
            "<",
            "<x",
            "<xml",
            "<xml>",
            "<xml><",
            "<xml><![CDATA[",
            "<xml><!--",
            "<?",
            "<!",
            "<xml a='1' a='2'/>",
            "<xml><a.b>x</a.b></xml>",
            "<xml><a[1]>x</a[1]></xml>",
            "]]>",
            "<xml><![CDATA[x]]></xml",
            "<<xml>>",
            "<xml/ >",
        ] {
            let _ = parse(junk);
        }
        assert_eq!(
            parse("<xml><a.b>x</a.b></xml>").unwrap_err(),
            XmlError::BadName("a.b".into())
        );
    }

    #[test]
    fn never_panics_on_truncated_or_mutated_bodies() {
        let valid = body(
            "<MsgType><![CDATA[event]]></MsgType><Event>scancode_push</Event>\
             <ScanCodeInfo><ScanType>qrcode</ScanType></ScanCodeInfo><Title>a &amp; &#20013;</Title>",
        );
        let bytes = valid.as_bytes();
        for cut in 0..bytes.len() {
            let _ = CallbackXml::parse(&bytes[..cut]);
            let _ = InboundMessage::parse(&bytes[cut..]);
        }
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..2000 {
            let mut mutated = bytes.to_vec();
            for _ in 0..3 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let at = (state % mutated.len() as u64) as usize;
                let alphabet = b"<>/![]&;?=\"'x\n\xff";
                mutated[at] = alphabet[(state >> 32) as usize % alphabet.len()];
            }
            let _ = InboundMessage::parse(&mutated);
        }
    }

    #[test]
    fn error_codes_are_stable_and_distinct() {
        let errors = [
            XmlError::TooLarge(1),
            XmlError::NotUtf8,
            XmlError::Doctype,
            XmlError::EntityDeclaration,
            XmlError::ProcessingInstruction,
            XmlError::UndefinedEntity("x".into()),
            XmlError::WrongRoot("x".into()),
            XmlError::Unbalanced("x".into()),
            XmlError::TooDeep,
            XmlError::TooManyElements,
            XmlError::ContentOutsideRoot,
            XmlError::NoRoot,
            XmlError::BadName("x".into()),
            XmlError::Malformed("x".into()),
            XmlError::MissingField("x"),
            XmlError::BadField {
                field: "x",
                value: "y".into(),
            },
        ];
        let codes: std::collections::BTreeSet<_> = errors.iter().map(XmlError::code).collect();
        assert_eq!(codes.len(), errors.len());
        assert!(errors.iter().all(|e| !e.to_string().is_empty()));
    }
}
