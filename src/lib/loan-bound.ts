/**
 * The most loans one customer holds, booked or ingested. check-eligibility and create-loan refuse
 * a customer who holds this many (loansToDecideOn, src/routes/loan-request.ts), the booking's
 * guarded insert refuses the loan that would go past it (insertLoanIfAffordable, src/db/loans.ts),
 * and ingestion rejects the row that would (src/ingest/plan-loans.ts), held in the database by a
 * trigger (migrations/0011). So a decision reads at most one loan fewer, and view-loans packs
 * them all (PACKED_LOANS_AT_MOST).
 */
export const LOANS_PER_CUSTOMER_AT_MOST = 5_000;
