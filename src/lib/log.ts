/*
 * The one way the code writes logs: one JSON line per event. Every line passes through
 * maskPersonalData, so a phone number that slips into a field (an id list, a path, a message)
 * is never written in full.
 */

type Level = "info" | "warn" | "error";

/** Digit groups joined by single spaces, with an optional leading +: how people write phones. */
const DIGIT_GROUPS = /(?<![\w-])\+?\d+(?: \d+)*(?![\w-])/g;

/**
 * Phone numbers — runs of 7 to 15 digits, also when written in groups ("+91 98765 43210") —
 * keep their last two digits: 9876543210 → ********10, +91 98765 43210 → +** ***** ***10.
 * A run inside a word or an id (a request id's all-digit segment, `abc-1234567`) is left alone.
 */
export function maskPersonalData(text: string): string {
  return text.replace(DIGIT_GROUPS, (groups) => {
    const digits = groups.replace(/\D/g, "").length;
    if (digits >= 7 && digits <= 15) return maskAllButLastTwo(groups);
    // Too long for one phone number: numbers that happen to stand side by side, each judged alone.
    return groups.replace(/\d+/g, (run) =>
      run.length >= 7 && run.length <= 15 ? maskAllButLastTwo(run) : run,
    );
  });
}

function maskAllButLastTwo(text: string): string {
  let toMask = text.replace(/\D/g, "").length - 2;
  return text.replace(/\d/g, (digit) => (toMask-- > 0 ? "*" : digit));
}

export function log(level: Level, what: string, fields: Record<string, unknown> = {}): void {
  const line = maskPersonalData(JSON.stringify({ level, what, ...fields }));
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}
