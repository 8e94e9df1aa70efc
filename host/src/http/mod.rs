//! The admin and message HTTP API. Each resource module owns its routes; [`router`] merges
//! them, adds the body limit and the middleware that logs 5xx causes inside the request span.

mod addons;
pub mod auth;
mod callbacks;
mod channels;
mod customers;
pub mod error;
mod handoff;
mod messages;
mod metrics;
mod openapi;
mod plugins;
mod routing;
mod rules;
mod tenants;
mod usage;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use tracing::Instrument;

use crate::channels::Channels;
use crate::metering::Meter;
use crate::pipeline::Pipeline;
use crate::registry::Registry;
use crate::store::Store;
use error::InternalCause;

pub use tenants::valid_tenant_id;

/// Everything handlers need.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub registry: Arc<Registry>,
    pub pipeline: Pipeline,
    pub meter: Meter,
    pub channels: Arc<Channels>,
    /// SHA-256 (hex) of the operator key.
    pub operator_key_hash: String,
    pub started: Instant,
}

/// Request body limits.
#[derive(Clone, Copy, Debug)]
pub struct BodyLimits {
    /// JSON requests.
    pub json_bytes: usize,
    /// Package uploads.
    pub package_bytes: usize,
}

/// The whole API.
pub fn router(state: AppState, limits: BodyLimits) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/openapi.json", get(openapi::openapi))
        .route("/metrics", get(metrics::metrics))
        .merge(tenants::router())
        .merge(addons::router())
        .merge(messages::router())
        .merge(usage::router())
        .merge(channels::router())
        .merge(handoff::router())
        .merge(customers::router())
        .merge(routing::router())
        .layer(DefaultBodyLimit::max(limits.json_bytes))
        .merge(plugins::router(limits.package_bytes))
        .merge(rules::router())
        .merge(callbacks::router())
        .layer(middleware::from_fn(log_failures))
        .with_state(state)
}

/// Logs the cause of every 5xx inside the request's span; the client sees an opaque body.
async fn log_failures(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let span = tracing::info_span!("request", %method, %path);
    let resp = next.run(req).instrument(span.clone()).await;
    if resp.status().is_server_error() {
        let cause = resp
            .extensions()
            .get::<InternalCause>()
            .map(|c| c.0.as_str())
            .unwrap_or("(no cause recorded)");
        tracing::error!(parent: &span, status = %resp.status(), cause, "request failed");
    }
    resp
}
