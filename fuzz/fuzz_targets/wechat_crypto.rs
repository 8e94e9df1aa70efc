//! The WeChat/WeCom AES envelope (`MsgCrypt`), against an independent reference
//! implementation of the scheme (`kefu_fuzz::reference`, raw AES block cipher + hand-written
//! CBC and frame parsing).
//!
//! Asserts:
//! * round trip: for any key(s), plaintext, receive id and random prefix, `encrypt` output is
//!   canonical base64 of `16 + 4 + len(msg) + len(id)` bytes PKCS#7-padded to a multiple of 32
//!   (1..=32 pad bytes), decrypts under the reference to exactly that frame, and
//!   `decrypt` returns the plaintext with `key_index` 0 (1 for `encrypt_with_key_index(1)`
//!   under a distinct previous key); an out-of-range key index is `UnknownKeyIndex`;
//! * the receive id is enforced: the same ciphertext under another receive id is exactly
//!   `WrongReceiveId`, and under another key never decrypts;
//! * `verify_and_decrypt` accepts the matching signature (also upper-cased / padded with
//!   whitespace), refuses a signature with one hex digit changed, and refuses a ciphertext
//!   altered after signing (CBC is malleable: the signature must cover it);
//! * arbitrary decrypted frames (any padding, length field, trailing id, UTF-8 or not) and
//!   arbitrary `Encrypt` strings: `decrypt` never panics and its result — success, message
//!   and error kind — equals the reference's; in particular a successful decrypt only ever
//!   happens when the trailing receive id equals the configured one exactly;
//! * `AesKey::from_encoding_aes_key` never panics, accepts only 43-character base64 strings
//!   that decode to the 32 bytes they spell, and accepts every key's own encoding;
//! * `plain_signature` / `msg_signature` are 40 lowercase hex digits, independent of argument
//!   order (WeChat sorts), and verify case-insensitively.
#![no_main]

use arbitrary::Arbitrary;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use kefu_fuzz::channels::wechat::{
    AesKey, CryptoError, MsgCrypt, msg_signature, plain_signature, verify_msg_signature,
    verify_plain_signature,
};
use kefu_fuzz::reference::{cbc_encrypt, wechat_decrypt, wechat_open};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    key: [u8; 32],
    previous: Option<[u8; 32]>,
    token: String,
    receive_id: String,
    other_receive_id: String,
    plaintext: String,
    random16: [u8; 16],
    timestamp: String,
    nonce: String,
    /// Which hex digit of the signature to change, and which ciphertext byte to flip.
    tamper_at: u16,
    tamper_xor: u8,
    frame: Frame,
    encrypt_text: String,
    encoding_aes_key: String,
}

/// A decrypted frame for the host to open: either raw bytes or built from parts, so that the
/// fuzzer reaches valid padding, length and receive id easily and can then break each one.
#[derive(Arbitrary, Debug)]
enum Frame {
    Raw(Vec<u8>),
    Parts {
        random16: [u8; 16],
        /// `None`: the true message length.
        len: Option<u32>,
        msg: Vec<u8>,
        id: Id,
        pad: Pad,
    },
}

#[derive(Arbitrary, Debug)]
enum Id {
    Configured,
    ConfiguredPlus(Vec<u8>),
    ConfiguredTruncated(u8),
    Other(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum Pad {
    /// PKCS#7 to a multiple of 32 (what WeChat writes).
    To32,
    /// PKCS#7 to a multiple of 16 (also valid).
    To16,
    /// `n` bytes of value `v`, then zero-filled to a block boundary.
    Custom { n: u8, v: u8 },
}

fuzz_target!(|input: Input| {
    let keys: Vec<AesKey> = std::iter::once(input.key)
        .chain(input.previous)
        .map(AesKey::from_bytes)
        .collect();
    let crypt = MsgCrypt::new(input.token.clone(), keys.clone(), input.receive_id.clone()).unwrap();
    let id = input.receive_id.as_bytes();

    // ---------- encrypt -> decrypt round trip ----------
    let enc = crypt.encrypt(&input.plaintext, input.random16);
    let ct = STANDARD
        .decode(&enc)
        .expect("encrypt output is not canonical base64");
    assert_eq!(STANDARD.encode(&ct), enc);
    let frame_len = 20 + input.plaintext.len() + id.len();
    assert_eq!(ct.len(), (frame_len / 32 + 1) * 32, "wrong padded length");
    let plain = kefu_fuzz::reference::cbc_decrypt(&input.key, &ct);
    assert_eq!(&plain[..16], &input.random16);
    assert_eq!(
        &plain[16..20],
        &(input.plaintext.len() as u32).to_be_bytes()
    );
    assert_eq!(
        &plain[20..20 + input.plaintext.len()],
        input.plaintext.as_bytes()
    );
    assert_eq!(&plain[20 + input.plaintext.len()..frame_len], id);
    let pad = ct.len() - frame_len;
    assert!(
        plain[frame_len..].iter().all(|&b| b as usize == pad),
        "bad PKCS#7 padding"
    );

    let d = crypt.decrypt(&enc).expect("round trip failed");
    assert_eq!(d.message, input.plaintext);
    assert_eq!(d.key_index, 0);
    assert_eq!(
        wechat_decrypt(&input.key, id, &enc).as_deref(),
        Ok(input.plaintext.as_str())
    );

    if let Some(prev) = input.previous {
        let enc1 = crypt
            .encrypt_with_key_index(1, &input.plaintext, input.random16)
            .unwrap();
        let d1 = crypt
            .decrypt(&enc1)
            .expect("round trip under the previous key failed");
        assert_eq!(d1.message, input.plaintext);
        assert_eq!(d1.key_index, if prev == input.key { 0 } else { 1 });
    }
    let n = keys.len();
    assert_eq!(
        crypt.encrypt_with_key_index(n, &input.plaintext, input.random16),
        Err(CryptoError::UnknownKeyIndex(n))
    );

    // ---------- receive id and key are enforced ----------
    if input.other_receive_id != input.receive_id {
        let other = MsgCrypt::new(
            "",
            vec![AesKey::from_bytes(input.key)],
            input.other_receive_id.clone(),
        )
        .unwrap();
        assert_eq!(other.decrypt(&enc), Err(CryptoError::WrongReceiveId));
    }
    let mut wrong = input.key;
    wrong[input.tamper_at as usize % 32] ^= input.tamper_xor.max(1);
    let wrong_crypt = MsgCrypt::new(
        "",
        vec![AesKey::from_bytes(wrong)],
        input.receive_id.clone(),
    )
    .unwrap();
    assert!(
        wrong_crypt.decrypt(&enc).is_err(),
        "decrypted under the wrong key"
    );

    // ---------- signatures ----------
    let sig = crypt.signature(&input.timestamp, &input.nonce, &enc);
    assert_eq!(
        sig,
        msg_signature(&input.token, &input.timestamp, &input.nonce, &enc)
    );
    let ok = crypt
        .verify_and_decrypt(&sig, &input.timestamp, &input.nonce, &enc)
        .unwrap();
    assert_eq!(ok.message, input.plaintext);
    let loud = format!(" {}\n", sig.to_uppercase());
    assert!(
        crypt
            .verify_and_decrypt(&loud, &input.timestamp, &input.nonce, &enc)
            .is_ok()
    );
    let mut bad_sig = sig.clone().into_bytes();
    let at = input.tamper_at as usize % bad_sig.len();
    bad_sig[at] = if bad_sig[at] == b'0' { b'1' } else { b'0' };
    let bad_sig = String::from_utf8(bad_sig).unwrap();
    assert_eq!(
        crypt.verify_and_decrypt(&bad_sig, &input.timestamp, &input.nonce, &enc),
        Err(CryptoError::BadSignature)
    );
    // Tamper with the ciphertext after signing.
    let mut ct2 = ct.clone();
    let at = input.tamper_at as usize % ct2.len();
    ct2[at] ^= input.tamper_xor.max(1);
    let enc2 = STANDARD.encode(&ct2);
    assert_eq!(
        crypt.verify_and_decrypt(&sig, &input.timestamp, &input.nonce, &enc2),
        Err(CryptoError::BadSignature)
    );
    // Without the signature check, the altered ciphertext is judged like the reference does.
    let single = MsgCrypt::new(
        "",
        vec![AesKey::from_bytes(input.key)],
        input.receive_id.clone(),
    )
    .unwrap();
    let _ = compare(&single, &input.key, id, &enc2);

    // ---------- arbitrary decrypted frames ----------
    let mut frame = match &input.frame {
        Frame::Raw(bytes) => bytes.clone(),
        Frame::Parts {
            random16,
            len,
            msg,
            id: which,
            pad,
        } => {
            let mut f = random16.to_vec();
            f.extend_from_slice(&len.unwrap_or(msg.len() as u32).to_be_bytes());
            f.extend_from_slice(msg);
            match which {
                Id::Configured => f.extend_from_slice(id),
                Id::ConfiguredPlus(extra) => {
                    f.extend_from_slice(id);
                    f.extend_from_slice(extra);
                }
                Id::ConfiguredTruncated(k) => {
                    f.extend_from_slice(&id[..id.len().saturating_sub(*k as usize)])
                }
                Id::Other(other) => f.extend_from_slice(other),
            }
            match pad {
                Pad::To32 => {
                    let p = 32 - f.len() % 32;
                    f.resize(f.len() + p, p as u8);
                }
                Pad::To16 => {
                    let p = 16 - f.len() % 16;
                    f.resize(f.len() + p, p as u8);
                }
                Pad::Custom { n, v } => f.extend(std::iter::repeat_n(*v, *n as usize)),
            }
            f
        }
    };
    frame.resize(frame.len().div_ceil(16) * 16, 0);
    let enc3 = STANDARD.encode(cbc_encrypt(&input.key, &frame));
    let got = compare(&single, &input.key, id, &enc3);
    if let Ok(message) = got {
        // A success implies the exact receive id, whatever the frame was.
        let open = wechat_open(&frame, id).unwrap();
        assert_eq!(open, message);
        let pad = *frame.last().unwrap() as usize;
        assert!(frame[..frame.len() - pad].ends_with(id));
        assert_eq!(frame.len() - pad, 20 + message.len() + id.len());
    }

    // ---------- arbitrary Encrypt strings ----------
    let _ = compare(&single, &input.key, id, &input.encrypt_text);
    let _ = crypt.decrypt(&input.encrypt_text);
    let _ = crypt.verify_and_decrypt(
        &input.nonce,
        &input.timestamp,
        &input.nonce,
        &input.encrypt_text,
    );

    // ---------- EncodingAESKey ----------
    match AesKey::from_encoding_aes_key(&input.encoding_aes_key) {
        Ok(k) => {
            let s = input.encoding_aes_key.as_bytes();
            assert_eq!(s.len(), 43, "accepted a key of {} bytes", s.len());
            let canon = STANDARD.encode(k.as_bytes());
            assert_eq!(
                &canon.as_bytes()[..42],
                &s[..42],
                "key decodes to other bytes"
            );
            let sextet = |c: u8| {
                base64::alphabet::STANDARD
                    .as_str()
                    .bytes()
                    .position(|a| a == c)
                    .expect("not base64")
            };
            // The 43rd character carries 4 key bits and 2 ignored trailing bits.
            assert_eq!(sextet(canon.as_bytes()[42]) >> 2, sextet(s[42]) >> 2);
        }
        Err(e) => assert_eq!(e.code(), "bad_key"),
    }
    let own = STANDARD.encode(input.key);
    assert_eq!(
        AesKey::from_encoding_aes_key(&own[..43])
            .unwrap()
            .as_bytes(),
        &input.key
    );

    // ---------- signature helpers ----------
    let (t, ts, no) = (&input.token, &input.timestamp, &input.nonce);
    let ps = plain_signature(t, ts, no);
    assert!(
        ps.len() == 40
            && ps
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    );
    assert_eq!(ps, plain_signature(no, t, ts));
    assert!(verify_plain_signature(t, ts, no, &ps.to_uppercase()).is_ok());
    let ms = msg_signature(t, ts, no, &input.encrypt_text);
    assert_eq!(ms, msg_signature(&input.encrypt_text, no, ts, t));
    assert!(verify_msg_signature(t, ts, no, &input.encrypt_text, &ms).is_ok());
});

/// Decrypts with a single-key `MsgCrypt` and with the reference; they must agree exactly.
fn compare(
    crypt: &MsgCrypt,
    key: &[u8; 32],
    id: &[u8],
    encrypt: &str,
) -> Result<String, &'static str> {
    let host = crypt.decrypt(encrypt);
    let reference = wechat_decrypt(key, id, encrypt);
    match (&host, &reference) {
        (Ok(d), Ok(m)) => {
            assert_eq!(&d.message, m);
            assert_eq!(d.key_index, 0);
        }
        (Err(e), Err(code)) => assert_eq!(e.code(), *code, "input {encrypt:?}"),
        _ => panic!("host {host:?} vs reference {reference:?} on {encrypt:?}"),
    }
    reference
}
