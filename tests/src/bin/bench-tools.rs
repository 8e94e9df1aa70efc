//! Helpers for `scripts/bench-ingest.sh`: sign a plaintext-mode query, pre-encrypt safe-mode
//! bodies (encryption is per message, too slow for wrk's Lua), and the "empty handler" server
//! whose throughput is this machine's ceiling.

use std::io::Write;

use kefu_host::channels::wechat::{MsgCrypt, plain_signature};

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
