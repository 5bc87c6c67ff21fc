/*
 * What wrangler needs to run with no network, as the local commands promise: no telemetry
 * (sparrow.cloudflare.com), no Request.cf download (workers.cloudflare.com), and no banner, whose
 * version check asks registry.npmjs.org whenever its hour-long cache in the temporary folder is
 * missing or old. package.json's `dev` and `db:migrate:local` spell the same three out.
 */
export const OFFLINE_WRANGLER_ENV = {
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_HIDE_BANNER: "true",
} as const;
