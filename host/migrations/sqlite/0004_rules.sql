-- Per-tenant decision rules and business hours, and an audit log of configuration changes.

CREATE TABLE tenant_rules (
    tenant_id       TEXT PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    rules           TEXT NOT NULL,
    business_hours  TEXT,
    version         BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

CREATE TABLE audit_log (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    detail     TEXT NOT NULL,
    at         BIGINT NOT NULL
);
CREATE INDEX audit_log_tenant ON audit_log(tenant_id, at);
