//! Prints what the host's parsers make of the given files (handy when triaging an artifact):
//! `cargo +nightly run --example show -- <xml|json|crypto> FILE...`.
use kefu_fuzz::channels::{webhook, wechat};

fn main() {
    let mut args = std::env::args().skip(1);
    let kind = args.next().expect("usage: show <xml|json> FILE...");
    for file in args {
        let data = std::fs::read(&file).expect("read");
        println!(
            "== {file} ({} bytes): {:?}",
            data.len(),
            String::from_utf8_lossy(&data)
        );
        match kind.as_str() {
            "xml" => {
                println!(
                    "CallbackXml::parse    -> {:?}",
                    wechat::CallbackXml::parse(&data)
                );
                println!(
                    "InboundMessage::parse -> {:?}",
                    wechat::InboundMessage::parse(&data)
                );
            }
            "json" => println!("webhook::parse -> {:?}", webhook::parse(&data)),
            other => panic!("unknown kind {other}"),
        }
    }
}
