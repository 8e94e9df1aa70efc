//! Checks that `CallbackXml::parse` time grows linearly with the body: times synthetic
//! worst-case families at 8, 16, 32 and 64 KiB, then (optionally) every file in the given
//! corpus directories, reporting the slowest in ns per byte. A family whose ns/byte at 64 KiB
//! is more than 2.5x its ns/byte at 8 KiB is flagged SUPERLINEAR and the exit status is 1
//! (a linear parser keeps each row flat).
//!
//! `cargo +nightly run --release --example xml_timing -- [CORPUS_DIR...]`
use std::time::{Duration, Instant};

use kefu_fuzz::channels::wechat::CallbackXml;
use kefu_fuzz::channels::wechat::xml::MAX_BODY_BYTES;

fn time(body: &[u8]) -> Duration {
    let reps = 20;
    let mut best = Duration::MAX;
    for _ in 0..reps {
        let t = Instant::now();
        let r = CallbackXml::parse(std::hint::black_box(body));
        std::hint::black_box(&r);
        best = best.min(t.elapsed());
    }
    best
}

fn fill(prefix: &str, unit: &dyn Fn(usize) -> String, suffix: &str, size: usize) -> Vec<u8> {
    let mut s = String::from(prefix);
    let mut i = 0;
    while s.len() + suffix.len() + unit(i).len() <= size {
        s.push_str(&unit(i));
        i += 1;
    }
    s.push_str(suffix);
    s.into_bytes()
}

fn main() {
    type Family = (
        &'static str,
        &'static str,
        fn(usize) -> String,
        &'static str,
    );
    let families: &[Family] = &[
        (
            "distinct attributes on one tag",
            "<xml",
            |i| format!(" a{i}=\"\""),
            "/>",
        ),
        (
            "attributes on a child",
            "<xml><a",
            |i| format!(" a{i}=\"&amp;\""),
            "/></xml>",
        ),
        (
            "text with entities",
            "<xml><Content>",
            |_| "&amp;&#x4E2D;".into(),
            "</Content></xml>",
        ),
        (
            "alternating text/CDATA",
            "<xml><Content>",
            |_| " <![CDATA[x]]>".into(),
            "</Content></xml>",
        ),
        ("comments", "<xml>", |_| "<!-- c -->".into(), "</xml>"),
        ("long element name", "<xml><", |_| "n".into(), "/></xml>"),
        (
            "unclosed CDATA",
            "<xml><Content><![CDATA[",
            |_| "]]".into(),
            "",
        ),
        ("unclosed comment", "<xml><!--", |_| "--".into(), ""),
        ("open tags (error at depth)", "<xml>", |_| "<a>".into(), ""),
        ("whitespace before root", "", |_| " ".into(), "<xml/>"),
    ];
    println!(
        "{:<34} {:>10} {:>10} {:>10} {:>10}  (ns/byte; 64K total)",
        "family", "8K", "16K", "32K", "64K"
    );
    let mut superlinear = false;
    for (name, prefix, unit, suffix) in families {
        let mut row = format!("{name:<34}");
        let mut per_byte = Vec::new();
        let mut total = Duration::ZERO;
        for kib in [8, 16, 32, 64] {
            let body = fill(prefix, unit, suffix, (kib * 1024).min(MAX_BODY_BYTES));
            let t = time(&body);
            total = t;
            per_byte.push(t.as_nanos() as f64 / body.len() as f64);
            row.push_str(&format!(" {:>10.2}", per_byte.last().unwrap()));
        }
        row.push_str(&format!("  {:>8.2?}", total));
        // Ignore families too cheap to time reliably.
        if per_byte[3] > 2.5 * per_byte[0] && per_byte[3] > 5.0 {
            row.push_str("  SUPERLINEAR");
            superlinear = true;
        }
        println!("{row}");
    }
    let mut worst: Option<(f64, String, usize)> = None;
    let mut files = 0;
    for dir in std::env::args().skip(1) {
        for entry in std::fs::read_dir(&dir).expect("read corpus dir") {
            let path = entry.unwrap().path();
            let body = std::fs::read(&path).unwrap();
            if body.len() < 256 {
                continue; // per-byte cost of tiny inputs is dominated by setup
            }
            files += 1;
            let per_byte = time(&body).as_nanos() as f64 / body.len() as f64;
            if worst.as_ref().is_none_or(|w| per_byte > w.0) {
                worst = Some((per_byte, path.display().to_string(), body.len()));
            }
        }
    }
    if let Some((ns, path, len)) = worst {
        println!("corpus: {files} inputs >= 256 B; slowest {ns:.2} ns/byte ({len} B, {path})");
    }
    if superlinear {
        std::process::exit(1);
    }
}
