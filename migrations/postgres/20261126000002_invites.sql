-- (PostgreSQL twin of migrations/sqlite.)
-- Invitations to join an organisation. The link's token is shown once; only its
-- HMAC digest is stored, like an API key's.
CREATE TABLE invites (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    email        TEXT NOT NULL,        -- lowercased address the invite was sent to
    role         TEXT NOT NULL CHECK (role IN ('admin', 'member')), -- role granted on acceptance
    token_digest BYTEA NOT NULL UNIQUE, -- HMAC(server secret, token); the token is never stored
    invited_by   TEXT REFERENCES users (id) ON DELETE SET NULL, -- NULL when the operator invited
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,     -- links stop working after this
    accepted_at  BIGINT,              -- set once; an accepted link cannot be reused
    revoked_at   BIGINT               -- an admin withdrew it
);
CREATE INDEX invites_org ON invites (org_id);
