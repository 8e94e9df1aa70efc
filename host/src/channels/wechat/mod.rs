//! Protocol core of the WeChat channels: Official Accounts (公众号) and WeCom (企业微信)
//! callbacks. Pure functions and types, no I/O; the HTTP handlers call into them.
//!
//! # The protocol in brief
//!
//! * **Plain signature** (Official Account, every request): `signature` = lower-hex SHA-1 of
//!   `[token, timestamp, nonce]` sorted and concatenated ([`plain_signature`]). The GET check
//!   answers `echostr` verbatim when it matches.
//! * **Safe mode** (`encrypt_type=aes`, and always on WeCom): the body is
//!   `<xml><ToUserName/><Encrypt/>…</xml>`; `msg_signature` = SHA-1 of the sorted
//!   `[token, timestamp, nonce, Encrypt]` ([`msg_signature`]). `Encrypt` is base64 of
//!   AES-256-CBC (key = base64(EncodingAESKey + "="), IV = first 16 key bytes) over
//!   `16 random bytes ‖ u32 BE length ‖ message ‖ receive id`, PKCS#7-padded to 32 bytes
//!   ([`MsgCrypt`]). The receive id is the appid (Official Account), the corpid (WeCom apps;
//!   the suite id for third-party suites) or empty (smart-bot callbacks). WeCom's GET check
//!   sends an *encrypted* `echostr`: verify, decrypt, answer the plaintext.
//! * **Bodies** are `<xml>` with CDATA strings and bare integers ([`CallbackXml`],
//!   [`InboundMessage`]); WeChat retries an unanswered callback (3 tries, 5 s apart), so
//!   handlers dedupe on [`InboundMessage::dedup_key`].
//! * **Passive replies** go in the HTTP response ([`reply`]); in safe mode wrapped by
//!   [`encrypted_envelope`] under the key that decrypted the request.
//!
//! Typical safe-mode flow: [`CallbackXml::parse`] the body → [`MsgCrypt::verify_and_decrypt`]
//! its [`CallbackXml::encrypt`] with the query's `msg_signature`/`timestamp`/`nonce` →
//! [`InboundMessage::parse`] the message → reply with [`encrypted_envelope`] using
//! [`Decrypted::key_index`]. Query parameters must be URL-decoded first (`echostr` and
//! `Encrypt` are base64 and may contain `+`, `/`, `=`).
//!
//! # SDK behaviours we deliberately do not copy
//!
//! * **Skipped appid check.** One popular SDK has the receive-id comparison commented out; we
//!   always compare the trailing receive id with the configured one, exactly (an empty one
//!   included), and fail with [`CryptoError::WrongReceiveId`].
//! * **Lax padding.** Several SDKs take the last byte as the pad length without checking it
//!   is `1..=32`, or that all pad bytes agree, or that the declared message length fits; we
//!   reject all of these ([`CryptoError::BadPadding`], [`CryptoError::BadLength`]) and never
//!   panic or slice out of bounds on short, odd-length, non-base64 or non-UTF-8 input.
//! * **Non-constant-time signature comparison** and **decrypting before verifying**: we
//!   compare with `subtle` and [`MsgCrypt::verify_and_decrypt`] checks the signature first
//!   (CBC without a MAC must not be exposed as a padding oracle).
//! * **Permissive XML.** SDKs built on general-purpose XML libraries have shipped with DTDs
//!   and external entities enabled (XXE). Our reader refuses DOCTYPE, entity declarations,
//!   undefined entities and processing instructions outright and caps size, depth and
//!   element count ([`xml`]).
//! * **Last-wins duplicate fields.** A repeated field never overrides the first occurrence.

pub mod crypto;
pub mod reply;
pub mod xml;

pub use crypto::{
    AesKey, CryptoError, Decrypted, MsgCrypt, msg_signature, plain_signature, verify_msg_signature,
    verify_plain_signature,
};
pub use reply::{Article, encrypted_envelope, news_reply, text_reply, transfer_customer_service};
pub use xml::{CallbackXml, EventKind, InboundMessage, MessageKind, XmlError};

#[cfg(test)]
mod tests {
    use super::*;

    // The safe-mode flow end to end on Tencent's WXBizMsgCrypt sample request (Sample.cpp of
    // the official library, copy at LeoEatle/WXBizMsgCryptNode): parse the envelope, verify
    // and decrypt, type the message, answer with an encrypted reply.
    #[test]
    fn safe_mode_flow_runs_end_to_end_on_tencent_sample() {
        let body = "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>";
        let crypt = MsgCrypt::from_encoding_aes_keys(
            "QDG6eK",
            "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
            None,
            "wx5823bf96d3bd56c7",
        )
        .unwrap();
        let outer = CallbackXml::parse(body.as_bytes()).unwrap();
        assert_eq!(outer.agent_id(), Some("218"));
        let decrypted = crypt
            .verify_and_decrypt(
                "477715d11cdb4164915debcba66cb864d751f3e6",
                "1409659813",
                "1372623149",
                outer.encrypt().unwrap(),
            )
            .unwrap();
        let msg = InboundMessage::parse(decrypted.message.as_bytes()).unwrap();
        assert_eq!(msg.from_user_name, "mycreate");
        assert_eq!(msg.to_user_name, "wx5823bf96d3bd56c7");
        assert_eq!(
            msg.kind,
            MessageKind::Text {
                content: "hello".into()
            }
        );
        assert_eq!(msg.dedup_key(), "msgid:4561255354251345929");

        let reply = text_reply(&msg.from_user_name, &msg.to_user_name, 1409659900, "hi");
        let env = encrypted_envelope(
            &crypt,
            decrypted.key_index,
            &reply,
            "1409659900",
            "42",
            [5; 16],
        )
        .unwrap();
        let env = CallbackXml::parse(env.as_bytes()).unwrap();
        let back = crypt
            .verify_and_decrypt(
                env.get("MsgSignature").unwrap(),
                env.get("TimeStamp").unwrap(),
                env.get("Nonce").unwrap(),
                env.encrypt().unwrap(),
            )
            .unwrap();
        assert_eq!(back.message, reply);
    }
}
