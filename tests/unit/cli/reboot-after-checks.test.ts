// `harness boot --reboot-after-checks` needs checks to run in both boots: without them it is bad usage.
import { describe, expect, it } from 'vitest';
import type { CliIO } from '../../../harness/cli/cli-io.ts';
import { main } from '../../../harness/cli/main.ts';

async function run(args: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIO = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), isTTY: false, env: {}, cwd: '/' };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

describe('harness boot --reboot-after-checks', () => {
  it.each([
    [['--no-checks'], '--reboot-after-checks with --no-checks'],
    [['--expect', 'login:'], '--reboot-after-checks with --expect'],
  ])('%j is refused with exit 2, naming the fix', async (extra, input) => {
    const result = await run(['boot', '--reboot-after-checks', ...extra]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`Error: ${input}: there are no checks to run before and after the reboot`);
    expect(result.stderr).toContain('Fix: drop one of them');
  });

  it('is listed in the help', async () => {
    const result = await run(['boot', '--help']);
    expect(result.stdout).toMatch(/--reboot-after-checks\s+run the checks, reboot the guest/);
  });
});
