//! The `kefu` command: `serve` runs the server; the admin subcommands talk to a server's API
//! (`--server`, `--api-key`), so they work the same against a remote deployment; the plugin
//! author's commands (`keys`, `plugin new|pack|verify|run`) work offline.

mod client;
mod desk;
mod dev;
mod eval;
pub mod local;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::ServeArgs;
use client::Client;

#[derive(Parser, Debug)]
#[command(
    name = "kefu",
    version,
    about = "Kefu: multi-tenant customer service with sandboxed wasm add-ons"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Where and as whom the admin commands talk.
#[derive(clap::Args, Debug, Clone)]
pub struct Remote {
    /// The server's base URL.
    #[arg(
        long,
        env = "KEFU_SERVER",
        default_value = "http://127.0.0.1:8080",
        global = true
    )]
    pub server: String,
    /// The operator or tenant API key (default: `./data/operator.key` when present).
    #[arg(long, env = "KEFU_API_KEY", global = true, hide_env_values = true)]
    pub api_key: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Runs the server.
    Serve(ServeArgs),
    /// Manages tenants.
    Tenant {
        #[command(flatten)]
        remote: Remote,
        #[command(subcommand)]
        cmd: TenantCmd,
    },
    /// Shows the add-on catalog.
    Addon {
        #[command(flatten)]
        remote: Remote,
        #[command(subcommand)]
        cmd: AddonCmd,
    },
    /// Manages a tenant's add-on subscriptions.
    Subscription {
        #[command(flatten)]
        remote: Remote,
        #[command(subcommand)]
        cmd: SubscriptionCmd,
    },
    /// Builds, checks and manages plugins.
    Plugin {
        #[command(flatten)]
        remote: Remote,
        #[command(subcommand)]
        cmd: PluginCmd,
    },
    /// Shows a tenant's metered plugin usage.
    Usage {
        #[command(flatten)]
        remote: Remote,
        #[arg(long)]
        tenant: String,
        /// First day, YYYY-MM-DD.
        #[arg(long)]
        from: Option<String>,
        /// Last day, YYYY-MM-DD.
        #[arg(long)]
        to: Option<String>,
    },
    /// Sends a message through a tenant's pipeline and prints the result.
    Send {
        #[command(flatten)]
        remote: Remote,
        #[arg(long)]
        tenant: String,
        #[arg(long, default_value = "cli")]
        channel: String,
        #[arg(long, default_value = "cli-user")]
        customer: String,
        text: String,
    },
    /// Manages a tenant's channels (WeChat Official Account, WeCom, JSON webhook).
    Channel {
        #[command(flatten)]
        remote: Remote,
        #[command(subcommand)]
        cmd: ChannelCmd,
    },
    /// Manages a tenant's decision rules.
    Rules {
        #[command(flatten)]
        remote: Remote,
        #[command(subcommand)]
        cmd: desk::RulesCmd,
    },
    /// Manages a tenant's routing: versions, gray rollout, promotion, rollback.
    Routing {
        #[command(flatten)]
        remote: Remote,
        #[command(subcommand)]
        cmd: desk::RoutingCmd,
    },
    /// Manages a tenant's human agents.
    Agent {
        #[command(flatten)]
        remote: Remote,
        #[command(subcommand)]
        cmd: desk::AgentCmd,
    },
    /// Shows a tenant's queues: waiting and claimed conversations and their waits.
    Queue {
        #[command(flatten)]
        remote: Remote,
        #[arg(long)]
        tenant: String,
    },
    /// Works conversations: list, show, claim, reply, transfer, release, close.
    Conversation {
        #[command(flatten)]
        remote: Remote,
        #[command(subcommand)]
        cmd: desk::ConversationCmd,
    },
    /// Shows a customer's profile.
    Customer {
        #[command(flatten)]
        remote: Remote,
        #[arg(long)]
        tenant: String,
        id: String,
    },
    /// Measures a model on labelled JSON Lines (no server needed).
    Eval {
        #[command(subcommand)]
        cmd: EvalCmd,
    },
    /// Manages package-signing keys.
    Keys {
        #[command(subcommand)]
        cmd: KeysCmd,
    },
}

#[derive(Subcommand, Debug)]
pub enum TenantCmd {
    /// Creates a tenant and prints its API key (shown once).
    Create {
        id: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "Asia/Shanghai")]
        timezone: String,
    },
    /// Lists tenants.
    List,
}

#[derive(Subcommand, Debug)]
pub enum AddonCmd {
    /// Lists the add-ons with their prices.
    List,
}

#[derive(Subcommand, Debug)]
pub enum SubscriptionCmd {
    /// Subscribes a tenant to an add-on.
    Add {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        addon: String,
    },
    /// Cancels a subscription; the add-on's plugins stop on the next message.
    Cancel {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        addon: String,
    },
    /// Lists a tenant's subscriptions.
    List {
        #[arg(long)]
        tenant: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum PluginCmd {
    /// Scaffolds a plugin crate that builds outside this workspace.
    New {
        /// The plugin id (lower-case letters, digits, dashes).
        name: String,
        /// Parent directory of the new crate.
        #[arg(long, default_value = ".")]
        dir: PathBuf,
        /// Path to the kefu-plugin-sdk crate (default: the SDK of this kefu build).
        #[arg(long)]
        sdk_path: Option<PathBuf>,
    },
    /// Packs and signs a plugin into a `.kpkg`.
    Pack {
        /// The plugin directory (holding manifest.toml and optionally data/).
        dir: PathBuf,
        /// The signing key (PKCS#8 PEM, from `kefu keys generate`).
        #[arg(long)]
        key: PathBuf,
        /// The built component (default: DIR/target/wasm32-wasip2/release/<crate>.wasm).
        #[arg(long)]
        component: Option<PathBuf>,
        /// The output file (default: <id>-<version>.kpkg).
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Checks a package offline: structure, hashes, signature, and trust if keys are given.
    Verify {
        file: PathBuf,
        /// A trusted public key (`ed25519:…`); repeat for several.
        #[arg(long = "trusted-key")]
        trusted_keys: Vec<String>,
    },
    /// Runs a plugin through the real sandboxed runtime on sample messages (JSON Lines).
    Run {
        package: PathBuf,
        /// Samples: one JSON object a line (`{"text": …}`; see the SDK README).
        #[arg(long)]
        input: PathBuf,
        /// The plugin configuration as JSON (validated against its schema).
        #[arg(long)]
        config: Option<String>,
    },
    /// Installs a package on the server.
    Install { file: PathBuf },
    /// Lists installed plugins (or a tenant's, with --tenant).
    List {
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Enables a plugin for a tenant.
    Enable {
        id: String,
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        version: Option<String>,
    },
    /// Disables a plugin for a tenant.
    Disable {
        id: String,
        #[arg(long)]
        tenant: String,
    },
    /// Sets a tenant's configuration of a plugin (JSON).
    Config {
        id: String,
        #[arg(long)]
        tenant: String,
        /// The configuration as JSON.
        #[arg(long)]
        set: String,
    },
    /// Moves a tenant to another version (default: the newest installed).
    Upgrade {
        id: String,
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        version: Option<String>,
    },
    /// Returns a tenant to the version before the last upgrade.
    Rollback {
        id: String,
        #[arg(long)]
        tenant: String,
    },
    /// Removes an installed version that no tenant uses.
    Remove {
        id: String,
        #[arg(long)]
        version: String,
    },
}

/// Channel fields, for `add` and `update`.
#[derive(clap::Args, Debug, Default)]
pub struct ChannelFields {
    /// The token configured in WeChat / WeCom.
    #[arg(long)]
    pub token: Option<String>,
    /// The 43-character EncodingAESKey (safe mode; required for WeCom).
    #[arg(long)]
    pub aes_key: Option<String>,
    /// The previous EncodingAESKey, still accepted during a rotation.
    #[arg(long)]
    pub aes_key_previous: Option<String>,
    /// The Official Account's appid.
    #[arg(long)]
    pub appid: Option<String>,
    /// The WeCom corpid.
    #[arg(long)]
    pub corpid: Option<String>,
    /// The app secret (for the customer-service message API).
    #[arg(long)]
    pub secret: Option<String>,
    /// The webhook's HMAC secret (16 bytes or more).
    #[arg(long)]
    pub hmac_secret: Option<String>,
    /// Where a webhook channel's late replies are posted.
    #[arg(long)]
    pub callback_url: Option<String>,
    /// A setting as KEY=VALUE (JSON value), e.g. reply_budget_ms=3000; repeat for several.
    #[arg(long = "setting")]
    pub settings: Vec<String>,
}

impl ChannelFields {
    fn to_json(&self) -> anyhow::Result<serde_json::Map<String, serde_json::Value>> {
        let mut body = serde_json::Map::new();
        for (k, v) in [
            ("token", &self.token),
            ("aes_key", &self.aes_key),
            ("aes_key_previous", &self.aes_key_previous),
            ("appid", &self.appid),
            ("corpid", &self.corpid),
            ("secret", &self.secret),
            ("hmac_secret", &self.hmac_secret),
            ("callback_url", &self.callback_url),
        ] {
            if let Some(v) = v {
                body.insert(k.into(), v.clone().into());
            }
        }
        if !self.settings.is_empty() {
            let mut settings = serde_json::Map::new();
            for kv in &self.settings {
                let (k, v) = kv
                    .split_once('=')
                    .ok_or_else(|| anyhow::anyhow!("--setting takes KEY=VALUE, got {kv:?}"))?;
                let value = serde_json::from_str(v).unwrap_or_else(|_| serde_json::Value::from(v));
                settings.insert(k.to_owned(), value);
            }
            body.insert("settings".into(), settings.into());
        }
        Ok(body)
    }
}

#[derive(Subcommand, Debug)]
pub enum ChannelCmd {
    /// Adds a channel; prints the callback path to configure on the other side.
    Add {
        #[arg(long)]
        tenant: String,
        /// wechat-oa, wecom or webhook.
        #[arg(long)]
        kind: String,
        #[arg(long)]
        name: String,
        #[command(flatten)]
        fields: ChannelFields,
    },
    /// Lists a tenant's channels (secrets masked).
    List {
        #[arg(long)]
        tenant: String,
    },
    /// Changes a channel; a new --aes-key keeps the old one as the previous key.
    Update {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        name: String,
        #[command(flatten)]
        fields: ChannelFields,
    },
    /// Removes a channel.
    Remove {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum EvalCmd {
    /// Intent accuracy, per-label precision/recall/F1 and the confusion matrix of the built-in
    /// classifier, or of a classify plugin run in the sandbox.
    Intent {
        /// JSON Lines of {"text", "intent"}.
        file: PathBuf,
        /// A first-party plugin id (a package built by ./scripts/build-plugins.sh) or a .kpkg file.
        #[arg(long)]
        plugin: Option<String>,
        #[command(flatten)]
        opts: EvalOpts,
    },
    /// Cantonese detection by a preprocess plugin, and intent accuracy with and without it.
    Dialect {
        /// JSON Lines of {"text", "mandarin", "intent", "dialect": "yue"|"cmn"}.
        file: PathBuf,
        #[arg(long)]
        plugin: String,
        /// The classifier after preprocessing: `builtin` (default) or a classify plugin.
        #[arg(long)]
        classifier: Option<String>,
        #[command(flatten)]
        opts: EvalOpts,
    },
    /// Sentiment and escalation by an analyze plugin.
    Sentiment {
        /// JSON Lines of {"text", "sentiment", "escalate"}.
        file: PathBuf,
        #[arg(long)]
        plugin: String,
        #[command(flatten)]
        opts: EvalOpts,
    },
    /// Session quality inspection by an inspect plugin.
    Qa {
        /// JSON Lines of {"session_id", "turns", "expected"}.
        file: PathBuf,
        #[arg(long)]
        plugin: String,
        #[command(flatten)]
        opts: EvalOpts,
    },
}

/// Options every `kefu eval` takes.
#[derive(clap::Args, Debug)]
pub struct EvalOpts {
    #[arg(long, value_enum, default_value_t = EvalFormat::Text)]
    format: EvalFormat,
    /// The plugin's tenant configuration as JSON (its manifest default otherwise).
    #[arg(long)]
    config: Option<String>,
}

/// How `kefu eval` prints its report.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvalFormat {
    Text,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum KeysCmd {
    /// Generates an ed25519 signing key: OUT (private, PKCS#8 PEM) and OUT.pub.
    Generate {
        #[arg(long)]
        out: PathBuf,
    },
}

fn run_eval(cmd: EvalCmd) -> anyhow::Result<()> {
    match cmd {
        EvalCmd::Intent { file, plugin, opts } => eval::eval_intent(
            &file,
            plugin.as_deref(),
            opts.config.as_deref(),
            opts.format == EvalFormat::Json,
        ),
        EvalCmd::Dialect {
            file,
            plugin,
            classifier,
            opts,
        } => eval::eval_dialect(
            &file,
            &plugin,
            classifier.as_deref(),
            opts.config.as_deref(),
            opts.format == EvalFormat::Json,
        ),
        EvalCmd::Sentiment { file, plugin, opts } => eval::eval_sentiment(
            &file,
            &plugin,
            opts.config.as_deref(),
            opts.format == EvalFormat::Json,
        ),
        EvalCmd::Qa { file, plugin, opts } => eval::eval_qa(
            &file,
            &plugin,
            opts.config.as_deref(),
            opts.format == EvalFormat::Json,
        ),
    }
}

/// Runs a parsed command (other than `serve`, which `main` handles).
pub async fn dispatch(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(_) => unreachable!("main runs serve"),
        // Plugins run synchronously, as in the server: on a blocking thread.
        Command::Eval { cmd } => tokio::task::spawn_blocking(move || run_eval(cmd)).await?,
        Command::Keys { cmd } => match cmd {
            KeysCmd::Generate { out } => dev::generate_keys(&out),
        },
        Command::Tenant { remote, cmd } => {
            let c = Client::new(&remote)?;
            match cmd {
                TenantCmd::Create { id, name, timezone } => {
                    c.post(
                        "/v1/tenants",
                        serde_json::json!({"id": id, "name": name, "timezone": timezone}),
                    )
                    .await
                }
                TenantCmd::List => c.get("/v1/tenants").await,
            }
        }
        Command::Addon { remote, cmd } => {
            let c = Client::new(&remote)?;
            match cmd {
                AddonCmd::List => c.get("/v1/addons").await,
            }
        }
        Command::Subscription { remote, cmd } => {
            let c = Client::new(&remote)?;
            match cmd {
                SubscriptionCmd::Add { tenant, addon } => {
                    c.post(
                        &format!("/v1/tenants/{tenant}/subscriptions"),
                        serde_json::json!({"addon": addon}),
                    )
                    .await
                }
                SubscriptionCmd::Cancel { tenant, addon } => {
                    c.delete(&format!("/v1/tenants/{tenant}/subscriptions/{addon}"))
                        .await
                }
                SubscriptionCmd::List { tenant } => {
                    c.get(&format!("/v1/tenants/{tenant}/subscriptions")).await
                }
            }
        }
        Command::Usage {
            remote,
            tenant,
            from,
            to,
        } => {
            let c = Client::new(&remote)?;
            let mut q = Vec::new();
            if let Some(f) = from {
                q.push(format!("from={f}"));
            }
            if let Some(t) = to {
                q.push(format!("to={t}"));
            }
            c.get(&format!("/v1/tenants/{tenant}/usage?{}", q.join("&")))
                .await
        }
        Command::Send {
            remote,
            tenant,
            channel,
            customer,
            text,
        } => {
            let c = Client::new(&remote)?;
            c.post(
                &format!("/v1/tenants/{tenant}/messages"),
                serde_json::json!({"channel": channel, "customer_id": customer, "text": text}),
            )
            .await
        }
        Command::Plugin { remote, cmd } => plugin(remote, cmd).await,
        Command::Rules { remote, cmd } => desk::rules(&Client::new(&remote)?, cmd).await,
        Command::Routing { remote, cmd } => desk::routing(&Client::new(&remote)?, cmd).await,
        Command::Agent { remote, cmd } => desk::agent(&Client::new(&remote)?, cmd).await,
        Command::Queue { remote, tenant } => {
            Client::new(&remote)?
                .get(&format!("/v1/tenants/{tenant}/queues"))
                .await
        }
        Command::Conversation { remote, cmd } => {
            desk::conversation(&Client::new(&remote)?, cmd).await
        }
        Command::Customer { remote, tenant, id } => {
            Client::new(&remote)?
                .get(&format!("/v1/tenants/{tenant}/customers/{id}"))
                .await
        }
        Command::Channel { remote, cmd } => {
            let c = Client::new(&remote)?;
            match cmd {
                ChannelCmd::Add {
                    tenant,
                    kind,
                    name,
                    fields,
                } => {
                    let mut body = fields.to_json()?;
                    body.insert("name".into(), name.into());
                    body.insert("kind".into(), kind.into());
                    c.post(&format!("/v1/tenants/{tenant}/channels"), body.into())
                        .await
                }
                ChannelCmd::List { tenant } => {
                    c.get(&format!("/v1/tenants/{tenant}/channels")).await
                }
                ChannelCmd::Update {
                    tenant,
                    name,
                    fields,
                } => {
                    c.patch(
                        &format!("/v1/tenants/{tenant}/channels/{name}"),
                        fields.to_json()?.into(),
                    )
                    .await
                }
                ChannelCmd::Remove { tenant, name } => {
                    c.delete(&format!("/v1/tenants/{tenant}/channels/{name}"))
                        .await
                }
            }
        }
    }
}

async fn plugin(remote: Remote, cmd: PluginCmd) -> anyhow::Result<()> {
    match cmd {
        PluginCmd::New {
            name,
            dir,
            sdk_path,
        } => dev::scaffold(&name, &dir, sdk_path),
        PluginCmd::Pack {
            dir,
            key,
            component,
            out,
        } => dev::pack(&dir, &key, component, out),
        PluginCmd::Verify { file, trusted_keys } => dev::verify(&file, &trusted_keys),
        PluginCmd::Run {
            package,
            input,
            config,
        } => {
            // Plugins run synchronously, as in the server: on a blocking thread.
            tokio::task::spawn_blocking(move || {
                dev::run_samples(&package, &input, config.as_deref())
            })
            .await?
        }
        PluginCmd::Install { file } => {
            let bytes = std::fs::read(&file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            Client::new(&remote)?.post_bytes("/v1/plugins", bytes).await
        }
        PluginCmd::List { tenant } => {
            let c = Client::new(&remote)?;
            match tenant {
                Some(t) => c.get(&format!("/v1/tenants/{t}/plugins")).await,
                None => c.get("/v1/plugins").await,
            }
        }
        PluginCmd::Enable {
            id,
            tenant,
            version,
        } => {
            Client::new(&remote)?
                .post(
                    &format!("/v1/tenants/{tenant}/plugins/{id}/enable"),
                    serde_json::json!({"version": version}),
                )
                .await
        }
        PluginCmd::Disable { id, tenant } => {
            Client::new(&remote)?
                .post(
                    &format!("/v1/tenants/{tenant}/plugins/{id}/disable"),
                    serde_json::json!({}),
                )
                .await
        }
        PluginCmd::Config { id, tenant, set } => {
            let value: serde_json::Value = serde_json::from_str(&set)
                .map_err(|e| anyhow::anyhow!("--set is not valid JSON: {e}"))?;
            Client::new(&remote)?
                .put(&format!("/v1/tenants/{tenant}/plugins/{id}/config"), value)
                .await
        }
        PluginCmd::Upgrade {
            id,
            tenant,
            version,
        } => {
            Client::new(&remote)?
                .post(
                    &format!("/v1/tenants/{tenant}/plugins/{id}/upgrade"),
                    serde_json::json!({"version": version}),
                )
                .await
        }
        PluginCmd::Rollback { id, tenant } => {
            Client::new(&remote)?
                .post(
                    &format!("/v1/tenants/{tenant}/plugins/{id}/rollback"),
                    serde_json::json!({}),
                )
                .await
        }
        PluginCmd::Remove { id, version } => {
            Client::new(&remote)?
                .delete(&format!("/v1/plugins/{id}/versions/{version}"))
                .await
        }
    }
}
