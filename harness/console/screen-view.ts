// The rendered screen of a headless terminal emulator, for full-screen UIs (GRUB menus, newt dialogs)
// that place words with cursor moves where no stream stripper can find them.
import xterm from '@xterm/headless';

export class ScreenView {
  private readonly terminal: xterm.Terminal;
  // @xterm/headless drops multi-byte characters split across byte writes, so it is fed decoded strings.
  private readonly decoder = new TextDecoder('utf-8');
  private pendingWrites = 0;
  private readonly idleWaiters: (() => void)[] = [];
  private disposed = false;
  private addressed = false;

  constructor(
    readonly columns: number,
    readonly rows: number,
  ) {
    this.terminal = new xterm.Terminal({ cols: columns, rows, allowProposedApi: true, scrollback: 0 });
    // Absolute cursor placement (CUP, HVP, VPA) is what full-screen UIs do and line-oriented output never
    // does (shell line editors move relative to the cursor): from then on the screen, not the stream, is
    // what a person reads. The handlers only watch; returning false lets the emulator act as usual.
    for (const final of ['H', 'f', 'd']) {
      this.terminal.parser.registerCsiHandler({ final }, () => {
        this.addressed = true;
        return false;
      });
    }
  }

  /** True once the output has placed the cursor absolutely (a TUI, a bootloader menu, firmware screen mirroring). */
  get cursorAddressed(): boolean {
    return this.addressed;
  }

  /** Feeds raw bytes; `onRendered` runs once the emulator has processed them. */
  write(chunk: Uint8Array, onRendered: () => void): void {
    const text = this.decoder.decode(chunk, { stream: true });
    if (this.disposed || text.length === 0) return;
    this.pendingWrites++;
    this.terminal.write(text, () => {
      this.pendingWrites--;
      onRendered();
      if (this.pendingWrites === 0) for (const waiter of this.idleWaiters.splice(0)) waiter();
    });
  }

  /**
   * What the emulated terminal answers to the guest's queries (cursor position for `ESC[6n`, device
   * attributes). A real terminal answers them; a shell that asked and got no answer (busybox's line
   * editor asks after every prompt) may take the next typed bytes for the reply.
   */
  onReply(listener: (reply: string) => void): () => void {
    const subscription = this.terminal.onData(listener);
    return () => subscription.dispose();
  }

  /** Resolves once every write so far is reflected in the screen. */
  whenIdle(): Promise<void> {
    if (this.pendingWrites === 0 || this.disposed) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** The visible screen, one row per line, trailing blanks trimmed. */
  text(): string {
    const buffer = this.terminal.buffer.active;
    const rows: string[] = [];
    for (let y = 0; y < this.rows; y++) rows.push(buffer.getLine(buffer.viewportY + y)?.translateToString(true) ?? '');
    return rows.join('\n');
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.terminal.dispose();
    for (const waiter of this.idleWaiters.splice(0)) waiter();
  }
}
