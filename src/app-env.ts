import type { Database } from "./db/client";
import type { Env } from "./env";

/** What every handler sees on its context. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    db: Database;
    /** The date every rule is evaluated on (`YYYY-MM-DD`). */
    asOf: string;
  };
}
