import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { type Unstable_Config, unstable_readConfig } from "wrangler";

/*
 * wrangler.toml's environments, read as wrangler reads them. Without an `[env.staging]` block,
 * `--env staging` deployed a second Worker on the top level's bindings: production's D1 database,
 * queues, rate-limit namespace and metrics dataset.
 */

/** The `database_id` shipped before `wrangler d1 create` prints the real one. */
const PLACEHOLDER_ID = "00000000-0000-0000-0000-000000000000";

const CONFIG = fileURLToPath(new URL("../../wrangler.toml", import.meta.url));
const read = (env?: string): Unstable_Config =>
  unstable_readConfig({ config: CONFIG, env }, { hideWarnings: true });

/** Every resource a deployment writes to, by what names it on the account. */
function resources(config: Unstable_Config): string[] {
  return [
    ...config.d1_databases.map((db) => `d1:${db.database_name}`),
    // D1 binds by id: a production id pasted into staging is the same database, whatever its name.
    ...config.d1_databases
      .filter((db) => db.database_id !== PLACEHOLDER_ID)
      .map((db) => `d1-id:${db.database_id}`),
    ...(config.queues.producers ?? []).map((queue) => `queue:${queue.queue}`),
    ...(config.queues.consumers ?? []).flatMap((queue) => [
      `queue:${queue.queue}`,
      ...(queue.dead_letter_queue ? [`queue:${queue.dead_letter_queue}`] : []),
    ]),
    ...config.ratelimits.map((limiter) => `ratelimit:${limiter.namespace_id}`),
    ...config.analytics_engine_datasets.map((dataset) => `dataset:${dataset.dataset}`),
  ];
}

describe("wrangler.toml's staging environment", () => {
  const production = read();
  const staging = read("staging");

  it("is declared, and shares no database, queue, rate-limit namespace or dataset with production", () => {
    expect(staging.name).toBe(`${production.name}-staging`);
    const shared = resources(staging).filter((name) => resources(production).includes(name));
    expect(shared).toEqual([]);
  });

  it("binds and sets what production does, with the same consumer settings and limits", () => {
    const bindings = (config: Unstable_Config) => ({
      d1: config.d1_databases.map((db) => [db.binding, db.migrations_dir]),
      producers: (config.queues.producers ?? []).map((queue) => queue.binding),
      consumers: (config.queues.consumers ?? []).map(
        ({ queue: _, dead_letter_queue: __, ...rest }) => rest,
      ),
      limits: config.ratelimits.map(({ namespace_id: _, ...rest }) => rest),
      metrics: config.analytics_engine_datasets.map((dataset) => dataset.binding),
      vars: config.vars,
      crons: config.triggers.crons,
      assets: config.assets,
    });
    expect(bindings(staging)).toEqual(bindings(production));
  });
});
