import * as v from "valibot";
import { CustomerRowSchema, LoanRowSchema, worksheetRowSchema } from "./rows";

/*
 * What travels from the ingest script to the Worker and through the queue: messages, each one
 * chunk of rows of one kind, identified by (job_id, seq). Sizes are chosen for the platform:
 * a queue message holds at most 128 KB and one sendBatch at most 100 messages and 256 KB.
 */

export const QUEUE_LIMITS = {
  maxMessageBytes: 120_000,
  maxMessagesPerSend: 100,
  maxSendBytes: 240_000,
} as const;

/**
 * Rows per chunk: one message (≤ 120 KB), and few enough that a full consumer invocation (10
 * chunks) stays within D1's 1,000 queries (test/ingest/consumer.test.ts counts them). 500 rather
 * than 250: 100 k loans land 14–17 % faster on `wrangler dev` (docs/performance.md).
 */
export const ROWS_PER_CHUNK = 500;

const jobIdSchema = v.pipe(
  v.string("must be text"),
  v.regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1 to 64 letters, digits, '-' or '_'"),
);
/**
 * A chunk's number within its job. Bounded to safe integers: past 2^53 two numbers parse to the
 * same one (9007199254740993 is read as …992), and 1e300 is "whole" but no row key.
 */
const seqSchema = v.pipe(
  v.number("must be a number"),
  v.integer("must be a whole number"),
  v.minValue(0, "must be at least 0"),
  v.maxValue(Number.MAX_SAFE_INTEGER, `must be at most ${Number.MAX_SAFE_INTEGER}`),
);

/**
 * Refuses a list in which an item repeats an earlier one's key, naming the later item's `field`
 * (`rows.3.row`) and, in the message, the earlier item. Checked once the items are valid.
 */
function uniqueBy<TItem extends Record<string, unknown>, TField extends keyof TItem & string>(
  keyOf: (item: TItem) => unknown,
  field: TField,
  message: (first: number) => string,
) {
  return v.rawCheck<TItem[]>(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const items = dataset.value;
    const firstOf = new Map<unknown, number>();
    items.forEach((item, index) => {
      const key = keyOf(item);
      const first = firstOf.get(key);
      if (first === undefined) {
        firstOf.set(key, index);
        return;
      }
      addIssue({
        message: message(first),
        path: [
          { type: "array", origin: "value", input: items, key: index, value: item },
          { type: "object", origin: "value", input: item, key: field, value: item[field] },
        ],
      });
    });
  });
}

/**
 * A chunk's rows: at least one, at most one chunk's worth, each valid against `row`, each under
 * its own worksheet row number. The job report knows a row by its chunk and number: two rows
 * under one number could not both be reported (the later one's rejection was lost).
 */
function chunkRows<TRow extends v.GenericSchema<unknown, { row: number }>>(row: TRow) {
  return v.pipe(
    v.array(row),
    v.minLength(1, "must not be empty"),
    v.maxLength(ROWS_PER_CHUNK, `must hold at most ${ROWS_PER_CHUNK} rows`),
    uniqueBy(
      (item) => item.row,
      "row",
      (first) => `repeats the row number of rows.${first}: each row of a sheet has its own number`,
    ),
  );
}

/**
 * On a loan chunk: a row that would take a new id from the database (its Loan ID held by a stored
 * loan that is not its own, or marked `remap`) is not landed but deferred, listed in the job
 * report with the row for the client to send again, without this field, once every row keeping
 * its own Loan ID has landed (docs/ingestion.md#loan-ids). Absent: such a row takes its new id at
 * once, as before the field existed.
 */
const deferNewIdsSchema = v.optional(v.literal(true, "must be true when present"));

export const IngestMessageSchema = v.variant("kind", [
  v.object({
    job_id: jobIdSchema,
    seq: seqSchema,
    kind: v.literal("customers"),
    rows: chunkRows(CustomerRowSchema),
  }),
  v.object({
    job_id: jobIdSchema,
    seq: seqSchema,
    kind: v.literal("loans"),
    defer_new_ids: deferNewIdsSchema,
    rows: chunkRows(LoanRowSchema),
  }),
]);
export type IngestMessage = v.InferOutput<typeof IngestMessageSchema>;
export type CustomerChunk = Extract<IngestMessage, { kind: "customers" }>;
export type LoanChunk = Extract<IngestMessage, { kind: "loans" }>;

/**
 * What the consumer needs of a message before it judges its rows one by one: a chunk's identity,
 * kind and size, and a worksheet row number on every row (what a rejection is reported by). A
 * message the endpoint did not validate (one enqueued by an older release, or around it) can
 * then cost its bad rows only; one without this much can never land.
 */
export const ChunkEnvelopeSchema = v.object({
  job_id: jobIdSchema,
  seq: seqSchema,
  kind: v.picklist(["customers", "loans"], 'must be "customers" or "loans"'),
  defer_new_ids: deferNewIdsSchema,
  rows: chunkRows(v.looseObject({ row: worksheetRowSchema })),
});

/** What names a chunk: enough to record a message that can never land as dead. */
export const ChunkIdentitySchema = v.object({ job_id: jobIdSchema, seq: seqSchema });

/**
 * The body of `POST /ingest/batches`: one sendBatch worth of messages, each chunk at most once. A
 * (job_id, seq) names one chunk: two in one send would both land while the job counted one.
 */
export const IngestBatchSchema = v.object({
  messages: v.pipe(
    v.array(IngestMessageSchema),
    v.minLength(1, "must not be empty"),
    v.maxLength(
      QUEUE_LIMITS.maxMessagesPerSend,
      `must hold at most ${QUEUE_LIMITS.maxMessagesPerSend} messages`,
    ),
    uniqueBy(
      (message) => `${message.job_id}\u0000${message.seq}`,
      "seq",
      (first) =>
        `repeats the job_id and seq of messages.${first}: each chunk of a job needs its own seq`,
    ),
  ),
});

/**
 * The size of `value` as UTF-8 JSON, counted from the text without encoding it: the ingest
 * script sizes every row by it, and an encoder's copy of each row was a measurable part of the
 * script's time (docs/performance.md, "Ingest at scale").
 */
export function byteLength(value: unknown): number {
  return utf8Length(JSON.stringify(value));
}

/**
 * The UTF-8 JSON sizes of a send's messages and of the send (`[m1,m2,…]`), each message
 * serialised once: the send's text is theirs with a comma between and brackets around.
 */
export function sendSizes(messages: readonly unknown[]): { messages: number[]; send: number } {
  const sizes = messages.map(byteLength);
  const commas = Math.max(0, messages.length - 1);
  return { messages: sizes, send: sizes.reduce((sum, size) => sum + size, 0) + commas + 2 };
}

/**
 * What of a send a queue cannot take, as field errors: each message over a queue message's limit
 * is named; failing those, the send as a whole when it is over a sendBatch's. Empty: it fits.
 */
export function oversizedParts(messages: readonly unknown[]): { field: string; message: string }[] {
  const sizes = sendSizes(messages);
  const oversized = sizes.messages.flatMap((size, index) =>
    size > QUEUE_LIMITS.maxMessageBytes
      ? [
          {
            field: `messages.${index}`,
            message: `must be at most ${QUEUE_LIMITS.maxMessageBytes} bytes`,
          },
        ]
      : [],
  );
  if (oversized.length > 0 || sizes.send <= QUEUE_LIMITS.maxSendBytes) return oversized;
  return [
    { field: "messages", message: `must be at most ${QUEUE_LIMITS.maxSendBytes} bytes in all` },
  ];
}

/** UTF-8 bytes of a string, as `TextEncoder` writes it (a lone surrogate becomes U+FFFD). */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x80) continue;
    if (code < 0x800) {
      bytes += 1;
    } else if (code >= 0xd800 && code <= 0xdbff && isLowSurrogate(text.charCodeAt(index + 1))) {
      bytes += 2; // a pair: two units, four bytes
      index++;
    } else {
      bytes += 2; // three bytes, as is U+FFFD for a lone surrogate
    }
  }
  return bytes;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
