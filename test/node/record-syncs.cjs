/*
 * Preloaded into a script or the server (NODE_OPTIONS=--require) by a test: every fsyncSync,
 * fdatasyncSync and renameSync it makes through node:fs is appended to RECORD_SYNCS_LOG, a line each
 * (`fsync <path>`, `rename <from> <to>`), the path read from /proc/self/fd. The calls still run:
 * only what was made durable, and in which order, is the test's to read. With
 * RECORD_SYNCS_REFUSE_FOLDERS=<code> a folder's sync fails with that code instead, as some network
 * and FUSE mounts answer (`refused <path>`).
 */
const fs = require("node:fs");
const { syncBuiltinESMExports } = require("node:module");

const log = process.env.RECORD_SYNCS_LOG;
const note = (line) => fs.appendFileSync(log, `${line}\n`);
const pathOf = (fd) => fs.readlinkSync(`/proc/self/fd/${fd}`);
const refusal = process.env.RECORD_SYNCS_REFUSE_FOLDERS;

for (const name of ["fsyncSync", "fdatasyncSync"]) {
  const original = fs[name];
  fs[name] = (fd) => {
    if (refusal && fs.fstatSync(fd).isDirectory()) {
      note(`refused ${pathOf(fd)}`);
      throw Object.assign(new Error(`${refusal}: invalid argument, fsync`), { code: refusal });
    }
    note(`fsync ${pathOf(fd)}`);
    return original(fd);
  };
}
const { renameSync } = fs;
fs.renameSync = (from, to) => {
  const result = renameSync(from, to);
  note(`rename ${from} ${to}`);
  return result;
};
// The scripts import node:fs as an ES module, whose named exports are copied from these.
syncBuiltinESMExports();
