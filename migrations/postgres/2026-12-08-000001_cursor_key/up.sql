-- The secret paging cursors are signed with (HMAC-SHA256), made once with
-- the database: every instance serving it accepts the cursors any of them
-- wrote, and a restart keeps them valid. gen_random_uuid (built in since
-- PostgreSQL 13) draws from pg_strong_random: two version-4 UUIDs are 244
-- random bits in 32 bytes. Written to run again on a database restored from
-- a dump made before it (`pg_restore --clean` leaves this table): the key
-- kept is as good as a new one.
CREATE TABLE IF NOT EXISTS cursor_key (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    secret BYTEA NOT NULL CHECK (length(secret) = 32)
);
INSERT INTO cursor_key (id, secret)
VALUES (1, decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex'))
ON CONFLICT (id) DO NOTHING;
