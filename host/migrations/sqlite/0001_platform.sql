-- Platform core: tenants, keys, add-on catalog, subscriptions, plugin packages, per-tenant
-- enablement, plugin key/value data, metering, messages. Times are unix milliseconds.

CREATE TABLE tenants (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    timezone    TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE api_keys (
    key_hash    TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    prefix      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX api_keys_tenant ON api_keys(tenant_id);

CREATE TABLE addons (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL,
    price_cents  BIGINT NOT NULL,
    currency     TEXT NOT NULL,
    period       TEXT NOT NULL
);

CREATE TABLE subscriptions (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    addon_id      TEXT NOT NULL REFERENCES addons(id),
    status        TEXT NOT NULL,
    started_at    BIGINT NOT NULL,
    cancelled_at  BIGINT
);
CREATE INDEX subscriptions_tenant ON subscriptions(tenant_id, addon_id);

CREATE TABLE plugin_versions (
    plugin_id     TEXT NOT NULL,
    version       TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    name          TEXT NOT NULL,
    addon_id      TEXT,
    hooks         TEXT NOT NULL,
    manifest      TEXT NOT NULL,
    key_id        TEXT NOT NULL,
    package       BLOB NOT NULL,
    installed_at  BIGINT NOT NULL,
    PRIMARY KEY (plugin_id, version)
);

CREATE TABLE tenant_plugins (
    tenant_id         TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    plugin_id         TEXT NOT NULL,
    version           TEXT NOT NULL,
    previous_version  TEXT,
    enabled           BIGINT NOT NULL,
    config            TEXT NOT NULL,
    updated_at        BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, plugin_id)
);

CREATE TABLE plugin_kv (
    tenant_id  TEXT NOT NULL,
    plugin_id  TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      BLOB NOT NULL,
    size       BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, plugin_id, key)
);

CREATE TABLE plugin_calls (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    plugin_id    TEXT NOT NULL,
    version      TEXT NOT NULL,
    hook         TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    duration_us  BIGINT NOT NULL,
    fuel         BIGINT,
    error        TEXT,
    at           BIGINT NOT NULL
);
CREATE INDEX plugin_calls_tenant_at ON plugin_calls(tenant_id, at);

CREATE TABLE plugin_usage_daily (
    tenant_id    TEXT NOT NULL,
    plugin_id    TEXT NOT NULL,
    version      TEXT NOT NULL,
    day          TEXT NOT NULL,
    hook         TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    calls        BIGINT NOT NULL,
    duration_us  BIGINT NOT NULL,
    fuel         BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, plugin_id, version, day, hook, outcome)
);

CREATE TABLE messages (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    channel      TEXT NOT NULL,
    customer_id  TEXT NOT NULL,
    text         TEXT NOT NULL,
    received_at  BIGINT NOT NULL,
    result       TEXT NOT NULL
);
CREATE INDEX messages_tenant_at ON messages(tenant_id, received_at);

-- The add-on catalog of SPEC.md B2 (prices from the seed, §2.3). The skill pack has no list
-- price in the seed: the operator sets it.
INSERT INTO addons (id, name, description, price_cents, currency, period) VALUES
  ('dialect-pack', '方言识别包', 'Dialect recognition (Cantonese): customers writing Cantonese are understood', 2000000, 'CNY', 'year'),
  ('quality-inspection', '对话质检', 'Session quality inspection: missing closings, forbidden wording, timeouts, missed escalations', 80000, 'CNY', 'month'),
  ('emotion-recognition', '情绪识别', 'Per-message sentiment and emotion, escalation of angry customers (technical service fee)', 300000, 'CNY', 'once'),
  ('nlp-upgrade', 'NLP升级', 'A stronger intent classifier: from ~85% to >=95% accuracy', 6000000, 'CNY', 'year'),
  ('skill-pack-education', '教育行业技能包', 'Industry skill pack for education and training: script library, K12 segmentation, course recommendations', 0, 'CNY', 'year');
