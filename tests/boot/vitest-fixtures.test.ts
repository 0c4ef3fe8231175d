// The vitest fixture and matchers, used the way a user would: one real boot of the default image.
// The README's "Library API" examples are copied from this file and tests/boot/report.test.ts.
import { describe } from 'vitest';
import { runPreNixosChecks, storageStatus } from '../../harness/index.ts';
import { expect, test } from '../../harness/testing/vitest-fixtures.ts';

describe('vitest fixture and matchers', () => {
  test.override({ vmOptions: { name: 'fixture-default-iso' } });

  test('bootedVm: pre-nixos checks pass, lan is up, commands succeed over the shell and SSH', async ({ bootedVm: vm }) => {
    const outcome = await runPreNixosChecks(vm, { keyPresent: true, storage: 'plan-only' });
    expect(outcome).toPassChecks(['system-running', 'unit-pre-nixos', 'nic-renamed', 'dhcp-lease', 'ssh-reachable', 'storage-status']);
    await expect(vm).toHaveInterface('lan');
    await expect(vm).not.toHaveInterface('eth0');

    expect(await vm.shell.run('test -e /run/pre-nixos/storage-status')).toSucceed();
    expect(await vm.shell.run('false')).not.toSucceed();
    expect(await vm.shell.succeed('cat /run/pre-nixos/storage-status')).toMatch(/^STATE=plan-only\nDISK=none\nDETAIL=.*applied\n/);
    const ownFormat = await storageStatus(vm.shell, 'plan-only', { format: { pattern: /^STATE=(?<state>\S+)$/m } });
    expect(ownFormat).toMatchObject({ passed: true, verdict: 'plan-only (line 1, pattern /^STATE=(?<state>\\S+)$/)' });
    await vm.shell.fail('ip link show eth0');
    await vm.shell.waitUntilSucceeds('ip -4 -o addr show dev lan | grep -q inet', { timeoutMs: 30_000 });

    const ssh = await vm.ssh();
    expect(await ssh.execute('cat /run/pre-nixos/storage-status')).toSucceed();

    vm.console.sendLine('echo console-$((6 * 7))');
    await vm.console.expect(/console-42/, { timeoutMs: 10_000 });
  }, 400_000);
});
