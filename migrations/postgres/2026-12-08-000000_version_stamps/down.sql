DROP TABLE directory_stamps;
ALTER TABLE directory_version DROP COLUMN stamp;
