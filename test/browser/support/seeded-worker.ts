/*
 * A real local Worker (wrangler dev, which also builds the console's assets) loaded with the
 * lender's bundled workbooks through the same path `npm start` uses: script → ingest endpoint →
 * queue → consumer → D1.
 */
import { runIngest } from "../../../scripts/lib/ingest-run";
import { REAL_CUSTOMERS, REAL_LOANS } from "../../node/ingest-fixtures";
import { type LocalWorker, startLocalWorker } from "../../node/local-worker";

export async function startSeededWorker(vars: Record<string, string> = {}): Promise<LocalWorker> {
  const worker = await startLocalWorker(vars);
  try {
    const report = await runIngest({
      url: worker.url,
      token: worker.token,
      customersFile: REAL_CUSTOMERS,
      loansFile: REAL_LOANS,
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
