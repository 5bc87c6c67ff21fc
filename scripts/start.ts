/**
 * `npm start`: migrate the local D1 database, run the Worker in Miniflare on 127.0.0.1:8787,
 * load the bundled workbooks through the real ingest path (script → endpoint → queue → consumer)
 * when the database is empty, and say where the API and its docs are. Everything is local: no
 * account, no network.
 */
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { LOCAL_DEV_TOKEN } from "./ingest";
import { IngestClient } from "./lib/ingest-client";
import { seedWhenEmpty } from "./lib/seed";

const WRANGLER = fileURLToPath(new URL("../node_modules/.bin/wrangler", import.meta.url));
const HOST = process.env.HOST ?? "127.0.0.1";
const PORT = Number(process.env.PORT ?? 8787);
const BASE_URL = `http://${HOST}:${PORT}`;

const offline = {
  ...process.env,
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_SEND_METRICS: "false",
  // Lets `wrangler d1 migrations apply --local` proceed without asking.
  CI: "true",
};

// wrangler dev reads secrets from .dev.vars; a fresh clone gets the documented local values.
if (!existsSync(".dev.vars")) copyFileSync(".dev.vars.example", ".dev.vars");
const ingestToken =
  /^INGEST_TOKEN=(.*)$/m.exec(readFileSync(".dev.vars", "utf8"))?.[1]?.trim() ?? LOCAL_DEV_TOKEN;

const migrate = spawnSync(WRANGLER, ["d1", "migrations", "apply", "DB", "--local"], {
  stdio: "inherit",
  env: offline,
});
if (migrate.status !== 0) {
  console.error("Applying the local D1 migrations failed; see the output above.");
  process.exit(migrate.status ?? 1);
}

const worker = spawn(
  WRANGLER,
  ["dev", "--ip", HOST, "--port", String(PORT), "--log-level", "warn"],
  {
    stdio: "inherit",
    env: { ...offline, CI: process.env.CI ?? "" },
  },
);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => worker.kill(signal));
}
worker.on("exit", (code) => process.exit(code ?? 0));

await waitUntilServing(`${BASE_URL}/openapi.json`);
await seedWhenEmpty({
  url: BASE_URL,
  token: ingestToken,
  storedRows: () => new IngestClient(BASE_URL, ingestToken).storedRows(),
  reportFile: ".wrangler/seed-ingest-report.json",
});
console.log(`\nready: API ${BASE_URL}  docs ${BASE_URL}/docs  OpenAPI ${BASE_URL}/openapi.json\n`);

async function waitUntilServing(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  console.error(`The Worker did not answer on ${url} within ${timeoutMs / 1000} s.`);
  worker.kill("SIGTERM");
  process.exit(1);
}
