//! Kefu fuzz targets' support crate.
//!
//! * [`channels`]: the protocol modules under test, compiled straight from the host's sources
//!   (see `src/channels/mod.rs`) so that the fuzz build does not pull in the whole host
//!   (wasmtime, sqlx, axum, ...).
//! * [`reference`]: small, independent re-implementations of the wire formats that the
//!   targets compare the host code against (differential oracles). They deliberately share no
//!   code with the host modules.

pub mod channels;

/// Whether the run was told to tolerate the known host bug `name` (see `fuzz/README.md`), via
/// `KEFU_FUZZ_TOLERATE=name[,name...]`. By default nothing is tolerated, so the reproducers in
/// `fuzz/regressions/` fail until the host is fixed; a long run sets it to keep looking for
/// *new* bugs instead of re-finding a known one every few seconds.
pub fn tolerate(name: &str) -> bool {
    static LIST: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    LIST.get_or_init(|| {
        std::env::var("KEFU_FUZZ_TOLERATE")
            .unwrap_or_default()
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    })
    .iter()
    .any(|s| s == name)
}

pub mod reference {
    use aes::Aes256;
    use aes::cipher::{BlockDecrypt, BlockEncrypt, KeyInit, generic_array::GenericArray};
    use base64::Engine as _;

    /// The XML 1.0 `Char` production.
    pub fn is_xml_char(c: char) -> bool {
        matches!(c as u32, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
    }

    /// `s` without the characters XML 1.0 cannot carry.
    pub fn xml_clean(s: &str) -> String {
        s.chars().filter(|&c| is_xml_char(c)).collect()
    }

    /// AES-256-CBC over block-aligned `data`, no padding, IV = first 16 key bytes (WeChat's
    /// scheme), written out block by block with the raw block cipher.
    pub fn cbc_encrypt(key: &[u8; 32], data: &[u8]) -> Vec<u8> {
        assert_eq!(data.len() % 16, 0);
        let cipher = Aes256::new(GenericArray::from_slice(key));
        let mut prev: [u8; 16] = key[..16].try_into().unwrap();
        let mut out = Vec::with_capacity(data.len());
        for chunk in data.chunks(16) {
            let mut block = [0u8; 16];
            for i in 0..16 {
                block[i] = chunk[i] ^ prev[i];
            }
            let mut ga = GenericArray::from(block);
            cipher.encrypt_block(&mut ga);
            prev = ga.into();
            out.extend_from_slice(&prev);
        }
        out
    }

    /// Inverse of [`cbc_encrypt`].
    pub fn cbc_decrypt(key: &[u8; 32], data: &[u8]) -> Vec<u8> {
        assert_eq!(data.len() % 16, 0);
        let cipher = Aes256::new(GenericArray::from_slice(key));
        let mut prev: [u8; 16] = key[..16].try_into().unwrap();
        let mut out = Vec::with_capacity(data.len());
        for chunk in data.chunks(16) {
            let mut ga = GenericArray::clone_from_slice(chunk);
            cipher.decrypt_block(&mut ga);
            for i in 0..16 {
                out.push(ga[i] ^ prev[i]);
            }
            prev = chunk.try_into().unwrap();
        }
        out
    }

    /// Opens a decrypted WeChat frame
    /// `random(16) ‖ len(u32 BE) ‖ msg ‖ receive_id ‖ PKCS#7 pad (1..=32)`; the error is the
    /// host's `CryptoError::code()` for the same defect.
    pub fn wechat_open(plain: &[u8], receive_id: &[u8]) -> Result<String, &'static str> {
        let pad = *plain.last().ok_or("bad_padding")? as usize;
        if pad == 0 || pad > 32 || pad > plain.len() {
            return Err("bad_padding");
        }
        let (body, padding) = plain.split_at(plain.len() - pad);
        if padding.iter().any(|&b| b as usize != pad) {
            return Err("bad_padding");
        }
        if body.len() < 20 {
            return Err("bad_length");
        }
        let msg_len = u32::from_be_bytes(body[16..20].try_into().unwrap()) as usize;
        let rest = &body[20..];
        if msg_len > rest.len() {
            return Err("bad_length");
        }
        if &rest[msg_len..] != receive_id {
            return Err("wrong_receive_id");
        }
        String::from_utf8(rest[..msg_len].to_vec()).map_err(|_| "not_utf8")
    }

    /// Decrypts an `Encrypt` value with one key, WeChat rules, host error codes.
    pub fn wechat_decrypt(
        key: &[u8; 32],
        receive_id: &[u8],
        encrypt_b64: &str,
    ) -> Result<String, &'static str> {
        // RFC 4648 standard alphabet, canonical padding required (what the host accepts).
        let ct = base64::engine::general_purpose::STANDARD
            .decode(encrypt_b64.trim())
            .map_err(|_| "bad_base64")?;
        if ct.len() % 16 != 0 || ct.len() < 32 {
            return Err("bad_length");
        }
        wechat_open(&cbc_decrypt(key, &ct), receive_id)
    }

    /// Whether two HMAC keys are the same key after HMAC's own normalisation (keys longer than
    /// the 64-byte SHA-256 block are hashed; shorter ones are zero-padded), so that `k` and
    /// `k ‖ 0x00` are — by design of HMAC, RFC 2104 — the same key.
    pub fn hmac_sha256_keys_equivalent(a: &[u8], b: &[u8]) -> bool {
        use sha2::{Digest, Sha256};
        let norm = |k: &[u8]| {
            let mut block = [0u8; 64];
            if k.len() > 64 {
                block[..32].copy_from_slice(&Sha256::digest(k));
            } else {
                block[..k.len()].copy_from_slice(k);
            }
            block
        };
        norm(a) == norm(b)
    }
}
