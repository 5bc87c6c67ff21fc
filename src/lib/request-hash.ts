import { sha256Hex } from "./sha256";

/** SHA-256 of a JSON value with object keys sorted, so that `{a,b}` and `{b,a}` hash alike. */
export async function hashJson(value: unknown): Promise<string> {
  return sha256Hex(canonicalJson(value));
}

/** Text to write as is, or a value still to be serialised. */
type Step = string | { value: unknown };

/**
 * JSON with object keys sorted. Iterative, with an explicit stack: a request body can nest
 * tens of thousands of levels deep within the size limit, and recursion would overflow the
 * call stack (a RangeError, i.e. a 500 for bad input).
 */
function canonicalJson(value: unknown): string {
  const out: string[] = [];
  const pending: Step[] = [{ value }];
  for (let step = pending.pop(); step !== undefined; step = pending.pop()) {
    if (typeof step === "string") {
      out.push(step);
      continue;
    }
    // Steps go on the stack in reverse, so they come off in writing order.
    const current = step.value;
    if (Array.isArray(current)) {
      pending.push("]");
      for (let i = current.length - 1; i >= 0; i--) {
        pending.push({ value: current[i] });
        if (i > 0) pending.push(",");
      }
      out.push("[");
    } else if (current !== null && typeof current === "object") {
      const record = current as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      pending.push("}");
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i] as string;
        pending.push({ value: record[key] });
        pending.push(`${i > 0 ? "," : ""}${JSON.stringify(key)}:`);
      }
      out.push("{");
    } else {
      out.push(JSON.stringify(current));
    }
  }
  return out.join("");
}
