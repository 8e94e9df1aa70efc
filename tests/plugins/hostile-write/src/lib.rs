//! Hostile test plugin: `preprocess` tries to modify the filesystem and reports what happened
//! (as the rewritten message text) instead of failing.
//!
//! One line per attempt: `<operation> <path>: ok` or `<operation> <path>: denied
//! (<io::ErrorKind>)`. A write that succeeded is prefixed `LEAKED `; the word `LEAKED` appears
//! nowhere else. A last control line checks that the bundled `/data/readme.txt` survived.

use kefu_plugin_sdk::*;
use std::io;

struct HostileWrite;

/// The content of the bundled `data/readme.txt`.
const README: &str = "bundled data is readable";

fn line(label: &str, outcome: io::Result<()>) -> String {
    match outcome {
        Ok(()) => format!("LEAKED {label}: ok"),
        Err(e) => format!("{label}: denied ({:?})", e.kind()),
    }
}

impl Plugin for HostileWrite {
    fn init() -> Result<Self, PluginError> {
        Ok(HostileWrite)
    }

    fn preprocess(&self, _ctx: Context) -> Result<Option<String>, PluginError> {
        let report = [
            line(
                "write /data/evil.txt",
                std::fs::write("/data/evil.txt", b"written by a hostile plugin"),
            ),
            line("create_dir /data/x", std::fs::create_dir("/data/x")),
            line(
                "remove_file /data/readme.txt",
                std::fs::remove_file("/data/readme.txt"),
            ),
            line(
                "write /tmp/evil.txt",
                std::fs::write("/tmp/evil.txt", b"written by a hostile plugin"),
            ),
            // The control: the bundled file is still there and unchanged.
            match std::fs::read_to_string("/data/readme.txt") {
                Ok(text) if text.trim_end() == README => "/data/readme.txt: ok".to_owned(),
                Ok(text) => format!("/data/readme.txt: unexpected content {text:?}"),
                Err(e) => format!("/data/readme.txt: denied ({:?})", e.kind()),
            },
        ];
        Ok(Some(report.join("\n")))
    }
}

export_plugin!(HostileWrite);
