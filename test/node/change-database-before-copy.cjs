/*
 * Preloaded into `npm run db:backup` (NODE_OPTIONS=--require) by a test: the moment the script
 * prepares its VACUUM INTO, after its checks have read the database and before the copy does, the
 * file at CHANGE_DATABASE_PATH is overwritten in place with CHANGE_DATABASE_TO's bytes (emptied
 * when that is empty), as another process can (a `cp` or a restore over it) while the backup runs.
 * Every statement still runs in SQLite, on the real file; only the moment is the test's.
 */
const { copyFileSync, writeFileSync } = require("node:fs");
const Database = require("libsql");

const { prepare } = Database.prototype;
Database.prototype.prepare = function (sql, ...rest) {
  const path = process.env.CHANGE_DATABASE_PATH;
  if (path && sql.startsWith("VACUUM INTO")) {
    const bytesOf = process.env.CHANGE_DATABASE_TO;
    if (bytesOf) copyFileSync(bytesOf, path);
    else writeFileSync(path, "");
  }
  return prepare.call(this, sql, ...rest);
};
