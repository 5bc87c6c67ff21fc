import { APP_SETTING_NAMES } from "../../src/config";

/**
 * This process's environment without the app's settings (and `also`), for a server a test starts:
 * an API_KEYS or INGEST_TOKEN in the developer's shell must not change what the test sees. Left
 * out, not set empty: a blank API_KEYS is a bad setting, not an unset one.
 */
export function environmentWithoutAppSettings(also: readonly string[] = []): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of [...APP_SETTING_NAMES, ...also]) delete env[name];
  return env;
}
