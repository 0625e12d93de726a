-- Changes to keys (revocation, rotation) that running servers must see at once.
-- Servers cache key lookups. On PostgreSQL they hear of changes through
-- NOTIFY gtx_key_changed; this table is the same record as on SQLite (where the servers
-- poll it), kept so both backends share one repository API. Rows are pruned after a day.
CREATE TABLE key_changes (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- order of changes
    key_id     TEXT NOT NULL,                                   -- the changed key
    changed_at BIGINT NOT NULL                                  -- unix ms, for pruning
);
