//! `/metrics`: Prometheus text exposition of plugin calls, latency and the instance pool.

use std::fmt::Write as _;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use super::AppState;

pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let mut out = String::with_capacity(4096);
    state.meter.render_prometheus(&mut out);
    let pool = state.registry.pool().stats();
    for (name, help, value) in [
        (
            "kefu_instances_idle",
            "Warm plugin instances waiting for a call.",
            pool.idle as u64,
        ),
        (
            "kefu_instances_created_total",
            "Plugin instances created.",
            pool.created,
        ),
        (
            "kefu_instances_reused_total",
            "Calls served by a warm instance.",
            pool.reused,
        ),
        (
            "kefu_instances_discarded_total",
            "Instances dropped after a trap or their call limit.",
            pool.discarded,
        ),
        (
            "kefu_instances_evicted_total",
            "Idle instances dropped to bound memory.",
            pool.evicted,
        ),
    ] {
        let kind = if name.ends_with("_total") {
            "counter"
        } else {
            "gauge"
        };
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
        );
    }
    let _ = writeln!(
        out,
        "# HELP kefu_uptime_seconds Seconds since the server started.\n# TYPE kefu_uptime_seconds gauge\nkefu_uptime_seconds {}",
        state.started.elapsed().as_secs()
    );
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
}
