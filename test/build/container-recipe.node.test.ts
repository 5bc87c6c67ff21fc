import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import { chmod, chown, cp, mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";

/*
 * The container recipe in docs/databases.md, followed as written: the image's build steps run as
 * root in a root-owned copy of the project, then the server starts as an unprivileged user (the
 * image's `USER node`), as systemd's `User=` with `ProtectSystem=strict` does too. The server can
 * then write only its database's folder, so whatever it would build at start must be built before.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const run = promisify(execFile);
const NOBODY = 65_534;
/**
 * Root to copy the project as the image does, and an installed tree `nobody` can read (the copy
 * links to it): a checkout under a private home directory is not, and that is the machine's
 * layout, not the recipe's.
 */
const canRun =
  process.getuid?.() === 0 &&
  spawnSync("test", ["-r", join(ROOT, "node_modules/tsx/package.json")], {
    uid: NOBODY,
    gid: NOBODY,
  }).status === 0;
const scratch: string[] = [];
const servers: ChildProcess[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) server.kill("SIGKILL");
  await Promise.all(scratch.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** The RUN steps the documented Dockerfile takes once the project is copied in, before `USER`. */
async function documentedBuildSteps(): Promise<string[]> {
  const doc = await readFile(join(ROOT, "docs/databases.md"), "utf8");
  const dockerfile = /### Container\n\n```dockerfile\n([\s\S]*?)```/.exec(doc)?.[1];
  if (dockerfile === undefined) throw new Error("docs/databases.md shows no Dockerfile");
  const lines = dockerfile.split("\n");
  const from = lines.indexOf("COPY . .");
  const to = lines.findIndex((line) => line.startsWith("USER "));
  expect(from, "COPY . . then USER in the Dockerfile").toBeLessThan(to);
  return lines
    .slice(from + 1, to)
    .filter((line) => line.startsWith("RUN "))
    .map((line) => line.slice("RUN ".length));
}

/** Starts scripts/serve.ts as nobody; resolves with its `ready:` URL, rejects with its output. */
function serveAsNobody(app: string, data: string): Promise<string> {
  const server = spawn(process.execPath, ["--import", "tsx", "scripts/serve.ts"], {
    cwd: app,
    uid: NOBODY,
    gid: NOBODY,
    env: {
      PATH: process.env.PATH ?? "",
      HOST: "127.0.0.1",
      PORT: "0",
      DATABASE_URL: `file:${join(data, "credit.db")}`,
      SEED: "false",
      WEB_CONCURRENCY: "1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  servers.push(server);
  let output = "";
  return new Promise((resolve, reject) => {
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /ready: API (http:\/\/\S+)/.exec(output);
      if (ready?.[1]) resolve(ready[1]);
    };
    server.stdout?.on("data", read);
    server.stderr?.on("data", read);
    server.on("exit", (code) => reject(new Error(`server exited ${code}:\n${output}`)));
  });
}

describe("the documented container recipe", () => {
  it.skipIf(!canRun)(
    "starts as an unprivileged user with the console built by the image",
    async () => {
      // A clean checkout's files, owned by root as COPY leaves them; no public/ (it is ignored).
      const app = await mkdtemp(join(tmpdir(), "container-app-"));
      scratch.push(app);
      await chmod(app, 0o755);
      for (const path of ["console", "scripts", "src", "migrations"]) {
        await cp(join(ROOT, path), join(app, path), { recursive: true });
      }
      for (const file of ["package.json", "tsconfig.json", "tsconfig.node.json"]) {
        await cp(join(ROOT, file), join(app, file));
      }
      // What `npm ci` installed, shared rather than installed again (offline, and quicker).
      await symlink(join(ROOT, "node_modules"), join(app, "node_modules"));
      const env = Object.fromEntries(
        Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)),
      );
      for (const step of await documentedBuildSteps()) {
        await run("sh", ["-c", step], { cwd: app, env });
      }

      const data = await mkdtemp(join(tmpdir(), "container-data-"));
      scratch.push(data);
      await chown(data, NOBODY, NOBODY);
      const url = await serveAsNobody(app, data);
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("<html");
    },
    120_000,
  );
});
