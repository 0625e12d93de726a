-- An organisation's key policy (admins set it on /orgs/{org}/settings).
-- max_key_lifetime_days: keys expire within this many days (30, 90 or 365); NULL for no
-- limit. Creating a key refuses a later expiry (and "never"); rotating caps the
-- replacement's expiry at it.
ALTER TABLE organisations ADD COLUMN max_key_lifetime_days INTEGER;
-- disable_unused_after_days: a key with no use for this many days (30, 60 or 90; counted
-- from its creation if never used) is disabled by a background task; NULL for off.
ALTER TABLE organisations ADD COLUMN disable_unused_after_days INTEGER;
