import type { Server } from "node:http";
import type { Socket } from "node:net";
import { monotonicNow } from "../lib/monotonic-clock";

/** When a connection's unsent output was last seen shrinking, and how much of it there was. */
const PENDING = Symbol("unsent output");
type Connection = Socket & { [PENDING]?: { bytes: number; since: number } | undefined };

/**
 * Resets (RST) every connection whose answer has waited `stalledMs` without the client reading any
 * of it. Node has no timeout once a request is in, so a client that read nothing held the
 * connection, the answers and the kernel's buffers for as long as it liked. One sweep a quarter of
 * that time over the open connections, not a timer per answer: a client reading slowly shrinks
 * its unsent output between sweeps and is left alone. Returns the function that stops the sweeps.
 */
export function resetStalledConnections(server: Server, stalledMs: number): () => void {
  const open = new Set<Connection>();
  server.on("connection", (socket: Connection) => {
    open.add(socket);
    socket.once("close", () => open.delete(socket));
  });
  const sweep = setInterval(
    () => {
      const now = monotonicNow();
      for (const socket of open) {
        const bytes = socket.writableLength;
        const seen = socket[PENDING];
        if (bytes === 0) {
          socket[PENDING] = undefined;
        } else if (seen === undefined || bytes < seen.bytes) {
          socket[PENDING] = { bytes, since: now };
        } else {
          seen.bytes = bytes;
          if (now - seen.since >= stalledMs) socket.resetAndDestroy();
        }
      }
    },
    Math.max(100, stalledMs / 4),
  );
  sweep.unref();
  return () => clearInterval(sweep);
}
