//! The service-desk admin commands: decision rules, routing (versions, gray, promote,
//! rollback), agents, queues, conversations (claim, reply, transfer, release, close) and
//! customer profiles. Each is a thin client of the HTTP API.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Subcommand;
use serde_json::{Value, json};

use super::client::Client;

#[derive(Subcommand, Debug)]
pub enum RulesCmd {
    /// Prints a tenant's rules, business hours and classifier settings.
    Get {
        #[arg(long)]
        tenant: String,
    },
    /// Replaces a tenant's rules from a JSON or TOML file (by extension).
    Set {
        #[arg(long)]
        tenant: String,
        file: PathBuf,
    },
    /// The tenant's audit log (rules and routing changes).
    Audit {
        #[arg(long)]
        tenant: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum RoutingCmd {
    /// The live version, the gray candidate and its share.
    Show {
        #[arg(long)]
        tenant: String,
    },
    /// Every saved version.
    Versions {
        #[arg(long)]
        tenant: String,
    },
    /// Saves a configuration (JSON or TOML file) as a new version: live at once if there is
    /// none, else the gray candidate at `--gray` % (100 = live now).
    Set {
        #[arg(long)]
        tenant: String,
        file: PathBuf,
        #[arg(long)]
        gray: Option<u8>,
        #[arg(long)]
        note: Option<String>,
    },
    /// Changes the candidate's share of customers.
    Gray {
        #[arg(long)]
        tenant: String,
        percent: u8,
    },
    /// Makes the candidate live.
    Promote {
        #[arg(long)]
        tenant: String,
    },
    /// One step back: withdraws the candidate, or returns to the previous live version.
    Rollback {
        #[arg(long)]
        tenant: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum AgentCmd {
    /// Adds an agent and prints its key (shown once).
    Add {
        #[arg(long)]
        tenant: String,
        id: String,
        #[arg(long)]
        name: String,
        /// Queues it serves (repeat; none = every queue).
        #[arg(long = "queue")]
        queues: Vec<String>,
    },
    List {
        #[arg(long)]
        tenant: String,
    },
    /// Changes an agent's queues, or deactivates it, or issues a new key.
    Update {
        #[arg(long)]
        tenant: String,
        id: String,
        #[arg(long = "queue")]
        queues: Option<Vec<String>>,
        #[arg(long)]
        active: Option<bool>,
        #[arg(long)]
        rotate_key: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ConversationCmd {
    /// A tenant's conversations, most recent first.
    List {
        #[arg(long)]
        tenant: String,
    },
    /// One conversation with its turns.
    Show {
        #[arg(long)]
        tenant: String,
        id: String,
    },
    /// Claims a queued conversation (agent key).
    Claim {
        #[arg(long)]
        tenant: String,
        id: String,
    },
    /// Answers the customer (agent key); delivered through the channel's outbox.
    Reply {
        #[arg(long)]
        tenant: String,
        id: String,
        text: String,
    },
    /// Moves the conversation to another queue and/or agent.
    Transfer {
        #[arg(long)]
        tenant: String,
        id: String,
        #[arg(long)]
        queue: Option<String>,
        #[arg(long)]
        agent: Option<String>,
    },
    /// Hands the conversation back to the bot.
    Release {
        #[arg(long)]
        tenant: String,
        id: String,
    },
    Close {
        #[arg(long)]
        tenant: String,
        id: String,
    },
}

/// Reads a JSON or TOML (by extension) document.
pub fn read_document(file: &Path) -> anyhow::Result<Value> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    if file.extension().is_some_and(|e| e == "toml") {
        let table: toml::Table = toml::from_str(&text)
            .with_context(|| format!("{} is not valid TOML", file.display()))?;
        Ok(serde_json::to_value(table)?)
    } else {
        serde_json::from_str(&text).with_context(|| format!("{} is not valid JSON", file.display()))
    }
}

pub async fn rules(c: &Client, cmd: RulesCmd) -> anyhow::Result<()> {
    match cmd {
        RulesCmd::Get { tenant } => c.get(&format!("/v1/tenants/{tenant}/rules")).await,
        RulesCmd::Set { tenant, file } => {
            c.put(
                &format!("/v1/tenants/{tenant}/rules"),
                read_document(&file)?,
            )
            .await
        }
        RulesCmd::Audit { tenant } => c.get(&format!("/v1/tenants/{tenant}/audit")).await,
    }
}

pub async fn routing(c: &Client, cmd: RoutingCmd) -> anyhow::Result<()> {
    let base = |t: &str| format!("/v1/tenants/{t}/routing");
    match cmd {
        RoutingCmd::Show { tenant } => c.get(&base(&tenant)).await,
        RoutingCmd::Versions { tenant } => c.get(&format!("{}/versions", base(&tenant))).await,
        RoutingCmd::Set {
            tenant,
            file,
            gray,
            note,
        } => {
            let body = json!({"config": read_document(&file)?, "gray_percent": gray, "note": note});
            c.post(&base(&tenant), body).await
        }
        RoutingCmd::Gray { tenant, percent } => {
            c.post(
                &format!("{}/gray", base(&tenant)),
                json!({"percent": percent}),
            )
            .await
        }
        RoutingCmd::Promote { tenant } => {
            c.post(&format!("{}/promote", base(&tenant)), json!({}))
                .await
        }
        RoutingCmd::Rollback { tenant } => {
            c.post(&format!("{}/rollback", base(&tenant)), json!({}))
                .await
        }
    }
}

pub async fn agent(c: &Client, cmd: AgentCmd) -> anyhow::Result<()> {
    match cmd {
        AgentCmd::Add {
            tenant,
            id,
            name,
            queues,
        } => {
            c.post(
                &format!("/v1/tenants/{tenant}/agents"),
                json!({"id": id, "name": name, "queues": queues}),
            )
            .await
        }
        AgentCmd::List { tenant } => c.get(&format!("/v1/tenants/{tenant}/agents")).await,
        AgentCmd::Update {
            tenant,
            id,
            queues,
            active,
            rotate_key,
        } => {
            let mut body = json!({"rotate_key": rotate_key});
            if let Some(q) = queues {
                body["queues"] = json!(q);
            }
            if let Some(a) = active {
                body["active"] = json!(a);
            }
            c.patch(&format!("/v1/tenants/{tenant}/agents/{id}"), body)
                .await
        }
    }
}

pub async fn conversation(c: &Client, cmd: ConversationCmd) -> anyhow::Result<()> {
    let one = |t: &str, id: &str| format!("/v1/tenants/{t}/conversations/{id}");
    match cmd {
        ConversationCmd::List { tenant } => {
            c.get(&format!("/v1/tenants/{tenant}/conversations")).await
        }
        ConversationCmd::Show { tenant, id } => c.get(&one(&tenant, &id)).await,
        ConversationCmd::Claim { tenant, id } => {
            c.post(&format!("{}/claim", one(&tenant, &id)), json!({}))
                .await
        }
        ConversationCmd::Reply { tenant, id, text } => {
            c.post(
                &format!("{}/reply", one(&tenant, &id)),
                json!({"text": text}),
            )
            .await
        }
        ConversationCmd::Transfer {
            tenant,
            id,
            queue,
            agent,
        } => {
            c.post(
                &format!("{}/transfer", one(&tenant, &id)),
                json!({"queue": queue, "agent": agent}),
            )
            .await
        }
        ConversationCmd::Release { tenant, id } => {
            c.post(&format!("{}/release", one(&tenant, &id)), json!({}))
                .await
        }
        ConversationCmd::Close { tenant, id } => {
            c.post(&format!("{}/close", one(&tenant, &id)), json!({}))
                .await
        }
    }
}
