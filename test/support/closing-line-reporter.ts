import type { Reporter, TestModule } from "vitest/node";

/**
 * CI reads a plain closing line, not vitest's summary: print `N passed, N failed, N skipped`
 * alone on the last line of the run.
 */
export default class ClosingLineReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      let failedHere = 0;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failedHere++;
        else skipped++;
      }
      failed += failedHere;
      // A file that failed to load, or whose beforeAll threw (its tests then count as skipped),
      // has no failed test to count but must still fail the run.
      if (module.state() === "failed" && failedHere === 0) failed++;
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
