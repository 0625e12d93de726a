-- Webhooks: an organisation's endpoints, the outbox of key events, and each event's
-- deliveries to each endpoint (attempts, backoff, the delivery log).

-- sealed_secret: the signing secret, hex of XChaCha20-Poly1305 (nonce, ciphertext) under
-- a key derived from the server secret, with the endpoint's id as associated data; never
-- the secret itself. events: the event types it wants, comma-separated ('' for every type).
CREATE TABLE webhook_endpoints (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    url              TEXT NOT NULL,
    events           TEXT NOT NULL,
    sealed_secret    TEXT NOT NULL,
    enabled          INTEGER NOT NULL, -- 1 or 0
    created_at       BIGINT NOT NULL,
    created_by_label TEXT NOT NULL
);
CREATE INDEX webhook_endpoints_org ON webhook_endpoints (org_id);

-- The outbox: one row per event, written in the transaction of the change it reports,
-- with the body every delivery sends (id = the webhook-id header, the same on every try).
CREATE TABLE webhook_events (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    event_type TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- One per event and endpoint that wants it. state: pending, delivered or failed (the
-- schedule ran out). An instance claims a due delivery by setting locked_until (a lease)
-- and attempts; the log is the last attempt's status, error and duration.
CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,
    event_id         TEXT NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    endpoint_id      TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    state            TEXT NOT NULL,
    attempts         INTEGER NOT NULL,
    next_attempt_at  BIGINT NOT NULL,
    locked_until     BIGINT,
    last_attempt_at  BIGINT,
    last_status      INTEGER,
    last_error       TEXT,
    last_duration_ms BIGINT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, next_attempt_at);

-- Expiry reminders sent: one per key and threshold (7d, 1d, expired), never twice.
CREATE TABLE webhook_key_reminders (
    key_id    TEXT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    threshold TEXT NOT NULL,
    PRIMARY KEY (key_id, threshold)
);
