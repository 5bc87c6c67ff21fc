import { parseEnv } from "node:util";
import { randomIngestToken } from "./seed";

/** Which ingest token `npm start` runs its Worker with, and where it came from. */
export type IngestTokenChoice =
  /** The user's own, from the environment: handed to wrangler dev, which would not see it. */
  | { source: "environment"; token: string; passToWorker: true }
  /** The user's own, from .dev.vars: wrangler dev reads it there itself. */
  | { source: ".dev.vars"; token: string; passToWorker: false }
  /** None set: a random one for this run, known only to this process and its Worker. */
  | { source: "random"; token: string; passToWorker: true }
  /** `INGEST_TOKEN=` (empty) in .dev.vars: the user turned ingest off, so nothing is seeded. */
  | { source: "off"; token: null; passToWorker: false };

export function chooseIngestToken(
  environmentToken: string | undefined,
  devVars: string,
): IngestTokenChoice {
  if (environmentToken)
    return { source: "environment", token: environmentToken, passToWorker: true };
  // dotenv syntax (quotes, comments), as wrangler reads the file.
  const parsed = parseEnv(devVars) as Record<string, string | undefined>;
  const fromFile = parsed.INGEST_TOKEN;
  if (fromFile === undefined) {
    return { source: "random", token: randomIngestToken(), passToWorker: true };
  }
  if (fromFile.trim() === "") return { source: "off", token: null, passToWorker: false };
  return { source: ".dev.vars", token: fromFile, passToWorker: false };
}
