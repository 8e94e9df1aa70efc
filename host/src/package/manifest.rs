//! `manifest.toml`: what a plugin is, which hooks it implements, which contract it was built
//! against, which paid add-on it belongs to, what limits it asks for and what config it takes.
//!
//! Parsing is strict (`deny_unknown_fields` everywhere) because a manifest grants nothing by
//! default: a misspelt key must be an error, never a silently ignored request.

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value as Json;

use super::PackageError;

const MAX_TEXT_CHARS: usize = 200;
const MAX_DESCRIPTION_CHARS: usize = 4000;
const MAX_VERSION_LEN: usize = 128;

/// A parsed and validated `manifest.toml`. Build one with [`Manifest::parse`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Manifest {
    /// Stable plugin id, `^[a-z][a-z0-9-]{1,63}$`.
    pub id: String,
    pub version: Version,
    /// Human-readable name.
    pub name: String,
    pub author: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The WIT contract the component was built against, e.g. `kefu:plugin@0.1.0`.
    pub contract: String,
    /// Hooks the plugin implements: non-empty, no duplicates, in manifest order.
    pub hooks: Vec<Hook>,
    /// The paid add-on this plugin belongs to (e.g. `dialect-pack`); `None` means free.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub addon: Option<String>,
    /// Per-call limits the plugin asks for; the runtime clamps them to the operator's maxima.
    pub limits: Limits,
    pub config: ConfigSpec,
    #[serde(skip)]
    contract_package: String,
    #[serde(skip)]
    contract_version: Version,
}

/// A pipeline hook. The declaration order is the stage order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Hook {
    Preprocess,
    Classify,
    Analyze,
    Respond,
    Inspect,
}

/// Per-call limits requested by the manifest (`[limits]`). Every field is optional and, when
/// present, greater than zero. A manifest may only ask for less than the operator's defaults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fuel: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_mb: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_kb: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kv_quota_kb: Option<u64>,
}

/// `[config]`: the JSON Schema a tenant's configuration of this plugin must satisfy, and the
/// configuration used when a tenant has set none.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ConfigSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<Json>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<Json>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    id: String,
    version: String,
    name: String,
    author: String,
    #[serde(default)]
    description: Option<String>,
    contract: String,
    hooks: Vec<Hook>,
    #[serde(default)]
    addon: Option<String>,
    #[serde(default)]
    limits: Limits,
    #[serde(default)]
    config: RawConfig,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    schema: Option<toml::Table>,
    #[serde(default)]
    default: Option<toml::Table>,
}

impl Manifest {
    /// Parses and validates `manifest.toml`. Errors name the offending field.
    pub fn parse(source: &str) -> Result<Manifest, PackageError> {
        let raw: RawManifest = toml::from_str(source).map_err(|e| toml_error(source, &e))?;

        check_identifier("id", &raw.id)?;
        let version = raw
            .version
            .parse::<Version>()
            .map_err(|reason| PackageError::invalid_manifest("version", reason))?;
        check_text("name", &raw.name, MAX_TEXT_CHARS, false)?;
        check_text("author", &raw.author, MAX_TEXT_CHARS, false)?;
        if let Some(description) = &raw.description {
            check_text("description", description, MAX_DESCRIPTION_CHARS, true)?;
        }
        let (contract_package, contract_version) = parse_contract(&raw.contract)
            .map_err(|reason| PackageError::invalid_manifest("contract", reason))?;
        check_hooks(&raw.hooks)?;
        if let Some(addon) = &raw.addon {
            check_identifier("addon", addon)?;
        }
        check_limits(&raw.limits)?;
        let config = check_config(raw.config)?;

        Ok(Manifest {
            id: raw.id,
            version,
            name: raw.name,
            author: raw.author,
            description: raw.description,
            contract: raw.contract,
            hooks: raw.hooks,
            addon: raw.addon,
            limits: raw.limits,
            config,
            contract_package,
            contract_version,
        })
    }

    /// The version of the contract the plugin was built against.
    pub fn contract_version(&self) -> &Version {
        &self.contract_version
    }

    /// The contract's WIT package name, e.g. `kefu:plugin`.
    pub fn contract_package(&self) -> &str {
        &self.contract_package
    }

    /// Whether the plugin implements `hook`.
    pub fn implements(&self, hook: Hook) -> bool {
        self.hooks.contains(&hook)
    }

    /// Checks the plugin's contract against the ones this host serves (e.g.
    /// `["kefu:plugin@0.1.0"]`).
    ///
    /// Only an exact package-and-version match is compatible: a released contract is frozen
    /// and the host lists each one it still serves, and a component built against a newer
    /// minor version may import functions an older host does not have.
    pub fn check_contract(&self, supported: &[&str]) -> Result<(), PackageError> {
        let compatible = supported.iter().any(|candidate| {
            parse_contract(candidate).is_ok_and(|(package, version)| {
                package == self.contract_package && version == self.contract_version
            })
        });
        if compatible {
            Ok(())
        } else {
            Err(PackageError::IncompatibleContract {
                found: self.contract.clone(),
                supported: supported.iter().map(|s| (*s).to_owned()).collect(),
            })
        }
    }

    /// Validates a tenant's configuration of this plugin against `[config.schema]`.
    ///
    /// Errors are readable lines, `<JSON pointer>: <message>` (`(root)` for the top level).
    /// A plugin without a schema takes no configuration: only `{}` is accepted.
    pub fn validate_config(&self, config: &Json) -> Result<(), Vec<String>> {
        let Some(schema) = &self.config.schema else {
            return match config {
                Json::Object(map) if map.is_empty() => Ok(()),
                _ => Err(vec![
                    "(root): this plugin takes no configuration (its manifest has no \
                     [config.schema]); use {}"
                        .to_owned(),
                ]),
            };
        };
        let validator = compile_schema(schema).map_err(|e| {
            vec![format!(
                "(root): the plugin's config schema is invalid: {e}"
            )]
        })?;
        let errors = schema_errors(&validator, config);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The configuration a tenant gets before setting any: `[config.default]`, or `{}`.
    pub fn default_config(&self) -> Json {
        self.config
            .default
            .clone()
            .unwrap_or_else(|| Json::Object(Default::default()))
    }
}

impl Hook {
    /// Every hook, in pipeline stage order.
    pub const ALL: [Hook; 5] = [
        Hook::Preprocess,
        Hook::Classify,
        Hook::Analyze,
        Hook::Respond,
        Hook::Inspect,
    ];

    /// The name used in manifests and the WIT contract.
    pub fn as_str(self) -> &'static str {
        match self {
            Hook::Preprocess => "preprocess",
            Hook::Classify => "classify",
            Hook::Analyze => "analyze",
            Hook::Respond => "respond",
            Hook::Inspect => "inspect",
        }
    }
}

impl fmt::Display for Hook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Hook {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Hook::ALL
            .into_iter()
            .find(|hook| hook.as_str() == s)
            .ok_or_else(|| format!("unknown hook `{s}`, expected one of {}", hook_list()))
    }
}

fn hook_list() -> String {
    Hook::ALL.map(Hook::as_str).join(", ")
}

/// A strict semantic version: `MAJOR.MINOR.PATCH` with an optional `-prerelease`, no leading
/// zeros, no build metadata. Ordered by semver precedence (`1.0.0-alpha < 1.0.0-alpha.1 <
/// 1.0.0-beta < 1.0.0`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    pre: Vec<PreIdentifier>,
}

/// Numeric identifiers sort before alphanumeric ones, as semver requires; the derived `Ord`
/// relies on the variant order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum PreIdentifier {
    Numeric(u64),
    Alphanumeric(String),
}

impl Version {
    /// A release version (no pre-release part).
    pub fn new(major: u64, minor: u64, patch: u64) -> Version {
        Version {
            major,
            minor,
            patch,
            pre: Vec::new(),
        }
    }

    /// Whether this is a pre-release (`1.0.0-rc.1`).
    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }
}

impl FromStr for Version {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() > MAX_VERSION_LEN {
            return Err(format!("`{s}` is longer than {MAX_VERSION_LEN} characters"));
        }
        if s.contains('+') {
            return Err(format!(
                "`{s}` has build metadata (+…), which is not allowed; use MAJOR.MINOR.PATCH[-pre]"
            ));
        }
        let (core, pre) = match s.split_once('-') {
            Some((core, pre)) => (core, Some(pre)),
            None => (s, None),
        };
        let numbers: Vec<&str> = core.split('.').collect();
        let [major, minor, patch] = numbers.as_slice() else {
            return Err(format!(
                "`{s}` is not a semantic version; expected MAJOR.MINOR.PATCH[-pre], e.g. 1.2.0"
            ));
        };
        let number = |part: &str| {
            parse_semver_number(part).ok_or_else(|| {
                format!(
                    "`{s}` is not a semantic version: `{part}` must be a number without \
                     leading zeros"
                )
            })
        };
        let mut version = Version::new(number(major)?, number(minor)?, number(patch)?);
        if let Some(pre) = pre {
            for identifier in pre.split('.') {
                version
                    .pre
                    .push(parse_pre_identifier(identifier).ok_or_else(|| {
                        format!(
                            "`{s}` has an invalid pre-release identifier `{identifier}` (use \
                         letters, digits and hyphens; numbers without leading zeros)"
                        )
                    })?);
            }
        }
        Ok(version)
    }
}

fn parse_semver_number(part: &str) -> Option<u64> {
    let digits_only = !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    let leading_zero = part.len() > 1 && part.starts_with('0');
    if digits_only && !leading_zero {
        part.parse().ok()
    } else {
        None
    }
}

fn parse_pre_identifier(identifier: &str) -> Option<PreIdentifier> {
    if identifier.is_empty()
        || !identifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return None;
    }
    if identifier.bytes().all(|b| b.is_ascii_digit()) {
        parse_semver_number(identifier).map(PreIdentifier::Numeric)
    } else {
        Some(PreIdentifier::Alphanumeric(identifier.to_owned()))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                // A pre-release comes before the release it leads up to.
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => self.pre.cmp(&other.pre),
            })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        for (i, identifier) in self.pre.iter().enumerate() {
            f.write_str(if i == 0 { "-" } else { "." })?;
            match identifier {
                PreIdentifier::Numeric(n) => write!(f, "{n}")?,
                PreIdentifier::Alphanumeric(s) => f.write_str(s)?,
            }
        }
        Ok(())
    }
}

impl Serialize for Version {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Splits `namespace:package@version`, e.g. `kefu:plugin@0.1.0`, into `("kefu:plugin", 0.1.0)`.
fn parse_contract(contract: &str) -> Result<(String, Version), String> {
    let malformed = || {
        format!(
            "`{contract}` is not a contract name; expected `namespace:package@MAJOR.MINOR.PATCH`, e.g. `kefu:plugin@0.1.0`"
        )
    };
    let (package, version) = contract.split_once('@').ok_or_else(malformed)?;
    let (namespace, name) = package.split_once(':').ok_or_else(malformed)?;
    if !is_wit_name(namespace) || !is_wit_name(name) {
        return Err(malformed());
    }
    let version = version
        .parse::<Version>()
        .map_err(|reason| format!("contract version: {reason}"))?;
    Ok((package.to_owned(), version))
}

fn is_wit_name(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.ends_with('-')
        && !s.contains("--")
}

/// `^[a-z][a-z0-9-]{1,63}$`, for plugin and add-on ids.
fn check_identifier(field: &str, value: &str) -> Result<(), PackageError> {
    let valid = (2..=64).contains(&value.len())
        && value.starts_with(|c: char| c.is_ascii_lowercase())
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if valid {
        Ok(())
    } else {
        Err(PackageError::invalid_manifest(
            field,
            format!(
                "`{value}` is not a valid id: use 2 to 64 lowercase letters, digits and \
                 hyphens, starting with a letter"
            ),
        ))
    }
}

/// Non-empty text of at most `max_chars`, without control characters (other than line breaks
/// where `multi_line` allows them): these strings end up in terminals and admin pages.
fn check_text(
    field: &str,
    value: &str,
    max_chars: usize,
    multi_line: bool,
) -> Result<(), PackageError> {
    let forbidden = |c: char| c.is_control() && !(multi_line && c == '\n');
    let reason = if value.trim().is_empty() {
        "must not be empty".to_owned()
    } else if value.chars().count() > max_chars {
        format!("is longer than {max_chars} characters")
    } else if value.chars().any(forbidden) {
        "must not contain control characters".to_owned()
    } else {
        return Ok(());
    };
    Err(PackageError::invalid_manifest(field, reason))
}

fn check_hooks(hooks: &[Hook]) -> Result<(), PackageError> {
    if hooks.is_empty() {
        return Err(PackageError::invalid_manifest(
            "hooks",
            format!("must list at least one hook ({})", hook_list()),
        ));
    }
    let mut seen = BTreeSet::new();
    for hook in hooks {
        if !seen.insert(hook) {
            return Err(PackageError::invalid_manifest(
                "hooks",
                format!("lists `{hook}` more than once"),
            ));
        }
    }
    Ok(())
}

fn check_limits(limits: &Limits) -> Result<(), PackageError> {
    let fields = [
        ("limits.fuel", limits.fuel),
        ("limits.memory_mb", limits.memory_mb),
        ("limits.timeout_ms", limits.timeout_ms),
        ("limits.output_kb", limits.output_kb),
        ("limits.kv_quota_kb", limits.kv_quota_kb),
    ];
    match fields.into_iter().find(|(_, value)| *value == Some(0)) {
        Some((field, _)) => Err(PackageError::invalid_manifest(
            field,
            "must be greater than 0 (leave it out to get the operator's default)",
        )),
        None => Ok(()),
    }
}

fn check_config(raw: RawConfig) -> Result<ConfigSpec, PackageError> {
    let schema = raw
        .schema
        .map(|table| table_to_json("config.schema", table))
        .transpose()?;
    let default = raw
        .default
        .map(|table| table_to_json("config.default", table))
        .transpose()?;

    let Some(schema) = schema else {
        if default.is_some() {
            return Err(PackageError::invalid_manifest(
                "config.default",
                "needs a [config.schema] to be checked against",
            ));
        }
        return Ok(ConfigSpec::default());
    };
    let validator = compile_schema(&schema).map_err(|e| {
        PackageError::invalid_manifest("config.schema", format!("is not a valid JSON Schema: {e}"))
    })?;
    if let Some(default) = &default {
        let errors = schema_errors(&validator, default);
        if !errors.is_empty() {
            return Err(PackageError::invalid_manifest(
                "config.default",
                format!("does not satisfy config.schema: {}", errors.join("; ")),
            ));
        }
    }
    Ok(ConfigSpec {
        schema: Some(schema),
        default,
    })
}

/// Compiles a plugin's config schema. Remote `$ref`s are refused whatever features the
/// `jsonschema` crate was built with: a plugin must never make the host fetch URLs.
///
/// The error is readable text naming the offending place in the schema.
fn compile_schema(schema: &Json) -> Result<jsonschema::Validator, String> {
    jsonschema::options()
        .with_retriever(NoRemoteRefs)
        .build(schema)
        .map_err(|e| format!("{e} (at {})", pointer_or_root(e.instance_path.as_str())))
}

/// Every way `instance` breaks the schema, as `<JSON pointer>: <message>` lines.
fn schema_errors(validator: &jsonschema::Validator, instance: &Json) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| format!("{}: {e}", pointer_or_root(e.instance_path.as_str())))
        .collect()
}

struct NoRemoteRefs;

impl jsonschema::Retrieve for NoRemoteRefs {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Json, Box<dyn std::error::Error + Send + Sync>> {
        Err(format!("config schemas must be self-contained; cannot fetch `{uri}`").into())
    }
}

fn pointer_or_root(pointer: &str) -> &str {
    if pointer.is_empty() {
        "(root)"
    } else {
        pointer
    }
}

fn table_to_json(path: &str, table: toml::Table) -> Result<Json, PackageError> {
    table
        .into_iter()
        .map(|(key, value)| {
            let json = toml_to_json(&format!("{path}.{key}"), value)?;
            Ok((key, json))
        })
        .collect::<Result<serde_json::Map<_, _>, _>>()
        .map(Json::Object)
}

fn toml_to_json(path: &str, value: toml::Value) -> Result<Json, PackageError> {
    Ok(match value {
        toml::Value::String(s) => Json::String(s),
        toml::Value::Integer(i) => Json::from(i),
        toml::Value::Float(f) => serde_json::Number::from_f64(f)
            .map(Json::Number)
            .ok_or_else(|| {
                PackageError::invalid_manifest(path, "NaN and infinity are not JSON numbers")
            })?,
        toml::Value::Boolean(b) => Json::Bool(b),
        toml::Value::Datetime(d) => {
            return Err(PackageError::invalid_manifest(
                path,
                format!("{d} is a TOML date/time, which JSON has no type for; quote it"),
            ));
        }
        toml::Value::Array(items) => Json::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, item)| toml_to_json(&format!("{path}[{i}]"), item))
                .collect::<Result<_, _>>()?,
        ),
        toml::Value::Table(table) => table_to_json(path, table)?,
    })
}

/// Turns a TOML/serde error into `InvalidManifest`, recovering the field name from the error's
/// position (best effort; the reason always carries line and column).
fn toml_error(source: &str, error: &toml::de::Error) -> PackageError {
    let message = error.message().trim().replace('\n', "; ");
    let Some(span) = error.span() else {
        return PackageError::invalid_manifest("manifest.toml", message);
    };
    let Some(before) = source.get(..span.start) else {
        return PackageError::invalid_manifest("manifest.toml", message);
    };
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line_number = before.matches('\n').count() + 1;
    let column = before[line_start..].chars().count() + 1;
    let reason = format!("{message} (line {line_number}, column {column})");
    let field =
        field_at(source, line_start, error.message()).unwrap_or_else(|| "manifest.toml".to_owned());
    PackageError::invalid_manifest(field, reason)
}

fn field_at(source: &str, line_start: usize, message: &str) -> Option<String> {
    let backticked = |prefix: &str| {
        let rest = message.strip_prefix(prefix)?;
        Some(rest[..rest.find('`')?].to_owned())
    };
    if let Some(missing) = backticked("missing field `") {
        return Some(missing);
    }
    let line = source[line_start..].lines().next().unwrap_or("").trim();
    if line.starts_with('[') {
        return Some(table_header_name(line));
    }
    let key = match backticked("unknown field `") {
        Some(unknown) => unknown,
        None => line
            .split_once('=')?
            .0
            .trim()
            .trim_matches(['"', '\''])
            .to_owned(),
    };
    let table = source[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|line| line.starts_with('['))
        .map(table_header_name);
    Some(match table {
        Some(table) => format!("{table}.{key}"),
        None => key,
    })
}

fn table_header_name(line: &str) -> String {
    let inner = line.trim_start_matches('[');
    inner[..inner.find(']').unwrap_or(inner.len())]
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const MINIMAL: &str = r#"
id = "echo"
version = "1.2.3"
name = "Echo"
author = "Kefu"
contract = "kefu:plugin@0.1.0"
hooks = ["respond"]
"#;

    fn with(extra: &str) -> String {
        format!("{MINIMAL}{extra}")
    }

    fn replacing(from: &str, to: &str) -> String {
        assert!(MINIMAL.contains(from), "{from} not in the minimal manifest");
        MINIMAL.replace(from, to)
    }

    fn invalid_field(source: &str) -> (String, String) {
        match Manifest::parse(source) {
            Err(PackageError::InvalidManifest { field, reason }) => (field, reason),
            other => panic!("expected InvalidManifest, got {other:?}"),
        }
    }

    const FULL: &str = r#"
id = "dialect-cantonese"
version = "0.3.0-beta.2"
name = "Cantonese dialect"
author = "Kefu Labs"
description = """
Rewrites written Cantonese into Mandarin
before intent classification."""
contract = "kefu:plugin@0.1.0"
hooks = ["preprocess", "analyze"]
addon = "dialect-pack"

[limits]
fuel = 5000000
memory_mb = 32
timeout_ms = 200
output_kb = 64
kv_quota_kb = 512

[config.schema]
type = "object"
additionalProperties = false
required = ["mode"]

[config.schema.properties.mode]
type = "string"
enum = ["strict", "lenient"]

[config.schema.properties.threshold]
type = "number"
minimum = 0
maximum = 1

[config.default]
mode = "lenient"
threshold = 0.5
"#;

    #[test]
    fn parses_a_full_manifest() {
        let manifest = Manifest::parse(FULL).unwrap();
        assert_eq!(manifest.id, "dialect-cantonese");
        assert_eq!(manifest.version.to_string(), "0.3.0-beta.2");
        assert_eq!(manifest.hooks, vec![Hook::Preprocess, Hook::Analyze]);
        assert_eq!(manifest.addon.as_deref(), Some("dialect-pack"));
        assert_eq!(manifest.limits.fuel, Some(5_000_000));
        assert_eq!(manifest.limits.kv_quota_kb, Some(512));
        assert_eq!(manifest.contract_package(), "kefu:plugin");
        assert_eq!(manifest.contract_version(), &Version::new(0, 1, 0));
        assert_eq!(
            manifest.config.schema.as_ref().unwrap()["properties"]["mode"]["enum"],
            json!(["strict", "lenient"])
        );
        assert_eq!(
            manifest.default_config(),
            json!({"mode": "lenient", "threshold": 0.5})
        );
        assert!(manifest.implements(Hook::Analyze));
        assert!(!manifest.implements(Hook::Respond));
    }

    #[test]
    fn parses_a_minimal_manifest_as_a_free_plugin_without_config() {
        let manifest = Manifest::parse(MINIMAL).unwrap();
        assert_eq!(manifest.addon, None);
        assert_eq!(manifest.limits, Limits::default());
        assert_eq!(manifest.config, ConfigSpec::default());
        assert_eq!(manifest.default_config(), json!({}));
    }

    #[test]
    fn rejects_unknown_manifest_field() {
        let (field, reason) = invalid_field(&with("capabilities_all = true\n"));
        assert_eq!(field, "capabilities_all");
        assert!(reason.contains("unknown field"), "{reason}");
        assert!(reason.contains("line 8"), "{reason}");
    }

    #[test]
    fn rejects_unknown_field_inside_limits() {
        let (field, _) = invalid_field(&with("[limits]\nfuel = 10\ncpu = 3\n"));
        assert_eq!(field, "limits.cpu");
    }

    #[test]
    fn rejects_unknown_table() {
        let (field, _) = invalid_field(&with("[network]\nallow = true\n"));
        assert_eq!(field, "network");
    }

    #[test]
    fn rejects_unknown_field_inside_config() {
        let (field, _) = invalid_field(&with("[config]\nschemas = { type = \"object\" }\n"));
        assert_eq!(field, "config.schemas");
    }

    #[test]
    fn names_a_missing_field() {
        let (field, reason) = invalid_field(&replacing("author = \"Kefu\"\n", ""));
        assert_eq!(field, "author");
        assert!(reason.contains("missing"), "{reason}");
    }

    #[test]
    fn names_a_field_with_the_wrong_type() {
        let (field, reason) = invalid_field(&with("[limits]\nfuel = \"lots\"\n"));
        assert_eq!(field, "limits.fuel");
        assert!(reason.contains("u64"), "{reason}");
    }

    #[test]
    fn reports_toml_syntax_errors_with_a_line() {
        let (_, reason) = invalid_field("id = \"echo\"\nversion = \n");
        assert!(reason.contains("line 2"), "{reason}");
    }

    #[test]
    fn rejects_bad_ids() {
        for id in [
            "a",
            "Echo",
            "1echo",
            "echo_bot",
            "echo bot",
            &"e".repeat(65),
            "-echo",
        ] {
            let (field, _) = invalid_field(&replacing("\"echo\"", &format!("{id:?}")));
            assert_eq!(field, "id", "id {id:?} should be rejected");
        }
        let longest = format!("e{}", "-".repeat(63));
        Manifest::parse(&replacing("\"echo\"", &format!("{longest:?}"))).unwrap();
    }

    #[test]
    fn rejects_bad_addon_id() {
        let (field, _) = invalid_field(&with("addon = \"Dialect Pack\"\n"));
        assert_eq!(field, "addon");
    }

    #[test]
    fn rejects_non_semver_versions() {
        for version in [
            "1.2",
            "1.2.3.4",
            "01.2.3",
            "1.2.3+build",
            "v1.2.3",
            "1.2.3-",
            "1.2.3-a..b",
            "1.2.3-01",
        ] {
            let (field, _) = invalid_field(&replacing("\"1.2.3\"", &format!("{version:?}")));
            assert_eq!(field, "version", "version {version:?} should be rejected");
        }
    }

    #[test]
    fn orders_versions_by_semver_precedence() {
        let ordered = [
            "0.9.10",
            "0.10.0",
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.1",
            "2.0.0",
        ];
        let parsed: Vec<Version> = ordered.iter().map(|v| v.parse().unwrap()).collect();
        for pair in parsed.windows(2) {
            assert_eq!(
                pair[0].cmp(&pair[1]),
                Ordering::Less,
                "{} < {}",
                pair[0],
                pair[1]
            );
            assert_eq!(
                pair[1].cmp(&pair[0]),
                Ordering::Greater,
                "{} > {}",
                pair[1],
                pair[0]
            );
        }
        for (text, version) in ordered.iter().zip(&parsed) {
            assert_eq!(&version.to_string(), text);
        }
        assert!(parsed[2].is_prerelease());
        assert!(!parsed[9].is_prerelease());
    }

    #[test]
    fn versions_round_trip_through_json() {
        let version: Version = "2.1.0-rc.3".parse().unwrap();
        let json = serde_json::to_string(&version).unwrap();
        assert_eq!(json, "\"2.1.0-rc.3\"");
        assert_eq!(serde_json::from_str::<Version>(&json).unwrap(), version);
        assert!(serde_json::from_str::<Version>("\"2.1\"").is_err());
    }

    #[test]
    fn rejects_empty_or_duplicate_hooks() {
        let (field, reason) = invalid_field(&replacing("[\"respond\"]", "[]"));
        assert_eq!(field, "hooks");
        assert!(reason.contains("at least one"), "{reason}");
        let (field, reason) = invalid_field(&replacing(
            "[\"respond\"]",
            "[\"respond\", \"classify\", \"respond\"]",
        ));
        assert_eq!(field, "hooks");
        assert!(reason.contains("more than once"), "{reason}");
    }

    #[test]
    fn rejects_unknown_hook() {
        let (field, reason) = invalid_field(&replacing("[\"respond\"]", "[\"reply\"]"));
        assert_eq!(field, "hooks");
        assert!(reason.contains("reply"), "{reason}");
    }

    #[test]
    fn hooks_are_listed_in_stage_order() {
        let mut sorted = Hook::ALL;
        sorted.sort();
        assert_eq!(sorted, Hook::ALL);
        let names = Hook::ALL.map(Hook::as_str);
        assert_eq!(
            names,
            ["preprocess", "classify", "analyze", "respond", "inspect"]
        );
        for hook in Hook::ALL {
            assert_eq!(hook.as_str().parse::<Hook>().unwrap(), hook);
            assert_eq!(serde_json::to_value(hook).unwrap(), json!(hook.as_str()));
        }
        assert!("Respond".parse::<Hook>().is_err());
    }

    #[test]
    fn rejects_zero_limits() {
        let (field, _) = invalid_field(&with("[limits]\nfuel = 10\nmemory_mb = 0\n"));
        assert_eq!(field, "limits.memory_mb");
    }

    #[test]
    fn rejects_negative_limits() {
        let (field, _) = invalid_field(&with("[limits]\ntimeout_ms = -5\n"));
        assert_eq!(field, "limits.timeout_ms");
    }

    #[test]
    fn rejects_empty_name_and_control_characters() {
        let (field, _) = invalid_field(&replacing("\"Echo\"", "\"  \""));
        assert_eq!(field, "name");
        let (field, _) = invalid_field(&replacing("\"Kefu\"", "\"Ke\\u0007fu\""));
        assert_eq!(field, "author");
    }

    #[test]
    fn rejects_malformed_contract() {
        for contract in [
            "kefu-plugin-0.1.0",
            "kefu:plugin",
            "kefu:plugin@0.1",
            "Kefu:plugin@0.1.0",
            ":plugin@0.1.0",
        ] {
            let (field, _) = invalid_field(&replacing(
                "\"kefu:plugin@0.1.0\"",
                &format!("{contract:?}"),
            ));
            assert_eq!(
                field, "contract",
                "contract {contract:?} should be rejected"
            );
        }
    }

    #[test]
    fn accepts_a_supported_contract() {
        let manifest = Manifest::parse(MINIMAL).unwrap();
        manifest
            .check_contract(&["kefu:plugin@0.0.9", "kefu:plugin@0.1.0"])
            .unwrap();
    }

    #[test]
    fn rejects_incompatible_contract() {
        let manifest =
            Manifest::parse(&replacing("kefu:plugin@0.1.0", "kefu:plugin@0.2.0")).unwrap();
        match manifest.check_contract(&["kefu:plugin@0.1.0"]) {
            Err(PackageError::IncompatibleContract { found, supported }) => {
                assert_eq!(found, "kefu:plugin@0.2.0");
                assert_eq!(supported, vec!["kefu:plugin@0.1.0".to_owned()]);
            }
            other => panic!("expected IncompatibleContract, got {other:?}"),
        }
        let other_package =
            Manifest::parse(&replacing("kefu:plugin@0.1.0", "acme:plugin@0.1.0")).unwrap();
        assert!(
            other_package
                .check_contract(&["kefu:plugin@0.1.0"])
                .is_err()
        );
        assert!(
            Manifest::parse(MINIMAL)
                .unwrap()
                .check_contract(&[])
                .is_err()
        );
    }

    #[test]
    fn rejects_invalid_config_schema() {
        let (field, reason) = invalid_field(&with("[config.schema]\ntype = \"nonsense\"\n"));
        assert_eq!(field, "config.schema");
        assert!(reason.contains("not a valid JSON Schema"), "{reason}");
        assert!(reason.contains("/type"), "{reason}");

        let (field, _) = invalid_field(&with("[config.schema.properties.n]\nminimum = \"zero\"\n"));
        assert_eq!(field, "config.schema");
    }

    #[test]
    fn refuses_remote_refs_in_config_schema() {
        let (field, reason) = invalid_field(&with(
            "[config.schema]\n\"$ref\" = \"https://example.com/schema.json\"\n",
        ));
        assert_eq!(field, "config.schema");
        assert!(reason.contains("example.com"), "{reason}");
    }

    #[test]
    fn rejects_toml_dates_in_config_schema() {
        let (field, _) = invalid_field(&with("[config.schema]\nconst = 1979-05-27\n"));
        assert_eq!(field, "config.schema.const");
    }

    #[test]
    fn rejects_a_default_config_that_breaks_the_schema() {
        let source = FULL.replace("threshold = 0.5", "threshold = 7");
        let (field, reason) = invalid_field(&source);
        assert_eq!(field, "config.default");
        assert!(reason.contains("/threshold"), "{reason}");
    }

    #[test]
    fn rejects_a_default_config_without_a_schema() {
        let (field, _) = invalid_field(&with("[config.default]\nmode = \"x\"\n"));
        assert_eq!(field, "config.default");
    }

    #[test]
    fn validates_config_against_schema() {
        let manifest = Manifest::parse(FULL).unwrap();
        manifest
            .validate_config(&json!({"mode": "strict", "threshold": 0.9}))
            .unwrap();

        let errors = manifest
            .validate_config(&json!({"mode": "shouting", "threshold": 2, "extra": true}))
            .unwrap_err();
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(
            errors.iter().any(|e| e.starts_with("/mode: ")),
            "{errors:?}"
        );
        assert!(
            errors.iter().any(|e| e.starts_with("/threshold: ")),
            "{errors:?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("(root): ") && e.contains("extra")),
            "{errors:?}"
        );

        let errors = manifest.validate_config(&json!({})).unwrap_err();
        assert!(errors[0].contains("mode"), "{errors:?}");
    }

    #[test]
    fn a_plugin_without_schema_accepts_only_empty_config() {
        let manifest = Manifest::parse(MINIMAL).unwrap();
        manifest.validate_config(&json!({})).unwrap();
        assert!(manifest.validate_config(&json!({"a": 1})).is_err());
        assert!(manifest.validate_config(&json!(null)).is_err());
    }

    #[test]
    fn serializes_for_the_admin_api() {
        let manifest = Manifest::parse(FULL).unwrap();
        let json = serde_json::to_value(&manifest).unwrap();
        assert_eq!(json["version"], "0.3.0-beta.2");
        assert_eq!(json["hooks"], json!(["preprocess", "analyze"]));
        assert_eq!(json["limits"]["memory_mb"], 32);
        assert_eq!(json["config"]["schema"]["required"], json!(["mode"]));
    }
}
