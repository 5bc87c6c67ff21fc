-- Rejections and remapped loans are keyed by their chunk's seq as well as their row number: a
-- client may number each chunk's rows afresh, and a later chunk's row 7 was dropped (ON CONFLICT
-- DO NOTHING) under the earlier one's. SQLite cannot change a primary key in place, so both tables
-- are rebuilt, keeping their rows under seq -1 ("recorded before the seq was kept"). Edited by
-- hand from drizzle-kit's output: its copy selected a `seq` the old tables do not have, and its
-- PRAGMA foreign_keys lines are dropped: no foreign key leads to or from these two tables, and
-- inside a transaction (D1 runs a migration in one, libSQL each file) the PRAGMA does nothing.
CREATE TABLE `__new_ingest_rejections` (
	`job_id` text NOT NULL,
	`kind` text NOT NULL,
	`row` integer NOT NULL,
	`seq` integer NOT NULL,
	`column` text,
	`reason` text NOT NULL,
	`customer_id` integer,
	PRIMARY KEY(`job_id`, `kind`, `row`, `seq`)
);
--> statement-breakpoint
INSERT INTO `__new_ingest_rejections`("job_id", "kind", "row", "seq", "column", "reason", "customer_id") SELECT "job_id", "kind", "row", -1, "column", "reason", "customer_id" FROM `ingest_rejections`;--> statement-breakpoint
DROP TABLE `ingest_rejections`;--> statement-breakpoint
ALTER TABLE `__new_ingest_rejections` RENAME TO `ingest_rejections`;--> statement-breakpoint
CREATE TABLE `__new_ingest_remaps` (
	`job_id` text NOT NULL,
	`row` integer NOT NULL,
	`seq` integer NOT NULL,
	`customer_id` integer NOT NULL,
	`source_loan_id` integer NOT NULL,
	`loan_id` integer NOT NULL,
	PRIMARY KEY(`job_id`, `row`, `seq`)
);
--> statement-breakpoint
INSERT INTO `__new_ingest_remaps`("job_id", "row", "seq", "customer_id", "source_loan_id", "loan_id") SELECT "job_id", "row", -1, "customer_id", "source_loan_id", "loan_id" FROM `ingest_remaps`;--> statement-breakpoint
DROP TABLE `ingest_remaps`;--> statement-breakpoint
ALTER TABLE `__new_ingest_remaps` RENAME TO `ingest_remaps`;
