-- The states where each physician holds a license, ';'-joined postal codes:
-- whom they may see by telehealth. Practising in a state implies a license
-- there, so existing physicians start with their locations' states.
ALTER TABLE physicians ADD COLUMN licensed_states TEXT NOT NULL DEFAULT '';
UPDATE physicians SET licensed_states = coalesce(
    (SELECT string_agg(DISTINCT state, ';' ORDER BY state) FROM locations WHERE locations.npi = physicians.npi),
    '');
