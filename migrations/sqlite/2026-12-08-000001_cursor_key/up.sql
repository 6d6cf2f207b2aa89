-- The secret paging cursors are signed with (HMAC-SHA256), made once with
-- the database: every instance serving it accepts the cursors any of them
-- wrote, and a restart keeps them valid. randomblob is SQLite's CSPRNG
-- (ChaCha20, seeded from the operating system).
CREATE TABLE cursor_key (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    secret BLOB NOT NULL CHECK (length(secret) = 32)
);
INSERT INTO cursor_key (id, secret) VALUES (1, randomblob(32));
