-- How each key is used: requests per key, per outcome, per minute (kept 48 hours) and
-- per hour (kept 90 days by default, --usage-retention-days). Counted in memory and
-- added here in batches (at most 30 s behind); with several instances every instance
-- adds its own counts to the same rows. Both tables get every count, so a chart reads
-- hours without summing minutes, and pruning one never loses the other.
CREATE TABLE key_usage_minutes (
    key_id       TEXT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    bucket_start BIGINT NOT NULL, -- unix ms, the start of the minute
    code         TEXT NOT NULL,   -- VALID or a failure code that has a key (never MALFORMED or NOT_FOUND)
    requests     BIGINT NOT NULL,
    permissions  BIGINT NOT NULL, -- the permissions those requests asked for (PermissionSet bits, OR'd): least privilege reads it
    PRIMARY KEY (key_id, bucket_start, code)
);
-- Pruning deletes by age across every key.
CREATE INDEX key_usage_minutes_age ON key_usage_minutes (bucket_start);

CREATE TABLE key_usage_hours (
    key_id       TEXT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    bucket_start BIGINT NOT NULL, -- unix ms, the start of the hour (UTC)
    code         TEXT NOT NULL,
    requests     BIGINT NOT NULL,
    permissions  BIGINT NOT NULL,
    PRIMARY KEY (key_id, bucket_start, code)
);
CREATE INDEX key_usage_hours_age ON key_usage_hours (bucket_start);

-- The client of a key's latest platform API call (the detail page shows them; verify
-- callers are services, whose address says nothing about the key's user).
ALTER TABLE api_keys ADD COLUMN last_client_ip TEXT;
ALTER TABLE api_keys ADD COLUMN last_user_agent TEXT;
