//! Passive replies: the XML answered in the HTTP response to a callback (within 5 s).
//!
//! `ToUserName` is the user's OpenID (the callback's `FromUserName`), `FromUserName` the
//! account id (the callback's `ToUserName`). String values go in CDATA; a `]]>` inside a value
//! is written by closing the section after `]]` and opening a new one before `>`, and
//! characters XML 1.0 cannot carry (most C0 controls, U+FFFE, U+FFFF) are dropped.
//!
//! In safe mode the reply is wrapped by [`encrypted_envelope`]. "No reply" is the plain body
//! `success` (or an empty body), not built here.

use std::fmt::Write as _;

use super::crypto::{CryptoError, MsgCrypt};

/// Whether XML 1.0 allows the character at all.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Writes `value` as CDATA, splitting the section at every `]]>`.
pub fn cdata(value: &str) -> String {
    let clean: String = value.chars().filter(|&c| is_xml_char(c)).collect();
    format!("<![CDATA[{}]]>", clean.replace("]]>", "]]]]><![CDATA[>"))
}

/// Escapes character data for use outside CDATA.
fn escape_text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars().filter(|&c| is_xml_char(c)) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    out
}

fn header(out: &mut String, to_user: &str, from_account: &str, create_time: i64, msg_type: &str) {
    let _ = write!(
        out,
        "<xml><ToUserName>{}</ToUserName><FromUserName>{}</FromUserName>\
         <CreateTime>{create_time}</CreateTime><MsgType>{}</MsgType>",
        cdata(to_user),
        cdata(from_account),
        cdata(msg_type),
    );
}

/// A text reply.
pub fn text_reply(to_user: &str, from_account: &str, create_time: i64, content: &str) -> String {
    let mut out = String::new();
    header(&mut out, to_user, from_account, create_time, "text");
    let _ = write!(out, "<Content>{}</Content></xml>", cdata(content));
    out
}

/// One article of a news reply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Article {
    /// `Title`.
    pub title: String,
    /// `Description`.
    pub description: String,
    /// `PicUrl` (large image 360×200, small 200×200).
    pub pic_url: String,
    /// `Url` opened on tap.
    pub url: String,
}

/// A news (图文) reply. WeChat currently shows a single article for passive replies (it used
/// to allow up to 8); the list is written as given.
pub fn news_reply(
    to_user: &str,
    from_account: &str,
    create_time: i64,
    articles: &[Article],
) -> String {
    let mut out = String::new();
    header(&mut out, to_user, from_account, create_time, "news");
    let _ = write!(
        out,
        "<ArticleCount>{}</ArticleCount><Articles>",
        articles.len()
    );
    for a in articles {
        let _ = write!(
            out,
            "<item><Title>{}</Title><Description>{}</Description><PicUrl>{}</PicUrl>\
             <Url>{}</Url></item>",
            cdata(&a.title),
            cdata(&a.description),
            cdata(&a.pic_url),
            cdata(&a.url),
        );
    }
    out.push_str("</Articles></xml>");
    out
}

/// Hands the conversation to WeChat's customer-service system (`transfer_customer_service`),
/// optionally to one agent account (`TransInfo/KfAccount`, e.g. `test1@test`).
pub fn transfer_customer_service(
    to_user: &str,
    from_account: &str,
    create_time: i64,
    kf_account: Option<&str>,
) -> String {
    let mut out = String::new();
    header(
        &mut out,
        to_user,
        from_account,
        create_time,
        "transfer_customer_service",
    );
    if let Some(kf) = kf_account {
        let _ = write!(
            out,
            "<TransInfo><KfAccount>{}</KfAccount></TransInfo>",
            cdata(kf)
        );
    }
    out.push_str("</xml>");
    out
}

/// Encrypts `reply_xml` with the key at `key_index` (the one that decrypted the request) and
/// wraps it as
/// `<xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml>`, the signature being the SHA-1
/// of the sorted `[token, timestamp, nonce, Encrypt]`. `random16` is the 16-byte random prefix
/// (from a CSPRNG in production).
pub fn encrypted_envelope(
    crypt: &MsgCrypt,
    key_index: usize,
    reply_xml: &str,
    timestamp: &str,
    nonce: &str,
    random16: [u8; 16],
) -> Result<String, CryptoError> {
    let encrypt = crypt.encrypt_with_key_index(key_index, reply_xml, random16)?;
    let signature = crypt.signature(timestamp, nonce, &encrypt);
    Ok(format!(
        "<xml><Encrypt>{}</Encrypt><MsgSignature>{}</MsgSignature>\
         <TimeStamp>{}</TimeStamp><Nonce>{}</Nonce></xml>",
        cdata(&encrypt),
        cdata(&signature),
        escape_text(timestamp),
        cdata(nonce),
    ))
}

#[cfg(test)]
mod tests {
    use super::super::crypto::AesKey;
    use super::super::xml::CallbackXml;
    use super::*;

    fn read(xml: &str) -> CallbackXml {
        CallbackXml::parse(xml.as_bytes()).unwrap()
    }

    #[test]
    fn text_reply_reads_back_with_swapped_ids() {
        let xml = text_reply("oUser_OpenID", "gh_account", 1700000000, "你好 <b>&</b>");
        assert!(xml.starts_with("<xml><ToUserName><![CDATA[oUser_OpenID]]></ToUserName>"));
        let back = read(&xml);
        assert_eq!(back.to_user_name(), Some("oUser_OpenID"));
        assert_eq!(back.from_user_name(), Some("gh_account"));
        assert_eq!(back.create_time(), Some(1700000000));
        assert_eq!(back.msg_type(), Some("text"));
        assert_eq!(back.content(), Some("你好 <b>&</b>"));
    }

    #[test]
    fn cdata_containing_terminator_round_trips() {
        for content in [
            "]]>",
            "a]]>b]]>c",
            "]]]]>>",
            "]",
            "]]",
            "x]]",
            "<![CDATA[x]]>",
        ] {
            let xml = text_reply("u", "a", 1, content);
            assert_eq!(read(&xml).content(), Some(content), "{xml}");
        }
        assert_eq!(cdata("a]]>b"), "<![CDATA[a]]]]><![CDATA[>b]]>");
    }

    #[test]
    fn drops_characters_xml_cannot_carry() {
        let xml = text_reply("u", "a", 1, "bell\u{7}\u{0} tab\tok\u{FFFF}");
        assert_eq!(read(&xml).content(), Some("bell tab\tok"));
    }

    #[test]
    fn news_reply_reads_back() {
        let articles = [
            Article {
                title: "标题".into(),
                description: "描述 ]]> tricky".into(),
                pic_url: "https://example.com/p.png".into(),
                url: "https://example.com/a?x=1&y=2".into(),
            },
            Article {
                title: "second".into(),
                ..Article::default()
            },
        ];
        let xml = news_reply("oUser", "gh_acc", 1700000001, &articles);
        let back = read(&xml);
        assert_eq!(back.msg_type(), Some("news"));
        assert_eq!(back.get("ArticleCount"), Some("2"));
        assert_eq!(back.get("Articles.item.Title"), Some("标题"));
        assert_eq!(
            back.get("Articles.item.Description"),
            Some("描述 ]]> tricky")
        );
        assert_eq!(
            back.get("Articles.item.PicUrl"),
            Some("https://example.com/p.png")
        );
        assert_eq!(
            back.get("Articles.item.Url"),
            Some("https://example.com/a?x=1&y=2")
        );
        assert_eq!(back.get("Articles.item[1].Title"), Some("second"));
        assert_eq!(back.get("Articles.item[1].Url"), Some(""));
    }

    #[test]
    fn transfer_customer_service_reads_back() {
        let back = read(&transfer_customer_service("oUser", "gh_acc", 5, None));
        assert_eq!(back.msg_type(), Some("transfer_customer_service"));
        assert_eq!(back.to_user_name(), Some("oUser"));
        assert_eq!(back.get("TransInfo.KfAccount"), None);
        let back = read(&transfer_customer_service(
            "oUser",
            "gh_acc",
            5,
            Some("test1@test"),
        ));
        assert_eq!(back.get("TransInfo.KfAccount"), Some("test1@test"));
    }

    #[test]
    fn encrypted_envelope_verifies_and_decrypts_back() {
        let crypt = MsgCrypt::from_encoding_aes_keys(
            "token",
            "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
            None,
            "wxb11529c136998cb6",
        )
        .unwrap();
        let reply = text_reply("oUser", "gh_acc", 1700000000, "pong ]]>");
        let env =
            encrypted_envelope(&crypt, 0, &reply, "1700000000", "nonce&<1>", [7; 16]).unwrap();
        let outer = read(&env);
        let encrypt = outer.encrypt().unwrap();
        assert_eq!(outer.get("TimeStamp"), Some("1700000000"));
        assert_eq!(outer.get("Nonce"), Some("nonce&<1>"));
        let signature = outer.get("MsgSignature").unwrap();
        let out = crypt
            .verify_and_decrypt(signature, "1700000000", "nonce&<1>", encrypt)
            .unwrap();
        assert_eq!(out.message, reply);
        assert_eq!(read(&out.message).content(), Some("pong ]]>"));
    }

    // wechatpy/wechatpy tests/test_crypto.py test_encrypt_message: same Encrypt and
    // MsgSignature values (wechatpy puts newlines between the envelope's elements).
    #[test]
    fn encrypted_envelope_matches_wechatpy_vector() {
        let crypt = MsgCrypt::from_encoding_aes_keys(
            "123456",
            "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR",
            None,
            "wx49f0ab532d5d035a",
        )
        .unwrap();
        let reply = "<xml>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[test]]></Content>\n<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>\n<ToUserName><![CDATA[messense]]></ToUserName>\n<AgentID>1</AgentID>\n<CreateTime>1411525903</CreateTime>\n</xml>";
        let env = encrypted_envelope(
            &crypt,
            0,
            reply,
            "1411525903",
            "461056294",
            *b"1234567890123456",
        )
        .unwrap();
        let expected = "<xml><Encrypt><![CDATA[9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHrluLBYqxgNcBqGsL8GqxlhZgURnAtObvesEl5nZ+uBE8bviY0LWke8Zy9V/QYKxNV2FqllNXcfmstttyIkMKCCmVbCFM2JTF5wY0nFhHZSjPUL2Q1qvSUCUld+/WIXrx0oyKQmpB6o8NRrrNrsDf03oxI1p9FxUgMnwKKZeOA/uu+2IEvEBtb7muXsVbwbgX05UPPJvFurDXafG0RQyPR+mf1nDnAtQmmNOuiR5MIkdQ39xn1vWwi1O5oazPoQJz0nTYjxxEE8kv3kFxtAGVRe3ypD3WeK2XeFYFMNMpatF9XiKzHo3]]></Encrypt><MsgSignature><![CDATA[407518b7649e86ef23978113f92d27afa9296533]]></MsgSignature><TimeStamp>1411525903</TimeStamp><Nonce><![CDATA[461056294]]></Nonce></xml>";
        assert_eq!(env, expected);
    }

    #[test]
    fn encrypted_envelope_uses_the_key_that_decrypted_the_request() {
        let old = AesKey::from_bytes([1; 32]);
        let new = AesKey::from_bytes([2; 32]);
        let rotated = MsgCrypt::new("t", vec![new, old.clone()], "wxid").unwrap();
        let old_only = MsgCrypt::new("t", vec![old], "wxid").unwrap();
        let env = encrypted_envelope(&rotated, 1, "<xml/>", "1", "n", [0; 16]).unwrap();
        let encrypt = read(&env).encrypt().unwrap().to_owned();
        assert_eq!(old_only.decrypt(&encrypt).unwrap().message, "<xml/>");
        assert_eq!(
            encrypted_envelope(&rotated, 5, "<xml/>", "1", "n", [0; 16]),
            Err(CryptoError::UnknownKeyIndex(5))
        );
    }
}
