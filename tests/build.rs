//! Builds the first-party plugins (`plugins/`) and the test plugins (`tests/plugins/`) for
//! wasm32-wasip2, so the end-to-end tests run real components. The nested cargo uses its own
//! target directory (`target/wasm`), so it never waits on the outer build's lock.

use std::path::{Path, PathBuf};
use std::process::Command;

fn build(workspace: &Path, target_dir: &Path) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace)
        .args(["build", "--release", "--target", "wasm32-wasip2"])
        .env("CARGO_TARGET_DIR", target_dir);
    // Flags meant for the host build must not leak into the wasm build.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "CARGO_MAKEFLAGS",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_PRIMARY_PACKAGE",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("cannot run cargo for {}: {e}", workspace.display()));
    assert!(
        status.success(),
        "building the plugins in {} for wasm32-wasip2 failed (is the target installed? `rustup target add wasm32-wasip2`)",
        workspace.display()
    );
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest.parent().unwrap().to_path_buf();
    let target_dir = root.join("target").join("wasm");
    for dir in ["plugins", "tests/plugins", "plugin-sdk", "wit"] {
        println!("cargo:rerun-if-changed={}", root.join(dir).display());
    }
    build(&root.join("plugins"), &target_dir);
    build(&root.join("tests/plugins"), &target_dir);
    println!(
        "cargo:rustc-env=KEFU_WASM_DIR={}",
        target_dir.join("wasm32-wasip2/release").display()
    );
    println!("cargo:rustc-env=KEFU_REPO_ROOT={}", root.display());
}
