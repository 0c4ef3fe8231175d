// `harness replay <capture> --expect <regex>`: runs a recorded console capture through the console engine.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import { type ChunkPlan, replayCapture } from '../console/replay-capture.ts';
import { type CliIO, ExitCode, type ExitHolder } from './cli-io.ts';
import { commandEnvironment, environmentHelp } from './environment-help.ts';

interface ReplayFlags {
  expect: string;
  screen?: boolean;
  chunk?: string;
  seed?: string;
  json?: boolean;
  printk?: boolean;
}

export function registerReplayCommand(program: Command, io: CliIO, exit: ExitHolder): void {
  program
    .command('replay')
    .description('Replay a recorded raw console capture through the console engine and report the first match.')
    .argument('<capture>', 'raw console capture (e.g. a run folder\'s serial log)')
    .requiredOption('--expect <regex>', 'JavaScript regular expression to wait for (flags: /re/flags)')
    .option('--screen', 'match the rendered screen (headless terminal) instead of the text stream')
    .option('--chunk <n|random>', 'feed the capture in chunks of n bytes, or random seeded sizes (default: whole)')
    .option('--seed <n>', 'seed for --chunk random', '1')
    .option('--no-printk', 'keep kernel lines that land mid-line in the matching text')
    .option('--json', 'print one JSON object instead of text')
    .addHelpText(
      'after',
      '\nExit codes: 0 matched, 1 no match, 2 bad usage or unreadable capture.\nExample: harness replay boot-logs/<run>/console.raw --expect "login: $" --chunk random --json',
    )
    .addHelpText('after', environmentHelp(commandEnvironment.replay))
    .action(async (capture: string, flags: ReplayFlags) => {
      try {
        exit.code = await replay(capture, flags, io);
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        io.stderr(`harness replay: ${error.message}\n`);
        exit.code = ExitCode.usage;
      }
    });
}

async function replay(capture: string, flags: ReplayFlags, io: CliIO): Promise<ExitCode> {
  const pattern = parsePattern(flags.expect);
  const chunk = parseChunk(flags.chunk);
  const seed = Number(flags.seed ?? '1');
  if (!Number.isInteger(seed)) {
    throw new UsageError('--seed', `expected an integer, got \`${flags.seed}\``, 'pass e.g. `--seed 7`');
  }
  let bytes: Uint8Array;
  try {
    bytes = await readFile(capture.startsWith('/') ? capture : `${io.cwd}/${capture}`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new UsageError(
      `capture \`${capture}\``,
      `cannot be read (${code})`,
      'pass the path of a raw console capture file, e.g. boot-logs/<run>/console.raw',
    );
  }
  const result = await replayCapture(bytes, {
    pattern,
    screen: flags.screen ?? false,
    chunk,
    seed,
    printkFilter: flags.printk ?? true,
  });
  if (flags.json) {
    io.stdout(`${JSON.stringify({ capture, pattern: String(pattern), screen: flags.screen ?? false, chunk: flags.chunk ?? 'whole', ...result })}\n`);
  } else if (result.matched) {
    io.stdout(
      `Matched ${String(pattern)}: ${JSON.stringify(result.matchText)} at ${flags.screen ? 'screen' : 'text'} offset ${result.offset}, raw byte ${result.rawEndByte} of ${result.bytes} (${result.chunks} chunks, ${result.elapsedMs.toFixed(1)} ms)\n`,
    );
  } else {
    io.stdout(`No match for ${String(pattern)} in ${result.bytes} bytes of ${capture} (${result.chunks} chunks)\n`);
  }
  return result.matched ? ExitCode.ok : ExitCode.failed;
}

/** Accepts `re`, or `/re/flags` to pass flags. */
function parsePattern(text: string): RegExp {
  const literal = /^\/(.*)\/([a-z]*)$/s.exec(text);
  try {
    return literal ? new RegExp(literal[1]!, literal[2]) : new RegExp(text);
  } catch (error) {
    throw new UsageError('--expect', `is not a valid regular expression: ${(error as Error).message}`, 'escape special characters, e.g. `--expect "\\[root@.*\\]# $"`');
  }
}

function parseChunk(text: string | undefined): ChunkPlan {
  if (text === undefined || text === 'whole') return 'whole';
  if (text === 'random') return 'random';
  const size = Number(text);
  if (!Number.isInteger(size) || size < 1) {
    throw new UsageError('--chunk', `expected a positive integer or \`random\`, got \`${text}\``, 'pass e.g. `--chunk 1` or `--chunk random`');
  }
  return size;
}
