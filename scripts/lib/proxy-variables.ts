/*
 * HTTPS_PROXY, HTTP_PROXY and NO_PROXY, which curl and npm read and Node's fetch does not (Node 20,
 * or a later Node without NODE_USE_ENV_PROXY=1): a laptop whose network reaches the Worker only
 * through its proxy saw `getaddrinfo ENOTFOUND` for a minute, with no word of the proxy.
 */

/** Node's fetch reads the proxy variables from these releases on, when told to. */
const ENV_PROXY_SINCE: Record<number, number> = { 22: 21, 24: 5 };

/**
 * The proxy variable that names a proxy for `url` but that fetch will not use, with what to do,
 * in one sentence; null when none applies (unset, NO_PROXY lists the host, a loopback address) or
 * fetch uses it.
 */
export function unusedProxy(
  url: URL,
  env: NodeJS.ProcessEnv = process.env,
  nodeVersion: string = process.versions.node,
  execArgv: readonly string[] = process.execArgv,
): string | null {
  const names =
    url.protocol === "https:" ? ["https_proxy", "HTTPS_PROXY"] : ["http_proxy", "HTTP_PROXY"];
  const name = names.find((n) => env[n]?.trim());
  if (name === undefined || isLoopback(url.hostname) || bypassed(url, env)) return null;
  const supported = readsProxyVariables(nodeVersion);
  const askedFor =
    env.NODE_USE_ENV_PROXY === "1" ||
    [...execArgv, ...(env.NODE_OPTIONS ?? "").split(/\s+/)].includes("--use-env-proxy");
  if (supported && askedFor) return null;
  const fetchSays = supported
    ? `Node ${nodeVersion}'s fetch uses it only with NODE_USE_ENV_PROXY=1: set it to send through the proxy`
    : `Node ${nodeVersion}'s fetch does not read it: run it on Node 22.21 or later with NODE_USE_ENV_PROXY=1 to send through the proxy`;
  return `${name} is set (${proxyHost(env[name] ?? "")}), but this script connects to ${url.host} directly; ${fetchSays}, or run it where ${url.host} is reachable without one`;
}

function readsProxyVariables(version: string): boolean {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  const since = ENV_PROXY_SINCE[major];
  return since === undefined ? major > 24 : minor >= since;
}

/** NO_PROXY as curl reads it: `*`, or host names (a leading `.` or `*.` optional), a port each. */
function bypassed(url: URL, env: NodeJS.ProcessEnv): boolean {
  const list = env.no_proxy ?? env.NO_PROXY ?? "";
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, "");
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  return list
    .split(/[\s,]+/)
    .filter(Boolean)
    .some((entry) => {
      if (entry === "*") return true;
      const [, name = "", entryPort] = /^(.*?)(?::(\d+))?$/.exec(entry.toLowerCase()) ?? [];
      const domain = name.replace(/^\*?\./, "").replace(/^\[|\]$/g, "");
      if (entryPort !== undefined && entryPort !== port) return false;
      return host === domain || host.endsWith(`.${domain}`);
    });
}

function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  return (
    host === "localhost" || host.endsWith(".localhost") || host === "::1" || /^127\./.test(host)
  );
}

/** The proxy's host and port, never a user name or password its URL carries. */
function proxyHost(value: string): string {
  try {
    return new URL(value.trim()).host || "not a URL";
  } catch {
    return "not a URL";
  }
}
