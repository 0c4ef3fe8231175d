// A network boot's wait for its prompt, watched from the chain's side: a fetch our server refused fails
// the boot at once, and a console failure before the kernel is iPXE's; both name the URL and iPXE's words.
import { ConsoleFailureError } from '../console/console-errors.ts';
import type { ChainRequest } from '../net/chain-server.ts';
import { findIpxeFailure } from '../net/ipxe-messages.ts';
import { slirpHostAddress } from '../net/tftp-layout.ts';
import { monotonicNowMs, sleep } from '../util/clock.ts';
import type { ResolvedBootSource } from './boot-options.ts';
import { type IpxeChain, IpxeChainError } from './ipxe-chain.ts';

/** After our chain server refused a fetch, how long to wait for iPXE's own words on the console (it prints them at once). */
const ipxeWordsWaitMs = 4000;

export interface ChainWatch {
  source: ResolvedBootSource;
  /** The chain we serve; undefined for a remote chain or a boot that is not from the network. */
  chain: IpxeChain | undefined;
  /** The console's last `lines` lines (iPXE's words are there). */
  tail(lines: number): string[];
  /** Whether the kernel has started (after that, a console failure is no longer iPXE's). */
  kernelStarted(): boolean;
  logDir: string;
}

/** Resolves when `guest` (the prompt wait) does; rejects with an IpxeChainError where the chain is to blame. */
export async function watchChainWait(guest: Promise<void>, watch: ChainWatch): Promise<void> {
  const server = watch.chain?.server;
  if (!server) {
    await guest.catch((error: unknown) => {
      throw chainError(watch, error);
    });
    return;
  }
  // A fetch our server refused is known before iPXE says anything: fail fast on it, with iPXE's words if they come.
  let unsubscribe = (): void => undefined;
  const refused = new Promise<{ kind: 'refused'; request: ChainRequest }>((resolveRefused) => {
    unsubscribe = server.onRequest((request) => {
      if (request.status >= 400) resolveRefused({ kind: 'refused', request });
    });
  });
  const settled = guest.then(
    () => ({ kind: 'booted' as const }),
    (error: unknown) => ({ kind: 'failed' as const, error }),
  );
  try {
    const first = await Promise.race([settled, refused]);
    if (first.kind === 'booted') return;
    if (first.kind === 'failed') throw chainError(watch, first.error);
    const url = `http://${slirpHostAddress}:${server.port}${first.request.path}`;
    const words = await ipxeWordsAbout(watch, url, settled);
    throw chainError(watch, words?.kind === 'failed' ? words.error : undefined, { url, said: `HTTP ${first.request.status} from the chain server` });
  } finally {
    unsubscribe();
  }
}

/** Waits (briefly) until the console shows iPXE's verdict on `url`, or the boot wait itself failed. */
async function ipxeWordsAbout<T>(watch: ChainWatch, url: string, settled: Promise<T>): Promise<T | undefined> {
  let outcome: T | undefined;
  void settled.then((value) => (outcome = value));
  const untilMs = monotonicNowMs() + ipxeWordsWaitMs;
  while (monotonicNowMs() < untilMs && outcome === undefined) {
    const seen = findIpxeFailure(watch.tail(20), '');
    if (seen.url === url && /\)$/.test(seen.said)) break;
    await sleep(50);
  }
  return outcome;
}

/** A console failure before the kernel started is iPXE's: name the URL and iPXE's words. */
function chainError(watch: ChainWatch, error: unknown, refused?: { url: string; said: string }): unknown {
  const source = watch.source;
  if (source.kind !== 'ipxe') return error;
  const fromConsole = error instanceof ConsoleFailureError && !watch.kernelStarted();
  if (!fromConsole && !refused) return error;
  const tail = watch.tail(40);
  const failure = findIpxeFailure(tail, fromConsole ? error.line : (refused?.said ?? ''));
  const bootUrl = source.mode === 'remote' ? source.url : (watch.chain?.scriptUrl ?? '');
  const url = refused?.url ?? failure.url ?? bootUrl;
  const said = fromConsole || failure.url ? failure.said : (refused?.said ?? failure.said);
  return new IpxeChainError(url, said, watch.chain?.requests() ?? [], tail.slice(-12), watch.logDir);
}
