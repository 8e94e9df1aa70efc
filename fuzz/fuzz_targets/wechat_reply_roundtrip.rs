//! Passive-reply builders (`text_reply`, `news_reply`, `transfer_customer_service`,
//! `encrypted_envelope`) must produce XML that our own reader parses back to the same values.
//!
//! Asserts, for arbitrary user ids, account ids, timestamps and contents (any Unicode, `]]>`,
//! control characters, ...):
//! * `text_reply` parses (when within `MAX_BODY_BYTES`) to exactly the five fields
//!   `ToUserName`, `FromUserName`, `CreateTime`, `MsgType`=`text`, `Content`, each the input
//!   minus the characters XML 1.0 cannot carry, and `InboundMessage::parse` types it as a text
//!   message with that content;
//! * `news_reply` parses to `ArticleCount` = n and every article's four fields under
//!   `Articles.item[i]`, or is refused with exactly `TooManyElements` / `TooLarge` when the
//!   reply exceeds the reader's limits (the builder does not cap the article count);
//! * `transfer_customer_service` parses with the optional `TransInfo.KfAccount`;
//! * `encrypted_envelope` parses, and `verify_and_decrypt` of its fields returns the reply
//!   with its signature; an out-of-range key index is `UnknownKeyIndex`.
#![no_main]

use arbitrary::Arbitrary;
use kefu_fuzz::channels::wechat::xml::{MAX_BODY_BYTES, MAX_ELEMENTS};
use kefu_fuzz::channels::wechat::{
    AesKey, Article, CallbackXml, CryptoError, InboundMessage, MessageKind, MsgCrypt, XmlError,
    encrypted_envelope, news_reply, text_reply, transfer_customer_service,
};
use kefu_fuzz::reference::{is_xml_char, xml_clean};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    to_user: String,
    from_account: String,
    create_time: i64,
    content: String,
    articles: Vec<(String, String, String, String)>,
    kf_account: Option<String>,
    key: [u8; 32],
    previous: Option<[u8; 32]>,
    use_previous: bool,
    token: String,
    receive_id: String,
    timestamp: String,
    nonce: String,
    random16: [u8; 16],
}

fn parse_sized(xml: &str) -> Option<CallbackXml> {
    let got = CallbackXml::parse(xml.as_bytes());
    if xml.len() > MAX_BODY_BYTES {
        assert_eq!(got, Err(XmlError::TooLarge(xml.len())));
        return None;
    }
    Some(got.unwrap_or_else(|e| panic!("reply does not parse back: {e:?}\n{xml:?}")))
}

fn check_header(x: &CallbackXml, input: &Input, msg_type: &str) {
    assert_eq!(
        x.get("ToUserName"),
        Some(xml_clean(&input.to_user).as_str())
    );
    assert_eq!(
        x.get("FromUserName"),
        Some(xml_clean(&input.from_account).as_str())
    );
    assert_eq!(x.create_time(), Some(input.create_time));
    assert_eq!(x.get("MsgType"), Some(msg_type));
}

fuzz_target!(|input: Input| {
    // ---------- text ----------
    let reply = text_reply(
        &input.to_user,
        &input.from_account,
        input.create_time,
        &input.content,
    );
    if let Some(x) = parse_sized(&reply) {
        check_header(&x, &input, "text");
        let content = xml_clean(&input.content);
        assert_eq!(x.content(), Some(content.as_str()));
        assert_eq!(x.fields.len(), 5, "{:?}", x.fields);
        let msg = InboundMessage::parse(reply.as_bytes()).expect("text reply does not type");
        assert_eq!(msg.kind, MessageKind::Text { content });
        assert_eq!(msg.to_user_name, xml_clean(&input.to_user));
        assert_eq!(msg.create_time, input.create_time);
    }

    // ---------- news ----------
    let articles: Vec<Article> = input
        .articles
        .iter()
        .map(|(t, d, p, u)| Article {
            title: t.clone(),
            description: d.clone(),
            pic_url: p.clone(),
            url: u.clone(),
        })
        .collect();
    let news = news_reply(
        &input.to_user,
        &input.from_account,
        input.create_time,
        &articles,
    );
    // xml + 4 header fields + ArticleCount + Articles + 5 per article.
    let elements = 7 + 5 * articles.len();
    if news.len() > MAX_BODY_BYTES {
        assert_eq!(
            CallbackXml::parse(news.as_bytes()),
            Err(XmlError::TooLarge(news.len()))
        );
    } else if elements > MAX_ELEMENTS {
        assert_eq!(
            CallbackXml::parse(news.as_bytes()),
            Err(XmlError::TooManyElements)
        );
    } else {
        let x = parse_sized(&news).unwrap();
        check_header(&x, &input, "news");
        assert_eq!(
            x.get("ArticleCount"),
            Some(articles.len().to_string().as_str())
        );
        for (i, a) in articles.iter().enumerate() {
            let item = if i == 0 {
                "Articles.item".to_owned()
            } else {
                format!("Articles.item[{i}]")
            };
            for (field, value) in [
                ("Title", &a.title),
                ("Description", &a.description),
                ("PicUrl", &a.pic_url),
                ("Url", &a.url),
            ] {
                assert_eq!(
                    x.get(&format!("{item}.{field}")),
                    Some(xml_clean(value).as_str()),
                    "{item}.{field}"
                );
            }
        }
        if articles.is_empty() {
            // `<Articles></Articles>` is then a leaf like any other.
            assert_eq!(x.get("Articles"), Some(""));
            assert_eq!(x.fields.len(), 6);
        } else {
            assert_eq!(x.fields.len(), 5 + 4 * articles.len());
        }
    }

    // ---------- transfer to customer service ----------
    let transfer = transfer_customer_service(
        &input.to_user,
        &input.from_account,
        input.create_time,
        input.kf_account.as_deref(),
    );
    if let Some(x) = parse_sized(&transfer) {
        check_header(&x, &input, "transfer_customer_service");
        assert_eq!(
            x.get("TransInfo.KfAccount").map(str::to_owned),
            input.kf_account.as_deref().map(xml_clean)
        );
    }

    // ---------- encrypted envelope ----------
    let keys: Vec<AesKey> = std::iter::once(input.key)
        .chain(input.previous)
        .map(AesKey::from_bytes)
        .collect();
    let n = keys.len();
    let crypt = MsgCrypt::new(input.token.clone(), keys, input.receive_id.clone()).unwrap();
    let key_index = if input.use_previous && n == 2 { 1 } else { 0 };
    assert_eq!(
        encrypted_envelope(
            &crypt,
            n,
            &reply,
            &input.timestamp,
            &input.nonce,
            input.random16
        ),
        Err(CryptoError::UnknownKeyIndex(n))
    );
    let env = encrypted_envelope(
        &crypt,
        key_index,
        &reply,
        &input.timestamp,
        &input.nonce,
        input.random16,
    )
    .unwrap();
    if let Some(x) = parse_sized(&env) {
        assert_eq!(x.fields.len(), 4, "{:?}", x.fields);
        assert_eq!(
            x.get("TimeStamp"),
            Some(xml_clean(&input.timestamp).as_str())
        );
        assert_eq!(x.get("Nonce"), Some(xml_clean(&input.nonce).as_str()));
        let back = crypt.verify_and_decrypt(
            x.get("MsgSignature").unwrap(),
            x.get("TimeStamp").unwrap(),
            x.get("Nonce").unwrap(),
            x.encrypt().unwrap(),
        );
        // The signature covers the timestamp and nonce as given; they come back unchanged
        // only when XML can carry them (the host passes digits and alphanumerics).
        let carried = input
            .timestamp
            .chars()
            .chain(input.nonce.chars())
            .all(is_xml_char);
        if carried {
            let d = back.expect("envelope does not verify/decrypt");
            assert_eq!(d.message, reply);
            let expected = if key_index == 1 && input.previous != Some(input.key) {
                1
            } else {
                0
            };
            assert_eq!(d.key_index, expected);
        }
    }
});
