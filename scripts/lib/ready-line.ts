import { listensOnAllInterfaces } from "../../src/lib/url-host";

/**
 * What `npm start` and `npm run serve` print once they serve: where the API, its docs and its
 * OpenAPI document are, and, on every interface, that other machines can reach it too.
 */
export function readyLines(url: string, host: string): string {
  const ready = `ready: API ${url}  docs ${url}/docs  OpenAPI ${url}/openapi.json`;
  if (!listensOnAllInterfaces(host)) return `\n${ready}\n`;
  const { port } = new URL(url);
  return `\n${ready}\nlistening on all interfaces (HOST=${host}): other machines reach it at this machine's address, port ${port}\n`;
}
