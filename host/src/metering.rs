//! Metering: every plugin call is counted live (for `/metrics`) and written, in batches, to
//! the store (for billing and the usage API).
//!
//! Callers hand records to a bounded channel; one task drains it in batches of up to
//! [`BATCH`] calls and hands each batch to the store's group-commit [`Writer`], so metered
//! calls are committed in the same transactions as the messages that caused them (one writer
//! on SQLite, no second transaction competing for its lock). A full channel makes the caller
//! wait (backpressure) rather than drop a billable record.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::runtime::{CallReport, Outcome};
use crate::store::{CallRecord, Writer, now_ms};

const BATCH: usize = 512;
const CHANNEL: usize = 65_536;
/// Upper bounds of the latency histogram buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5,
];

enum Cmd {
    Record(CallRecord),
    Flush(oneshot::Sender<()>),
}

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct Live {
    /// (tenant, plugin, hook, outcome) → calls
    calls: BTreeMap<(String, String, String, &'static str), u64>,
    /// (tenant, plugin) → fuel
    fuel: BTreeMap<(String, String), u64>,
    /// (plugin, hook) → latency
    latency: HashMap<(String, String), Histogram>,
    write_errors: u64,
}

/// The meter. Cheap to clone.
#[derive(Clone)]
pub struct Meter {
    tx: mpsc::Sender<Cmd>,
    live: Arc<Mutex<Live>>,
}

impl Meter {
    /// Starts the batching task on the current Tokio runtime; batches are stored through
    /// `writer`, in the message path's group commits.
    pub fn start(writer: Writer) -> Meter {
        let (tx, rx) = mpsc::channel(CHANNEL);
        let live = Arc::new(Mutex::new(Live::default()));
        tokio::spawn(write_batches(writer, rx, live.clone()));
        Meter { tx, live }
    }

    fn live(&self) -> std::sync::MutexGuard<'_, Live> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Builds the record of a call and counts it live.
    fn account(
        &self,
        tenant: &str,
        plugin: &str,
        version: &str,
        report: &CallReport,
    ) -> CallRecord {
        let hook = report.hook.as_str();
        let secs = report.duration.as_secs_f64();
        {
            let mut live = self.live();
            *live
                .calls
                .entry((
                    tenant.to_owned(),
                    plugin.to_owned(),
                    hook.to_owned(),
                    report.outcome.as_str(),
                ))
                .or_default() += 1;
            *live
                .fuel
                .entry((tenant.to_owned(), plugin.to_owned()))
                .or_default() += report.fuel.unwrap_or(0);
            let h = live
                .latency
                .entry((plugin.to_owned(), hook.to_owned()))
                .or_default();
            h.count += 1;
            h.sum += secs;
            for (i, upper) in BUCKETS.iter().enumerate() {
                if secs <= *upper {
                    h.counts[i] += 1;
                }
            }
        }
        CallRecord {
            id: crate::store::new_id(),
            tenant_id: tenant.to_owned(),
            plugin_id: plugin.to_owned(),
            version: version.to_owned(),
            hook: hook.to_owned(),
            outcome: report.outcome.as_str().to_owned(),
            duration_us: report.duration.as_micros() as i64,
            fuel: report.fuel.map(|f| f as i64),
            error: report.error.clone(),
            at: now_ms() - report.duration.as_millis() as i64,
        }
    }

    /// Records a call from a blocking thread (the pipeline's).
    pub fn record_blocking(&self, tenant: &str, plugin: &str, version: &str, report: &CallReport) {
        let rec = self.account(tenant, plugin, version, report);
        if self.tx.blocking_send(Cmd::Record(rec)).is_err() {
            self.live().write_errors += 1;
        }
    }

    /// Records a call from async code.
    pub async fn record(&self, tenant: &str, plugin: &str, version: &str, report: &CallReport) {
        let rec = self.account(tenant, plugin, version, report);
        if self.tx.send(Cmd::Record(rec)).await.is_err() {
            self.live().write_errors += 1;
        }
    }

    /// Waits until everything recorded so far is in the store.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Cmd::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }

    /// Prometheus text exposition of the live counters and histograms.
    pub fn render_prometheus(&self, out: &mut String) {
        let live = self.live();
        out.push_str("# HELP kefu_plugin_calls_total Plugin hook calls by outcome.\n");
        out.push_str("# TYPE kefu_plugin_calls_total counter\n");
        for ((tenant, plugin, hook, outcome), n) in &live.calls {
            let _ = writeln!(
                out,
                "kefu_plugin_calls_total{{tenant=\"{}\",plugin=\"{}\",hook=\"{}\",outcome=\"{}\"}} {n}",
                escape(tenant),
                escape(plugin),
                hook,
                outcome
            );
        }
        out.push_str("# HELP kefu_plugin_fuel_total Fuel burnt by plugin calls.\n");
        out.push_str("# TYPE kefu_plugin_fuel_total counter\n");
        for ((tenant, plugin), n) in &live.fuel {
            let _ = writeln!(
                out,
                "kefu_plugin_fuel_total{{tenant=\"{}\",plugin=\"{}\"}} {n}",
                escape(tenant),
                escape(plugin)
            );
        }
        out.push_str("# HELP kefu_plugin_call_duration_seconds Plugin hook call latency.\n");
        out.push_str("# TYPE kefu_plugin_call_duration_seconds histogram\n");
        let mut keys: Vec<_> = live.latency.keys().collect();
        keys.sort();
        for key in keys {
            let h = &live.latency[key];
            let labels = format!("plugin=\"{}\",hook=\"{}\"", escape(&key.0), key.1);
            for (i, upper) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "kefu_plugin_call_duration_seconds_bucket{{{labels},le=\"{upper}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "kefu_plugin_call_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "kefu_plugin_call_duration_seconds_sum{{{labels}}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "kefu_plugin_call_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
        out.push_str(
            "# HELP kefu_metering_write_errors_total Metering records that could not be stored.\n",
        );
        out.push_str("# TYPE kefu_metering_write_errors_total counter\n");
        let _ = writeln!(
            out,
            "kefu_metering_write_errors_total {}",
            live.write_errors
        );
    }

    /// Live call count for one (tenant, plugin, outcome), summed over hooks.
    pub fn live_calls(&self, tenant: &str, plugin: &str, outcome: Outcome) -> u64 {
        self.live()
            .calls
            .iter()
            .filter(|((t, p, _, o), _)| t == tenant && p == plugin && *o == outcome.as_str())
            .map(|(_, n)| n)
            .sum()
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

async fn write_batches(writer: Writer, mut rx: mpsc::Receiver<Cmd>, live: Arc<Mutex<Live>>) {
    let mut batch = Vec::with_capacity(BATCH);
    let mut waiting: Vec<oneshot::Sender<()>> = Vec::new();
    while let Some(cmd) = rx.recv().await {
        let mut push = |cmd: Cmd, batch: &mut Vec<CallRecord>| match cmd {
            Cmd::Record(r) => batch.push(r),
            Cmd::Flush(done) => waiting.push(done),
        };
        push(cmd, &mut batch);
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(cmd) => push(cmd, &mut batch),
                Err(_) => break,
            }
        }
        let mut tries = 0;
        while !batch.is_empty() {
            match writer.calls(batch.clone()).await {
                Ok(()) => batch.clear(),
                Err(e) if tries < 5 => {
                    tries += 1;
                    tracing::warn!(error = %e, tries, "metering write failed; retrying");
                    tokio::time::sleep(Duration::from_millis(100 << tries)).await;
                }
                Err(e) => {
                    tracing::error!(error = %e, lost = batch.len(), "metering write failed; giving up on this batch");
                    live.lock().unwrap_or_else(|p| p.into_inner()).write_errors +=
                        batch.len() as u64;
                    batch.clear();
                }
            }
        }
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
    }
}
