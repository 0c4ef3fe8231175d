// The expecter: pexpect semantics over any ConsoleTransport, matching normalised text (or the rendered
// screen) while the raw bytes keep flowing to the log. One expect at a time, like a person at a console.
// Over 300 lines: one state machine (pending expect, EOF/TIMEOUT, failure traces, search window) that splitting would scatter.
import { type ConsoleContext, HarnessError } from '../errors.ts';
import { type Clock, monotonicNowMs } from '../util/clock.ts';
import { AnsiNormalizer } from './ansi-normalizer.ts';
import type { LineDrawing } from './dec-special-graphics.ts';
import {
  ConsoleClosedError,
  ConsoleFailureError,
  EOF,
  ExpectTimeoutError,
  type Pattern,
  TIMEOUT,
  describePatterns,
} from './console-errors.ts';
import type { ConsoleTransport, TransportExit } from './console-transport.ts';
import { type FailurePattern, defaultFailurePatterns, findFailureFast, linesMayFail } from './failure-patterns.ts';
import { type LineEnd, LineLog } from './line-log.ts';
import { MatchView, type SearchPattern, compilePattern } from './match-view.ts';
import { PrintkSplitter } from './printk-splitter.ts';
import { ScreenView } from './screen-view.ts';

export { ConsoleClosedError, ConsoleFailureError, EOF, ExpectTimeoutError, TIMEOUT, defaultFailurePatterns };
export type { FailurePattern, Pattern };

export interface ExpectOptions {
  timeoutMs: number;
  /** true (default): the console's failure patterns abort the expect; false: none; a list: these instead. */
  failurePatterns?: boolean | readonly FailurePattern[];
  /**
   * Match with kernel lines that landed mid-line taken out (default: the console's setting). Both views are
   * kept consumed to the same point; after a switch, `before` of the first match holds at most the search
   * window (lookbackChars) of text that arrived while the other view was in use.
   */
  printkFilter?: boolean;
  signal?: AbortSignal;
}

export interface ExpectMatch {
  /** Index of the pattern that matched in the list given to expect. */
  index: number;
  pattern: Pattern;
  /** The matched text ('' for EOF and TIMEOUT). */
  matchText: string;
  /** RegExp capture groups. */
  groups: (string | undefined)[];
  /** Text between the previous match and this one. */
  before: string;
  /** Offset of the match in the normalised text (in the screen text for expectScreen). */
  offset: number;
  /** Byte offset in the raw stream just past the match. */
  rawEndByte: number;
  atMs: number;
}

export interface SerialConsoleOptions {
  /** Take kernel lines that land mid-line out of the matching view (default true). */
  printkFilter?: boolean;
  failurePatterns?: readonly FailurePattern[];
  /** Size of the headless terminal behind expectScreen, or false for none (default 80x25). */
  screen?: { columns: number; rows: number } | false;
  /** Answer the guest's terminal queries (cursor position, device attributes) as a terminal would (default true; needs the screen view). */
  answerTerminalQueries?: boolean;
  clock?: Clock;
  /** Every normalised line, kernel lines included, for the timestamped log. */
  onLine?: (line: string, atMs: number) => void;
  /** How far back (characters) a match may start before text already searched (default 2048). */
  lookbackChars?: number;
  /** How long to keep collecting the trace after a failure line (default 2000 ms). */
  failureTraceMs?: number;
  /** How many lines of trace to collect after a failure line, the failure line included (default 60). */
  failureTraceLines?: number;
  /** What DEC Special Graphics (TUI box-drawing) bytes become in the matched text (default 'unicode': ┌─┐│└┘). */
  lineDrawing?: LineDrawing;
}

interface PendingExpect {
  kind: 'stream' | 'screen';
  patterns: readonly Pattern[];
  compiled: SearchPattern[];
  compiledIndex: number[];
  view: MatchView;
  fresh: boolean;
  failures: readonly FailurePattern[];
  startedAtMs: number;
  budgetMs: number;
  resolve: (match: ExpectMatch) => void;
  reject: (error: unknown) => void;
  cleanup: () => void;
}

interface FailureState {
  failure: FailurePattern;
  line: string;
  trace: string[];
  /** Raw offset just past the failure line: a match that ends before it still wins. */
  rawEnd: number;
  complete: boolean;
  timer: NodeJS.Timeout | undefined;
}

/** The match with `before` as an enumerable getter that joins its text on first read. */
function withLazyBefore(match: Omit<ExpectMatch, 'before'>, before: () => string): ExpectMatch {
  let text: string | undefined;
  return Object.defineProperty(match, 'before', {
    get: () => (text ??= before()),
    enumerable: true,
  }) as ExpectMatch;
}

export class SerialConsole implements Disposable {
  /** Boot phase, accelerator and log path, copied into errors; the boot layer updates it as it goes. */
  context: ConsoleContext = {};
  /**
   * Whether terminal queries are answered now (when the screen view answers them at all). Turned off while a
   * person's terminal is attached to the console: it answers them itself, and two answers would reach the guest.
   */
  answeringTerminalQueries = true;

  private readonly normalizer: AnsiNormalizer;
  private readonly splitter: PrintkSplitter;
  private readonly lineLog: LineLog;
  private readonly filtered: MatchView;
  private readonly unfiltered: MatchView;
  private readonly screen: ScreenView | undefined;
  private readonly clock: Clock;
  private readonly printkFilter: boolean;
  private readonly failurePatterns: readonly FailurePattern[];
  private readonly failureTraceMs: number;
  private readonly failureTraceLines: number;
  private readonly onLine: ((line: string, atMs: number) => void) | undefined;
  private readonly unsubscribe: (() => void)[];
  private pending: PendingExpect | undefined;
  /** The searched view's end when the other view was last bounded (see checkStream). */
  private otherBoundedAt = 0;
  private failureState: FailureState | undefined;
  /** bytesSeen when the normaliser was last told what the views no longer need (see receive). */
  private forgottenAt = 0;
  private exit: TransportExit | undefined;
  private isClosed = false;
  private disposed = false;

  constructor(
    private readonly transport: ConsoleTransport,
    options: SerialConsoleOptions = {},
  ) {
    this.clock = options.clock ?? monotonicNowMs;
    this.printkFilter = options.printkFilter ?? true;
    this.failurePatterns = options.failurePatterns ?? defaultFailurePatterns;
    this.failureTraceMs = options.failureTraceMs ?? 2000;
    this.failureTraceLines = options.failureTraceLines ?? 60;
    this.onLine = options.onLine;
    const lookback = options.lookbackChars ?? 2048;
    this.filtered = new MatchView(lookback);
    this.unfiltered = new MatchView(lookback);
    const screen = options.screen ?? { columns: 80, rows: 25 };
    // The emulator starts when first needed (screen-view.ts); a screen expect finds every byte fed by then.
    this.screen = screen ? new ScreenView(screen.columns, screen.rows, { onRendered: (rawEnd) => this.checkScreen(rawEnd) }) : undefined;
    this.lineLog = new LineLog(
      (line, end) => this.lineCompleted(line, end),
      undefined,
      // With onLine, every line goes to it as it comes (the log's timestamps); otherwise the failure
      // patterns look at all lines of a read at once.
      options.onLine ? undefined : (lines) => this.linesWanted(lines),
    );
    const filtered = this.filtered;
    const lineLog = this.lineLog;
    this.splitter = new PrintkSplitter(
      {
        textRange(text, from, to, start, loneCrs) {
          filtered.textRange(text, from, to, start);
          lineLog.textRange(text, from, to, start, loneCrs);
        },
        // A BS only changes the line a terminal shows; the matched text keeps what was sent.
        control(code) {
          lineLog.control(code);
        },
      },
      (line, end) => lineLog.addLine(line, end),
    );
    const unfiltered = this.unfiltered;
    const splitter = this.splitter;
    this.normalizer = new AnsiNormalizer({
      text(text, start, loneCrs) {
        unfiltered.text(text, start);
        splitter.text(text, start, loneCrs);
      },
      control(code, rawEnd) {
        splitter.control(code, rawEnd);
      },
    }, { lineDrawing: options.lineDrawing ?? 'unicode' });
    this.unsubscribe = [
      transport.onData((chunk) => this.receive(chunk)),
      transport.onExit((exit) => this.close(exit)),
    ];
    if (this.screen && (options.answerTerminalQueries ?? true)) {
      this.unsubscribe.push(
        this.screen.onReply((reply) => {
          if (this.answeringTerminalQueries) transport.write(reply);
        }),
      );
    }
  }

  get bytesSeen(): number {
    return this.normalizer.bytesSeen;
  }

  /** True once the transport has ended (or the console was disposed). */
  get closed(): boolean {
    return this.isClosed;
  }

  send(text: string): void {
    this.transport.write(text);
  }

  /** Sends `text` and Enter (CR, as a terminal does). */
  sendLine(text: string): void {
    this.transport.write(`${text}\r`);
  }

  /** The last `lineCount` normalised lines, as a terminal would show them. */
  tail(lineCount = 40): string[] {
    return this.lineLog.tail(lineCount);
  }

  /** The rendered screen of the headless terminal, or undefined when the screen view is off. */
  async screenText(): Promise<string | undefined> {
    if (!this.screen) return undefined;
    await this.screen.whenIdle();
    return this.screen.text();
  }

  /**
   * The rendered screen when the output has placed its cursor absolutely (a text UI, a bootloader menu),
   * for error messages: there the stream is one flattened line and the screen is what a person saw.
   */
  cursorAddressedScreen(): string | undefined {
    return this.screen?.cursorAddressed ? this.screen.text() : undefined;
  }

  expect(patterns: Pattern | readonly Pattern[], options: ExpectOptions): Promise<ExpectMatch> {
    const list: readonly Pattern[] = Array.isArray(patterns) ? patterns : [patterns as Pattern];
    const view = (options.printkFilter ?? this.printkFilter) ? this.filtered : this.unfiltered;
    return this.startExpect('stream', list, view, options);
  }

  /** Waits until the rendered screen matches; the screen is a state, so nothing is consumed. */
  expectScreen(pattern: string | RegExp, options: ExpectOptions): Promise<ExpectMatch> {
    if (!this.screen) {
      return Promise.reject(
        new HarnessError('expectScreen needs the screen view, but this console was created with `screen: false`'),
      );
    }
    if (this.disposed) return Promise.reject(new ConsoleClosedError([pattern], this.exit, this.tail(), this.context));
    // Called after the stream ended, nothing more will render; otherwise close() handles the end.
    const closedAlready = this.isClosed;
    const promise = this.startExpect('screen', [pattern], this.filtered, options);
    void this.screen.whenIdle().then(() => {
      this.checkScreen();
      const pending = this.pending;
      if (closedAlready && pending?.kind === 'screen') this.reachedEof(pending);
    });
    return promise;
  }

  [Symbol.dispose](): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const unsubscribe of this.unsubscribe) unsubscribe();
    if (this.failureState?.timer) clearTimeout(this.failureState.timer);
    const pending = this.pending;
    if (pending) this.settle(pending, () => pending.reject(new ConsoleClosedError(pending.patterns, undefined, this.tail(), this.context)));
    this.isClosed = true;
    this.screen?.dispose();
  }

  private startExpect(
    kind: PendingExpect['kind'],
    patterns: readonly Pattern[],
    view: MatchView,
    options: ExpectOptions,
  ): Promise<ExpectMatch> {
    if (this.pending) {
      return Promise.reject(
        new HarnessError(`Cannot expect ${describePatterns(patterns)}: an expect for ${describePatterns(this.pending.patterns)} is still pending`),
      );
    }
    if (typeof options.timeoutMs !== 'number' || !(options.timeoutMs >= 0)) {
      return Promise.reject(
        new HarnessError(`Expected \`timeoutMs\` to be a non-negative number, got \`${String(options.timeoutMs)}\` (${typeof options.timeoutMs})`),
      );
    }
    if (patterns.length === 0) return Promise.reject(new HarnessError('Expected at least one pattern to expect'));
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    const compiled: SearchPattern[] = [];
    const compiledIndex: number[] = [];
    patterns.forEach((pattern, index) => {
      if (typeof pattern === 'string' || pattern instanceof RegExp) {
        compiled.push(compilePattern(pattern));
        compiledIndex.push(index);
      }
    });
    const failures =
      options.failurePatterns === false ? [] : options.failurePatterns === true || options.failurePatterns === undefined ? this.failurePatterns : options.failurePatterns;

    return new Promise<ExpectMatch>((resolve, reject) => {
      const pending: PendingExpect = {
        kind,
        patterns,
        compiled,
        compiledIndex,
        view,
        fresh: true,
        failures,
        startedAtMs: this.clock(),
        budgetMs: options.timeoutMs,
        resolve,
        reject,
        cleanup: () => {},
      };
      this.pending = pending;
      // setTimeout fires at once for delays past 2^31-1 ms; an infinite budget means no timer at all.
      const timer = Number.isFinite(options.timeoutMs)
        ? setTimeout(() => this.timedOut(pending), Math.min(options.timeoutMs, 2 ** 31 - 1))
        : undefined;
      const signal = options.signal;
      const onAbort = () => this.settle(pending, () => reject(signal?.reason));
      signal?.addEventListener('abort', onAbort, { once: true });
      pending.cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      if (failures.length > 0 && this.failureState?.complete) {
        this.deliverFailure();
        return;
      }
      if (kind === 'stream') this.checkStream();
      if (this.pending === pending && this.isClosed && kind === 'stream') this.reachedEof(pending);
    });
  }

  private receive(chunk: Uint8Array): void {
    if (this.disposed) return;
    this.normalizer.write(chunk);
    // Before the search: a failure line in this read must be known to it (see checkStream).
    this.lineLog.flush();
    this.screen?.write(chunk, this.normalizer.bytesSeen);
    this.checkStream();
    this.deliverFailure();
    // The raw bytes behind text the views no longer hold can go (in steps: finding the point costs a little).
    if (this.normalizer.bytesSeen - this.forgottenAt >= 64 * 1024) {
      this.forgottenAt = this.normalizer.bytesSeen;
      this.normalizer.forgetBefore(Math.min(this.filtered.firstOutputNeeded(), this.unfiltered.firstOutputNeeded()));
    }
  }

  /** Raw byte offset just past index `end` - 1 of the normaliser's output (0 for 0; bytesSeen for the end of the stream). */
  private rawEndBefore(end: LineEnd): number {
    if (end === Number.POSITIVE_INFINITY) return this.normalizer.bytesSeen;
    return end > 0 ? this.normalizer.rawEndOf(end - 1) : 0;
  }

  private close(exit: TransportExit): void {
    if (this.isClosed) return;
    this.exit = exit;
    this.normalizer.end();
    this.splitter.end();
    this.lineLog.end();
    this.checkStream();
    this.deliverFailure();
    this.isClosed = true;
    if (this.failureState && !this.failureState.complete) this.completeFailure();
    const pending = this.pending;
    if (!pending) return;
    if (pending.kind === 'stream') {
      this.reachedEof(pending);
    } else if (this.screen) {
      void this.screen.whenIdle().then(() => {
        this.checkScreen();
        if (this.pending === pending) this.reachedEof(pending);
      });
    }
  }

  private checkStream(): void {
    const pending = this.pending;
    if (!pending || pending.kind !== 'stream') return;
    const view = pending.view;
    const fresh = pending.fresh;
    pending.fresh = false;
    if (pending.compiled.length === 0) return;
    const found = view.search(pending.compiled, fresh);
    const other = view === this.filtered ? this.unfiltered : this.filtered;
    if (!found) {
      // Keep the other view's window bounded too: what this view searched counts as searched there.
      // Its window only moves in steps of the look-back anyway, so the lookups that find the point wait
      // until this view has grown by that much.
      if (view.end - this.otherBoundedAt >= view.lookbackChars || view.end < this.otherBoundedAt) {
        this.otherBoundedAt = view.end;
        other.markSearched(other.offsetAtOutput(view.outputEndAt(view.end)), false);
      }
      return;
    }
    const outputEnd = view.outputEndAt(found.end);
    const rawEndByte = this.rawEndBefore(outputEnd);
    const failure = this.failureState;
    if (failure && pending.failures.length > 0 && rawEndByte > failure.rawEnd) return;
    const before = view.lazyTextBetweenConsumedAnd(found.start);
    view.consume(found.end);
    other.consume(other.offsetAtOutput(outputEnd));
    const index = pending.compiledIndex[found.index]!;
    this.settle(pending, () =>
      pending.resolve(
        withLazyBefore(
          { index, pattern: pending.patterns[index]!, matchText: found.matchText, groups: found.groups, offset: found.start, rawEndByte, atMs: this.clock() },
          before,
        ),
      ),
    );
  }

  private checkScreen(rawEndByte = this.normalizer.bytesSeen): void {
    const pending = this.pending;
    if (!pending || pending.kind !== 'screen' || !this.screen) return;
    const pattern = pending.patterns[0] as string | RegExp;
    const text = this.screen.text();
    let offset = -1;
    let matchText = '';
    let groups: (string | undefined)[] = [];
    if (typeof pattern === 'string') {
      offset = text.indexOf(pattern);
      matchText = pattern;
    } else {
      const regexp = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
      const m = regexp.exec(text);
      if (m) {
        offset = m.index;
        matchText = m[0];
        groups = m.slice(1);
      }
    }
    if (offset === -1) return;
    const failure = this.failureState;
    if (failure && pending.failures.length > 0 && rawEndByte > failure.rawEnd) return;
    this.settle(pending, () =>
      pending.resolve({ index: 0, pattern, matchText, groups, before: text.slice(0, offset), offset, rawEndByte, atMs: this.clock() }),
    );
  }

  private reachedEof(pending: PendingExpect): void {
    const index = pending.patterns.indexOf(EOF);
    if (index === -1) {
      this.settle(pending, () => pending.reject(new ConsoleClosedError(pending.patterns, this.exit, this.tail(), this.context)));
      return;
    }
    const view = pending.view;
    const end = view.end;
    const before = pending.kind === 'stream' ? view.textBetweenConsumedAnd(end) : '';
    if (pending.kind === 'stream') {
      view.consume(end);
      const other = view === this.filtered ? this.unfiltered : this.filtered;
      other.consume(other.end);
    }
    this.settle(pending, () =>
      pending.resolve({ index, pattern: EOF, matchText: '', groups: [], before, offset: end, rawEndByte: this.bytesSeen, atMs: this.clock() }),
    );
  }

  private timedOut(pending: PendingExpect): void {
    if (this.pending !== pending) return;
    if (this.failureState && pending.failures.length > 0) {
      this.completeFailure();
      if (this.pending !== pending) return;
    }
    const index = pending.patterns.indexOf(TIMEOUT);
    const elapsedMs = this.clock() - pending.startedAtMs;
    if (index !== -1) {
      const view = pending.view;
      const before = pending.kind === 'stream' ? view.textBetweenConsumedAnd(view.end) : (this.screen?.text() ?? '');
      this.settle(pending, () =>
        pending.resolve({ index, pattern: TIMEOUT, matchText: '', groups: [], before, offset: view.end, rawEndByte: this.bytesSeen, atMs: this.clock() }),
      );
      return;
    }
    const screen = pending.kind === 'screen' ? this.screen?.text() : this.cursorAddressedScreen();
    this.settle(pending, () =>
      pending.reject(new ExpectTimeoutError(pending.patterns, elapsedMs, pending.budgetMs, this.tail(40), this.context, screen)),
    );
  }

  private settle(pending: PendingExpect, action: () => void): void {
    if (this.pending !== pending) return;
    this.pending = undefined;
    pending.cleanup();
    action();
  }

  /** Whether lineCompleted must see each of these lines (joined by LF): for a failure's trace, or a failure among them. */
  private linesWanted(lines: string): boolean {
    if (this.failureState) return true;
    return linesMayFail(this.pending ? this.pending.failures : this.failurePatterns, lines);
  }

  private lineCompleted(line: string, end: LineEnd): void {
    this.onLine?.(line, this.clock());
    const failure = this.failureState;
    if (failure) {
      if (!failure.complete) {
        failure.trace.push(line);
        // Delivered by receive() after its search, so a match that ends before the failure still wins.
        if (failure.trace.length >= this.failureTraceLines) this.completeFailure(false);
      }
      return;
    }
    const patterns = this.pending ? this.pending.failures : this.failurePatterns;
    if (patterns.length === 0) return;
    const hit = findFailureFast(patterns, line);
    if (!hit) return;
    const state: FailureState = { failure: hit, line, trace: [line], rawEnd: this.rawEndBefore(end), complete: false, timer: undefined };
    this.failureState = state;
    if (this.failureTraceLines <= 1) {
      this.completeFailure(false);
      return;
    }
    state.timer = setTimeout(() => this.completeFailure(), this.failureTraceMs);
  }

  private completeFailure(deliver = true): void {
    const failure = this.failureState;
    if (!failure || failure.complete) return;
    failure.complete = true;
    if (failure.timer) clearTimeout(failure.timer);
    failure.timer = undefined;
    if (deliver) this.deliverFailure();
  }

  /** Rejects the pending expect with the completed failure; without one, the next expect gets it. */
  private deliverFailure(): void {
    const failure = this.failureState;
    const pending = this.pending;
    if (!failure?.complete || !pending || pending.failures.length === 0) return;
    this.failureState = undefined;
    this.settle(pending, () =>
      pending.reject(new ConsoleFailureError(failure.failure, failure.line, failure.trace, this.context)),
    );
  }
}
