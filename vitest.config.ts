import { defineConfig } from 'vitest/config';

// Boot suites start real QEMU guests under TCG on a shared 2-core machine, so they run one file at a
// time with generous budgets; unit tests are fast and pure.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    fileParallelism: true,
    maxWorkers: 2,
    reporters: [
      'default',
      './tests/support/summary-reporter.ts',
      ...(process.env.CI ? [['junit', { outputFile: 'boot-logs/junit.xml' }] as ['junit', Record<string, unknown>]] : []),
    ],
  },
});
