-- WeCom customer service (微信客服): where each customer-service account's message pull
-- (kf/sync_msg) stands. The cursor advances only after the messages it covers are stored.
CREATE TABLE kf_cursors (
    channel_id   TEXT NOT NULL,
    open_kfid    TEXT NOT NULL,
    cursor       TEXT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (channel_id, open_kfid)
);

-- A customer's messages on a channel: the outbox's reply window and quota start at the
-- latest one, and agents' replies to WeCom customer-service chats find their account there.
CREATE INDEX inbound_customer ON inbound_messages(channel_id, customer_id, received_at);
