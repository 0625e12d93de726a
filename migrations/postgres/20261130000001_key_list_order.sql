-- The dashboard pages through a key list in the database, newest first by default
-- (`ORDER BY created_at DESC, id DESC LIMIT 50`). With the scope and the order in one
-- index, the first page of 100,000 keys reads 50 index entries instead of sorting them
-- all, and counting the scope reads only the index. It covers what the (org_id,
-- project_id) index did, which goes.
CREATE INDEX api_keys_list ON api_keys (org_id, project_id, created_at, id);
DROP INDEX api_keys_org_project;
