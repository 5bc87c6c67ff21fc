import { createServer } from "node:net";

/**
 * A loopback port kept busy until `release()`, as a server that took a port another one was about
 * to listen on holds it: it accepts connections and never answers.
 */
export async function holdPort(): Promise<{ port: number; release: () => void }> {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
  const address = holder.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return { port, release: () => holder.close() };
}
