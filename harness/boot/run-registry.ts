// Live runs of this process, so an interrupt (SIGINT, SIGTERM, SIGHUP) or a plain exit leaves no QEMU
// and no run dir behind. A SIGKILL cannot be caught: there PR_SET_PDEATHSIG kills QEMU and the next
// run's sweep removes the run dir. The process handlers exist only while a run is tracked: installed by
// the first trackRun(), removed when the last tracked run is released; importing this module does nothing.
import { rmSync } from 'node:fs';

export interface TrackedRun {
  runDir: string;
  /** QEMU's pid once started. */
  qemuPid(): number | undefined;
  stopped(): boolean;
  stop(reason: Error): Promise<void>;
  /** Undo host-side changes (taps, macvtaps, bridges) at once; runs after QEMU is killed at exit. Returns what could not be undone. */
  cleanupSync?(): string[];
}

const runs = new Set<TrackedRun>();
const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
let installed = false;
/** Budget for orderly stops on a signal before falling back to SIGKILL. */
const signalStopBudgetMs = 5000;

/** Tracks `run` until the returned release is called (once it has stopped); the last release removes the handlers. */
export function trackRun(run: TrackedRun): () => void {
  for (const old of runs) if (old.stopped()) runs.delete(old);
  runs.add(run);
  install();
  return () => {
    runs.delete(run);
    if (runs.size === 0) uninstall();
  };
}

export function liveRunCount(): number {
  return [...runs].filter((run) => !run.stopped()).length;
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAllNow);
  for (const signal of signals) process.on(signal, onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off('exit', killAllNow);
  for (const signal of signals) process.off(signal, onSignal);
}

function killAllNow(): void {
  for (const run of runs) {
    if (run.stopped()) continue;
    const pid = run.qemuPid();
    if (pid) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    const leaked = run.cleanupSync?.() ?? [];
    if (leaked.length > 0) {
      // At exit there is no report left to write and no caller to throw to: stderr is the only witness.
      // The run dir (with its ledger) stays, so the next run's sweep retries.
      process.stderr.write(`boot-harness: error: left on the host by ${run.runDir}: ${leaked.join('; ')}\n`);
    } else {
      rmSync(run.runDir, { recursive: true, force: true });
    }
  }
  runs.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  // Decided now, not after the stops: by then the last run's release may have removed this handler, and
  // a caller's own handler (the CLI's --keep-running) may treat a second signal as unhandled.
  const othersListen = process.listeners(signal).some((listener) => listener !== onSignal);
  const live = [...runs].filter((run) => !run.stopped());
  const reason = new Error(`interrupted by ${signal}`);
  const stops = Promise.allSettled(live.map((run) => run.stop(reason)));
  const timer = new Promise((resolve) => setTimeout(resolve, signalStopBudgetMs).unref());
  void Promise.race([stops, timer]).then(() => {
    killAllNow();
    // Behave as if we had not been listening: when nobody else handles the signal, die of it.
    if (!othersListen) {
      uninstall();
      process.kill(process.pid, signal);
    }
  });
}
