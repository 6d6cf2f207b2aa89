ALTER TABLE physicians DROP COLUMN licensed_states;
