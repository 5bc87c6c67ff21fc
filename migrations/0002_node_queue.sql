CREATE TABLE `node_queue_messages` (
	`id` text PRIMARY KEY NOT NULL,
	`queue` text NOT NULL,
	`body` text NOT NULL,
	`attempts` integer NOT NULL,
	`available_at` integer NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `node_queue_messages_queue_idx` ON `node_queue_messages` (`queue`);--> statement-breakpoint
ALTER TABLE `ingest_rejections` ADD `customer_id` integer;