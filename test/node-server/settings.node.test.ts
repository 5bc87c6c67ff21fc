import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config";
import { misspelledSettings } from "../../src/node/misspelled-settings";
import {
  DEFAULT_RATE_LIMIT_PER_MINUTE,
  DEFAULT_WORKER_START_TIMEOUT_SECONDS,
  MAX_WEB_CONCURRENCY,
  settingsFromEnv,
} from "../../src/node/settings";

describe("the Node server's settings", () => {
  it("default to the Worker's write limit from wrangler.toml", () => {
    const toml = readFileSync(new URL("../../wrangler.toml", import.meta.url), "utf8");
    const binding =
      /name = "WRITE_RATE_LIMITER"[\s\S]*?simple = \{ limit = (\d+), period = (\d+) \}/.exec(toml);
    expect(binding?.slice(1).map(Number)).toEqual([DEFAULT_RATE_LIMIT_PER_MINUTE, 60]);
    expect(settingsFromEnv({}).rateLimitPerMinute).toBe(DEFAULT_RATE_LIMIT_PER_MINUTE);
  });

  it("take RATE_LIMIT_PER_MINUTE as a positive integer", () => {
    expect(settingsFromEnv({ RATE_LIMIT_PER_MINUTE: "5000" }).rateLimitPerMinute).toBe(5000);
    for (const bad of ["0", "-1", "1.5", "many", "1e3", "0x10"]) {
      expect(() => settingsFromEnv({ RATE_LIMIT_PER_MINUTE: bad }), bad).toThrow(ConfigError);
    }
  });

  it("take PORT in decimal digits only", () => {
    expect(settingsFromEnv({ PORT: " 8789 " }).port).toBe(8789);
    expect(settingsFromEnv({ PORT: "0" }).port).toBe(0);
    // Number() takes these, but no operator means 8841 by `0x2289`.
    for (const bad of ["0x2289", "8.8e3", "-1", "65536", "+80"]) {
      expect(() => settingsFromEnv({ PORT: bad }), bad).toThrow(
        /^PORT must be a whole number from 0 to 65535$/,
      );
    }
  });

  // Each was a `cannot listen: getaddrinfo ENOTFOUND` from every worker and exit 1, restarted.
  it("take HOST as an address or name, IPv6 in brackets too, and refuse a URL or a port in it", () => {
    expect(settingsFromEnv({ HOST: " [::1] " }).host).toBe("::1");
    expect(settingsFromEnv({ HOST: "[::]" }).host).toBe("::");
    expect(settingsFromEnv({ HOST: "::" }).host).toBe("::");
    expect(settingsFromEnv({ HOST: "api.internal" }).host).toBe("api.internal");
    for (const bad of [
      "0.0.0.0:8788",
      "http://127.0.0.1",
      "localhost:8788",
      "[::1]:8788",
      "10.0.0.1/8",
    ]) {
      expect(() => settingsFromEnv({ HOST: bad }), bad).toThrow(
        /^HOST must be an IP address or a host name, with no scheme, port or path \(PORT sets the port\)$/,
      );
    }
  });

  it("run one HTTP worker per core unless WEB_CONCURRENCY says how many", () => {
    expect(settingsFromEnv({}).webConcurrency).toBe(
      Math.min(availableParallelism(), MAX_WEB_CONCURRENCY),
    );
    expect(settingsFromEnv({ WEB_CONCURRENCY: "1" }).webConcurrency).toBe(1);
    expect(settingsFromEnv({ WEB_CONCURRENCY: " 8 " }).webConcurrency).toBe(8);
    expect(settingsFromEnv({ WEB_CONCURRENCY: String(MAX_WEB_CONCURRENCY) }).webConcurrency).toBe(
      MAX_WEB_CONCURRENCY,
    );
    for (const bad of ["0", "-2", "1.5", "many", String(MAX_WEB_CONCURRENCY + 1)]) {
      expect(() => settingsFromEnv({ WEB_CONCURRENCY: bad }), bad).toThrow(
        /^WEB_CONCURRENCY must be a whole number from 1 to 64$/,
      );
    }
  });

  it("give a cluster worker WORKER_START_TIMEOUT_SECONDS to listen, 120 unless set", () => {
    expect(settingsFromEnv({}).workerStartTimeoutSeconds).toBe(
      DEFAULT_WORKER_START_TIMEOUT_SECONDS,
    );
    expect(DEFAULT_WORKER_START_TIMEOUT_SECONDS).toBe(120);
    expect(
      settingsFromEnv({ WORKER_START_TIMEOUT_SECONDS: " 30 " }).workerStartTimeoutSeconds,
    ).toBe(30);
    for (const bad of ["0", "-1", "1.5", "2m", "3601"]) {
      expect(() => settingsFromEnv({ WORKER_START_TIMEOUT_SECONDS: bad }), bad).toThrow(
        /^WORKER_START_TIMEOUT_SECONDS must be a whole number from 1 to 3600$/,
      );
    }
  });

  it("name no worker process in responses unless WORKER_PID_HEADER is true", () => {
    expect(settingsFromEnv({}).workerPidHeader).toBe(false);
    expect(settingsFromEnv({ WORKER_PID_HEADER: "false" }).workerPidHeader).toBe(false);
    expect(settingsFromEnv({ WORKER_PID_HEADER: "true" }).workerPidHeader).toBe(true);
  });

  it("read SEED, METRICS and WORKER_PID_HEADER as on or off, and refuse any other value", () => {
    expect(settingsFromEnv({})).toMatchObject({ seed: true, metrics: true });
    for (const off of ["false", " False ", "0", "no", "OFF"]) {
      expect(settingsFromEnv({ SEED: off, METRICS: off }), off).toMatchObject({
        seed: false,
        metrics: false,
      });
    }
    for (const on of ["true", " TRUE", "1", "yes", "on", " "]) {
      expect(settingsFromEnv({ SEED: on, METRICS: on }), on).toMatchObject({
        seed: true,
        metrics: true,
      });
    }
    for (const name of ["SEED", "METRICS", "WORKER_PID_HEADER"]) {
      for (const bad of ["flase", "disabled", "2"]) {
        expect(() => settingsFromEnv({ [name]: bad }), `${name}=${bad}`).toThrow(
          new RegExp(`^${name} must be true or false`),
        );
      }
    }
  });

  it("take DATABASE_URL's scheme in any case, and refuse a file: URL that names no file", () => {
    expect(settingsFromEnv({ DATABASE_URL: "FILE:/tmp/x.db" }).databaseUrl).toBe("file:/tmp/x.db");
    expect(settingsFromEnv({ DATABASE_URL: "LibSQL://db.example" }).databaseUrl).toBe(
      "libsql://db.example",
    );
    for (const bad of ["file:", " file: ", "file://", "file::memory:", "file:?cache=shared"]) {
      expect(() => settingsFromEnv({ DATABASE_URL: bad }), bad).toThrow(
        /^DATABASE_URL must name a database file/,
      );
    }
  });

  // libSQL's client threw these with a stack trace and exit 1 (a restart loop under systemd).
  it("refuse a remote DATABASE_URL the libSQL client cannot open, naming it and never its token", () => {
    for (const good of [
      "libsql://credit-lender.turso.io",
      "libsql://db.example:8080?tls=0",
      "http://127.0.0.1:8080",
      "https://[::1]:8443/",
      "wss://db.example/?authToken=secret-token",
    ]) {
      expect(settingsFromEnv({ DATABASE_URL: good }).databaseUrl, good).toBe(good);
    }
    for (const bad of [
      "libsql://",
      "https://",
      "libsql://:8080",
      "libsql://db.example:99999",
      "libsql://[::1",
      "libsql://db.example?tls=maybe&authToken=secret-token",
      "libsql://db.example?mode=ro",
      "libsql://db.example#replica",
      "wss://db.example:70000/?authToken=secret-token",
    ]) {
      let error: unknown;
      try {
        settingsFromEnv({ DATABASE_URL: bad });
      } catch (thrown) {
        error = thrown;
      }
      expect(error, bad).toBeInstanceOf(ConfigError);
      expect((error as Error).message, bad).toMatch(/^DATABASE_URL /);
      expect((error as Error).message, bad).not.toContain("secret-token");
    }
  });

  it("take DATABASE_AUTH_TOKEN without the blanks around it, as the other tokens", () => {
    // A token kept in a file (`echo … > token`, a Kubernetes secret) ends in a newline, which the
    // libsql:// (WebSocket) client sent as part of the token (its hello's jwt): a right one failed.
    expect(settingsFromEnv({ DATABASE_AUTH_TOKEN: "eyJhbGciOi.x.y\n" }).databaseAuthToken).toBe(
      "eyJhbGciOi.x.y",
    );
    expect(settingsFromEnv({ DATABASE_AUTH_TOKEN: " \n" }).databaseAuthToken).toBeUndefined();
    expect(settingsFromEnv({ DATABASE_AUTH_TOKEN: "" }).databaseAuthToken).toBeUndefined();
  });

  it("have no ingest token unless INGEST_TOKEN is set", () => {
    expect(settingsFromEnv({}).app.ingestToken).toBeNull();
    expect(settingsFromEnv({ INGEST_TOKEN: "" }).app.ingestToken).toBeNull();
    expect(settingsFromEnv({ INGEST_TOKEN: "operator-token" }).app.ingestToken).toBe(
      "operator-token",
    );
  });

  it("refuse at start an INGEST_TOKEN or METRICS_TOKEN no request could match, naming it", () => {
    // Accepted, the server started and answered every ingest request 401: `Bearer two words` is
    // not one token. The line break a file brings at the end is trimmed, as before.
    expect(settingsFromEnv({ INGEST_TOKEN: "operator-token\n" }).app.ingestToken).toBe(
      "operator-token",
    );
    expect(settingsFromEnv({ METRICS_TOKEN: " scrape-token\n" }).metricsToken).toBe("scrape-token");
    for (const name of ["INGEST_TOKEN", "METRICS_TOKEN"]) {
      const start = () => settingsFromEnv({ [name]: "two words" });
      expect(start).toThrow(ConfigError);
      expect(start).toThrow(
        new RegExp(`^${name} has a blank \\(a space, a tab, a no-break space\\) at position 4`),
      );
    }
  });

  it("tell a misspelled setting's name from the environment's own names", () => {
    const env = {
      API_KEY: "x",
      METRIC_TOKEN: "x",
      WEB_CONCURENCY: "4",
      port: "8080",
      DATABASE_AUTHTOKEN: "x",
      TURSO_DATABASE_URL: "libsql://db.example",
      // Names a shell, a service manager, npm or Kubernetes sets: none is near a setting.
      HOME: "/root",
      HOSTNAME: "box",
      PATH: "/bin",
      PWD: "/",
      USER: "node",
      NODE_ENV: "production",
      NODE_OPTIONS: "",
      KUBERNETES_PORT: "tcp://10.0.0.1:443",
      METRICS_SERVICE_PORT: "9090",
      npm_config_cache: "/tmp",
      npm_package_name: "credit-approval",
    };
    expect(misspelledSettings(env)).toEqual([
      { setting: "API_KEY", meant: "API_KEYS" },
      { setting: "METRIC_TOKEN", meant: "METRICS_TOKEN" },
      { setting: "WEB_CONCURENCY", meant: "WEB_CONCURRENCY" },
      { setting: "port", meant: "PORT" },
      { setting: "DATABASE_AUTHTOKEN", meant: "DATABASE_AUTH_TOKEN" },
      { setting: "TURSO_DATABASE_URL", meant: "DATABASE_URL" },
    ]);
    // Beside the setting it is near, a name is another tool's, not a typo.
    expect(misspelledSettings({ API_KEY: "x", API_KEYS: "y" })).toEqual([]);
    expect(misspelledSettings({ PORT: "8788", HOST: "::" })).toEqual([]);
  });
});
