-- Keys in use: what a key is for, a pause, and where it may be used from.
-- description: free text its admins write (at most 500 characters); '' when none.
ALTER TABLE api_keys ADD COLUMN description TEXT NOT NULL DEFAULT '';
-- disabled_at: when the key was paused; NULL while enabled. A disabled key fails every
-- check (DISABLED) until it is enabled again; unlike a revoke this can be undone.
ALTER TABLE api_keys ADD COLUMN disabled_at BIGINT;
-- ip_allowlist: the networks the key may be used from, normalised CIDRs separated by
-- spaces (at most 50); NULL for any address.
ALTER TABLE api_keys ADD COLUMN ip_allowlist TEXT;
-- The key list's "Disabled" filter seeks, like "Revoked" and "Expired".
CREATE INDEX api_keys_disabled ON api_keys (org_id, project_id, disabled_at);
