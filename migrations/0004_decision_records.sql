CREATE TABLE `decision_records` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`customer_id` integer NOT NULL,
	`loan_id` integer,
	`created_at` text NOT NULL,
	`as_of_date` text NOT NULL,
	`model_version` text NOT NULL,
	`idempotency_key` text,
	`approved` integer NOT NULL,
	`credit_score` integer NOT NULL,
	`interest_rate_bp` integer NOT NULL,
	`monthly_instalment_paise` integer NOT NULL,
	`message` text NOT NULL,
	`start_date` text,
	`end_date` text,
	`request` text NOT NULL,
	`inputs` text NOT NULL,
	`score_breakdown` text NOT NULL,
	`reasons` text NOT NULL,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `decision_records_id_unique` ON `decision_records` (`id`);--> statement-breakpoint
CREATE INDEX `decision_records_customer_seq_idx` ON `decision_records` (`customer_id`,`seq`);--> statement-breakpoint
CREATE INDEX `decision_records_created_at_idx` ON `decision_records` (`created_at`);