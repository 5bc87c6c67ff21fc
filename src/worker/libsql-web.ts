import { createClient } from "@libsql/client/web";
import { drizzle } from "drizzle-orm/libsql/web";
import { type Database, schema } from "../db/client";

/** URL schemes the Web client speaks (HTTP; `libsql:` means HTTPS to Turso). */
const REMOTE_URL = /^(libsql|https?):\/\//i;

export interface RemoteLibsqlSettings {
  url: string;
  authToken?: string | undefined;
}

/**
 * A Turso / libSQL server reached over HTTP with `@libsql/client/web`: Web standard APIs only, so
 * it runs in a Worker, and nothing Node-only reaches the bundle. The client holds no connection
 * between calls, so building one per request costs an object, not a handshake.
 */
export function remoteLibsqlDatabase(settings: RemoteLibsqlSettings): Database {
  if (!REMOTE_URL.test(settings.url)) {
    throw new DatabaseConfigError(
      "DATABASE_URL must be a libsql://, https:// or http:// URL (file: databases need the Node server)",
    );
  }
  const client = createClient({ url: settings.url, authToken: settings.authToken || undefined });
  return drizzle({ client, schema });
}

/** A deployment mistake, not a request's: the message names the setting and carries no secret. */
export class DatabaseConfigError extends Error {
  override name = "DatabaseConfigError";
}
