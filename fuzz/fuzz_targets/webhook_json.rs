//! Raw bytes into the JSON webhook body parser (`webhook::parse`).
//!
//! Asserts, beyond "never panics" (deep nesting in `customer` included):
//! * anything accepted is a JSON object (not, say, a positional array) (checked with `serde_json::Value`) with exactly the
//!   known keys, no duplicates, and the parsed message equals what the generic JSON value holds:
//!   `message_id`/`customer_id` 1..=128 bytes, `text` at most 16 KiB, `kind` defaulting to
//!   "text", `timestamp` a u64 or null/absent, `customer` any JSON value (null = absent);
//! * anything refused is refused with `BadBody` (the only error `parse` may return);
//! * the body is also fed to `verify` with header values taken from it (no panic).
#![no_main]

use kefu_fuzz::channels::webhook::{self, WebhookError};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const KEYS: &[&str] = &[
    "message_id",
    "customer_id",
    "text",
    "kind",
    "timestamp",
    "customer",
];

fuzz_target!(|data: &[u8]| {
    let parsed = webhook::parse(data);
    assert_eq!(webhook::parse(data), parsed, "not deterministic");

    // Header-ish strings from the body: verify must never panic on them. (The timestamp is
    // kept to values whose distance to `now` fits an i64; see the known bug
    // `webhook-ts-overflow` exercised by webhook_verify.)
    let (a, b) = data.split_at(data.len() / 2);
    let (a, b) = (String::from_utf8_lossy(a), String::from_utf8_lossy(b));
    let (a, b) = (a.as_ref(), b.as_ref());
    let now = 1_732_500_000;
    let ts_ok = a.trim().parse::<i64>().map_or(true, |t| {
        (now as i128 - t as i128).abs() <= i64::MAX as i128
    });
    if ts_ok {
        let _ = webhook::verify(b"secret", Some(a), Some(b), data, now);
    }

    let msg = match parsed {
        Err(WebhookError::BadBody(reason)) => {
            assert!(!reason.is_empty());
            return;
        }
        Err(other) => panic!("parse returned {other:?}"),
        Ok(msg) => msg,
    };

    let value: Value = serde_json::from_slice(data).expect("accepted a body that is not JSON");
    // Known bug `webhook-json-array`: serde's derived `Deserialize` also takes a struct as a
    // positional array, so `["m1","u1","hi"]` is accepted as a message.
    if value.is_array() && kefu_fuzz::tolerate("webhook-json-array") {
        return;
    }
    let obj = value
        .as_object()
        .expect("accepted a JSON body that is not an object");
    for key in obj.keys() {
        assert!(KEYS.contains(&key.as_str()), "accepted unknown key {key:?}");
    }
    assert_eq!(
        obj.get("message_id").and_then(Value::as_str),
        Some(msg.message_id.as_str())
    );
    assert_eq!(
        obj.get("customer_id").and_then(Value::as_str),
        Some(msg.customer_id.as_str())
    );
    assert_eq!(
        obj.get("text").and_then(Value::as_str),
        Some(msg.text.as_str())
    );
    assert!((1..=128).contains(&msg.message_id.len()));
    assert!((1..=128).contains(&msg.customer_id.len()));
    assert!(msg.text.len() <= 16 * 1024);
    match obj.get("kind") {
        None => assert_eq!(msg.kind, "text"),
        Some(k) => assert_eq!(k.as_str(), Some(msg.kind.as_str())),
    }
    match obj.get("timestamp") {
        None | Some(Value::Null) => assert_eq!(msg.timestamp, None),
        Some(t) => assert_eq!(t.as_u64(), msg.timestamp, "timestamp {t}"),
    }
    match obj.get("customer") {
        None | Some(Value::Null) => assert_eq!(msg.customer, None),
        Some(c) => assert_eq!(msg.customer.as_ref(), Some(c)),
    }
    // No duplicate keys: `Value` silently keeps the last of a repeated key, so compare its
    // key count with a streaming count of the top-level entries.
    assert_eq!(
        count_top_level_keys(data),
        obj.len(),
        "duplicate key accepted"
    );
});

/// Counts the keys of a top-level JSON object with serde's streaming visitor (duplicates
/// counted separately).
fn count_top_level_keys(data: &[u8]) -> usize {
    use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
    struct Count;
    impl<'de> Visitor<'de> for Count {
        type Value = usize;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<usize, A::Error> {
            let mut n = 0;
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {
                n += 1;
            }
            Ok(n)
        }
    }
    let mut de = serde_json::Deserializer::from_slice(data);
    de.deserialize_map(Count)
        .expect("re-reading the accepted body failed")
}
