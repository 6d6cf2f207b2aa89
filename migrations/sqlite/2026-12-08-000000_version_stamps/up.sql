-- Which write made each version: a random stamp drawn at its commit. A
-- version number can come back with other content (a restore, a copied file,
-- two databases served in turn); the pair (version, stamp) never does, so it
-- is what answers are tagged and cached by, and what a snapshot checks before
-- it follows the directory by its changes.
ALTER TABLE directory_version ADD COLUMN stamp TEXT NOT NULL DEFAULT '';
UPDATE directory_version SET stamp = lower(hex(randomblob(16)));

-- The stamp of every version since this table began.
CREATE TABLE directory_stamps (
    version BIGINT PRIMARY KEY NOT NULL,
    stamp TEXT NOT NULL
);
INSERT INTO directory_stamps (version, stamp) SELECT version, stamp FROM directory_version;
