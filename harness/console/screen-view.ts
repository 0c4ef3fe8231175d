// The rendered screen of a headless terminal emulator, for full-screen UIs (GRUB menus, newt dialogs)
// that place words with cursor moves where no stream stripper can find them. The emulator starts only once
// it is needed: the screen is asked for, the guest sends a query a terminal answers, the output places its
// cursor absolutely, or the bytes kept meanwhile pass a bound. Until then the bytes are only kept, and all
// of them are fed to it when it starts, so the screen is the same as if it had run from the first byte.
// Most boots are line-oriented and never need it: the emulator cost more per read than the rest of the console.
// The one query such a boot sends, a shell's cursor position request after each prompt, is answered from the
// cursor followed without it (cursor-position.ts) for as long as the output stays line-oriented.
import xterm from '@xterm/headless';
import { CursorPosition } from './cursor-position.ts';
import { type TerminalEvents, TerminalEventWatch } from './terminal-event-watch.ts';

export interface ScreenViewOptions {
  /** Start the emulator at once instead of when needed (default false). */
  eager?: boolean;
  /** Bytes kept for a deferred start; past this the emulator starts and follows the output (default 1 MiB). */
  maxDeferredBytes?: number;
  /** Runs once the emulator has processed a write, with the raw byte count given to write(). */
  onRendered?: (rawEnd: number) => void;
}

export class ScreenView {
  private terminal: xterm.Terminal | undefined;
  // @xterm/headless drops multi-byte characters split across byte writes, so it is fed decoded strings.
  private readonly decoder = new TextDecoder('utf-8');
  private pendingWrites = 0;
  private readonly idleWaiters: (() => void)[] = [];
  private readonly replyListeners = new Set<(reply: string) => void>();
  private disposed = false;
  private addressed = false;
  private readonly watch = new TerminalEventWatch();
  private readonly events: TerminalEvents = { query: false, cursorAddressed: false };
  private readonly cursor: CursorPosition;
  /** Cursor position reports already sent from `cursor`: the emulator, fed the same bytes, must not send them again. */
  private repliesSentWithoutEmulator = 0;
  private deferred = new Uint8Array(0);
  private deferredLength = 0;
  private lastRawEnd = 0;
  private readonly maxDeferredBytes: number;
  private readonly onRendered: ((rawEnd: number) => void) | undefined;

  constructor(
    readonly columns: number,
    readonly rows: number,
    options: ScreenViewOptions = {},
  ) {
    this.maxDeferredBytes = options.maxDeferredBytes ?? 1 << 20;
    this.onRendered = options.onRendered;
    this.cursor = new CursorPosition(columns, rows);
    if (options.eager) this.start();
  }

  /** True once the emulator runs (see the file comment for when it starts). */
  get started(): boolean {
    return this.terminal !== undefined;
  }

  /** True once the output has placed the cursor absolutely (a TUI, a bootloader menu, firmware screen mirroring). */
  get cursorAddressed(): boolean {
    return this.addressed;
  }

  /** Feeds raw bytes; `rawEnd` (the raw byte count so far) goes to `onRendered` once the emulator has processed them. */
  write(chunk: Uint8Array, rawEnd = 0): void {
    if (this.disposed) return;
    this.lastRawEnd = rawEnd;
    if (this.terminal) {
      this.feed(chunk, rawEnd);
      return;
    }
    this.watch.scan(chunk, this.events);
    this.cursor.follow(chunk);
    this.keep(chunk);
    if (this.events.query && this.cursor.known) {
      // Every query in the chunk was a cursor position request the followed cursor answered.
      this.events.query = false;
      for (const reply of this.cursor.takeReplies()) this.sendWithoutEmulator(reply);
    }
    if (this.events.query || this.events.cursorAddressed || this.deferredLength > this.maxDeferredBytes) this.start();
  }

  /**
   * What the emulated terminal answers to the guest's queries (cursor position for `ESC[6n`, device
   * attributes). A real terminal answers them; a shell that asked and got no answer (busybox's line
   * editor asks after every prompt) may take the next typed bytes for the reply.
   */
  onReply(listener: (reply: string) => void): () => void {
    this.replyListeners.add(listener);
    return () => this.replyListeners.delete(listener);
  }

  /** Resolves once every write so far is reflected in the screen (starting the emulator if bytes wait for it). */
  whenIdle(): Promise<void> {
    if (!this.terminal && this.deferredLength > 0) this.start();
    if (this.pendingWrites === 0 || this.disposed) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** The visible screen, one row per line, trailing blanks trimmed (what is processed so far: see whenIdle). */
  text(): string {
    if (!this.terminal) this.start();
    const buffer = this.terminal!.buffer.active;
    const rows: string[] = [];
    for (let y = 0; y < this.rows; y++) rows.push(buffer.getLine(buffer.viewportY + y)?.translateToString(true) ?? '');
    return rows.join('\n');
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.terminal?.dispose();
    this.deferred = new Uint8Array(0);
    for (const waiter of this.idleWaiters.splice(0)) waiter();
  }

  private start(): void {
    if (this.terminal || this.disposed) return;
    const terminal = new xterm.Terminal({ cols: this.columns, rows: this.rows, allowProposedApi: true, scrollback: 0 });
    this.terminal = terminal;
    // Absolute cursor placement (CUP, HVP, VPA) is what full-screen UIs do and line-oriented output never
    // does (shell line editors move relative to the cursor): from then on the screen, not the stream, is
    // what a person reads. The handlers only watch; returning false lets the emulator act as usual.
    for (const final of ['H', 'f', 'd']) {
      terminal.parser.registerCsiHandler({ final }, () => {
        this.addressed = true;
        return false;
      });
    }
    terminal.onData((reply) => {
      // The deferred bytes hold the queries answered without the emulator, first among its cursor reports.
      if (this.repliesSentWithoutEmulator > 0 && /^\x1b\[\d+;\d+R$/.test(reply)) {
        this.repliesSentWithoutEmulator--;
        return;
      }
      for (const listener of this.replyListeners) listener(reply);
    });
    if (this.deferredLength > 0) this.feed(this.deferred.subarray(0, this.deferredLength), this.lastRawEnd);
    this.deferred = new Uint8Array(0);
    this.deferredLength = 0;
  }

  private sendWithoutEmulator(reply: string): void {
    this.repliesSentWithoutEmulator++;
    // As the emulator's replies come, after the write that asked has returned.
    queueMicrotask(() => {
      if (this.disposed) return;
      for (const listener of this.replyListeners) listener(reply);
    });
  }

  private keep(chunk: Uint8Array): void {
    const needed = this.deferredLength + chunk.length;
    if (needed > this.deferred.length) {
      const grown = new Uint8Array(Math.max(needed, this.deferred.length * 2, 4096));
      grown.set(this.deferred.subarray(0, this.deferredLength));
      this.deferred = grown;
    }
    this.deferred.set(chunk, this.deferredLength);
    this.deferredLength = needed;
  }

  private feed(bytes: Uint8Array, rawEnd: number): void {
    const text = this.decoder.decode(bytes, { stream: true });
    if (text.length === 0) return;
    this.pendingWrites++;
    this.terminal!.write(text, () => {
      this.pendingWrites--;
      this.onRendered?.(rawEnd);
      if (this.pendingWrites === 0) for (const waiter of this.idleWaiters.splice(0)) waiter();
    });
  }
}
