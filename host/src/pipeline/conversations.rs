//! Conversations: one open per customer per channel, ended by an idle time (default 30 min).
//! The recent turns are what plugins receive as the session context.
//!
//! The current conversation of each active customer and its last turns are kept in memory, so
//! a message costs no extra read; writes go through the group-commit writer with the message.
//! In a deployment of several replicas, a customer's messages should reach one replica (the
//! channel callbacks route by tenant and customer) or the cache will see only its own turns.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use crate::store::{ConversationRow, Store, StoreError, TurnRow};

/// Turns handed to plugins as context.
pub const CONTEXT_TURNS: usize = 20;
/// Customers whose conversation is kept in memory.
const CACHE_CAPACITY: usize = 100_000;

type Key = (String, String, String);

/// What plugins see of a turn.
#[derive(Clone, Debug)]
pub struct ContextTurn {
    pub role: String,
    pub text: String,
    pub at: i64,
}

impl From<&TurnRow> for ContextTurn {
    fn from(t: &TurnRow) -> Self {
        ContextTurn {
            role: t.role.clone(),
            text: t.text.clone(),
            at: t.at,
        }
    }
}

#[derive(Clone)]
struct Cached {
    conversation: ConversationRow,
    turns: VecDeque<ContextTurn>,
}

/// See the module docs.
pub struct Conversations {
    store: Store,
    idle_ms: i64,
    cache: Mutex<HashMap<Key, Cached>>,
}

/// A message's conversation: the row (maybe new) and its recent turns, plus a conversation
/// that idled out and must be closed.
pub struct Current {
    pub conversation: ConversationRow,
    pub turns: Vec<ContextTurn>,
    pub closed: Option<ConversationRow>,
}

impl Conversations {
    pub fn new(store: Store, idle_ms: i64) -> Self {
        Conversations {
            store,
            idle_ms,
            cache: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Cached>> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The conversation a message at `now` belongs to, with its recent turns when
    /// `with_turns` (else none: copying them is wasted when no plugin reads them).
    pub async fn current(
        &self,
        tenant: &str,
        channel: &str,
        customer: &str,
        now: i64,
        with_turns: bool,
    ) -> Result<Current, StoreError> {
        let key = (tenant.to_owned(), channel.to_owned(), customer.to_owned());
        let cached = self.lock().get(&key).map(|c| {
            (
                c.conversation.clone(),
                if with_turns {
                    c.turns.iter().cloned().collect()
                } else {
                    Vec::new()
                },
            )
        });
        let (latest, turns) = match cached {
            Some((c, turns)) => (Some(c), turns),
            None => match self
                .store
                .latest_conversation(tenant, channel, customer)
                .await?
            {
                Some(c) => {
                    let turns = self.store.turns(&c.id, CONTEXT_TURNS as i64).await?;
                    (Some(c), turns.iter().map(ContextTurn::from).collect())
                }
                None => (None, Vec::new()),
            },
        };
        match latest {
            Some(c) if c.status == "open" && now - c.last_at <= self.idle_ms => Ok(Current {
                conversation: c,
                turns,
                closed: None,
            }),
            previous => {
                let closed = previous.filter(|c| c.status == "open").map(|mut c| {
                    c.status = "closed".into();
                    c.closed_at = Some(c.last_at + self.idle_ms);
                    c
                });
                Ok(Current {
                    conversation: ConversationRow {
                        id: crate::store::new_id(),
                        tenant_id: tenant.to_owned(),
                        channel: channel.to_owned(),
                        customer_id: customer.to_owned(),
                        status: "open".into(),
                        owner: "bot".into(),
                        queue: None,
                        agent_id: None,
                        intent: None,
                        started_at: now,
                        last_at: now,
                        closed_at: None,
                        queued_at: None,
                        claimed_at: None,
                    },
                    turns: Vec::new(),
                    closed,
                })
            }
        }
    }

    /// Remembers a conversation's new state and turns. Unless `owner_changed`, the ownership
    /// (owner, queue, agent) is taken from the cached state, which an agent may have changed
    /// since the message read it; `conversation` is updated to match.
    pub fn remember(
        &self,
        conversation: &mut ConversationRow,
        new_turns: &[TurnRow],
        owner_changed: bool,
    ) {
        let key = (
            conversation.tenant_id.clone(),
            conversation.channel.clone(),
            conversation.customer_id.clone(),
        );
        let mut cache = self.lock();
        if cache.len() >= CACHE_CAPACITY && !cache.contains_key(&key) {
            // Forget the idle ones first; a full cache of active customers is simply cleared.
            let horizon = conversation.last_at - self.idle_ms;
            cache.retain(|_, c| c.conversation.last_at >= horizon);
            if cache.len() >= CACHE_CAPACITY {
                cache.clear();
            }
        }
        let entry = cache.entry(key).or_insert_with(|| Cached {
            conversation: conversation.clone(),
            turns: VecDeque::new(),
        });
        if entry.conversation.id != conversation.id {
            entry.turns.clear();
        } else if !owner_changed {
            let c = &entry.conversation;
            conversation.owner = c.owner.clone();
            conversation.queue = c.queue.clone();
            conversation.agent_id = c.agent_id.clone();
            conversation.queued_at = c.queued_at;
            conversation.claimed_at = c.claimed_at;
            if c.status == "closed" {
                conversation.status = c.status.clone();
                conversation.closed_at = c.closed_at;
            }
        }
        entry.conversation = conversation.clone();
        for t in new_turns {
            entry.turns.push_back(ContextTurn::from(t));
            if entry.turns.len() > CONTEXT_TURNS {
                entry.turns.pop_front();
            }
        }
    }

    /// Changes a conversation's state on behalf of an agent: `f` checks the freshest state (the
    /// cached one when the customer is active, else `stored`) and returns the new one, all under
    /// the cache lock, so a message being processed at the same time keeps the agent's change.
    /// When `f` refuses, nothing changes. Returns the new state, to be written.
    pub fn try_update<E>(
        &self,
        stored: ConversationRow,
        f: impl FnOnce(&ConversationRow) -> Result<ConversationRow, E>,
    ) -> Result<ConversationRow, E> {
        let key = (
            stored.tenant_id.clone(),
            stored.channel.clone(),
            stored.customer_id.clone(),
        );
        let mut cache = self.lock();
        match cache.get_mut(&key) {
            Some(entry) if entry.conversation.id == stored.id => {
                entry.conversation = f(&entry.conversation)?;
                Ok(entry.conversation.clone())
            }
            _ => f(&stored),
        }
    }

    /// Adds turns written outside the pipeline (an agent's reply) to the cached context.
    pub fn add_turns(&self, conversation: &ConversationRow, new_turns: &[TurnRow]) {
        let key = (
            conversation.tenant_id.clone(),
            conversation.channel.clone(),
            conversation.customer_id.clone(),
        );
        if let Some(entry) = self.lock().get_mut(&key)
            && entry.conversation.id == conversation.id
        {
            for t in new_turns {
                entry.turns.push_back(ContextTurn::from(t));
                if entry.turns.len() > CONTEXT_TURNS {
                    entry.turns.pop_front();
                }
            }
        }
    }

    /// Forgets a customer's cached conversation (after a change made elsewhere).
    pub fn forget(&self, tenant: &str, channel: &str, customer: &str) {
        self.lock()
            .remove(&(tenant.to_owned(), channel.to_owned(), customer.to_owned()));
    }
}
