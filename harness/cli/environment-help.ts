// The environment variables the CLI honours, and the help block listing those that apply to a command.
import { defaultKeepRuns } from '../boot/run-retention.ts';

export type EnvironmentVariable = 'HARNESS_ACCEL' | 'HARNESS_QEMU' | 'HARNESS_LOG_DIR' | 'HARNESS_KEEP_RUNS' | 'HARNESS_CACHE_DIR' | 'HARNESS_MAX_VCPUS' | 'HARNESS_TIMEOUT_SCALE' | 'NO_COLOR' | 'CI';

const descriptions: Record<EnvironmentVariable, string> = {
  HARNESS_ACCEL: 'auto | kvm | tcg: accelerator for every boot (default auto: KVM only when a probe shows it works)',
  HARNESS_QEMU: 'path of qemu-system-x86_64 (default: from PATH)',
  HARNESS_LOG_DIR: 'where run folders go (default: ./boot-logs)',
  HARNESS_KEEP_RUNS: `run folders kept in the log dir, or all: each boot removes the oldest beyond (default ${defaultKeepRuns})`,
  HARNESS_CACHE_DIR: 'where built images, host verdicts, the TCG speed and image digests are cached (default: ./.cache)',
  HARNESS_MAX_VCPUS: 'vCPUs booting at once on this host, across all harness processes sharing the cache dir (default: one per host CPU); a guest without --cpus gets one per idle core with a free slot, 1 to 4',
  HARNESS_TIMEOUT_SCALE: 'auto | a factor: multiplies every budget (default auto: under TCG, how much slower than a reference this host runs)',
  NO_COLOR: 'no colour in terminal output',
  CI: 'set (and not "false" or "0"): plain progress lines, no live status line, even on a terminal',
};

const allVariables = Object.keys(descriptions) as EnvironmentVariable[];

/** What each command reads; `harness <cmd> --help` lists these. */
export const commandEnvironment = {
  boot: ['HARNESS_ACCEL', 'HARNESS_QEMU', 'HARNESS_LOG_DIR', 'HARNESS_KEEP_RUNS', 'HARNESS_CACHE_DIR', 'HARNESS_MAX_VCPUS', 'HARNESS_TIMEOUT_SCALE', 'NO_COLOR', 'CI'],
  attach: ['HARNESS_LOG_DIR'],
  doctor: ['HARNESS_QEMU', 'HARNESS_LOG_DIR', 'HARNESS_CACHE_DIR', 'NO_COLOR'],
  replay: [],
  compare: ['HARNESS_LOG_DIR'],
  summary: [],
} as const satisfies Record<string, readonly EnvironmentVariable[]>;

export function environmentHelp(variables: readonly EnvironmentVariable[] = allVariables): string {
  if (variables.length === 0) return '\nEnvironment variables: none apply to this command.\n';
  const width = Math.max(...variables.map((name) => name.length));
  return `\nEnvironment variables:\n${variables.map((name) => `  ${name.padEnd(width)}  ${descriptions[name]}`).join('\n')}\n`;
}

/** True when CI is set to anything but "false" or "0" (CI systems set CI=true). */
export function runningInCi(env: NodeJS.ProcessEnv): boolean {
  const value = env.CI;
  return value !== undefined && value !== '' && value !== 'false' && value !== '0';
}
