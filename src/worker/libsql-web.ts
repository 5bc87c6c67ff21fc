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
