//! Server configuration: command-line flags, `KEFU_*` environment variables and an optional
//! TOML file, in that order of precedence, over the defaults below.
//!
//! | setting | flag | environment | TOML key | default |
//! |---|---|---|---|---|
//! | listen address | `--listen` | `KEFU_LISTEN` | `listen` | `127.0.0.1:8080` |
//! | data directory | `--data-dir` | `KEFU_DATA_DIR` | `data_dir` | `./data` |
//! | database | `--database-url` | `KEFU_DATABASE_URL` | `database_url` | `sqlite://DATA_DIR/kefu.db` |
//! | operator key | — | `KEFU_OPERATOR_KEY` | — | generated into `DATA_DIR/operator.key` |
//! | trusted publisher keys | `--trusted-key` (repeat) | `KEFU_TRUSTED_KEYS` (comma-separated) | `trusted_keys` | plus lines of `DATA_DIR/trusted_keys` |
//! | packages installed at start | `--install-dir` | `KEFU_INSTALL_DIR` | `install_dir` | none |
//! | demo tenant | `--demo` | `KEFU_DEMO` | `demo` | off |
//! | plugin call timeout (ms) | `--plugin-timeout-ms` | `KEFU_PLUGIN_TIMEOUT_MS` | `plugin.timeout_ms` | 100 |
//! | plugin fuel per call | `--plugin-fuel` | `KEFU_PLUGIN_FUEL` | `plugin.fuel` | 500000000 |
//! | plugin memory (MiB) | `--plugin-memory-mb` | `KEFU_PLUGIN_MEMORY_MB` | `plugin.memory_mb` | 64 |
//! | plugin output (KiB) | `--plugin-output-kb` | `KEFU_PLUGIN_OUTPUT_KB` | `plugin.output_kb` | 256 |
//! | plugin KV quota (KiB) | `--plugin-kv-quota-kb` | `KEFU_PLUGIN_KV_QUOTA_KB` | `plugin.kv_quota_kb` | 1024 |
//! | warm instances kept | `--max-warm-instances` | `KEFU_MAX_WARM_INSTANCES` | `plugin.max_warm_instances` | 512 |
//! | JSON body limit (bytes) | `--max-body-bytes` | `KEFU_MAX_BODY_BYTES` | `max_body_bytes` | 65536 |
//! | package upload limit (MiB) | `--max-package-mb` | `KEFU_MAX_PACKAGE_MB` | `max_package_mb` | 64 |
//! | conversation idle end (s) | `--conversation-idle-secs` | `KEFU_CONVERSATION_IDLE_SECS` | `conversation_idle_secs` | 1800 |
//! | log filter | `--log` | `KEFU_LOG` | `log` | `info` |

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::runtime::Limits;

/// `kefu serve` flags (each also read from its `KEFU_*` variable).
#[derive(clap::Args, Debug, Default, Clone)]
pub struct ServeArgs {
    /// A TOML configuration file.
    #[arg(long, env = "KEFU_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, env = "KEFU_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Directory for the SQLite database, keys, compiled plugins and unpacked plugin data.
    #[arg(long, env = "KEFU_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// `sqlite://PATH` or `postgres://USER@HOST/DB`.
    #[arg(long, env = "KEFU_DATABASE_URL")]
    pub database_url: Option<String>,
    /// A trusted package-signing public key (`ed25519:BASE64`); repeat for several.
    #[arg(long = "trusted-key", env = "KEFU_TRUSTED_KEYS", value_delimiter = ',')]
    pub trusted_keys: Vec<String>,
    /// Install every `.kpkg` in this directory at start (already installed ones are skipped).
    #[arg(long, env = "KEFU_INSTALL_DIR")]
    pub install_dir: Option<PathBuf>,
    /// Create the demo tenant with every installed plugin enabled.
    #[arg(long, env = "KEFU_DEMO")]
    pub demo: bool,
    #[arg(long, env = "KEFU_PLUGIN_TIMEOUT_MS")]
    pub plugin_timeout_ms: Option<u64>,
    #[arg(long, env = "KEFU_PLUGIN_FUEL")]
    pub plugin_fuel: Option<u64>,
    #[arg(long, env = "KEFU_PLUGIN_MEMORY_MB")]
    pub plugin_memory_mb: Option<u64>,
    #[arg(long, env = "KEFU_PLUGIN_OUTPUT_KB")]
    pub plugin_output_kb: Option<u64>,
    #[arg(long, env = "KEFU_PLUGIN_KV_QUOTA_KB")]
    pub plugin_kv_quota_kb: Option<u64>,
    #[arg(long, env = "KEFU_MAX_WARM_INSTANCES")]
    pub max_warm_instances: Option<usize>,
    #[arg(long, env = "KEFU_MAX_BODY_BYTES")]
    pub max_body_bytes: Option<usize>,
    /// A conversation ends after this many seconds without a message.
    #[arg(long, env = "KEFU_CONVERSATION_IDLE_SECS")]
    pub conversation_idle_secs: Option<u64>,
    #[arg(long, env = "KEFU_MAX_PACKAGE_MB")]
    pub max_package_mb: Option<usize>,
    /// Log filter, e.g. `info` or `kefu=debug,info`.
    #[arg(long, env = "KEFU_LOG")]
    pub log: Option<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    #[serde(default)]
    trusted_keys: Vec<String>,
    install_dir: Option<PathBuf>,
    #[serde(default)]
    demo: bool,
    max_body_bytes: Option<usize>,
    max_package_mb: Option<usize>,
    conversation_idle_secs: Option<u64>,
    log: Option<String>,
    #[serde(default)]
    plugin: FilePluginConfig,
}

#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct FilePluginConfig {
    timeout_ms: Option<u64>,
    fuel: Option<u64>,
    memory_mb: Option<u64>,
    output_kb: Option<u64>,
    kv_quota_kb: Option<u64>,
    max_warm_instances: Option<usize>,
}

/// The resolved configuration.
#[derive(Clone, Debug)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    /// From `KEFU_OPERATOR_KEY`; `None` means: read or generate `DATA_DIR/operator.key`.
    pub operator_key: Option<String>,
    pub trusted_keys: Vec<String>,
    pub install_dir: Option<PathBuf>,
    pub demo: bool,
    pub limits: Limits,
    pub max_warm_instances: usize,
    pub max_body_bytes: usize,
    pub max_package_bytes: usize,
    pub conversation_idle_secs: u64,
    pub log: String,
}

impl Config {
    /// Defaults for a data directory (what tests start from).
    pub fn for_data_dir(data_dir: impl Into<PathBuf>) -> Config {
        let data_dir = data_dir.into();
        Config {
            listen: "127.0.0.1:8080".parse().expect("valid address"),
            database_url: sqlite_url(&data_dir),
            data_dir,
            operator_key: None,
            trusted_keys: Vec::new(),
            install_dir: None,
            demo: false,
            limits: Limits::default(),
            max_warm_instances: 512,
            max_body_bytes: 64 * 1024,
            max_package_bytes: 64 * 1024 * 1024,
            conversation_idle_secs: 30 * 60,
            log: "info".to_owned(),
        }
    }

    /// Resolves flags and environment (already merged by clap) over the TOML file and defaults.
    pub fn resolve(args: ServeArgs) -> anyhow::Result<Config> {
        let file: FileConfig = match &args.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
                toml::from_str(&text)
                    .map_err(|e| anyhow::anyhow!("invalid config file {}: {e}", path.display()))?
            }
            None => FileConfig::default(),
        };
        let data_dir = args
            .data_dir
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("./data"));
        let mut cfg = Config::for_data_dir(&data_dir);
        if let Some(l) = args.listen.or(file.listen) {
            cfg.listen = l;
        }
        if let Some(url) = args.database_url.or(file.database_url) {
            cfg.database_url = url;
        }
        cfg.operator_key = std::env::var("KEFU_OPERATOR_KEY")
            .ok()
            .filter(|k| !k.trim().is_empty());
        cfg.trusted_keys = if args.trusted_keys.is_empty() {
            file.trusted_keys
        } else {
            args.trusted_keys
        };
        cfg.install_dir = args.install_dir.or(file.install_dir);
        cfg.demo = args.demo || file.demo;
        let p = file.plugin;
        let l = &mut cfg.limits;
        if let Some(v) = args.plugin_timeout_ms.or(p.timeout_ms) {
            l.timeout_ms = v;
        }
        if let Some(v) = args.plugin_fuel.or(p.fuel) {
            l.fuel = v;
        }
        if let Some(v) = args.plugin_memory_mb.or(p.memory_mb) {
            l.memory_bytes = v * 1024 * 1024;
        }
        if let Some(v) = args.plugin_output_kb.or(p.output_kb) {
            l.output_bytes = v * 1024;
        }
        if let Some(v) = args.plugin_kv_quota_kb.or(p.kv_quota_kb) {
            l.kv_quota_bytes = v * 1024;
        }
        if let Some(v) = args.max_warm_instances.or(p.max_warm_instances) {
            cfg.max_warm_instances = v;
        }
        if let Some(v) = args.max_body_bytes.or(file.max_body_bytes) {
            cfg.max_body_bytes = v;
        }
        if let Some(v) = args.max_package_mb.or(file.max_package_mb) {
            cfg.max_package_bytes = v * 1024 * 1024;
        }
        if let Some(v) = args.conversation_idle_secs.or(file.conversation_idle_secs) {
            cfg.conversation_idle_secs = v;
        }
        if let Some(v) = args.log.or(file.log) {
            cfg.log = v;
        }
        Ok(cfg)
    }
}

fn sqlite_url(data_dir: &Path) -> String {
    format!("sqlite://{}", data_dir.join("kefu.db").display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_the_file_and_the_file_overrides_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("kefu.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:9000\"\nlog = \"debug\"\n[plugin]\ntimeout_ms = 50\nmemory_mb = 32\n",
        )
        .unwrap();
        let cfg = Config::resolve(ServeArgs {
            config: Some(file),
            plugin_timeout_ms: Some(70),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(cfg.listen.port(), 9000);
        assert_eq!(cfg.log, "debug");
        assert_eq!(cfg.limits.timeout_ms, 70);
        assert_eq!(cfg.limits.memory_bytes, 32 * 1024 * 1024);
        assert_eq!(cfg.limits.fuel, Limits::default().fuel);
    }

    #[test]
    fn rejects_unknown_keys_in_the_config_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("kefu.toml");
        std::fs::write(&file, "listn = \"127.0.0.1:9000\"\n").unwrap();
        let err = Config::resolve(ServeArgs {
            config: Some(file),
            ..Default::default()
        })
        .unwrap_err();
        assert!(err.to_string().contains("listn"), "{err}");
    }
}
