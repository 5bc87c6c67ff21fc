import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { type Unstable_Config, unstable_readConfig } from "wrangler";
import {
  appSettingsSchema,
  DEFAULT_INGEST_RETENTION_DAYS,
  INGEST_RETENTION_DAYS_MIN,
  parseSettings,
} from "../../src/config";
import type { AppBindings } from "../../src/http/app-env";
import { retryDelaySeconds } from "../../src/ingest/consumer";
import { DEAD_LETTER_SUFFIX, QUEUE_PLATFORM_LIMITS, QUEUE_SETTINGS } from "../../src/ingest/queue";

/*
 * The queue settings live in two places: wrangler.toml's [[queues.consumers]] (and the README's
 * `wrangler queues create` steps, which set the dead-letter queue's retention), read by the
 * platform, and QUEUE_SETTINGS (src/ingest/queue.ts), which the consumer, the Node server's
 * in-process queue and the docs' arithmetic rely on: the last delivery's rejections, the D1 query
 * budget of a full batch, the dead-letter queue's two days of retries inside its 4 days of
 * retention, and INGEST_RETENTION_DAYS' floor past every delivery a swept job's chunk could still
 * get. Nothing noticed when one drifted from the other. Each check names the file, the setting,
 * what it says and what the code assumes.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const WRANGLER_TOML = join(ROOT, "wrangler.toml");
/** The environments wrangler.toml deploys: production (the top level) and staging. */
const ENVIRONMENTS = [undefined, "staging"] as const;
/** The producer binding the ingest endpoint sends to. */
const PRODUCER_BINDING = "INGEST_QUEUE" satisfies keyof AppBindings;
const DAY_S = 24 * 60 * 60;

const read = (config: string, env: string | undefined): Unstable_Config =>
  unstable_readConfig({ config, env }, { hideWarnings: true });

type Consumer = NonNullable<Unstable_Config["queues"]["consumers"]>[number];
type Expected = (typeof QUEUE_SETTINGS)[keyof typeof QUEUE_SETTINGS];

/** What differs between one consumer as wrangler.toml writes it and the code's settings. */
function consumerDrift(where: string, consumer: Consumer, expected: Expected): string[] {
  const settings = {
    max_batch_size: [consumer.max_batch_size, expected.maxBatchSize],
    max_batch_timeout: [consumer.max_batch_timeout, expected.maxBatchTimeoutMs / 1000],
    max_retries: [consumer.max_retries, expected.maxRetries],
  } as const;
  return Object.entries(settings).flatMap(([name, [actual, assumed]]) =>
    actual === assumed
      ? []
      : [
          `${where}: ${name} is ${actual ?? "unset (the platform's default)"}, but the code assumes ${assumed} (QUEUE_SETTINGS in src/ingest/queue.ts)`,
        ],
  );
}

/** Every way one environment's queues differ from what the code assumes; empty when none. */
function queueDrift(config: Unstable_Config, label: string): string[] {
  const drift: string[] = [];
  const where = `wrangler.toml [${label}]`;
  const producers = config.queues.producers ?? [];
  const producer = producers.find((p) => p.binding === PRODUCER_BINDING);
  if (!producer || producers.length !== 1) {
    return [`${where}: needs exactly one [[queues.producers]], bound as ${PRODUCER_BINDING}`];
  }
  const ingestName = producer.queue;
  const deadName = `${ingestName}${DEAD_LETTER_SUFFIX}`;
  const consumers = config.queues.consumers ?? [];
  const ingest = consumers.find((c) => c.queue === ingestName);
  const dead = consumers.find((c) => c.queue === deadName);
  if (ingestName.endsWith(DEAD_LETTER_SUFFIX)) {
    drift.push(
      `${where}: the ingest queue "${ingestName}" ends in "${DEAD_LETTER_SUFFIX}", which the consumer reads as dead letters`,
    );
  }
  if (!ingest) {
    drift.push(`${where}: no [[queues.consumers]] for the ingest queue "${ingestName}"`);
  } else {
    drift.push(
      ...consumerDrift(`${where} consumer "${ingestName}"`, ingest, QUEUE_SETTINGS.ingest),
    );
    if (ingest.dead_letter_queue !== deadName) {
      drift.push(
        `${where} consumer "${ingestName}": dead_letter_queue is ${ingest.dead_letter_queue ?? "unset"}, but must be "${deadName}": the consumer records a batch dead when its queue's name ends in "${DEAD_LETTER_SUFFIX}"`,
      );
    }
    if (ingest.max_concurrency !== undefined) {
      drift.push(
        `${where} consumer "${ingestName}": max_concurrency is ${ingest.max_concurrency}; docs/ingestion.md and wrangler.toml say it is left to the platform`,
      );
    }
  }
  if (!dead) {
    drift.push(
      `${where}: no [[queues.consumers]] for the dead-letter queue "${deadName}": dead chunks would never be recorded`,
    );
  } else {
    drift.push(
      ...consumerDrift(`${where} consumer "${deadName}"`, dead, QUEUE_SETTINGS.deadLetters),
    );
    if (dead.dead_letter_queue !== undefined) {
      drift.push(
        `${where} consumer "${deadName}": has a dead_letter_queue (${dead.dead_letter_queue}), where no consumer records its messages`,
      );
    }
  }
  const others = consumers.filter((c) => c !== ingest && c !== dead).map((c) => c.queue);
  if (others.length > 0) drift.push(`${where}: consumers the code does not know: ${others}`);
  return drift;
}

/** The app's settings among an environment's [vars], parsed as the Worker parses them. */
function varsOf(config: Unstable_Config) {
  const vars = Object.fromEntries(
    Object.entries(config.vars).map(([name, value]) => [name, String(value)]),
  );
  return parseSettings(appSettingsSchema, vars);
}

describe("wrangler.toml's queues and the code's QUEUE_SETTINGS", () => {
  it.each(ENVIRONMENTS.map((env) => [env ?? "production", env] as const))(
    "%s: every consumer setting is the one the code assumes",
    (label, env) => {
      const drift = queueDrift(read(WRANGLER_TOML, env), label);
      expect(drift, drift.join("\n")).toEqual([]);
    },
  );

  it("production's queues have the names the Node server's in-process queue uses", () => {
    const config = read(WRANGLER_TOML, undefined);
    expect(config.queues.producers?.map((p) => p.queue)).toEqual([QUEUE_SETTINGS.ingest.name]);
    expect(config.queues.consumers?.map((c) => c.queue)).toEqual([
      QUEUE_SETTINGS.ingest.name,
      QUEUE_SETTINGS.deadLetters.name,
    ]);
  });

  it("the tests' workerd and `npm start` run on wrangler.toml itself, not a copy", () => {
    const vitest = readFileSync(join(ROOT, "vitest.config.ts"), "utf8");
    expect([...vitest.matchAll(/configPath: "([^"]+)"/g)].map((m) => m[1])).toEqual([
      "./wrangler.toml",
    ]);
    const start = readFileSync(join(ROOT, "scripts/start.ts"), "utf8");
    expect(start, "scripts/start.ts passes wrangler another config").not.toMatch(/"--config"|"-c"/);
  });

  it("catches drift: a copy with other settings is refused, each setting named", async () => {
    // The check itself, on a drifted copy: what a hand edit of wrangler.toml would do.
    const drifted = readFileSync(WRANGLER_TOML, "utf8")
      .replace(/max_retries = 5\n/, "max_retries = 3\n")
      .replace(/max_batch_timeout = 0\n/, "")
      .replace(/dead_letter_queue = "credit-ingest-dlq"/, 'dead_letter_queue = "credit-dead"');
    const dir = await mkdtemp(join(tmpdir(), "queue-settings-"));
    try {
      const copy = join(dir, "wrangler.toml");
      await writeFile(copy, drifted);
      expect(queueDrift(read(copy, undefined), "production")).toEqual([
        'wrangler.toml [production] consumer "credit-ingest": max_batch_timeout is unset (the platform\'s default), but the code assumes 0 (QUEUE_SETTINGS in src/ingest/queue.ts)',
        'wrangler.toml [production] consumer "credit-ingest": max_retries is 3, but the code assumes 5 (QUEUE_SETTINGS in src/ingest/queue.ts)',
        'wrangler.toml [production] consumer "credit-ingest": dead_letter_queue is credit-dead, but must be "credit-ingest-dlq": the consumer records a batch dead when its queue\'s name ends in "-dlq"',
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("the arithmetic the docs and INGEST_RETENTION_DAYS rest on", () => {
  const { ingest, deadLetters } = QUEUE_SETTINGS;

  it("stays within Cloudflare Queues' limits", () => {
    for (const queue of [ingest, deadLetters]) {
      expect(queue.maxRetries, queue.name).toBeLessThanOrEqual(QUEUE_PLATFORM_LIMITS.maxRetries);
      expect(queue.maxBatchSize, queue.name).toBeLessThanOrEqual(
        QUEUE_PLATFORM_LIMITS.maxBatchSize,
      );
      expect(queue.maxBatchTimeoutMs / 1000, queue.name).toBeLessThanOrEqual(
        QUEUE_PLATFORM_LIMITS.maxBatchTimeoutSeconds,
      );
      expect(queue.retryDelaySeconds.maxSeconds, queue.name).toBeLessThanOrEqual(
        QUEUE_PLATFORM_LIMITS.maxDelaySeconds,
      );
    }
    expect(deadLetters.messageRetentionSeconds).toBeLessThanOrEqual(
      QUEUE_PLATFORM_LIMITS.maxMessageRetentionSeconds,
    );
  });

  it("the dead-letter queue keeps a message longer than its retries can last", () => {
    // The longest: every retry deferred the full 30 minutes (settings that do not parse).
    const longest = deadLetters.maxRetries * deadLetters.retryDelaySeconds.maxSeconds;
    expect(
      longest,
      `${deadLetters.maxRetries} retries up to ${deadLetters.retryDelaySeconds.maxSeconds} s apart outlast the dead-letter queue's ${deadLetters.messageRetentionSeconds} s retention`,
    ).toBeLessThan(deadLetters.messageRetentionSeconds);
  });

  it("INGEST_RETENTION_DAYS' floor outlasts every delivery a swept job's chunk could still get", () => {
    // After a chunk's last recorded activity: the ingest queue's retries (each up to the 30
    // minutes a deferred batch waits), then the longest any queue keeps a message.
    const latestDelivery =
      ingest.maxRetries * deadLetters.retryDelaySeconds.maxSeconds +
      QUEUE_PLATFORM_LIMITS.maxMessageRetentionSeconds;
    expect(INGEST_RETENTION_DAYS_MIN * DAY_S).toBeGreaterThan(latestDelivery);
    expect(DEFAULT_INGEST_RETENTION_DAYS).toBeGreaterThanOrEqual(INGEST_RETENTION_DAYS_MIN);
    for (const env of ENVIRONMENTS) {
      // Parsing refuses a value under the floor, naming INGEST_RETENTION_DAYS.
      expect(varsOf(read(WRANGLER_TOML, env)).INGEST_RETENTION_DAYS).toBeGreaterThanOrEqual(
        INGEST_RETENTION_DAYS_MIN,
      );
    }
  });
});

describe("the docs say what the settings are", () => {
  const { deadLetters } = QUEUE_SETTINGS;
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const ingestion = readFileSync(join(ROOT, "docs/ingestion.md"), "utf8");

  it("the README's deploy steps create every queue, the dead-letter ones with the retention the code assumes", () => {
    const created = new Map(
      [...readme.matchAll(/wrangler queues create (\S+)([^\n]*)/g)].map((m) => [
        m[1],
        /--message-retention-period-secs (\d+)/.exec(m[2] ?? "")?.[1],
      ]),
    );
    for (const env of ENVIRONMENTS) {
      const config = read(WRANGLER_TOML, env);
      for (const { queue } of config.queues.consumers ?? []) {
        expect(created.has(queue), `README.md creates ${queue}`).toBe(true);
        const retention = queue.endsWith(DEAD_LETTER_SUFFIX)
          ? String(deadLetters.messageRetentionSeconds)
          : undefined;
        expect(created.get(queue), `README.md: ${queue}'s --message-retention-period-secs`).toBe(
          retention,
        );
      }
    }
  });

  it("docs/ingestion.md quotes the consumer settings and the retries' arithmetic as they are", () => {
    const config = read(WRANGLER_TOML, undefined);
    const consumers = config.queues.consumers ?? [];
    for (const name of ["max_batch_size", "max_batch_timeout", "max_retries"] as const) {
      const quoted = [...ingestion.matchAll(new RegExp(`\`${name} = (\\d+)\``, "g"))].map((m) =>
        Number(m[1]),
      );
      expect(quoted.length, `docs/ingestion.md quotes ${name}`).toBeGreaterThan(0);
      for (const value of quoted) {
        expect(
          consumers.map((c) => c[name]),
          `docs/ingestion.md quotes \`${name} = ${value}\``,
        ).toContain(value);
      }
    }
    // The dead-letter queue's retries at the default base, and its retention, as the docs say.
    const base = parseSettings(appSettingsSchema, {}).INGEST_RETRY_DELAY_SECONDS;
    let span = 0;
    for (let attempts = 1; attempts <= deadLetters.maxRetries; attempts++) {
      span += retryDelaySeconds(
        { ingestRetryDelaySeconds: base },
        attempts,
        deadLetters.retryDelaySeconds,
      );
    }
    expect(ingestion).toContain(`(${(span / 3600).toFixed(1)} h)`);
    expect(ingestion).toContain(`${deadLetters.messageRetentionSeconds / DAY_S} days' retention`);
  });
});
