import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isRunning } from "./running";

/**
 * One `npm start` per folder. A second one on the same `.wrangler/state` started without a word,
 * and the two Workers' D1 objects then fought over one SQLite file: writes on either answered 503
 * "database is unavailable" at random. The file names the holder; a holder that is gone (SIGKILL,
 * a lost terminal) leaves a stale file, which the next start takes over.
 */
export function claimStartLock(directory: string, url: string): () => void {
  const path = join(directory, ".wrangler", "npm-start.pid");
  mkdirSync(join(directory, ".wrangler"), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${process.pid} ${url}\n`, { flag: "wx" });
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const [pid, holderUrl] = readFileSync(path, "utf8").trim().split(" ");
    if (Number(pid) > 0 && Number(pid) !== process.pid && isRunning(Number(pid))) {
      throw new Error(
        `npm start is already running in this folder (pid ${pid}, ${holderUrl ?? "unknown URL"}); two Workers on one local database turn each other's writes away, so stop it first (Ctrl-C in its terminal)`,
      );
    }
    rmSync(path, { force: true });
  }
  throw new Error(`another npm start keeps claiming ${path}; stop it first`);
}
