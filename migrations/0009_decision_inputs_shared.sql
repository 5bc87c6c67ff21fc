-- A decision's inputs (salary, limit and every loan it read) move to their own table, stored once
-- for every record that read the same: a refusal repeated on an unchanged position used to store
-- the whole loan history again, up to 1.3 MB a record. New inputs are keyed by the SHA-256 of
-- their JSON text (src/db/decisions.ts); the ones already stored keep one copy each, keyed
-- `record:<decision id>`. SQLite adds a NOT NULL column only with a default, hence the '' that
-- the update below replaces and no write relies on. Partly written by hand: drizzle-kit does not
-- move data.
CREATE TABLE `decision_inputs` (
	`digest` text PRIMARY KEY NOT NULL,
	`inputs` text NOT NULL
);
--> statement-breakpoint
ALTER TABLE `decision_records` ADD `inputs_digest` text NOT NULL DEFAULT '';--> statement-breakpoint
INSERT INTO `decision_inputs` (`digest`, `inputs`) SELECT 'record:' || `id`, `inputs` FROM `decision_records`;--> statement-breakpoint
UPDATE `decision_records` SET `inputs_digest` = 'record:' || `id`;--> statement-breakpoint
ALTER TABLE `decision_records` DROP COLUMN `inputs`;--> statement-breakpoint
CREATE INDEX `decision_records_inputs_digest_idx` ON `decision_records` (`inputs_digest`);
