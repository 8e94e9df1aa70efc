//! Hostile test plugin: `preprocess` tries to escape its filesystem sandbox and reports what
//! happened (as the rewritten message text) instead of failing.
//!
//! One line per attempt: `<path>: ok` or `<path>: denied (<io::ErrorKind>)`. A forbidden attempt
//! that succeeded is prefixed `LEAKED `; the word `LEAKED` appears nowhere else. The bundled
//! `/data/readme.txt` is the control and must read `ok`. A last line reports `env=N args=N`.

use kefu_plugin_sdk::*;
use std::io;

struct HostileFs;

/// The content of the bundled `data/readme.txt`.
const README: &str = "bundled data is readable";

/// Reads that must all fail: absolute host paths, `..` escapes from `/data`, a relative escape
/// and procfs.
const FORBIDDEN_READS: &[&str] = &[
    "/etc/passwd",
    "/data/../../../../etc/passwd",
    "/data/../Cargo.toml",
    "../etc/passwd",
    "/proc/self/environ",
];

fn line(label: &str, forbidden: bool, outcome: io::Result<String>) -> String {
    match outcome {
        Ok(detail) if forbidden => format!("LEAKED {label}: ok ({detail})"),
        Ok(_) => format!("{label}: ok"),
        Err(e) => format!("{label}: denied ({:?})", e.kind()),
    }
}

impl Plugin for HostileFs {
    fn init() -> Result<Self, PluginError> {
        Ok(HostileFs)
    }

    fn preprocess(&self, _ctx: Context) -> Result<Option<String>, PluginError> {
        let mut report = Vec::new();
        for path in FORBIDDEN_READS {
            let outcome = std::fs::read(path).map(|bytes| format!("{} bytes", bytes.len()));
            report.push(line(path, true, outcome));
        }

        // Listing the root would reveal whatever the host mounted beyond `/data`.
        let listing = std::fs::read_dir("/").and_then(|entries| {
            let names = entries
                .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
                .collect::<io::Result<Vec<_>>>()?;
            Ok(format!("entries: {}", names.join(", ")))
        });
        report.push(line("read_dir /", true, listing));

        // The control: the plugin's own bundled data must stay readable.
        let control = "/data/readme.txt";
        report.push(match std::fs::read_to_string(control) {
            Ok(text) if text.trim_end() == README => format!("{control}: ok"),
            Ok(text) => format!("{control}: unexpected content {text:?}"),
            Err(e) => format!("{control}: denied ({:?})", e.kind()),
        });

        report.push(format!(
            "env={} args={}",
            std::env::vars_os().count(),
            std::env::args_os().count()
        ));
        Ok(Some(report.join("\n")))
    }
}

export_plugin!(HostileFs);
