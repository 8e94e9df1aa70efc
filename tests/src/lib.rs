//! The end-to-end test harness: a real Kefu server on `127.0.0.1:0` with its own data
//! directory and its own database — a fresh SQLite file, or, when `KEFU_TEST_DATABASE_URL`
//! names a PostgreSQL server, a fresh database created on it for the test and dropped after.
//!
//! Plugins are the real components `build.rs` compiled, packed and signed here with a key the
//! server trusts.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use kefu_host::config::Config;
use kefu_host::package::{self, PackInput, SigningKey};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::Connection;
use tokio::sync::oneshot;

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("KEFU_REPO_ROOT"))
}

/// A compiled component by crate name, e.g. `kefu_example_plugin`.
pub fn wasm(crate_name: &str) -> PathBuf {
    let p = Path::new(env!("KEFU_WASM_DIR")).join(format!("{crate_name}.wasm"));
    assert!(p.is_file(), "{} was not built", p.display());
    p
}

/// The key the test servers trust.
pub fn publisher_key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(package::generate_signing_key)
}

/// The trusted key in the server's text form.
pub fn publisher_public() -> String {
    package::format_public_key(&publisher_key().verifying_key())
}

/// Packs a plugin directory (with `manifest.toml` and maybe `data/`) and a component.
pub fn pack_with(dir: &Path, component: &Path, key: &SigningKey) -> Vec<u8> {
    let data = dir.join("data");
    package::pack(
        &PackInput {
            manifest_path: dir.join("manifest.toml"),
            component_path: component.to_path_buf(),
            data_dir: data.is_dir().then_some(data),
        },
        key,
    )
    .unwrap_or_else(|e| panic!("packing {}: {e}", dir.display()))
}

/// The example plugin, packed and signed by the trusted key.
pub fn example_package() -> Vec<u8> {
    pack_with(
        &repo_root().join("plugins/example"),
        &wasm("kefu_example_plugin"),
        publisher_key(),
    )
}

/// Posts a signed JSON webhook message (`/webhook/{tenant}/{channel}`), asserts 200 and returns
/// the answer.
pub async fn webhook_post(
    s: &TestServer,
    tenant: &str,
    channel: &str,
    secret: &str,
    body: &Value,
) -> Value {
    let body = body.to_string();
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let resp = reqwest::Client::new()
        .post(format!("{}/webhook/{tenant}/{channel}", s.base))
        .header("X-Kefu-Timestamp", ts.to_string())
        .header(
            "X-Kefu-Signature",
            kefu_host::channels::webhook::sign(secret.as_bytes(), ts, body.as_bytes()),
        )
        .body(body)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.expect("a JSON answer")
}

/// A first-party plugin from `plugins/<dir>`, packed and signed by the trusted key.
pub fn first_party_package(dir: &str) -> Vec<u8> {
    let crate_name = format!("kefu_{}", dir.replace('-', "_"));
    pack_with(
        &repo_root().join("plugins").join(dir),
        &wasm(&crate_name),
        publisher_key(),
    )
}

/// The four paid add-ons, packed into a directory for `--install-dir`.
pub fn first_party_install_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for p in FIRST_PARTY_ADDONS {
        std::fs::write(dir.path().join(format!("{p}.kpkg")), first_party_package(p)).unwrap();
    }
    dir
}

/// The first-party add-on plugins.
pub const FIRST_PARTY_ADDONS: [&str; 4] = [
    "dialect-cantonese",
    "nlp-upgrade",
    "sentiment-qa",
    "edu-skill-pack",
];

/// A test plugin from `tests/plugins/<dir>`, packed and signed by the trusted key.
pub fn test_package(dir: &str) -> Vec<u8> {
    let crate_name = format!("kefu_test_{}", dir.replace('-', "_"));
    pack_with(
        &repo_root().join("tests/plugins").join(dir),
        &wasm(&crate_name),
        publisher_key(),
    )
}

/// A database for one test.
struct TestDb {
    url: String,
    /// (admin URL, database name) when a PostgreSQL database must be dropped.
    drop: Option<(String, String)>,
}

async fn test_db(data_dir: &Path) -> TestDb {
    match std::env::var("KEFU_TEST_DATABASE_URL") {
        Ok(admin) if admin.starts_with("postgres") => {
            let name = format!("kefu_test_{}", uuid::Uuid::new_v4().simple());
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .unwrap_or_else(|e| panic!("cannot reach the test PostgreSQL {admin}: {e}"));
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("create the test database");
            let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
            TestDb {
                url: format!("{base}/{name}"),
                drop: Some((admin.clone(), name)),
            }
        }
        _ => TestDb {
            url: format!("sqlite://{}", data_dir.join("kefu.db").display()),
            drop: None,
        },
    }
}

/// A running server.
pub struct TestServer {
    pub base: String,
    pub operator_key: String,
    pub data_dir: PathBuf,
    http: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    db: TestDb,
    _dir: tempfile::TempDir,
}

impl TestServer {
    /// A server with default settings, trusting [`publisher_key`].
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    /// A server whose configuration `adjust` may change first.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> TestServer {
        // Server logs go to the test's captured output (shown when it fails).
        let _ = tracing_subscriber::fmt()
            .with_env_filter(
                std::env::var("KEFU_TEST_LOG").unwrap_or_else(|_| "warn,kefu::plugin=error".into()),
            )
            .with_test_writer()
            .try_init();
        let dir = tempfile::tempdir().expect("tempdir");
        let db = test_db(dir.path()).await;
        let mut config = Config::for_data_dir(dir.path());
        config.database_url = db.url.clone();
        config.operator_key = Some(format!("kefu_op_test_{}", uuid::Uuid::new_v4().simple()));
        config.trusted_keys = vec![publisher_public()];
        adjust(&mut config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = oneshot::channel();
        let operator_key = config.operator_key.clone().unwrap();
        let data_dir = config.data_dir.clone();
        let handle = tokio::spawn(kefu_host::run(config, listener, async {
            let _ = rx.await;
        }));
        let server = TestServer {
            base,
            operator_key,
            data_dir,
            http: reqwest::Client::new(),
            shutdown: Some(tx),
            handle: Some(handle),
            db,
            _dir: dir,
        };
        server.wait_ready().await;
        server
    }

    async fn wait_ready(&self) {
        for _ in 0..200 {
            if let Ok(r) = self.http.get(format!("{}/healthz", self.base)).send().await
                && r.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the server did not become ready");
    }

    /// Sends a request with `key` (or none) and returns the status and JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn op(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.call(method, path, Some(&self.operator_key.clone()), body)
            .await
    }

    /// Installs a package as the operator.
    pub async fn install(&self, package: Vec<u8>) -> (StatusCode, Value) {
        let resp = self
            .http
            .post(format!("{}/v1/plugins", self.base))
            .bearer_auth(&self.operator_key)
            .header("content-type", "application/octet-stream")
            .body(package)
            .send()
            .await
            .expect("request");
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Creates a tenant and returns its API key.
    pub async fn create_tenant(&self, id: &str) -> String {
        let (status, body) = self
            .op(
                Method::POST,
                "/v1/tenants",
                Some(json!({"id": id, "name": format!("Tenant {id}")})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["api_key"].as_str().unwrap().to_owned()
    }

    /// Enables a plugin for a tenant (as the operator) and asserts it worked.
    pub async fn enable(&self, tenant: &str, plugin: &str) -> Value {
        let (status, body) = self
            .op(
                Method::POST,
                &format!("/v1/tenants/{tenant}/plugins/{plugin}/enable"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// Sends a customer message through a tenant's pipeline.
    pub async fn send(&self, tenant: &str, text: &str) -> (StatusCode, Value) {
        self.op(
            Method::POST,
            &format!("/v1/tenants/{tenant}/messages"),
            Some(json!({"channel": "test", "customer_id": "c1", "text": text})),
        )
        .await
    }

    /// Stops the server and drops its database.
    pub async fn stop(mut self) {
        self.shutdown_inner().await;
    }

    async fn shutdown_inner(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            let _ = tokio::time::timeout(Duration::from_secs(15), h).await;
        }
        if let Some((admin, name)) = self.db.drop.take()
            && let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await
        {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await;
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        // A test that panicked leaves its PostgreSQL database behind; name it for cleanup.
        if let Some((_, name)) = &self.db.drop {
            eprintln!("test database {name} was not dropped (test ended without stop())");
        }
    }
}

/// Rewrites a package's archive: `edit` sees every entry (path, bytes) and returns the entries
/// to write back. Used to build unsigned and tampered packages.
pub fn rewrite_package(
    package: &[u8],
    edit: impl FnOnce(Vec<(String, Vec<u8>)>) -> Vec<(String, Vec<u8>)>,
) -> Vec<u8> {
    use std::io::Read;
    let mut entries = Vec::new();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(package));
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        entries.push((path, bytes));
    }
    let entries = edit(entries);
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::default(),
    ));
    for (path, bytes) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(&mut header, path, bytes.as_slice())
            .unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

/// A copy of a plugin directory with its manifest changed by `edit`, for variants of a test
/// plugin (another add-on, another contract).
pub fn plugin_variant(dir: &Path, edit: impl FnOnce(String) -> String) -> tempfile::TempDir {
    let out = tempfile::tempdir().unwrap();
    let manifest = std::fs::read_to_string(dir.join("manifest.toml")).unwrap();
    std::fs::write(out.path().join("manifest.toml"), edit(manifest)).unwrap();
    let data = dir.join("data");
    if data.is_dir() {
        std::fs::create_dir(out.path().join("data")).unwrap();
        for f in std::fs::read_dir(&data).unwrap() {
            let f = f.unwrap();
            std::fs::copy(f.path(), out.path().join("data").join(f.file_name())).unwrap();
        }
    }
    out
}

/// A local stand-in for WeChat's and WeCom's API servers, speaking their documented protocol:
/// access tokens from `/cgi-bin/token` (Official Account) and `/cgi-bin/gettoken` (WeCom), and
/// replies to `/cgi-bin/message/custom/send` and `/cgi-bin/message/send`. A send with a token
/// other than the last one issued is refused with 40001, as WeChat does after a refresh.
pub mod wechat_api {
    use std::collections::VecDeque;
    use std::sync::{Arc, Mutex};

    use axum::extract::{Query, State};
    use axum::routing::{get, post};
    use axum::{Json, Router};
    use serde_json::{Value, json};

    /// One request the mock received.
    #[derive(Clone, Debug)]
    pub struct Received {
        pub path: String,
        pub query: std::collections::HashMap<String, String>,
        pub body: Value,
    }

    #[derive(Default)]
    pub struct MockState {
        pub received: Vec<Received>,
        pub tokens_issued: u32,
        /// Answers for the next sends, in order; `{"errcode":0}` when empty.
        pub scripted: VecDeque<Value>,
        /// Expire every issued token once (the next send gets 40001).
        pub expire_next_token: bool,
        /// WeCom customer service: the pages `kf/sync_msg` answers, in order (an empty last
        /// page when none are left).
        pub kf_pages: VecDeque<Value>,
    }

    #[derive(Clone)]
    pub struct WechatApi {
        pub base: String,
        pub state: Arc<Mutex<MockState>>,
    }

    type Q = Query<std::collections::HashMap<String, String>>;

    async fn token(State(s): State<Arc<Mutex<MockState>>>, Query(q): Q) -> Json<Value> {
        let mut st = s.lock().unwrap();
        st.received.push(Received {
            path: "token".into(),
            query: q.clone(),
            body: Value::Null,
        });
        let ok = q
            .get("appid")
            .or(q.get("corpid"))
            .is_some_and(|v| !v.is_empty())
            && q.get("secret")
                .or(q.get("corpsecret"))
                .is_some_and(|v| v == "app-secret");
        if !ok {
            return Json(json!({"errcode": 40125, "errmsg": "invalid appsecret"}));
        }
        st.tokens_issued += 1;
        Json(json!({"access_token": format!("TOKEN-{}", st.tokens_issued), "expires_in": 7200}))
    }

    async fn send(
        State(s): State<Arc<Mutex<MockState>>>,
        Query(q): Q,
        Json(body): Json<Value>,
    ) -> Json<Value> {
        let mut st = s.lock().unwrap();
        st.received.push(Received {
            path: "send".into(),
            query: q.clone(),
            body,
        });
        let current = format!("TOKEN-{}", st.tokens_issued);
        if st.expire_next_token {
            st.expire_next_token = false;
            return Json(json!({"errcode": 42001, "errmsg": "access_token expired"}));
        }
        if q.get("access_token") != Some(&current) {
            return Json(
                json!({"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"}),
            );
        }
        Json(
            st.scripted
                .pop_front()
                .unwrap_or(json!({"errcode": 0, "errmsg": "ok"})),
        )
    }

    /// `kf/sync_msg`: the next scripted page (recorded as path `sync`).
    async fn kf_sync(
        State(s): State<Arc<Mutex<MockState>>>,
        Query(q): Q,
        Json(body): Json<Value>,
    ) -> Json<Value> {
        let mut st = s.lock().unwrap();
        st.received.push(Received {
            path: "sync".into(),
            query: q.clone(),
            body,
        });
        if q.get("access_token") != Some(&format!("TOKEN-{}", st.tokens_issued)) {
            return Json(json!({"errcode": 40001, "errmsg": "invalid credential"}));
        }
        Json(st.kf_pages.pop_front().unwrap_or(
            json!({"errcode": 0, "errmsg": "ok", "next_cursor": "", "has_more": 0, "msg_list": []}),
        ))
    }

    impl WechatApi {
        pub async fn start() -> WechatApi {
            let state = Arc::new(Mutex::new(MockState::default()));
            let app = Router::new()
                .route("/cgi-bin/token", get(token))
                .route("/cgi-bin/gettoken", get(token))
                .route("/cgi-bin/message/custom/send", post(send))
                .route("/cgi-bin/message/send", post(send))
                .route("/cgi-bin/kf/send_msg", post(send))
                .route("/cgi-bin/kf/sync_msg", post(kf_sync))
                .with_state(state.clone());
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let base = format!("http://{}", listener.local_addr().unwrap());
            tokio::spawn(async move { axum::serve(listener, app).await });
            WechatApi { base, state }
        }

        /// Sends received so far.
        pub fn sends(&self) -> Vec<Received> {
            self.state
                .lock()
                .unwrap()
                .received
                .iter()
                .filter(|r| r.path == "send")
                .cloned()
                .collect()
        }

        /// `kf/sync_msg` requests received so far.
        pub fn syncs(&self) -> Vec<Received> {
            self.state
                .lock()
                .unwrap()
                .received
                .iter()
                .filter(|r| r.path == "sync")
                .cloned()
                .collect()
        }

        /// Waits until `n` sends arrived (or panics after 10 s).
        pub async fn wait_for_sends(&self, n: usize) -> Vec<Received> {
            for _ in 0..400 {
                let s = self.sends();
                if s.len() >= n {
                    return s;
                }
                tokio::time::sleep(std::time::Duration::from_millis(25)).await;
            }
            panic!("expected {n} sends, got {:?}", self.sends());
        }
    }
}
