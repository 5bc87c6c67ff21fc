import { serverSettingsSchema } from "./settings";

/*
 * The server reads its settings by name, so a misspelled one (`API_KEY` for API_KEYS, `port`) is
 * simply not read: the API stayed open, or /metrics unprotected, with no word of it. The start
 * warns of each name that is near a setting's, and never prints its value (it may be a secret).
 */

const SETTING_NAMES = Object.keys(serverSettingsSchema.shape);

/** What Turso's own guides call DATABASE_URL and DATABASE_AUTH_TOKEN. */
const OTHER_TOOLS_NAMES: Record<string, string> = {
  TURSO_DATABASE_URL: "DATABASE_URL",
  TURSO_AUTH_TOKEN: "DATABASE_AUTH_TOKEN",
};

/**
 * Each name in `env` that is not a setting but one letter or two from one (one for names of up
 * to six letters, where two would take `HOME` for HOST), or in another case, with the setting it
 * is near; unless that setting is set too, which makes the name another tool's.
 */
export function misspelledSettings(
  env: Record<string, string | undefined>,
): { setting: string; meant: string }[] {
  const found: { setting: string; meant: string }[] = [];
  for (const name of Object.keys(env)) {
    if (SETTING_NAMES.includes(name)) continue;
    const meant = OTHER_TOOLS_NAMES[name] ?? nearestSetting(name.toUpperCase());
    if (meant !== undefined && !env[meant]?.trim()) found.push({ setting: name, meant });
  }
  return found;
}

function nearestSetting(name: string): string | undefined {
  let nearest: { meant: string; distance: number } | undefined;
  for (const setting of SETTING_NAMES) {
    const distance = editDistance(name, setting);
    const allowed = setting.length <= 6 ? 1 : 2;
    if (distance <= allowed && distance < (nearest?.distance ?? Number.POSITIVE_INFINITY)) {
      nearest = { meant: setting, distance };
    }
  }
  return nearest?.meant;
}

/** Letters inserted, deleted or replaced to turn `a` into `b` (Levenshtein). */
function editDistance(a: string, b: string): number {
  // Far apart in length: no need to count.
  if (Math.abs(a.length - b.length) > 2) return Number.POSITIVE_INFINITY;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const replace = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, replace);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
