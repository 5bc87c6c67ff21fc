import { type SQL, type SQLWrapper, sql } from "drizzle-orm";
import type { BorrowerFacts } from "../domain/assessment";
import { sha256Hex } from "../lib/sha256";
import type { Database } from "./database";
import { batchableOnce, type Placeholders } from "./prepared";
import { decisionInputs, decisionRecords } from "./schema";

/*
 * A decision's inputs as stored. The record keeps the borrower's facts and, in order, the keys of
 * its loans' parts: runs of LOANS_IN_A_PART loans as the decision read them. Each part is stored
 * once in `decision_inputs`, under the SHA-256 of its text, and counts the records that read it.
 * A payment or a booking changes one part, so the next record stores that part and not the whole
 * history again (docs/decisions.md, "Inputs stored in parts").
 *
 * Two earlier forms are still read, swept and replayed: a record made before migration 0009 keeps
 * all its inputs in its own `inputs`; one made before parts names one whole copy in
 * `inputs_digest`.
 */

/** A loan as the decision read it: everything the score and the rules use, and its id. */
interface RecordedLoan {
  loanId: number;
  loanAmountPaise: number;
  tenure: number;
  interestRateBp: number;
  monthlyPaymentPaise: number;
  emisPaidOnTime: number;
  /** Absent in records made before model 2026-12.15, which did not read it. */
  periodsSettled?: number | null;
  startDate: string;
  endDate: string;
  /** Absent in records made before model 2026-12.1, which did not read it. */
  closedOn?: string | null;
}

export interface DecisionInputs {
  borrower: BorrowerFacts;
  loans: RecordedLoan[];
}

/**
 * 64 loans, some 16 KB at the widest: a record of a 5,000-loan customer names 79 parts (5 KB of
 * keys), and a change to one loan stores one part. Fewer loans a part would make the list of keys
 * the larger cost; more would make each changed part larger.
 */
export const LOANS_IN_A_PART = 64;

/** How a record's own `inputs` starts when it holds its parts' keys (a whole copy never does). */
const PARTS_PREFIX = '{"parts":[';

export interface StoredInputs {
  /** The record's own `inputs`: its parts' keys in order, then the borrower's facts. */
  own: string;
  parts: { digest: string; text: string }[];
}

/**
 * The inputs split as stored. The record builder (src/routes/decisions/decision-record.ts) writes
 * each loan's fields in one order, so the same loans always give the same parts and keys.
 */
export async function toStoredInputs(inputs: DecisionInputs): Promise<StoredInputs> {
  const texts: string[] = [];
  for (let start = 0; start < inputs.loans.length; start += LOANS_IN_A_PART) {
    texts.push(JSON.stringify(inputs.loans.slice(start, start + LOANS_IN_A_PART)));
  }
  const parts = await Promise.all(
    texts.map(async (text) => ({ digest: await sha256Hex(text), text })),
  );
  const own = JSON.stringify({
    parts: parts.map((part) => part.digest),
    borrower: inputs.borrower,
  });
  return { own, parts };
}

/**
 * Stores the parts a record read that are not stored yet, and counts one more record reading
 * each, in the record's batch right after it and only if it was written: a booking the guard
 * refused leaves nothing behind. One statement, whatever the number of parts.
 */
export function insertPartsOf(db: Database, recordId: string, inputs: StoredInputs) {
  const rows = JSON.stringify(inputs.parts.map((part) => [part.digest, part.text]));
  return batchablePartsInsert(db, { rows, recordId });
}

const batchablePartsInsert = batchableOnce((db, value: Placeholders<"rows" | "recordId">) =>
  db
    .insert(decisionInputs)
    .select(
      sql`SELECT value ->> 0, value ->> 1, 1 FROM json_each(${value("rows")}) WHERE EXISTS (SELECT 1 FROM ${decisionRecords} WHERE ${decisionRecords.id} = ${value("recordId")})`,
    )
    .onConflictDoUpdate({
      target: decisionInputs.digest,
      set: { records: sql`${decisionInputs.records} + 1` },
    }),
);

const own = decisionRecords.inputs;
const borrowerThenLoans = (loans: SQL) =>
  sql`'{"borrower":' || (${own} -> '$.borrower') || ',"loans":' || ${loans} || '}'`;

/**
 * The record's inputs as JSON text, whichever form it was stored in. A part that is missing
 * makes it null, never a shorter history: the record then reads as damaged, not as a decision
 * on fewer loans than it read. Up to 64 loans, one part: its text is the list, with no sorting.
 */
export const RECORD_INPUTS = sql<string | null>`CASE
  WHEN ${decisionRecords.inputsDigest} IS NOT NULL
    THEN (SELECT c.inputs FROM ${decisionInputs} c WHERE c.digest = ${decisionRecords.inputsDigest})
  WHEN substr(${own}, 1, ${PARTS_PREFIX.length}) <> ${PARTS_PREFIX} THEN ${own}
  ELSE CASE json_array_length(${own}, '$.parts')
    WHEN 0 THEN ${borrowerThenLoans(sql`'[]'`)}
    WHEN 1 THEN ${borrowerThenLoans(sql`(SELECT c.inputs FROM ${decisionInputs} c WHERE c.digest = ${own} ->> '$.parts[0]')`)}
    ELSE ${borrowerThenLoans(
      sql`(SELECT CASE WHEN count(c.digest) = count(*) THEN '[' || group_concat(substr(c.inputs, 2, length(c.inputs) - 2), ',' ORDER BY p.key) || ']' END
        FROM json_each(${own}, '$.parts') p LEFT JOIN ${decisionInputs} c ON c.digest = p.value)`,
    )}
  END
END`;

/**
 * The keys of the stored inputs that the records whose seqs `seqs` selects read, once for every
 * record reading each: what the retention sweep counts off and may delete. `seqs` is a subquery
 * (drizzle puts it in parentheses).
 */
export function inputsReadBy(seqs: SQLWrapper) {
  return sql`SELECT r.inputs_digest AS digest FROM ${decisionRecords} r
    WHERE r.seq IN ${seqs} AND r.inputs_digest IS NOT NULL
    UNION ALL
    SELECT p.value AS digest FROM ${decisionRecords} r, json_each(r.inputs, '$.parts') p
    WHERE r.seq IN ${seqs} AND r.inputs_digest IS NULL
      AND substr(r.inputs, 1, ${PARTS_PREFIX.length}) = ${PARTS_PREFIX}`;
}
