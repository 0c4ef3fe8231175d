// The real DoctorEnvironment: processes, files and QEMU on this host.
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, open, readFile, rm, stat, statfs } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { locateDefaultImage } from '../boot/default-image.ts';
import { chooseAccelerator } from '../qemu/accelerator-probe.ts';
import { whichExecutable } from '../qemu/qemu-binary.ts';
import { QmpClient } from '../qemu/qmp-client.ts';
import { DoctorProbeError } from './doctor-environment.ts';
import { runProcess } from '../util/short-process.ts';
import type {
  DefaultImageFacts,
  DoctorEnvironment,
  FileFacts,
  PtyResult,
  QemuSessionResult,
} from './doctor-environment.ts';


export function systemDoctorEnvironment(env: NodeJS.ProcessEnv, cwd: string): DoctorEnvironment {
  return {
    env,
    facts: { nodeVersion: process.versions.node, platform: process.platform, cpuCount: availableParallelism() },
    run: (file, args, options) => runProcess(file, args, { ...options, cwd: options.cwd ?? cwd }),
    async readText(path) {
      try {
        return await readFile(resolve(cwd, path), 'utf8');
      } catch (error) {
        return absentOrThrow(error, resolve(cwd, path));
      }
    },
    async readBytes(path, position, length) {
      let handle;
      try {
        handle = await open(resolve(cwd, path), 'r');
        const buffer = Buffer.alloc(length);
        const { bytesRead } = await handle.read(buffer, 0, length, position);
        return buffer.subarray(0, bytesRead);
      } catch (error) {
        return absentOrThrow(error, resolve(cwd, path));
      } finally {
        await handle?.close();
      }
    },
    async stat(path): Promise<FileFacts | undefined> {
      try {
        const info = await stat(resolve(cwd, path));
        const kind = info.isFile() ? 'file' : info.isDirectory() ? 'directory' : info.isCharacterDevice() ? 'char-device' : 'other';
        return { kind, sizeBytes: info.size, rdev: info.rdev };
      } catch (error) {
        return absentOrThrow(error, resolve(cwd, path));
      }
    },
    async access(path, mode) {
      const bits = mode === 'r' ? constants.R_OK : mode === 'rw' ? constants.R_OK | constants.W_OK : constants.X_OK;
      try {
        await access(resolve(cwd, path), bits);
        return true;
      } catch (error) {
        // No access is the answer to "may I"; an I/O error is not.
        if (['EACCES', 'EPERM', 'EROFS', 'ETXTBSY'].includes((error as NodeJS.ErrnoException).code ?? '')) return false;
        return absentOrThrow(error, resolve(cwd, path)) ?? false;
      }
    },
    async freeBytes(path) {
      let current = resolve(cwd, path);
      for (;;) {
        try {
          const info = await statfs(current);
          return info.bavail * info.bsize;
        } catch (error) {
          absentOrThrow(error, current);
          const parent = dirname(current);
          if (parent === current) return undefined;
          current = parent;
        }
      }
    },
    which: (name) => whichExecutable(name, env.PATH),
    spawnPty: (file, args, timeoutMs) => spawnPty(file, args, timeoutMs, env),
    withQemu,
    chooseAccelerator: (options) =>
      chooseAccelerator({
        requested: 'auto',
        qemuBinary: options.qemuBinary,
        cacheDir: options.cacheDir,
        // The doctor is the audit: it always probes afresh, and refreshes the cache boots will read.
        refresh: true,
        ...(options.kernelPath ? { kernelPath: options.kernelPath } : {}),
      }),
    locateDefaultImage: locateDefaultImageFacts,
  };
}

async function spawnPty(file: string, args: readonly string[], timeoutMs: number, env: NodeJS.ProcessEnv): Promise<PtyResult> {
  let pty: typeof import('node-pty');
  try {
    pty = await import('node-pty');
  } catch (error) {
    return { output: '', exitCode: undefined, error: `node-pty did not load: ${(error as Error).message}` };
  }
  return new Promise<PtyResult>((resolvePromise) => {
    let output = '';
    let child: import('node-pty').IPty;
    try {
      child = pty.spawn(file, [...args], { name: 'xterm', cols: 80, rows: 24, env: { PATH: env.PATH ?? '' } });
    } catch (error) {
      resolvePromise({ output, exitCode: undefined, error: `node-pty could not spawn ${file}: ${(error as Error).message}` });
      return;
    }
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolvePromise({ output, exitCode: undefined, error: `no exit from ${file} after ${timeoutMs} ms` });
    }, timeoutMs);
    child.onData((data) => (output += data));
    child.onExit(({ exitCode }) => {
      clearTimeout(timer);
      // node-pty may deliver the last bytes just after onExit: give them a moment.
      setTimeout(() => resolvePromise({ output, exitCode }), 50);
    });
  });
}

async function withQemu<T>(
  qemuBinary: string,
  args: readonly string[],
  use: (session: { execute: QmpClient['execute']; human(commandLine: string): Promise<string> }) => Promise<T>,
  timeoutMs: number,
): Promise<QemuSessionResult<T>> {
  const dir = await mkdtemp(join(tmpdir(), 'harness-doctor-'));
  const socketPath = join(dir, 'qmp.sock');
  const child = spawn(qemuBinary, [...args, '-qmp', `unix:${socketPath},server=on,wait=off`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-8_192)));
  let spawnError: string | undefined;
  const exited = new Promise<void>((resolvePromise) => {
    child.once('exit', () => resolvePromise());
    child.once('error', (error) => {
      spawnError = error.message;
      resolvePromise();
    });
  });
  const isRunning = () => child.pid !== undefined && child.exitCode === null && child.signalCode === null && !spawnError;
  let client: QmpClient | undefined;
  const result: QemuSessionResult<T> = { started: false, stoppedCleanly: false, exitCode: null, stderr: '' };
  try {
    // Wait for the socket file first: QmpClient.connect retries until its deadline even after QEMU died,
    // which would keep this process alive for nothing.
    const startedMs = Date.now();
    while (isRunning() && Date.now() - startedMs < timeoutMs && !(await exists(socketPath))) {
      await new Promise((wake) => setTimeout(wake, 20));
    }
    if (!isRunning()) {
      await exited; // settles at once: 'exit' has fired, or 'error' is about to (spawn failure)
      result.error = spawnError ?? 'QEMU exited before QMP answered';
      return result;
    }
    const connected = await Promise.race([
      QmpClient.connect(socketPath, Math.min(2_000, timeoutMs)).then(
        (qmp) => qmp,
        (error: Error) => error,
      ),
      exited.then(() => undefined),
    ]);
    if (connected instanceof QmpClient) client = connected;
    if (!client || !isRunning()) {
      result.error = spawnError ?? (connected instanceof Error ? connected.message : 'QEMU exited before QMP answered');
      return result;
    }
    result.started = true;
    const qmp = client;
    try {
      const used = use({
        execute: (command, commandArgs) => qmp.execute(command, commandArgs),
        human: (commandLine) => qmp.execute<string>('human-monitor-command', { 'command-line': commandLine }),
      });
      // Observed through the race below; this only keeps a rejection after the timeout from going unhandled.
      used.catch(() => undefined);
      const answer = await Promise.race([used.then((value) => ({ value })), sleepMs(timeoutMs).then(() => undefined)]);
      if (answer) result.value = answer.value;
      else result.error = `QMP gave no answer after ${timeoutMs} ms`;
    } catch (error) {
      result.error = (error as Error).message;
    }
    // QEMU may exit before it answers `quit`: whether it stopped is read from its exit just below.
    qmp.execute('quit').catch(() => undefined);
    const quitInTime = await Promise.race([exited.then(() => true), sleepMs(2_000).then(() => false)]);
    result.stoppedCleanly = quitInTime && child.exitCode === 0;
    return result;
  } finally {
    client?.close();
    if (isRunning()) {
      child.kill('SIGKILL');
      await exited;
    }
    result.exitCode = child.exitCode;
    result.stderr = stderr;
    await rm(dir, { recursive: true, force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    return absentOrThrow(error, path) ?? false;
  }
}

/** Not there (ENOENT, ENOTDIR) is an answer; any other error (EACCES, EIO, EISDIR…) is not "absent": it throws. */
function absentOrThrow(error: unknown, path: string): undefined {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
  throw new DoctorProbeError(path, code ?? (error as Error).message);
}

/** Unref'd: only for races where QEMU's own handles keep the process alive. */
function sleepMs(ms: number): Promise<void> {
  return new Promise((resolvePromise) => setTimeout(resolvePromise, ms).unref());
}

async function locateDefaultImageFacts(cacheDir: string): Promise<DefaultImageFacts | string> {
  try {
    return await locateDefaultImage({ cacheDir });
  } catch (error) {
    return (error as { shortMessage?: string }).shortMessage ?? (error as Error).message.split('\n')[0] ?? 'unknown error';
  }
}
