CREATE TABLE `payments` (
	`id` integer PRIMARY KEY NOT NULL,
	`loan_id` integer NOT NULL,
	`customer_id` integer NOT NULL,
	`period` integer NOT NULL,
	`paid_on` text NOT NULL,
	`amount_paise` integer NOT NULL,
	`interest_paise` integer NOT NULL,
	`principal_paise` integer NOT NULL,
	`balance_after_paise` integer NOT NULL,
	`on_time` integer NOT NULL,
	`source` text DEFAULT 'api' NOT NULL,
	`idempotency_key` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`loan_id`) REFERENCES `loans`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `payments_loan_period_idx` ON `payments` (`loan_id`,`period`);--> statement-breakpoint
CREATE INDEX `payments_idempotency_key_idx` ON `payments` (`idempotency_key`);--> statement-breakpoint
ALTER TABLE `loans` ADD `workbook_emis_paid_on_time` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `loans` ADD `api_payments` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `loans` ADD `outstanding_principal_paise` integer;--> statement-breakpoint
ALTER TABLE `loans` ADD `periods_settled` integer;--> statement-breakpoint
ALTER TABLE `loans` ADD `emi_paise` integer;--> statement-breakpoint
ALTER TABLE `loans` ADD `closed_on` text;--> statement-breakpoint
-- Backfill: before this migration no payment came through the API, so every on-time count is the workbook's (or 0 for an API-booked loan).
UPDATE `loans` SET `workbook_emis_paid_on_time` = `emis_paid_on_time`;--> statement-breakpoint
-- A loan whose recorded count covers its tenure is repaid on its last due date: start_date + tenure months, clamped to the month's end. The other servicing columns stay NULL: the opening state, derived from the terms.
UPDATE `loans` SET `closed_on` = min(date(`start_date`, 'start of month', '+' || `tenure` || ' months', '+' || (CAST(strftime('%d', `start_date`) AS INTEGER) - 1) || ' days'), date(`start_date`, 'start of month', '+' || (`tenure` + 1) || ' months', '-1 day')) WHERE `emis_paid_on_time` >= `tenure`;
