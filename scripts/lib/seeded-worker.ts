/*
 * A real local Worker (wrangler dev, which also builds the console's assets) loaded with the
 * lender's bundled workbooks through the same path `npm start` uses: script → ingest endpoint →
 * queue → consumer → D1.
 */
import { ingestLenderWorkbooks } from "./lender-workbooks";
import { type LocalWorker, startLocalWorker } from "./local-worker";

export async function startSeededWorker(vars: Record<string, string> = {}): Promise<LocalWorker> {
  const worker = await startLocalWorker(vars);
  try {
    const report = await ingestLenderWorkbooks({
      url: worker.url,
      token: worker.token,
      reportFile: null,
      log: () => undefined,
    });
    if (!report.complete) throw new Error(`seeding was incomplete: ${JSON.stringify(report)}`);
  } catch (error) {
    await worker.stop();
    throw error;
  }
  return worker;
}
