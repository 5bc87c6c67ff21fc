-- A decision's inputs (salary, limit and every loan it read) are stored once, in their own
-- table, for every record that read the same: a refusal repeated on an unchanged position used to
-- store the whole loan history again, up to 1.3 MB a record. Records made before this keep their
-- own copy in `inputs` (and no `inputs_digest`); nothing is moved or rebuilt, so the migration
-- takes the same moment on a database of any size (D1 stops a query after 30 s, and moving the
-- copies took 92 s for a million records on the development machine). See docs/decisions.md.
CREATE TABLE `decision_inputs` (
	`digest` text PRIMARY KEY NOT NULL,
	`inputs` text NOT NULL,
	`records` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `decision_records` ADD `inputs_digest` text;