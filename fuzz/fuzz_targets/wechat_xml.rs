//! Raw bytes into the WeChat/WeCom callback XML reader (`CallbackXml::parse`) and the typed
//! layer (`InboundMessage`).
//!
//! Asserts, beyond "never panics" (and, through libFuzzer's `-timeout`, "never hangs"):
//! * `parse` and `parse_str` agree, and `parse` is deterministic;
//! * anything accepted is UTF-8, at most `MAX_BODY_BYTES`, has `<xml>` as its first element,
//!   contains no `<!DOCTYPE`/`<!ENTITY`/other markup declaration and no processing instruction
//!   except a leading XML declaration (checked by an independent tokenizer that skips
//!   comments, CDATA sections and quoted attribute values);
//! * accepted field paths respect the limits: fewer than `MAX_ELEMENTS` fields, at most
//!   `MAX_DEPTH` segments, each `Name` or `Name[n]` with n >= 1 and no `.`/`[`/`]` in `Name`;
//! * `InboundMessage::parse(b)` == `CallbackXml::parse(b)` then `from_xml`, errors included,
//!   and a typed message agrees with the raw fields it came from.
#![no_main]

use kefu_fuzz::channels::wechat::xml::{MAX_BODY_BYTES, MAX_DEPTH, MAX_ELEMENTS};
use kefu_fuzz::channels::wechat::{CallbackXml, InboundMessage, MessageKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parsed = CallbackXml::parse(data);
    assert_eq!(
        CallbackXml::parse(data),
        parsed,
        "parse is not deterministic"
    );
    match std::str::from_utf8(data) {
        Ok(text) => assert_eq!(CallbackXml::parse_str(text), parsed, "parse != parse_str"),
        Err(_) => assert!(parsed.is_err(), "accepted non-UTF-8 input"),
    }

    let typed = InboundMessage::parse(data);
    let xml = match parsed {
        Err(e) => {
            let _ = (e.code(), e.to_string());
            assert_eq!(
                typed,
                Err(e),
                "InboundMessage::parse disagrees on a rejected body"
            );
            return;
        }
        Ok(xml) => xml,
    };

    // --- accepted: check the body itself ---
    assert!(data.len() <= MAX_BODY_BYTES);
    let text = std::str::from_utf8(data).unwrap();
    check_markup(text);

    // --- accepted: check the flattened fields ---
    assert!(
        xml.fields.len() < MAX_ELEMENTS,
        "{} fields",
        xml.fields.len()
    );
    for path in xml.fields.keys() {
        let segments: Vec<&str> = path.split('.').collect();
        assert!(segments.len() <= MAX_DEPTH, "path too deep: {path:?}");
        for seg in segments {
            let name = match seg.split_once('[') {
                None => seg,
                Some((name, idx)) => {
                    let n = idx.strip_suffix(']').expect("unterminated index");
                    let n: usize = n.parse().expect("non-numeric index");
                    assert!(n >= 1, "index 0 is never written: {path:?}");
                    name
                }
            };
            // Known bug `xml-empty-name`: `<xml><></></xml>` is accepted as the field "".
            assert!(
                !name.is_empty() || kefu_fuzz::tolerate("xml-empty-name"),
                "empty element name accepted: {path:?}"
            );
            assert!(!name.contains(['.', '[', ']']), "bad name in {path:?}");
        }
    }

    // --- the typed layer agrees with the fields ---
    assert_eq!(typed, InboundMessage::from_xml(&xml));
    if let Ok(msg) = typed {
        assert_eq!(Some(msg.to_user_name.as_str()), xml.get("ToUserName"));
        assert_eq!(Some(msg.from_user_name.as_str()), xml.get("FromUserName"));
        assert_eq!(Some(msg.create_time), xml.create_time());
        assert_eq!(msg.msg_id.as_deref(), xml.msg_id());
        assert_eq!(msg.agent_id.as_deref(), xml.agent_id());
        assert_eq!(Some(msg.kind.msg_type()), xml.msg_type());
        let key = msg.dedup_key();
        match &msg.kind {
            MessageKind::Event { event_name, .. } => {
                assert_eq!(Some(event_name.as_str()), xml.event());
                assert!(key.starts_with("event:"), "{key}");
            }
            MessageKind::Text { content } => assert_eq!(Some(content.as_str()), xml.content()),
            MessageKind::Location {
                location_x,
                location_y,
                ..
            } => {
                assert!(location_x.is_finite() && location_y.is_finite());
            }
            _ => {}
        }
        if !matches!(msg.kind, MessageKind::Event { .. }) {
            match &msg.msg_id {
                Some(id) => assert_eq!(key, format!("msgid:{id}")),
                None => assert!(key.starts_with("msg:"), "{key}"),
            }
        }
    }
});

/// An independent XML tokenizer over an accepted body: the first element must be `<xml>`, and
/// outside comments, CDATA sections and tags (quoted attribute values included) there must be
/// no `<!…` markup declaration and no `<?…` other than a leading XML declaration.
fn check_markup(text: &str) {
    // The host strips one BOM and quick-xml another (so `BOM BOM <?xml …?>` is accepted, as
    // a harmless leniency).
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let b = text.strip_prefix('\u{feff}').unwrap_or(text).as_bytes();
    let mut i = 0;
    let mut seen_element = false;
    let mut seen_non_ws = false;
    let find = |from: usize, pat: &[u8]| -> usize {
        b[from..]
            .windows(pat.len())
            .position(|w| w == pat)
            .map(|p| from + p + pat.len())
            .unwrap_or_else(|| {
                panic!(
                    "accepted body with unterminated {:?}",
                    String::from_utf8_lossy(pat)
                )
            })
    };
    while i < b.len() {
        let rest = &b[i..];
        if rest.starts_with(b"<!--") {
            i = find(i + 4, b"-->");
        } else if rest.starts_with(b"<![CDATA[") {
            assert!(seen_element, "CDATA before the root was accepted");
            i = find(i + 9, b"]]>");
        } else if rest.starts_with(b"<!") {
            panic!(
                "accepted a markup declaration: {:?}",
                String::from_utf8_lossy(&rest[..rest.len().min(40)])
            );
        } else if rest.starts_with(b"<?") {
            assert!(
                !seen_non_ws
                    && rest.starts_with(b"<?xml")
                    && matches!(rest.get(5), Some(b' ' | b'\t' | b'\r' | b'\n' | b'?')),
                "accepted a processing instruction: {:?}",
                String::from_utf8_lossy(&rest[..rest.len().min(40)])
            );
            i = find(i + 2, b"?>");
        } else if rest.starts_with(b"<") {
            if !seen_element {
                assert!(
                    rest.starts_with(b"<xml")
                        && matches!(
                            rest.get(4),
                            Some(b'>' | b'/' | b' ' | b'\t' | b'\r' | b'\n')
                        ),
                    "first element is not <xml>: {:?}",
                    String::from_utf8_lossy(&rest[..rest.len().min(40)])
                );
                seen_element = true;
            }
            // Skip the tag, honouring quoted attribute values.
            let mut j = i + 1;
            let mut quote: Option<u8> = None;
            loop {
                let c = *b.get(j).expect("accepted body with an unterminated tag");
                match quote {
                    Some(q) if c == q => quote = None,
                    Some(_) => {}
                    None if c == b'"' || c == b'\'' => quote = Some(c),
                    None if c == b'>' => break,
                    None => {}
                }
                j += 1;
            }
            i = j + 1;
        } else {
            if !b[i].is_ascii_whitespace() {
                seen_non_ws = true;
            }
            i += 1;
            continue;
        }
        seen_non_ws = true;
    }
    assert!(seen_element, "accepted a body without any element");
}
