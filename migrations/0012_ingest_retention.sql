-- The ingest jobs' retention sweep (src/db/ingest-retention.ts) finds jobs whose latest chunk
-- activity is older than INGEST_RETENTION_DAYS: chunks oldest first through the first index, and
-- each one's job's latest activity through the second, so an hourly run reads the expired chunks
-- it deletes, not every job's. Only adds indexes: an older release ignores them.
CREATE INDEX `ingest_chunks_updated_at_idx` ON `ingest_chunks` (`updated_at`,`job_id`);--> statement-breakpoint
CREATE INDEX `ingest_chunks_job_updated_at_idx` ON `ingest_chunks` (`job_id`,`updated_at`);