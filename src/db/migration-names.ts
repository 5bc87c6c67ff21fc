/**
 * The migration files the code expects to be applied, by name, as wrangler records them in
 * `d1_migrations`. Written out because the Worker cannot read `migrations/` at run time;
 * test/db/migration-names.node.test.ts fails when this list and the folder disagree, so a new
 * migration cannot be added without it.
 */
export const EXPECTED_MIGRATIONS: readonly string[] = [
  "0000_init.sql",
  "0001_ingestion.sql",
  "0002_node_queue.sql",
  "0003_servicing.sql",
  "0004_decision_records.sql",
  "0005_ingest_chunk_hash.sql",
  "0006_ingest_row_seq.sql",
  "0007_ingest_chunk_lands_once.sql",
  "0008_assigned_ids_within_2_53.sql",
  "0009_decision_inputs_shared.sql",
  "0010_ingest_deferred_loans.sql",
  "0011_ingested_loans_per_customer.sql",
  "0012_ingest_retention.sql",
  "0013_paid_loans_change_by_payment.sql",
  "0014_loan_tenure_whole_months.sql",
];

/**
 * Names recorded in `d1_migrations` that this release has no file for, in name order: a newer
 * release migrated the database, and this code would write with an older idea of its schema.
 */
export function unknownMigrations(
  recorded: Iterable<string>,
  expected: readonly string[] = EXPECTED_MIGRATIONS,
): string[] {
  const known = new Set(expected);
  return [...recorded].filter((name) => !known.has(name)).sort();
}
