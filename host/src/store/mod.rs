//! Storage: one sqlx `Any` pool over SQLite (embedded default: one file, WAL) or PostgreSQL
//! (`postgres://…`, the shared store of a scaled-out deployment).
//!
//! Both backends run the same queries; the schema differs only where the SQL dialects must
//! (`migrations/sqlite`, `migrations/postgres`). Times are unix milliseconds in `BIGINT`s and
//! booleans are `0/1` so every value maps the same way on both.

mod agents;
mod channels;
mod conversations;
mod customers;
mod kv;
mod messages;
mod metering;
mod plugins;
mod routing;
mod rules;
mod tenants;
mod writer;

use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

pub use agents::AgentRow;
pub use channels::{AttemptRow, ChannelRow, InboundRow, OutboxRow, Stored};
pub use conversations::{ConversationRow, InspectionRow, TurnRow};
pub use customers::CustomerRow;
pub use kv::DbKv;
pub use messages::StoredMessage;
pub use metering::{CallRecord, UsageRow};
pub use plugins::{InstalledVersion, NewVersion, TenantPlugin};
pub use routing::{RoutingChange, RoutingState, RoutingVersion};
pub use rules::{AuditRow, RulesRow};
pub use tenants::{Addon, Subscription, Tenant};
pub use writer::{Finish, Processed, Writer};

/// Which database engine is behind the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Errors from the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// The database.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// Woken after each group commit (SQLite: the WAL checkpointer's cue).
    committed: std::sync::Arc<tokio::sync::Notify>,
}

impl Store {
    /// Connects and migrates. `url` is `sqlite://PATH` (created when missing) or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        };
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_owned(),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = match backend {
            Backend::Sqlite => {
                AnyPoolOptions::new()
                    .max_connections(8)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            conn.execute("PRAGMA synchronous = NORMAL").await?;
                            conn.execute("PRAGMA busy_timeout = 5000").await?;
                            conn.execute("PRAGMA foreign_keys = ON").await?;
                            // 16 MiB of page cache per connection (SQLite's default is 2 MiB):
                            // index pages stay in memory as the file grows.
                            conn.execute("PRAGMA cache_size = -16384").await?;
                            // Statement journals (a multi-row insert must be undoable on its own
                            // inside the group commit's transaction) in memory, not temp files.
                            conn.execute("PRAGMA temp_store = MEMORY").await?;
                            // Checkpoints run in the background (see below), not inside
                            // whichever commit crosses the WAL size threshold.
                            conn.execute("PRAGMA wal_autocheckpoint = 0").await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(16)
                    .connect_with(options)
                    .await?
            }
        };
        let committed = std::sync::Arc::new(tokio::sync::Notify::new());
        match backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite").run(&pool).await?,
            Backend::Postgres => sqlx::migrate!("./migrations/postgres").run(&pool).await?,
        }
        if backend == Backend::Sqlite {
            tokio::spawn(checkpoint_wal(pool.clone(), committed.clone()));
        }
        Ok(Store {
            pool,
            backend,
            committed,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A transaction that reads and then writes: on SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`, waiting for it like any writer) instead of failing to upgrade a
    /// read snapshot that another commit made stale.
    pub(crate) async fn begin_write(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// Tells the checkpointer that a commit added to the WAL.
    pub(crate) fn committed(&self) {
        self.committed.notify_one();
    }

    /// Closes the pool, waiting for connections to return.
    pub async fn close(&self) {
        self.pool.close().await;
        self.committed.notify_one();
    }
}

/// Copies the SQLite write-ahead log into the database after commits, at most every
/// [`CHECKPOINT_EVERY`], without blocking writers (`PASSIVE`). Done here rather than by SQLite's
/// automatic checkpoint, which runs inside the commit that crosses the threshold and so adds its
/// whole cost to that request's latency; and often, because a short log keeps reads (the
/// duplicate check of every inbound message) from searching a long WAL index — under load a
/// 500 ms period had p99 acknowledgement latencies 10–15 % higher than 25 ms.
async fn checkpoint_wal(pool: AnyPool, committed: std::sync::Arc<tokio::sync::Notify>) {
    loop {
        // Writes outside the group commit (admin changes, the outbox) are covered by the
        // once-a-second round.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(1), committed.notified()).await;
        if pool.is_closed() {
            return;
        }
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            if pool.is_closed() {
                return;
            }
            tracing::warn!(error = %e, "WAL checkpoint failed");
        }
        tokio::time::sleep(CHECKPOINT_EVERY).await;
    }
}

const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(25);

/// `(?, ?, …), (?, …), …` (SQLite) or `($1, $2, …), ($n+1, …), …` (PostgreSQL): the
/// placeholders of a multi-row statement of `rows` × `columns`. SQLite gets anonymous
/// placeholders because binding numbered ones makes the driver look every name up (a cost
/// quadratic in the parameter count: a fifth of the server's time under load).
pub(crate) fn placeholders(backend: Backend, rows: usize, columns: usize) -> String {
    let mut out = String::with_capacity(rows * columns * 5);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 1..=columns {
            if c > 1 {
                out.push_str(", ");
            }
            match backend {
                Backend::Sqlite => out.push('?'),
                Backend::Postgres => {
                    out.push('$');
                    out.push_str(&(r * columns + c).to_string());
                }
            }
        }
        out.push(')');
    }
    out
}

/// A new row id: a time-ordered UUID (version 7). Rows written together get neighbouring
/// keys, so an insert appends to the end of each id index instead of dirtying a random page of
/// it — a batch of a hundred messages then writes a handful of index pages, not hundreds.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Now, in unix milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The UTC calendar day (`YYYY-MM-DD`) of a unix-millisecond time.
pub fn day_of(ms: i64) -> String {
    // Howard Hinnant's days-from-civil, inverted.
    let days = ms.div_euclid(86_400_000);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::day_of;

    #[test]
    fn formats_utc_days_across_leap_years_and_epoch() {
        assert_eq!(day_of(0), "1970-01-01");
        assert_eq!(day_of(951_782_400_000), "2000-02-29");
        assert_eq!(day_of(1_795_651_200_000 - 1), "2026-11-25");
        assert_eq!(day_of(-1), "1969-12-31");
    }
}
