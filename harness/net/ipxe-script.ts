// Pure: the `#!ipxe` script that chains a kernel and an initrd. No I/O, so every branch is unit-tested.
import { HarnessError } from '../errors.ts';

export interface IpxeScriptInput {
  /** URL of the kernel as the guest sees it, e.g. `http://10.0.2.2:41234/vmlinuz`. */
  kernelUrl: string;
  /** URL of the initrd, or undefined for a kernel that needs none. */
  initrdUrl?: string | undefined;
  /** Kernel command line; `console=ttyS0,115200n8` is put first when it names no serial console. */
  append: string;
}

export class IpxeScriptError extends HarnessError {
  override readonly name = 'IpxeScriptError';
  constructor(
    readonly field: string,
    readonly value: string,
  ) {
    super(`iPXE script: ${field} must be one line without control characters, got ${JSON.stringify(value.slice(0, 80))}`);
  }
}

export const serialConsoleArgument = 'console=ttyS0,115200n8';
const initrdImageName = 'initrd.img';

export function renderIpxeScript(input: IpxeScriptInput): string {
  oneLine('kernelUrl', input.kernelUrl);
  if (input.initrdUrl !== undefined) oneLine('initrdUrl', input.initrdUrl);
  oneLine('append', input.append);
  let append = withSerialConsole(input.append);
  // Under UEFI the kernel's EFI stub loads the initrd itself, by the name given in `initrd=`; iPXE's BIOS
  // loader passes it directly and the kernel ignores the argument. Naming it makes one script boot both.
  if (input.initrdUrl !== undefined) append = `${append} initrd=${initrdImageName}`;
  const lines = ['#!ipxe', `kernel ${input.kernelUrl} ${append}`.trimEnd()];
  if (input.initrdUrl !== undefined) lines.push(`initrd --name ${initrdImageName} ${input.initrdUrl}`);
  lines.push('boot', '');
  return lines.join('\n');
}

function withSerialConsole(append: string): string {
  const trimmed = append.trim().replace(/\s+/g, ' ');
  return /(^|\s)console=ttyS0/.test(trimmed) ? trimmed : `${serialConsoleArgument} ${trimmed}`.trim();
}

// A newline would end the `kernel` line and let the rest run as iPXE commands.
function oneLine(field: string, value: string): void {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(value) || (field !== 'append' && value.trim() === '')) throw new IpxeScriptError(field, value);
}
