import { resolve } from "node:path";
import { type ParseArgsConfig, parseArgs } from "node:util";

/**
 * The script's arguments, or, when they do not parse (an unknown option such as `--customer`, an
 * option without its value), one line after `prefix` with the usage, and exit code 1: a typo used
 * to end in parseArgs' stack trace.
 */
export function argsOrExit<T extends ParseArgsConfig>(
  config: T,
  prefix: string,
  usage: string,
): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    if (!(error as NodeJS.ErrnoException).code?.startsWith("ERR_PARSE_ARGS_")) throw error;
    // Node's advice on "--" that follows an unknown option is about positionals; the usage says more.
    const reason = (error as Error).message.split(". To specify a positional")[0];
    console.error(`${prefix}${reason}; ${usage}`);
    process.exit(1);
  }
}

/**
 * A path the operator typed, from the folder npm was run from (INIT_CWD): `npm run` starts a
 * script in the project's folder, so `cd data && npm run ingest -- --customers c.xlsx` missed it.
 */
export function callerPath(path: string): string {
  return resolve(process.env.INIT_CWD ?? ".", path);
}

/** The operator's `path` from the folder npm was run from (callerPath), else the project's default. */
export function callerPathOr(path: string | undefined, projectDefault: string): string {
  return path === undefined ? projectDefault : callerPath(path);
}
