// The only vitest-aware module: a `test` with a booted-VM fixture, and matchers whose failure messages
// carry the evidence (command, exit code, output; failed checks with verdicts).
import { expect, test as baseTest } from 'vitest';
import { bootVm } from '../run/boot-vm.ts';
import { restoreVm } from '../run/vm-snapshot.ts';
import type { BootOptions } from '../boot/boot-options.ts';
import { BootedVm } from '../boot/booted-vm.ts';
import type { CheckResult } from '../checks/check-result.ts';
import type { PreNixosOutcome } from '../checks/pre-nixos-suite.ts';
import type { CommandResult } from '../command/command-runner.ts';

export interface VmFixtures {
  /** Options for the `bootedVm` fixture; override per file or suite with `test.override({ vmOptions })`. */
  vmOptions: BootOptions;
  /** A VM booted from `vmOptions` (the default image's ISO by default), stopped after the test. */
  bootedVm: BootedVm;
  /**
   * A VM restored from a cached snapshot of `vmOptions` (saved by the first test that asks): each test gets
   * its own guest, isolated from the others, in about a second instead of a boot.
   */
  restoredVm: BootedVm;
}

export const test = baseTest.extend<VmFixtures>({
  vmOptions: [{}, { injected: false }],
  bootedVm: async ({ vmOptions, task }, use) => {
    await useVm(await bootVm({ name: vmOptions.name ?? task.name, ...vmOptions }), task, use);
  },
  restoredVm: async ({ vmOptions, task }, use) => {
    await useVm(await restoreVm({ ...vmOptions, name: vmOptions.name ?? task.name }), task, use);
  },
});

type FixtureTask = { name: string; result?: { state?: string; errors?: { name?: string; message?: string }[] } | undefined };

async function useVm(vm: BootedVm, task: FixtureTask, use: (vm: BootedVm) => Promise<void>): Promise<void> {
  let failure: unknown;
  try {
    await use(vm);
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    // A failed test's report says so (and keeps the console tail), even though the VM itself was fine.
    await vm.stop(failure ?? testFailure(task.name, task.result));
  }
}

export { expect };

/** The test's own first error, so report.json says why the run failed (vitest records it before teardown). */
function testFailure(testName: string, result: { state?: string; errors?: { name?: string; message?: string }[] } | undefined): Error | undefined {
  if (result?.state !== 'fail') return undefined;
  const first = result.errors?.[0];
  const error = new Error(`Test "${testName}" failed: ${first?.message ?? 'no error recorded'}`);
  error.name = first?.name ?? 'TestFailure';
  return error;
}

export interface BootHarnessMatchers<R = unknown> {
  /** On a BootedVm with a shell: the guest has a network interface called `name` (`ip -o link show`). */
  toHaveInterface(name: string): Promise<R>;
  /** On a CommandResult: exit code 0. */
  toSucceed(): R;
  /**
   * On a PreNixosOutcome or CheckResult[]: checks ran and every one passed (a skipped check is not a pass).
   * With `ids`, each of those checks must also be among them: a check that silently dropped out fails.
   */
  toPassChecks(ids?: readonly string[]): R;
}

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Assertion<T = any> extends BootHarnessMatchers<T> {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AsymmetricMatchersContaining extends BootHarnessMatchers {}
}

function indent(text: string): string {
  const trimmed = text.trimEnd();
  return trimmed ? trimmed.split('\n').map((line) => `    | ${line}`).join('\n') : '    (empty)';
}

function isCommandResult(value: unknown): value is CommandResult {
  return typeof value === 'object' && value !== null && 'exitCode' in value && 'command' in value && 'stdout' in value;
}

function describeResult(result: CommandResult): string {
  return [`  command: ${result.command}`, `  exit code: ${result.exitCode}`, '  stdout:', indent(result.stdout), ...(result.stderr ? ['  stderr:', indent(result.stderr)] : [])].join('\n');
}

function describeCheck(check: CheckResult): string {
  const lines = [`  ${check.skipped ? '○' : '✗'} ${check.id} (${check.title}): ${check.verdict}`];
  for (const evidence of check.evidence) {
    lines.push(`    $ ${evidence.command}${evidence.exitCode === undefined ? '' : `  → exit ${evidence.exitCode}`}`);
    lines.push(indent(evidence.output).replaceAll('\n', '\n  ').replace(/^/, '  '));
  }
  return lines.join('\n');
}

/** Names in `ip -o link show` output: `2: lan: <BROADCAST,...>` or `3: eth0@if4: ...`. */
function linkNames(output: string): string[] {
  return [...output.matchAll(/^\d+:\s+([^:@\s]+)[@:]/gm)].map((match) => match[1]!);
}

expect.extend({
  async toHaveInterface(received: unknown, name: string) {
    if (!(received instanceof BootedVm)) {
      return { pass: false, message: () => `toHaveInterface() expects a BootedVm, got ${this.utils.printReceived(received)}` };
    }
    const result = await received.shell.run('ip -o link show');
    const names = linkNames(result.stdout);
    const pass = result.exitCode === 0 && names.includes(name);
    return {
      pass,
      message: () =>
        `expected guest ${received.plan.name} ${pass ? 'not ' : ''}to have interface ${this.utils.printExpected(name)}; it has ${names.map((n) => this.utils.printReceived(n)).join(', ') || 'none'}\n${describeResult(result)}`,
    };
  },

  toSucceed(received: unknown) {
    if (!isCommandResult(received)) {
      return { pass: false, message: () => `toSucceed() expects a CommandResult, got ${this.utils.printReceived(received)}` };
    }
    const pass = received.exitCode === 0;
    return {
      pass,
      message: () => `expected \`${received.command}\` ${pass ? 'to fail' : 'to exit 0'}, it exited ${received.exitCode}\n${describeResult(received)}`,
    };
  },

  toPassChecks(received: unknown, ids?: readonly string[]) {
    const outcome = received as Partial<PreNixosOutcome> | undefined;
    const checks: CheckResult[] | undefined = Array.isArray(received) ? (received as CheckResult[]) : Array.isArray(outcome?.checks) ? outcome.checks : undefined;
    if (!checks) {
      return { pass: false, message: () => `toPassChecks() expects a PreNixosOutcome or CheckResult[], got ${this.utils.printReceived(received)}` };
    }
    const failed = checks.filter((check) => !check.passed);
    const missing = (ids ?? []).filter((id) => !checks.some((check) => check.id === id));
    const pass = checks.length > 0 && failed.length === 0 && missing.length === 0;
    const serviceLog = !Array.isArray(received) && outcome?.serviceLog ? `\n  service log:\n${indent(outcome.serviceLog)}` : '';
    const ran = checks.map((check) => check.id).join(', ');
    return {
      pass,
      message: () =>
        pass
          ? `expected some of ${checks.length} checks to fail, all passed: ${ran}`
          : checks.length === 0
            ? 'expected checks to pass, but no checks ran'
            : [
                ...(missing.length > 0 ? [`expected checks ${missing.join(', ')} to run, they did not (ran: ${ran})`] : []),
                ...(failed.length > 0 ? [`expected all ${checks.length} checks to pass, ${failed.length} failed:\n${failed.map(describeCheck).join('\n')}${serviceLog}`] : []),
              ].join('\n'),
    };
  },
});
