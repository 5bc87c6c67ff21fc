import { ConfigError } from "../../src/config";
import { type ServerSettings, settingsFromEnv } from "../../src/node/settings";

/**
 * `read()`'s settings, or, when one does not parse, one line naming it (after `prefix`) and exit
 * code 1: the server's line, but not its code (78, for a supervisor; nothing supervises a script).
 */
export function settingsOrExit<T>(read: () => T, prefix = ""): T {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`${prefix}${error.message}`);
    process.exit(1);
  }
}

/** The server's own reading of its settings, for the database scripts. */
export function serverSettingsOrExit(env: NodeJS.ProcessEnv): ServerSettings {
  return settingsOrExit(() => settingsFromEnv(env));
}
