//! The plugin author's commands: keys, scaffold, pack, verify, and the local harness that runs
//! a package through the real sandboxed runtime.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use serde::Deserialize;

use crate::package::{
    self, Hook, PackInput, Package, ReadLimits, TrustedKeys, format_public_key, key_id,
};
use crate::pipeline::{CustomerInfo, output_json};
use crate::runtime::contract::{Owner, Session, Turn, parse_role};
use crate::runtime::{HookCall, HookOutput};

pub fn generate_keys(out: &Path) -> anyhow::Result<()> {
    let key = package::generate_signing_key();
    package::write_signing_key(out, &key)?;
    let public = format_public_key(&key.verifying_key());
    let pub_path = PathBuf::from(format!("{}.pub", out.display()));
    std::fs::write(&pub_path, format!("{public}\n"))
        .with_context(|| format!("cannot write {}", pub_path.display()))?;
    println!("private key: {} (keep it secret)", out.display());
    println!(
        "public key:  {} ({})",
        pub_path.display(),
        key_id(&key.verifying_key())
    );
    println!("{public}");
    println!("trust it on a server with --trusted-key {public}");
    Ok(())
}

fn crate_name(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join("Cargo.toml")).ok()?;
    let value: toml::Table = toml::from_str(&text).ok()?;
    value
        .get("package")?
        .get("name")?
        .as_str()
        .map(|n| n.replace('-', "_"))
}

/// Where cargo put the component of the crate in `dir`.
fn find_component(dir: &Path) -> anyhow::Result<PathBuf> {
    let name = crate_name(dir).with_context(|| {
        format!(
            "no [package] name in {}/Cargo.toml; pass --component",
            dir.display()
        )
    })?;
    let mut roots = vec![dir.join("target"), dir.join("../target")];
    if let Ok(t) = std::env::var("CARGO_TARGET_DIR") {
        roots.insert(0, PathBuf::from(t));
    }
    for root in &roots {
        let p = root
            .join("wasm32-wasip2/release")
            .join(format!("{name}.wasm"));
        if p.is_file() {
            return Ok(p);
        }
    }
    bail!(
        "no built component {name}.wasm found (looked under {}); run `cargo build --release --target wasm32-wasip2` or pass --component",
        roots
            .iter()
            .map(|r| r.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

pub fn pack(
    dir: &Path,
    key: &Path,
    component: Option<PathBuf>,
    out: Option<PathBuf>,
) -> anyhow::Result<()> {
    let key = package::read_signing_key(key)?;
    let component = match component {
        Some(c) => c,
        None => find_component(dir)?,
    };
    let data = dir.join("data");
    let bytes = package::pack(
        &PackInput {
            manifest_path: dir.join("manifest.toml"),
            component_path: component,
            data_dir: data.is_dir().then_some(data),
        },
        &key,
    )?;
    let pkg = Package::read(&bytes, &ReadLimits::default())?;
    let out = out.unwrap_or_else(|| {
        PathBuf::from(format!("{}-{}.kpkg", pkg.manifest.id, pkg.manifest.version))
    });
    std::fs::write(&out, &bytes).with_context(|| format!("cannot write {}", out.display()))?;
    println!(
        "packed {}@{} → {} ({} bytes, sha256 {}, key {})",
        pkg.manifest.id,
        pkg.manifest.version,
        out.display(),
        bytes.len(),
        pkg.sha256,
        pkg.key_id
    );
    Ok(())
}

pub fn verify(file: &Path, trusted: &[String]) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let pkg = Package::read(&bytes, &ReadLimits::default())?;
    pkg.manifest
        .check_contract(crate::registry::SUPPORTED_CONTRACTS)?;
    let m = &pkg.manifest;
    println!("{}@{} ({})", m.id, m.version, m.name);
    println!("  contract  {}", m.contract);
    println!(
        "  hooks     {}",
        m.hooks
            .iter()
            .map(|h| h.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!("  add-on    {}", m.addon.as_deref().unwrap_or("(free)"));
    println!(
        "  signed by {} ({})",
        pkg.key_id,
        format_public_key(&pkg.public_key)
    );
    println!("  sha256    {}", pkg.sha256);
    println!("  data      {} file(s)", pkg.data.len());
    if trusted.is_empty() {
        println!("signature valid; trust not checked (pass --trusted-key)");
    } else {
        let keys = TrustedKeys::from_strings(trusted.iter().map(String::as_str))?;
        pkg.check_trusted(&keys)?;
        println!("signature valid; signed by a trusted key");
    }
    Ok(())
}

/// One line of a samples file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Sample {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    customer_id: Option<String>,
    #[serde(default)]
    timestamp: Option<u64>,
    #[serde(default)]
    customer: CustomerInfo,
    /// A whole session for the inspect hook.
    #[serde(default)]
    session: Option<SampleSession>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SampleSession {
    turns: Vec<SampleTurn>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SampleTurn {
    role: String,
    text: String,
    /// Seconds since the session started.
    #[serde(default)]
    ts: u64,
}

fn session_of(s: &SampleSession, base_ms: u64) -> anyhow::Result<Session> {
    let turns = s
        .turns
        .iter()
        .map(|t| {
            let Some(role) = parse_role(&t.role) else {
                bail!("unknown role {:?} (customer, agent or bot)", t.role);
            };
            Ok(Turn {
                role,
                text: t.text.clone(),
                timestamp: base_ms + t.ts * 1000,
            })
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(Session {
        id: "sample".into(),
        turns,
        intent: None,
        owner: Owner::Bot,
    })
}

/// Runs every hook the plugin declares on each sample, in stage order, and prints the results.
pub fn run_samples(package_path: &Path, input: &Path, config: Option<&str>) -> anyhow::Result<()> {
    let local = super::local::LocalPlugin::open(package_path, config)?;
    let reader = std::io::BufReader::new(
        std::fs::File::open(input).with_context(|| format!("cannot read {}", input.display()))?,
    );
    let mut failures = 0;
    for (n, line) in reader.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let sample: Sample = serde_json::from_str(&line)
            .with_context(|| format!("{}:{}: not a sample", input.display(), n + 1))?;
        let ts = sample.timestamp.unwrap_or(1_700_000_000_000);
        let customer_id = sample
            .customer_id
            .clone()
            .unwrap_or_else(|| "sample-customer".into());
        let customer = sample.customer.to_contract(&customer_id);
        let mut results = serde_json::Map::new();
        let mut record = |hook: Hook, report: crate::runtime::CallReport| {
            if report.outcome != crate::runtime::Outcome::Ok {
                failures += 1;
            }
            results.insert(
                hook.as_str().to_owned(),
                serde_json::json!({
                    "outcome": report.outcome,
                    "duration_us": report.duration.as_micros() as u64,
                    "fuel": report.fuel,
                    "output": report.output.as_ref().map(output_json),
                    "error": report.error,
                }),
            );
            report.output
        };
        if let Some(session) = &sample.session
            && local.has_hook(Hook::Inspect)
        {
            let s = session_of(session, ts)?;
            record(
                Hook::Inspect,
                local.call(HookCall::Inspect(s, customer.clone()), ts),
            );
        }
        if let Some(text) = &sample.text {
            let channel = sample.channel.as_deref().unwrap_or("local");
            let mut ctx = super::local::text_context(text, customer.clone(), channel, ts);
            for hook in [
                Hook::Preprocess,
                Hook::Classify,
                Hook::Analyze,
                Hook::Respond,
            ] {
                if !local.has_hook(hook) {
                    continue;
                }
                let call = HookCall::for_hook(hook, ctx.clone());
                match record(hook, local.call(call, ts)) {
                    Some(HookOutput::Preprocess(Some(t))) => ctx.message.text = t,
                    Some(HookOutput::Classify(scores)) => ctx.intents = scores,
                    Some(HookOutput::Analyze(a)) => ctx.annotations.extend(a.annotations),
                    _ => {}
                }
            }
        }
        println!(
            "{}",
            serde_json::json!({"line": n + 1, "input": serde_json::from_str::<serde_json::Value>(&line)?, "hooks": results})
        );
    }
    if failures > 0 {
        bail!("{failures} hook call(s) did not succeed");
    }
    Ok(())
}

const SCAFFOLD_LIB: &str = r#"//! A Kefu plugin. Implement the hooks your manifest lists; see the SDK docs.

use kefu_plugin_sdk::*;

struct MyPlugin {
    /// Loaded once per instance from the bundled data/replies.txt, not per message.
    replies: Vec<(String, String)>,
}

impl Plugin for MyPlugin {
    fn init() -> Result<Self, PluginError> {
        let text = data::read_to_string("replies.txt")?;
        let replies = text
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        Ok(MyPlugin { replies })
    }

    fn classify(&self, ctx: Context) -> Result<Vec<IntentScore>, PluginError> {
        let label = if ctx.message.text.contains("你好") { "greeting" } else { "chitchat_other" };
        Ok(vec![IntentScore { label: label.into(), confidence: 0.8 }])
    }

    fn respond(&self, ctx: Context) -> Result<Option<Reply>, PluginError> {
        Ok(self
            .replies
            .iter()
            .find(|(keyword, _)| ctx.message.text.contains(keyword.as_str()))
            .map(|(_, answer)| Reply::text(answer.clone())))
    }
}

export_plugin!(MyPlugin);
"#;

pub fn scaffold(name: &str, parent: &Path, sdk_path: Option<PathBuf>) -> anyhow::Result<()> {
    let valid = (2..=64).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid {
        bail!("plugin name must be 2-64 characters of a-z, 0-9 and '-', starting with a letter");
    }
    let sdk = match sdk_path {
        Some(p) => p,
        None => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../plugin-sdk")),
    };
    let sdk = sdk.canonicalize().with_context(|| {
        format!(
            "the plugin SDK is not at {}; pass --sdk-path",
            sdk.display()
        )
    })?;
    let dir = parent.join(name);
    if dir.exists() {
        bail!("{} already exists", dir.display());
    }
    std::fs::create_dir_all(dir.join("src"))?;
    std::fs::create_dir_all(dir.join("data"))?;
    std::fs::create_dir_all(dir.join(".cargo"))?;
    let files: [(&str, String); 7] = [
        (
            "Cargo.toml",
            format!(
                r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"

[lib]
crate-type = ["cdylib"]

[dependencies]
kefu-plugin-sdk = {{ path = "{}" }}

# A plugin builds on its own, outside any enclosing workspace.
[workspace]

[profile.release]
opt-level = "s"
lto = true
codegen-units = 1
strip = true
panic = "abort"
"#,
                sdk.display()
            ),
        ),
        (
            ".cargo/config.toml",
            "[build]\ntarget = \"wasm32-wasip2\"\n".to_owned(),
        ),
        (
            "manifest.toml",
            format!(
                r#"id = "{name}"
version = "0.1.0"
name = "{name}"
author = "you"
description = "What this plugin does"
contract = "kefu:plugin@0.1.0"
hooks = ["classify", "respond"]
# addon = "nlp-upgrade"     # the paid add-on it belongs to, if any

[limits]
timeout_ms = 50

[config.schema]
type = "object"
additionalProperties = false
"#
            ),
        ),
        ("src/lib.rs", SCAFFOLD_LIB.to_owned()),
        (
            "data/replies.txt",
            "营业时间 = 我们每天 9:00-21:00 营业。\n".to_owned(),
        ),
        (
            "samples.jsonl",
            "{\"text\": \"你好\"}\n{\"text\": \"你们营业时间是几点？\"}\n".to_owned(),
        ),
        (
            "README.md",
            format!(
                "# {name}\n\nA Kefu plugin.\n\n```sh\nrustup target add wasm32-wasip2\ncargo build --release\nkefu keys generate --out publisher.key\nkefu plugin pack . --key publisher.key\nkefu plugin run {name}-0.1.0.kpkg --input samples.jsonl\n```\n"
            ),
        ),
    ];
    for (path, text) in files {
        std::fs::write(dir.join(path), text)?;
    }
    println!("created {}", dir.display());
    println!(
        "next: cd {} && cargo build --release && kefu plugin pack . --key KEY",
        dir.display()
    );
    Ok(())
}
