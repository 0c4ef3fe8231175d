// Guests write to qcow2 overlays in the run dir; the user's disk image is only ever a read-only backing file.
import { execa } from 'execa';
import { HarnessError } from '../errors.ts';

export class DiskOverlayError extends HarnessError {
  override readonly name = 'DiskOverlayError';
  /** True when another process (usually another QEMU) holds the image's write lock. */
  readonly locked: boolean;
  constructor(
    readonly disk: string,
    readonly stderr: string,
  ) {
    const locked = /lock/i.test(stderr);
    super(
      locked ? `Disk image ${disk} is locked by another process (is another QEMU using it?)` : `Could not create an overlay for disk ${disk}`,
      `${stderr.trim()}\nFix: ${locked ? 'stop the other QEMU that has it open, or pass a copy of the image' : 'check that the file is a readable disk image (raw or qcow2)'}`,
    );
    this.locked = locked;
  }
}

export async function createOverlay(qemuImg: string, overlayPath: string, backing: { path: string } | { sizeMiB: number }): Promise<void> {
  if ('sizeMiB' in backing) {
    await run(qemuImg, ['create', '-q', '-f', 'qcow2', overlayPath, `${backing.sizeMiB}M`], `blank ${backing.sizeMiB} MiB`);
    return;
  }
  // Without -U, qemu-img takes the image lock: the clearest way to learn another QEMU is writing to it.
  const info = await run(qemuImg, ['info', '--output=json', backing.path], backing.path);
  const format = (JSON.parse(info) as { format?: string }).format ?? 'raw';
  await run(qemuImg, ['create', '-q', '-f', 'qcow2', '-F', format, '-b', backing.path, overlayPath], backing.path);
}

async function run(file: string, args: string[], disk: string): Promise<string> {
  const result = await execa(file, args, { reject: false, timeout: 30_000 });
  if (result.exitCode !== 0) throw new DiskOverlayError(disk, String(result.stderr) || (result.message ?? `exit code ${result.exitCode}`));
  return String(result.stdout);
}
