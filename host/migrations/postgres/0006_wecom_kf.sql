-- WeCom customer service (微信客服): where each customer-service account's message pull
-- (kf/sync_msg) stands. The cursor advances only after the messages it covers are stored.
CREATE TABLE kf_cursors (
    channel_id   TEXT NOT NULL,
    open_kfid    TEXT NOT NULL,
    cursor       TEXT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (channel_id, open_kfid)
);

-- Which customer-service account each WeCom customer wrote to: an agent's reply goes out
-- through that account.
CREATE TABLE kf_customers (
    channel_id   TEXT NOT NULL,
    customer_id  TEXT NOT NULL,
    open_kfid    TEXT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (channel_id, customer_id)
);
