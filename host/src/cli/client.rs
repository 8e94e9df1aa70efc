//! A thin client of the admin API: sends the request, prints the JSON answer, and turns an
//! error answer into an error naming its code and message.

use anyhow::{Context as _, bail};
use reqwest::{Method, RequestBuilder};

use super::Remote;

pub struct Client {
    http: reqwest::Client,
    base: String,
    key: String,
}

/// The key from `--api-key`/`KEFU_API_KEY`, or the local operator key file.
fn resolve_key(remote: &Remote) -> anyhow::Result<String> {
    if let Some(k) = &remote.api_key {
        return Ok(k.clone());
    }
    let data_dir = std::env::var("KEFU_DATA_DIR").unwrap_or_else(|_| "./data".to_owned());
    let path = std::path::Path::new(&data_dir).join("operator.key");
    std::fs::read_to_string(&path)
        .map(|k| k.trim().to_owned())
        .with_context(|| {
            format!(
                "no API key: pass --api-key or set KEFU_API_KEY (no {} either)",
                path.display()
            )
        })
}

impl Client {
    pub fn new(remote: &Remote) -> anyhow::Result<Client> {
        Ok(Client {
            http: reqwest::Client::new(),
            base: remote.server.trim_end_matches('/').to_owned(),
            key: resolve_key(remote)?,
        })
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.key)
    }

    async fn send(&self, req: RequestBuilder) -> anyhow::Result<()> {
        let resp = req
            .send()
            .await
            .with_context(|| format!("cannot reach the server at {}", self.base))?;
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        let json: Option<serde_json::Value> = serde_json::from_str(&text).ok();
        if !status.is_success() {
            let (code, message) = json
                .as_ref()
                .and_then(|j| j.get("error"))
                .map(|e| {
                    (
                        e["code"].as_str().unwrap_or("error").to_owned(),
                        e["message"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .unwrap_or_else(|| ("error".to_owned(), text.clone()));
            bail!("{status} {code}: {message}");
        }
        match json {
            Some(j) => println!("{}", serde_json::to_string_pretty(&j)?),
            None if !text.is_empty() => println!("{text}"),
            None => println!("ok"),
        }
        Ok(())
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<()> {
        self.send(self.request(Method::GET, path)).await
    }
    pub async fn delete(&self, path: &str) -> anyhow::Result<()> {
        self.send(self.request(Method::DELETE, path)).await
    }
    pub async fn post(&self, path: &str, body: serde_json::Value) -> anyhow::Result<()> {
        self.send(self.request(Method::POST, path).json(&body))
            .await
    }
    pub async fn patch(&self, path: &str, body: serde_json::Value) -> anyhow::Result<()> {
        self.send(self.request(Method::PATCH, path).json(&body))
            .await
    }
    pub async fn put(&self, path: &str, body: serde_json::Value) -> anyhow::Result<()> {
        self.send(self.request(Method::PUT, path).json(&body)).await
    }
    pub async fn post_bytes(&self, path: &str, body: Vec<u8>) -> anyhow::Result<()> {
        self.send(
            self.request(Method::POST, path)
                .header("content-type", "application/octet-stream")
                .body(body),
        )
        .await
    }
}
