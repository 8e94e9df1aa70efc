//! Signed plugin packages (`.kpkg`): the only way code gets into a Kefu host.
//!
//! # Format
//!
//! A package is a gzip-compressed tar archive holding exactly:
//!
//! | path             | content                                                         |
//! |------------------|-----------------------------------------------------------------|
//! | `manifest.toml`  | the [`Manifest`]: id, version, hooks, contract, add-on, limits, config schema |
//! | `plugin.wasm`    | the WebAssembly **component** (not a core module)               |
//! | `data/**`        | optional read-only data files (script libraries, dictionaries, weights) |
//! | `signature.json` | the signed list of every other file and its SHA-256              |
//!
//! Every entry is a regular file; there are no directory entries, links or device files.
//! [`pack`] writes entries sorted by path with zeroed owners and times and mode `0644`, so
//! packing the same inputs twice gives the same bytes (and the same package hash).
//!
//! `signature.json` looks like:
//!
//! ```json
//! {
//!   "format": "kefu-package-v1",
//!   "algorithm": "ed25519",
//!   "public_key": "ed25519:<standard base64 of the 32-byte key>",
//!   "key_id": "<first 16 hex chars of SHA-256(public key bytes)>",
//!   "files": { "data/faq.json": "<sha256 hex>", "manifest.toml": "…", "plugin.wasm": "…" },
//!   "signature": "<standard base64 of the 64-byte ed25519 signature>"
//! }
//! ```
//!
//! The signature is ed25519 over the **canonical signed bytes** (see [`signed_bytes`]):
//!
//! ```text
//! kefu-package-v1\n
//! <path>\t<sha256 lowercase hex>\n      one line per file, sorted by path (byte order)
//! ```
//!
//! Every file of the archive except `signature.json` itself is listed, the manifest included.
//! Paths cannot contain tabs, newlines or other control characters, so the encoding is
//! unambiguous.
//!
//! # Trust model
//!
//! Reading a package ([`Package::read`]) proves that its files are exactly the ones the holder of
//! the *embedded* public key signed: nothing added, removed or changed. That alone proves nothing
//! about who signed it, since anyone can generate a key. Trust comes from the operator:
//! [`Package::check_trusted`] accepts a package only if its key is in the host's
//! [`TrustedKeys`], a set configured by the operator (several keys at once, so a publisher can
//! rotate keys without a flag day). The host must call both before installing anything.
//!
//! Packages are hostile input until proven otherwise, so reading is defensive: sizes and entry
//! counts are capped before anything is buffered ([`ReadLimits`], which also stops gzip bombs),
//! paths are checked against an allow-list, and data files are later written only beneath a
//! capability directory ([`Package::write_data`]) so they cannot escape it.

mod archive;
mod manifest;
mod signing;

pub use archive::{PackInput, Package, ReadLimits, pack, signed_bytes};
pub use manifest::{ConfigSpec, Hook, Limits, Manifest, Version};
pub use signing::{
    TrustedKeys, format_public_key, generate_signing_key, key_id, parse_public_key,
    read_signing_key, write_signing_key,
};

/// Re-exported so callers can name key types without depending on `ed25519-dalek` themselves.
pub use ed25519_dalek::{SigningKey, VerifyingKey};

/// Everything that can go wrong building, reading or trusting a package.
///
/// Messages are read by people in the CLI and the admin API; [`PackageError::code`] is the
/// stable machine-readable form.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// The archive is not a well-formed package (bad gzip/tar, forbidden entry, bad
    /// `signature.json`, missing required file, …).
    #[error("malformed package: {0}")]
    Malformed(String),

    /// The archive has no `signature.json`.
    #[error(
        "package is unsigned: it has no signature.json (build it with `pack` and a signing key)"
    )]
    Unsigned,

    /// A file differs from the signed file list: changed, added or removed after signing.
    #[error("package has been tampered with: {path} does not match the signed file list")]
    Tampered { path: String },

    /// The signature does not verify with the public key embedded in the package.
    #[error("package signature is invalid: it does not verify against the package's public key")]
    BadSignature,

    /// The package is validly signed, but by a key the operator does not trust.
    #[error("package is signed by key {key_id}, which is not one of this host's trusted keys")]
    UntrustedKey { key_id: String },

    /// The plugin targets a contract version this host does not serve.
    #[error(
        "plugin targets contract {found}, but this host supports only {}",
        display_list(supported)
    )]
    IncompatibleContract {
        found: String,
        supported: Vec<String>,
    },

    /// `manifest.toml` is missing a field, has an unknown one, or a value is invalid.
    #[error("invalid manifest: {field}: {reason}")]
    InvalidManifest { field: String, reason: String },

    /// The package exceeds a size or entry-count limit.
    #[error("package too large: {0}")]
    TooLarge(String),

    /// `plugin.wasm` is not a WebAssembly component.
    #[error(
        "plugin.wasm is not a WebAssembly component (expected the component header \
         \\0asm 0d 00 01 00); build the plugin for wasm32-wasip2"
    )]
    NotAComponent,

    /// A key file or public key string is unusable.
    #[error("invalid key: {0}")]
    InvalidKey(String),

    /// Reading or writing a file failed; `context` says which and why.
    #[error("{context}: {error}")]
    Io {
        context: String,
        error: std::io::Error,
    },
}

impl PackageError {
    /// A stable machine-readable code for API responses and scripts.
    pub fn code(&self) -> &'static str {
        match self {
            PackageError::Malformed(_) => "package_malformed",
            PackageError::Unsigned => "package_unsigned",
            PackageError::Tampered { .. } => "package_tampered",
            PackageError::BadSignature => "package_bad_signature",
            PackageError::UntrustedKey { .. } => "package_untrusted_key",
            PackageError::IncompatibleContract { .. } => "package_incompatible_contract",
            PackageError::InvalidManifest { .. } => "package_invalid_manifest",
            PackageError::TooLarge(_) => "package_too_large",
            PackageError::NotAComponent => "package_not_a_component",
            PackageError::InvalidKey(_) => "package_invalid_key",
            PackageError::Io { .. } => "package_io",
        }
    }

    fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> PackageError {
        let context = context.into();
        move |error| PackageError::Io { context, error }
    }

    fn invalid_manifest(field: impl Into<String>, reason: impl Into<String>) -> Self {
        PackageError::InvalidManifest {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

fn display_list(items: &[String]) -> String {
    if items.is_empty() {
        "(none)".to_owned()
    } else {
        items.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_distinct_package_code() {
        let errors = [
            PackageError::Malformed("x".into()),
            PackageError::Unsigned,
            PackageError::Tampered { path: "x".into() },
            PackageError::BadSignature,
            PackageError::UntrustedKey { key_id: "x".into() },
            PackageError::IncompatibleContract {
                found: "x".into(),
                supported: vec![],
            },
            PackageError::invalid_manifest("x", "y"),
            PackageError::TooLarge("x".into()),
            PackageError::NotAComponent,
            PackageError::InvalidKey("x".into()),
            PackageError::Io {
                context: "x".into(),
                error: std::io::Error::other("y"),
            },
        ];
        let codes: std::collections::BTreeSet<_> = errors.iter().map(|e| e.code()).collect();
        assert_eq!(codes.len(), errors.len());
        assert!(codes.iter().all(|c| c.starts_with("package_")));
    }

    #[test]
    fn incompatible_contract_message_lists_supported_versions() {
        let err = PackageError::IncompatibleContract {
            found: "kefu:plugin@9.0.0".into(),
            supported: vec!["kefu:plugin@0.1.0".into(), "kefu:plugin@0.2.0".into()],
        };
        assert_eq!(
            err.to_string(),
            "plugin targets contract kefu:plugin@9.0.0, but this host supports only \
             kefu:plugin@0.1.0, kefu:plugin@0.2.0"
        );
    }
}
