/*
 * A real local Worker (wrangler dev, which also builds the console's assets) loaded with the
 * lender's bundled workbooks through the same path `npm start` uses: script → ingest endpoint →
 * queue → consumer → D1.
 */
import { runIngest } from "./ingest-run";
import { LENDER_CUSTOMERS_FILE, LENDER_LOANS_FILE } from "./lender-workbooks";
import { type LocalWorker, startLocalWorker } from "./local-worker";

export async function startSeededWorker(vars: Record<string, string> = {}): Promise<LocalWorker> {
  const worker = await startLocalWorker(vars);
  try {
    const report = await runIngest({
      url: worker.url,
      token: worker.token,
      customersFile: LENDER_CUSTOMERS_FILE,
      loansFile: LENDER_LOANS_FILE,
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
