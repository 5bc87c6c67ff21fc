-- A loan's tenure is a whole number of months, at least 1: every schedule, statement, payment and
-- credit score counts to it or divides by it, and a stored 0 (no release writes one; a hand-edited
-- or third-party-written database can) made every endpoint that reads the customer's loans answer
-- 500. No CHECK constraint: SQLite cannot add one to a table, and rebuilding `loans` would rewrite
-- every row. Rows already stored are checked first: one is refused here, naming how to find it,
-- rather than answered 500 ever after (the helper table's IF NOT EXISTS: a runner that kept the
-- statements before a failure finds them again). Written by hand: drizzle-kit does not model
-- triggers.
CREATE TABLE IF NOT EXISTS `_loans_with_invalid_tenure` (`id` integer);
--> statement-breakpoint
CREATE TRIGGER IF NOT EXISTS `_loans_with_invalid_tenure_refused`
BEFORE INSERT ON `_loans_with_invalid_tenure`
BEGIN
  SELECT RAISE(ABORT, 'LOAN_TENURE_INVALID: a stored loan''s tenure is not a whole number of months of at least 1 (SELECT id, tenure FROM loans WHERE typeof(tenure) <> ''integer'' OR tenure < 1); correct or delete it, then migrate again');
END;
--> statement-breakpoint
INSERT INTO `_loans_with_invalid_tenure`
SELECT `id` FROM `loans` WHERE typeof(`tenure`) <> 'integer' OR `tenure` < 1 LIMIT 1;
--> statement-breakpoint
DROP TABLE `_loans_with_invalid_tenure`;
--> statement-breakpoint
CREATE TRIGGER `loans_tenure_whole_months_on_insert`
BEFORE INSERT ON `loans`
WHEN typeof(NEW.`tenure`) <> 'integer' OR NEW.`tenure` < 1
BEGIN
  SELECT RAISE(ABORT, 'LOAN_TENURE_INVALID: a loan''s tenure is a whole number of months, at least 1');
END;
--> statement-breakpoint
CREATE TRIGGER `loans_tenure_whole_months_on_update`
BEFORE UPDATE OF `tenure` ON `loans`
WHEN typeof(NEW.`tenure`) <> 'integer' OR NEW.`tenure` < 1
BEGIN
  SELECT RAISE(ABORT, 'LOAN_TENURE_INVALID: a loan''s tenure is a whole number of months, at least 1');
END;
