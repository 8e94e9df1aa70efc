//! The `kefu` command as an outside plugin author and an operator use it: scaffold a plugin
//! outside this workspace, build it, sign it, run it in the local harness, then install,
//! enable and talk to it on a running server through the admin subcommands.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use kefu_tests::*;
use serde_json::Value;

/// The `kefu` binary of this build.
fn kefu_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .current_dir(repo_root())
            .args(["build", "-q", "-p", "kefu-host", "--bin", "kefu"])
            .status()
            .expect("cargo build");
        assert!(status.success());
        repo_root().join("target/debug/kefu")
    })
}

fn kefu(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(kefu_bin());
    cmd.current_dir(dir).args(args);
    cmd.env_remove("KEFU_API_KEY").env_remove("KEFU_SERVER");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run kefu")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "kefu failed:\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outside_author_scaffolds_builds_signs_runs_and_installs_a_plugin() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let none: &[(&str, &str)] = &[];

    ok(&kefu(dir, &["keys", "generate", "--out", "me.key"], none));
    let public = std::fs::read_to_string(dir.join("me.key.pub"))
        .unwrap()
        .trim()
        .to_owned();
    assert!(public.starts_with("ed25519:"));

    ok(&kefu(dir, &["plugin", "new", "opening-hours"], none));
    let crate_dir = dir.join("opening-hours");
    assert!(crate_dir.join("manifest.toml").is_file());
    // The scaffold builds on its own, outside any workspace (sharing the wasm target dir only
    // to save compile time).
    let target = repo_root().join("target/wasm");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let build = Command::new(cargo)
        .current_dir(&crate_dir)
        .args(["build", "--release"])
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .unwrap();
    assert!(
        build.status.success(),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );

    let target_env = [("CARGO_TARGET_DIR", target.to_str().unwrap())];
    let packed = ok(&kefu(
        dir,
        &[
            "plugin",
            "pack",
            "opening-hours",
            "--key",
            "me.key",
            "--out",
            "oh.kpkg",
        ],
        &target_env,
    ));
    assert!(packed.contains("opening-hours@0.1.0"), "{packed}");
    let verified = ok(&kefu(
        dir,
        &["plugin", "verify", "oh.kpkg", "--trusted-key", &public],
        none,
    ));
    assert!(verified.contains("signed by a trusted key"), "{verified}");
    // Verification against a key it was not signed with fails, naming the reason.
    let other = kefu_host::package::format_public_key(
        &kefu_host::package::generate_signing_key().verifying_key(),
    );
    let refused = kefu(
        dir,
        &["plugin", "verify", "oh.kpkg", "--trusted-key", &other],
        none,
    );
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("not one of this host's trusted keys"),
        "{refused:?}"
    );

    let ran = ok(&kefu(
        dir,
        &[
            "plugin",
            "run",
            "oh.kpkg",
            "--input",
            "opening-hours/samples.jsonl",
        ],
        &[("KEFU_DATA_DIR", dir.to_str().unwrap())],
    ));
    let lines: Vec<Value> = ran
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        lines[0]["hooks"]["classify"]["output"][0]["label"],
        "greeting"
    );
    assert_eq!(
        lines[1]["hooks"]["respond"]["output"]["text"],
        "我们每天 9:00-21:00 营业。"
    );

    // Now on a server that trusts the author's key, through the admin subcommands.
    let s = TestServer::start_with(|c| c.trusted_keys.push(public.clone())).await;
    let env = [
        ("KEFU_SERVER", s.base.as_str()),
        ("KEFU_API_KEY", s.operator_key.as_str()),
    ];
    let created: Value = serde_json::from_str(&ok(&kefu(
        dir,
        &["tenant", "create", "shop", "--name", "小店"],
        &env,
    )))
    .unwrap();
    let tenant_key = created["api_key"].as_str().unwrap().to_owned();
    ok(&kefu(dir, &["plugin", "install", "oh.kpkg"], &env));
    let tenant_env = [
        ("KEFU_SERVER", s.base.as_str()),
        ("KEFU_API_KEY", tenant_key.as_str()),
    ];
    ok(&kefu(
        dir,
        &["plugin", "enable", "opening-hours", "--tenant", "shop"],
        &tenant_env,
    ));
    let reply: Value = serde_json::from_str(&ok(&kefu(
        dir,
        &["send", "--tenant", "shop", "你们营业时间？"],
        &tenant_env,
    )))
    .unwrap();
    assert_eq!(reply["reply"]["text"], "我们每天 9:00-21:00 营业。");

    // A refused change exits non-zero and names the error code.
    let bad = kefu(
        dir,
        &[
            "plugin",
            "config",
            "opening-hours",
            "--tenant",
            "shop",
            "--set",
            "{\"x\": 1}",
        ],
        &tenant_env,
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("invalid_config"));
    let forbidden = kefu(dir, &["plugin", "install", "oh.kpkg"], &tenant_env);
    assert!(String::from_utf8_lossy(&forbidden.stderr).contains("forbidden"));

    // Channels through the CLI: secrets are accepted, shown masked, and settings are typed.
    let added: Value = serde_json::from_str(&ok(&kefu(
        dir,
        &[
            "channel",
            "add",
            "--tenant",
            "shop",
            "--kind",
            "webhook",
            "--name",
            "crm",
            "--hmac-secret",
            "0123456789abcdef-cli",
            "--setting",
            "reply_budget_ms=1500",
        ],
        &tenant_env,
    )))
    .unwrap();
    assert_eq!(added["callback_path"], "/webhook/shop/crm");
    assert_eq!(added["hmac_secret"], "012***");
    assert_eq!(added["settings"]["reply_budget_ms"], 1500);
    let listed = ok(&kefu(
        dir,
        &["channel", "list", "--tenant", "shop"],
        &tenant_env,
    ));
    assert!(!listed.contains("0123456789abcdef-cli"));
    let bad = kefu(
        dir,
        &[
            "channel", "add", "--tenant", "shop", "--kind", "wecom", "--name", "w",
        ],
        &tenant_env,
    );
    assert!(String::from_utf8_lossy(&bad.stderr).contains("invalid_channel"));

    let addons = ok(&kefu(dir, &["addon", "list"], &tenant_env));
    assert!(addons.contains("nlp-upgrade"));
    let usage: Value =
        serde_json::from_str(&ok(&kefu(dir, &["usage", "--tenant", "shop"], &tenant_env))).unwrap();
    assert!(!usage.as_array().unwrap().is_empty());
    s.stop().await;
}
