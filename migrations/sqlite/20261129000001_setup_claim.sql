-- First-run setup completes once. The setup that wins claims the one row of this table
-- in its own transaction; the primary key admits a single row, so setups racing on any
-- number of instances cannot each create an organisation and an admin (a check for
-- "no users yet" alone passes in every one of them under READ COMMITTED).
CREATE TABLE setup_claim (
    -- Always 1: the table holds at most one row.
    id INTEGER PRIMARY KEY CHECK (id = 1),
    -- When setup completed (unix milliseconds; 0 for instances set up before this table).
    claimed_at BIGINT NOT NULL
);

-- An instance that already has users was set up (or provisioned by the operator CLI).
INSERT INTO setup_claim (id, claimed_at) SELECT 1, 0 WHERE EXISTS (SELECT 1 FROM users);
