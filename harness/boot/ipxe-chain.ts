// Prepares an iPXE chain for one run: kernel and initrd in a folder of the run dir, the `#!ipxe` script
// that boots them, and whatever serves them (our loopback HTTP server, or slirp's TFTP server).
import { copyFile, link, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HarnessError } from '../errors.ts';
import { ChainServer, type ChainRequest } from '../net/chain-server.ts';
import { renderIpxeScript } from '../net/ipxe-script.ts';
import { slirpHttpUrl, tftpLayout } from '../net/tftp-layout.ts';
import type { Clock } from '../util/clock.ts';

export type IpxeChainMode = 'http' | 'tftp';

export interface IpxeChainOptions {
  /** The run's private dir; the chain gets its own subfolder so nothing else in the run dir is ever served. */
  runDir: string;
  kernel: string;
  initrd: string | undefined;
  /** Full kernel command line (key included); the script adds the serial console when it is missing. */
  append: string;
  mode: IpxeChainMode;
  clock?: Clock;
}

export interface IpxeChain extends AsyncDisposable {
  mode: IpxeChainMode;
  /** The folder served (`<runDir>/ipxe`): the script, `vmlinuz` and `initrd.img`. */
  root: string;
  /** slirp's DHCP `bootfile=`: the script's URL (HTTP) or its name in the TFTP root. */
  bootFile: string;
  /** The script's URL as the guest sees it. */
  scriptUrl: string;
  /** Folder for slirp's `tftp=` (TFTP mode only). */
  tftpRoot: string | undefined;
  script: string;
  /** The HTTP server (HTTP mode only); slirp's TFTP server keeps no log we can read. */
  server: ChainServer | undefined;
  requests(): readonly ChainRequest[];
  /** Idempotent. */
  stop(): Promise<void>;
}

export const chainScriptName = 'boot.ipxe';
const kernelName = 'vmlinuz';
const initrdName = 'initrd.img';

export async function prepareIpxeChain(options: IpxeChainOptions): Promise<IpxeChain> {
  const root = join(options.runDir, 'ipxe');
  await mkdir(root, { mode: 0o700 });
  await placeFile(options.kernel, join(root, kernelName));
  if (options.initrd) await placeFile(options.initrd, join(root, initrdName));

  if (options.mode === 'tftp') {
    const layout = tftpLayout(root, chainScriptName);
    const script = renderIpxeScript({
      kernelUrl: layout.url(kernelName),
      initrdUrl: options.initrd ? layout.url(initrdName) : undefined,
      append: options.append,
    });
    await writeFile(join(root, chainScriptName), script);
    return {
      mode: 'tftp',
      root,
      bootFile: layout.bootFile,
      scriptUrl: layout.url(chainScriptName),
      tftpRoot: root,
      script,
      server: undefined,
      requests: () => [],
      stop: async () => undefined,
      [Symbol.asyncDispose]: async () => undefined,
    };
  }

  const server = await ChainServer.start({ root, ...(options.clock ? { clock: options.clock } : {}) });
  try {
    const script = renderIpxeScript({
      kernelUrl: slirpHttpUrl(server.port, kernelName),
      initrdUrl: options.initrd ? slirpHttpUrl(server.port, initrdName) : undefined,
      append: options.append,
    });
    await writeFile(join(root, chainScriptName), script);
    const scriptUrl = slirpHttpUrl(server.port, chainScriptName);
    return {
      mode: 'http',
      root,
      bootFile: scriptUrl,
      scriptUrl,
      tftpRoot: undefined,
      script,
      server,
      requests: () => server.requests,
      stop: () => server.stop(),
      [Symbol.asyncDispose]: () => server.stop(),
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/** A hard link costs nothing; across file systems it is a copy. The user's file is never written either way. */
async function placeFile(source: string, target: string): Promise<void> {
  try {
    await link(source, target);
  } catch {
    // Not linkable (another file system, or not ours to link): copy instead; a failing copy throws.
    await copyFile(source, target);
  }
}

/** An iPXE chain that failed before the kernel started: which URL, and what iPXE (or our server) said. */
export class IpxeChainError extends HarnessError {
  override readonly name = 'IpxeChainError';
  constructor(
    /** The URL that failed, as the guest sees it (e.g. `http://10.0.2.2:41234/initrd.img`). */
    readonly url: string,
    /** iPXE's own words, e.g. `No such file or directory (http://ipxe.org/2d0c613b)`; or our server's status when iPXE showed nothing. */
    readonly ipxeSaid: string,
    /** What the local chain server served (empty for TFTP and remote chains). */
    readonly requests: readonly ChainRequest[],
    /** Console lines around the failure. */
    readonly trace: readonly string[],
    readonly logPath: string | undefined,
  ) {
    super(
      `iPXE chain failed at ${url}: ${ipxeSaid}`,
      [
        ...(requests.length > 0 ? ['Requests served by the chain server:', ...requests.map((r) => `  ${r.status} ${r.method} ${r.path} (${r.bytes} bytes, ${Math.round(r.durationMs)} ms)`)] : []),
        ...(trace.length > 0 ? [`Console (${trace.length} lines):`, ...trace.map((line) => `  | ${line}`)] : []),
        ...(logPath ? [`Console log: ${logPath}`] : []),
      ].join('\n'),
    );
  }
}
