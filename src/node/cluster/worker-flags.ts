/*
 * The Node flags the HTTP workers start with: the primary's own, plus a larger young generation.
 * A request allocates many short-lived objects (the request, the rows, the answer), and V8's
 * default nursery collects them in frequent scavenges; at 64 MB the workers spent 2–10 % less CPU
 * per request, at about 30 MB more resident memory each (docs/performance.md, round 7).
 */

export const WORKER_YOUNG_GENERATION_FLAG = "--max-semi-space-size=64";

/** V8 reads `--max-semi-space-size` and `--max_semi_space_size` alike. */
const SEMI_SPACE_FLAG = /^--max[-_]semi[-_]space[-_]size(=|$)/;

/**
 * The workers' `execArgv`: the primary's flags (tsx's loader among them), and the young
 * generation's size unless the operator set one, on the command line or in NODE_OPTIONS.
 */
export function workerExecArgv(primaryExecArgv: readonly string[], nodeOptions = ""): string[] {
  const given = [...primaryExecArgv, ...nodeOptions.split(/\s+/)];
  return given.some((flag) => SEMI_SPACE_FLAG.test(flag))
    ? [...primaryExecArgv]
    : [...primaryExecArgv, WORKER_YOUNG_GENERATION_FLAG];
}
