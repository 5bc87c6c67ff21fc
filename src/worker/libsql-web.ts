import { createClient } from "@libsql/client/web";
import { drizzle } from "drizzle-orm/libsql/web";
import { type Database, schema } from "../db/database";

export interface RemoteLibsqlSettings {
  url: string;
  authToken?: string | undefined;
}

/**
 * A Turso / libSQL server reached over HTTP with `@libsql/client/web`: Web standard APIs only, so
 * it runs in a Worker, and nothing Node-only reaches the bundle. The client holds no connection
 * between calls, so building one per request costs an object, not a handshake. Its URL was
 * checked when the Worker's settings were parsed (src/worker/config.ts).
 */
export function remoteLibsqlDatabase(settings: RemoteLibsqlSettings): Database {
  const client = createClient({ url: settings.url, authToken: settings.authToken || undefined });
  return drizzle({ client, schema });
}

/**
 * Whether the Web client refuses `url` outright. It checks a URL when the client is made, before
 * any request: no host, a port past 65535, a query parameter other than `tls` (0 or 1) and
 * `authToken`, a fragment. The Worker's settings ask it once (src/worker/config.ts), so that such a
 * URL is named as a bad setting instead of failing every request, queue batch and cron run.
 */
export function libsqlRefusesUrl(url: string): boolean {
  try {
    createClient({ url }).close();
    return false;
  } catch {
    return true;
  }
}
