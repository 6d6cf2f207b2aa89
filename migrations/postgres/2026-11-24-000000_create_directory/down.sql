DROP TABLE directory_changes;
DROP TABLE audit_log;
DROP TABLE directory_version;
DROP TABLE locations;
DROP TABLE physicians;
