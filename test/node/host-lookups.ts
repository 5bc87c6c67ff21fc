import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/*
 * Writes down every host name a Node process (and each Node process it starts) looks up: the
 * local commands promise to need no network, as a laptop on a train has none.
 */
const RECORD_LOOKUPS = `
import dns from "node:dns";
import { appendFileSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
const record = (hostname) => appendFileSync(process.env.LOOKUP_LOG, hostname + "\\n");
const { lookup } = dns;
dns.lookup = function (hostname, ...rest) { record(hostname); return lookup.call(this, hostname, ...rest); };
const promised = dns.promises.lookup;
dns.promises.lookup = (hostname, ...rest) => { record(hostname); return promised(hostname, ...rest); };
syncBuiltinESMExports();
`;

/**
 * The environment that records lookups into `dir`, and the names looked up so far (loopback
 * names left out). Its temporary folder is `dir`: wrangler caches its version check under the
 * temporary folder for an hour, and a clean machine has no such cache.
 */
export async function recordingLookups(dir: string) {
  const hook = join(dir, "record-lookups.mjs");
  const log = join(dir, "lookups.txt");
  await writeFile(hook, RECORD_LOOKUPS);
  await writeFile(log, "");
  // Under `npm test` npm exports its own settings (npm_config_*); the child's npm reads its own.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] => !/^npm_/i.test(entry[0]) && entry[1] !== undefined,
    ),
  );
  const env: Record<string, string> = {
    ...inherited,
    NODE_OPTIONS: `--import=${pathToFileURL(hook).href}`,
    LOOKUP_LOG: log,
    TMPDIR: dir,
    // npm's own weekly version check is the user's npm's setting, not this project's commands.
    npm_config_update_notifier: "false",
  };
  const names = async () => {
    const all = (await readFile(log, "utf8")).split("\n").filter((name) => name !== "");
    return [...new Set(all)].filter((name) => name !== "localhost" && name !== "127.0.0.1");
  };
  return { env, names };
}
