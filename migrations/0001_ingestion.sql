CREATE TABLE `ingest_chunks` (
	`job_id` text NOT NULL,
	`seq` integer NOT NULL,
	`kind` text NOT NULL,
	`rows` integer NOT NULL,
	`status` text NOT NULL,
	`rows_landed` integer DEFAULT 0 NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	PRIMARY KEY(`job_id`, `seq`)
);
--> statement-breakpoint
CREATE TABLE `ingest_rejections` (
	`job_id` text NOT NULL,
	`kind` text NOT NULL,
	`row` integer NOT NULL,
	`column` text,
	`reason` text NOT NULL,
	PRIMARY KEY(`job_id`, `kind`, `row`)
);
--> statement-breakpoint
CREATE TABLE `ingest_remaps` (
	`job_id` text NOT NULL,
	`row` integer NOT NULL,
	`customer_id` integer NOT NULL,
	`source_loan_id` integer NOT NULL,
	`loan_id` integer NOT NULL,
	PRIMARY KEY(`job_id`, `row`)
);
