//! Helpers for `scripts/bench-ingest.sh`: sign a plaintext-mode query, pre-encrypt safe-mode
//! bodies (encryption is per message, too slow for wrk's Lua), and the "empty handler" server
//! whose throughput is this machine's ceiling.

use std::io::Write;

use kefu_host::channels::wechat::{MsgCrypt, plain_signature};

/// What the end-to-end benchmark's customers say: course questions in Mandarin and
/// Cantonese, prices, trial lessons, refunds, an angry complaint, small talk.
const WEBHOOK_TEXTS: [&str; 16] = [
    "你好，请问在吗",
    "孩子今年8岁，有什么英语课适合她？",
    "我个女读小学三年级，你哋有冇啱佢嘅英文班？",
    "试听课要收费吗",
    "小学数学思维班一期多少钱",
    "周末的课几点上课",
    "可以分期付款吗",
    "剩下的课时能退费吗",
    "请假了可以补课吗",
    "天河校区在哪里",
    "老学员续报有没有优惠",
    "上课的老师是哪里毕业的",
    "你们老师太不负责了，我要投诉！",
    "网课和线下课有什么区别",
    "谢谢，明白了",
    "一个班多少个学生",
];

fn arg(args: &[String], name: &str) -> String {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| panic!("missing {name}"))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("sign-plain") => {
            let (token, ts, nonce) = (
                arg(&args, "--token"),
                arg(&args, "--ts"),
                arg(&args, "--nonce"),
            );
            println!("{}", plain_signature(&token, &ts, &nonce));
        }
        Some("gen-aes") => {
            let token = arg(&args, "--token");
            let crypt = MsgCrypt::from_encoding_aes_keys(
                &token,
                &arg(&args, "--aes-key"),
                None,
                arg(&args, "--appid"),
            )
            .expect("valid key");
            let n: u64 = arg(&args, "--n").parse().unwrap();
            let ts = arg(&args, "--ts");
            let path = arg(&args, "--path");
            let base: u64 = arg(&args, "--base").parse().unwrap();
            let mut out =
                std::io::BufWriter::new(std::fs::File::create(arg(&args, "--out")).unwrap());
            for i in 0..n {
                let inner = format!(
                    "<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[o_{}]]></FromUserName>\
                     <CreateTime>{ts}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好 {i}]]></Content>\
                     <MsgId>{}</MsgId></xml>",
                    i % 1000,
                    base + i
                );
                let enc = crypt.encrypt(&inner, rand::random());
                let nonce = format!("{i}");
                let msig = crypt.signature(&ts, &nonce, &enc);
                let sig = plain_signature(&token, &ts, &nonce);
                writeln!(
                    out,
                    "{path}?signature={sig}&timestamp={ts}&nonce={nonce}&encrypt_type=aes&msg_signature={msig}\t\
                     <xml><ToUserName><![CDATA[gh_bench]]></ToUserName><Encrypt><![CDATA[{enc}]]></Encrypt></xml>"
                )
                .unwrap();
            }
        }
        Some("gen-webhook") => {
            // Signed JSON webhook messages from `--customers` customers taking turns (so that
            // many conversations are open at once), texts from a realistic mix.
            let secret = arg(&args, "--secret");
            let n: u64 = arg(&args, "--n").parse().unwrap();
            let customers: u64 = arg(&args, "--customers").parse().unwrap();
            let ts: i64 = arg(&args, "--ts").parse().unwrap();
            let path = arg(&args, "--path");
            let base: u64 = arg(&args, "--base").parse().unwrap();
            let mut out =
                std::io::BufWriter::new(std::fs::File::create(arg(&args, "--out")).unwrap());
            for i in 0..n {
                let text = WEBHOOK_TEXTS[(i / customers) as usize % WEBHOOK_TEXTS.len()];
                let body = serde_json::json!({
                    "message_id": format!("m{}", base + i),
                    "customer_id": format!("c{}", i % customers),
                    "text": text,
                })
                .to_string();
                let sig =
                    kefu_host::channels::webhook::sign(secret.as_bytes(), ts, body.as_bytes());
                writeln!(out, "{path}\t{ts}\t{sig}\t{body}").unwrap();
            }
        }
        Some("empty-server") => {
            let listen = arg(&args, "--listen");
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let app = axum::Router::new().route(
                    "/{*path}",
                    axum::routing::post(|_body: axum::body::Bytes| async { "success" }),
                );
                let listener = tokio::net::TcpListener::bind(listen).await.unwrap();
                axum::serve(listener, app).await.unwrap();
            });
        }
        _ => {
            eprintln!("usage: bench-tools sign-plain|gen-aes|empty-server …");
            std::process::exit(2);
        }
    }
}
