-- A loan that has taken API payments changes only by another payment, the one write that adds
-- exactly 1 to api_payments: its ledger was built on its terms and state. A workbook re-ingest
-- plans each row from a read, and a payment can land between that read and the chunk's write; the
-- upsert then met a loan it had read unpaid and skipped it (its WHERE api_payments = 0), while the
-- job report counted the row landed. Now the upsert's update reaches the loan, this trigger aborts
-- the chunk's whole batch, and the consumer reads the chunk again and rejects the row by name
-- (src/ingest/land-chunk.ts). The state columns and api_payments itself are guarded too, so no
-- write but a payment can rewrite a paid loan's balance or reset its count of payments. Written by
-- hand: drizzle-kit does not model triggers. The consumer matches the message text.
CREATE TRIGGER `loans_paid_change_by_payment_only`
BEFORE UPDATE OF `loan_amount_paise`, `tenure`, `interest_rate_bp`, `monthly_payment_paise`,
  `emis_paid_on_time`, `start_date`, `end_date`, `closed_on`, `outstanding_principal_paise`,
  `periods_settled`, `emi_paise`, `workbook_emis_paid_on_time`, `api_payments` ON `loans`
WHEN OLD.`api_payments` > 0 AND NEW.`api_payments` <> OLD.`api_payments` + 1
BEGIN
  SELECT RAISE(ABORT, 'LOAN_HAS_API_PAYMENTS: a loan with API payments changes only by a payment');
END;
