-- Human handoff (SPEC N5): agents with their own keys and the queues they serve; when a
-- conversation entered its queue and when an agent claimed it (for queue waits).
-- Routing (SPEC N4): versioned routing configurations per tenant and which version is live,
-- which is in gray rollout (to what share of customers) and which one a rollback returns to.

CREATE TABLE agents (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    id          TEXT NOT NULL,
    name        TEXT NOT NULL,
    key_hash    TEXT NOT NULL UNIQUE,
    queues      TEXT NOT NULL,
    active      BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

ALTER TABLE conversations ADD COLUMN queued_at BIGINT;
ALTER TABLE conversations ADD COLUMN claimed_at BIGINT;

CREATE TABLE routing_configs (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    version     BIGINT NOT NULL,
    config      TEXT NOT NULL,
    note        TEXT,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, version)
);

CREATE TABLE routing_state (
    tenant_id       TEXT PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    stable          BIGINT,
    candidate       BIGINT,
    gray_percent    BIGINT NOT NULL,
    previous        BIGINT,
    updated_at      BIGINT NOT NULL
);

-- Session inspections (SPEC Q1, A3): what each inspect plugin found in a conversation.
CREATE TABLE inspections (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL,
    conversation_id  TEXT NOT NULL,
    plugin           TEXT NOT NULL,
    version          TEXT NOT NULL,
    outcome          TEXT NOT NULL,
    result           TEXT NOT NULL,
    at               BIGINT NOT NULL
);
CREATE INDEX inspections_conversation ON inspections(tenant_id, conversation_id, at);
