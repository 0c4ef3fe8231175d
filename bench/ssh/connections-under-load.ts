// How many SSH connections the guest's sshd sees in one boot when the host is overloaded: several
// systemd-flavour boots with a disk (pre-nixos formatting it while sshd starts) at once, beside a busy
// loop, on this host's cores. Each boot runs in its own process, as vitest's workers do.
//   node --import tsx bench/ssh/connections-under-load.ts [boots, default 3]
// Prints one JSON line per boot: sshd's connections (its log's pids but the listener's), the harness's
// own account of the session (attempts, dropped for silence), the checks that failed, and the seconds to
// the end of the checks. Not in `npm run bench`: one run takes 1.5-5 min.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { bootVm } from '../../harness/run/boot-vm.ts';
import { runPreNixosChecks } from '../../harness/checks/pre-nixos-suite.ts';
import { sshdConnections } from '../../tests/support/sshd-connections.ts';

async function oneBoot(name: string): Promise<void> {
  const startedAtMs = performance.now();
  await using vm = await bootVm({ name, fixture: 'systemd', disks: [{ blankMiB: 64 }] });
  const outcome = await runPreNixosChecks(vm, { keyPresent: true, storage: 'applied' });
  const { connections } = await sshdConnections(vm.shell);
  const failed = outcome.checks.filter((check) => !check.passed).map((check) => check.id);
  const session = vm.timeline.all.find((mark) => mark.phase === 'ssh')?.evidence;
  console.log(JSON.stringify({ name, connections, session, failed, seconds: Math.round((performance.now() - startedAtMs) / 100) / 10, runDir: vm.report.logs.dir }));
}

async function underLoad(boots: number): Promise<void> {
  const self = fileURLToPath(import.meta.url);
  const hog = spawn(process.execPath, ['-e', 'for (;;);'], { stdio: 'ignore' });
  try {
    const children = Array.from({ length: boots }, (_, index) => spawn(process.execPath, ['--import', 'tsx', self, '--one', `ssh-load-${index + 1}`], { stdio: ['ignore', 'inherit', 'inherit'] }));
    const codes = await Promise.all(children.map((child) => new Promise<number | null>((resolve) => child.on('exit', resolve))));
    if (codes.some((code) => code !== 0)) process.exitCode = 1;
  } finally {
    hog.kill();
  }
}

if (process.argv[2] === '--one') await oneBoot(process.argv[3]!);
else await underLoad(Number(process.argv[2] ?? 3));
