// Ends every vitest run with one plain line, `tests: N passed, N failed, N skipped`, that CI systems
// (and people skimming a log) read without knowing vitest's own format. Every skipped test is listed
// above it with its reason (the note given to `context.skip(note)`, or the suite name that carries the
// `skipIf` reason), so a missing prerequisite is never a silent gap in a green run.
import type { Reporter, TestCase, TestModule } from 'vitest/node';

export function skipLine(test: TestCase): string {
  const result = test.result();
  const note = result.state === 'skipped' ? result.note : undefined;
  return `skipped: ${test.fullName}${note ? ` (${note})` : ''} [${test.module.moduleId.replace(`${process.cwd()}/`, '')}]`;
}

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    const skipped: string[] = [];
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed += 1;
        else if (state === 'failed') failed += 1;
        else skipped.push(skipLine(test));
      }
      if (module.state() === 'failed' && module.children.size === 0) failed += 1;
    }
    const list = skipped.length ? `\n${skipped.join('\n')}` : '';
    process.stdout.write(`${list}\ntests: ${passed} passed, ${failed} failed, ${skipped.length} skipped\n`);
  }
}
