// Reading the storage state out of status files of every shape (fixtures/storage-status/): the state, where
// it was found, and a failure that says why when the file does not settle it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isStateLikeKey, parseStorageStatus, parseStorageStatusWith } from '../../../harness/checks/storage-status-parser.ts';

const folder = join(import.meta.dirname, '..', '..', '..', 'fixtures', 'storage-status');
const file = (name: string) => readFileSync(join(folder, name), 'utf8');

describe('parseStorageStatus', () => {
  it.each([
    ['bare-plan-only.txt', 'plan-only', 'the whole file (one word)'],
    ['bare-applied.txt', 'applied', 'the whole file (one word)'],
    ['env-state-applied.txt', 'applied', 'line 1, key STATE'],
    ['env-quoted-plan-only.txt', 'plan-only', 'line 3, key STORAGE_STATUS'],
    ['yaml-status-applied.txt', 'applied', 'line 1, key status'],
    ['json-nested-plan-only.txt', 'plan-only', 'JSON field storage.state'],
    ['json-status-applied.txt', 'applied', 'JSON field status'],
    ['leading-plan-only.txt', 'plan-only', 'line 1, first word'],
    ['leading-applied.txt', 'applied', 'line 1, first word'],
    ['env-state-failed.txt', 'failed', 'line 1, key STATE'],
  ])('%s → %s (%s)', (name, state, foundAt) => {
    expect(parseStorageStatus(file(name))).toEqual({ ok: true, reading: { state, foundAt } });
  });

  it.each([
    ['ambiguous-both-words.txt', /ambiguous: both plan-only and applied appear/],
    ['ambiguous-keys-disagree.txt', /ambiguous: lines with a state-like key disagree \(line 1, key STATE says applied, line 2, key status says plan-only\)/],
    ['no-state.txt', /neither plan-only nor applied appears/],
    ['lone-word-not-a-shape.txt', /applied appears, but not as .* the harness does not guess/],
  ])('%s is a failure that says why: %s', (name, problem) => {
    const parsed = parseStorageStatus(file(name));
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.problem).toMatch(problem);
  });

  it('an empty file and broken JSON are failures that say so', () => {
    expect(parseStorageStatus('\n')).toEqual({ ok: false, problem: 'the file is empty' });
    expect(parseStorageStatus('{"state": ')).toMatchObject({ ok: false, problem: expect.stringMatching(/starts like JSON but does not parse/) });
  });

  it('spellings of a state are one state; a word that merely starts like one is not', () => {
    expect(parseStorageStatus('PLAN_ONLY\n')).toMatchObject({ reading: { state: 'plan-only' } });
    expect(parseStorageStatus('status: Applied\n')).toMatchObject({ reading: { state: 'applied' } });
    expect(parseStorageStatus('applied-later\n')).toMatchObject({ reading: { state: 'applied-later' } });
    expect(parseStorageStatus('storage: not applied\n')).toMatchObject({ reading: { state: 'not' } });
    expect(parseStorageStatus('pre-nixos 0.3\nStorage status: applied (wrote label)\n')).toEqual({ ok: true, reading: { state: 'applied', foundAt: 'line 2, key Storage status' } });
  });

  it('names like a state: STATE, status, storage, storage_status, StorageState, mode; not storage_device', () => {
    expect(['STATE', 'status', 'storage', 'storage_status', 'StorageState', 'Storage status', 'mode', 'result'].every(isStateLikeKey)).toBe(true);
    expect(['storage_device', 'disk', 'plan-only', 'updated'].some(isStateLikeKey)).toBe(false);
  });
});

describe('parseStorageStatusWith: the image says how it writes the file', () => {
  const text = 'pre-nixos storage report\nresult of run 3 => APPLIED on /dev/vda\n';

  it('a pattern: its group `state`, else its first group, with the line it matched', () => {
    expect(parseStorageStatusWith(text, { pattern: /=> (?<state>\w+)/ })).toEqual({ ok: true, reading: { state: 'applied', foundAt: 'line 2, pattern /=> (?<state>\\w+)/' } });
    expect(parseStorageStatusWith(text, { pattern: /=> (\w+) on/g })).toMatchObject({ reading: { state: 'applied' } });
    expect(parseStorageStatusWith(text, { pattern: /state: (\w+)/ })).toEqual({ ok: false, problem: 'the pattern /state: (\\w+)/ does not match it' });
  });

  it('a parse function: what it returns is the state; a throw or nothing is a failure', () => {
    expect(parseStorageStatusWith(text, { parse: (content) => (content.includes('APPLIED') ? 'applied' : 'plan-only') })).toEqual({
      ok: true,
      reading: { state: 'applied', foundAt: "the image's parse function" },
    });
    expect(parseStorageStatusWith(text, { parse: () => undefined })).toMatchObject({ ok: false, problem: expect.stringMatching(/found no state/) });
    expect(
      parseStorageStatusWith(text, {
        parse: () => {
          throw new Error('unexpected layout');
        },
      }),
    ).toMatchObject({ ok: false, problem: expect.stringMatching(/threw: unexpected layout/) });
  });
});
