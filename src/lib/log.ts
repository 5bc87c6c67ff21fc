/*
 * The one way the code writes logs: one JSON line per event. Every line passes through
 * maskPersonalData, so a phone number that slips into a field (an id list, a path, a message)
 * is never written in full.
 */

type Level = "info" | "warn" | "error";

/**
 * Runs of 7 to 15 digits (phone numbers) keep their last two digits: 9876543210 → ********10.
 * A run inside a word or an id (a request id's all-digit segment, `abc-1234567`) is left alone.
 */
export function maskPersonalData(text: string): string {
  return text.replace(
    /(?<![\w-])\d{7,15}(?![\w-])/g,
    (digits) => `${"*".repeat(digits.length - 2)}${digits.slice(-2)}`,
  );
}

export function log(level: Level, what: string, fields: Record<string, unknown> = {}): void {
  const line = maskPersonalData(JSON.stringify({ level, what, ...fields }));
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}
