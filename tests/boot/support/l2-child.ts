// Child process for the L2 tests, for what needs another process: booting without CAP_NET_ADMIN, and
// being SIGKILLed while it holds a macvtap. Prints one JSON line per event on stdout.
import { bootVm } from '../../../harness/run/boot-vm.ts';
import type { NicOption } from '../../../harness/boot/boot-options.ts';

const [mode, name, nicsJson] = process.argv.slice(2) as ['error' | 'user' | 'wait', string, string];
const nics = JSON.parse(nicsJson) as NicOption[];
const say = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);

try {
  const vm = await bootVm({ name, defaultImageAs: 'kernel', nics, l2Fallback: mode === 'user' ? 'user' : 'error' });
  const lan = await vm.shell.run('ip -4 -o addr show dev lan');
  say({ event: 'booted', qemuPid: vm.qemuPid, warnings: vm.report.warnings ?? [], nics: vm.report.nics, lan: lan.stdout, logDir: vm.logDir });
  if (mode === 'wait') await new Promise(() => undefined);
  await vm.stop();
  say({ event: 'stopped', passed: vm.report.passed, outcome: vm.report.outcome });
} catch (error) {
  say({ event: 'failed', name: (error as Error).name, message: (error as Error).message, missing: (error as { missing?: string[] }).missing });
  process.exitCode = 1;
}
