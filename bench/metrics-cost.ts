/**
 * `npx tsx bench/metrics-cost.ts`: what the Node server's metrics cost per request, in CPU time.
 *
 * Two runtimes in this process, on copies of one database: metrics on (prom-client, as
 * `npm run serve` runs by default) and off (`METRICS=false`). They take the same requests in
 * alternating blocks, A B B A …, and each block is measured in CPU time (`process.cpuUsage`), which a
 * busy shared machine disturbs far less than throughput. Requests go through the app's fetch, not
 * HTTP: the HTTP layer costs the same in both, so leaving it out makes the relative cost look
 * larger, not smaller.
 *
 *   --rounds N     alternating pairs of blocks (default 40)
 *   --requests N   requests per block (default 1000)
 */
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { openRuntime, type Runtime } from "../src/node/runtime";
import { settingsFromEnv } from "../src/node/settings";

const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: "40" },
    requests: { type: "string", default: "1000" },
  },
});
const rounds = Number(args.rounds);
const perBlock = Number(args.requests);
const CUSTOMERS = 200;

const scratch = await mkdtemp(join(tmpdir(), "credit-metrics-cost-"));
try {
  const template = join(scratch, "template.db");
  const loader = await openRuntime(
    settingsFromEnv({
      DATABASE_URL: `file:${template}`,
      AS_OF_DATE: "2025-06-15",
      METRICS: "false",
    }),
  );
  const loanIds: number[] = [];
  for (let i = 0; i < CUSTOMERS; i++) {
    const customer = await json(loader, "POST", "/register", {
      first_name: "Bench",
      last_name: "Customer",
      age: 30 + (i % 30),
      monthly_income: 60_000 + i * 100,
      phone_number: 5_100_000_000 + i,
    });
    const loan = await json(loader, "POST", "/create-loan", {
      customer_id: customer.customer_id,
      loan_amount: 100_000,
      interest_rate: 14,
      tenure: 12,
    });
    if (typeof loan.loan_id === "number") loanIds.push(loan.loan_id);
  }
  await loader.close();

  const variants = { off: false, on: true } as const;
  const runtimes = {} as Record<keyof typeof variants, Runtime>;
  for (const [name, metrics] of Object.entries(variants) as [keyof typeof variants, boolean][]) {
    const file = join(scratch, `${name}.db`);
    await copyFile(template, file);
    runtimes[name] = await openRuntime(
      settingsFromEnv({
        DATABASE_URL: `file:${file}`,
        AS_OF_DATE: "2025-06-15",
        METRICS: String(metrics),
      }),
    );
  }

  // The request mix: the three reads of the API and the decision, as the load bench drives them.
  const mix = (i: number): [string, string, unknown?] => {
    const customer = 1 + (i % CUSTOMERS);
    switch (i % 4) {
      case 0:
        return ["GET", `/view-loan/${loanIds[i % loanIds.length]}`];
      case 1:
        return ["GET", `/view-loans/${customer}`];
      case 2:
        return ["GET", "/view-loan/999999999"];
      default:
        return [
          "POST",
          "/check-eligibility",
          {
            customer_id: customer,
            loan_amount: 50_000 + (i % 500) * 1_000,
            interest_rate: 11.5,
            tenure: 24,
          },
        ];
    }
  };
  const block = async (runtime: Runtime): Promise<number> => {
    const started = process.cpuUsage();
    for (let i = 0; i < perBlock; i++) {
      const [method, path, body] = mix(i);
      const response = await send(runtime, method, path, body);
      await response.arrayBuffer();
    }
    const used = process.cpuUsage(started);
    return (used.user + used.system) / perBlock;
  };

  // Warm both (JIT, prepared statements), then measure.
  await block(runtimes.off);
  await block(runtimes.on);
  const perRequest: Record<"off" | "on", number[]> = { off: [], on: [] };
  for (let round = 0; round < rounds; round++) {
    const order: ("off" | "on")[] = round % 2 === 0 ? ["off", "on"] : ["on", "off"];
    for (const name of order) perRequest[name].push(await block(runtimes[name]));
  }
  for (const runtime of Object.values(runtimes)) await runtime.close();

  const off = median(perRequest.off);
  const on = median(perRequest.on);
  // Each round's two blocks ran back to back, under the same load: their ratio is the fairest
  // figure on a shared machine.
  const ratios = perRequest.on.map((value, i) => value / (perRequest.off[i] ?? value));
  console.log(
    `CPU per request, median of ${rounds} blocks of ${perBlock}: metrics off ${off.toFixed(1)} µs, on ${on.toFixed(1)} µs`,
  );
  console.log(
    `difference: ${pct(on / off)} (medians), ${pct(median(ratios))} (median of the rounds' on ÷ off)`,
  );
  console.log(`off: ${perRequest.off.map((v) => v.toFixed(0)).join(", ")}`);
  console.log(`on:  ${perRequest.on.map((v) => v.toFixed(0)).join(", ")}`);
} finally {
  await rm(scratch, { recursive: true, force: true });
}

function send(runtime: Runtime, method: string, path: string, body?: unknown) {
  return runtime.fetch(
    new Request(`http://bench.local${path}`, {
      method,
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
}

async function json(runtime: Runtime, method: string, path: string, body?: unknown) {
  const response = await send(runtime, method, path, body);
  return (await response.json()) as Record<string, unknown>;
}

function pct(ratio: number): string {
  return `${((ratio - 1) * 100).toFixed(1)} %`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}
