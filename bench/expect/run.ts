// Console-engine benchmark: throughput on 5/20/50 MB ANSI-heavy console streams with the match at the
// end, the 50/5 time ratio (linear cost), prompt-match latency, and python3-pexpect on the same files.
// Run: npm run bench:expect   (= node --import tsx bench/expect/run.ts)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeTransport } from '../../harness/console/fake-transport.ts';
import { seededRandom } from '../../harness/console/replay-capture.ts';
import { SerialConsole } from '../../harness/console/serial-console.ts';

const MB = 1024 * 1024;
const sizesMB = [5, 20, 50];
const chunkBytes = 4096;
const python = '/usr/bin/python3';
const promptRegex = 'root@pre-nixos:~\\]#';
const finalPrompt = '\x1b[?2004h\x1b[1;31m[\x1b]0;root@pre-nixos: ~\x07root@pre-nixos:~]#\x1b[0m ';

/** About 1 MiB of realistic noise: systemd status, printk (some mid-line), titles, progress redraws, UTF-8. */
export function noiseBlock(): Buffer {
  const random = seededRandom(7);
  const parts: string[] = [];
  let size = 0;
  let n = 0;
  while (size < MB) {
    n++;
    const t = `${String(Math.floor(n / 100)).padStart(5)}.${String((n * 7919) % 1_000_000).padStart(6, '0')}`;
    const pick = Math.floor(random() * 6);
    let line: string;
    if (pick === 0) line = `[\x1b[0;32m  OK  \x1b[0m] Started \x1b[0;1;39munit-${n}.service\x1b[0m - Harness Unit ${n}.\r\r\n`;
    else if (pick === 1) line = `[${t}] virtio_net virtio0 enp0s${n % 9}: renamed from eth0\r\r\n`;
    else if (pick === 2) line = `\x1b]0;root@host: /var/lib/${n}\x07\x1b[?2004h\x1b[1;32mroot@host\x1b[0m:\x1b[1;34m~\x1b[0m$ ls\x1b[?2004l\r\r\n`;
    else if (pick === 3) line = `Downloading ${n}.tar ${n % 100}%\r\x1b[KDownloading ${n}.tar done ● ✓\r\r\n`;
    else if (pick === 4) line = `[root@pre-[${t}] audit: type=1130 audit(${n}.1:2): pid=1\r\r\nbox ${n}]# \x1b[6n\r\r\n`;
    else line = `\x1b[38;2;215;10;83m${'─'.repeat(20)}\x1b[0m \x1b[7mlog ${n}\x1b[27m \x1b[2K\x1b[1G“quoted” line ${n}\r\r\n`;
    parts.push(line);
    size += Buffer.byteLength(line);
  }
  return Buffer.from(parts.join(''), 'utf8');
}

/** Repeats the noise up to the size, cut at a line end, then the prompt: the only match is at the very end. */
function makeStream(sizeMB: number, block: Buffer): Buffer {
  const tail = Buffer.from(finalPrompt);
  const body = Buffer.alloc(sizeMB * MB - tail.length);
  for (let at = 0; at < body.length; at += block.length) block.copy(body, at, 0, Math.min(block.length, body.length - at));
  return Buffer.concat([body.subarray(0, body.lastIndexOf(0x0a) + 1), tail]);
}

export async function engineRun(bytes: Buffer, options: { screen: boolean; chunkBytes?: number }): Promise<{ ms: number; rawEndByte: number }> {
  const size = options.chunkBytes ?? chunkBytes;
  const transport = new FakeTransport();
  using console = new SerialConsole(transport, { screen: options.screen ? { columns: 80, rows: 25 } : false });
  const started = performance.now();
  const waiting = console.expect(new RegExp(promptRegex), { timeoutMs: 600_000 });
  for (let at = 0; at < bytes.length; at += size) transport.push(bytes.subarray(at, at + size));
  const match = await waiting;
  // With the screen view on, count the time until the emulator has caught up as well.
  if (options.screen) await console.screenText();
  return { ms: performance.now() - started, rawEndByte: match.rawEndByte };
}

async function latency(iterations: number): Promise<{ medianMs: number; p99Ms: number }> {
  const transport = new FakeTransport();
  using console = new SerialConsole(transport, { screen: false });
  const noise = noiseBlock().subarray(0, 2048);
  const prompt = Buffer.from(finalPrompt);
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    let resolvedAt = 0;
    const waiting = console.expect(new RegExp(promptRegex), { timeoutMs: 10_000 }).then(() => {
      resolvedAt = performance.now();
    });
    transport.push(noise);
    // The prompt arrives in serial-sized reads (8 bytes); time from the read holding its last byte.
    const lastStart = prompt.length - 8;
    for (let at = 0; at < lastStart; at += 8) transport.push(prompt.subarray(at, Math.min(at + 8, lastStart)));
    const arrivedAt = performance.now();
    transport.push(prompt.subarray(lastStart));
    await waiting;
    samples.push(resolvedAt - arrivedAt);
  }
  samples.sort((a, b) => a - b);
  return { medianMs: samples[Math.floor(samples.length / 2)]!, p99Ms: samples[Math.floor(samples.length * 0.99)]! };
}

const pexpectScript = `
import sys, time, pexpect
from pexpect import fdpexpect
path, window = sys.argv[1], sys.argv[2]
f = open(path, 'rb')
child = fdpexpect.fdspawn(f.fileno(), timeout=None, searchwindowsize=None if window == 'none' else int(window))
start = time.perf_counter()
child.expect(${JSON.stringify(promptRegex)})
print(time.perf_counter() - start)
`;

function pexpectRun(file: string, window: string): number | undefined {
  const result = spawnSync(python, ['-c', pexpectScript, file, window], { encoding: 'utf8' });
  if (result.status !== 0) {
    console.error(`pexpect failed: ${result.stderr.trim().split('\n').at(-1)}`);
    return undefined;
  }
  return Number(result.stdout.trim()) * 1000;
}

const fmt = (n: number | undefined, digits = 1) => (n === undefined ? '—' : n.toFixed(digits));

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'harness-bench-'));
  try {
    const block = noiseBlock();
    console.log(`Command: npm run bench:expect  (node ${process.version}, ${chunkBytes}-byte chunks, pattern /${promptRegex}/ at the end; engine: median of 5 runs, screen view off)`);
    const files = sizesMB.map((size) => {
      const file = join(dir, `console-${size}mb.raw`);
      writeFileSync(file, makeStream(size, block));
      return { size, file };
    });
    for (let i = 0; i < 3; i++) await engineRun(readFileSync(files[0]!.file), { screen: false }); // warm-up (JIT)
    const rows: { size: number; engineMs: number; window: number | undefined; unbounded: number | undefined }[] = [];
    for (const { size, file } of files) {
      const bytes = readFileSync(file);
      // Median of five engine runs (they are cheap); pexpect runs once.
      const runs: { ms: number; rawEndByte: number }[] = [];
      for (let run = 0; run < 5; run++) runs.push(await engineRun(bytes, { screen: false }));
      const { ms, rawEndByte } = runs.sort((a, b) => a.ms - b.ms)[2]!;
      if (rawEndByte !== bytes.length - 5) throw new Error(`match ended at ${rawEndByte}, expected ${bytes.length - 5} (before the final ESC[0m and space)`);
      const window = pexpectRun(file, '2000');
      // pexpect's default mode is quadratic (~100 s at 20 MB, ~10 min at 50 MB): 50 MB only when asked for.
      const unbounded = size <= 20 || process.env.HARNESS_BENCH_PEXPECT_FULL === '1' ? pexpectRun(file, 'none') : undefined;
      rows.push({ size, engineMs: ms, window, unbounded });
    }
    console.log('\n| stream | engine ms | engine MB/s | pexpect sw=2000 ms | MB/s | ratio | pexpect default ms | ratio |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (const r of rows) {
      console.log(
        `| ${r.size} MB | ${fmt(r.engineMs)} | ${fmt(r.size / (r.engineMs / 1000))} | ${fmt(r.window)} | ${fmt(r.window && r.size / (r.window / 1000))} | ${fmt(r.window && r.window / r.engineMs)}× | ${r.unbounded === undefined ? 'skipped (quadratic)' : fmt(r.unbounded)} | ${r.unbounded === undefined ? '—' : `${fmt(r.unbounded / r.engineMs)}×`} |`,
      );
    }
    const first = rows[0]!;
    const last = rows.at(-1)!;
    console.log(`\n50/5 MB time ratio: engine ${fmt(last.engineMs / first.engineMs, 2)} (linear = 10), pexpect sw=2000 ${fmt(last.window && first.window && last.window / first.window, 2)}`);
    if (process.env.HARNESS_BENCH_PEXPECT_FULL !== '1') {
      console.log('pexpect default (searchwindowsize=None, what pexpect does unless told otherwise) rescans the whole buffer per read (quadratic): run at 5 and 20 MB; HARNESS_BENCH_PEXPECT_FULL=1 adds 50 MB (~10 min).');
    }
    const screen = await engineRun(readFileSync(files[0]!.file), { screen: true });
    console.log(`With the screen view on (@xterm/headless 80x25), 5 MB: ${fmt(screen.ms)} ms, ${fmt(5 / (screen.ms / 1000))} MB/s`);
    const small = await engineRun(readFileSync(files[0]!.file), { screen: false, chunkBytes: 8 });
    console.log(`Serial-sized reads (8-byte chunks, as under TCG), 5 MB: ${fmt(small.ms)} ms, ${fmt(5 / (small.ms / 1000))} MB/s`);
    const lat = await latency(2000);
    console.log(`Prompt-match latency (last byte of prompt in -> expect resolves, 2000 runs): median ${fmt(lat.medianMs, 3)} ms, p99 ${fmt(lat.p99Ms, 3)} ms`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith('run.ts')) await main();
