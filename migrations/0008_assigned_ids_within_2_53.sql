-- An id the database assigns stays a number JavaScript holds exactly (at most 2^53 - 1, the API's
-- largest id). Ingested workbooks may bring customer and loan ids up to that bound, and SQLite
-- gives a new row the largest id plus one: past the bound, two customers' ids would read as one
-- number and the API would acknowledge the wrong id. The insert is refused whole instead, and the
-- API answers 503 naming the table (src/http/error-handler.ts). Written by hand: drizzle-kit does
-- not model triggers.
CREATE TRIGGER `customers_id_within_2_53`
AFTER INSERT ON `customers`
WHEN NEW.`id` > 9007199254740991
BEGIN
  SELECT RAISE(ABORT, 'ID_RANGE_EXHAUSTED: customers');
END;--> statement-breakpoint
CREATE TRIGGER `loans_id_within_2_53`
AFTER INSERT ON `loans`
WHEN NEW.`id` > 9007199254740991
BEGIN
  SELECT RAISE(ABORT, 'ID_RANGE_EXHAUSTED: loans');
END;--> statement-breakpoint
CREATE TRIGGER `payments_id_within_2_53`
AFTER INSERT ON `payments`
WHEN NEW.`id` > 9007199254740991
BEGIN
  SELECT RAISE(ABORT, 'ID_RANGE_EXHAUSTED: payments');
END;
