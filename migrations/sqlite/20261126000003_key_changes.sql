-- Changes to keys (revocation, rotation) that running servers must see at once.
-- Servers cache key lookups; on SQLite another process (the operator CLI) may revoke a
-- key, so every server polls this table (cheaply gated by PRAGMA data_version) and drops
-- the named keys from its cache. Rows are pruned after a day.
CREATE TABLE key_changes (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT, -- order of changes; a poller remembers the last it has seen
    key_id     TEXT NOT NULL,                     -- the changed key (no FK: only a hint to drop a cache entry)
    changed_at INTEGER NOT NULL                   -- unix ms, for pruning
);
