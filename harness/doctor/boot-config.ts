// Pure: finds the default boot entry of an isolinux/syslinux or GRUB config and its kernel command line.

export interface BootEntry {
  loader: 'isolinux' | 'grub';
  label: string;
  kernel: string | undefined;
  /** Kernel command line of the entry (isolinux APPEND, GRUB `linux` arguments). */
  append: string;
}

/** True when the command line sends the kernel console to the first serial port. */
export function hasSerialConsole(append: string): boolean {
  return /(^|\s)console=ttyS0(?=[,\s]|$)/.test(append);
}

interface IsolinuxLabel {
  label: string;
  kernel: string | undefined;
  append: string | undefined;
  menuDefault: boolean;
}

export function defaultIsolinuxEntry(config: string): BootEntry | undefined {
  const labels: IsolinuxLabel[] = [];
  let defaultName: string | undefined;
  let globalAppend = '';
  let current: IsolinuxLabel | undefined;
  for (const rawLine of config.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (!line || line.startsWith('#')) continue;
    const [keywordRaw = '', ...rest] = line.split(/\s+/);
    const keyword = keywordRaw.toLowerCase();
    const value = rest.join(' ');
    if (keyword === 'label') {
      current = { label: value, kernel: undefined, append: undefined, menuDefault: false };
      labels.push(current);
    } else if (keyword === 'default') {
      defaultName = rest[0];
    } else if (keyword === 'kernel' || keyword === 'linux') {
      if (current) current.kernel = rest[0];
    } else if (keyword === 'append') {
      if (current) current.append = value;
      else globalAppend = value;
    } else if (keyword === 'initrd' && current) {
      current.append = `${current.append ?? ''} initrd=${rest[0] ?? ''}`.trim();
    } else if (keyword === 'menu' && rest[0]?.toLowerCase() === 'default' && current) {
      current.menuDefault = true;
    }
  }
  const chosen =
    labels.find((label) => label.menuDefault) ??
    labels.find((label) => label.label === defaultName) ??
    labels.find((label) => label.label.toLowerCase() === defaultName?.toLowerCase()) ??
    labels[0];
  if (!chosen) return undefined;
  return { loader: 'isolinux', label: chosen.label, kernel: chosen.kernel, append: chosen.append ?? globalAppend };
}

interface GrubEntry {
  title: string;
  id: string | undefined;
  kernel: string | undefined;
  append: string;
}

function unquote(text: string): string {
  const trimmed = text.trim();
  const match = /^(['"])(.*)\1$/.exec(trimmed);
  return match ? match[2]! : trimmed;
}

export function defaultGrubEntry(config: string): BootEntry | undefined {
  const entries: GrubEntry[] = [];
  let defaultValue: string | undefined;
  let current: GrubEntry | undefined;
  for (const rawLine of config.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (!line || line.startsWith('#')) continue;
    const setDefault = /^set\s+default=(.*)$/.exec(line);
    if (setDefault) {
      defaultValue = unquote(setDefault[1]!);
      continue;
    }
    const menuentry = /^menuentry\s+(?:'([^']*)'|"([^"]*)"|(\S+))(.*)$/.exec(line);
    if (menuentry) {
      const id = /--id[= ]\s*(?:'([^']*)'|"([^"]*)"|(\S+))/.exec(menuentry[4] ?? '');
      current = {
        title: menuentry[1] ?? menuentry[2] ?? menuentry[3] ?? '',
        id: id ? (id[1] ?? id[2] ?? id[3]) : undefined,
        kernel: undefined,
        append: '',
      };
      entries.push(current);
      continue;
    }
    const linux = /^(?:linux|linuxefi|linux16)\s+(\S+)\s*(.*)$/.exec(line);
    if (linux && current && current.kernel === undefined) {
      current.kernel = linux[1];
      current.append = linux[2] ?? '';
    }
    if (line === '}') current = undefined;
  }
  if (!entries.length) return undefined;
  let chosen: GrubEntry | undefined;
  if (defaultValue === undefined || defaultValue.startsWith('$')) chosen = entries[0];
  else if (/^\d+$/.test(defaultValue)) chosen = entries[Number(defaultValue)];
  else chosen = entries.find((entry) => entry.id === defaultValue || entry.title === defaultValue);
  chosen ??= entries[0]!;
  return { loader: 'grub', label: chosen.title, kernel: chosen.kernel, append: chosen.append };
}
