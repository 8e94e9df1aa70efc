-- Channels (WeChat Official Account, WeCom, JSON webhook), durable deduplicated ingestion,
-- and the outbox of replies sent after the channel's deadline. Times are unix milliseconds.

CREATE TABLE channels (
    id                TEXT PRIMARY KEY,
    tenant_id         TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name              TEXT NOT NULL,
    kind              TEXT NOT NULL,
    token             TEXT,
    aes_key           TEXT,
    aes_key_previous  TEXT,
    app_id            TEXT,
    secret            TEXT,
    hmac_secret       TEXT,
    callback_url      TEXT,
    settings          TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE inbound_messages (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    channel_id   TEXT NOT NULL,
    dedup_key    TEXT NOT NULL,
    customer_id  TEXT NOT NULL,
    kind         TEXT NOT NULL,
    text         TEXT NOT NULL,
    fields       TEXT NOT NULL,
    received_at  BIGINT NOT NULL,
    status       TEXT NOT NULL,
    reply        TEXT,
    replied_via  TEXT,
    message_id   TEXT,
    updated_at   BIGINT NOT NULL,
    UNIQUE (channel_id, dedup_key)
);
CREATE INDEX inbound_status ON inbound_messages(status, received_at);

CREATE TABLE outbox (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL,
    channel_id       TEXT NOT NULL,
    inbound_id       TEXT,
    to_user          TEXT NOT NULL,
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts         BIGINT NOT NULL,
    next_attempt_at  BIGINT NOT NULL,
    last_error       TEXT,
    created_at       BIGINT NOT NULL,
    sent_at          BIGINT
);
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);

CREATE TABLE outbox_attempts (
    id           TEXT PRIMARY KEY,
    outbox_id    TEXT NOT NULL,
    at           BIGINT NOT NULL,
    http_status  BIGINT,
    errcode      BIGINT,
    error        TEXT
);
CREATE INDEX outbox_attempts_outbox ON outbox_attempts(outbox_id, at);

CREATE TABLE access_tokens (
    channel_id  TEXT PRIMARY KEY,
    token       TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);
