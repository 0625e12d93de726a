// Prints one closing line in the plain form CI reads: "e2e: N passed, N failed, N skipped".
// With GTX_E2E_SUMMARY_FILE set (scripts/test does), the line goes to that file instead,
// so the script can print it as the very last line of its output.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FullResult, Reporter, Suite } from '@playwright/test/reporter';

export default class SummaryReporter implements Reporter {
  private root: Suite | undefined;

  onBegin(_config: unknown, suite: Suite): void {
    this.root = suite;
  }

  printsToStdio(): boolean {
    return false;
  }

  onEnd(result: FullResult): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const test of this.root?.allTests() ?? []) {
      switch (test.outcome()) {
        case 'expected':
        case 'flaky':
          passed++;
          break;
        case 'unexpected':
          failed++;
          break;
        case 'skipped':
          skipped++;
          break;
      }
    }
    // A run that failed outside any test (global setup, a timeout) must not read as green.
    if (result.status !== 'passed' && failed === 0) failed = 1;
    const line = `e2e: ${passed} passed, ${failed} failed, ${skipped} skipped`;
    const file = process.env.GTX_E2E_SUMMARY_FILE;
    if (file) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, `${line}\n`);
    } else {
      console.log(line);
    }
  }
}
