-- Which write made each version: a random stamp drawn at its commit. A
-- version number can come back with other content (a restore, a copied file,
-- two databases served in turn); the pair (version, stamp) never does, so it
-- is what answers are tagged and cached by, and what a snapshot checks before
-- it follows the directory by its changes.
ALTER TABLE directory_version ADD COLUMN stamp TEXT NOT NULL DEFAULT '';
UPDATE directory_version SET stamp = lower(hex(randomblob(16)));

-- The stamp of every version since this table began, and how many
-- physicians the directory held then: a snapshot that finds another number
-- was read from a directory being restored, and is not served.
CREATE TABLE directory_stamps (
    version BIGINT PRIMARY KEY NOT NULL,
    stamp TEXT NOT NULL,
    physicians BIGINT
);
INSERT INTO directory_stamps (version, stamp, physicians)
SELECT version, stamp, (SELECT count(*) FROM physicians) FROM directory_version;
