//! Group commit for the message path's writes.
//!
//! Every inbound message costs three writes (store it before the acknowledgement, store the
//! pipeline's result, mark it done), and a fourth when it changed the customer's profile. One
//! transaction each would cap a SQLite host at a few
//! thousand messages a second; instead one writer task takes every write that queued up while
//! the previous batch was committing and commits them together. Each caller still waits for
//! its own write to be committed — durability is unchanged, only the commits are shared. If a
//! batch fails, its writes are retried one by one so one bad row cannot fail its neighbours.

use tokio::sync::{mpsc, oneshot};

use super::{
    ConversationRow, CustomerRow, InboundRow, Store, StoreError, Stored, StoredMessage, TurnRow,
};

const MAX_BATCH: usize = 512;

enum Op {
    Inbound(InboundRow, oneshot::Sender<Result<Stored, String>>),
    Message(StoredMessage, oneshot::Sender<Result<(), String>>),
    Finish(Finish, oneshot::Sender<Result<(), String>>),
    Conversation(
        Box<(ConversationRow, Vec<TurnRow>)>,
        oneshot::Sender<Result<(), String>>,
    ),
    Customer(
        Box<(String, CustomerRow)>,
        oneshot::Sender<Result<(), String>>,
    ),
}

struct Finish {
    id: String,
    status: String,
    reply: Option<serde_json::Value>,
    via: String,
    message_id: Option<String>,
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
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Op::Inbound(row, tx))
            .await
            .map_err(|_| stopped())?;
        rx.await
            .map_err(|_| stopped())?
            .map_err(StoreError::Conflict)
    }

    /// Stores a processed message and its explanation.
    pub async fn message(&self, m: StoredMessage) -> Result<(), StoreError> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Op::Message(m, tx))
            .await
            .map_err(|_| stopped())?;
        rx.await
            .map_err(|_| stopped())?
            .map_err(StoreError::Conflict)
    }

    /// Creates or updates a conversation and appends turns to it.
    pub async fn conversation(
        &self,
        conversation: ConversationRow,
        turns: Vec<TurnRow>,
    ) -> Result<(), StoreError> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Op::Conversation(Box::new((conversation, turns)), tx))
            .await
            .map_err(|_| stopped())?;
        rx.await
            .map_err(|_| stopped())?
            .map_err(StoreError::Conflict)
    }

    /// Creates or replaces a customer's profile.
    pub async fn customer(&self, tenant: &str, c: CustomerRow) -> Result<(), StoreError> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Op::Customer(Box::new((tenant.to_owned(), c)), tx))
            .await
            .map_err(|_| stopped())?;
        rx.await
            .map_err(|_| stopped())?
            .map_err(StoreError::Conflict)
    }

    /// Records the outcome of an inbound message.
    pub async fn finish_inbound(
        &self,
        id: &str,
        status: &str,
        reply: Option<&serde_json::Value>,
        via: &str,
        message_id: Option<&str>,
    ) -> Result<(), StoreError> {
        let (tx, rx) = oneshot::channel();
        let op = Finish {
            id: id.to_owned(),
            status: status.to_owned(),
            reply: reply.cloned(),
            via: via.to_owned(),
            message_id: message_id.map(str::to_owned),
        };
        self.tx
            .send(Op::Finish(op, tx))
            .await
            .map_err(|_| stopped())?;
        rx.await
            .map_err(|_| stopped())?
            .map_err(StoreError::Conflict)
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
        match commit(&store, &batch).await {
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
            Op::Inbound(row, _) => Some(row),
            _ => None,
        })
        .collect();
    let inserted_ids = super::channels::insert_inbound_rows(&mut tx, backend, &inbound).await?;
    let messages: Vec<&StoredMessage> = batch
        .iter()
        .filter_map(|op| match op {
            Op::Message(m, _) => Some(m),
            _ => None,
        })
        .collect();
    super::messages::insert_messages(&mut tx, backend, &messages).await?;
    let conversations: Vec<&ConversationRow> = batch
        .iter()
        .filter_map(|op| match op {
            Op::Conversation(c, _) => Some(&c.0),
            _ => None,
        })
        .collect();
    super::conversations::upsert_conversations(&mut tx, backend, &conversations).await?;
    let turns: Vec<&TurnRow> = batch
        .iter()
        .filter_map(|op| match op {
            Op::Conversation(c, _) => Some(c.1.iter()),
            _ => None,
        })
        .flatten()
        .collect();
    super::conversations::insert_turns(&mut tx, backend, &turns).await?;
    let customers: Vec<(&str, &CustomerRow)> = batch
        .iter()
        .filter_map(|op| match op {
            Op::Customer(c, _) => Some((c.0.as_str(), &c.1)),
            _ => None,
        })
        .collect();
    super::customers::upsert_customers(&mut tx, backend, &customers).await?;
    let finished: Vec<_> = batch
        .iter()
        .filter_map(|op| match op {
            Op::Finish(f, _) => Some((
                f.id.as_str(),
                f.status.as_str(),
                f.reply.as_ref(),
                f.via.as_str(),
                f.message_id.as_deref(),
            )),
            _ => None,
        })
        .collect();
    super::channels::finish_inbound_rows(&mut tx, backend, &finished).await?;
    tx.commit().await?;
    Ok(batch
        .iter()
        .map(|op| match op {
            Op::Inbound(row, _) => inserted_ids.contains(&row.id),
            _ => true,
        })
        .collect())
}

async fn answer(store: &Store, ops: impl Iterator<Item = Op>, inserted: Vec<bool>) {
    for (op, new) in ops.zip(inserted) {
        match op {
            Op::Inbound(row, reply) => {
                let result = if new {
                    Ok(Stored::New(row))
                } else {
                    store
                        .inbound_by_key(&row.channel_id, &row.dedup_key)
                        .await
                        .map(Stored::Duplicate)
                        .map_err(|e| e.to_string())
                };
                let _ = reply.send(result);
            }
            Op::Message(_, reply)
            | Op::Finish(_, reply)
            | Op::Conversation(_, reply)
            | Op::Customer(_, reply) => {
                let _ = reply.send(Ok(()));
            }
        }
    }
}

fn fail(op: Op, error: String) {
    match op {
        Op::Inbound(_, reply) => {
            let _ = reply.send(Err(error));
        }
        Op::Message(_, reply)
        | Op::Finish(_, reply)
        | Op::Conversation(_, reply)
        | Op::Customer(_, reply) => {
            let _ = reply.send(Err(error));
        }
    }
}
