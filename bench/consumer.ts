/**
 * `npm run bench:consumer`: ingestion throughput under different queue consumer settings.
 *
 * For each setting it writes a copy of wrangler.toml with the ingest consumer's `max_batch_size`
 * and `max_batch_timeout` changed (`.bench-wrangler-<pid>.toml`, in the project root because wrangler
 * resolves the file's paths from where it lives), starts `wrangler dev` on it (Miniflare's real
 * queue and D1), and runs `npm run ingest` with a generated data set and with the lender's
 * workbooks. One Worker at a time; everything stops at the end.
 *
 *   --settings 10:1,25:1   max_batch_size:max_batch_timeout pairs (default below)
 *   --loans N              generated data set (default 100000; 10 loans per customer)
 *   --repeat N             runs of each setting (default 1)
 *
 * Writes bench/results/consumer-latest.json and consumer-latest.md (gitignored).
 */
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startLocalWorker } from "../scripts/lib/local-worker";
import { type DataSet, generated, type IngestRow, ingest, LENDER_DATA } from "./lib/ingest";
import { onStopAll, ROOT, stopAllOnSignals } from "./lib/processes";

const { values: args } = parseArgs({
  options: {
    settings: { type: "string", default: "10:1,25:1,50:1,100:1,10:0,25:0" },
    loans: { type: "string", default: "100000" },
    repeat: { type: "string", default: "1" },
  },
});

interface Setting {
  maxBatchSize: number;
  maxBatchTimeout: number;
}

const settings: Setting[] = args.settings.split(",").map((pair) => {
  const [size, timeout] = pair.split(":").map(Number);
  if (!size || timeout === undefined || Number.isNaN(timeout))
    throw new Error(`bad setting ${pair}`);
  return { maxBatchSize: size, maxBatchTimeout: timeout };
});
// Per run: two runs on one machine must not overwrite each other's settings.
const CONFIG = join(ROOT, `.bench-wrangler-${process.pid}.toml`);
stopAllOnSignals(() => rm(CONFIG, { force: true }));
const wranglerToml = await readFile(join(ROOT, "wrangler.toml"), "utf8");
const big = await generated(Number(args.loans), 3 * 60_000);
const rows: (IngestRow & Setting)[] = [];

try {
  for (let run = 0; run < Number(args.repeat); run += 1) {
    for (const setting of settings) {
      await writeFile(CONFIG, withConsumerSetting(wranglerToml, setting));
      for (const set of [big, LENDER_DATA])
        rows.push({ ...(await ingestInto(set, setting)), ...setting });
    }
  }
} finally {
  await rm(CONFIG, { force: true });
}

const table = [
  "| max_batch_size | max_batch_timeout | data | rows | end to end s | rows/s |",
  "|---|---|---|---|---|---|",
  ...rows.map(
    (r) =>
      `| ${r.maxBatchSize} | ${r.maxBatchTimeout} | ${r.data} | ${r.rows_landed} | ${r.seconds} | ${r.rows_per_second} |`,
  ),
].join("\n");
const out = join(ROOT, "bench/results");
await writeFile(
  join(out, "consumer-latest.json"),
  `${JSON.stringify({ date: new Date().toISOString(), rows }, null, 2)}\n`,
);
await writeFile(join(out, "consumer-latest.md"), `${table}\n`);
console.log(table);

async function ingestInto(set: DataSet, setting: Setting): Promise<IngestRow> {
  const worker = await startLocalWorker({}, CONFIG);
  const forget = onStopAll(worker.stop);
  try {
    const label = `size ${setting.maxBatchSize}, timeout ${setting.maxBatchTimeout}`;
    // A fresh report each run: a failed run must not read the previous one's.
    const report = join(ROOT, ".bench-data/consumer-report.json");
    await rm(report, { force: true });
    const row = await ingest(label, worker.url, worker.token, set, report, 6e5);
    if (row.exit_code !== 0) console.warn(`  the ingest script exited ${row.exit_code}`);
    console.log(
      `  ${label}: ${set.name} ${row.rows_landed} rows in ${row.seconds} s (${row.rows_per_second} rows/s)`,
    );
    if (row.rows_landed !== row.rows_read)
      console.warn(`  not every row landed: ${JSON.stringify(row)}`);
    return row;
  } finally {
    forget();
    await worker.stop();
  }
}

/** wrangler.toml with the first [[queues.consumers]] (the ingest queue's) set to `setting`. */
function withConsumerSetting(toml: string, setting: Setting): string {
  const start = toml.indexOf("[[queues.consumers]]");
  const end = toml.indexOf("[[queues.consumers]]", start + 1);
  if (start < 0 || end < 0) throw new Error("wrangler.toml has no ingest consumer");
  const original = toml.slice(start, end);
  const block = original
    .replace(/max_batch_size = \d+/, `max_batch_size = ${setting.maxBatchSize}`)
    .replace(/max_batch_timeout = \d+/, `max_batch_timeout = ${setting.maxBatchTimeout}`);
  for (const key of ["max_batch_size", "max_batch_timeout"]) {
    if (!original.includes(`${key} = `)) throw new Error(`the ingest consumer sets no ${key}`);
  }
  return toml.slice(0, start) + block + toml.slice(end);
}
