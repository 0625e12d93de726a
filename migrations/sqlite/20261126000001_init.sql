-- GT Keys initial schema (SQLite). The PostgreSQL twin in migrations/postgres has the
-- same tables and columns; only the type names differ (BIGINT/BYTEA there).
-- Times are unix milliseconds (INTEGER), ids are UUIDv7 text: both backends store and
-- compare them alike.

-- Recognises the server secret without revealing it, so a server started with another
-- secret refuses to run instead of rejecting every key.
CREATE TABLE server_secret_checks (
    hash_version INTEGER PRIMARY KEY,   -- digest scheme this check belongs to
    check_value  BLOB    NOT NULL,      -- HMAC-SHA256(secret, fixed label)
    created_at   INTEGER NOT NULL       -- when the secret was first seen
);

CREATE TABLE organisations (
    id         TEXT PRIMARY KEY,        -- UUIDv7
    name       TEXT NOT NULL,           -- display name
    created_at INTEGER NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE, -- lowercased; the sign-in identifier
    name          TEXT NOT NULL,        -- display name
    password_hash TEXT,                 -- argon2id PHC string; NULL until a password is set
    created_at    INTEGER NOT NULL
);

CREATE TABLE memberships (
    org_id     TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('admin', 'member')), -- what the user may do in the org
    created_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE projects (
    id             TEXT PRIMARY KEY,    -- the GT_PROJECT_ID
    org_id         TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    default_locale TEXT NOT NULL,       -- normalised BCP 47 tag
    created_at     INTEGER NOT NULL
);
CREATE INDEX projects_org ON projects (org_id);

CREATE TABLE project_members (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id     TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE, -- lets every query scope by org without a join
    created_at INTEGER NOT NULL,
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX project_members_user ON project_members (user_id);

CREATE TABLE api_keys (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    project_id       TEXT REFERENCES projects (id) ON DELETE CASCADE, -- NULL for organisation keys
    key_type         TEXT NOT NULL CHECK (key_type IN ('production', 'development', 'organisation')),
    name             TEXT NOT NULL,
    digest           BLOB NOT NULL,     -- HMAC-SHA256(server secret, key); the key itself is never stored
    hash_version     INTEGER NOT NULL,  -- digest scheme, so the scheme or secret can change later
    hint             TEXT NOT NULL,     -- masked form for lists: prefix + first 4 + … + last 4
    permissions      INTEGER NOT NULL,  -- PermissionSet bit mask (normalised: write carries read)
    created_by       TEXT REFERENCES users (id) ON DELETE SET NULL, -- NULL when the operator CLI made it
    created_by_label TEXT NOT NULL,     -- who made it, as shown in lists; survives the user's removal
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER,           -- NULL = never; rotation shortens it to the grace period's end
    revoked_at       INTEGER,           -- soft delete: revoked keys stay for the record
    revoked_by_label TEXT,
    rotated_from     TEXT REFERENCES api_keys (id), -- the key this one replaced
    replaced_by      TEXT REFERENCES api_keys (id) DEFERRABLE INITIALLY DEFERRED, -- set on the old key when it is rotated; checked at commit so the old key can point at its replacement before that is inserted
    last_used_at     INTEGER,           -- minute precision, written in batches
    CHECK ((key_type = 'organisation') = (project_id IS NULL))
);
CREATE UNIQUE INDEX api_keys_digest ON api_keys (digest);
CREATE INDEX api_keys_org_project ON api_keys (org_id, project_id);
-- Names are unique among a scope's live keys; a rotated-out or revoked key frees its name.
CREATE UNIQUE INDEX api_keys_active_name ON api_keys (org_id, COALESCE(project_id, ''), name)
    WHERE revoked_at IS NULL AND replaced_by IS NULL;

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    token_digest BLOB NOT NULL UNIQUE,  -- HMAC of the cookie's token; the token is never stored
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,      -- for the idle timeout
    expires_at   INTEGER NOT NULL,      -- absolute timeout
    ip           TEXT,                  -- client address at sign-in
    user_agent   TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Append-only record of who did what; written in the same transaction as the change.
CREATE TABLE audit_events (
    id            TEXT PRIMARY KEY,     -- UUIDv7, so ids sort by time
    org_id        TEXT REFERENCES organisations (id), -- NULL for events outside any org (e.g. unknown-email sign-in)
    actor_user_id TEXT,                 -- no FK: the record outlives the user
    actor_label   TEXT NOT NULL,        -- email or "operator CLI", as it was then
    action        TEXT NOT NULL,        -- e.g. key.create, key.revoke
    target_type   TEXT,                 -- key, project, member, organisation, session
    target_id     TEXT,
    target_label  TEXT,                 -- the target's name then
    details       TEXT,                 -- JSON object with action-specific facts (never secrets)
    ip            TEXT,
    user_agent    TEXT,
    occurred_at   INTEGER NOT NULL
);
CREATE INDEX audit_events_org_time ON audit_events (org_id, occurred_at);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
