//! One live plugin instance and the call discipline around every hook: set the limits, call,
//! classify what happened, forward the guest's output, and decide whether the instance may be
//! used again.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::ResourceTable;
use wasmtime::{Store, Trap};
use wasmtime_wasi::{FsPerms, WasiCtx};

use super::bindings::Plugin as Bindings;
use super::contract::{
    Analysis, Context, Customer, Inspection, IntentScore, PluginError, Reply, Session,
};
use super::guest_output::GuestOutput;
use super::host_log::truncate;
use super::state::{MemoryLimiter, MessageClock, PluginState};
use super::{KvBackend, LoadedPlugin, PluginScope, Runtime, RuntimeError, ticks_for};
use crate::package::Hook;

/// A hook call with its arguments.
#[derive(Clone, Debug)]
pub enum HookCall {
    Preprocess(Context),
    Classify(Context),
    Analyze(Context),
    Respond(Context),
    Inspect(Session, Customer),
}

impl HookCall {
    /// The call of `hook` on a message (inspect gets the context's session and customer).
    pub fn for_hook(hook: Hook, ctx: Context) -> HookCall {
        match hook {
            Hook::Preprocess => HookCall::Preprocess(ctx),
            Hook::Classify => HookCall::Classify(ctx),
            Hook::Analyze => HookCall::Analyze(ctx),
            Hook::Respond => HookCall::Respond(ctx),
            Hook::Inspect => HookCall::Inspect(ctx.session, ctx.customer),
        }
    }

    pub fn hook(&self) -> Hook {
        match self {
            HookCall::Preprocess(_) => Hook::Preprocess,
            HookCall::Classify(_) => Hook::Classify,
            HookCall::Analyze(_) => Hook::Analyze,
            HookCall::Respond(_) => Hook::Respond,
            HookCall::Inspect(..) => Hook::Inspect,
        }
    }
}

/// A hook's result.
#[derive(Clone, Debug, PartialEq)]
pub enum HookOutput {
    Preprocess(Option<String>),
    Classify(Vec<IntentScore>),
    Analyze(Analysis),
    Respond(Option<Reply>),
    Inspect(Inspection),
}

impl HookOutput {
    /// Roughly how many bytes the result occupies; compared with the output cap.
    fn approx_bytes(&self) -> u64 {
        fn fields(f: &[super::contract::Field]) -> usize {
            f.iter().map(|f| f.key.len() + f.value.len() + 16).sum()
        }
        let n = match self {
            HookOutput::Preprocess(t) => t.as_ref().map_or(0, String::len),
            HookOutput::Classify(v) => v.iter().map(|s| s.label.len() + 8).sum(),
            HookOutput::Analyze(a) => {
                a.emotion.as_ref().map_or(0, String::len)
                    + a.tags.iter().map(|t| t.len() + 8).sum::<usize>()
                    + fields(&a.annotations)
            }
            HookOutput::Respond(r) => r
                .as_ref()
                .map_or(0, |r| r.text.len() + fields(&r.annotations)),
            HookOutput::Inspect(i) => {
                i.findings
                    .iter()
                    .map(|f| f.kind.len() + f.detail.len() + 16)
                    .sum::<usize>()
                    + fields(&i.annotations)
            }
        };
        n as u64
    }
}

/// How a call ended. Stored with every metered call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The hook returned a result.
    Ok,
    /// The hook returned an error, or a result over the output cap.
    Error,
    /// The plugin trapped (panic, stack overflow, bad memory access, ...).
    Trap,
    /// The plugin ran out of fuel or past its deadline.
    Timeout,
    /// The plugin hit its memory cap.
    OutOfMemory,
}

impl Outcome {
    pub const ALL: [Outcome; 5] = [
        Outcome::Ok,
        Outcome::Error,
        Outcome::Trap,
        Outcome::Timeout,
        Outcome::OutOfMemory,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Error => "error",
            Outcome::Trap => "trap",
            Outcome::Timeout => "timeout",
            Outcome::OutOfMemory => "out_of_memory",
        }
    }
    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

/// What happened in one call, for the pipeline and for metering.
#[derive(Clone, Debug)]
pub struct CallReport {
    pub hook: Hook,
    pub outcome: Outcome,
    pub duration: Duration,
    /// Fuel burnt, when the call got as far as running guest code.
    pub fuel: Option<u64>,
    pub output: Option<HookOutput>,
    /// Why the call failed, for logs and the message's explanation.
    pub error: Option<String>,
}

impl CallReport {
    pub(super) fn failed(hook: Hook, outcome: Outcome, started: Instant, error: String) -> Self {
        CallReport {
            hook,
            outcome,
            duration: started.elapsed(),
            fuel: None,
            output: None,
            error: Some(error),
        }
    }
}

/// A live instance of one plugin version for one tenant.
pub struct Instance {
    store: Store<PluginState>,
    bindings: Bindings,
    plugin: Arc<LoadedPlugin>,
    clock: MessageClock,
    calls: u64,
    poisoned: bool,
    init_multiplier: u32,
    log_lines_per_call: u32,
    pub(super) last_used: Instant,
}

impl Instance {
    pub(super) fn new(
        runtime: &Runtime,
        plugin: &Arc<LoadedPlugin>,
        scope: PluginScope,
        kv: Arc<dyn KvBackend>,
    ) -> Result<Instance, RuntimeError> {
        let cfg = runtime.config();
        let clock = MessageClock::default();
        let stdout = GuestOutput::new(cfg.guest_output_bytes);
        let stderr = GuestOutput::new(cfg.guest_output_bytes);
        let mut wasi = WasiCtx::builder();
        wasi.stdout(stdout.clone())
            .stderr(stderr.clone())
            .wall_clock(clock.clone())
            .monotonic_clock(clock.clone())
            .allow_blocking_current_thread(true);
        if let Some(dir) = &plugin.data_dir {
            wasi.preopened_dir(dir, "/data", FsPerms::ReadOnly)
                .map_err(|e| RuntimeError::Instantiate(format!("preopen /data: {e:#}")))?;
        }
        let state = PluginState {
            wasi: wasi.build(),
            table: ResourceTable::new(),
            limiter: MemoryLimiter {
                max_memory_bytes: usize::try_from(plugin.limits.memory_bytes).unwrap_or(usize::MAX),
                hit: false,
            },
            scope,
            kv,
            kv_quota_bytes: plugin.limits.kv_quota_bytes,
            config_json: Arc::from("{}"),
            stdout,
            stderr,
            log_budget: cfg.log_lines_per_call,
        };
        let mut store = Store::new(runtime.engine(), state);
        store.limiter(|s| &mut s.limiter);
        store.epoch_deadline_trap();
        // Instantiation runs the component's start-up code under the init budget.
        let init = u64::from(cfg.init_multiplier);
        store
            .set_fuel(plugin.limits.fuel.saturating_mul(init))
            .map_err(|e| RuntimeError::Instantiate(format!("{e:#}")))?;
        store.set_epoch_deadline(ticks_for(plugin.limits.timeout_ms.saturating_mul(init)));
        let bindings = plugin
            .pre
            .instantiate(&mut store)
            .map_err(|e| RuntimeError::Instantiate(format!("{e:#}")))?;
        Ok(Instance {
            store,
            bindings,
            plugin: plugin.clone(),
            clock,
            calls: 0,
            poisoned: false,
            init_multiplier: cfg.init_multiplier,
            log_lines_per_call: cfg.log_lines_per_call,
            last_used: Instant::now(),
        })
    }

    /// The plugin version this instance runs.
    pub fn plugin(&self) -> &Arc<LoadedPlugin> {
        &self.plugin
    }

    /// Whether the instance may serve another call.
    pub fn reusable(&self, max_calls: u64) -> bool {
        !self.poisoned && self.calls < max_calls
    }

    /// Calls one hook under the plugin's limits. Never panics and never returns a host error:
    /// whatever the plugin does ends up in the report.
    pub fn call(&mut self, call: HookCall, timestamp_ms: u64, config_json: Arc<str>) -> CallReport {
        let started = Instant::now();
        let hook = call.hook();
        if self.poisoned {
            return CallReport::failed(hook, Outcome::Trap, started, "instance is poisoned".into());
        }
        let limits = self.plugin.limits;
        // The first call also runs the plugin's `init` (loading its data).
        let scale = if self.calls == 0 {
            u64::from(self.init_multiplier)
        } else {
            1
        };
        let fuel_budget = limits.fuel.saturating_mul(scale);
        self.calls += 1;
        self.last_used = started;
        self.clock.set(timestamp_ms);
        let log_lines = self.log_lines_per_call;
        {
            let state = self.store.data_mut();
            state.config_json = config_json;
            state.limiter.hit = false;
            state.log_budget = log_lines;
        }
        if let Err(e) = self.store.set_fuel(fuel_budget) {
            return CallReport::failed(hook, Outcome::Trap, started, format!("{e:#}"));
        }
        self.store
            .set_epoch_deadline(ticks_for(limits.timeout_ms.saturating_mul(scale)));

        let hooks = self.bindings.kefu_plugin_hooks();
        let store = &mut self.store;
        let result: wasmtime::Result<Result<HookOutput, PluginError>> = match &call {
            HookCall::Preprocess(ctx) => hooks
                .call_preprocess(&mut *store, ctx)
                .map(|r| r.map(HookOutput::Preprocess)),
            HookCall::Classify(ctx) => hooks
                .call_classify(&mut *store, ctx)
                .map(|r| r.map(HookOutput::Classify)),
            HookCall::Analyze(ctx) => hooks
                .call_analyze(&mut *store, ctx)
                .map(|r| r.map(HookOutput::Analyze)),
            HookCall::Respond(ctx) => hooks
                .call_respond(&mut *store, ctx)
                .map(|r| r.map(HookOutput::Respond)),
            HookCall::Inspect(session, customer) => hooks
                .call_inspect(&mut *store, session, customer)
                .map(|r| r.map(HookOutput::Inspect)),
        };
        let duration = started.elapsed();
        let fuel = self
            .store
            .get_fuel()
            .ok()
            .map(|left| fuel_budget.saturating_sub(left));
        let stderr = self.forward_guest_output();

        let (outcome, output, error) = match result {
            Ok(Ok(output)) => {
                let size = output.approx_bytes();
                if size > limits.output_bytes {
                    (
                        Outcome::Error,
                        None,
                        Some(format!(
                            "output of {size} bytes is over the limit of {} bytes",
                            limits.output_bytes
                        )),
                    )
                } else {
                    (Outcome::Ok, Some(output), None)
                }
            }
            Ok(Err(e)) => (Outcome::Error, None, Some(describe_plugin_error(&e))),
            Err(trap) => {
                // A trap leaves the instance unusable ("cannot enter component instance").
                self.poisoned = true;
                let outcome = if self.store.data().limiter.hit {
                    Outcome::OutOfMemory
                } else {
                    match trap.downcast_ref::<Trap>() {
                        Some(Trap::Interrupt) | Some(Trap::OutOfFuel) => Outcome::Timeout,
                        _ => Outcome::Trap,
                    }
                };
                let mut msg = format!("{:#}", trap);
                if let Some(panic) = stderr.filter(|s| !s.is_empty()) {
                    msg.push_str(" | guest stderr: ");
                    msg.push_str(truncate(&panic, 512));
                }
                (outcome, None, Some(msg))
            }
        };
        CallReport {
            hook,
            outcome,
            duration,
            fuel,
            output,
            error,
        }
    }

    /// Sends what the guest printed to tracing; returns stderr for error reports.
    fn forward_guest_output(&mut self) -> Option<String> {
        let state = self.store.data();
        let (tenant, plugin) = (&state.scope.tenant, &state.scope.plugin);
        let (out, out_dropped) = state.stdout.take();
        if !out.is_empty() {
            tracing::info!(target: "kefu::plugin::stdout", tenant, plugin, dropped = out_dropped, "{}", out.trim_end());
        }
        let (err, err_dropped) = state.stderr.take();
        if !err.is_empty() {
            tracing::warn!(target: "kefu::plugin::stderr", tenant, plugin, dropped = err_dropped, "{}", err.trim_end());
        }
        (!err.is_empty()).then_some(err)
    }
}

fn describe_plugin_error(e: &PluginError) -> String {
    match e {
        PluginError::InvalidInput(m) => format!("invalid input: {}", truncate(m, 512)),
        PluginError::Misconfigured(m) => format!("misconfigured: {}", truncate(m, 512)),
        PluginError::Unsupported => "unsupported hook".to_owned(),
        PluginError::Internal(m) => format!("internal: {}", truncate(m, 512)),
    }
}
