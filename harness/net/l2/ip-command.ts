// `ip` (iproute2), the one tool the L2 layer drives. Every call names the namespace it ran in, and a
// failure says the command and what `ip` answered, so a refused setup is fixable from the message.
import { execFileSync } from 'node:child_process';
import { execa } from 'execa';
import { HarnessError } from '../../errors.ts';

export class NetworkSetupError extends HarnessError {
  override readonly name: string = 'NetworkSetupError';
  constructor(
    readonly command: readonly string[],
    readonly stderr: string,
    readonly exitCode: number | undefined,
    fix?: string,
  ) {
    super(`\`${command.join(' ')}\` failed: ${stderr.trim() || `exit code ${String(exitCode)}`}`, fix ? `Fix: ${fix}` : undefined);
  }
}

export interface IpOptions {
  /** Run inside this named network namespace (`ip -n`). */
  netns?: string | undefined;
}

export function ipArgv(args: readonly string[], options: IpOptions = {}): string[] {
  return [...(options.netns ? ['-n', options.netns] : []), ...args];
}

/** Runs `ip ...` and returns stdout; rejects with NetworkSetupError. */
export async function ip(args: readonly string[], options: IpOptions = {}): Promise<string> {
  const argv = ipArgv(args, options);
  const result = await execa('ip', argv, { reject: false, timeout: 15_000 });
  if (result.exitCode !== 0 || result.failed) {
    throw new NetworkSetupError(['ip', ...argv], result.stderr || result.message || '', result.exitCode, fixFor(result.stderr ?? ''));
  }
  return result.stdout;
}

/** Runs a command inside a namespace (`ip netns exec`); resolves with its result, never rejects on exit status. */
export async function inNamespace(netns: string, command: readonly string[], timeoutMs = 15_000): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const result = await execa('ip', ['netns', 'exec', netns, ...command], { reject: false, timeout: timeoutMs });
  return { stdout: result.stdout ?? '', stderr: result.stderr ?? '', exitCode: result.exitCode ?? -1 };
}

/** Synchronous, for cleanup at process exit where no promise will run: undefined on success, else what `ip` said. */
export function ipSync(args: readonly string[], options: IpOptions = {}): string | undefined {
  try {
    execFileSync('ip', ipArgv(args, options), { stdio: ['ignore', 'ignore', 'pipe'], timeout: 5000 });
    return undefined;
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString('utf8').trim();
    return stderr || (error as Error).message;
  }
}

function fixFor(stderr: string): string | undefined {
  if (/Operation not permitted/i.test(stderr)) return 'run as root or with CAP_NET_ADMIN (e.g. docker run --cap-add NET_ADMIN --device /dev/net/tun)';
  if (/Cannot find device|does not exist/i.test(stderr)) return 'check the interface (or bridge) name: `ip link` lists what exists (`ip -n <netns> link` inside a namespace)';
  if (/Cannot open network namespace/i.test(stderr)) return 'create the namespace first (`ip netns add <name>`) or fix its name: `ip netns list` lists them';
  if (/File exists/i.test(stderr)) return 'an interface of that name exists already: remove it or choose another name';
  return undefined;
}
