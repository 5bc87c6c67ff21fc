/*
 * Every fast-check property and fuzz test runs from one fixed seed, printed, so a red run can be
 * replayed on any project (workers, node-libsql, node-server, node):
 *   VITE_FC_SEED=<seed> npx vitest run --project <project> <test file>
 * Inside workerd there is no process.env; Vite hands VITE_-prefixed variables to import.meta.env
 * in every project, so that one name serves workerd and Node alike.
 */

const DEFAULT_SEED = 20261201;

const viteEnv = (import.meta as ImportMeta & { env?: Record<string, string | undefined> }).env;

export const FC_SEED = Number(viteEnv?.VITE_FC_SEED || DEFAULT_SEED);

/**
 * fast-check's parameters for one property: the suite's seed and a run count. Prints both with
 * the suite's name, so the output of a failed run says how to replay it.
 */
export function propertyRuns(suite: string, numRuns = 100): { seed: number; numRuns: number } {
  console.log(
    `${suite}: fast-check seed ${FC_SEED}, ${numRuns} runs (replay: VITE_FC_SEED=${FC_SEED})`,
  );
  return { seed: FC_SEED, numRuns };
}
