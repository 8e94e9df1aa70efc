-- Conversations (one open per customer per channel, closed after an idle time), their turns,
-- and customer profiles. Times are unix milliseconds.

CREATE TABLE conversations (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    channel      TEXT NOT NULL,
    customer_id  TEXT NOT NULL,
    status       TEXT NOT NULL,
    owner        TEXT NOT NULL,
    queue        TEXT,
    agent_id     TEXT,
    intent       TEXT,
    started_at   BIGINT NOT NULL,
    last_at      BIGINT NOT NULL,
    closed_at    BIGINT
);
CREATE INDEX conversations_customer ON conversations(tenant_id, channel, customer_id, last_at);
CREATE INDEX conversations_queue ON conversations(tenant_id, owner, queue, status);

CREATE TABLE turns (
    id               TEXT PRIMARY KEY,
    conversation_id  TEXT NOT NULL,
    tenant_id        TEXT NOT NULL,
    role             TEXT NOT NULL,
    text             TEXT NOT NULL,
    at               BIGINT NOT NULL,
    message_id       TEXT,
    annotations      TEXT NOT NULL
);
CREATE INDEX turns_conversation ON turns(conversation_id, at);

CREATE TABLE customers (
    tenant_id    TEXT NOT NULL,
    customer_id  TEXT NOT NULL,
    name         TEXT,
    tags         TEXT NOT NULL,
    segment      TEXT,
    vip          BIGINT NOT NULL,
    profile      TEXT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, customer_id)
);
