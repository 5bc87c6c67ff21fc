-- Loan rows an ingest chunk sent with `defer_new_ids` held back because their Loan ID belongs to a
-- stored loan that is not theirs: the client sends them again once every row keeping its own Loan
-- ID has landed, so a new id never takes a Loan ID a later row of the run brings
-- (docs/ingestion.md#loan-ids). Only adds a table: an older release ignores it.
CREATE TABLE `ingest_deferred_loans` (
	`job_id` text NOT NULL,
	`seq` integer NOT NULL,
	`row` integer NOT NULL,
	`customer_id` integer NOT NULL,
	`source_loan_id` integer NOT NULL,
	`loan` text NOT NULL,
	PRIMARY KEY(`job_id`, `row`, `seq`)
);
