ALTER TABLE `ingest_chunks` ADD `content_hash` text;--> statement-breakpoint
-- A (job_id, seq) keeps the content it was registered with: registering another chunk under it
-- aborts the whole batch (the endpoint answers 409), even when two sends race. Written by hand:
-- drizzle-kit does not model triggers. The endpoint matches the message text.
CREATE TRIGGER `ingest_chunks_same_content`
BEFORE INSERT ON `ingest_chunks`
WHEN NEW.`content_hash` IS NOT NULL AND EXISTS (
  SELECT 1 FROM `ingest_chunks`
  WHERE `job_id` = NEW.`job_id` AND `seq` = NEW.`seq`
    AND `content_hash` IS NOT NULL AND `content_hash` <> NEW.`content_hash`
)
BEGIN
  SELECT RAISE(ABORT, 'INGEST_CHUNK_CONFLICT');
END;
