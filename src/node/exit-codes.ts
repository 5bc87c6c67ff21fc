/*
 * `npm run serve`'s exit codes for a start it refuses, which a supervisor reads to decide whether
 * to start it again (docs/databases.md, "Restarts").
 */

/**
 * A start refused for what only an operator can fix: a setting that does not parse, a file that is
 * not a usable database of this release, its permissions, a remote database that refuses the token
 * or is not at the URL (HTTP 401, 403, 404). EX_CONFIG of sysexits.h, the code systemd's
 * documentation gives for RestartPreventExitStatus=: no restart would find it gone.
 */
export const EX_CONFIG = 78;

/** Any other failure (a database out of reach, a lock held, a crash): a restart may succeed. */
export const EXIT_FAILURE = 1;
