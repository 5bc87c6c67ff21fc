-- Ingestion gives one customer at most 5,000 loans: the most create-loan decides on
-- (MAX_LOANS_IN_A_DECISION) and view-loans packs into one value (PACKED_LOANS_AT_MOST). This
-- trigger holds it, also when two chunks of one customer land at once, each planned from a read
-- that did not see the other: the insert that takes a customer past the bound aborts its chunk's
-- whole batch, and the consumer reads the chunk again with its customers' loans counted and
-- rejects the rows past the bound by name (src/ingest/plan-loans.ts, LOANS_PER_CUSTOMER_AT_MOST).
-- Only a new ingested loan (source_loan_id set) is counted: a re-ingested
-- one is an upsert's update, which fires no insert trigger, and a loan booked through the API
-- has create-loan's own bound. Rows stored past the bound before this migration are left as they
-- are. The count stops at the first loan past the bound. Written by hand: drizzle-kit does not
-- model triggers. The consumer matches the message text.
CREATE TRIGGER `loans_ingested_per_customer_at_most_5000`
AFTER INSERT ON `loans`
WHEN NEW.`source_loan_id` IS NOT NULL
  AND EXISTS (SELECT 1 FROM `loans` WHERE `customer_id` = NEW.`customer_id` LIMIT 1 OFFSET 5000)
BEGIN
  SELECT RAISE(ABORT, 'INGEST_LOAN_BOUND: a customer holds at most 5000 ingested loans');
END;
