//! Group commit for the message path's writes.
//!
//! An inbound message's writes — the message itself with its outcome, the pipeline's
//! explanation, its conversation and turns, the customer's profile when it changed — are one
//! record, committed in one transaction (a message the pipeline did not finish within the
//! reply budget is stored alone first, and its outcome later). One transaction per message
//! would still cap a SQLite host at a few thousand messages a second; instead one writer task
//! takes every write that queued up while the previous batch was committing — metered plugin
//! calls included — and commits them together. Each caller still waits for its own write to be
//! committed: durability is unchanged, only the commits are shared. If a batch fails, its
//! writes are retried one by one so one bad row cannot fail its neighbours.

use tokio::sync::{mpsc, oneshot};

use super::{
    CallRecord, ConversationRow, CustomerRow, InboundRow, Store, StoreError, Stored, StoredMessage,
    TurnRow,
};

const MAX_BATCH: usize = 512;

enum Op {
    Record(Box<Record>, oneshot::Sender<Result<Option<Stored>, String>>),
    /// A conversation changed by an agent, with the turns it gained.
    Conversation(
        Box<(ConversationRow, Vec<TurnRow>)>,
        oneshot::Sender<Result<(), String>>,
    ),
    /// Metered plugin calls (see [`crate::metering`]): they share the messages' commits, so
    /// the meter never holds SQLite's write lock between two group commits.
    Calls(Vec<CallRecord>, oneshot::Sender<Result<(), String>>),
}

/// What processing one message writes: its explanation, its conversation (and the one it
/// closed by idling out), its turns, and the customer's profile when it changed.
pub struct Processed {
    pub message: StoredMessage,
    pub conversation: ConversationRow,
    /// A previous conversation that idled out.
    pub closed: Option<ConversationRow>,
    pub turns: Vec<TurnRow>,
    /// The customer's profile, when this message changed it.
    pub customer: Option<CustomerRow>,
}

/// The outcome of an inbound message stored before it was processed.
pub struct Finish {
    pub id: String,
    /// `done` or `failed`.
    pub status: String,
    pub reply: Option<serde_json::Value>,
    /// `passive`, `outbox` or `none`.
    pub via: String,
    pub message_id: Option<String>,
}

/// One message's writes, committed together (all or nothing).
struct Record {
    /// A message stored only now, with its outcome already set: if its (channel, dedup key)
    /// turns out to be stored already, nothing of this record is written.
    inbound: Option<InboundRow>,
    /// The outcome of a message stored earlier.
    finish: Option<Finish>,
    processed: Option<Processed>,
}

/// The handle callers write through. Cheap to clone.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Op>,
}

fn stopped() -> StoreError {
    StoreError::Conflict("the database writer stopped".into())
}

impl Writer {
    /// Starts the writer task on the current runtime.
    pub fn start(store: Store) -> Writer {
        let (tx, rx) = mpsc::channel(32_768);
        tokio::spawn(run(store, rx));
        Writer { tx }
    }

    /// Stores an inbound message unless its (channel, dedup key) is already stored.
    pub async fn inbound(&self, row: InboundRow) -> Result<Stored, StoreError> {
        self.inbound_processed(row, None).await
    }

    /// Stores a message that was processed before it was stored, together with its outcome
    /// (`row`'s status, reply, route and message id) and what processing it wrote — one
    /// commit for all of it. [`Stored::Duplicate`] (and nothing written) when its
    /// (channel, dedup key) was stored meanwhile.
    pub async fn inbound_processed(
        &self,
        row: InboundRow,
        processed: Option<Processed>,
    ) -> Result<Stored, StoreError> {
        let record = Record {
            inbound: Some(row),
            finish: None,
            processed,
        };
        self.record(record)
            .await?
            .ok_or_else(|| StoreError::Conflict("no inbound answer".into()))
    }

    /// Stores what processing a message wrote, with the outcome of its inbound message when
    /// that was stored before it was processed.
    pub async fn processed(
        &self,
        processed: Option<Processed>,
        finish: Option<Finish>,
    ) -> Result<(), StoreError> {
        let record = Record {
            inbound: None,
            finish,
            processed,
        };
        self.record(record).await.map(|_| ())
    }

    /// Creates or updates a conversation and appends turns to it.
    pub async fn conversation(
        &self,
        conversation: ConversationRow,
        turns: Vec<TurnRow>,
    ) -> Result<(), StoreError> {
        self.send(|tx| Op::Conversation(Box::new((conversation, turns)), tx))
            .await
    }

    async fn record(&self, record: Record) -> Result<Option<Stored>, StoreError> {
        self.send(|tx| Op::Record(Box::new(record), tx)).await
    }

    /// Queues an op and waits until it is committed.
    async fn send<T>(
        &self,
        op: impl FnOnce(oneshot::Sender<Result<T, String>>) -> Op,
    ) -> Result<T, StoreError> {
        let (tx, rx) = oneshot::channel();
        self.tx.send(op(tx)).await.map_err(|_| stopped())?;
        rx.await
            .map_err(|_| stopped())?
            .map_err(StoreError::Conflict)
    }

    /// Stores metered calls with the next group commit.
    pub async fn calls(&self, calls: Vec<CallRecord>) -> Result<(), StoreError> {
        self.send(|tx| Op::Calls(calls, tx)).await
    }
}

async fn run(store: Store, mut rx: mpsc::Receiver<Op>) {
    let mut batch: Vec<Op> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        let committed = commit(&store, &batch).await;
        store.committed();
        match committed {
            Ok(inserted) => answer(&store, batch.drain(..), inserted).await,
            Err(e) => {
                tracing::warn!(error = %e, n = batch.len(), "batch write failed; retrying one by one");
                for op in batch.drain(..) {
                    let one = [op];
                    match commit(&store, &one).await {
                        Ok(inserted) => answer(&store, one.into_iter(), inserted).await,
                        Err(e) => fail(one.into_iter().next().expect("one op"), e.to_string()),
                    }
                }
            }
        }
    }
}

/// Runs every write of a batch in one transaction; for each op, whether it inserted a row.
/// Inbound messages and processed messages go in as multi-row inserts (one statement each per
/// batch); outcomes are one prepared update each.
async fn commit(store: &Store, batch: &[Op]) -> Result<Vec<bool>, StoreError> {
    let backend = store.backend();
    let mut tx = store.pool().begin().await?;
    let inbound: Vec<&InboundRow> = batch
        .iter()
        .filter_map(|op| match op {
            Op::Record(r, _) => r.inbound.as_ref(),
            Op::Conversation(..) | Op::Calls(..) => None,
        })
        .collect();
    let inserted_ids = super::channels::insert_inbound_rows(&mut tx, backend, &inbound).await?;
    // A record whose message was stored meanwhile (a retry processed by another host) writes
    // nothing else.
    let records: Vec<&Record> = batch
        .iter()
        .filter_map(|op| match op {
            Op::Record(r, _) => Some(&**r),
            _ => None,
        })
        .filter(|r| {
            r.inbound
                .as_ref()
                .is_none_or(|row| inserted_ids.contains(&row.id))
        })
        .collect();
    let processed: Vec<&Processed> = records
        .iter()
        .filter_map(|r| r.processed.as_ref())
        .collect();
    let messages: Vec<&StoredMessage> = processed.iter().map(|p| &p.message).collect();
    super::messages::insert_messages(&mut tx, backend, &messages).await?;
    let changed: Vec<&(ConversationRow, Vec<TurnRow>)> = batch
        .iter()
        .filter_map(|op| match op {
            Op::Conversation(c, _) => Some(&**c),
            _ => None,
        })
        .collect();
    let conversations: Vec<&ConversationRow> = processed
        .iter()
        .flat_map(|p| p.closed.iter().chain(std::iter::once(&p.conversation)))
        .chain(changed.iter().map(|c| &c.0))
        .collect();
    super::conversations::upsert_conversations(&mut tx, backend, &conversations).await?;
    let turns: Vec<&TurnRow> = processed
        .iter()
        .flat_map(|p| p.turns.iter())
        .chain(changed.iter().flat_map(|c| c.1.iter()))
        .collect();
    super::conversations::insert_turns(&mut tx, backend, &turns).await?;
    let customers: Vec<(&str, &CustomerRow)> = processed
        .iter()
        .filter_map(|p| {
            p.customer
                .as_ref()
                .map(|c| (p.message.tenant_id.as_str(), c))
        })
        .collect();
    super::customers::upsert_customers(&mut tx, backend, &customers).await?;
    let finished: Vec<_> = records
        .iter()
        .filter_map(|r| r.finish.as_ref())
        .map(|f| {
            (
                f.id.as_str(),
                f.status.as_str(),
                f.reply.as_ref(),
                f.via.as_str(),
                f.message_id.as_deref(),
            )
        })
        .collect();
    super::channels::finish_inbound_rows(&mut tx, backend, &finished).await?;
    let calls: Vec<CallRecord> = batch
        .iter()
        .filter_map(|op| match op {
            Op::Calls(c, _) => Some(c.iter().cloned()),
            _ => None,
        })
        .flatten()
        .collect();
    super::metering::insert_calls(&mut tx, backend, &calls).await?;
    tx.commit().await?;
    Ok(batch
        .iter()
        .map(|op| match op {
            Op::Record(r, _) => r
                .inbound
                .as_ref()
                .is_none_or(|row| inserted_ids.contains(&row.id)),
            Op::Conversation(..) | Op::Calls(..) => true,
        })
        .collect())
}

async fn answer(store: &Store, ops: impl Iterator<Item = Op>, inserted: Vec<bool>) {
    for (op, new) in ops.zip(inserted) {
        match op {
            Op::Record(r, reply) => {
                let result = match r.inbound {
                    Some(row) => stored(store, row, new).await.map(Some),
                    None => Ok(None),
                };
                let _ = reply.send(result);
            }
            Op::Conversation(_, reply) | Op::Calls(_, reply) => {
                let _ = reply.send(Ok(()));
            }
        }
    }
}

/// [`Stored::New`] for a row just inserted, else the row stored before it.
async fn stored(store: &Store, row: InboundRow, new: bool) -> Result<Stored, String> {
    if new {
        Ok(Stored::New(row))
    } else {
        store
            .inbound_by_key(&row.channel_id, &row.dedup_key)
            .await
            .map(Stored::Duplicate)
            .map_err(|e| e.to_string())
    }
}

fn fail(op: Op, error: String) {
    match op {
        Op::Record(_, reply) => {
            let _ = reply.send(Err(error));
        }
        Op::Conversation(_, reply) | Op::Calls(_, reply) => {
            let _ = reply.send(Err(error));
        }
    }
}
