//! Publisher keys: generating, storing and parsing the ed25519 keys packages are signed with,
//! and the operator's set of trusted public keys.
//!
//! Private keys live in PKCS#8 PEM files readable only by their owner. Public keys travel as
//! text, `ed25519:<standard base64 of the 32 key bytes>`, so they can be pasted into config
//! files and environment variables. A key's short `key_id` (16 hex chars of its SHA-256) is what
//! error messages and logs show.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::{PUBLIC_KEY_LENGTH, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use super::PackageError;

const PUBLIC_KEY_PREFIX: &str = "ed25519:";

/// A fresh signing key from the operating system's random number generator.
pub fn generate_signing_key() -> SigningKey {
    SigningKey::generate(&mut rand::rngs::OsRng)
}

/// Writes `key` to a new PKCS#8 PEM file, readable only by its owner on unix.
///
/// Refuses to overwrite an existing file: losing a publisher key is worse than a failed command.
pub fn write_signing_key(path: impl AsRef<Path>, key: &SigningKey) -> Result<(), PackageError> {
    let path = path.as_ref();
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| PackageError::InvalidKey(format!("cannot encode the signing key: {e}")))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let context = || format!("writing signing key {}", path.display());
    let mut file = options.open(path).map_err(PackageError::io(context()))?;
    file.write_all(pem.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(PackageError::io(context()))
}

/// Reads a PKCS#8 PEM signing key written by [`write_signing_key`] (or `openssl genpkey
/// -algorithm ed25519`).
pub fn read_signing_key(path: impl AsRef<Path>) -> Result<SigningKey, PackageError> {
    let path = path.as_ref();
    let pem = std::fs::read_to_string(path).map_err(PackageError::io(format!(
        "reading signing key {}",
        path.display()
    )))?;
    warn_if_readable_by_others(path);
    SigningKey::from_pkcs8_pem(&pem).map_err(|e| {
        PackageError::InvalidKey(format!(
            "{} is not an unencrypted ed25519 PKCS#8 PEM private key: {e}",
            path.display()
        ))
    })
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(metadata) = std::fs::metadata(path) {
        let mode = metadata.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::warn!(
                path = %path.display(),
                mode = format_args!("{:o}", mode & 0o777),
                "signing key file is accessible to other users; chmod 600 it"
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

/// `ed25519:<standard base64 of the 32 key bytes>`.
pub fn format_public_key(key: &VerifyingKey) -> String {
    format!("{PUBLIC_KEY_PREFIX}{}", BASE64.encode(key.as_bytes()))
}

/// Parses the text form written by [`format_public_key`]. Surrounding whitespace is ignored.
pub fn parse_public_key(text: &str) -> Result<VerifyingKey, PackageError> {
    let text = text.trim();
    let invalid =
        |reason: String| PackageError::InvalidKey(format!("public key `{text}` {reason}"));
    let encoded = text.strip_prefix(PUBLIC_KEY_PREFIX).ok_or_else(|| {
        invalid(format!(
            "must start with `{PUBLIC_KEY_PREFIX}` followed by the base64 key"
        ))
    })?;
    let bytes = BASE64
        .decode(encoded)
        .map_err(|e| invalid(format!("is not valid base64: {e}")))?;
    let bytes: [u8; PUBLIC_KEY_LENGTH] = bytes.as_slice().try_into().map_err(|_| {
        invalid(format!(
            "decodes to {} bytes; an ed25519 public key is {PUBLIC_KEY_LENGTH}",
            bytes.len()
        ))
    })?;
    let key = VerifyingKey::from_bytes(&bytes)
        .map_err(|_| invalid("is not a valid ed25519 curve point".to_owned()))?;
    if key.is_weak() {
        return Err(invalid(
            "is a weak (small-order) key that would accept forged signatures".to_owned(),
        ));
    }
    Ok(key)
}

/// The short id shown for a key: the first 16 hex chars of SHA-256 of the 32 key bytes.
pub fn key_id(key: &VerifyingKey) -> String {
    let digest = Sha256::digest(key.as_bytes());
    hex::encode(&digest[..8])
}

/// The public keys whose packages this host installs. Operators list several to rotate keys.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TrustedKeys {
    keys: BTreeMap<[u8; PUBLIC_KEY_LENGTH], VerifyingKey>,
}

impl TrustedKeys {
    /// An empty set, which trusts nothing.
    pub fn new() -> TrustedKeys {
        TrustedKeys::default()
    }

    /// Parses keys in the `ed25519:<base64>` form; the error names the entry that failed.
    pub fn from_strings<I, S>(keys: I) -> Result<TrustedKeys, PackageError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut trusted = TrustedKeys::new();
        for (i, text) in keys.into_iter().enumerate() {
            let key = parse_public_key(text.as_ref()).map_err(|e| match e {
                PackageError::InvalidKey(reason) => {
                    PackageError::InvalidKey(format!("trusted key #{}: {reason}", i + 1))
                }
                other => other,
            })?;
            trusted.insert(key);
        }
        Ok(trusted)
    }

    /// Adds a key; returns `false` if it was already trusted.
    pub fn insert(&mut self, key: VerifyingKey) -> bool {
        self.keys.insert(key.to_bytes(), key).is_none()
    }

    pub fn contains(&self, key: &VerifyingKey) -> bool {
        self.keys.contains_key(key.as_bytes())
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &VerifyingKey> {
        self.keys.values()
    }
}

impl FromIterator<VerifyingKey> for TrustedKeys {
    fn from_iter<T: IntoIterator<Item = VerifyingKey>>(iter: T) -> Self {
        let mut trusted = TrustedKeys::new();
        for key in iter {
            trusted.insert(key);
        }
        trusted
    }
}

impl<'a> IntoIterator for &'a TrustedKeys {
    type Item = &'a VerifyingKey;
    type IntoIter = std::collections::btree_map::Values<'a, [u8; PUBLIC_KEY_LENGTH], VerifyingKey>;

    fn into_iter(self) -> Self::IntoIter {
        self.keys.values()
    }
}

impl fmt::Debug for TrustedKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter().map(key_id)).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid_key_reason(text: &str) -> String {
        match parse_public_key(text) {
            Err(PackageError::InvalidKey(reason)) => reason,
            other => panic!("expected InvalidKey for {text:?}, got {other:?}"),
        }
    }

    #[test]
    fn key_file_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("publisher.pem");
        let key = generate_signing_key();
        write_signing_key(&path, &key).unwrap();

        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{text}");
        let read = read_signing_key(&path).unwrap();
        assert_eq!(read.to_bytes(), key.to_bytes());

        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn refuses_to_overwrite_an_existing_key_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("publisher.pem");
        let first = generate_signing_key();
        write_signing_key(&path, &first).unwrap();
        let err = write_signing_key(&path, &generate_signing_key()).unwrap_err();
        assert_eq!(err.code(), "package_io");
        assert!(err.to_string().contains("publisher.pem"), "{err}");
        assert_eq!(
            read_signing_key(&path).unwrap().to_bytes(),
            first.to_bytes()
        );
    }

    #[test]
    fn reading_a_missing_or_garbage_key_file_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let err = read_signing_key(&missing).unwrap_err();
        assert!(matches!(err, PackageError::Io { .. }), "{err:?}");
        assert!(err.to_string().contains("missing.pem"), "{err}");

        let garbage = dir.path().join("garbage.pem");
        std::fs::write(&garbage, "not a key").unwrap();
        let err = read_signing_key(&garbage).unwrap_err();
        assert!(matches!(err, PackageError::InvalidKey(_)), "{err:?}");
        assert!(err.to_string().contains("garbage.pem"), "{err}");
    }

    #[test]
    fn public_key_text_round_trips() {
        let key = generate_signing_key().verifying_key();
        let text = format_public_key(&key);
        assert!(text.starts_with("ed25519:"));
        assert_eq!(text.len(), "ed25519:".len() + 44);
        assert_eq!(parse_public_key(&text).unwrap(), key);
        assert_eq!(parse_public_key(&format!("  {text}\n")).unwrap(), key);
    }

    #[test]
    fn public_key_parse_errors_say_what_is_wrong() {
        let good = format_public_key(&generate_signing_key().verifying_key());
        let base64 = good.strip_prefix("ed25519:").unwrap();

        assert!(invalid_key_reason(base64).contains("must start with `ed25519:`"));
        assert!(invalid_key_reason(&format!("rsa:{base64}")).contains("must start with"));
        assert!(invalid_key_reason("ed25519:!!!notbase64").contains("not valid base64"));
        let short = format!("ed25519:{}", BASE64.encode([7u8; 31]));
        assert!(invalid_key_reason(&short).contains("decodes to 31 bytes"));
        // The identity point has small order: any signature "verifies" under weak keys.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let weak = format!("ed25519:{}", BASE64.encode(identity));
        assert!(invalid_key_reason(&weak).contains("weak"));
    }

    #[test]
    fn key_id_is_16_hex_chars_of_the_key_hash() {
        let key = generate_signing_key().verifying_key();
        let id = key_id(&key);
        assert_eq!(id.len(), 16);
        assert_eq!(id, hex::encode(Sha256::digest(key.as_bytes()))[..16]);
        assert_ne!(id, key_id(&generate_signing_key().verifying_key()));
    }

    #[test]
    fn trusted_keys_hold_several_keys_for_rotation() {
        let old = generate_signing_key().verifying_key();
        let new = generate_signing_key().verifying_key();
        let stranger = generate_signing_key().verifying_key();
        let trusted = TrustedKeys::from_strings([
            format_public_key(&old),
            format_public_key(&new),
            format_public_key(&old),
        ])
        .unwrap();
        assert_eq!(trusted.len(), 2);
        assert!(trusted.contains(&old));
        assert!(trusted.contains(&new));
        assert!(!trusted.contains(&stranger));
        assert_eq!(trusted.iter().count(), 2);
        assert!(!trusted.is_empty());
        assert!(TrustedKeys::new().is_empty());
        assert!(format!("{trusted:?}").contains(&key_id(&old)));
    }

    #[test]
    fn trusted_keys_name_the_bad_entry() {
        let good = format_public_key(&generate_signing_key().verifying_key());
        let err = TrustedKeys::from_strings([good.as_str(), "ed25519:AAAA"]).unwrap_err();
        assert!(err.to_string().contains("trusted key #2"), "{err}");
    }

    #[test]
    fn reads_keys_generated_by_openssl() {
        // `openssl genpkey -algorithm ed25519` output for a fixed test key (RFC 8032 test 1).
        let pem = "-----BEGIN PRIVATE KEY-----\n\
                   MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n\
                   -----END PRIVATE KEY-----\n";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("openssl.pem");
        std::fs::write(&path, pem).unwrap();
        let key = read_signing_key(&path).unwrap();
        assert_eq!(
            hex::encode(key.verifying_key().as_bytes()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
    }
}
