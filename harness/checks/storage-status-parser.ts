// Reads the storage state (plan-only / applied) out of a pre-nixos status file in the shapes such files
// take: a bare word, KEY=value / key: value lines, JSON, or the first word of the first line. Pure.

export type StorageStatus = 'plan-only' | 'applied';

/**
 * How an image writes its status file, when the built-in shapes do not read it: a function from the
 * file's text to the state, or a pattern whose group `state` (else its first group, else the whole
 * match) is the state.
 */
export type StorageStatusFormat = { parse: (text: string) => string | undefined } | { pattern: RegExp };

/** The state read from the file and where in it: "the whole file", "line 2, key STATE", "JSON field storage.state". */
export interface StorageStatusReading {
  /** `plan-only` or `applied` when the file says one of them; otherwise what the file says instead (e.g. `failed`). */
  state: string;
  foundAt: string;
}

export type StorageStatusParse = { ok: true; reading: StorageStatusReading } | { ok: false; problem: string };

const stateWords: Record<string, StorageStatus> = { 'plan-only': 'plan-only', plan_only: 'plan-only', planonly: 'plan-only', applied: 'applied' };
/** A state word at the start of a value, and where it ends (a state word is never a prefix of a longer word). */
const leadingStateWord = /^["']?(plan[-_]?only|applied)(?![\w-])/i;
const anyStateWord = /(?<![\w-])(plan[-_]?only|applied)(?![\w-])/gi;
/** `KEY=value`, `key: value`, `export KEY="value"`, `Storage status: value` (a key may hold spaces). */
const keyValueLine = /^\s*(?:export\s+)?([A-Za-z_][\w .-]*?)\s*(=|:)\s*(.*?)\s*$/;

/** Key names that say "this is the state": STATE, status, Storage status, storage_state_v2, storage, mode, result (not storage_device). */
export function isStateLikeKey(key: string): boolean {
  const name = key.toLowerCase().replace(/[^a-z]/g, '');
  return /state|status/.test(name) || ['storage', 'mode', 'result', 'storagemode', 'storageresult'].includes(name);
}

function canonical(word: string): StorageStatus {
  return stateWords[word.toLowerCase()]!;
}

/** What a state-like key's value says: a state word at its start, or else the value itself (an unknown state like `failed`). */
function valueState(value: string): { state: string; known: boolean } {
  const unquoted = value.trim().replace(/^(["'])(.*)\1$/, '$2').trim();
  const word = leadingStateWord.exec(unquoted);
  if (word) return { state: canonical(word[1]!), known: true };
  return { state: unquoted.split(/\s+/)[0] ?? '', known: false };
}

interface Candidate {
  state: string;
  known: boolean;
  foundAt: string;
}

/** Settles the candidates of one shape: they must agree on a known state; an unknown state counts only when alone. */
function settle(candidates: Candidate[], shape: string): StorageStatusParse | undefined {
  const known = candidates.filter((candidate) => candidate.known);
  if (known.length > 0) {
    const states = new Set(known.map((candidate) => candidate.state));
    if (states.size === 1) return { ok: true, reading: { state: known[0]!.state, foundAt: known.map((candidate) => candidate.foundAt).join('; ') } };
    return { ok: false, problem: `ambiguous: ${shape} disagree (${known.map((candidate) => `${candidate.foundAt} says ${candidate.state}`).join(', ')})` };
  }
  if (candidates.length === 1 && candidates[0]!.state) return { ok: true, reading: { state: candidates[0]!.state, foundAt: candidates[0]!.foundAt } };
  if (candidates.length > 1) {
    return { ok: false, problem: `ambiguous: ${shape} say neither plan-only nor applied (${candidates.map((candidate) => `${candidate.foundAt}: ${candidate.state}`).join(', ')})` };
  }
  return undefined;
}

function jsonCandidates(value: unknown, path: string[], depth: number, into: Candidate[]): void {
  if (depth > 4 || typeof value !== 'object' || value === null || Array.isArray(value)) return;
  for (const [key, child] of Object.entries(value)) {
    const at = [...path, key];
    if (typeof child === 'string' && isStateLikeKey(key)) into.push({ ...valueState(child), foundAt: `JSON field ${at.join('.')}` });
    else jsonCandidates(child, at, depth + 1, into);
  }
}

/** Reads the state with the built-in shapes. Never guesses: a file that does not settle it is a failure saying why. */
export function parseStorageStatus(text: string): StorageStatusParse {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, problem: 'the file is empty' };

  if (/^["']?[\w-]+["']?$/.test(trimmed)) {
    const { state, known } = valueState(trimmed);
    return { ok: true, reading: { state: known ? state : trimmed, foundAt: 'the whole file (one word)' } };
  }

  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (error) {
      return { ok: false, problem: `it starts like JSON but does not parse (${(error as Error).message})` };
    }
    const candidates: Candidate[] = [];
    jsonCandidates(parsed, [], 0, candidates);
    return settle(candidates, 'JSON fields with a state-like name') ?? { ok: false, problem: 'a JSON object with no field named like a state (state, status, storage, mode, result)' };
  }

  const lines = text.split('\n');
  const keyed: Candidate[] = [];
  for (const [index, line] of lines.entries()) {
    const match = keyValueLine.exec(line);
    if (!match || !isStateLikeKey(match[1]!)) continue;
    keyed.push({ ...valueState(match[3]!), foundAt: `line ${index + 1}, key ${match[1]}` });
  }
  const byKnownKey = settle(keyed.filter((candidate) => candidate.known), 'lines with a state-like key');
  if (byKnownKey) return byKnownKey;

  const firstIndex = lines.findIndex((line) => line.trim() !== '');
  const first = lines[firstIndex]!.trim();
  const leading = leadingStateWord.exec(first);
  if (leading) return { ok: true, reading: { state: canonical(leading[1]!), foundAt: `line ${firstIndex + 1}, first word` } };
  // A state-like key saying something else (STATE=failed) is the state, wrong as it may be.
  const byOtherKey = settle(keyed, 'lines with a state-like key');
  if (byOtherKey) return byOtherKey;

  const seen = new Set([...text.matchAll(anyStateWord)].map((match) => canonical(match[1]!)));
  if (seen.size === 2) return { ok: false, problem: 'ambiguous: both plan-only and applied appear, and no state-like key (STATE=, status:) or leading word says which is the state' };
  if (seen.size === 1) {
    return { ok: false, problem: `${[...seen][0]} appears, but not as the whole file, a state-like key's value, a JSON field or the first word: the harness does not guess` };
  }
  return { ok: false, problem: 'neither plan-only nor applied appears in it' };
}

/** Reads the state with the image's own format (a parse function or a pattern). */
export function parseStorageStatusWith(text: string, format: StorageStatusFormat): StorageStatusParse {
  if ('parse' in format) {
    let state: string | undefined;
    try {
      state = format.parse(text);
    } catch (error) {
      return { ok: false, problem: `the image's parse function threw: ${error instanceof Error ? error.message : String(error)}` };
    }
    if (typeof state !== 'string' || state.trim() === '') return { ok: false, problem: 'the image\'s parse function found no state in it' };
    return { ok: true, reading: { state: state.trim(), foundAt: 'the image\'s parse function' } };
  }
  // A global or sticky pattern would carry lastIndex from call to call.
  const pattern = new RegExp(format.pattern.source, format.pattern.flags.replace(/[gy]/g, ''));
  const match = pattern.exec(text);
  if (!match) return { ok: false, problem: `the pattern /${format.pattern.source}/${format.pattern.flags} does not match it` };
  const state = (match.groups?.state ?? match[1] ?? match[0]).trim();
  if (state === '') return { ok: false, problem: `the pattern /${format.pattern.source}/ matched, but its state group is empty` };
  const line = text.slice(0, match.index).split('\n').length;
  const known = leadingStateWord.exec(state);
  return { ok: true, reading: { state: known && known[0].length === state.length ? canonical(known[1]!) : state, foundAt: `line ${line}, pattern /${format.pattern.source}/` } };
}
