// Runs the `harness` CLI in-process with captured output, as a non-TTY caller would see it.
import { main } from '../../harness/cli/main.ts';
import type { CliIO } from '../../harness/cli/cli-io.ts';

export async function harness(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), isTTY: false, env: process.env, cwd: process.cwd() };
  const code = await main(args, io);
  return { code, stdout, stderr };
}
