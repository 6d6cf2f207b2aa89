-- The directory of record. Multi-valued attributes (specialties, conditions,
-- languages, services) are ';'-joined slugs/codes: the database stores and
-- versions the directory, while every query is answered from the in-memory
-- snapshot, so nothing ever joins on them.
CREATE TABLE physicians (
    npi TEXT PRIMARY KEY NOT NULL CHECK (length(npi) = 10),
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    credentials TEXT NOT NULL,
    gender TEXT NOT NULL,
    specialties TEXT NOT NULL,
    conditions TEXT NOT NULL,
    languages TEXT NOT NULL,
    accepting_new_patients BOOLEAN NOT NULL,
    telehealth BOOLEAN NOT NULL,
    last_updated TEXT NOT NULL
);

CREATE TABLE locations (
    npi TEXT NOT NULL REFERENCES physicians (npi) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL CHECK (ordinal >= 1),
    practice_name TEXT NOT NULL,
    street TEXT NOT NULL,
    city TEXT NOT NULL,
    state TEXT NOT NULL,
    zip TEXT NOT NULL,
    phone TEXT NOT NULL,
    lat DOUBLE NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lng DOUBLE NOT NULL CHECK (lng BETWEEN -180 AND 180),
    services TEXT NOT NULL,
    -- 'address' when the coordinates came with the record, 'zip' when they are
    -- the ZIP code's centroid.
    geocode_precision TEXT NOT NULL CHECK (geocode_precision IN ('address', 'zip')),
    PRIMARY KEY (npi, ordinal)
);

-- One row: bumped by every write so that instances notice changes cheaply.
CREATE TABLE directory_version (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    version BIGINT NOT NULL,
    updated_at TEXT NOT NULL
);
INSERT INTO directory_version (id, version, updated_at) VALUES (1, 0, '1970-01-01T00:00:00Z');

-- Which physicians each version changed, so that an instance catches up by
-- reloading only those. npi '*' means "too many to list: reload everything".
CREATE TABLE directory_changes (
    version BIGINT NOT NULL,
    npi TEXT NOT NULL,
    PRIMARY KEY (version, npi)
);

-- Who changed what through the admin API or an import.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    npi TEXT
);
