// The report of a run before it starts: what was asked for and where its logs go; the run fills in the rest.
import { join } from 'node:path';
import type { BootPlan } from './boot-options.ts';
import type { BootReport } from './boot-report.ts';

export function initialBootReport(plan: Pick<BootPlan, 'name' | 'source' | 'sshKeyPath' | 'keyInjection'>, logDir: string): BootReport {
  return {
    name: plan.name,
    startedAt: new Date().toISOString(),
    image: { ...plan.source },
    accelerator: undefined,
    keyInjection: plan.sshKeyPath ? `user key ${plan.sshKeyPath}` : plan.keyInjection,
    phases: [],
    qemu: { argv: [], pid: undefined },
    sshPort: undefined,
    checks: [],
    passed: false,
    logs: {
      dir: logDir,
      consoleRaw: join(logDir, 'console.raw'),
      consoleText: join(logDir, 'console.txt'),
      qemuStderr: join(logDir, 'qemu-stderr.txt'),
      qemuArgv: join(logDir, 'qemu-argv.json'),
      report: join(logDir, 'report.json'),
    },
  };
}
