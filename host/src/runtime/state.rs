//! What a plugin's `Store` carries: its WASI context (data preopen only), its scope, and the
//! resource limiter that enforces the memory cap.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxView, WasiView};

use super::guest_output::GuestOutput;
use super::{KvBackend, PluginScope};

/// The per-store state of one plugin instance.
pub struct PluginState {
    pub(super) wasi: WasiCtx,
    pub(super) table: ResourceTable,
    pub(super) limiter: MemoryLimiter,
    pub(super) scope: PluginScope,
    pub(super) kv: Arc<dyn KvBackend>,
    pub(super) kv_quota_bytes: u64,
    /// The tenant's configuration for this plugin as JSON, refreshed before every call.
    pub(super) config_json: Arc<str>,
    pub(super) stdout: GuestOutput,
    pub(super) stderr: GuestOutput,
    /// Log lines the guest may still write during the current call.
    pub(super) log_budget: u32,
}

impl WasiView for PluginState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Caps linear memory and table growth, and remembers whether the cap was hit so a trap that
/// follows is reported as out-of-memory rather than as a generic trap.
pub struct MemoryLimiter {
    pub(super) max_memory_bytes: usize,
    pub(super) hit: bool,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max_memory_bytes {
            self.hit = true;
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        const MAX_TABLE_ELEMENTS: usize = 100_000;
        if desired > MAX_TABLE_ELEMENTS {
            self.hit = true;
            return Ok(false);
        }
        Ok(true)
    }

    fn instances(&self) -> usize {
        16
    }
    fn tables(&self) -> usize {
        16
    }
    fn memories(&self) -> usize {
        4
    }
}

/// The only clock a plugin sees: the current message's timestamp, set by the host before each
/// call. A plugin cannot measure time or learn the host's wall clock.
#[derive(Clone, Default)]
pub struct MessageClock {
    millis: Arc<AtomicU64>,
    /// A counter that makes monotonic time advance by a nanosecond per read, so that guest code
    /// waiting for time to pass (a spin on `Instant`) still terminates under its CPU limit.
    ticks: Arc<AtomicU64>,
}

impl MessageClock {
    pub fn set(&self, unix_millis: u64) {
        self.millis.store(unix_millis, Ordering::Relaxed);
    }
}

impl HostWallClock for MessageClock {
    fn resolution(&self) -> Duration {
        Duration::from_millis(1)
    }
    fn now(&self) -> Duration {
        Duration::from_millis(self.millis.load(Ordering::Relaxed))
    }
}

impl HostMonotonicClock for MessageClock {
    fn resolution(&self) -> u64 {
        1
    }
    fn now(&self) -> u64 {
        self.ticks.fetch_add(1, Ordering::Relaxed)
    }
}
