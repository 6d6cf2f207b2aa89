-- Which write made each version: a random stamp drawn at its commit. A
-- version number can come back with other content (a restore, a copied file,
-- two databases served in turn); the pair (version, stamp) never does, so it
-- is what answers are tagged and cached by, and what a snapshot checks before
-- it follows the directory by its changes.
--
-- Written to run again on a database restored from a dump made before it:
-- `pg_restore --clean` drops and recreates only the tables in the dump, so
-- `directory_stamps` survives, holding the discarded history's stamps.
ALTER TABLE directory_version ADD COLUMN IF NOT EXISTS stamp TEXT NOT NULL DEFAULT '';
UPDATE directory_version SET stamp = replace(gen_random_uuid()::text, '-', '');

-- The stamp of every version since this table began, and how many
-- physicians the directory held then: a snapshot that finds another number
-- was read from a directory being restored, and is not served.
CREATE TABLE IF NOT EXISTS directory_stamps (
    version BIGINT PRIMARY KEY NOT NULL,
    stamp TEXT NOT NULL,
    physicians BIGINT
);
DELETE FROM directory_stamps;
INSERT INTO directory_stamps (version, stamp, physicians)
SELECT version, stamp, (SELECT count(*) FROM physicians) FROM directory_version;
