-- A key list filtered by status or searched reads an index, not every key of the scope.
-- Measured on SQLite with 100,000 keys in a project: "Revoked" or "Expired" with no key
-- in that state counted in ~50 ms by reading each row; with the timestamps indexed after
-- the scope it is a range seek (under 1 ms). A search that matches nothing reads
-- `name` and `hint` from a covering index instead of the rows (~120 ms -> ~65 ms).
CREATE INDEX api_keys_revoked ON api_keys (org_id, project_id, revoked_at);
CREATE INDEX api_keys_expires ON api_keys (org_id, project_id, expires_at);
CREATE INDEX api_keys_search ON api_keys (org_id, project_id, name, hint);
