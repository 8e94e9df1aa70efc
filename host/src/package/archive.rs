//! Building (`pack`) and reading (`Package::read`) the signed `.kpkg` archive. The format and
//! the trust model are described in the parent module.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::PackageError;
use super::manifest::Manifest;
use super::signing::{TrustedKeys, format_public_key, key_id, parse_public_key};

const FORMAT: &str = "kefu-package-v1";
const ALGORITHM: &str = "ed25519";
const MANIFEST_PATH: &str = "manifest.toml";
const COMPONENT_PATH: &str = "plugin.wasm";
const SIGNATURE_PATH: &str = "signature.json";
const DATA_DIR: &str = "data";
const MAX_PATH_BYTES: usize = 512;

/// `\0asm` followed by the component-model version and layer (0x0d 0x00, 0x01 0x00). A core
/// module has 0x01 0x00 0x00 0x00 there instead.
const COMPONENT_HEADER: [u8; 8] = *b"\0asm\x0d\x00\x01\x00";

/// The files [`pack`] puts into a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackInput {
    pub manifest_path: PathBuf,
    /// The compiled component, e.g. `target/wasm32-wasip2/release/my_plugin.wasm`.
    pub component_path: PathBuf,
    /// A directory whose regular files become `data/**` (symlinks and special files refused).
    pub data_dir: Option<PathBuf>,
}

/// Caps applied while reading a package, before anything is buffered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// Maximum size of the decompressed tar stream (headers included). This is what stops a
    /// gzip bomb: decompression stops as soon as the budget is spent.
    pub max_total_bytes: u64,
    /// Maximum number of archive entries.
    pub max_entries: usize,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            max_total_bytes: 256 * 1024 * 1024,
            max_entries: 10_000,
        }
    }
}

/// A package whose structure, hashes and signature have been verified. Whether its key is
/// trusted is a separate question: see [`Package::check_trusted`].
#[derive(Clone)]
pub struct Package {
    pub manifest: Manifest,
    /// The manifest exactly as signed.
    pub manifest_toml: String,
    /// The WebAssembly component (`plugin.wasm`).
    pub component: Vec<u8>,
    /// Data files, keyed by their path relative to `data/` (e.g. `scripts/faq.json`).
    pub data: BTreeMap<String, Vec<u8>>,
    /// The key the package was signed with.
    pub public_key: VerifyingKey,
    /// [`key_id`] of `public_key`.
    pub key_id: String,
    /// SHA-256 (hex) of the whole package file, as read.
    pub sha256: String,
}

/// `signature.json`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignatureFile {
    format: String,
    algorithm: String,
    public_key: String,
    key_id: String,
    files: BTreeMap<String, String>,
    signature: String,
}

/// The canonical bytes a package signature covers: `kefu-package-v1\n`, then one
/// `<path>\t<sha256 hex>\n` line per file, sorted by path (byte order). `files` maps every
/// archive path except `signature.json` to the lowercase hex SHA-256 of its content.
pub fn signed_bytes(files: &BTreeMap<String, String>) -> Vec<u8> {
    let mut bytes = format!("{FORMAT}\n").into_bytes();
    // A BTreeMap<String, _> iterates in byte order of the keys, which is the canonical order.
    for (path, hash) in files {
        bytes.extend_from_slice(path.as_bytes());
        bytes.push(b'\t');
        bytes.extend_from_slice(hash.as_bytes());
        bytes.push(b'\n');
    }
    bytes
}

/// Builds a signed package from a manifest, a component and optional data files.
///
/// The manifest is validated and the component checked first, and the result is read back
/// with the default [`ReadLimits`], so `pack` never produces a package the host would refuse
/// for its format. Output is deterministic.
pub fn pack(input: &PackInput, key: &SigningKey) -> Result<Vec<u8>, PackageError> {
    let manifest_toml = std::fs::read_to_string(&input.manifest_path).map_err(PackageError::io(
        format!("reading manifest {}", input.manifest_path.display()),
    ))?;
    Manifest::parse(&manifest_toml)?;
    let component = std::fs::read(&input.component_path).map_err(PackageError::io(format!(
        "reading component {}",
        input.component_path.display()
    )))?;
    check_component(&component)?;

    let mut files = BTreeMap::new();
    files.insert(MANIFEST_PATH.to_owned(), manifest_toml.into_bytes());
    files.insert(COMPONENT_PATH.to_owned(), component);
    if let Some(data_dir) = &input.data_dir {
        let metadata = std::fs::metadata(data_dir).map_err(PackageError::io(format!(
            "reading data directory {}",
            data_dir.display()
        )))?;
        if !metadata.is_dir() {
            return Err(PackageError::Malformed(format!(
                "data directory {} is not a directory",
                data_dir.display()
            )));
        }
        collect_data_files(data_dir, DATA_DIR, &mut files)?;
    }

    let bytes = build_signed_archive(files, key)?;
    Package::read(&bytes, &ReadLimits::default())?;
    Ok(bytes)
}

/// Adds every regular file under `dir` to `files` as `<prefix>/<relative path>`.
fn collect_data_files(
    dir: &Path,
    prefix: &str,
    files: &mut BTreeMap<String, Vec<u8>>,
) -> Result<(), PackageError> {
    let read_context = || format!("reading data directory {}", dir.display());
    let entries = std::fs::read_dir(dir).map_err(PackageError::io(read_context()))?;
    for entry in entries {
        let entry = entry.map_err(PackageError::io(read_context()))?;
        let os_path = entry.path();
        let name = entry.file_name().into_string().map_err(|name| {
            PackageError::Malformed(format!(
                "data file name {} is not valid UTF-8",
                name.to_string_lossy()
            ))
        })?;
        let path = format!("{prefix}/{name}");
        check_entry_path(&path).map_err(|reason| {
            PackageError::Malformed(format!("data file {}: {reason}", os_path.display()))
        })?;
        // `file_type` does not follow symlinks, so a link is seen as a link.
        let file_type = entry
            .file_type()
            .map_err(PackageError::io(format!("reading {}", os_path.display())))?;
        if file_type.is_symlink() {
            return Err(PackageError::Malformed(format!(
                "data file {} is a symbolic link; copy the file in instead",
                os_path.display()
            )));
        } else if file_type.is_dir() {
            collect_data_files(&os_path, &path, files)?;
        } else if file_type.is_file() {
            let bytes = std::fs::read(&os_path)
                .map_err(PackageError::io(format!("reading {}", os_path.display())))?;
            files.insert(path, bytes);
        } else {
            return Err(PackageError::Malformed(format!(
                "data file {} is not a regular file",
                os_path.display()
            )));
        }
    }
    Ok(())
}

/// Signs `files` (every path except `signature.json`) and writes the archive. No validation:
/// callers check their inputs first.
fn build_signed_archive(
    mut files: BTreeMap<String, Vec<u8>>,
    key: &SigningKey,
) -> Result<Vec<u8>, PackageError> {
    let json = signature_json(&files, key)?;
    files.insert(SIGNATURE_PATH.to_owned(), json);
    write_archive(&files).map_err(PackageError::io("writing package archive"))
}

/// The `signature.json` that signs `files`.
fn signature_json(
    files: &BTreeMap<String, Vec<u8>>,
    key: &SigningKey,
) -> Result<Vec<u8>, PackageError> {
    let hashes: BTreeMap<String, String> = files
        .iter()
        .map(|(path, bytes)| (path.clone(), sha256_hex(bytes)))
        .collect();
    let signature = key.sign(&signed_bytes(&hashes));
    let public_key = key.verifying_key();
    let signature_file = SignatureFile {
        format: FORMAT.to_owned(),
        algorithm: ALGORITHM.to_owned(),
        public_key: format_public_key(&public_key),
        key_id: key_id(&public_key),
        files: hashes,
        signature: BASE64.encode(signature.to_bytes()),
    };
    let mut json = serde_json::to_vec_pretty(&signature_file)
        .map_err(|e| PackageError::Malformed(format!("cannot encode signature.json: {e}")))?;
    json.push(b'\n');
    Ok(json)
}

/// A deterministic tar.gz: entries in map (path) order, regular files only, mode 0644, owner
/// 0:0, mtime 0; the gzip header carries no name or time either.
fn write_archive(files: &BTreeMap<String, Vec<u8>>) -> io::Result<Vec<u8>> {
    let mut builder = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::default()));
    for (path, bytes) in files {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(0);
        builder.append_data(&mut header, path, bytes.as_slice())?;
    }
    builder.into_inner()?.finish()
}

impl Package {
    /// Reads and verifies a package: structure, limits, file hashes and signature (with the
    /// embedded key), then the manifest and the component header. Does **not** decide whether
    /// the key is trusted; call [`Package::check_trusted`] for that.
    pub fn read(bytes: &[u8], limits: &ReadLimits) -> Result<Package, PackageError> {
        let mut files = read_entries(bytes, limits)?;
        let signature_json = files.remove(SIGNATURE_PATH).ok_or(PackageError::Unsigned)?;
        let signed = parse_signature_file(&signature_json)?;

        signed
            .public_key
            .verify_strict(&signed_bytes(&signed.files), &signed.signature)
            .map_err(|_| PackageError::BadSignature)?;
        // The listing is authentic; now the content must match it exactly.
        for (path, content) in &files {
            if signed.files.get(path) != Some(&sha256_hex(content)) {
                return Err(PackageError::Tampered { path: path.clone() });
            }
        }
        if let Some(missing) = signed.files.keys().find(|path| !files.contains_key(*path)) {
            return Err(PackageError::Tampered {
                path: missing.clone(),
            });
        }

        let manifest_bytes = files
            .remove(MANIFEST_PATH)
            .ok_or_else(|| PackageError::Malformed(format!("{MANIFEST_PATH} is missing")))?;
        let component = files
            .remove(COMPONENT_PATH)
            .ok_or_else(|| PackageError::Malformed(format!("{COMPONENT_PATH} is missing")))?;
        let manifest_toml = String::from_utf8(manifest_bytes)
            .map_err(|_| PackageError::invalid_manifest(MANIFEST_PATH, "is not valid UTF-8"))?;
        let manifest = Manifest::parse(&manifest_toml)?;
        check_component(&component)?;

        let data_prefix = format!("{DATA_DIR}/");
        let data = files
            .into_iter()
            .map(|(path, bytes)| match path.strip_prefix(&data_prefix) {
                Some(relative) => Ok((relative.to_owned(), bytes)),
                None => Err(PackageError::Malformed(format!("unexpected entry {path}"))),
            })
            .collect::<Result<_, _>>()?;

        Ok(Package {
            manifest,
            manifest_toml,
            component,
            data,
            key_id: key_id(&signed.public_key),
            public_key: signed.public_key,
            sha256: sha256_hex(bytes),
        })
    }

    /// Accepts the package only if it was signed by one of the operator's trusted keys.
    pub fn check_trusted(&self, trusted: &TrustedKeys) -> Result<(), PackageError> {
        if trusted.contains(&self.public_key) {
            Ok(())
        } else {
            Err(PackageError::UntrustedKey {
                key_id: self.key_id.clone(),
            })
        }
    }

    /// Writes the data files beneath `dir`, creating subdirectories. `dir` is a capability:
    /// no path (even a hostile one) can reach outside it.
    pub fn write_data(&self, dir: &cap_std::fs::Dir) -> Result<(), PackageError> {
        for (path, bytes) in &self.data {
            if let Some((parent, _)) = path.rsplit_once('/') {
                dir.create_dir_all(parent)
                    .map_err(PackageError::io(format!(
                        "creating data directory {parent}"
                    )))?;
            }
            dir.write(path, bytes)
                .map_err(PackageError::io(format!("writing data file {path}")))?;
        }
        Ok(())
    }
}

impl fmt::Debug for Package {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Package")
            .field("id", &self.manifest.id)
            .field("version", &self.manifest.version.to_string())
            .field("component_bytes", &self.component.len())
            .field("data_files", &self.data.len())
            .field("key_id", &self.key_id)
            .field("sha256", &self.sha256)
            .finish_non_exhaustive()
    }
}

struct SignedListing {
    public_key: VerifyingKey,
    files: BTreeMap<String, String>,
    signature: Signature,
}

fn parse_signature_file(json: &[u8]) -> Result<SignedListing, PackageError> {
    let malformed = |reason: String| PackageError::Malformed(format!("{SIGNATURE_PATH}: {reason}"));
    let file: SignatureFile = serde_json::from_slice(json).map_err(|e| malformed(e.to_string()))?;
    if file.format != FORMAT {
        return Err(malformed(format!(
            "unsupported format `{}` (this host reads `{FORMAT}`)",
            file.format
        )));
    }
    if file.algorithm != ALGORITHM {
        return Err(malformed(format!(
            "unsupported algorithm `{}` (expected `{ALGORITHM}`)",
            file.algorithm
        )));
    }
    let public_key = parse_public_key(&file.public_key).map_err(|e| malformed(e.to_string()))?;
    if file.key_id != key_id(&public_key) {
        return Err(malformed(format!(
            "key_id `{}` does not belong to public_key (expected `{}`)",
            file.key_id,
            key_id(&public_key)
        )));
    }
    for (path, hash) in &file.files {
        check_entry_path(path).map_err(|reason| malformed(format!("files: `{path}` {reason}")))?;
        if path == SIGNATURE_PATH {
            return Err(malformed(format!("files must not list {SIGNATURE_PATH}")));
        }
        let is_sha256_hex = hash.len() == 64
            && hash
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !is_sha256_hex {
            return Err(malformed(format!(
                "files: the hash of {path} is not 64 lowercase hex characters"
            )));
        }
    }
    let signature_bytes = BASE64
        .decode(&file.signature)
        .map_err(|e| malformed(format!("signature is not valid base64: {e}")))?;
    let signature = Signature::from_slice(&signature_bytes).map_err(|_| {
        malformed(format!(
            "signature is {} bytes; an ed25519 signature is 64",
            signature_bytes.len()
        ))
    })?;
    Ok(SignedListing {
        public_key,
        files: file.files,
        signature,
    })
}

/// Reads every entry into memory, enforcing the limits and the path rules.
fn read_entries(
    bytes: &[u8],
    limits: &ReadLimits,
) -> Result<BTreeMap<String, Vec<u8>>, PackageError> {
    let exceeded = Rc::new(Cell::new(false));
    let stream = LimitedReader {
        inner: GzDecoder::new(bytes),
        remaining: limits.max_total_bytes,
        exceeded: Rc::clone(&exceeded),
    };
    let too_large = || {
        PackageError::TooLarge(format!(
            "it unpacks to more than {} bytes",
            limits.max_total_bytes
        ))
    };
    let unreadable = |e: io::Error| {
        if exceeded.get() {
            too_large()
        } else {
            PackageError::Malformed(format!("not a readable gzip-compressed tar archive: {e}"))
        }
    };

    let mut archive = tar::Archive::new(stream);
    let mut files = BTreeMap::new();
    let mut case_folded = BTreeSet::new();
    let mut count = 0usize;
    for entry in archive.entries().map_err(unreadable)? {
        let mut entry = entry.map_err(unreadable)?;
        count += 1;
        if count > limits.max_entries {
            return Err(PackageError::TooLarge(format!(
                "it has more than {} entries",
                limits.max_entries
            )));
        }

        let raw_path = entry.path_bytes().into_owned();
        let path = String::from_utf8(raw_path).map_err(|e| {
            PackageError::Malformed(format!(
                "entry name {:?} is not valid UTF-8",
                String::from_utf8_lossy(e.as_bytes())
            ))
        })?;
        check_entry_path(&path)
            .map_err(|reason| PackageError::Malformed(format!("entry {path:?}: {reason}")))?;
        let entry_type = entry.header().entry_type();
        if !entry_type.is_file() {
            let kind = match entry_type {
                tar::EntryType::Symlink => "a symbolic link",
                tar::EntryType::Link => "a hard link",
                tar::EntryType::Directory => "a directory",
                _ => "a special entry",
            };
            return Err(PackageError::Malformed(format!(
                "entry {path:?} is {kind}; packages contain regular files only"
            )));
        }
        if !case_folded.insert(path.to_lowercase()) {
            let reason = if files.contains_key(&path) {
                "appears more than once"
            } else {
                "differs from another entry only in letter case"
            };
            return Err(PackageError::Malformed(format!("entry {path:?} {reason}")));
        }

        let size = entry.size();
        if size > limits.max_total_bytes {
            return Err(too_large());
        }
        // Read at most what the header declares; the stream limit bounds the total.
        let mut content = Vec::new();
        (&mut entry)
            .take(size)
            .read_to_end(&mut content)
            .map_err(unreadable)?;
        if content.len() as u64 != size {
            return Err(PackageError::Malformed(format!(
                "entry {path:?} is truncated"
            )));
        }
        files.insert(path, content);
    }
    check_file_directory_conflicts(&files)?;
    Ok(files)
}

/// `data/a` and `data/a/b` cannot both be written to disk.
fn check_file_directory_conflicts(files: &BTreeMap<String, Vec<u8>>) -> Result<(), PackageError> {
    for path in files.keys() {
        for (i, _) in path.match_indices('/') {
            if files.contains_key(&path[..i]) {
                return Err(PackageError::Malformed(format!(
                    "entry {:?} is both a file and a directory",
                    &path[..i]
                )));
            }
        }
    }
    Ok(())
}

/// The archive path rules: relative, `/`-separated, no `.`/`..`/empty components, no control
/// characters or backslashes, and only `manifest.toml`, `plugin.wasm`, `signature.json` or
/// `data/<something>`. Returns the reason a path is refused.
fn check_entry_path(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("has an empty name".to_owned());
    }
    if path.len() > MAX_PATH_BYTES {
        return Err(format!("is longer than {MAX_PATH_BYTES} bytes"));
    }
    if path.starts_with('/') {
        return Err("is an absolute path".to_owned());
    }
    if path.chars().any(|c| c.is_control() || c == '\\') {
        return Err("contains a control character or backslash".to_owned());
    }
    let components: Vec<&str> = path.split('/').collect();
    if components.contains(&"..") {
        return Err("contains `..` (path traversal)".to_owned());
    }
    if components.iter().any(|c| c.is_empty() || *c == ".") {
        return Err("contains an empty or `.` component".to_owned());
    }
    let allowed = match components.as_slice() {
        [name] => [MANIFEST_PATH, COMPONENT_PATH, SIGNATURE_PATH].contains(name),
        [first, _, ..] => *first == DATA_DIR,
        [] => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(format!(
            "is not allowed (a package holds only {MANIFEST_PATH}, {COMPONENT_PATH}, \
             {SIGNATURE_PATH} and {DATA_DIR}/…)"
        ))
    }
}

fn check_component(bytes: &[u8]) -> Result<(), PackageError> {
    if bytes.starts_with(&COMPONENT_HEADER) {
        Ok(())
    } else {
        Err(PackageError::NotAComponent)
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Passes through at most `remaining` bytes, then fails and raises `exceeded` so the caller
/// can tell a size-limit failure from a corrupt archive whatever error `tar` wraps it in.
struct LimitedReader<R> {
    inner: R,
    remaining: u64,
    exceeded: Rc<Cell<bool>>,
}

impl<R: Read> Read for LimitedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 {
            // Only an error if there is more to come; a stream that ends exactly at the
            // limit is fine.
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? == 0 {
                return Ok(0);
            }
            self.exceeded.set(true);
            return Err(io::Error::other("package exceeds its size limit"));
        }
        let max = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..max])?;
        self.remaining -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::super::generate_signing_key;
    use super::*;

    const MANIFEST: &str = r#"id = "echo"
version = "1.0.0"
name = "Echo"
author = "Kefu"
contract = "kefu:plugin@0.1.0"
hooks = ["respond"]
"#;

    fn component() -> Vec<u8> {
        let mut bytes = COMPONENT_HEADER.to_vec();
        bytes.extend_from_slice(&[0x42; 64]);
        bytes
    }

    struct Fixture {
        _dir: tempfile::TempDir,
        input: PackInput,
        key: SigningKey,
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("manifest.toml"), MANIFEST).unwrap();
        std::fs::write(root.join("plugin.wasm"), component()).unwrap();
        std::fs::create_dir_all(root.join("data/scripts/k12")).unwrap();
        std::fs::write(root.join("data/faq.json"), br#"{"q":"a"}"#).unwrap();
        std::fs::write(root.join("data/scripts/k12/price.txt"), "课程价格").unwrap();
        let input = PackInput {
            manifest_path: root.join("manifest.toml"),
            component_path: root.join("plugin.wasm"),
            data_dir: Some(root.join("data")),
        };
        Fixture {
            _dir: dir,
            input,
            key: generate_signing_key(),
        }
    }

    fn packed() -> (Vec<u8>, SigningKey) {
        let fixture = fixture();
        (pack(&fixture.input, &fixture.key).unwrap(), fixture.key)
    }

    fn read(bytes: &[u8]) -> Result<Package, PackageError> {
        Package::read(bytes, &ReadLimits::default())
    }

    /// Every entry of a tar.gz, unchecked.
    fn unpack(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
        let mut archive = tar::Archive::new(GzDecoder::new(bytes));
        archive
            .entries()
            .unwrap()
            .map(|entry| {
                let mut entry = entry.unwrap();
                let path = String::from_utf8(entry.path_bytes().into_owned()).unwrap();
                let mut content = Vec::new();
                entry.read_to_end(&mut content).unwrap();
                (path, content)
            })
            .collect()
    }

    /// Rebuilds a tar.gz from entries without signing anything.
    fn repack(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
        let raw: Vec<RawEntry> = entries
            .iter()
            .map(|(path, data)| RawEntry::file(path, data))
            .collect();
        raw_archive(&raw)
    }

    fn edit(bytes: &[u8], path: &str, change: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        let mut entries = unpack(bytes);
        let (_, content) = entries.iter_mut().find(|(p, _)| p == path).unwrap();
        change(content);
        repack(&entries)
    }

    struct RawEntry<'a> {
        path: &'a str,
        kind: tar::EntryType,
        data: &'a [u8],
        link: Option<&'a str>,
    }

    impl<'a> RawEntry<'a> {
        fn file(path: &'a str, data: &'a [u8]) -> Self {
            RawEntry {
                path,
                kind: tar::EntryType::Regular,
                data,
                link: None,
            }
        }
    }

    /// Writes headers byte by byte, so hostile names (`..`, absolute) get through unchanged.
    fn raw_archive(entries: &[RawEntry]) -> Vec<u8> {
        let mut builder = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::fast()));
        for entry in entries {
            let mut header = tar::Header::new_old();
            let name = &mut header.as_old_mut().name;
            name[..entry.path.len()].copy_from_slice(entry.path.as_bytes());
            if let Some(link) = entry.link {
                let linkname = &mut header.as_old_mut().linkname;
                linkname[..link.len()].copy_from_slice(link.as_bytes());
            }
            header.set_entry_type(entry.kind);
            header.set_size(entry.data.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder.append(&header, entry.data).unwrap();
        }
        builder.into_inner().unwrap().finish().unwrap()
    }

    /// A package signed over `files` without `pack`'s input checks.
    fn signed(files: &[(&str, &[u8])], key: &SigningKey) -> Vec<u8> {
        let files = files
            .iter()
            .map(|(path, data)| ((*path).to_owned(), data.to_vec()))
            .collect();
        build_signed_archive(files, key).unwrap()
    }

    fn malformed_reason(result: Result<Package, PackageError>) -> String {
        match result {
            Err(PackageError::Malformed(reason)) => reason,
            other => panic!("expected Malformed, got {other:?}"),
        }
    }

    #[test]
    fn round_trips_pack_read_and_check_trusted() {
        let (bytes, key) = packed();
        let package = read(&bytes).unwrap();

        assert_eq!(package.manifest.id, "echo");
        assert_eq!(package.manifest_toml, MANIFEST);
        assert_eq!(package.component, component());
        assert_eq!(
            package.data.keys().collect::<Vec<_>>(),
            ["faq.json", "scripts/k12/price.txt"]
        );
        assert_eq!(package.data["scripts/k12/price.txt"], "课程价格".as_bytes());
        assert_eq!(package.public_key, key.verifying_key());
        assert_eq!(package.key_id, key_id(&key.verifying_key()));
        assert_eq!(package.sha256, hex::encode(Sha256::digest(&bytes)));

        let trusted: TrustedKeys = [generate_signing_key().verifying_key(), key.verifying_key()]
            .into_iter()
            .collect();
        package.check_trusted(&trusted).unwrap();
    }

    #[test]
    fn packs_without_a_data_directory() {
        let mut fixture = fixture();
        fixture.input.data_dir = None;
        let package = read(&pack(&fixture.input, &fixture.key).unwrap()).unwrap();
        assert!(package.data.is_empty());
    }

    #[test]
    fn packing_is_deterministic() {
        let fixture = fixture();
        let first = pack(&fixture.input, &fixture.key).unwrap();
        let second = pack(&fixture.input, &fixture.key).unwrap();
        assert_eq!(first, second);
    }

    #[test]
    fn archive_holds_sorted_regular_files_with_zeroed_metadata() {
        let (bytes, _) = packed();
        let mut archive = tar::Archive::new(GzDecoder::new(bytes.as_slice()));
        let mut paths = Vec::new();
        for entry in archive.entries().unwrap() {
            let entry = entry.unwrap();
            let header = entry.header();
            assert_eq!(header.entry_type(), tar::EntryType::Regular);
            assert_eq!(header.mode().unwrap(), 0o644);
            assert_eq!(header.mtime().unwrap(), 0);
            assert_eq!(header.uid().unwrap(), 0);
            assert_eq!(header.gid().unwrap(), 0);
            paths.push(String::from_utf8(entry.path_bytes().into_owned()).unwrap());
        }
        assert_eq!(
            paths,
            [
                "data/faq.json",
                "data/scripts/k12/price.txt",
                "manifest.toml",
                "plugin.wasm",
                "signature.json"
            ]
        );
    }

    #[test]
    fn signature_covers_the_documented_canonical_bytes() {
        let (bytes, key) = packed();
        let entries: BTreeMap<String, Vec<u8>> = unpack(&bytes).into_iter().collect();
        let json: serde_json::Value = serde_json::from_slice(&entries["signature.json"]).unwrap();
        assert_eq!(json["format"], "kefu-package-v1");
        assert_eq!(json["algorithm"], "ed25519");
        assert_eq!(json["public_key"], format_public_key(&key.verifying_key()));
        assert_eq!(json["key_id"], key_id(&key.verifying_key()));
        assert_eq!(json["files"].as_object().unwrap().len(), 4);

        let mut expected = String::from("kefu-package-v1\n");
        for path in [
            "data/faq.json",
            "data/scripts/k12/price.txt",
            "manifest.toml",
            "plugin.wasm",
        ] {
            let hash = hex::encode(Sha256::digest(&entries[path]));
            assert_eq!(json["files"][path], hash);
            expected.push_str(&format!("{path}\t{hash}\n"));
        }
        let signature = BASE64.decode(json["signature"].as_str().unwrap()).unwrap();
        let signature = Signature::from_slice(&signature).unwrap();
        key.verifying_key()
            .verify_strict(expected.as_bytes(), &signature)
            .unwrap();
    }

    #[test]
    fn rejects_unsigned_package() {
        let (bytes, _) = packed();
        let entries: Vec<_> = unpack(&bytes)
            .into_iter()
            .filter(|(path, _)| path != "signature.json")
            .collect();
        let err = read(&repack(&entries)).unwrap_err();
        assert!(matches!(err, PackageError::Unsigned), "{err:?}");
        assert_eq!(err.code(), "package_unsigned");
    }

    #[test]
    fn rejects_tampered_component() {
        let (bytes, _) = packed();
        let tampered = edit(&bytes, "plugin.wasm", |wasm| wasm[20] ^= 0x01);
        match read(&tampered) {
            Err(PackageError::Tampered { path }) => assert_eq!(path, "plugin.wasm"),
            other => panic!("expected Tampered, got {other:?}"),
        }
    }

    #[test]
    fn rejects_tampered_manifest() {
        let (bytes, _) = packed();
        let tampered = edit(&bytes, "manifest.toml", |toml| {
            *toml = String::from_utf8(toml.clone())
                .unwrap()
                .replace("1.0.0", "9.0.0")
                .into_bytes();
        });
        let err = read(&tampered).unwrap_err();
        assert!(
            matches!(&err, PackageError::Tampered { path } if path == "manifest.toml"),
            "{err:?}"
        );
        assert_eq!(err.code(), "package_tampered");
    }

    #[test]
    fn rejects_added_data_file() {
        let (bytes, _) = packed();
        let mut entries = unpack(&bytes);
        entries.push(("data/extra.txt".to_owned(), b"smuggled".to_vec()));
        match read(&repack(&entries)) {
            Err(PackageError::Tampered { path }) => assert_eq!(path, "data/extra.txt"),
            other => panic!("expected Tampered, got {other:?}"),
        }
    }

    #[test]
    fn rejects_removed_data_file() {
        let (bytes, _) = packed();
        let entries: Vec<_> = unpack(&bytes)
            .into_iter()
            .filter(|(path, _)| path != "data/faq.json")
            .collect();
        match read(&repack(&entries)) {
            Err(PackageError::Tampered { path }) => assert_eq!(path, "data/faq.json"),
            other => panic!("expected Tampered, got {other:?}"),
        }
    }

    #[test]
    fn rejects_rehashed_file_list_without_a_new_signature() {
        let (bytes, _) = packed();
        let mut entries = unpack(&bytes);
        let evil = b"evil".to_vec();
        let evil_hash = sha256_hex(&evil);
        for (path, content) in &mut entries {
            if path == "data/faq.json" {
                *content = evil.clone();
            }
        }
        let (_, json) = entries
            .iter_mut()
            .find(|(path, _)| path == "signature.json")
            .unwrap();
        let mut value: serde_json::Value = serde_json::from_slice(json).unwrap();
        value["files"]["data/faq.json"] = evil_hash.into();
        *json = serde_json::to_vec(&value).unwrap();

        let err = read(&repack(&entries)).unwrap_err();
        assert!(matches!(err, PackageError::BadSignature), "{err:?}");
        assert_eq!(err.code(), "package_bad_signature");
    }

    #[test]
    fn rejects_a_signature_claimed_by_another_key() {
        let (bytes, _) = packed();
        let impostor = generate_signing_key().verifying_key();
        let forged = edit(&bytes, "signature.json", |json| {
            let mut value: serde_json::Value = serde_json::from_slice(json).unwrap();
            value["public_key"] = format_public_key(&impostor).into();
            value["key_id"] = key_id(&impostor).into();
            *json = serde_json::to_vec(&value).unwrap();
        });
        assert!(matches!(read(&forged), Err(PackageError::BadSignature)));
    }

    #[test]
    fn rejects_a_key_id_that_does_not_match_the_key() {
        let (bytes, _) = packed();
        let edited = edit(&bytes, "signature.json", |json| {
            let mut value: serde_json::Value = serde_json::from_slice(json).unwrap();
            value["key_id"] = "0000000000000000".into();
            *json = serde_json::to_vec(&value).unwrap();
        });
        assert!(malformed_reason(read(&edited)).contains("key_id"));
    }

    #[test]
    fn rejects_unknown_signature_format() {
        let (bytes, _) = packed();
        let edited = edit(&bytes, "signature.json", |json| {
            let mut value: serde_json::Value = serde_json::from_slice(json).unwrap();
            value["format"] = "kefu-package-v2".into();
            *json = serde_json::to_vec(&value).unwrap();
        });
        assert!(malformed_reason(read(&edited)).contains("kefu-package-v2"));
    }

    #[test]
    fn rejects_untrusted_key() {
        let (bytes, key) = packed();
        let package = read(&bytes).unwrap();
        let others: TrustedKeys = [generate_signing_key().verifying_key()]
            .into_iter()
            .collect();
        for trusted in [others, TrustedKeys::new()] {
            match package.check_trusted(&trusted) {
                Err(PackageError::UntrustedKey { key_id: id }) => {
                    assert_eq!(id, key_id(&key.verifying_key()));
                }
                other => panic!("expected UntrustedKey, got {other:?}"),
            }
        }
    }

    #[test]
    fn rejects_path_traversal_entry() {
        let key = generate_signing_key();
        let wasm = component();
        for hostile in [
            "../evil",
            "data/../../evil",
            "data/scripts/../../../evil",
            "/etc/passwd",
            "data/./faq.json",
            "data//faq.json",
            "data\\..\\evil",
        ] {
            let bytes = raw_archive(&[
                RawEntry::file("manifest.toml", MANIFEST.as_bytes()),
                RawEntry::file("plugin.wasm", &wasm),
                RawEntry::file(hostile, b"x"),
            ]);
            let reason = malformed_reason(read(&bytes));
            assert!(
                reason.contains(&format!("{hostile:?}")),
                "{hostile}: {reason}"
            );
        }
        // Signing a hostile path does not make it acceptable.
        let files = BTreeMap::from([
            ("manifest.toml".to_owned(), MANIFEST.as_bytes().to_vec()),
            ("plugin.wasm".to_owned(), wasm.clone()),
            ("data/../x".to_owned(), b"x".to_vec()),
        ]);
        let json = signature_json(&files, &key).unwrap();
        let mut entries: Vec<RawEntry> = files
            .iter()
            .map(|(path, data)| RawEntry::file(path, data))
            .collect();
        entries.push(RawEntry::file("signature.json", &json));
        assert!(malformed_reason(read(&raw_archive(&entries))).contains(".."));
    }

    #[test]
    fn rejects_symlink_entry() {
        let wasm = component();
        for (kind, described) in [
            (tar::EntryType::Symlink, "symbolic link"),
            (tar::EntryType::Link, "hard link"),
            (tar::EntryType::Directory, "directory"),
            (tar::EntryType::Char, "special entry"),
        ] {
            let bytes = raw_archive(&[
                RawEntry::file("manifest.toml", MANIFEST.as_bytes()),
                RawEntry::file("plugin.wasm", &wasm),
                RawEntry {
                    path: "data/link",
                    kind,
                    data: b"",
                    link: Some("/etc/passwd"),
                },
            ]);
            let reason = malformed_reason(read(&bytes));
            assert!(reason.contains(described), "{reason}");
        }
    }

    #[test]
    fn rejects_gzip_bomb_over_limit() {
        let limits = ReadLimits {
            max_total_bytes: 1024 * 1024,
            ..ReadLimits::default()
        };
        let zeros = vec![0u8; 8 * 1024 * 1024];
        let one_big_file = raw_archive(&[
            RawEntry::file("manifest.toml", MANIFEST.as_bytes()),
            RawEntry::file("data/zeros", &zeros),
        ]);
        // Each file is under the limit; only their sum is over it.
        let names: Vec<String> = (0..16).map(|i| format!("data/zeros-{i}")).collect();
        let many_files = raw_archive(
            &names
                .iter()
                .map(|name| RawEntry::file(name, &zeros[..512 * 1024]))
                .collect::<Vec<_>>(),
        );
        for bomb in [one_big_file, many_files] {
            assert!(bomb.len() < 64 * 1024, "bomb is {} bytes", bomb.len());
            let err = Package::read(&bomb, &limits).unwrap_err();
            assert!(matches!(err, PackageError::TooLarge(_)), "{err:?}");
            assert_eq!(err.code(), "package_too_large");
        }
    }

    #[test]
    fn rejects_a_stream_just_over_the_limit_and_accepts_one_at_it() {
        let (bytes, _) = packed();
        let mut decompressed = Vec::new();
        GzDecoder::new(bytes.as_slice())
            .read_to_end(&mut decompressed)
            .unwrap();
        let exact = ReadLimits {
            max_total_bytes: decompressed.len() as u64,
            ..ReadLimits::default()
        };
        Package::read(&bytes, &exact).unwrap();
        // The end-of-archive blocks are the last 1024 bytes; a limit that cuts into the
        // entries themselves must fail.
        let short = ReadLimits {
            max_total_bytes: decompressed.len() as u64 - 2048,
            ..ReadLimits::default()
        };
        assert!(matches!(
            Package::read(&bytes, &short),
            Err(PackageError::TooLarge(_))
        ));
    }

    #[test]
    fn rejects_too_many_entries() {
        let (bytes, _) = packed();
        let limits = ReadLimits {
            max_entries: 4,
            ..ReadLimits::default()
        };
        let err = Package::read(&bytes, &limits).unwrap_err();
        assert!(matches!(err, PackageError::TooLarge(_)), "{err:?}");
        assert!(err.to_string().contains("4 entries"), "{err}");
    }

    #[test]
    fn rejects_duplicate_entries() {
        let (bytes, _) = packed();
        let mut entries = unpack(&bytes);
        entries.push(("data/faq.json".to_owned(), br#"{"q":"a"}"#.to_vec()));
        assert!(malformed_reason(read(&repack(&entries))).contains("more than once"));

        let mut entries = unpack(&bytes);
        entries.push(("data/FAQ.json".to_owned(), b"x".to_vec()));
        assert!(malformed_reason(read(&repack(&entries))).contains("letter case"));
    }

    #[test]
    fn rejects_a_path_that_is_both_file_and_directory() {
        let wasm = component();
        let bytes = signed(
            &[
                ("manifest.toml", MANIFEST.as_bytes()),
                ("plugin.wasm", &wasm),
                ("data/a", b"file"),
                ("data/a/b", b"nested"),
            ],
            &generate_signing_key(),
        );
        assert!(malformed_reason(read(&bytes)).contains("both a file and a directory"));
    }

    #[test]
    fn rejects_files_outside_the_allowed_names() {
        let (bytes, _) = packed();
        let mut entries = unpack(&bytes);
        entries.push(("README.md".to_owned(), b"hi".to_vec()));
        assert!(malformed_reason(read(&repack(&entries))).contains("README.md"));
    }

    #[test]
    fn rejects_input_that_is_not_gzip() {
        let reason = malformed_reason(read(b"PK\x03\x04 definitely a zip"));
        assert!(reason.contains("gzip"), "{reason}");
    }

    #[test]
    fn rejects_a_signed_package_without_a_component() {
        let bytes = signed(
            &[("manifest.toml", MANIFEST.as_bytes())],
            &generate_signing_key(),
        );
        assert!(malformed_reason(read(&bytes)).contains("plugin.wasm is missing"));
    }

    #[test]
    fn rejects_a_core_module_as_component() {
        let core_module = b"\0asm\x01\x00\x00\x00rest".to_vec();
        let bytes = signed(
            &[
                ("manifest.toml", MANIFEST.as_bytes()),
                ("plugin.wasm", &core_module),
            ],
            &generate_signing_key(),
        );
        let err = read(&bytes).unwrap_err();
        assert!(matches!(err, PackageError::NotAComponent), "{err:?}");
        assert_eq!(err.code(), "package_not_a_component");

        let fixture = fixture();
        std::fs::write(&fixture.input.component_path, &core_module).unwrap();
        assert!(matches!(
            pack(&fixture.input, &fixture.key),
            Err(PackageError::NotAComponent)
        ));
    }

    #[test]
    fn rejects_an_invalid_manifest_even_when_signed() {
        let bad = MANIFEST.replace(
            "hooks = [\"respond\"]",
            "hooks = [\"respond\"]\nnetwork = true",
        );
        let bytes = signed(
            &[
                ("manifest.toml", bad.as_bytes()),
                ("plugin.wasm", &component()),
            ],
            &generate_signing_key(),
        );
        match read(&bytes) {
            Err(PackageError::InvalidManifest { field, .. }) => assert_eq!(field, "network"),
            other => panic!("expected InvalidManifest, got {other:?}"),
        }
    }

    #[test]
    fn pack_refuses_an_invalid_manifest() {
        let fixture = fixture();
        std::fs::write(
            &fixture.input.manifest_path,
            MANIFEST.replace("echo", "Echo!"),
        )
        .unwrap();
        let err = pack(&fixture.input, &fixture.key).unwrap_err();
        assert!(
            matches!(&err, PackageError::InvalidManifest { field, .. } if field == "id"),
            "{err:?}"
        );
    }

    #[test]
    fn pack_names_a_missing_input_file() {
        let mut fixture = fixture();
        fixture.input.component_path = fixture.input.component_path.with_file_name("nope.wasm");
        let err = pack(&fixture.input, &fixture.key).unwrap_err();
        assert_eq!(err.code(), "package_io");
        assert!(err.to_string().contains("nope.wasm"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn pack_refuses_symlinks_in_the_data_directory() {
        let fixture = fixture();
        let data = fixture.input.data_dir.clone().unwrap();
        std::os::unix::fs::symlink("/etc/passwd", data.join("passwd")).unwrap();
        let err = pack(&fixture.input, &fixture.key).unwrap_err();
        assert!(matches!(&err, PackageError::Malformed(_)), "{err:?}");
        assert!(err.to_string().contains("symbolic link"), "{err}");
    }

    #[test]
    fn writes_data_files_beneath_the_capability_directory() {
        let (bytes, _) = packed();
        let package = read(&bytes).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let cap =
            cap_std::fs::Dir::open_ambient_dir(dir.path(), cap_std::ambient_authority()).unwrap();
        package.write_data(&cap).unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("scripts/k12/price.txt")).unwrap(),
            "课程价格".as_bytes()
        );
        assert_eq!(
            std::fs::read(dir.path().join("faq.json")).unwrap(),
            br#"{"q":"a"}"#
        );
    }

    #[test]
    fn write_data_cannot_escape_the_directory() {
        let (bytes, _) = packed();
        let mut package = read(&bytes).unwrap();
        package.data = BTreeMap::from([("../escaped.txt".to_owned(), b"x".to_vec())]);
        let outer = tempfile::tempdir().unwrap();
        let inner = outer.path().join("inner");
        std::fs::create_dir(&inner).unwrap();
        let cap = cap_std::fs::Dir::open_ambient_dir(&inner, cap_std::ambient_authority()).unwrap();
        assert!(package.write_data(&cap).is_err());
        assert!(!outer.path().join("escaped.txt").exists());
    }

    #[test]
    fn limited_reader_allows_exactly_the_budget() {
        let flag = Rc::new(Cell::new(false));
        let mut reader = LimitedReader {
            inner: &b"12345"[..],
            remaining: 5,
            exceeded: Rc::clone(&flag),
        };
        let mut out = Vec::new();
        reader.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"12345");
        assert!(!flag.get());

        let mut reader = LimitedReader {
            inner: &b"123456"[..],
            remaining: 5,
            exceeded: Rc::clone(&flag),
        };
        assert!(reader.read_to_end(&mut Vec::new()).is_err());
        assert!(flag.get());
    }

    #[test]
    fn debug_output_does_not_dump_the_component() {
        let (bytes, _) = packed();
        let debug = format!("{:?}", read(&bytes).unwrap());
        assert!(debug.contains("component_bytes"), "{debug}");
        assert!(debug.len() < 400, "{debug}");
    }

    #[test]
    fn writes_gzip_without_a_timestamp() {
        let (bytes, _) = packed();
        assert_eq!(&bytes[..4], &[0x1f, 0x8b, 8, 0]);
        assert_eq!(&bytes[4..8], &[0, 0, 0, 0], "gzip mtime must be zero");
    }
}
