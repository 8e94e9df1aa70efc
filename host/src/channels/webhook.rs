//! The generic JSON webhook (`POST /webhook/{tenant}/{channel}`) for channels and integrations
//! other than WeChat: its request schema and its HMAC-SHA256 signature.
//!
//! ```text
//! X-Kefu-Timestamp: 1732500000                      unix seconds
//! X-Kefu-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
//!
//! {"message_id": "m-1", "customer_id": "u-1", "text": "你好",
//!  "kind": "text", "timestamp": 1732500000000, "customer": {"name": "王女士"}}
//! ```
//!
//! A request is refused when the signature does not match (compared in constant time) or the
//! timestamp is more than the replay window (5 minutes) away from now. Kefu signs the replies
//! it posts to a channel's callback URL the same way.

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

/// How far a timestamp may be from now, in seconds.
pub const REPLAY_WINDOW_SECS: i64 = 300;

/// Why a webhook request was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("missing or malformed X-Kefu-Timestamp header")]
    BadTimestamp,
    #[error("timestamp is outside the {REPLAY_WINDOW_SECS} s replay window")]
    StaleTimestamp,
    #[error("missing or malformed X-Kefu-Signature header (expected sha256=<hex>)")]
    MissingSignature,
    #[error("signature does not match")]
    BadSignature,
    #[error("invalid body: {0}")]
    BadBody(String),
}

impl WebhookError {
    pub fn code(&self) -> &'static str {
        match self {
            WebhookError::BadTimestamp => "bad_timestamp",
            WebhookError::StaleTimestamp => "stale_timestamp",
            WebhookError::MissingSignature => "missing_signature",
            WebhookError::BadSignature => "bad_signature",
            WebhookError::BadBody(_) => "malformed_body",
        }
    }
}

/// The signature header value for a body: `sha256=<hex>`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks the timestamp window and the signature.
pub fn verify(
    secret: &[u8],
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now_secs: i64,
) -> Result<(), WebhookError> {
    let ts: i64 = timestamp
        .map(str::trim)
        .and_then(|t| t.parse().ok())
        .ok_or(WebhookError::BadTimestamp)?;
    // abs_diff: an extreme timestamp must not overflow (found by fuzzing).
    if now_secs.abs_diff(ts) > REPLAY_WINDOW_SECS as u64 {
        return Err(WebhookError::StaleTimestamp);
    }
    let given = signature
        .and_then(|s| s.trim().strip_prefix("sha256="))
        .and_then(|h| hex::decode(h).ok())
        .ok_or(WebhookError::MissingSignature)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(ts.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&given)
        .map_err(|_| WebhookError::BadSignature)
}

/// What a webhook message carries.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WebhookMessage {
    /// The sender's id for this message; retries with the same id are deduplicated.
    pub message_id: String,
    pub customer_id: String,
    pub text: String,
    #[serde(default = "default_kind")]
    pub kind: String,
    /// Unix milliseconds; the time of arrival when absent.
    #[serde(default)]
    pub timestamp: Option<u64>,
    #[serde(default)]
    pub customer: Option<serde_json::Value>,
}

fn default_kind() -> String {
    "text".to_owned()
}

/// Parses and checks a webhook body.
pub fn parse(body: &[u8]) -> Result<WebhookMessage, WebhookError> {
    // serde would also read a struct from a positional array (found by fuzzing).
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(WebhookError::BadBody(
            "the body must be a JSON object".into(),
        ));
    }
    let msg: WebhookMessage =
        serde_json::from_slice(body).map_err(|e| WebhookError::BadBody(e.to_string()))?;
    let check = |field: &str, v: &str, max: usize| {
        if v.is_empty() || v.len() > max {
            Err(WebhookError::BadBody(format!(
                "{field} must be 1-{max} bytes"
            )))
        } else {
            Ok(())
        }
    };
    check("message_id", &msg.message_id, 128)?;
    check("customer_id", &msg.customer_id, 128)?;
    if msg.text.len() > 16 * 1024 {
        return Err(WebhookError::BadBody(
            "text must be at most 16384 bytes".into(),
        ));
    }
    Ok(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"s3cret";

    #[test]
    fn accepts_a_fresh_correct_signature() {
        let body = br#"{"message_id":"m1","customer_id":"u1","text":"hi"}"#;
        let sig = sign(SECRET, 1_000, body);
        assert_eq!(
            verify(SECRET, Some("1000"), Some(&sig), body, 1_100),
            Ok(())
        );
    }

    #[test]
    fn signature_is_hmac_sha256_over_timestamp_dot_body() {
        // Computed independently with Python's hmac module:
        // hmac.new(b"key", b"1700000000.{}", hashlib.sha256).hexdigest()
        assert_eq!(
            sign(b"key", 1_700_000_000, b"{}"),
            "sha256=9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae"
        );
    }

    #[test]
    fn rejects_tampered_body_wrong_secret_and_stale_or_missing_headers() {
        let body = b"{}";
        let sig = sign(SECRET, 1_000, body);
        assert_eq!(
            verify(SECRET, Some("1000"), Some(&sig), b"{ }", 1_000),
            Err(WebhookError::BadSignature)
        );
        assert_eq!(
            verify(b"other", Some("1000"), Some(&sig), body, 1_000),
            Err(WebhookError::BadSignature)
        );
        assert_eq!(
            verify(
                SECRET,
                Some("1000"),
                Some(&sig),
                body,
                1_000 + REPLAY_WINDOW_SECS + 1
            ),
            Err(WebhookError::StaleTimestamp)
        );
        assert_eq!(
            verify(SECRET, None, Some(&sig), body, 1_000),
            Err(WebhookError::BadTimestamp)
        );
        let extreme = (i64::MIN + 1_000).to_string();
        assert_eq!(
            verify(SECRET, Some(&extreme), Some(&sig), body, 1_000),
            Err(WebhookError::StaleTimestamp),
            "an extreme timestamp neither overflows nor passes the window"
        );
        assert_eq!(
            verify(SECRET, Some("1000"), Some("md5=abc"), body, 1_000),
            Err(WebhookError::MissingSignature)
        );
        assert_eq!(
            verify(SECRET, Some("1000"), Some("sha256=zz"), body, 1_000),
            Err(WebhookError::MissingSignature)
        );
    }

    #[test]
    fn parses_messages_and_refuses_bad_ones() {
        let m = parse(br#"{"message_id":"m1","customer_id":"u1","text":"hi"}"#).unwrap();
        assert_eq!(m.kind, "text");
        for bad in [
            &br#"{"message_id":"","customer_id":"u1","text":"hi"}"#[..],
            br#"{"message_id":"m","customer_id":"u1"}"#,
            br#"{"message_id":"m","customer_id":"u1","text":"x","extra":1}"#,
            br#"["m1","u1","hi"]"#,
            b"not json",
        ] {
            assert!(
                matches!(parse(bad), Err(WebhookError::BadBody(_))),
                "{bad:?}"
            );
        }
    }
}
