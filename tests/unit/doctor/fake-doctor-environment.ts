// A scriptable DoctorEnvironment for unit tests: every answer is a plain value or a small function.
import type { AcceleratorVerdict } from '../../../harness/qemu/accelerator-probe.ts';
import type { DoctorCheck, DoctorContext, DoctorOptions } from '../../../harness/doctor/doctor-check.ts';
import type {
  DefaultImageFacts,
  DoctorEnvironment,
  FileFacts,
  PtyResult,
  QemuSession,
  QemuSessionResult,
  RunResult,
} from '../../../harness/doctor/doctor-environment.ts';

export interface FakeSetup {
  env?: Record<string, string | undefined>;
  nodeVersion?: string;
  cpuCount?: number;
  /** Keyed by `file arg1 arg2…`. */
  commands?: Record<string, Partial<RunResult>>;
  files?: Record<string, string>;
  bytes?: Record<string, Buffer>;
  stats?: Record<string, Partial<FileFacts>>;
  /** Paths that fail access(); everything stat-able passes otherwise. */
  denied?: string[];
  freeBytes?: Record<string, number>;
  executables?: Record<string, string>;
  pty?: PtyResult;
  qemu?: (args: readonly string[]) => { started: boolean; answers?: Record<string, unknown>; stoppedCleanly?: boolean; stderr?: string; error?: string };
  verdict?: AcceleratorVerdict;
  defaultImage?: DefaultImageFacts | string;
}

export interface FakeEnvironment extends DoctorEnvironment {
  calls: string[];
}

export function fakeEnvironment(setup: FakeSetup = {}): FakeEnvironment {
  const calls: string[] = [];
  const stats: Record<string, Partial<FileFacts>> = { ...setup.stats };
  for (const path of [...Object.keys(setup.files ?? {}), ...Object.keys(setup.bytes ?? {})]) stats[path] ??= { kind: 'file', sizeBytes: 1 };
  return {
    calls,
    env: setup.env ?? {},
    facts: { nodeVersion: setup.nodeVersion ?? '20.20.2', platform: 'linux', cpuCount: setup.cpuCount ?? 2 },
    async run(file, args) {
      const key = [file, ...args].join(' ');
      calls.push(`run ${key}`);
      const answer = setup.commands?.[key];
      if (!answer) return { exitCode: undefined, stdout: '', stderr: '', timedOut: false, spawnError: `spawn ${file} ENOENT` };
      return { exitCode: 0, stdout: '', stderr: '', timedOut: false, ...answer };
    },
    async readText(path) {
      return setup.files?.[path];
    },
    async readBytes(path, position, length) {
      const bytes = setup.bytes?.[path];
      return bytes?.subarray(position, position + length);
    },
    async stat(path) {
      const facts = stats[path];
      return facts ? { kind: 'file', sizeBytes: 0, rdev: 0, ...facts } : undefined;
    },
    async access(path) {
      return path in stats && !(setup.denied ?? []).includes(path);
    },
    async freeBytes(path) {
      return setup.freeBytes?.[path];
    },
    async which(name) {
      return setup.executables?.[name];
    },
    async spawnPty(file, args) {
      calls.push(`pty ${file} ${args.join(' ')}`);
      return setup.pty ?? { output: `${args.join(' ')}\r\n`, exitCode: 0 };
    },
    async withQemu<T>(binary: string, args: readonly string[], use: (session: QemuSession) => Promise<T>): Promise<QemuSessionResult<T>> {
      calls.push(`qemu ${args.join(' ')}`);
      const behaviour = setup.qemu?.(args) ?? { started: false, stderr: 'qemu: not scripted' };
      if (!behaviour.started) return { started: false, stoppedCleanly: false, exitCode: 1, stderr: behaviour.stderr ?? '', error: behaviour.error };
      const answers = behaviour.answers ?? {};
      const session: QemuSession = {
        async execute(command) {
          if (!(command in answers)) throw new Error(`QMP command ${command} failed: CommandNotFound`);
          return answers[command];
        },
        async human(commandLine) {
          return String(answers[`hmp ${commandLine}`] ?? 'unknown command');
        },
      };
      try {
        const value = await use(session);
        return { started: true, value, stoppedCleanly: behaviour.stoppedCleanly ?? true, exitCode: behaviour.stoppedCleanly === false ? null : 0, stderr: '' };
      } catch (error) {
        return { started: true, error: (error as Error).message, stoppedCleanly: true, exitCode: 0, stderr: '' };
      }
    },
    async chooseAccelerator(options) {
      calls.push(`accel ${options.kernelPath ?? '(no kernel)'}`);
      return setup.verdict ?? { accel: 'tcg', requested: 'auto', kvmUsable: undefined, reason: 'KVM usability unknown, TCG is the safe choice: no kernel', fromCache: false };
    },
    async locateDefaultImage() {
      return setup.defaultImage ?? 'default boot image not usable: manifest.json not found';
    },
  };
}

export const testOptions: DoctorOptions = {
  vmMemoryMiB: 512,
  logDir: '/work/boot-logs',
  cacheDir: '/work/.cache',
  projectDir: '/work',
};

export function fakeContext(env: DoctorEnvironment, overrides: Omit<Partial<DoctorContext>, 'options'> & { options?: Partial<DoctorOptions> } = {}): DoctorContext & { verdicts: AcceleratorVerdict[] } {
  const memos = new Map<string, Promise<unknown>>();
  const verdicts: AcceleratorVerdict[] = [];
  return {
    env,
    qemu: overrides.qemu ?? { binary: '/usr/bin/qemu-system-x86_64', problem: undefined },
    memo<T>(key: string, compute: () => Promise<T>) {
      if (!memos.has(key)) memos.set(key, compute());
      return memos.get(key) as Promise<T>;
    },
    recordVerdict: (verdict) => verdicts.push(verdict),
    verdicts,
    options: { ...testOptions, ...overrides.options },
  };
}

export function runCheck(check: DoctorCheck, env: DoctorEnvironment, overrides: Parameters<typeof fakeContext>[1] = {}) {
  return check.run(fakeContext(env, overrides));
}
