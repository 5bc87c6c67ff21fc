-- A chunk lands once. Two deliveries of one chunk can run at once (a send repeated after a lost
-- answer, concurrent consumers); each reads the chunk as not landed, and the later one could
-- store a loan the earlier one rejected (its customer arrived in between) while the report kept
-- the rejection. Landing an already landed chunk sets rows_landed to -1 (src/ingest/job-store.ts),
-- and this trigger aborts that whole batch, so the later delivery writes nothing. Written by hand:
-- drizzle-kit does not model triggers. The consumer matches the message text.
CREATE TRIGGER `ingest_chunks_land_once`
BEFORE UPDATE OF `rows_landed` ON `ingest_chunks`
WHEN NEW.`rows_landed` < 0
BEGIN
  SELECT RAISE(ABORT, 'INGEST_CHUNK_LANDED');
END;
