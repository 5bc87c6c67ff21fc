import { ConfigError } from "../../src/config";
import { type ServerSettings, settingsFromEnv } from "../../src/node/settings";

/**
 * The server's own reading of its settings, for the database scripts: a setting that does not
 * parse is one line naming it and exit code 1, as the server reports it at start.
 */
export function serverSettingsOrExit(env: NodeJS.ProcessEnv): ServerSettings {
  try {
    return settingsFromEnv(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}
